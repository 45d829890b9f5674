// test_booking.cpp — the ex03_booking suite: booking_server as a black box over its message queue.
// Races are made certain, not likely: bursts are queued while the server is stopped (SIGSTOP), and
// --cost-us widens the window between a seat check and its commit. Every test ends by stopping the
// server with SIGTERM (exit 0) and its teardown removes any queue it created.
#include "bk_harness.h"
#include "nl_clock.h"
#include "nl_test.h"
#include "nl_check.h"
#include "nl_testproc.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <string>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#define START(s, ...) assert_int_equal(bk_start((s), std::vector<std::string>{__VA_ARGS__}), 0)
#define STOP_CLEAN(s) assert_int_equal(bk_stop((s)), 0)

static const char *const MODES[] = {"seq", "pool", "thread"};

// Local helpers report at the test's line (nl_check.h): each is a macro over an *_at function.
static void expect_ok_at(const nl_where &w, const booking_reply *r, const booking_request *q)
{
    if (r->status != BOOKING_OK)
        nl_fail_at(w, "request op %d on '%s' (count %d): expected status OK, got %d: %s", q->op, q->show, q->count,
                   r->status, r->message);
    if (r->tag != q->tag || r->mtype != q->reply_mtype || r->op != q->op)
        nl_fail_at(w, "request op %d tag %llu to mtype %lld: the reply has op %d tag %llu mtype %lld", q->op,
                   (unsigned long long)q->tag, (long long)q->reply_mtype, r->op, (unsigned long long)r->tag,
                   (long long)r->mtype);
}
#define expect_ok(...) expect_ok_at(NL_HERE, __VA_ARGS__)

static booking_reply call_at(const nl_where &w, int qid, booking_request q)
{
    booking_reply r;
    if (bk_call(qid, &q, &r) < 0) nl_fail_at(w, "request op %d on '%s': expected a reply, got none: %s", q.op, q.show, strerror(errno));
    if (r.tag != q.tag || r.mtype != q.reply_mtype)
        nl_fail_at(w, "request op %d tag %llu to mtype %lld: the reply has tag %llu mtype %lld", q.op,
                   (unsigned long long)q.tag, (long long)q.reply_mtype, (unsigned long long)r.tag, (long long)r.mtype);
    return r;
}
#define call(...) call_at(NL_HERE, __VA_ARGS__)

static void assert_queue_empty_at(const nl_where &w, int qid)
{
    struct msqid_ds ds;
    if (msgctl(qid, IPC_STAT, &ds) != 0) nl_fail_at(w, "msgctl(IPC_STAT) on queue %d: %s", qid, strerror(errno));
    if (ds.msg_qnum != 0)
        nl_fail_at(w, "expected an empty queue, %lu message(s) left in it: a reply went to the wrong mtype or twice",
                   (unsigned long)ds.msg_qnum);
}
#define assert_queue_empty(...) assert_queue_empty_at(NL_HERE, __VA_ARGS__)

static void assert_stock_at(const nl_where &w, int qid, const char *show, int capacity, int sold)
{
    int rem = -99, so = -99, cap = -99;
    if (bk_show_state(qid, show, &rem, &so, &cap) != 0) nl_fail_at(w, "list: expected the show '%s', it is not listed", show);
    if (cap != capacity || so != sold || rem + so != capacity)
        nl_fail_at(w, "%s: expected capacity %d, sold %d, remaining %d; got capacity %d, sold %d, remaining %d", show,
                   capacity, sold, capacity - sold, cap, so, rem);
}
#define assert_stock(...) assert_stock_at(NL_HERE, __VA_ARGS__)

// ---- setup ---------------------------------------------------------------------------------------

static void test_server_starts(void **)
{
    for (const char *mode : MODES) {
        bk_server &s = *bk_new();
        START(&s, "--mode", mode, "--workers", "3", "--stock", "hamlet=5");
        assert_int_equal(s.key, ftok(s.key_path.c_str(), BOOKING_PROJ_ID));
        assert_int_equal(msgget(s.key, 0), s.qid);
        booking_reply r = call(s.qid, bk_req(BOOKING_OP_LIST, "", 0, 4242, 7));
        assert_int_equal(r.status, BOOKING_OK);
        STOP_CLEAN(&s);
    }
    // No shows: a message that names the problem, exit 2, and no queue.
    bk_server &bad = *bk_new();
    assert_int_not_equal(bk_start(&bad, {"--mode", "seq"}, 5000), 0);
    assert_true(bad.exited && WIFEXITED(bad.status) && WEXITSTATUS(bad.status) == 2);
    assert_true(bad.output.find("no shows") != std::string::npos);
    assert_int_equal(msgget(ftok(bad.key_path.c_str(), BOOKING_PROJ_ID), 0), -1);
}

static void test_queue_private(void **)
{
    bk_server &s = *bk_new();
    START(&s, "--mode", "thread", "--stock", "hamlet=5");
    struct msqid_ds ds;
    assert_int_equal(msgctl(s.qid, IPC_STAT, &ds), 0);
    if ((ds.msg_perm.mode & 0777) != 0600) fail_msg("queue mode %03o, expected 600", ds.msg_perm.mode & 0777);
    assert_int_equal(ds.msg_perm.uid, getuid());
    assert_int_equal(ds.msg_perm.__key, s.key);
    STOP_CLEAN(&s);
}

// ---- core ----------------------------------------------------------------------------------------

static void test_list_shows(void **)
{
    std::string file = bk_key_file() + ".shows";
    FILE *f = fopen(file.c_str(), "w");
    assert_non_null(f);
    fprintf(f, "# shows of the week\nhamlet 120\n\ntosca   7   # matinee\nlear 0\n");
    fclose(f);
    bk_server &s = *bk_new();
    START(&s, "--mode", "pool", "--shows", file.c_str());
    booking_request q = bk_req(BOOKING_OP_LIST, "", 0, 5000, 11);
    booking_reply r = call(s.qid, q);
    expect_ok(&r, &q);
    assert_int_equal(r.nshows, 3);
    const char *names[] = {"hamlet", "tosca", "lear"};
    int caps[] = {120, 7, 0};
    for (int i = 0; i < 3; i++) {
        assert_string_equal(r.shows[i].name, names[i]);
        assert_int_equal(r.shows[i].capacity, caps[i]);
        assert_int_equal(r.shows[i].remaining, caps[i]);
        assert_int_equal(r.shows[i].sold, 0);
    }
    STOP_CLEAN(&s);
}

static void test_reserve_updates_stock(void **)
{
    for (const char *mode : MODES) {
        bk_server &s = *bk_new();
        START(&s, "--mode", mode, "--stock", "hamlet=10", "--stock", "tosca=4");
        booking_request q1 = bk_req(BOOKING_OP_RESERVE, "hamlet", 3, 5001, 1);
        booking_reply r1 = call(s.qid, q1);
        expect_ok(&r1, &q1);
        assert_int_equal(r1.count, 3);
        assert_int_equal(r1.remaining, 7);
        assert_string_equal(r1.show, "hamlet");
        assert_true(r1.booking_id > 0);
        booking_request q2 = bk_req(BOOKING_OP_RESERVE, "tosca", 4, 5001, 2);
        booking_reply r2 = call(s.qid, q2);
        expect_ok(&r2, &q2);
        assert_int_equal(r2.remaining, 0);
        assert_true(r2.booking_id != r1.booking_id);
        assert_stock(s.qid, "hamlet", 10, 3);
        assert_stock(s.qid, "tosca", 4, 4);
        assert_queue_empty(s.qid);
        STOP_CLEAN(&s);
    }
}

static void test_cancel_booking(void **)
{
    bk_server &s = *bk_new();
    START(&s, "--mode", "thread", "--stock", "hamlet=10", "--stock", "tosca=10");
    booking_request q = bk_req(BOOKING_OP_RESERVE, "hamlet", 5, 5002, 1);
    booking_reply r = call(s.qid, q);
    expect_ok(&r, &q);
    uint64_t id = r.booking_id;
    // Part of it, then the rest (count 0 = what is left of the booking).
    booking_request c1 = bk_req(BOOKING_OP_CANCEL, "hamlet", 2, 5002, 2, id);
    r = call(s.qid, c1);
    expect_ok(&r, &c1);
    assert_int_equal(r.count, 2);
    assert_int_equal(r.remaining, 7);
    assert_stock(s.qid, "hamlet", 10, 3);
    // More than is left of it, or under another show's name: refused, nothing changes.
    r = call(s.qid, bk_req(BOOKING_OP_CANCEL, "hamlet", 4, 5002, 3, id));
    assert_int_equal(r.status, BOOKING_E_NO_BOOKING);
    r = call(s.qid, bk_req(BOOKING_OP_CANCEL, "tosca", 0, 5002, 4, id));
    assert_int_equal(r.status, BOOKING_E_NO_BOOKING);
    // Far more than it has (past any show's capacity, the largest int32): the same NO_BOOKING, not
    // BAD_COUNT (only a negative count is a bad one). Found by tests/fuzz/ex03_booking.
    r = call(s.qid, bk_req(BOOKING_OP_CANCEL, "hamlet", 1000001, 5002, 4, id));
    assert_int_equal(r.status, BOOKING_E_NO_BOOKING);
    r = call(s.qid, bk_req(BOOKING_OP_CANCEL, "hamlet", INT32_MAX, 5002, 4, id));
    assert_int_equal(r.status, BOOKING_E_NO_BOOKING);
    assert_stock(s.qid, "hamlet", 10, 3);
    booking_request c2 = bk_req(BOOKING_OP_CANCEL, "hamlet", 0, 5002, 5, id);
    r = call(s.qid, c2);
    expect_ok(&r, &c2);
    assert_int_equal(r.count, 3);
    assert_stock(s.qid, "hamlet", 10, 0);
    // A booking cancelled twice gives nothing back the second time.
    r = call(s.qid, bk_req(BOOKING_OP_CANCEL, "hamlet", 0, 5002, 6, id));
    assert_int_equal(r.status, BOOKING_E_NO_BOOKING);
    assert_true(r.message[0] != '\0');
    r = call(s.qid, bk_req(BOOKING_OP_CANCEL, "hamlet", 0, 5002, 7, 424242));
    assert_int_equal(r.status, BOOKING_E_NO_BOOKING);
    assert_stock(s.qid, "hamlet", 10, 0);
    assert_stock(s.qid, "tosca", 10, 0);
    STOP_CLEAN(&s);
}

static void test_sold_out_refused(void **)
{
    for (const char *mode : MODES) {
        bk_server &s = *bk_new();
        START(&s, "--mode", mode, "--stock", "hamlet=6");
        booking_request q = bk_req(BOOKING_OP_RESERVE, "hamlet", 4, 5003, 1);
        booking_reply r = call(s.qid, q);
        expect_ok(&r, &q);
        r = call(s.qid, bk_req(BOOKING_OP_RESERVE, "hamlet", 3, 5003, 2));
        assert_int_equal(r.status, BOOKING_E_SOLD_OUT);
        assert_int_equal(r.remaining, 2);
        assert_non_null(strstr(r.message, "2 seat"));
        booking_request last = bk_req(BOOKING_OP_RESERVE, "hamlet", 2, 5003, 3);
        r = call(s.qid, last);
        expect_ok(&r, &last);
        assert_int_equal(r.remaining, 0);
        r = call(s.qid, bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 5003, 4));
        assert_int_equal(r.status, BOOKING_E_SOLD_OUT);
        assert_stock(s.qid, "hamlet", 6, 6);
        STOP_CLEAN(&s);
    }
}

// Runs booking_client with args; returns its exit code (-1 if it did not finish in 10 s).
static int run_client(const std::vector<std::string> &args, std::string *out)
{
    std::string path = nl_bin_path("booking_client");
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        nl_die_with_parent(parent);
        dup2(p[1], 1);
        dup2(p[1], 2);
        std::vector<char *> av{(char *)path.c_str()};
        for (const std::string &a : args) av.push_back((char *)a.c_str());
        av.push_back(nullptr);
        execv(path.c_str(), av.data());
        _exit(127);
    }
    close(p[1]);
    out->clear();
    uint64_t deadline = nl_now_ms() + 10000;
    char buf[1024];
    for (;;) {
        uint64_t now = nl_now_ms();
        struct pollfd pfd = {p[0], POLLIN, 0};
        if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0) break;
        ssize_t n = read(p[0], buf, sizeof buf);
        if (n <= 0) break;
        out->append(buf, (size_t)n);
    }
    close(p[0]);
    int st;
    if (nl_now_ms() >= deadline) kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_client_cli(void **)
{
    bk_server &s = *bk_new();
    START(&s, "--mode", "thread", "--stock", "hamlet=5", "--stock", "tosca=2");
    std::string out, kp = s.key_path;
    assert_int_equal(run_client({"--key-path", kp, "list"}, &out), 0);
    int cap, sold, left;
    const char *row = strstr(out.c_str(), "\nhamlet");
    assert_non_null(row);
    assert_int_equal(sscanf(row, " hamlet %d %d %d", &cap, &sold, &left), 3);
    assert_true(cap == 5 && sold == 0 && left == 5);
    assert_int_equal(run_client({"--key-path", kp, "reserve", "hamlet", "2"}, &out), 0);
    unsigned long long id;
    int n;
    assert_int_equal(sscanf(out.c_str(), "booking %llu: %d seat(s) for hamlet, %d left", &id, &n, &left), 3);
    assert_true(n == 2 && left == 3);
    assert_int_equal(run_client({"--key-path", kp, "reserve", "hamlet", "9"}, &out), 1);
    assert_non_null(strstr(out.c_str(), "only 3 seat(s) left for hamlet"));
    // The words of an unknown-show message are the student's (README: only SOLD_OUT's text is fixed):
    // the client's exit status 1 and its "refused:" line say the server refused.
    if (run_client({"--key-path", kp, "reserve", "nope", "1"}, &out) != 1 || !strstr(out.c_str(), "refused: "))
        fail_msg("booking_client reserve nope 1 (no such show): expected exit 1 and 'refused: ...', got %s", out.c_str());
    assert_int_equal(run_client({"--key-path", kp, "cancel", "hamlet", std::to_string(id)}, &out), 0);
    assert_non_null(strstr(out.c_str(), "cancelled 2 seat(s)"));
    assert_int_equal(run_client({"--key-path", kp, "reserve", "hamlet", "0"}, &out), 2);
    std::string none = bk_key_file();
    assert_int_equal(run_client({"--key-path", none, "--timeout-ms", "2000", "list"}, &out), 3);
    assert_non_null(strstr(out.c_str(), "no server"));
    assert_stock(s.qid, "hamlet", 5, 0);
    assert_queue_empty(s.qid);
    STOP_CLEAN(&s);
}

// ---- protocol ------------------------------------------------------------------------------------

static void test_reply_to_client_mtype(void **)
{
    for (const char *mode : MODES) {
        bk_server &s = *bk_new();
        START(&s, "--mode", mode, "--cost-us", "20000", "--stock", "hamlet=50");
        bk_watchdog(s.qid, 20000);
        // Two clients' requests in the server at once (queued while it is stopped), each taking
        // 20 ms: each reply must carry its client's mtype and tag, so each client finds its own.
        booking_request a = bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 7001, 101);
        booking_request b = bk_req(BOOKING_OP_RESERVE, "hamlet", 2, 7002, 202);
        assert_true(bk_pause(&s));
        assert_int_equal(bk_send(s.qid, &a), 0);
        assert_int_equal(bk_send(s.qid, &b), 0);
        bk_resume(&s);
        booking_reply rb, ra;
        assert_int_equal(bk_recv(s.qid, 7002, &rb), 0);
        assert_int_equal(bk_recv(s.qid, 7001, &ra), 0);
        expect_ok(&ra, &a);
        expect_ok(&rb, &b);
        assert_int_equal(ra.count, 1);
        assert_int_equal(rb.count, 2);
        assert_queue_empty(s.qid);
        bk_watchdog(s.qid, BK_DEFAULT_WATCHDOG_MS);
        STOP_CLEAN(&s);
    }
}

static void test_rejects_bad_requests(void **)
{
    for (const char *mode : MODES) {
        bk_server &s = *bk_new();
        START(&s, "--mode", mode, "--stock", "hamlet=20");
        struct {
            booking_op op;
            const char *show;
            int count;
            booking_status want;
        } cases[] = {
            {BOOKING_OP_RESERVE, "macbeth", 1, BOOKING_E_UNKNOWN_SHOW},
            {BOOKING_OP_RESERVE, "hamlet", 0, BOOKING_E_BAD_COUNT},
            {BOOKING_OP_RESERVE, "hamlet", -3, BOOKING_E_BAD_COUNT},
            {BOOKING_OP_RESERVE, "hamlet", BOOKING_MAX_SEATS_PER_REQUEST + 1, BOOKING_E_BAD_COUNT},
            {BOOKING_OP_RESERVE, "hamlet", 1 << 30, BOOKING_E_BAD_COUNT},
            {BOOKING_OP_CANCEL, "hamlet", -1, BOOKING_E_BAD_COUNT},
            {BOOKING_OP_CANCEL, "macbeth", 0, BOOKING_E_UNKNOWN_SHOW},
        };
        uint64_t tag = 1;
        for (auto &c : cases) {
            booking_reply r = call(s.qid, bk_req(c.op, c.show, c.count, 5004, tag++, 1));
            if (r.status != c.want)
                fail_msg("op %d show '%s' count %d: status %d, expected %d (%s)", c.op, c.show, c.count, r.status,
                         c.want, r.message);
            assert_true(r.message[0] != '\0');
        }
        assert_stock(s.qid, "hamlet", 20, 0);
        assert_queue_empty(s.qid);
        STOP_CLEAN(&s);
    }
}

struct idle_arg {
    int qid;
    pid_t pid;
    long threads;  // the mode's threads when idle: main + signal (+ pool workers)
};
static bool server_idle(void *a)
{
    idle_arg *i = (idle_arg *)a;
    struct msqid_ds ds;
    return msgctl(i->qid, IPC_STAT, &ds) == 0 && ds.msg_qnum == 0 && nl_proc_threads(i->pid) == i->threads;
}

static void test_rejects_malformed(void **)
{
    for (const char *mode : MODES) {
        bk_server &s = *bk_new();
        START(&s, "--mode", mode, "--stock", "hamlet=20");
        bk_watchdog(s.qid, 20000);
        booking_request good = bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 6001, 61);
        const char *body = (const char *)&good + sizeof(long);
        booking_reply r;
        // Too short, too long (a valid request plus trailing bytes), bad magic, unknown op,
        // a show name without its NUL: each an error reply to the mtype it names, nothing sold.
        // One at a time: this test is about parsing, not about concurrency.
        std::vector<char> longer(body, body + BOOKING_REQUEST_SIZE);
        longer.resize(BOOKING_REQUEST_SIZE + 96, 'x');
        booking_request bad_magic = good, bad_op = good, bad_name = good;
        bad_magic.magic = 0xdeadbeef;
        bad_op.op = 9;
        memset(bad_name.show, 'A', sizeof bad_name.show);
        for (int i = 0; i < 5; i++) {
            if (i == 0) assert_int_equal(bk_send_raw(s.qid, 1, body, 20), 0);
            if (i == 1) assert_int_equal(bk_send_raw(s.qid, 1, longer.data(), longer.size()), 0);
            if (i == 2) assert_int_equal(bk_send(s.qid, &bad_magic), 0);
            if (i == 3) assert_int_equal(bk_send(s.qid, &bad_op), 0);
            if (i == 4) assert_int_equal(bk_send(s.qid, &bad_name), 0);
            assert_int_equal(bk_recv(s.qid, 6001, &r), 0);
            if (r.status != BOOKING_E_MALFORMED)
                fail_msg("malformed message %d got status %d (%s), expected %d", i, r.status, r.message,
                         BOOKING_E_MALFORMED);
            assert_int_equal(r.tag, 61);
            assert_true(r.message[0] != '\0');
        }
        // Nowhere to reply (empty message, reply mtype 1 = the request type): dropped, and the
        // server must not read its own reply back as a request.
        assert_int_equal(bk_send_raw(s.qid, 1, body, 0), 0);
        booking_request loop = good;
        loop.reply_mtype = BOOKING_MTYPE_REQUEST;
        assert_int_equal(bk_send(s.qid, &loop), 0);
        // Both taken and done with (queue empty, no request thread left) before the next request,
        // so that this test stays about parsing.
        idle_arg idle = {s.qid, s.pid, strcmp(mode, "pool") == 0 ? 2 + 4 : 2};
        assert_true(nl_wait_until(server_idle, &idle, 5000));
        assert_stock(s.qid, "hamlet", 20, 0);
        assert_queue_empty(s.qid);
        bk_watchdog(s.qid, BK_DEFAULT_WATCHDOG_MS);
        STOP_CLEAN(&s);
    }
}

// ---- concurrency ---------------------------------------------------------------------------------

// A burst: every request queued while the server is stopped, so that on SIGCONT they are all
// there at once. Request i replies to mtype 10000 + i. Returns the replies in request order.
static std::vector<booking_reply> burst(bk_server *s, const std::vector<booking_request> &reqs, int timeout_ms)
{
    std::vector<booking_reply> replies(reqs.size());
    bk_watchdog(s->qid, timeout_ms);
    if (!bk_pause(s)) fail_msg("could not stop the server with SIGSTOP");
    for (const booking_request &q : reqs)
        if (bk_send(s->qid, &q) < 0) fail_msg("msgsnd: %s", strerror(errno));
    bk_resume(s);
    // Take replies in whatever order they come (the queue holds only ~17 replies: waiting for one
    // client's reply while the others' fill the queue would block the server's senders).
    std::vector<int> seen(reqs.size(), 0);
    for (size_t got = 0; got < reqs.size(); got++) {
        booking_reply r;
        ssize_t n;
        while ((n = msgrcv(s->qid, &r, BOOKING_REPLY_SIZE, BOOKING_MTYPE_REQUEST, MSG_EXCEPT | MSG_NOERROR)) < 0 &&
               errno == EINTR) {}
        if (n < 0) fail_msg("only %zu of %zu requests answered within %d ms", got, reqs.size(), timeout_ms);
        long i = r.mtype - 10000;
        if (n != (ssize_t)BOOKING_REPLY_SIZE || i < 0 || i >= (long)reqs.size())
            fail_msg("a %zd-byte message with mtype %ld: no request asked for that", n, r.mtype);
        if (seen[(size_t)i]++) fail_msg("request %ld (mtype %ld) answered twice", i, r.mtype);
        replies[(size_t)i] = r;
    }
    bk_watchdog(s->qid, BK_DEFAULT_WATCHDOG_MS);
    return replies;
}

// 40 one-seat reservations for the last 5 seats, all in the server at once, each spending 30 ms
// between its seat check and its commit: without a mutex around check-and-commit every worker
// that checks inside that window sells a seat that is not there.
static void oversell_burst(const char *mode)
{
    bk_server &s = *bk_new();
    START(&s, "--mode", mode, "--workers", "8", "--cost-us", "30000", "--stock", "hamlet=5");
    std::vector<booking_request> reqs;
    for (int i = 0; i < 40; i++) reqs.push_back(bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 10000 + i, 900 + i));
    std::vector<booking_reply> replies = burst(&s, reqs, 20000);
    int ok = 0, sold_out = 0;
    for (size_t i = 0; i < replies.size(); i++) {
        assert_int_equal(replies[i].tag, reqs[i].tag);
        if (replies[i].status == BOOKING_OK) ok++;
        else if (replies[i].status == BOOKING_E_SOLD_OUT) sold_out++;
    }
    if (ok != 5 || sold_out != 35) fail_msg("%s mode: %d seats sold out of 5 (%d refused as sold out)", mode, ok, sold_out);
    assert_stock(s.qid, "hamlet", 5, 5);
    assert_queue_empty(s.qid);
    STOP_CLEAN(&s);
}

static void test_oversell_pool(void **) { oversell_burst("pool"); }
static void test_oversell_thread(void **) { oversell_burst("thread"); }

// Real concurrent clients (threads with their own reply mtype) racing for a small stock.
struct stress_client {
    int qid;
    int64_t mtype;
    int want;           // seats per reservation
    int rounds;
    pthread_barrier_t *start;
    int got_ok = 0;     // seats obtained
    int replies = 0;
    char error[160] = "";
};

static void *stress_main(void *arg)
{
    stress_client *c = (stress_client *)arg;
    pthread_barrier_wait(c->start);
    for (int i = 0; i < c->rounds; i++) {
        booking_request q = bk_req(BOOKING_OP_RESERVE, "hamlet", c->want, c->mtype, (uint64_t)c->mtype * 1000 + (uint64_t)i);
        booking_reply r;
        if (bk_call(c->qid, &q, &r) < 0) {
            snprintf(c->error, sizeof c->error, "mtype %ld: no reply (%s)", (long)c->mtype, strerror(errno));
            return nullptr;
        }
        c->replies++;
        if (r.tag != q.tag || r.op != q.op) {
            snprintf(c->error, sizeof c->error, "mtype %ld: reply for another request (tag %llu)", (long)c->mtype,
                     (unsigned long long)r.tag);
            return nullptr;
        }
        if (r.status == BOOKING_OK) c->got_ok += r.count;
        else if (r.status != BOOKING_E_SOLD_OUT) {
            snprintf(c->error, sizeof c->error, "mtype %ld: unexpected status %d (%s)", (long)c->mtype, r.status, r.message);
            return nullptr;
        }
    }
    return nullptr;
}

static void test_oversell_stress(void **)
{
    const char *modes[] = {"pool", "thread"};
    for (const char *mode : modes) {
        bk_server &s = *bk_new();
        START(&s, "--mode", mode, "--workers", "8", "--cost-us", "2000", "--stock", "hamlet=25");
        bk_watchdog(s.qid, 25000);
        enum { N = 48 };
        pthread_barrier_t start;
        pthread_barrier_init(&start, nullptr, N);
        std::vector<stress_client> cs(N);
        std::vector<pthread_t> tids(N);
        for (int i = 0; i < N; i++) {
            cs[i].qid = s.qid;
            cs[i].mtype = 20000 + i;
            cs[i].want = 1 + i % 3;
            cs[i].rounds = 3;
            cs[i].start = &start;
            assert_int_equal(pthread_create(&tids[i], nullptr, stress_main, &cs[i]), 0);
        }
        int sold = 0;
        for (int i = 0; i < N; i++) pthread_join(tids[i], nullptr);
        for (int i = 0; i < N; i++) {
            if (cs[i].error[0]) fail_msg("%s mode: %s", mode, cs[i].error);
            assert_int_equal(cs[i].replies, 3);
            sold += cs[i].got_ok;
        }
        pthread_barrier_destroy(&start);
        bk_watchdog(s.qid, BK_DEFAULT_WATCHDOG_MS);
        if (sold > 25) fail_msg("%s mode: %d seats sold out of 25", mode, sold);
        assert_stock(s.qid, "hamlet", 25, sold);
        assert_queue_empty(s.qid);
        STOP_CLEAN(&s);
    }
}

// 40 different requests in the server at once, each spending 20 ms inside its work: a request
// that does not stay its thread's own until the reply is built gets answered with another's data.
static void test_thread_burst_replies_match(void **)
{
    const char *shows[] = {"s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"};
    bk_server &s = *bk_new();
    START(&s, "--mode", "thread", "--cost-us", "20000", "--stock", "s0=100", "--stock", "s1=100", "--stock", "s2=100",
          "--stock", "s3=100", "--stock", "s4=100", "--stock", "s5=100", "--stock", "s6=100", "--stock", "s7=100");
    std::vector<booking_request> reqs;
    for (int i = 0; i < 40; i++)
        reqs.push_back(bk_req(BOOKING_OP_RESERVE, shows[i % 8], 1 + (i / 8) % 5, 10000 + i, 5000 + (uint64_t)i * 7));
    std::vector<booking_reply> replies = burst(&s, reqs, 15000);
    std::map<std::string, int> want;
    for (size_t i = 0; i < reqs.size(); i++) {
        const booking_reply &r = replies[i];
        if (r.tag != reqs[i].tag || r.count != reqs[i].count || strcmp(r.show, reqs[i].show) != 0)
            fail_msg("request %zu (%d seat(s) of %s, tag %llu) answered with %d seat(s) of %s, tag %llu", i,
                     reqs[i].count, reqs[i].show, (unsigned long long)reqs[i].tag, r.count, r.show,
                     (unsigned long long)r.tag);
        assert_int_equal(r.status, BOOKING_OK);
        want[reqs[i].show] += reqs[i].count;
    }
    for (const char *sh : shows) assert_stock(s.qid, sh, 100, want[sh]);
    assert_queue_empty(s.qid);
    STOP_CLEAN(&s);
}

// Mixed traffic from 32 clients in each mode: every request answered once, with its own reply.
struct load_client {
    int qid;
    int64_t mtype;
    const char *show;
    pthread_barrier_t *start;
    int held = 0;        // seats this client holds at the end
    int replies = 0;
    char error[160] = "";
};

static void *load_main(void *arg)
{
    load_client *c = (load_client *)arg;
    pthread_barrier_wait(c->start);
    uint64_t tag = (uint64_t)c->mtype << 16;
    for (int round = 0; round < 8; round++) {
        booking_request reqs[3];
        reqs[0] = bk_req(BOOKING_OP_LIST, "", 0, c->mtype, ++tag);
        reqs[1] = bk_req(BOOKING_OP_RESERVE, c->show, 1 + round % 2, c->mtype, ++tag);
        booking_reply r;
        for (int k = 0; k < 3; k++) {
            if (bk_call(c->qid, &reqs[k], &r) < 0) {
                snprintf(c->error, sizeof c->error, "mtype %ld: request %d got no reply (%s)", (long)c->mtype, k,
                         strerror(errno));
                return nullptr;
            }
            c->replies++;
            if (r.tag != reqs[k].tag || r.op != reqs[k].op) {
                snprintf(c->error, sizeof c->error, "mtype %ld: reply for another request", (long)c->mtype);
                return nullptr;
            }
            if (k == 1) {
                // Every other round gives the booking back, so the stock moves both ways.
                if (r.status == BOOKING_OK) c->held += r.count;
                bool give_back = r.status == BOOKING_OK && round % 2 == 0;
                reqs[2] = give_back ? bk_req(BOOKING_OP_CANCEL, c->show, 0, c->mtype, ++tag, r.booking_id)
                                    : bk_req(BOOKING_OP_LIST, "", 0, c->mtype, ++tag);
                if (give_back) c->held -= r.count;
            } else if (r.status != BOOKING_OK) {
                snprintf(c->error, sizeof c->error, "mtype %ld: %s", (long)c->mtype, r.message);
                return nullptr;
            }
        }
    }
    return nullptr;
}

void thread_limit_serves_inline(void);  // test_fields.cpp: R16 when no thread can be started
static void test_load_every_mode(void **)
{
    const char *shows[] = {"hamlet", "tosca", "lear", "carmen"};
    for (const char *mode : MODES) {
        bk_server &s = *bk_new();
        START(&s, "--mode", mode, "--workers", "4", "--stock", "hamlet=30", "--stock", "tosca=30", "--stock", "lear=30",
              "--stock", "carmen=30");
        bk_watchdog(s.qid, 25000);
        enum { N = 32 };
        pthread_barrier_t start;
        pthread_barrier_init(&start, nullptr, N);
        std::vector<load_client> cs(N);
        std::vector<pthread_t> tids(N);
        for (int i = 0; i < N; i++) {
            cs[i].qid = s.qid;
            cs[i].mtype = 30000 + i;
            cs[i].show = shows[i % 4];
            cs[i].start = &start;
            assert_int_equal(pthread_create(&tids[i], nullptr, load_main, &cs[i]), 0);
        }
        for (int i = 0; i < N; i++) pthread_join(tids[i], nullptr);
        pthread_barrier_destroy(&start);
        std::map<std::string, int> held;
        for (int i = 0; i < N; i++) {
            if (cs[i].error[0]) fail_msg("%s mode: %s", mode, cs[i].error);
            assert_int_equal(cs[i].replies, 24);
            held[cs[i].show] += cs[i].held;
        }
        bk_watchdog(s.qid, BK_DEFAULT_WATCHDOG_MS);
        for (const char *sh : shows) assert_stock(s.qid, sh, 30, held[sh]);
        assert_queue_empty(s.qid);
        STOP_CLEAN(&s);
    }
    thread_limit_serves_inline();
}

// ---- robustness ----------------------------------------------------------------------------------

static void test_shutdown_removes_queue(void **)
{
    for (int i = 0; i < 3; i++) {
        bk_server &s = *bk_new();
        START(&s, "--mode", MODES[i], "--stock", "hamlet=5");
        booking_reply r = call(s.qid, bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 5005, 1));
        assert_int_equal(r.status, BOOKING_OK);
        assert_int_equal(bk_stop(&s, i == 1 ? SIGINT : SIGTERM), 0);
        if (msgget(s.key, 0) >= 0 || errno != ENOENT) fail_msg("%s mode: the queue is still there after shutdown", MODES[i]);
        // The key is free again: a new server starts on it without reclaiming anything.
        bk_server &again = *bk_new();
        again.key_path = s.key_path;
        START(&again, "--mode", MODES[i], "--stock", "hamlet=5");
        assert_false(bk_output_contains(&again, "reclaim", 0));
        STOP_CLEAN(&again);
        assert_int_equal(msgget(s.key, 0), -1);
    }
}

static void test_reclaims_stale_queue(void **)
{
    bk_server &dead = *bk_new();
    START(&dead, "--mode", "pool", "--stock", "hamlet=5");
    assert_int_equal(bk_stop(&dead, SIGKILL), -1);
    int stale = msgget(dead.key, 0);
    assert_int_equal(stale, dead.qid);  // a killed server leaves its queue
    bk_server &s = *bk_new();
    s.key_path = dead.key_path;
    START(&s, "--mode", "thread", "--stock", "hamlet=5");
    assert_true(bk_output_contains(&s, "reclaim", 2000));
    booking_reply r = call(s.qid, bk_req(BOOKING_OP_RESERVE, "hamlet", 2, 5006, 1));
    assert_int_equal(r.status, BOOKING_OK);
    // A second server on a live server's key refuses, and leaves the first one alone.
    bk_server &second = *bk_new();
    second.key_path = s.key_path;
    assert_int_not_equal(bk_start(&second, {"--mode", "seq", "--stock", "hamlet=5"}, 5000), 0);
    assert_true(second.exited && WIFEXITED(second.status) && WEXITSTATUS(second.status) == 1);
    assert_true(second.output.find("another booking_server") != std::string::npos);
    assert_stock(s.qid, "hamlet", 5, 2);
    STOP_CLEAN(&s);
    assert_int_equal(msgget(s.key, 0), -1);
}

static bool under_sanitizer(pid_t pid)
{
    return nl_proc_linked_with(pid, "libasan") || nl_proc_linked_with(pid, "libtsan") || nl_proc_linked_with(pid, "liblsan");
}

static void list_calls(int qid, int n)
{
    booking_request q = bk_req(BOOKING_OP_LIST, "", 0, 5007, 0);
    for (int i = 0; i < n; i++) {
        q.tag++;
        booking_reply r;
        if (bk_call(qid, &q, &r) < 0) fail_msg("list %d: no reply (%s)", i, strerror(errno));
        if (r.status != BOOKING_OK || r.tag != q.tag) fail_msg("list %d: bad reply", i);
    }
}

struct threads_arg {
    pid_t pid;
    long want;
};
static bool threads_back(void *a)
{
    threads_arg *t = (threads_arg *)a;
    return nl_proc_threads(t->pid) == t->want;
}

static long count_mappings(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    long n = 0;
    while (fgets(line, sizeof line, f)) n++;
    fclose(f);
    return n;
}

// A finished thread that was neither detached nor joined keeps its stack mapped (the kernel task
// is gone, so /proc/PID/task does not show it): two mappings (stack + guard page) per request.
// Counted in /proc/PID/maps rather than as VmSize, because VmSize also jumps by 64 MiB whenever
// glibc opens a new malloc arena for a thread, which a correct server may do a few times (at most
// 8 per core); the count moves by 2 per arena, and glibc's stack cache holds at most 40 MiB.
static void test_thread_mode_releases_threads(void **)
{
    bk_server &s = *bk_new();
    START(&s, "--mode", "thread", "--stock", "hamlet=5");
    bk_watchdog(s.qid, 25000);
    list_calls(s.qid, 20);
    threads_arg ta = {s.pid, 2};  // main loop + signal thread
    assert_true(nl_wait_until(threads_back, &ta, 5000));
    long before = count_mappings(s.pid), vm_before = bk_proc_status(s.pid, "VmSize");
    list_calls(s.qid, 300);
    if (!nl_wait_until(threads_back, &ta, 5000))
        fail_msg("request threads did not end: %d threads", nl_proc_threads(s.pid));
    long after = count_mappings(s.pid), vm_after = bk_proc_status(s.pid, "VmSize");
    assert_true(before > 0 && after > 0);
    fprintf(stderr, "mappings %ld -> %ld, VmSize %ld kB -> %ld kB over 300 requests\n", before, after, vm_before,
            vm_after);
    if (after - before > 100)
        fail_msg("%ld new mappings over 300 requests: finished threads keep their stacks (not detached?)",
                 after - before);
    bk_watchdog(s.qid, BK_DEFAULT_WATCHDOG_MS);
    STOP_CLEAN(&s);
}

// The heap copy of each request must be freed by its thread. 128 bytes a request (104 + malloc's
// header, rounded) over 20000 requests is 2.5 MB of heap that a correct server reuses instead.
static void test_thread_mode_frees_requests(void **)
{
    bk_server &s = *bk_new();
    START(&s, "--mode", "thread", "--stock", "hamlet=5");
    if (under_sanitizer(s.pid)) {
        STOP_CLEAN(&s);
        skip();
    }
    bk_watchdog(s.qid, 25000);
    list_calls(s.qid, 2000);
    long before = bk_proc_status(s.pid, "VmRSS");
    list_calls(s.qid, 20000);
    long after = bk_proc_status(s.pid, "VmRSS");
    assert_true(before > 0 && after > 0);
    fprintf(stderr, "VmRSS %ld kB -> %ld kB over 20000 requests\n", before, after);
    if (after - before > 1024)
        fail_msg("VmRSS grew by %ld kB over 20000 requests: request copies are not freed", after - before);
    bk_watchdog(s.qid, BK_DEFAULT_WATCHDOG_MS);
    STOP_CLEAN(&s);
}

void test_wire_diff(void **);   // test_wire_diff.cpp
void test_show_limits(void **);  // test_limits.cpp
void test_reply_fields(void **);  // test_fields.cpp
void test_cost_us_between_check_and_commit(void **);
void test_full_queue_reply_patience(void **);
void test_key_file_rules(void **);
void test_shutdown_edges(void **);

#define T(f) cmocka_unit_test_teardown(f, bk_teardown)
static const struct CMUnitTest tests[] = {
    T(test_server_starts),
    T(test_queue_private),
    T(test_list_shows),
    T(test_reserve_updates_stock),
    T(test_cancel_booking),
    T(test_sold_out_refused),
    T(test_client_cli),
    T(test_reply_to_client_mtype),
    T(test_rejects_bad_requests),
    T(test_rejects_malformed),
    T(test_oversell_pool),
    T(test_oversell_thread),
    T(test_oversell_stress),
    T(test_thread_burst_replies_match),
    T(test_load_every_mode),
    T(test_shutdown_removes_queue),
    T(test_reclaims_stale_queue),
    T(test_thread_mode_releases_threads),
    T(test_thread_mode_frees_requests),
    T(test_wire_diff),
    T(test_show_limits),
    T(test_reply_fields),
    T(test_cost_us_between_check_and_commit),
    T(test_full_queue_reply_patience),
    T(test_key_file_rules),
    T(test_shutdown_edges),
};

NL_TEST_MAIN("ex03_booking", tests)
