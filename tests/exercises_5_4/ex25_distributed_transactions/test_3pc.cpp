// test_3pc.cpp — EX25 three-phase commit: the phases in order, the seed's limitations, exact logs,
// write-ahead, the termination protocol (all uncertain: abort; one pre-committed: commit), a
// participant dying after its ack, a restarted coordinator adopting the survivors' outcome.
#include "tx_tests.h"

#include <cstring>

static std::string recs(const cluster *c, int node) { return join(disk_records(cl_log_path(c, node).c_str())); }

// Index (1-based) of the nth crash point named `name` of `node` in a fault-free 3PC run.
static int point_index(int node, const char *name, int nth)
{
    cluster dry;
    cl_init(&dry, 3, 3, 1, "dry");
    cl_begin(&dry, "t1");
    cl_run_until(&dry, 60);
    int seen = 0, idx = 0;
    for (size_t i = 0; i < dry.point_names[node].size() && !idx; i++)
        if (dry.point_names[node][i] == name && ++seen == nth)
            idx = (int)i + 1;
    cl_free(&dry);
    if (!idx)
        fail_msg("node %d never reached crash point '%s' #%d in a fault-free 3PC run", node, name, nth);
    return idx;
}

void test_3pc_phases(void **)
{
    cluster c;
    cl_init(&c, 3, 3, 1, "3p");
    cl_begin(&c, "t1");
    cl_run_until(&c, 60);
    std::vector<std::string> phases;
    for (const std::string &s : c.sent)
        if (s.rfind("0>", 0) == 0) {
            std::string type = s.substr(s.find(' ') + 1);
            if (phases.empty() || phases.back() != type)
                phases.push_back(type);
        }
    CHECK(join(phases) == "[PREPARE | PRECOMMIT | COMMIT]", "the coordinator's phases: expected [PREPARE | PRECOMMIT | COMMIT], got %s",
          join(phases).c_str());
    for (int i = 0; i <= 3; i++)
        CHECK(cl_state(&c, i, "t1") == TX_COMMITTED, "3PC all yes: node %d expected COMMITTED, got %s", i,
              tx_state_name(cl_state(&c, i, "t1")));
    cl_free(&c);
}

void test_3pc_problems(void **)
{
    const char *const *lim = nullptr;
    size_t n = tpc3_known_limitations(&lim);
    CHECK(n == 3, "tpc3_known_limitations: expected 3 sentences, got %zu", n);
    bool partition = false;
    for (size_t i = 0; i < n; i++)
        partition |= strstr(lim[i], "partition") != nullptr;
    CHECK(partition, "tpc3_known_limitations: expected one sentence to mention \"partition\", none does");
    CHECK(!strcmp(lim[1], "Higher message complexity than 2PC"),
          "tpc3_known_limitations[1]: expected \"Higher message complexity than 2PC\", got \"%s\"", lim[1]);
}

void test_3pc_log_contents(void **)
{
    cluster c;
    cl_init(&c, 3, 3, 1, "3l");
    cl_begin(&c, "t1");
    cl_run_until(&c, 60);
    CHECK(recs(&c, 0) == "[START t1 | PRECOMMIT t1 | COMMIT t1 | END t1]",
          "3PC commit: coordinator log expected [START t1 | PRECOMMIT t1 | COMMIT t1 | END t1], got %s", recs(&c, 0).c_str());
    for (int i = 1; i <= 3; i++)
        CHECK(recs(&c, i) == "[PREPARED t1 | PRECOMMITTED t1 | COMMITTED t1]",
              "3PC commit: participant %d log expected [PREPARED t1 | PRECOMMITTED t1 | COMMITTED t1], got %s", i,
              recs(&c, i).c_str());
    const char *want = "[0>1 PREPARE | 0>2 PREPARE | 0>3 PREPARE | 1>0 VOTE_YES | 2>0 VOTE_YES | 3>0 VOTE_YES | "
                       "0>1 PRECOMMIT | 0>2 PRECOMMIT | 0>3 PRECOMMIT | 1>0 PRECOMMIT_ACK | 2>0 PRECOMMIT_ACK | "
                       "3>0 PRECOMMIT_ACK | 0>1 COMMIT | 0>2 COMMIT | 0>3 COMMIT | 1>0 ACK | 2>0 ACK | 3>0 ACK]";
    CHECK(join(c.sent) == want, "3PC commit: messages expected %s, got %s", want, join(c.sent).c_str());
    cl_free(&c);

    cluster a;
    cl_init(&a, 3, 3, 1, "3l");
    a.no_vote[1] = true;
    cl_begin(&a, "t1");
    cl_run_until(&a, 60);
    CHECK(recs(&a, 0) == "[START t1 | ABORT t1 | END t1]", "3PC abort: coordinator log expected [START t1 | ABORT t1 | END t1], got %s",
          recs(&a, 0).c_str());
    CHECK(recs(&a, 2) == "[PREPARED t1 | ABORTED t1]", "3PC abort: participant 2 log expected [PREPARED t1 | ABORTED t1], got %s",
          recs(&a, 2).c_str());
    cl_free(&a);
}

void test_3pc_write_ahead(void **)
{
    for (int scenario = 0; scenario < 3; scenario++) {
        cluster c;
        cl_init(&c, 3, 3, 11, "3w");
        c.delay_max = 4;
        if (scenario == 1)
            c.no_vote[2] = true;
        if (scenario == 2) { // the termination protocol sends too
            c.crash_node = 0;
            c.crash_k = point_index(0, "after-send PRECOMMIT", 1);
        }
        cl_begin(&c, "t1");
        cl_run_until(&c, 1000);
        CHECK(c.wal_violation.empty(), "3PC scenario %d: %s", scenario, c.wal_violation.c_str());
        cl_free(&c);
    }
}

void test_3pc_all_uncertain_abort(void **)
{
    // The coordinator logs PRECOMMIT and dies before telling anyone: every survivor is uncertain.
    cluster c;
    cl_init(&c, 3, 3, 1, "3u");
    c.crash_node = 0;
    c.crash_k = point_index(0, "after-log PRECOMMIT t1", 1);
    cl_begin(&c, "t1");
    // Each heard PREPARE at t=1; silence for term_timeout_ms 200 starts a round at t=201 that
    // ends retry_ms 20 later: participant 1 (the backup) decides at t=221, the others hear it at 222.
    cl_run_until(&c, 220);
    for (int i = 1; i <= 3; i++)
        CHECK(cl_state(&c, i, "t1") == TX_PREPARED, "coordinator dead at t=2: at t=220 participant %d expected PREPARED, got %s",
              i, tx_state_name(cl_state(&c, i, "t1")));
    cl_run_until(&c, 221);
    CHECK(cl_state(&c, 1, "t1") == TX_ABORTED, "round from t=201 to t=221: at t=221 the backup expected ABORTED, got %s",
          tx_state_name(cl_state(&c, 1, "t1")));
    cl_run_until(&c, 600);
    for (int i = 1; i <= 3; i++)
        CHECK(cl_state(&c, i, "t1") == TX_ABORTED,
              "coordinator dead, all survivors uncertain: after termination participant %d expected ABORTED, got %s\n%s", i,
              tx_state_name(cl_state(&c, i, "t1")), cl_describe(&c).c_str());
    // Participant 1 is the lowest live id: it decided and told the others.
    bool told = false;
    for (const std::string &s : c.sent)
        told |= s == "1>2 ABORT";
    CHECK(told, "termination: expected the backup (participant 1) to send 1>2 ABORT, messages were %s", join(c.sent).c_str());
    CHECK(recs(&c, 1) == "[PREPARED t1 | ABORTED t1]", "backup's log expected [PREPARED t1 | ABORTED t1], got %s", recs(&c, 1).c_str());
    cl_free(&c);
}

void test_3pc_precommitted_commit(void **)
{
    // The coordinator pre-commits participant 1 only, then dies: survivors must commit.
    cluster c;
    cl_init(&c, 3, 3, 1, "3c");
    c.crash_node = 0;
    c.crash_k = point_index(0, "after-send PRECOMMIT", 1);
    cl_begin(&c, "t1");
    cl_run_until(&c, 800);
    for (int i = 1; i <= 3; i++)
        CHECK(cl_state(&c, i, "t1") == TX_COMMITTED,
              "coordinator dead after pre-committing participant 1: participant %d expected COMMITTED, got %s\n%s", i,
              tx_state_name(cl_state(&c, i, "t1")), cl_describe(&c).c_str());
    for (int i = 2; i <= 3; i++)
        CHECK(recs(&c, i) == "[PREPARED t1 | PRECOMMITTED t1 | COMMITTED t1]",
              "participant %d must be pre-committed before it commits: log expected [PREPARED t1 | PRECOMMITTED t1 | COMMITTED t1], got %s",
              i, recs(&c, i).c_str());
    cl_free(&c);
    cluster e;
    cl_init(&e, 3, 3, 1, "3c");
    e.crash_node = 0;
    e.crash_k = point_index(0, "after-send PRECOMMIT", 3);
    cl_begin(&e, "t1");
    cl_run_until(&e, 5); // all three pre-committed; coordinator dead
    cl_kill(&e, 3);      // a survivor dies too
    cl_run_until(&e, 800);
    for (int i = 1; i <= 2; i++)
        CHECK(cl_state(&e, i, "t1") == TX_COMMITTED, "coordinator and participant 3 dead, 1 and 2 pre-committed: %d expected COMMITTED, got %s",
              i, tx_state_name(cl_state(&e, i, "t1")));
    cl_free(&e);
}

void test_3pc_participant_dies_after_ack(void **)
{
    cluster c;
    cl_init(&c, 3, 3, 1, "3a");
    c.crash_node = 3;
    c.crash_k = 6; // before-log PREPARED, after, before-send VOTE_YES, after, before-log PRECOMMITTED, after-log: dies
    cl_begin(&c, "t1");
    // PRECOMMIT logged and sent at t=2: the ack timeout ends at t=102.
    cl_run_until(&c, 101);
    CHECK(!c.up[3], "participant 3 should be down");
    CHECK(cl_state(&c, 0, "t1") == TX_PRECOMMITTED, "one pre-commit ack missing, PRECOMMIT at t=2: at t=101 coordinator expected PRECOMMITTED, got %s",
          tx_state_name(cl_state(&c, 0, "t1")));
    cl_run_until(&c, 102);
    CHECK(cl_state(&c, 0, "t1") == TX_COMMITTED, "ack timeout (100 ms after PRECOMMIT at t=2) passed at t=102: expected COMMITTED, got %s",
          tx_state_name(cl_state(&c, 0, "t1")));
    cl_run_until(&c, 150);
    cl_restart(&c, 3);
    cl_run_until(&c, 250);
    CHECK(cl_state(&c, 3, "t1") == TX_COMMITTED, "participant 3 back (PRECOMMITTED on disk): expected COMMITTED, got %s",
          tx_state_name(cl_state(&c, 3, "t1")));
    CHECK(recs(&c, 0) == "[START t1 | PRECOMMIT t1 | COMMIT t1 | END t1]", "coordinator log expected [START t1 | PRECOMMIT t1 | COMMIT t1 | END t1], got %s",
          recs(&c, 0).c_str());
    cl_free(&c);
}

void test_3pc_recovered_coordinator_adopts(void **)
{
    // Coordinator dies after logging PRECOMMIT; survivors abort; the coordinator comes back and
    // must end with ABORT too (it learns it from the participants, it does not commit).
    cluster c;
    cl_init(&c, 3, 3, 1, "3r");
    c.crash_node = 0;
    c.crash_k = point_index(0, "after-log PRECOMMIT t1", 1);
    cl_begin(&c, "t1");
    cl_run_until(&c, 600);
    cl_restart(&c, 0);
    cl_run_until(&c, 700);
    CHECK(cl_state(&c, 0, "t1") == TX_ABORTED, "coordinator back with PRECOMMIT logged after the survivors aborted: expected ABORTED, got %s",
          tx_state_name(cl_state(&c, 0, "t1")));
    CHECK(recs(&c, 0) == "[START t1 | PRECOMMIT t1 | ABORT t1 | END t1]",
          "coordinator log expected [START t1 | PRECOMMIT t1 | ABORT t1 | END t1], got %s", recs(&c, 0).c_str());
    cl_free(&c);
    // Same crash, but the coordinator is back before the survivors time out: it finishes the commit.
    cluster d;
    cl_init(&d, 3, 3, 1, "3r");
    d.crash_node = 0;
    d.crash_k = point_index(0, "after-log PRECOMMIT t1", 1);
    cl_begin(&d, "t1");
    cl_run_until(&d, 50);
    cl_restart(&d, 0);
    cl_run_until(&d, 150);
    for (int i = 0; i <= 3; i++)
        CHECK(cl_state(&d, i, "t1") == TX_COMMITTED, "coordinator back at t=50 with PRECOMMIT logged: node %d expected COMMITTED, got %s", i,
              tx_state_name(cl_state(&d, i, "t1")));
    // Coordinator dies after START only and comes back: abort.
    cluster e;
    cl_init(&e, 3, 3, 1, "3r");
    e.crash_node = 0;
    e.crash_k = point_index(0, "after-send PREPARE", 3);
    cl_begin(&e, "t1");
    cl_run_until(&e, 50);
    cl_restart(&e, 0);
    cl_run_until(&e, 150);
    for (int i = 0; i <= 3; i++)
        CHECK(cl_state(&e, i, "t1") == TX_ABORTED, "coordinator back with only START logged: node %d expected ABORTED, got %s", i,
              tx_state_name(cl_state(&e, i, "t1")));
    cl_free(&d);
    cl_free(&e);

    // Direct answers (R15): the coordinator about a transaction it never began; a recovering
    // participant about its own state; a coordinator told the outcome by a backup.
    cluster f;
    cl_init(&f, 3, 3, 1, "3r");
    tx_msg m{};
    m.type = TX_MSG_STATE_REQ;
    m.from = 2;
    m.to = 0;
    snprintf(m.tx, sizeof m.tx, "ghost");
    tpc3_coord_on_msg(static_cast<tpc3_coord *>(f.node[0]), &m, 0);
    CHECK(!f.sent.empty() && f.sent.back() == "0>2 STATE_REPLY(ABORTED)",
          "3PC STATE_REQ for a transaction the coordinator never began: expected 0>2 STATE_REPLY(ABORTED), got %s",
          f.sent.empty() ? "nothing" : f.sent.back().c_str());
    f.crash_node = 2;
    f.crash_k = point_index(2, "after-send VOTE_YES", 1);
    f.sent.clear();
    cl_begin(&f, "t1");
    cl_run_until(&f, 3);
    f.crash_node = -1;
    cl_restart(&f, 2); // PREPARED on disk: recovering
    m.from = 1;
    m.to = 2;
    snprintf(m.tx, sizeof m.tx, "t1");
    tpc3_part_on_msg(static_cast<tpc3_part *>(f.node[2]), &m, f.now);
    CHECK(f.sent.back() == "2>1 STATE_REPLY(UNKNOWN)",
          "a recovering participant (PREPARED on disk) asked its state: expected 2>1 STATE_REPLY(UNKNOWN), got %s", f.sent.back().c_str());
    cl_free(&f);

    cluster g;
    cl_init(&g, 3, 3, 1, "3r");
    g.crash_node = 0;
    g.crash_k = point_index(0, "after-log PRECOMMIT t1", 1);
    cl_begin(&g, "t1");
    cl_run_until(&g, 5);
    g.crash_node = -1;
    cl_restart(&g, 0); // PRECOMMIT on disk, undecided
    m.type = TX_MSG_COMMIT;
    m.from = 3;
    m.to = 0;
    size_t before = g.sent.size();
    tpc3_coord_on_msg(static_cast<tpc3_coord *>(g.node[0]), &m, g.now);
    CHECK(cl_state(&g, 0, "t1") == TX_COMMITTED, "restarted coordinator told COMMIT by participant 3: expected COMMITTED, got %s",
          tx_state_name(cl_state(&g, 0, "t1")));
    bool acked = false;
    for (size_t i = before; i < g.sent.size(); i++)
        acked |= g.sent[i] == "0>3 ACK";
    CHECK(acked, "restarted coordinator told COMMIT by participant 3: expected 0>3 ACK among %s", join(g.sent).c_str());
    cl_free(&g);
}
