// rd_cluster.h — runs RdNode servers in the deterministic simulator (nl_sim) under a fault schedule
// derived from a seed — loss, delay, duplication, partitions, crashes, membership changes, snapshots —
// and checks Raft's safety and liveness properties as it goes. Shared by the test suite and by the
// raft_deep_sim demo, so `raft_deep_sim --seed S` replays exactly what the suite ran for seed S.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

// The schedule of one run; rd_cluster_params() derives every field from the seed.
struct RdClusterParams {
    int slots;                    // servers that exist (ids 1..slots), 1..7
    int initial_members;          // the initial configuration is {1..initial_members}; the rest are spares
    double drop, duplicate;       // network loss and duplication during the faulty phase
    uint64_t delay_min_ms, delay_max_ms;
    bool partitions, crashes;     // what the fault injector may do
    bool membership;              // whether the harness asks leaders for configuration changes
    uint64_t change_every_ms;     // how often it asks
    uint64_t snapshot_threshold;  // each server compacts once this many applied entries are not in its snapshot
    uint64_t fault_ms;            // length of the faulty phase
    uint64_t heal_deadline_ms;    // after healing: time allowed to finish a change and commit a final command
    uint64_t propose_every_ms;    // client proposals to every server that believes it leads
};

enum RdProperty {
    RD_PROP_ELECTION_SAFETY,      // at most one leader per term, whatever the configurations
    RD_PROP_LOG_MATCHING,         // same index and term => same entry and same preceding term
    RD_PROP_LEADER_COMPLETENESS,  // a new leader holds every entry committed before its election
    RD_PROP_STATE_MACHINE_SAFETY, // every server applies (or restores) the same entry at an index, in order
    RD_PROP_LIVENESS,             // after healing: the change in progress finishes, a final command is applied by all members
    RD_PROP_COUNT
};
const char *rd_property_name(RdProperty p);

struct RdClusterReport {
    bool violated[RD_PROP_COUNT];
    std::string first_violation[RD_PROP_COUNT]; // what went wrong, when
    std::string trace[RD_PROP_COUNT];           // the last simulator events before it
    uint64_t elections, leaders, commits, max_term, events, end_ms;
    uint64_t config_changes;  // C_new entries applied somewhere (changes completed)
    uint64_t snapshots;       // compactions taken
    uint64_t installs;        // InstallSnapshot messages accepted by a follower
};

// Every input a server handles, reported after the call (for the differential tests, which feed the
// same inputs to a second implementation). `msg` and `result` point to the request, reply or
// arguments and to what the call returned, by kind (see rd_cluster.cpp); `outputs` to its RdOutputs.
enum RdInputKind {
    RD_IN_START, RD_IN_RESTART, RD_IN_ELECTION_TIMEOUT, RD_IN_HEARTBEAT_TIMEOUT,
    RD_IN_REQUEST_VOTE, RD_IN_REQUEST_VOTE_REPLY, RD_IN_APPEND_ENTRIES, RD_IN_APPEND_ENTRIES_REPLY,
    RD_IN_INSTALL_SNAPSHOT, RD_IN_INSTALL_SNAPSHOT_REPLY,
    RD_IN_PROPOSE,           // msg: const std::string *command; result: const uint64_t *index
    RD_IN_CHANGE_MEMBERSHIP, // msg: const std::vector<uint64_t> *members; result: const RdChangeResult *
    RD_IN_COMPACT,           // msg: const RdCompactArgs *; result: const size_t *discarded
};
struct RdChangeResult {
    int rc;
    uint64_t index;
};
struct RdCompactArgs {
    size_t threshold;
    std::string state;
};
struct RdClusterObserver {
    void *ctx;
    // node is the server's id (1-based); from the sender's id for messages, else 0.
    void (*input)(void *ctx, uint64_t node, RdInputKind kind, uint64_t from, const void *msg, const void *result,
                  const void *outputs);
};

struct RdClusterOptions {
    FILE *timeline;     // when set: faults, elections, leaders, commits, changes, snapshots as they happen
    bool verbose;       // with timeline: also every simulator event
    uint64_t max_steps; // stop after this many simulator events (0 = the whole schedule)
    size_t trace_keep;  // events kept for a violation report (0 = 40)
    const RdClusterObserver *observer; // may be NULL
};

void rd_cluster_params(uint64_t seed, RdClusterParams *params);
// Runs one schedule; 0 when every property held, else the number of properties violated; -1 when
// the parameters are invalid (the message is in the report's first_violation[0]).
int rd_cluster_run(uint64_t seed, const RdClusterParams *params, const RdClusterOptions *opts,
                   RdClusterReport *report);
