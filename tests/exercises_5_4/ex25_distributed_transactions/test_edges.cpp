// test_edges.cpp — EX25 calls at the edges of the API (R23): freeing NULL, no descriptor left open
// by a node, a log or a saga; the error fields of a refused call (code, message, errno 0, *out
// NULL); NULL config or message; a stale errno; a failing fsync while a torn tail is cut; a write
// that fails half way (file size limit): ERR_IO, nothing added, the partial frame cut at reopen.
#include "by_hand.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <sys/resource.h>
#include <unistd.h>

static std::string recs(const std::string &path) { return join(disk_records(path.c_str())); }

// R23: every *_free and txlog_close accept NULL; freeing a node, closing a log, rebuilding or
// executing a saga leaves no file descriptor open.
void test_free_null_and_descriptors(void **)
{
    tpc_coord_free(nullptr);
    tpc_part_free(nullptr);
    tpc3_coord_free(nullptr);
    tpc3_part_free(nullptr);
    txlog_close(nullptr);
    saga_free(nullptr);
    bench e("fds");
    int before = open_fds();
    for (int round = 0; round < 2; round++) { // the second time over the files the first one wrote
        tpc_coord *c2 = nullptr;
        tpc_part *p2 = nullptr;
        tpc3_coord *c3 = nullptr;
        tpc3_part *p3 = nullptr;
        txlog *log = nullptr;
        CHECK(tpc_coord_open(e.path("c2.log").c_str(), &e.cfg, &e.io, 0, &c2, &e.err) == TX_OK &&
                  tpc_part_open(e.path("p2.log").c_str(), 1, &e.cfg, &e.io, 0, &p2, &e.err) == TX_OK &&
                  tpc3_coord_open(e.path("c3.log").c_str(), &e.cfg, &e.io, 0, &c3, &e.err) == TX_OK &&
                  tpc3_part_open(e.path("p3.log").c_str(), 1, &e.cfg, &e.io, 0, &p3, &e.err) == TX_OK &&
                  txlog_open(e.path("a.log").c_str(), &log, nullptr, &e.err) == TX_OK,
              "opening the four nodes and a log failed: %s", e.err.msg);
        if (round == 0)
            CHECK(tpc_coord_begin(c2, "t1", 0, &e.err) == TX_OK && tpc3_coord_begin(c3, "t1", 0, &e.err) == TX_OK &&
                      txlog_append(log, "x", 1, &e.err) == TX_OK,
                  "begin / append failed: %s", e.err.msg);
        tpc_coord_free(c2);
        tpc_part_free(p2);
        tpc3_coord_free(c3);
        tpc3_part_free(p3);
        txlog_close(log);
        saga *s = nullptr;
        CHECK(saga_new("s1", e.path("ev.log").c_str(), 1, &e.io, &s, &e.err) == TX_OK &&
                  saga_add_step(s, "a", saga_ok, saga_ok, &e.b, &e.err) == TX_OK,
              "saga set-up failed: %s", e.err.msg);
        saga_status st = SAGA_NOT_STARTED;
        CHECK(saga_execute(s, &st, &e.err) == TX_OK, "saga_execute failed: %s", e.err.msg);
        saga_free(s);
        saga_state ss;
        CHECK(saga_rebuild(e.path("ev.log").c_str(), "s1", &ss, &e.err) == TX_OK, "saga_rebuild failed: %s", e.err.msg);
        int after = open_fds();
        CHECK(after == before, "round %d: after freeing every node, closing the log, executing and rebuilding the saga, "
              "%d file descriptor(s) more are open (before %d, after %d)", round + 1, after - before, before, after);
    }
}

// R4 and R23: a refused call sets err.code to the code it returns, a message and err.sys_errno 0
// (no system call failed); a refused saga_new leaves *out NULL; a NULL config or message is
// ERR_ARG; one participant is enough.
void test_refused_call_fields(void **)
{
    bench e("ref");
    std::string p = e.path("x.log");
    struct {
        const char *what;
        int rc;
        tx_error err;
        void *out;
    } r[7];
    void *junk = &e; // what *out held before the call
    tpc_coord *c2 = static_cast<tpc_coord *>(junk);
    r[0].what = "tpc_coord_open(cfg NULL)";
    r[0].rc = tpc_coord_open(p.c_str(), nullptr, &e.io, 0, &c2, &r[0].err);
    r[0].out = c2;
    tpc_part *p2 = static_cast<tpc_part *>(junk);
    r[1].what = "tpc_part_open(cfg NULL)";
    r[1].rc = tpc_part_open(p.c_str(), 1, nullptr, &e.io, 0, &p2, &r[1].err);
    r[1].out = p2;
    tpc3_coord *c3 = static_cast<tpc3_coord *>(junk);
    r[2].what = "tpc3_coord_open(cfg NULL)";
    r[2].rc = tpc3_coord_open(p.c_str(), nullptr, &e.io, 0, &c3, &r[2].err);
    r[2].out = c3;
    tpc3_part *p3 = static_cast<tpc3_part *>(junk);
    r[3].what = "tpc3_part_open(cfg NULL)";
    r[3].rc = tpc3_part_open(p.c_str(), 1, nullptr, &e.io, 0, &p3, &r[3].err);
    r[3].out = p3;
    txlog *log = static_cast<txlog *>(junk);
    r[4].what = "txlog_open(NULL path)";
    r[4].rc = txlog_open(nullptr, &log, nullptr, &r[4].err);
    r[4].out = log;
    saga *s = static_cast<saga *>(junk);
    r[5].what = "saga_new(\"bad id\")";
    r[5].rc = saga_new("bad id", p.c_str(), 1, &e.io, &s, &r[5].err);
    r[5].out = s;
    r[6].what = "saga_add_step(NULL saga)";
    r[6].rc = saga_add_step(nullptr, "a", saga_ok, saga_ok, &e.b, &r[6].err);
    r[6].out = nullptr;
    for (auto &x : r) {
        CHECK(x.rc == TX_ERR_ARG, "%s: expected ERR_ARG, got %s", x.what, tx_rc_name(x.rc));
        CHECK(x.err.code == x.rc, "%s returned %s: err.code must be the same, got %s", x.what, tx_rc_name(x.rc),
              tx_rc_name(x.err.code));
        CHECK(x.err.msg[0] != 0, "%s: err.msg must say what to fix, it is empty", x.what);
        CHECK(x.err.sys_errno == 0, "%s: no system call failed, yet err.sys_errno is %d", x.what, x.err.sys_errno);
    }
    CHECK(r[5].out == nullptr, "saga_new(\"bad id\") was refused, yet *out is not NULL");
    CHECK(e.b.sent.empty() && e.b.points == 0, "refused opens sent %s, passed %d crash points", join(e.b.sent).c_str(),
          e.b.points);
    CHECK(access(p.c_str(), F_OK) != 0, "refused opens created %s", p.c_str());

    txlog *ok = nullptr;
    CHECK(txlog_open(e.path("l.log").c_str(), &ok, nullptr, &e.err) == TX_OK, "txlog_open failed: %s", e.err.msg);
    tx_error ea;
    int rc = txlog_append(ok, "", 0, &ea);
    CHECK(rc == TX_ERR_ARG && ea.code == TX_ERR_ARG && ea.sys_errno == 0,
          "txlog_append of 0 bytes: expected ERR_ARG, err.code ERR_ARG, sys_errno 0; got %s, %s, %d", tx_rc_name(rc),
          tx_rc_name(ea.code), ea.sys_errno);
    txlog_close(ok);

    tx_config one = e.cfg;
    one.participants = 1;
    tpc_coord *a = nullptr;
    tpc3_coord *b = nullptr;
    tpc_part *pa = nullptr;
    tpc3_part *pb = nullptr;
    CHECK(tpc_coord_open(e.path("a.log").c_str(), &one, &e.io, 0, &a, &e.err) == TX_OK && a,
          "tpc_coord_open with 1 participant: expected OK, got %s", e.err.msg);
    CHECK(tpc3_coord_open(e.path("b.log").c_str(), &one, &e.io, 0, &b, &e.err) == TX_OK && b,
          "tpc3_coord_open with 1 participant: expected OK, got %s", e.err.msg);
    CHECK(tpc_part_open(e.path("pa.log").c_str(), 1, &one, &e.io, 0, &pa, &e.err) == TX_OK && pa,
          "tpc_part_open id 1 of 1: expected OK, got %s", e.err.msg);
    CHECK(tpc3_part_open(e.path("pb.log").c_str(), 1, &one, &e.io, 0, &pb, &e.err) == TX_OK && pb,
          "tpc3_part_open id 1 of 1: expected OK, got %s", e.err.msg);
    CHECK(tpc3_coord_on_msg(b, nullptr, 0) == TX_ERR_ARG && tpc_part_on_msg(pa, nullptr, 0) == TX_ERR_ARG &&
              tpc3_part_on_msg(pb, nullptr, 0) == TX_ERR_ARG && tpc_coord_on_msg(a, nullptr, 0) == TX_ERR_ARG,
          "on_msg with a NULL message: expected ERR_ARG from each node");
    tpc_coord_free(a);
    tpc3_coord_free(b);
    tpc_part_free(pa);
    tpc3_part_free(pb);
}

// R2, R3 and R23: the log does not depend on errno's value before a call (a stale EINTR); a fsync
// that fails while a torn tail is cut makes the open ERR_IO with that errno, no log and no
// descriptor left open.
void test_log_errno_and_cut_failure(void **)
{
    bench e("lge");
    std::string lp = e.path("a.log");
    write_log(lp, {"one", "two"});
    txlog *log = nullptr;
    errno = EINTR;
    int rc = txlog_open(lp.c_str(), &log, nullptr, &e.err);
    CHECK(rc == TX_OK && txlog_count(log) == 2, "txlog_open with errno EINTR before the call: expected OK and 2 records, "
          "got %s and %zu", tx_rc_name(rc), txlog_count(log));
    errno = EINTR;
    rc = txlog_append(log, "three", 5, &e.err);
    CHECK(rc == TX_OK && recs(lp) == "[one | two | three]",
          "append 'three' with errno EINTR before the call: expected OK and [one | two | three] on disk, got %s and %s",
          tx_rc_name(rc), recs(lp).c_str());
    txlog_close(log);

    FILE *f = fopen(lp.c_str(), "ab");
    const char torn[] = {5, 0, 0, 0, 1, 2};
    CHECK(f && fwrite(torn, 1, sizeof torn, f) == sizeof torn && fclose(f) == 0, "cannot append a torn header to %s",
          lp.c_str());
    int before = open_fds();
    txlog *bad = reinterpret_cast<txlog *>(&e);
    tx_error eb;
    g_fsync_fail = EIO;
    rc = txlog_open(lp.c_str(), &bad, nullptr, &eb);
    g_fsync_fail = 0;
    CHECK(rc == TX_ERR_IO && eb.sys_errno == EIO && strstr(eb.msg, lp.c_str()),
          "opening a log with a torn tail while fsync fails: the cut is not durable: expected ERR_IO, errno EIO and a "
          "message naming %s; got %s, %d, '%s'", lp.c_str(), tx_rc_name(rc), eb.sys_errno, eb.msg);
    CHECK(bad == nullptr, "txlog_open failed with ERR_IO, yet *out is not NULL");
    CHECK(open_fds() == before, "txlog_open failed while cutting the tail and left %d descriptor(s) open",
          open_fds() - before);
}

// R1, R3 and R23: an append that the file size limit stops half way is ERR_IO with EFBIG, the
// record is not among the log's records, and the next open cuts the partial frame off.
void test_log_write_fails_half_way(void **)
{
    bench e("efb");
    std::string lp = e.path("a.log");
    write_log(lp, {"one"});
    txlog *log = nullptr;
    CHECK(txlog_open(lp.c_str(), &log, nullptr, &e.err) == TX_OK, "txlog_open failed: %s", e.err.msg);
    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN); // a write past the limit fails with EFBIG instead of killing us
    struct rlimit lim = old;
    lim.rlim_cur = 11 + 4; // the file holds 8 + 3 bytes: room for 4 bytes of the next frame only
    CHECK(setrlimit(RLIMIT_FSIZE, &lim) == 0, "setrlimit(RLIMIT_FSIZE, 15) failed: %s", strerror(errno));
    tx_error ea;
    int rc = txlog_append(log, "twotwo", 6, &ea);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(rc == TX_ERR_IO && ea.sys_errno == EFBIG,
          "append of a 14-byte frame where 4 bytes fit: expected ERR_IO with errno EFBIG, got %s, errno %d", tx_rc_name(rc),
          ea.sys_errno);
    CHECK(txlog_count(log) == 1 && txlog_record(log, 0) == "one",
          "after the failed append the log must hold only [one], it holds %zu record(s)", txlog_count(log));
    txlog_close(log);
    txlog_info info{};
    CHECK(txlog_open(lp.c_str(), &log, &info, &e.err) == TX_OK, "reopen failed: %s", e.err.msg);
    CHECK(info.records == 1 && info.good_bytes == 11 && info.torn_bytes == 4 && recs(lp) == "[one]",
          "reopened after the half-written frame: expected 1 record, 11 good bytes, 4 torn and [one], got %zu, %llu, %llu, %s",
          (size_t)info.records, (unsigned long long)info.good_bytes, (unsigned long long)info.torn_bytes, recs(lp).c_str());
    txlog_close(log);
}
