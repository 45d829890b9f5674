// fuzz_traceparent.cpp — libFuzzer target for tc_traceparent_parse: it must accept exactly the
// strings a strict regular expression of the W3C grammar (version 00) accepts — 00, 32 lowercase hex
// not all zero, 16 lowercase hex not all zero, 2 lowercase hex, dashes between — and nothing else.
// Accepted: formatting the context gives the input back, no parent, empty trace state. Refused: the
// context is untouched and the reason mentions traceparent.
#include "tracing_context.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <string>

static const std::regex w3c("00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) return 0;
    std::string s((const char *)data, strnlen((const char *)data, size));  // the parser reads a C string
    bool want = std::regex_match(s, w3c);
    tc_context c;
    c.trace_id = {0x1111, 0x2222};
    c.span_id = 0x3333;
    c.parent_span_id = 0x4444;
    c.flags = 0x55;
    c.trace_state = "sentinel=1";
    tc_context before = c;
    std::string err;
    bool got = tc_traceparent_parse(s.c_str(), &c, &err);
    if (got != want) abort();
    if (got) {
        char out[56];
        tc_traceparent_format(&c, out);
        if (s != out) abort();
        if (c.parent_span_id != 0 || !c.trace_state.empty()) abort();
    } else {
        if (err.find("traceparent") == std::string::npos) abort();
        if (memcmp(&c.trace_id, &before.trace_id, sizeof c.trace_id) != 0 || c.span_id != before.span_id ||
            c.parent_span_id != before.parent_span_id || c.flags != before.flags || c.trace_state != before.trace_state)
            abort();
    }
    return 0;
}
