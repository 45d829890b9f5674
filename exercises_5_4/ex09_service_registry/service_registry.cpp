// service_registry.cpp — the reference EX09 registry: an MVCC key-value store in memory with etcd's
// semantics (revisions, leases, transactions, watches, compaction) and services stored in it.
#include "service_registry.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <deque>
#include <pthread.h>
#include <set>

// The registry's own records (named, not anonymous: the registry struct holds them).
struct lease_rec {
    int64_t granted;       // seconds
    uint64_t deadline_ms;  // expires once now >= deadline_ms
    std::set<std::string> keys;
};
struct log_rec {
    reg_rev rev;
    reg_event ev;          // prev_kv always kept; a watch without prev_kv drops it
};
struct watch_rec {
    std::string key;
    reg_watch_opts opts;
    std::deque<reg_watch_resp> queue;
    bool ended;            // a canceled response is queued: nothing more goes in
};
struct service_rec {
    reg_instance inst;
    reg_lease lease;
    std::string key;
};

struct service_registry {
    reg_config cfg;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    reg_rev rev = 1, compact_rev = 0;
    // Every version of every key, oldest first; a version 0 entry is a delete (tombstone).
    std::map<std::string, std::vector<reg_kv>> hist;
    std::vector<log_rec> log;
    std::vector<std::pair<reg_rev, uint64_t>> rev_time; // when each revision was made
    uint64_t next_auto_ms = 0;
    std::map<reg_lease, lease_rec> leases;
    reg_lease last_auto_lease = 0;
    std::map<int64_t, watch_rec> watches;
    int64_t next_watch = 1;
    std::map<std::pair<std::string, std::string>, service_rec> services; // (ns, id)
};

namespace {
uint64_t mono_ms(void *)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_ms(service_registry *r) { return r->cfg.clock.now_ms(r->cfg.clock.ctx); }

int fail(reg_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int fail(reg_error *err, int code, const char *fmt, ...)
{
    if (err) {
        char buf[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        err->code = code;
        err->message = buf;
    }
    return code;
}

struct locked {
    service_registry *r;
    explicit locked(service_registry *reg) : r(reg) { pthread_mutex_lock(&r->mu); }
    ~locked() { pthread_mutex_unlock(&r->mu); }
};

bool in_range(const std::string &k, const std::string &key, bool prefix)
{
    return prefix ? k.compare(0, key.size(), key) == 0 : k == key;
}

// The key's kv as of revision at, or NULL when it did not exist then.
const reg_kv *kv_at(const std::vector<reg_kv> &versions, reg_rev at)
{
    const reg_kv *found = nullptr;
    for (const reg_kv &v : versions) {
        if (v.mod_revision > at) break;
        found = &v;
    }
    return found && found->version ? found : nullptr;
}

const reg_kv *live(service_registry *r, const std::string &key)
{
    auto it = r->hist.find(key);
    return it == r->hist.end() ? nullptr : kv_at(it->second, r->rev);
}

// One write: every change made at revision rev (the store's revision + 1) until commit.
struct write_set {
    reg_rev rev;
    std::vector<reg_event> changes;
};

void watch_push(service_registry *r, watch_rec *w, reg_watch_resp &&resp)
{
    if (w->ended) return;
    if (w->queue.size() >= r->cfg.event_buffer_size) {
        reg_watch_resp cancel{};
        cancel.revision = resp.revision;
        cancel.canceled = true;
        w->queue.push_back(cancel);
        w->ended = true;
        return;
    }
    w->queue.push_back(std::move(resp));
}

// The events of one revision that w sees, as one response (none when it sees none).
void watch_offer(service_registry *r, watch_rec *w, reg_rev rev, const std::vector<reg_event> &events)
{
    if (rev < w->opts.start_revision) return;
    reg_watch_resp resp{};
    resp.revision = rev;
    for (const reg_event &e : events) {
        if (!in_range(e.kv.key, w->key, w->opts.prefix)) continue;
        if (e.type == REG_EVENT_PUT ? w->opts.no_put : w->opts.no_delete) continue;
        resp.events.push_back(e);
        // etcd reads prev_kv at revision - 1: none when that revision is compacted.
        if (!w->opts.prev_kv || rev - 1 < r->compact_rev) {
            resp.events.back().has_prev = false;
            resp.events.back().prev_kv = reg_kv{};
        }
    }
    if (!resp.events.empty()) watch_push(r, w, std::move(resp));
}

void commit(service_registry *r, write_set &w)
{
    if (w.changes.empty()) return;
    r->rev = w.rev;
    r->rev_time.push_back({w.rev, now_ms(r)});
    for (const reg_event &e : w.changes) r->log.push_back({w.rev, e});
    for (auto &[id, wr] : r->watches) watch_offer(r, &wr, w.rev, w.changes);
    pthread_cond_broadcast(&r->cond);
}

void detach(service_registry *r, const std::string &key, reg_lease lease)
{
    auto it = r->leases.find(lease);
    if (it != r->leases.end()) it->second.keys.erase(key);
}

void apply_put(service_registry *r, write_set &w, const std::string &key, const std::string &value,
               const reg_put_opts &o, reg_put_resp *out)
{
    auto it = r->hist.find(key); // as of this write: an earlier delete of the same txn counts
    const reg_kv *old = it == r->hist.end() ? nullptr : kv_at(it->second, w.rev);
    reg_kv kv{};
    kv.key = key;
    kv.value = o.ignore_value ? old->value : value;
    kv.lease = o.ignore_lease ? old->lease : o.lease;
    kv.mod_revision = w.rev;
    kv.create_revision = old ? old->create_revision : w.rev;
    kv.version = old ? old->version + 1 : 1;
    reg_event ev{};
    ev.type = REG_EVENT_PUT;
    ev.kv = kv;
    if (old && old->lease != kv.lease) detach(r, key, old->lease);
    const reg_kv *before = live(r, key); // an event's prev_kv is the key at the revision before
    if (before) {
        ev.has_prev = true;
        ev.prev_kv = *before;
    }
    if (kv.lease) r->leases[kv.lease].keys.insert(key);
    if (out) {
        out->has_prev = o.prev_kv && old;
        out->prev_kv = out->has_prev ? *old : reg_kv{};
        out->revision = w.rev;
    }
    r->hist[key].push_back(kv);
    w.changes.push_back(ev);
}

void apply_delete(service_registry *r, write_set &w, const std::string &key, bool prefix, bool prev_kv,
                  reg_del_resp *out)
{
    std::vector<std::string> gone;
    for (auto it = prefix ? r->hist.lower_bound(key) : r->hist.find(key); it != r->hist.end(); ++it) {
        if (!in_range(it->first, key, prefix)) break;
        if (kv_at(it->second, w.rev)) gone.push_back(it->first);
    }
    if (out) *out = reg_del_resp{};
    for (const std::string &k : gone) {
        std::vector<reg_kv> &versions = r->hist[k];
        reg_kv old = versions.back();
        reg_event ev{};
        ev.type = REG_EVENT_DELETE;
        ev.kv.key = k;
        ev.kv.mod_revision = w.rev;
        const reg_kv *before = live(r, k);
        if (before) {
            ev.has_prev = true;
            ev.prev_kv = *before;
        }
        detach(r, k, old.lease);
        reg_kv tomb{};
        tomb.key = k;
        tomb.mod_revision = w.rev;
        versions.push_back(tomb);
        w.changes.push_back(ev);
        if (out && prev_kv) out->prev_kvs.push_back(old);
    }
    if (out) {
        out->deleted = (int64_t)gone.size();
        out->revision = w.changes.empty() ? r->rev : w.rev;
    }
}

int check_rev(service_registry *r, reg_rev at, reg_error *err)
{
    if (at > r->rev) return fail(err, REG_ERR_FUTURE_REV, "revision %lld is in the future (current %lld)", (long long)at, (long long)r->rev);
    if (at > 0 && at < r->compact_rev) {
        if (err) {
            err->requested = at;
            err->compact = r->compact_rev;
        }
        return fail(err, REG_ERR_COMPACTED, "revision %lld has been compacted (compacted up to %lld)", (long long)at,
                    (long long)r->compact_rev);
    }
    return REG_OK;
}

int64_t sort_field(const reg_kv &kv, reg_sort_target t)
{
    switch (t) {
    case REG_SORT_VERSION: return kv.version;
    case REG_SORT_CREATE: return kv.create_revision;
    default: return kv.mod_revision;
    }
}

bool sort_less(const reg_kv &a, const reg_kv &b, reg_sort_target t)
{
    if (t == REG_SORT_KEY) return a.key < b.key;
    if (t == REG_SORT_VALUE) return a.value < b.value;
    return sort_field(a, t) < sort_field(b, t);
}

// A range read at revision at (already checked), as of the write set w when it has changes.
void range(service_registry *r, const std::string &key, const reg_get_opts &o, reg_rev at, reg_get_resp *out)
{
    *out = reg_get_resp{};
    out->revision = at;
    std::vector<reg_kv> kvs;
    for (auto it = o.prefix ? r->hist.lower_bound(key) : r->hist.find(key); it != r->hist.end(); ++it) {
        if (!in_range(it->first, key, o.prefix)) break;
        const reg_kv *kv = kv_at(it->second, o.revision ? o.revision : at);
        if (kv) kvs.push_back(*kv);
    }
    reg_sort_order order = o.sort_order;
    if (order == REG_SORT_NONE && o.sort_target != REG_SORT_KEY) order = REG_SORT_ASCEND;
    reg_sort_target t = o.sort_target;
    if (order == REG_SORT_ASCEND)
        std::stable_sort(kvs.begin(), kvs.end(), [t](const reg_kv &a, const reg_kv &b) { return sort_less(a, b, t); });
    if (order == REG_SORT_DESCEND)
        std::stable_sort(kvs.begin(), kvs.end(), [t](const reg_kv &a, const reg_kv &b) { return sort_less(b, a, t); });
    out->count = (int64_t)kvs.size();
    if (o.limit > 0 && (int64_t)kvs.size() > o.limit) {
        kvs.resize((size_t)o.limit);
        out->more = true;
    }
    if (o.keys_only)
        for (reg_kv &kv : kvs) kv.value.clear();
    out->kvs = std::move(kvs);
}

void revoke(service_registry *r, reg_lease id)
{
    std::set<std::string> keys = r->leases[id].keys;
    write_set w{r->rev + 1, {}};
    for (const std::string &k : keys) apply_delete(r, w, k, false, false, nullptr);
    commit(r, w);
    r->leases.erase(id);
}

void compact_to(service_registry *r, reg_rev at)
{
    for (auto it = r->hist.begin(); it != r->hist.end();) {
        std::vector<reg_kv> &v = it->second;
        size_t keep = 0;
        while (keep + 1 < v.size() && v[keep + 1].mod_revision <= at) keep++;
        if (v[keep].mod_revision <= at && v[keep].version == 0) keep++;
        v.erase(v.begin(), v.begin() + (long)keep);
        it = v.empty() ? r->hist.erase(it) : std::next(it);
    }
    // etcd keeps no tombstone at the compaction revision: its delete events go with the history.
    r->log.erase(std::remove_if(r->log.begin(), r->log.end(),
                                [at](const log_rec &l) { return l.rev < at || (l.rev == at && l.ev.type == REG_EVENT_DELETE); }),
                 r->log.end());
    r->compact_rev = at;
}

// Runs before every call: leases that ran out are revoked (soonest first), then the periodic compaction.
void maintain(service_registry *r)
{
    uint64_t now = now_ms(r);
    for (;;) {
        auto due = r->leases.end();
        for (auto it = r->leases.begin(); it != r->leases.end(); ++it)
            if (it->second.deadline_ms <= now && (due == r->leases.end() || it->second.deadline_ms < due->second.deadline_ms))
                due = it;
        if (due == r->leases.end()) break;
        revoke(r, due->first);
    }
    if (r->cfg.compaction_interval_s == 0 || now < r->next_auto_ms) return;
    r->next_auto_ms = now + r->cfg.compaction_interval_s * 1000;
    uint64_t keep_ms = r->cfg.revision_retention_s * 1000;
    reg_rev target = 0;
    for (const auto &[rev, t] : r->rev_time)
        if (t + keep_ms <= now) target = rev;
    if (target > r->compact_rev) compact_to(r, target);
}

int check_put(const std::string &key, const std::string &value, const reg_put_opts &o, reg_error *err)
{
    if (key.empty()) return fail(err, REG_ERR_EMPTY_KEY, "put: the key is empty");
    if (o.ignore_value && !value.empty()) return fail(err, REG_ERR_VALUE_PROVIDED, "put '%s': ignore_value with a value", key.c_str());
    if (o.ignore_lease && o.lease) return fail(err, REG_ERR_LEASE_PROVIDED, "put '%s': ignore_lease with a lease", key.c_str());
    return REG_OK;
}

// The checks a put passes or fails against the store as it is (before any op of its txn).
int check_lease(service_registry *r, const std::string &key, const reg_put_opts &o, reg_error *err)
{
    if (o.lease && !r->leases.count(o.lease))
        return fail(err, REG_ERR_LEASE_NOT_FOUND, "put '%s': lease %lld not found", key.c_str(), (long long)o.lease);
    return REG_OK;
}

int check_exists(service_registry *r, const std::string &key, const reg_put_opts &o, reg_error *err)
{
    if ((o.ignore_value || o.ignore_lease) && !live(r, key))
        return fail(err, REG_ERR_KEY_NOT_FOUND, "put '%s': ignore_value/ignore_lease on a missing key", key.c_str());
    return REG_OK;
}

int check_op(const reg_op &op, reg_error *err)
{
    if (op.kind == REG_OP_PUT) return check_put(op.key, op.value, op.put, err);
    bool prefix = op.kind == REG_OP_GET ? op.get.prefix : op.prefix;
    if (op.key.empty() && !prefix) return fail(err, REG_ERR_EMPTY_KEY, "txn: an op has an empty key");
    return REG_OK;
}

// etcd refuses a branch that writes one key twice: two puts, or a put inside a delete's range.
// A delete of every key (prefix "") is not checked against puts: etcd 3.4 gets it as the range
// "\0".."\0", which its overlap check sees as empty.
int check_dups(const std::vector<reg_op> &ops, reg_error *err)
{
    std::set<std::string> puts;
    for (const reg_op &op : ops)
        if (op.kind == REG_OP_PUT && !puts.insert(op.key).second)
            return fail(err, REG_ERR_DUP_KEY, "txn: '%s' is put twice", op.key.c_str());
    bool all_deleted = false, keeps_old = false;
    for (const reg_op &op : ops) {
        keeps_old = keeps_old || (op.kind == REG_OP_PUT && (op.put.ignore_value || op.put.ignore_lease));
        if (op.kind != REG_OP_DELETE) continue;
        all_deleted = all_deleted || op.key.empty();
        for (const std::string &k : puts)
            if (!op.key.empty() && in_range(k, op.key, op.prefix))
                return fail(err, REG_ERR_DUP_KEY, "txn: '%s' is put and deleted", k.c_str());
    }
    // An ignore_value/ignore_lease put beside a delete of every key may read a key the txn deleted
    // (etcd 3.4 panics there): refused like a duplicate.
    if (all_deleted && keeps_old) return fail(err, REG_ERR_DUP_KEY, "txn: ignore_value/ignore_lease beside a delete of every key");
    return REG_OK;
}

bool compare_one(service_registry *r, const reg_compare &c)
{
    const reg_kv *kv = live(r, c.key);
    if (c.target == REG_CMP_VALUE && !kv) return false;
    reg_kv none{};
    const reg_kv &k = kv ? *kv : none;
    int cmp;
    if (c.target == REG_CMP_VALUE) {
        cmp = k.value.compare(c.value);
    } else {
        int64_t have = c.target == REG_CMP_VERSION ? k.version
                       : c.target == REG_CMP_CREATE ? k.create_revision
                       : c.target == REG_CMP_MOD    ? k.mod_revision
                                                    : k.lease;
        cmp = have < c.number ? -1 : have > c.number ? 1 : 0;
    }
    switch (c.result) {
    case REG_CMP_EQUAL: return cmp == 0;
    case REG_CMP_GREATER: return cmp > 0;
    case REG_CMP_LESS: return cmp < 0;
    default: return cmp != 0;
    }
}

reg_lease grant(service_registry *r, int64_t ttl_s, reg_lease id, int64_t *out_ttl)
{
    if (!id) {
        id = r->last_auto_lease + 1;
        while (r->leases.count(id)) id++;
        r->last_auto_lease = id;
    }
    int64_t ttl = std::max(ttl_s, r->cfg.min_lease_ttl_s);
    r->leases[id] = lease_rec{ttl, now_ms(r) + (uint64_t)ttl * 1000, {}};
    *out_ttl = ttl;
    return id;
}

bool valid_name(const std::string &s) { return !s.empty() && s.find('/') == std::string::npos; }

std::string service_key(const std::string &ns, const std::string &name, const std::string &id)
{
    return "/services/" + ns + "/" + name + "/" + id;
}

// The service entry of (ns, id) while its key lives; a lapsed one (lease gone, key deleted) is dropped.
service_rec *find_service(service_registry *r, const char *id, const char *ns)
{
    auto it = r->services.find({ns, id});
    if (it == r->services.end()) return nullptr;
    const reg_kv *kv = live(r, it->second.key);
    if (kv && kv->lease == it->second.lease) return &it->second;
    r->services.erase(it);
    return nullptr;
}
} // namespace

const char *reg_err_name(int e)
{
    static const char *const names[] = {"REG_OK", "REG_ERR_EMPTY_KEY", "REG_ERR_KEY_NOT_FOUND", "REG_ERR_VALUE_PROVIDED",
                                        "REG_ERR_LEASE_PROVIDED", "REG_ERR_LEASE_NOT_FOUND", "REG_ERR_LEASE_EXISTS",
                                        "REG_ERR_COMPACTED", "REG_ERR_FUTURE_REV", "REG_ERR_DUP_KEY", "REG_ERR_TOO_MANY_OPS",
                                        "REG_ERR_TOO_MANY_WATCHERS", "REG_ERR_WATCH_NOT_FOUND", "REG_ERR_TIMEOUT",
                                        "REG_ERR_INVALID", "REG_ERR_SERVICE_EXISTS", "REG_ERR_SERVICE_NOT_FOUND"};
    return e >= 0 && e < (int)(sizeof names / sizeof names[0]) ? names[e] : "?";
}

void reg_config_default(reg_config *cfg)
{
    *cfg = reg_config{100, 1000, 3600, 86400, 5, {nullptr, nullptr}};
}

service_registry *reg_new(const reg_config *cfg)
{
    service_registry *r = new service_registry;
    if (cfg) r->cfg = *cfg;
    else reg_config_default(&r->cfg);
    if (!r->cfg.clock.now_ms) r->cfg.clock = reg_clock{mono_ms, nullptr};
    pthread_mutex_init(&r->mu, nullptr);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    uint64_t now = now_ms(r);
    r->rev_time.push_back({1, now});
    r->next_auto_ms = now + r->cfg.compaction_interval_s * 1000;
    return r;
}

void reg_free(service_registry *r)
{
    if (!r) return;
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->mu);
    delete r;
}

reg_rev reg_current_revision(service_registry *r)
{
    if (!r) return 0;
    locked l(r);
    maintain(r);
    return r->rev;
}

int reg_get(service_registry *r, const char *key, const reg_get_opts *opts, reg_get_resp *out, reg_error *err)
{
    if (!r || !key || !opts || !out) return fail(err, REG_ERR_INVALID, "get: NULL argument");
    locked l(r);
    maintain(r);
    if (!*key && !opts->prefix) return fail(err, REG_ERR_EMPTY_KEY, "get: the key is empty");
    int rc = check_rev(r, opts->revision, err);
    if (rc) return rc;
    range(r, key, *opts, r->rev, out);
    return REG_OK;
}

int reg_put(service_registry *r, const char *key, const std::string &value, const reg_put_opts *opts,
            reg_put_resp *out, reg_error *err)
{
    if (!r || !key || !opts || !out) return fail(err, REG_ERR_INVALID, "put: NULL argument");
    locked l(r);
    maintain(r);
    int rc = check_put(key, value, *opts, err);
    if (!rc) rc = check_lease(r, key, *opts, err); // etcd's order: a put alone checks its lease first
    if (!rc) rc = check_exists(r, key, *opts, err);
    if (rc) return rc;
    write_set w{r->rev + 1, {}};
    apply_put(r, w, key, value, *opts, out);
    commit(r, w);
    return REG_OK;
}

int reg_delete(service_registry *r, const char *key, bool prefix, bool prev_kv, reg_del_resp *out, reg_error *err)
{
    if (!r || !key || !out) return fail(err, REG_ERR_INVALID, "delete: NULL argument");
    locked l(r);
    maintain(r);
    if (!*key && !prefix) return fail(err, REG_ERR_EMPTY_KEY, "delete: the key is empty");
    write_set w{r->rev + 1, {}};
    apply_delete(r, w, key, prefix, prev_kv, out);
    commit(r, w);
    return REG_OK;
}

int reg_txn_do(service_registry *r, const reg_txn *txn, reg_txn_resp *out, reg_error *err)
{
    if (!r || !txn || !out) return fail(err, REG_ERR_INVALID, "txn: NULL argument");
    locked l(r);
    maintain(r);
    if (txn->compare.size() > REG_MAX_TXN_OPS || txn->success.size() > REG_MAX_TXN_OPS ||
        txn->failure.size() > REG_MAX_TXN_OPS)
        return fail(err, REG_ERR_TOO_MANY_OPS, "txn: more than %d compares or ops in a branch", REG_MAX_TXN_OPS);
    for (const reg_compare &c : txn->compare)
        if (c.key.empty()) return fail(err, REG_ERR_EMPTY_KEY, "txn: a compare has an empty key");
    int rc = REG_OK;
    for (const std::vector<reg_op> *branch : {&txn->success, &txn->failure}) {
        for (const reg_op &op : *branch)
            if ((rc = check_op(op, err))) return rc;
        if ((rc = check_dups(*branch, err))) return rc;
    }
    bool ok = true;
    for (const reg_compare &c : txn->compare) ok = ok && compare_one(r, c);
    const std::vector<reg_op> &ops = ok ? txn->success : txn->failure;
    for (const reg_op &op : ops)
        if (op.kind == REG_OP_PUT && ((rc = check_exists(r, op.key, op.put, err)) || (rc = check_lease(r, op.key, op.put, err))))
            return rc; // inside a txn etcd checks the key first
    for (const reg_op &op : ops)
        if (op.kind == REG_OP_GET && (rc = check_rev(r, op.get.revision, err))) return rc;
    *out = reg_txn_resp{};
    out->succeeded = ok;
    write_set w{r->rev + 1, {}};
    for (const reg_op &op : ops) {
        reg_op_resp resp{};
        resp.kind = op.kind;
        if (op.kind == REG_OP_GET) range(r, op.key, op.get, w.changes.empty() ? r->rev : w.rev, &resp.get);
        if (op.kind == REG_OP_PUT) apply_put(r, w, op.key, op.value, op.put, &resp.put);
        if (op.kind == REG_OP_DELETE) apply_delete(r, w, op.key, op.prefix, op.prev_kv, &resp.del);
        out->responses.push_back(resp);
    }
    out->revision = w.changes.empty() ? r->rev : w.rev;
    commit(r, w);
    return REG_OK;
}

int reg_compact(service_registry *r, reg_rev revision, reg_error *err)
{
    if (!r) return fail(err, REG_ERR_INVALID, "compact: NULL registry");
    locked l(r);
    maintain(r);
    if (revision <= r->compact_rev) {
        if (err) {
            err->requested = revision;
            err->compact = r->compact_rev;
        }
        return fail(err, REG_ERR_COMPACTED, "compact %lld: already compacted up to %lld", (long long)revision,
                    (long long)r->compact_rev);
    }
    if (revision > r->rev)
        return fail(err, REG_ERR_FUTURE_REV, "compact %lld: in the future (current %lld)", (long long)revision, (long long)r->rev);
    compact_to(r, revision);
    return REG_OK;
}

int reg_lease_grant(service_registry *r, int64_t ttl_s, reg_lease id, reg_lease *out_id, int64_t *out_ttl,
                    reg_error *err)
{
    if (!r || !out_id || !out_ttl || id < 0) return fail(err, REG_ERR_INVALID, "lease_grant: NULL argument or negative id");
    locked l(r);
    maintain(r);
    if (id && r->leases.count(id)) return fail(err, REG_ERR_LEASE_EXISTS, "lease %lld already exists", (long long)id);
    *out_id = grant(r, ttl_s, id, out_ttl);
    return REG_OK;
}

int reg_lease_revoke(service_registry *r, reg_lease id, reg_error *err)
{
    if (!r) return fail(err, REG_ERR_INVALID, "lease_revoke: NULL registry");
    locked l(r);
    maintain(r);
    if (!r->leases.count(id)) return fail(err, REG_ERR_LEASE_NOT_FOUND, "lease %lld not found", (long long)id);
    revoke(r, id);
    return REG_OK;
}

int reg_lease_keepalive(service_registry *r, reg_lease id, int64_t *out_ttl, reg_error *err)
{
    if (!r || !out_ttl) return fail(err, REG_ERR_INVALID, "lease_keepalive: NULL argument");
    locked l(r);
    maintain(r);
    auto it = r->leases.find(id);
    if (it == r->leases.end()) return fail(err, REG_ERR_LEASE_NOT_FOUND, "lease %lld not found", (long long)id);
    it->second.deadline_ms = now_ms(r) + (uint64_t)it->second.granted * 1000;
    *out_ttl = it->second.granted;
    return REG_OK;
}

int reg_lease_info_get(service_registry *r, reg_lease id, reg_lease_info *out, reg_error *err)
{
    if (!r || !out) return fail(err, REG_ERR_INVALID, "lease_info: NULL argument");
    locked l(r);
    maintain(r);
    auto it = r->leases.find(id);
    if (it == r->leases.end()) return fail(err, REG_ERR_LEASE_NOT_FOUND, "lease %lld not found", (long long)id);
    out->id = id;
    out->granted_ttl = it->second.granted;
    out->ttl = (int64_t)((it->second.deadline_ms - now_ms(r)) / 1000);
    out->keys.assign(it->second.keys.begin(), it->second.keys.end());
    return REG_OK;
}

int reg_watch(service_registry *r, const char *key, const reg_watch_opts *opts, int64_t *out_id, reg_error *err)
{
    if (!r || !key || !opts || !out_id) return fail(err, REG_ERR_INVALID, "watch: NULL argument");
    locked l(r);
    maintain(r);
    if (!*key && !opts->prefix) return fail(err, REG_ERR_EMPTY_KEY, "watch: the key is empty");
    size_t same = 0;
    for (const auto &[id, w] : r->watches)
        if (w.key == key && w.opts.prefix == opts->prefix) same++;
    if (same >= r->cfg.max_watchers_per_key)
        return fail(err, REG_ERR_TOO_MANY_WATCHERS, "watch '%s': %zu watches already", key, same);
    int64_t id = r->next_watch++;
    watch_rec &w = r->watches[id];
    w.key = key;
    w.opts = *opts;
    w.ended = false;
    if (opts->start_revision > 0 && opts->start_revision < r->compact_rev) {
        reg_watch_resp c{};
        c.revision = r->rev;
        c.compact_revision = r->compact_rev;
        c.canceled = true;
        w.queue.push_back(c);
        w.ended = true;
    } else if (opts->start_revision > 0) {
        size_t i = 0;
        while (i < r->log.size()) {
            reg_rev rev = r->log[i].rev;
            std::vector<reg_event> events;
            for (; i < r->log.size() && r->log[i].rev == rev; i++) events.push_back(r->log[i].ev);
            if (rev >= opts->start_revision) watch_offer(r, &w, rev, events);
        }
    }
    *out_id = id;
    return REG_OK;
}

int reg_watch_next(service_registry *r, int64_t id, int timeout_ms, reg_watch_resp *out, reg_error *err)
{
    if (!r || !out) return fail(err, REG_ERR_INVALID, "watch_next: NULL argument");
    locked l(r);
    maintain(r);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    for (;;) {
        auto it = r->watches.find(id);
        if (it == r->watches.end()) return fail(err, REG_ERR_WATCH_NOT_FOUND, "watch %lld not found", (long long)id);
        watch_rec &w = it->second;
        if (!w.queue.empty()) {
            *out = std::move(w.queue.front());
            w.queue.pop_front();
            if (out->canceled) r->watches.erase(it);
            return REG_OK;
        }
        if (pthread_cond_timedwait(&r->cond, &r->mu, &until) == ETIMEDOUT)
            return fail(err, REG_ERR_TIMEOUT, "watch %lld: nothing within %d ms", (long long)id, timeout_ms);
    }
}

int reg_watch_cancel(service_registry *r, int64_t id, reg_error *err)
{
    if (!r) return fail(err, REG_ERR_INVALID, "watch_cancel: NULL registry");
    locked l(r);
    if (!r->watches.erase(id)) return fail(err, REG_ERR_WATCH_NOT_FOUND, "watch %lld not found", (long long)id);
    pthread_cond_broadcast(&r->cond);
    return REG_OK;
}

int reg_register_service(service_registry *r, const reg_service *svc, reg_lease *out_lease, reg_error *err)
{
    if (!r || !svc || !out_lease) return fail(err, REG_ERR_INVALID, "register_service: NULL argument");
    if (!valid_name(svc->id) || !valid_name(svc->name) || !valid_name(svc->ns))
        return fail(err, REG_ERR_INVALID, "register_service: id, name and namespace must be non-empty, without '/'");
    locked l(r);
    maintain(r);
    if (find_service(r, svc->id.c_str(), svc->ns.c_str()))
        return fail(err, REG_ERR_SERVICE_EXISTS, "service '%s' is already registered in '%s'", svc->id.c_str(), svc->ns.c_str());
    int64_t ttl = REG_SERVICE_DEFAULT_TTL;
    for (const reg_health_check &c : svc->checks)
        if (c.kind == REG_CHECK_TTL) ttl = c.timeout_s;
    int64_t granted;
    reg_lease id = grant(r, ttl, 0, &granted);
    service_rec rec;
    rec.inst = reg_instance{svc->id, svc->name, svc->ns, svc->address, svc->port, svc->tags, svc->metadata,
                            svc->checks.empty() ? REG_STATUS_PASSING : REG_STATUS_UNKNOWN, svc->weight};
    rec.lease = id;
    rec.key = service_key(svc->ns, svc->name, svc->id);
    reg_put_opts po{};
    po.lease = id;
    write_set w{r->rev + 1, {}};
    apply_put(r, w, rec.key, svc->address + ":" + std::to_string(svc->port), po, nullptr);
    commit(r, w);
    r->services[{svc->ns, svc->id}] = rec;
    *out_lease = id;
    return REG_OK;
}

int reg_deregister_service(service_registry *r, const char *id, const char *ns, reg_error *err)
{
    if (!r || !id || !ns) return fail(err, REG_ERR_INVALID, "deregister_service: NULL argument");
    locked l(r);
    maintain(r);
    service_rec *s = find_service(r, id, ns);
    if (!s) return fail(err, REG_ERR_SERVICE_NOT_FOUND, "service '%s' not found in '%s'", id, ns);
    revoke(r, s->lease);
    r->services.erase({ns, id});
    return REG_OK;
}

int reg_service_heartbeat(service_registry *r, const char *id, const char *ns, reg_error *err)
{
    if (!r || !id || !ns) return fail(err, REG_ERR_INVALID, "service_heartbeat: NULL argument");
    locked l(r);
    maintain(r);
    service_rec *s = find_service(r, id, ns);
    if (!s) return fail(err, REG_ERR_SERVICE_NOT_FOUND, "service '%s' not found in '%s'", id, ns);
    lease_rec &le = r->leases[s->lease];
    le.deadline_ms = now_ms(r) + (uint64_t)le.granted * 1000;
    s->inst.status = REG_STATUS_PASSING;
    return REG_OK;
}

int reg_service_set_status(service_registry *r, const char *id, const char *ns, reg_status status, reg_error *err)
{
    if (!r || !id || !ns) return fail(err, REG_ERR_INVALID, "service_set_status: NULL argument");
    locked l(r);
    maintain(r);
    service_rec *s = find_service(r, id, ns);
    if (!s) return fail(err, REG_ERR_SERVICE_NOT_FOUND, "service '%s' not found in '%s'", id, ns);
    s->inst.status = status;
    return REG_OK;
}

int reg_discover(service_registry *r, const char *name, const char *ns, const std::vector<std::string> *tags,
                 int status, std::vector<reg_instance> *out, reg_error *err)
{
    if (!r || !name || !ns || !out) return fail(err, REG_ERR_INVALID, "discover: NULL argument");
    locked l(r);
    maintain(r);
    out->clear();
    std::vector<std::pair<std::string, std::string>> ids;
    for (const auto &[k, s] : r->services)
        if (s.inst.ns == ns && s.inst.name == name) ids.push_back(k);
    for (const auto &[sns, sid] : ids) {
        service_rec *s = find_service(r, sid.c_str(), sns.c_str());
        if (!s || (status != REG_STATUS_ANY && s->inst.status != status)) continue;
        bool all = true;
        for (size_t i = 0; tags && i < tags->size(); i++)
            all = all && std::find(s->inst.tags.begin(), s->inst.tags.end(), (*tags)[i]) != s->inst.tags.end();
        if (all) out->push_back(s->inst);
    }
    return REG_OK;
}
