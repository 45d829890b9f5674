// test_dns.cpp — EX29 DNS discovery against a real dnsmasq on a free loopback port serving the
// records of sd_peers.cpp (DNS_RECORDS); the Kubernetes name; a DNS server that is not there.
#include "ex29_tests.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <time.h>

void test_dns_based(void **);
void test_dns_srv_records(void **);
void test_dns_a_records(void **);
void test_dns_not_found(void **);
void test_dns_unavailable(void **);
void test_kubernetes_dns(void **);
void test_endpoint_order(void **);

static sd_dns *open_dns(const std::string &server, const char *suffix, int timeout_ms = T_MS)
{
    sd_dns *d = nullptr;
    std::string err;
    int rc = sd_dns_open(&d, server.c_str(), suffix, timeout_ms, &err);
    if (rc != SD_OK || !d) NL_FAIL("sd_dns_open(\"%s\", \"%s\"): expected SD_OK, got %d (%s)", server.c_str(), suffix, rc, err.c_str());
    return d;
}

static std::string eps_text(const std::vector<sd_endpoint> &v)
{
    std::string s;
    for (const sd_endpoint &e : v)
        s += e.address + ":" + std::to_string(e.port) + " p" + std::to_string(e.priority) + " w" + std::to_string(e.weight) + ";";
    return s;
}

void test_dns_based(void **)
{
    sd_peer p;
    START_PEER(peer_dns_start, p);
    sd_dns *d = open_dns(peer_addr(&p), "service.local");
    std::vector<sd_endpoint> eps(1);
    std::string err;
    NL_EXPECT_EQ_INT(sd_dns_discover_srv(d, "web", &eps, &err), SD_OK, "discover_srv web (%s)", err.c_str());
    NL_EXPECT_STREQ(eps_text(eps), "10.0.0.2:8082 p10 w90;9.0.0.1:8082 p10 w90;127.0.0.11:8080 p10 w60;127.0.0.12:8081 p20 w5;",
                    "endpoints of _web._tcp.service.local (nodeless.service.local has no A record)");
    sd_dns_close(d);
    peer_stop(&p);
}

void test_dns_srv_records(void **)
{
    sd_peer p;
    START_PEER(peer_dns_start, p);
    sd_dns *d = open_dns(peer_addr(&p), "ignored.suffix");
    std::vector<sd_srv> recs(1);
    std::string err;
    NL_EXPECT_EQ_INT(sd_dns_lookup_srv(d, "_web._tcp.service.local", &recs, &err), SD_OK, "lookup_srv (%s)", err.c_str());
    std::vector<std::string> got;
    for (const sd_srv &r : recs)
        got.push_back(r.target + " " + std::to_string(r.port) + " p" + std::to_string(r.priority) + " w" + std::to_string(r.weight));
    std::sort(got.begin(), got.end());
    NL_EXPECT_STREQ(ex29_join(got), ex29_join({"node1.service.local 8080 p10 w60", "node2.service.local 8081 p20 w5",
                                               "node3.service.local 8082 p10 w90", "nodeless.service.local 8083 p5 w1"}),
                    "the 4 SRV records of _web._tcp.service.local (sorted here)");
    NL_EXPECT_EQ_INT(sd_dns_lookup_srv(d, "_pay._tcp.service.local", &recs, &err), SD_OK, "lookup_srv _pay");
    NL_EXPECT_EQ_INT(recs.size(), 1, "records of _pay (the list is replaced)");
    NL_EXPECT_STREQ(recs[0].target, "pay1.service.local", "target of _pay");
    sd_dns_close(d);
    peer_stop(&p);
}

void test_dns_a_records(void **)
{
    sd_peer p;
    START_PEER(peer_dns_start, p);
    sd_dns *d = open_dns(peer_addr(&p), "service.local");
    std::vector<std::string> ips(1, "stale");
    std::string err;
    NL_EXPECT_EQ_INT(sd_dns_discover_a(d, "api", &ips, &err), SD_OK, "discover_a api (%s)", err.c_str());
    NL_EXPECT_STREQ(ex29_join(ips), ex29_join({"10.0.0.5"}), "discover_a api = api.service.local");
    NL_EXPECT_EQ_INT(sd_dns_lookup_a(d, "node3.service.local", &ips, &err), SD_OK, "lookup_a node3 (%s)", err.c_str());
    NL_EXPECT_STREQ(ex29_join(ips), ex29_join({"9.0.0.1", "10.0.0.2"}), "two A records, in numeric order");
    NL_EXPECT_EQ_INT(sd_dns_lookup_a(d, "many.service.local", &ips, &err), SD_OK, "lookup_a many (%s)", err.c_str());
    std::vector<std::string> many;
    for (int i = 1; i <= 40; i++) many.push_back("10.0.3." + std::to_string(i));
    NL_EXPECT_STREQ(ex29_join(ips), ex29_join(many), "the 40 A records of many.service.local, in numeric order");
    sd_dns_close(d);
    d = open_dns(peer_addr(&p), "cluster.local");
    NL_EXPECT_EQ_INT(sd_dns_discover_a(d, "ms1", &ips, &err), SD_OK, "discover_a ms1 under cluster.local (%s)", err.c_str());
    NL_EXPECT_STREQ(ex29_join(ips), ex29_join({"127.0.0.21"}), "ms1.cluster.local");
    sd_dns_close(d);
    peer_stop(&p);
}

void test_dns_not_found(void **)
{
    sd_peer p;
    START_PEER(peer_dns_start, p);
    sd_dns *d = open_dns(peer_addr(&p), "service.local");
    std::vector<std::string> ips(1, "kept");
    std::vector<sd_endpoint> eps;
    std::string err;
    NL_EXPECT_EQ_INT(sd_dns_discover_a(d, "nope", &ips, &err), SD_NOT_FOUND, "discover_a of a name with no record");
    NL_EXPECT_TRUE(!err.empty(), "a message after SD_NOT_FOUND");
    NL_EXPECT_EQ_INT(sd_dns_discover_srv(d, "nope", &eps, &err), SD_NOT_FOUND, "discover_srv of a service with no SRV record");
    err.clear();
    NL_EXPECT_EQ_INT(sd_dns_discover_srv(d, "ghost", &eps, &err), SD_NOT_FOUND, "discover_srv whose only target has no address");
    NL_EXPECT_TRUE(!err.empty(), "a message when no target of ghost has an address");
    NL_EXPECT_EQ_INT(sd_dns_lookup_a(d, "_web._tcp.service.local", &ips, &err), SD_NOT_FOUND, "A lookup of a name that has only SRV");
    NL_EXPECT_EQ_INT(sd_dns_discover_srv(d, "a/b", &eps, &err), SD_EINVAL, "discover_srv of 'a/b'");
    NL_EXPECT_EQ_INT(sd_dns_discover_a(d, "", &ips, &err), SD_EINVAL, "discover_a of ''");
    sd_dns_close(d);
    peer_stop(&p);
}

void test_dns_unavailable(void **)
{
    std::string err;
    sd_dns *d = (sd_dns *)&d;
    NL_EXPECT_EQ_INT(sd_dns_open(&d, "not-an-address", "service.local", 1000, &err), SD_EINVAL, "open with server 'not-an-address'");
    NL_EXPECT_TRUE(d == nullptr, "*out after a refused open");
    NL_EXPECT_TRUE(!err.empty(), "a message for server 'not-an-address'");
    err.clear();
    NL_EXPECT_EQ_INT(sd_dns_open(&d, "127.0.0.1:53", "service.local", 0, &err), SD_EINVAL, "open with a 0 ms timeout");
    NL_EXPECT_EQ_INT(sd_dns_open(&d, nullptr, "service.local", 1000, &err), SD_EINVAL, "open with no server");
    NL_EXPECT_TRUE(!err.empty(), "a message for an open with no server");
    NL_EXPECT_EQ_INT(sd_dns_open(&d, "127.0.0.1:53", nullptr, 1000, &err), SD_EINVAL, "open with no suffix");
    NL_EXPECT_TRUE(d == nullptr, "*out after an open with no suffix");
    NL_EXPECT_EQ_INT(sd_dns_open(&d, "127.0.0.1:53", "service.local", 1, &err), SD_OK, "open with a 1 ms timeout (%s)", err.c_str());
    NL_EXPECT_TRUE(d != nullptr, "a handle with a 1 ms timeout");
    sd_dns_close(d);
    // Nothing on the port: the kernel refuses the datagram at once.
    std::string refusing = "127.0.0.1:" + std::to_string(peer_free_port());
    d = open_dns(refusing, "service.local", 1000);
    std::vector<sd_endpoint> eps;
    long t0 = peer_now_ms();
    NL_EXPECT_EQ_INT(sd_dns_discover_srv(d, "web", &eps, &err), SD_UNAVAILABLE, "discover_srv with nothing on the server's port");
    NL_EXPECT_TRUE(peer_now_ms() - t0 < 6000, "the refusal within the 1 s timeout, plus slack (took %ld ms)", peer_now_ms() - t0);
    NL_EXPECT_CONTAINS(err, refusing, "the message names the server that is not there");
    sd_dns_close(d);
    // A socket that reads every query and never answers: the lookup times out.
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(fd, (sockaddr *)&a, sizeof a) || getsockname(fd, (sockaddr *)&a, &len)) NL_FAIL("could not bind a UDP socket");
    std::string mute = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
    d = open_dns(mute, "service.local", 1500);
    t0 = peer_now_ms();
    std::vector<std::string> ips(1, "kept");
    NL_EXPECT_EQ_INT(sd_dns_discover_a(d, "api", &ips, &err), SD_TIMEOUT, "discover_a from a server that never answers");
    long took = peer_now_ms() - t0;
    // One try: after the 1500 ms timeout, and well before a second try would end (3000 ms).
    NL_EXPECT_TRUE(took >= 1400 && took < 2900, "the time-out after the 1500 ms timeout, one try (took %ld ms)", took);
    NL_EXPECT_CONTAINS(err, mute, "the time-out's message names the server");
    NL_EXPECT_STREQ(ex29_join(ips), ex29_join({"kept"}), "*out after SD_TIMEOUT");
    close(fd);
    sd_dns_close(d);
    sd_dns_close(nullptr);
}

void test_kubernetes_dns(void **)
{
    NL_EXPECT_STREQ(sd_kubernetes_dns("api", "production"), "api.production.svc.cluster.local", "kubernetes_dns(api, production)");
    NL_EXPECT_STREQ(sd_kubernetes_dns("db-0", "default"), "db-0.default.svc.cluster.local", "kubernetes_dns(db-0, default)");
}

void test_endpoint_order(void **)
{
    std::vector<sd_endpoint> v = {{"10.0.0.1", 80, 1, 5}, {"10.0.0.1", 81, 0, 5}, {"10.0.0.2", 80, 0, 9},
                                  {"10.0.0.1", 79, 0, 5}, {"9.0.0.1", 80, 0, 5},  {"10.0.0.3", 80, 1, 7}};
    sd_endpoint_order(&v);
    NL_EXPECT_STREQ(eps_text(v), "10.0.0.2:80 p0 w9;10.0.0.1:79 p0 w5;10.0.0.1:81 p0 w5;9.0.0.1:80 p0 w5;10.0.0.3:80 p1 w7;10.0.0.1:80 p1 w5;",
                    "priority up, weight down, then address (bytewise), then port");
    // Equal endpoints (two SRV records whose targets share an address) sort together, among others.
    std::vector<sd_endpoint> w;
    std::string want;
    for (int i = 0; i < 40; i++) w.push_back(i % 8 ? sd_endpoint{"10.0.0.5", 80, 1, 1} : sd_endpoint{"10.0.0." + std::to_string(9 - i / 8), 80, 1, 1});
    sd_endpoint_order(&w);
    for (int i = 5; i <= 9; i++) want += "10.0.0." + std::to_string(i) + ":80 p1 w1;";
    for (int i = 0; i < 35; i++) want.insert(want.find("10.0.0.6:"), "10.0.0.5:80 p1 w1;");
    NL_EXPECT_STREQ(eps_text(w), want, "35 equal endpoints among 5 others");
}
