// test_loop.cpp — nl_loop on both backends (each case runs as test_loop_<case>_epoll and _uring).
// Absence ("no callback for X") is checked by counting loop turns, not by waiting: a chain of 0 ms
// timers runs once per turn, and an fd that is ready before a turn is reported in that turn.
// Spinning is checked by counting the backend's waits (a white-box hook on nl_loop_internal.h).
#include "common_tests.h"
#include "nl_clock.h"
#include "nl_loop.h"
#include "nl_loop_internal.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#define LOOP_TEST(c)                                                   \
    static void c(nl_backend b);                                       \
    void test_loop_##c##_epoll(void **) { c(NL_BACKEND_EPOLL); }       \
    void test_loop_##c##_uring(void **) { c(NL_BACKEND_URING); }       \
    static void c(nl_backend b)

static const int WATCHDOG_MS = 10000;  // a broken loop fails the test instead of hanging it

static nl_loop *make_loop(nl_backend b)
{
    char err[256] = "";
    nl_loop *loop = nl_loop_create(b, err, sizeof err);
    if (!loop) fail_msg("nl_loop_create(%s): %s", nl_backend_name(b), err);
    return loop;
}

static void watchdog_cb(nl_loop *loop, uint64_t, void *arg)
{
    *(bool *)arg = true;
    nl_loop_stop(loop);
}

// Runs until a callback stops the loop; fails if that takes longer than the watchdog.
static void run_until_stopped(nl_loop *loop)
{
    bool fired = false;
    uint64_t wd = nl_loop_timer(loop, WATCHDOG_MS, watchdog_cb, &fired);
    assert_int_equal(nl_loop_run(loop), 0);
    nl_loop_cancel(loop, wd);
    if (fired) fail_msg("the loop was not stopped within %d ms: an expected callback never came", WATCHDOG_MS);
}

struct turns { int left; };

static void turn_cb(nl_loop *loop, uint64_t, void *arg)
{
    turns *t = (turns *)arg;
    if (--t->left <= 0) nl_loop_stop(loop);
    else nl_loop_timer(loop, 0, turn_cb, arg);
}

// Runs exactly n turns of the loop (unless a callback stops it first).
static void run_turns(nl_loop *loop, int n)
{
    turns t = {n};
    uint64_t id = nl_loop_timer(loop, 0, turn_cb, &t);
    run_until_stopped(loop);
    nl_loop_cancel(loop, id);
}

// Counting the backend's waits: a spinning loop waits thousands of times in 100 ms.
static const nl_backend_ops *g_real_ops;
static nl_backend_ops g_counting_ops;
static long g_waits;
static int counting_wait(nl_loop *loop, int timeout_ms, std::vector<nl_ready> *out)
{
    g_waits++;
    return g_real_ops->wait(loop, timeout_ms, out);
}
static void count_waits(nl_loop *loop)
{
    g_real_ops = loop->ops;
    g_counting_ops = *loop->ops;
    g_counting_ops.wait = counting_wait;
    loop->ops = &g_counting_ops;
    g_waits = 0;
}

static void stop_cb(nl_loop *loop, uint64_t, void *) { nl_loop_stop(loop); }

struct rec {
    int calls = 0;
    int last_fd = -1;
    int last_events = 0;
    std::string data;
    bool stop = false;      // stop the loop on each call
    bool drain = true;      // read what is there
    size_t read_max = 4096;
};

static void rec_cb(nl_loop *loop, int fd, int events, void *arg)
{
    rec *r = (rec *)arg;
    r->calls++;
    r->last_fd = fd;
    r->last_events = events;
    if (r->drain && (events & NL_READABLE)) {
        char buf[4096];
        ssize_t n = recv(fd, buf, r->read_max < sizeof buf ? r->read_max : sizeof buf, MSG_DONTWAIT);
        if (n > 0) r->data.append(buf, (size_t)n);
    }
    if (r->stop) nl_loop_stop(loop);
}

static void send_byte(int fd, char c) { assert_int_equal(send(fd, &c, 1, MSG_NOSIGNAL), 1); }

LOOP_TEST(create_and_names)
{
    nl_loop *loop = make_loop(b);
    assert_int_equal(nl_loop_backend(loop), b);
    assert_string_equal(nl_backend_name(b), b == NL_BACKEND_EPOLL ? "epoll" : "uring");
    nl_backend parsed = b == NL_BACKEND_EPOLL ? NL_BACKEND_URING : NL_BACKEND_EPOLL;
    assert_int_equal(nl_backend_parse(nl_backend_name(b), &parsed), 0);
    assert_int_equal(parsed, b);
    assert_int_equal(nl_backend_parse("io_uring", &parsed), 0);
    assert_int_equal(parsed, NL_BACKEND_URING);
    assert_int_equal(nl_backend_parse("kqueue", &parsed), -1);
    errno = 0;
    assert_int_equal(nl_loop_watch(loop, -1, NL_READABLE, rec_cb, nullptr), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(nl_loop_unwatch(loop, 12345), 0);  // never watched: harmless
    nl_loop_cancel(loop, 777);                          // unknown timer: harmless
    uint64_t a = nl_loop_timer(loop, 1000, stop_cb, nullptr), c = nl_loop_timer(loop, 1000, stop_cb, nullptr);
    assert_true(a != 0 && c != 0 && a != c);
    // Destroying a loop with watched fds and pending timers frees everything (ASan checks).
    int sv[2];
    tc_socketpair(sv);
    rec r;
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE | NL_WRITABLE, rec_cb, &r), 0);
    nl_loop_destroy(loop);
    nl_loop_destroy(nullptr);
    close(sv[0]);
    close(sv[1]);
}

LOOP_TEST(readable_callback)
{
    nl_loop *loop = make_loop(b);
    int sv[2];
    tc_socketpair(sv);
    rec r;
    r.stop = true;
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE, rec_cb, &r), 0);
    run_turns(loop, 5);
    assert_int_equal(r.calls, 0);  // nothing to read: no callback
    send_byte(sv[1], 'x');
    run_until_stopped(loop);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.last_fd, sv[0]);
    assert_int_equal(r.last_events, NL_READABLE);
    assert_string_equal(r.data.c_str(), "x");
    nl_loop_destroy(loop);
    close(sv[0]);
    close(sv[1]);
}

LOOP_TEST(writable_callback)
{
    nl_loop *loop = make_loop(b);
    int sv[2];
    tc_socketpair(sv);
    rec r;
    r.stop = true;
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_WRITABLE, rec_cb, &r), 0);
    run_until_stopped(loop);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.last_fd, sv[0]);
    assert_int_equal(r.last_events, NL_WRITABLE);
    // Readable data does not show up while only writability is watched.
    send_byte(sv[1], 'y');
    r.stop = false;
    run_turns(loop, 3);
    assert_true(r.calls >= 2);
    assert_int_equal(r.last_events, NL_WRITABLE);
    assert_string_equal(r.data.c_str(), "");
    nl_loop_destroy(loop);
    close(sv[0]);
    close(sv[1]);
}

LOOP_TEST(level_triggered_undrained_fd_called_again)
{
    nl_loop *loop = make_loop(b);
    int sv[2];
    tc_socketpair(sv);
    // One byte per call: three bytes need three callbacks, then the fd is quiet.
    rec r;
    r.read_max = 1;
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE, rec_cb, &r), 0);
    assert_int_equal(send(sv[1], "abc", 3, 0), 3);
    run_turns(loop, 10);
    assert_int_equal(r.calls, 3);
    assert_string_equal(r.data.c_str(), "abc");
    // A callback that reads nothing is called again and again.
    rec lazy;
    lazy.drain = false;
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE, rec_cb, &lazy), 0);
    send_byte(sv[1], 'z');
    run_turns(loop, 6);
    assert_true(lazy.calls >= 5);
    nl_loop_destroy(loop);
    close(sv[0]);
    close(sv[1]);
}

struct interest_ctx {
    rec a, b;
};

static void interest_first_cb(nl_loop *loop, int fd, int events, void *arg)
{
    interest_ctx *c = (interest_ctx *)arg;
    rec_cb(loop, fd, events, &c->a);
    // Writable seen: from now on only input matters, through another callback and argument.
    assert_int_equal(nl_loop_watch(loop, fd, NL_READABLE, rec_cb, &c->b), 0);
}

LOOP_TEST(changing_interest)
{
    nl_loop *loop = make_loop(b);
    int sv[2];
    tc_socketpair(sv);
    interest_ctx c;
    // First quiet, watched for input only: a request is pending in the backend...
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE, rec_cb, &c.a), 0);
    run_turns(loop, 3);
    assert_int_equal(c.a.calls, 0);
    // ...when the interest changes; the superseded request must leave no trace (no hang-up).
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE | NL_WRITABLE, interest_first_cb, &c), 0);
    run_turns(loop, 5);
    assert_int_equal(c.a.calls, 1);
    assert_int_equal(c.a.last_events, NL_WRITABLE);
    assert_int_equal(c.b.calls, 0);  // still writable, but that is no longer watched
    send_byte(sv[1], 'q');
    c.b.stop = true;
    run_until_stopped(loop);
    assert_int_equal(c.b.calls, 1);
    assert_int_equal(c.b.last_events, NL_READABLE);  // writable too, but not reported
    // Paused (events 0): unread input stays silent; resumed: it is reported again.
    c.b.drain = false;
    send_byte(sv[1], 'r');
    assert_int_equal(nl_loop_watch(loop, sv[0], 0, rec_cb, &c.b), 0);
    run_turns(loop, 5);
    assert_int_equal(c.b.calls, 1);
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE, rec_cb, &c.b), 0);
    run_until_stopped(loop);
    assert_int_equal(c.b.calls, 2);
    nl_loop_destroy(loop);
    close(sv[0]);
    close(sv[1]);
}

struct hup_rec {
    int calls = 0;
    int events = 0;
    ssize_t io = 99;
    int io_errno = 0;
};

static void hup_reader_cb(nl_loop *loop, int fd, int events, void *arg)
{
    hup_rec *h = (hup_rec *)arg;
    h->calls++;
    h->events = events;
    char c;
    h->io = recv(fd, &c, 1, MSG_DONTWAIT);
    nl_loop_unwatch(loop, fd);
    close(fd);  // the usual disconnect path: unwatch, close, inside the callback
}

static void hup_writer_cb(nl_loop *loop, int fd, int events, void *arg)
{
    hup_rec *h = (hup_rec *)arg;
    h->calls++;
    h->events = events;
    h->io = send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    h->io_errno = errno;
    nl_loop_unwatch(loop, fd);
    close(fd);
}

LOOP_TEST(hangup_reaches_reader_and_writer)
{
    nl_loop *loop = make_loop(b);
    int r[2], w[2];
    tc_socketpair(r);
    tc_socketpair(w);
    // Make the writer's side full, so only the hang-up can wake it.
    std::string big(65536, 'f');
    while (send(w[0], big.data(), big.size(), MSG_DONTWAIT) > 0) {}
    hup_rec hr, hw;
    assert_int_equal(nl_loop_watch(loop, r[0], NL_READABLE, hup_reader_cb, &hr), 0);
    assert_int_equal(nl_loop_watch(loop, w[0], NL_WRITABLE, hup_writer_cb, &hw), 0);
    run_turns(loop, 3);
    assert_int_equal(hr.calls + hw.calls, 0);
    close(r[1]);
    close(w[1]);
    run_turns(loop, 5);
    assert_int_equal(hr.calls, 1);
    assert_int_equal(hr.events, NL_READABLE | NL_HANGUP);
    assert_int_equal(hr.io, 0);  // EOF
    assert_int_equal(hw.calls, 1);
    assert_true(hw.events & NL_WRITABLE);
    assert_true(hw.events & NL_HANGUP);
    assert_int_equal(hw.io, -1);
    assert_int_equal(hw.io_errno, EPIPE);
    nl_loop_destroy(loop);
}

struct pair_ctx {
    int fds[2];        // the two watched fds
    int peers[2];
    rec seen[2];
    int first = -1;    // index of the fd whose callback ran first
    int newpair[2] = {-1, -1};
    rec newrec;
    bool reuse = false;
};

static int index_of(pair_ctx *c, int fd) { return fd == c->fds[0] ? 0 : 1; }

static void other_unwatching_cb(nl_loop *loop, int fd, int events, void *arg)
{
    pair_ctx *c = (pair_ctx *)arg;
    int i = index_of(c, fd);
    rec_cb(loop, fd, events, &c->seen[i]);
    if (c->first >= 0) return;
    c->first = i;
    int other = c->fds[1 - i];
    // The other fd is ready in this same batch; after this, its callback must not run.
    assert_int_equal(nl_loop_unwatch(loop, other), 0);
    close(other);
    if (c->reuse) {
        // A new connection takes the same fd number and is watched by its new owner.
        tc_socketpair(c->newpair);
        if (c->newpair[0] != other) {  // the lowest free number is usually "other" already
            assert_int_equal(dup2(c->newpair[0], other), other);
            close(c->newpair[0]);
            c->newpair[0] = other;
        }
        assert_int_equal(nl_loop_watch(loop, other, NL_READABLE, rec_cb, &c->newrec), 0);
    }
}

static void setup_pair_ctx(pair_ctx *c)
{
    for (int i = 0; i < 2; i++) {
        int sv[2];
        tc_socketpair(sv);
        c->fds[i] = sv[0];
        c->peers[i] = sv[1];
        send_byte(sv[1], (char)('0' + i));
    }
}

LOOP_TEST(unwatch_other_fd_in_same_batch)
{
    nl_loop *loop = make_loop(b);
    pair_ctx c;
    setup_pair_ctx(&c);
    for (int i = 0; i < 2; i++) assert_int_equal(nl_loop_watch(loop, c.fds[i], NL_READABLE, other_unwatching_cb, &c), 0);
    run_turns(loop, 5);
    assert_true(c.first == 0 || c.first == 1);
    assert_int_equal(c.seen[c.first].calls, 1);
    assert_int_equal(c.seen[1 - c.first].calls, 0);
    nl_loop_destroy(loop);
    close(c.fds[c.first]);
    close(c.peers[0]);
    close(c.peers[1]);
}

LOOP_TEST(fd_reuse_only_new_owner_called)
{
    nl_loop *loop = make_loop(b);
    pair_ctx c;
    c.reuse = true;
    setup_pair_ctx(&c);
    for (int i = 0; i < 2; i++) assert_int_equal(nl_loop_watch(loop, c.fds[i], NL_READABLE, other_unwatching_cb, &c), 0);
    run_turns(loop, 5);
    assert_true(c.first == 0 || c.first == 1);
    int reused = c.fds[1 - c.first];
    assert_int_equal(c.newpair[0], reused);
    assert_int_equal(c.seen[1 - c.first].calls, 0);  // the old owner never heard of it again
    assert_int_equal(c.newrec.calls, 0);             // the old readiness did not leak to the new owner
    send_byte(c.newpair[1], 'N');
    c.newrec.stop = true;
    run_until_stopped(loop);
    assert_int_equal(c.newrec.calls, 1);
    assert_int_equal(c.newrec.last_fd, reused);
    assert_string_equal(c.newrec.data.c_str(), "N");
    assert_int_equal(c.seen[1 - c.first].calls, 0);
    nl_loop_destroy(loop);
    close(c.fds[0]);
    close(c.fds[1]);
    close(c.peers[0]);
    close(c.peers[1]);
    close(c.newpair[1]);
}

static void pause_on_hangup_cb(nl_loop *loop, int fd, int events, void *arg)
{
    rec_cb(loop, fd, events, arg);
    // A server pauses a client it cannot serve now; the fd stays registered and hung up.
    assert_int_equal(nl_loop_watch(loop, fd, 0, pause_on_hangup_cb, arg), 0);
}

static void pause_other_cb(nl_loop *loop, int fd, int events, void *arg)
{
    pair_ctx *c = (pair_ctx *)arg;
    int i = index_of(c, fd);
    rec_cb(loop, fd, events, &c->seen[i]);
    if (c->first >= 0) return;
    c->first = i;
    // Both peers hung up; this callback pauses itself and the other, whose hang-up is in this batch.
    assert_int_equal(nl_loop_watch(loop, fd, 0, pause_other_cb, arg), 0);
    assert_int_equal(nl_loop_watch(loop, c->fds[1 - i], 0, pause_other_cb, arg), 0);
}

LOOP_TEST(pause_other_hung_up_fd_in_same_batch)
{
    nl_loop *loop = make_loop(b);
    pair_ctx c;
    setup_pair_ctx(&c);
    for (int i = 0; i < 2; i++) close(c.peers[i]);
    for (int i = 0; i < 2; i++) assert_int_equal(nl_loop_watch(loop, c.fds[i], NL_READABLE, pause_other_cb, &c), 0);
    run_turns(loop, 5);
    assert_true(c.first == 0 || c.first == 1);
    assert_int_equal(c.seen[c.first].calls, 1);
    assert_int_equal(c.seen[1 - c.first].calls, 0);  // paused means silent, hang-up or not
    nl_loop_destroy(loop);
    for (int i = 0; i < 2; i++) close(c.fds[i]);
}

LOOP_TEST(events_zero_on_hung_up_fd_does_not_spin)
{
    nl_loop *loop = make_loop(b);
    count_waits(loop);
    int a[2], z[2];
    tc_socketpair(a);
    tc_socketpair(z);
    close(a[1]);
    close(z[1]);
    rec ra, rz;
    assert_int_equal(nl_loop_watch(loop, a[0], NL_READABLE, pause_on_hangup_cb, &ra), 0);
    assert_int_equal(nl_loop_watch(loop, z[0], 0, rec_cb, &rz), 0);  // silent from the start
    nl_loop_timer(loop, 100, stop_cb, nullptr);  // an observation window, not a synchronisation
    g_waits = 0;
    assert_int_equal(nl_loop_run(loop), 0);
    assert_int_equal(ra.calls, 1);
    assert_int_equal(ra.last_events, NL_READABLE | NL_HANGUP);
    assert_int_equal(rz.calls, 0);
    if (g_waits > 20) fail_msg("the loop spun: %ld waits in 100 ms with nothing to report", g_waits);
    nl_loop_destroy(loop);
    close(a[0]);
    close(z[0]);
}

LOOP_TEST(writable_only_half_closed_peer_does_not_spin)
{
    // A client whose output is backed up (watched for writability only) and who has finished
    // sending: its half-close is input news, not output news, and must not wake the loop.
    nl_loop *loop = make_loop(b);
    count_waits(loop);
    int sv[2];
    tc_socketpair(sv);
    std::string big(65536, 'f');
    while (send(sv[0], big.data(), big.size(), MSG_DONTWAIT) > 0) {}
    assert_int_equal(shutdown(sv[1], SHUT_WR), 0);
    rec r;
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_WRITABLE, rec_cb, &r), 0);
    nl_loop_timer(loop, 100, stop_cb, nullptr);
    g_waits = 0;
    assert_int_equal(nl_loop_run(loop), 0);
    assert_int_equal(r.calls, 0);
    // io_uring always reports POLLRDHUP (the kernel's IO_POLL_UNMASK), so its one-shot polls cannot
    // sleep through a half-close: that backend busy-waits here, a documented limit; epoll must not.
    if (b == NL_BACKEND_EPOLL && g_waits > 20)
        fail_msg("the loop spun: %ld waits in 100 ms with nothing to report", g_waits);
    // Once the peer reads, the fd is writable and the callback comes.
    char buf[65536];
    while (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) > 0) {}
    r.stop = true;
    run_until_stopped(loop);
    assert_int_equal(r.calls, 1);
    assert_true(r.last_events & NL_WRITABLE);
    nl_loop_destroy(loop);
    close(sv[0]);
    close(sv[1]);
}

struct timer_log {
    std::vector<int> order;
    std::vector<uint64_t> due, fired_at;
    bool stop_after = false;
    int stop_when = -1;
};
struct timer_arg {
    timer_log *log;
    int tag;
    uint64_t due;
};

static void log_timer_cb(nl_loop *loop, uint64_t, void *arg)
{
    timer_arg *t = (timer_arg *)arg;
    t->log->order.push_back(t->tag);
    t->log->due.push_back(t->due);
    t->log->fired_at.push_back(nl_now_ms());
    if (t->tag == t->log->stop_when) nl_loop_stop(loop);
}

LOOP_TEST(timers_order_and_cancel)
{
    nl_loop *loop = make_loop(b);
    timer_log log;
    log.stop_when = 4;
    uint64_t now = nl_now_ms();
    timer_arg t1 = {&log, 1, now + 40}, t2 = {&log, 2, now + 10}, t3 = {&log, 3, now + 25}, t4 = {&log, 4, now + 60},
              t5 = {&log, 5, now + 10}, t6 = {&log, 6, now + 30}, t7 = {&log, 7, now + 15};
    uint64_t id1 = nl_loop_timer(loop, 40, log_timer_cb, &t1);
    nl_loop_timer(loop, 10, log_timer_cb, &t2);
    uint64_t id3 = nl_loop_timer(loop, 25, log_timer_cb, &t3);
    nl_loop_timer(loop, 60, log_timer_cb, &t4);
    nl_loop_timer(loop, 10, log_timer_cb, &t5);  // same delay as t2: fires after it
    nl_loop_timer(loop, 30, log_timer_cb, &t6);
    nl_loop_timer(loop, 15, log_timer_cb, &t7);
    nl_loop_cancel(loop, id3);
    nl_loop_cancel(loop, id3);  // twice: harmless
    run_until_stopped(loop);
    std::vector<int> want = {2, 5, 7, 6, 1, 4};
    assert_true(log.order == want);
    for (size_t i = 0; i < log.order.size(); i++) assert_true(log.fired_at[i] >= log.due[i]);  // never early
    nl_loop_cancel(loop, id1);  // already fired: harmless
    nl_loop_destroy(loop);
}

struct nested_ctx {
    nl_loop *loop;
    std::vector<std::string> events;
    bool in_parent = false;
    uint64_t victim = 0;
};

static void nested_child_cb(nl_loop *, uint64_t, void *arg)
{
    nested_ctx *c = (nested_ctx *)arg;
    c->events.push_back(c->in_parent ? "child-inside-parent" : "child");
}
static void nested_late_cb(nl_loop *loop, uint64_t, void *arg)
{
    ((nested_ctx *)arg)->events.push_back("late");
    nl_loop_stop(loop);
}
static void nested_victim_cb(nl_loop *, uint64_t, void *arg) { ((nested_ctx *)arg)->events.push_back("victim"); }
static void nested_parent_cb(nl_loop *loop, uint64_t, void *arg)
{
    nested_ctx *c = (nested_ctx *)arg;
    c->in_parent = true;
    c->events.push_back("parent");
    nl_loop_timer(loop, 0, nested_child_cb, c);
    nl_loop_timer(loop, 15, nested_late_cb, c);
    nl_loop_cancel(loop, c->victim);  // due now too, but cancelled before its turn
    c->in_parent = false;
}

LOOP_TEST(timer_added_inside_timer)
{
    nl_loop *loop = make_loop(b);
    nested_ctx c;
    c.loop = loop;
    nl_loop_timer(loop, 5, nested_parent_cb, &c);
    c.victim = nl_loop_timer(loop, 5, nested_victim_cb, &c);
    run_until_stopped(loop);
    std::vector<std::string> want = {"parent", "child", "late"};
    assert_true(c.events == want);
    nl_loop_destroy(loop);
}

struct starve_ctx {
    long timer_runs = 0;
};
static void forever_timer_cb(nl_loop *loop, uint64_t, void *arg)
{
    ((starve_ctx *)arg)->timer_runs++;
    nl_loop_timer(loop, 0, forever_timer_cb, arg);
}

LOOP_TEST(zero_ms_timer_chain_does_not_starve_io)
{
    nl_loop *loop = make_loop(b);
    starve_ctx s;
    nl_loop_timer(loop, 0, forever_timer_cb, &s);
    run_turns(loop, 3);  // the chain really runs
    assert_true(s.timer_runs >= 2);
    int sv[2];
    tc_socketpair(sv);
    rec r;
    r.stop = true;
    assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE, rec_cb, &r), 0);
    send_byte(sv[1], 'i');
    run_until_stopped(loop);
    assert_int_equal(r.calls, 1);
    nl_loop_destroy(loop);
    close(sv[0]);
    close(sv[1]);
}

LOOP_TEST(stop_from_callback_loses_no_readiness)
{
    nl_loop *loop = make_loop(b);
    pair_ctx c;
    setup_pair_ctx(&c);
    // Both fds are ready in the same batch, and a timer is due; the first callback stops the loop.
    for (int i = 0; i < 2; i++) {
        c.seen[i].stop = true;
        assert_int_equal(nl_loop_watch(loop, c.fds[i], NL_READABLE, rec_cb, &c.seen[i]), 0);
    }
    bool timer_fired = false;
    nl_loop_timer(loop, 0, watchdog_cb, &timer_fired);  // sets the flag (and stops) when it runs
    run_until_stopped(loop);
    assert_int_equal(c.seen[0].calls + c.seen[1].calls, 1);
    assert_false(timer_fired);  // stopped means stopped: no timer after the stop
    // Running again, the other fd (still ready, level-triggered) is reported.
    run_until_stopped(loop);
    assert_int_equal(c.seen[0].calls, 1);
    assert_int_equal(c.seen[1].calls, 1);
    assert_string_equal(c.seen[0].data.c_str(), "0");
    assert_string_equal(c.seen[1].data.c_str(), "1");
    // Both are quiet now, and both still watched: new input reaches either.
    c.seen[0].stop = c.seen[1].stop = false;
    assert_false(timer_fired);
    run_until_stopped(loop);  // now the due timer runs (and stops the loop)
    assert_true(timer_fired);
    run_turns(loop, 3);
    assert_int_equal(c.seen[0].calls + c.seen[1].calls, 2);
    send_byte(c.peers[0], 'a');
    send_byte(c.peers[1], 'b');
    run_turns(loop, 3);
    assert_string_equal(c.seen[0].data.c_str(), "0a");
    assert_string_equal(c.seen[1].data.c_str(), "1b");
    nl_loop_destroy(loop);
    for (int i = 0; i < 2; i++) {
        close(c.fds[i]);
        close(c.peers[i]);
    }
}

LOOP_TEST(stop_from_timer)
{
    nl_loop *loop = make_loop(b);
    uint64_t start = nl_now_ms();
    nl_loop_timer(loop, 20, stop_cb, nullptr);
    run_until_stopped(loop);
    assert_true(nl_now_ms() >= start + 20);
    // The loop can be run again after a stop.
    nl_loop_timer(loop, 0, stop_cb, nullptr);
    run_until_stopped(loop);
    nl_loop_destroy(loop);
}

struct many_ctx {
    int n;
    int seen = 0;
    std::vector<int> fds, peers;
    std::vector<int> got;   // byte received per index, -1 until then
    int idx_args[1];
};
struct many_arg {
    many_ctx *ctx;
    int index;
};

static void many_cb(nl_loop *loop, int fd, int events, void *arg)
{
    many_arg *a = (many_arg *)arg;
    many_ctx *c = a->ctx;
    assert_int_equal(fd, c->fds[(size_t)a->index]);
    assert_true(events & NL_READABLE);
    unsigned char b;
    assert_int_equal(recv(fd, &b, 1, MSG_DONTWAIT), 1);
    assert_int_equal(c->got[(size_t)a->index], -1);
    c->got[(size_t)a->index] = b;
    assert_int_equal(nl_loop_unwatch(loop, fd), 0);
    if (++c->seen == c->n) nl_loop_stop(loop);
}

LOOP_TEST(many_fds)
{
    // More ready fds than epoll's first event batch (256) and than the io_uring queue (1024).
    const int n = 1100;
    nl_loop *loop = make_loop(b);
    many_ctx c;
    c.n = n;
    c.got.assign(n, -1);
    std::vector<many_arg> args((size_t)n);
    for (int i = 0; i < n; i++) {
        int sv[2];
        tc_socketpair(sv);
        c.fds.push_back(sv[0]);
        c.peers.push_back(sv[1]);
        args[(size_t)i] = {&c, i};
        assert_int_equal(nl_loop_watch(loop, sv[0], NL_READABLE, many_cb, &args[(size_t)i]), 0);
    }
    for (int i = 0; i < n; i++) send_byte(c.peers[(size_t)i], (char)(i * 7 % 256));
    run_until_stopped(loop);
    assert_int_equal(c.seen, n);
    for (int i = 0; i < n; i++) assert_int_equal(c.got[(size_t)i], i * 7 % 256);
    nl_loop_destroy(loop);
    for (int i = 0; i < n; i++) {
        close(c.fds[(size_t)i]);
        close(c.peers[(size_t)i]);
    }
}
