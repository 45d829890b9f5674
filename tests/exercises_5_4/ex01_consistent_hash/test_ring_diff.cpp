// test_ring_diff.cpp — the EX01 differential test: random sequences of init, add, remove, lookups,
// stats and simulations, applied to the submission and to the reference oracle; after each step the
// return code and every observable the README fixes are compared.
#include "consistent_hash.h"
#include "nl_diff.h"
#include "nl_test.h"
#include "oracle/consistent_hash.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <tuple>
#include <vector>

void test_differential_random_rings(void **);

namespace {
enum { NIDS = 6, NKEYS = 60 };
// Ids that share prefixes ("n1", "n11") so a missing '#' in the vnode name would show.
const char *const IDS[NIDS] = {"n1", "n11", "n2", "alpha", "b", "n1#"};

enum op_kind { OP_INIT, OP_ADD, OP_ADD_BAD, OP_REMOVE, OP_LOOKUP, OP_LOOKUP_HASH, OP_STATS, OP_SIM_ADD, OP_SIM_REMOVE, OP_KINDS };

struct ring_op {
    int kind, id, weight, vnodes, rf, key;
    uint64_t hash;
};

struct side {
    int rc = 0;
    std::vector<std::tuple<uint64_t, uint64_t, std::string, std::string>> moves; // sorted
    std::vector<std::string> lookup;   // primary then replicas, "id/address/weight"
    double position = 0, fraction = 0, mean = 0, sd = 0, cv = 0;
    std::vector<std::pair<std::string, size_t>> per_node;
};

struct ctx {
    Ring sub;
    oracle::Ring ref;
    side s, r;
    std::vector<std::string> keys;
};

std::string addr_of(int id) { return "10.0.0." + std::to_string(id + 1) + ":700" + std::to_string(id); }

void reset(void *p)
{
    ctx *x = (ctx *)p;
    if (x->keys.empty())
        for (int i = 0; i < NKEYS; i++) x->keys.push_back("key_" + std::to_string(i));
    RingConfig c{3, 2};
    oracle::RingConfig oc{3, 2};
    RingError e;
    oracle::RingError oe;
    ring_init(&x->sub, &c, &e);
    oracle::ring_init(&x->ref, &oc, &oe);
}

void gen(void *, nl_rng *rng, void *o)
{
    ring_op *op = (ring_op *)o;
    static const int weights[OP_KINDS] = {4, 26, 4, 14, 20, 10, 7, 8, 7};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->id = (int)nl_rng_below(rng, NIDS);
    op->weight = (int)nl_rng_range(rng, 1, 3);
    static const int vn[] = {1, 2, 3, 5, 8};
    op->vnodes = vn[nl_rng_below(rng, 5)];
    op->rf = (int)nl_rng_range(rng, 1, 4);
    op->key = (int)nl_rng_below(rng, NKEYS);
    op->hash = nl_rng_chance(rng, 0.1) ? (nl_rng_chance(rng, 0.5) ? 0 : UINT64_MAX) : nl_rng_next(rng);
}

template <class Lookup> std::vector<std::string> describe(const Lookup &l)
{
    std::vector<std::string> v;
    v.push_back(l.primary.id + "/" + l.primary.address + "/" + std::to_string(l.primary.weight));
    for (const auto &n : l.replicas) v.push_back(n.id + "/" + n.address + "/" + std::to_string(n.weight));
    return v;
}

template <class Moves> void keep_moves(const Moves &mv, side *s)
{
    for (const auto &m : mv) s->moves.emplace_back(m.from_exclusive, m.to_inclusive, m.old_owner, m.new_owner);
    std::sort(s->moves.begin(), s->moves.end());
}

template <class Stats> void keep_stats(const Stats &st, side *s)
{
    s->per_node.assign(st.keys_per_node.begin(), st.keys_per_node.end());
    s->mean = st.mean;
    s->sd = st.standard_deviation;
    s->cv = st.coefficient_of_variation;
}

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const ring_op *op = (const ring_op *)o;
    side &s = x->s;
    s = side{};
    RingError e;
    RingNode n{IDS[op->id], addr_of(op->id), (uint32_t)op->weight};
    switch (op->kind) {
    case OP_INIT: {
        RingConfig c{(size_t)op->vnodes, (size_t)op->rf};
        s.rc = ring_init(&x->sub, &c, &e);
        break;
    }
    case OP_ADD: {
        std::vector<RingMove> mv;
        s.rc = ring_add_node(&x->sub, &n, &mv, &e);
        if (s.rc == RING_OK) keep_moves(mv, &s);
        break;
    }
    case OP_ADD_BAD: { // an id never added otherwise, with a weight out of range, or an empty id
        RingNode bad{op->weight == 2 ? "" : "bad", "x", (uint32_t)(op->weight == 1 ? 0 : RING_MAX_WEIGHT + 1)};
        if (op->weight == 2) bad.weight = 1;
        std::vector<RingMove> mv;
        s.rc = ring_add_node(&x->sub, &bad, &mv, &e);
        break;
    }
    case OP_REMOVE: {
        std::vector<RingMove> mv;
        s.rc = ring_remove_node(&x->sub, IDS[op->id], &mv, &e);
        if (s.rc == RING_OK) keep_moves(mv, &s);
        break;
    }
    case OP_LOOKUP:
    case OP_LOOKUP_HASH: {
        RingLookup l;
        s.rc = op->kind == OP_LOOKUP ? ring_lookup(&x->sub, x->keys[(size_t)op->key].c_str(), &l, &e)
                                     : ring_lookup_hash(&x->sub, op->hash, &l, &e);
        if (s.rc == RING_OK) {
            s.lookup = describe(l);
            s.position = l.ring_position;
        }
        break;
    }
    case OP_STATS: {
        RingStats st;
        std::vector<std::string> ks(x->keys.begin(), x->keys.begin() + op->key);
        ring_distribution_stats(&x->sub, ks, &st);
        keep_stats(st, &s);
        break;
    }
    case OP_SIM_ADD:
        s.rc = ring_simulate_add(&x->sub, &n, x->keys, &s.fraction, &e);
        break;
    case OP_SIM_REMOVE:
        s.rc = ring_simulate_remove(&x->sub, IDS[op->id], x->keys, &s.fraction, &e);
        break;
    }
    if (s.rc != RING_OK) s.fraction = 0;
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const ring_op *op = (const ring_op *)o;
    side &s = x->r;
    s = side{};
    oracle::RingError e;
    oracle::RingNode n{IDS[op->id], addr_of(op->id), (uint32_t)op->weight};
    switch (op->kind) {
    case OP_INIT: {
        oracle::RingConfig c{(size_t)op->vnodes, (size_t)op->rf};
        s.rc = oracle::ring_init(&x->ref, &c, &e);
        break;
    }
    case OP_ADD: {
        std::vector<oracle::RingMove> mv;
        s.rc = oracle::ring_add_node(&x->ref, &n, &mv, &e);
        if (s.rc == oracle::RING_OK) keep_moves(mv, &s);
        break;
    }
    case OP_ADD_BAD: {
        oracle::RingNode bad{op->weight == 2 ? "" : "bad", "x", (uint32_t)(op->weight == 1 ? 0 : oracle::RING_MAX_WEIGHT + 1)};
        if (op->weight == 2) bad.weight = 1;
        std::vector<oracle::RingMove> mv;
        s.rc = oracle::ring_add_node(&x->ref, &bad, &mv, &e);
        break;
    }
    case OP_REMOVE: {
        std::vector<oracle::RingMove> mv;
        s.rc = oracle::ring_remove_node(&x->ref, IDS[op->id], &mv, &e);
        if (s.rc == oracle::RING_OK) keep_moves(mv, &s);
        break;
    }
    case OP_LOOKUP:
    case OP_LOOKUP_HASH: {
        oracle::RingLookup l;
        s.rc = op->kind == OP_LOOKUP ? oracle::ring_lookup(&x->ref, x->keys[(size_t)op->key].c_str(), &l, &e)
                                     : oracle::ring_lookup_hash(&x->ref, op->hash, &l, &e);
        if (s.rc == oracle::RING_OK) {
            s.lookup = describe(l);
            s.position = l.ring_position;
        }
        break;
    }
    case OP_STATS: {
        oracle::RingStats st;
        std::vector<std::string> ks(x->keys.begin(), x->keys.begin() + op->key);
        oracle::ring_distribution_stats(&x->ref, ks, &st);
        keep_stats(st, &s);
        break;
    }
    case OP_SIM_ADD:
        s.rc = oracle::ring_simulate_add(&x->ref, &n, x->keys, &s.fraction, &e);
        break;
    case OP_SIM_REMOVE:
        s.rc = oracle::ring_simulate_remove(&x->ref, IDS[op->id], x->keys, &s.fraction, &e);
        break;
    }
    if (s.rc != oracle::RING_OK) s.fraction = 0;
}

bool close(double a, double b) { return std::fabs(a - b) <= 1e-9 * std::max(1.0, std::fabs(b)); }

std::string join(const std::vector<std::string> &v)
{
    std::string s;
    for (const std::string &x : v) s += (s.empty() ? "" : ", ") + x;
    return "[" + s + "]";
}

std::string moves_text(const side &s)
{
    std::string t;
    char b[160];
    for (const auto &[f, to, o, n] : s.moves) {
        snprintf(b, sizeof b, "%s(%016llx, %016llx] %s->%s", t.empty() ? "" : ", ", (unsigned long long)f, (unsigned long long)to,
                 o.c_str(), n.c_str());
        t += b;
    }
    return "{" + t + "}";
}

bool compare(void *p, const void *o, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    const ring_op *op = (const ring_op *)o;
    const side &s = x->s, &r = x->r;
    if (s.rc != r.rc) return snprintf(diff, cap, "return code: submission %d, reference %d", s.rc, r.rc), false;
    if (s.moves != r.moves)
        return snprintf(diff, cap, "moves: submission %s, reference %s", moves_text(s).c_str(), moves_text(r).c_str()), false;
    if (s.lookup != r.lookup)
        return snprintf(diff, cap, "lookup (primary, replicas): submission %s, reference %s", join(s.lookup).c_str(), join(r.lookup).c_str()), false;
    if (!close(s.position, r.position))
        return snprintf(diff, cap, "ring_position: submission %.17g, reference %.17g", s.position, r.position), false;
    if (!close(s.fraction, r.fraction))
        return snprintf(diff, cap, "simulated fraction: submission %.17g, reference %.17g", s.fraction, r.fraction), false;
    if (op->kind == OP_STATS) {
        if (s.per_node != r.per_node) {
            std::vector<std::string> a, b;
            for (const auto &[k, v] : s.per_node) a.push_back(k + ":" + std::to_string(v));
            for (const auto &[k, v] : r.per_node) b.push_back(k + ":" + std::to_string(v));
            return snprintf(diff, cap, "keys_per_node: submission %s, reference %s", join(a).c_str(), join(b).c_str()), false;
        }
        if (!close(s.mean, r.mean) || !close(s.sd, r.sd) || !close(s.cv, r.cv))
            return snprintf(diff, cap, "stats mean/stddev/cv: submission %.12g/%.12g/%.12g, reference %.12g/%.12g/%.12g", s.mean, s.sd,
                            s.cv, r.mean, r.sd, r.cv),
                   false;
    }
    // The ring itself: its nodes and every point, after every operation (simulations change nothing).
    std::vector<RingNode> ns = ring_nodes(&x->sub);
    std::vector<oracle::RingNode> nr = oracle::ring_nodes(&x->ref);
    std::vector<std::string> a, b;
    for (const auto &n : ns) a.push_back(n.id + "/" + n.address + "/" + std::to_string(n.weight));
    for (const auto &n : nr) b.push_back(n.id + "/" + n.address + "/" + std::to_string(n.weight));
    if (a != b) return snprintf(diff, cap, "ring_nodes: submission %s, reference %s", join(a).c_str(), join(b).c_str()), false;
    if (ring_node_count(&x->sub) != oracle::ring_node_count(&x->ref))
        return snprintf(diff, cap, "ring_node_count: submission %zu, reference %zu", ring_node_count(&x->sub), oracle::ring_node_count(&x->ref)), false;
    auto ds = ring_debug(&x->sub);
    auto dr = oracle::ring_debug(&x->ref);
    if (ds != dr) {
        size_t i = 0;
        while (i < ds.size() && i < dr.size() && ds[i] == dr[i]) i++;
        return snprintf(diff, cap, "ring_debug: %zu points vs %zu in the reference; first difference at point %zu: submission %s, reference %s",
                        ds.size(), dr.size(), i, i < ds.size() ? (std::to_string(ds[i].first) + " " + ds[i].second).c_str() : "(none)",
                        i < dr.size() ? (std::to_string(dr[i].first) + " " + dr[i].second).c_str() : "(none)"),
               false;
    }
    return true;
}

void print(void *, const void *o, char *out, size_t cap)
{
    const ring_op *op = (const ring_op *)o;
    switch (op->kind) {
    case OP_INIT: snprintf(out, cap, "ring_init({virtual_nodes %d, replication_factor %d})", op->vnodes, op->rf); break;
    case OP_ADD: snprintf(out, cap, "ring_add_node(\"%s\", weight %d)", IDS[op->id], op->weight); break;
    case OP_ADD_BAD:
        snprintf(out, cap, "ring_add_node(%s)", op->weight == 2 ? "empty id" : op->weight == 1 ? "\"bad\", weight 0" : "\"bad\", weight 1001");
        break;
    case OP_REMOVE: snprintf(out, cap, "ring_remove_node(\"%s\")", IDS[op->id]); break;
    case OP_LOOKUP: snprintf(out, cap, "ring_lookup(\"key_%d\")", op->key); break;
    case OP_LOOKUP_HASH: snprintf(out, cap, "ring_lookup_hash(0x%016llx)", (unsigned long long)op->hash); break;
    case OP_STATS: snprintf(out, cap, "ring_distribution_stats(key_0 .. key_%d)", op->key - 1); break;
    case OP_SIM_ADD: snprintf(out, cap, "ring_simulate_add(\"%s\", weight %d, %d keys)", IDS[op->id], op->weight, NKEYS); break;
    case OP_SIM_REMOVE: snprintf(out, cap, "ring_simulate_remove(\"%s\", %d keys)", IDS[op->id], NKEYS); break;
    }
}
} // namespace

// 200 seeds x 30 operations on rings of up to 6 nodes and a few points each.
void test_differential_random_rings(void **)
{
    static ctx x;
    nl_diff_ops ops = {sizeof(ring_op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 200, 30});
}
