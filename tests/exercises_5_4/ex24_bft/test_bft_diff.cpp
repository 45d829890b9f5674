// test_bft_diff.cpp — differential test: a cluster of 4 submission replicas and a cluster of 4
// reference replicas (the oracle) receive the same seeded sequence of client requests, message
// deliveries (in any order, dropped or duplicated), timer expiries and messages of a Byzantine
// replica 0 (equivocating pre-prepares and votes, votes forged with its key); after every step the
// messages sent, the executions, the timers and the queries must be the same (R12-R26).
#include "bft.h"
#include "bft_test_util.h"
#include "nl_diff.h"
#include "oracle/bft.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace {
const uint32_t N = 4;

// One sent message, as both sides must have sent it.
struct Rec { // no padding: compared with memcmp
    uint32_t from, to;
    int32_t type;
    uint32_t replica;
    uint64_t view, seq;
    uint8_t digest[32], mac[32];
    bool operator<(const Rec &o) const { return memcmp(this, &o, sizeof *this) < 0; }
    bool operator==(const Rec &o) const { return memcmp(this, &o, sizeof *this) == 0; }
};

template <class M> Rec rec_of(uint32_t from, uint32_t to, const M &m)
{
    Rec r;
    memset(&r, 0, sizeof r);
    r.from = from;
    r.to = to;
    r.type = (int)m.type;
    r.view = m.view;
    r.seq = m.seq;
    r.replica = m.replica;
    memcpy(r.digest, m.digest, 32);
    memcpy(r.mac, m.mac, 32);
    return r;
}

oracle::BftRequest to_oracle(const BftRequest &q) { return oracle::BftRequest{q.client_id, q.timestamp, q.operation}; }
oracle::BftMsg to_oracle(const BftMsg &m)
{
    oracle::BftMsg o{};
    o.type = (oracle::BftMsgType)m.type;
    o.view = m.view;
    o.seq = m.seq;
    o.replica = m.replica;
    memcpy(o.digest, m.digest, 32);
    memcpy(o.mac, m.mac, 32);
    o.request = to_oracle(m.request);
    for (const BftMsg &e : m.certs) o.certs.push_back(to_oracle(e));
    for (const BftMsg &e : m.view_changes) o.view_changes.push_back(to_oracle(e));
    for (const BftMsg &e : m.pre_prepares) o.pre_prepares.push_back(to_oracle(e));
    return o;
}

struct SubApi {
    typedef ::BftReplica R;
    typedef ::BftMsg M;
    typedef ::BftOutputs O;
    static R *make(uint32_t id)
    {
        ::BftConfig c = test_config(id, N);
        return ::bft_new(&c, nullptr, 0);
    }
    static void destroy(R *r) { ::bft_free(r); }
    static void request(R *r, const BftRequest &q, O *o) { ::bft_on_request(r, &q, o); }
    static void message(R *r, const BftMsg &m, O *o) { ::bft_on_message(r, &m, o); }
    static void message(R *r, const M *m, O *o, int) { ::bft_on_message(r, m, o); }
    static void timer(R *r, O *o) { ::bft_on_timer(r, o); }
    static uint64_t view(R *r) { return ::bft_view(r); }
    static bool in_vc(R *r) { return ::bft_in_view_change(r); }
    static bool primary(R *r) { return ::bft_is_primary(r); }
    static uint64_t last(R *r) { return ::bft_last_executed(r); }
};

struct OraApi {
    typedef oracle::BftReplica R;
    typedef oracle::BftMsg M;
    typedef oracle::BftOutputs O;
    static R *make(uint32_t id)
    {
        BftConfig s = test_config(id, N);
        oracle::BftConfig c{s.id, s.n, {}, s.view_change_timeout_ms};
        for (auto &k : s.keys) c.keys.push_back(k);
        return oracle::bft_new(&c, nullptr, 0);
    }
    static void destroy(R *r) { oracle::bft_free(r); }
    static void request(R *r, const BftRequest &q, O *o)
    {
        oracle::BftRequest x = to_oracle(q);
        oracle::bft_on_request(r, &x, o);
    }
    static void message(R *r, const BftMsg &m, O *o)
    {
        oracle::BftMsg x = to_oracle(m);
        oracle::bft_on_message(r, &x, o);
    }
    static void message(R *r, const M *m, O *o, int) { oracle::bft_on_message(r, m, o); }
    static void timer(R *r, O *o) { oracle::bft_on_timer(r, o); }
    static uint64_t view(R *r) { return oracle::bft_view(r); }
    static bool in_vc(R *r) { return oracle::bft_in_view_change(r); }
    static bool primary(R *r) { return oracle::bft_is_primary(r); }
    static uint64_t last(R *r) { return oracle::bft_last_executed(r); }
};

template <class A> struct Side {
    std::vector<typename A::R *> reps;
    std::vector<std::pair<Rec, typename A::M>> queue; // messages in flight
    std::vector<std::string> executed;                // "replica:seq:digest" in order
    int64_t timer[N];                                 // -1: off, else the delay armed
    std::string last_input;                           // outputs of the last input, as text

    void reset()
    {
        for (auto *r : reps) A::destroy(r);
        reps.clear();
        for (uint32_t i = 0; i < N; i++) reps.push_back(A::make(i)), timer[i] = -1;
        queue.clear();
        executed.clear();
    }
    // Sends of one input enter the queue in a canonical order: the README fixes what is sent, not
    // the order of different kinds of output within one input.
    void take(uint32_t node, typename A::O &out)
    {
        std::vector<std::pair<Rec, typename A::M>> sent;
        for (auto &o : out) {
            int kind = (int)o.kind;
            if (kind == 0) sent.push_back({rec_of(node, o.target, o.msg), o.msg});
            if (kind == 1) {
                uint8_t d[32];
                BftRequest q{o.request.client_id, o.request.timestamp, o.request.operation};
                t_request_digest(q, d);
                char b[80];
                snprintf(b, sizeof b, "%u:%" PRIu64 ":%02x%02x%02x%02x", node, o.seq, d[0], d[1], d[2], d[3]);
                executed.push_back(b);
            }
            if (kind == 2) timer[node] = (int64_t)o.delay_ms;
            if (kind == 3) timer[node] = -1;
        }
        std::stable_sort(sent.begin(), sent.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
        for (auto &s : sent) queue.push_back(s);
        out.clear();
    }
};

enum OpKind { OP_REQUEST, OP_DELIVER, OP_DUPLICATE, OP_DROP, OP_TIMER, OP_BYZ_PRE_PREPARE, OP_BYZ_VOTE, OP_FORGED_VOTE, OP_COUNT };
struct DiffOp {
    int kind;
    uint32_t a, b, c, d;
};

struct Ctx {
    Side<SubApi> sub;
    Side<OraApi> ora;
    char why[600];
};
Ctx g_ctx;

const char *ALPHA[] = {"x", "y", "z", "w"};

void reset(void *p)
{
    Ctx *c = (Ctx *)p;
    c->sub.reset();
    c->ora.reset();
}

void gen(void *, nl_rng *rng, void *out)
{
    DiffOp *op = (DiffOp *)out;
    // Mostly deliveries, so the protocol moves; the rest in small doses.
    static const int weights[OP_COUNT] = {3, 14, 1, 1, 2, 1, 1, 1};
    int total = 0;
    for (int w : weights) total += w;
    int pick = (int)nl_rng_below(rng, (uint64_t)total), k = 0;
    while (pick >= weights[k]) pick -= weights[k++];
    op->kind = k;
    op->a = (uint32_t)nl_rng_below(rng, 1000);
    op->b = (uint32_t)nl_rng_below(rng, 4);
    op->c = (uint32_t)nl_rng_below(rng, 4);
    op->d = (uint32_t)nl_rng_below(rng, 4);
}

BftRequest op_request(uint32_t k) { return req(ALPHA[k % 4], 1 + k % 4); }

// A message of the Byzantine replica 0, built by the tests' encoder, for a view near the target's.
BftMsg byz_msg(const DiffOp *op, uint64_t view)
{
    uint64_t v = view + (op->d == 3 ? 1 : 0);
    if (op->kind == OP_BYZ_PRE_PREPARE) {
        BftMsg m = t_pre_prepare(N, v, 1 + op->c, op_request(op->b));
        m.replica = 0;
        t_sign(&m, N);
        return m;
    }
    BftMsgType t = op->d % 2 ? BFT_COMMIT : BFT_PREPARE;
    BftMsg m = t_vote(N, t, v, 1 + op->c, 0, op_request(op->b));
    if (op->kind == OP_FORGED_VOTE) {
        m.replica = 1 + op->a % 3; // claims another replica, signed with key 0
        t_sign(&m, N, test_keys(N)[0].data());
    }
    return m;
}

template <class A> void apply(Side<A> *s, const DiffOp *op)
{
    typename A::O out;
    uint32_t node = 1 + op->b % 3; // honest replicas 1..3 receive the Byzantine inputs
    switch (op->kind) {
    case OP_REQUEST: {
        uint32_t to = op->c;
        A::request(s->reps[to], op_request(op->b), &out);
        s->take(to, out);
        break;
    }
    case OP_DELIVER:
    case OP_DUPLICATE:
    case OP_DROP: {
        if (s->queue.empty()) break;
        size_t i = op->a % s->queue.size();
        auto item = s->queue[i];
        if (op->kind != OP_DUPLICATE) s->queue.erase(s->queue.begin() + (long)i);
        if (op->kind == OP_DROP) break;
        uint32_t to = item.first.to;
        A::message(s->reps[to], &item.second, &out, 0);
        s->take(to, out);
        break;
    }
    case OP_TIMER: {
        uint32_t t = op->c;
        if (s->timer[t] < 0) break; // only an armed timer fires
        s->timer[t] = -1;
        A::timer(s->reps[t], &out);
        s->take(t, out);
        break;
    }
    default: {
        BftMsg m = byz_msg(op, A::view(s->reps[node]));
        A::message(s->reps[node], m, &out);
        s->take(node, out);
        break;
    }
    }
}

void apply_sub(void *p, const void *op) { apply(&((Ctx *)p)->sub, (const DiffOp *)op); }
void apply_ora(void *p, const void *op) { apply(&((Ctx *)p)->ora, (const DiffOp *)op); }

std::string rec_text(const Rec &r)
{
    static const char *names[] = {"?", "PRE_PREPARE", "PREPARE", "COMMIT", "VIEW_CHANGE", "NEW_VIEW"};
    char b[200];
    snprintf(b, sizeof b, "%u->%u %s view %" PRIu64 " seq %" PRIu64 " by %u digest %02x%02x%02x%02x", r.from, r.to,
             r.type >= 1 && r.type <= 5 ? names[r.type] : "?", r.view, r.seq, r.replica, r.digest[0], r.digest[1],
             r.digest[2], r.digest[3]);
    return b;
}

bool compare(void *p, const void *, char *diff, size_t cap)
{
    Ctx *c = (Ctx *)p;
    for (uint32_t i = 0; i < N; i++) {
        SubApi::R *s = c->sub.reps[i];
        OraApi::R *o = c->ora.reps[i];
        if (SubApi::view(s) != OraApi::view(o) || SubApi::in_vc(s) != OraApi::in_vc(o) || SubApi::primary(s) != OraApi::primary(o) ||
            SubApi::last(s) != OraApi::last(o)) {
            snprintf(diff, cap, "replica %u: submission view %" PRIu64 "%s, last executed %" PRIu64 "; reference view %" PRIu64
                     "%s, last executed %" PRIu64, i, SubApi::view(s), SubApi::in_vc(s) ? " (changing)" : "", SubApi::last(s),
                     OraApi::view(o), OraApi::in_vc(o) ? " (changing)" : "", OraApi::last(o));
            return false;
        }
        if (c->sub.timer[i] != c->ora.timer[i]) {
            snprintf(diff, cap, "replica %u's timer: submission %lld, reference %lld (-1: off, else the delay armed)", i,
                     (long long)c->sub.timer[i], (long long)c->ora.timer[i]);
            return false;
        }
    }
    if (c->sub.executed != c->ora.executed) {
        size_t k = 0;
        while (k < c->sub.executed.size() && k < c->ora.executed.size() && c->sub.executed[k] == c->ora.executed[k]) k++;
        snprintf(diff, cap, "executions (replica:seq:digest) differ at #%zu: submission %s, reference %s", k + 1,
                 k < c->sub.executed.size() ? c->sub.executed[k].c_str() : "(none)",
                 k < c->ora.executed.size() ? c->ora.executed[k].c_str() : "(none)");
        return false;
    }
    size_t n = std::max(c->sub.queue.size(), c->ora.queue.size());
    for (size_t k = 0; k < n; k++) {
        bool hs = k < c->sub.queue.size(), ho = k < c->ora.queue.size();
        if (hs && ho && c->sub.queue[k].first == c->ora.queue[k].first) continue;
        snprintf(diff, cap, "messages in flight differ at #%zu: submission sent %s, reference sent %s", k + 1,
                 hs ? rec_text(c->sub.queue[k].first).c_str() : "nothing", ho ? rec_text(c->ora.queue[k].first).c_str() : "nothing");
        return false;
    }
    return true;
}

void print(void *, const void *p, char *out, size_t cap)
{
    const DiffOp *op = (const DiffOp *)p;
    switch (op->kind) {
    case OP_REQUEST: snprintf(out, cap, "client request '%s' to replica %u", ALPHA[op->b % 4], op->c); break;
    case OP_DELIVER: snprintf(out, cap, "deliver in-flight message #(%u mod count)", op->a); break;
    case OP_DUPLICATE: snprintf(out, cap, "deliver a copy of in-flight message #(%u mod count), keep it", op->a); break;
    case OP_DROP: snprintf(out, cap, "drop in-flight message #(%u mod count)", op->a); break;
    case OP_TIMER: snprintf(out, cap, "replica %u's timer fires (if armed)", op->c); break;
    case OP_BYZ_PRE_PREPARE:
        snprintf(out, cap, "Byzantine replica 0 sends replica %u PRE_PREPARE(its view%s, seq %u, '%s')", 1 + op->b % 3,
                 op->d == 3 ? " + 1" : "", 1 + op->c, ALPHA[op->b % 4]);
        break;
    case OP_BYZ_VOTE:
        snprintf(out, cap, "Byzantine replica 0 sends replica %u its %s(its view%s, seq %u, '%s')", 1 + op->b % 3,
                 op->d % 2 ? "COMMIT" : "PREPARE", op->d == 3 ? " + 1" : "", 1 + op->c, ALPHA[op->b % 4]);
        break;
    default:
        snprintf(out, cap, "replica 0 sends replica %u a %s claiming replica %u, signed with key 0", 1 + op->b % 3,
                 op->d % 2 ? "COMMIT" : "PREPARE", 1 + op->a % 3);
    }
}
} // namespace

void test_diff_against_reference(void **)
{
    static const nl_diff_ops ops = {sizeof(DiffOp), &g_ctx, reset, gen, apply_sub, apply_ora, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 150, 80});
    for (auto *r : g_ctx.sub.reps) SubApi::destroy(r);
    for (auto *r : g_ctx.ora.reps) OraApi::destroy(r);
    g_ctx.sub.reps.clear();
    g_ctx.ora.reps.clear();
}
