// service_discovery.h — EX29 ServiceDiscoveryOps: a multi-backend service-discovery client that talks
// to real daemons: etcd (v3 JSON gateway), DNS SRV/A (any DNS server, e.g. dnsmasq) and ZooKeeper,
// and a unified discover() over any of them that reports every backend's failure.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Every call returns one of these; a failed call also fills *err (when err is not null) with a
// message naming what failed (endpoint, name, daemon's own words).
enum sd_code {
    SD_OK = 0,
    SD_NOT_FOUND = 1,    // key, lease, name or service does not exist
    SD_EINVAL = 2,       // bad argument (empty or '/'-containing name, TTL < 1, ...)
    SD_UNAVAILABLE = 3,  // no daemon answered (connection refused, reset, DNS server down)
    SD_TIMEOUT = 4,      // the daemon did not answer within the timeout (a watch saw no event)
    SD_PROTOCOL = 5,     // the daemon answered something else than the protocol says
};

// "ok", "not found", "invalid argument", "unavailable", "timeout", "protocol error"; "?" otherwise.
const char *sd_code_name(int code);
// SD_OK when name is a usable service or address name: 1..255 bytes, no '/'; otherwise SD_EINVAL
// with "<what> ...: must be 1..255 bytes without '/'" in *err.
int sd_check_name(const char *what, const char *name, std::string *err);

/* ---------------------------------------------------------------- etcd (v3 JSON gateway) ---- */
struct sd_etcd;

struct sd_kv {
    std::string key, value;
    int64_t create_revision = 0, mod_revision = 0, version = 0, lease = 0;
};

enum sd_event_type { SD_EV_PUT = 0, SD_EV_DELETE = 1 };
struct sd_event {
    int type = SD_EV_PUT;
    std::string key, value;  // value: empty for a delete
    int64_t mod_revision = 0;
};

// endpoints: comma-separated "host:port" or "http://host:port", tried in order (at most 8).
// timeout_ms: the limit of each HTTP request (>= 1). No network I/O happens here.
int sd_etcd_open(sd_etcd **out, const char *endpoints, int timeout_ms, std::string *err);
void sd_etcd_close(sd_etcd *e);  // NULL is allowed

// lease 0 means no lease. *revision (may be null) gets the store's revision after the put.
int sd_etcd_put(sd_etcd *e, const std::string &key, const std::string &value, int64_t lease, int64_t *revision,
                std::string *err);
int sd_etcd_get(sd_etcd *e, const std::string &key, std::string *value, std::string *err);
int sd_etcd_get_prefix(sd_etcd *e, const std::string &prefix, std::vector<sd_kv> *out, std::string *err);
int sd_etcd_delete(sd_etcd *e, const std::string &key, int64_t *deleted, std::string *err);
int sd_etcd_lease_grant(sd_etcd *e, int64_t ttl_s, int64_t *lease, std::string *err);
int sd_etcd_lease_keepalive(sd_etcd *e, int64_t lease, int64_t *ttl_s, std::string *err);
int sd_etcd_lease_revoke(sd_etcd *e, int64_t lease, std::string *err);
// Events on key (or on every key starting with key when prefix) from start_revision on, in
// revision order: returns once max_events (>= 1) were seen, or when timeout_ms passed (SD_OK
// with what was seen, SD_TIMEOUT when nothing was).
int sd_etcd_watch(sd_etcd *e, const std::string &key, bool prefix, int64_t start_revision, size_t max_events,
                  int timeout_ms, std::vector<sd_event> *out, std::string *err);

// The range_end that selects every key starting with prefix (etcd's "prefix + 1"): the last byte
// below 0xff incremented, the 0xff bytes after it dropped; "\0" (every key) when there is none.
std::string sd_prefix_range_end(const std::string &prefix);

// The seed's EtcdServiceRegistry: key "<prefix>/<service>/<address>", value address.
int sd_etcd_register(sd_etcd *e, const char *prefix, const char *service, const char *address, int64_t lease,
                     std::string *err);
int sd_etcd_discover(sd_etcd *e, const char *prefix, const char *service, std::vector<std::string> *out,
                     std::string *err);

/* ---------------------------------------------------------------- DNS (SRV and A) ---------- */
struct sd_dns;

struct sd_srv {
    uint16_t priority = 0, weight = 0, port = 0;
    std::string target;
};
struct sd_endpoint {
    std::string address;  // dotted IPv4
    uint16_t port = 0, priority = 0, weight = 0;
};

// server: "ip:port" of the one DNS server asked (UDP, then TCP on truncation); suffix: the domain
// appended by the discover calls ("service.local"). timeout_ms >= 1 bounds each lookup.
int sd_dns_open(sd_dns **out, const char *server, const char *suffix, int timeout_ms, std::string *err);
void sd_dns_close(sd_dns *d);  // NULL is allowed
int sd_dns_lookup_srv(sd_dns *d, const char *name, std::vector<sd_srv> *out, std::string *err);
int sd_dns_lookup_a(sd_dns *d, const char *name, std::vector<std::string> *out, std::string *err);
// "_<service>._tcp.<suffix>", then an A lookup of every target.
int sd_dns_discover_srv(sd_dns *d, const char *service, std::vector<sd_endpoint> *out, std::string *err);
// "<service>.<suffix>"
int sd_dns_discover_a(sd_dns *d, const char *service, std::vector<std::string> *out, std::string *err);
// "<service>.<ns>.svc.cluster.local"
std::string sd_kubernetes_dns(const char *service, const char *ns);
// Priority ascending, then weight descending, then address, then port (bytewise / numeric).
void sd_endpoint_order(std::vector<sd_endpoint> *v);

/* ---------------------------------------------------------------- ZooKeeper --------------- */
struct sd_zk;

// hosts: "host:port[,host:port]". Waits until the session is connected, at most timeout_ms.
int sd_zk_open(sd_zk **out, const char *hosts, int timeout_ms, std::string *err);
void sd_zk_close(sd_zk *z);  // NULL is allowed; ends the session: its registrations disappear
// An ephemeral znode /services/<service>/<address> holding address (parents created as needed).
int sd_zk_register(sd_zk *z, const char *service, const char *address, std::string *err);
int sd_zk_discover(sd_zk *z, const char *service, std::vector<std::string> *out, std::string *err);

/* ---------------------------------------------------------------- unified discovery ------- */
// One backend of the unified discovery: a name and a discover function over a context.
struct sd_backend {
    const char *name;
    void *ctx;
    int (*discover)(void *ctx, const char *service, std::vector<std::string> *out, std::string *err);
};
sd_backend sd_backend_etcd(sd_etcd *e);  // "etcd": sd_etcd_discover under prefix "/services"
sd_backend sd_backend_zk(sd_zk *z);      // "zookeeper": sd_zk_discover
sd_backend sd_backend_dns(sd_dns *d);    // "dns": sd_dns_discover_srv as "address:port"

enum { SD_MAX_BACKENDS = 8 };
struct sd_unified {
    std::vector<sd_backend> backends;
};
struct sd_backend_error {
    std::string backend;  // the backend's name
    int code = SD_OK;
    std::string message;
};
struct sd_discovery {
    std::vector<std::string> endpoints;
    std::vector<sd_backend_error> errors;
};

void sd_unified_init(sd_unified *u);
int sd_unified_add(sd_unified *u, sd_backend b, std::string *err);
int sd_unified_discover(const sd_unified *u, const char *service, sd_discovery *out);
