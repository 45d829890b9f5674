// fuzz_request.cpp — libFuzzer target for kv_parse_request: any line parses or is refused with the
// one-line error reply the README gives. A parsed request respects the limits: a key of 1..64 bytes
// without blanks for SET/GET/DEL, a value of at most 1024 bytes, an address for ADD.
#include "raft_kv.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4 * KV_MAX_LINE) return 0;
    char *buf = (char *)malloc(size ? size : 1);  // not NUL-terminated: the parser gets a length
    if (size) memcpy(buf, data, size);
    kv_request req;
    std::string err;
    int rc = kv_parse_request(buf, size, &req, &err);
    if (rc == 0) {
        if (req.type == KV_REQ_SET || req.type == KV_REQ_GET || req.type == KV_REQ_DEL) {
            if (req.key.empty() || req.key.size() > KV_MAX_KEY) abort();
            for (char c : req.key)
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n') abort();
        }
        if (req.value.size() > KV_MAX_VALUE) abort();
        if (req.type == KV_REQ_ADD && req.address.empty()) abort();
    } else {
        if (rc != -1 || err.empty() || err.find('\n') != std::string::npos) abort();
    }
    free(buf);
    return 0;
}
