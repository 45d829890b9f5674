// test_saga.cpp — EX25 sagas: steps in order, compensation of completed steps in reverse, retries
// with the same idempotency key up to max_attempts, a stuck compensation, the event file byte for
// byte, resume after a crash at every point, and state rebuilt from the event file.
#include "tx_tests.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <set>

namespace {
struct svc {
    std::vector<std::string> calls;          // "A s1#1": action of s1, attempt 1; "C ..." compensations
    std::set<std::string> applied;           // idempotency keys already applied
    std::vector<std::string> effects;        // each effect once, in the order applied
    std::map<std::string, int> retries;      // "A s2" -> answer RETRY this many times first
    std::set<std::string> fail;              // "A s3" -> answer FAIL
    std::string bad_key;                     // first call whose key was not (saga, step)
};
} // namespace

static int answer(svc *v, char kind, const char *sid, const char *step, int attempt)
{
    std::string k = std::string(1, kind) + " " + step;
    v->calls.push_back(k + "#" + std::to_string(attempt));
    if (strcmp(sid, "order-1") && v->bad_key.empty())
        v->bad_key = k + " called with saga id '" + sid + "'";
    if (v->fail.count(k))
        return SAGA_FAIL;
    auto it = v->retries.find(k);
    if (it != v->retries.end() && it->second > 0) {
        it->second--;
        return SAGA_RETRY;
    }
    std::string key = std::string(1, kind) + ":" + sid + "/" + step; // the idempotency key
    if (v->applied.insert(key).second)
        v->effects.push_back(std::string(kind == 'A' ? "+" : "-") + step);
    return SAGA_DONE;
}

static int act(void *ctx, const char *sid, const char *step, int attempt)
{
    return answer(static_cast<svc *>(ctx), 'A', sid, step, attempt);
}
static int comp(void *ctx, const char *sid, const char *step, int attempt)
{
    return answer(static_cast<svc *>(ctx), 'C', sid, step, attempt);
}

static saga *make_saga(const std::string &path, svc *v, int steps, int max_attempts = 3, const tx_io *io = nullptr)
{
    saga *s = nullptr;
    int rc = saga_new("order-1", path.c_str(), max_attempts, io, &s, nullptr);
    if (rc != TX_OK || !s)
        fail_msg("saga_new(\"order-1\", %d attempts): expected OK, got %s", max_attempts, tx_rc_name(rc));
    for (int i = 1; i <= steps; i++) {
        std::string name = "s" + std::to_string(i);
        if (saga_add_step(s, name.c_str(), act, comp, v, nullptr) != TX_OK)
            fail_msg("saga_add_step(%s) failed", name.c_str());
    }
    return s;
}

static std::string rec_join(const std::string &path) { return join(disk_records(path.c_str())); }

void test_saga_types(void **)
{
    CHECK(SAGA_CHOREOGRAPHY != SAGA_ORCHESTRATION, "saga types must differ");
    const char *want[] = {"NOT_STARTED", "RUNNING", "COMPENSATING", "COMPLETED", "COMPENSATED", "STUCK"};
    for (int i = 0; i <= SAGA_STUCK; i++)
        CHECK(!strcmp(saga_status_name((saga_status)i), want[i]), "saga_status_name(%d): expected %s, got %s", i, want[i],
              saga_status_name((saga_status)i));
    const char *rcs[][2] = {{"OK", "0"}, {"CRASHED", "1"}, {"ERR_ARG", "-1"}, {"ERR_IO", "-2"}, {"ERR_STATE", "-3"}};
    for (auto &r : rcs)
        CHECK(!strcmp(tx_rc_name(atoi(r[1])), r[0]), "tx_rc_name(%s): expected %s, got %s", r[1], r[0], tx_rc_name(atoi(r[1])));
    const char *msgs[] = {"PREPARE", "VOTE_YES", "VOTE_NO", "PRECOMMIT", "PRECOMMIT_ACK", "COMMIT", "ABORT", "ACK", "STATE_REQ", "STATE_REPLY"};
    for (int i = 0; i < 10; i++)
        CHECK(!strcmp(tx_msg_name((tx_msg_type)(i + 1)), msgs[i]), "tx_msg_name(%d): expected %s, got %s", i + 1, msgs[i],
              tx_msg_name((tx_msg_type)(i + 1)));
    const char *pts[] = {"before-log", "after-log", "before-send", "after-send", "before-call", "after-call"};
    for (int i = 0; i < 6; i++)
        CHECK(!strcmp(tx_point_name((tx_point)(i + 1)), pts[i]), "tx_point_name(%d): expected %s, got %s", i + 1, pts[i],
              tx_point_name((tx_point)(i + 1)));
    tx_config cfg{};
    tx_config_default(&cfg);
    CHECK(cfg.participants == 3 && cfg.vote_timeout_ms == 100 && cfg.retry_ms == 20 && cfg.term_timeout_ms == 200,
          "tx_config_default: expected 3, 100, 20, 200; got %d, %llu, %llu, %llu", cfg.participants,
          (unsigned long long)cfg.vote_timeout_ms, (unsigned long long)cfg.retry_ms, (unsigned long long)cfg.term_timeout_ms);
    const char *st[] = {"UNKNOWN", "WORKING", "PREPARED", "PRECOMMITTED", "COMMITTED", "ABORTED"};
    for (int i = 0; i <= TX_ABORTED; i++)
        CHECK(!strcmp(tx_state_name((tx_state)i), st[i]), "tx_state_name(%d): expected %s, got %s", i, st[i],
              tx_state_name((tx_state)i));
}

void test_saga_compensation(void **)
{
    std::string dir = fresh_dir("sc"), path = dir + "/events.log";
    svc v;
    saga *s = make_saga(path, &v, 1);
    saga_status st = SAGA_NOT_STARTED;
    int rc = saga_execute(s, &st, nullptr);
    CHECK(rc == TX_OK && st == SAGA_COMPLETED, "one succeeding step: expected OK/COMPLETED, got %s/%s", tx_rc_name(rc),
          saga_status_name(st));
    CHECK(join(v.calls) == "[A s1#1]", "one succeeding step: calls expected [A s1#1] (no compensation), got %s", join(v.calls).c_str());
    saga_free(s);
    rm_tree(dir);
}

void test_event_sourcing(void **)
{
    std::string dir = fresh_dir("es"), path = dir + "/events.log";
    txlog *log = nullptr;
    txlog_open(path.c_str(), &log, nullptr, nullptr);
    const char *ev = "saga-1 STEP_STARTED step1";
    txlog_append(log, ev, strlen(ev), nullptr);
    txlog_close(log);
    saga_state st;
    int rc = saga_rebuild(path.c_str(), "saga-1", &st, nullptr);
    CHECK(rc == TX_OK, "rebuild after one STEP_STARTED: expected OK, got %s", tx_rc_name(rc));
    CHECK(st.status == SAGA_RUNNING && st.in_flight == "step1" && st.completed.empty(),
          "rebuild after \"saga-1 STEP_STARTED step1\": expected RUNNING, in flight step1, nothing completed; got %s, '%s', %zu",
          saga_status_name(st.status), st.in_flight.c_str(), st.completed.size());
    rm_tree(dir);
}

void test_saga_reverse_compensation(void **)
{
    std::string dir = fresh_dir("sr"), path = dir + "/events.log";
    svc v;
    v.fail.insert("A s3");
    saga *s = make_saga(path, &v, 4);
    saga_status st = SAGA_NOT_STARTED;
    int rc = saga_execute(s, &st, nullptr);
    CHECK(rc == TX_OK && st == SAGA_COMPENSATED, "s3 fails: expected OK/COMPENSATED, got %s/%s", tx_rc_name(rc), saga_status_name(st));
    CHECK(join(v.calls) == "[A s1#1 | A s2#1 | A s3#1 | C s2#1 | C s1#1]",
          "s3 fails: calls expected [A s1#1 | A s2#1 | A s3#1 | C s2#1 | C s1#1], got %s", join(v.calls).c_str());
    CHECK(join(v.effects) == "[+s1 | +s2 | -s2 | -s1]", "effects expected [+s1 | +s2 | -s2 | -s1], got %s", join(v.effects).c_str());
    saga_state r;
    saga_rebuild(path.c_str(), "order-1", &r, nullptr);
    CHECK(r.status == SAGA_COMPENSATED && join(r.completed) == "[s1 | s2]" && join(r.compensated) == "[s2 | s1]" &&
              r.failed_step == "s3" && r.error == "failed",
          "rebuilt: expected COMPENSATED, completed [s1 | s2], compensated [s2 | s1], failed s3 (failed); got %s, %s, %s, %s (%s)",
          saga_status_name(r.status), join(r.completed).c_str(), join(r.compensated).c_str(), r.failed_step.c_str(), r.error.c_str());
    // The first step failing: nothing to compensate.
    svc w;
    w.fail.insert("A s1");
    std::string p2 = dir + "/e2.log";
    saga *s2 = make_saga(p2, &w, 2);
    saga_execute(s2, &st, nullptr);
    CHECK(st == SAGA_COMPENSATED && join(w.calls) == "[A s1#1]", "s1 fails: expected COMPENSATED and calls [A s1#1], got %s and %s",
          saga_status_name(st), join(w.calls).c_str());
    saga_free(s);
    saga_free(s2);
    rm_tree(dir);
}

void test_saga_events_exact(void **)
{
    std::string dir = fresh_dir("se"), path = dir + "/events.log";
    svc v;
    saga *s = make_saga(path, &v, 2);
    saga_status st;
    saga_execute(s, &st, nullptr);
    const char *want = "[order-1 STEP_STARTED s1 | order-1 STEP_COMPLETED s1 | order-1 STEP_STARTED s2 | "
                       "order-1 STEP_COMPLETED s2 | order-1 SAGA_COMPLETED -]";
    CHECK(rec_join(path) == want, "two steps done: events expected %s, got %s", want, rec_join(path).c_str());
    // Running a finished saga again calls nothing and writes nothing.
    size_t calls = v.calls.size();
    int rc = saga_execute(s, &st, nullptr);
    CHECK(rc == TX_OK && st == SAGA_COMPLETED && v.calls.size() == calls && rec_join(path) == want,
          "execute again after COMPLETED: expected COMPLETED, no call, same events; got %s, %zu new calls, %s",
          saga_status_name(st), v.calls.size() - calls, rec_join(path).c_str());
    saga_free(s);
    svc w;
    w.fail.insert("A s2");
    std::string p2 = dir + "/e2.log";
    saga *f = make_saga(p2, &w, 2);
    saga_execute(f, &st, nullptr);
    const char *want2 = "[order-1 STEP_STARTED s1 | order-1 STEP_COMPLETED s1 | order-1 STEP_STARTED s2 | "
                        "order-1 STEP_FAILED s2 failed | order-1 COMP_STARTED s1 | order-1 COMP_COMPLETED s1 | "
                        "order-1 SAGA_COMPENSATED -]";
    CHECK(rec_join(p2) == want2, "s2 fails: events expected %s, got %s", want2, rec_join(p2).c_str());
    CHECK(v.bad_key.empty() && w.bad_key.empty(), "every call carries the saga id as its key: %s%s", v.bad_key.c_str(),
          w.bad_key.c_str());
    saga_free(f);
    rm_tree(dir);
}

void test_saga_retry_limit(void **)
{
    std::string dir = fresh_dir("sl"), path = dir + "/events.log";
    svc v;
    v.retries["A s2"] = 2; // two retries, then done: 3 attempts = max_attempts
    saga *s = make_saga(path, &v, 2, 3);
    saga_status st;
    saga_execute(s, &st, nullptr);
    CHECK(st == SAGA_COMPLETED && join(v.calls) == "[A s1#1 | A s2#1 | A s2#2 | A s2#3]",
          "s2 answers RETRY twice, max_attempts 3: expected COMPLETED and calls [A s1#1 | A s2#1 | A s2#2 | A s2#3]; got %s and %s",
          saga_status_name(st), join(v.calls).c_str());
    CHECK(join(v.effects) == "[+s1 | +s2]", "effects expected [+s1 | +s2] (once each), got %s", join(v.effects).c_str());
    saga_free(s);
    svc w;
    w.retries["A s2"] = 3; // one more than the limit allows
    std::string p2 = dir + "/e2.log";
    saga *t = make_saga(p2, &w, 2, 3);
    saga_execute(t, &st, nullptr);
    CHECK(st == SAGA_COMPENSATED && join(w.calls) == "[A s1#1 | A s2#1 | A s2#2 | A s2#3 | C s1#1]",
          "s2 answers RETRY 3 times, max_attempts 3: expected COMPENSATED and calls [A s1#1 | A s2#1 | A s2#2 | A s2#3 | C s1#1]; got %s and %s",
          saga_status_name(st), join(w.calls).c_str());
    saga_state r;
    saga_rebuild(p2.c_str(), "order-1", &r, nullptr);
    CHECK(r.failed_step == "s2" && r.error == "retries-exhausted", "rebuilt failure expected s2 (retries-exhausted), got %s (%s)",
          r.failed_step.c_str(), r.error.c_str());
    saga_free(t);
    rm_tree(dir);
}

void test_saga_compensation_stuck(void **)
{
    std::string dir = fresh_dir("ss"), path = dir + "/events.log";
    svc v;
    v.fail.insert("A s4");
    v.retries["C s3"] = 2; // compensations are retried too
    v.fail.insert("C s2");
    saga *s = make_saga(path, &v, 4, 3);
    saga_status st;
    int rc = saga_execute(s, &st, nullptr);
    CHECK(rc == TX_OK && st == SAGA_STUCK, "compensation of s2 fails: expected OK/STUCK, got %s/%s", tx_rc_name(rc), saga_status_name(st));
    CHECK(join(v.calls) == "[A s1#1 | A s2#1 | A s3#1 | A s4#1 | C s3#1 | C s3#2 | C s3#3 | C s2#1]",
          "expected calls [A s1#1 | A s2#1 | A s3#1 | A s4#1 | C s3#1 | C s3#2 | C s3#3 | C s2#1] (s1 never compensated), got %s",
          join(v.calls).c_str());
    std::vector<std::string> r = disk_records(path.c_str());
    CHECK(!r.empty() && r.back() == "order-1 SAGA_STUCK s2", "last event expected \"order-1 SAGA_STUCK s2\", got \"%s\"",
          r.empty() ? "" : r.back().c_str());
    saga_state b;
    saga_rebuild(path.c_str(), "order-1", &b, nullptr);
    CHECK(b.status == SAGA_STUCK && join(b.compensated) == "[s3]", "rebuilt: expected STUCK with compensated [s3], got %s with %s",
          saga_status_name(b.status), join(b.compensated).c_str());
    saga_free(s);
    rm_tree(dir);
}

namespace {
struct saga_crash {
    int k = 0, seen = 0;
    std::string path, at;
    std::vector<std::string> disk_at_crash;
};
} // namespace

static bool saga_crash_hook(void *ctx, int, tx_point p, const char *what)
{
    saga_crash *c = static_cast<saga_crash *>(ctx);
    if (++c->seen != c->k)
        return false;
    c->at = std::string(tx_point_name(p)) + " " + what;
    c->disk_at_crash = disk_records(c->path.c_str());
    return true;
}

void test_saga_crash_every_point(void **)
{
    for (int failing = 0; failing <= 1; failing++) {
        // Points of a fault-free run.
        int total = 0;
        {
            std::string dir = fresh_dir("sk"), path = dir + "/events.log";
            svc v;
            if (failing)
                v.fail.insert("A s3");
            saga_crash cr;
            cr.k = -1;
            cr.path = path;
            tx_io io{nullptr, saga_crash_hook, nullptr, &cr};
            saga *s = make_saga(path, &v, 4, 3, &io);
            saga_status st;
            saga_execute(s, &st, nullptr);
            total = cr.seen;
            saga_free(s);
            rm_tree(dir);
        }
        CHECK(total >= 20, "a 4-step saga passes at least 20 crash points (2 per event, 2 per call); got %d", total);
        for (int k = 1; k <= total; k++) {
            std::string dir = fresh_dir("sk"), path = dir + "/events.log";
            svc v;
            if (failing)
                v.fail.insert("A s3");
            saga_crash cr;
            cr.k = k;
            cr.path = path;
            tx_io io{nullptr, saga_crash_hook, nullptr, &cr};
            saga *s = make_saga(path, &v, 4, 3, &io);
            saga_status st;
            int rc = saga_execute(s, &st, nullptr);
            CHECK(rc == TX_CRASHED, "%s run, crash at point %d: expected CRASHED, got %s", failing ? "failing" : "ok", k, tx_rc_name(rc));
            saga_free(s);
            size_t calls_before = v.calls.size();
            // The orchestrator restarts: a new saga object, the same steps, the same event file.
            saga *again = make_saga(path, &v, 4, 3, nullptr);
            rc = saga_execute(again, &st, nullptr);
            saga_free(again);
            saga_status want = failing ? SAGA_COMPENSATED : SAGA_COMPLETED;
            const char *effects = failing ? "[+s1 | +s2 | -s2 | -s1]" : "[+s1 | +s2 | +s3 | +s4]";
            CHECK(rc == TX_OK && st == want, "crash at point %d (%s), resumed: expected %s, got %s/%s", k, cr.at.c_str(),
                  saga_status_name(want), tx_rc_name(rc), saga_status_name(st));
            CHECK(join(v.effects) == effects, "crash at point %d (%s), resumed: effects expected %s (each once), got %s", k,
                  cr.at.c_str(), effects, join(v.effects).c_str());
            // Nothing recorded as done on disk at the crash is done again.
            for (size_t i = calls_before; i < v.calls.size(); i++) {
                std::string call = v.calls[i];
                std::string step = call.substr(2, call.find('#') - 2);
                std::string done = std::string("order-1 ") + (call[0] == 'A' ? "STEP_COMPLETED " : "COMP_COMPLETED ") + step;
                for (const std::string &r : cr.disk_at_crash)
                    if (r == done)
                        fail_msg("crash at point %d (%s): after the restart %s was called again although '%s' was on disk",
                                 k, cr.at.c_str(), call.c_str(), done.c_str());
            }
            saga_state b;
            saga_rebuild(path.c_str(), "order-1", &b, nullptr);
            CHECK(b.status == want && b.in_flight.empty(), "crash at point %d, rebuilt after the resume: expected %s, nothing in flight; got %s, '%s'",
                  k, saga_status_name(want), saga_status_name(b.status), b.in_flight.c_str());
            rm_tree(dir);
        }
    }
}

void test_saga_rebuild_filters(void **)
{
    std::string dir = fresh_dir("sf"), path = dir + "/events.log";
    txlog *log = nullptr;
    txlog_open(path.c_str(), &log, nullptr, nullptr);
    const char *evs[] = {"a STEP_STARTED pay",      "b STEP_STARTED pay",   "a STEP_COMPLETED pay", "b STEP_FAILED pay failed",
                         "a STEP_STARTED ship",     "b SAGA_COMPENSATED -", "a STEP_COMPLETED ship", "a STEP_STARTED mail"};
    for (const char *e : evs)
        txlog_append(log, e, strlen(e), nullptr);
    txlog_close(log);
    saga_state a, b, z;
    saga_rebuild(path.c_str(), "a", &a, nullptr);
    CHECK(a.status == SAGA_RUNNING && join(a.completed) == "[pay | ship]" && a.in_flight == "mail" && a.failed_step.empty(),
          "rebuild(a) from a file with a and b: expected RUNNING, completed [pay | ship], in flight mail, no failure; got %s, %s, '%s', '%s'",
          saga_status_name(a.status), join(a.completed).c_str(), a.in_flight.c_str(), a.failed_step.c_str());
    saga_rebuild(path.c_str(), "b", &b, nullptr);
    CHECK(b.status == SAGA_COMPENSATED && b.completed.empty() && b.failed_step == "pay",
          "rebuild(b): expected COMPENSATED, nothing completed, failed pay; got %s, %s, '%s'", saga_status_name(b.status),
          join(b.completed).c_str(), b.failed_step.c_str());
    saga_rebuild(path.c_str(), "z", &z, nullptr);
    CHECK(z.status == SAGA_NOT_STARTED && z.completed.empty(), "rebuild(z), no event of z: expected NOT_STARTED, got %s",
          saga_status_name(z.status));
    // A torn last event (a crash in the middle of its write) is not an event.
    std::string bytes;
    {
        FILE *f = fopen(path.c_str(), "ab");
        const char torn[] = {0x20, 0, 0, 0, 1, 2, 3, 4, 'a', ' ', 'S'};
        fwrite(torn, 1, sizeof torn, f);
        fclose(f);
    }
    saga_rebuild(path.c_str(), "a", &a, nullptr);
    CHECK(a.status == SAGA_RUNNING && a.in_flight == "mail", "rebuild(a) with a torn tail: expected RUNNING, in flight mail; got %s, '%s'",
          saga_status_name(a.status), a.in_flight.c_str());
    txlog_open(path.c_str(), &log, nullptr, nullptr);
    const char *junk = "a NOT_AN_EVENT x";
    txlog_append(log, junk, strlen(junk), nullptr);
    txlog_close(log);
    tx_error err;
    int rc = saga_rebuild(path.c_str(), "a", &a, &err);
    CHECK(rc == TX_ERR_STATE && err.msg[0], "rebuild with a record \"a NOT_AN_EVENT x\": expected ERR_STATE and a message, got %s",
          tx_rc_name(rc));
    rm_tree(dir);
}

void test_saga_bad_arguments(void **)
{
    std::string dir = fresh_dir("sb"), path = dir + "/events.log";
    saga *s = nullptr;
    tx_error err;
    int rc = saga_new("bad id", path.c_str(), 3, nullptr, &s, &err);
    CHECK(rc == TX_ERR_ARG && !s, "saga_new(\"bad id\"): expected ERR_ARG, got %s", tx_rc_name(rc));
    rc = saga_new("ok", path.c_str(), 0, nullptr, &s, &err);
    CHECK(rc == TX_ERR_ARG && !s, "saga_new with max_attempts 0: expected ERR_ARG, got %s", tx_rc_name(rc));
    rc = saga_new("ok", path.c_str(), 1, nullptr, &s, &err);
    CHECK(rc == TX_OK && s, "saga_new with max_attempts 1: expected OK, got %s", tx_rc_name(rc));
    svc v;
    CHECK(saga_add_step(s, "pay", act, comp, &v, &err) == TX_OK, "add_step(pay) failed");
    rc = saga_add_step(s, "pay", act, comp, &v, &err);
    CHECK(rc == TX_ERR_ARG, "add_step(pay) twice: expected ERR_ARG, got %s", tx_rc_name(rc));
    rc = saga_add_step(s, "ship", act, nullptr, &v, &err);
    CHECK(rc == TX_ERR_ARG, "add_step(ship) without compensation: expected ERR_ARG, got %s", tx_rc_name(rc));
    v.retries["A pay"] = 1;
    saga_status st;
    saga_execute(s, &st, nullptr);
    CHECK(st == SAGA_COMPENSATED && join(v.calls) == "[A pay#1]",
          "one step after the refused adds, max_attempts 1, RETRY: expected COMPENSATED and calls [A pay#1], got %s and %s",
          saga_status_name(st), join(v.calls).c_str());
    saga_free(s);
    // An event file written by a saga with other steps: resuming would skip a step it never ran.
    std::string p2 = dir + "/other.log";
    svc w;
    saga *a = make_saga(p2, &w, 2);
    w.fail.insert("A s2");
    saga_execute(a, &st, nullptr);
    saga_free(a);
    saga *b = nullptr;
    saga_new("order-1", p2.c_str(), 3, nullptr, &b, nullptr);
    saga_add_step(b, "x1", act, comp, &w, nullptr);
    size_t calls = w.calls.size();
    rc = saga_execute(b, &st, &err);
    CHECK(rc == TX_ERR_STATE && err.msg[0] && w.calls.size() == calls,
          "execute a saga [x1] on an event file that completed s1: expected ERR_STATE, a message and no call; got %s, %zu calls",
          tx_rc_name(rc), w.calls.size() - calls);
    saga_free(b);
    saga_state bs;
    CHECK(saga_rebuild(p2.c_str(), "bad id", &bs, &err) == TX_ERR_ARG, "saga_rebuild(\"bad id\"): expected ERR_ARG");
    CHECK(saga_new("x", p2.c_str(), 1, nullptr, nullptr, &err) == TX_ERR_ARG, "saga_new with out NULL: expected ERR_ARG");
    CHECK(saga_execute(nullptr, &st, &err) == TX_ERR_ARG, "saga_execute(NULL): expected ERR_ARG");
    rm_tree(dir);
}
