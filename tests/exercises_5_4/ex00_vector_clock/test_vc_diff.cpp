// test_vc_diff.cpp — the EX00 differential test: random sequences of ticks, merges, events, encodes
// and (corrupted) decodes on three clocks, applied to the submission and to the reference oracle;
// after each step every observable the README fixes is compared.
#include "nl_diff.h"
#include "nl_test.h"
#include "oracle/vector_clock.h"
#include "vector_clock.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

void test_differential_random_histories(void **);

namespace {
enum { NCLOCKS = 3, NNAMES = 5 };
// Node ids: short ones that sort in different orders, a prefix and its extension, and an empty id
// (which vc_tick accepts and vc_to_bytes must refuse).
const char *const NAMES[NNAMES] = {"A", "B", "AB", "c", ""};

enum op_kind { OP_TICK, OP_MERGE, OP_EVENT, OP_ENCODE, OP_DECODE, OP_KINDS };
enum corrupt_kind { C_NONE, C_TRUNCATE, C_SET_BYTE, C_APPEND, C_KINDS };

struct vc_op {
    int kind, i, j, name;     // clocks i (target) and j (source), a name index
    int corrupt, pos, value;  // OP_DECODE: how the reference's encoding of clock j is damaged
};

struct side_result {
    int rc = 0;
    std::vector<uint8_t> bytes;
    std::vector<uint8_t> event_clock; // the event's clock, encoded by the oracle for comparison
    std::string origin, payload;
    bool caused_prev = false, prev_caused = false;
};

struct ctx {
    VectorClock sub[NCLOCKS];
    oracle::VectorClock ref[NCLOCKS];
    VcEvent sub_prev, sub_last;
    oracle::VcEvent ref_prev, ref_last;
    int events = 0;
    side_result rs, rr;
};

// The input of a decode: the oracle's encoding of ref[j], damaged as the op says (same on both sides).
std::vector<uint8_t> decode_input(ctx *x, const vc_op *op)
{
    std::vector<uint8_t> b;
    oracle::VcError err;
    if (oracle::vc_to_bytes(&x->ref[op->j], &b, &err) != oracle::VC_OK) b = {'V', 'C', 1, 0, 0, 0, 0};
    size_t p = b.empty() ? 0 : (size_t)op->pos % b.size();
    switch (op->corrupt) {
    case C_TRUNCATE: b.resize(p); break;
    case C_SET_BYTE: b[p] = (uint8_t)op->value; break;
    case C_APPEND: b.push_back((uint8_t)op->value); break;
    default: break;
    }
    return b;
}

std::vector<uint8_t> enc(const oracle::VectorClock &c)
{
    std::vector<uint8_t> b;
    oracle::VcError err;
    oracle::vc_to_bytes(&c, &b, &err);
    return b;
}

oracle::VectorClock to_oracle(const VectorClock &c)
{
    oracle::VectorClock o;
    for (const auto &[k, v] : c.counters)
        if (v) o.counters[k] = v;
    return o;
}

void reset(void *p)
{
    ctx *x = (ctx *)p;
    for (int i = 0; i < NCLOCKS; i++) {
        vc_init(&x->sub[i]);
        oracle::vc_init(&x->ref[i]);
    }
    x->sub_prev = x->sub_last = VcEvent{};
    x->ref_prev = x->ref_last = oracle::VcEvent{};
    x->events = 0;
}

void gen(void *, nl_rng *rng, void *o)
{
    vc_op *op = (vc_op *)o;
    // Ticks and merges build histories; encode/decode are rarer; the empty name is rare.
    static const int weights[OP_KINDS] = {35, 30, 10, 10, 15};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->i = (int)nl_rng_below(rng, NCLOCKS);
    op->j = (int)nl_rng_below(rng, NCLOCKS);
    op->name = nl_rng_chance(rng, 0.04) ? NNAMES - 1 : (int)nl_rng_below(rng, NNAMES - 1);
    op->corrupt = nl_rng_chance(rng, 0.4) ? C_NONE : (int)nl_rng_range(rng, 1, C_KINDS - 1);
    op->pos = (int)nl_rng_below(rng, 64);
    op->value = nl_rng_chance(rng, 0.5) ? (int)nl_rng_below(rng, 4) : (int)nl_rng_below(rng, 256);
}

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const vc_op *op = (const vc_op *)o;
    side_result &r = x->rs;
    r = side_result{};
    VcError err;
    switch (op->kind) {
    case OP_TICK: vc_tick(&x->sub[op->i], NAMES[op->name]); break;
    case OP_MERGE: {
        VectorClock msg = x->sub[op->j]; // a message is a copy, even when i == j
        vc_merge(&x->sub[op->i], &msg, NAMES[op->name]);
        break;
    }
    case OP_EVENT: {
        x->sub_prev = x->sub_last;
        vc_event_new(&x->sub_last, &x->sub[op->i], NAMES[op->name], "payload");
        r.event_clock = enc(to_oracle(x->sub_last.clock));
        r.origin = x->sub_last.origin;
        r.payload = x->sub_last.payload;
        r.caused_prev = vc_event_caused(&x->sub_prev, &x->sub_last);
        r.prev_caused = vc_event_caused(&x->sub_last, &x->sub_prev);
        break;
    }
    case OP_ENCODE:
        r.bytes = {0xEE};
        r.rc = vc_to_bytes(&x->sub[op->i], &r.bytes, &err);
        if (r.rc != VC_OK) r.bytes.clear(); // the README fixes no content for a failed encode
        break;
    case OP_DECODE: {
        std::vector<uint8_t> in = decode_input(x, op);
        r.rc = vc_from_bytes(in.data(), in.size(), &x->sub[op->i], &err);
        break;
    }
    }
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const vc_op *op = (const vc_op *)o;
    side_result &r = x->rr;
    r = side_result{};
    oracle::VcError err;
    switch (op->kind) {
    case OP_TICK: oracle::vc_tick(&x->ref[op->i], NAMES[op->name]); break;
    case OP_MERGE: {
        oracle::VectorClock msg = x->ref[op->j];
        oracle::vc_merge(&x->ref[op->i], &msg, NAMES[op->name]);
        break;
    }
    case OP_EVENT: {
        x->ref_prev = x->ref_last;
        oracle::vc_event_new(&x->ref_last, &x->ref[op->i], NAMES[op->name], "payload");
        r.event_clock = enc(x->ref_last.clock);
        r.origin = x->ref_last.origin;
        r.payload = x->ref_last.payload;
        r.caused_prev = oracle::vc_event_caused(&x->ref_prev, &x->ref_last);
        r.prev_caused = oracle::vc_event_caused(&x->ref_last, &x->ref_prev);
        break;
    }
    case OP_ENCODE:
        r.bytes = {0xEE};
        r.rc = oracle::vc_to_bytes(&x->ref[op->i], &r.bytes, &err);
        if (r.rc != oracle::VC_OK) r.bytes.clear();
        break;
    case OP_DECODE: {
        std::vector<uint8_t> in = decode_input(x, op);
        // decode_input reads ref[j]: the submission decoded the same bytes (ref[j] is unchanged
        // until this line).
        r.rc = oracle::vc_from_bytes(in.data(), in.size(), &x->ref[op->i], &err);
        break;
    }
    }
}

std::string hex(const std::vector<uint8_t> &b)
{
    std::string s;
    char h[4];
    for (uint8_t c : b) {
        snprintf(h, sizeof h, "%02x", c);
        s += h;
    }
    return s.empty() ? "(none)" : s;
}

std::string list(const std::vector<std::string> &v)
{
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++) s += (i ? ", \"" : "\"") + v[i] + "\"";
    return s + "]";
}

bool compare(void *p, const void *o, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    const vc_op *op = (const vc_op *)o;
    const side_result &s = x->rs, &r = x->rr;
    if (s.rc != r.rc) {
        snprintf(diff, cap, "return code: submission %d, reference %d", s.rc, r.rc);
        return false;
    }
    if (op->kind == OP_ENCODE && s.bytes != r.bytes) {
        snprintf(diff, cap, "vc_to_bytes(clock %d): submission %s, reference %s", op->i, hex(s.bytes).c_str(), hex(r.bytes).c_str());
        return false;
    }
    if (op->kind == OP_EVENT) {
        if (s.event_clock != r.event_clock || s.origin != r.origin || s.payload != r.payload) {
            snprintf(diff, cap, "event: submission clock %s origin \"%s\" payload \"%s\", reference clock %s origin \"%s\" payload \"%s\"",
                     hex(s.event_clock).c_str(), s.origin.c_str(), s.payload.c_str(), hex(r.event_clock).c_str(),
                     r.origin.c_str(), r.payload.c_str());
            return false;
        }
        if (s.caused_prev != r.caused_prev || s.prev_caused != r.prev_caused) {
            snprintf(diff, cap, "vc_event_caused(previous, new) / (new, previous): submission %d/%d, reference %d/%d",
                     s.caused_prev, s.prev_caused, r.caused_prev, r.prev_caused);
            return false;
        }
    }
    for (int i = 0; i < NCLOCKS; i++) {
        for (int n = 0; n < NNAMES; n++) {
            uint64_t a = vc_get(&x->sub[i], NAMES[n]), b = oracle::vc_get(&x->ref[i], NAMES[n]);
            if (a != b) {
                snprintf(diff, cap, "vc_get(clock %d, \"%s\"): submission %llu, reference %llu", i, NAMES[n],
                         (unsigned long long)a, (unsigned long long)b);
                return false;
            }
        }
        std::vector<std::string> ks = vc_known_nodes(&x->sub[i]), kr = oracle::vc_known_nodes(&x->ref[i]);
        if (ks != kr) {
            snprintf(diff, cap, "vc_known_nodes(clock %d): submission %s, reference %s", i, list(ks).c_str(), list(kr).c_str());
            return false;
        }
        for (int j = 0; j < NCLOCKS; j++) {
            int cs = vc_compare(&x->sub[i], &x->sub[j]), cr = oracle::vc_compare(&x->ref[i], &x->ref[j]);
            bool hs = vc_happened_before(&x->sub[i], &x->sub[j]), hr = oracle::vc_happened_before(&x->ref[i], &x->ref[j]);
            bool ns = vc_is_concurrent(&x->sub[i], &x->sub[j]), nr = oracle::vc_is_concurrent(&x->ref[i], &x->ref[j]);
            if (cs != cr || hs != hr || ns != nr) {
                snprintf(diff, cap, "clock %d vs clock %d: submission compare %s, happened_before %d, concurrent %d; "
                                    "reference %s, %d, %d",
                         i, j, vc_order_name((CausalOrder)cs), hs, ns, oracle::vc_order_name((oracle::CausalOrder)cr), hr, nr);
                return false;
            }
        }
    }
    return true;
}

void print(void *, const void *o, char *out, size_t cap)
{
    const vc_op *op = (const vc_op *)o;
    static const char *const damage[C_KINDS] = {"intact", "truncated", "byte set", "byte appended"};
    switch (op->kind) {
    case OP_TICK: snprintf(out, cap, "vc_tick(clock %d, \"%s\")", op->i, NAMES[op->name]); break;
    case OP_MERGE: snprintf(out, cap, "vc_merge(clock %d, copy of clock %d, \"%s\")", op->i, op->j, NAMES[op->name]); break;
    case OP_EVENT: snprintf(out, cap, "vc_event_new(clock %d, origin \"%s\", \"payload\")", op->i, NAMES[op->name]); break;
    case OP_ENCODE: snprintf(out, cap, "vc_to_bytes(clock %d)", op->i); break;
    case OP_DECODE:
        snprintf(out, cap, "vc_from_bytes(into clock %d, encoding of clock %d %s, pos %d value 0x%02x)", op->i, op->j,
                 damage[op->corrupt], op->pos, op->value);
        break;
    }
}
} // namespace

// 300 seeds x 40 operations: every op kind and every damage kind many times over.
void test_differential_random_histories(void **)
{
    static ctx x;
    nl_diff_ops ops = {sizeof(vc_op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 40});
}
