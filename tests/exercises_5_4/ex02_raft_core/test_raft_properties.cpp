// test_raft_properties.cpp — Raft's safety and liveness properties, checked after every event of
// SCHEDULES seeded runs in the simulator (loss, delay, duplication, partitions, crashes; see
// raft_cluster.cpp), one scored test per property. The runs happen once per process.
#include "raft_cluster.h"
#include "raft_test_util.h"

#include <cinttypes>

static const uint64_t SCHEDULES = 240;
static const uint64_t FIRST_SEED = 1;

struct PropertyResults {
    bool done = false;
    int failed_runs[RAFT_PROP_COUNT] = {};
    uint64_t first_seed[RAFT_PROP_COUNT] = {};
    RaftClusterReport first[RAFT_PROP_COUNT];
    uint64_t commits = 0, leaders = 0;
};

static const PropertyResults &run_all(void)
{
    static PropertyResults res;
    if (res.done) return res;
    res.done = true;
    for (uint64_t seed = FIRST_SEED; seed < FIRST_SEED + SCHEDULES; seed++) {
        RaftClusterParams p;
        raft_cluster_params(seed, &p);
        RaftClusterOptions o{nullptr, false, 0, 40};
        RaftClusterReport rep;
        if (raft_cluster_run(seed, &p, &o, &rep) < 0) fail_msg("schedule %" PRIu64 ": %s", seed, rep.first_violation[0].c_str());
        res.commits += rep.commits;
        res.leaders += rep.leaders;
        for (int k = 0; k < RAFT_PROP_COUNT; k++) {
            if (!rep.violated[k]) continue;
            if (res.failed_runs[k]++ == 0) {
                res.first_seed[k] = seed;
                res.first[k] = rep;
            }
        }
    }
    return res;
}

static void check_property(RaftProperty prop)
{
    const PropertyResults &res = run_all();
    // The schedules must exercise the protocol, or a property holding means nothing.
    if (res.leaders < SCHEDULES || res.commits < SCHEDULES * 5)
        fail_msg("over %" PRIu64 " schedules only %" PRIu64 " leaders and %" PRIu64 " commits: the cluster "
                 "barely runs (are timers armed and messages answered?)", SCHEDULES, res.leaders, res.commits);
    if (res.failed_runs[prop] == 0) return;
    uint64_t seed = res.first_seed[prop];
    RaftClusterParams p;
    raft_cluster_params(seed, &p);
    fprintf(stderr,
            "%s violated in %d of %" PRIu64 " schedules; first: seed %" PRIu64
            " (%d nodes, drop %.2f, dup %.2f, delay %" PRIu64 "-%" PRIu64 " ms)\n  %s\n"
            "last events before it:\n%s"
            "replay it: raft_sim --seed %" PRIu64 "   (add --verbose for every message)\n",
            raft_property_name(prop), res.failed_runs[prop], SCHEDULES, seed, p.nodes, p.drop, p.duplicate,
            p.delay_min_ms, p.delay_max_ms, res.first[prop].first_violation[prop].c_str(),
            res.first[prop].trace[prop].c_str(), seed);
    fail_msg("%s violated (seed %" PRIu64 ")", raft_property_name(prop), seed);
}

void test_prop_election_safety(void **) { check_property(RAFT_PROP_ELECTION_SAFETY); }
void test_prop_log_matching(void **) { check_property(RAFT_PROP_LOG_MATCHING); }
void test_prop_leader_completeness(void **) { check_property(RAFT_PROP_LEADER_COMPLETENESS); }
void test_prop_state_machine_safety(void **) { check_property(RAFT_PROP_STATE_MACHINE_SAFETY); }
void test_prop_committed_durable(void **) { check_property(RAFT_PROP_COMMITTED_DURABLE); }
void test_prop_liveness_after_heal(void **) { check_property(RAFT_PROP_LIVENESS); }
