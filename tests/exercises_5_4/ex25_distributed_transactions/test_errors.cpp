// test_errors.cpp — EX25 calls that fail: a log folder that does not exist, a disk whose fsync
// reports an error, a crash during the recovery a node runs when it opens, a message with a bad
// transaction id, enum values without a name; and two steps of the 3PC termination protocol driven
// by hand on the virtual clock (the coordinator answers a round; a backup's round after PRECOMMIT).
#include "by_hand.h"

#include <cerrno>
#include <cstring>

// R23: opening a node, a saga's event file or rebuilding from a path in a folder that does not
// exist is TX_ERR_IO with errno ENOENT, a message naming the file, and no node.
void test_open_io_errors(void **)
{
    std::string dir = fresh_dir("eio");
    std::string path = dir + "/missing/node.log";
    tx_config cfg;
    tx_config_default(&cfg);
    by_hand b;
    tx_io io = bh_io(&b);
    struct {
        const char *what;
        int rc;
        void *out;
        tx_error err;
    } r[4];
    tpc_coord *c2 = reinterpret_cast<tpc_coord *>(&b);
    tpc_part *p2 = reinterpret_cast<tpc_part *>(&b);
    tpc3_coord *c3 = reinterpret_cast<tpc3_coord *>(&b);
    tpc3_part *p3 = reinterpret_cast<tpc3_part *>(&b);
    r[0].what = "tpc_coord_open";
    r[0].rc = tpc_coord_open(path.c_str(), &cfg, &io, 0, &c2, &r[0].err);
    r[0].out = c2;
    r[1].what = "tpc_part_open";
    r[1].rc = tpc_part_open(path.c_str(), 2, &cfg, &io, 0, &p2, &r[1].err);
    r[1].out = p2;
    r[2].what = "tpc3_coord_open";
    r[2].rc = tpc3_coord_open(path.c_str(), &cfg, &io, 0, &c3, &r[2].err);
    r[2].out = c3;
    r[3].what = "tpc3_part_open";
    r[3].rc = tpc3_part_open(path.c_str(), 3, &cfg, &io, 0, &p3, &r[3].err);
    r[3].out = p3;
    for (auto &x : r) {
        CHECK(x.rc == TX_ERR_IO, "%s(%s): expected ERR_IO, got %s", x.what, path.c_str(), tx_rc_name(x.rc));
        CHECK(x.err.sys_errno == ENOENT, "%s(%s): expected err.sys_errno ENOENT, got %d", x.what, path.c_str(),
              x.err.sys_errno);
        CHECK(strstr(x.err.msg, path.c_str()) != nullptr, "%s: the message must name the file %s, got '%s'", x.what,
              path.c_str(), x.err.msg);
        CHECK(x.out == nullptr, "%s failed with ERR_IO yet *out is not NULL", x.what);
    }
    CHECK(b.sent.empty() && b.points == 0, "a node that could not open its log sent %s / passed %d crash points",
          join(b.sent).c_str(), b.points);

    saga_state st;
    tx_error e;
    int rc = saga_rebuild(path.c_str(), "s1", &st, &e);
    CHECK(rc == TX_ERR_IO && e.sys_errno == ENOENT, "saga_rebuild(%s): expected ERR_IO with ENOENT, got %s errno %d",
          path.c_str(), tx_rc_name(rc), e.sys_errno);
    saga *s = nullptr;
    CHECK(saga_new("s1", path.c_str(), 1, &io, &s, &e) == TX_OK, "saga_new(s1, %s) failed: %s", path.c_str(), e.msg);
    CHECK(saga_add_step(s, "a", saga_ok, saga_ok, &b, &e) == TX_OK, "saga_add_step(a) failed: %s", e.msg);
    saga_status status = SAGA_NOT_STARTED;
    tx_error e2;
    rc = saga_execute(s, &status, &e2);
    CHECK(rc == TX_ERR_IO && e2.sys_errno == ENOENT, "saga_execute with its event file in a missing folder: expected ERR_IO "
          "with ENOENT, got %s errno %d", tx_rc_name(rc), e2.sys_errno);
    CHECK(b.calls == 0, "saga_execute could not open its event file, yet it called %d action(s)", b.calls);
    saga_free(s);
    rm_tree(dir);
}

// R23 with R2 and R7: a log whose fsync fails is not durable: the append is ERR_IO with the errno
// and the record is not added; a node whose record cannot be made durable sends nothing that
// depends on it; a saga whose event cannot be written calls nothing.
void test_fsync_failure(void **)
{
    std::string dir = fresh_dir("fsf");
    txlog *log = nullptr;
    tx_error err;
    std::string lp = dir + "/a.log";
    CHECK(txlog_open(lp.c_str(), &log, nullptr, &err) == TX_OK, "txlog_open(%s) failed: %s", lp.c_str(), err.msg);
    CHECK(txlog_append(log, "one", 3, &err) == TX_OK, "append 'one' failed: %s", err.msg);
    g_fsync_fail = EIO;
    tx_error e1;
    int rc = txlog_append(log, "two", 3, &e1);
    g_fsync_fail = 0;
    CHECK(rc == TX_ERR_IO, "append 'two' while fsync fails with EIO: expected ERR_IO, got %s", tx_rc_name(rc));
    CHECK(e1.sys_errno == EIO, "append 'two' while fsync fails with EIO: err.sys_errno is %d, expected EIO (%d)",
          e1.sys_errno, EIO);
    CHECK(txlog_count(log) == 1 && txlog_record(log, 0) == "one",
          "after a failed append the log must hold only ['one'], it holds %zu record(s)", txlog_count(log));
    txlog_close(log);

    tx_config cfg;
    tx_config_default(&cfg);
    by_hand b;
    tx_io io = bh_io(&b);
    tpc_coord *c = nullptr;
    std::string cp = dir + "/c.log";
    CHECK(tpc_coord_open(cp.c_str(), &cfg, &io, 0, &c, &err) == TX_OK, "tpc_coord_open failed: %s", err.msg);
    g_fsync_fail = EIO;
    rc = tpc_coord_begin(c, "t1", 0, &err);
    g_fsync_fail = 0;
    CHECK(rc == TX_ERR_IO, "2PC begin(t1) while fsync fails: expected ERR_IO, got %s", tx_rc_name(rc));
    CHECK(b.sent.empty(), "2PC begin(t1): START was not durable, yet the coordinator sent %s", join(b.sent).c_str());
    tpc_coord_free(c);

    tpc_part *p = nullptr;
    std::string pp = dir + "/p1.log";
    CHECK(tpc_part_open(pp.c_str(), 1, &cfg, &io, 0, &p, &err) == TX_OK, "tpc_part_open failed: %s", err.msg);
    tx_msg prep = msg(TX_MSG_PREPARE, 0, 1, "t1");
    g_fsync_fail = EIO;
    rc = tpc_part_on_msg(p, &prep, 1);
    g_fsync_fail = 0;
    CHECK(rc == TX_ERR_IO, "2PC participant, PREPARE while fsync fails: expected ERR_IO, got %s", tx_rc_name(rc));
    CHECK(b.sent.empty(), "2PC participant: PREPARED was not durable, yet it sent %s", join(b.sent).c_str());
    tpc_part_free(p);

    saga *s = nullptr;
    std::string sp = dir + "/saga.log";
    CHECK(saga_new("s1", sp.c_str(), 1, &io, &s, &err) == TX_OK, "saga_new failed: %s", err.msg);
    CHECK(saga_add_step(s, "a", saga_ok, saga_ok, &b, &err) == TX_OK, "saga_add_step failed: %s", err.msg);
    saga_status status = SAGA_NOT_STARTED;
    g_fsync_fail = EIO;
    rc = saga_execute(s, &status, &err);
    g_fsync_fail = 0;
    CHECK(rc == TX_ERR_IO, "saga_execute while fsync fails: expected ERR_IO, got %s", tx_rc_name(rc));
    CHECK(b.calls == 0, "saga_execute: STEP_STARTED was not durable, yet the action was called %d time(s)", b.calls);
    saga_free(s);
    rm_tree(dir);
}

// R5 with R9, R10 and R15: the recovery a node runs at open passes crash points too; a crash
// there makes the open return TX_CRASHED with no node, having written and sent nothing more, and
// no descriptor left open (R23).
void test_crash_during_recovery(void **)
{
    std::string dir = fresh_dir("crec");
    tx_config cfg;
    tx_config_default(&cfg);
    struct Case {
        const char *what, *file, *rec;
    } cases[] = {
        {"2PC coordinator with [START t1] (aborts at open)", "c2.log", "START t1"},
        {"2PC participant with [PREPARED t1] (asks at open)", "p2.log", "PREPARED t1"},
        {"3PC coordinator with [START t1] (aborts at open)", "c3.log", "START t1"},
        {"3PC participant with [PREPARED t1] (asks at open)", "p3.log", "PREPARED t1"},
    };
    for (int i = 0; i < 4; i++) {
        std::string path = dir + "/" + cases[i].file;
        write_log(path, {cases[i].rec});
        by_hand b;
        b.crash_at = 1;
        tx_io io = bh_io(&b);
        tx_error err;
        void *out = &b;
        int rc;
        int fds = open_fds();
        if (i == 0) {
            tpc_coord *c = reinterpret_cast<tpc_coord *>(&b);
            rc = tpc_coord_open(path.c_str(), &cfg, &io, 0, &c, &err);
            out = c;
        } else if (i == 1) {
            tpc_part *p = reinterpret_cast<tpc_part *>(&b);
            rc = tpc_part_open(path.c_str(), 1, &cfg, &io, 0, &p, &err);
            out = p;
        } else if (i == 2) {
            tpc3_coord *c = reinterpret_cast<tpc3_coord *>(&b);
            rc = tpc3_coord_open(path.c_str(), &cfg, &io, 0, &c, &err);
            out = c;
        } else {
            tpc3_part *p = reinterpret_cast<tpc3_part *>(&b);
            rc = tpc3_part_open(path.c_str(), 1, &cfg, &io, 0, &p, &err);
            out = p;
        }
        CHECK(rc == TX_CRASHED, "%s, killed at its first crash point: open must return CRASHED, got %s", cases[i].what,
              tx_rc_name(rc));
        CHECK(out == nullptr, "%s: open returned CRASHED, yet *out is not NULL", cases[i].what);
        CHECK(b.points == 1, "%s: %d crash points passed after the node died at the first", cases[i].what, b.points);
        CHECK(b.sent.empty(), "%s: the node died at its first crash point, yet it sent %s", cases[i].what,
              join(b.sent).c_str());
        std::string on_disk = join(disk_records(path.c_str()));
        CHECK(on_disk == std::string("[") + cases[i].rec + "]", "%s: died before its first write, yet the log is %s",
              cases[i].what, on_disk.c_str());
        CHECK(open_fds() == fds, "%s: open returned CRASHED and left %d descriptor(s) open (R23: no file left open)",
              cases[i].what, open_fds() - fds);
    }
    rm_tree(dir);
}

// R4, R21 and R23: a message whose transaction id is not 1..32 chars of [A-Za-z0-9_.-] is ERR_ARG
// (nothing logged, nothing sent, no transaction created), so is a NULL transaction id; a saga event
// record with fewer than three fields is ERR_STATE for saga_rebuild.
void test_bad_ids_and_records(void **)
{
    bench e("badm");
    tpc_part *p = nullptr;
    std::string pp = e.path("p2.log");
    CHECK(tpc_part_open(pp.c_str(), 2, &e.cfg, &e.io, 0, &p, &e.err) == TX_OK, "tpc_part_open failed: %s", e.err.msg);
    tpc3_part *q = nullptr;
    std::string qp = e.path("q2.log");
    CHECK(tpc3_part_open(qp.c_str(), 2, &e.cfg, &e.io, 0, &q, &e.err) == TX_OK, "tpc3_part_open failed: %s", e.err.msg);
    const char *bad_ids[] = {"", "t 1", "t/1", "/t1"};
    for (const char *id : bad_ids) {
        tx_msg m = msg(TX_MSG_PREPARE, 0, 2, id);
        int rc = tpc_part_on_msg(p, &m, 1);
        CHECK(rc == TX_ERR_ARG, "2PC participant, PREPARE for tx '%s': expected ERR_ARG, got %s", id, tx_rc_name(rc));
        CHECK(tpc_part_state(p, id) == TX_UNKNOWN, "2PC participant: a refused PREPARE for '%s' left state %s", id,
              tx_state_name(tpc_part_state(p, id)));
        rc = tpc3_part_on_msg(q, &m, 1);
        CHECK(rc == TX_ERR_ARG, "3PC participant, PREPARE for tx '%s': expected ERR_ARG, got %s", id, tx_rc_name(rc));
    }
    CHECK(e.b.sent.empty(), "refused messages were answered: %s", join(e.b.sent).c_str());
    CHECK(disk_records(pp.c_str()).empty() && disk_records(qp.c_str()).empty(),
          "refused messages wrote records: 2PC %s, 3PC %s", join(disk_records(pp.c_str())).c_str(),
          join(disk_records(qp.c_str())).c_str());
    tpc_part_free(p);
    tpc3_part_free(q);

    tpc_coord *c = nullptr;
    std::string cp = e.path("c.log");
    CHECK(tpc_coord_open(cp.c_str(), &e.cfg, &e.io, 0, &c, &e.err) == TX_OK, "tpc_coord_open failed: %s", e.err.msg);
    int rc = tpc_coord_begin(c, nullptr, 0, &e.err);
    CHECK(rc == TX_ERR_ARG, "tpc_coord_begin(c, NULL): expected ERR_ARG, got %s", tx_rc_name(rc));
    CHECK(e.b.sent.empty() && disk_records(cp.c_str()).empty(), "a refused begin(NULL) sent %s and logged %s",
          join(e.b.sent).c_str(), join(disk_records(cp.c_str())).c_str());
    tpc_coord_free(c);

    std::string ev = e.path("events.log");
    write_log(ev, {"s1 STEP_STARTED a", "s1 STEP_COMPLETED"});
    saga_state st;
    rc = saga_rebuild(ev.c_str(), "s1", &st, &e.err);
    CHECK(rc == TX_ERR_STATE, "saga_rebuild of [s1 STEP_STARTED a | s1 STEP_COMPLETED] (two fields): expected ERR_STATE, got %s",
          tx_rc_name(rc));
}

// R22: a value outside the enum has the name "?".
void test_names_out_of_range(void **)
{
    const char *got[] = {tx_rc_name(7), tx_state_name((tx_state)42), tx_msg_name((tx_msg_type)42),
                         tx_point_name((tx_point)42), saga_status_name((saga_status)42)};
    const char *what[] = {"tx_rc_name(7)", "tx_state_name(42)", "tx_msg_name(42)", "tx_point_name(42)",
                          "saga_status_name(42)"};
    for (int i = 0; i < 5; i++)
        CHECK(got[i] && strcmp(got[i], "?") == 0, "%s: expected \"?\", got %s%s%s", what[i], got[i] ? "\"" : "",
              got[i] ? got[i] : "NULL", got[i] ? "\"" : "");
}

// R14: a termination round the coordinator answers (it is slow, not dead) decides nothing: the
// participant stays PREPARED, sends nothing, and starts a new round only after another
// term_timeout_ms of silence.
void test_3pc_coordinator_replied_waits(void **)
{
    bench e("t3w");
    tpc3_part *p = nullptr;
    std::string pp = e.path("p1.log");
    CHECK(tpc3_part_open(pp.c_str(), 1, &e.cfg, &e.io, 0, &p, &e.err) == TX_OK, "tpc3_part_open failed: %s", e.err.msg);
    deliver3(p, &e.b, msg(TX_MSG_PREPARE, 0, 1, "t1"));
    tick3_until(p, &e.b, 205);
    std::string round1 = sent_between(&e.b, 1, 205);
    CHECK(round1 == "[1>0 STATE_REQ | 1>2 STATE_REQ | 1>3 STATE_REQ]",
          "PREPARED at 0 ms, silence: expected one round [1>0 STATE_REQ | 1>2 STATE_REQ | 1>3 STATE_REQ] by 205 ms, got %s",
          round1.c_str());
    uint64_t r1 = first_sent_after(&e.b, 0, "1>0 STATE_REQ");
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 0, 1, "t1", TX_WORKING)); // the coordinator is alive
    tick3_until(p, &e.b, 404);
    std::string quiet = sent_between(&e.b, 206, 404);
    CHECK(quiet == "[]", "the coordinator answered the round at %llu ms with WORKING: expected nothing sent until 404 ms, got %s",
          (unsigned long long)r1, quiet.c_str());
    CHECK(tpc3_part_state(p, "t1") == TX_PREPARED, "the coordinator answered the round: expected PREPARED at 404 ms, got %s",
          tx_state_name(tpc3_part_state(p, "t1")));
    CHECK(disk_records(pp.c_str()).size() == 1, "the coordinator answered the round, yet the log is %s",
          join(disk_records(pp.c_str())).c_str());
    tick3_until(p, &e.b, 460);
    uint64_t r2 = first_sent_after(&e.b, 404, "1>0 STATE_REQ");
    CHECK(r2 >= 405 && r2 <= 5 + r1 + e.cfg.retry_ms + e.cfg.term_timeout_ms,
          "reply at 205 ms, round over at %llu ms: the next round must start term_timeout_ms (200) of silence later, "
          "got its first STATE_REQ at %llu ms (0: none by 460)",
          (unsigned long long)(r1 + e.cfg.retry_ms), (unsigned long long)r2);
    tpc3_part_free(p);
}

// R14: a backup that pre-commits the PREPARED ones runs its next round at once (not after another
// term_timeout_ms), and that round commits once every state it collects is PRECOMMITTED.
void test_3pc_backup_new_round_at_once(void **)
{
    bench e("t3b");
    tpc3_part *p = nullptr;
    std::string pp = e.path("p1.log");
    CHECK(tpc3_part_open(pp.c_str(), 1, &e.cfg, &e.io, 0, &p, &e.err) == TX_OK, "tpc3_part_open failed: %s", e.err.msg);
    deliver3(p, &e.b, msg(TX_MSG_PREPARE, 0, 1, "t1"));
    e.b.now = 1;
    deliver3(p, &e.b, msg(TX_MSG_PRECOMMIT, 0, 1, "t1"));
    tick3_until(p, &e.b, 205);
    uint64_t r1 = first_sent_after(&e.b, 1, "1>0 STATE_REQ");
    CHECK(r1 != 0, "PRECOMMITTED at 1 ms, then silence: no termination round by 205 ms (sent %s)", join(e.b.sent).c_str());
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 2, 1, "t1", TX_PREPARED));
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 3, 1, "t1", TX_PRECOMMITTED));
    tick3_until(p, &e.b, r1 + e.cfg.retry_ms);
    uint64_t pre = first_sent_after(&e.b, r1, "1>2 PRECOMMIT");
    CHECK(pre != 0 && pre <= r1 + e.cfg.retry_ms,
          "backup 1 (PRECOMMITTED) with replies 2: PREPARED, 3: PRECOMMITTED: expected PRECOMMIT to 2 when the round "
          "ends at %llu ms, sent %s", (unsigned long long)(r1 + e.cfg.retry_ms), sent_between(&e.b, r1, e.b.now).c_str());
    tick3_until(p, &e.b, pre + 1);
    uint64_t r2 = first_sent_after(&e.b, r1, "1>0 STATE_REQ");
    CHECK(r2 != 0 && r2 <= pre + 1,
          "the backup sent PRECOMMIT at %llu ms: its new round must start at once (STATE_REQ by %llu ms), got %llu (0: none)",
          (unsigned long long)pre, (unsigned long long)(pre + 1), (unsigned long long)r2);
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 2, 1, "t1", TX_PRECOMMITTED));
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 3, 1, "t1", TX_PRECOMMITTED));
    tick3_until(p, &e.b, r2 + e.cfg.retry_ms);
    CHECK(tpc3_part_state(p, "t1") == TX_COMMITTED,
          "second round: every state PRECOMMITTED: the backup must commit by %llu ms, got %s",
          (unsigned long long)(r2 + e.cfg.retry_ms), tx_state_name(tpc3_part_state(p, "t1")));
    std::string tail = sent_between(&e.b, r2 + 1, e.b.now);
    CHECK(tail == "[1>0 COMMIT | 1>2 COMMIT | 1>3 COMMIT]", "the backup's decision: expected [1>0 COMMIT | 1>2 COMMIT | "
          "1>3 COMMIT], got %s", tail.c_str());
    std::string on_disk = join(disk_records(pp.c_str()));
    CHECK(on_disk == "[PREPARED t1 | PRECOMMITTED t1 | COMMITTED t1]",
          "a PRECOMMITTED backup logs no second PRECOMMITTED: expected [PREPARED t1 | PRECOMMITTED t1 | COMMITTED t1], got %s",
          on_disk.c_str());
    tpc3_part_free(p);
}
