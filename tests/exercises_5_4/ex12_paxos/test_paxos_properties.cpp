// test_paxos_properties.cpp — the Paxos properties (README rules R14-R17), checked as events happen
// in SCHEDULES seeded runs of the simulator (odd seeds: Basic Paxos with dueling proposers; even
// seeds: Multi-Paxos; loss, delay, duplication, partitions, crash/restart with durable acceptor
// state; see paxos_cluster.cpp). One scored test per property; the runs happen once per process.
#include "paxos_cluster.h"
#include "paxos_test_util.h"

#include <cinttypes>

static const uint64_t SCHEDULES = 600;
static const uint64_t FIRST_SEED = 1;

struct PropertyResults {
    bool done = false;
    int failed_runs[PAXOS_PROP_COUNT] = {};
    uint64_t first_seed[PAXOS_PROP_COUNT] = {};
    PaxosClusterReport first[PAXOS_PROP_COUNT];
    uint64_t chosen = 0, learned = 0;
};

static const PropertyResults &run_all(void)
{
    static PropertyResults res;
    if (res.done) return res;
    res.done = true;
    for (uint64_t seed = FIRST_SEED; seed < FIRST_SEED + SCHEDULES; seed++) {
        PaxosClusterParams p;
        paxos_cluster_params(seed, &p);
        PaxosClusterOptions o{nullptr, false, 0, 40};
        PaxosClusterReport rep;
        if (paxos_cluster_run(seed, &p, &o, &rep) < 0) fail_msg("schedule %" PRIu64 ": %s", seed, rep.first_violation[0].c_str());
        res.chosen += rep.chosen_slots;
        res.learned += rep.learned;
        for (int k = 0; k < PAXOS_PROP_COUNT; k++) {
            if (!rep.violated[k]) continue;
            if (res.failed_runs[k]++ == 0) {
                res.first_seed[k] = seed;
                res.first[k] = rep;
            }
        }
    }
    return res;
}

static void check_property(PaxosProperty prop)
{
    const PropertyResults &res = run_all();
    // The schedules must exercise the protocol, or a property holding means nothing.
    if (res.chosen < SCHEDULES * 5 || res.learned < SCHEDULES * 10)
        fail_msg("over %" PRIu64 " schedules only %" PRIu64 " slots chosen and %" PRIu64 " values learned: the cluster "
                 "barely runs (are promises counted and accepts answered?)", SCHEDULES, res.chosen, res.learned);
    if (res.failed_runs[prop] == 0) return;
    uint64_t seed = res.first_seed[prop];
    PaxosClusterParams p;
    paxos_cluster_params(seed, &p);
    fprintf(stderr,
            "%s violated in %d of %" PRIu64 " schedules; first: seed %" PRIu64
            " (%s, %d acceptors, drop %.2f, dup %.2f, delay %" PRIu64 "-%" PRIu64 " ms)\n  %s\n"
            "last events before it:\n%s"
            "replay it: paxos_sim --seed %" PRIu64 "   (add --verbose for every message)\n",
            paxos_property_name(prop), res.failed_runs[prop], SCHEDULES, seed,
            p.mode == PAXOS_MODE_BASIC ? "Basic Paxos" : "Multi-Paxos", p.nodes, p.drop, p.duplicate, p.delay_min_ms,
            p.delay_max_ms, res.first[prop].first_violation[prop].c_str(), res.first[prop].trace[prop].c_str(), seed);
    fail_msg("%s violated (seed %" PRIu64 ", replay: paxos_sim --seed %" PRIu64 ")", paxos_property_name(prop), seed, seed);
}

void test_prop_agreement(void **) { check_property(PAXOS_PROP_AGREEMENT); }
void test_prop_validity(void **) { check_property(PAXOS_PROP_VALIDITY); }
void test_prop_learners(void **) { check_property(PAXOS_PROP_LEARNERS); }
void test_prop_progress(void **) { check_property(PAXOS_PROP_PROGRESS); }
