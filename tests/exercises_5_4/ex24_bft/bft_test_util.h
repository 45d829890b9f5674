// bft_test_util.h — helpers shared by the EX24 tests: fixed keys, replicas, messages built and
// signed by the tests' own encoder (OpenSSL directly, independent of the submission), and output
// filters. Every helper that can fail takes the caller's words for its message.
#pragma once
#include "nl_test.h"
#include "bft.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>
#include <vector>

static const uint64_t T_MS = 100; // the view-change timeout of every test replica

static inline std::vector<std::array<uint8_t, BFT_KEY_LEN>> test_keys(uint32_t n)
{
    std::vector<std::array<uint8_t, BFT_KEY_LEN>> keys(n);
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; k < BFT_KEY_LEN; k++) keys[i][k] = (uint8_t)(0x40 + i * 7 + k);
    return keys;
}

static inline BftConfig test_config(uint32_t id, uint32_t n)
{
    return BftConfig{id, n, test_keys(n), T_MS};
}

static inline BftReplica *new_replica(uint32_t id, uint32_t n)
{
    BftConfig c = test_config(id, n);
    char err[200] = "";
    BftReplica *r = bft_new(&c, err, sizeof err);
    if (!r) fail_msg("bft_new refused a valid config (id %u, n %u): %s", id, n, err);
    return r;
}

// ---- the tests' own encoder (the README's byte formats) ----
static inline void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

static inline void t_request_digest(const BftRequest &q, uint8_t out[32])
{
    std::string b(16, '\0');
    put_be64((uint8_t *)&b[0], q.client_id);
    put_be64((uint8_t *)&b[8], q.timestamp);
    b += q.operation;
    SHA256((const unsigned char *)b.data(), b.size(), out);
}

static inline void t_mac(const BftMsg &m, const uint8_t *key, uint8_t out[32])
{
    uint8_t h[61];
    memcpy(h, "PBFT", 4);
    h[4] = (uint8_t)m.type;
    put_be64(h + 5, m.view);
    put_be64(h + 13, m.seq);
    put_be64(h + 21, m.replica);
    memcpy(h + 29, m.digest, 32);
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, 32, h, sizeof h, out, &len);
}

// Signs m as replica m.replica of a cluster of n (or with `key` when given: a forgery).
static inline void t_sign(BftMsg *m, uint32_t n, const uint8_t *key = nullptr)
{
    if (m->type == BFT_PRE_PREPARE) t_request_digest(m->request, m->digest);
    if (m->type == BFT_VIEW_CHANGE || m->type == BFT_NEW_VIEW) {
        std::string b;
        const std::vector<BftMsg> &first = m->type == BFT_VIEW_CHANGE ? m->certs : m->view_changes;
        for (const BftMsg &e : first) b.append((const char *)e.mac, 32);
        if (m->type == BFT_NEW_VIEW)
            for (const BftMsg &e : m->pre_prepares) b.append((const char *)e.mac, 32);
        SHA256((const unsigned char *)b.data(), b.size(), m->digest);
    }
    std::vector<std::array<uint8_t, BFT_KEY_LEN>> keys = test_keys(n > m->replica ? n : m->replica + 1);
    t_mac(*m, key ? key : keys[m->replica].data(), m->mac);
}

static inline BftRequest req(const char *op, uint64_t ts = 1, uint64_t client = 7)
{
    return BftRequest{client, ts, op};
}

static inline BftMsg t_pre_prepare(uint32_t n, uint64_t view, uint64_t seq, const BftRequest &q)
{
    BftMsg m{};
    m.type = BFT_PRE_PREPARE;
    m.view = view;
    m.seq = seq;
    m.replica = bft_primary_of(view, n);
    m.request = q;
    t_sign(&m, n);
    return m;
}

static inline BftMsg t_vote(uint32_t n, BftMsgType type, uint64_t view, uint64_t seq, uint32_t from, const BftRequest &q)
{
    BftMsg m{};
    m.type = type;
    m.view = view;
    m.seq = seq;
    m.replica = from;
    t_request_digest(q, m.digest);
    t_sign(&m, n);
    return m;
}

// A prepared certificate of (view, seq, q): the primary's pre-prepare and prepares of `backups`.
static inline std::vector<BftMsg> t_cert(uint32_t n, uint64_t view, uint64_t seq, const BftRequest &q,
                                         std::vector<uint32_t> backups)
{
    std::vector<BftMsg> c{t_pre_prepare(n, view, seq, q)};
    for (uint32_t b : backups) c.push_back(t_vote(n, BFT_PREPARE, view, seq, b, q));
    return c;
}

static inline BftMsg t_view_change(uint32_t n, uint64_t new_view, uint32_t from, std::vector<std::vector<BftMsg>> certs)
{
    BftMsg m{};
    m.type = BFT_VIEW_CHANGE;
    m.view = new_view;
    m.replica = from;
    for (auto &c : certs) m.certs.insert(m.certs.end(), c.begin(), c.end());
    t_sign(&m, n);
    return m;
}

static inline BftMsg t_new_view(uint32_t n, uint64_t view, std::vector<BftMsg> vcs, std::vector<BftRequest> reqs)
{
    BftMsg m{};
    m.type = BFT_NEW_VIEW;
    m.view = view;
    m.replica = bft_primary_of(view, n);
    m.view_changes = vcs;
    for (size_t i = 0; i < reqs.size(); i++) m.pre_prepares.push_back(t_pre_prepare(n, view, i + 1, reqs[i]));
    t_sign(&m, n);
    return m;
}

static inline BftRequest null_req(void) { return BftRequest{0, 0, ""}; }

// ---- outputs ----
static inline std::vector<const BftOutput *> sends(const BftOutputs &out, BftMsgType type)
{
    std::vector<const BftOutput *> v;
    for (const BftOutput &o : out)
        if (o.kind == BFT_OUT_SEND && o.msg.type == type) v.push_back(&o);
    return v;
}

static inline std::string targets(const std::vector<const BftOutput *> &v) // e.g. "1,2,3"
{
    std::string s;
    for (const BftOutput *o : v) s += (s.empty() ? "" : ",") + std::to_string(o->target);
    return s;
}

static inline std::vector<BftOutput> of_kind(const BftOutputs &out, BftOutputKind k)
{
    std::vector<BftOutput> v;
    for (const BftOutput &o : out)
        if (o.kind == k) v.push_back(o);
    return v;
}

static inline std::string executed(const BftOutputs &out) // e.g. "1:a 2:null"
{
    std::string s;
    for (const BftOutput &o : out)
        if (o.kind == BFT_OUT_EXECUTE)
            s += (s.empty() ? "" : " ") + std::to_string(o.seq) + ":" +
                 (o.request.client_id == 0 ? std::string("null") : o.request.operation);
    return s;
}

static inline bool same_digest(const uint8_t *a, const BftRequest &q)
{
    uint8_t d[32];
    t_request_digest(q, d);
    return memcmp(a, d, 32) == 0;
}

static inline void deliver(BftReplica *r, const BftMsg &m, BftOutputs *out) { bft_on_message(r, &m, out); }

// The last SET_TIMER delay in out, or 0; whether a CANCEL comes after it.
static inline uint64_t last_timer(const BftOutputs &out, bool *cancelled = nullptr)
{
    uint64_t d = 0;
    bool c = false;
    for (const BftOutput &o : out) {
        if (o.kind == BFT_OUT_SET_TIMER) d = o.delay_ms, c = false;
        if (o.kind == BFT_OUT_CANCEL_TIMER) c = true;
    }
    if (cancelled) *cancelled = c;
    return d;
}
