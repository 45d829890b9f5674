// sd_peers.h — the EX29 suite's real daemons: etcd, ZooKeeper and dnsmasq, each started by the test
// on loopback in its own temporary folder on free ports, waited for (a real request answered, with
// a deadline), stopped cleanly; and a raw etcd client that checks the store without the submission.
#pragma once
#include <cstdint>
#include <pthread.h>
#include <string>
#include <sys/types.h>
#include <vector>

struct sd_peer {
    const char *what = "";
    pid_t pid = -1;
    uint16_t port = 0;  // the client port (etcd client URL, ZooKeeper clientPort, DNS port)
    std::string dir;    // its temporary folder
};

// Each returns true once the daemon answers (at most 60 s), false with the reason in *why.
bool peer_etcd_start(sd_peer *p, std::string *why);
bool peer_zk_start(sd_peer *p, std::string *why);
// dnsmasq serving exactly the suite's records (see sd_peers.cpp, DNS_RECORDS), authoritative for
// service.local and cluster.local (unknown names there get NXDOMAIN).
bool peer_dns_start(sd_peer *p, std::string *why);
// SIGTERM, then SIGKILL after 10 s; waits for the exit and removes the folder. Safe to call twice.
void peer_stop(sd_peer *p);

// The monotonic clock in ms, and a pause: the suite's deadlines (never a wait for readiness).
long peer_now_ms();
void peer_nap_ms(long ms);

// "127.0.0.1:PORT"
std::string peer_addr(const sd_peer *p);
// A loopback port nothing listens on now (bound then closed).
uint16_t peer_free_port();

// The harness's own etcd client (libcurl, v3 gateway): true when the request succeeded.
bool raw_etcd_put(uint16_t port, const std::string &key, const std::string &value);
// true with *found and *value once the range answered.
bool raw_etcd_get(uint16_t port, const std::string &key, bool *found, std::string *value);
// The keys under prefix, in etcd's order (raw range with range_end).
bool raw_etcd_keys(uint16_t port, const std::string &prefix, std::vector<std::string> *keys);
// The store's current revision.
int64_t raw_etcd_revision(uint16_t port);
// A lease of ttl_s seconds granted by the harness (0 when the request failed), and a put on it.
int64_t raw_etcd_grant(uint16_t port, int64_t ttl_s);
bool raw_etcd_put_lease(uint16_t port, const std::string &key, const std::string &value, int64_t lease);
// Compacts etcd's history up to revision (older revisions can no longer be watched).
bool raw_etcd_compact(uint16_t port, int64_t revision);

// A loopback HTTP server the etcd client sees as a foreign, broken or dead endpoint, on a free port
// (port 0) or on a given one. FAKE_ANSWER: 200 with body; FAKE_CLOSE: reads the request and closes
// without a reply (a reset connection, curl's "empty reply"); FAKE_SILENT: reads the request and never
// answers; FAKE_PARTIAL_RESET: half a reply, then a TCP reset. requests counts the connections taken.
enum fake_mode { FAKE_ANSWER, FAKE_CLOSE, FAKE_SILENT, FAKE_PARTIAL_RESET };
struct fake_http {
    int fd = -1;
    uint16_t port = 0;
    pthread_t th;
    std::string body;
    int mode = FAKE_ANSWER;
    int requests = 0;   // read and written with __atomic builtins (the server thread counts)
    bool stop = false;  // idem: ends a FAKE_SILENT wait
};
bool fake_http_start(fake_http *f, const std::string &body, int mode = FAKE_ANSWER);
// The two halves of fake_http_start: a bound socket that does not listen yet (a connection to it is
// refused, and nobody else can take its port), then the server on it.
bool fake_http_bind(fake_http *f);
bool fake_http_listen(fake_http *f, const std::string &body, int mode);
void fake_http_stop(fake_http *f);
int fake_http_requests(fake_http *f);
// The remaining TTL of a lease in seconds (-1: etcd does not know it; -2: request failed).
int64_t raw_etcd_ttl(uint16_t port, int64_t lease);
