// test_etcd.cpp — conformance with etcd itself: the same operations (a recorded session, then
// seeded random sequences) applied to the submission and to a real etcd 3.4 started on loopback,
// every response compared field by field as one line of reg_obs.h. etcd's revisions are shifted
// so both start at 1 (each sequence starts on an emptied etcd); its leases run on wall time, so
// their TTLs are far beyond the test and only grants, revokes and attached keys are compared.
#include "etcd_peer.h"
#include "nl_crypto.h"
#include "nl_diff.h"
#include "reg_ops.h"
#include "reg_tests.h"

#include <jansson.h>

#include <algorithm>
#include <cstring>

namespace side_sub {
#define API
#include "reg_side.inc"
#undef API
} // namespace side_sub

namespace {
struct etcd_side {
    etcd_peer peer;
    int64_t off = 0;       // etcd revision = ours + off
    int64_t cur = 1;       // current revision, in our numbering
    bool compacted = false;
    std::string fatal;     // a transport failure: the test fails with it
};

std::string b64(const std::string &s) { return nl_base64_encode(s.data(), s.size()); }

std::string unb64(json_t *v)
{
    std::string out;
    const char *t = json_string_value(v);
    if (t) nl_base64_decode(t, strlen(t), &out);
    return out;
}

int64_t num(json_t *o, const char *field)
{
    json_t *v = json_object_get(o, field);
    if (json_is_string(v)) return atoll(json_string_value(v));
    return json_is_integer(v) ? json_integer_value(v) : 0;
}

bool flag(json_t *o, const char *field) { return json_is_true(json_object_get(o, field)); }

int64_t to_e(etcd_side *e, int64_t r) { return r > 0 ? r + e->off : 0; }
int64_t from_e(etcd_side *e, int64_t r) { return r > 0 ? r - e->off : 0; }

// etcd's error text -> our code name (what the README maps, in its conformance table).
std::string etcd_error(json_t *resp)
{
    static const struct {
        const char *text, *code;
    } map[] = {{"etcdserver: key is not provided", "REG_ERR_EMPTY_KEY"},
               {"etcdserver: key not found", "REG_ERR_KEY_NOT_FOUND"},
               {"etcdserver: value is provided", "REG_ERR_VALUE_PROVIDED"},
               {"etcdserver: lease is provided", "REG_ERR_LEASE_PROVIDED"},
               {"etcdserver: requested lease not found", "REG_ERR_LEASE_NOT_FOUND"},
               {"etcdserver: lease already exists", "REG_ERR_LEASE_EXISTS"},
               {"etcdserver: mvcc: required revision has been compacted", "REG_ERR_COMPACTED"},
               {"etcdserver: mvcc: required revision is a future revision", "REG_ERR_FUTURE_REV"},
               {"etcdserver: duplicate key given in txn request", "REG_ERR_DUP_KEY"},
               {"etcdserver: too many operations in txn request", "REG_ERR_TOO_MANY_OPS"}};
    const char *msg = json_string_value(json_object_get(resp, "error"));
    for (const auto &m : map)
        if (msg && strcmp(msg, m.text) == 0) return std::string("error ") + m.code;
    return std::string("error (etcd: ") + (msg ? msg : "no message") + ")";
}

// Sends body to path; the parsed response (caller frees) or NULL with e->fatal set.
json_t *call(etcd_side *e, const char *path, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    std::string out;
    long code = etcd_post(&e->peer, path, text, &out);
    free(text);
    if (code < 0) {
        e->fatal = std::string("etcd request ") + path + " failed: " + out;
        return nullptr;
    }
    json_error_t jerr;
    json_t *resp = json_loads(out.c_str(), 0, &jerr);
    if (!resp) e->fatal = std::string("etcd ") + path + " answered non-JSON: " + out.substr(0, 200);
    json_t *h = json_object_get(resp, "header");
    if (h) e->cur = from_e(e, num(h, "revision"));
    return resp;
}

std::string kv_obs(etcd_side *e, json_t *kv)
{
    reg_kv k{};
    k.key = unb64(json_object_get(kv, "key"));
    k.value = unb64(json_object_get(kv, "value"));
    k.create_revision = from_e(e, num(kv, "create_revision"));
    k.mod_revision = from_e(e, num(kv, "mod_revision"));
    k.version = num(kv, "version");
    k.lease = num(kv, "lease");
    return obs_kv(k);
}

std::string kvs_obs(etcd_side *e, json_t *arr)
{
    std::string s = "[";
    for (size_t i = 0; i < json_array_size(arr); i++) s += (i ? "; " : "") + kv_obs(e, json_array_get(arr, i));
    return s + "]";
}

int64_t hdr_rev(etcd_side *e, json_t *r) { return from_e(e, num(json_object_get(r, "header"), "revision")); }

std::string get_obs(etcd_side *e, json_t *r)
{
    return nl_fmt("rev=%lld count=%lld more=%d ", (long long)hdr_rev(e, r), (long long)num(r, "count"), (int)flag(r, "more")) +
           kvs_obs(e, json_object_get(r, "kvs"));
}
std::string put_obs(etcd_side *e, json_t *r)
{
    json_t *prev = json_object_get(r, "prev_kv");
    return nl_fmt("rev=%lld prev=", (long long)hdr_rev(e, r)) + (prev ? kv_obs(e, prev) : std::string("-"));
}
std::string del_obs(etcd_side *e, json_t *r)
{
    return nl_fmt("rev=%lld deleted=%lld prev=", (long long)hdr_rev(e, r), (long long)num(r, "deleted")) +
           kvs_obs(e, json_object_get(r, "prev_kvs"));
}

// [key, range_end) of a key or a prefix ("" = every key: "\0" to "\0").
void set_range(json_t *o, const std::string &key, bool prefix)
{
    if (!prefix) {
        json_object_set_new(o, "key", json_string(b64(key).c_str()));
        return;
    }
    if (key.empty()) {
        json_object_set_new(o, "key", json_string("AA=="));
        json_object_set_new(o, "range_end", json_string("AA=="));
        return;
    }
    std::string end = key;
    end.back()++; // the alphabet never ends a prefix with 0xff
    json_object_set_new(o, "key", json_string(b64(key).c_str()));
    json_object_set_new(o, "range_end", json_string(b64(end).c_str()));
}

json_t *req_json(etcd_side *e, const kv_req &q, int64_t cur)
{
    static const char *const so[] = {"NONE", "ASCEND", "DESCEND"}, *const st[] = {"KEY", "VERSION", "CREATE", "MOD", "VALUE"};
    json_t *o = json_object();
    set_range(o, op_key(q), q.prefix);
    if (q.kind == K_PUT) {
        json_object_set_new(o, "value", json_string(b64(VALUES[q.val]).c_str()));
        if (q.lease) json_object_set_new(o, "lease", json_integer(LEASES[q.lease - 1]));
        json_object_set_new(o, "prev_kv", json_boolean(q.prev_kv));
        json_object_set_new(o, "ignore_value", json_boolean(q.ignore_value));
        json_object_set_new(o, "ignore_lease", json_boolean(q.ignore_lease));
    } else if (q.kind == K_GET) {
        int64_t rev = q.rev_back > 0 ? std::max<int64_t>(1, cur - q.rev_back) : q.rev_back < 0 ? cur - q.rev_back : 0;
        if (rev) json_object_set_new(o, "revision", json_integer(to_e(e, rev)));
        json_object_set_new(o, "limit", json_integer(q.limit));
        json_object_set_new(o, "keys_only", json_boolean(q.keys_only));
        json_object_set_new(o, "sort_order", json_string(so[q.sort_order]));
        json_object_set_new(o, "sort_target", json_string(st[q.sort_target]));
    } else {
        json_object_set_new(o, "prev_kv", json_boolean(q.prev_kv));
    }
    return o;
}

std::string simple(etcd_side *e, const char *path, json_t *body, std::string (*ok)(etcd_side *, json_t *))
{
    json_t *r = call(e, path, body);
    if (!r) return "transport failure";
    std::string s = json_object_get(r, "error") ? etcd_error(r) : ok(e, r);
    json_decref(r);
    return s;
}

std::string ok_obs(etcd_side *, json_t *) { return "ok"; }

struct watch_read {
    etcd_side *e;
    std::string sentinel;
    int64_t stop_rev;      // the sentinel event to stop at (etcd numbering)
    std::string out;
};

bool on_watch_line(void *arg, const std::string &line)
{
    watch_read *w = (watch_read *)arg;
    json_t *j = json_loads(line.c_str(), 0, nullptr);
    json_t *res = json_object_get(j, "result");
    bool more = true;
    if (!res) {
        w->out += " ; (etcd: " + line.substr(0, 200) + ")";
        more = false;
    } else if (flag(res, "canceled")) {
        w->out += (w->out.empty() ? "" : " ; ") + nl_fmt("canceled compact=%lld", (long long)from_e(w->e, num(res, "compact_revision")));
        more = false;
    }
    json_t *evs = json_object_get(res, "events");
    for (size_t i = 0; more && i < json_array_size(evs); i++) {
        json_t *ev = json_array_get(evs, i);
        const char *type = json_string_value(json_object_get(ev, "type"));
        json_t *kv = json_object_get(ev, "kv"), *prev = json_object_get(ev, "prev_kv");
        w->out += (w->out.empty() ? "" : " ; ") + std::string(type && !strcmp(type, "DELETE") ? "DELETE " : "PUT ") + kv_obs(w->e, kv);
        if (prev) w->out += " prev " + kv_obs(w->e, prev);
        if (unb64(json_object_get(kv, "key")) == w->sentinel && num(kv, "mod_revision") == w->stop_rev) more = false;
    }
    json_decref(j);
    return more;
}

std::string etcd_apply(etcd_side *e, const reg_test_op &op)
{
    int64_t cur = e->cur;
    switch (op.kind) {
    case K_PUT: return simple(e, "/v3/kv/put", req_json(e, op.a, cur), put_obs);
    case K_GET: return simple(e, "/v3/kv/range", req_json(e, op.a, cur), get_obs);
    case K_DEL: return simple(e, "/v3/kv/deleterange", req_json(e, op.a, cur), del_obs);
    case K_TXN: {
        static const char *const tn[] = {"VERSION", "CREATE", "MOD", "VALUE", "LEASE"}, *const rn[] = {"EQUAL", "GREATER", "LESS", "NOT_EQUAL"};
        json_t *t = json_object(), *cmps = json_array(), *succ = json_array(), *fail = json_array();
        for (int i = 0; i < op.ncmp; i++) {
            const kv_cmp &c = op.cmp[i];
            json_t *o = json_object();
            json_object_set_new(o, "key", json_string(b64(KEYS[c.key]).c_str()));
            json_object_set_new(o, "target", json_string(tn[c.target]));
            json_object_set_new(o, "result", json_string(rn[c.result]));
            int64_t rev = std::max<int64_t>(0, cur - c.num);
            if (c.target == 0) json_object_set_new(o, "version", json_integer(c.num));
            if (c.target == 1) json_object_set_new(o, "create_revision", json_integer(to_e(e, rev)));
            if (c.target == 2) json_object_set_new(o, "mod_revision", json_integer(to_e(e, rev)));
            if (c.target == 3) json_object_set_new(o, "value", json_string(b64(VALUES[c.val]).c_str()));
            if (c.target == 4) json_object_set_new(o, "lease", json_integer(c.num ? LEASES[c.num - 1] : 0));
            json_array_append_new(cmps, o);
        }
        static const char *const kind[] = {"request_put", "request_range", "request_delete_range"};
        for (int b = 0; b < 2; b++) {
            const kv_req *reqs = b ? op.fail : op.succ;
            for (int i = 0; i < (b ? op.nfail : op.nsucc); i++) {
                json_t *w = json_object();
                json_object_set_new(w, kind[reqs[i].kind], req_json(e, reqs[i], cur));
                json_array_append_new(b ? fail : succ, w);
            }
        }
        json_object_set_new(t, "compare", cmps);
        json_object_set_new(t, "success", succ);
        json_object_set_new(t, "failure", fail);
        json_t *r = call(e, "/v3/kv/txn", t);
        if (!r) return "transport failure";
        if (json_object_get(r, "error")) {
            std::string s = etcd_error(r);
            json_decref(r);
            return s;
        }
        std::string s = nl_fmt("succeeded=%d rev=%lld", (int)flag(r, "succeeded"), (long long)hdr_rev(e, r));
        json_t *resps = json_object_get(r, "responses");
        for (size_t i = 0; i < json_array_size(resps); i++) {
            json_t *x = json_array_get(resps, i), *v;
            if ((v = json_object_get(x, "response_range"))) s += " | get " + get_obs(e, v);
            if ((v = json_object_get(x, "response_put"))) s += " | put " + put_obs(e, v);
            if ((v = json_object_get(x, "response_delete_range"))) s += " | delete " + del_obs(e, v);
        }
        json_decref(r);
        return s;
    }
    case K_GRANT: {
        json_t *b = json_object();
        json_object_set_new(b, "ID", json_integer(LEASES[op.a.lease - 1]));
        json_object_set_new(b, "TTL", json_integer(TTLS_ETCD[op.a.val % 2]));
        return simple(e, "/v3/lease/grant", b, [](etcd_side *, json_t *r) {
            return nl_fmt("granted id=%lld ttl=%lld", (long long)num(r, "ID"), (long long)num(r, "TTL"));
        });
    }
    case K_REVOKE: {
        json_t *b = json_object();
        json_object_set_new(b, "ID", json_integer(op.a.lease));
        return simple(e, "/v3/lease/revoke", b, ok_obs);
    }
    case K_LEASE_INFO: {
        json_t *b = json_object();
        json_object_set_new(b, "ID", json_integer(op.a.lease));
        json_object_set_new(b, "keys", json_true());
        return simple(e, "/v3/lease/timetolive", b, [](etcd_side *, json_t *r) {
            if (num(r, "TTL") == -1) return std::string("error REG_ERR_LEASE_NOT_FOUND"); // etcd: TTL -1, no error
            std::vector<std::string> keys;
            json_t *arr = json_object_get(r, "keys");
            for (size_t i = 0; i < json_array_size(arr); i++) keys.push_back(unb64(json_array_get(arr, i)));
            std::sort(keys.begin(), keys.end());
            std::string s = nl_fmt("lease %lld granted=%lld keys=[", (long long)num(r, "ID"), (long long)num(r, "grantedTTL"));
            for (size_t i = 0; i < keys.size(); i++) s += (i ? " " : "") + keys[i];
            return s + "]";
        });
    }
    case K_COMPACT: {
        json_t *b = json_object();
        json_object_set_new(b, "revision", json_integer(to_e(e, std::max<int64_t>(1, cur - op.a.rev_back))));
        json_object_set_new(b, "physical", json_true());
        std::string s = simple(e, "/v3/kv/compaction", b, ok_obs);
        if (s == "ok") e->compacted = true;
        return s;
    }
    case K_WATCH_ONCE: {
        std::string key = watch_sentinel(op);
        json_t *b = json_object();
        json_object_set_new(b, "key", json_string(b64(key).c_str()));
        json_object_set_new(b, "value", json_string(b64("s").c_str()));
        json_t *r = call(e, "/v3/kv/put", b);
        if (!r) return "transport failure";
        int64_t put_rev = num(json_object_get(r, "header"), "revision");
        json_decref(r);
        b = json_object();
        json_object_set_new(b, "key", json_string(b64(key).c_str()));
        r = call(e, "/v3/kv/deleterange", b);
        if (!r) return "transport failure";
        int64_t del_rev = num(json_object_get(r, "header"), "revision");
        json_decref(r);
        // Our start 0 is "after the current revision" (cur before the sentinel); our revision 1
        // has no events, etcd's (the reset's scratch delete) has one: start at 2 unless compacted.
        int64_t start = op.w_start_back < 0 ? cur + 1 : std::max<int64_t>(1, cur - op.w_start_back);
        if (start == 1 && !e->compacted) start = 2;
        json_t *c = json_object();
        set_range(c, watch_key(op), op.w_prefix);
        json_object_set_new(c, "start_revision", json_integer(to_e(e, start)));
        json_object_set_new(c, "prev_kv", json_boolean(op.w_prev_kv));
        if (op.w_filter) {
            json_t *f = json_array();
            json_array_append_new(f, json_string(op.w_filter == 1 ? "NOPUT" : "NODELETE"));
            json_object_set_new(c, "filters", f);
        }
        json_t *wrap = json_object();
        json_object_set_new(wrap, "create_request", c);
        char *text = json_dumps(wrap, JSON_COMPACT);
        json_decref(wrap);
        watch_read w{e, key, op.w_filter == 2 ? put_rev : del_rev, std::string()};
        int rc = etcd_stream(&e->peer, "/v3/watch", text, on_watch_line, &w, 15000);
        free(text);
        std::string out = nl_fmt("sentinel put REG_OK r%lld, delete REG_OK r%lld | ", (long long)from_e(e, put_rev),
                                 (long long)from_e(e, del_rev)) + w.out;
        return rc == 0 ? out : out + " ; (etcd: the watch stream ended or timed out before the sentinel)";
    }
    default: return "not replayed on etcd";
    }
}

// An emptied etcd whose next revision is our 2: every key deleted, our leases revoked, then a put
// and a delete of a scratch key, so the base revision is above any earlier compaction.
void etcd_reset(etcd_side *e)
{
    json_t *b = json_object();
    set_range(b, "", true);
    json_decref(call(e, "/v3/kv/deleterange", b));
    for (int i = 0; i < NLEASES; i++) {
        b = json_object();
        json_object_set_new(b, "ID", json_integer(LEASES[i]));
        json_decref(call(e, "/v3/lease/revoke", b));
    }
    b = json_object();
    json_object_set_new(b, "key", json_string(b64("~scratch").c_str()));
    json_decref(call(e, "/v3/kv/put", b));
    b = json_object();
    json_object_set_new(b, "key", json_string(b64("~scratch").c_str()));
    json_t *r = call(e, "/v3/kv/deleterange", b);
    e->off = num(json_object_get(r, "header"), "revision") - 1;
    e->cur = 1;
    e->compacted = false;
    json_decref(r);
}

struct ctx {
    side_sub::side s;
    etcd_side e;
    std::string rs, re;
};

void reset(void *p)
{
    ctx *x = (ctx *)p;
    side_sub::side_reset(&x->s, false);
    etcd_reset(&x->e);
}
void gen(void *, nl_rng *rng, void *op) { reg_op_gen(rng, (reg_test_op *)op, true); }
void apply_sub(void *p, const void *op) { ((ctx *)p)->rs = side_sub::side_apply(&((ctx *)p)->s, *(const reg_test_op *)op, false); }
void apply_etcd(void *p, const void *op) { ((ctx *)p)->re = etcd_apply(&((ctx *)p)->e, *(const reg_test_op *)op); }
bool compare(void *p, const void *, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    if (x->rs == x->re) return true;
    snprintf(diff, cap, "submission: %s\n    etcd:       %s", x->rs.c_str(), x->re.c_str());
    return false;
}
void print(void *, const void *op, char *out, size_t cap) { reg_op_print((const reg_test_op *)op, true, out, cap); }

ctx *start(void)
{
    static ctx x;
    std::string why;
    if (!etcd_start(&x.e.peer, &why)) fail_msg("cannot start etcd (package etcd-server): %s", why.c_str());
    return &x;
}

void finish(ctx *x)
{
    std::string fatal = x->e.fatal;
    etcd_stop(&x->e.peer);
    reg_free(x->s.r);
    x->s.r = nullptr;
    if (!fatal.empty()) fail_msg("%s", fatal.c_str());
}

reg_test_op mk(int kind) { reg_test_op op{}; op.kind = kind; return op; }
kv_req rq(int kind, int key, int prefix = 0, int val = 0) { kv_req q{}; q.kind = kind; q.key = key; q.prefix = prefix; q.val = val; return q; }
} // namespace

// A session written by hand: every kind of operation once, in the order a user would try them.
void test_etcd_recorded_session(void **)
{
    ctx *x = start();
    std::vector<reg_test_op> seq;
    reg_test_op op = mk(K_PUT); op.a = rq(K_PUT, 0, 0, 2); seq.push_back(op);            // put a=1
    op.a = rq(K_PUT, 1, 0, 3); op.a.prev_kv = 1; seq.push_back(op);                         // put ab=22
    op.a = rq(K_PUT, 0, 0, 4); op.a.prev_kv = 1; seq.push_back(op);                         // put a=v prev_kv
    op = mk(K_GET); op.a = rq(K_GET, 1, 1); seq.push_back(op);                              // get prefix a
    op.a.rev_back = 2; seq.push_back(op);                                                   // at current-2
    op.a.rev_back = -1; seq.push_back(op);                                                  // future
    op = mk(K_GRANT); op.a.lease = 1; op.a.val = 0; seq.push_back(op);                      // lease 1
    seq.push_back(op);                                                                      // exists
    op = mk(K_PUT); op.a = rq(K_PUT, 3, 0, 1); op.a.lease = 1; seq.push_back(op);           // c/1 on lease 1
    op.a = rq(K_PUT, 4, 0, 2); op.a.lease = 2; seq.push_back(op);                           // lease 2: not found
    op.a = rq(K_PUT, 3, 0, 0); op.a.ignore_value = 1; op.a.ignore_lease = 1; seq.push_back(op); // keep both
    op = mk(K_LEASE_INFO); op.a.lease = 1; seq.push_back(op);
    op = mk(K_TXN); op.ncmp = 1; op.cmp[0] = kv_cmp{0, 0, 0, 2, 0};                         // version(a) == 2
    op.nsucc = 2; op.succ[0] = rq(K_PUT, 2, 0, 1); op.succ[1] = rq(K_GET, 0, 1);            // put b=1, get prefix ""
    op.nfail = 1; op.fail[0] = rq(K_DEL, 1, 1); seq.push_back(op);
    seq.push_back(op);                                                                      // again: same compare
    op = mk(K_WATCH_ONCE); op.w_key = 0; op.w_prefix = 1; op.w_start_back = 3; op.w_prev_kv = 1; seq.push_back(op);
    op = mk(K_DEL); op.a = rq(K_DEL, 1, 1); op.a.prev_kv = 1; seq.push_back(op);            // delete prefix a
    op = mk(K_REVOKE); op.a.lease = 1; seq.push_back(op);
    op = mk(K_COMPACT); op.a.rev_back = 2; seq.push_back(op);
    op = mk(K_GET); op.a = rq(K_GET, 0, 1); op.a.rev_back = 4; seq.push_back(op);           // below the compaction
    op = mk(K_WATCH_ONCE); op.w_key = 0; op.w_prefix = 1; op.w_start_back = 6; seq.push_back(op); // compacted
    op.w_start_back = -1; op.w_filter = 1; seq.push_back(op);                               // from now, NOPUT
    nl_diff_ops ops = {sizeof(reg_test_op), x, reset, gen, apply_sub, apply_etcd, compare, print};
    char diff[4096];
    long at = nl_diff_replay(&ops, seq.data(), seq.size(), diff, sizeof diff);
    std::string line;
    if (at >= 0) {
        char what[512];
        print(nullptr, &seq[at], what, sizeof what);
        line = nl_fmt("operation %ld of the recorded session (%s):\n    %s", at + 1, what, diff);
    }
    finish(x);
    if (at >= 0) fail_msg("%s", line.c_str());
}

// Seeded random sequences of puts, gets, deletes and txns (leases, compaction, watches rarer).
void test_etcd_conformance_kv(void **)
{
    ctx *x = start();
    nl_diff_ops ops = {sizeof(reg_test_op), x, reset, gen, apply_sub, apply_etcd, compare, print};
    static char report[16384];
    int bad = nl_diff_run(&ops, &(const nl_diff_config &)nl_diff_config{1, 10, 30}, report, sizeof report);
    finish(x);
    if (bad) fail_msg("%s", report);
}

// Sequences that end in watches and compactions: more of them, other seeds.
void test_etcd_conformance_watch(void **)
{
    ctx *x = start();
    nl_diff_ops ops = {sizeof(reg_test_op), x, reset,
                       [](void *, nl_rng *rng, void *o) {
                           reg_test_op *op = (reg_test_op *)o;
                           reg_op_gen(rng, op, true);
                           if (nl_rng_chance(rng, 0.25)) { // a watch or a compaction instead
                               bool watch = nl_rng_chance(rng, 0.7);
                               reg_op_gen(rng, op, true);
                               while (op->kind != (watch ? K_WATCH_ONCE : K_COMPACT)) reg_op_gen(rng, op, true);
                           }
                       },
                       apply_sub, apply_etcd, compare, print};
    static char report[16384];
    int bad = nl_diff_run(&ops, &(const nl_diff_config &)nl_diff_config{101, 8, 30}, report, sizeof report);
    finish(x);
    if (bad) fail_msg("%s", report);
}
