// service_registry.h — an etcd-like MVCC key-value store in memory (revisions, leases, transactions,
// watches, compaction) with service registration and discovery on top (module 5.4, EX09).
// Thread-safe (one mutex); protocol time comes from an injected clock, so tests never sleep.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

typedef int64_t reg_rev;   // a revision of the whole store: 1 when empty, +1 per change
typedef int64_t reg_lease; // a lease id, > 0 (0 = no lease)

// The time source, in milliseconds. now_ms == NULL means the monotonic clock.
struct reg_clock {
    uint64_t (*now_ms)(void *ctx);
    void *ctx;
};

struct reg_config {
    size_t max_watchers_per_key;     // live watches on one (key, prefix) pair (seed: 100)
    size_t event_buffer_size;        // undelivered responses a watch may hold (seed: 1000)
    uint64_t compaction_interval_s;  // automatic compaction period, 0 = off (seed: 3600)
    uint64_t revision_retention_s;   // automatic compaction keeps this much history (seed: 86400)
    int64_t min_lease_ttl_s;         // shorter grants are raised to it (seed: 5)
    reg_clock clock;
};
void reg_config_default(reg_config *cfg);

enum reg_err {
    REG_OK = 0,
    REG_ERR_EMPTY_KEY,          // a key (or a compare's key) is ""
    REG_ERR_KEY_NOT_FOUND,      // ignore_value / ignore_lease on a key that does not exist
    REG_ERR_VALUE_PROVIDED,     // ignore_value with a non-empty value
    REG_ERR_LEASE_PROVIDED,     // ignore_lease with a lease
    REG_ERR_LEASE_NOT_FOUND,    // no such lease (never granted, revoked or expired)
    REG_ERR_LEASE_EXISTS,       // lease_grant with an id in use
    REG_ERR_COMPACTED,          // the revision asked for is below the compaction point
    REG_ERR_FUTURE_REV,         // the revision asked for is above the current one
    REG_ERR_DUP_KEY,            // a transaction branch writes one key twice
    REG_ERR_TOO_MANY_OPS,       // more than REG_MAX_TXN_OPS compares or ops in a branch
    REG_ERR_TOO_MANY_WATCHERS,  // max_watchers_per_key reached for that key
    REG_ERR_WATCH_NOT_FOUND,    // no such watch (never created, cancelled, or ended)
    REG_ERR_TIMEOUT,            // reg_watch_next: nothing arrived in time
    REG_ERR_INVALID,            // a bad argument (NULL, bad service id/name/namespace)
    REG_ERR_SERVICE_EXISTS,     // register_service: that id is registered in that namespace
    REG_ERR_SERVICE_NOT_FOUND,  // no such service instance
};
const char *reg_err_name(int e);   // "REG_ERR_COMPACTED", ... ("?" for an unknown code)

// What went wrong, for a person: filled by every call that fails (err may be NULL).
struct reg_error {
    int code;
    std::string message;       // e.g. "revision 3 has been compacted (compacted up to 5)"
    reg_rev requested, compact; // REG_ERR_COMPACTED: the revision asked for, the compaction point
};

enum { REG_MAX_TXN_OPS = 128 };

struct reg_kv {
    std::string key, value;
    reg_rev create_revision;  // revision of the put that created it (since its last delete)
    reg_rev mod_revision;     // revision of its last put
    int64_t version;          // puts since creation: 1 after the first
    reg_lease lease;          // 0 when none
};

enum reg_sort_order { REG_SORT_NONE, REG_SORT_ASCEND, REG_SORT_DESCEND };
enum reg_sort_target { REG_SORT_KEY, REG_SORT_VERSION, REG_SORT_CREATE, REG_SORT_MOD, REG_SORT_VALUE };

struct reg_get_opts {
    bool prefix;              // every key starting with key ("" = every key)
    reg_rev revision;         // read the store as it was at this revision; 0 = now
    int64_t limit;            // at most this many kvs (0 = no limit); count is still the total
    bool keys_only;           // values left empty
    reg_sort_order sort_order;
    reg_sort_target sort_target;
};
struct reg_get_resp {
    std::vector<reg_kv> kvs;
    int64_t count;            // keys in the range, before the limit
    bool more;                // the limit left some out
    reg_rev revision;         // the store's revision when read
};

struct reg_put_opts {
    reg_lease lease;          // attach the key to this lease (0 = none)
    bool prev_kv;             // return the previous kv
    bool ignore_value;        // keep the current value (the key must exist, value must be "")
    bool ignore_lease;        // keep the current lease (the key must exist, lease must be 0)
};
struct reg_put_resp {
    bool has_prev;
    reg_kv prev_kv;
    reg_rev revision;         // the revision this put created
};

struct reg_del_resp {
    int64_t deleted;
    std::vector<reg_kv> prev_kvs; // with prev_kv only, in key order
    reg_rev revision;         // the new revision, or the current one when nothing was deleted
};

enum reg_cmp_target { REG_CMP_VERSION, REG_CMP_CREATE, REG_CMP_MOD, REG_CMP_VALUE, REG_CMP_LEASE };
enum reg_cmp_result { REG_CMP_EQUAL, REG_CMP_GREATER, REG_CMP_LESS, REG_CMP_NOT_EQUAL };
struct reg_compare {
    std::string key;
    reg_cmp_target target;
    reg_cmp_result result;    // the key's field <result> the operand, e.g. version GREATER 2
    int64_t number;           // operand of VERSION, CREATE, MOD, LEASE
    std::string value;        // operand of VALUE
};

enum reg_op_kind { REG_OP_GET, REG_OP_PUT, REG_OP_DELETE };
struct reg_op {
    reg_op_kind kind;
    std::string key, value;   // value: PUT only
    reg_get_opts get;         // GET
    reg_put_opts put;         // PUT
    bool prefix, prev_kv;     // DELETE
};
struct reg_txn {
    std::vector<reg_compare> compare;
    std::vector<reg_op> success, failure;
};
struct reg_op_resp {
    reg_op_kind kind;
    reg_get_resp get;
    reg_put_resp put;
    reg_del_resp del;
};
struct reg_txn_resp {
    bool succeeded;           // every compare held (true when there are none)
    reg_rev revision;
    std::vector<reg_op_resp> responses; // one per op of the branch that ran, in order
};

struct reg_lease_info {
    reg_lease id;
    int64_t ttl;              // seconds left, rounded down
    int64_t granted_ttl;      // seconds, as granted (after the minimum)
    std::vector<std::string> keys; // attached keys, sorted
};

enum reg_event_type { REG_EVENT_PUT, REG_EVENT_DELETE };
struct reg_event {
    reg_event_type type;
    reg_kv kv;                // DELETE: only key and mod_revision (the delete's revision) are set
    bool has_prev;            // with prev_kv, when the key existed before
    reg_kv prev_kv;
};
struct reg_watch_opts {
    reg_rev start_revision;   // replay history from here; 0 = only changes after now
    bool prefix;
    bool prev_kv;
    bool no_put, no_delete;   // filters: leave those events out
};
struct reg_watch_resp {
    reg_rev revision;         // the revision of its events
    std::vector<reg_event> events; // the changes of one revision that the watch sees, in order
    reg_rev compact_revision; // set with canceled when the start revision was compacted
    bool canceled;            // the last response of this watch
};

// ---- services ----
enum reg_status { REG_STATUS_PASSING, REG_STATUS_WARNING, REG_STATUS_CRITICAL, REG_STATUS_UNKNOWN };
enum { REG_STATUS_ANY = -1 };
enum reg_check_kind { REG_CHECK_HTTP, REG_CHECK_TCP, REG_CHECK_GRPC, REG_CHECK_TTL };
struct reg_health_check {
    reg_check_kind kind;
    std::string target;       // HTTP url, TCP address, gRPC address (unused for TTL)
    int64_t timeout_s;        // TTL: the registration's lease TTL
};
enum { REG_SERVICE_DEFAULT_TTL = 30 };
struct reg_service {
    std::string id, name, ns, address;
    uint16_t port;
    std::vector<std::string> tags;
    std::map<std::string, std::string> metadata;
    std::vector<reg_health_check> checks;
    uint32_t weight;
};
struct reg_instance {
    std::string id, name, ns, address;
    uint16_t port;
    std::vector<std::string> tags;
    std::map<std::string, std::string> metadata;
    reg_status status;
    uint32_t weight;
};

struct service_registry; // opaque

// A registry; cfg NULL = the seed's defaults.
service_registry *reg_new(const reg_config *cfg);
void reg_free(service_registry *r);

reg_rev reg_current_revision(service_registry *r); // 0 for NULL
int reg_get(service_registry *r, const char *key, const reg_get_opts *opts, reg_get_resp *out, reg_error *err);
int reg_put(service_registry *r, const char *key, const std::string &value, const reg_put_opts *opts,
            reg_put_resp *out, reg_error *err);
int reg_delete(service_registry *r, const char *key, bool prefix, bool prev_kv, reg_del_resp *out, reg_error *err);
int reg_txn_do(service_registry *r, const reg_txn *txn, reg_txn_resp *out, reg_error *err);
int reg_compact(service_registry *r, reg_rev revision, reg_error *err);

// id 0: the registry picks the smallest id above every id it picked before that is not in use.
int reg_lease_grant(service_registry *r, int64_t ttl_s, reg_lease id, reg_lease *out_id, int64_t *out_ttl,
                    reg_error *err);
int reg_lease_revoke(service_registry *r, reg_lease id, reg_error *err);
int reg_lease_keepalive(service_registry *r, reg_lease id, int64_t *out_ttl, reg_error *err);
int reg_lease_info_get(service_registry *r, reg_lease id, reg_lease_info *out, reg_error *err);

int reg_watch(service_registry *r, const char *key, const reg_watch_opts *opts, int64_t *out_id, reg_error *err);
// The next response of that watch, waiting up to timeout_ms of real time (0 = do not wait).
int reg_watch_next(service_registry *r, int64_t id, int timeout_ms, reg_watch_resp *out, reg_error *err);
int reg_watch_cancel(service_registry *r, int64_t id, reg_error *err);

int reg_register_service(service_registry *r, const reg_service *svc, reg_lease *out_lease, reg_error *err);
int reg_deregister_service(service_registry *r, const char *id, const char *ns, reg_error *err);
int reg_service_heartbeat(service_registry *r, const char *id, const char *ns, reg_error *err);
int reg_service_set_status(service_registry *r, const char *id, const char *ns, reg_status status, reg_error *err);
// tags: every one must be among the instance's; status REG_STATUS_ANY or a reg_status.
int reg_discover(service_registry *r, const char *name, const char *ns, const std::vector<std::string> *tags,
                 int status, std::vector<reg_instance> *out, reg_error *err);
