// kv_cluster.cpp — EX13 test harness: raft_kv processes, their folders, proxies and a client.
#include "kv_cluster.h"

#include "nl_tcpproxy.h"
#include "nl_testnet.h"

#include <arpa/inet.h>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/wait.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

// A port a node binds later, by number. A port the kernel hands out (bind to 0) is an ephemeral one,
// which any connect() of the test or of another node may take as its source port before the node
// binds it (it then exits with "raft_start: address in use": 1 run in 20 under load). So the port is
// drawn below the ephemeral range, where only explicit binds go, and checked free by a bind.
uint16_t kvc_free_port(void)
{
    unsigned lo = 32768, hi = 60999;
    if (FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r")) {
        if (fscanf(f, "%u %u", &lo, &hi) != 2) lo = 32768;
        fclose(f);
    }
    const unsigned first = 10000;
    static unsigned seed = (unsigned)getpid() ^ (unsigned)now_ms();
    for (int tries = 0; lo > first + 100 && tries < 200; tries++) {
        uint16_t port = (uint16_t)(first + rand_r(&seed) % (lo - first));
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
        if (fd >= 0) close(fd);
        if (ok) return port;
    }
    // No room below the ephemeral range: the kernel's choice, with its small race.
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    uint16_t port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

kv_cluster *kvc_new(int n, bool proxied)
{
    kv_cluster *c = new kv_cluster;
    char tmpl[] = "/tmp/netlab-ex13.XXXXXX";
    if (mkdtemp(tmpl))
        c->root = tmpl;
    c->proxied = proxied;
    for (int i = 0; i < n; i++) {
        kv_node *nd = new kv_node;
        nd->id = (uint64_t)i + 1;
        nd->raft_port = kvc_free_port();
        nd->dir = c->root + "/n" + std::to_string(i + 1);
        if (proxied)
            nd->proxy = nl_tcpproxy_start(nd->raft_port, nl_tcpproxy_raft_peer_id);
        c->nodes.push_back(nd);
    }
    return c;
}

std::string kvc_raft_address(kv_cluster *c, int idx)
{
    kv_node *nd = c->nodes[idx];
    uint16_t p = nd->proxy ? nl_tcpproxy_port(nd->proxy) : nd->raft_port;
    return "127.0.0.1:" + std::to_string(p);
}

bool kvc_start(kv_cluster *c, int idx, bool bootstrap, std::string *why)
{
    kv_node *nd = c->nodes[idx];
    std::vector<std::string> args = {"--id", std::to_string(nd->id), "--data-dir", nd->dir, "--port", "0",
                                     "--raft-port", std::to_string(nd->raft_port),
                                     "--election-ms", std::to_string(nd->election_ms ? nd->election_ms : c->election_ms),
                                     "--heartbeat-ms", std::to_string(c->heartbeat_ms)};
    if (nd->proxy) {
        args.push_back("--raft-address");
        args.push_back(kvc_raft_address(c, idx));
    }
    if (c->snapshot_every) {
        args.push_back("--snapshot-every");
        args.push_back(std::to_string(c->snapshot_every));
    }
    if (bootstrap)
        args.push_back("--bootstrap");
    nd->srv = nl_server();
    if (nl_server_start(&nd->srv, "raft_kv", args, 15000) != 0) {
        if (why)
            *why = "node " + std::to_string(nd->id) + " did not print its listening line within 15 s";
        return false;
    }
    pthread_mutex_lock(&c->mu);
    nd->client_port = nd->srv.port;
    nd->up = true;
    pthread_mutex_unlock(&c->mu);
    return true;
}

static bool mark_down(kv_cluster *c, kv_node *nd)
{
    pthread_mutex_lock(&c->mu);
    bool was = nd->up;
    nd->up = false;
    nd->client_port = 0;
    pthread_mutex_unlock(&c->mu);
    return was;
}

void kvc_kill(kv_cluster *c, int idx)
{
    kv_node *nd = c->nodes[idx];
    if (mark_down(c, nd))
        nl_server_stop(&nd->srv, SIGKILL, 10000);
}

bool kvc_stop(kv_cluster *c, int idx, std::string *how)
{
    kv_node *nd = c->nodes[idx];
    if (!mark_down(c, nd))
        return true;
    int rc = nl_server_stop(&nd->srv, SIGTERM, 15000);
    if (rc != 0 && how) {
        if (!nd->srv.exited)
            *how = "still running 15 s after SIGTERM";
        else if (WIFSIGNALED(nd->srv.status))
            *how = std::string("killed by signal ") + strsignal(WTERMSIG(nd->srv.status));
        else
            *how = "exit status " + std::to_string(WEXITSTATUS(nd->srv.status));
    }
    return rc == 0;
}

uint16_t kvc_port(kv_cluster *c, int idx)
{
    pthread_mutex_lock(&c->mu);
    uint16_t p = c->nodes[(size_t)idx]->up ? c->nodes[(size_t)idx]->client_port : 0;
    pthread_mutex_unlock(&c->mu);
    return p;
}

static int rm_entry(const char *path, const struct stat *, int, struct FTW *)
{
    remove(path);
    return 0;
}

void kvc_destroy(kv_cluster *c)
{
    for (size_t i = 0; i < c->nodes.size(); i++) {
        kv_node *nd = c->nodes[i];
        if (mark_down(c, nd))
            nl_server_stop(&nd->srv, SIGTERM, 10000);
        if (nd->proxy)
            nl_tcpproxy_stop(nd->proxy);
        delete nd;
    }
    if (!c->root.empty())
        nftw(c->root.c_str(), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    delete c;
}

std::string kvc_call(uint16_t port, const std::string &line, int timeout_ms)
{
    int fd = nl_tc_connect(port);
    if (fd < 0)
        return "";
    std::string reply;
    if (nl_tc_send(fd, line + "\n") != 0 || nl_tc_read_line(fd, &reply, timeout_ms) != 1)
        reply.clear();
    nl_tc_close(fd);
    return reply;
}

std::string kvc_status_field(const std::string &status, const char *name)
{
    std::string pat = std::string(" ") + name + "=";
    size_t p = status.find(pat);
    if (p == std::string::npos)
        return "";
    p += pat.size();
    size_t e = status.find(' ', p);
    return status.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

int kvc_wait_leader(kv_cluster *c, int timeout_ms, const std::string &want_members, int exclude)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    do {
        for (size_t i = 0; i < c->nodes.size(); i++) {
            uint16_t port = kvc_port(c, (int)i);
            if (!port || (int)i == exclude)
                continue;
            std::string s = kvc_call(port, "STATUS", 2000);
            if (kvc_status_field(s, "state") == "leader" &&
                (want_members.empty() || kvc_status_field(s, "members") == want_members))
                return (int)i;
        }
        pause_ms(20);
    } while (now_ms() < deadline);
    return -1;
}

static int index_of_id(kv_cluster *c, uint64_t id)
{
    for (size_t i = 0; i < c->nodes.size(); i++)
        if (c->nodes[i]->id == id)
            return (int)i;
    return -1;
}

// The index of a live node whose STATUS says leader (one pass, no wait), else fallback.
static int find_leader(kv_cluster *c, int fallback)
{
    for (size_t i = 0; i < c->nodes.size(); i++) {
        uint16_t port = kvc_port(c, (int)i);
        if (port && kvc_status_field(kvc_call(port, "STATUS", 1000), "state") == "leader")
            return (int)i;
    }
    return fallback;
}

std::string kvc_request(kv_cluster *c, int *hint, const std::string &line, int timeout_ms)
{
    uint64_t deadline = now_ms() + (uint64_t)timeout_ms;
    int target = *hint >= 0 && *hint < (int)c->nodes.size() ? *hint : find_leader(c, 0);
    size_t tries = 0;
    while (now_ms() < deadline) {
        uint16_t port = kvc_port(c, target);
        std::string reply;
        bool answered = false;
        if (port) {
            int left = (int)(deadline - now_ms());
            int fd = nl_tc_connect(port);
            if (fd >= 0) {
                // Sent but unanswered means unknown: the caller decides, never a silent retry.
                if (nl_tc_send(fd, line + "\n") == 0) {
                    answered = true;
                    if (nl_tc_read_line(fd, &reply, left > 0 ? left : 1) != 1)
                        reply.clear();
                }
                nl_tc_close(fd);
            }
        }
        if (answered && reply.empty())
            return "";
        if (reply.rfind("REDIRECT ", 0) == 0) {
            int idx = index_of_id(c, strtoull(reply.c_str() + 9, nullptr, 10));
            if (idx >= 0 && idx != target && kvc_port(c, idx)) {
                target = idx;
                continue;
            }
        } else if (!reply.empty() && reply != "ERR no leader") {
            *hint = target;
            return reply;
        }
        // No answer, no leader known, or a redirect to a dead node: ask the nodes who leads now, so
        // requests go to a leader and never depend on what a follower would have answered.
        target = find_leader(c, (target + 1) % (int)c->nodes.size());
        if (++tries % c->nodes.size() == 0)
            pause_ms(20);
    }
    return "";
}

bool kvc_form(kv_cluster *c, std::string *why)
{
    if (c->root.empty()) {
        *why = "cannot create a temporary folder";
        return false;
    }
    if (!kvc_start(c, 0, true, why))
        return false;
    for (size_t i = 1; i < c->nodes.size(); i++)
        if (!kvc_start(c, (int)i, false, why))
            return false;
    if (kvc_wait_leader(c, 8000) < 0) {
        *why = "node 1 did not become leader of its one-node cluster within 8 s";
        return false;
    }
    std::string members = "1";
    for (size_t i = 1; i < c->nodes.size(); i++) {
        std::string line = "ADD " + std::to_string(c->nodes[i]->id) + " " + kvc_raft_address(c, (int)i);
        int hint = -1;
        std::string r = kvc_request(c, &hint, line, 20000);
        if (r != "OK") {
            *why = "'" + line + "' answered '" + r + "', expected OK";
            return false;
        }
        members += "," + std::to_string(c->nodes[i]->id);
    }
    if (kvc_wait_leader(c, 8000, members) < 0) {
        *why = "no leader reports members=" + members + " within 8 s of the last ADD";
        return false;
    }
    return true;
}
