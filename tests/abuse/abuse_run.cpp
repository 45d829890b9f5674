// abuse_run.cpp — the six abuses in sequence against one fresh server: each bounded in time, good
// round trips throughout (each within AB_DEADLINE_MS), then the abusers leave and the server's
// descriptors come back to their baseline and its RSS within AB_RSS_SLACK_KIB of it.
#include "abuse.h"
#include "nl_check.h"
#include "nl_testnet.h"
#include "nl_testproc.h"
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <ctime>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

// glibc keeps freed heap for reuse (one arena per thread group: ex00's 10,000 threads leave 30 MiB
// of it behind, ~130 MiB at the peak), so RSS need not fall back to the byte: the slack is half that
// peak, so a leak that keeps what 10,000 clients cost still fails.
enum { AB_RSS_SLACK_KIB = 64 * 1024, AB_SETTLE_MS = 10000, AB_IDLE = 10000, AB_SLOW = 50, AB_HALF = 50 };

static double now_ms_f()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1) break;
    fclose(f);
    return kib;
}

// The state of one test: the server, its good clients, the latencies of the current abuse.
struct ab_ctx {
    const ab_proto *p;
    nl_server srv;
    ab_good good;
    std::vector<double> lat;
    int base_fds = 0;
    long base_rss = 0;
};

// One good round trip; fails the test when it is not answered correctly within the deadline.
#define ab_round(c, ...) ab_round_at(NL_HERE_CTX(__VA_ARGS__), c)
static void ab_round_at(const nl_where &w, ab_ctx *c)
{
    double t0 = now_ms_f();
    std::string err = c->p->good_round(&c->good, AB_DEADLINE_MS);
    double dt = now_ms_f() - t0;
    if (!err.empty()) nl_fail_at(w, "%s: good client: %s (after %.1f ms)", c->p->label, err.c_str(), dt);
    if (dt > (double)AB_DEADLINE_MS) nl_fail_at(w, "%s: good client answered after %.1f ms (bound %d ms)", c->p->label, dt, AB_DEADLINE_MS);
    c->lat.push_back(dt);
}

// Good round trips for ms milliseconds (at least one).
#define ab_rounds_for(c, ms, ...) ab_rounds_for_at(NL_HERE_CTX(__VA_ARGS__), c, ms)
static void ab_rounds_for_at(const nl_where &w, ab_ctx *c, int ms)
{
    double end = now_ms_f() + ms;
    do ab_round_at(w, c);
    while (now_ms_f() < end);
}

struct fds_arg { pid_t pid; int want; };
static bool fds_back(void *a)
{
    fds_arg *f = (fds_arg *)a;
    return nl_proc_fds(f->pid) == f->want;
}

// The abusers have left: descriptors back to the baseline (within AB_SETTLE_MS), RSS within the
// slack, one more good round trip; then the figures line.
#define ab_settle(c, name, ...) ab_settle_at(NL_HERE_CTX(__VA_ARGS__), c, name)
static void ab_settle_at(const nl_where &w, ab_ctx *c, const char *name)
{
    fds_arg f{c->srv.pid, c->base_fds};
    bool back = nl_wait_until(fds_back, &f, AB_SETTLE_MS);
    int fds = nl_proc_fds(c->srv.pid);
    long rss = rss_kib(c->srv.pid);
    ab_round_at(w, c);
    std::vector<double> l = c->lat;
    std::sort(l.begin(), l.end());
    double p50 = l.empty() ? 0 : l[l.size() / 2];
    double p99 = l.empty() ? 0 : l[std::min(l.size() - 1, (size_t)(l.size() * 0.99))];
    double mx = l.empty() ? 0 : l.back();
    printf("abuse: %s %s good n %zu p50 %.2f ms p99 %.2f ms max %.2f ms; fds %d -> %d; rss %.1f -> %.1f MiB\n",
           c->p->label, name, l.size(), p50, p99, mx, c->base_fds, fds, c->base_rss / 1024.0, rss / 1024.0);
    fflush(stdout);
    if (!back) nl_fail_at(w, "%s %s: server descriptors %d, not back to %d within %d ms", c->p->label, name, fds, c->base_fds, AB_SETTLE_MS);
    if (rss > c->base_rss + AB_RSS_SLACK_KIB)
        nl_fail_at(w, "%s %s: server RSS %ld KiB, over baseline %ld + %d KiB", c->p->label, name, rss, c->base_rss, (int)AB_RSS_SLACK_KIB);
    NL_EXPECT_TRUE(nl_server_alive(&c->srv), "%s after %s", c->p->label, name);
    c->lat.clear();
}

static int send_nb(int fd, const char *data, size_t len)
{
    return (int)send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void close_all(std::vector<int> *fds)
{
    for (int fd : *fds) nl_tc_close(fd);
    fds->clear();
}

// Closes with SO_LINGER 0: the peer gets an RST instead of a FIN.
static void close_rst(int fd)
{
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    nl_tc_close(fd);
}

// 1. Slowloris: AB_SLOW clients send a byte a second of a line / handshake that never ends, for 3 s.
static void abuse_slowloris(ab_ctx *c)
{
    std::vector<int> slow;
    for (int i = 0; i < AB_SLOW; i++) {
        int fd = nl_tc_connect(c->srv.port);
        NL_EXPECT_TRUE(fd >= 0, "%s slowloris connect %d", c->p->label, i);
        send_nb(fd, c->p->slow_prefix, strlen(c->p->slow_prefix));
        slow.push_back(fd);
    }
    for (int s = 0; s < 3; s++) {
        for (int fd : slow) send_nb(fd, "a", 1);  // a server that already closed it: ignored
        ab_rounds_for(c, 1000, "%s slowloris second %d", c->p->label, s);
    }
    close_all(&slow);
    ab_settle(c, "slowloris");
}

// 2. AB_IDLE idle connections, all accepted (the server's descriptors count them), good clients served.
static void abuse_idle(ab_ctx *c)
{
    std::vector<int> idle;
    for (int i = 0; i < AB_IDLE; i++) {
        int fd = nl_tc_connect(c->srv.port);
        if (fd < 0) NL_FAIL("%s idle: connect %d of %d failed: %s", c->p->label, i, (int)AB_IDLE, strerror(errno));
        idle.push_back(fd);
        if (i % 1000 == 999) ab_round(c, "%s idle after %d connections", c->p->label, i + 1);
    }
    fds_arg f{c->srv.pid, c->base_fds + AB_IDLE};
    bool all_in = nl_wait_until(fds_back, &f, 10000);
    ab_rounds_for(c, 1000, "%s with %d idle", c->p->label, (int)AB_IDLE);
    if (!all_in)
        NL_FAIL("%s idle: the server holds %d descriptors, expected %d (%d idle accepted)", c->p->label,
                nl_proc_fds(c->srv.pid), c->base_fds + AB_IDLE, (int)AB_IDLE);
    close_all(&idle);
    ab_settle(c, "idle10k");
}

// 3. A client that stops reading while others talk: dropped (where the README says so) or isolated.
static void abuse_nonreader(ab_ctx *c)
{
    int reader = -1, talker_fd = -1;
    ws_client talker;
    NL_EXPECT_TRUE(c->p->nonreader_open(c->srv.port, &reader, &talker, &talker_fd), "%s non-reader setup", c->p->label);
    double end = now_ms_f() + (c->p->nonreader_dropped ? 15000 : 2000);
    bool gone = false;
    while (now_ms_f() < end) {
        int t = c->p->talk(reader, &talker, talker_fd);
        NL_EXPECT_TRUE(t != 0, "%s non-reader: the talker is served", c->p->label);
        ab_round(c, "%s while a client does not read", c->p->label);
        if (c->p->nonreader_dropped && (gone = t == 2)) break;
    }
    if (c->p->nonreader_dropped && !gone) NL_FAIL("%s: the client that does not read was not disconnected within 15 s", c->p->label);
    close_rst(reader);
    if (talker.fd >= 0) ws_close(&talker);
    if (talker_fd >= 0) nl_tc_close(talker_fd);
    ab_settle(c, "nonreader");
}

// 4. Half-closed sockets: AB_HALF clients each send a request then shutdown(SHUT_WR).
static void abuse_half_close(ab_ctx *c)
{
    for (int i = 0; i < AB_HALF; i++) {
        std::string err = c->p->half_close(c->srv.port, AB_DEADLINE_MS);
        if (!err.empty()) NL_FAIL("%s half-close client %d: %s", c->p->label, i, err.c_str());
        ab_round(c, "%s after half-close client %d", c->p->label, i);
    }
    ab_settle(c, "halfclose");
}

// 5. RST in the middle of a message: AB_HALF clients send half a message, then reset.
static void abuse_rst(ab_ctx *c)
{
    std::vector<int> fds;
    for (int i = 0; i < AB_HALF; i++) {
        int fd = c->p->half_message(c->srv.port);
        NL_EXPECT_TRUE(fd >= 0, "%s rst client %d sends half a message", c->p->label, i);
        fds.push_back(fd);
    }
    ab_rounds_for(c, 500, "%s with %d half messages", c->p->label, (int)AB_HALF);
    for (int fd : fds) {
        close_rst(fd);
        ab_round(c, "%s after an RST", c->p->label);
    }
    ab_settle(c, "rst");
}

// 6. Descriptor exhaustion: the server's soft RLIMIT_NOFILE lowered (prlimit) to 8 above what it
// holds, 24 connections opened; then closed and the limit restored: a fresh client is served.
static void abuse_exhaust(ab_ctx *c)
{
    rlimit old;
    NL_EXPECT_TRUE(prlimit(c->srv.pid, RLIMIT_NOFILE, nullptr, &old) == 0, "%s prlimit get", c->p->label);
    rlimit low{(rlim_t)nl_proc_fds(c->srv.pid) + 8, old.rlim_max};
    NL_EXPECT_TRUE(prlimit(c->srv.pid, RLIMIT_NOFILE, &low, nullptr) == 0, "%s prlimit set", c->p->label);
    std::vector<int> fds;
    for (int i = 0; i < 24; i++) {
        int fd = nl_tc_connect(c->srv.port);
        NL_EXPECT_TRUE(fd >= 0, "%s exhaustion connect %d", c->p->label, i);
        fds.push_back(fd);
    }
    if (c->p->busy_on_emfile) {  // ex00 R11: past the limit, the waiting connection is told BUSY
        std::string line;
        int r = nl_tc_read_line(fds.back(), &line, AB_DEADLINE_MS);
        NL_EXPECT_TRUE(r == 1 && line == "BUSY", "%s out of descriptors: the last connection told BUSY (got %d '%s')",
                       c->p->label, r, line.c_str());
    }
    ab_rounds_for(c, 1000, "%s out of descriptors", c->p->label);
    close_all(&fds);
    NL_EXPECT_TRUE(prlimit(c->srv.pid, RLIMIT_NOFILE, &old, nullptr) == 0, "%s prlimit restore", c->p->label);
    std::string err = c->p->probe(c->srv.port, AB_DEADLINE_MS);
    if (!err.empty()) NL_FAIL("%s after exhaustion: a new client: %s", c->p->label, err.c_str());
    ab_settle(c, "exhaustion");
}

void ab_run(const ab_proto *p)
{
    // The idle abuse needs AB_IDLE descriptors here and in the server (which inherits the limit).
    rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_max < AB_IDLE + 200) NL_FAIL("RLIMIT_NOFILE hard limit %lu: the idle abuse needs %d", (unsigned long)rl.rlim_max, AB_IDLE + 200);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    signal(SIGPIPE, SIG_IGN);
    // glibc keeps up to 40 MiB of freed thread stacks for reuse (ex00 ran 10,000 threads): with the
    // cache off, what stays after the abusers leave is what the server itself still holds.
    setenv("GLIBC_TUNABLES", "glibc.pthread.stack_cache_size=0", 1);

    ab_ctx c;
    c.p = p;
    std::vector<std::string> args{"--port", "0"};
    args.insert(args.end(), p->args.begin(), p->args.end());
    NL_EXPECT_TRUE(nl_server_start(&c.srv, p->program, args, 10000) == 0, "%s start", p->label);
    std::string err;
    if (!p->good_open(&c.good, c.srv.port, &err)) NL_FAIL("%s: good clients: %s", p->label, err.c_str());
    ab_round(&c, "%s first round trip", p->label);
    c.base_fds = nl_proc_fds(c.srv.pid);
    c.base_rss = rss_kib(c.srv.pid);
    c.lat.clear();

    abuse_slowloris(&c);
    abuse_idle(&c);
    abuse_nonreader(&c);
    abuse_half_close(&c);
    abuse_rst(&c);
    abuse_exhaust(&c);

    p->good_close(&c.good);
    NL_EXPECT_EQ_INT(nl_server_stop(&c.srv, SIGTERM, 10000), 0, "%s exit status after SIGTERM", p->label);
}
