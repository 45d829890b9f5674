// test_3pc_recovery.cpp — EX25 3PC driven by hand on the virtual clock, instant by instant: a
// restarted coordinator (waits for every PRECOMMIT_ACK, resends at each retry_ms, a finished
// transaction stays quiet, adopts an abort without acknowledging a STATE_REPLY), a recovering
// participant (asks every retry_ms, answers UNKNOWN until decided), and termination rounds that
// decide nothing, then one whose backup aborts, and a PREPARED backup that pre-commits itself.
#include "by_hand.h"

#include <cstring>

static std::string recs(const std::string &path) { return join(disk_records(path.c_str())); }

static tpc3_coord *open3c(bench *e, const std::string &path)
{
    tpc3_coord *c = nullptr;
    if (tpc3_coord_open(path.c_str(), &e->cfg, &e->io, e->b.now, &c, &e->err) != TX_OK)
        fail_msg("tpc3_coord_open(%s) failed: %s", path.c_str(), e->err.msg);
    return c;
}

static tpc3_part *open3p(bench *e, const std::string &path, int id)
{
    tpc3_part *p = nullptr;
    if (tpc3_part_open(path.c_str(), id, &e->cfg, &e->io, e->b.now, &p, &e->err) != TX_OK)
        fail_msg("tpc3_part_open(%s, %d) failed: %s", path.c_str(), id, e->err.msg);
    return p;
}

// R15 and R16: a coordinator restarted with [START t1, PRECOMMIT t1] pre-commits again at open,
// resends PRECOMMIT every retry_ms to the one that has not acknowledged (exactly at 20 ms), does not
// commit at the vote timeout (it restarted: it waits for all), commits once the last ack is in,
// resends COMMIT exactly every retry_ms to those that have not acknowledged, and logs END once all did.
void test_3pc_restarted_coordinator_waits_for_all(void **)
{
    bench e("t3rc");
    std::string cp = e.path("c.log");
    write_log(cp, {"START t1", "PRECOMMIT t1"});
    tpc3_coord *c = open3c(&e, cp);
    std::string s = sent_between(&e.b, 0, 0);
    CHECK(s == "[0>1 PRECOMMIT | 0>2 PRECOMMIT | 0>3 PRECOMMIT]",
          "restarted with [START t1 | PRECOMMIT t1]: expected PRECOMMIT to 1, 2, 3 at open, got %s", s.c_str());
    CHECK(tpc3_coord_state(c, "t1") == TX_PRECOMMITTED, "restarted after PRECOMMIT: expected PRECOMMITTED, got %s",
          tx_state_name(tpc3_coord_state(c, "t1")));
    deliver3c(c, &e.b, msg(TX_MSG_PRECOMMIT_ACK, 1, 0, "t1"));
    deliver3c(c, &e.b, msg(TX_MSG_PRECOMMIT_ACK, 2, 0, "t1"));
    tick3c_until(c, &e.b, 20);
    s = sent_between(&e.b, 1, 20);
    CHECK(s == "[0>3 PRECOMMIT]", "acks from 1 and 2 at 0 ms: expected only 0>3 PRECOMMIT, at 20 ms (retry_ms), got %s",
          s.c_str());
    CHECK(first_sent_after(&e.b, 0, "0>3 PRECOMMIT") == 20, "the PRECOMMIT to 3 must be resent at 20 ms exactly, got %llu",
          (unsigned long long)first_sent_after(&e.b, 0, "0>3 PRECOMMIT"));
    tick3c_until(c, &e.b, 300);
    CHECK(tpc3_coord_state(c, "t1") == TX_PRECOMMITTED && recs(cp) == "[START t1 | PRECOMMIT t1]",
          "a restarted coordinator waits for every ack (R15), even past vote_timeout_ms: at 300 ms expected PRECOMMITTED "
          "and [START t1 | PRECOMMIT t1], got %s and %s", tx_state_name(tpc3_coord_state(c, "t1")), recs(cp).c_str());
    size_t before = e.b.sent.size();
    deliver3c(c, &e.b, msg(TX_MSG_PRECOMMIT_ACK, 3, 0, "t1"));
    s = sent_between(&e.b, 300, 300);
    CHECK(recs(cp) == "[START t1 | PRECOMMIT t1 | COMMIT t1]" && e.b.sent.size() == before + 3 &&
              s.find("0>1 COMMIT | 0>2 COMMIT | 0>3 COMMIT]") != std::string::npos,
          "the last PRECOMMIT_ACK at 300 ms: expected COMMIT logged then sent to 1, 2, 3; log %s, sent at 300 %s",
          recs(cp).c_str(), s.c_str());
    deliver3c(c, &e.b, msg(TX_MSG_ACK, 1, 0, "t1"));
    tick3c_until(c, &e.b, 320);
    s = sent_between(&e.b, 301, 320);
    CHECK(s == "[0>2 COMMIT | 0>3 COMMIT]" && first_sent_after(&e.b, 300, "0>2 COMMIT") == 320,
          "ACK from 1 at 300 ms: expected COMMIT resent to 2 and 3 at 320 ms exactly, got %s (first at %llu)", s.c_str(),
          (unsigned long long)first_sent_after(&e.b, 300, "0>2 COMMIT"));
    deliver3c(c, &e.b, msg(TX_MSG_ACK, 2, 0, "t1"));
    deliver3c(c, &e.b, msg(TX_MSG_ACK, 3, 0, "t1"));
    tick3c_until(c, &e.b, 400);
    s = sent_between(&e.b, 321, 400);
    CHECK(recs(cp) == "[START t1 | PRECOMMIT t1 | COMMIT t1 | END t1]" && s == "[]",
          "every ACK in at 320 ms: expected [START t1 | PRECOMMIT t1 | COMMIT t1 | END t1] and nothing more sent, got %s, sent %s",
          recs(cp).c_str(), s.c_str());
    tpc3_coord_free(c);
}

// R15 with R13: at open a finished transaction (END) sends nothing and a decided one without END
// sends its decision again, at open and every retry_ms; the coordinator answers STATE_REQ with its
// state. A fresh coordinator still collecting votes aborts at begin + vote_timeout_ms, not before.
void test_3pc_coordinator_log_and_timeout(void **)
{
    bench e("t3cl");
    std::string cp = e.path("c.log");
    write_log(cp, {"START t2", "PRECOMMIT t2", "COMMIT t2", "END t2", "START t3", "ABORT t3"});
    tpc3_coord *c = open3c(&e, cp);
    std::string s = sent_between(&e.b, 0, 0);
    CHECK(s == "[0>1 ABORT | 0>2 ABORT | 0>3 ABORT]",
          "restarted with t2 ended and t3 aborted without END: expected ABORT to 1, 2, 3 (t3) and nothing for t2, got %s",
          s.c_str());
    tick3c_until(c, &e.b, 40);
    s = sent_between(&e.b, 1, 40);
    CHECK(s == "[0>1 ABORT | 0>2 ABORT | 0>3 ABORT | 0>1 ABORT | 0>2 ABORT | 0>3 ABORT]" &&
              first_sent_after(&e.b, 0, "0>1 ABORT") == 20,
          "t3's ABORT must be resent every retry_ms (20 and 40 ms), got %s", s.c_str());
    CHECK(tpc3_coord_state(c, "t2") == TX_COMMITTED && tpc3_coord_state(c, "t3") == TX_ABORTED,
          "recovered states: expected t2 COMMITTED, t3 ABORTED, got %s, %s", tx_state_name(tpc3_coord_state(c, "t2")),
          tx_state_name(tpc3_coord_state(c, "t3")));
    size_t before = e.b.sent.size();
    deliver3c(c, &e.b, msg(TX_MSG_STATE_REQ, 2, 0, "t2"));
    CHECK(e.b.sent.size() == before + 1 && e.b.sent.back() == "0>2 STATE_REPLY COMMITTED",
          "STATE_REQ from 2 for t2 (committed): expected 0>2 STATE_REPLY COMMITTED, got %s", sent_between(&e.b, 40, 40).c_str());
    tpc3_coord_free(c);

    bench f("t3vt");
    tpc3_coord *d = open3c(&f, f.path("c.log"));
    CHECK(tpc3_coord_begin(d, "t1", 0, &f.err) == TX_OK, "begin(t1) failed: %s", f.err.msg);
    deliver3c(d, &f.b, msg(TX_MSG_STATE_REQ, 1, 0, "t1"));
    CHECK(f.b.sent.back() == "0>1 STATE_REPLY WORKING", "STATE_REQ from 1 while collecting votes: expected "
          "0>1 STATE_REPLY WORKING, got %s", f.b.sent.back().c_str());
    tick3c_until(d, &f.b, 99);
    CHECK(tpc3_coord_state(d, "t1") == TX_WORKING, "begin at 0, no votes: at 99 ms expected WORKING, got %s",
          tx_state_name(tpc3_coord_state(d, "t1")));
    tick3c_until(d, &f.b, 100);
    CHECK(tpc3_coord_state(d, "t1") == TX_ABORTED, "begin at 0, no votes: at 100 ms (vote_timeout_ms) expected ABORTED, got %s",
          tx_state_name(tpc3_coord_state(d, "t1")));
    tpc3_coord_free(d);
}

// R15: a restarted coordinator that hears STATE_REPLY(ABORTED) adopts the abort: logs it, sends
// ABORT to every participant and nothing else (a STATE_REPLY is not acknowledged); a backup's ABORT
// is answered with ACK.
void test_3pc_coordinator_adopts_exactly(void **)
{
    bench e("t3ad");
    std::string cp = e.path("c.log");
    write_log(cp, {"START t1", "PRECOMMIT t1"});
    tpc3_coord *c = open3c(&e, cp);
    e.b.now = 1;
    deliver3c(c, &e.b, msg(TX_MSG_STATE_REPLY, 2, 0, "t1", TX_ABORTED));
    std::string s = sent_between(&e.b, 1, 1);
    CHECK(s == "[0>1 ABORT | 0>2 ABORT | 0>3 ABORT]" && recs(cp) == "[START t1 | PRECOMMIT t1 | ABORT t1]",
          "STATE_REPLY(ABORTED) from 2: expected ABORT logged and [0>1 ABORT | 0>2 ABORT | 0>3 ABORT], got log %s, sent %s",
          recs(cp).c_str(), s.c_str());
    e.b.now = 2;
    deliver3c(c, &e.b, msg(TX_MSG_ABORT, 3, 0, "t1"));
    s = sent_between(&e.b, 2, 2);
    CHECK(s == "[0>3 ACK]", "ABORT from backup 3 to a decided coordinator: expected [0>3 ACK], got %s", s.c_str());
    tpc3_coord_free(c);
}

// R15: a participant restarted undecided is recovering: its state is its last record's, it sends
// STATE_REQ to every node at open and exactly every retry_ms, answers others with UNKNOWN (also
// after following a PRECOMMIT), and once decided answers with its decision and stops asking.
void test_3pc_recovering_participant(void **)
{
    bench e("t3rp");
    std::string pp = e.path("p1.log");
    write_log(pp, {"PREPARED t1", "PRECOMMITTED t1"});
    tpc3_part *p = open3p(&e, pp, 1);
    CHECK(tpc3_part_state(p, "t1") == TX_PRECOMMITTED, "opened from [PREPARED t1 | PRECOMMITTED t1]: expected "
          "PRECOMMITTED, got %s", tx_state_name(tpc3_part_state(p, "t1")));
    const char *ask = "[1>0 STATE_REQ | 1>2 STATE_REQ | 1>3 STATE_REQ]";
    std::string s = sent_between(&e.b, 0, 0);
    CHECK(s == ask, "recovering at 0 ms: expected %s at open, got %s", ask, s.c_str());
    tick3_until(p, &e.b, 19);
    s = sent_between(&e.b, 1, 19);
    CHECK(s == "[]", "recovering: nothing before 20 ms (retry_ms), got %s", s.c_str());
    tick3_until(p, &e.b, 20);
    s = sent_between(&e.b, 20, 20);
    CHECK(s == ask, "recovering: expected %s again at 20 ms, got %s", ask, s.c_str());
    tick3_until(p, &e.b, 40);
    s = sent_between(&e.b, 21, 40);
    CHECK(s == ask && first_sent_after(&e.b, 20, "1>0 STATE_REQ") == 40, "recovering: expected %s once more, at 40 ms, got %s",
          ask, s.c_str());
    deliver3(p, &e.b, msg(TX_MSG_STATE_REQ, 2, 1, "t1"));
    CHECK(e.b.sent.back() == "1>2 STATE_REPLY UNKNOWN", "recovering, STATE_REQ from 2: expected 1>2 STATE_REPLY UNKNOWN, got %s",
          e.b.sent.back().c_str());
    deliver3(p, &e.b, msg(TX_MSG_COMMIT, 0, 1, "t1"));
    CHECK(e.b.sent.back() == "1>0 ACK" && recs(pp) == "[PREPARED t1 | PRECOMMITTED t1 | COMMITTED t1]",
          "COMMIT from 0: expected COMMITTED logged and 1>0 ACK, got log %s, last sent %s", recs(pp).c_str(),
          e.b.sent.back().c_str());
    deliver3(p, &e.b, msg(TX_MSG_STATE_REQ, 2, 1, "t1"));
    CHECK(e.b.sent.back() == "1>2 STATE_REPLY COMMITTED", "decided, STATE_REQ from 2: expected 1>2 STATE_REPLY COMMITTED, got %s",
          e.b.sent.back().c_str());
    size_t before = e.b.sent.size();
    tick3_until(p, &e.b, 100);
    CHECK(e.b.sent.size() == before, "decided at 40 ms: it must stop asking, sent %s", sent_between(&e.b, 41, 100).c_str());
    tpc3_part_free(p);

    bench f("t3rq");
    std::string qp = f.path("p2.log");
    write_log(qp, {"PREPARED t1"});
    tpc3_part *q = open3p(&f, qp, 2);
    deliver3(q, &f.b, msg(TX_MSG_PRECOMMIT, 0, 2, "t1"));
    CHECK(f.b.sent.back() == "2>0 PRECOMMIT_ACK" && tpc3_part_state(q, "t1") == TX_PRECOMMITTED,
          "recovering 2, PRECOMMIT from 0: expected PRECOMMITTED and 2>0 PRECOMMIT_ACK, got %s and %s",
          tx_state_name(tpc3_part_state(q, "t1")), f.b.sent.back().c_str());
    deliver3(q, &f.b, msg(TX_MSG_STATE_REQ, 3, 2, "t1"));
    CHECK(f.b.sent.back() == "2>3 STATE_REPLY UNKNOWN", "recovering 2 after following PRECOMMIT is still recovering: "
          "expected 2>3 STATE_REPLY UNKNOWN, got %s", f.b.sent.back().c_str());
    tpc3_part_free(q);
}

// Ticks to `at`: nothing may be sent in [from, at - 1], and exactly `ask` at `at`. "" when so,
// else what was sent instead.
static std::string quiet_then_round(tpc3_part *p, by_hand *b, uint64_t from, uint64_t at, const char *ask)
{
    tick3_until(p, b, at - 1);
    std::string quiet = sent_between(b, from, at - 1);
    tick3_until(p, b, at);
    std::string round = sent_between(b, at, at);
    if (quiet == "[]" && round == ask)
        return "";
    return "sent " + quiet + " in [" + std::to_string(from) + ", " + std::to_string(at - 1) + "] ms and " + round + " at " +
           std::to_string(at) + " ms";
}

// R14: participant 2, PREPARED at 0 ms, silence. Round 1 at 200 ms: the coordinator and 1 reply:
// nothing decided; the next round comes term_timeout_ms after the round's end (420 ms). Round 2: 1
// replies PREPARED: 1 is the backup, 2 decides nothing. Round 3 (640 ms): only 3 replies (the
// earlier rounds' replies do not count): 2 is the backup, every state PREPARED: it aborts.
void test_3pc_rounds_until_backup(void **)
{
    bench e("t3rb");
    std::string pp = e.path("p2.log");
    tpc3_part *p = open3p(&e, pp, 2);
    deliver3(p, &e.b, msg(TX_MSG_PREPARE, 0, 2, "t1"));
    const char *ask = "[2>0 STATE_REQ | 2>1 STATE_REQ | 2>3 STATE_REQ]";
    tick3_until(p, &e.b, 200);
    std::string s = sent_between(&e.b, 1, 200);
    CHECK(s == ask && first_sent_after(&e.b, 0, "2>0 STATE_REQ") == 200,
          "PREPARED at 0 ms: expected round 1 %s at 200 ms (term_timeout_ms), got %s", ask, s.c_str());
    e.b.now = 201;
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 0, 2, "t1", TX_WORKING));
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 1, 2, "t1", TX_PREPARED));
    std::string why = quiet_then_round(p, &e.b, 201, 420, ask);
    CHECK(why.empty(), "round 1 (the coordinator replied) ends at 220 ms: round 2 must start at 420 ms (round end + "
          "term_timeout_ms), nothing before: %s", why.c_str());
    e.b.now = 421;
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 1, 2, "t1", TX_PREPARED));
    why = quiet_then_round(p, &e.b, 421, 640, ask);
    CHECK(why.empty() && tpc3_part_state(p, "t1") == TX_PREPARED,
          "round 2: 1 replied PREPARED, so 1 is the backup: 2 must stay PREPARED (it is %s), send nothing and start round 3 "
          "at 640 ms: %s", tx_state_name(tpc3_part_state(p, "t1")), why.c_str());
    e.b.now = 641;
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 3, 2, "t1", TX_PREPARED));
    tick3_until(p, &e.b, 660);
    s = sent_between(&e.b, 641, 660);
    CHECK(s == "[2>0 ABORT | 2>1 ABORT | 2>3 ABORT]" && recs(pp) == "[PREPARED t1 | ABORTED t1]",
          "round 3: only 3 replied, PREPARED: 2 is the backup and aborts: expected [PREPARED t1 | ABORTED t1] and "
          "[2>0 ABORT | 2>1 ABORT | 2>3 ABORT] by 660 ms, got %s and %s", recs(pp).c_str(), s.c_str());
    tpc3_part_free(p);
}

// R14: a PREPARED backup (2 of 4) whose round collected 1: UNKNOWN, 3: PRECOMMITTED, 4: PREPARED logs
// PRECOMMITTED itself, sends PRECOMMIT to 4 only, and commits in its next round when all are
// PRECOMMITTED (an UNKNOWN reply is no voter). A PREPARED participant outside a round that hears a
// decided STATE_REPLY adopts it without passing it on.
void test_3pc_prepared_backup_precommits(void **)
{
    bench e("t3pb");
    e.cfg.participants = 4;
    std::string pp = e.path("p2.log");
    tpc3_part *p = open3p(&e, pp, 2);
    deliver3(p, &e.b, msg(TX_MSG_PREPARE, 0, 2, "t1"));
    tick3_until(p, &e.b, 200);
    e.b.now = 201;
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 1, 2, "t1", TX_UNKNOWN));
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 3, 2, "t1", TX_PRECOMMITTED));
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 4, 2, "t1", TX_PREPARED));
    tick3_until(p, &e.b, 220);
    std::string s = sent_between(&e.b, 201, 220);
    CHECK(s == "[2>4 PRECOMMIT]" && recs(pp) == "[PREPARED t1 | PRECOMMITTED t1]",
          "backup 2 (PREPARED), replies 1: UNKNOWN, 3: PRECOMMITTED, 4: PREPARED: expected [PREPARED t1 | PRECOMMITTED t1] "
          "and [2>4 PRECOMMIT] at the round's end (220 ms), got %s and %s", recs(pp).c_str(), s.c_str());
    tick3_until(p, &e.b, 221);
    uint64_t r2 = first_sent_after(&e.b, 220, "2>0 STATE_REQ");
    CHECK(r2 == 221, "after its PRECOMMIT the backup's next round starts at once: expected STATE_REQ at 221 ms, got %llu",
          (unsigned long long)r2);
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 1, 2, "t1", TX_UNKNOWN));
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 3, 2, "t1", TX_PRECOMMITTED));
    deliver3(p, &e.b, msg(TX_MSG_STATE_REPLY, 4, 2, "t1", TX_PRECOMMITTED));
    tick3_until(p, &e.b, 241);
    s = sent_between(&e.b, 222, 241);
    CHECK(s == "[2>0 COMMIT | 2>1 COMMIT | 2>3 COMMIT | 2>4 COMMIT]" &&
              recs(pp) == "[PREPARED t1 | PRECOMMITTED t1 | COMMITTED t1]",
          "second round, all PRECOMMITTED (1 UNKNOWN): expected COMMITTED logged and COMMIT to 0, 1, 3, 4 by 241 ms, got %s "
          "and %s", recs(pp).c_str(), s.c_str());
    tpc3_part_free(p);

    bench f("t3ad2");
    std::string qp = f.path("p3.log");
    tpc3_part *q = open3p(&f, qp, 3);
    deliver3(q, &f.b, msg(TX_MSG_PREPARE, 0, 3, "t1"));
    f.b.now = 50;
    deliver3(q, &f.b, msg(TX_MSG_STATE_REPLY, 2, 3, "t1", TX_COMMITTED));
    s = sent_between(&f.b, 50, 50);
    CHECK(tpc3_part_state(q, "t1") == TX_COMMITTED && recs(qp) == "[PREPARED t1 | COMMITTED t1]" && s == "[]",
          "PREPARED 3, not in a round, hears STATE_REPLY(COMMITTED) from 2: expected COMMITTED, [PREPARED t1 | COMMITTED t1] "
          "and nothing sent, got %s, %s, %s", tx_state_name(tpc3_part_state(q, "t1")), recs(qp).c_str(), s.c_str());
    tpc3_part_free(q);
}
