// fuzz_baggage.cpp — libFuzzer target for tc_baggage_parse / tc_baggage_format: any header is parsed
// or refused with a reason (the baggage untouched); a parsed baggage has no empty key, no key twice,
// and parse(format(b)) == b entry by entry, in order.
#include "tracing_context.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048) return 0;
    std::string s((const char *)data, strnlen((const char *)data, size));
    tc_baggage b;
    b.entries = {{"sentinel", "1"}};
    std::string err;
    if (!tc_baggage_parse(s.c_str(), &b, &err)) {
        if (err.empty() || b.entries.size() != 1 || b.entries[0].first != "sentinel" || b.entries[0].second != "1")
            abort();
        return 0;
    }
    std::set<std::string> keys;
    for (auto &[k, v] : b.entries)
        if (k.empty() || !keys.insert(k).second) abort();
    std::string text = tc_baggage_format(&b);
    tc_baggage again;
    std::string err2;
    if (!tc_baggage_parse(text.c_str(), &again, &err2)) abort();
    if (again.entries != b.entries) abort();
    if (tc_baggage_format(&again) != text) abort();
    return 0;
}
