// test_diff.cpp — the EX09 differential test: seeded random sequences of every operation the
// README allows (keys, txns, leases on the virtual clock, watches kept open, compaction, services)
// applied to the submission and to the reference oracle; after each one the response and the whole
// observable state (every key, leases, what each watch received) are compared.
#include "nl_diff.h"
#include "oracle/service_registry.h"
#include "reg_ops.h"
#include "reg_tests.h"

#include <algorithm>
#include <cstring>

namespace side_sub {
#define API
#include "reg_side.inc"
#undef API
} // namespace side_sub
namespace side_ora {
#define API oracle
#include "reg_side.inc"
#undef API
} // namespace side_ora

namespace {
struct ctx {
    side_sub::side s;
    side_ora::side o;
    std::string rs, ro;
};

void reset(void *p)
{
    ctx *x = (ctx *)p;
    side_sub::side_reset(&x->s, true);
    side_ora::side_reset(&x->o, true);
}

void gen(void *, nl_rng *rng, void *op) { reg_op_gen(rng, (reg_test_op *)op, false); }

void apply_sub(void *p, const void *op)
{
    ctx *x = (ctx *)p;
    x->rs = side_sub::side_apply(&x->s, *(const reg_test_op *)op, true);
    x->rs += " || " + side_sub::side_dump(&x->s);
}

void apply_ora(void *p, const void *op)
{
    ctx *x = (ctx *)p;
    x->ro = side_ora::side_apply(&x->o, *(const reg_test_op *)op, true);
    x->ro += " || " + side_ora::side_dump(&x->o);
}

bool compare(void *p, const void *, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    if (x->rs == x->ro) return true;
    size_t i = 0;
    while (i < x->rs.size() && i < x->ro.size() && x->rs[i] == x->ro[i]) i++;
    size_t from = i > 60 ? i - 60 : 0;
    snprintf(diff, cap, "first difference at character %zu:\n    submission: ...%s\n    reference:  ...%s", i,
             x->rs.substr(from, 300).c_str(), x->ro.substr(from, 300).c_str());
    return false;
}

void print(void *, const void *op, char *out, size_t cap) { reg_op_print((const reg_test_op *)op, false, out, cap); }
} // namespace

// 120 seeds x 40 operations.
void test_differential_random_histories(void **)
{
    static ctx x;
    nl_diff_ops ops = {sizeof(reg_test_op), &x, reset, gen, apply_sub, apply_ora, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 120, 40});
}
