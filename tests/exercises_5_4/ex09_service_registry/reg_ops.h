// reg_ops.h — the operations of the differential and conformance tests: a plain struct per
// operation, generated from a seed, naming keys, values, leases and revisions by small indexes
// (revisions relative to the side's current one), so a sequence stays meaningful when shrunk.
#pragma once
#include "nl_sim.h"

#include <cstddef>
#include <string>

enum reg_op_kind_t {
    K_PUT, K_GET, K_DEL, K_TXN, K_GRANT, K_REVOKE, K_LEASE_INFO, K_COMPACT, K_WATCH_ONCE, // etcd too
    K_KEEPALIVE, K_ADVANCE, K_WATCH_LIVE, K_REGISTER, K_DEREGISTER, K_DISCOVER, K_HEARTBEAT, K_SET_STATUS, K_KINDS
};

// One key-value request (a top-level one, or one inside a transaction).
struct kv_req {
    int kind;       // K_PUT, K_GET, K_DEL
    int key;        // KEYS[key] or, with prefix, PREFIXES[key]
    int prefix;
    int val;        // VALUES[val]
    int lease;      // 0 = none, else LEASES[lease - 1]
    int prev_kv, ignore_value, ignore_lease, keys_only;
    int rev_back;   // get: revision = current - rev_back when > 0, else 0 ("now"); < 0: the future
    int sort_order, sort_target, limit;
};
struct kv_cmp {
    int key, target, result;
    int num;        // VERSION: num; CREATE/MOD: current - num (>= 0); LEASE: 0 or LEASES[num - 1]
    int val;
};
struct reg_test_op {
    int kind;
    kv_req a;             // K_PUT/K_GET/K_DEL; K_GRANT: a.lease (0 = registry's pick), a.val = ttl index
    int ncmp, nsucc, nfail;
    kv_cmp cmp[2];
    kv_req succ[3], fail[2];
    int w_key, w_prefix, w_start_back, w_prev_kv, w_filter; // watches: start 0 = from now
    int ms;               // K_ADVANCE
    int svc, name, ns, tags, check, status;                  // services
};

enum { NKEYS = 6, NPREFIXES = 4, NVALUES = 5, NLEASES = 3 };
extern const char *const KEYS[NKEYS], *const PREFIXES[NPREFIXES], *const VALUES[NVALUES];
extern const long long LEASES[NLEASES];
extern const long long TTLS_DIFF[3], TTLS_ETCD[2];

const char *op_key(const kv_req &q);                 // the key or prefix a request names
const char *watch_key(const reg_test_op &op);
std::string watch_sentinel(const reg_test_op &op);   // the key K_WATCH_ONCE puts then deletes

// for_etcd: only what etcd can replay deterministically (no clock, no services, no picked lease ids).
void reg_op_gen(nl_rng *rng, reg_test_op *op, bool for_etcd);
void reg_op_print(const reg_test_op *op, bool for_etcd, char *out, size_t cap);
