// reg_ops.cpp — generating and printing the operations of reg_ops.h.
#include "reg_ops.h"

#include <cstdio>
#include <cstring>

const char *const KEYS[NKEYS] = {"a", "ab", "ba", "c/1", "c/2", "d"};
const char *const PREFIXES[NPREFIXES] = {"", "a", "c/", "x"};
const char *const VALUES[NVALUES] = {"", "0", "1", "22", "v"};
const long long LEASES[NLEASES] = {1, 2, 3};
const long long TTLS_DIFF[3] = {3, 10, 60};   // 3 is raised to the minimum (5)
const long long TTLS_ETCD[2] = {600, 900};    // etcd's leases run on wall time: far beyond the test

const char *op_key(const kv_req &q) { return q.prefix ? PREFIXES[q.key % NPREFIXES] : KEYS[q.key % NKEYS]; }

const char *watch_key(const reg_test_op &op)
{
    return op.w_prefix ? PREFIXES[op.w_key % NPREFIXES] : KEYS[op.w_key % NKEYS];
}

std::string watch_sentinel(const reg_test_op &op)
{
    return op.w_prefix ? std::string(watch_key(op)) + "~s" : std::string(watch_key(op));
}

static int pick(nl_rng *rng, const int *weights, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++) total += weights[i];
    int r = (int)nl_rng_below(rng, (uint64_t)total), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    return k;
}

static int below(nl_rng *rng, int n) { return (int)nl_rng_below(rng, (uint64_t)n); }

static void gen_req(nl_rng *rng, kv_req *q, int kind)
{
    memset(q, 0, sizeof *q);
    q->kind = kind;
    q->prefix = kind != K_PUT && nl_rng_chance(rng, 0.4);
    q->key = below(rng, q->prefix ? NPREFIXES : NKEYS);
    q->val = below(rng, NVALUES);
    q->lease = nl_rng_chance(rng, 0.3) ? 1 + below(rng, NLEASES) : 0;
    q->prev_kv = nl_rng_chance(rng, 0.5);
    if (kind == K_PUT && nl_rng_chance(rng, 0.15)) {
        q->ignore_value = nl_rng_chance(rng, 0.5);
        q->ignore_lease = !q->ignore_value || nl_rng_chance(rng, 0.3);
        if (nl_rng_chance(rng, 0.7)) q->val = 0;   // mostly the allowed form: no value...
        if (q->ignore_lease && nl_rng_chance(rng, 0.7)) q->lease = 0; // ...and no lease
    }
    if (kind == K_GET) {
        q->keys_only = nl_rng_chance(rng, 0.15);
        q->rev_back = nl_rng_chance(rng, 0.6) ? 0 : (int)nl_rng_range(rng, 0, 10) - 2;
        q->sort_order = nl_rng_chance(rng, 0.5) ? 0 : below(rng, 3);
        q->sort_target = nl_rng_chance(rng, 0.5) ? 0 : below(rng, 5);
        q->limit = nl_rng_chance(rng, 0.6) ? 0 : below(rng, 4);
    }
}

void reg_op_gen(nl_rng *rng, reg_test_op *op, bool for_etcd)
{
    memset(op, 0, sizeof *op);
    static const int w_etcd[K_KINDS] = {30, 22, 10, 16, 5, 3, 3, 3, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    static const int w_diff[K_KINDS] = {24, 14, 8, 12, 4, 3, 2, 3, 4, 3, 5, 3, 5, 2, 4, 2, 2};
    op->kind = pick(rng, for_etcd ? w_etcd : w_diff, K_KINDS);
    switch (op->kind) {
    case K_PUT: case K_GET: case K_DEL: gen_req(rng, &op->a, op->kind); break;
    case K_TXN: {
        op->ncmp = below(rng, 3);
        for (int i = 0; i < op->ncmp; i++) {
            kv_cmp &c = op->cmp[i];
            c.key = below(rng, NKEYS);
            c.target = below(rng, 5);
            c.result = below(rng, 4);
            c.num = c.target == 4 ? below(rng, NLEASES + 1) : below(rng, 4);
            c.val = below(rng, NVALUES);
        }
        static const int kinds[3] = {K_GET, K_PUT, K_DEL};
        op->nsucc = 1 + below(rng, 3);
        for (int i = 0; i < op->nsucc; i++) gen_req(rng, &op->succ[i], kinds[pick(rng, (const int[]){3, 5, 2}, 3)]);
        op->nfail = below(rng, 3);
        for (int i = 0; i < op->nfail; i++) gen_req(rng, &op->fail[i], kinds[pick(rng, (const int[]){3, 5, 2}, 3)]);
        if (for_etcd) { // etcd 3.4 panics on an ignore_value/ignore_lease put after a delete of every key
            for (int b = 0; b < 2; b++) {
                kv_req *q = b ? op->fail : op->succ;
                int n = b ? op->nfail : op->nsucc;
                bool all = false;
                for (int i = 0; i < n; i++) all = all || (q[i].kind == K_DEL && q[i].prefix && q[i].key % NPREFIXES == 0);
                for (int i = 0; all && i < n; i++) q[i].ignore_value = q[i].ignore_lease = 0;
            }
        }
        break;
    }
    case K_GRANT:
        op->a.lease = for_etcd ? 1 + below(rng, NLEASES) : below(rng, NLEASES + 1);
        op->a.val = below(rng, for_etcd ? 2 : 3);
        break;
    case K_REVOKE: case K_LEASE_INFO: case K_KEEPALIVE:
        op->a.lease = 1 + below(rng, NLEASES + 2); // ids 4 and 5: the registry's picks (or nothing)
        if (for_etcd) op->a.lease = 1 + below(rng, NLEASES);
        break;
    case K_COMPACT: op->a.rev_back = (int)nl_rng_range(rng, 0, 8) - 1; break;
    case K_WATCH_ONCE: case K_WATCH_LIVE:
        op->w_prefix = nl_rng_chance(rng, 0.5);
        op->w_key = below(rng, op->w_prefix ? NPREFIXES : NKEYS);
        op->w_start_back = nl_rng_chance(rng, 0.3) ? -1 : below(rng, 10); // -1: from now
        op->w_prev_kv = nl_rng_chance(rng, 0.5);
        op->w_filter = nl_rng_chance(rng, 0.6) ? 0 : 1 + below(rng, 2);
        break;
    case K_ADVANCE: {
        static const int ms[4] = {500, 2500, 9000, 31000};
        op->ms = ms[below(rng, 4)];
        break;
    }
    default: // services
        op->svc = nl_rng_chance(rng, 0.05) ? 3 : below(rng, 3);
        op->name = below(rng, 2);
        op->ns = below(rng, 2);
        op->tags = below(rng, 8);
        op->check = below(rng, 3);
        op->status = below(rng, 5) - 1;
        break;
    }
}

static const char *const SVC_IDS[4] = {"s1", "s2", "s3", ""};
static const char *const SVC_NAMES[2] = {"api", "web"};
static const char *const SVC_NS[2] = {"default", "prod"};

static std::string req_str(const kv_req &q)
{
    static const char *const so[] = {"NONE", "ASCEND", "DESCEND"}, *const st[] = {"KEY", "VERSION", "CREATE", "MOD", "VALUE"};
    char b[256];
    const char *k = op_key(q);
    switch (q.kind) {
    case K_PUT:
        snprintf(b, sizeof b, "put '%s'='%s' lease=%lld%s%s%s", k, VALUES[q.val], q.lease ? LEASES[q.lease - 1] : 0LL,
                 q.prev_kv ? " prev_kv" : "", q.ignore_value ? " ignore_value" : "", q.ignore_lease ? " ignore_lease" : "");
        break;
    case K_GET:
        snprintf(b, sizeof b, "get '%s'%s rev=%s limit=%d sort=%s/%s%s", k, q.prefix ? " prefix" : "",
                 q.rev_back > 0 ? ("current-" + std::to_string(q.rev_back)).c_str()
                 : q.rev_back < 0 ? ("current+" + std::to_string(-q.rev_back)).c_str() : "0",
                 q.limit, so[q.sort_order], st[q.sort_target], q.keys_only ? " keys_only" : "");
        break;
    default: snprintf(b, sizeof b, "delete '%s'%s%s", k, q.prefix ? " prefix" : "", q.prev_kv ? " prev_kv" : ""); break;
    }
    return b;
}

void reg_op_print(const reg_test_op *op, bool for_etcd, char *out, size_t cap)
{
    static const char *const tn[] = {"version", "create", "mod", "value", "lease"}, *const rn[] = {"==", ">", "<", "!="};
    static const char *const fn[] = {"", " NOPUT", " NODELETE"};
    std::string s;
    switch (op->kind) {
    case K_PUT: case K_GET: case K_DEL: s = req_str(op->a); break;
    case K_TXN:
        s = "txn if";
        for (int i = 0; i < op->ncmp; i++) {
            const kv_cmp &c = op->cmp[i];
            std::string operand = c.target == 3 ? std::string("'") + VALUES[c.val] + "'"
                                  : c.target == 4 ? std::to_string(c.num ? LEASES[c.num - 1] : 0)
                                  : c.target == 0 ? std::to_string(c.num) : "current-" + std::to_string(c.num);
            s += std::string(i ? " &&" : "") + " " + tn[c.target] + "('" + KEYS[c.key] + "') " + rn[c.result] + " " + operand;
        }
        s += " then {";
        for (int i = 0; i < op->nsucc; i++) s += (i ? "; " : " ") + req_str(op->succ[i]);
        s += " } else {";
        for (int i = 0; i < op->nfail; i++) s += (i ? "; " : " ") + req_str(op->fail[i]);
        s += " }";
        break;
    case K_GRANT:
        s = "lease_grant id=" + std::to_string(op->a.lease ? LEASES[op->a.lease - 1] : 0) +
            " ttl=" + std::to_string(for_etcd ? TTLS_ETCD[op->a.val % 2] : TTLS_DIFF[op->a.val % 3]);
        break;
    case K_REVOKE: s = "lease_revoke " + std::to_string(op->a.lease); break;
    case K_LEASE_INFO: s = "lease_info " + std::to_string(op->a.lease); break;
    case K_KEEPALIVE: s = "lease_keepalive " + std::to_string(op->a.lease); break;
    case K_COMPACT: s = "compact current-" + std::to_string(op->a.rev_back) + " (at least 1)"; break;
    case K_WATCH_ONCE: case K_WATCH_LIVE:
        s = std::string(op->kind == K_WATCH_ONCE ? "watch (then put and delete '" + watch_sentinel(*op) + "', read to it)"
                                                 : "watch (kept, read after each op)") +
            " '" + watch_key(*op) + "'" + (op->w_prefix ? " prefix" : "") + " start=" +
            (op->w_start_back < 0 ? std::string("now") : "current-" + std::to_string(op->w_start_back) + " (at least 1)") +
            (op->w_prev_kv ? " prev_kv" : "") + fn[op->w_filter];
        break;
    case K_ADVANCE: s = "clock +" + std::to_string(op->ms) + " ms"; break;
    case K_REGISTER:
        s = std::string("register ") + SVC_NS[op->ns] + "/" + SVC_NAMES[op->name] + "/'" + SVC_IDS[op->svc] + "' tags=" +
            std::to_string(op->tags) + " check=" + (op->check == 0 ? "none" : op->check == 1 ? "ttl 10" : "ttl 3");
        break;
    case K_DEREGISTER: s = std::string("deregister ") + SVC_NS[op->ns] + "/'" + SVC_IDS[op->svc] + "'"; break;
    case K_HEARTBEAT: s = std::string("heartbeat ") + SVC_NS[op->ns] + "/'" + SVC_IDS[op->svc] + "'"; break;
    case K_SET_STATUS: s = std::string("set_status ") + SVC_NS[op->ns] + "/'" + SVC_IDS[op->svc] + "' " + std::to_string(op->status); break;
    default:
        s = std::string("discover ") + SVC_NS[op->ns] + "/" + SVC_NAMES[op->name] + " tags=" + std::to_string(op->tags) +
            " status=" + std::to_string(op->status);
        break;
    }
    snprintf(out, cap, "%s", s.c_str());
}
