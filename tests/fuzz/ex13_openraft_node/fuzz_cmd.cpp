// fuzz_cmd.cpp — libFuzzer target for kv_cmd_decode: any log entry is decoded or refused with
// RAFT_MALFORMED and the command untouched. An accepted entry is kv_cmd_encode of what it decoded to
// up to the padding: the same header, key and value, then 0 to 7 zero bytes (the README refuses
// non-zero padding and 8 or more bytes of it; it does not require the padding to reach a multiple of 8).
#include "raft_kv.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = (uint8_t *)malloc(size ? size : 1);  // exactly size bytes: ASan sees an overread
    if (size) memcpy(buf, data, size);
    kv_cmd cmd;
    cmd.op = KV_DEL;
    cmd.key = "sentinel";
    cmd.value = "untouched";
    int rc = kv_cmd_decode(buf, size, &cmd);
    if (rc == 0) {
        struct raft_buffer out;
        if (kv_cmd_encode(&cmd, &out) != 0) abort();
        size_t body = 8 + cmd.key.size() + cmd.value.size();
        if (size < body || size - body > 7 || out.len < body || memcmp(out.base, buf, body) != 0) abort();
        for (size_t i = body; i < size; i++)
            if (buf[i] != 0) abort();
        raft_free(out.base);
    } else if (rc != RAFT_MALFORMED || cmd.op != KV_DEL || cmd.key != "sentinel" || cmd.value != "untouched") {
        abort();
    }
    free(buf);
    return 0;
}
