// test_tc_diff.cpp — the EX07 differential test: random sequences of damaged traceparent headers,
// hex ids, baggage edits and headers, and spans started (roots and children), changed and ended on
// a seeded tracer with a virtual clock, applied to the submission and to the reference oracle.
// After each step the op's results are compared: parse results and fields, headers byte for byte,
// and every exported span as JSON (json_equal: the key order is free, the README fixes no order).
#include "nl_diff.h"
#include "nl_test.h"
#include "oracle/tracing_context.h"
#include "tracing_context.h"

#include <cstdio>
#include <jansson.h>
#include <string>
#include <vector>

void test_differential_random_histories(void **);

namespace {
enum { NSLOTS = 3, NKEYS = 4 };
const char *const GOOD = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const char *const KEYS[NKEYS] = {"user", "tenant", "q", "user2"};
// Value and header material: plain bytes, the characters the encoding must escape, spaces, escapes.
const char *const PIECES[] = {"alice", " ", ",", ";", "=", "%", "\"", "\\", "\x7f", "\xc3\xa9", "%41", "%zz",
                              "k=v", "\t", "x;p=1", "", "%2C", "~"};
const char CHARS[] = "0123456789abcdefABCDEFxz-_ ";

enum op_kind { OP_PARSE, OP_HEX, OP_BAG_SET, OP_BAG_REMOVE, OP_BAG_FORMAT, OP_BAG_PARSE, OP_SPAN_ROOT,
               OP_SPAN_CHILD, OP_SPAN_REMOTE, OP_ATTR, OP_EVENT, OP_STATUS, OP_ERROR, OP_END, OP_FLUSH,
               OP_RNG, OP_TICK, OP_KINDS };

struct tc_op {
    int kind, slot, other, key, a, b, c, d;
    uint32_t seed;
};

struct ctx {
    uint64_t ns;                            // one virtual clock, moved only by OP_TICK
    tc_memory_exporter sub_mem;
    oracle::tc_memory_exporter ref_mem;
    tc_tracer *sub;
    oracle::tc_tracer *ref;
    tc_active_span sub_spans[NSLOTS];
    oracle::tc_active_span ref_spans[NSLOTS];
    tc_baggage sub_bag;
    oracle::tc_baggage ref_bag;
    size_t sub_seen, ref_seen;             // exported spans already compared
    std::vector<std::string> rs, rr;       // the op's results, one line each
    std::vector<std::string> sjson, rjson; // spans exported by this op, as JSON
};

// The clock does not move when read (a solution may read it more often than the reference).
uint64_t clock_of(void *p) { return ((ctx *)p)->ns; }

// A traceparent header: the good one damaged by the op (same on both sides).
std::string header_of(const tc_op *op)
{
    std::string s = GOOD;
    if (op->a % 2) {                       // a fresh one from the op's seed, with other flags
        char h[64];
        snprintf(h, sizeof h, "00-%08x%08x%08x%08x-%08x%08x-%02x", op->seed, op->seed * 7u, op->seed * 13u,
                 op->seed * 31u, op->seed * 3u, op->seed * 5u, (unsigned)op->d & 0xff);
        s = h;
    }
    size_t p = (size_t)op->b % 57;
    switch (op->c % 8) {
    case 0: break;                                            // intact
    case 1: if (p < s.size()) s[p] = CHARS[op->d % (sizeof CHARS - 1)]; break;
    case 2: s.resize(p < s.size() ? p : s.size()); break;     // truncated
    case 3: s.insert(p < s.size() ? p : s.size(), 1, CHARS[op->d % (sizeof CHARS - 1)]); break;
    case 4: s = std::string(op->d % 2 ? "ff" : "01") + s.substr(2); break;
    case 5: s.replace(3, 32, std::string(32, '0')); break;
    case 6: s.replace(36, 16, std::string(16, '0')); break;
    case 7: for (char &ch : s) ch = (char)toupper((unsigned char)ch); break;
    }
    return s;
}

std::string piece_string(const tc_op *op, int salt)
{
    std::string v;
    uint32_t x = op->seed + (uint32_t)salt * 2654435761u;
    int n = 1 + (int)(x % 4);
    for (int i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        v += PIECES[(x >> 16) % (sizeof PIECES / sizeof PIECES[0])];
    }
    return v;
}

// A baggage header: either a formatted one (from the oracle's current baggage) or random pieces.
std::string bag_header(ctx *x, const tc_op *op)
{
    if (op->a % 3 == 0) return oracle::tc_baggage_format(&x->ref_bag);
    std::string h;
    for (int i = 0; i <= op->b % 3; i++) {
        if (i) h += op->c % 2 ? "," : " , ";
        h += std::string(KEYS[(op->key + i) % NKEYS]) + (op->d % 5 ? "=" : "") + piece_string(op, i);
    }
    return h;
}

std::string hex_line(const char *what, bool ok, uint64_t a, uint64_t b, uint64_t c)
{
    char l[160];
    snprintf(l, sizeof l, "%s %s %016llx %016llx %016llx", what, ok ? "ok" : "refused", (unsigned long long)a,
             (unsigned long long)b, (unsigned long long)c);
    return l;
}

template <typename Bag> std::string bag_line(const Bag &b)
{
    std::string s = "baggage:";
    for (const auto &[k, v] : b.entries) s += " [" + k + "]=[" + v + "]";
    return s;
}

// Options of a new span: kind, two attributes, a link to another slot's context.
#define TC_OPTIONS(NS, SPANS, O, PARENT)                                                      \
    NS tc_span_options O{(NS tc_span_kind)(op->a % 5), PARENT, {}, {}};                       \
    if (op->b % 2) O.attrs.push_back(NS tc_attr_int("n", op->c - 5));                         \
    if (op->b % 3 == 0) O.attrs.push_back(NS tc_attr_str(KEYS[op->key], "v"));                \
    if (op->d % 4 == 0) O.links.push_back({SPANS[op->other].span.ctx, {NS tc_attr_bool("l", true)}})

#define TC_APPLY(NS, X, R, SPANS, BAG, TRACER)                                                                  \
    do {                                                                                                        \
        switch (op->kind) {                                                                                     \
        case OP_PARSE: {                                                                                        \
            std::string h = header_of(op);                                                                      \
            NS tc_context c{};                                                                                  \
            c.span_id = 77;                                                                                     \
            std::string err;                                                                                    \
            bool ok = NS tc_traceparent_parse(h.c_str(), &c, &err);                                            \
            R.push_back(hex_line("parse", ok, c.trace_id.hi, c.trace_id.lo, c.span_id));                        \
            R.push_back("flags " + std::to_string(c.flags) + " parent " + std::to_string(c.parent_span_id) +    \
                        " state '" + c.trace_state + "' err mentions traceparent: " +                           \
                        (ok || err.find("traceparent") != std::string::npos ? "yes" : "no"));                   \
            if (ok) {                                                                                           \
                char back[56];                                                                                  \
                NS tc_traceparent_format(&c, back);                                                             \
                R.push_back(std::string("formatted ") + back);                                                  \
            }                                                                                                   \
            break;                                                                                              \
        }                                                                                                       \
        case OP_HEX: {                                                                                          \
            std::string h = header_of(op);                                                                      \
            h = h.size() < 3 ? h : h.substr(3, op->a % 2 ? 32 : 16 + (size_t)(op->d % 3));                      \
            NS tc_trace_id t{1, 2};                                                                             \
            NS tc_span_id sid = 3;                                                                              \
            bool a = NS tc_trace_id_from_hex(h.c_str(), &t), b = NS tc_span_id_from_hex(h.c_str(), &sid);       \
            R.push_back(hex_line("trace_from_hex", a, t.hi, t.lo, 0) + hex_line(" span_from_hex", b, sid, 0, 0)); \
            char th[33], sh[17];                                                                                \
            NS tc_trace_id_to_hex(NS tc_trace_id{op->seed, (uint64_t)op->c}, th);                               \
            NS tc_span_id_to_hex((uint64_t)op->seed << (op->d % 40), sh);                                       \
            R.push_back(std::string("to_hex ") + th + " " + sh);                                                \
            break;                                                                                              \
        }                                                                                                       \
        case OP_BAG_SET: NS tc_baggage_set(&BAG, KEYS[op->key], piece_string(op, 9).c_str()); break;            \
        case OP_BAG_REMOVE: R.push_back(NS tc_baggage_remove(&BAG, KEYS[op->key]) ? "removed" : "absent"); break; \
        case OP_BAG_FORMAT: {                                                                                   \
            R.push_back("format '" + NS tc_baggage_format(&BAG) + "'");                                         \
            const char *v = NS tc_baggage_get(&BAG, KEYS[op->key]);                                             \
            R.push_back(std::string("get ") + (v ? "'" + std::string(v) + "'" : "NULL"));                       \
            break;                                                                                              \
        }                                                                                                       \
        case OP_BAG_PARSE: {                                                                                    \
            NS tc_baggage out;                                                                                  \
            NS tc_baggage_set(&out, "keep", "me");                                                              \
            std::string err;                                                                                    \
            bool ok = NS tc_baggage_parse(h_bag.c_str(), &out, &err);                                           \
            R.push_back(std::string(ok ? "parsed " : "refused ") + bag_line(out) +                              \
                        (ok || !err.empty() ? "" : " (no reason given)"));                                      \
            break;                                                                                              \
        }                                                                                                       \
        case OP_SPAN_ROOT: {                                                                                    \
            if (busy) break;                                                                                    \
            TC_OPTIONS(NS, SPANS, o, nullptr);                                                                  \
            NS tc_span_start(&SPANS[op->slot], TRACER, ("op" + std::to_string(op->c)).c_str(), op->d % 5 ? &o : nullptr); \
            break;                                                                                              \
        }                                                                                                       \
        case OP_SPAN_CHILD: {                                                                                   \
            if (busy) break;                                                                                    \
            NS tc_context parent = SPANS[op->other].span.ctx;                                                   \
            if (parent.span_id == 0) {                                                                          \
                parent = NS tc_context{};                                                                       \
                parent.trace_id = {1, 1};                                                                       \
                parent.span_id = 5;                                                                             \
                parent.flags = (uint8_t)(op->c % 4);                                                            \
            }                                                                                                   \
            TC_OPTIONS(NS, SPANS, o, &parent);                                                                  \
            NS tc_span_start(&SPANS[op->slot], TRACER, "child", &o);                                            \
            break;                                                                                              \
        }                                                                                                       \
        case OP_SPAN_REMOTE: {                                                                                  \
            NS tc_context parent{};                                                                             \
            if (busy) break;                                                                                    \
            if (!NS tc_traceparent_parse(header_of(op).c_str(), &parent, nullptr)) break;                       \
            parent.trace_state = op->d % 2 ? "congo=t61" : "";                                                  \
            TC_OPTIONS(NS, SPANS, o, &parent);                                                                  \
            NS tc_span_start(&SPANS[op->slot], TRACER, "server", &o);                                           \
            break;                                                                                              \
        }                                                                                                       \
        case OP_ATTR:                                                                                           \
            if (!started) break;                                                                                \
            if (op->a % 3 == 0) NS tc_span_set_attr(&SPANS[op->slot], NS tc_attr_str(KEYS[op->key], "s"));     \
            else if (op->a % 3 == 1) NS tc_span_set_attr(&SPANS[op->slot], NS tc_attr_int(KEYS[op->key], op->c)); \
            else NS tc_span_set_attr(&SPANS[op->slot], NS tc_attr_double(KEYS[op->key], op->c / 4.0));          \
            break;                                                                                              \
        case OP_EVENT: {                                                                                        \
            if (!started) break;                                                                                \
            std::vector<NS tc_attr> ea = {NS tc_attr_int("i", op->c)};                                          \
            NS tc_span_add_event(&SPANS[op->slot], KEYS[op->key], (NS tc_severity)(op->a % 6), op->b % 2 ? &ea : nullptr); \
            break;                                                                                              \
        }                                                                                                       \
        case OP_STATUS:                                                                                         \
            if (started)                                                                                        \
                NS tc_span_set_status(&SPANS[op->slot], (NS tc_status)(op->a % 3), op->b % 2 ? "why" : nullptr); \
            break;                                                                                              \
        case OP_ERROR:                                                                                          \
            if (started) NS tc_span_set_error(&SPANS[op->slot], op->b % 2 ? "boom" : nullptr);  \
            break;                                                                                              \
        case OP_END: NS tc_span_end(&SPANS[op->slot]); break;                                                   \
        case OP_FLUSH: NS tc_tracer_flush(TRACER); break;                                                       \
        case OP_TICK: break;                                                                                    \
        case OP_RNG: {                                                                                          \
            NS tc_rng r;                                                                                        \
            NS tc_rng_init(&r, op->seed | 1);                                                                   \
            NS tc_context root = NS tc_context_new_root(&r, op->a % 2);                                         \
            NS tc_context child = NS tc_context_child(&root, &r);                                               \
            R.push_back(hex_line("root", NS tc_context_is_sampled(&root), root.trace_id.hi, root.trace_id.lo,   \
                                 root.span_id) + hex_line(" child", NS tc_context_is_sampled(&child),           \
                                 child.parent_span_id, child.trace_id.lo, child.span_id));                      \
            NS tc_ratio_sampler rs;                                                                             \
            NS tc_ratio_sampler_init(&rs, (op->c % 12) / 10.0 - 0.05, op->seed % 3);                           \
            NS tc_sampler smp = NS tc_sampler_ratio(&rs);                                                       \
            std::string d;                                                                                      \
            for (int i = 0; i < 24; i++) d += smp.should_sample(smp.self, &root, "x") ? '1' : '0';              \
            R.push_back("ratio decisions " + d);                                                                \
            break;                                                                                              \
        }                                                                                                       \
        }                                                                                                       \
    } while (0)

void reset(void *p)
{
    ctx *x = (ctx *)p;
    for (int i = 0; i < NSLOTS; i++) {             // end what the last sequence left running, unexported
        x->sub_spans[i].recording = false;
        x->ref_spans[i].recording = false;
        tc_span_end(&x->sub_spans[i]);
        oracle::tc_span_end(&x->ref_spans[i]);
        x->sub_spans[i].tracer = nullptr;
        x->ref_spans[i].tracer = nullptr;
        x->sub_spans[i].span = tc_span{};
        x->ref_spans[i].span = oracle::tc_span{};
    }
    if (x->sub) tc_tracer_free(x->sub);
    if (x->ref) oracle::tc_tracer_free(x->ref);
    x->sub_mem = tc_memory_exporter{};
    x->ref_mem = oracle::tc_memory_exporter{};
    x->ns = 1000000;
    tc_tracer_options so{};
    so.batch_size = 3;
    so.now_ns = clock_of;
    so.clock_ctx = x;
    so.id_seed = 42;
    x->sub = tc_tracer_new("svc", tc_sampler_always_on(), tc_exporter_memory(&x->sub_mem), &so);
    oracle::tc_tracer_options ro{};
    ro.batch_size = 3;
    ro.now_ns = clock_of;
    ro.clock_ctx = x;
    ro.id_seed = 42;
    x->ref = oracle::tc_tracer_new("svc", oracle::tc_sampler_always_on(), oracle::tc_exporter_memory(&x->ref_mem), &ro);
    x->sub_bag = tc_baggage{};
    x->ref_bag = oracle::tc_baggage{};
    x->sub_seen = x->ref_seen = 0;
}

void gen(void *, nl_rng *rng, void *o)
{
    tc_op *op = (tc_op *)o;
    static const int weights[OP_KINDS] = {11, 5, 7, 4, 6, 8, 9, 7, 4, 7, 6, 4, 3, 8, 3, 3, 5};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->slot = (int)nl_rng_below(rng, NSLOTS);
    op->other = (int)nl_rng_below(rng, NSLOTS);
    op->key = (int)nl_rng_below(rng, NKEYS);
    op->a = (int)nl_rng_below(rng, 60);
    op->b = (int)nl_rng_below(rng, 60);
    op->c = (int)nl_rng_below(rng, 60);
    op->d = (int)nl_rng_below(rng, 256);
    op->seed = (uint32_t)nl_rng_below(rng, 1u << 31);
}

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const tc_op *op = (const tc_op *)o;
    std::string h_bag = bag_header(x, op);       // computed from the oracle's baggage before either side runs
    // Whether the slot's span was started / still runs: the oracle's answer, before either side runs.
    bool started = x->ref_spans[op->slot].tracer != nullptr, busy = started && !x->ref_spans[op->slot].ended;
    x->rs.clear();
    TC_APPLY(, x, x->rs, x->sub_spans, x->sub_bag, x->sub);
    x->rs.push_back(bag_line(x->sub_bag));
    x->sjson.clear();
    for (; x->sub_seen < x->sub_mem.spans.size(); x->sub_seen++)
        x->sjson.push_back(tc_span_to_json(&x->sub_mem.spans[x->sub_seen], "fallback"));
    x->rs.push_back("export calls " + std::to_string(x->sub_mem.batches));
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const tc_op *op = (const tc_op *)o;
    std::string h_bag = bag_header(x, op);
    bool started = x->ref_spans[op->slot].tracer != nullptr, busy = started && !x->ref_spans[op->slot].ended;
    x->rr.clear();
    TC_APPLY(oracle::, x, x->rr, x->ref_spans, x->ref_bag, x->ref);
    x->rr.push_back(bag_line(x->ref_bag));
    x->rjson.clear();
    for (; x->ref_seen < x->ref_mem.spans.size(); x->ref_seen++)
        x->rjson.push_back(oracle::tc_span_to_json(&x->ref_mem.spans[x->ref_seen], "fallback"));
    x->rr.push_back("export calls " + std::to_string(x->ref_mem.batches));
    if (op->kind == OP_TICK) x->ns += 1000 * (uint64_t)(1 + op->c);
}

bool compare(void *p, const void *, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    for (size_t i = 0; i < x->rr.size(); i++) {
        if (i >= x->rs.size() || x->rs[i] != x->rr[i]) {
            snprintf(diff, cap, "submission '%s', reference '%s'", i < x->rs.size() ? x->rs[i].c_str() : "(nothing)",
                     x->rr[i].c_str());
            return false;
        }
    }
    if (x->sjson.size() != x->rjson.size()) {
        snprintf(diff, cap, "spans exported by this call: submission %zu, reference %zu%s%s", x->sjson.size(),
                 x->rjson.size(), x->rjson.empty() ? "" : "; the reference's first: ",
                 x->rjson.empty() ? "" : x->rjson[0].c_str());
        return false;
    }
    for (size_t i = 0; i < x->rjson.size(); i++) {
        json_error_t e;
        json_t *a = json_loads(x->sjson[i].c_str(), 0, &e), *b = json_loads(x->rjson[i].c_str(), 0, &e);
        bool same = a && b && json_equal(a, b);
        json_decref(a);
        json_decref(b);
        if (!same) {
            snprintf(diff, cap, "exported span %zu: submission %s\n      reference %s", i, x->sjson[i].c_str(),
                     x->rjson[i].c_str());
            return false;
        }
    }
    return true;
}

void print(void *, const void *o, char *out, size_t cap)
{
    const tc_op *op = (const tc_op *)o;
    static const char *const names[OP_KINDS] = {"traceparent_parse", "id from/to hex", "baggage_set", "baggage_remove",
                                                "baggage_format/get", "baggage_parse", "span_start (root)",
                                                "span_start (child of a slot)", "span_start (remote parent)",
                                                "span_set_attr", "span_add_event", "span_set_status", "span_set_error",
                                                "span_end", "tracer_flush", "rng, contexts and ratio sampler",
                                                "clock += (1 + c) us"};
    std::string detail;
    if (op->kind == OP_PARSE || op->kind == OP_HEX || op->kind == OP_SPAN_REMOTE) detail = " on '" + header_of(op) + "'";
    if (op->kind == OP_BAG_SET) detail = " " + std::string(KEYS[op->key]) + " = '" + piece_string(op, 9) + "'";
    if (op->kind == OP_BAG_REMOVE) detail = std::string(" ") + KEYS[op->key];
    if (op->kind == OP_RNG) detail = " seed " + std::to_string(op->seed);
    snprintf(out, cap, "%s (slot %d, other %d, key %s, a=%d b=%d c=%d d=%d)%s", names[op->kind], op->slot, op->other,
             KEYS[op->key], op->a, op->b, op->c, op->d, detail.c_str());
}
} // namespace

// 200 seeds x 40 operations; the tracer has id seed 42, batches of 3, a virtual clock from 1 ms.
void test_differential_random_histories(void **)
{
    static ctx x;
    nl_diff_ops ops = {sizeof(tc_op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 200, 40});
    reset(&x);
    tc_tracer_free(x.sub);
    oracle::tc_tracer_free(x.ref);
    x.sub = nullptr;
    x.ref = nullptr;
}
