// nl_sim.h — a deterministic network simulator for testing distributed protocols (Raft, gossip,
// Paxos, 2PC...): a virtual clock in ms, its own seeded PRNG, a lossy network (drop, delay range,
// duplication, partitions), per-node timers, crashes and restarts, and a trace of the last events.
// Every run is a pure function of its seed and of what the nodes do. No cmocka, no I/O but the
// trace printer, so demo programs can link it too.
//
// Model: nodes 0..n-1 are driven by callbacks. A node sends opaque bytes with nl_sim_send(); the
// network drops each message with probability drop, else delivers it after a delay drawn in
// [delay_min_ms, delay_max_ms], and with probability duplicate delivers a second copy with its own
// delay. A message is lost when, at delivery time, its ends are in different partition groups or
// its destination is down. Events at the same virtual time run in the order they were scheduled.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>

// ---- PRNG: xoshiro256** seeded through splitmix64 (same numbers on every platform) ----
struct nl_rng {
    uint64_t s[4];
};
uint64_t nl_splitmix64(uint64_t *state);           // advances *state, returns the next output
void nl_rng_seed(nl_rng *rng, uint64_t seed);
uint64_t nl_rng_next(nl_rng *rng);                  // 64 random bits
uint64_t nl_rng_below(nl_rng *rng, uint64_t n);     // uniform in [0, n); 0 when n == 0
uint64_t nl_rng_range(nl_rng *rng, uint64_t lo, uint64_t hi); // uniform in [lo, hi] (inclusive)
double nl_rng_unit(nl_rng *rng);                    // uniform in [0, 1), 53 bits
bool nl_rng_chance(nl_rng *rng, double p);          // true with probability p (p <= 0: never)

// ---- the simulator ----
struct nl_sim;

// What the simulator calls; any pointer may be NULL. `ctx` is the pointer given to nl_sim_new.
struct nl_sim_ops {
    void (*on_message)(void *ctx, nl_sim *sim, int node, int from, const void *data, size_t len);
    void (*on_timer)(void *ctx, nl_sim *sim, int node, int timer_id);
    void (*on_crash)(void *ctx, nl_sim *sim, int node);   // the node just went down
    void (*on_restart)(void *ctx, nl_sim *sim, int node); // the node is up again (re-arm timers here)
    // Writes a short human description of a message for the trace (called only when printing).
    void (*describe)(void *ctx, const void *data, size_t len, char *buf, size_t buflen);
};

struct nl_sim_net {
    double drop;           // probability that a sent message is lost
    double duplicate;      // probability that a delivered message is delivered twice
    uint64_t delay_min_ms; // each copy's delay is uniform in [delay_min_ms, delay_max_ms]
    uint64_t delay_max_ms;
};

struct nl_sim_stats {
    uint64_t sent, delivered, dropped, duplicated, timers_fired, events;
};

// A new simulator with `nodes` nodes (1..4096), all up, in one partition group, at time 0, with a
// perfect network (no loss, 1 ms delay). Returns NULL on a bad argument.
nl_sim *nl_sim_new(int nodes, uint64_t seed, const nl_sim_ops *ops, void *ctx);
void nl_sim_free(nl_sim *sim);

int nl_sim_nodes(const nl_sim *sim);
uint64_t nl_sim_now(const nl_sim *sim);        // virtual time, ms
nl_rng *nl_sim_rng(nl_sim *sim);               // the simulator's PRNG, for harness decisions too
nl_sim_stats nl_sim_get_stats(const nl_sim *sim);

// Changes the network's behaviour from now on (messages in flight keep their delivery time).
// Returns -1 (and changes nothing) when a probability is outside [0,1] or min > max.
int nl_sim_set_net(nl_sim *sim, const nl_sim_net *net);

// Sends `len` bytes (copied) from node `from` to node `to`. A down sender sends nothing.
void nl_sim_send(nl_sim *sim, int from, int to, const void *data, size_t len);

// (Re)arms timer `timer_id` (any int) of `node` to fire after delay_ms; arming replaces the
// previous deadline of that timer. Cancelled with nl_sim_cancel_timer, and by a crash; ignored
// for a node that is down (on_restart re-arms what it needs).
void nl_sim_set_timer(nl_sim *sim, int node, int timer_id, uint64_t delay_ms);
void nl_sim_cancel_timer(nl_sim *sim, int node, int timer_id);

// Calls fn(arg, sim) at now + delay_ms: scripted faults, client requests, checks.
void nl_sim_at(nl_sim *sim, uint64_t delay_ms, void (*fn)(void *arg, nl_sim *sim), void *arg);

// Partitions: the `count` nodes listed form a new group that can talk only among themselves
// (the others keep their groups). nl_sim_heal puts every node back in one group.
void nl_sim_partition(nl_sim *sim, const int *nodes, size_t count);
void nl_sim_heal(nl_sim *sim);
bool nl_sim_can_talk(const nl_sim *sim, int a, int b);

// A crash cancels the node's timers and loses every message delivered to it while down;
// a restart calls on_restart. Both are no-ops when the node is already in that state.
void nl_sim_crash(nl_sim *sim, int node);
void nl_sim_restart(nl_sim *sim, int node);
bool nl_sim_is_up(const nl_sim *sim, int node);

// Runs the next event; false when there is none.
bool nl_sim_step(nl_sim *sim);
// Runs every event due at or before time t, then sets the clock to t (when t > now).
void nl_sim_run_until(nl_sim *sim, uint64_t t);

// Adds a harness line to the trace (e.g. "node 2 is leader of term 3"); printf-style.
void nl_sim_note(nl_sim *sim, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// The trace keeps the last `keep` events (default 64; 0 turns tracing off).
void nl_sim_trace_keep(nl_sim *sim, size_t keep);
// Prints the kept events, oldest first, at most the last `last_k` of them (0 = all kept).
void nl_sim_trace_print(const nl_sim *sim, FILE *out, size_t last_k);
// How the trace names things: node i is printed as i + base (for protocols whose ids start at 1),
// and a timer id as the given name instead of its number.
void nl_sim_trace_node_base(nl_sim *sim, int base);
void nl_sim_trace_timer_name(nl_sim *sim, int timer_id, const char *name);
// When set, every event is also printed to `out` as it happens (NULL turns it off).
void nl_sim_trace_live(nl_sim *sim, FILE *out);
