// test_diff.cpp — tests of tests/support/nl_diff: agreement passes, a difference is found, shrunk to
// its shortest sequence and reported with its seed, the same way on every run.
#include "common_tests.h"
#include "nl_diff.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {
// A stack of ints on both sides; the "submission" may carry a planted bug.
struct stack_op {
    int push;   // 1: push value, 0: pop
    int value;
};
struct stack_ctx {
    std::vector<int> sub, ref;
    int sub_popped = 0, ref_popped = 0;
    bool bug_pop_third = false; // pops the bottom instead of the top when exactly 3 are stacked
    int resets = 0;
};

void s_reset(void *c)
{
    stack_ctx *x = (stack_ctx *)c;
    x->sub.clear();
    x->ref.clear();
    x->sub_popped = x->ref_popped = -1;
    x->resets++;
}
void s_gen(void *, nl_rng *rng, void *o)
{
    stack_op *op = (stack_op *)o;
    op->push = nl_rng_chance(rng, 0.6);
    op->value = (int)nl_rng_below(rng, 10);
}
void pop_into(std::vector<int> *v, int *popped, bool bottom)
{
    if (v->empty()) {
        *popped = -1;
        return;
    }
    if (bottom) {
        *popped = v->front();
        v->erase(v->begin());
    } else {
        *popped = v->back();
        v->pop_back();
    }
}
void s_sub(void *c, const void *o)
{
    stack_ctx *x = (stack_ctx *)c;
    const stack_op *op = (const stack_op *)o;
    if (op->push) x->sub.push_back(op->value);
    else pop_into(&x->sub, &x->sub_popped, x->bug_pop_third && x->sub.size() == 3);
}
void s_ref(void *c, const void *o)
{
    stack_ctx *x = (stack_ctx *)c;
    const stack_op *op = (const stack_op *)o;
    if (op->push) x->ref.push_back(op->value);
    else pop_into(&x->ref, &x->ref_popped, false);
}
bool s_compare(void *c, const void *o, char *diff, size_t cap)
{
    stack_ctx *x = (stack_ctx *)c;
    const stack_op *op = (const stack_op *)o;
    if (!op->push && x->sub_popped != x->ref_popped) {
        snprintf(diff, cap, "pop: submission %d, reference %d", x->sub_popped, x->ref_popped);
        return false;
    }
    if (x->sub != x->ref) {
        snprintf(diff, cap, "stacks differ (%zu vs %zu items)", x->sub.size(), x->ref.size());
        return false;
    }
    return true;
}
void s_print(void *, const void *o, char *out, size_t cap)
{
    const stack_op *op = (const stack_op *)o;
    if (op->push) snprintf(out, cap, "push %d", op->value);
    else snprintf(out, cap, "pop");
}
nl_diff_ops stack_ops(stack_ctx *x)
{
    return nl_diff_ops{sizeof(stack_op), x, s_reset, s_gen, s_sub, s_ref, s_compare, s_print};
}
} // namespace

void test_diff_agreement_passes(void **)
{
    stack_ctx x;
    nl_diff_ops ops = stack_ops(&x);
    nl_diff_config cfg = {1, 20, 30};
    char report[4096] = "untouched";
    int rc = nl_diff_run(&ops, &cfg, report, sizeof report);
    if (rc != 0 || report[0] != '\0')
        fail_msg("identical sides over seeds 1..20: expected 0 and an empty report, got %d and \"%s\"", rc, report);
    if (x.resets != 20) fail_msg("20 seeds, no difference: expected 20 resets (one per seed), got %d", x.resets);
}

void test_diff_finds_and_shrinks(void **)
{
    stack_ctx x;
    x.bug_pop_third = true;
    nl_diff_ops ops = stack_ops(&x);
    nl_diff_config cfg = {1, 50, 40};
    char report[4096];
    if (nl_diff_run(&ops, &cfg, report, sizeof report) != 1)
        fail_msg("pop of the bottom at 3 items, 50 seeds of 40 ops: expected a difference, none reported");
    // The shortest failing sequence is three pushes then a pop whose bottom and top differ.
    std::string r = report;
    const char *want_head = "differential test: submission and reference differ with seed ";
    if (r.rfind(want_head, 0) != 0) fail_msg("report should start \"%s\", got:\n%s", want_head, report);
    if (r.find(" after 4 operation(s) ") == std::string::npos)
        fail_msg("report should give the shrunk length 4 (3 pushes, 1 pop), got:\n%s", report);
    size_t p1 = r.find("\n  1. push "), p3 = r.find("\n  3. push "), p4 = r.find("\n  4. pop\n");
    if (p1 == std::string::npos || p3 == std::string::npos || p4 == std::string::npos || r.find("\n  5.") != std::string::npos)
        fail_msg("report should list exactly \"1. push\" .. \"3. push\", \"4. pop\", got:\n%s", report);
    if (r.find("after operation 4: pop: submission ") == std::string::npos)
        fail_msg("report should end with the difference after operation 4, got:\n%s", report);
    // Deterministic: a second run gives the same report, byte for byte.
    char again[4096];
    nl_diff_run(&ops, &cfg, again, sizeof again);
    if (strcmp(report, again) != 0) fail_msg("two runs of the same seeds gave different reports:\n%s\n---\n%s", report, again);
}

void test_diff_replay_points_at_first_difference(void **)
{
    stack_ctx x;
    x.bug_pop_third = true;
    nl_diff_ops ops = stack_ops(&x);
    stack_op seq[] = {{1, 1}, {1, 2}, {0, 0}, {1, 3}, {1, 4}, {0, 0}, {0, 0}};
    char diff[256];
    // sizes: 1 2 1 2 3 -> pop at 3 items (index 5) takes the bottom (1) instead of the top (4)
    long at = nl_diff_replay(&ops, seq, 7, diff, sizeof diff);
    if (at != 5 || strcmp(diff, "pop: submission 1, reference 4") != 0)
        fail_msg("replay of push1 push2 pop push3 push4 pop pop: expected index 5 \"pop: submission 1, reference 4\", got %ld \"%s\"",
                 at, diff);
    at = nl_diff_replay(&ops, seq, 5, diff, sizeof diff);
    if (at != -1) fail_msg("replay of the first 5 ops (no pop at 3 items): expected -1, got %ld (\"%s\")", at, diff);
}
