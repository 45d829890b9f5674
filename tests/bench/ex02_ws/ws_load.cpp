// ws_load.cpp — a WebSocket load generator (one thread, epoll), the same for every server compared:
//   ws_load --port P --mode echo  [--conns N] [--depth D] [--size B] [--secs S]
//       N clients on /echo, each keeping D text messages of B bytes in flight: round trips/s.
//   ws_load --port P --mode room  [--conns N] [--window W] [--secs S] [--path /ws]
//       N clients join room "bench"; client 0 keeps W room messages in flight, a message counting as
//       done once all N-1 others received it: broadcast deliveries/s.
// Prints one line: "mode=... conns=N rate=R p50_us=.. p99_us=.." (latency: echo round trip, or a
// broadcast's last delivery). Frames are masked, as a client's must be.
#include "nl_clock.h"
#include "nl_opt.h"
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
#include <unordered_map>
#include <vector>

struct wconn {
    int fd = -1;
    bool open = false, joined = false, want_out = false;
    std::string in, out;
    std::deque<uint64_t> sent_at;
};

static int g_ep;
static std::string g_path = "/echo";

static void frame_text(std::string *out, const std::string &payload)
{
    static const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
    size_t n = payload.size();
    out->push_back((char)0x81);
    if (n < 126) {
        out->push_back((char)(0x80 | n));
    } else {
        out->push_back((char)(0x80 | 126));
        out->push_back((char)(n >> 8));
        out->push_back((char)n);
    }
    out->append((const char *)key, 4);
    size_t at = out->size();
    out->append(payload);
    for (size_t i = 0; i < n; i++) (*out)[at + i] = (char)((*out)[at + i] ^ key[i & 3]);
}

static void flush(wconn *c)
{
    while (!c->out.empty()) {
        ssize_t n = send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            c->out.erase(0, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) break;
        fprintf(stderr, "ws_load: send: %s\n", strerror(errno));
        exit(1);
    }
    bool want = !c->out.empty();
    if (want != c->want_out) {
        struct epoll_event ev = {};
        ev.events = EPOLLIN | (want ? (uint32_t)EPOLLOUT : 0u);
        ev.data.ptr = c;
        epoll_ctl(g_ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = want;
    }
}

// Next complete server frame in c->in: 1 with opcode/payload, 0 if incomplete.
static int next_frame(wconn *c, int *op, std::string *payload)
{
    const uint8_t *b = (const uint8_t *)c->in.data();
    size_t have = c->in.size(), hdr = 2;
    if (have < 2) return 0;
    uint64_t len = b[1] & 0x7F;
    if (len == 126) {
        if (have < 4) return 0;
        len = (uint64_t)b[2] << 8 | b[3];
        hdr = 4;
    } else if (len == 127) {
        if (have < 10) return 0;
        len = 0;
        for (int i = 0; i < 8; i++) len = len << 8 | b[2 + i];
        hdr = 10;
    }
    if (have - hdr < len) return 0;
    *op = b[0] & 0x0F;
    payload->assign(c->in, hdr, (size_t)len);
    c->in.erase(0, hdr + (size_t)len);
    return 1;
}

static long content_seq(const std::string &msg)
{
    size_t k = msg.find("\"content\"");
    if (k == std::string::npos) return -1;
    size_t q = msg.find('"', msg.find(':', k) + 1);
    return q == std::string::npos ? -1 : strtol(msg.c_str() + q + 1, nullptr, 10);
}

int main(int argc, char **argv)
{
    static const char USAGE[] =
        "usage: ws_load --port P [--mode echo|room] [--path /p] [--conns N] [--depth D] [--size B] [--window W] [--secs S]\n"
        "  --mode echo   N clients, each keeping D messages of B bytes in flight on /echo: round trips/s\n"
        "  --mode room   N clients in one room (/ws), one sender at a time with W messages in flight: deliveries/s\n";
    uint64_t port = 0, conns_o = 100, depth_o = 1, size_o = 32, window_o = 16;
    double secs = 3;
    const char *mode_s = "echo", *path = nullptr;
    const nl_opt opts[] = {
        {"port", NL_OPT_U64, &port, 1, 65535},
        {"mode", NL_OPT_STRING, &mode_s},
        {"path", NL_OPT_STRING, &path},
        {"conns", NL_OPT_U64, &conns_o, 1, 100000},
        {"depth", NL_OPT_U64, &depth_o, 1, 1024},
        {"size", NL_OPT_U64, &size_o, 1, 1 << 20},
        {"window", NL_OPT_U64, &window_o, 1, 1 << 16},
        {"secs", NL_OPT_DOUBLE, &secs, 0, 0, 0.1, 3600},
    };
    int prc = nl_opt_parse(argc, argv, "ws_load", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : prc;
    int conns = (int)conns_o, depth = (int)depth_o, size = (int)size_o, window = (int)window_o;
    std::string mode = mode_s;
    if (mode != "echo" && mode != "room") return nl_opt_fail("ws_load", "mode", USAGE, "must be echo or room");
    bool room = mode == "room";
    if (path) g_path = path;
    else if (room) g_path = "/ws";
    if (!port) return nl_opt_fail("ws_load", "port", USAGE, "is required");
    if (room && conns < 2) return nl_opt_fail("ws_load", "conns", USAGE, "a room needs 2 clients at least");
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)conns + 64) {
        rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, (rlim_t)conns + 64);
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    g_ep = epoll_create1(0);
    std::vector<wconn> cs((size_t)conns);
    std::string upgrade = "GET " + g_path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    char err[256];
    for (wconn &c : cs) {
        c.fd = nl_connect_tcp("127.0.0.1", (uint16_t)port, err, sizeof err);
        if (c.fd < 0) {
            fprintf(stderr, "ws_load: %s\n", err);
            return 1;
        }
        nl_set_nodelay(c.fd);
        nl_set_nonblock(c.fd, true);
        struct epoll_event ev = {};
        ev.events = EPOLLIN;
        ev.data.ptr = &c;
        epoll_ctl(g_ep, EPOLL_CTL_ADD, c.fd, &ev);
        c.out = upgrade;
        flush(&c);
    }
    std::string body(size > 0 ? (size_t)size : 0, 'e');
    int opened = 0, joined = 0;
    bool running = false;
    uint64_t t0 = 0, t_end = 0, done = 0, deliveries = 0;
    long next_seq = 0;
    std::unordered_map<long, std::pair<int, uint64_t>> pending;  // room: seq -> (deliveries, sent at)
    std::vector<uint64_t> lat;
    auto send_room = [&]() {
        std::string msg = "{\"type\":\"message\",\"room\":\"bench\",\"content\":\"" + std::to_string(next_seq) + "\"}";
        pending[next_seq++] = {0, nl_now_ns()};
        frame_text(&cs[0].out, msg);
        flush(&cs[0]);
    };
    auto start = [&]() {
        running = true;
        t0 = nl_now_ns();
        t_end = t0 + (uint64_t)(secs * 1e9);
        if (room) {
            for (int i = 0; i < window; i++) send_room();
        } else {
            for (wconn &c : cs) {
                for (int i = 0; i < depth; i++) {
                    frame_text(&c.out, body);
                    c.sent_at.push_back(nl_now_ns());
                }
                flush(&c);
            }
        }
    };
    uint64_t setup_deadline = nl_now_ms() + 30000;
    std::vector<struct epoll_event> evs(1024);
    std::string payload;
    for (;;) {
        if (running && nl_now_ns() >= t_end) break;
        if (!running && nl_now_ms() > setup_deadline) {
            fprintf(stderr, "ws_load: setup did not finish in 30 s (%d open, %d joined)\n", opened, joined);
            return 1;
        }
        int n = epoll_wait(g_ep, evs.data(), (int)evs.size(), 100);
        for (int i = 0; i < n; i++) {
            wconn *c = (wconn *)evs[(size_t)i].data.ptr;
            if (evs[(size_t)i].events & EPOLLOUT) flush(c);
            if (!(evs[(size_t)i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            char buf[65536];
            ssize_t r = recv(c->fd, buf, sizeof buf, 0);
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0) {
                fprintf(stderr, "ws_load: a connection closed (%s)\n", r < 0 ? strerror(errno) : "EOF");
                return 1;
            }
            c->in.append(buf, (size_t)r);
            if (!c->open) {
                size_t e = c->in.find("\r\n\r\n");
                if (e == std::string::npos) continue;
                if (c->in.compare(0, 12, "HTTP/1.1 101") != 0) {
                    fprintf(stderr, "ws_load: upgrade refused: %.60s\n", c->in.c_str());
                    return 1;
                }
                c->in.erase(0, e + 4);
                c->open = true;
                opened++;
                if (room) {
                    frame_text(&c->out, "{\"type\":\"join\",\"room\":\"bench\"}");
                    flush(c);
                } else if (opened == conns) {
                    start();
                }
            }
            int op;
            while (next_frame(c, &op, &payload)) {
                if (op == 0x9) {  // answer heartbeats like any client
                    std::string pong;
                    pong.push_back((char)0x8A);
                    pong.push_back((char)(0x80 | payload.size()));
                    pong.append("\0\0\0\0", 4);
                    pong += payload;
                    c->out += pong;
                    flush(c);
                    continue;
                }
                if (op != 0x1 && op != 0x2) continue;
                if (!room) {
                    if (!running || c->sent_at.empty()) continue;
                    uint64_t now = nl_now_ns();
                    lat.push_back(now - c->sent_at.front());
                    c->sent_at.pop_front();
                    done++;
                    frame_text(&c->out, body);
                    c->sent_at.push_back(now);
                    flush(c);
                    continue;
                }
                if (!c->joined && payload.find("joined") != std::string::npos &&
                    payload.find("user_joined") == std::string::npos) {
                    c->joined = true;
                    if (++joined == conns) start();
                    continue;
                }
                long seq = content_seq(payload);
                if (seq < 0 || !running) continue;
                auto it = pending.find(seq);
                if (it == pending.end()) continue;
                deliveries++;
                if (++it->second.first == conns - 1) {
                    lat.push_back(nl_now_ns() - it->second.second);
                    pending.erase(it);
                    done++;
                    send_room();
                }
            }
        }
    }
    double el = (double)(nl_now_ns() - t0) / 1e9;
    std::sort(lat.begin(), lat.end());
    auto pct = [&](double p) { return lat.empty() ? 0 : lat[std::min(lat.size() - 1, (size_t)(p * (double)lat.size()))] / 1000; };
    double rate = (double)(room ? deliveries : done) / el;
    printf("mode=%s conns=%d secs=%.2f rate=%.0f p50_us=%llu p99_us=%llu\n", mode.c_str(), conns, el, rate,
           (unsigned long long)pct(0.5), (unsigned long long)pct(0.99));
    return 0;
}
