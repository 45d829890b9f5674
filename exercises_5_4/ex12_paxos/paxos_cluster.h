// paxos_cluster.h — runs the EX12 Paxos roles in the deterministic simulator (nl_sim) under a fault
// schedule derived from a seed, and checks Paxos's properties after every event. Shared by the test
// suite (properties over many seeds) and by paxos_sim (one seed, as a timeline), so
// `paxos_sim --seed S` replays exactly what the suite ran for seed S.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

enum PaxosClusterMode {
    PAXOS_MODE_BASIC, // single decree: every node is acceptor, learner and a dueling proposer
    PAXOS_MODE_MULTI, // a replicated log: leader election by timeout, phase 2 per slot, catch-up
};

// The fault schedule of one run. paxos_cluster_params() derives every field from the seed.
struct PaxosClusterParams {
    PaxosClusterMode mode;          // odd seeds: basic, even seeds: multi
    int nodes;                      // acceptors (ids 0..nodes-1), 1..9
    double drop, duplicate;         // network loss and duplication during the faulty phase
    uint64_t delay_min_ms, delay_max_ms;
    bool partitions, crashes;       // what the fault injector may do
    uint64_t fault_ms;              // length of the faulty phase
    uint64_t heal_deadline_ms;      // after healing: virtual time allowed for progress
    uint64_t propose_every_ms;      // multi: a client request to the leader this often
};

enum PaxosProperty {
    PAXOS_PROP_AGREEMENT, // at most one value chosen per slot (chosen: accepted by a majority under one proposal)
    PAXOS_PROP_VALIDITY,  // only a proposed value (or, in the log, a no-op) is ever chosen
    PAXOS_PROP_LEARNERS,  // a learner learns only the chosen value, never changes its mind, applies in order
    PAXOS_PROP_PROGRESS,  // once the network heals, a value is chosen and every node learns it
    PAXOS_PROP_COUNT
};
const char *paxos_property_name(PaxosProperty p);

struct PaxosClusterReport {
    bool violated[PAXOS_PROP_COUNT];
    std::string first_violation[PAXOS_PROP_COUNT]; // what went wrong, when
    std::string trace[PAXOS_PROP_COUNT];           // the last simulator events before it
    uint64_t prepares, chosen_slots, learned, events, end_ms;
};

struct PaxosClusterOptions {
    FILE *timeline;     // when set: phase 1 rounds, leaders, choices and faults as they happen
    bool verbose;       // with timeline: also every simulator event (deliveries, drops, timers)
    uint64_t max_steps; // stop after this many simulator events (0 = run the whole schedule)
    size_t trace_keep;  // events kept for a violation report (0 = 40)
};

void paxos_cluster_params(uint64_t seed, PaxosClusterParams *params);
// Runs one schedule; returns the number of properties violated (0: all held), -1 when the
// parameters are invalid (the message goes to the report's first_violation[0]).
int paxos_cluster_run(uint64_t seed, const PaxosClusterParams *params, const PaxosClusterOptions *opts,
                      PaxosClusterReport *report);
