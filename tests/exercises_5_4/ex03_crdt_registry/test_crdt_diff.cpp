// test_crdt_diff.cpp — the EX03 differential test: seeded random histories over three replicas of
// each type (increments, writes, inserts, removes, merges between any two replicas), applied to the
// submission and to the reference oracle; after each step every observable the README fixes is
// compared on every replica: counter values (total and per replica), register values and
// timestamps, set contents and sizes, map keys and values, and what each remove returned.
#include "crdt_registry.h"
#include "nl_diff.h"
#include "oracle/crdt_registry.h"

#include <cstdio>
#include <string>

void test_differential_random_histories(void **);

namespace {
enum { NREP = 3, NVAL = 4 };
const char *const REPLICAS[NREP] = {"A", "B", "AB"}; // "AB" sorts between "A" and "B"
const char *const VALUES[NVAL] = {"x", "y", "", "xy"};

enum op_kind {
    OP_G_INC, OP_G_INC_BY, OP_G_MERGE, OP_PN_INC, OP_PN_DEC, OP_PN_INC_BY, OP_PN_DEC_BY, OP_PN_MERGE,
    OP_LWW_SET, OP_LWW_MERGE, OP_OR_INSERT, OP_OR_REMOVE, OP_OR_MERGE, OP_MAP_INSERT, OP_MAP_REMOVE,
    OP_MAP_MERGE, OP_KINDS
};

struct crdt_op {
    int kind, i, j, key, value, n;
};

struct ctx {
    GCounter g[NREP];
    PNCounter pn[NREP];
    LwwRegister lww[NREP];
    OrSet set[NREP];
    LwwMap map[NREP];
    oracle::GCounter og[NREP];
    oracle::PNCounter opn[NREP];
    oracle::LwwRegister olww[NREP];
    oracle::OrSet oset[NREP];
    oracle::LwwMap omap[NREP];
    int sub_ret = -1, ref_ret = -1; // what a remove returned (-1: not a remove)
};

void reset(void *p)
{
    ctx *x = (ctx *)p;
    for (int r = 0; r < NREP; r++) {
        gcounter_init(&x->g[r]);
        pncounter_init(&x->pn[r]);
        lww_init(&x->lww[r], REPLICAS[r]);
        orset_init(&x->set[r], REPLICAS[r]);
        lwwmap_init(&x->map[r], REPLICAS[r]);
        oracle::gcounter_init(&x->og[r]);
        oracle::pncounter_init(&x->opn[r]);
        oracle::lww_init(&x->olww[r], REPLICAS[r]);
        oracle::orset_init(&x->oset[r], REPLICAS[r]);
        oracle::lwwmap_init(&x->omap[r], REPLICAS[r]);
    }
}

void gen(void *, nl_rng *rng, void *o)
{
    crdt_op *op = (crdt_op *)o;
    op->kind = (int)nl_rng_below(rng, OP_KINDS);
    op->i = (int)nl_rng_below(rng, NREP);
    op->j = (int)nl_rng_below(rng, NREP); // i == j: a replica merging its own state
    op->key = (int)nl_rng_below(rng, NVAL);
    op->value = (int)nl_rng_below(rng, NVAL);
    op->n = (int)nl_rng_below(rng, 4); // 0 included: adds nothing
}

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const crdt_op *op = (const crdt_op *)o;
    int i = op->i, j = op->j;
    const char *me = REPLICAS[i], *k = VALUES[op->key], *v = VALUES[op->value];
    x->sub_ret = -1;
    switch (op->kind) {
    case OP_G_INC: gcounter_increment(&x->g[i], me); break;
    case OP_G_INC_BY: gcounter_increment_by(&x->g[i], me, (uint64_t)op->n); break;
    case OP_G_MERGE: { GCounter other = x->g[j]; gcounter_merge(&x->g[i], &other); break; }
    case OP_PN_INC: pncounter_increment(&x->pn[i], me); break;
    case OP_PN_DEC: pncounter_decrement(&x->pn[i], me); break;
    case OP_PN_INC_BY: pncounter_increment_by(&x->pn[i], me, (uint64_t)op->n); break;
    case OP_PN_DEC_BY: pncounter_decrement_by(&x->pn[i], me, (uint64_t)op->n); break;
    case OP_PN_MERGE: { PNCounter other = x->pn[j]; pncounter_merge(&x->pn[i], &other); break; }
    case OP_LWW_SET: lww_set(&x->lww[i], v); break;
    case OP_LWW_MERGE: { LwwRegister other = x->lww[j]; lww_merge(&x->lww[i], &other); break; }
    case OP_OR_INSERT: orset_insert(&x->set[i], v); break;
    case OP_OR_REMOVE: x->sub_ret = orset_remove(&x->set[i], v); break;
    case OP_OR_MERGE: { OrSet other = x->set[j]; orset_merge(&x->set[i], &other); break; }
    case OP_MAP_INSERT: lwwmap_insert(&x->map[i], k, v); break;
    case OP_MAP_REMOVE: x->sub_ret = lwwmap_remove(&x->map[i], k); break;
    case OP_MAP_MERGE: { LwwMap other = x->map[j]; lwwmap_merge(&x->map[i], &other); break; }
    }
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const crdt_op *op = (const crdt_op *)o;
    int i = op->i, j = op->j;
    const char *me = REPLICAS[i], *k = VALUES[op->key], *v = VALUES[op->value];
    x->ref_ret = -1;
    switch (op->kind) {
    case OP_G_INC: oracle::gcounter_increment(&x->og[i], me); break;
    case OP_G_INC_BY: oracle::gcounter_increment_by(&x->og[i], me, (uint64_t)op->n); break;
    case OP_G_MERGE: { oracle::GCounter other = x->og[j]; oracle::gcounter_merge(&x->og[i], &other); break; }
    case OP_PN_INC: oracle::pncounter_increment(&x->opn[i], me); break;
    case OP_PN_DEC: oracle::pncounter_decrement(&x->opn[i], me); break;
    case OP_PN_INC_BY: oracle::pncounter_increment_by(&x->opn[i], me, (uint64_t)op->n); break;
    case OP_PN_DEC_BY: oracle::pncounter_decrement_by(&x->opn[i], me, (uint64_t)op->n); break;
    case OP_PN_MERGE: { oracle::PNCounter other = x->opn[j]; oracle::pncounter_merge(&x->opn[i], &other); break; }
    case OP_LWW_SET: oracle::lww_set(&x->olww[i], v); break;
    case OP_LWW_MERGE: { oracle::LwwRegister other = x->olww[j]; oracle::lww_merge(&x->olww[i], &other); break; }
    case OP_OR_INSERT: oracle::orset_insert(&x->oset[i], v); break;
    case OP_OR_REMOVE: x->ref_ret = oracle::orset_remove(&x->oset[i], v); break;
    case OP_OR_MERGE: { oracle::OrSet other = x->oset[j]; oracle::orset_merge(&x->oset[i], &other); break; }
    case OP_MAP_INSERT: oracle::lwwmap_insert(&x->omap[i], k, v); break;
    case OP_MAP_REMOVE: x->ref_ret = oracle::lwwmap_remove(&x->omap[i], k); break;
    case OP_MAP_MERGE: { oracle::LwwMap other = x->omap[j]; oracle::lwwmap_merge(&x->omap[i], &other); break; }
    }
}

template <class S> std::string set_text(const S &s)
{
    std::string t = "{";
    for (const std::string &v : s) t += (t.size() > 1 ? ", '" : "'") + v + "'";
    return t + "}";
}

#define ULL(v) (unsigned long long)(v)

bool compare(void *p, const void *o, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    const crdt_op *op = (const crdt_op *)o;
    if (x->sub_ret != x->ref_ret)
        NL_DIFF_REPORT("the remove returned %s, reference %s", x->sub_ret ? "true" : "false", x->ref_ret ? "true" : "false");
    for (int r = 0; r < NREP; r++) {
        const char *rn = REPLICAS[r];
        if (gcounter_value(&x->g[r]) != oracle::gcounter_value(&x->og[r]))
            NL_DIFF_REPORT("GCounter of %s: value %llu, reference %llu", rn, ULL(gcounter_value(&x->g[r])),
                 ULL(oracle::gcounter_value(&x->og[r])));
        for (const char *q : REPLICAS) {
            uint64_t a = gcounter_replica_value(&x->g[r], q), b = oracle::gcounter_replica_value(&x->og[r], q);
            if (a != b) NL_DIFF_REPORT("GCounter of %s: replica_value(%s) %llu, reference %llu", rn, q, ULL(a), ULL(b));
        }
        if (pncounter_value(&x->pn[r]) != oracle::pncounter_value(&x->opn[r]))
            NL_DIFF_REPORT("PNCounter of %s: value %lld, reference %lld", rn, (long long)pncounter_value(&x->pn[r]),
                 (long long)oracle::pncounter_value(&x->opn[r]));
        std::string sv, rv;
        bool sh = lww_get(&x->lww[r], &sv), rh = oracle::lww_get(&x->olww[r], &rv);
        if (sh != rh || sv != rv)
            NL_DIFF_REPORT("LwwRegister of %s: lww_get %s '%s', reference %s '%s'", rn, sh ? "true" : "false", sv.c_str(),
                 rh ? "true" : "false", rv.c_str());
        const CrdtTimestamp &st = x->lww[r].ts;
        const oracle::CrdtTimestamp &rt = x->olww[r].ts;
        if (st.time != rt.time || st.replica != rt.replica)
            NL_DIFF_REPORT("LwwRegister of %s: timestamp (%llu, '%s'), reference (%llu, '%s')", rn, ULL(st.time),
                 st.replica.c_str(), ULL(rt.time), rt.replica.c_str());
        std::set<std::string> ss = orset_values(&x->set[r]), rs = oracle::orset_values(&x->oset[r]);
        if (ss != rs) NL_DIFF_REPORT("OrSet of %s: values %s, reference %s", rn, set_text(ss).c_str(), set_text(rs).c_str());
        if (orset_len(&x->set[r]) != rs.size())
            NL_DIFF_REPORT("OrSet of %s holds %s: orset_len %zu, reference %zu", rn, set_text(rs).c_str(),
                 orset_len(&x->set[r]), rs.size());
        if (orset_is_empty(&x->set[r]) != rs.empty())
            NL_DIFF_REPORT("OrSet of %s holds %s: orset_is_empty %s", rn, set_text(rs).c_str(),
                 orset_is_empty(&x->set[r]) ? "true" : "false");
        for (const char *v : VALUES)
            if (orset_contains(&x->set[r], v) != (rs.count(v) > 0))
                NL_DIFF_REPORT("OrSet of %s holds %s: orset_contains('%s') %s", rn, set_text(rs).c_str(), v,
                     rs.count(v) ? "false" : "true");
        std::vector<std::string> sk = lwwmap_keys(&x->map[r]), rk = oracle::lwwmap_keys(&x->omap[r]);
        if (sk != rk) NL_DIFF_REPORT("LwwMap of %s: keys %s, reference %s", rn, set_text(sk).c_str(), set_text(rk).c_str());
        for (const char *k : VALUES) {
            std::string a, b;
            bool ha = lwwmap_get(&x->map[r], k, &a), hb = oracle::lwwmap_get(&x->omap[r], k, &b);
            if (ha != hb || a != b)
                NL_DIFF_REPORT("LwwMap of %s: get('%s') %s '%s', reference %s '%s'", rn, k, ha ? "true" : "false", a.c_str(),
                     hb ? "true" : "false", b.c_str());
            if (lwwmap_contains_key(&x->map[r], k) != hb)
                NL_DIFF_REPORT("LwwMap of %s: contains_key('%s') %s, reference %s", rn, k, hb ? "false" : "true",
                     hb ? "true" : "false");
        }
    }
    (void)op;
    return true;
}

void print(void *, const void *o, char *out, size_t cap)
{
    const crdt_op *op = (const crdt_op *)o;
    const char *me = REPLICAS[op->i], *other = REPLICAS[op->j], *k = VALUES[op->key], *v = VALUES[op->value];
    switch (op->kind) {
    case OP_G_INC: snprintf(out, cap, "gcounter_increment(g[%s], \"%s\")", me, me); break;
    case OP_G_INC_BY: snprintf(out, cap, "gcounter_increment_by(g[%s], \"%s\", %d)", me, me, op->n); break;
    case OP_G_MERGE: snprintf(out, cap, "gcounter_merge(g[%s], g[%s])", me, other); break;
    case OP_PN_INC: snprintf(out, cap, "pncounter_increment(pn[%s], \"%s\")", me, me); break;
    case OP_PN_DEC: snprintf(out, cap, "pncounter_decrement(pn[%s], \"%s\")", me, me); break;
    case OP_PN_INC_BY: snprintf(out, cap, "pncounter_increment_by(pn[%s], \"%s\", %d)", me, me, op->n); break;
    case OP_PN_DEC_BY: snprintf(out, cap, "pncounter_decrement_by(pn[%s], \"%s\", %d)", me, me, op->n); break;
    case OP_PN_MERGE: snprintf(out, cap, "pncounter_merge(pn[%s], pn[%s])", me, other); break;
    case OP_LWW_SET: snprintf(out, cap, "lww_set(reg[%s], \"%s\")", me, v); break;
    case OP_LWW_MERGE: snprintf(out, cap, "lww_merge(reg[%s], reg[%s])", me, other); break;
    case OP_OR_INSERT: snprintf(out, cap, "orset_insert(set[%s], \"%s\")", me, v); break;
    case OP_OR_REMOVE: snprintf(out, cap, "orset_remove(set[%s], \"%s\")", me, v); break;
    case OP_OR_MERGE: snprintf(out, cap, "orset_merge(set[%s], set[%s])", me, other); break;
    case OP_MAP_INSERT: snprintf(out, cap, "lwwmap_insert(map[%s], \"%s\", \"%s\")", me, k, v); break;
    case OP_MAP_REMOVE: snprintf(out, cap, "lwwmap_remove(map[%s], \"%s\")", me, k); break;
    case OP_MAP_MERGE: snprintf(out, cap, "lwwmap_merge(map[%s], map[%s])", me, other); break;
    }
}
} // namespace

void test_differential_random_histories(void **)
{
    static ctx x;
    static const nl_diff_ops ops = {sizeof(crdt_op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 60});
}
