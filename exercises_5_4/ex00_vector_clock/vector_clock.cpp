// vector_clock.cpp — reference solution of EX00: vector clocks and their byte format.
#include "vector_clock.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

void vc_init(VectorClock *vc) { vc->counters.clear(); }

void vc_tick(VectorClock *vc, const char *node) { vc->counters[node] += 1; }

void vc_merge(VectorClock *vc, const VectorClock *other, const char *local)
{
    for (const auto &[node, n] : other->counters) {
        uint64_t &mine = vc->counters[node];
        if (n > mine) mine = n;
    }
    // The receive is itself an event of the local node, after everything it now knows.
    vc_tick(vc, local);
}

uint64_t vc_get(const VectorClock *vc, const char *node)
{
    auto it = vc->counters.find(node);
    return it == vc->counters.end() ? 0 : it->second;
}

CausalOrder vc_compare(const VectorClock *a, const VectorClock *b)
{
    // One pass over both sorted maps; an id missing on one side counts as 0 there.
    bool a_less = false, b_less = false;
    auto ia = a->counters.begin(), ib = b->counters.begin();
    while (ia != a->counters.end() || ib != b->counters.end()) {
        uint64_t va, vb;
        if (ib == b->counters.end() || (ia != a->counters.end() && ia->first < ib->first)) {
            va = ia->second, vb = 0, ++ia;
        } else if (ia == a->counters.end() || ib->first < ia->first) {
            va = 0, vb = ib->second, ++ib;
        } else {
            va = ia->second, vb = ib->second, ++ia, ++ib;
        }
        if (va < vb) a_less = true;
        if (vb < va) b_less = true;
    }
    if (a_less && b_less) return VC_CONCURRENT;
    if (a_less) return VC_BEFORE;
    if (b_less) return VC_AFTER;
    return VC_EQUAL;
}

bool vc_happened_before(const VectorClock *a, const VectorClock *b) { return vc_compare(a, b) == VC_BEFORE; }

bool vc_is_concurrent(const VectorClock *a, const VectorClock *b) { return vc_compare(a, b) == VC_CONCURRENT; }

std::vector<std::string> vc_known_nodes(const VectorClock *vc)
{
    std::vector<std::string> out;
    for (const auto &kv : vc->counters)
        if (kv.second > 0) out.push_back(kv.first);
    return out;
}

const char *vc_order_name(CausalOrder o)
{
    switch (o) {
    case VC_BEFORE: return "before";
    case VC_AFTER: return "after";
    case VC_CONCURRENT: return "concurrent";
    case VC_EQUAL: return "equal";
    }
    return "?";
}

static int fail(VcError *err, VcStatus code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void put_be(std::vector<uint8_t> *out, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) out->push_back((uint8_t)(v >> (8 * i)));
}

static uint64_t get_be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = (v << 8) | p[i];
    return v;
}

int vc_to_bytes(const VectorClock *vc, std::vector<uint8_t> *out, VcError *err)
{
    std::vector<uint8_t> buf = {'V', 'C', VC_FORMAT_VERSION};
    uint64_t count = 0;
    for (const auto &kv : vc->counters)
        if (kv.second > 0) count++;
    if (count > UINT32_MAX) return fail(err, VC_ERR_SERIALIZE, "too many nodes (%llu)", (unsigned long long)count);
    put_be(&buf, count, 4);
    for (const auto &[node, n] : vc->counters) { // std::map: already in bytewise order
        if (n == 0) continue;
        if (node.empty() || node.size() > VC_MAX_ID_LEN)
            return fail(err, VC_ERR_SERIALIZE, "node id of %zu bytes: must be 1..%d", node.size(), VC_MAX_ID_LEN);
        buf.push_back((uint8_t)node.size());
        buf.insert(buf.end(), node.begin(), node.end());
        put_be(&buf, n, 8);
    }
    *out = std::move(buf);
    return VC_OK;
}

int vc_from_bytes(const uint8_t *buf, size_t len, VectorClock *out, VcError *err)
{
    if (len < VC_HEADER_LEN) return fail(err, VC_ERR_DESERIALIZE, "truncated header: %zu of %d bytes", len, VC_HEADER_LEN);
    if (buf[0] != 'V' || buf[1] != 'C') return fail(err, VC_ERR_DESERIALIZE, "bad magic 0x%02x%02x (want \"VC\")", buf[0], buf[1]);
    if (buf[2] != VC_FORMAT_VERSION) return fail(err, VC_ERR_DESERIALIZE, "unsupported version %u (want %d)", buf[2], VC_FORMAT_VERSION);
    uint64_t count = get_be(buf + 3, 4);
    size_t pos = VC_HEADER_LEN;
    // Never trust the count: every entry takes at least 1 + 1 + 8 bytes.
    if (count > (len - pos) / 10)
        return fail(err, VC_ERR_DESERIALIZE, "count %llu overruns the %zu bytes left", (unsigned long long)count, len - pos);
    VectorClock vc;
    std::string prev;
    for (uint64_t i = 0; i < count; i++) {
        if (len - pos < 1) return fail(err, VC_ERR_DESERIALIZE, "entry %llu: truncated id length", (unsigned long long)i);
        size_t idlen = buf[pos++];
        if (idlen == 0) return fail(err, VC_ERR_DESERIALIZE, "entry %llu: empty node id", (unsigned long long)i);
        if (len - pos < idlen + 8)
            return fail(err, VC_ERR_DESERIALIZE, "entry %llu: truncated (needs %zu bytes, %zu left)", (unsigned long long)i, idlen + 8, len - pos);
        std::string id((const char *)buf + pos, idlen);
        pos += idlen;
        uint64_t n = get_be(buf + pos, 8);
        pos += 8;
        if (i > 0 && !(prev < id))
            return fail(err, VC_ERR_DESERIALIZE, "entry %llu: node ids not in strictly increasing order (duplicate or unsorted)", (unsigned long long)i);
        if (n == 0) return fail(err, VC_ERR_DESERIALIZE, "entry %llu: counter 0 is never encoded", (unsigned long long)i);
        vc.counters.emplace_hint(vc.counters.end(), id, n);
        prev = std::move(id);
    }
    if (pos != len) return fail(err, VC_ERR_DESERIALIZE, "%zu trailing bytes after the last entry", len - pos);
    *out = std::move(vc);
    return VC_OK;
}

void vc_event_new(VcEvent *ev, VectorClock *clock, const char *origin, const char *payload)
{
    vc_tick(clock, origin);
    ev->clock = *clock;
    ev->origin = origin;
    ev->payload = payload;
}

bool vc_event_caused(const VcEvent *a, const VcEvent *b) { return vc_happened_before(&a->clock, &b->clock); }
