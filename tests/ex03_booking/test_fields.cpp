// test_fields.cpp — the reply fields the README fixes, at their limits: message lengths around the
// 8 bytes of reply_mtype and the 16 that hold the tag, reply mtypes around 1, the magic of every
// reply, `remaining` -1 and an empty message where R3 says so, SOLD_OUT's exact text, counts at and
// past their limits, the order of the checks; the --cost-us work; a full queue; the key file.
#include "bk_harness.h"
#include "nl_check.h"
#include "nl_clock.h"
#include "nl_test.h"
#include "nl_testproc.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

void test_reply_fields(void **);
void test_cost_us_between_check_and_commit(void **);
void test_full_queue_reply_patience(void **);
void test_key_file_rules(void **);
void test_shutdown_edges(void **);
void thread_limit_serves_inline(void);  // called by test_load_every_mode

// One request, its reply: fails at the caller's line when none comes or the tag is not echoed.
static booking_reply ask_at(const nl_where &w, int qid, const booking_request &q, const char *what)
{
    booking_reply r;
    booking_request copy = q;
    if (bk_call(qid, &copy, &r) < 0) nl_fail_at(w, "%s: expected a reply, got none: %s", what, strerror(errno));
    if (r.tag != q.tag || r.mtype != q.reply_mtype)
        nl_fail_at(w, "%s: expected the reply to mtype %lld with tag %llu, got mtype %lld tag %llu", what,
                   (long long)q.reply_mtype, (unsigned long long)q.tag, (long long)r.mtype, (unsigned long long)r.tag);
    if (r.magic != BOOKING_MAGIC) nl_fail_at(w, "%s: expected the reply's magic 0x%08x, got 0x%08x", what, BOOKING_MAGIC, r.magic);
    return r;
}
#define ask(...) ask_at(NL_HERE, __VA_ARGS__)

// A refusal: its status, a non-empty message, `remaining` -1 (R3: only OK and SOLD_OUT say the seats left).
static void expect_refusal_at(const nl_where &w, const booking_reply &r, int status, const char *what)
{
    if (r.status != status)
        nl_fail_at(w, "%s: expected status %d, got %d (%s)", what, status, r.status, r.message);
    if (!r.message[0]) nl_fail_at(w, "%s: expected a message saying why, got an empty one", what);
    if (r.remaining != -1) nl_fail_at(w, "%s: expected remaining -1 in a refusal, got %d", what, r.remaining);
}
#define expect_refusal(...) expect_refusal_at(NL_HERE, __VA_ARGS__)

static void expect_ok_at(const nl_where &w, const booking_reply &r, const booking_request &q, int count, int remaining,
                         const char *what)
{
    if (r.status != BOOKING_OK) nl_fail_at(w, "%s: expected status OK, got %d (%s)", what, r.status, r.message);
    if (r.message[0]) nl_fail_at(w, "%s: expected an empty message with OK, got '%.95s'", what, r.message);
    if (r.op != q.op || strcmp(r.show, q.show) != 0)
        nl_fail_at(w, "%s: expected op %d show '%s' echoed, got op %d show '%.31s'", what, q.op, q.show, r.op, r.show);
    if (r.count != count || r.remaining != remaining)
        nl_fail_at(w, "%s: expected count %d remaining %d, got count %d remaining %d", what, count, remaining, r.count,
                   r.remaining);
}
#define expect_ok(...) expect_ok_at(NL_HERE, __VA_ARGS__)

static bool queue_empty(void *arg)
{
    struct msqid_ds ds;
    return msgctl(*(int *)arg, IPC_STAT, &ds) == 0 && ds.msg_qnum == 0;
}

// Sends len bytes of a valid reserve request (tag 77, reply to 6100); returns the reply (1) or 0 when
// none came within wait_ms.
static int send_len(int qid, size_t len, booking_reply *r, int wait_ms)
{
    booking_request q = bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 6100, 77);
    unsigned char raw[sizeof q + 16] = {};
    memcpy(raw, &q, sizeof q);
    if (bk_send_raw(qid, BOOKING_MTYPE_REQUEST, raw + sizeof(long), len) != 0) return 0;
    uint64_t deadline = nl_now_ms() + (uint64_t)wait_ms;
    for (;;) {
        if (msgrcv(qid, r, BOOKING_REPLY_SIZE, 6100, IPC_NOWAIT | MSG_NOERROR) >= 0) return 1;
        if (nl_now_ms() >= deadline) return 0;
        usleep(1000);
    }
}

void test_reply_fields(void **)
{
    bk_server &s = *bk_new();
    assert_int_equal(bk_start(&s, {"--mode", "seq", "--stock", "hamlet=12", "--stock", "tosca=3"}), 0);
    int qid = s.qid;
    // Lengths: 8 bytes hold reply_mtype (answered), 16 the tag (echoed from there on), 104 is the size.
    struct {
        size_t len;
        uint64_t tag;
    } lens[] = {{8, 0}, {15, 0}, {16, 77}, {103, 77}, {105, 77}};
    for (auto &l : lens) {
        booking_reply r;
        if (!send_len(qid, l.len, &r, 5000)) NL_FAIL("a %zu-byte message: expected a MALFORMED reply, got none", l.len);
        if (r.status != BOOKING_E_MALFORMED || r.tag != l.tag || r.magic != BOOKING_MAGIC || r.remaining != -1 || !r.message[0])
            NL_FAIL("a %zu-byte message: expected MALFORMED, tag %llu, the magic, remaining -1 and a message; got status "
                    "%d tag %llu magic 0x%08x remaining %d '%.95s'", l.len, (unsigned long long)l.tag, r.status,
                    (unsigned long long)r.tag, r.magic, r.remaining, r.message);
    }
    // 7 bytes, or a reply mtype of 1, 0 or below: dropped (nothing comes back, nothing stays queued);
    // a reply mtype of 2 is answered.
    booking_reply r;
    if (send_len(qid, 7, &r, 300)) NL_FAIL("a 7-byte message: expected no reply, got status %d", r.status);
    const int64_t dropped[] = {1, 0, -5};
    for (int64_t mt : dropped) {
        booking_request q = bk_req(BOOKING_OP_LIST, "", 0, mt, 5);
        assert_int_equal(bk_send(qid, &q), 0);
    }
    NL_EXPECT_TRUE(nl_wait_until(queue_empty, &qid, 5000), "after requests with reply_mtype 1, 0 and -5");
    booking_request two = bk_req(BOOKING_OP_LIST, "", 0, 2, 6);
    booking_reply rl = ask(qid, two, "list with reply_mtype 2");
    NL_EXPECT_EQ_INT(rl.status, BOOKING_OK, "list with reply_mtype 2");
    NL_EXPECT_EQ_INT(rl.nshows, 2, "list with reply_mtype 2");

    // Counts: 1 and 10 are the limits of a reservation; 0 and 11 one past them.
    booking_request q1 = bk_req(BOOKING_OP_RESERVE, "hamlet", 10, 6101, 1);
    r = ask(qid, q1, "reserve hamlet 10");
    expect_ok(r, q1, 10, 2, "reserve hamlet 10");
    uint64_t ten = r.booking_id;
    booking_request q2 = bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 6101, 2);
    r = ask(qid, q2, "reserve hamlet 1");
    expect_ok(r, q2, 1, 1, "reserve hamlet 1");
    NL_EXPECT_TRUE(r.booking_id != 0 && r.booking_id != ten, "reserve hamlet 1 after booking %llu", (unsigned long long)ten);
    expect_refusal(ask(qid, bk_req(BOOKING_OP_RESERVE, "hamlet", 11, 6101, 3), "reserve hamlet 11"), BOOKING_E_BAD_COUNT,
                   "reserve hamlet 11");
    expect_refusal(ask(qid, bk_req(BOOKING_OP_RESERVE, "hamlet", 0, 6101, 4), "reserve hamlet 0"), BOOKING_E_BAD_COUNT,
                   "reserve hamlet 0");
    // The show is checked before the count (R8).
    expect_refusal(ask(qid, bk_req(BOOKING_OP_RESERVE, "macbeth", 0, 6101, 5), "reserve macbeth 0"),
                   BOOKING_E_UNKNOWN_SHOW, "reserve macbeth 0");
    expect_refusal(ask(qid, bk_req(BOOKING_OP_CANCEL, "macbeth", -1, 6101, 6, ten), "cancel macbeth -1"),
                   BOOKING_E_UNKNOWN_SHOW, "cancel macbeth -1");
    // SOLD_OUT: remaining and the exact sentence (R6).
    r = ask(qid, bk_req(BOOKING_OP_RESERVE, "hamlet", 2, 6101, 7), "reserve hamlet 2 with 1 left");
    NL_EXPECT_EQ_INT(r.status, BOOKING_E_SOLD_OUT, "reserve hamlet 2 with 1 left");
    NL_EXPECT_EQ_INT(r.remaining, 1, "reserve hamlet 2 with 1 left");
    NL_EXPECT_STREQ(r.message, "only 1 seat(s) left for hamlet", "reserve hamlet 2 with 1 left");
    r = ask(qid, bk_req(BOOKING_OP_RESERVE, "tosca", 4, 6101, 8), "reserve tosca 4 with 3 left");
    NL_EXPECT_EQ_INT(r.status, BOOKING_E_SOLD_OUT, "reserve tosca 4 with 3 left");
    NL_EXPECT_EQ_INT(r.remaining, 3, "reserve tosca 4 with 3 left");
    NL_EXPECT_STREQ(r.message, "only 3 seat(s) left for tosca", "reserve tosca 4 with 3 left");
    // Cancel counts: any positive count is a count; more than the booking has is NO_BOOKING (R7, R10).
    expect_refusal(ask(qid, bk_req(BOOKING_OP_CANCEL, "hamlet", 1000000, 6101, 9, ten), "cancel 1000000"),
                   BOOKING_E_NO_BOOKING, "cancel 1000000 seats of a 10-seat booking");
    expect_refusal(ask(qid, bk_req(BOOKING_OP_CANCEL, "hamlet", -1, 6101, 10, ten), "cancel -1"),
                   BOOKING_E_BAD_COUNT, "cancel -1 seats");
    expect_refusal(ask(qid, bk_req(BOOKING_OP_CANCEL, "hamlet", 11, 6101, 11, ten), "cancel 11 of 10"),
                   BOOKING_E_NO_BOOKING, "cancel 11 seats of a 10-seat booking");
    // Exactly what the booking has left: given back, and the booking is gone.
    booking_request c1 = bk_req(BOOKING_OP_CANCEL, "hamlet", 4, 6101, 12, ten);
    r = ask(qid, c1, "cancel 4 of 10");
    expect_ok(r, c1, 4, 5, "cancel 4 of the 10-seat booking");
    NL_EXPECT_EQ_INT(r.booking_id, ten, "cancel 4 of the 10-seat booking");
    booking_request c2 = bk_req(BOOKING_OP_CANCEL, "hamlet", 6, 6101, 13, ten);
    r = ask(qid, c2, "cancel the 6 left");
    expect_ok(r, c2, 6, 11, "cancel the 6 seats left of the booking");
    expect_refusal(ask(qid, bk_req(BOOKING_OP_CANCEL, "hamlet", 0, 6101, 14, ten), "cancel again"), BOOKING_E_NO_BOOKING,
                   "cancel of a booking with no seat left");
    expect_refusal(ask(qid, bk_req(BOOKING_OP_CANCEL, "hamlet", 1, 6101, 15, ten), "cancel 1 again"), BOOKING_E_NO_BOOKING,
                   "cancel 1 seat of a booking with no seat left");
    booking_request l = bk_req(BOOKING_OP_LIST, "", 0, 6101, 16);
    r = ask(qid, l, "list");
    NL_EXPECT_EQ_INT(r.status, BOOKING_OK, "list");
    NL_EXPECT_TRUE(!r.message[0], "list: an empty message with OK");
    NL_EXPECT_EQ_INT(r.shows[0].sold, 1, "list after the cancels");
    NL_EXPECT_EQ_INT(r.shows[0].remaining, 11, "list after the cancels");
    // Names: the empty name is no show; a 32-byte name whose NUL would be the customer's first byte,
    // or a customer without its NUL, is MALFORMED.
    expect_refusal(ask(qid, bk_req(BOOKING_OP_RESERVE, "", 1, 6101, 17), "reserve '' 1"), BOOKING_E_UNKNOWN_SHOW,
                   "reserve of the empty show name");
    booking_request nn = bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 6101, 18);
    memset(nn.show, 'h', sizeof nn.show);
    memset(nn.customer, 0, sizeof nn.customer);
    expect_refusal(ask(qid, nn, "32-byte show name"), BOOKING_E_MALFORMED, "a show name of 32 bytes without a NUL");
    booking_request nc = bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 6101, 19);
    memset(nc.customer, 'c', sizeof nc.customer);
    expect_refusal(ask(qid, nc, "32-byte customer"), BOOKING_E_MALFORMED, "a customer name of 32 bytes without a NUL");
    booking_request nop = bk_req(BOOKING_OP_LIST, "", 0, 6101, 20);
    for (int op : {0, 4, -1}) {
        nop.op = (booking_op)op;
        nop.tag++;
        expect_refusal(ask(qid, nop, "unknown op"), BOOKING_E_MALFORMED, nl_fmt("op %d", op).c_str());
    }
    // A message with nowhere to reply leaves a log line (R12).
    pthread_mutex_lock(&s.lock);
    size_t before = s.output.size();
    pthread_mutex_unlock(&s.lock);
    booking_reply none;
    (void)send_len(qid, 5, &none, 0);
    uint64_t deadline = nl_now_ms() + 5000;
    bool logged = false;
    while (!logged && nl_now_ms() < deadline) {
        pthread_mutex_lock(&s.lock);
        logged = s.output.size() > before;
        pthread_mutex_unlock(&s.lock);
        if (!logged) usleep(2000);
    }
    NL_EXPECT_TRUE(logged, "a 5-byte message: expected a log line saying it was dropped");
    NL_EXPECT_EQ_INT(bk_stop(&s), 0, "SIGTERM");
    // A 31-byte show name is a name (its NUL is the 32nd byte).
    std::string n31(31, 'n');
    bk_server &t = *bk_new();
    assert_int_equal(bk_start(&t, {"--mode", "seq", "--stock", n31 + "=2"}), 0);
    booking_request q31 = bk_req(BOOKING_OP_RESERVE, n31.c_str(), 2, 6102, 1);
    expect_ok(ask(t.qid, q31, "reserve of a 31-byte show"), q31, 2, 0, "reserve of a 31-byte show name");
    NL_EXPECT_EQ_INT(bk_stop(&t), 0, "SIGTERM");
}

// --cost-us is spent in every reservation and cancellation (R-cost): a request cannot be answered
// sooner. (Only the lower bound is checked: a loaded machine makes anything slower, never faster.)
void test_cost_us_between_check_and_commit(void **)
{
    bk_server &s = *bk_new();
    assert_int_equal(bk_start(&s, {"--mode", "seq", "--cost-us", "1100000", "--stock", "hamlet=5"}), 0);
    booking_request q = bk_req(BOOKING_OP_RESERVE, "hamlet", 2, 6200, 1);
    uint64_t t0 = nl_now_ms();
    booking_reply r = ask(s.qid, q, "reserve with --cost-us 1100000");
    uint64_t t1 = nl_now_ms();
    NL_EXPECT_EQ_INT(r.status, BOOKING_OK, "reserve with --cost-us 1100000");
    if (t1 - t0 < 1100) NL_FAIL("reserve with --cost-us 1100000: answered after %llu ms, expected at least 1100 ms", (unsigned long long)(t1 - t0));
    booking_request c = bk_req(BOOKING_OP_CANCEL, "hamlet", 0, 6200, 2, r.booking_id);
    r = ask(s.qid, c, "cancel with --cost-us 1100000");
    uint64_t t2 = nl_now_ms();
    NL_EXPECT_EQ_INT(r.status, BOOKING_OK, "cancel with --cost-us 1100000");
    if (t2 - t1 < 1100) NL_FAIL("cancel with --cost-us 1100000: answered after %llu ms, expected at least 1100 ms", (unsigned long long)(t2 - t1));
    NL_EXPECT_EQ_INT(bk_stop(&s), 0, "SIGTERM");
    // Exactly one second: the whole of it is in the seconds, none in the microseconds.
    bk_server &u = *bk_new();
    assert_int_equal(bk_start(&u, {"--mode", "seq", "--cost-us", "1000000", "--stock", "hamlet=5"}), 0);
    q.tag = 3;
    t0 = nl_now_ms();
    r = ask(u.qid, q, "reserve with --cost-us 1000000");
    t1 = nl_now_ms();
    NL_EXPECT_EQ_INT(r.status, BOOKING_OK, "reserve with --cost-us 1000000");
    if (t1 - t0 < 1000) NL_FAIL("reserve with --cost-us 1000000: answered after %llu ms, expected at least 1000 ms", (unsigned long long)(t1 - t0));
    NL_EXPECT_EQ_INT(bk_stop(&u), 0, "SIGTERM");
}

// The queue is shared by requests and replies (16 KiB): a reply that finds it full waits up to 2 s
// for room, then is dropped with a warning, and the server goes on serving.
void test_full_queue_reply_patience(void **)
{
    bk_server &s = *bk_new();
    assert_int_equal(bk_start(&s, {"--mode", "seq", "--stock", "hamlet=5"}), 0);
    struct msqid_ds ds;
    assert_int_equal(msgctl(s.qid, IPC_STAT, &ds), 0);
    // k replies fill the queue; k + 2 requests still fit beside them, so no send of ours blocks.
    int k = (int)(ds.msg_qbytes / BOOKING_REPLY_SIZE);
    if ((size_t)k * BOOKING_REPLY_SIZE + 2 * BOOKING_REQUEST_SIZE > ds.msg_qbytes) k--;
    const int n = k + 2;
    bk_watchdog(s.qid, 25000);
    // A client that reads late, but well within the 2 s: every reply comes, in order.
    for (int i = 0; i < n; i++) {
        booking_request q = bk_req(BOOKING_OP_LIST, "", 0, 6300, (uint64_t)(i + 1));
        assert_int_equal(bk_send(s.qid, &q), 0);
    }
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, nullptr);
    for (int i = 0; i < n; i++) {
        booking_reply r;
        if (bk_recv(s.qid, 6300, &r) < 0) NL_FAIL("a reader 300 ms late: reply %d of %d missing", i + 1, n);
        if (r.tag != (uint64_t)(i + 1))
            NL_FAIL("a reader 300 ms late: reply %d has tag %llu, expected %d (a reply dropped before 2 s?)", i + 1,
                    (unsigned long long)r.tag, i + 1);
    }
    NL_EXPECT_TRUE(!bk_output_contains(&s, "dropped", 0), "a reader 300 ms late: no reply dropped");
    // A client that never reads: after 2 s a reply is dropped with a warning; the server carries on.
    for (int i = 0; i < n; i++) {
        booking_request q = bk_req(BOOKING_OP_LIST, "", 0, 6300, (uint64_t)(101 + i));
        assert_int_equal(bk_send(s.qid, &q), 0);
    }
    if (!bk_output_contains(&s, "dropped", 15000)) NL_FAIL("a queue left full: expected a 'dropped' warning within 15 s");
    booking_reply r;
    int got = 0;
    uint64_t last = 0;
    while (msgrcv(s.qid, &r, BOOKING_REPLY_SIZE, 6300, IPC_NOWAIT | MSG_NOERROR) >= 0) {
        NL_EXPECT_TRUE(r.tag > last && r.tag > 100 && r.tag <= (uint64_t)(100 + n), "replies of the unread client in order");
        last = r.tag;
        got++;
    }
    NL_EXPECT_TRUE(got >= k && got < n, "the unread client's replies: %d of %d (the queue holds %d)", got, n, k);
    booking_request q = bk_req(BOOKING_OP_RESERVE, "hamlet", 1, 6301, 999);
    booking_reply mine = ask(s.qid, q, "a reserve after the queue was full");
    NL_EXPECT_EQ_INT(mine.status, BOOKING_OK, "a reserve after the queue was full");
    bk_watchdog(s.qid, BK_DEFAULT_WATCHDOG_MS);
    NL_EXPECT_EQ_INT(bk_stop(&s), 0, "SIGTERM");
}

static std::string tmp_base(void)
{
    std::string k = bk_key_file();
    return k.substr(0, k.rfind('/'));
}

static void expect_exit1_at(const nl_where &w, const std::string &key_path, const char *what)
{
    bk_server &s = *bk_new();
    s.key_path = key_path;
    if (bk_start(&s, {"--mode", "seq", "--stock", "hamlet=5"}, 5000) == 0) {
        bk_stop(&s);
        nl_fail_at(w, "%s: expected the server to refuse (exit 1), it started", what);
    }
    if (!s.exited || !WIFEXITED(s.status) || WEXITSTATUS(s.status) != 1)
        nl_fail_at(w, "%s: expected exit status 1, got %s: %s", what,
                   s.exited && WIFEXITED(s.status) ? nl_fmt("%d", WEXITSTATUS(s.status)).c_str() : "no exit",
                   s.output.c_str());
    size_t at = s.output.find("booking_server: ");
    if (at == std::string::npos || at + 16 >= s.output.size() || s.output[at + 16] == '\n')
        nl_fail_at(w, "%s: expected a message after 'booking_server: ', got '%s'", what, s.output.c_str());
}
#define expect_exit1(...) expect_exit1_at(NL_HERE, __VA_ARGS__)

// The key file (R20): created 0600 when missing; a path that cannot be opened or is not a regular
// file of the user's (a directory, a symbolic link) is refused with exit 1.
void test_key_file_rules(void **)
{
    std::string dir = tmp_base();
    std::string fresh = dir + "/fresh.key";
    bk_server &s = *bk_new();
    s.key_path = fresh;
    assert_int_equal(bk_start(&s, {"--mode", "seq", "--stock", "hamlet=5"}), 0);
    struct stat st;
    NL_EXPECT_EQ_INT(lstat(fresh.c_str(), &st), 0, "the key file the server was given");
    NL_EXPECT_TRUE(S_ISREG(st.st_mode), "the created key file is a regular file");
    NL_EXPECT_EQ_INT(st.st_mode & 0777, 0600, "the created key file's mode");
    NL_EXPECT_EQ_INT(st.st_uid, getuid(), "the created key file's owner");
    NL_EXPECT_EQ_INT(s.key, ftok(fresh.c_str(), BOOKING_PROJ_ID), "the queue's key");
    NL_EXPECT_EQ_INT(bk_stop(&s), 0, "SIGTERM");
    std::string sub = dir + "/adir";
    assert_int_equal(mkdir(sub.c_str(), 0700), 0);
    expect_exit1(sub, "a directory as --key-path");
    expect_exit1(dir + "/missing/dir/x.key", "a --key-path in a missing directory");
    expect_exit1("/dev/null", "a character device as --key-path");
    if (getuid() != 0) expect_exit1("/etc/passwd", "a file owned by root as --key-path");
    // A queue on the key that the server may not read (mode 0000) is not a dead server's (R18): exit 1, the
    // queue left alone. (Root may read any queue: as the grader, the test runs unprivileged.)
    if (getuid() != 0) {
        std::string taken = bk_key_file();
        key_t key = ftok(taken.c_str(), BOOKING_PROJ_ID);
        int other = msgget(key, IPC_CREAT | IPC_EXCL | 0000);
        assert_true(other >= 0);
        expect_exit1(taken, "a key whose queue the server may not read");
        NL_EXPECT_EQ_INT(msgget(key, 0), other, "the unreadable queue left in place");
        msgctl(other, IPC_RMID, nullptr);
    }
    // No thread to be had at start (task limit 1, R24): exit 1 with a message, no queue left.
    if (getuid() != 0) {
        bk_server &t = *bk_new();
        std::string path = bk_key_file();
        t.key_path = path;
        if (bk_start_program(&t, "/usr/bin/prlimit",
                             {"--nproc=1:1", nl_bin_path("booking_server"), "--mode", "seq", "--stock",
                              "hamlet=5"}, 5000) == 0)
            NL_FAIL("task limit 1: expected the server to refuse (exit 1), it started");
        NL_EXPECT_TRUE(bk_wait_exit(&t, 5000) && WIFEXITED(t.status) && WEXITSTATUS(t.status) == 1,
                       "task limit 1: exit status 1 (%s)", t.output.c_str());
        size_t at = t.output.find("booking_server: ");
        NL_EXPECT_TRUE(at != std::string::npos && at + 16 < t.output.size() && t.output[at + 16] != '\n',
                       "task limit 1: a message (got '%s')", t.output.c_str());
        NL_EXPECT_TRUE(msgget(ftok(path.c_str(), BOOKING_PROJ_ID), 0) < 0, "task limit 1: no queue left");
    }
    std::string target = bk_key_file(), link = dir + "/link.key";
    assert_int_equal(symlink(target.c_str(), link.c_str()), 0);
    expect_exit1(link, "a symbolic link as --key-path");
    NL_EXPECT_EQ_INT(msgget(ftok(target.c_str(), BOOKING_PROJ_ID), 0), -1, "no queue for the link's target");
}

// A thread blocked in msgrcv for one reply: the kernel hands a message straight to a waiting
// receiver, so the reply is ours even when the server removes its queue right after sending it.
struct reply_reader {
    int qid;
    long mtype;
    booking_reply r;
    int rc = -1;
    std::atomic<pid_t> tid{0};
};
static void *reply_reader_main(void *arg)
{
    reply_reader *x = (reply_reader *)arg;
    x->tid = gettid();
    x->rc = bk_recv(x->qid, x->mtype, &x->r);
    return nullptr;
}
static bool reader_waiting(void *arg)
{
    reply_reader *x = (reply_reader *)arg;
    if (!x->tid) return false;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/syscall", (int)x->tid);
    FILE *f = fopen(path, "r");
    long nr = -1;
    if (f) {
        if (fscanf(f, "%ld", &nr) != 1) nr = -1;
        fclose(f);
    }
    return nr == SYS_msgrcv;
}

// SIGTERM while a reservation is in progress (R17): it is answered, then the server exits 0 and the
// queue is gone. In thread mode the server waits up to 2 s for its threads: a 1.2 s reservation fits
// (with room for a loaded machine to start its thread late) and shows a wait of 1 s too short.
static void shutdown_answers_in_progress(void)
{
    for (const char *mode : {"thread", "pool"}) {
        bk_server &s = *bk_new();
        const char *cost = strcmp(mode, "thread") == 0 ? "1200000" : "500000";
        assert_int_equal(bk_start(&s, {"--mode", mode, "--workers", "2", "--cost-us", cost, "--stock", "hamlet=5"}), 0);
        reply_reader rd;
        rd.qid = s.qid;
        rd.mtype = 6400;
        pthread_t tid;
        assert_int_equal(pthread_create(&tid, nullptr, reply_reader_main, &rd), 0);
        NL_EXPECT_TRUE(nl_wait_until(reader_waiting, &rd, 5000), "%s mode: the reply reader waiting in msgrcv", mode);
        booking_request q = bk_req(BOOKING_OP_RESERVE, "hamlet", 3, 6400, 1);
        assert_int_equal(bk_send(s.qid, &q), 0);
        // A list sent after it is answered (by another worker or thread) only once the main loop
        // has handed the reservation on: from then on it is in progress.
        booking_request l = bk_req(BOOKING_OP_LIST, "", 0, 6401, 2);
        booking_reply lr = ask(s.qid, l, "a list behind the reservation");
        NL_EXPECT_EQ_INT(lr.status, BOOKING_OK, "%s mode: a list behind the reservation", mode);
        assert_int_equal(kill(s.pid, SIGTERM), 0);
        pthread_join(tid, nullptr);
        booking_reply &r = rd.r;
        if (rd.rc < 0) NL_FAIL("%s mode: SIGTERM during a reservation: expected its reply, got none", mode);
        if (r.status != BOOKING_OK || r.tag != 1 || r.count != 3 || r.remaining != 2)
            NL_FAIL("%s mode: the reservation in progress: expected OK, 3 seats, 2 left; got status %d count %d remaining %d",
                    mode, r.status, r.count, r.remaining);
        NL_EXPECT_TRUE(bk_wait_exit(&s, 10000), "%s mode: exit after SIGTERM", mode);
        NL_EXPECT_TRUE(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0, "%s mode: exit status 0", mode);
        NL_EXPECT_TRUE(msgget(s.key, 0) < 0, "%s mode: the queue removed", mode);
    }
}

// A queue so full that the shutdown's wake-up message cannot be sent: the server still stops
// (R17: it removes the queue instead); a queue removed under a running server makes it exit (R23).
static void shutdown_full_queue_and_removed_queue(void)
{
    for (const char *mode : {"seq", "pool", "thread"}) {
        bk_server &s = *bk_new();
        assert_int_equal(bk_start(&s, {"--mode", mode, "--stock", "hamlet=5"}), 0);
        char junk[512] = {};
        int n = 0;
        for (;;) {
            struct {
                long mtype;
                char body[512];
            } m;
            m.mtype = 9;  // never read by the server
            memcpy(m.body, junk, sizeof junk);
            if (msgsnd(s.qid, &m, sizeof m.body, IPC_NOWAIT) < 0) break;
            n++;
        }
        NL_EXPECT_TRUE(n > 0 && errno == EAGAIN, "%s mode: the queue filled (%d messages)", mode, n);
        assert_int_equal(kill(s.pid, SIGTERM), 0);
        NL_EXPECT_TRUE(bk_wait_exit(&s, 10000), "%s mode: exit after SIGTERM with the queue full", mode);
        NL_EXPECT_TRUE(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 0, "%s mode: exit status 0", mode);
        NL_EXPECT_TRUE(msgget(s.key, 0) < 0, "%s mode: the queue removed", mode);
        bk_server &t = *bk_new();
        assert_int_equal(bk_start(&t, {"--mode", mode, "--stock", "hamlet=5"}), 0);
        assert_int_equal(msgctl(t.qid, IPC_RMID, nullptr), 0);
        NL_EXPECT_TRUE(bk_wait_exit(&t, 10000), "%s mode: exit after its queue was removed", mode);
        NL_EXPECT_TRUE(t.exited && WIFEXITED(t.status), "%s mode: an exit, not a crash", mode);
    }
}

void test_shutdown_edges(void **)
{
    shutdown_answers_in_progress();
    shutdown_full_queue_and_removed_queue();
}

// Thread mode with no thread to be had (the task limit lowered under the running server with
// prlimit): the main loop serves each request itself, every one answered (R16).
void thread_limit_serves_inline(void)
{
    bk_server &s = *bk_new();
    assert_int_equal(bk_start(&s, {"--mode", "thread", "--stock", "hamlet=10"}), 0);
    struct rlimit one = {1, 1};
    assert_int_equal(prlimit(s.pid, RLIMIT_NPROC, &one, nullptr), 0);
    for (int i = 0; i < 3; i++) {
        booking_request q = bk_req(BOOKING_OP_RESERVE, "hamlet", 2, 6700, 200 + (uint64_t)i);
        booking_reply r = ask(s.qid, q, "a reservation with no thread to be had");
        expect_ok(r, q, 2, 8 - 2 * i, "a reservation with no thread to be had");
    }
    booking_request l = bk_req(BOOKING_OP_LIST, "", 0, 6701, 300);
    booking_reply lr = ask(s.qid, l, "a list with no thread to be had");
    NL_EXPECT_EQ_INT(lr.status, BOOKING_OK, "a list with no thread to be had");
    NL_EXPECT_TRUE(lr.nshows == 1 && lr.shows[0].sold == 6 && lr.shows[0].remaining == 4,
                   "the stock after 3 inline reservations: 6 sold, 4 left (got nshows %d)", lr.nshows);
}
