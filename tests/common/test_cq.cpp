// test_cq.cpp — nl_cq (the completion loop) on both backends: each case runs as test_cq_<case>_epoll
// and _uring. Every exchange is checked byte for byte; "no callback" is checked over a counted
// number of loop turns (a chain of 0 ms timers), never by sleeping.
#include "common_tests.h"
#include "nl_cq.h"
#include "nl_cq_internal.h"
#include "nl_socket.h"

#include <cerrno>
#include <cstring>
#include <map>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#define CQ_TEST(c)                                                 \
    static void c(nl_backend b);                                   \
    void test_cq_##c##_epoll(void **) { c(NL_BACKEND_EPOLL); }     \
    void test_cq_##c##_uring(void **) { c(NL_BACKEND_URING); }     \
    static void c(nl_backend b)

static const int WATCHDOG_MS = 10000;

static nl_cq *make_cq(nl_backend b)
{
    char err[256] = "";
    nl_cq *q = nl_cq_create(b, err, sizeof err);
    if (!q) fail_msg("nl_cq_create(%s): %s", nl_backend_name(b), err);
    assert_int_equal(nl_cq_backend(q), b);
    return q;
}

static void watchdog_cb(nl_cq *q, uint64_t, void *arg)
{
    *(bool *)arg = true;
    nl_cq_stop(q);
}

static void run_until_stopped(nl_cq *q)
{
    bool fired = false;
    uint64_t wd = nl_cq_timer(q, WATCHDOG_MS, watchdog_cb, &fired);
    assert_int_equal(nl_cq_run(q), 0);
    nl_cq_cancel(q, wd);
    if (fired) fail_msg("the loop was not stopped within %d ms: an expected completion never came", WATCHDOG_MS);
}

struct turns { int left; };
static void turn_cb(nl_cq *q, uint64_t, void *arg)
{
    turns *t = (turns *)arg;
    if (--t->left <= 0) nl_cq_stop(q);
    else nl_cq_timer(q, 0, turn_cb, arg);
}
static void run_turns(nl_cq *q, int n)
{
    turns t = {n};
    nl_cq_timer(q, 0, turn_cb, &t);
    run_until_stopped(q);
}

struct conn {            // what one connection's callbacks saw
    std::string got;
    int eofs = 0, errors = 0, last_err = 0;
    int drained = 0, send_errors = 0, send_err = 0;
    size_t stop_at = 0;  // stop the loop once this many bytes arrived
    bool echo = false;   // send back what arrives
    bool close_on_eof = false;
};

static void conn_recv(nl_cq *q, int fd, const char *data, ssize_t n, void *arg)
{
    conn *c = (conn *)arg;
    if (n > 0) {
        c->got.append(data, (size_t)n);
        if (c->echo) assert_int_equal(nl_cq_send(q, fd, data, (size_t)n), 0);
        if (c->stop_at && c->got.size() >= c->stop_at) nl_cq_stop(q);
        return;
    }
    if (n == 0) c->eofs++;
    else {
        c->errors++;
        c->last_err = (int)-n;
    }
    if (c->close_on_eof) nl_cq_close(q, fd);
    nl_cq_stop(q);
}

static void conn_sent(nl_cq *q, int, int err, void *arg)
{
    conn *c = (conn *)arg;
    if (err == 0) c->drained++;
    else {
        c->send_errors++;
        c->send_err = -err;
        nl_cq_stop(q);
    }
}

// Two or more clients connect, each sends its own bytes, the server echoes them: each gets its own back.
struct echo_srv {
    std::map<int, conn> conns;
    int accepted = 0;
    int want = 0;
};

static void srv_accept(nl_cq *q, int, int fd, void *arg)
{
    echo_srv *s = (echo_srv *)arg;
    assert_true(fd >= 0);
    conn &c = s->conns[fd];
    c.echo = true;
    c.close_on_eof = true;
    assert_int_equal(nl_cq_open(q, fd, conn_recv, conn_sent, &c), 0);
    s->accepted++;
}

struct client_side {
    int fds[3];
    std::string want[3];
    conn c[3];
    int done = 0;
};

static void cli_recv(nl_cq *q, int fd, const char *data, ssize_t n, void *arg)
{
    client_side *cs = (client_side *)arg;
    for (int i = 0; i < 3; i++) {
        if (cs->fds[i] != fd) continue;
        if (n > 0) cs->c[i].got.append(data, (size_t)n);
        if (n > 0 && cs->c[i].got.size() == cs->want[i].size() && ++cs->done == 3) nl_cq_stop(q);
    }
}

CQ_TEST(accept_recv_send_echo_three_clients)
{
    nl_cq *q = make_cq(b);
    char err[256];
    int lfd = nl_listen_tcp("127.0.0.1", 0, 64, NL_SOCK_NONBLOCK, err, sizeof err);
    assert_true(lfd >= 0);
    echo_srv srv;
    assert_int_equal(nl_cq_accept(q, lfd, srv_accept, &srv), 0);
    client_side cs;
    for (int i = 0; i < 3; i++) {
        cs.fds[i] = nl_connect_tcp("127.0.0.1", nl_local_port(lfd), err, sizeof err);
        assert_true(cs.fds[i] >= 0);
        assert_int_equal(nl_set_nonblock(cs.fds[i], true), 0);
        cs.want[i] = tc_pattern(100000 + (size_t)i * 777, (unsigned)i + 1);  // several recv chunks each
        assert_int_equal(nl_cq_open(q, cs.fds[i], cli_recv, nullptr, &cs), 0);
        assert_int_equal(nl_cq_send(q, cs.fds[i], cs.want[i].data(), cs.want[i].size()), 0);
    }
    run_until_stopped(q);
    assert_int_equal(srv.accepted, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cs.c[i].got.size(), cs.want[i].size());
        assert_true(cs.c[i].got == cs.want[i]);
        assert_int_equal(nl_cq_unsent(q, cs.fds[i]), 0);
    }
    for (auto &kv : srv.conns) assert_true(kv.second.drained >= 1);
    // A client closes: its server side sees EOF once and closes; the others are untouched.
    nl_cq_close(q, cs.fds[0]);
    run_until_stopped(q);
    int eofs = 0;
    for (auto &kv : srv.conns) eofs += kv.second.eofs;
    assert_int_equal(eofs, 1);
    nl_cq_close(q, cs.fds[1]);
    nl_cq_close(q, cs.fds[2]);
    nl_cq_close(q, lfd);
    nl_cq_destroy(q);
    for (auto &kv : srv.conns)
        if (!kv.second.eofs) close(kv.first);
}

// 4 MiB in one send over a socketpair whose buffers are far smaller: the loop completes the short
// sends in order, the peer gets every byte, and "drained" is reported once, at the end.
CQ_TEST(large_send_completed_in_order)
{
    nl_cq *q = make_cq(b);
    int sv[2];
    tc_socketpair(sv);
    nl_set_nonblock(sv[0], true);
    nl_set_nonblock(sv[1], true);
    int sz = 16384;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    std::string data = tc_pattern(4u << 20, 7);
    conn a, r;
    r.stop_at = data.size();
    assert_int_equal(nl_cq_open(q, sv[0], conn_recv, conn_sent, &a), 0);
    assert_int_equal(nl_cq_open(q, sv[1], conn_recv, conn_sent, &r), 0);
    assert_int_equal(nl_cq_send(q, sv[0], data.data(), data.size() / 2), 0);
    assert_int_equal(nl_cq_send(q, sv[0], data.data() + data.size() / 2, data.size() - data.size() / 2), 0);
    assert_int_equal(nl_cq_unsent(q, sv[0]), data.size());
    assert_false(nl_cq_backlogged(q, sv[0]));  // queued, not yet handed to the kernel
    run_until_stopped(q);
    assert_int_equal(r.got.size(), data.size());
    assert_true(r.got == data);
    run_turns(q, 2);
    assert_int_equal(a.drained, 1);
    assert_int_equal(a.send_errors, 0);
    assert_int_equal(nl_cq_unsent(q, sv[0]), 0);
    assert_false(nl_cq_backlogged(q, sv[0]));  // drained: nothing left with the kernel
    assert_false(nl_cq_backlogged(q, 4321));
    nl_cq_close(q, sv[0]);
    nl_cq_close(q, sv[1]);
    nl_cq_destroy(q);
}

// A ring of 2 buffers of 64 bytes: the multishot receive runs out of buffers again and again and
// must be re-armed, and every buffer must go back to the ring, or the bytes stop coming.
CQ_TEST(tiny_buffer_ring_rearmed)
{
    unsigned nb = nl_cq_uring_nbufs, bs = nl_cq_uring_bufsize;
    nl_cq_uring_nbufs = 2;
    nl_cq_uring_bufsize = 64;
    nl_cq *q = make_cq(b);
    nl_cq_uring_nbufs = nb;
    nl_cq_uring_bufsize = bs;
    int sv[2], sv2[2];
    tc_socketpair(sv);
    tc_socketpair(sv2);
    std::string data = tc_pattern(65536, 3), data2 = tc_pattern(30000, 4);
    assert_int_equal(nl_write_all(sv[1], data.data(), data.size()), 0);
    conn r, r2;
    r.stop_at = data.size() + 1;  // stopped by the EOF below
    assert_int_equal(nl_cq_open(q, sv[0], conn_recv, nullptr, &r), 0);
    assert_int_equal(nl_cq_open(q, sv2[0], conn_recv, nullptr, &r2), 0);
    assert_int_equal(nl_write_all(sv2[1], data2.data(), data2.size()), 0);
    shutdown(sv[1], SHUT_WR);
    run_until_stopped(q);
    assert_int_equal(r.eofs, 1);
    assert_true(r.got == data);
    r2.stop_at = data2.size();
    if (r2.got.size() < data2.size()) run_until_stopped(q);
    assert_true(r2.got == data2);
    assert_int_equal(r2.eofs, 0);
    nl_cq_close(q, sv[0]);
    nl_cq_close(q, sv2[0]);
    close(sv[1]);
    close(sv2[1]);
    nl_cq_destroy(q);
}

// After nl_cq_close nothing more comes for that fd, even bytes already received by the kernel;
// a new connection on the same fd number gets its own callbacks.
CQ_TEST(close_cancels_and_fd_reuse)
{
    nl_cq *q = make_cq(b);
    int sv[2];
    tc_socketpair(sv);
    conn old;
    assert_int_equal(nl_cq_open(q, sv[0], conn_recv, conn_sent, &old), 0);
    assert_int_equal(nl_cq_send(q, sv[0], "queued", 6), 0);
    int fd = sv[0];
    assert_int_equal(send(sv[1], "ping", 4, 0), 4);
    nl_cq_close(q, sv[0]);
    assert_int_equal(nl_cq_send(q, fd, "x", 1), -1);
    assert_int_equal(errno, EBADF);
    run_turns(q, 5);
    assert_int_equal(old.got.size(), 0);
    assert_int_equal(old.eofs + old.errors + old.drained + old.send_errors, 0);
    int sv2[2];
    tc_socketpair(sv2);
    if (sv2[0] != fd && sv2[1] == fd) std::swap(sv2[0], sv2[1]);
    conn fresh;
    fresh.stop_at = 4;
    assert_int_equal(nl_cq_open(q, sv2[0], conn_recv, nullptr, &fresh), 0);
    assert_int_equal(nl_cq_open(q, sv2[0], conn_recv, nullptr, &fresh), -1);  // already open
    assert_int_equal(errno, EEXIST);
    assert_int_equal(send(sv2[1], "pong", 4, 0), 4);
    run_until_stopped(q);
    assert_true(fresh.got == "pong");
    assert_int_equal(old.got.size(), 0);
    nl_cq_close(q, sv2[0]);
    close(sv2[1]);
    close(sv[1]);
    nl_cq_destroy(q);
}

// The peer is gone: the send fails with an error (never SIGPIPE), the unsent bytes are dropped,
// later sends fail at once; the receive side reports EOF or the reset.
CQ_TEST(send_to_closed_peer_fails)
{
    nl_cq *q = make_cq(b);
    int sv[2];
    tc_socketpair(sv);
    close(sv[1]);
    conn c;
    assert_int_equal(nl_cq_open(q, sv[0], conn_recv, conn_sent, &c), 0);
    std::string big = tc_pattern(200000, 9);
    assert_int_equal(nl_cq_send(q, sv[0], big.data(), big.size()), 0);
    while (c.send_errors == 0) run_until_stopped(q);
    assert_int_equal(c.send_errors, 1);
    assert_int_equal(c.send_err, EPIPE);
    assert_int_equal(c.drained, 0);
    assert_int_equal(nl_cq_unsent(q, sv[0]), 0);
    assert_int_equal(nl_cq_send(q, sv[0], "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    if (c.eofs + c.errors == 0) run_until_stopped(q);
    assert_int_equal(c.eofs + c.errors, 1);
    nl_cq_close(q, sv[0]);
    nl_cq_destroy(q);
}

static std::vector<int> *g_order;
static void order_cb(nl_cq *q, uint64_t, void *arg)
{
    g_order->push_back((int)(intptr_t)arg);
    if ((int)(intptr_t)arg == 3) nl_cq_stop(q);
}

// Timers fire in deadline order, a cancelled one never, an unknown id cancels harmlessly.
CQ_TEST(timers_order_and_cancel)
{
    nl_cq *q = make_cq(b);
    std::vector<int> order;
    g_order = &order;
    uint64_t t3 = nl_cq_timer(q, 60, order_cb, (void *)(intptr_t)3);
    uint64_t t2 = nl_cq_timer(q, 30, order_cb, (void *)(intptr_t)2);
    uint64_t tx = nl_cq_timer(q, 10, order_cb, (void *)(intptr_t)9);
    uint64_t t1 = nl_cq_timer(q, 0, order_cb, (void *)(intptr_t)1);
    assert_true(t1 && t2 && t3 && tx && t1 != t2 && t2 != t3);
    nl_cq_cancel(q, tx);
    nl_cq_cancel(q, 987654);
    run_until_stopped(q);
    assert_int_equal(order.size(), 3);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 2);
    assert_int_equal(order[2], 3);
    nl_cq_cancel(q, t3);  // fired: harmless
    nl_cq_timer(q, 5000, order_cb, (void *)(intptr_t)4);  // pending at destroy: freed (ASan)
    nl_cq_destroy(q);
    nl_cq_destroy(nullptr);
}

static void poll_cb(nl_cq *q, int, void *arg)
{
    (*(int *)arg)++;
    nl_cq_stop(q);
}

// A one-shot poll fires once per call; forget leaves the fd open; bad fds are refused.
CQ_TEST(poll_one_shot_and_bad_fds)
{
    nl_cq *q = make_cq(b);
    int p[2];
    assert_int_equal(pipe(p), 0);
    int hits = 0;
    assert_int_equal(nl_cq_poll(q, p[0], poll_cb, &hits), 0);
    assert_int_equal(write(p[1], "x", 1), 1);
    run_until_stopped(q);
    assert_int_equal(hits, 1);
    run_turns(q, 4);  // still readable, but not asked again
    assert_int_equal(hits, 1);
    assert_int_equal(nl_cq_poll(q, p[0], poll_cb, &hits), 0);
    run_until_stopped(q);
    assert_int_equal(hits, 2);
    assert_int_equal(nl_cq_poll(q, p[0], poll_cb, &hits), 0);
    nl_cq_forget(q, p[0]);
    run_turns(q, 4);
    assert_int_equal(hits, 2);
    char ch;
    assert_int_equal(read(p[0], &ch, 1), 1);  // still open
    errno = 0;
    assert_int_equal(nl_cq_open(q, -1, conn_recv, nullptr, nullptr), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(nl_cq_send(q, 4321, "x", 1), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(nl_cq_unsent(q, 4321), 0);
    assert_int_equal(nl_cq_forget(q, 4321), 0);
    close(p[0]);
    close(p[1]);
    nl_cq_destroy(q);
}
