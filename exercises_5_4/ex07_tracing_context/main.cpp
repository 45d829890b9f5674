// main.cpp — trace_demo: a request crosses two "services" in one process through a header map
// (inject on one side, extract on the other); spans go to a JSON-lines file, one object per span.
#include "tracing_context.h"
#include "nl_opt.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

static const char *map_get(void *ctx, const char *key)
{
    auto *m = (std::map<std::string, std::string> *)ctx;
    auto it = m->find(key);
    return it == m->end() ? nullptr : it->second.c_str();
}
static void map_set(void *ctx, const char *key, const char *value)
{
    (*(std::map<std::string, std::string> *)ctx)[key] = value;
}

static const char USAGE[] =
    "usage: trace_demo --out FILE [--requests N] [--ratio R] [--seed N]\n"
    "  runs N requests frontend -> backend, propagating W3C traceparent and baggage\n"
    "  through a header map, and writes every sampled span as one JSON line to FILE.\n";

int main(int argc, char **argv)
{
    const char *out = nullptr;
    uint64_t nreq = 1;
    double ratio = 1.0;
    uint64_t seed = 0;
    const nl_opt opts[] = {
        {"out", NL_OPT_STRING, &out},
        {"requests", NL_OPT_U64, &nreq, 1, 1000000},
        {"ratio", NL_OPT_DOUBLE, &ratio, 0, 0, 0.0, 1.0},
        {"seed", NL_OPT_U64, &seed},
    };
    int rc = nl_opt_parse(argc, argv, "trace_demo", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (rc != NL_OPT_OK) return rc == NL_OPT_HELP ? 0 : 2;
    if (!out) return nl_opt_fail("trace_demo", "out", USAGE, "is required");
    int requests = (int)nreq;
    std::string err;
    tc_file_exporter *fe = tc_file_exporter_open(out, "demo", &err);
    if (!fe) {
        fprintf(stderr, "trace_demo: %s\n", err.c_str());
        return 1;
    }
    tc_ratio_sampler rs;
    tc_ratio_sampler_init(&rs, ratio, seed ? seed : 1);
    tc_tracer_options opt{};
    opt.id_seed = seed;
    tc_tracer *frontend = tc_tracer_new("frontend", tc_sampler_ratio(&rs), tc_exporter_file(fe), &opt);
    opt.id_seed = seed ? seed + 1 : 0;          // the backend draws its own ids
    tc_tracer *backend = tc_tracer_new("backend", tc_sampler_always_off(), tc_exporter_file(fe), &opt);
    tc_composite comp{{tc_w3c_propagator(), tc_baggage_propagator()}};
    tc_propagator prop = tc_composite_propagator(&comp);
    for (int r = 0; r < requests; r++) {
        std::map<std::string, std::string> headers;
        tc_carrier carrier{map_get, map_set, &headers};
        {
            tc_active_span req;
            tc_span_options o{TC_KIND_CLIENT, nullptr, {tc_attr_int("request", r)}, {}};
            tc_span_start(&req, frontend, "GET /checkout", &o);
            tc_baggage bag;
            tc_baggage_set(&bag, "user", "alice smith");
            prop.inject(prop.self, &req.span.ctx, &bag, &carrier);
            printf("traceparent: %s\nbaggage: %s\n", headers["traceparent"].c_str(), headers["baggage"].c_str());
            // The backend: its sampler says no, but the remote parent's sampled flag decides.
            tc_context remote{};
            tc_baggage got;
            if (prop.extract(prop.self, &carrier, &remote, &got)) {
                tc_active_span srv;
                tc_span_options so{TC_KIND_SERVER, &remote, {tc_attr_str("user", tc_baggage_get(&got, "user"))}, {}};
                tc_span_start(&srv, backend, "checkout", &so);
                tc_span_add_event(&srv, "cart loaded", TC_SEV_INFO, nullptr);
                tc_span_set_status(&srv, TC_STATUS_OK, nullptr);
            }
        }
    }
    tc_tracer_free(frontend);
    tc_tracer_free(backend);
    tc_file_exporter_close(fe);
    return 0;
}
