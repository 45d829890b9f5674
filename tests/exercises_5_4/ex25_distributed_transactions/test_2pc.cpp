// test_2pc.cpp — EX25 two-phase commit: the seed's decision tests on a real coordinator, the exact
// log records, write-ahead on every send, the vote timeout, blocking when the coordinator dies after
// prepare, in-doubt recovery, duplicates, bad arguments, two transactions side by side.
#include "tx_tests.h"

static std::string recs(const cluster *c, int node) { return join(disk_records(cl_log_path(c, node).c_str())); }

void test_2pc_commit_decision(void **)
{
    cluster c;
    cl_init(&c, 2, 2, 1, "2c");
    CHECK(cl_begin(&c, "t1") == TX_OK, "begin(t1) failed");
    cl_run_until(&c, 50);
    for (int i = 0; i <= 2; i++)
        CHECK(cl_state(&c, i, "t1") == TX_COMMITTED, "votes [yes, yes]: expected node %d COMMITTED, got %s", i,
              tx_state_name(cl_state(&c, i, "t1")));
    CHECK(c.error.empty(), "%s", c.error.c_str());
    cl_free(&c);
}

void test_2pc_abort_decision(void **)
{
    cluster c;
    cl_init(&c, 2, 2, 1, "2a");
    c.no_vote[2] = true;
    CHECK(cl_begin(&c, "t1") == TX_OK, "begin(t1) failed");
    cl_run_until(&c, 50);
    for (int i = 0; i <= 2; i++)
        CHECK(cl_state(&c, i, "t1") == TX_ABORTED, "votes [yes, no]: expected node %d ABORTED, got %s", i,
              tx_state_name(cl_state(&c, i, "t1")));
    cl_free(&c);
}

void test_2pc_log_contents(void **)
{
    cluster c;
    cl_init(&c, 2, 3, 1, "2l");
    cl_begin(&c, "t1");
    cl_run_until(&c, 50);
    CHECK(recs(&c, 0) == "[START t1 | COMMIT t1 | END t1]", "commit run: coordinator log expected [START t1 | COMMIT t1 | END t1], got %s",
          recs(&c, 0).c_str());
    for (int i = 1; i <= 3; i++)
        CHECK(recs(&c, i) == "[PREPARED t1 | COMMITTED t1]", "commit run: participant %d log expected [PREPARED t1 | COMMITTED t1], got %s",
              i, recs(&c, i).c_str());
    std::string msgs = join(c.sent);
    const char *want = "[0>1 PREPARE | 0>2 PREPARE | 0>3 PREPARE | 1>0 VOTE_YES | 2>0 VOTE_YES | 3>0 VOTE_YES | "
                       "0>1 COMMIT | 0>2 COMMIT | 0>3 COMMIT | 1>0 ACK | 2>0 ACK | 3>0 ACK]";
    CHECK(msgs == want, "commit run: messages expected %s, got %s", want, msgs.c_str());
    cl_free(&c);

    cluster a;
    cl_init(&a, 2, 3, 1, "2l");
    a.no_vote[2] = true;
    cl_begin(&a, "t1");
    cl_run_until(&a, 50);
    CHECK(recs(&a, 0) == "[START t1 | ABORT t1 | END t1]", "abort run: coordinator log expected [START t1 | ABORT t1 | END t1], got %s",
          recs(&a, 0).c_str());
    CHECK(recs(&a, 1) == "[PREPARED t1 | ABORTED t1]", "abort run: participant 1 log expected [PREPARED t1 | ABORTED t1], got %s",
          recs(&a, 1).c_str());
    CHECK(recs(&a, 2) == "[ABORTED t1]", "abort run: the no-voter's log expected [ABORTED t1], got %s", recs(&a, 2).c_str());
    cl_free(&a);
}

void test_2pc_write_ahead(void **)
{
    for (int novote = 0; novote <= 1; novote++) {
        cluster c;
        cl_init(&c, 2, 3, 7, "2w");
        c.no_vote[3] = novote;
        c.delay_max = 4;
        cl_begin(&c, "t1");
        cl_run_until(&c, 100);
        CHECK(c.wal_violation.empty(), "%s run: %s", novote ? "abort" : "commit", c.wal_violation.c_str());
        cl_free(&c);
    }
}

void test_2pc_vote_timeout(void **)
{
    cluster c;
    cl_init(&c, 2, 3, 1, "2t");
    cl_kill(&c, 3); // never votes
    cl_begin(&c, "t1");
    cl_run_until(&c, 99);
    CHECK(cl_state(&c, 0, "t1") == TX_WORKING, "participant 3 silent, begin at t=0, vote timeout 100: at t=99 expected WORKING, got %s",
          tx_state_name(cl_state(&c, 0, "t1")));
    cl_run_until(&c, 100);
    CHECK(cl_state(&c, 0, "t1") == TX_ABORTED, "participant 3 silent: at t=100 expected ABORTED, got %s",
          tx_state_name(cl_state(&c, 0, "t1")));
    cl_run_until(&c, 110);
    for (int i = 1; i <= 2; i++)
        CHECK(cl_state(&c, i, "t1") == TX_ABORTED, "after the vote timeout: participant %d expected ABORTED, got %s", i,
              tx_state_name(cl_state(&c, i, "t1")));
    CHECK(recs(&c, 0) == "[START t1 | ABORT t1]", "participant 3 still down: coordinator log expected [START t1 | ABORT t1] (no END), got %s",
          recs(&c, 0).c_str());
    cl_restart(&c, 3);
    cl_run_until(&c, 200);
    CHECK(cl_state(&c, 3, "t1") == TX_ABORTED, "participant 3 back: expected ABORTED (the decision is resent), got %s",
          tx_state_name(cl_state(&c, 3, "t1")));
    CHECK(recs(&c, 0) == "[START t1 | ABORT t1 | END t1]", "all acknowledged: coordinator log expected [START t1 | ABORT t1 | END t1], got %s",
          recs(&c, 0).c_str());
    cl_free(&c);
}

// The coordinator dies at the crash point named `point` (e.g. "after-send PREPARE", its n-th one).
static void crash_coord_at(cluster *c, const char *point, int nth)
{
    // Count the coordinator's points in a dry run to find the index of the nth `point`.
    cluster dry;
    cl_init(&dry, c->proto, c->n, 1, "dry");
    cl_begin(&dry, "t1");
    cl_run_until(&dry, 60);
    int seen = 0;
    for (size_t i = 0; i < dry.point_names[0].size(); i++)
        if (dry.point_names[0][i] == point && ++seen == nth) {
            c->crash_node = 0;
            c->crash_k = (int)i + 1;
        }
    cl_free(&dry);
    if (c->crash_node != 0)
        fail_msg("the coordinator never reached crash point '%s' #%d in a fault-free run", point, nth);
}

void test_2pc_blocks_when_coordinator_dies_after_prepare(void **)
{
    // Dies once every participant has voted yes and before any decision is known: all are in doubt.
    cluster c;
    cl_init(&c, 2, 3, 1, "2b");
    crash_coord_at(&c, "before-log COMMIT t1", 1);
    cl_begin(&c, "t1");
    cl_run_until(&c, 10000);
    CHECK(!c.up[0], "the coordinator should have crashed before logging COMMIT");
    for (int i = 1; i <= 3; i++)
        CHECK(cl_state(&c, i, "t1") == TX_PREPARED,
              "coordinator dead after prepare, 10 s later: participant %d expected PREPARED (in doubt, blocked), got %s", i,
              tx_state_name(cl_state(&c, i, "t1")));
    size_t asks = 0;
    for (const std::string &s : c.sent)
        asks += s == "1>0 STATE_REQ";
    CHECK(asks >= 497 && asks <= 501,
          "in doubt for 10 s with retry_ms 20: expected participant 1 to ask the coordinator about 10000 / 20 = 500 times (497..501), it asked %zu",
          asks);
    cl_restart(&c, 0);
    cl_run_until(&c, 10100);
    for (int i = 0; i <= 3; i++)
        CHECK(cl_state(&c, i, "t1") == TX_ABORTED, "coordinator back with only START logged: node %d expected ABORTED, got %s", i,
              tx_state_name(cl_state(&c, i, "t1")));
    cl_free(&c);

    // Dies right after logging COMMIT: the participants stay blocked, then commit when it returns.
    cluster d;
    cl_init(&d, 2, 3, 1, "2b");
    crash_coord_at(&d, "after-log COMMIT t1", 1);
    cl_begin(&d, "t1");
    cl_run_until(&d, 5000);
    for (int i = 1; i <= 3; i++)
        CHECK(cl_state(&d, i, "t1") == TX_PREPARED, "coordinator dead after logging COMMIT: participant %d expected PREPARED, got %s", i,
              tx_state_name(cl_state(&d, i, "t1")));
    cl_restart(&d, 0);
    cl_run_until(&d, 5100);
    for (int i = 0; i <= 3; i++)
        CHECK(cl_state(&d, i, "t1") == TX_COMMITTED, "coordinator back with COMMIT logged: node %d expected COMMITTED, got %s", i,
              tx_state_name(cl_state(&d, i, "t1")));
    CHECK(recs(&d, 0) == "[START t1 | COMMIT t1 | END t1]", "coordinator log expected [START t1 | COMMIT t1 | END t1], got %s",
          recs(&d, 0).c_str());
    cl_free(&d);
}

void test_2pc_participant_in_doubt_asks(void **)
{
    cluster c;
    cl_init(&c, 2, 3, 1, "2d");
    c.crash_node = 2;
    c.crash_k = 4; // after-send VOTE_YES: voted, then died
    cl_begin(&c, "t1");
    cl_run_until(&c, 30);
    CHECK(!c.up[2], "participant 2 should be down after sending its vote");
    CHECK(cl_state(&c, 0, "t1") == TX_COMMITTED, "all voted yes: coordinator expected COMMITTED, got %s",
          tx_state_name(cl_state(&c, 0, "t1")));
    size_t before = c.sent.size();
    c.queue.clear();
    c.now = 1000; // long after: the coordinator's resends are lost while 2 was down
    cl_restart(&c, 2);
    CHECK(c.sent.size() > before && c.sent[before] == "2>0 STATE_REQ",
          "participant 2 reopened with PREPARED logged: its first message expected 2>0 STATE_REQ, got %s",
          c.sent.size() > before ? c.sent[before].c_str() : "nothing");
    cl_run_until(&c, 1005);
    CHECK(cl_state(&c, 2, "t1") == TX_COMMITTED, "participant 2 after asking: expected COMMITTED, got %s",
          tx_state_name(cl_state(&c, 2, "t1")));
    CHECK(recs(&c, 2) == "[PREPARED t1 | COMMITTED t1]", "participant 2 log expected [PREPARED t1 | COMMITTED t1], got %s",
          recs(&c, 2).c_str());
    cl_free(&c);
}

void test_2pc_duplicates_idempotent(void **)
{
    cluster c;
    cl_init(&c, 2, 3, 3, "2u");
    c.dup = true;
    cl_begin(&c, "t1");
    cl_run_until(&c, 100);
    CHECK(recs(&c, 0) == "[START t1 | COMMIT t1 | END t1]", "every message twice: coordinator log expected [START t1 | COMMIT t1 | END t1], got %s",
          recs(&c, 0).c_str());
    for (int i = 1; i <= 3; i++)
        CHECK(recs(&c, i) == "[PREPARED t1 | COMMITTED t1]", "every message twice: participant %d log expected [PREPARED t1 | COMMITTED t1], got %s",
              i, recs(&c, i).c_str());
    // A decided participant answers a repeated decision again (its ACK may have been the lost one).
    tx_msg m{};
    m.type = TX_MSG_COMMIT;
    m.from = 0;
    m.to = 1;
    snprintf(m.tx, sizeof m.tx, "t1");
    size_t before = c.sent.size();
    tpc_part_on_msg(static_cast<tpc_part *>(c.node[1]), &m, c.now);
    CHECK(c.sent.size() == before + 1 && c.sent[before] == "1>0 ACK", "COMMIT again to a committed participant: expected 1>0 ACK, got %s",
          c.sent.size() > before ? c.sent[before].c_str() : "nothing");
    cl_free(&c);
}

void test_2pc_bad_arguments(void **)
{
    cluster c;
    cl_init(&c, 2, 2, 1, "2e");
    tpc_coord *co = static_cast<tpc_coord *>(c.node[0]);
    tx_error err;
    std::string id32(32, 'a'), id33(33, 'a');
    int rc = tpc_coord_begin(co, id33.c_str(), 0, &err);
    CHECK(rc == TX_ERR_ARG, "begin with a 33-char id: expected ERR_ARG, got %s", tx_rc_name(rc));
    rc = tpc_coord_begin(co, "bad id", 0, &err);
    CHECK(rc == TX_ERR_ARG, "begin(\"bad id\") (a space): expected ERR_ARG, got %s", tx_rc_name(rc));
    rc = tpc_coord_begin(co, "", 0, &err);
    CHECK(rc == TX_ERR_ARG, "begin(\"\"): expected ERR_ARG, got %s", tx_rc_name(rc));
    CHECK(disk_records(cl_log_path(&c, 0).c_str()).empty() && c.sent.empty(),
          "after three refused begins: expected an empty log and no message, got %s and %zu messages",
          recs(&c, 0).c_str(), c.sent.size());
    rc = tpc_coord_begin(co, id32.c_str(), 0, &err);
    CHECK(rc == TX_OK, "begin with a 32-char id: expected OK, got %s", tx_rc_name(rc));
    cl_run_until(&c, 20);
    rc = tpc_coord_begin(co, id32.c_str(), c.now, &err);
    CHECK(rc == TX_ERR_STATE && err.msg[0], "begin with an id already used: expected ERR_STATE and a message, got %s",
          tx_rc_name(rc));
    CHECK(recs(&c, 0) == "[START " + id32 + " | COMMIT " + id32 + " | END " + id32 + "]",
          "after the refused reuse: coordinator log unchanged expected, got %s", recs(&c, 0).c_str());
    // Ids: every allowed class at its edges; the characters just outside are refused.
    rc = tpc_coord_begin(co, "azAZ09_.-", c.now, &err);
    CHECK(rc == TX_OK, "begin(\"azAZ09_.-\"): expected OK, got %s", tx_rc_name(rc));
    const char *outside[] = {"a`", "a{", "a@", "a[", "a/", "a:", "a,"};
    for (const char *id : outside) {
        rc = tpc_coord_begin(co, id, c.now, &err);
        CHECK(rc == TX_ERR_ARG, "begin(\"%s\"): expected ERR_ARG, got %s", id, tx_rc_name(rc));
    }
    // Messages from a node that is not a participant are refused and answered by nothing.
    cl_run_until(&c, c.now + 20);
    size_t before = c.sent.size();
    tx_msg m{};
    m.type = TX_MSG_STATE_REQ;
    snprintf(m.tx, sizeof m.tx, "nothere");
    for (int from : {0, 3, -1}) {
        m.from = from;
        rc = tpc_coord_on_msg(co, &m, c.now);
        CHECK(rc == TX_ERR_ARG, "coordinator on_msg from node %d of 2 participants: expected ERR_ARG, got %s", from, tx_rc_name(rc));
    }
    m.from = 1;
    m.to = 2;
    m.type = TX_MSG_COMMIT;
    rc = tpc_part_on_msg(static_cast<tpc_part *>(c.node[2]), &m, c.now);
    CHECK(rc == TX_ERR_ARG, "participant on_msg of a COMMIT from node 1 (not the coordinator): expected ERR_ARG, got %s", tx_rc_name(rc));
    CHECK(c.sent.size() == before, "after refused messages: expected nothing sent, got %s", c.sent.back().c_str());
    CHECK(tpc_coord_tick(nullptr, 0) == TX_ERR_ARG && tpc_part_tick(nullptr, 0) == TX_ERR_ARG &&
              tpc_coord_on_msg(nullptr, &m, 0) == TX_ERR_ARG && tpc_part_on_msg(nullptr, &m, 0) == TX_ERR_ARG,
          "tick/on_msg on a NULL node: expected ERR_ARG");
    CHECK(tpc_coord_state(nullptr, "t1") == TX_UNKNOWN && tpc_part_state(nullptr, "t1") == TX_UNKNOWN &&
              tpc_coord_state(co, nullptr) == TX_UNKNOWN,
          "state of a NULL node or id: expected UNKNOWN");
    CHECK(tpc_coord_begin(nullptr, "x", 0, &err) == TX_ERR_ARG, "begin on a NULL coordinator: expected ERR_ARG");
    // Presumed abort: a state request or a yes vote for a transaction the coordinator never began.
    m.from = 1;
    m.to = 0;
    m.type = TX_MSG_STATE_REQ;
    tpc_coord_on_msg(co, &m, c.now);
    CHECK(c.sent.size() == before + 1 && c.sent.back() == "0>1 ABORT",
          "STATE_REQ from 1 for a transaction never begun: expected 0>1 ABORT (presumed abort), got %s", c.sent.back().c_str());
    m.type = TX_MSG_VOTE_YES;
    m.from = 2;
    tpc_coord_on_msg(co, &m, c.now);
    CHECK(c.sent.size() == before + 2 && c.sent.back() == "0>2 ABORT",
          "VOTE_YES from 2 for a transaction never begun: expected 0>2 ABORT, got %s", c.sent.back().c_str());
    m.type = TX_MSG_ACK;
    tpc_coord_on_msg(co, &m, c.now);
    CHECK(c.sent.size() == before + 2, "ACK for a transaction never begun: expected no answer, got %s", c.sent.back().c_str());
    tx_config bad;
    tx_config_default(&bad);
    bad.participants = 0;
    tpc_coord *x = nullptr;
    std::string p = c.dir + "/x.log";
    rc = tpc_coord_open(p.c_str(), &bad, nullptr, 0, &x, &err);
    CHECK(rc == TX_ERR_ARG && !x, "tpc_coord_open with 0 participants: expected ERR_ARG, got %s", tx_rc_name(rc));
    tpc_part *y = nullptr;
    rc = tpc_part_open(p.c_str(), 3, &c.cfg, nullptr, 0, &y, &err);
    CHECK(rc == TX_ERR_ARG && !y, "tpc_part_open id 3 of 2 participants: expected ERR_ARG, got %s", tx_rc_name(rc));
    rc = tpc_part_open(p.c_str(), 0, &c.cfg, nullptr, 0, &y, &err);
    CHECK(rc == TX_ERR_ARG && !y, "tpc_part_open id 0: expected ERR_ARG, got %s", tx_rc_name(rc));
    // The same limits for 3PC.
    tpc3_coord *x3 = nullptr;
    rc = tpc3_coord_open(p.c_str(), &bad, nullptr, 0, &x3, &err);
    CHECK(rc == TX_ERR_ARG && !x3, "tpc3_coord_open with 0 participants: expected ERR_ARG, got %s", tx_rc_name(rc));
    tpc3_part *y3 = nullptr;
    rc = tpc3_part_open(p.c_str(), 3, &c.cfg, nullptr, 0, &y3, &err);
    CHECK(rc == TX_ERR_ARG && !y3, "tpc3_part_open id 3 of 2 participants: expected ERR_ARG, got %s", tx_rc_name(rc));
    rc = tpc3_part_open(p.c_str(), 0, &c.cfg, nullptr, 0, &y3, &err);
    CHECK(rc == TX_ERR_ARG && !y3, "tpc3_part_open id 0: expected ERR_ARG, got %s", tx_rc_name(rc));
    std::string p3 = c.dir + "/c3.log";
    rc = tpc3_coord_open(p3.c_str(), &c.cfg, nullptr, 0, &x3, &err);
    CHECK(rc == TX_OK && x3, "tpc3_coord_open: expected OK, got %s", tx_rc_name(rc));
    rc = tpc3_coord_begin(x3, id33.c_str(), 0, &err);
    CHECK(rc == TX_ERR_ARG, "3PC begin with a 33-char id: expected ERR_ARG, got %s", tx_rc_name(rc));
    rc = tpc3_coord_begin(x3, id32.c_str(), 0, &err);
    CHECK(rc == TX_OK, "3PC begin with a 32-char id: expected OK, got %s", tx_rc_name(rc));
    rc = tpc3_coord_begin(x3, id32.c_str(), 0, &err);
    CHECK(rc == TX_ERR_STATE, "3PC begin with an id already used: expected ERR_STATE, got %s", tx_rc_name(rc));
    CHECK(join(disk_records(p3.c_str())) == "[START " + id32 + "]", "3PC log after the refused reuse: expected [START %s], got %s",
          id32.c_str(), join(disk_records(p3.c_str())).c_str());
    tx_msg m3{};
    m3.type = TX_MSG_VOTE_YES;
    m3.from = 3;
    snprintf(m3.tx, sizeof m3.tx, "%s", id32.c_str());
    CHECK(tpc3_coord_on_msg(x3, &m3, 0) == TX_ERR_ARG, "3PC coordinator on_msg from node 3 of 2: expected ERR_ARG");
    m3.from = 0;
    CHECK(tpc3_coord_on_msg(x3, &m3, 0) == TX_ERR_ARG, "3PC coordinator on_msg from node 0: expected ERR_ARG");
    CHECK(tpc3_coord_tick(nullptr, 0) == TX_ERR_ARG && tpc3_part_tick(nullptr, 0) == TX_ERR_ARG &&
              tpc3_coord_on_msg(nullptr, &m3, 0) == TX_ERR_ARG && tpc3_part_on_msg(nullptr, &m3, 0) == TX_ERR_ARG &&
              tpc3_coord_begin(nullptr, "x", 0, &err) == TX_ERR_ARG,
          "3PC tick/on_msg/begin on NULL: expected ERR_ARG");
    CHECK(tpc3_coord_state(nullptr, "x") == TX_UNKNOWN && tpc3_part_state(nullptr, "x") == TX_UNKNOWN &&
              tpc3_coord_state(x3, nullptr) == TX_UNKNOWN && tpc3_known_limitations(nullptr) == 3,
          "3PC state on NULL: expected UNKNOWN; tpc3_known_limitations(NULL): expected 3");
    tpc3_coord_free(x3);
    cl_free(&c);
}

void test_2pc_two_transactions(void **)
{
    cluster c;
    cl_init(&c, 2, 2, 1, "22");
    cl_begin(&c, "a");
    cl_run_until(&c, 1);
    c.no_vote[1] = true; // only for transactions asked from now on
    cl_begin(&c, "b");
    cl_run_until(&c, 60);
    for (int i = 0; i <= 2; i++) {
        CHECK(cl_state(&c, i, "a") == TX_COMMITTED, "node %d: transaction a expected COMMITTED, got %s", i,
              tx_state_name(cl_state(&c, i, "a")));
        CHECK(cl_state(&c, i, "b") == TX_ABORTED, "node %d: transaction b expected ABORTED, got %s", i,
              tx_state_name(cl_state(&c, i, "b")));
    }
    CHECK(recs(&c, 0) == "[START a | START b | COMMIT a | ABORT b | END a | END b]",
          "coordinator log with a and b interleaved: expected [START a | START b | COMMIT a | ABORT b | END a | END b], got %s",
          recs(&c, 0).c_str());
    cl_free(&c);
}

void test_crash_points_exact(void **)
{
    cluster c;
    cl_init(&c, 2, 2, 1, "cp");
    cl_begin(&c, "t1");
    cl_run_until(&c, 50);
    const char *want1 = "[before-log PREPARED t1 | after-log PREPARED t1 | before-send VOTE_YES | after-send VOTE_YES | "
                        "before-log COMMITTED t1 | after-log COMMITTED t1 | before-send ACK | after-send ACK]";
    CHECK(join(c.point_names[1]) == want1, "2PC commit run, participant 1's crash points: expected %s, got %s", want1,
          join(c.point_names[1]).c_str());
    const char *want0 = "[before-log START t1 | after-log START t1 | before-send PREPARE | after-send PREPARE | "
                        "before-send PREPARE | after-send PREPARE | before-log COMMIT t1 | after-log COMMIT t1 | "
                        "before-send COMMIT | after-send COMMIT | before-send COMMIT | after-send COMMIT | "
                        "before-log END t1 | after-log END t1]";
    CHECK(join(c.point_names[0]) == want0, "2PC commit run, the coordinator's crash points: expected %s, got %s", want0,
          join(c.point_names[0]).c_str());
    cl_free(&c);
    // A crash at before-send: the call returns CRASHED at once, the message never leaves.
    cluster d;
    cl_init(&d, 2, 2, 1, "cp");
    d.crash_node = 0;
    d.crash_k = 5; // before-send of the second PREPARE
    int rc = cl_begin(&d, "t1");
    CHECK(rc == TX_CRASHED, "crash at the coordinator's 5th point (before-send PREPARE to 2): begin expected CRASHED, got %s",
          tx_rc_name(rc));
    CHECK(join(d.sent) == "[0>1 PREPARE]", "crash before the second PREPARE: expected only [0>1 PREPARE] sent, got %s",
          join(d.sent).c_str());
    CHECK(d.points[0] == 5, "after the crash the node must stop: expected 5 crash points passed, got %d", d.points[0]);
    cl_free(&d);
}
