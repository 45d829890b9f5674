// nl_loadgen.cpp — a load generator for line protocols: N connections, each keeping `depth` requests
// in flight (pipelining), for a duration; prints requests/s and p50/p99 latency of the replies.
//   nl_loadgen --port P [--host 127.0.0.1] [--conns N] [--depth D] [--secs S] [--request 'hello\n']
// One reply line ("\n"-terminated) is expected per request. One thread, epoll: the generator must
// not need a thread per connection to drive a thread-per-connection server.
#include "nl_opt.h"
#include "nl_clock.h"
#include "nl_socket.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

struct conn {
    int fd;
    std::deque<uint64_t> sent_at;  // send time of each request still waiting for its reply
    std::string in;
    uint64_t replies;
};

static std::string unescape(const char *s)
{
    std::string out;
    for (; *s; s++) {
        if (*s == '\\' && s[1] == 'n') out += '\n', s++;
        else if (*s == '\\' && s[1] == 'r') out += '\r', s++;
        else out += *s;
    }
    return out;
}

static void raise_nofile(size_t need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur < need) fprintf(stderr, "nl_loadgen: warning: fd limit %lu < %zu needed\n", (unsigned long)rl.rlim_cur, need);
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    uint64_t port = 0, conns = 1, depth = 1, secs = 3;
    std::string request = "hello\n";
    char err[256];
    static const char USAGE[] = "usage: nl_loadgen --port P [--host H] [--conns N] [--depth D] [--secs S] [--request 'line\\n']\n";
    const char *req = nullptr;
    const nl_opt opts[] = {
        {"host", NL_OPT_STRING, &host},
        {"port", NL_OPT_U64, &port, 1, 65535},
        {"conns", NL_OPT_U64, &conns, 1, 100000},
        {"depth", NL_OPT_U64, &depth, 1, 1024},
        {"secs", NL_OPT_U64, &secs, 1, 3600},
        {"request", NL_OPT_STRING, &req},
    };
    int prc = nl_opt_parse(argc, argv, "nl_loadgen", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : 2;
    if (req) request = unescape(req);
    if (!port) return nl_opt_fail("nl_loadgen", "port", USAGE, "is required");
    raise_nofile(conns + 16);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    std::vector<conn> cs(conns);
    std::string batch;
    for (uint64_t i = 0; i < depth; i++) batch += request;
    uint64_t start = nl_now_ns();
    for (uint64_t i = 0; i < conns; i++) {
        int fd = nl_connect_tcp(host, (uint16_t)port, err, sizeof err);
        if (fd < 0) { fprintf(stderr, "nl_loadgen: connection %lu: %s\n", (unsigned long)i, err); return 1; }
        nl_set_nodelay(fd);
        cs[i].fd = fd;
        cs[i].replies = 0;
        struct epoll_event ev = {EPOLLIN, {.u64 = i}};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        uint64_t now = nl_now_ns();
        if (nl_write_all(fd, batch.data(), batch.size()) < 0) { perror("nl_loadgen: send"); return 1; }
        for (uint64_t k = 0; k < depth; k++) cs[i].sent_at.push_back(now);
    }
    uint64_t t0 = nl_now_ns(), deadline = t0 + secs * 1000000000ull;
    std::vector<uint32_t> lat_us;
    lat_us.reserve(1 << 20);
    uint64_t done = 0;
    std::vector<struct epoll_event> evs(1024);
    char buf[65536];
    while (nl_now_ns() < deadline) {
        int n = epoll_wait(ep, evs.data(), (int)evs.size(), 100);
        if (n < 0 && errno == EINTR) continue;
        for (int e = 0; e < n; e++) {
            conn &c = cs[evs[e].data.u64];
            ssize_t r = recv(c.fd, buf, sizeof buf, 0);
            if (r <= 0) { fprintf(stderr, "nl_loadgen: server closed a connection (%s)\n", r ? strerror(errno) : "EOF"); return 1; }
            c.in.append(buf, (size_t)r);
            size_t pos = 0, nl;
            std::string again;
            uint64_t now = nl_now_ns();
            while ((nl = c.in.find('\n', pos)) != std::string::npos) {
                pos = nl + 1;
                if (c.sent_at.empty()) { fprintf(stderr, "nl_loadgen: more replies than requests\n"); return 1; }
                lat_us.push_back((uint32_t)std::min<uint64_t>((now - c.sent_at.front()) / 1000, UINT32_MAX));
                c.sent_at.pop_front();
                c.replies++;
                done++;
                again += request;  // keep `depth` requests in flight
            }
            c.in.erase(0, pos);
            if (!again.empty()) {
                if (nl_write_all(c.fd, again.data(), again.size()) < 0) { perror("nl_loadgen: send"); return 1; }
                for (size_t k = 0; k < again.size() / request.size(); k++) c.sent_at.push_back(now);
            }
        }
    }
    double elapsed = (double)(nl_now_ns() - t0) / 1e9;
    uint64_t served = 0;
    for (conn &c : cs) {
        if (c.replies) served++;
        close(c.fd);
    }
    std::sort(lat_us.begin(), lat_us.end());
    auto pct = [&](double p) { return lat_us.empty() ? 0u : lat_us[std::min(lat_us.size() - 1, (size_t)(p * (double)lat_us.size()))]; };
    printf("conns=%lu served=%lu depth=%lu requests=%lu secs=%.2f rps=%.0f p50_us=%u p99_us=%u connect_ms=%.0f\n",
           (unsigned long)conns, (unsigned long)served, (unsigned long)depth, (unsigned long)done, elapsed,
           (double)done / elapsed, pct(0.50), pct(0.99), (double)(t0 - start) / 1e6);
    return 0;
}
