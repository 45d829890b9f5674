// fuzz_base64.cpp — libFuzzer target for common/nl_crypto's base64: decode(encode(x)) == x for any
// bytes, and the strict decoder accepts a text only when it is the canonical encoding of what it
// decoded (so encode(decode(t)) == t), never reading past len.
#include "nl_crypto.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    std::string enc = nl_base64_encode(data, size);
    if (enc.size() != (size + 2) / 3 * 4) abort();
    std::string dec;
    if (nl_base64_decode(enc.data(), enc.size(), &dec) != 0) abort();
    if (dec.size() != size || (size && memcmp(dec.data(), data, size) != 0)) abort();

    // The same bytes read as a text, in a buffer of exactly their size (ASan sees any overread).
    char *text = (char *)malloc(size ? size : 1);
    if (size) memcpy(text, data, size);
    std::string out = "left over";
    int rc = nl_base64_decode(text, size, &out);
    if (rc == 0) {
        if (nl_base64_encode(out.data(), out.size()) != std::string(text, size)) abort();
    } else if (rc != -1) {
        abort();
    }
    free(text);
    return 0;
}
