// test_bft_properties.cpp — PBFT's properties over SCHEDULES seeded runs of a cluster with f
// Byzantine replicas (bft_cluster.cpp: equivocation, forgery, replay, silence, lying primaries;
// loss, duplication, delay and a partition before GST), one scored test per property. The runs
// happen once per process; a failure prints the seed, what went wrong, the last events before it,
// and the bft_sim line that replays it.
#include "bft_cluster.h"
#include "bft_test_util.h"

#include <cinttypes>
#include <ctime>

static const uint64_t SCHEDULES = 200;
static const uint64_t FIRST_SEED = 1;

struct PropertyResults {
    bool done = false;
    int failed_runs[BFT_PROP_COUNT] = {};
    int checked_runs[BFT_PROP_COUNT] = {};
    uint64_t first_seed[BFT_PROP_COUNT] = {};
    BftClusterReport first[BFT_PROP_COUNT];
    uint64_t executions = 0, view_changes = 0;
    double seconds = 0;
};

static const PropertyResults &run_all(void)
{
    static PropertyResults res;
    if (res.done) return res;
    res.done = true;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t seed = FIRST_SEED; seed < FIRST_SEED + SCHEDULES; seed++) {
        BftClusterParams p;
        bft_cluster_params(seed, &p);
        BftClusterOptions o{nullptr, false, 0, 40};
        BftClusterReport rep;
        if (bft_cluster_run(seed, &p, &o, &rep) < 0) fail_msg("schedule %" PRIu64 ": %s", seed, rep.first_violation[0].c_str());
        res.executions += rep.executions;
        res.view_changes += rep.view_changes;
        for (int k = 0; k < BFT_PROP_COUNT; k++) {
            res.checked_runs[k] += rep.checked[k];
            if (!rep.violated[k]) continue;
            if (res.failed_runs[k]++ == 0) {
                res.first_seed[k] = seed;
                res.first[k] = rep;
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    res.seconds = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "%" PRIu64 " schedules checked in %.2f s (%.0f schedules/s): %" PRIu64 " executions, %" PRIu64 " view changes\n",
            SCHEDULES, res.seconds, res.seconds > 0 ? SCHEDULES / res.seconds : 0.0, res.executions, res.view_changes);
    return res;
}

static void check_property(BftProperty prop)
{
    const PropertyResults &res = run_all();
    // The schedules must exercise the protocol, or a property holding means nothing.
    if (res.executions < SCHEDULES * 6 || res.view_changes < SCHEDULES / 4)
        fail_msg("over %" PRIu64 " schedules only %" PRIu64 " executions and %" PRIu64 " view changes: the cluster barely runs "
                 "(are requests pre-prepared, votes counted, timers armed?)", SCHEDULES, res.executions, res.view_changes);
    if (res.checked_runs[prop] < 20)
        fail_msg("%s was checked in only %d schedules", bft_property_name(prop), res.checked_runs[prop]);
    if (res.failed_runs[prop] == 0) return;
    uint64_t seed = res.first_seed[prop];
    BftClusterParams p;
    bft_cluster_params(seed, &p);
    fprintf(stderr,
            "%s violated in %d of %d schedules; first: seed %" PRIu64 " (%d replicas, drop %.2f, dup %.2f, GST %" PRIu64 " ms)\n  %s\n"
            "last events before it:\n%s"
            "replay it: bft_sim --seed %" PRIu64 "   (add --verbose for every message)\n",
            bft_property_name(prop), res.failed_runs[prop], res.checked_runs[prop], seed, p.n, p.drop, p.duplicate, p.gst_ms,
            res.first[prop].first_violation[prop].c_str(), res.first[prop].trace[prop].c_str(), seed);
    fail_msg("%s violated (seed %" PRIu64 "): %s", bft_property_name(prop), seed, res.first[prop].first_violation[prop].c_str());
}

void test_prop_agreement(void **) { check_property(BFT_PROP_AGREEMENT); }
void test_prop_execution_order(void **) { check_property(BFT_PROP_ORDER); }
void test_prop_liveness_after_gst(void **) { check_property(BFT_PROP_LIVENESS); }
void test_prop_faulty_primary_replaced(void **) { check_property(BFT_PROP_REPLACED); }
