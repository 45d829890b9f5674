// test_saga_state.cpp — EX25 event sourcing field by field: saga_rebuild after every prefix of a
// compensated run and of a stuck one (each field of saga_state exact, whatever `out` held before,
// other sagas' events interleaved); executing a finished saga again; an event file that does not
// match the saga's steps; the message of an event file that cannot be written.
#include "by_hand.h"

#include <cstring>

static std::string describe(const saga_state &s)
{
    return "id=" + s.saga_id + " " + saga_status_name(s.status) + " completed=" + join(s.completed) +
           " compensated=" + join(s.compensated) + " failed=" + s.failed_step + " error=" + s.error +
           " in_flight=" + s.in_flight;
}

static saga_state junk_state()
{
    saga_state j;
    j.saga_id = "junk";
    j.status = SAGA_STUCK;
    j.completed = {"j1"};
    j.compensated = {"j2"};
    j.failed_step = "j3";
    j.error = "j4";
    j.in_flight = "j5";
    return j;
}

// R21: after each event of s1 (s2's events in between are ignored), every field of the rebuilt
// state is exact, even when `out` held another state before the call.
void test_saga_rebuild_every_prefix(void **)
{
    bench e("srp");
    struct Step {
        const char *ev, *want;
    };
    const Step run[] = {
        {"s1 STEP_STARTED a", "id=s1 RUNNING completed=[] compensated=[] failed= error= in_flight=a"},
        {"s1 STEP_COMPLETED a", "id=s1 RUNNING completed=[a] compensated=[] failed= error= in_flight="},
        {"s1 STEP_STARTED b", "id=s1 RUNNING completed=[a] compensated=[] failed= error= in_flight=b"},
        {"s1 STEP_COMPLETED b", "id=s1 RUNNING completed=[a | b] compensated=[] failed= error= in_flight="},
        {"s1 STEP_STARTED c", "id=s1 RUNNING completed=[a | b] compensated=[] failed= error= in_flight=c"},
        {"s1 STEP_FAILED c retries-exhausted",
         "id=s1 COMPENSATING completed=[a | b] compensated=[] failed=c error=retries-exhausted in_flight="},
        {"s1 COMP_STARTED b", "id=s1 COMPENSATING completed=[a | b] compensated=[] failed=c error=retries-exhausted in_flight=b"},
        {"s1 COMP_COMPLETED b", "id=s1 COMPENSATING completed=[a | b] compensated=[b] failed=c error=retries-exhausted in_flight="},
        {"s1 COMP_STARTED a", "id=s1 COMPENSATING completed=[a | b] compensated=[b] failed=c error=retries-exhausted in_flight=a"},
        {"s1 SAGA_STUCK a", "id=s1 STUCK completed=[a | b] compensated=[b] failed=c error=retries-exhausted in_flight="},
    };
    std::vector<std::string> file;
    for (size_t i = 0; i < sizeof run / sizeof run[0]; i++) {
        file.push_back(run[i].ev);
        file.push_back("s2 STEP_STARTED z" + std::to_string(i));
        std::string path = e.path(("ev" + std::to_string(i) + ".log").c_str());
        write_log(path, file);
        saga_state st = junk_state();
        int rc = saga_rebuild(path.c_str(), "s1", &st, &e.err);
        CHECK(rc == TX_OK, "saga_rebuild after '%s' returned %s: %s", run[i].ev, tx_rc_name(rc), e.err.msg);
        CHECK(describe(st) == run[i].want, "saga_rebuild(s1) after '%s' (into a state that held junk): expected '%s', got '%s'",
              run[i].ev, run[i].want, describe(st).c_str());
    }
    // COMP_STARTED alone makes the saga COMPENSATING (R21), and a STEP_FAILED without a reason has error "".
    std::string p = e.path("comp.log");
    write_log(p, {"s1 STEP_STARTED a", "s1 STEP_COMPLETED a", "s1 COMP_STARTED a"});
    saga_state st = junk_state();
    saga_rebuild(p.c_str(), "s1", &st, &e.err);
    const char *want = "id=s1 COMPENSATING completed=[a] compensated=[] failed= error= in_flight=a";
    CHECK(describe(st) == want, "saga_rebuild of [STEP_STARTED a | STEP_COMPLETED a | COMP_STARTED a]: expected '%s', got '%s'",
          want, describe(st).c_str());
    p = e.path("noreason.log");
    write_log(p, {"s1 STEP_STARTED a", "s1 STEP_FAILED a"});
    st = junk_state();
    saga_rebuild(p.c_str(), "s1", &st, &e.err);
    want = "id=s1 COMPENSATING completed=[] compensated=[] failed=a error= in_flight=";
    CHECK(describe(st) == want, "saga_rebuild of [STEP_STARTED a | STEP_FAILED a] (no reason): expected '%s', got '%s'", want,
          describe(st).c_str());
}

static saga *saga_abc(bench *e, const std::string &path, int steps)
{
    saga *s = nullptr;
    if (saga_new("s1", path.c_str(), 2, &e->io, &s, &e->err) != TX_OK)
        fail_msg("saga_new(s1) failed: %s", e->err.msg);
    const char *names[] = {"a", "b", "c"};
    for (int i = 0; i < steps; i++)
        if (saga_add_step(s, names[i], saga_ok, saga_ok, &e->b, &e->err) != TX_OK)
            fail_msg("saga_add_step(%s) failed: %s", names[i], e->err.msg);
    return s;
}

// R19 and R20: executing a finished saga again calls and writes nothing and gives its final status
// (a fresh err stays TX_OK); an event file whose completed steps are not the saga's first steps, in
// order, is ERR_STATE with nothing called and nothing written.
void test_saga_resume_checks_file(void **)
{
    bench e("src");
    std::string p = e.path("done.log");
    saga *s = saga_abc(&e, p, 2);
    saga_status st = SAGA_NOT_STARTED;
    CHECK(saga_execute(s, &st, &e.err) == TX_OK && st == SAGA_COMPLETED, "first run of [a, b]: expected OK, COMPLETED, got %s",
          saga_status_name(st));
    std::string before = join(disk_records(p.c_str()));
    int calls = e.b.calls;
    st = SAGA_RUNNING;
    tx_error fresh;
    int rc = saga_execute(s, &st, &fresh);
    CHECK(rc == TX_OK && st == SAGA_COMPLETED && fresh.code == TX_OK,
          "executing the completed saga again: expected OK, status COMPLETED and err.code OK, got %s, %s, %s", tx_rc_name(rc),
          saga_status_name(st), tx_rc_name(fresh.code));
    CHECK(e.b.calls == calls && join(disk_records(p.c_str())) == before,
          "executing the completed saga again called %d action(s) and changed the file to %s", e.b.calls - calls,
          join(disk_records(p.c_str())).c_str());
    saga_free(s);

    struct Case {
        const char *what;
        int steps;
        std::vector<std::string> file;
    } cases[] = {
        {"steps [a, b, c], file completed [a, x]", 3,
         {"s1 STEP_STARTED a", "s1 STEP_COMPLETED a", "s1 STEP_STARTED x", "s1 STEP_COMPLETED x"}},
        {"steps [a], file completed [a, b]", 1,
         {"s1 STEP_STARTED a", "s1 STEP_COMPLETED a", "s1 STEP_STARTED b", "s1 STEP_COMPLETED b"}},
    };
    int k = 0;
    for (const Case &c : cases) {
        std::string path = e.path(("bad" + std::to_string(k++) + ".log").c_str());
        write_log(path, c.file);
        saga *x = saga_abc(&e, path, c.steps);
        calls = e.b.calls;
        tx_error err;
        rc = saga_execute(x, &st, &err);
        CHECK(rc == TX_ERR_STATE, "%s: expected ERR_STATE, got %s", c.what, tx_rc_name(rc));
        CHECK(e.b.calls == calls && disk_records(path.c_str()).size() == c.file.size(),
              "%s: refused, yet %d call(s) made and the file is %s", c.what, e.b.calls - calls,
              join(disk_records(path.c_str())).c_str());
        saga_free(x);
    }
}

// R23: an event that cannot be made durable makes saga_execute ERR_IO with a message naming the file.
void test_saga_io_error_message(void **)
{
    bench e("sio");
    std::string p = e.path("ev.log");
    saga *s = saga_abc(&e, p, 1);
    saga_status st = SAGA_NOT_STARTED;
    tx_error err;
    g_fsync_fail = EIO;
    int rc = saga_execute(s, &st, &err);
    g_fsync_fail = 0;
    CHECK(rc == TX_ERR_IO && err.code == TX_ERR_IO && strstr(err.msg, p.c_str()),
          "saga_execute while fsync fails: expected ERR_IO, err.code ERR_IO and a message naming %s, got %s, %s, '%s'",
          p.c_str(), tx_rc_name(rc), tx_rc_name(err.code), err.msg);
    saga_free(s);
}
