// test_raft_properties.cpp — Raft's safety and liveness properties, checked after every event of
// SCHEDULES seeded runs in the simulator (loss, delay, duplication, partitions, crashes; see
// raft_cluster.cpp), one scored test per property, each stopping at its property's first violation.
#include "raft_cluster.h"
#include "raft_test_util.h"

#include <cinttypes>

static const uint64_t SCHEDULES = 240;
static const uint64_t FIRST_SEED = 1;

// Runs the schedules in order until one violates `prop`: a broken node stops costing time as soon
// as the bug shows (each run also ends at that violation), and the matrix stays the same.
static void check_property(RaftProperty prop)
{
    uint64_t commits = 0, leaders = 0;
    for (uint64_t seed = FIRST_SEED; seed < FIRST_SEED + SCHEDULES; seed++) {
        RaftClusterParams p;
        raft_cluster_params(seed, &p);
        RaftClusterOptions o{nullptr, false, 0, 40, 1u << prop};
        RaftClusterReport rep;
        if (raft_cluster_run(seed, &p, &o, &rep) < 0)
            fail_msg("schedule %" PRIu64 ": %s", seed, rep.first_violation[0].c_str());
        commits += rep.commits;
        leaders += rep.leaders;
        if (!rep.violated[prop]) continue;
        fprintf(stderr,
                "%s violated; first: seed %" PRIu64 " (%d nodes, drop %.2f, dup %.2f, delay %" PRIu64 "-%" PRIu64
                " ms)\n  %s\nlast events before it:\n%s"
                "replay it: raft_sim --seed %" PRIu64 "   (add --verbose for every message)\n",
                raft_property_name(prop), seed, p.nodes, p.drop, p.duplicate, p.delay_min_ms, p.delay_max_ms,
                rep.first_violation[prop].c_str(), rep.trace[prop].c_str(), seed);
        fail_msg("%s violated in schedule %" PRIu64 " (%s); replay it: raft_sim --seed %" PRIu64,
                 raft_property_name(prop), seed, rep.first_violation[prop].c_str(), seed);
    }
    // The schedules must exercise the protocol, or a property holding means nothing.
    if (leaders < SCHEDULES || commits < SCHEDULES * 5)
        fail_msg("over %" PRIu64 " schedules only %" PRIu64 " leaders and %" PRIu64 " commits: the cluster "
                 "barely runs (are timers armed and messages answered?)", SCHEDULES, leaders, commits);
}

void test_prop_election_safety(void **) { check_property(RAFT_PROP_ELECTION_SAFETY); }
void test_prop_log_matching(void **) { check_property(RAFT_PROP_LOG_MATCHING); }
void test_prop_leader_completeness(void **) { check_property(RAFT_PROP_LEADER_COMPLETENESS); }
void test_prop_state_machine_safety(void **) { check_property(RAFT_PROP_STATE_MACHINE_SAFETY); }
void test_prop_committed_durable(void **) { check_property(RAFT_PROP_COMMITTED_DURABLE); }
void test_prop_liveness_after_heal(void **) { check_property(RAFT_PROP_LIVENESS); }
