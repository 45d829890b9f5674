// test_tracing_context.cpp — EX07 suite: the seed's 10 tests and the tests that pin strict W3C
// parsing, sampling decisions, RAII span end, batching, baggage and the JSON exporter.
#include "tracing_context.h"
#include "nl_test.h"

#include <cctype>
#include <cstring>
#include <jansson.h>
#include <map>
#include <set>
#include <string>
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

static bool parses(const char *s)
{
    tc_context c;
    std::string err;
    bool ok = tc_traceparent_parse(s, &c, &err);
    if (!ok) assert_true(err.find("traceparent") != std::string::npos);
    return ok;
}

static const char *GOOD = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/* ---- the seed's tests ---- */

static void test_trace_context_generation(void **)
{
    tc_rng r;
    tc_rng_init(&r, 0);                                // random ids
    tc_context c = tc_context_new_root(&r, true);
    assert_int_equal(c.parent_span_id, 0);
    assert_true(tc_context_is_sampled(&c));
    assert_true(c.span_id != 0);
    assert_true(c.trace_id.hi != 0 || c.trace_id.lo != 0);
}

static void test_child_context(void **)
{
    tc_rng r;
    tc_rng_init(&r, 9);
    tc_context p = tc_context_new_root(&r, true);
    tc_context c = tc_context_child(&p, &r);
    assert_true(same_trace(c.trace_id, p.trace_id));
    assert_int_equal(c.parent_span_id, p.span_id);
    assert_true(c.span_id != p.span_id);
}

static void test_traceparent_roundtrip(void **)
{
    tc_rng r;
    tc_rng_init(&r, 5);
    tc_context c = tc_context_new_root(&r, true), back;
    char tp[56];
    tc_traceparent_format(&c, tp);
    assert_true(tc_traceparent_parse(tp, &back, nullptr));
    assert_true(same_trace(back.trace_id, c.trace_id));
    assert_int_equal(back.span_id, c.span_id);
    assert_true(tc_context_is_sampled(&back));
}

static void test_traceparent_format(void **)
{
    tc_rng r;
    tc_rng_init(&r, 5);
    tc_context c = tc_context_new_root(&r, true);
    char tp[56];
    tc_traceparent_format(&c, tp);
    std::string s = tp;
    assert_int_equal(s.size(), 55);
    assert_string_equal(s.substr(0, 3).c_str(), "00-");
    assert_int_equal(s[35], '-');
    assert_int_equal(s[52], '-');
    assert_string_equal(s.substr(53).c_str(), "01");
    for (size_t i : {3, 20, 36, 51}) assert_true(isxdigit((unsigned char)s[i]) && !isupper((unsigned char)s[i]));
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
    assert_int_equal(m.spans.size(), 1);
    assert_string_equal(m.spans[0].name.c_str(), "test_operation");
    assert_true(m.spans[0].end_ns > m.spans[0].start_ns);
    assert_int_equal(m.spans[0].kind, TC_KIND_SERVER);
    assert_int_equal(m.spans[0].status, TC_STATUS_OK);
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
    assert_int_equal(m.spans.size(), 2);
    const tc_span &child = m.spans[0].name == "child" ? m.spans[0] : m.spans[1];
    assert_string_equal(child.name.c_str(), "child");
    assert_true(same_trace(child.ctx.trace_id, parent_ctx.trace_id));
    assert_int_equal(child.ctx.parent_span_id, parent_ctx.span_id);
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
        assert_false(n.should_sample(n.self, &c, "x"));
        assert_true(a.should_sample(a.self, &c, "x"));
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
    assert_true(headers.count("traceparent") == 1);
    assert_true(p.extract(p.self, &carrier, &got, nullptr));
    assert_true(same_trace(got.trace_id, c.trace_id));
    assert_int_equal(got.span_id, c.span_id);
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
    assert_int_equal(m.spans[0].events.size(), 2);
    assert_string_equal(m.spans[0].events[0].name.c_str(), "event1");
    assert_string_equal(m.spans[0].events[1].name.c_str(), "event2");
    assert_true(m.spans[0].events[0].time_ns < m.spans[0].events[1].time_ns);
    tc_tracer_free(t);
}

static void test_baggage(void **)
{
    tc_baggage b;
    tc_baggage_set(&b, "user_id", "12345");
    tc_baggage_set(&b, "tenant", "acme");
    assert_string_equal(tc_baggage_get(&b, "user_id"), "12345");
    assert_null(tc_baggage_get(&b, "missing"));
    assert_true(tc_baggage_remove(&b, "user_id"));
    assert_null(tc_baggage_get(&b, "user_id"));
    assert_string_equal(tc_baggage_get(&b, "tenant"), "acme");
}

/* ---- strict traceparent ---- */

static void test_traceparent_rejects_bad_version(void **)
{
    assert_true(parses(GOOD));
    assert_false(parses("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    assert_false(parses("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    assert_false(parses("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    assert_false(parses(""));
    assert_false(parses(nullptr));
}

static void test_traceparent_rejects_bad_lengths(void **)
{
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"));   // 56
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1"));     // 54
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01"));    // dash moved
    assert_false(parses("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 "));
}

static void test_traceparent_rejects_uppercase(void **)
{
    assert_false(parses("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01"));
}

static void test_traceparent_rejects_zero_ids(void **)
{
    assert_false(parses("00-00000000000000000000000000000000-00f067aa0ba902b7-01"));
    assert_false(parses("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"));
    assert_true(parses("00-00000000000000000000000000000001-0000000000000001-00"));
}

static void test_traceparent_flags(void **)
{
    tc_context c;
    assert_true(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &c, nullptr));
    assert_false(tc_context_is_sampled(&c));
    assert_true(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-02", &c, nullptr));
    assert_false(tc_context_is_sampled(&c));                 // only bit 0 means sampled
    assert_true(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03", &c, nullptr));
    assert_true(tc_context_is_sampled(&c));
    char tp[56];
    c.flags = 0;
    tc_traceparent_format(&c, tp);
    assert_string_equal(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
}

static void test_hex_ids_roundtrip(void **)
{
    char t[33], s[17];
    tc_trace_id_to_hex(tc_trace_id{0, 1}, t);
    assert_string_equal(t, "00000000000000000000000000000001");
    tc_span_id_to_hex(0xabc, s);
    assert_string_equal(s, "0000000000000abc");
    tc_trace_id id;
    tc_span_id sid;
    assert_true(tc_trace_id_from_hex("0af7651916cd43dd8448eb211c80319c", &id));
    assert_int_equal(id.hi, 0x0af7651916cd43ddull);
    assert_int_equal(id.lo, 0x8448eb211c80319cull);
    assert_false(tc_trace_id_from_hex("0AF7651916CD43DD8448EB211C80319C", &id));
    assert_false(tc_trace_id_from_hex("0af7651916cd43dd8448eb211c80319", &id));
    assert_false(tc_span_id_from_hex("0000000000000000", &sid));
    assert_true(tc_span_id_from_hex("00f067aa0ba902b7", &sid));
    assert_int_equal(sid, 0x00f067aa0ba902b7ull);
}

static void test_tracestate_carried(void **)
{
    std::map<std::string, std::string> h = {{"traceparent", GOOD}, {"tracestate", "congo=t61rcWkgMzE"}};
    tc_carrier carrier{map_get, map_set, &h};
    tc_propagator p = tc_w3c_propagator();
    tc_context c{};
    assert_true(p.extract(p.self, &carrier, &c, nullptr));
    assert_string_equal(c.trace_state.c_str(), "congo=t61rcWkgMzE");
    std::map<std::string, std::string> out;
    tc_carrier oc{map_get, map_set, &out};
    p.inject(p.self, &c, nullptr, &oc);
    assert_string_equal(out["tracestate"].c_str(), "congo=t61rcWkgMzE");
    h["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x";
    tc_context untouched = c;
    assert_false(p.extract(p.self, &carrier, &c, nullptr));
    assert_int_equal(c.span_id, untouched.span_id);
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
    assert_int_equal(m.spans.size(), 1);
    assert_int_equal(m.spans[0].end_ns, ended_at);
    assert_int_equal(m.spans[0].attrs.size(), 0);
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
        assert_false(s.recording);
        ctx = s.span.ctx;
    }
    tc_tracer_free(t);
    assert_int_equal(m.spans.size(), 0);
    assert_false(tc_context_is_sampled(&ctx));
    assert_true(ctx.span_id != 0);                         // still propagated downstream
    char tp[56];
    tc_traceparent_format(&ctx, tp);
    assert_true(parses(tp));
}

static void test_child_follows_parent_sampling(void **)
{
    tc_ratio_sampler half;
    tc_ratio_sampler_init(&half, 0.5, 77);
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_ratio(&half), &m);
    tc_context root;
    assert_true(tc_traceparent_parse(GOOD, &root, nullptr));     // a sampled remote parent
    for (int i = 0; i < 40; i++) {
        tc_active_span s;
        tc_span_options o{TC_KIND_SERVER, &root, {}, {}};
        tc_span_start(&s, t, "child", &o);
    }
    tc_tracer_flush(t);
    assert_int_equal(m.spans.size(), 40);                        // every child of a sampled parent
    tc_tracer_free(t);

    tc_memory_exporter m2{};
    t = make_tracer(tc_sampler_always_on(), &m2);
    assert_true(tc_traceparent_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00", &root, nullptr));
    for (int i = 0; i < 5; i++) {
        tc_active_span s;
        tc_span_options o{TC_KIND_SERVER, &root, {}, {}};
        tc_span_start(&s, t, "child", &o);
        assert_false(tc_context_is_sampled(&s.span.ctx));
    }
    tc_tracer_free(t);
    assert_int_equal(m2.spans.size(), 0);                        // the upstream said no
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
        assert_int_equal(x, sb.should_sample(sb.self, &ctx, "op"));   // same seed, same decisions
        differ += x != sc.should_sample(sc.self, &ctx, "op");
        yes += x;
    }
    assert_true(yes > 2300 && yes < 2700);
    assert_true(differ > 1000);
}

static void test_batch_export(void **)
{
    tc_memory_exporter m{};
    tc_tracer *t = make_tracer(tc_sampler_always_on(), &m, 3);
    for (int i = 0; i < 2; i++) {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
    }
    assert_int_equal(m.spans.size(), 0);                 // waiting for a full batch
    {
        tc_active_span s;
        tc_span_start(&s, t, "op", nullptr);
    }
    assert_int_equal(m.spans.size(), 3);
    assert_int_equal(m.batches, 1);
    {
        tc_active_span s;
        tc_span_start(&s, t, "last", nullptr);
    }
    assert_int_equal(m.spans.size(), 3);
    tc_tracer_free(t);                                   // free flushes the rest
    assert_int_equal(m.spans.size(), 4);
    assert_int_equal(m.batches, 2);
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
    assert_int_equal(m.spans[0].attrs.size(), 2);
    assert_string_equal(m.spans[0].attrs[0].key.c_str(), "retries");
    assert_int_equal(m.spans[0].attrs[0].i, 2);
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
    assert_int_equal(m.spans[0].status, TC_STATUS_ERROR);
    assert_string_equal(m.spans[0].status_message.c_str(), "connection refused");
    assert_int_equal(m.spans[0].events.size(), 1);
    assert_string_equal(m.spans[0].events[0].name.c_str(), "exception");
}

/* ---- baggage propagation ---- */

static void test_baggage_header_roundtrip(void **)
{
    tc_baggage b, got;
    tc_baggage_set(&b, "user", "alice smith");
    tc_baggage_set(&b, "query", "a=1,b=2;c%");
    tc_baggage_set(&b, "user", "bob");                   // replaced in place
    std::string h = tc_baggage_format(&b);
    assert_string_equal(h.c_str(), "user=bob,query=a%3D1%2Cb%3D2%3Bc%25");
    assert_true(tc_baggage_parse(h.c_str(), &got, nullptr));
    assert_int_equal(got.entries.size(), 2);
    assert_string_equal(tc_baggage_get(&got, "query"), "a=1,b=2;c%");
    assert_true(tc_baggage_parse(" k1 = v1 ; prop=x , k2=v%202 ", &got, nullptr));
    assert_string_equal(tc_baggage_get(&got, "k1"), "v1");
    assert_string_equal(tc_baggage_get(&got, "k2"), "v 2");
    std::string err;
    assert_false(tc_baggage_parse("novalue,k=v", &got, &err));
    assert_true(err.find("novalue") != std::string::npos);
    assert_false(tc_baggage_parse("k=%zz", &got, &err));
    // Composite: both headers out, both back in.
    tc_composite comp{{tc_w3c_propagator(), tc_baggage_propagator()}};
    tc_propagator p = tc_composite_propagator(&comp);
    std::map<std::string, std::string> headers;
    tc_carrier carrier{map_get, map_set, &headers};
    tc_context c, back{};
    assert_true(tc_traceparent_parse(GOOD, &c, nullptr));
    p.inject(p.self, &c, &b, &carrier);
    assert_int_equal(headers.size(), 2);
    tc_baggage bb;
    assert_true(p.extract(p.self, &carrier, &back, &bb));
    assert_int_equal(back.span_id, c.span_id);
    assert_string_equal(tc_baggage_get(&bb, "user"), "bob");
}

/* ---- the file exporter ---- */

static json_t *field(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    assert_non_null(v);
    return v;
}

static void test_file_exporter_json(void **)
{
    char path[] = "spans.jsonl";
    unlink(path);
    std::string err;
    tc_file_exporter *fe = tc_file_exporter_open(path, "fallback", &err);
    assert_non_null(fe);
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
    assert_non_null(f);
    char line[8192];
    int n = 0;
    json_t *child = nullptr, *parent = nullptr;
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *o2 = json_loads(line, 0, &je);
        assert_non_null(o2);
        n++;
        if (!strcmp(json_string_value(field(o2, "name")), "SELECT")) child = o2;
        else parent = o2;
    }
    fclose(f);
    assert_int_equal(n, 2);
    assert_non_null(child);
    assert_non_null(parent);
    char tid[33], sid[17];
    tc_trace_id_to_hex(pctx.trace_id, tid);
    tc_span_id_to_hex(pctx.span_id, sid);
    assert_string_equal(json_string_value(field(child, "traceId")), tid);
    assert_string_equal(json_string_value(field(child, "parentSpanId")), sid);
    assert_string_equal(json_string_value(field(parent, "spanId")), sid);
    assert_string_equal(json_string_value(field(parent, "parentSpanId")), "");
    assert_string_equal(json_string_value(field(child, "kind")), "SPAN_KIND_CLIENT");
    uint64_t start = strtoull(json_string_value(field(child, "startTimeUnixNano")), nullptr, 10);
    uint64_t end = strtoull(json_string_value(field(child, "endTimeUnixNano")), nullptr, 10);
    assert_true(start > 5000 && end > start);
    json_t *attrs = field(child, "attributes");
    assert_int_equal(json_array_size(attrs), 4);
    json_t *rows = field(json_array_get(attrs, 0), "value");
    assert_string_equal(json_string_value(field(rows, "intValue")), "-7");   // int64 as a string (OTLP JSON)
    assert_true(json_real_value(field(field(json_array_get(attrs, 1), "value"), "doubleValue")) == 0.5);
    assert_true(json_is_true(field(field(json_array_get(attrs, 2), "value"), "boolValue")));
    assert_string_equal(json_string_value(field(field(json_array_get(attrs, 3), "value"), "stringValue")), "pg");
    json_t *ev = json_array_get(field(child, "events"), 0);
    assert_string_equal(json_string_value(field(ev, "name")), "retry");
    assert_string_equal(json_string_value(field(ev, "severityText")), "WARN");
    assert_int_equal(json_array_size(field(child, "links")), 1);
    assert_string_equal(json_string_value(field(field(child, "status"), "code")), "STATUS_CODE_ERROR");
    assert_string_equal(json_string_value(field(field(child, "status"), "message")), "timeout");
    assert_string_equal(json_string_value(field(field(child, "resource"), "service.name")), "checkout");
    json_decref(child);
    json_decref(parent);
}

static void test_file_exporter_bad_path(void **)
{
    std::string err;
    assert_null(tc_file_exporter_open("/nonexistent-dir/spans.jsonl", "s", &err));
    assert_true(err.find("/nonexistent-dir/spans.jsonl") != std::string::npos);
    assert_true(err.find("No such file") != std::string::npos);
}

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
};

NL_TEST_MAIN("ex07_tracing_context", tests)
