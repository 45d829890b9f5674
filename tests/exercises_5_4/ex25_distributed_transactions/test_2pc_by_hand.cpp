// test_2pc_by_hand.cpp — EX25 2PC nodes driven by hand on the virtual clock: what a coordinator
// answers at each stage (STATE_REQ while collecting votes, a duplicated VOTE_YES, after END), the
// exact instants of its resends, and an in-doubt participant's questions after a restart.
#include "by_hand.h"

static std::string recs(const std::string &path) { return join(disk_records(path.c_str())); }

static void tick2c_until(tpc_coord *c, by_hand *b, uint64_t until)
{
    while (b->now < until) {
        b->now++;
        int rc = tpc_coord_tick(c, b->now);
        CHECK(rc == TX_OK, "tpc_coord_tick(%llu) returned %s", (unsigned long long)b->now, tx_rc_name(rc));
    }
}

static void deliver2c(tpc_coord *c, by_hand *b, tx_msg m)
{
    int rc = tpc_coord_on_msg(c, &m, b->now);
    CHECK(rc == TX_OK, "at %llu ms, delivering %s from %d to the coordinator returned %s", (unsigned long long)b->now,
          tx_msg_name(m.type), m.from, tx_rc_name(rc));
}

// R9 and R11: while collecting votes the coordinator answers STATE_REQ with nothing (the decision
// will come); decided, it answers STATE_REQ with its decision, a duplicated VOTE_YES with nothing,
// resends COMMIT exactly every retry_ms to those that have not acknowledged, and after END still
// answers STATE_REQ with COMMIT and a late VOTE_YES with nothing.
void test_2pc_coordinator_answers(void **)
{
    bench e("c2a");
    std::string cp = e.path("c.log");
    tpc_coord *c = nullptr;
    CHECK(tpc_coord_open(cp.c_str(), &e.cfg, &e.io, 0, &c, &e.err) == TX_OK, "tpc_coord_open failed: %s", e.err.msg);
    CHECK(tpc_coord_begin(c, "t1", 0, &e.err) == TX_OK, "begin(t1) failed: %s", e.err.msg);
    size_t n = e.b.sent.size();
    deliver2c(c, &e.b, msg(TX_MSG_STATE_REQ, 1, 0, "t1"));
    CHECK(e.b.sent.size() == n, "STATE_REQ from 1 while collecting votes: expected no answer, got %s",
          e.b.sent.back().c_str());
    for (int p = 1; p <= 3; p++)
        deliver2c(c, &e.b, msg(TX_MSG_VOTE_YES, p, 0, "t1"));
    std::string s = join(std::vector<std::string>(e.b.sent.begin() + (long)n, e.b.sent.end()));
    CHECK(s == "[0>1 COMMIT | 0>2 COMMIT | 0>3 COMMIT]" && recs(cp) == "[START t1 | COMMIT t1]",
          "three yes votes: expected [START t1 | COMMIT t1] and COMMIT to 1, 2, 3, got %s and %s", recs(cp).c_str(), s.c_str());
    n = e.b.sent.size();
    deliver2c(c, &e.b, msg(TX_MSG_VOTE_YES, 1, 0, "t1"));
    CHECK(e.b.sent.size() == n, "a duplicated VOTE_YES from 1 after the commit: expected no answer, got %s",
          e.b.sent.back().c_str());
    deliver2c(c, &e.b, msg(TX_MSG_STATE_REQ, 2, 0, "t1"));
    CHECK(e.b.sent.size() == n + 1 && e.b.sent.back() == "0>2 COMMIT",
          "STATE_REQ from 2 after the commit: expected 0>2 COMMIT, got %s", e.b.sent.back().c_str());
    deliver2c(c, &e.b, msg(TX_MSG_ACK, 1, 0, "t1"));
    tick2c_until(c, &e.b, 19);
    s = sent_between(&e.b, 1, 19);
    CHECK(s == "[]", "decided at 0 ms: nothing resent before 20 ms (retry_ms), got %s", s.c_str());
    tick2c_until(c, &e.b, 20);
    s = sent_between(&e.b, 20, 20);
    CHECK(s == "[0>2 COMMIT | 0>3 COMMIT]", "ACK from 1 only: expected COMMIT resent to 2 and 3 at 20 ms exactly, got %s",
          s.c_str());
    deliver2c(c, &e.b, msg(TX_MSG_ACK, 2, 0, "t1"));
    deliver2c(c, &e.b, msg(TX_MSG_ACK, 3, 0, "t1"));
    CHECK(recs(cp) == "[START t1 | COMMIT t1 | END t1]", "every ACK in: expected [START t1 | COMMIT t1 | END t1], got %s",
          recs(cp).c_str());
    n = e.b.sent.size();
    deliver2c(c, &e.b, msg(TX_MSG_VOTE_YES, 3, 0, "t1"));
    CHECK(e.b.sent.size() == n, "a late VOTE_YES after END: expected no answer, got %s", e.b.sent.back().c_str());
    deliver2c(c, &e.b, msg(TX_MSG_STATE_REQ, 3, 0, "t1"));
    CHECK(e.b.sent.size() == n + 1 && e.b.sent.back() == "0>3 COMMIT", "STATE_REQ from 3 after END: expected 0>3 COMMIT, "
          "got %s", e.b.sent.back().c_str());
    tpc_coord_free(c);
}

// R10: a participant restarted in doubt ([PREPARED t1]) asks the coordinator at open and then
// exactly every retry_ms (20, 40 ms), and stays PREPARED.
void test_2pc_in_doubt_asks_every_retry(void **)
{
    bench e("p2a");
    std::string pp = e.path("p1.log");
    write_log(pp, {"PREPARED t1"});
    tpc_part *p = nullptr;
    CHECK(tpc_part_open(pp.c_str(), 1, &e.cfg, &e.io, 0, &p, &e.err) == TX_OK, "tpc_part_open failed: %s", e.err.msg);
    std::string s = sent_between(&e.b, 0, 0);
    CHECK(s == "[1>0 STATE_REQ]", "restarted in doubt at 0 ms: expected [1>0 STATE_REQ] at open, got %s", s.c_str());
    for (uint64_t t = 1; t <= 40; t++) {
        e.b.now = t;
        int rc = tpc_part_tick(p, t);
        CHECK(rc == TX_OK, "tpc_part_tick(%llu) returned %s", (unsigned long long)t, tx_rc_name(rc));
    }
    s = sent_between(&e.b, 1, 40);
    CHECK(s == "[1>0 STATE_REQ | 1>0 STATE_REQ]" && first_sent_after(&e.b, 0, "1>0 STATE_REQ") == 20 &&
              first_sent_after(&e.b, 20, "1>0 STATE_REQ") == 40,
          "in doubt: expected STATE_REQ again at 20 and 40 ms exactly, got %s (first at %llu)", s.c_str(),
          (unsigned long long)first_sent_after(&e.b, 0, "1>0 STATE_REQ"));
    CHECK(tpc_part_state(p, "t1") == TX_PREPARED, "in doubt at 40 ms: expected PREPARED, got %s",
          tx_state_name(tpc_part_state(p, "t1")));
    tpc_part_free(p);
}
