// fuzz_snapshot.cpp — libFuzzer target for kv_snapshot_decode / kv_snapshot_encode. Any bytes are
// restored or refused (RAFT_MALFORMED, the store exactly as it was); a restored map encodes to a
// snapshot that restores to the same map, and to the input itself when its keys were in ascending
// order. Inputs starting with 'M' instead build a map from the bytes: encode then decode gives it back.
#include "raft_kv.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

static bool key_char_ok(uint8_t c) { return c != ' ' && c != '\t' && c != '\r' && c != '\n'; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'M') {  // a map of keys 1..64 bytes (no blank), values 0..1024 bytes
        kv_store st;
        size_t pos = 1;
        while (pos + 2 <= size) {
            size_t kl = 1 + data[pos] % KV_MAX_KEY, vl = data[pos + 1] % 40;
            pos += 2;
            std::string k, v;
            for (size_t i = 0; i < kl && pos < size; i++, pos++) k += key_char_ok(data[pos]) ? (char)data[pos] : 'k';
            for (size_t i = 0; i < vl && pos < size; i++, pos++) v += (char)data[pos];
            if (k.empty()) break;
            st.data[k] = v;
        }
        struct raft_buffer out;
        if (kv_snapshot_encode(&st, &out) != 0) abort();
        kv_store back;
        back.data["stale"] = "x";
        if (kv_snapshot_decode(out.base, out.len, &back) != 0 || back.data != st.data) abort();
        raft_free(out.base);
        return 0;
    }
    uint8_t *buf = (uint8_t *)malloc(size ? size : 1);
    if (size) memcpy(buf, data, size);
    kv_store st;
    st.data["sentinel"] = "untouched";
    st.applied = 7;
    int rc = kv_snapshot_decode(buf, size, &st);
    if (rc == 0) {
        for (auto &[k, v] : st.data) {
            if (k.empty() || k.size() > KV_MAX_KEY || v.size() > KV_MAX_VALUE) abort();
            for (char c : k)
                if (!key_char_ok((uint8_t)c)) abort();
        }
        struct raft_buffer out;
        if (kv_snapshot_encode(&st, &out) != 0) abort();
        kv_store back;
        if (kv_snapshot_decode(out.base, out.len, &back) != 0 || back.data != st.data) abort();
        if (out.len != size) abort();  // the same pairs, in another order at most
        bool ascending = true;           // the input's keys, in the order they came
        size_t off = 8;
        std::string prev;
        for (size_t i = 0; i < st.data.size(); i++) {
            uint32_t kl, vl;
            memcpy(&kl, buf + off, 4);
            memcpy(&vl, buf + off + 4, 4);
            std::string k((const char *)buf + off + 8, kl);
            if (i > 0 && !(prev < k)) ascending = false;
            prev = k;
            off += 8 + kl + vl;
        }
        if (ascending && memcmp(out.base, buf, size) != 0) abort();
        raft_free(out.base);
    } else if (rc != RAFT_MALFORMED || st.data.size() != 1 || st.data["sentinel"] != "untouched") {
        abort();
    }
    free(buf);
    return 0;
}
