// main.cpp — gossip_node: one SWIM member over UDP on a real network (loopback in the tests).
// Prints "listening on HOST:PORT", then one line per membership change: "member <id> <state>".
// SIGINT/SIGTERM: announce Left to the others, exit 0.
#include "gossip_mesh.h"

#include "nl_clock.h"
#include "nl_log.h"
#include "nl_signal.h"
#include "nl_socket.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: gossip_node --id ID [--host 127.0.0.1] [--port 0] [--join HOST:PORT]...\n"
               "                   [--probe-interval MS] [--probe-timeout MS] [--suspicion-mult N]\n"
               "                   [--seed N] [--meta KEY=VALUE]...\n"
               "prints 'listening on HOST:PORT', then 'member <id> <state>' on every membership change\n");
}

static bool parse_addr(const std::string &s, sockaddr_in *sa)
{
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return false;
    uint64_t port;
    if (nl_parse_u64(s.c_str() + colon + 1, 1, 65535, &port, nullptr, 0) != 0) return false;
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, s.substr(0, colon).c_str(), &sa->sin_addr) == 1;
}

struct node {
    int fd;
    gm_protocol *proto;
    std::multimap<uint64_t, std::string> timers;   // deadline (monotonic ms) -> timer name
};

static void run(node *n, const gm_actions &acts)
{
    for (const gm_action &a : acts) {
        if (a.type == GM_SEND) {
            sockaddr_in sa;
            if (!parse_addr(a.to, &sa)) {
                nl_warn("cannot send to '%s': not an IPv4 HOST:PORT", a.to.c_str());
                continue;
            }
            std::string bytes = gm_encode(&a.message);
            if (sendto(n->fd, bytes.data(), bytes.size(), 0, (sockaddr *)&sa, sizeof sa) < 0)
                nl_debug("sendto %s: %s", a.to.c_str(), strerror(errno));   // the peer may be gone
        } else if (a.type == GM_SCHEDULE_TIMER) {
            n->timers.emplace(nl_now_ms() + a.delay_ms, a.timer);
        } else {
            printf("member %s %s\n", a.member.c_str(), gm_state_name(a.new_state));
            fflush(stdout);
        }
    }
}

int main(int argc, char **argv)
{
    const char *id = nullptr, *host = "127.0.0.1";
    uint64_t port = 0, v;
    std::vector<std::string> joins;
    std::vector<std::pair<std::string, std::string>> meta;
    gm_config cfg;
    gm_config_default(&cfg);
    char err[256];
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        bool has = i + 1 < argc;
        if (a == "--help") {
            usage(stdout);
            return 0;
        } else if (a == "--id" && has) {
            id = argv[++i];
        } else if (a == "--host" && has) {
            host = argv[++i];
        } else if (a == "--port" && has && nl_parse_u64(argv[i + 1], 0, 65535, &port, err, sizeof err) == 0) {
            i++;
        } else if (a == "--join" && has) {
            joins.push_back(argv[++i]);
        } else if (a == "--probe-interval" && has && nl_parse_u64(argv[i + 1], 10, 600000, &v, err, sizeof err) == 0) {
            cfg.probe_interval_ms = v;
            i++;
        } else if (a == "--probe-timeout" && has && nl_parse_u64(argv[i + 1], 1, 600000, &v, err, sizeof err) == 0) {
            cfg.probe_timeout_ms = v;
            i++;
        } else if (a == "--suspicion-mult" && has && nl_parse_u64(argv[i + 1], 1, 100, &v, err, sizeof err) == 0) {
            cfg.suspicion_multiplier = (int)v;
            i++;
        } else if (a == "--seed" && has && nl_parse_u64(argv[i + 1], 0, UINT64_MAX, &v, err, sizeof err) == 0) {
            cfg.seed = v;
            i++;
        } else if (a == "--meta" && has && strchr(argv[i + 1], '=')) {
            std::string kv = argv[++i];
            meta.emplace_back(kv.substr(0, kv.find('=')), kv.substr(kv.find('=') + 1));
        } else {
            fprintf(stderr, "gossip_node: bad or incomplete argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!id || !*id) {
        fprintf(stderr, "gossip_node: --id is required\n");
        usage(stderr);
        return 2;
    }
    if (cfg.probe_timeout_ms >= cfg.probe_interval_ms) {
        fprintf(stderr, "gossip_node: --probe-timeout must be shorter than --probe-interval\n");
        return 2;
    }
    for (const std::string &j : joins) {
        sockaddr_in sa;
        if (!parse_addr(j, &sa)) {
            fprintf(stderr, "gossip_node: --join '%s' is not an IPv4 HOST:PORT\n", j.c_str());
            return 2;
        }
    }
    if (nl_shutdown_init(err, sizeof err) != 0) {
        fprintf(stderr, "gossip_node: %s\n", err);
        return 1;
    }
    node n{};
    n.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (n.fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 || bind(n.fd, (sockaddr *)&sa, sizeof sa) != 0) {
        fprintf(stderr, "gossip_node: cannot bind UDP %s:%llu: %s\n", host, (unsigned long long)port, strerror(errno));
        return 1;
    }
    uint16_t bound = nl_local_port(n.fd);
    std::string self = std::string(host) + ":" + std::to_string(bound);
    printf("listening on %s\n", self.c_str());
    fflush(stdout);
    n.proto = gm_new(id, self.c_str(), &cfg);
    for (auto &[k, val] : meta) gm_update_metadata(n.proto, k.c_str(), val.c_str());
    run(&n, gm_bootstrap(n.proto, joins));
    uint64_t next_tick = nl_now_ms() + cfg.probe_interval_ms;
    char buf[65536];
    while (!nl_shutdown_requested()) {
        uint64_t now = nl_now_ms();
        while (!n.timers.empty() && n.timers.begin()->first <= now) {
            std::string name = n.timers.begin()->second;
            n.timers.erase(n.timers.begin());
            run(&n, gm_handle_timer(n.proto, name.c_str()));
        }
        if (next_tick <= now) {
            run(&n, gm_tick(n.proto));
            next_tick = now + cfg.probe_interval_ms;
        }
        uint64_t wake = next_tick;
        if (!n.timers.empty() && n.timers.begin()->first < wake) wake = n.timers.begin()->first;
        now = nl_now_ms();
        pollfd pf[2] = {{n.fd, POLLIN, 0}, {nl_shutdown_fd(), POLLIN, 0}};
        int rc = poll(pf, 2, wake > now ? (int)(wake - now) : 0);
        if (rc < 0 && errno != EINTR) {
            fprintf(stderr, "gossip_node: poll: %s\n", strerror(errno));
            break;
        }
        if (rc > 0 && (pf[1].revents & POLLIN)) nl_shutdown_consume();
        if (rc > 0 && (pf[0].revents & POLLIN)) {
            sockaddr_in from{};
            socklen_t fl = sizeof from;
            ssize_t got = recvfrom(n.fd, buf, sizeof buf, 0, (sockaddr *)&from, &fl);
            if (got <= 0) continue;
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
            std::string from_addr = std::string(ip) + ":" + std::to_string(ntohs(from.sin_port));
            gm_message m;
            std::string why;
            if (!gm_decode(buf, (size_t)got, &m, &why)) {
                nl_warn("ignoring a datagram from %s: %s", from_addr.c_str(), why.c_str());
                continue;
            }
            run(&n, gm_handle_message(n.proto, from_addr.c_str(), &m));
        }
    }
    run(&n, gm_leave(n.proto));
    gm_free(n.proto);
    close(n.fd);
    return 0;
}
