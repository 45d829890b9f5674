// raft_cluster.h — runs a cluster of RaftCore nodes in the deterministic simulator (nl_sim) under a
// fault schedule derived from a seed, and checks Raft's safety and liveness properties as it goes.
// Shared by the test suite (properties over many seeds) and by raft_sim (one seed, as a timeline),
// so `raft_sim --seed S` replays exactly what the suite ran for seed S.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

// The fault schedule of one run. raft_cluster_params() derives every field from the seed.
struct RaftClusterParams {
    int nodes;                    // 1..9
    double drop, duplicate;       // network loss and duplication during the faulty phase
    uint64_t delay_min_ms, delay_max_ms;
    bool partitions, crashes;     // what the fault injector may do
    uint64_t fault_ms;            // length of the faulty phase
    uint64_t heal_deadline_ms;    // after healing: time allowed to elect and commit a new command
    uint64_t propose_every_ms;    // client proposals to every node that believes it leads
};

enum RaftProperty {
    RAFT_PROP_ELECTION_SAFETY,      // at most one leader per term
    RAFT_PROP_LOG_MATCHING,         // same index and term => same command and same prefix
    RAFT_PROP_LEADER_COMPLETENESS,  // a new leader holds every entry committed before
    RAFT_PROP_STATE_MACHINE_SAFETY, // every node applies the same command at an index, in order
    RAFT_PROP_COMMITTED_DURABLE,    // a committed entry is on a majority and never leaves a log
    RAFT_PROP_LIVENESS,             // after healing: a leader, and a new proposal applied everywhere
    RAFT_PROP_COUNT
};
const char *raft_property_name(RaftProperty p);

struct RaftClusterReport {
    bool violated[RAFT_PROP_COUNT];
    std::string first_violation[RAFT_PROP_COUNT]; // what went wrong, when
    std::string trace[RAFT_PROP_COUNT];           // the last simulator events before it
    uint64_t elections, leaders, commits, max_term, events, end_ms;
};

struct RaftClusterOptions {
    FILE *timeline;     // when set: elections, leaders, commits and faults as they happen
    bool verbose;       // with timeline: also every simulator event (deliveries, drops, timers)
    uint64_t max_steps; // stop after this many simulator events (0 = run the whole schedule)
    size_t trace_keep;  // events kept for a violation report (0 = 40)
    // Bit k set: the run ends at the first violation of property k (the suite checks one property
    // per test, so a broken node stops costing time as soon as the bug shows). 0 = run to the end.
    unsigned stop_on = 0;
};

void raft_cluster_params(uint64_t seed, RaftClusterParams *params);
// Runs one schedule; returns 0 when every property held, else the number of properties violated.
// -1 when the parameters are invalid (the message goes to the report's first_violation[0]).
int raft_cluster_run(uint64_t seed, const RaftClusterParams *params, const RaftClusterOptions *opts,
                     RaftClusterReport *report);
