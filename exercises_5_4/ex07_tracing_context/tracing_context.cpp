// tracing_context.cpp — reference for EX07: ids, strict W3C parsing, baggage, spans, samplers,
// the tracer's batch buffer and the exporters.
#include "tracing_context.h"

#include "nl_json.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <pthread.h>
#include <sys/random.h>

/* ---- ids ---- */

void tc_rng_init(tc_rng *r, uint64_t seed)
{
    r->state = seed;
    r->seeded = seed != 0;
}

uint64_t tc_rng_next(tc_rng *r)
{
    if (!r || !r->seeded) {
        uint64_t v = 0;
        while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {
        }
        return v;
    }
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);   // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

tc_trace_id tc_trace_id_generate(tc_rng *r)
{
    tc_trace_id id{0, 0};
    while (id.hi == 0 && id.lo == 0) id = {tc_rng_next(r), tc_rng_next(r)};
    return id;
}

tc_span_id tc_span_id_generate(tc_rng *r)
{
    tc_span_id id = 0;
    while (id == 0) id = tc_rng_next(r);
    return id;
}

void tc_trace_id_to_hex(tc_trace_id id, char out[33])
{
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)id.hi, (unsigned long long)id.lo);
}

void tc_span_id_to_hex(tc_span_id id, char out[17]) { snprintf(out, 17, "%016llx", (unsigned long long)id); }

// Exactly n lowercase hex digits into *v (n <= 16).
static bool hex_field(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return false;
        x = (x << 4) | (uint64_t)d;
    }
    *v = x;
    return true;
}

bool tc_trace_id_from_hex(const char *hex, tc_trace_id *out)
{
    tc_trace_id id;
    if (!hex || strlen(hex) != 32 || !hex_field(hex, 16, &id.hi) || !hex_field(hex + 16, 16, &id.lo)) return false;
    if (id.hi == 0 && id.lo == 0) return false;
    *out = id;
    return true;
}

bool tc_span_id_from_hex(const char *hex, tc_span_id *out)
{
    uint64_t v;
    if (!hex || strlen(hex) != 16 || !hex_field(hex, 16, &v) || v == 0) return false;
    *out = v;
    return true;
}

/* ---- contexts and traceparent ---- */

tc_context tc_context_new_root(tc_rng *r, bool sampled)
{
    tc_context c{};
    c.trace_id = tc_trace_id_generate(r);
    c.span_id = tc_span_id_generate(r);
    c.flags = sampled ? TC_FLAG_SAMPLED : 0;
    return c;
}

tc_context tc_context_child(const tc_context *parent, tc_rng *r)
{
    tc_context c = *parent;
    c.parent_span_id = parent->span_id;
    do c.span_id = tc_span_id_generate(r);
    while (c.span_id == parent->span_id);
    return c;
}

bool tc_context_is_sampled(const tc_context *c) { return c && (c->flags & TC_FLAG_SAMPLED); }

void tc_traceparent_format(const tc_context *c, char out[56])
{
    char t[33], s[17];
    tc_trace_id_to_hex(c->trace_id, t);
    tc_span_id_to_hex(c->span_id, s);
    snprintf(out, 56, "00-%s-%s-%02x", t, s, c->flags);
}

static bool reject(std::string *err, const char *why)
{
    if (err) *err = std::string("invalid traceparent: ") + why;
    return false;
}

bool tc_traceparent_parse(const char *s, tc_context *out, std::string *err)
{
    if (!s) return reject(err, "missing");
    size_t n = strlen(s);
    uint64_t version, flags;
    if (n < 2 || !hex_field(s, 2, &version)) return reject(err, "version must be 2 lowercase hex digits");
    if (version == 0xff) return reject(err, "version ff is forbidden");
    if (version != 0) return reject(err, "only version 00 is supported");
    if (n != 55) return reject(err, "version 00 is exactly 55 characters");
    if (s[2] != '-' || s[35] != '-' || s[52] != '-') return reject(err, "fields must be separated by '-'");
    tc_context c{};
    if (!hex_field(s + 3, 16, &c.trace_id.hi) || !hex_field(s + 19, 16, &c.trace_id.lo))
        return reject(err, "trace id must be 32 lowercase hex digits");
    if (c.trace_id.hi == 0 && c.trace_id.lo == 0) return reject(err, "trace id is all zero");
    if (!hex_field(s + 36, 16, &c.span_id)) return reject(err, "parent id must be 16 lowercase hex digits");
    if (c.span_id == 0) return reject(err, "parent id is all zero");
    if (!hex_field(s + 53, 2, &flags)) return reject(err, "flags must be 2 lowercase hex digits");
    c.flags = (uint8_t)flags;
    *out = c;
    return true;
}

/* ---- baggage ---- */

void tc_baggage_set(tc_baggage *b, const char *key, const char *value)
{
    for (auto &e : b->entries)
        if (e.first == key) {
            e.second = value;
            return;
        }
    b->entries.emplace_back(key, value);
}

const char *tc_baggage_get(const tc_baggage *b, const char *key)
{
    for (auto &e : b->entries)
        if (e.first == key) return e.second.c_str();
    return nullptr;
}

bool tc_baggage_remove(tc_baggage *b, const char *key)
{
    for (auto it = b->entries.begin(); it != b->entries.end(); ++it)
        if (it->first == key) {
            b->entries.erase(it);
            return true;
        }
    return false;
}

static std::string pct_encode(const std::string &v)
{
    static const char hex[] = "0123456789ABCDEF";
    std::string o;
    for (unsigned char c : v) {
        if (c > 0x20 && c < 0x7f && c != ',' && c != ';' && c != '=' && c != '%' && c != '"' && c != '\\') o += (char)c;
        else {
            o += '%';
            o += hex[c >> 4];
            o += hex[c & 15];
        }
    }
    return o;
}

static bool pct_decode(const std::string &v, std::string *out)
{
    out->clear();
    for (size_t i = 0; i < v.size(); i++) {
        if (v[i] != '%') {
            *out += v[i];
            continue;
        }
        if (i + 2 >= v.size() || !isxdigit((unsigned char)v[i + 1]) || !isxdigit((unsigned char)v[i + 2]))
            return false;
        unsigned x = (unsigned)strtoul(v.substr(i + 1, 2).c_str(), nullptr, 16);
        *out += (char)x;
        i += 2;
    }
    return true;
}

static std::string trim(const std::string &s)
{
    size_t a = s.find_first_not_of(" \t"), z = s.find_last_not_of(" \t");
    return a == std::string::npos ? "" : s.substr(a, z - a + 1);
}

std::string tc_baggage_format(const tc_baggage *b)
{
    std::string o;
    for (auto &e : b->entries) {
        if (!o.empty()) o += ',';
        o += e.first + "=" + pct_encode(e.second);
    }
    return o;
}

bool tc_baggage_parse(const char *header, tc_baggage *out, std::string *err)
{
    tc_baggage b;
    std::string h = header ? header : "";
    size_t pos = 0;
    while (pos <= h.size()) {
        size_t comma = h.find(',', pos);
        if (comma == std::string::npos) comma = h.size();
        std::string member = h.substr(pos, comma - pos);
        member = trim(member.substr(0, member.find(';')));      // properties are dropped
        pos = comma + 1;
        if (member.empty()) continue;
        size_t eq = member.find('=');
        std::string key = eq == std::string::npos ? "" : trim(member.substr(0, eq)), value;
        if (key.empty() || !pct_decode(trim(member.substr(eq + 1)), &value)) {
            if (err) *err = "invalid baggage member '" + member + "'";
            return false;
        }
        tc_baggage_set(&b, key.c_str(), value.c_str());
    }
    *out = b;
    return true;
}

/* ---- propagators ---- */

static void w3c_inject(void *, const tc_context *c, const tc_baggage *, const tc_carrier *to)
{
    char tp[56];
    tc_traceparent_format(c, tp);
    to->set(to->ctx, "traceparent", tp);
    if (!c->trace_state.empty()) to->set(to->ctx, "tracestate", c->trace_state.c_str());
}

static bool w3c_extract(void *, const tc_carrier *from, tc_context *c, tc_baggage *)
{
    tc_context got;
    if (!tc_traceparent_parse(from->get(from->ctx, "traceparent"), &got, nullptr)) return false;
    const char *ts = from->get(from->ctx, "tracestate");
    got.trace_state = ts ? ts : "";
    *c = got;
    return true;
}

static void baggage_inject(void *, const tc_context *, const tc_baggage *b, const tc_carrier *to)
{
    if (b && !b->entries.empty()) to->set(to->ctx, "baggage", tc_baggage_format(b).c_str());
}

static bool baggage_extract(void *, const tc_carrier *from, tc_context *, tc_baggage *b)
{
    const char *h = from->get(from->ctx, "baggage");
    return h && b && tc_baggage_parse(h, b, nullptr);
}

tc_propagator tc_w3c_propagator(void) { return {w3c_inject, w3c_extract, nullptr}; }
tc_propagator tc_baggage_propagator(void) { return {baggage_inject, baggage_extract, nullptr}; }

static void composite_inject(void *self, const tc_context *c, const tc_baggage *b, const tc_carrier *to)
{
    for (tc_propagator &p : ((tc_composite *)self)->parts) p.inject(p.self, c, b, to);
}

static bool composite_extract(void *self, const tc_carrier *from, tc_context *c, tc_baggage *b)
{
    bool any = false;
    for (tc_propagator &p : ((tc_composite *)self)->parts) any = p.extract(p.self, from, c, b) || any;
    return any;
}

tc_propagator tc_composite_propagator(tc_composite *c) { return {composite_inject, composite_extract, c}; }

/* ---- attributes ---- */

tc_attr tc_attr_str(const char *key, const char *v)
{
    tc_attr a{};
    a.key = key;
    a.kind = TC_VAL_STRING;
    a.s = v;
    return a;
}
tc_attr tc_attr_int(const char *key, int64_t v)
{
    tc_attr a{};
    a.key = key;
    a.kind = TC_VAL_INT;
    a.i = v;
    return a;
}
tc_attr tc_attr_double(const char *key, double v)
{
    tc_attr a{};
    a.key = key;
    a.kind = TC_VAL_DOUBLE;
    a.d = v;
    return a;
}
tc_attr tc_attr_bool(const char *key, bool v)
{
    tc_attr a{};
    a.key = key;
    a.kind = TC_VAL_BOOL;
    a.b = v;
    return a;
}

/* ---- samplers ---- */

static bool always_on(void *, const tc_context *, const char *) { return true; }
static bool always_off(void *, const tc_context *, const char *) { return false; }
tc_sampler tc_sampler_always_on(void) { return {always_on, nullptr}; }
tc_sampler tc_sampler_always_off(void) { return {always_off, nullptr}; }

void tc_ratio_sampler_init(tc_ratio_sampler *r, double ratio, uint64_t seed)
{
    r->ratio = ratio < 0 ? 0 : ratio > 1 ? 1 : ratio;
    tc_rng_init(&r->rng, seed ? seed : 1);
}

static bool ratio_sample(void *self, const tc_context *, const char *)
{
    tc_ratio_sampler *r = (tc_ratio_sampler *)self;
    double u = (double)(tc_rng_next(&r->rng) >> 11) * 0x1.0p-53;    // uniform in [0, 1)
    return u < r->ratio;
}

tc_sampler tc_sampler_ratio(tc_ratio_sampler *r) { return {ratio_sample, r}; }

/* ---- exporters ---- */

static int memory_export(void *self, const tc_span *spans, size_t n)
{
    tc_memory_exporter *m = (tc_memory_exporter *)self;
    m->spans.insert(m->spans.end(), spans, spans + n);
    m->batches++;
    return 0;
}

tc_exporter tc_exporter_memory(tc_memory_exporter *m) { return {memory_export, m}; }

static json_t *attrs_json(const std::vector<tc_attr> &attrs)
{
    json_t *arr = json_array();
    for (const tc_attr &a : attrs) {
        json_t *v = json_object();
        switch (a.kind) {
        case TC_VAL_STRING: json_object_set_new(v, "stringValue", json_string(a.s.c_str())); break;
        case TC_VAL_INT: json_object_set_new(v, "intValue", json_string(std::to_string(a.i).c_str())); break;
        case TC_VAL_DOUBLE: json_object_set_new(v, "doubleValue", json_real(a.d)); break;
        case TC_VAL_BOOL: json_object_set_new(v, "boolValue", json_boolean(a.b)); break;
        case TC_VAL_STRING_ARRAY:
        case TC_VAL_INT_ARRAY: {
            json_t *vals = json_array();
            if (a.kind == TC_VAL_STRING_ARRAY)
                for (const std::string &s : a.sa) json_array_append_new(vals, json_pack("{s:s}", "stringValue", s.c_str()));
            else
                for (int64_t x : a.ia)
                    json_array_append_new(vals, json_pack("{s:s}", "intValue", std::to_string(x).c_str()));
            json_object_set_new(v, "arrayValue", json_pack("{s:o}", "values", vals));
            break;
        }
        }
        json_array_append_new(arr, json_pack("{s:s,s:o}", "key", a.key.c_str(), "value", v));
    }
    return arr;
}

std::string tc_span_to_json(const tc_span *s, const char *service_name)
{
    static const char *kinds[] = {"SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER",
                                  "SPAN_KIND_CONSUMER"};
    static const char *codes[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};
    static const char *sevs[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"};
    char tid[33], sid[17], pid[17];
    tc_trace_id_to_hex(s->ctx.trace_id, tid);
    tc_span_id_to_hex(s->ctx.span_id, sid);
    tc_span_id_to_hex(s->ctx.parent_span_id, pid);
    json_t *o = json_object();
    json_object_set_new(o, "traceId", json_string(tid));
    json_object_set_new(o, "spanId", json_string(sid));
    json_object_set_new(o, "parentSpanId", json_string(s->ctx.parent_span_id ? pid : ""));
    json_object_set_new(o, "traceState", json_string(s->ctx.trace_state.c_str()));
    json_object_set_new(o, "flags", json_integer(s->ctx.flags));
    json_object_set_new(o, "name", json_string(s->name.c_str()));
    json_object_set_new(o, "kind", json_string(kinds[s->kind]));
    json_object_set_new(o, "startTimeUnixNano", json_string(std::to_string(s->start_ns).c_str()));
    json_object_set_new(o, "endTimeUnixNano", json_string(std::to_string(s->end_ns).c_str()));
    json_object_set_new(o, "attributes", attrs_json(s->attrs));
    json_t *evs = json_array();
    for (const tc_event &e : s->events)
        json_array_append_new(evs, json_pack("{s:s,s:s,s:s,s:o}", "name", e.name.c_str(), "timeUnixNano",
                                             std::to_string(e.time_ns).c_str(), "severityText", sevs[e.severity],
                                             "attributes", attrs_json(e.attrs)));
    json_object_set_new(o, "events", evs);
    json_t *links = json_array();
    for (const tc_link &l : s->links) {
        tc_trace_id_to_hex(l.ctx.trace_id, tid);
        tc_span_id_to_hex(l.ctx.span_id, sid);
        json_array_append_new(links, json_pack("{s:s,s:s,s:o}", "traceId", tid, "spanId", sid, "attributes",
                                               attrs_json(l.attrs)));
    }
    json_object_set_new(o, "links", links);
    json_object_set_new(o, "status", json_pack("{s:s,s:s}", "code", codes[s->status], "message", s->status_message.c_str()));
    json_object_set_new(o, "resource", json_pack("{s:s}", "service.name", !s->service_name.empty() ? s->service_name.c_str() : service_name ? service_name : ""));
    std::string line = nl_json_line(o);
    if (!line.empty() && line.back() == '\n') line.pop_back();
    return line;
}

struct tc_file_exporter {
    FILE *f;
    std::string service;
};

tc_file_exporter *tc_file_exporter_open(const char *path, const char *service_name, std::string *err)
{
    FILE *f = path ? fopen(path, "a") : nullptr;
    if (!f) {
        if (err) *err = std::string("cannot open '") + (path ? path : "(null)") + "' for appending: " + strerror(errno);
        return nullptr;
    }
    return new tc_file_exporter{f, service_name ? service_name : ""};
}

static int file_export(void *self, const tc_span *spans, size_t n)
{
    tc_file_exporter *fe = (tc_file_exporter *)self;
    for (size_t i = 0; i < n; i++) {
        std::string line = tc_span_to_json(&spans[i], fe->service.c_str()) + "\n";
        if (fwrite(line.data(), 1, line.size(), fe->f) != line.size()) return -1;
    }
    return fflush(fe->f) == 0 ? 0 : -1;
}

tc_exporter tc_exporter_file(tc_file_exporter *f) { return {file_export, f}; }

void tc_file_exporter_close(tc_file_exporter *f)
{
    if (!f) return;
    fclose(f->f);
    delete f;
}

/* ---- tracer and spans ---- */

struct tc_tracer {
    std::string service;
    tc_sampler sampler;
    tc_exporter exporter;
    tc_tracer_options opt;
    tc_rng rng;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    std::vector<tc_span> buffer;
};

static uint64_t realtime_ns(void *)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

tc_tracer *tc_tracer_new(const char *service_name, tc_sampler sampler, tc_exporter exporter,
                         const tc_tracer_options *opt)
{
    tc_tracer *t = new tc_tracer;
    t->service = service_name ? service_name : "";
    t->sampler = sampler;
    t->exporter = exporter;
    t->opt = opt ? *opt : tc_tracer_options{};
    if (t->opt.batch_size == 0) t->opt.batch_size = 512;
    if (!t->opt.now_ns) t->opt.now_ns = realtime_ns;
    tc_rng_init(&t->rng, t->opt.id_seed);
    return t;
}

// Called with the lock held.
static void export_buffer(tc_tracer *t)
{
    if (t->buffer.empty()) return;
    t->exporter.export_spans(t->exporter.self, t->buffer.data(), t->buffer.size());
    t->buffer.clear();
}

void tc_tracer_flush(tc_tracer *t)
{
    if (!t) return;
    pthread_mutex_lock(&t->mu);
    export_buffer(t);
    pthread_mutex_unlock(&t->mu);
}

void tc_tracer_free(tc_tracer *t)
{
    if (!t) return;
    tc_tracer_flush(t);
    pthread_mutex_destroy(&t->mu);
    delete t;
}

void tc_span_start(tc_active_span *s, tc_tracer *t, const char *name, const tc_span_options *opt)
{
    s->tracer = t;
    s->ended = false;
    s->span = tc_span{};
    s->span.name = name ? name : "";
    s->span.service_name = t->service;
    if (opt) {
        s->span.kind = opt->kind;
        s->span.attrs = opt->attrs;
        s->span.links = opt->links;
    }
    pthread_mutex_lock(&t->mu);
    if (opt && opt->parent) {
        s->span.ctx = tc_context_child(opt->parent, &t->rng);      // the parent decided sampling
    } else {
        s->span.ctx = tc_context_new_root(&t->rng, false);
        if (t->sampler.should_sample(t->sampler.self, &s->span.ctx, s->span.name.c_str()))
            s->span.ctx.flags |= TC_FLAG_SAMPLED;
    }
    pthread_mutex_unlock(&t->mu);
    s->recording = tc_context_is_sampled(&s->span.ctx);
    s->span.start_ns = t->opt.now_ns(t->opt.clock_ctx);
}

void tc_span_set_attr(tc_active_span *s, const tc_attr &a)
{
    if (!s->recording || s->ended) return;
    for (tc_attr &old : s->span.attrs)
        if (old.key == a.key) {
            old = a;
            return;
        }
    s->span.attrs.push_back(a);
}

void tc_span_add_event(tc_active_span *s, const char *name, tc_severity sev, const std::vector<tc_attr> *attrs)
{
    if (!s->recording || s->ended) return;
    s->span.events.push_back({name ? name : "", s->tracer->opt.now_ns(s->tracer->opt.clock_ctx), sev,
                              attrs ? *attrs : std::vector<tc_attr>{}});
}

void tc_span_set_status(tc_active_span *s, tc_status st, const char *message)
{
    if (!s->recording || s->ended) return;
    s->span.status = st;
    s->span.status_message = (st == TC_STATUS_ERROR && message) ? message : "";
}

void tc_span_set_error(tc_active_span *s, const char *message)
{
    tc_span_set_status(s, TC_STATUS_ERROR, message);
    std::vector<tc_attr> a = {tc_attr_str("exception.message", message ? message : "")};
    tc_span_add_event(s, "exception", TC_SEV_ERROR, &a);
}

void tc_span_end(tc_active_span *s)
{
    if (!s->tracer || s->ended) return;
    s->ended = true;
    s->span.end_ns = s->tracer->opt.now_ns(s->tracer->opt.clock_ctx);
    if (!s->recording) return;
    tc_tracer *t = s->tracer;
    pthread_mutex_lock(&t->mu);
    t->buffer.push_back(s->span);
    if (t->buffer.size() >= t->opt.batch_size) export_buffer(t);
    pthread_mutex_unlock(&t->mu);
}

tc_active_span::~tc_active_span() { tc_span_end(this); }
