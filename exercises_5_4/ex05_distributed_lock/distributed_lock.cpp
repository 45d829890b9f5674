// distributed_lock.cpp — reference for EX05: leases, one global fencing-token counter, FIFO waiters.
// Every entry point checks expiry first, so an ended lease is never seen as held.
#include "distributed_lock.h"

#include "nl_clock.h"

#include <cstdio>
#include <deque>
#include <pthread.h>

// The service's records. A named namespace, not an anonymous one: dlock_service (declared in the
// header) holds them, and the differential test compiles this file a second time inside `oracle`.
namespace dlock_detail {

struct lease {
    std::string holder;
    dlock_token token = 0;
    uint64_t acquired_at = 0, expires_at = 0, lease_ms = 0;
    bool soon_sent = false;
    std::map<std::string, std::string> metadata;
};
struct waiter {
    std::string client;
    uint64_t lease_ms;
    std::map<std::string, std::string> metadata;
};
struct ended_lease {
    std::string client;
    bool released;      // false: it expired
};
struct lock_rec {
    bool held = false;
    lease cur;
    std::deque<waiter> queue;
    std::map<dlock_token, ended_lease> ended;   // so a second release of the same token is a no-op
};

} // namespace dlock_detail
using namespace dlock_detail;

struct dlock_service {
    dlock_config cfg;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    dlock_token next_token = 1;
    std::map<std::string, lock_rec> locks;
    std::vector<dlock_event> pending;
};

namespace {

uint64_t monotonic_ms(void *) { return nl_now_ms(); }

struct guard_mu {
    pthread_mutex_t *m;
    explicit guard_mu(pthread_mutex_t *mu) : m(mu) { pthread_mutex_lock(m); }
    ~guard_mu() { pthread_mutex_unlock(m); }
};

uint64_t now_of(const dlock_service *s) { return s->cfg.clock.now_ms(s->cfg.clock.ctx); }

dlock_err fail(dlock_error *err, dlock_err code, const std::string &msg)
{
    if (err) {
        err->code = code;
        err->message = msg;
    }
    return code;
}

void grant(dlock_service *s, lock_rec &r, const std::string &client, uint64_t lease_ms,
           const std::map<std::string, std::string> &meta, uint64_t now)
{
    r.held = true;
    r.cur = lease{};
    r.cur.holder = client;
    r.cur.token = s->next_token++;
    r.cur.acquired_at = now;
    r.cur.expires_at = now + lease_ms;
    r.cur.lease_ms = lease_ms;
    r.cur.metadata = meta;
}

void grant_next(dlock_service *s, const std::string &id, lock_rec &r, uint64_t now)
{
    if (r.held || r.queue.empty()) return;
    waiter w = r.queue.front();
    r.queue.pop_front();
    grant(s, r, w.client, w.lease_ms, w.metadata, now);
    s->pending.push_back({DLOCK_EV_GRANTED, id, w.client, r.cur.token, 0});
}

// Ends the lease when its time is up: [acquired_at, expires_at) is the lease.
bool expire_if_due(dlock_service *s, const std::string &id, lock_rec &r, uint64_t now)
{
    if (!r.held || now < r.cur.expires_at) return false;
    r.held = false;
    r.ended[r.cur.token] = {r.cur.holder, false};
    s->pending.push_back({DLOCK_EV_EXPIRED, id, r.cur.holder, r.cur.token, 0});
    grant_next(s, id, r, now);
    return true;
}

bool bad_id(const char *s) { return s == nullptr || s[0] == '\0'; }

dlock_info info_of(const std::string &id, const lock_rec &r)
{
    return {id, r.cur.holder, r.cur.token, r.cur.acquired_at, r.cur.expires_at, r.cur.metadata};
}

// Why (client, token) cannot act on a lock it no longer holds.
dlock_err not_current(const std::string &id, const lock_rec &r, const char *client, dlock_token token,
                      dlock_error *err)
{
    auto e = r.ended.find(token);
    if (e != r.ended.end() && e->second.client == client && !e->second.released)
        return fail(err, DLOCK_EXPIRED, "the lease on '" + id + "' (token " + std::to_string(token) + ") has expired");
    if (r.held && r.cur.holder != client)
        return fail(err, DLOCK_NOT_HOLDER, "'" + id + "' is held by '" + r.cur.holder + "', not '" + client + "'");
    if (!r.held)
        return fail(err, DLOCK_NOT_HOLDER, "'" + std::string(client) + "' does not hold '" + id + "'");
    if (err) {
        err->expected = r.cur.token;
        err->actual = token;
    }
    return fail(err, DLOCK_INVALID_TOKEN, "invalid fencing token for '" + id + "': expected " +
                                              std::to_string(r.cur.token) + ", got " + std::to_string(token));
}

dlock_err lease_too_long(dlock_service *s, uint64_t requested, dlock_error *err)
{
    if (err) {
        err->requested_ms = requested;
        err->max_ms = s->cfg.max_lease_ms;
    }
    return fail(err, DLOCK_LEASE_TOO_LONG, "lease of " + std::to_string(requested) + " ms exceeds the maximum of " +
                                               std::to_string(s->cfg.max_lease_ms) + " ms");
}

} // namespace

const char *dlock_err_name(dlock_err e)
{
    switch (e) {
    case DLOCK_OK: return "ok";
    case DLOCK_NOT_FOUND: return "not found";
    case DLOCK_NOT_HOLDER: return "not holder";
    case DLOCK_EXPIRED: return "expired";
    case DLOCK_INVALID_TOKEN: return "invalid fencing token";
    case DLOCK_LEASE_TOO_LONG: return "lease too long";
    case DLOCK_TIMEOUT: return "timeout";
    case DLOCK_INVALID_ARG: return "invalid argument";
    }
    return "unknown error";
}

void dlock_config_default(dlock_config *cfg)
{
    cfg->default_lease_ms = 30000;
    cfg->max_lease_ms = 300000;
    cfg->cleanup_interval_ms = 5000;
    cfg->renewal_margin = 0.5;
    cfg->clock = {nullptr, nullptr};
}

dlock_service *dlock_new(const dlock_config *cfg)
{
    dlock_service *s = new dlock_service;
    if (cfg) s->cfg = *cfg;
    else dlock_config_default(&s->cfg);
    if (!s->cfg.clock.now_ms) s->cfg.clock = {monotonic_ms, nullptr};
    return s;
}

void dlock_free(dlock_service *svc)
{
    if (svc) pthread_mutex_destroy(&svc->mu);
    delete svc;
}

dlock_err dlock_try_acquire(dlock_service *s, const char *lock_id, const char *client_id, uint64_t lease_ms,
                            const std::map<std::string, std::string> *metadata, bool wait,
                            dlock_acquire_result *out, dlock_error *err)
{
    if (!s || !out || bad_id(lock_id) || bad_id(client_id))
        return fail(err, DLOCK_INVALID_ARG, "lock id and client id must be non-empty strings");
    guard_mu g(&s->mu);
    uint64_t lease = lease_ms ? lease_ms : s->cfg.default_lease_ms;
    if (lease > s->cfg.max_lease_ms) return lease_too_long(s, lease, err);
    uint64_t now = now_of(s);
    std::string id = lock_id;
    lock_rec &r = s->locks[id];
    expire_if_due(s, id, r, now);
    *out = dlock_acquire_result{};
    if (!r.held) {
        grant(s, r, client_id, lease, metadata ? *metadata : std::map<std::string, std::string>{}, now);
        out->kind = DLOCK_ACQUIRED;
        out->token = r.cur.token;
        out->expires_at_ms = r.cur.expires_at;
        return DLOCK_OK;
    }
    out->holder = r.cur.holder;
    out->expires_at_ms = r.cur.expires_at;
    if (!wait || r.cur.holder == client_id) {
        out->kind = DLOCK_ALREADY_HELD;
        return DLOCK_OK;
    }
    size_t pos = 0;
    while (pos < r.queue.size() && r.queue[pos].client != client_id) pos++;
    if (pos == r.queue.size())
        r.queue.push_back({client_id, lease, metadata ? *metadata : std::map<std::string, std::string>{}});
    out->kind = DLOCK_WAITING;
    out->position = pos + 1;
    return DLOCK_OK;
}

dlock_err dlock_release(dlock_service *s, const char *lock_id, const char *client_id, dlock_token token,
                        dlock_error *err)
{
    if (!s || bad_id(lock_id) || bad_id(client_id))
        return fail(err, DLOCK_INVALID_ARG, "lock id and client id must be non-empty strings");
    guard_mu g(&s->mu);
    std::string id = lock_id;
    auto it = s->locks.find(id);
    if (it == s->locks.end()) return fail(err, DLOCK_NOT_FOUND, "no lock named '" + id + "'");
    lock_rec &r = it->second;
    uint64_t now = now_of(s);
    expire_if_due(s, id, r, now);
    auto e = r.ended.find(token);
    if (e != r.ended.end() && e->second.client == client_id && e->second.released) return DLOCK_OK;
    if (!r.held || r.cur.holder != client_id || r.cur.token != token)
        return not_current(id, r, client_id, token, err);
    r.held = false;
    r.ended[token] = {client_id, true};
    grant_next(s, id, r, now);
    return DLOCK_OK;
}

dlock_err dlock_renew(dlock_service *s, const char *lock_id, const char *client_id, dlock_token token,
                      uint64_t extension_ms, uint64_t *new_expires_at_ms, dlock_error *err)
{
    if (!s || bad_id(lock_id) || bad_id(client_id))
        return fail(err, DLOCK_INVALID_ARG, "lock id and client id must be non-empty strings");
    guard_mu g(&s->mu);
    std::string id = lock_id;
    auto it = s->locks.find(id);
    if (it == s->locks.end()) return fail(err, DLOCK_NOT_FOUND, "no lock named '" + id + "'");
    uint64_t ext = extension_ms ? extension_ms : s->cfg.default_lease_ms;
    if (ext > s->cfg.max_lease_ms) return lease_too_long(s, ext, err);
    lock_rec &r = it->second;
    uint64_t now = now_of(s);
    expire_if_due(s, id, r, now);
    if (!r.held || r.cur.holder != client_id || r.cur.token != token)
        return not_current(id, r, client_id, token, err);
    r.cur.expires_at = now + ext;
    r.cur.lease_ms = ext;
    r.cur.soon_sent = false;
    if (new_expires_at_ms) *new_expires_at_ms = r.cur.expires_at;
    return DLOCK_OK;
}

dlock_err dlock_is_valid(dlock_service *s, const char *lock_id, dlock_token token, bool *valid, dlock_error *err)
{
    if (!s || !valid || bad_id(lock_id)) return fail(err, DLOCK_INVALID_ARG, "lock id must be a non-empty string");
    guard_mu g(&s->mu);
    std::string id = lock_id;
    auto it = s->locks.find(id);
    if (it == s->locks.end()) return fail(err, DLOCK_NOT_FOUND, "no lock named '" + id + "'");
    lock_rec &r = it->second;
    expire_if_due(s, id, r, now_of(s));
    *valid = r.held && r.cur.token == token;
    return DLOCK_OK;
}

dlock_err dlock_cancel_wait(dlock_service *s, const char *lock_id, const char *client_id, dlock_error *err)
{
    if (!s || bad_id(lock_id) || bad_id(client_id))
        return fail(err, DLOCK_INVALID_ARG, "lock id and client id must be non-empty strings");
    guard_mu g(&s->mu);
    auto it = s->locks.find(lock_id);
    if (it != s->locks.end()) {
        auto &q = it->second.queue;
        for (auto w = q.begin(); w != q.end(); ++w) {
            if (w->client == client_id) {
                q.erase(w);
                return DLOCK_OK;
            }
        }
    }
    return fail(err, DLOCK_NOT_FOUND, "'" + std::string(client_id) + "' is not waiting for '" + lock_id + "'");
}

bool dlock_get_info(dlock_service *s, const char *lock_id, dlock_info *out)
{
    if (!s || bad_id(lock_id)) return false;
    guard_mu g(&s->mu);
    std::string id = lock_id;
    auto it = s->locks.find(id);
    if (it == s->locks.end()) return false;
    expire_if_due(s, id, it->second, now_of(s));
    if (!it->second.held) return false;
    if (out) *out = info_of(id, it->second);
    return true;
}

static std::vector<dlock_info> list_where(dlock_service *s, const char *client)
{
    std::vector<dlock_info> v;
    if (!s) return v;
    guard_mu g(&s->mu);
    uint64_t now = now_of(s);
    for (auto &[id, r] : s->locks) {
        expire_if_due(s, id, r, now);
        if (r.held && (!client || r.cur.holder == client)) v.push_back(info_of(id, r));
    }
    return v;
}

std::vector<dlock_info> dlock_list(dlock_service *s) { return list_where(s, nullptr); }

std::vector<dlock_info> dlock_list_client(dlock_service *s, const char *client_id)
{
    if (bad_id(client_id)) return {};
    return list_where(s, client_id);
}

std::vector<std::string> dlock_cleanup_expired(dlock_service *s)
{
    std::vector<std::string> ids;
    if (!s) return ids;
    guard_mu g(&s->mu);
    uint64_t now = now_of(s);
    for (auto &[id, r] : s->locks)
        if (expire_if_due(s, id, r, now)) ids.push_back(id);
    return ids;
}

std::vector<dlock_event> dlock_tick(dlock_service *s)
{
    std::vector<dlock_event> evs;
    if (!s) return evs;
    guard_mu g(&s->mu);
    uint64_t now = now_of(s);
    for (auto &[id, r] : s->locks) {
        expire_if_due(s, id, r, now);
        if (!r.held || r.cur.soon_sent) continue;
        uint64_t remaining = r.cur.expires_at - now;
        if ((double)remaining < s->cfg.renewal_margin * (double)r.cur.lease_ms) {
            r.cur.soon_sent = true;
            s->pending.push_back({DLOCK_EV_EXPIRING_SOON, id, r.cur.holder, r.cur.token, remaining});
        }
    }
    evs.swap(s->pending);
    return evs;
}

dlock_guard::~dlock_guard()
{
    if (held) dlock_guard_release(this, nullptr);
}

dlock_err dlock_guard_acquire(dlock_guard *g, dlock_service *svc, const char *lock_id, const char *client_id,
                              uint64_t lease_ms, dlock_error *err)
{
    if (!g || g->held) return fail(err, DLOCK_INVALID_ARG, "the guard is NULL or already holds a lock");
    dlock_acquire_result res;
    dlock_err rc = dlock_try_acquire(svc, lock_id, client_id, lease_ms, nullptr, false, &res, err);
    if (rc != DLOCK_OK) return rc;
    if (res.kind != DLOCK_ACQUIRED)
        return fail(err, DLOCK_NOT_HOLDER, "'" + std::string(lock_id) + "' is held by '" + res.holder + "'");
    g->svc = svc;
    g->lock_id = lock_id;
    g->client_id = client_id;
    g->token = res.token;
    g->lease_ms = lease_ms ? lease_ms : svc->cfg.default_lease_ms;
    g->expires_at_ms = res.expires_at_ms;
    g->held = true;
    return DLOCK_OK;
}

dlock_err dlock_guard_keepalive(dlock_guard *g, dlock_error *err)
{
    if (!g || !g->held) return fail(err, DLOCK_INVALID_ARG, "the guard holds no lock");
    uint64_t remaining = dlock_guard_time_remaining(g);
    if ((double)remaining >= g->svc->cfg.renewal_margin * (double)g->lease_ms) return DLOCK_OK;
    dlock_err rc = dlock_renew(g->svc, g->lock_id.c_str(), g->client_id.c_str(), g->token, g->lease_ms,
                               &g->expires_at_ms, err);
    if (rc != DLOCK_OK) g->held = false;
    return rc;
}

uint64_t dlock_guard_time_remaining(const dlock_guard *g)
{
    if (!g || !g->held) return 0;
    uint64_t now = now_of(g->svc);
    return now < g->expires_at_ms ? g->expires_at_ms - now : 0;
}

dlock_err dlock_guard_release(dlock_guard *g, dlock_error *err)
{
    if (!g || !g->held) return fail(err, DLOCK_INVALID_ARG, "the guard holds no lock");
    g->held = false;
    return dlock_release(g->svc, g->lock_id.c_str(), g->client_id.c_str(), g->token, err);
}
