// test_dlock_diff.cpp — the EX05 differential test: random sequences of acquires (waiting or not),
// releases, renewals, validity checks, cancels, listings, ticks, cleanups and clock moves on three
// locks and three clients, applied to the submission and to the reference oracle on one virtual
// clock; after each step every observable the README's rules fix is compared (never the messages).
#include "distributed_lock.h"
#include "nl_diff.h"
#include "nl_test.h"
#include "oracle/distributed_lock.h"

#include <cstdio>
#include <string>
#include <vector>

void test_differential_random_histories(void **);

namespace {
enum { NLOCKS = 4, NCLIENTS = 3 };
// Lock ids: "b" and "bb" (a prefix and its extension), "x" (sorts last), and "" (refused).
const char *const LOCKS[NLOCKS] = {"x", "b", "bb", ""};
const char *const CLIENTS[NCLIENTS] = {"c1", "c2", "c3"};
const uint64_t LEASES[] = {0, 1, 30, 100, 399, 400, 401};   // 0 = default (100), max 400
const uint64_t STEPS[] = {1, 20, 49, 50, 51, 100, 150};

enum op_kind { OP_ACQUIRE, OP_RELEASE, OP_RENEW, OP_VALID, OP_CANCEL, OP_INFO, OP_LIST, OP_LIST_CLIENT,
               OP_ADVANCE, OP_TICK, OP_CLEANUP, OP_KINDS };
// Which token a release/renew/is_valid gives: the last one seen on that lock, one older, one newer,
// the newest seen anywhere, or 0 (never issued).
enum token_kind { T_LAST, T_OLDER, T_NEWER, T_MAX, T_ZERO, T_KINDS };

struct dl_op {
    int kind, lock, client, lease, wait, meta, token, step;
};

// What one side returned for one op, in a form both sides share.
struct side_result {
    int rc = 0, err_code = -1;
    uint64_t err_a = 0, err_b = 0;          // expected/actual or requested/max
    int kind = -1;
    uint64_t token = 0, expires = 0, position = 0;
    std::string holder;
    bool flag = false;                      // is_valid's answer, get_info's return
    std::vector<std::string> lines;         // infos, events or ids, one per line
};

struct ctx {
    uint64_t now;
    dlock_service *sub;
    oracle::dlock_service *ref;
    uint64_t last[NLOCKS], max_token;
    uint64_t token;                         // the token of the current op (same on both sides)
    side_result rs, rr;
};

uint64_t clock_of(void *p) { return ((ctx *)p)->now; }

std::string fmt_meta(const std::map<std::string, std::string> &m)
{
    std::string s = "{";
    for (const auto &[k, v] : m) s += k + "=" + v + ";";
    return s + "}";
}

template <typename Info> std::string fmt_info(const Info &i)
{
    char b[256];
    snprintf(b, sizeof b, "%s held by %s token %llu [%llu, %llu) ", i.lock_id.c_str(), i.holder.c_str(),
             (unsigned long long)i.token, (unsigned long long)i.acquired_at_ms, (unsigned long long)i.expires_at_ms);
    return b + fmt_meta(i.metadata);
}

template <typename Ev> std::string fmt_event(const Ev &e, int kind)
{
    static const char *const names[] = {"expired", "expiring-soon", "granted"};
    char b[256];
    snprintf(b, sizeof b, "%s %s holder=%s token=%llu", names[kind], e.lock_id.c_str(), e.holder.c_str(),
             (unsigned long long)e.token);
    std::string s = b;
    if (kind == 1) s += " remaining=" + std::to_string(e.remaining_ms);
    return s;
}

void reset(void *p)
{
    ctx *x = (ctx *)p;
    if (x->sub) dlock_free(x->sub);
    if (x->ref) oracle::dlock_free(x->ref);
    x->now = 1000;
    dlock_config c;
    dlock_config_default(&c);
    c.default_lease_ms = 100;
    c.max_lease_ms = 400;
    c.renewal_margin = 0.5;
    c.clock = {clock_of, x};
    x->sub = dlock_new(&c);
    oracle::dlock_config o;
    oracle::dlock_config_default(&o);
    o.default_lease_ms = 100;
    o.max_lease_ms = 400;
    o.renewal_margin = 0.5;
    o.clock = {clock_of, x};
    x->ref = oracle::dlock_new(&o);
    for (uint64_t &t : x->last) t = 0;
    x->max_token = 0;
}

void gen(void *, nl_rng *rng, void *o)
{
    dl_op *op = (dl_op *)o;
    static const int weights[OP_KINDS] = {24, 14, 10, 9, 4, 5, 3, 3, 14, 10, 4};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->lock = nl_rng_chance(rng, 0.03) ? NLOCKS - 1 : (int)nl_rng_below(rng, NLOCKS - 1);
    op->client = (int)nl_rng_below(rng, NCLIENTS);
    op->lease = (int)nl_rng_below(rng, sizeof LEASES / sizeof LEASES[0]);
    op->wait = nl_rng_chance(rng, 0.6);
    op->meta = nl_rng_chance(rng, 0.3);
    op->token = nl_rng_chance(rng, 0.6) ? T_LAST : (int)nl_rng_below(rng, T_KINDS);
    op->step = (int)nl_rng_below(rng, sizeof STEPS / sizeof STEPS[0]);
}

uint64_t pick_token(const ctx *x, const dl_op *op)
{
    uint64_t last = x->last[op->lock];
    switch (op->token) {
    case T_OLDER: return last ? last - 1 : 0;
    case T_NEWER: return last + 1;
    case T_MAX: return x->max_token;
    case T_ZERO: return 0;
    default: return last;
    }
}

std::map<std::string, std::string> meta_of(const dl_op *op)
{
    if (!op->meta) return {};
    return {{"owner", CLIENTS[op->client]}, {"n", std::to_string(op->lease)}};
}

// One body for both sides: S is the namespace's service type, the calls are passed as the API set.
#define APPLY_BODY(NS, SVC, R)                                                                            \
    do {                                                                                                  \
        const char *lock = LOCKS[op->lock], *client = CLIENTS[op->client];                                \
        NS dlock_error e{};                                                                               \
        e.code = (NS dlock_err) - 1;                                                                      \
        std::map<std::string, std::string> meta = meta_of(op);                                            \
        switch (op->kind) {                                                                               \
        case OP_ACQUIRE: {                                                                                \
            NS dlock_acquire_result a{};                                                                  \
            R.rc = NS dlock_try_acquire(SVC, lock, client, LEASES[op->lease], op->meta ? &meta : nullptr, \
                                        op->wait, &a, &e);                                                \
            if (R.rc == 0) {                                                                              \
                R.kind = a.kind;                                                                          \
                if (a.kind == NS DLOCK_ACQUIRED) R.token = a.token;                                       \
                if (a.kind != NS DLOCK_WAITING) R.expires = a.expires_at_ms;                              \
                if (a.kind != NS DLOCK_ACQUIRED) R.holder = a.holder;                                     \
                if (a.kind == NS DLOCK_WAITING) R.position = a.position;                                  \
            }                                                                                             \
            break;                                                                                        \
        }                                                                                                 \
        case OP_RELEASE: R.rc = NS dlock_release(SVC, lock, client, x->token, &e); break;                 \
        case OP_RENEW: {                                                                                  \
            uint64_t exp = 0;                                                                             \
            R.rc = NS dlock_renew(SVC, lock, client, x->token, LEASES[op->lease], &exp, &e);              \
            if (R.rc == 0) R.expires = exp;                                                               \
            break;                                                                                        \
        }                                                                                                 \
        case OP_VALID: {                                                                                  \
            bool v = false;                                                                               \
            R.rc = NS dlock_is_valid(SVC, lock, x->token, &v, &e);                                        \
            if (R.rc == 0) R.flag = v;                                                                    \
            break;                                                                                        \
        }                                                                                                 \
        case OP_CANCEL: R.rc = NS dlock_cancel_wait(SVC, lock, client, &e); break;                        \
        case OP_INFO: {                                                                                   \
            NS dlock_info i{};                                                                            \
            R.flag = NS dlock_get_info(SVC, lock, &i);                                                    \
            if (R.flag) R.lines.push_back(fmt_info(i));                                                   \
            break;                                                                                        \
        }                                                                                                 \
        case OP_LIST:                                                                                     \
            for (const auto &i : NS dlock_list(SVC)) R.lines.push_back(fmt_info(i));                      \
            break;                                                                                        \
        case OP_LIST_CLIENT:                                                                              \
            for (const auto &i : NS dlock_list_client(SVC, client)) R.lines.push_back(fmt_info(i));       \
            break;                                                                                        \
        case OP_ADVANCE: break;                                                                           \
        case OP_TICK:                                                                                     \
            for (const auto &ev : NS dlock_tick(SVC)) R.lines.push_back(fmt_event(ev, (int)ev.kind));     \
            break;                                                                                        \
        case OP_CLEANUP:                                                                                  \
            for (const auto &id : NS dlock_cleanup_expired(SVC)) R.lines.push_back(id);                   \
            break;                                                                                        \
        }                                                                                                 \
        if (R.rc != 0) {                                                                                  \
            R.err_code = e.code;                                                                          \
            if (R.rc == NS DLOCK_INVALID_TOKEN) R.err_a = e.expected, R.err_b = e.actual;                 \
            if (R.rc == NS DLOCK_LEASE_TOO_LONG) R.err_a = e.requested_ms, R.err_b = e.max_ms;            \
        }                                                                                                 \
    } while (0)

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const dl_op *op = (const dl_op *)o;
    x->token = pick_token(x, op);
    x->rs = side_result{};
    APPLY_BODY(, x->sub, x->rs);
}

// Remembers the tokens the oracle hands out, so later ops can name them (the same on both sides).
void learn(ctx *x, const side_result &r, const dl_op *op)
{
    auto see = [x](int lock, uint64_t t) {
        if (lock >= 0 && t > x->last[lock]) x->last[lock] = t;
        if (t > x->max_token) x->max_token = t;
    };
    if (op->kind == OP_ACQUIRE && r.kind == oracle::DLOCK_ACQUIRED) see(op->lock, r.token);
    for (const std::string &l : r.lines) {
        unsigned long long t;
        char id[16];
        if (sscanf(l.c_str(), "%15s held by %*s token %llu", id, &t) == 2 ||
            sscanf(l.c_str(), "granted %15s holder=%*s token=%llu", id, &t) == 2)
            for (int i = 0; i < NLOCKS - 1; i++)
                if (std::string(id) == LOCKS[i]) see(i, t);
    }
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const dl_op *op = (const dl_op *)o;
    x->rr = side_result{};
    APPLY_BODY(oracle::, x->ref, x->rr);
    learn(x, x->rr, op);
    if (op->kind == OP_ADVANCE) x->now += STEPS[op->step];
}

std::string joined(const std::vector<std::string> &v)
{
    if (v.empty()) return "(none)";
    std::string s;
    for (size_t i = 0; i < v.size(); i++) s += (i ? " | " : "") + v[i];
    return s;
}

bool compare(void *p, const void *o, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    const dl_op *op = (const dl_op *)o;
    const side_result &s = x->rs, &r = x->rr;
    if (s.rc != r.rc) {
        snprintf(diff, cap, "return code: submission %s, reference %s", dlock_err_name((dlock_err)s.rc),
                 dlock_err_name((dlock_err)r.rc));
        return false;
    }
    if (s.err_code != r.err_code) {
        snprintf(diff, cap, "err.code: submission %d, reference %d", s.err_code, r.err_code);
        return false;
    }
    if (s.err_a != r.err_a || s.err_b != r.err_b) {
        const char *what = r.rc == DLOCK_INVALID_TOKEN ? "err.expected/err.actual" : "err.requested_ms/err.max_ms";
        snprintf(diff, cap, "%s: submission %llu/%llu, reference %llu/%llu", what, (unsigned long long)s.err_a,
                 (unsigned long long)s.err_b, (unsigned long long)r.err_a, (unsigned long long)r.err_b);
        return false;
    }
    if (s.kind != r.kind || s.token != r.token || s.expires != r.expires || s.position != r.position ||
        s.holder != r.holder) {
        static const char *const kinds[] = {"ACQUIRED", "ALREADY_HELD", "WAITING"};
        auto k = [](int v) { return v < 0 ? "-" : kinds[v]; };
        snprintf(diff, cap,
                 "result: submission %s token %llu expires_at %llu holder '%s' position %llu; "
                 "reference %s token %llu expires_at %llu holder '%s' position %llu",
                 k(s.kind), (unsigned long long)s.token, (unsigned long long)s.expires, s.holder.c_str(),
                 (unsigned long long)s.position, k(r.kind), (unsigned long long)r.token,
                 (unsigned long long)r.expires, r.holder.c_str(), (unsigned long long)r.position);
        return false;
    }
    if (s.flag != r.flag) {
        snprintf(diff, cap, "%s: submission %s, reference %s", op->kind == OP_VALID ? "valid" : "dlock_get_info",
                 s.flag ? "true" : "false", r.flag ? "true" : "false");
        return false;
    }
    if (s.lines != r.lines) {
        snprintf(diff, cap, "submission: %s; reference: %s", joined(s.lines).c_str(), joined(r.lines).c_str());
        return false;
    }
    return true;
}

void print(void *p, const void *o, char *out, size_t cap)
{
    ctx *x = (ctx *)p;
    const dl_op *op = (const dl_op *)o;
    const char *lock = LOCKS[op->lock], *client = CLIENTS[op->client];
    unsigned long long lease = LEASES[op->lease];
    static const char *const tok[] = {"last token seen on the lock", "last - 1", "last + 1", "newest token seen",
                                      "0"};
    switch (op->kind) {
    case OP_ACQUIRE:
        snprintf(out, cap, "try_acquire(\"%s\", \"%s\", lease %llu, %s, wait=%s)", lock, client, lease,
                 op->meta ? fmt_meta(meta_of(op)).c_str() : "no metadata", op->wait ? "true" : "false");
        break;
    case OP_RELEASE: snprintf(out, cap, "release(\"%s\", \"%s\", %s)", lock, client, tok[op->token]); break;
    case OP_RENEW:
        snprintf(out, cap, "renew(\"%s\", \"%s\", %s, extension %llu)", lock, client, tok[op->token], lease);
        break;
    case OP_VALID: snprintf(out, cap, "is_valid(\"%s\", %s)", lock, tok[op->token]); break;
    case OP_CANCEL: snprintf(out, cap, "cancel_wait(\"%s\", \"%s\")", lock, client); break;
    case OP_INFO: snprintf(out, cap, "get_info(\"%s\")", lock); break;
    case OP_LIST: snprintf(out, cap, "list()"); break;
    case OP_LIST_CLIENT: snprintf(out, cap, "list_client(\"%s\")", client); break;
    case OP_ADVANCE: snprintf(out, cap, "clock += %llu ms", (unsigned long long)STEPS[op->step]); break;
    case OP_TICK: snprintf(out, cap, "tick()"); break;
    case OP_CLEANUP: snprintf(out, cap, "cleanup_expired()"); break;
    }
    (void)x;
}
} // namespace

// 300 seeds x 40 operations (the service starts at t=1000, default lease 100 ms, max 400 ms,
// margin 0.5): every operation and every error code many times over.
void test_differential_random_histories(void **)
{
    static ctx x;
    nl_diff_ops ops = {sizeof(dl_op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 40});
    dlock_free(x.sub);
    oracle::dlock_free(x.ref);
    x.sub = nullptr;
    x.ref = nullptr;
}
