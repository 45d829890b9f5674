// main.cpp — gossip_node: one SWIM member over UDP on a real network (loopback in the tests).
// Prints "listening on HOST:PORT", then one line per membership change: "member <id> <state>".
// SIGINT/SIGTERM: announce Left to the others, exit 0.
#include "gossip_mesh.h"
#include "nl_opt.h"

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

static const char USAGE[] =
    "usage: gossip_node --id ID [--host 127.0.0.1] [--port 0] [--join HOST:PORT]...\n"
    "                   [--probe-interval MS] [--probe-timeout MS] [--suspicion-mult N]\n"
    "                   [--seed N] [--meta KEY=VALUE]...\n"
    "prints 'listening on HOST:PORT', then 'member <id> <state>' on every membership change\n";

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
    uint64_t port = 0;
    std::vector<std::string> joins;
    std::vector<std::pair<std::string, std::string>> meta;
    gm_config cfg;
    gm_config_default(&cfg);
    char err[256];
    uint64_t probe_interval = cfg.probe_interval_ms, probe_timeout = cfg.probe_timeout_ms,
             suspicion = (uint64_t)cfg.suspicion_multiplier, seed = cfg.seed;
    std::vector<std::string> metas;
    const nl_opt opts[] = {
        {"id", NL_OPT_STRING, &id},
        {"host", NL_OPT_STRING, &host},
        {"port", NL_OPT_U64, &port, 0, 65535},
        {"join", NL_OPT_LIST, &joins},
        {"probe-interval", NL_OPT_U64, &probe_interval, 10, 600000},
        {"probe-timeout", NL_OPT_U64, &probe_timeout, 1, 600000},
        {"suspicion-mult", NL_OPT_U64, &suspicion, 1, 100},
        {"seed", NL_OPT_U64, &seed},
        {"meta", NL_OPT_LIST, &metas},
    };
    int rc = nl_opt_parse(argc, argv, "gossip_node", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (rc != NL_OPT_OK) return rc == NL_OPT_HELP ? 0 : 2;
    cfg.probe_interval_ms = probe_interval;
    cfg.probe_timeout_ms = probe_timeout;
    cfg.suspicion_multiplier = (int)suspicion;
    cfg.seed = seed;
    for (const std::string &kv : metas) {
        size_t eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) return nl_opt_fail("gossip_node", "meta", USAGE, "expects KEY=VALUE");
        meta.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    if (!id) return nl_opt_fail("gossip_node", "id", USAGE, "is required");
    if (cfg.probe_timeout_ms >= cfg.probe_interval_ms) {
        return nl_opt_fail("gossip_node", "probe-timeout", USAGE, "must be shorter than --probe-interval");
    }
    for (const std::string &j : joins) {
        sockaddr_in sa;
        if (!parse_addr(j, &sa)) {
            return nl_opt_fail("gossip_node", "join", USAGE, ("'" + j + "' is not an IPv4 HOST:PORT").c_str());
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
