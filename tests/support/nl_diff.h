// nl_diff.h — differential tests: seeded random sequences of operations applied to the submission
// and to the reference oracle (mk/exercise.mk ORACLE_SRCS), observables compared after each step,
// a difference shrunk to its shortest failing sequence and reported with its seed.
//
//   static const nl_diff_ops ops = {sizeof(my_op), &ctx, my_reset, my_gen, my_apply_sub,
//                                   my_apply_oracle, my_compare, my_print};
//   NL_DIFF_CHECK(&ops, nl_diff_config{1, 200, 40});   // seeds 1..200, 40 operations each
//
// An operation is a plain struct of op_size bytes (copied with memcpy). Shrinking replays subsets of
// a sequence from a fresh state, so an operation must stay meaningful whatever ran before it: refer
// to existing things by index modulo the current count, or by name from a small fixed alphabet,
// never by a pointer or a value the generator saw in the state.
#pragma once
#include "nl_sim.h"
#include "nl_test.h"

#include <cstddef>
#include <cstdio>
#include <cstdint>

struct nl_diff_ops {
    size_t op_size;
    void *ctx;
    void (*reset)(void *ctx);                              // fresh submission and oracle states
    void (*gen)(void *ctx, nl_rng *rng, void *op);         // one random operation the README allows
    void (*apply_sub)(void *ctx, const void *op);          // to the submission (keep its results in ctx)
    void (*apply_oracle)(void *ctx, const void *op);       // to the oracle
    // Compares every observable the README fixes after op; false with the first difference
    // ("vc_get(B): submission 3, reference 2") written to diff (cap bytes, NUL-terminated).
    bool (*compare)(void *ctx, const void *op, char *diff, size_t cap);
    void (*print)(void *ctx, const void *op, char *out, size_t cap); // one line, e.g. "tick A"
};

struct nl_diff_config {
    uint64_t first_seed; // seeds first_seed .. first_seed + seeds - 1
    int seeds;
    int ops;             // operations per seed
};

// Runs the seeds. Returns 0 when submission and oracle agree everywhere; otherwise 1 with a report
// in report (cap bytes): the seed, the shrunk sequence (numbered, one line per op) and the
// difference seen after its last operation.
int nl_diff_run(const nl_diff_ops *ops, const nl_diff_config *cfg, char *report, size_t cap);

// Replays one sequence (n ops, op_size bytes each) from a fresh state: the index of the first
// operation after which the sides differ (diff filled), or -1 when they agree.
long nl_diff_replay(const nl_diff_ops *ops, const void *seq, size_t n, char *diff, size_t cap);

// Fails the calling CMocka test, at the caller's line, with the report of nl_diff_run.
#define NL_DIFF_CHECK(ops, ...)                                              \
    do {                                                                     \
        static char nl_diff_report_[16384];                                  \
        nl_diff_config nl_diff_cfg_ = __VA_ARGS__;                           \
        if (nl_diff_run((ops), &nl_diff_cfg_, nl_diff_report_, sizeof nl_diff_report_)) \
            fail_msg("%s", nl_diff_report_);                                 \
    } while (0)

// Inside a compare callback (its parameters named diff and cap): says what differs and returns false.
//   if (sub.term != ref.term) NL_DIFF_REPORT("term %llu, reference %llu", ...);
#define NL_DIFF_REPORT(...)                   \
    do {                                      \
        snprintf(diff, cap, __VA_ARGS__);     \
        return false;                         \
    } while (0)
