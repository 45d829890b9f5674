// fuzz_codec.cpp — libFuzzer target for EX04's datagram codec: any datagram is decoded or refused
// with a reason; a decoded message survives decode(encode(m)) == m field by field, and its encoding
// is stable (encode(decode(encode(m))) == encode(m)).
#include "gossip_mesh.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

static bool same_update(const gm_update &a, const gm_update &b)
{
    return a.id == b.id && a.state == b.state && a.incarnation == b.incarnation && a.address == b.address &&
           a.has_metadata == b.has_metadata && a.metadata == b.metadata;
}

static bool same(const gm_message &a, const gm_message &b)
{
    if (a.type != b.type || a.seq != b.seq || a.from != b.from || a.target != b.target ||
        a.updates.size() != b.updates.size())
        return false;
    for (size_t i = 0; i < a.updates.size(); i++)
        if (!same_update(a.updates[i], b.updates[i])) return false;
    return true;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = (char *)malloc(size ? size : 1);  // not NUL-terminated: the codec gets a length
    if (size) memcpy(buf, data, size);
    gm_message m;
    std::string err;
    if (gm_decode(buf, size, &m, &err)) {
        if ((int)m.type < GM_PING || (int)m.type > GM_SYNC_REQUEST) abort();
        for (const gm_update &u : m.updates)
            if ((int)u.state < GM_ALIVE || (int)u.state > GM_LEFT) abort();
        std::string enc = gm_encode(&m);
        gm_message back;
        std::string err2;
        if (!gm_decode(enc.data(), enc.size(), &back, &err2)) abort();
        if (!same(m, back)) abort();
        if (gm_encode(&back) != enc) abort();
    } else if (err.empty()) {
        abort();
    }
    free(buf);
    return 0;
}
