// test_distributed_lock.cpp — EX05 suite: the seed's 8 tests (virtual time instead of sleeps) and
// the tests that pin expiry, fencing, idempotent release, the waiting queue and events.
#include "distributed_lock.h"
#include "nl_test.h"

#include <cstring>
#include <pthread.h>
#include <set>

static uint64_t vnow;                                  // the virtual clock every test drives
static uint64_t vclock(void *) { return vnow; }

static dlock_service *make_svc(uint64_t default_lease = 30000, uint64_t max_lease = 300000)
{
    vnow = 1000;
    dlock_config cfg;
    dlock_config_default(&cfg);
    cfg.default_lease_ms = default_lease;
    cfg.max_lease_ms = max_lease;
    cfg.clock = {vclock, nullptr};
    return dlock_new(&cfg);
}

// Acquires and asserts Acquired; returns the token.
static dlock_token take(dlock_service *s, const char *lock, const char *client, uint64_t lease = 0)
{
    dlock_acquire_result r;
    assert_int_equal(dlock_try_acquire(s, lock, client, lease, nullptr, false, &r, nullptr), DLOCK_OK);
    assert_int_equal(r.kind, DLOCK_ACQUIRED);
    return r.token;
}

static dlock_acquire_result try_take(dlock_service *s, const char *lock, const char *client, bool wait = false)
{
    dlock_acquire_result r;
    assert_int_equal(dlock_try_acquire(s, lock, client, 0, nullptr, wait, &r, nullptr), DLOCK_OK);
    return r;
}

static bool valid(dlock_service *s, const char *lock, dlock_token t)
{
    bool v = true;
    assert_int_equal(dlock_is_valid(s, lock, t, &v, nullptr), DLOCK_OK);
    return v;
}

/* ---- the seed's tests ---- */

static void test_basic_acquire_release(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "my_lock", "client1");
    assert_int_equal(t, 1);
    assert_int_equal(dlock_release(s, "my_lock", "client1", t, nullptr), DLOCK_OK);
    dlock_free(s);
}

static void test_lock_contention(void **)
{
    dlock_service *s = make_svc();
    take(s, "contested_lock", "client1");
    dlock_acquire_result r = try_take(s, "contested_lock", "client2");
    assert_int_equal(r.kind, DLOCK_ALREADY_HELD);
    assert_string_equal(r.holder.c_str(), "client1");
    dlock_free(s);
}

static void test_fencing_token_monotonic(void **)
{
    dlock_service *s = make_svc();
    dlock_token prev = 0;
    for (int i = 0; i < 5; i++) {
        dlock_token t = take(s, ("lock_" + std::to_string(i)).c_str(), "client");
        assert_true(t > prev);
        prev = t;
    }
    dlock_free(s);
}

static void test_release_wrong_client(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "client1");
    dlock_error e{};
    assert_int_equal(dlock_release(s, "lock", "client2", t, &e), DLOCK_NOT_HOLDER);
    assert_non_null(strstr(e.message.c_str(), "client1"));
    assert_true(valid(s, "lock", t));              // the real holder still holds it
    dlock_free(s);
}

static void test_release_wrong_token(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "client1");
    dlock_error e{};
    assert_int_equal(dlock_release(s, "lock", "client1", t + 1, &e), DLOCK_INVALID_TOKEN);
    assert_int_equal(e.expected, t);
    assert_int_equal(e.actual, t + 1);
    assert_true(valid(s, "lock", t));
    dlock_free(s);
}

static void test_renew_extends_lease(void **)
{
    dlock_service *s = make_svc(1000);
    dlock_acquire_result r;
    assert_int_equal(dlock_try_acquire(s, "lock", "client", 1000, nullptr, false, &r, nullptr), DLOCK_OK);
    uint64_t exp = 0;
    assert_int_equal(dlock_renew(s, "lock", "client", r.token, 2000, &exp, nullptr), DLOCK_OK);
    assert_true(exp > r.expires_at_ms);
    dlock_free(s);
}

static void test_expired_lock_becomes_available(void **)
{
    dlock_service *s = make_svc(10);
    take(s, "expiring_lock", "client1", 1);
    vnow += 10;                                     // the seed sleeps 10 ms; virtual time instead
    dlock_cleanup_expired(s);
    dlock_token t = take(s, "expiring_lock", "client2");
    assert_true(t > 1);
    dlock_free(s);
}

static void test_is_valid_with_fencing_token(void **)
{
    dlock_service *s = make_svc();
    take(s, "other", "client");                     // so the token below is > 1 and token-1 exists
    dlock_token t = take(s, "lock", "client");
    assert_true(valid(s, "lock", t));
    assert_false(valid(s, "lock", t - 1));
    dlock_free(s);
}

/* ---- expiry is checked everywhere a lock is read ---- */

static void test_expiry_boundary_exact(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a", 100);
    vnow += 99;                                     // the lease is [start, start+100)
    assert_true(valid(s, "lock", t));
    assert_int_equal(try_take(s, "lock", "b").kind, DLOCK_ALREADY_HELD);
    vnow += 1;
    assert_false(valid(s, "lock", t));
    assert_int_equal(try_take(s, "lock", "b").kind, DLOCK_ACQUIRED);
    dlock_free(s);
}

static void test_acquire_takes_over_expired_without_cleanup(void **)
{
    dlock_service *s = make_svc();
    dlock_token t1 = take(s, "lock", "a", 50);
    vnow += 500;                                    // nobody calls cleanup_expired or tick
    dlock_token t2 = take(s, "lock", "b");
    assert_true(t2 > t1);
    dlock_info info;
    assert_true(dlock_get_info(s, "lock", &info));
    assert_string_equal(info.holder.c_str(), "b");
    dlock_free(s);
}

static void test_is_valid_false_after_expiry(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a", 50);
    vnow += 50;                                     // no cleanup: is_valid must look at the clock
    assert_false(valid(s, "lock", t));
    assert_false(dlock_get_info(s, "lock", nullptr));
    assert_int_equal(dlock_list(s).size(), 0);
    dlock_free(s);
}

static void test_is_valid_rejects_other_tokens(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a");
    assert_false(valid(s, "lock", t + 1));          // a token never issued for this lease
    assert_false(valid(s, "lock", 0));
    bool v;
    assert_int_equal(dlock_is_valid(s, "missing", t, &v, nullptr), DLOCK_NOT_FOUND);
    dlock_free(s);
}

static void test_renew_after_expiry_fails(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a", 100);
    vnow += 100;
    dlock_error e{};
    uint64_t exp = 0;
    assert_int_equal(dlock_renew(s, "lock", "a", t, 1000, &exp, &e), DLOCK_EXPIRED);
    assert_false(valid(s, "lock", t));              // renew must not resurrect an ended lease
    assert_int_equal(try_take(s, "lock", "b").kind, DLOCK_ACQUIRED);
    dlock_free(s);
}

static void test_release_after_expiry_reports_expired(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a", 100);
    vnow += 150;
    dlock_error e{};
    assert_int_equal(dlock_release(s, "lock", "a", t, &e), DLOCK_EXPIRED);
    assert_non_null(strstr(e.message.c_str(), "expired"));
    dlock_free(s);
}

/* ---- fencing tokens ---- */

static void test_tokens_never_reused(void **)
{
    dlock_service *s = make_svc();
    std::set<dlock_token> seen;
    dlock_token prev = 0;
    for (int i = 0; i < 20; i++) {
        const char *lock = i % 2 ? "x" : "y";
        dlock_token t = take(s, lock, "c", 10);
        assert_true(t > prev);
        assert_true(seen.insert(t).second);
        prev = t;
        if (i % 3 == 0) assert_int_equal(dlock_release(s, lock, "c", t, nullptr), DLOCK_OK);
        else vnow += 10;                            // let it expire instead
    }
    dlock_free(s);
}

static void test_release_idempotent(void **)
{
    dlock_service *s = make_svc();
    dlock_token t1 = take(s, "lock", "a");
    assert_int_equal(dlock_release(s, "lock", "a", t1, nullptr), DLOCK_OK);
    assert_int_equal(dlock_release(s, "lock", "a", t1, nullptr), DLOCK_OK);
    dlock_token t2 = take(s, "lock", "b");
    assert_int_equal(dlock_release(s, "lock", "a", t1, nullptr), DLOCK_OK);   // a late retry
    assert_true(valid(s, "lock", t2));              // ...must not release b's lease
    assert_int_equal(dlock_release(s, "lock", "c", t1, nullptr), DLOCK_NOT_HOLDER);
    dlock_free(s);
}

static void test_renew_keeps_token(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a", 100);
    vnow += 80;
    assert_int_equal(dlock_renew(s, "lock", "a", t, 100, nullptr, nullptr), DLOCK_OK);
    vnow += 80;                                     // past the first lease, within the renewed one
    assert_true(valid(s, "lock", t));
    assert_int_equal(try_take(s, "lock", "b").kind, DLOCK_ALREADY_HELD);
    assert_int_equal(dlock_renew(s, "lock", "b", t, 100, nullptr, nullptr), DLOCK_NOT_HOLDER);
    assert_int_equal(dlock_renew(s, "lock", "a", t + 7, 100, nullptr, nullptr), DLOCK_INVALID_TOKEN);
    dlock_free(s);
}

static void test_renew_from_now_not_stacked(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a", 1000);
    uint64_t start = vnow, exp = 0;
    vnow += 500;
    assert_int_equal(dlock_renew(s, "lock", "a", t, 1000, &exp, nullptr), DLOCK_OK);
    assert_int_equal(exp, start + 1500);
    for (int i = 0; i < 5; i++)                     // renewing again at once cannot pile up time
        assert_int_equal(dlock_renew(s, "lock", "a", t, 1000, &exp, nullptr), DLOCK_OK);
    assert_int_equal(exp, start + 1500);
    dlock_free(s);
}

static void test_lease_too_long(void **)
{
    dlock_service *s = make_svc(1000, 5000);
    dlock_acquire_result r;
    dlock_error e{};
    assert_int_equal(dlock_try_acquire(s, "lock", "a", 5001, nullptr, false, &r, &e), DLOCK_LEASE_TOO_LONG);
    assert_int_equal(e.requested_ms, 5001);
    assert_int_equal(e.max_ms, 5000);
    assert_false(dlock_get_info(s, "lock", nullptr));
    dlock_token t = take(s, "lock", "a", 5000);     // exactly the maximum is allowed
    assert_int_equal(dlock_renew(s, "lock", "a", t, 5001, nullptr, &e), DLOCK_LEASE_TOO_LONG);
    assert_int_equal(dlock_renew(s, "lock", "a", t, 5000, nullptr, nullptr), DLOCK_OK);
    dlock_free(s);
}

/* ---- waiting queue and events ---- */

static void test_waiting_queue_fifo(void **)
{
    dlock_service *s = make_svc();
    dlock_token ta = take(s, "lock", "a");
    dlock_acquire_result r = try_take(s, "lock", "b", true);
    assert_int_equal(r.kind, DLOCK_WAITING);
    assert_int_equal(r.position, 1);
    assert_int_equal(try_take(s, "lock", "c", true).position, 2);
    assert_int_equal(try_take(s, "lock", "b", true).position, 1);   // asking again keeps b's place
    assert_int_equal(dlock_release(s, "lock", "a", ta, nullptr), DLOCK_OK);
    dlock_info info;
    assert_true(dlock_get_info(s, "lock", &info));
    assert_string_equal(info.holder.c_str(), "b");
    assert_true(info.token > ta);
    std::vector<dlock_event> ev = dlock_tick(s);
    assert_int_equal(ev.size(), 1);
    assert_int_equal(ev[0].kind, DLOCK_EV_GRANTED);
    assert_string_equal(ev[0].holder.c_str(), "b");
    assert_int_equal(ev[0].token, info.token);
    assert_int_equal(dlock_release(s, "lock", "b", info.token, nullptr), DLOCK_OK);
    assert_true(dlock_get_info(s, "lock", &info));
    assert_string_equal(info.holder.c_str(), "c");
    dlock_free(s);
}

static void test_waiter_gets_lock_on_expiry(void **)
{
    dlock_service *s = make_svc();
    take(s, "lock", "a", 100);
    assert_int_equal(try_take(s, "lock", "b", true).kind, DLOCK_WAITING);
    vnow += 100;
    dlock_acquire_result r = try_take(s, "lock", "d");   // a newcomer must not jump the queue
    assert_int_equal(r.kind, DLOCK_ALREADY_HELD);
    assert_string_equal(r.holder.c_str(), "b");
    std::vector<dlock_event> ev = dlock_tick(s);
    assert_int_equal(ev.size(), 2);
    assert_int_equal(ev[0].kind, DLOCK_EV_EXPIRED);
    assert_string_equal(ev[0].holder.c_str(), "a");
    assert_int_equal(ev[1].kind, DLOCK_EV_GRANTED);
    assert_string_equal(ev[1].holder.c_str(), "b");
    dlock_free(s);
}

static void test_cancel_wait(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a");
    try_take(s, "lock", "b", true);
    try_take(s, "lock", "c", true);
    assert_int_equal(dlock_cancel_wait(s, "lock", "b", nullptr), DLOCK_OK);
    assert_int_equal(dlock_cancel_wait(s, "lock", "b", nullptr), DLOCK_NOT_FOUND);
    assert_int_equal(dlock_release(s, "lock", "a", t, nullptr), DLOCK_OK);
    dlock_info info;
    assert_true(dlock_get_info(s, "lock", &info));
    assert_string_equal(info.holder.c_str(), "c");
    dlock_free(s);
}

static void test_expiry_events_once(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = take(s, "lock", "a", 100);
    vnow += 40;
    assert_int_equal(dlock_tick(s).size(), 0);      // 60 ms left of 100: not yet "soon" (margin 0.5)
    vnow += 20;
    std::vector<dlock_event> ev = dlock_tick(s);
    assert_int_equal(ev.size(), 1);
    assert_int_equal(ev[0].kind, DLOCK_EV_EXPIRING_SOON);
    assert_int_equal(ev[0].remaining_ms, 40);
    assert_int_equal(ev[0].token, t);
    assert_int_equal(dlock_tick(s).size(), 0);      // once per lease
    vnow += 40;
    ev = dlock_tick(s);
    assert_int_equal(ev.size(), 1);
    assert_int_equal(ev[0].kind, DLOCK_EV_EXPIRED);
    assert_string_equal(ev[0].holder.c_str(), "a");
    assert_int_equal(dlock_tick(s).size(), 0);
    assert_int_equal(dlock_cleanup_expired(s).size(), 0);
    dlock_free(s);
}

static void test_cleanup_expired_returns_ids(void **)
{
    dlock_service *s = make_svc();
    take(s, "short1", "a", 10);
    take(s, "short2", "b", 10);
    take(s, "long", "c", 1000);
    vnow += 10;
    std::vector<std::string> ids = dlock_cleanup_expired(s);
    assert_int_equal(ids.size(), 2);
    assert_string_equal(ids[0].c_str(), "short1");
    assert_string_equal(ids[1].c_str(), "short2");
    assert_int_equal(dlock_list(s).size(), 1);
    dlock_free(s);
}

/* ---- guard, listing, errors, threads ---- */

static void test_guard_renews_and_releases(void **)
{
    dlock_service *s = make_svc();
    {
        dlock_guard g;
        assert_int_equal(dlock_guard_acquire(&g, s, "job", "worker", 1000, nullptr), DLOCK_OK);
        uint64_t first = g.expires_at_ms;
        vnow += 400;
        assert_int_equal(dlock_guard_keepalive(&g, nullptr), DLOCK_OK);
        assert_int_equal(g.expires_at_ms, first);           // 600 left of 1000: not due
        assert_int_equal(dlock_guard_time_remaining(&g), 600);
        vnow += 200;
        assert_int_equal(dlock_guard_keepalive(&g, nullptr), DLOCK_OK);
        assert_int_equal(g.expires_at_ms, vnow + 1000);     // 400 left < 500: renewed from now
        dlock_guard other;
        assert_int_equal(dlock_guard_acquire(&other, s, "job", "thief", 0, nullptr), DLOCK_NOT_HOLDER);
    }                                                        // out of scope: released
    assert_int_equal(try_take(s, "job", "next").kind, DLOCK_ACQUIRED);
    dlock_free(s);
}

static void test_list_and_metadata(void **)
{
    dlock_service *s = make_svc();
    std::map<std::string, std::string> meta = {{"purpose", "migration"}};
    dlock_acquire_result r;
    assert_int_equal(dlock_try_acquire(s, "a", "alice", 0, &meta, false, &r, nullptr), DLOCK_OK);
    take(s, "b", "bob");
    take(s, "c", "alice");
    std::vector<dlock_info> mine = dlock_list_client(s, "alice");
    assert_int_equal(mine.size(), 2);
    assert_string_equal(mine[0].lock_id.c_str(), "a");
    assert_string_equal(mine[0].metadata["purpose"].c_str(), "migration");
    assert_int_equal(mine[0].acquired_at_ms, vnow);
    assert_int_equal(mine[0].expires_at_ms, vnow + 30000);
    assert_int_equal(dlock_list(s).size(), 3);
    dlock_free(s);
}

static void test_bad_input_errors(void **)
{
    dlock_service *s = make_svc();
    dlock_acquire_result r;
    dlock_error e{};
    assert_int_equal(dlock_try_acquire(s, "", "a", 0, nullptr, false, &r, &e), DLOCK_INVALID_ARG);
    assert_true(e.message.size() > 0);
    assert_int_equal(dlock_try_acquire(s, "x", nullptr, 0, nullptr, false, &r, &e), DLOCK_INVALID_ARG);
    assert_int_equal(dlock_release(s, "nope", "a", 1, &e), DLOCK_NOT_FOUND);
    assert_non_null(strstr(e.message.c_str(), "nope"));
    assert_int_equal(dlock_renew(s, "nope", "a", 1, 0, nullptr, &e), DLOCK_NOT_FOUND);
    dlock_free(s);
}

struct race_ctx {
    dlock_service *svc;
    int id;
    int inside;          // how many threads believe they hold "hot" (must stay <= 1)
    int max_inside;
    pthread_mutex_t mu;
    std::vector<dlock_token> *tokens;
};

static void *racer(void *arg)
{
    race_ctx *c = (race_ctx *)arg;
    std::string me = "t" + std::to_string(__atomic_fetch_add(&c->id, 1, __ATOMIC_SEQ_CST));
    for (int i = 0; i < 2000; i++) {
        dlock_acquire_result r;
        if (dlock_try_acquire(c->svc, "hot", me.c_str(), 0, nullptr, false, &r, nullptr) != DLOCK_OK) continue;
        if (r.kind != DLOCK_ACQUIRED) continue;
        int n = __atomic_add_fetch(&c->inside, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_lock(&c->mu);
        if (n > c->max_inside) c->max_inside = n;
        c->tokens->push_back(r.token);
        pthread_mutex_unlock(&c->mu);
        __atomic_sub_fetch(&c->inside, 1, __ATOMIC_SEQ_CST);
        dlock_release(c->svc, "hot", me.c_str(), r.token, nullptr);
    }
    return nullptr;
}

static void test_concurrent_clients_exclusive(void **)
{
    dlock_service *s = dlock_new(nullptr);          // real monotonic clock, 30 s leases
    std::vector<dlock_token> tokens;
    race_ctx c{s, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, &tokens};
    pthread_t th[4];
    for (pthread_t &t : th) assert_int_equal(pthread_create(&t, nullptr, racer, &c), 0);
    for (pthread_t &t : th) pthread_join(t, nullptr);
    assert_int_equal(c.max_inside, 1);
    std::set<dlock_token> uniq(tokens.begin(), tokens.end());
    assert_int_equal(uniq.size(), tokens.size());
    assert_true(tokens.size() > 0);
    dlock_free(s);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_basic_acquire_release),
    cmocka_unit_test(test_lock_contention),
    cmocka_unit_test(test_fencing_token_monotonic),
    cmocka_unit_test(test_release_wrong_client),
    cmocka_unit_test(test_release_wrong_token),
    cmocka_unit_test(test_renew_extends_lease),
    cmocka_unit_test(test_expired_lock_becomes_available),
    cmocka_unit_test(test_is_valid_with_fencing_token),
    cmocka_unit_test(test_expiry_boundary_exact),
    cmocka_unit_test(test_acquire_takes_over_expired_without_cleanup),
    cmocka_unit_test(test_is_valid_false_after_expiry),
    cmocka_unit_test(test_is_valid_rejects_other_tokens),
    cmocka_unit_test(test_renew_after_expiry_fails),
    cmocka_unit_test(test_release_after_expiry_reports_expired),
    cmocka_unit_test(test_tokens_never_reused),
    cmocka_unit_test(test_release_idempotent),
    cmocka_unit_test(test_renew_keeps_token),
    cmocka_unit_test(test_renew_from_now_not_stacked),
    cmocka_unit_test(test_lease_too_long),
    cmocka_unit_test(test_waiting_queue_fifo),
    cmocka_unit_test(test_waiter_gets_lock_on_expiry),
    cmocka_unit_test(test_cancel_wait),
    cmocka_unit_test(test_expiry_events_once),
    cmocka_unit_test(test_cleanup_expired_returns_ids),
    cmocka_unit_test(test_guard_renews_and_releases),
    cmocka_unit_test(test_list_and_metadata),
    cmocka_unit_test(test_bad_input_errors),
    cmocka_unit_test(test_concurrent_clients_exclusive),
};

NL_TEST_MAIN("ex05_distributed_lock", tests)
