// tracing_context.h — OpenTelemetry-style tracing (module 5.4, EX07): trace and span ids, W3C
// traceparent and baggage propagation, spans that end when their guard leaves scope, samplers,
// and an exporter writing one OTLP-shaped JSON object per span.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct tc_trace_id { uint64_t hi, lo; };          // 128 bits; all zero is invalid
typedef uint64_t tc_span_id;                      // 0 is invalid
enum { TC_FLAG_SAMPLED = 0x01 };

// Ids: from a seeded generator (splitmix64) when seed != 0, else from getrandom(2).
struct tc_rng { uint64_t state; bool seeded; };
void tc_rng_init(tc_rng *r, uint64_t seed);
uint64_t tc_rng_next(tc_rng *r);
tc_trace_id tc_trace_id_generate(tc_rng *r);      // never all zero
tc_span_id tc_span_id_generate(tc_rng *r);        // never zero
void tc_trace_id_to_hex(tc_trace_id id, char out[33]);   // 32 lowercase hex digits + NUL
void tc_span_id_to_hex(tc_span_id id, char out[17]);
bool tc_trace_id_from_hex(const char *hex, tc_trace_id *out);   // exactly 32 lowercase hex, not all zero
bool tc_span_id_from_hex(const char *hex, tc_span_id *out);     // exactly 16 lowercase hex, not zero

struct tc_context {
    tc_trace_id trace_id;
    tc_span_id span_id;
    tc_span_id parent_span_id;     // 0 = no parent (a root)
    uint8_t flags;                 // TC_FLAG_SAMPLED
    std::string trace_state;       // W3C tracestate, carried as is
};
tc_context tc_context_new_root(tc_rng *r, bool sampled);
tc_context tc_context_child(const tc_context *parent, tc_rng *r);   // same trace, parent = parent's span
bool tc_context_is_sampled(const tc_context *c);

// W3C traceparent: "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>", 55 characters.
void tc_traceparent_format(const tc_context *c, char out[56]);
// Strict: version 00 only (ff and others rejected), exact lengths and dashes, lowercase hex,
// all-zero trace or span id rejected. Returns true, or false with a reason in err.
bool tc_traceparent_parse(const char *s, tc_context *out, std::string *err);

/* ---- baggage (W3C baggage header: k1=v1,k2=v2, values percent-encoded) ---- */
struct tc_baggage { std::vector<std::pair<std::string, std::string>> entries; };
void tc_baggage_set(tc_baggage *b, const char *key, const char *value);    // replaces a key in place
const char *tc_baggage_get(const tc_baggage *b, const char *key);          // NULL when missing
bool tc_baggage_remove(tc_baggage *b, const char *key);
std::string tc_baggage_format(const tc_baggage *b);
bool tc_baggage_parse(const char *header, tc_baggage *out, std::string *err);

/* ---- carriers and propagators (the seed's traits, as function pointers + context) ---- */
struct tc_carrier {
    const char *(*get)(void *ctx, const char *key);       // NULL when missing
    void (*set)(void *ctx, const char *key, const char *value);
    void *ctx;
};
struct tc_propagator {
    void (*inject)(void *self, const tc_context *c, const tc_baggage *b, const tc_carrier *to);
    // Returns true when it found something valid; leaves *c / *b untouched otherwise.
    bool (*extract)(void *self, const tc_carrier *from, tc_context *c, tc_baggage *b);
    void *self;
};
tc_propagator tc_w3c_propagator(void);        // traceparent + tracestate
tc_propagator tc_baggage_propagator(void);    // baggage
// Runs every propagator in order (inject all; extract all, true if any succeeded).
struct tc_composite { std::vector<tc_propagator> parts; };
tc_propagator tc_composite_propagator(tc_composite *c);

/* ---- spans ---- */
enum tc_span_kind { TC_KIND_INTERNAL, TC_KIND_SERVER, TC_KIND_CLIENT, TC_KIND_PRODUCER, TC_KIND_CONSUMER };
enum tc_status { TC_STATUS_UNSET, TC_STATUS_OK, TC_STATUS_ERROR };
enum tc_severity { TC_SEV_TRACE, TC_SEV_DEBUG, TC_SEV_INFO, TC_SEV_WARN, TC_SEV_ERROR, TC_SEV_FATAL };
enum tc_value_kind { TC_VAL_STRING, TC_VAL_INT, TC_VAL_DOUBLE, TC_VAL_BOOL, TC_VAL_STRING_ARRAY, TC_VAL_INT_ARRAY };
struct tc_attr {
    std::string key;
    tc_value_kind kind;
    std::string s;
    int64_t i;
    double d;
    bool b;
    std::vector<std::string> sa;
    std::vector<int64_t> ia;
};
tc_attr tc_attr_str(const char *key, const char *v);
tc_attr tc_attr_int(const char *key, int64_t v);
tc_attr tc_attr_double(const char *key, double v);
tc_attr tc_attr_bool(const char *key, bool v);
struct tc_event { std::string name; uint64_t time_ns; tc_severity severity; std::vector<tc_attr> attrs; };
struct tc_link { tc_context ctx; std::vector<tc_attr> attrs; };
struct tc_span {
    tc_context ctx;
    std::string name;
    tc_span_kind kind;
    uint64_t start_ns, end_ns;     // end_ns == 0 while the span runs
    std::vector<tc_attr> attrs;    // setting a key again replaces its value
    std::vector<tc_event> events;  // in the order they were added
    tc_status status;
    std::string status_message;
    std::vector<tc_link> links;
    std::string service_name;      // the tracer's, for the exporter's resource
};

struct tc_sampler {
    // Decides at span start, for a new root span (children follow their parent's flag).
    bool (*should_sample)(void *self, const tc_context *c, const char *name);
    void *self;
};
tc_sampler tc_sampler_always_on(void);
tc_sampler tc_sampler_always_off(void);
struct tc_ratio_sampler { double ratio; tc_rng rng; };
void tc_ratio_sampler_init(tc_ratio_sampler *r, double ratio, uint64_t seed);   // ratio clamped to [0,1]
tc_sampler tc_sampler_ratio(tc_ratio_sampler *r);

struct tc_exporter {
    int (*export_spans)(void *self, const tc_span *spans, size_t n);   // 0 ok, -1 failed
    void *self;
};
struct tc_memory_exporter { std::vector<tc_span> spans; size_t batches; };
tc_exporter tc_exporter_memory(tc_memory_exporter *m);
// One JSON object per line per span (OTLP-like field names), appended to path. service_name is
// used for spans that carry none.
struct tc_file_exporter;
tc_file_exporter *tc_file_exporter_open(const char *path, const char *service_name, std::string *err);
tc_exporter tc_exporter_file(tc_file_exporter *f);
void tc_file_exporter_close(tc_file_exporter *f);
std::string tc_span_to_json(const tc_span *s, const char *service_name);      // one line, no newline

struct tc_tracer_options {
    size_t batch_size;                       // export when this many ended spans wait (0 = 512)
    uint64_t (*now_ns)(void *ctx);           // NULL = CLOCK_REALTIME in ns
    void *clock_ctx;
    uint64_t id_seed;                        // 0 = random ids
};
struct tc_tracer;
tc_tracer *tc_tracer_new(const char *service_name, tc_sampler sampler, tc_exporter exporter,
                         const tc_tracer_options *opt);
void tc_tracer_flush(tc_tracer *t);          // exports every ended span still buffered
void tc_tracer_free(tc_tracer *t);           // flushes first

// The seed's ActiveSpan: a guard whose destructor ends the span. Not copyable.
struct tc_active_span {
    tc_tracer *tracer = nullptr;
    tc_span span{};
    bool recording = false;                  // sampled: attributes and events are kept, and exported
    bool ended = false;
    tc_active_span() = default;
    tc_active_span(const tc_active_span &) = delete;
    tc_active_span &operator=(const tc_active_span &) = delete;
    ~tc_active_span();
};
struct tc_span_options {
    tc_span_kind kind;
    const tc_context *parent;                // NULL = a new root
    std::vector<tc_attr> attrs;
    std::vector<tc_link> links;
};
void tc_span_start(tc_active_span *s, tc_tracer *t, const char *name, const tc_span_options *opt);
void tc_span_set_attr(tc_active_span *s, const tc_attr &a);
void tc_span_add_event(tc_active_span *s, const char *name, tc_severity sev, const std::vector<tc_attr> *attrs);
void tc_span_set_status(tc_active_span *s, tc_status st, const char *message);
void tc_span_set_error(tc_active_span *s, const char *message);    // status ERROR + an "exception" event
// Ends the span once (later calls do nothing) and hands it to the tracer if it is sampled.
void tc_span_end(tc_active_span *s);
