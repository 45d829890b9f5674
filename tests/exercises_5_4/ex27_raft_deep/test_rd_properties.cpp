// test_rd_properties.cpp — Raft's safety properties and liveness after healing, checked after every
// event of SCHEDULES seeded runs with loss, delay, duplication, partitions, crashes, membership
// changes and snapshots (rd_cluster.cpp); one scored test per property. The runs happen once per
// process and stop at the first schedule that violates the property under test; a failure prints the
// seed, the first violation, the events before it and the replay line.
#include "rd_cluster.h"
#include "rd_test_util.h"

#include <cinttypes>

static const uint64_t SCHEDULES = 300;
static const uint64_t FIRST_SEED = 1;

struct PropertyResults {
    bool done = false;
    int failed_runs[RD_PROP_COUNT] = {};
    uint64_t first_seed[RD_PROP_COUNT] = {};
    RdClusterReport first[RD_PROP_COUNT];
    uint64_t commits = 0, leaders = 0, changes = 0, snapshots = 0, installs = 0;
};

static const PropertyResults &run_all(RdProperty prop)
{
    static PropertyResults res;
    if (res.done) return res;
    res.done = true;
    for (uint64_t seed = FIRST_SEED; seed < FIRST_SEED + SCHEDULES; seed++) {
        RdClusterParams p;
        rd_cluster_params(seed, &p);
        RdClusterOptions o{nullptr, false, 0, 40, nullptr};
        RdClusterReport rep;
        if (rd_cluster_run(seed, &p, &o, &rep) < 0)
            fail_msg("schedule %" PRIu64 ": %s", seed, rep.first_violation[0].c_str());
        res.commits += rep.commits;
        res.leaders += rep.leaders;
        res.changes += rep.config_changes;
        res.snapshots += rep.snapshots;
        res.installs += rep.installs;
        for (int k = 0; k < RD_PROP_COUNT; k++) {
            if (!rep.violated[k]) continue;
            if (res.failed_runs[k]++ == 0) {
                res.first_seed[k] = seed;
                res.first[k] = rep;
            }
        }
        if (res.failed_runs[prop]) break; // the first counterexample is the one to show
    }
    return res;
}

static void check_property(RdProperty prop)
{
    const PropertyResults &res = run_all(prop);
    // The schedules must exercise what they claim to, or a property holding means nothing.
    if (res.failed_runs[prop] == 0 && (res.leaders < SCHEDULES || res.commits < SCHEDULES * 5 || res.changes < SCHEDULES || res.snapshots < SCHEDULES ||
        res.installs < SCHEDULES / 4))
        fail_msg("over %" PRIu64 " schedules only %" PRIu64 " leaders, %" PRIu64 " commits, %" PRIu64
                 " completed membership changes, %" PRIu64 " snapshots and %" PRIu64 " installed snapshots: the "
                 "cluster barely runs (are timers armed, messages answered, changes and compaction done?)",
                 SCHEDULES, res.leaders, res.commits, res.changes, res.snapshots, res.installs);
    if (res.failed_runs[prop] == 0) return;
    uint64_t seed = res.first_seed[prop];
    RdClusterParams p;
    rd_cluster_params(seed, &p);
    fprintf(stderr,
            "%s violated (schedules %" PRIu64 "..%" PRIu64 " run in order, stopping at the first); seed %" PRIu64
            " (%d servers, members {1..%d}, drop %.2f, dup %.2f, delay %" PRIu64 "-%" PRIu64 " ms, membership %s, "
            "compaction every %" PRIu64 ")\n  %s\nlast events before it:\n%s"
            "replay it: raft_deep_sim --seed %" PRIu64 "   (add --verbose for every message)\n",
            rd_property_name(prop), FIRST_SEED, FIRST_SEED + SCHEDULES - 1, seed, p.slots, p.initial_members, p.drop,
            p.duplicate, p.delay_min_ms, p.delay_max_ms, p.membership ? "on" : "off", p.snapshot_threshold,
            res.first[prop].first_violation[prop].c_str(), res.first[prop].trace[prop].c_str(), seed);
    fail_msg("%s violated in schedule %" PRIu64 " (replay: raft_deep_sim --seed %" PRIu64 ")", rd_property_name(prop),
             seed, seed);
}

void test_prop_election_safety(void **) { check_property(RD_PROP_ELECTION_SAFETY); }
void test_prop_log_matching(void **) { check_property(RD_PROP_LOG_MATCHING); }
void test_prop_leader_completeness(void **) { check_property(RD_PROP_LEADER_COMPLETENESS); }
void test_prop_state_machine_safety(void **) { check_property(RD_PROP_STATE_MACHINE_SAFETY); }
void test_prop_liveness_after_heal(void **) { check_property(RD_PROP_LIVENESS); }
