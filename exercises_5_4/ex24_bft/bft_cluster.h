// bft_cluster.h — runs a PBFT cluster (bft_replica.cpp) with f Byzantine replicas in the
// deterministic simulator (nl_sim) under a schedule derived from a seed, and checks agreement, order
// and liveness as it goes. Shared by the test suite and by bft_sim, so `bft_sim --seed S` replays
// exactly what the suite ran for seed S.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

enum BftBehavior {
    BYZ_SILENT,     // sends nothing at all
    BYZ_EQUIVOCATE, // as primary: request X to half the replicas, request Y to the others; votes for both
    BYZ_FORGE,      // spoofs other replicas' PREPARE/COMMIT with its own key, forges certificates
    BYZ_REPLAY,     // follows the protocol, and re-sends old messages it saw to random replicas
    BYZ_LIE,        // as primary: X to one replica, Y to another, nothing to the rest; lying NEW_VIEWs
    BYZ_COUNT
};
const char *bft_behavior_name(BftBehavior b);

enum { BFT_CLUSTER_MAX = 16 };

// One schedule. bft_cluster_params() derives every field from the seed.
struct BftClusterParams {
    int n;                           // replicas (4, 5 or 7)
    int byz_count;                   // = max faults of n
    int byz[BFT_CLUSTER_MAX];        // which replicas are Byzantine
    BftBehavior behavior[BFT_CLUSTER_MAX]; // per replica id (honest ones: unused)
    double drop, duplicate;          // before GST
    uint64_t delay_min_ms, delay_max_ms; // before GST; after GST delays are 1..delay_max_ms/2+1
    bool partition;                  // one honest replica cut off for a while before GST
    uint64_t gst_ms;                 // global stabilisation time: no loss, no partition after it
    int requests;                    // client requests, sent at random times up to gst_ms + 1000
    uint64_t timeout_ms;             // view-change timeout T
    uint64_t end_ms;                 // when the run stops and liveness is judged
};

enum BftProperty {
    BFT_PROP_AGREEMENT, // honest replicas never execute different requests at the same seq
    BFT_PROP_ORDER,     // each honest replica executes seq 1, 2, 3... each once, in order
    BFT_PROP_LIVENESS,  // every request is executed by >= f+1 honest replicas by end_ms
    BFT_PROP_REPLACED,  // a silent or lying view-0 primary is replaced: f+1 honest replicas end in a
                        // view > 0 whose primary is honest, not changing views
    BFT_PROP_COUNT
};
const char *bft_property_name(BftProperty p);

struct BftClusterReport {
    bool violated[BFT_PROP_COUNT];
    bool checked[BFT_PROP_COUNT];               // REPLACED only applies to some schedules
    std::string first_violation[BFT_PROP_COUNT];
    std::string trace[BFT_PROP_COUNT];
    uint64_t executions, view_changes, max_view, events, messages, end_ms;
};

struct BftClusterOptions {
    FILE *timeline;     // when set: requests, views, executions and faults as they happen
    bool verbose;       // with timeline: every simulator event too
    uint64_t max_steps; // stop after this many simulator events (0: the whole schedule)
    size_t trace_keep;  // events kept for a violation report (0: 40)
};

void bft_cluster_params(uint64_t seed, BftClusterParams *params);
// Runs one schedule; returns the number of properties violated, -1 on invalid parameters.
int bft_cluster_run(uint64_t seed, const BftClusterParams *params, const BftClusterOptions *opts,
                    BftClusterReport *report);
