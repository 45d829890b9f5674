// test_distributed_lock.cpp — EX05 suite: the seed's 8 tests (virtual time instead of sleeps) and
// the tests that pin expiry, fencing, idempotent release, the waiting queue, events, the error order
// and the state after a refused call (README "Rules", R1..R19).
#include "distributed_lock.h"
#include "nl_check.h"
#include "nl_clock.h"
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

static const char *kind_name(dlock_acquire_kind k)
{
    return k == DLOCK_ACQUIRED ? "ACQUIRED" : k == DLOCK_ALREADY_HELD ? "ALREADY_HELD" : "WAITING";
}
static const char *ev_name(dlock_event_kind k)
{
    return k == DLOCK_EV_EXPIRED ? "EXPIRED" : k == DLOCK_EV_EXPIRING_SOON ? "EXPIRING_SOON" : "GRANTED";
}
// The suite's own names for the codes (never the submission's dlock_err_name, which R20 tests).
static const char *rc_name(dlock_err e)
{
    static const char *const names[] = {"DLOCK_OK", "DLOCK_NOT_FOUND", "DLOCK_NOT_HOLDER", "DLOCK_EXPIRED",
                                        "DLOCK_INVALID_TOKEN", "DLOCK_LEASE_TOO_LONG", "DLOCK_TIMEOUT",
                                        "DLOCK_INVALID_ARG"};
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "(not a dlock_err)";
}

// A return code compared by name: "c2 releases c1's lock: expected 'DLOCK_NOT_HOLDER', got 'DLOCK_OK'".
#define EXPECT_RC(call, want, ...) NL_EXPECT_STREQ(rc_name(call), rc_name(want), __VA_ARGS__)

// Acquires (no waiting) and expects ACQUIRED; returns the token.
static dlock_token take_at(const nl_where &w, dlock_service *s, const char *lock, const char *client, uint64_t lease)
{
    dlock_acquire_result r;
    dlock_error e{};
    dlock_err rc = dlock_try_acquire(s, lock, client, lease, nullptr, false, &r, &e);
    if (rc != DLOCK_OK)
        nl_fail_at(w, "try_acquire(\"%s\", \"%s\", lease %llu) at t=%llu: expected ok, got '%s' (%s)", lock, client,
                   (unsigned long long)lease, (unsigned long long)vnow, rc_name(rc), e.message.c_str());
    if (r.kind != DLOCK_ACQUIRED)
        nl_fail_at(w, "try_acquire(\"%s\", \"%s\") at t=%llu: expected ACQUIRED, got %s (holder '%s')", lock, client,
                   (unsigned long long)vnow, kind_name(r.kind), r.holder.c_str());
    return r.token;
}
#define TAKE(s, lock, client, ...) take_at(NL_HERE, s, lock, client, 0 __VA_OPT__(+) __VA_ARGS__)

static dlock_acquire_result try_take_at(const nl_where &w, dlock_service *s, const char *lock, const char *client,
                                        bool wait)
{
    dlock_acquire_result r;
    dlock_err rc = dlock_try_acquire(s, lock, client, 0, nullptr, wait, &r, nullptr);
    if (rc != DLOCK_OK)
        nl_fail_at(w, "try_acquire(\"%s\", \"%s\", wait=%d) at t=%llu: expected ok, got '%s'", lock, client, wait,
                   (unsigned long long)vnow, rc_name(rc));
    return r;
}
#define TRY_TAKE(s, lock, client, ...) try_take_at(NL_HERE, s, lock, client, false __VA_OPT__(||) __VA_ARGS__)

// Expects the kind (and holder, when given) of a try_acquire.
static void expect_kind_at(const nl_where &w, const dlock_acquire_result &r, dlock_acquire_kind want,
                           const char *holder)
{
    if (r.kind != want)
        nl_fail_at(w, "expected %s, got %s (holder '%s', token %llu)", kind_name(want), kind_name(r.kind),
                   r.holder.c_str(), (unsigned long long)r.token);
    if (holder && r.holder != holder)
        nl_fail_at(w, "%s: expected holder '%s', got '%s'", kind_name(want), holder, r.holder.c_str());
}
#define EXPECT_KIND(r, want, holder, ...) expect_kind_at(NL_HERE_CTX(__VA_ARGS__), r, want, holder)

static bool valid_at(const nl_where &w, dlock_service *s, const char *lock, dlock_token t)
{
    bool v = true;
    dlock_err rc = dlock_is_valid(s, lock, t, &v, nullptr);
    if (rc != DLOCK_OK)
        nl_fail_at(w, "is_valid(\"%s\", %llu) at t=%llu: expected ok, got '%s'", lock, (unsigned long long)t,
                   (unsigned long long)vnow, rc_name(rc));
    return v;
}
// EXPECT_VALID(s, "lock", t, true, "after renew"): "after renew: is_valid(lock, 3) at t=..: expected true, got false".
#define EXPECT_VALID(s, lock, t, want, ...)                                                                  \
    do {                                                                                                     \
        bool got_ = valid_at(NL_HERE, s, lock, t);                                                           \
        if (got_ != (want))                                                                                  \
            nl_fail_at(NL_HERE_CTX(__VA_ARGS__), "is_valid(\"%s\", token %llu) at t=%llu: expected %s, got %s", \
                       lock, (unsigned long long)(t), (unsigned long long)vnow, (want) ? "true" : "false",     \
                       got_ ? "true" : "false");                                                             \
    } while (0)

// "lock:holder:token" of the current holder, or "free".
static std::string holder_of(dlock_service *s, const char *lock)
{
    dlock_info i;
    if (!dlock_get_info(s, lock, &i)) return "free";
    return i.lock_id + ":" + i.holder + ":" + std::to_string(i.token);
}

static std::string events_of(const std::vector<dlock_event> &ev)
{
    std::string s;
    for (const dlock_event &e : ev) {
        if (!s.empty()) s += " ";
        s += std::string(ev_name(e.kind)) + "(" + e.lock_id + "," + e.holder + "," + std::to_string(e.token);
        if (e.kind == DLOCK_EV_EXPIRING_SOON || e.remaining_ms) s += ",remaining=" + std::to_string(e.remaining_ms);
        s += ")";
    }
    return s;
}

static std::string ids_of(const std::vector<std::string> &v)
{
    std::string s;
    for (const std::string &id : v) s += (s.empty() ? "" : ",") + id;
    return s;
}

static std::string list_of(const std::vector<dlock_info> &v)
{
    std::string s;
    for (const dlock_info &i : v)
        s += (s.empty() ? "" : " ") + i.lock_id + ":" + i.holder + ":" + std::to_string(i.token);
    return s;
}

/* ---- the seed's tests ---- */

static void test_basic_acquire_release(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "my_lock", "client1");
    NL_EXPECT_EQ_INT(t, 1, "the first token of a new service");
    EXPECT_RC(dlock_release(s, "my_lock", "client1", t, nullptr), DLOCK_OK, "release by the holder with its token");
    NL_EXPECT_STREQ(holder_of(s, "my_lock"), "free", "after the release");
    dlock_free(s);
}

static void test_lock_contention(void **)
{
    dlock_service *s = make_svc();
    TAKE(s, "contested_lock", "client1");
    dlock_acquire_result r = TRY_TAKE(s, "contested_lock", "client2");
    EXPECT_KIND(r, DLOCK_ALREADY_HELD, "client1", "client2 asks for client1's lock");
    NL_EXPECT_EQ_INT(r.expires_at_ms, 1000 + 30000, "ALREADY_HELD carries the holder's expires_at");
    dlock_free(s);
}

static void test_fencing_token_monotonic(void **)
{
    dlock_service *s = make_svc();
    dlock_token prev = 0;
    for (int i = 0; i < 5; i++) {
        dlock_token t = TAKE(s, ("lock_" + std::to_string(i)).c_str(), "client");
        NL_EXPECT_TRUE(t > prev, "lock_%d got token %llu after %llu", i, (unsigned long long)t, (unsigned long long)prev);
        prev = t;
    }
    dlock_free(s);
}

static void test_release_wrong_client(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "client1");
    dlock_error e{};
    EXPECT_RC(dlock_release(s, "lock", "client2", t, &e), DLOCK_NOT_HOLDER, "client2 releases client1's lock");
    NL_EXPECT_CONTAINS(e.message, "client1", "the NOT_HOLDER message names the holder");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:client1:1", "after the refused release");
    dlock_free(s);
}

static void test_release_wrong_token(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "client1");
    dlock_error e{};
    EXPECT_RC(dlock_release(s, "lock", "client1", t + 1, &e), DLOCK_INVALID_TOKEN, "release with token + 1");
    NL_EXPECT_EQ_INT(e.expected, t, "err.expected after release with token + 1");
    NL_EXPECT_EQ_INT(e.actual, t + 1, "err.actual after release with token + 1");
    EXPECT_VALID(s, "lock", t, true, "after the refused release");
    dlock_free(s);
}

static void test_renew_extends_lease(void **)
{
    dlock_service *s = make_svc(1000);
    dlock_acquire_result r;
    EXPECT_RC(dlock_try_acquire(s, "lock", "client", 1000, nullptr, false, &r, nullptr), DLOCK_OK, "acquire 1000 ms");
    uint64_t exp = 0;
    EXPECT_RC(dlock_renew(s, "lock", "client", r.token, 2000, &exp, nullptr), DLOCK_OK, "renew by 2000 ms");
    NL_EXPECT_TRUE(exp > r.expires_at_ms, "renew by 2000 at t=1000: new expiry %llu, first %llu",
                   (unsigned long long)exp, (unsigned long long)r.expires_at_ms);
    dlock_free(s);
}

static void test_expired_lock_becomes_available(void **)
{
    dlock_service *s = make_svc(10);
    TAKE(s, "expiring_lock", "client1", 1);
    vnow += 10;                                     // the seed sleeps 10 ms; virtual time instead
    dlock_cleanup_expired(s);
    dlock_token t = TAKE(s, "expiring_lock", "client2");
    NL_EXPECT_TRUE(t > 1, "the second lease got token %llu", (unsigned long long)t);
    dlock_free(s);
}

static void test_is_valid_with_fencing_token(void **)
{
    dlock_service *s = make_svc();
    TAKE(s, "other", "client");                     // so the token below is > 1 and token-1 exists
    dlock_token t = TAKE(s, "lock", "client");
    EXPECT_VALID(s, "lock", t, true, "the current token");
    EXPECT_VALID(s, "lock", t - 1, false, "an older token (of another lock)");
    dlock_free(s);
}

/* ---- expiry is checked everywhere a lock is read ---- */

static void test_expiry_boundary_exact(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 100);
    vnow += 99;                                     // the lease is [start, start+100)
    EXPECT_VALID(s, "lock", t, true, "1 ms before expires_at");
    EXPECT_KIND(TRY_TAKE(s, "lock", "b"), DLOCK_ALREADY_HELD, "a", "b asks 1 ms before expires_at");
    vnow += 1;
    EXPECT_VALID(s, "lock", t, false, "at expires_at");
    EXPECT_KIND(TRY_TAKE(s, "lock", "b"), DLOCK_ACQUIRED, nullptr, "b asks at expires_at");
    dlock_free(s);
}

static void test_acquire_takes_over_expired_without_cleanup(void **)
{
    dlock_service *s = make_svc();
    dlock_token t1 = TAKE(s, "lock", "a", 50);
    vnow += 500;                                    // nobody calls cleanup_expired or tick
    dlock_token t2 = TAKE(s, "lock", "b");
    NL_EXPECT_EQ_INT(t2, t1 + 1, "b's token after a's lease ended");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:b:2", "after b took the expired lock");
    dlock_free(s);
}

static void test_is_valid_false_after_expiry(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 50);
    TAKE(s, "long", "a", 1000);
    vnow += 50;                                     // no cleanup: every reader must look at the clock
    NL_EXPECT_TRUE(!dlock_get_info(s, "lock", nullptr), "get_info at expires_at");
    NL_EXPECT_STREQ(list_of(dlock_list(s)), "long:a:2", "dlock_list at expires_at of 'lock'");
    NL_EXPECT_STREQ(list_of(dlock_list_client(s, "a")), "long:a:2", "dlock_list_client(a) at expires_at of 'lock'");
    EXPECT_VALID(s, "lock", t, false, "at expires_at, no cleanup");
    dlock_free(s);
}

static void test_is_valid_rejects_other_tokens(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a");
    EXPECT_VALID(s, "lock", t + 1, false, "a token never issued for this lease");
    EXPECT_VALID(s, "lock", 0, false, "token 0");
    bool v;
    EXPECT_RC(dlock_is_valid(s, "missing", t, &v, nullptr), DLOCK_NOT_FOUND, "is_valid of a lock never acquired");
    EXPECT_RC(dlock_release(s, "lock", "a", t, nullptr), DLOCK_OK, "release");
    EXPECT_VALID(s, "lock", t, false, "after the release");
    dlock_free(s);
}

static void test_renew_after_expiry_fails(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 100);
    vnow += 100;
    dlock_error e{};
    uint64_t exp = 7;
    EXPECT_RC(dlock_renew(s, "lock", "a", t, 1000, &exp, &e), DLOCK_EXPIRED, "renew at expires_at");
    EXPECT_VALID(s, "lock", t, false, "renew must not resurrect an ended lease");
    EXPECT_KIND(TRY_TAKE(s, "lock", "b"), DLOCK_ACQUIRED, nullptr, "b after a's refused renew");
    dlock_free(s);
}

static void test_release_after_expiry_reports_expired(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 100);
    vnow += 150;
    dlock_error e{};
    EXPECT_RC(dlock_release(s, "lock", "a", t, &e), DLOCK_EXPIRED, "release 50 ms after expiry");
    NL_EXPECT_EQ_INT(e.code, DLOCK_EXPIRED, "err.code of the refused release");
    NL_EXPECT_TRUE(!e.message.empty(), "err.message of the refused release");
    TAKE(s, "lock", "b");                           // still EXPIRED once someone else holds it
    EXPECT_RC(dlock_release(s, "lock", "a", t, nullptr), DLOCK_EXPIRED, "a's late release while b holds the lock");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:b:2", "after a's late release");
    dlock_free(s);
}

/* ---- fencing tokens ---- */

static void test_tokens_never_reused(void **)
{
    dlock_service *s = make_svc();
    for (int i = 0; i < 20; i++) {
        const char *lock = i % 2 ? "x" : "y";
        dlock_token t = TAKE(s, lock, "c", 10);
        NL_EXPECT_EQ_INT(t, i + 1, "lease %d (on '%s'): one global counter, 1, 2, 3...", i + 1, lock);
        if (i % 3 == 0) EXPECT_RC(dlock_release(s, lock, "c", t, nullptr), DLOCK_OK, "release of lease %d", i + 1);
        else vnow += 10;                            // let it expire instead
    }
    dlock_free(s);
}

static void test_release_idempotent(void **)
{
    dlock_service *s = make_svc();
    dlock_token t1 = TAKE(s, "lock", "a");
    EXPECT_RC(dlock_release(s, "lock", "a", t1, nullptr), DLOCK_OK, "first release");
    EXPECT_RC(dlock_release(s, "lock", "a", t1, nullptr), DLOCK_OK, "the same release again");
    dlock_token t2 = TAKE(s, "lock", "b");
    EXPECT_RC(dlock_release(s, "lock", "a", t1, nullptr), DLOCK_OK, "a late retry while b holds the lock");
    EXPECT_VALID(s, "lock", t2, true, "b's lease after a's late retry");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:b:2", "after a's late retry");
    EXPECT_RC(dlock_release(s, "lock", "c", t1, nullptr), DLOCK_NOT_HOLDER, "c releases with a's old token");
    dlock_free(s);
}

static void test_renew_keeps_token(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 100);
    vnow += 80;
    EXPECT_RC(dlock_renew(s, "lock", "a", t, 100, nullptr, nullptr), DLOCK_OK, "renew at t+80");
    vnow += 80;                                     // past the first lease, within the renewed one
    EXPECT_VALID(s, "lock", t, true, "the same token after the renewal");
    EXPECT_KIND(TRY_TAKE(s, "lock", "b"), DLOCK_ALREADY_HELD, "a", "b within the renewed lease");
    EXPECT_RC(dlock_renew(s, "lock", "b", t, 100, nullptr, nullptr), DLOCK_NOT_HOLDER, "b renews a's lease");
    EXPECT_RC(dlock_renew(s, "lock", "a", t + 7, 100, nullptr, nullptr), DLOCK_INVALID_TOKEN, "a renews with token + 7");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:a:1", "after the refused renewals");
    dlock_free(s);
}

static void test_renew_from_now_not_stacked(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 1000);
    uint64_t start = vnow, exp = 0;
    vnow += 500;
    EXPECT_RC(dlock_renew(s, "lock", "a", t, 1000, &exp, nullptr), DLOCK_OK, "renew by 1000 at +500");
    NL_EXPECT_EQ_INT(exp, start + 1500, "renew by 1000 at +500: now + extension");
    for (int i = 0; i < 5; i++)                     // renewing again at once cannot pile up time
        EXPECT_RC(dlock_renew(s, "lock", "a", t, 1000, &exp, nullptr), DLOCK_OK, "renew again (%d)", i);
    NL_EXPECT_EQ_INT(exp, start + 1500, "five more renewals at the same instant");
    dlock_info i;
    NL_EXPECT_TRUE(dlock_get_info(s, "lock", &i), "get_info after the renewals");
    NL_EXPECT_EQ_INT(i.expires_at_ms, start + 1500, "get_info's expires_at after the renewals");
    NL_EXPECT_EQ_INT(i.acquired_at_ms, start, "get_info's acquired_at after the renewals");
    EXPECT_RC(dlock_renew(s, "lock", "a", t, 0, &exp, nullptr), DLOCK_OK, "renew with extension 0");
    NL_EXPECT_EQ_INT(exp, vnow + 30000, "extension 0 = default_lease_ms");
    dlock_free(s);
}

static void test_lease_too_long(void **)
{
    dlock_service *s = make_svc(1000, 5000);
    dlock_acquire_result r;
    dlock_error e{};
    EXPECT_RC(dlock_try_acquire(s, "lock", "a", 5001, nullptr, false, &r, &e), DLOCK_LEASE_TOO_LONG, "lease max + 1");
    NL_EXPECT_EQ_INT(e.requested_ms, 5001, "err.requested_ms");
    NL_EXPECT_EQ_INT(e.max_ms, 5000, "err.max_ms");
    NL_EXPECT_TRUE(!dlock_get_info(s, "lock", nullptr), "the lock after a refused acquire");
    dlock_token t = TAKE(s, "lock", "a", 5000);     // exactly the maximum is allowed
    NL_EXPECT_EQ_INT(t, 1, "the refused acquire used no token");
    dlock_error e2{};
    uint64_t exp = 0;
    EXPECT_RC(dlock_renew(s, "lock", "a", t, 5001, &exp, &e2), DLOCK_LEASE_TOO_LONG, "extension max + 1");
    NL_EXPECT_EQ_INT(e2.requested_ms, 5001, "err.requested_ms of the renew");
    NL_EXPECT_EQ_INT(e2.max_ms, 5000, "err.max_ms of the renew");
    dlock_info i;
    NL_EXPECT_TRUE(dlock_get_info(s, "lock", &i), "the lock after a refused renew");
    NL_EXPECT_EQ_INT(i.expires_at_ms, 1000 + 5000, "expires_at after a refused renew");
    vnow += 10;
    EXPECT_RC(dlock_renew(s, "lock", "a", t, 5000, &exp, nullptr), DLOCK_OK, "extension = max");
    NL_EXPECT_EQ_INT(exp, vnow + 5000, "expiry after renew by max");
    dlock_free(s);
}

/* ---- waiting queue and events ---- */

static void test_waiting_queue_fifo(void **)
{
    dlock_service *s = make_svc();
    dlock_token ta = TAKE(s, "lock", "a");
    dlock_acquire_result r = TRY_TAKE(s, "lock", "b", true);
    EXPECT_KIND(r, DLOCK_WAITING, "a", "b waits");
    NL_EXPECT_EQ_INT(r.position, 1, "b's place");
    NL_EXPECT_EQ_INT(TRY_TAKE(s, "lock", "c", true).position, 2, "c's place");
    NL_EXPECT_EQ_INT(TRY_TAKE(s, "lock", "b", true).position, 1, "b asks again: it keeps its place");
    NL_EXPECT_EQ_INT(TRY_TAKE(s, "lock", "d", true).position, 3, "d's place after b asked again");
    EXPECT_RC(dlock_release(s, "lock", "a", ta, nullptr), DLOCK_OK, "a releases");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:b:2", "after a released: the head of the queue");
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "GRANTED(lock,b,2)", "tick after a released");
    EXPECT_RC(dlock_release(s, "lock", "b", 2, nullptr), DLOCK_OK, "b releases");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:c:3", "after b released");
    EXPECT_RC(dlock_release(s, "lock", "c", 3, nullptr), DLOCK_OK, "c releases");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:d:4", "after c released");
    dlock_free(s);
}

static void test_waiter_gets_lock_on_expiry(void **)
{
    dlock_service *s = make_svc();
    TAKE(s, "lock", "a", 100);
    EXPECT_KIND(TRY_TAKE(s, "lock", "b", true), DLOCK_WAITING, "a", "b waits");
    EXPECT_KIND(TRY_TAKE(s, "lock", "c", true), DLOCK_WAITING, "a", "c waits");
    vnow += 100;
    EXPECT_KIND(TRY_TAKE(s, "lock", "d"), DLOCK_ALREADY_HELD, "b", "a newcomer at a's expiry must not jump the queue");
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRED(lock,a,1) GRANTED(lock,b,2)", "tick after a's expiry");
    dlock_free(s);
}

static void test_cancel_wait(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a");
    TRY_TAKE(s, "lock", "b", true);
    TRY_TAKE(s, "lock", "c", true);
    TRY_TAKE(s, "lock", "d", true);
    EXPECT_RC(dlock_cancel_wait(s, "lock", "c", nullptr), DLOCK_OK, "c cancels");
    EXPECT_RC(dlock_cancel_wait(s, "lock", "c", nullptr), DLOCK_NOT_FOUND, "c cancels again");
    EXPECT_RC(dlock_cancel_wait(s, "lock", "a", nullptr), DLOCK_NOT_FOUND, "the holder is not waiting");
    EXPECT_RC(dlock_cancel_wait(s, "nolock", "b", nullptr), DLOCK_NOT_FOUND, "cancel on a lock never acquired");
    NL_EXPECT_EQ_INT(TRY_TAKE(s, "lock", "d", true).position, 2, "d's place after c left");
    EXPECT_RC(dlock_release(s, "lock", "a", t, nullptr), DLOCK_OK, "a releases");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:b:2", "after a released");
    EXPECT_RC(dlock_release(s, "lock", "b", 2, nullptr), DLOCK_OK, "b releases");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:d:3", "after b released (c cancelled)");
    dlock_free(s);
}

static void test_expiry_events_once(void **)
{
    dlock_service *s = make_svc();
    TAKE(s, "lock", "a", 100);
    vnow += 40;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "", "tick at 60 ms left of 100 (margin 0.5)");
    vnow += 10;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "", "tick at 50 ms left of 100: not below the margin");
    vnow += 1;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRING_SOON(lock,a,1,remaining=49)", "tick at 49 ms left of 100");
    vnow += 9;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "", "tick again in the last part: once per lease");
    vnow += 40;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRED(lock,a,1)", "tick at expires_at");
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "", "tick again: once per lease");
    NL_EXPECT_STREQ(ids_of(dlock_cleanup_expired(s)), "", "cleanup after the tick freed it");
    dlock_free(s);
}

static void test_expiring_soon_again_after_renew(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 100);
    TAKE(s, "b", "z", 500);                         // ends at 1500, never "soon" at these ticks
    vnow += 60;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRING_SOON(lock,a,1,remaining=40)", "tick at 40 ms left");
    EXPECT_RC(dlock_renew(s, "lock", "a", t, 200, nullptr, nullptr), DLOCK_OK, "renew by 200");
    vnow += 100;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "", "100 ms left of the renewal's 200: not yet");
    vnow += 1;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRING_SOON(lock,a,1,remaining=99)",
                    "99 ms left of 200: again, once per renewal");
    vnow += 440;                                    // both leases end before this tick: id order
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRED(b,z,2) EXPIRED(lock,a,1)",
                    "one tick after both leases ended (the locks in id order)");
    dlock_free(s);
}

static void test_expiring_soon_for_each_new_lease(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 100);
    EXPECT_KIND(TRY_TAKE(s, "lock", "b", true), DLOCK_WAITING, "a", "b waits");
    vnow += 60;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRING_SOON(lock,a,1,remaining=40)", "a's lease at 40 ms left");
    EXPECT_RC(dlock_release(s, "lock", "a", t, nullptr), DLOCK_OK, "a releases: b is granted a 30 s lease");
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "GRANTED(lock,b,2)", "tick after the grant");
    vnow += 15001;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRING_SOON(lock,b,2,remaining=14999)",
                    "b's new lease in its last half: its own warning");
    EXPECT_RC(dlock_release(s, "lock", "b", 2, nullptr), DLOCK_OK, "b releases");
    TAKE(s, "lock", "c", 100);
    vnow += 51;
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRING_SOON(lock,c,3,remaining=49)", "c's lease at 49 ms left");
    dlock_free(s);
}

static void test_events_in_order_they_happened(void **)
{
    dlock_service *s = make_svc();
    TAKE(s, "y", "a", 100);
    TAKE(s, "x", "b", 200);
    EXPECT_KIND(TRY_TAKE(s, "x", "c", true), DLOCK_WAITING, "b", "c waits for x");
    vnow += 100;
    bool v;
    EXPECT_RC(dlock_is_valid(s, "y", 1, &v, nullptr), DLOCK_OK, "is_valid(y) at y's expiry");  // y ends now
    vnow += 100;
    EXPECT_RC(dlock_release(s, "x", "b", 2, nullptr), DLOCK_EXPIRED, "b's release at x's expiry");  // x now
    NL_EXPECT_STREQ(events_of(dlock_tick(s)), "EXPIRED(y,a,1) EXPIRED(x,b,2) GRANTED(x,c,3)",
                    "tick: the events of earlier calls first, in the order they happened");
    dlock_free(s);
}

static void test_cleanup_expired_returns_ids(void **)
{
    dlock_service *s = make_svc();
    TAKE(s, "short2", "b", 10);
    TAKE(s, "short1", "a", 10);
    TAKE(s, "long", "c", 1000);
    TAKE(s, "short3", "d", 11);
    vnow += 10;
    NL_EXPECT_STREQ(ids_of(dlock_cleanup_expired(s)), "short1,short2", "cleanup at the end of the 10 ms leases");
    NL_EXPECT_STREQ(list_of(dlock_list(s)), "long:c:3 short3:d:4", "dlock_list after the cleanup");
    NL_EXPECT_STREQ(ids_of(dlock_cleanup_expired(s)), "", "cleanup again at once");
    vnow += 1;
    NL_EXPECT_STREQ(ids_of(dlock_cleanup_expired(s)), "short3", "cleanup 1 ms later");
    dlock_free(s);
}

static void test_grant_on_expiry_starts_now(void **)
{
    dlock_service *s = make_svc();
    TAKE(s, "lock", "a", 100);
    std::map<std::string, std::string> meta = {{"job", "b-first"}};
    dlock_acquire_result r;
    EXPECT_RC(dlock_try_acquire(s, "lock", "b", 300, &meta, true, &r, nullptr), DLOCK_OK, "b waits, lease 300");
    std::map<std::string, std::string> meta2 = {{"job", "b-second"}};
    EXPECT_RC(dlock_try_acquire(s, "lock", "b", 50, &meta2, true, &r, nullptr), DLOCK_OK, "b asks again, lease 50");
    vnow += 170;                                    // a's lease ended 70 ms ago; nobody looked
    NL_EXPECT_STREQ(ids_of(dlock_cleanup_expired(s)), "lock", "cleanup 70 ms after a's expiry");
    dlock_info i;
    NL_EXPECT_TRUE(dlock_get_info(s, "lock", &i), "get_info after the grant");
    NL_EXPECT_STREQ(i.holder, "b", "the holder after the grant");
    NL_EXPECT_EQ_INT(i.acquired_at_ms, vnow, "acquired_at: the now of the call that freed the lock");
    NL_EXPECT_EQ_INT(i.expires_at_ms, vnow + 300, "expires_at: now + the first request's lease");
    NL_EXPECT_STREQ(i.metadata["job"], "b-first", "metadata: the first request's");
    dlock_free(s);
}

static void test_holder_asking_again(void **)
{
    dlock_service *s = make_svc();
    dlock_token t = TAKE(s, "lock", "a", 100);
    vnow += 30;
    dlock_acquire_result r = TRY_TAKE(s, "lock", "a");
    EXPECT_KIND(r, DLOCK_ALREADY_HELD, "a", "the holder asks again");
    NL_EXPECT_EQ_INT(r.expires_at_ms, 1100, "the holder's lease is unchanged");
    r = TRY_TAKE(s, "lock", "a", true);
    EXPECT_KIND(r, DLOCK_ALREADY_HELD, "a", "the holder asks again with wait=true");
    TRY_TAKE(s, "lock", "b", true);
    NL_EXPECT_EQ_INT(TRY_TAKE(s, "lock", "c", true).position, 2, "c's place: the holder is not in the queue");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:a:1", "after the holder asked again");
    EXPECT_RC(dlock_release(s, "lock", "a", t, nullptr), DLOCK_OK, "a releases");
    NL_EXPECT_STREQ(holder_of(s, "lock"), "lock:b:2", "after a released");
    dlock_free(s);
}

static void test_error_order(void **)
{
    dlock_service *s = make_svc(1000, 5000);
    dlock_acquire_result r;
    EXPECT_RC(dlock_try_acquire(s, "", "a", 9000, nullptr, false, &r, nullptr), DLOCK_INVALID_ARG,
              "empty lock id with a lease too long");
    EXPECT_RC(dlock_renew(s, "nope", "a", 1, 9000, nullptr, nullptr), DLOCK_NOT_FOUND,
              "renew of an unknown lock with an extension too long");
    dlock_token t = TAKE(s, "lock", "a", 100);
    EXPECT_RC(dlock_renew(s, "lock", "b", t + 1, 9000, nullptr, nullptr), DLOCK_LEASE_TOO_LONG,
              "renew by another client, wrong token, extension too long");
    EXPECT_RC(dlock_release(s, "lock", "b", t + 1, nullptr), DLOCK_NOT_HOLDER, "another client with a wrong token");
    vnow += 100;
    EXPECT_RC(dlock_renew(s, "lock", "b", t, 100, nullptr, nullptr), DLOCK_NOT_HOLDER,
              "another client with a's expired token (the lock is free)");
    dlock_token t2 = TAKE(s, "lock", "a", 100);
    EXPECT_RC(dlock_renew(s, "lock", "a", t, 100, nullptr, nullptr), DLOCK_EXPIRED,
              "a renews with its expired token while it holds a newer lease");
    EXPECT_RC(dlock_release(s, "lock", "a", t2 + 1, nullptr), DLOCK_INVALID_TOKEN, "a with a token never issued");
    EXPECT_RC(dlock_release(s, "lock", "a", t2, nullptr), DLOCK_OK, "a releases its lease");
    EXPECT_RC(dlock_renew(s, "lock", "a", t2, 100, nullptr, nullptr), DLOCK_NOT_HOLDER,
              "a renews a lease it released (the lock is free)");
    dlock_free(s);
}

static void test_config_defaults(void **)
{
    dlock_config c;
    memset(&c, 0xAB, sizeof c);
    dlock_config_default(&c);
    NL_EXPECT_EQ_INT(c.default_lease_ms, 30000, "dlock_config_default: default_lease_ms");
    NL_EXPECT_EQ_INT(c.max_lease_ms, 300000, "dlock_config_default: max_lease_ms");
    NL_EXPECT_EQ_INT(c.cleanup_interval_ms, 5000, "dlock_config_default: cleanup_interval_ms");
    NL_EXPECT_TRUE(c.renewal_margin == 0.5, "dlock_config_default: renewal_margin %g", c.renewal_margin);
    NL_EXPECT_TRUE(c.clock.now_ms == nullptr, "dlock_config_default: clock (NULL = the monotonic clock)");
    dlock_service *s = dlock_new(nullptr);          // NULL config: the same defaults, the real clock
    dlock_acquire_result r;
    EXPECT_RC(dlock_try_acquire(s, "lock", "a", 0, nullptr, false, &r, nullptr), DLOCK_OK, "acquire, lease 0");
    dlock_info i;
    NL_EXPECT_TRUE(dlock_get_info(s, "lock", &i), "get_info");
    NL_EXPECT_EQ_INT(i.expires_at_ms - i.acquired_at_ms, 30000, "lease 0 with the default config");
    uint64_t now = nl_now_ms();
    NL_EXPECT_TRUE(i.acquired_at_ms > 0 && i.acquired_at_ms <= now, "NULL config: acquired_at %llu from the monotonic clock (now %llu)",
                   (unsigned long long)i.acquired_at_ms, (unsigned long long)now);
    dlock_error e{};
    EXPECT_RC(dlock_try_acquire(s, "l2", "a", 300001, nullptr, false, &r, &e), DLOCK_LEASE_TOO_LONG, "lease 300001");
    NL_EXPECT_EQ_INT(e.max_ms, 300000, "err.max_ms with the default config");
    EXPECT_RC(dlock_try_acquire(s, "l2", "a", 300000, nullptr, false, &r, nullptr), DLOCK_OK, "lease 300000");
    dlock_free(s);
}

static void test_err_names(void **)
{
    static const char *const want[] = {"ok", "not found", "not holder", "expired", "invalid fencing token",
                                       "lease too long", "timeout", "invalid argument"};
    for (int c = DLOCK_OK; c <= DLOCK_INVALID_ARG; c++) {
        const char *got = dlock_err_name((dlock_err)c);
        NL_EXPECT_TRUE(got != nullptr, "dlock_err_name(%s)", rc_name((dlock_err)c));
        NL_EXPECT_STREQ(got, want[c], "dlock_err_name(%s)", rc_name((dlock_err)c));
    }
    const char *other = dlock_err_name((dlock_err)42);
    NL_EXPECT_TRUE(other != nullptr, "dlock_err_name(42)");
    NL_EXPECT_STREQ(other, "unknown error", "dlock_err_name(42)");
}

/* ---- guard, listing, errors, threads ---- */

static void test_guard_renews_and_releases(void **)
{
    dlock_service *s = make_svc();
    {
        dlock_guard g;
        EXPECT_RC(dlock_guard_acquire(&g, s, "job", "worker", 1000, nullptr), DLOCK_OK, "guard acquire");
        uint64_t first = g.expires_at_ms;
        vnow += 400;
        EXPECT_RC(dlock_guard_keepalive(&g, nullptr), DLOCK_OK, "keepalive with 600 left");
        NL_EXPECT_EQ_INT(g.expires_at_ms, first, "600 left of 1000: not due");
        NL_EXPECT_EQ_INT(dlock_guard_time_remaining(&g), 600, "time_remaining at +400");
        vnow += 100;
        EXPECT_RC(dlock_guard_keepalive(&g, nullptr), DLOCK_OK, "keepalive with 500 left");
        NL_EXPECT_EQ_INT(g.expires_at_ms, first, "500 left of 1000: not below the margin");
        vnow += 100;
        EXPECT_RC(dlock_guard_keepalive(&g, nullptr), DLOCK_OK, "keepalive with 400 left");
        NL_EXPECT_EQ_INT(g.expires_at_ms, vnow + 1000, "400 left < 500: renewed from now");
        dlock_info i;
        NL_EXPECT_TRUE(dlock_get_info(s, "job", &i), "get_info after keepalive");
        NL_EXPECT_EQ_INT(i.expires_at_ms, vnow + 1000, "the service's expires_at after keepalive");
        NL_EXPECT_EQ_INT(i.token, g.token, "the guard's token");
        dlock_guard other;
        EXPECT_RC(dlock_guard_acquire(&other, s, "job", "thief", 0, nullptr), DLOCK_NOT_HOLDER, "a second guard");
        NL_EXPECT_TRUE(!other.held, "the refused guard holds nothing");
    }                                                        // out of scope: released
    EXPECT_KIND(TRY_TAKE(s, "job", "next"), DLOCK_ACQUIRED, nullptr, "after the guard went out of scope");
    dlock_free(s);
}

static void test_guard_lost_lease(void **)
{
    dlock_service *s = make_svc();
    dlock_guard g;
    EXPECT_RC(dlock_guard_acquire(&g, s, "job", "worker", 100, nullptr), DLOCK_OK, "guard acquire, lease 100");
    vnow += 99;
    NL_EXPECT_EQ_INT(dlock_guard_time_remaining(&g), 1, "time_remaining 1 ms before expiry");
    vnow += 1;
    NL_EXPECT_EQ_INT(dlock_guard_time_remaining(&g), 0, "time_remaining at expiry");
    TAKE(s, "job", "other");
    dlock_error e{};
    dlock_err rc = dlock_guard_keepalive(&g, &e);
    NL_EXPECT_TRUE(rc != DLOCK_OK, "keepalive after the lease was lost: got '%s'", rc_name(rc));
    NL_EXPECT_TRUE(!g.held, "the guard after its lease was lost");
    NL_EXPECT_STREQ(holder_of(s, "job"), "job:other:2", "the new holder after the guard's failed keepalive");
    EXPECT_RC(dlock_guard_keepalive(&g, nullptr), DLOCK_INVALID_ARG, "keepalive of a guard that holds nothing");
    EXPECT_RC(dlock_guard_release(&g, nullptr), DLOCK_INVALID_ARG, "release of a guard that holds nothing");
    NL_EXPECT_STREQ(holder_of(s, "job"), "job:other:2", "the new holder after the guard's release");
    dlock_guard g2;
    EXPECT_RC(dlock_guard_acquire(&g2, s, "free", "w", 0, nullptr), DLOCK_OK, "guard acquire, default lease");
    NL_EXPECT_EQ_INT(dlock_guard_time_remaining(&g2), 30000, "default lease");
    EXPECT_RC(dlock_guard_release(&g2, nullptr), DLOCK_OK, "guard release");
    NL_EXPECT_STREQ(holder_of(s, "free"), "free", "after the guard's release");
    NL_EXPECT_EQ_INT(dlock_guard_time_remaining(&g2), 0, "time_remaining of a released guard");
    dlock_guard g3;
    dlock_error e3{};
    EXPECT_RC(dlock_guard_acquire(&g3, s, "long", "w", 300001, &e3), DLOCK_LEASE_TOO_LONG, "guard acquire, lease max + 1");
    NL_EXPECT_TRUE(!g3.held, "the guard after a refused acquire");
    EXPECT_RC(dlock_guard_acquire(&g3, s, "", "w", 0, nullptr), DLOCK_INVALID_ARG, "guard acquire, empty lock id");
    NL_EXPECT_TRUE(!g3.held, "the guard after a refused acquire");
    dlock_free(s);
}

static void test_list_and_metadata(void **)
{
    dlock_service *s = make_svc();
    std::map<std::string, std::string> meta = {{"purpose", "migration"}, {"by", "ops"}};
    dlock_acquire_result r;
    EXPECT_RC(dlock_try_acquire(s, "c", "alice", 0, &meta, false, &r, nullptr), DLOCK_OK, "alice takes c");
    TAKE(s, "b", "bob");
    vnow += 5;
    TAKE(s, "a", "alice", 700);
    NL_EXPECT_STREQ(list_of(dlock_list_client(s, "alice")), "a:alice:3 c:alice:1", "list_client(alice)");
    NL_EXPECT_STREQ(list_of(dlock_list_client(s, "bob")), "b:bob:2", "list_client(bob)");
    NL_EXPECT_STREQ(list_of(dlock_list_client(s, "carol")), "", "list_client(carol)");
    NL_EXPECT_STREQ(list_of(dlock_list(s)), "a:alice:3 b:bob:2 c:alice:1", "dlock_list");
    std::vector<dlock_info> all = dlock_list(s);
    NL_EXPECT_EQ_INT(all[0].acquired_at_ms, 1005, "a's acquired_at");
    NL_EXPECT_EQ_INT(all[0].expires_at_ms, 1705, "a's expires_at");
    NL_EXPECT_EQ_INT(all[2].acquired_at_ms, 1000, "c's acquired_at");
    NL_EXPECT_EQ_INT(all[2].expires_at_ms, 31000, "c's expires_at (default lease)");
    NL_EXPECT_STREQ(all[2].metadata["purpose"], "migration", "c's metadata");
    NL_EXPECT_STREQ(all[2].metadata["by"], "ops", "c's metadata");
    NL_EXPECT_EQ_INT(all[0].metadata.size(), 0, "a's metadata (none given)");
    dlock_info i;
    NL_EXPECT_TRUE(dlock_get_info(s, "c", &i), "get_info(c)");
    NL_EXPECT_STREQ(i.holder + ":" + i.metadata["purpose"], "alice:migration", "get_info(c)");
    dlock_free(s);
}

static void test_bad_input_errors(void **)
{
    dlock_service *s = make_svc();
    dlock_acquire_result r;
    dlock_error e{};
    EXPECT_RC(dlock_try_acquire(s, "", "a", 0, nullptr, false, &r, &e), DLOCK_INVALID_ARG, "empty lock id");
    NL_EXPECT_EQ_INT(e.code, DLOCK_INVALID_ARG, "err.code after an empty lock id");
    NL_EXPECT_TRUE(!e.message.empty(), "err.message after an empty lock id");
    EXPECT_RC(dlock_try_acquire(s, "x", nullptr, 0, nullptr, false, &r, &e), DLOCK_INVALID_ARG, "NULL client id");
    EXPECT_RC(dlock_try_acquire(s, "x", "", 0, nullptr, false, &r, nullptr), DLOCK_INVALID_ARG, "empty client id");
    EXPECT_RC(dlock_try_acquire(s, "x", "a", 0, nullptr, false, nullptr, nullptr), DLOCK_INVALID_ARG, "NULL out");
    EXPECT_RC(dlock_try_acquire(nullptr, "x", "a", 0, nullptr, false, &r, nullptr), DLOCK_INVALID_ARG, "NULL service");
    NL_EXPECT_TRUE(!dlock_get_info(s, "x", nullptr), "no lock after the refused acquires");
    e = dlock_error{};
    EXPECT_RC(dlock_release(s, "nope", "a", 1, &e), DLOCK_NOT_FOUND, "release of an unknown lock");
    NL_EXPECT_CONTAINS(e.message, "nope", "the NOT_FOUND message names the lock");
    NL_EXPECT_EQ_INT(e.code, DLOCK_NOT_FOUND, "err.code after release of an unknown lock");
    EXPECT_RC(dlock_renew(s, "nope", "a", 1, 0, nullptr, &e), DLOCK_NOT_FOUND, "renew of an unknown lock");
    dlock_token t = TAKE(s, "x", "a");
    bool v = true;
    EXPECT_RC(dlock_release(s, "x", "", t, nullptr), DLOCK_INVALID_ARG, "release with an empty client id");
    EXPECT_RC(dlock_renew(s, "", "a", t, 0, nullptr, nullptr), DLOCK_INVALID_ARG, "renew of an empty lock id");
    EXPECT_RC(dlock_is_valid(s, "x", t, nullptr, nullptr), DLOCK_INVALID_ARG, "is_valid with a NULL answer");
    EXPECT_RC(dlock_is_valid(s, "", t, &v, nullptr), DLOCK_INVALID_ARG, "is_valid of an empty lock id");
    EXPECT_RC(dlock_cancel_wait(s, "x", "", nullptr), DLOCK_INVALID_ARG, "cancel_wait with an empty client id");
    NL_EXPECT_TRUE(!dlock_get_info(s, "", nullptr), "get_info of an empty lock id");
    NL_EXPECT_STREQ(list_of(dlock_list_client(s, "")), "", "list_client of an empty client id");
    NL_EXPECT_STREQ(holder_of(s, "x"), "x:a:1", "the lock after the refused calls");
    EXPECT_RC(dlock_release(s, "x", "a", t, nullptr), DLOCK_OK, "release after the refused calls");
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
    for (pthread_t &t : th) NL_EXPECT_EQ_INT(pthread_create(&t, nullptr, racer, &c), 0, "pthread_create");
    for (pthread_t &t : th) pthread_join(t, nullptr);
    NL_EXPECT_EQ_INT(c.max_inside, 1, "4 threads x 2000 acquire/release: most holders at once");
    std::set<dlock_token> uniq(tokens.begin(), tokens.end());
    NL_EXPECT_EQ_INT(uniq.size(), tokens.size(), "distinct tokens among the %zu leases", tokens.size());
    NL_EXPECT_TRUE(tokens.size() > 0, "some thread acquired the lock");
    dlock_free(s);
}

static void test_null_arguments(void **)
{
    bool v = false;
    uint64_t exp = 0;
    EXPECT_RC(dlock_release(nullptr, "x", "a", 1, nullptr), DLOCK_INVALID_ARG, "release on a NULL service");
    EXPECT_RC(dlock_renew(nullptr, "x", "a", 1, 0, &exp, nullptr), DLOCK_INVALID_ARG, "renew on a NULL service");
    EXPECT_RC(dlock_is_valid(nullptr, "x", 1, &v, nullptr), DLOCK_INVALID_ARG, "is_valid on a NULL service");
    EXPECT_RC(dlock_cancel_wait(nullptr, "x", "a", nullptr), DLOCK_INVALID_ARG, "cancel_wait on a NULL service");
    NL_EXPECT_TRUE(!dlock_get_info(nullptr, "x", nullptr), "get_info on a NULL service");
    NL_EXPECT_EQ_INT(dlock_list(nullptr).size(), 0, "list of a NULL service");
    NL_EXPECT_EQ_INT(dlock_list_client(nullptr, "a").size(), 0, "list_client of a NULL service");
    NL_EXPECT_EQ_INT(dlock_cleanup_expired(nullptr).size(), 0, "cleanup of a NULL service");
    NL_EXPECT_EQ_INT(dlock_tick(nullptr).size(), 0, "tick of a NULL service");
    dlock_free(nullptr);
    NL_EXPECT_EQ_INT(dlock_guard_time_remaining(nullptr), 0, "time_remaining of a NULL guard");
    EXPECT_RC(dlock_guard_keepalive(nullptr, nullptr), DLOCK_INVALID_ARG, "keepalive of a NULL guard");
    EXPECT_RC(dlock_guard_release(nullptr, nullptr), DLOCK_INVALID_ARG, "release of a NULL guard");
    dlock_service *s = make_svc();
    EXPECT_RC(dlock_guard_acquire(nullptr, s, "x", "a", 0, nullptr), DLOCK_INVALID_ARG, "acquire into a NULL guard");
    dlock_guard g;
    EXPECT_RC(dlock_guard_acquire(&g, s, "x", "a", 0, nullptr), DLOCK_OK, "guard acquire");
    EXPECT_RC(dlock_guard_acquire(&g, s, "y", "a", 0, nullptr), DLOCK_INVALID_ARG, "a guard that already holds a lock");
    NL_EXPECT_STREQ(holder_of(s, "y"), "free", "y after the refused guard acquire");
    NL_EXPECT_TRUE(dlock_get_info(s, "x", nullptr), "get_info with a NULL out of a held lock");
    EXPECT_RC(dlock_renew(s, "x", "a", 1, 0, nullptr, nullptr), DLOCK_OK, "renew with a NULL new expiry");
    EXPECT_RC(dlock_guard_release(&g, nullptr), DLOCK_OK, "guard release");
    dlock_free(s);
}

static void test_result_replaced(void **)
{
    dlock_service *s = make_svc();
    dlock_acquire_result r;
    EXPECT_RC(dlock_try_acquire(s, "x", "a", 100, nullptr, false, &r, nullptr), DLOCK_OK, "a takes x");
    EXPECT_RC(dlock_try_acquire(s, "x", "b", 0, nullptr, true, &r, nullptr), DLOCK_OK, "b waits for x (same result struct)");
    NL_EXPECT_TRUE(r.kind == DLOCK_WAITING && r.token == 0 && r.position == 1 && r.holder == "a",
                   "WAITING in a reused result: kind %d token %llu position %zu holder '%s' (token must be 0)", (int)r.kind,
                   (unsigned long long)r.token, r.position, r.holder.c_str());
    EXPECT_RC(dlock_try_acquire(s, "y", "b", 100, nullptr, false, &r, nullptr), DLOCK_OK, "b takes y (same result struct)");
    NL_EXPECT_TRUE(r.kind == DLOCK_ACQUIRED && r.token == 2 && r.position == 0 && r.holder.empty(),
                   "ACQUIRED in a reused result: kind %d token %llu position %zu holder '%s' (position 0, holder empty)",
                   (int)r.kind, (unsigned long long)r.token, r.position, r.holder.c_str());
    EXPECT_RC(dlock_try_acquire(s, "y", "c", 100, nullptr, false, &r, nullptr), DLOCK_OK, "c asks for y (same result struct)");
    NL_EXPECT_TRUE(r.kind == DLOCK_ALREADY_HELD && r.token == 0 && r.position == 0 && r.holder == "b",
                   "ALREADY_HELD in a reused result: kind %d token %llu position %zu holder '%s'", (int)r.kind,
                   (unsigned long long)r.token, r.position, r.holder.c_str());
    dlock_free(s);
}

void test_differential_random_histories(void **);

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
    cmocka_unit_test(test_expiring_soon_again_after_renew),
    cmocka_unit_test(test_expiring_soon_for_each_new_lease),
    cmocka_unit_test(test_events_in_order_they_happened),
    cmocka_unit_test(test_cleanup_expired_returns_ids),
    cmocka_unit_test(test_grant_on_expiry_starts_now),
    cmocka_unit_test(test_holder_asking_again),
    cmocka_unit_test(test_error_order),
    cmocka_unit_test(test_config_defaults),
    cmocka_unit_test(test_err_names),
    cmocka_unit_test(test_guard_renews_and_releases),
    cmocka_unit_test(test_guard_lost_lease),
    cmocka_unit_test(test_list_and_metadata),
    cmocka_unit_test(test_bad_input_errors),
    cmocka_unit_test(test_concurrent_clients_exclusive),
    cmocka_unit_test(test_null_arguments),
    cmocka_unit_test(test_result_replaced),
    cmocka_unit_test(test_differential_random_histories),
};

NL_TEST_MAIN("ex05_distributed_lock", tests)
