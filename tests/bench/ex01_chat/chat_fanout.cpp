// chat_fanout.cpp — fan-out load tool: M subscribers in one room (chat_server) or on one channel
// (redis-server SUBSCRIBE), one publisher sending K fixed-size messages with a window of W in flight;
// prints deliveries per second (K*M / time until every subscriber has every message).
//   chat_fanout --proto chat|redis --port P [--subs 1000] [--msgs 2000] [--size 64] [--window 32]
// One thread, epoll. Every delivered frame has a known length, so counting bytes counts messages.
#include "nl_opt.h"
#include "nl_clock.h"
#include "nl_socket.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

struct sub {
    int fd;
    std::string pre;   // bytes before the barrier line
    bool ready;        // barrier seen: from now on, every byte is message frames
    uint64_t bytes;    // message bytes received after the barrier
};

static bool g_chat;

static void die(const char *what)
{
    fprintf(stderr, "chat_fanout: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void send_all(int fd, const std::string &s)
{
    if (nl_write_all(fd, s.data(), s.size()) < 0) die("send");
}

// Blocking read until `needle` has been seen on fd (setup only).
static void read_until(int fd, const char *needle, std::string *buf)
{
    char tmp[65536];
    while (buf->find(needle) == std::string::npos) {
        ssize_t n = recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) die("setup read");
        buf->append(tmp, (size_t)n);
    }
}

int main(int argc, char **argv)
{
    uint64_t port = 0, subs = 1000, msgs = 2000, size = 64, window = 32;
    const char *proto = "chat";
    char err[128];
    static const char USAGE[] = "usage: chat_fanout --proto chat|redis --port P [--subs M] [--msgs K] [--size S] [--window W]\n";
    const nl_opt opts[] = {
        {"proto", NL_OPT_STRING, &proto},
        {"port", NL_OPT_U64, &port, 1, 65535},
        {"subs", NL_OPT_U64, &subs, 1, 100000},
        {"msgs", NL_OPT_U64, &msgs, 1, 10000000},
        {"size", NL_OPT_U64, &size, 1, 60000},
        {"window", NL_OPT_U64, &window, 1, 100000},
    };
    int prc = nl_opt_parse(argc, argv, "chat_fanout", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : 2;
    g_chat = !strcmp(proto, "chat");
    if (!g_chat && strcmp(proto, "redis")) return nl_opt_fail("chat_fanout", "proto", USAGE, "must be chat or redis");
    if (!port) return nl_opt_fail("chat_fanout", "port", USAGE, "is required");
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);

    std::string payload(size, 'x');
    std::string frame, publish;  // what a subscriber receives per message; what the publisher sends
    if (g_chat) {
        frame = "{\"type\":\"message\",\"room\":\"fan\",\"from\":\"pub\",\"content\":\"" + payload + "\"}\n";
        publish = "{\"type\":\"message\",\"room\":\"fan\",\"content\":\"" + payload + "\"}\n";
    } else {
        frame = "*3\r\n$7\r\nmessage\r\n$3\r\nfan\r\n$" + std::to_string(size) + "\r\n" + payload + "\r\n";
        publish = "PUBLISH fan " + payload + "\r\n";
    }

    // Setup: every subscriber in, then the publisher joins last. In chat its user_joined is the
    // last line each subscriber gets before the messages (the barrier); redis sends no such line,
    // so the barrier there is the end of the SUBSCRIBE reply.
    std::vector<sub> s(subs);
    uint64_t t_setup = nl_now_ms();
    for (uint64_t i = 0; i < subs; i++) {
        s[i].fd = nl_connect_tcp("127.0.0.1", (uint16_t)port, err, sizeof err);
        if (s[i].fd < 0) { fprintf(stderr, "chat_fanout: subscriber %lu: %s\n", (unsigned long)i, err); return 1; }
        s[i].ready = false;
        s[i].bytes = 0;
        send_all(s[i].fd, g_chat ? "{\"type\":\"join\",\"room\":\"fan\"}\n" : "SUBSCRIBE fan\r\n");
    }
    for (uint64_t i = 0; i < subs; i++) read_until(s[i].fd, g_chat ? "\"joined\"" : ":1\r\n", &s[i].pre);
    int pub = nl_connect_tcp("127.0.0.1", (uint16_t)port, err, sizeof err);
    if (pub < 0) { fprintf(stderr, "chat_fanout: publisher: %s\n", err); return 1; }
    std::string pubin;
    if (g_chat) {
        send_all(pub, "{\"type\":\"nick\",\"name\":\"pub\"}\n{\"type\":\"join\",\"room\":\"fan\"}\n");
        read_until(pub, "\"joined\"", &pubin);
        pubin.clear();
        for (uint64_t i = 0; i < subs; i++) {
            read_until(s[i].fd, "\"user\":\"pub\"}\n", &s[i].pre);
            size_t end = s[i].pre.find("\"user\":\"pub\"}\n") + strlen("\"user\":\"pub\"}\n");
            s[i].bytes = s[i].pre.size() - end;  // message bytes already behind the barrier (none yet)
        }
    } else {
        for (uint64_t i = 0; i < subs; i++) {
            size_t end = s[i].pre.find(":1\r\n") + 4;
            s[i].bytes = s[i].pre.size() - end;
        }
    }
    for (uint64_t i = 0; i < subs; i++) {
        s[i].ready = true;
        nl_set_nonblock(s[i].fd, true);
    }
    nl_set_nonblock(pub, true);
    fprintf(stderr, "setup: %lu subscribers in %llu ms\n", (unsigned long)subs, (unsigned long long)(nl_now_ms() - t_setup));

    int ep = epoll_create1(0);
    for (uint64_t i = 0; i <= subs; i++) {
        struct epoll_event ev;
        ev.events = EPOLLIN;
        ev.data.u64 = i;  // i == subs: the publisher
        if (epoll_ctl(ep, EPOLL_CTL_ADD, i == subs ? pub : s[i].fd, &ev) < 0) die("epoll_ctl");
    }
    const uint64_t want = msgs * frame.size();
    uint64_t sent = 0, acked = 0, done_subs = 0, delivered_bytes = 0;
    for (auto &x : s) if (x.bytes >= want) done_subs++;
    uint64_t t0 = nl_now_ns(), deadline = nl_now_ms() + 120000;
    std::vector<struct epoll_event> evs(1024);
    std::vector<char> buf(1 << 20);
    while (done_subs < subs) {
        // Keep the window full: acks are the publisher's own reply lines (chat echo, redis :N).
        std::string out;
        while (sent < msgs && sent - acked < window) {
            out += publish;
            sent++;
        }
        if (!out.empty()) {
            nl_set_nonblock(pub, false);
            send_all(pub, out);
            nl_set_nonblock(pub, true);
        }
        if (nl_now_ms() > deadline) {
            fprintf(stderr, "chat_fanout: timeout: %lu/%lu subscribers complete, %lu sent, %lu acked\n",
                    (unsigned long)done_subs, (unsigned long)subs, (unsigned long)sent, (unsigned long)acked);
            return 1;
        }
        int n = epoll_wait(ep, evs.data(), (int)evs.size(), 1000);
        for (int k = 0; k < n; k++) {
            uint64_t i = evs[(size_t)k].data.u64;
            int fd = i == subs ? pub : s[i].fd;
            ssize_t r = recv(fd, buf.data(), buf.size(), 0);
            if (r == 0) { fprintf(stderr, "chat_fanout: the server closed connection %lu\n", (unsigned long)i); return 1; }
            if (r < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                die("recv");
            }
            if (i == subs) {
                for (ssize_t b = 0; b < r; b++)
                    if (buf[(size_t)b] == '\n') acked++;
                continue;
            }
            bool was_done = s[i].bytes >= want;
            s[i].bytes += (uint64_t)r;
            delivered_bytes += (uint64_t)r;
            if (!was_done && s[i].bytes >= want) done_subs++;
        }
    }
    double secs = (double)(nl_now_ns() - t0) / 1e9;
    double deliveries = (double)msgs * (double)subs;
    printf("proto=%s subs=%lu msgs=%lu size=%lu window=%lu secs=%.3f deliveries=%.0f deliveries_per_s=%.0f MBps=%.1f\n",
           proto, (unsigned long)subs, (unsigned long)msgs, (unsigned long)size, (unsigned long)window, secs, deliveries,
           deliveries / secs, (double)delivered_bytes / secs / 1e6);
    for (auto &x : s) close(x.fd);
    close(pub);
    return 0;
}
