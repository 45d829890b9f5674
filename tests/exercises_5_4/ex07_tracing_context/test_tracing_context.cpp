// test_tracing_context.cpp — EX07 suite: the seed's 10 tests and the tests that pin strict W3C
// parsing, sampling decisions, RAII span end, batching, baggage and the JSON exporter.
#include "tracing_context.h"
#include "nl_check.h"
#include "nl_test.h"

#include <cctype>
#include <cstring>
#include <ctime>
#include <jansson.h>
#include <map>
#include <set>
#include <string>
#include <pthread.h>
#include <unistd.h>

static uint64_t vns;                                 // virtual clock in ns
static uint64_t vclock(void *) { return vns += 1000; }

static tc_tracer *make_tracer(tc_sampler s, tc_memory_exporter *m, size_t batch = 0, uint64_t seed = 42)
{
    vns = 1000000;
    tc_tracer_options o{};
    o.batch_size = batch;
    o.now_ns = vclock;
    o.id_seed = seed;
    return tc_tracer_new("svc", s, tc_exporter_memory(m), &o);
}

static const char *map_get(void *ctx, const char *key)
{
    auto *m = (std::map<std::string, std::string> *)ctx;
    auto it = m->find(key);
    return it == m->end() ? nullptr : it->second.c_str();
}
static void map_set(void *ctx, const char *key, const char *value) { (*(std::map<std::string, std::string> *)ctx)[key] = value; }

static bool same_trace(tc_trace_id a, tc_trace_id b) { return a.hi == b.hi && a.lo == b.lo; }

static bool parses_at(const nl_where &w, const char *s)
{
    tc_context c;
    std::string err;
    bool ok = tc_traceparent_parse(s, &c, &err);
    if (!ok && err.find("traceparent") == std::string::npos)
        nl_fail_at(w, "traceparent_parse('%s') refused it with the reason '%s': expected a reason naming the traceparent",
                   s ? s : "(null)", err.c_str());
    return ok;
}
#define parses(s) parses_at(NL_HERE, s)
// EXPECT_PARSES("00-...", false): "traceparent_parse('...'): expected refused, got accepted".
#define EXPECT_PARSES(s, want)                                                                          \
    do {                                                                                                \
        const char *s_ = (s);                                                                           \
        bool got_ = parses(s_);                                                                         \
        if (got_ != (want))                                                                             \
            NL_FAIL("traceparent_parse('%s'): expected %s, got %s", s_ ? s_ : "(null)",                 \
                    (want) ? "accepted" : "refused", got_ ? "accepted" : "refused");                  \
    } while (0)

// A C string that may be NULL, for comparing: NULL reads "(NULL)".
static std::string or_null(const char *s) { return s ? s : "(NULL)"; }

static const char *GOOD = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/* ---- the seed's tests ---- */

static void test_trace_context_generation(void **)
{
    tc_rng r;
    tc_rng_init(&r, 0);                                // random ids
    tc_context c = tc_context_new_root(&r, true);
    NL_EXPECT_EQ_INT(c.parent_span_id, 0, "c.parent_span_id");
    NL_EXPECT_TRUE(tc_context_is_sampled(&c));
    NL_EXPECT_TRUE(c.span_id != 0);
    NL_EXPECT_TRUE(c.trace_id.hi != 0 || c.trace_id.lo != 0);
}

static void test_child_context(void **)
{
    tc_rng r;
    tc_rng_init(&r, 9);
    tc_context p = tc_context_new_root(&r, true);
    tc_context c = tc_context_child(&p, &r);
    NL_EXPECT_TRUE(same_trace(c.trace_id, p.trace_id));
    NL_EXPECT_EQ_INT(c.parent_span_id, p.span_id, "c.parent_span_id");
    NL_EXPECT_TRUE(c.span_id != p.span_id);
}

static void test_traceparent_roundtrip(void **)
{
    tc_rng r;
    tc_rng_init(&r, 5);
    tc_context c = tc_context_new_root(&r, true), back;
    char tp[56];
    tc_traceparent_format(&c, tp);
    NL_EXPECT_TRUE(tc_traceparent_parse(tp, &back, nullptr));
    NL_EXPECT_TRUE(same_trace(back.trace_id, c.trace_id));
    NL_EXPECT_EQ_INT(back.span_id, c.span_id, "back.span_id");
    NL_EXPECT_TRUE(tc_context_is_sampled(&back));
}

static void test_traceparent_format(void **)
{
    tc_rng r;
    tc_rng_init(&r, 5);
    tc_context c = tc_context_new_root(&r, true);
    char tp[56];
    tc_traceparent_format(&c, tp);
    std::string s = tp;
    NL_EXPECT_EQ_INT(s.size(), 55, "s.size()");
    NL_EXPECT_STREQ(s.substr(0, 3), "00-", "s.substr(0, 3)");
    NL_EXPECT_EQ_INT(s[35], '-', "s[35]");
    NL_EXPECT_EQ_INT(s[52], '-', "s[52]");
    NL_EXPECT_STREQ(s.substr(53), "01", "s.substr(53)");
    for (size_t i : {3, 20, 36, 51}) NL_EXPECT_TRUE(isxdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]));
}

static void test_span_lifecycle(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m);
    {
        tc_active_span s;
        tc_span_options o{TC_KIND_SERVER, nullptr, {}, {}};
        tc_span_start(&s, t, "test_operation", &o);
        tc_span_set_attr(&s, tc_attr_str("key", "value"));
        tc_span_add_event(&s, "processing", TC_SEV_INFO, nullptr);
        tc_span_set_status(&s, TC_STATUS_OK, nullptr);
    }                                                   // the guard ends the span
    tc_tracer_flush(t);
    NL_EXPECT_EQ_INT(m.spans.size(), 1, "m.spans.size()");
    NL_EXPECT_STREQ(m.spans[0].name, "test_operation", "m.spans[0].name");
    NL_EXPECT_TRUE(m.spans[0].end_ns > m.spans[0].start_ns);
    NL_EXPECT_EQ_INT(m.spans[0].kind, TC_KIND_SERVER, "m.spans[0].kind");
    NL_EXPECT_EQ_INT(m.spans[0].status, TC_STATUS_OK, "m.spans[0].status");
    tc_tracer_free(t);
}

static void test_span_parent_child(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m);
    tc_context parent_ctx;
    {
        tc_active_span parent;
        tc_span_start(&parent, t, "parent", nullptr);
        parent_ctx = parent.span.ctx;
        tc_active_span child;
        tc_span_options o{TC_KIND_INTERNAL, &parent_ctx, {}, {}};
        tc_span_start(&child, t, "child", &o);
    }
    tc_tracer_flush(t);
    NL_EXPECT_EQ_INT(m.spans.size(), 2, "m.spans.size()");
    const tc_span &child = m.spans[0].name == "child" ? m.spans[0] : m.spans[1];
    NL_EXPECT_STREQ(child.name, "child", "child.name");
    NL_EXPECT_TRUE(same_trace(child.ctx.trace_id, parent_ctx.trace_id));
    NL_EXPECT_EQ_INT(child.ctx.parent_span_id, parent_ctx.span_id, "child.ctx.parent_span_id");
    tc_tracer_free(t);
}

static void test_ratio_sampler(void **)
{
    tc_ratio_sampler never, always;
    tc_ratio_sampler_init(&never, 0.0, 1);
    tc_ratio_sampler_init(&always, 1.0, 1);
    tc_sampler n = tc_sampler_ratio(&never), a = tc_sampler_ratio(&always);
    tc_context c{};
    for (int i = 0; i < 100; i++) {
        NL_EXPECT_TRUE(!(n.should_sample(n.self, &c, "x")));
        NL_EXPECT_TRUE(a.should_sample(a.self, &c, "x"));
    }
}

static void test_w3c_propagator(void **)
{
    tc_rng r;
    tc_rng_init(&r, 3);
    tc_context c = tc_context_new_root(&r, true), got{};
    std::map<std::string, std::string> headers;
    tc_carrier carrier{map_get, map_set, &headers};
    tc_propagator p = tc_w3c_propagator();
    p.inject(p.self, &c, nullptr, &carrier);
    NL_EXPECT_TRUE(headers.count("traceparent") == 1);
    NL_EXPECT_TRUE(p.extract(p.self, &carrier, &got, nullptr));
    NL_EXPECT_TRUE(same_trace(got.trace_id, c.trace_id));
    NL_EXPECT_EQ_INT(got.span_id, c.span_id, "got.span_id");
}

static void test_span_events(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m);
    {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
        tc_span_add_event(&s, "event1", TC_SEV_INFO, nullptr);
        tc_span_add_event(&s, "event2", TC_SEV_WARN, nullptr);
    }
    tc_tracer_flush(t);
    NL_EXPECT_EQ_INT(m.spans[0].events.size(), 2, "m.spans[0].events.size()");
    NL_EXPECT_STREQ(m.spans[0].events[0].name, "event1", "m.spans[0].events[0].name");
    NL_EXPECT_STREQ(m.spans[0].events[1].name, "event2", "m.spans[0].events[1].name");
    NL_EXPECT_TRUE(m.spans[0].events[0].time_ns < m.spans[0].events[1].time_ns);
    tc_tracer_free(t);
}

static void test_baggage(void **)
{
    tc_baggage b;
    tc_baggage_set(&b, "user_id", "12345");
    tc_baggage_set(&b, "tenant", "acme");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&b, "user_id")), "12345", "tc_baggage_get(&b, \"user_id\")");
    NL_EXPECT_TRUE((tc_baggage_get(&b, "missing")) == nullptr);
    NL_EXPECT_TRUE(tc_baggage_remove(&b, "user_id"));
    NL_EXPECT_TRUE((tc_baggage_get(&b, "user_id")) == nullptr);
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&b, "tenant")), "acme", "tc_baggage_get(&b, \"tenant\")");
}

/* ---- strict traceparent ---- */

static void test_traceparent_rejects_bad_version(void **)
{
    EXPECT_PARSES(GOOD, true);
    EXPECT_PARSES("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false);
    EXPECT_PARSES("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false);
    EXPECT_PARSES("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", false);
    EXPECT_PARSES("", false);
    EXPECT_PARSES(nullptr, false);
}

static void test_traceparent_rejects_bad_lengths(void **)
{
    EXPECT_PARSES("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", false);   // 56
    EXPECT_PARSES("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", false);     // 54
    EXPECT_PARSES("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01", false);    // dash moved
    EXPECT_PARSES("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", false);
    EXPECT_PARSES("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ", false);
}

static void test_traceparent_rejects_uppercase(void **)
{
    EXPECT_PARSES("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", false);
    EXPECT_PARSES("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", false);
    EXPECT_PARSES("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", false);
    EXPECT_PARSES("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01", false);
}

static void test_traceparent_rejects_zero_ids(void **)
{
    EXPECT_PARSES("00-00000000000000000000000000000000-00f067aa0ba902b7-01", false);
    EXPECT_PARSES("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", false);
    EXPECT_PARSES("00-00000000000000000000000000000001-0000000000000001-00", true);
}

static void test_traceparent_flags(void **)
{
    tc_context c;
    NL_EXPECT_TRUE(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &c, nullptr));
    NL_EXPECT_TRUE(!(tc_context_is_sampled(&c)));
    NL_EXPECT_TRUE(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02", &c, nullptr));
    NL_EXPECT_TRUE(!(tc_context_is_sampled(&c)));                 // only bit 0 means sampled
    NL_EXPECT_TRUE(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", &c, nullptr));
    NL_EXPECT_TRUE(tc_context_is_sampled(&c));
    char tp[56];
    c.flags = 0;
    tc_traceparent_format(&c, tp);
    NL_EXPECT_STREQ(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", "tp");
}

static void test_hex_ids_roundtrip(void **)
{
    char t[33], s[17];
    tc_trace_id_to_hex(tc_trace_id{0, 1}, t);
    NL_EXPECT_STREQ(t, "00000000000000000000000000000001", "t");
    tc_span_id_to_hex(0xabc, s);
    NL_EXPECT_STREQ(s, "0000000000000abc", "s");
    tc_trace_id id;
    tc_span_id sid;
    NL_EXPECT_TRUE(tc_trace_id_from_hex("0af7651916cd43dd8448eb211c80319c", &id));
    NL_EXPECT_EQ_INT(id.hi, 0x0af7651916cd43ddull, "id.hi");
    NL_EXPECT_EQ_INT(id.lo, 0x8448eb211c80319cull, "id.lo");
    NL_EXPECT_TRUE(!(tc_trace_id_from_hex("0AF7651916CD43DD8448EB211C80319C", &id)));
    NL_EXPECT_TRUE(!(tc_trace_id_from_hex("0af7651916cd43dd8448eb211c80319", &id)));
    NL_EXPECT_TRUE(!(tc_span_id_from_hex("0000000000000000", &sid)));
    NL_EXPECT_TRUE(tc_span_id_from_hex("00f067aa0ba902b7", &sid));
    NL_EXPECT_EQ_INT(sid, 0x00f067aa0ba902b7ull, "sid");
}

static void test_tracestate_carried(void **)
{
    std::map<std::string, std::string> h = {{"traceparent", GOOD}, {"tracestate", "congo=t61rcWkgMzE"}};
    tc_carrier carrier{map_get, map_set, &h};
    tc_propagator p = tc_w3c_propagator();
    tc_context c{};
    NL_EXPECT_TRUE(p.extract(p.self, &carrier, &c, nullptr));
    NL_EXPECT_STREQ(c.trace_state, "congo=t61rcWkgMzE", "c.trace_state");
    std::map<std::string, std::string> out;
    tc_carrier oc{map_get, map_set, &out};
    p.inject(p.self, &c, nullptr, &oc);
    NL_EXPECT_STREQ(out["tracestate"], "congo=t61rcWkgMzE", "out[\"tracestate\"]");
    h["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x";
    tc_context untouched = c;
    NL_EXPECT_TRUE(!(p.extract(p.self, &carrier, &c, nullptr)));
    NL_EXPECT_EQ_INT(c.span_id, untouched.span_id, "c.span_id");
}

/* ---- spans and sampling ---- */

static void test_span_ends_once_on_scope_exit(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m);
    uint64_t ended_at;
    {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
        tc_span_end(&s);
        ended_at = s.span.end_ns;
        tc_span_set_attr(&s, tc_attr_int("late", 1));    // after end: ignored
        tc_span_end(&s);
    }
    tc_tracer_flush(t);
    NL_EXPECT_EQ_INT(m.spans.size(), 1, "m.spans.size()");
    NL_EXPECT_EQ_INT(m.spans[0].end_ns, ended_at, "m.spans[0].end_ns");
    NL_EXPECT_EQ_INT(m.spans[0].attrs.size(), 0, "m.spans[0].attrs.size()");
    tc_tracer_free(t);
}

static void test_unsampled_not_exported(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_off(), &m);
    tc_context ctx;
    {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
        NL_EXPECT_TRUE(!(s.recording));
        ctx = s.span.ctx;
    }
    tc_tracer_free(t);
    NL_EXPECT_EQ_INT(m.spans.size(), 0, "m.spans.size()");
    NL_EXPECT_TRUE(!(tc_context_is_sampled(&ctx)));
    NL_EXPECT_TRUE(ctx.span_id != 0);                         // still propagated downstream
    char tp[56];
    tc_traceparent_format(&ctx, tp);
    EXPECT_PARSES(tp, true);
}

static void test_child_follows_parent_sampling(void **)
{
    tc_ratio_sampler half;
    tc_ratio_sampler_init(&half, 0.5, 77);
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_ratio(&half), &m);
    tc_context root;
    NL_EXPECT_TRUE(tc_traceparent_parse(GOOD, &root, nullptr));     // a sampled remote parent
    for (int i = 0; i < 40; i++) {
        tc_active_span s;
        tc_span_options o{TC_KIND_SERVER, &root, {}, {}};
        tc_span_start(&s, t, "child", &o);
    }
    tc_tracer_flush(t);
    NL_EXPECT_EQ_INT(m.spans.size(), 40, "m.spans.size()");                        // every child of a sampled parent
    tc_tracer_free(t);

    tc_memory_exporter m2{};
    t = make_tracer(tc_sampler_always_on(), &m2);
    NL_EXPECT_TRUE(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &root, nullptr));
    for (int i = 0; i < 5; i++) {
        tc_active_span s;
        tc_span_options o{TC_KIND_SERVER, &root, {}, {}};
        tc_span_start(&s, t, "child", &o);
        NL_EXPECT_TRUE(!(tc_context_is_sampled(&s.span.ctx)));
    }
    tc_tracer_free(t);
    NL_EXPECT_EQ_INT(m2.spans.size(), 0, "m2.spans.size()");                        // the upstream said no
}

static void test_ratio_sampler_seeded(void **)
{
    tc_ratio_sampler a, b, c;
    tc_ratio_sampler_init(&a, 0.25, 1234);
    tc_ratio_sampler_init(&b, 0.25, 1234);
    tc_ratio_sampler_init(&c, 0.25, 99);
    tc_sampler sa = tc_sampler_ratio(&a), sb = tc_sampler_ratio(&b), sc = tc_sampler_ratio(&c);
    tc_context ctx{};
    int yes = 0, differ = 0;
    for (int i = 0; i < 10000; i++) {
        bool x = sa.should_sample(sa.self, &ctx, "op");
        NL_EXPECT_EQ_INT(x, sb.should_sample(sb.self, &ctx, "op"), "x");   // same seed, same decisions
        differ += x != sc.should_sample(sc.self, &ctx, "op");
        yes += x;
    }
    NL_EXPECT_TRUE(yes > 2300 && yes < 2700);
    NL_EXPECT_TRUE(differ > 1000);
}

static void test_batch_export(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m, 3);
    for (int i = 0; i < 2; i++) {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
    }
    NL_EXPECT_EQ_INT(m.spans.size(), 0, "m.spans.size()");                 // waiting for a full batch
    {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
    }
    NL_EXPECT_EQ_INT(m.spans.size(), 3, "m.spans.size()");
    NL_EXPECT_EQ_INT(m.batches, 1, "m.batches");
    {
        tc_active_span s;
        tc_span_start(&s, t, "last", nullptr);
    }
    NL_EXPECT_EQ_INT(m.spans.size(), 3, "m.spans.size()");
    tc_tracer_free(t);                                   // free flushes the rest
    NL_EXPECT_EQ_INT(m.spans.size(), 4, "m.spans.size()");
    NL_EXPECT_EQ_INT(m.batches, 2, "m.batches");
}

static void test_attribute_replace(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m);
    {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
        tc_span_set_attr(&s, tc_attr_int("retries", 1));
        tc_span_set_attr(&s, tc_attr_str("db", "orders"));
        tc_span_set_attr(&s, tc_attr_int("retries", 2));
    }
    tc_tracer_free(t);
    NL_EXPECT_EQ_INT(m.spans[0].attrs.size(), 2, "m.spans[0].attrs.size()");
    NL_EXPECT_STREQ(m.spans[0].attrs[0].key, "retries", "m.spans[0].attrs[0].key");
    NL_EXPECT_EQ_INT(m.spans[0].attrs[0].i, 2, "m.spans[0].attrs[0].i");
}

static void test_set_error(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m);
    {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
        tc_span_set_error(&s, "connection refused");
    }
    tc_tracer_free(t);
    NL_EXPECT_EQ_INT(m.spans[0].status, TC_STATUS_ERROR, "m.spans[0].status");
    NL_EXPECT_STREQ(m.spans[0].status_message, "connection refused", "m.spans[0].status_message");
    NL_EXPECT_EQ_INT(m.spans[0].events.size(), 1, "m.spans[0].events.size()");
    NL_EXPECT_STREQ(m.spans[0].events[0].name, "exception", "m.spans[0].events[0].name");
}

/* ---- baggage propagation ---- */

static void test_baggage_header_roundtrip(void **)
{
    tc_baggage b, got;
    tc_baggage_set(&b, "user", "alice smith");
    tc_baggage_set(&b, "query", "a=1,b=2;c%");
    tc_baggage_set(&b, "user", "bob");                   // replaced in place
    std::string h = tc_baggage_format(&b);
    NL_EXPECT_STREQ(h, "user=bob,query=a%3D1%2Cb%3D2%3Bc%25", "h");
    NL_EXPECT_TRUE(tc_baggage_parse(h.c_str(), &got, nullptr));
    NL_EXPECT_EQ_INT(got.entries.size(), 2, "got.entries.size()");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&got, "query")), "a=1,b=2;c%", "tc_baggage_get(&got, \"query\")");
    NL_EXPECT_TRUE(tc_baggage_parse(" k1 = v1 ; prop=x , k2=v%202 ", &got, nullptr));
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&got, "k1")), "v1", "tc_baggage_get(&got, \"k1\")");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&got, "k2")), "v 2", "tc_baggage_get(&got, \"k2\")");
    std::string err;
    NL_EXPECT_TRUE(!(tc_baggage_parse("novalue,k=v", &got, &err)));
    NL_EXPECT_TRUE(err.find("novalue") != std::string::npos);
    NL_EXPECT_TRUE(!(tc_baggage_parse("k=%zz", &got, &err)));
    // Composite: both headers out, both back in.
    tc_composite comp{{tc_w3c_propagator(), tc_baggage_propagator()}};
    tc_propagator p = tc_composite_propagator(&comp);
    std::map<std::string, std::string> headers;
    tc_carrier carrier{map_get, map_set, &headers};
    tc_context c, back{};
    NL_EXPECT_TRUE(tc_traceparent_parse(GOOD, &c, nullptr));
    p.inject(p.self, &c, &b, &carrier);
    NL_EXPECT_EQ_INT(headers.size(), 2, "headers.size()");
    tc_baggage bb;
    NL_EXPECT_TRUE(p.extract(p.self, &carrier, &back, &bb));
    NL_EXPECT_EQ_INT(back.span_id, c.span_id, "back.span_id");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&bb, "user")), "bob", "tc_baggage_get(&bb, \"user\")");
}

/* ---- the file exporter ---- */

static json_t *field_at(const nl_where &w, json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!v) nl_fail_at(w, "the exported JSON object has no field \"%s\"", k);
    return v;
}
#define field(o, k) field_at(NL_HERE, o, k)

static void test_file_exporter_json(void **)
{
    char path[] = "spans.jsonl";
    unlink(path);
    std::string err;
    tc_file_exporter *fe = tc_file_exporter_open(path, "fallback", &err);
    NL_EXPECT_TRUE((fe) != nullptr);
    vns = 5000;
    tc_tracer_options o{};
    o.now_ns = vclock;
    o.id_seed = 11;
    tc_tracer *t = tc_tracer_new("checkout", tc_sampler_always_on(), tc_exporter_file(fe), &o);
    tc_context pctx;
    {
        tc_active_span parent;
        tc_span_start(&parent, t, "GET /cart", nullptr);
        pctx = parent.span.ctx;
        tc_active_span child;
        tc_span_options co{TC_KIND_CLIENT, &pctx, {tc_attr_int("rows", -7), tc_attr_double("ratio", 0.5)}, {{pctx, {}}}};
        tc_span_start(&child, t, "SELECT", &co);
        tc_span_set_attr(&child, tc_attr_bool("cached", true));
        tc_span_set_attr(&child, tc_attr_str("db", "pg"));
        std::vector<tc_attr> ea = {tc_attr_str("why", "slow")};
        tc_span_add_event(&child, "retry", TC_SEV_WARN, &ea);
        tc_span_set_status(&child, TC_STATUS_ERROR, "timeout");
    }
    tc_tracer_free(t);
    tc_file_exporter_close(fe);
    FILE *f = fopen(path, "r");
    NL_EXPECT_TRUE((f) != nullptr);
    char line[8192];
    int n = 0;
    json_t *child = nullptr, *parent = nullptr;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *o2 = json_loads(line, 0, &je);
        NL_EXPECT_TRUE((o2) != nullptr);
        n++;
        if (!strcmp(json_string_value(field(o2, "name")), "SELECT")) child = o2;
        else parent = o2;
    }
    fclose(f);
    NL_EXPECT_EQ_INT(n, 2, "n");
    NL_EXPECT_TRUE((child) != nullptr);
    NL_EXPECT_TRUE((parent) != nullptr);
    char tid[33], sid[17];
    tc_trace_id_to_hex(pctx.trace_id, tid);
    tc_span_id_to_hex(pctx.span_id, sid);
    NL_EXPECT_STREQ(or_null(json_string_value(field(child, "traceId"))), tid, "json_string_value(field(child, \"traceId\"))");
    NL_EXPECT_STREQ(or_null(json_string_value(field(child, "parentSpanId"))), sid, "json_string_value(field(child, \"parentSpanId\"))");
    NL_EXPECT_STREQ(or_null(json_string_value(field(parent, "spanId"))), sid, "json_string_value(field(parent, \"spanId\"))");
    NL_EXPECT_STREQ(or_null(json_string_value(field(parent, "parentSpanId"))), "", "json_string_value(field(parent, \"parentSpanId\"))");
    NL_EXPECT_STREQ(or_null(json_string_value(field(child, "kind"))), "SPAN_KIND_CLIENT", "json_string_value(field(child, \"kind\"))");
    uint64_t start = strtoull(json_string_value(field(child, "startTimeUnixNano")), nullptr, 10);
    uint64_t end = strtoull(json_string_value(field(child, "endTimeUnixNano")), nullptr, 10);
    NL_EXPECT_TRUE(start > 5000 && end > start);
    json_t *attrs = field(child, "attributes");
    NL_EXPECT_EQ_INT(json_array_size(attrs), 4, "json_array_size(attrs)");
    json_t *rows = field(json_array_get(attrs, 0), "value");
    NL_EXPECT_STREQ(or_null(json_string_value(field(rows, "intValue"))), "-7", "json_string_value(field(rows, \"intValue\"))");   // int64 as a string (OTLP JSON)
    NL_EXPECT_TRUE(json_real_value(field(field(json_array_get(attrs, 1), "value"), "doubleValue")) == 0.5);
    NL_EXPECT_TRUE(json_is_true(field(field(json_array_get(attrs, 2), "value"), "boolValue")));
    NL_EXPECT_STREQ(json_string_value(field(field(json_array_get(attrs, 3), "value"), "stringValue")), "pg", "json_string_value(field(field(json_array_get(attrs, 3), \"value\"), \"stringValue\"))");
    json_t *ev = json_array_get(field(child, "events"), 0);
    NL_EXPECT_STREQ(or_null(json_string_value(field(ev, "name"))), "retry", "json_string_value(field(ev, \"name\"))");
    NL_EXPECT_STREQ(or_null(json_string_value(field(ev, "severityText"))), "WARN", "json_string_value(field(ev, \"severityText\"))");
    NL_EXPECT_EQ_INT(json_array_size(field(child, "links")), 1, "json_array_size(field(child, \"links\"))");
    NL_EXPECT_STREQ(or_null(json_string_value(field(field(child, "status"), "code"))), "STATUS_CODE_ERROR", "json_string_value(field(field(child, \"status\"), \"code\"))");
    NL_EXPECT_STREQ(or_null(json_string_value(field(field(child, "status"), "message"))), "timeout", "json_string_value(field(field(child, \"status\"), \"message\"))");
    NL_EXPECT_STREQ(or_null(json_string_value(field(field(child, "resource"), "service.name"))), "checkout", "json_string_value(field(field(child, \"resource\"), \"service.name\"))");
    json_decref(child);
    json_decref(parent);
}

static void test_file_exporter_bad_path(void **)
{
    std::string err;
    NL_EXPECT_TRUE((tc_file_exporter_open("/nonexistent-dir/spans.jsonl", "s", &err)) == nullptr);
    NL_EXPECT_TRUE(err.find("/nonexistent-dir/spans.jsonl") != std::string::npos);
    NL_EXPECT_TRUE(err.find("No such file") != std::string::npos);
}


/* ---- the rules one by one ---- */

static uint64_t splitmix(uint64_t *state)        // the README's generator, written again
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void test_ids_are_splitmix64(void **)
{
    for (uint64_t seed : {1ull, 42ull, 0xdeadbeefull}) {
        uint64_t st = seed;
        tc_rng r;
        tc_rng_init(&r, seed);
        for (int i = 0; i < 3; i++) NL_EXPECT_EQ_INT(tc_rng_next(&r), splitmix(&st), "tc_rng_next #%d, seed %llu", i, (unsigned long long)seed);
        tc_rng_init(&r, seed);
        st = seed;
        tc_context c = tc_context_new_root(&r, false);
        uint64_t hi = splitmix(&st), lo = splitmix(&st), sp = splitmix(&st);
        NL_EXPECT_TRUE(c.trace_id.hi == hi && c.trace_id.lo == lo, "new_root with seed %llu: trace id = (next, next)", (unsigned long long)seed);
        NL_EXPECT_TRUE(c.span_id == sp, "new_root with seed %llu: span id = the third draw", (unsigned long long)seed);
        NL_EXPECT_EQ_INT(c.flags, 0, "new_root(sampled=false): flags");
        NL_EXPECT_EQ_INT(c.parent_span_id, 0, "new_root: no parent");
        tc_context k = tc_context_child(&c, &r);
        NL_EXPECT_TRUE(k.span_id == splitmix(&st), "child with seed %llu: span id = the next draw", (unsigned long long)seed);
    }
    tc_rng r;
    tc_rng_init(&r, 7);
    tc_context a = tc_context_new_root(&r, true);
    char tp[56];
    tc_traceparent_format(&a, tp);
    NL_EXPECT_STREQ(tp, "00-63cbe1e459320dd7044c3cd7f43c661c-e6984080bab12a02-01", "the README's seed-7 traceparent");
}

static void test_child_keeps_flags_and_state(void **)
{
    tc_context p{};
    NL_EXPECT_TRUE(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", &p, nullptr), "parse");
    p.trace_state = "congo=t61";
    tc_rng r;
    tc_rng_init(&r, 3);
    tc_context c = tc_context_child(&p, &r);
    NL_EXPECT_EQ_INT(c.flags, 3, "the child's flags: the parent's, every bit");
    NL_EXPECT_STREQ(c.trace_state, "congo=t61", "the child's trace state");
    NL_EXPECT_TRUE(c.parent_span_id == 0x00f067aa0ba902b7ull, "the child's parent id");
    NL_EXPECT_EQ_INT(p.parent_span_id, 0, "a parsed context has no parent");
    NL_EXPECT_STREQ(p.trace_state, "congo=t61", "the parent is not changed");
    tc_context bad = c;
    NL_EXPECT_TRUE(!tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", &bad, nullptr), "54 chars");
    NL_EXPECT_TRUE(bad.span_id == c.span_id && bad.flags == 3, "a refused parse leaves *out untouched");
    tc_trace_id t{9, 9};
    NL_EXPECT_TRUE(!tc_trace_id_from_hex("00000000000000000000000000000000", &t), "an all-zero trace id");
    NL_EXPECT_TRUE(t.hi == 9 && t.lo == 9, "a refused trace id leaves *out untouched");
    NL_EXPECT_TRUE(!tc_trace_id_from_hex("0af7651916cd43dd8448eb211c80319c0", &t), "33 hex digits");
    tc_span_id sid = 4;
    NL_EXPECT_TRUE(!tc_span_id_from_hex("00f067aa0ba902b", &sid), "15 hex digits");
    NL_EXPECT_TRUE(!tc_span_id_from_hex("00f067aa0ba902b7a", &sid), "17 hex digits");
    NL_EXPECT_TRUE(!tc_span_id_from_hex("00F067AA0BA902B7", &sid), "upper-case span id");
    NL_EXPECT_EQ_INT(sid, 4, "a refused span id leaves *out untouched");
    char h[17];
    tc_span_id_to_hex(0xffffffffffffffffull, h);
    NL_EXPECT_STREQ(h, "ffffffffffffffff", "span_id_to_hex of all ones");
}

struct count_sampler { int calls; bool answer; };
static bool counted(void *self, const tc_context *, const char *)
{
    count_sampler *c = (count_sampler *)self;
    c->calls++;
    return c->answer;
}

static void test_sampler_asked_once_per_root(void **)
{
    count_sampler cs{0, true};
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler{counted, &cs}, &m);
    tc_context root;
    {
        tc_active_span r;
        tc_span_start(&r, t, "root", nullptr);
        root = r.span.ctx;
        NL_EXPECT_EQ_INT(cs.calls, 1, "sampler calls after one root span");
        NL_EXPECT_EQ_INT(root.flags, 1, "the root's flags with a sampler that says yes");
        tc_active_span c;
        tc_span_options o{TC_KIND_INTERNAL, &root, {}, {}};
        tc_span_start(&c, t, "child", &o);
        NL_EXPECT_EQ_INT(cs.calls, 1, "sampler calls after a child span: the parent decided");
    }
    cs.answer = false;
    {
        tc_active_span c;
        tc_span_options o{TC_KIND_INTERNAL, &root, {}, {}};
        tc_span_start(&c, t, "late child", &o);
        NL_EXPECT_TRUE(c.recording, "a child of a sampled parent records even when the sampler says no");
        tc_active_span r;
        tc_span_start(&r, t, "second root", nullptr);
        NL_EXPECT_TRUE(!r.recording, "a root the sampler refuses does not record");
        NL_EXPECT_EQ_INT(r.span.ctx.flags, 0, "its flags");
    }
    NL_EXPECT_EQ_INT(cs.calls, 2, "sampler calls after a second root");
    tc_tracer_free(t);
    NL_EXPECT_EQ_INT(m.spans.size(), 3, "exported: root, child, late child");
}

static void test_ratio_sampler_formula(void **)
{
    double ratios[] = {-0.5, 0.0, 0.3, 0.75, 1.0, 7.0};
    for (double ratio : ratios) {
        tc_ratio_sampler rs;
        tc_ratio_sampler_init(&rs, ratio, 5);
        NL_EXPECT_TRUE(rs.ratio == (ratio < 0 ? 0 : ratio > 1 ? 1 : ratio), "ratio %g clamped to [0, 1]: got %g", ratio, rs.ratio);
        tc_sampler smp = tc_sampler_ratio(&rs);
        uint64_t st = 5;
        tc_context c{};
        for (int i = 0; i < 200; i++) {
            double u = (double)(splitmix(&st) >> 11) * 0x1.0p-53;
            bool want = u < rs.ratio, got = smp.should_sample(smp.self, &c, "op");
            if (got != want) NL_FAIL("ratio %g, decision %d: u = %.17g, expected %d, got %d", ratio, i, u, want, got);
        }
    }
    tc_ratio_sampler zero, one;
    tc_ratio_sampler_init(&zero, 0.5, 0);             // seed 0 means 1
    tc_ratio_sampler_init(&one, 0.5, 1);
    tc_sampler a = tc_sampler_ratio(&zero), b = tc_sampler_ratio(&one);
    tc_context c{};
    for (int i = 0; i < 64; i++)
        NL_EXPECT_EQ_INT(a.should_sample(a.self, &c, "x"), b.should_sample(b.self, &c, "x"), "seed 0 vs seed 1, decision %d", i);
}

static void test_unsampled_records_nothing(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_off(), &m, 1);
    tc_active_span s;
    tc_span_start(&s, t, "op", nullptr);
    tc_span_set_attr(&s, tc_attr_int("a", 1));
    tc_span_add_event(&s, "e", TC_SEV_INFO, nullptr);
    tc_span_set_status(&s, TC_STATUS_OK, nullptr);
    tc_span_set_error(&s, "x");
    NL_EXPECT_EQ_INT(s.span.attrs.size(), 0, "attributes kept by an unsampled span");
    NL_EXPECT_EQ_INT(s.span.events.size(), 0, "events kept by an unsampled span");
    NL_EXPECT_EQ_INT(s.span.status, TC_STATUS_UNSET, "status of an unsampled span");
    tc_span_end(&s);
    tc_tracer_flush(t);
    NL_EXPECT_EQ_INT(m.spans.size() + m.batches, 0, "exported spans and export calls (batch size 1)");
    tc_tracer_free(t);
}

static void test_span_options_and_clock(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m);
    uint64_t before;
    {
        tc_active_span s;
        before = vns;
        tc_span_start(&s, t, "plain", nullptr);
        NL_EXPECT_EQ_INT(s.span.kind, TC_KIND_INTERNAL, "kind without options");
        NL_EXPECT_STREQ(s.span.service_name, "svc", "the span's service name");
        NL_EXPECT_TRUE(s.span.start_ns > before && s.span.start_ns <= vns, "start time from the tracer's clock: %llu",
                       (unsigned long long)s.span.start_ns);
        NL_EXPECT_EQ_INT(s.span.end_ns, 0, "end_ns while the span runs");
        tc_span_set_status(&s, TC_STATUS_OK, "ignored for OK");
        NL_EXPECT_STREQ(s.span.status_message, "", "status message kept for OK");
        tc_span_set_status(&s, TC_STATUS_ERROR, "bad");
        NL_EXPECT_STREQ(s.span.status_message, "bad", "status message kept for ERROR");
        tc_span_set_status(&s, TC_STATUS_UNSET, "again");
        NL_EXPECT_STREQ(s.span.status_message, "", "status message after UNSET");
        std::vector<tc_attr> ea = {tc_attr_str("k", "v")};
        uint64_t t0 = vns;
        tc_span_add_event(&s, "e1", TC_SEV_DEBUG, &ea);
        NL_EXPECT_TRUE(s.span.events.back().time_ns > t0, "an event's time from the clock");
        NL_EXPECT_EQ_INT(s.span.events.back().severity, TC_SEV_DEBUG, "an event's severity");
        NL_EXPECT_STREQ(s.span.events.back().attrs[0].s, "v", "an event's attributes");
        tc_span_set_error(&s, nullptr);
        NL_EXPECT_STREQ(s.span.events.back().name, "exception", "set_error's event");
        NL_EXPECT_EQ_INT(s.span.events.back().severity, TC_SEV_ERROR, "set_error's event severity");
        NL_EXPECT_STREQ(s.span.events.back().attrs[0].key, "exception.message", "set_error's event attribute");
        tc_span_end(&s);
        NL_EXPECT_TRUE(s.span.end_ns > s.span.start_ns, "end time after the start");
        uint64_t end = s.span.end_ns;
        tc_span_add_event(&s, "late", TC_SEV_INFO, nullptr);
        tc_span_set_status(&s, TC_STATUS_OK, nullptr);
        NL_EXPECT_EQ_INT(s.span.events.size(), 2, "events after the end");
        NL_EXPECT_EQ_INT(s.span.status, TC_STATUS_ERROR, "status after the end");
        tc_span_end(&s);
        NL_EXPECT_TRUE(s.span.end_ns == end, "a second end keeps the first end time");
    }
    tc_tracer_flush(t);
    NL_EXPECT_EQ_INT(m.spans.size(), 1, "exported spans");
    NL_EXPECT_EQ_INT(m.batches, 1, "export calls");
    tc_tracer_flush(t);
    NL_EXPECT_EQ_INT(m.batches, 1, "export calls after a flush with nothing waiting");
    tc_tracer_free(t);
    NL_EXPECT_EQ_INT(m.batches, 1, "export calls after free with nothing waiting");
}

static void test_propagators_edge_cases(void **)
{
    tc_context c{};
    NL_EXPECT_TRUE(tc_traceparent_parse(GOOD, &c, nullptr), "parse GOOD");
    tc_baggage empty;
    std::map<std::string, std::string> h;
    tc_carrier carrier{map_get, map_set, &h};
    tc_composite comp{{tc_w3c_propagator(), tc_baggage_propagator()}};
    tc_propagator p = tc_composite_propagator(&comp);
    p.inject(p.self, &c, &empty, &carrier);
    std::string keys;
    for (auto &[k, v] : h) keys += k + " ";
    NL_EXPECT_STREQ(keys, "traceparent ", "headers injected for an empty trace state and empty baggage");
    NL_EXPECT_STREQ(h["traceparent"], GOOD, "the injected traceparent");
    tc_baggage got;
    tc_baggage_set(&got, "keep", "me");
    tc_context back{};
    NL_EXPECT_TRUE(p.extract(p.self, &carrier, &back, &got), "composite extract: traceparent only");
    NL_EXPECT_STREQ(back.trace_state, "", "trace state without a tracestate header");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&got, "keep")), "me", "baggage untouched without a baggage header");
    std::map<std::string, std::string> h2 = {{"baggage", "a=1"}, {"traceparent", "00-bad"}};
    tc_carrier c2{map_get, map_set, &h2};
    tc_context untouched = back;
    NL_EXPECT_TRUE(p.extract(p.self, &c2, &back, &got), "composite extract: a bad traceparent, a good baggage");
    NL_EXPECT_TRUE(back.span_id == untouched.span_id, "the context after a bad traceparent");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&got, "a")), "1", "the baggage extracted");
    std::map<std::string, std::string> h3 = {{"baggage", "novalue"}};
    tc_carrier c3{map_get, map_set, &h3};
    NL_EXPECT_TRUE(!p.extract(p.self, &c3, &back, &got), "composite extract: nothing valid");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&got, "a")), "1", "the baggage after an invalid header");
    tc_propagator bp = tc_baggage_propagator();
    std::map<std::string, std::string> h4;
    tc_carrier c4{map_get, map_set, &h4};
    bp.inject(bp.self, &c, &got, &c4);
    NL_EXPECT_STREQ(h4["baggage"], "a=1", "baggage propagator inject");
    NL_EXPECT_TRUE(!bp.extract(bp.self, &carrier, &back, &got), "baggage extract without a header");
}

static void test_baggage_encoding_exact(void **)
{
    tc_baggage b;
    tc_baggage_set(&b, "k", "a b\t!~\x7f\"\\,;=%\xc3\xa9");
    NL_EXPECT_STREQ(tc_baggage_format(&b), "k=a%20b%09!~%7F%22%5C%2C%3B%3D%25%C3%A9", "format of every byte class");
    tc_baggage e;
    NL_EXPECT_STREQ(tc_baggage_format(&e), "", "format of empty baggage");
    tc_baggage got;
    NL_EXPECT_TRUE(tc_baggage_parse("k=%c3%A9x,j=1,k=2,,  ,m=", &got, nullptr), "parse with lower-case escapes, a repeat, empty members");
    std::string all;
    for (auto &[k, v] : got.entries) all += k + "=" + v + ";";
    NL_EXPECT_STREQ(all, "k=2;j=1;m=;", "entries: a repeated key keeps its place and takes the last value");
    tc_baggage keep;
    tc_baggage_set(&keep, "x", "y");
    std::string err;
    NL_EXPECT_TRUE(!tc_baggage_parse("a=1,=2", &keep, &err), "an empty key");
    NL_EXPECT_CONTAINS(err, "=2", "the reason names the member");
    NL_EXPECT_TRUE(!tc_baggage_parse("a=%4", &keep, &err), "a cut escape");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&keep, "x")), "y", "baggage after a refused parse");
    NL_EXPECT_EQ_INT(keep.entries.size(), 1, "entries after a refused parse");
    NL_EXPECT_TRUE(!tc_baggage_remove(&keep, "nope"), "remove of a missing key");
    tc_baggage_set(&keep, "z", "1");
    tc_baggage_set(&keep, "x", "2");
    NL_EXPECT_STREQ(tc_baggage_format(&keep), "x=2,z=1", "set of an existing key keeps its place");
}

static void test_json_arrays_links_severities(void **)
{
    tc_span s{};
    s.ctx.trace_id = {0, 1};
    s.ctx.span_id = 2;
    s.ctx.flags = 3;
    s.ctx.trace_state = "a=b";
    s.name = "n";
    s.kind = TC_KIND_CONSUMER;
    s.start_ns = 10;
    s.end_ns = 18446744073709551615ull;
    tc_attr sa{};
    sa.key = "tags";
    sa.kind = TC_VAL_STRING_ARRAY;
    sa.sa = {"x", "y"};
    tc_attr ia{};
    ia.key = "ns";
    ia.kind = TC_VAL_INT_ARRAY;
    ia.ia = {-1, 9007199254740993};
    s.attrs = {sa, ia, tc_attr_bool("off", false)};
    s.events = {{"e", 5, TC_SEV_FATAL, {}}, {"f", 6, TC_SEV_TRACE, {}}};
    tc_context l{};
    l.trace_id = {0xab, 0};
    l.span_id = 0xcd;
    s.links = {{l, {tc_attr_int("w", 1)}}};
    s.status = TC_STATUS_OK;
    json_error_t je;
    json_t *got = json_loads(tc_span_to_json(&s, "fallback").c_str(), 0, &je);
    NL_EXPECT_TRUE(got != nullptr, "tc_span_to_json is valid JSON");
    json_t *want = json_loads(
        "{\"traceId\":\"00000000000000000000000000000001\",\"spanId\":\"0000000000000002\",\"parentSpanId\":\"\","
        "\"traceState\":\"a=b\",\"flags\":3,\"name\":\"n\",\"kind\":\"SPAN_KIND_CONSUMER\",\"startTimeUnixNano\":\"10\","
        "\"endTimeUnixNano\":\"18446744073709551615\",\"attributes\":["
        "{\"key\":\"tags\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"x\"},{\"stringValue\":\"y\"}]}}},"
        "{\"key\":\"ns\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":\"-1\"},{\"intValue\":\"9007199254740993\"}]}}},"
        "{\"key\":\"off\",\"value\":{\"boolValue\":false}}],"
        "\"events\":[{\"name\":\"e\",\"timeUnixNano\":\"5\",\"severityText\":\"FATAL\",\"attributes\":[]},"
        "{\"name\":\"f\",\"timeUnixNano\":\"6\",\"severityText\":\"TRACE\",\"attributes\":[]}],"
        "\"links\":[{\"traceId\":\"00000000000000ab0000000000000000\",\"spanId\":\"00000000000000cd\","
        "\"attributes\":[{\"key\":\"w\",\"value\":{\"intValue\":\"1\"}}]}],"
        "\"status\":{\"code\":\"STATUS_CODE_OK\",\"message\":\"\"},\"resource\":{\"service.name\":\"fallback\"}}",
        0, &je);
    NL_EXPECT_TRUE(want != nullptr, "the expected JSON parses");
    if (!json_equal(got, want)) NL_FAIL("tc_span_to_json: expected %s, got %s", json_dumps(want, JSON_COMPACT), tc_span_to_json(&s, "fallback").c_str());
    json_decref(got);
    json_decref(want);
    s.service_name = "own";
    NL_EXPECT_CONTAINS(tc_span_to_json(&s, "fallback"), "\"own\"", "a span's own service name wins");
}

static void test_file_exporter_appends(void **)
{
    const char *path = "append.jsonl";
    unlink(path);
    for (int round = 0; round < 2; round++) {
        std::string err;
        tc_file_exporter *fe = tc_file_exporter_open(path, "svc", &err);
        NL_EXPECT_TRUE(fe != nullptr, "open %s (round %d): %s", path, round, err.c_str());
        tc_tracer_options o{};
        o.now_ns = vclock;
        o.id_seed = 3 + round;
        tc_tracer *t = tc_tracer_new("svc", tc_sampler_always_on(), tc_exporter_file(fe), &o);
        {
            tc_active_span a, b;
            tc_span_start(&a, t, ("a" + std::to_string(round)).c_str(), nullptr);
            tc_span_start(&b, t, ("b" + std::to_string(round)).c_str(), nullptr);
            tc_span_end(&b);
        }
        tc_tracer_free(t);
        tc_file_exporter_close(fe);
    }
    FILE *f = fopen(path, "r");
    NL_EXPECT_TRUE(f != nullptr, "the file exists");
    char line[4096];
    std::string names;
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        NL_EXPECT_TRUE(n > 0 && line[n - 1] == '\n', "each span is one line ending in \\n");
        json_error_t je;
        json_t *o = json_loads(line, 0, &je);
        NL_EXPECT_TRUE(o != nullptr, "a line is one JSON object: %s", line);
        names += std::string(json_string_value(json_object_get(o, "name"))) + " ";
        json_decref(o);
    }
    fclose(f);
    NL_EXPECT_STREQ(names, "b0 a0 b1 a1 ", "spans of both runs, in the order they ended");
}

struct thread_arg { tc_tracer *t; };
static void *span_worker(void *p)
{
    thread_arg *a = (thread_arg *)p;
    for (int i = 0; i < 200; i++) {
        tc_active_span s;
        tc_span_start(&s, a->t, "w", nullptr);
    }
    return nullptr;
}

static void test_concurrent_spans(void **)
{
    tc_memory_exporter m{};
    tc_tracer_options o{};
    o.id_seed = 99;
    o.batch_size = 7;
    tc_tracer *t = tc_tracer_new("svc", tc_sampler_always_on(), tc_exporter_memory(&m), &o);
    pthread_t th[4];
    thread_arg a{t};
    for (pthread_t &x : th) NL_EXPECT_EQ_INT(pthread_create(&x, nullptr, span_worker, &a), 0, "pthread_create");
    for (pthread_t &x : th) pthread_join(x, nullptr);
    tc_tracer_free(t);
    NL_EXPECT_EQ_INT(m.spans.size(), 800, "spans exported by 4 threads x 200");
    std::set<uint64_t> ids;
    for (const tc_span &s : m.spans) ids.insert(s.ctx.span_id);
    NL_EXPECT_EQ_INT(ids.size(), 800, "distinct span ids");
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_null_arguments(void **)
{
    NL_EXPECT_TRUE(!tc_context_is_sampled(nullptr), "tc_context_is_sampled(NULL)");
    tc_tracer_flush(nullptr);
    tc_tracer_free(nullptr);
    tc_file_exporter_close(nullptr);
    tc_baggage b;
    tc_baggage_set(&b, "old", "1");
    NL_EXPECT_TRUE(tc_baggage_parse(nullptr, &b, nullptr), "tc_baggage_parse(NULL)");
    NL_EXPECT_EQ_INT(b.entries.size(), 0, "entries after tc_baggage_parse(NULL)");
    NL_EXPECT_TRUE(tc_baggage_parse("", &b, nullptr) && b.entries.empty(), "tc_baggage_parse(\"\")");
    tc_memory_exporter m{};
    tc_tracer *t = tc_tracer_new(nullptr, tc_sampler_always_on(), tc_exporter_memory(&m), nullptr);
    {
        tc_active_span s;
        uint64_t before = wall_ns();
        tc_span_start(&s, t, nullptr, nullptr);
        uint64_t after = wall_ns();
        NL_EXPECT_TRUE(s.span.start_ns >= before && s.span.start_ns <= after,
                       "NULL options: CLOCK_REALTIME in ns, between %llu and %llu, got %llu", (unsigned long long)before,
                       (unsigned long long)after, (unsigned long long)s.span.start_ns);
        NL_EXPECT_STREQ(s.span.name, "", "a NULL span name");
        NL_EXPECT_TRUE(s.span.start_ns > 1500000000ull * 1000000000ull, "NULL options: the real-time clock, got %llu",
                       (unsigned long long)s.span.start_ns);
        tc_span_add_event(&s, nullptr, TC_SEV_INFO, nullptr);
        tc_span_set_error(&s, nullptr);
        NL_EXPECT_EQ_INT(s.span.events.size(), 2, "events");
        NL_EXPECT_STREQ(s.span.events[0].name, "", "a NULL event name");
        NL_EXPECT_STREQ(s.span.status_message, "", "set_error(NULL)'s message");
        NL_EXPECT_STREQ(s.span.events[1].attrs[0].s, "", "set_error(NULL)'s exception.message");
    }
    for (int i = 0; i < 510; i++) {
        tc_active_span s;
        tc_span_start(&s, t, "x", nullptr);
    }
    NL_EXPECT_EQ_INT(m.spans.size(), 0, "511 spans ended, batch size 512: none exported yet");
    {
        tc_active_span s;
        tc_span_start(&s, t, "x", nullptr);
    }
    NL_EXPECT_EQ_INT(m.spans.size(), 512, "the 512th span: one batch");
    NL_EXPECT_EQ_INT(m.batches, 1, "export calls");
    tc_tracer_free(t);
    NL_EXPECT_STREQ(m.spans[0].service_name, "", "a NULL service name");
}

// 2^64 - the splitmix64 increment: the first draw's state is 0, and splitmix64(0) is 0, so this seed
// makes the generator's first value 0 (the case R1's "again while 0" is about).
static const uint64_t FIRST_DRAW_ZERO = 0x61c8864680b583ebull;

static void test_ids_zero_draws(void **)
{
    uint64_t st = FIRST_DRAW_ZERO;
    NL_EXPECT_TRUE(splitmix(&st) == 0, "the test's own premise: the seed's first draw is 0");
    uint64_t second = splitmix(&st), third = splitmix(&st);
    tc_rng r;
    tc_rng_init(&r, FIRST_DRAW_ZERO);
    tc_trace_id t = tc_trace_id_generate(&r);
    NL_EXPECT_TRUE(t.hi == 0 && t.lo == second, "trace id with hi drawn 0: kept as (0, next), not drawn again; got %016llx%016llx",
                   (unsigned long long)t.hi, (unsigned long long)t.lo);
    NL_EXPECT_TRUE(tc_rng_next(&r) == third, "the trace id drew exactly two values");
    tc_rng_init(&r, FIRST_DRAW_ZERO);
    NL_EXPECT_TRUE(tc_span_id_generate(&r) == second, "span id with a first draw of 0: drawn again");
    tc_trace_id h{7, 7};
    NL_EXPECT_TRUE(tc_trace_id_from_hex("00000000000000000000000000000001", &h) && h.hi == 0 && h.lo == 1,
                   "trace id 0...01 (hi all zero) is valid");
    NL_EXPECT_TRUE(tc_trace_id_from_hex("00000000000000010000000000000000", &h) && h.hi == 1 && h.lo == 0,
                   "trace id with lo all zero is valid");
    char hex[33];
    tc_trace_id_to_hex(h, hex);
    NL_EXPECT_STREQ(hex, "00000000000000010000000000000000", "trace_id_to_hex of (1, 0)");
    tc_rng a, b;                                        // seed 0: getrandom, not splitmix64 from state 0
    tc_rng_init(&a, 0);
    tc_rng_init(&b, 0);
    uint64_t x = tc_rng_next(&a), y = tc_rng_next(&b), z = tc_rng_next(&a);
    st = 0;
    uint64_t sm0 = splitmix(&st);
    NL_EXPECT_TRUE(!(x == y && y == z), "three draws of seed-0 generators: random, not all equal");
    NL_EXPECT_TRUE(!(x == sm0 && y == sm0), "seed 0 is getrandom, not splitmix64 from state 0");
}

static void test_baggage_bad_escapes(void **)
{
    const char *bad[] = {"a=%x4", "a=%4x", "a=%g1", "a=%:1", "a=1,b=%/0", "a=%"};
    for (const char *h : bad) {
        tc_baggage keep;
        tc_baggage_set(&keep, "old", "1");
        std::string err;
        NL_EXPECT_TRUE(!tc_baggage_parse(h, &keep, &err), "baggage_parse('%s'): a bad escape is refused", h);
        NL_EXPECT_STREQ(tc_baggage_format(&keep), "old=1", "the baggage after refusing '%s'", h);
    }
    tc_baggage got;
    NL_EXPECT_TRUE(tc_baggage_parse("a=%4a%7e%2C,b=x%25", &got, nullptr), "escapes of both cases");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&got, "a")), "J~,", "decoded value of a");
    NL_EXPECT_STREQ(or_null(tc_baggage_get(&got, "b")), "x%", "decoded value of b");
}

static void test_ratio_sampler_edges(void **)
{
    tc_ratio_sampler rs;
    tc_ratio_sampler_init(&rs, 1.5, 3);
    NL_EXPECT_TRUE(rs.ratio == 1.0, "ratio 1.5 clamped to 1: got %g", rs.ratio);
    tc_ratio_sampler_init(&rs, 1.0000001, 3);
    NL_EXPECT_TRUE(rs.ratio == 1.0, "ratio 1.0000001 clamped to 1: got %g", rs.ratio);
    tc_ratio_sampler_init(&rs, -0.0000001, 3);
    NL_EXPECT_TRUE(rs.ratio == 0.0, "ratio -0.0000001 clamped to 0: got %g", rs.ratio);
    tc_ratio_sampler_init(&rs, 0.0, FIRST_DRAW_ZERO);      // the first u is exactly 0
    tc_sampler smp = tc_sampler_ratio(&rs);
    tc_context c{};
    NL_EXPECT_TRUE(!smp.should_sample(smp.self, &c, "op"), "ratio 0, u = 0: not sampled (u < ratio)");
    tc_ratio_sampler_init(&rs, 0x1.0p-53, FIRST_DRAW_ZERO);
    NL_EXPECT_TRUE(smp.should_sample(smp.self, &c, "op"), "ratio 2^-53, u = 0: sampled");
}

static std::string read_all(const char *path)
{
    std::string s;
    FILE *f = fopen(path, "r");
    if (!f) return s;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
    fclose(f);
    return s;
}

// The lowest free descriptor (what the next open gets).
static int lowest_free_fd(void)
{
    int fd = dup(0);
    if (fd >= 0) close(fd);
    return fd;
}

static void test_exporter_results(void **)
{
    tc_span s{};
    s.ctx.trace_id = {1, 2};
    s.ctx.span_id = 3;
    s.ctx.flags = 1;
    s.name = "direct";
    tc_memory_exporter m{};
    tc_exporter me = tc_exporter_memory(&m);
    NL_EXPECT_EQ_INT(me.export_spans(me.self, &s, 1), 0, "the memory exporter's result");
    const char *path = "direct.jsonl";
    unlink(path);
    int fd = lowest_free_fd();
    std::string err;
    tc_file_exporter *fe = tc_file_exporter_open(path, "given", &err);
    NL_EXPECT_TRUE(fe != nullptr, "open %s: %s", path, err.c_str());
    tc_exporter e = tc_exporter_file(fe);
    NL_EXPECT_EQ_INT(e.export_spans(e.self, &s, 1), 0, "the file exporter's result after a good write");
    NL_EXPECT_TRUE(lowest_free_fd() != fd, "the exporter holds its file open");
    tc_file_exporter_close(fe);
    NL_EXPECT_EQ_INT(lowest_free_fd(), fd, "tc_file_exporter_close closes the file");
    std::string want = tc_span_to_json(&s, "given") + "\n";
    NL_EXPECT_STREQ(read_all(path), want, "the file: the span's line, with the exporter's service name");
    NL_EXPECT_CONTAINS(want, "\"service.name\":\"given\"", "a span without a service takes the exporter's");
    tc_file_exporter *full = tc_file_exporter_open("/dev/full", "svc", &err);
    NL_EXPECT_TRUE(full != nullptr, "open /dev/full: %s", err.c_str());
    tc_exporter fx = tc_exporter_file(full);
    NL_EXPECT_EQ_INT(fx.export_spans(fx.self, &s, 1), -1, "a short line to /dev/full: the flush fails");
    tc_span big = s;
    big.name = std::string(100000, 'n');                 // larger than stdio's buffer: fwrite itself fails
    NL_EXPECT_EQ_INT(fx.export_spans(fx.self, &big, 1), -1, "a long line to /dev/full: the write fails");
    tc_file_exporter_close(full);
}

void test_differential_random_histories(void **);

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_trace_context_generation),
    cmocka_unit_test(test_child_context),
    cmocka_unit_test(test_traceparent_roundtrip),
    cmocka_unit_test(test_traceparent_format),
    cmocka_unit_test(test_span_lifecycle),
    cmocka_unit_test(test_span_parent_child),
    cmocka_unit_test(test_ratio_sampler),
    cmocka_unit_test(test_w3c_propagator),
    cmocka_unit_test(test_span_events),
    cmocka_unit_test(test_baggage),
    cmocka_unit_test(test_traceparent_rejects_bad_version),
    cmocka_unit_test(test_traceparent_rejects_bad_lengths),
    cmocka_unit_test(test_traceparent_rejects_uppercase),
    cmocka_unit_test(test_traceparent_rejects_zero_ids),
    cmocka_unit_test(test_traceparent_flags),
    cmocka_unit_test(test_hex_ids_roundtrip),
    cmocka_unit_test(test_tracestate_carried),
    cmocka_unit_test(test_span_ends_once_on_scope_exit),
    cmocka_unit_test(test_unsampled_not_exported),
    cmocka_unit_test(test_child_follows_parent_sampling),
    cmocka_unit_test(test_ratio_sampler_seeded),
    cmocka_unit_test(test_batch_export),
    cmocka_unit_test(test_attribute_replace),
    cmocka_unit_test(test_set_error),
    cmocka_unit_test(test_baggage_header_roundtrip),
    cmocka_unit_test(test_file_exporter_json),
    cmocka_unit_test(test_file_exporter_bad_path),
    cmocka_unit_test(test_ids_are_splitmix64),
    cmocka_unit_test(test_child_keeps_flags_and_state),
    cmocka_unit_test(test_sampler_asked_once_per_root),
    cmocka_unit_test(test_ratio_sampler_formula),
    cmocka_unit_test(test_unsampled_records_nothing),
    cmocka_unit_test(test_span_options_and_clock),
    cmocka_unit_test(test_propagators_edge_cases),
    cmocka_unit_test(test_baggage_encoding_exact),
    cmocka_unit_test(test_json_arrays_links_severities),
    cmocka_unit_test(test_file_exporter_appends),
    cmocka_unit_test(test_concurrent_spans),
    cmocka_unit_test(test_null_arguments),
    cmocka_unit_test(test_ids_zero_draws),
    cmocka_unit_test(test_baggage_bad_escapes),
    cmocka_unit_test(test_ratio_sampler_edges),
    cmocka_unit_test(test_exporter_results),
    cmocka_unit_test(test_differential_random_histories),
};

NL_TEST_MAIN("ex07_tracing_context", tests)
