// test_lease_watch.cpp — leases (ids, revoke, expiry on the virtual clock), watches (live batches,
// history replay, filters, compaction, limits, waiting) and compaction (manual and automatic).
#include "reg_tests.h"

#include "nl_clock.h"

#include <pthread.h>

void test_lease_grant_ids(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_lease got;
    int64_t ttl;
    EXPECT_RC(reg_lease_grant(r, 60, 0, &got, &ttl, nullptr), REG_OK, "grant ttl 60, id 0");
    NL_EXPECT_EQ_INT(got, 1, "first id the registry picks");
    NL_EXPECT_EQ_INT(ttl, 60, "granted ttl");
    EXPECT_RC(reg_lease_grant(r, 60, 3, &got, &ttl, nullptr), REG_OK, "grant id 3");
    NL_EXPECT_EQ_INT(got, 3, "the id asked for");
    EXPECT_RC(reg_lease_grant(r, 60, 3, &got, &ttl, nullptr), REG_ERR_LEASE_EXISTS, "grant id 3 again");
    EXPECT_RC(reg_lease_grant(r, 4, 0, &got, &ttl, nullptr), REG_OK, "grant ttl 4 (min 5)");
    NL_EXPECT_EQ_INT(got, 2, "second id the registry picks");
    NL_EXPECT_EQ_INT(ttl, 5, "ttl 4 raised to the minimum 5");
    EXPECT_RC(reg_lease_grant(r, 5, 0, &got, &ttl, nullptr), REG_OK, "grant ttl 5");
    NL_EXPECT_EQ_INT(got, 4, "third pick: 3 is taken");
    NL_EXPECT_EQ_INT(ttl, 5, "ttl 5 (at the minimum)");
    EXPECT_RC(reg_lease_revoke(r, 1, nullptr), REG_OK, "revoke 1");
    EXPECT_RC(reg_lease_grant(r, 6, 0, &got, &ttl, nullptr), REG_OK, "grant after revoking 1");
    NL_EXPECT_EQ_INT(got, 5, "picked ids only grow: 1 is free but not picked again");
    NL_EXPECT_EQ_INT(ttl, 6, "ttl 6");
    EXPECT_RC(reg_lease_revoke(r, 1, nullptr), REG_ERR_LEASE_NOT_FOUND, "revoke 1 again");
    int64_t kt;
    EXPECT_RC(reg_lease_keepalive(r, 1, &kt, nullptr), REG_ERR_LEASE_NOT_FOUND, "keepalive of revoked lease 1");
    reg_lease_info info{};
    EXPECT_RC(reg_lease_info_get(r, 77, &info, nullptr), REG_ERR_LEASE_NOT_FOUND, "lease_info of 77");
    reg_free(r);
}

void test_lease_revoke_one_revision(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_lease a = GRANT(r, 60, 10), b = GRANT(r, 60, 20);
    PUT(r, "y", "1", a); // 2
    PUT(r, "x", "1", a); // 3
    PUT(r, "z", "1", b); // 4
    PUT(r, "w", "1", b); // 5
    PUT(r, "w", "2", a); // 6: w moves to lease a
    reg_lease_info info{};
    EXPECT_RC(reg_lease_info_get(r, a, &info, nullptr), REG_OK);
    std::string keys;
    for (const std::string &k : info.keys) keys += k + " ";
    NL_EXPECT_STREQ(keys, "w x y ", "keys of lease 10 (sorted)");
    NL_EXPECT_EQ_INT(info.granted_ttl, 60, "granted ttl of lease 10");
    int64_t w = WATCH(r, "", (reg_watch_opts{0, true, false, false, false}));
    EXPECT_RC(reg_lease_revoke(r, a, nullptr), REG_OK, "revoke lease 10");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 7, "revoking a lease with three keys makes one revision");
    NL_EXPECT_STREQ(GET(r, "", true), "rev=7 count=1 more=0 [z=1 c4 m4 v1 l20]", "every key after revoking lease 10");
    NL_EXPECT_STREQ(DRAIN(r, w), "r7: DELETE w= c0 m7 v0 l0 ; DELETE x= c0 m7 v0 l0 ; DELETE y= c0 m7 v0 l0",
                    "watch of every key during the revoke");
    reg_lease e = GRANT(r, 60, 30);
    EXPECT_RC(reg_lease_revoke(r, e, nullptr), REG_OK, "revoke lease 30 (no keys)");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 7, "revoking a lease without keys");
    reg_free(r);
}

void test_lease_expiry_virtual_clock(void **)
{
    vclock c;
    service_registry *r = reg_on(&c);
    reg_lease l = GRANT(r, 10);
    PUT(r, "e", "1", l); // 2
    reg_lease_info info{};
    c.ms += 3500;
    EXPECT_RC(reg_lease_info_get(r, l, &info, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(info.ttl, 6, "ttl left 3.5 s into a 10 s lease (rounded down)");
    c.ms += 1500; // 5 s in
    int64_t ttl;
    EXPECT_RC(reg_lease_keepalive(r, l, &ttl, nullptr), REG_OK, "keepalive 5 s in");
    NL_EXPECT_EQ_INT(ttl, 10, "keepalive returns the granted ttl");
    c.ms += 9999; // 1 ms before the renewed deadline
    NL_EXPECT_STREQ(GET(r, "e", false), "rev=2 count=1 more=0 [e=1 c2 m2 v1 l1]", "9.999 s after the keepalive");
    EXPECT_RC(reg_lease_info_get(r, l, &info, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(info.ttl, 0, "ttl with 1 ms left");
    c.ms += 1; // the deadline
    NL_EXPECT_STREQ(GET(r, "e", false), "rev=3 count=0 more=0 []", "10 s after the keepalive: the lease expired");
    EXPECT_RC(reg_lease_keepalive(r, l, &ttl, nullptr), REG_ERR_LEASE_NOT_FOUND, "keepalive of the expired lease");
    reg_free(r);
}

void test_lease_expiry_order(void **)
{
    vclock c;
    service_registry *r = reg_on(&c);
    reg_lease l1 = GRANT(r, 20, 1), l2 = GRANT(r, 10, 2), l3 = GRANT(r, 10, 3), l4 = GRANT(r, 30, 4);
    PUT(r, "k1", "1", l1); // 2
    PUT(r, "k2", "1", l2); // 3
    PUT(r, "k3", "1", l3); // 4
    PUT(r, "k4", "1", l4); // 5
    int64_t w = WATCH(r, "k", (reg_watch_opts{0, true, false, true, false}));
    c.ms += 25000; // leases 2, 3 (10 s) and 1 (20 s) are due; 4 is not
    NL_EXPECT_STREQ(GET(r, "k", true), "rev=8 count=1 more=0 [k4=1 c5 m5 v1 l4]", "25 s later");
    NL_EXPECT_STREQ(DRAIN(r, w), "r6: DELETE k2= c0 m6 v0 l0 || r7: DELETE k3= c0 m7 v0 l0 || r8: DELETE k1= c0 m8 v0 l0",
                    "one revision per expired lease, soonest deadline first, then lowest id");
    reg_lease_info info{};
    EXPECT_RC(reg_lease_info_get(r, l4, &info, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(info.ttl, 5, "lease 4 after 25 s of 30");
    reg_free(r);
}

void test_watch_live_batches(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "0"); // 2
    int64_t wa = WATCH(r, "a", reg_watch_opts{});
    int64_t wp = WATCH(r, "a", (reg_watch_opts{0, true, false, false, false}));
    reg_txn t{};
    reg_op p{};
    p.kind = REG_OP_PUT;
    p.key = "ab";
    p.value = "1";
    t.success.push_back(p);
    p.key = "a";
    t.success.push_back(p);
    p.key = "b";
    t.success.push_back(p);
    reg_txn_resp resp{};
    EXPECT_RC(reg_txn_do(r, &t, &resp, nullptr), REG_OK); // 3
    DEL(r, "a", true); // 4: a and ab
    PUT(r, "b", "2");  // 5
    NL_EXPECT_STREQ(DRAIN(r, wa), "r3: PUT a=1 c2 m3 v2 l0 || r4: DELETE a= c0 m4 v0 l0", "watch of key a");
    NL_EXPECT_STREQ(DRAIN(r, wp),
                    "r3: PUT ab=1 c3 m3 v1 l0 ; PUT a=1 c2 m3 v2 l0 || r4: DELETE a= c0 m4 v0 l0 ; DELETE ab= c0 m4 v0 l0",
                    "watch of prefix a: one response per revision, events in the order of the writes");
    reg_free(r);
}

void test_watch_history_replay(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "b", "1"); // 3
    PUT(r, "a", "2"); // 4
    DEL(r, "a", false); // 5
    NL_EXPECT_STREQ(DRAIN(r, WATCH(r, "a", (reg_watch_opts{3, false, false, false, false}))),
                    "r4: PUT a=2 c2 m4 v2 l0 || r5: DELETE a= c0 m5 v0 l0", "watch a from revision 3");
    NL_EXPECT_STREQ(DRAIN(r, WATCH(r, "", (reg_watch_opts{1, true, false, false, false}))),
                    "r2: PUT a=1 c2 m2 v1 l0 || r3: PUT b=1 c3 m3 v1 l0 || r4: PUT a=2 c2 m4 v2 l0 || r5: DELETE a= c0 m5 v0 l0",
                    "watch every key from revision 1");
    int64_t now = WATCH(r, "", (reg_watch_opts{0, true, false, false, false}));
    int64_t ahead = WATCH(r, "", (reg_watch_opts{7, true, false, false, false}));
    NL_EXPECT_STREQ(DRAIN(r, now), "", "watch from now (start 0): no history");
    PUT(r, "c", "1"); // 6
    PUT(r, "d", "1"); // 7
    NL_EXPECT_STREQ(DRAIN(r, now), "r6: PUT c=1 c6 m6 v1 l0 || r7: PUT d=1 c7 m7 v1 l0", "watch from now, after two puts");
    NL_EXPECT_STREQ(DRAIN(r, ahead), "r7: PUT d=1 c7 m7 v1 l0", "watch from revision 7 made at revision 5");
    reg_free(r);
}

void test_watch_filters_prev_kv(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "a", "2"); // 3
    DEL(r, "a", false); // 4
    PUT(r, "a", "3"); // 5
    NL_EXPECT_STREQ(DRAIN(r, WATCH(r, "a", (reg_watch_opts{2, false, true, false, false}))),
                    "r2: PUT a=1 c2 m2 v1 l0 || r3: PUT a=2 c2 m3 v2 l0 prev a=1 c2 m2 v1 l0 || "
                    "r4: DELETE a= c0 m4 v0 l0 prev a=2 c2 m3 v2 l0 || r5: PUT a=3 c5 m5 v1 l0",
                    "watch a from 2 with prev_kv");
    NL_EXPECT_STREQ(DRAIN(r, WATCH(r, "a", (reg_watch_opts{2, false, false, true, false}))), "r4: DELETE a= c0 m4 v0 l0",
                    "watch a from 2, filter NOPUT");
    NL_EXPECT_STREQ(DRAIN(r, WATCH(r, "a", (reg_watch_opts{2, false, false, false, true}))),
                    "r2: PUT a=1 c2 m2 v1 l0 || r3: PUT a=2 c2 m3 v2 l0 || r5: PUT a=3 c5 m5 v1 l0", "watch a from 2, filter NODELETE");
    int64_t live = WATCH(r, "a", (reg_watch_opts{0, false, true, true, false}));
    PUT(r, "a", "4"); // 6
    DEL(r, "a", false); // 7
    NL_EXPECT_STREQ(DRAIN(r, live), "r7: DELETE a= c0 m7 v0 l0 prev a=4 c5 m6 v2 l0", "live watch, NOPUT and prev_kv");
    reg_free(r);
}

void test_watch_compacted(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "a", "2"); // 3
    DEL(r, "b", false);
    PUT(r, "b", "1"); // 4
    DEL(r, "b", false); // 5
    PUT(r, "a", "3"); // 6
    EXPECT_RC(reg_compact(r, 5, nullptr), REG_OK, "compact 5");
    int64_t w = WATCH(r, "", (reg_watch_opts{4, true, false, false, false}));
    NL_EXPECT_STREQ(DRAIN(r, w), "canceled compact=5", "watch from 4 after compact 5");
    reg_watch_resp resp{};
    EXPECT_RC(reg_watch_next(r, w, 0, &resp, nullptr), REG_ERR_WATCH_NOT_FOUND, "watch_next after the canceled response");
    NL_EXPECT_STREQ(DRAIN(r, WATCH(r, "", (reg_watch_opts{5, true, false, false, false}))), "r6: PUT a=3 c2 m6 v3 l0",
                    "watch from 5 (the compaction revision: its delete is gone with the history)");
    EXPECT_RC(reg_compact(r, 6, nullptr), REG_OK, "compact 6");
    NL_EXPECT_STREQ(DRAIN(r, WATCH(r, "", (reg_watch_opts{6, true, false, false, false}))), "r6: PUT a=3 c2 m6 v3 l0",
                    "watch from 6 after compact 6: the puts of the compaction revision stay");
    reg_free(r);
}

static void small_limits(reg_config *cfg)
{
    cfg->max_watchers_per_key = 3;
    cfg->event_buffer_size = 2;
}

void test_watch_limits(void **)
{
    const reg_watch_opts plain{};
    service_registry *r = reg_on(nullptr);
    std::vector<int64_t> ids;
    for (int i = 0; i < 100; i++) ids.push_back(WATCH(r, "k", reg_watch_opts{}));
    int64_t id;
    reg_error err{};
    EXPECT_RC(reg_watch(r, "k", &plain, &id, &err), REG_ERR_TOO_MANY_WATCHERS,
              "101st watch of k (seed default 100)");
    WATCH(r, "k", (reg_watch_opts{0, true, false, false, false}));
    WATCH(r, "k2", reg_watch_opts{});
    EXPECT_RC(reg_watch_cancel(r, ids[0], nullptr), REG_OK, "cancel one watch of k");
    EXPECT_RC(reg_watch_cancel(r, ids[0], nullptr), REG_ERR_WATCH_NOT_FOUND, "cancel it again");
    WATCH(r, "k", reg_watch_opts{});
    reg_free(r);
    r = reg_on(nullptr, small_limits);
    for (int i = 0; i < 3; i++) WATCH(r, "k", reg_watch_opts{});
    EXPECT_RC(reg_watch(r, "k", &plain, &id, &err), REG_ERR_TOO_MANY_WATCHERS,
              "4th watch of k, max_watchers_per_key 3");
    reg_free(r);
}

void test_watch_buffer_limit(void **)
{
    service_registry *r = reg_on(nullptr, small_limits);
    int64_t w2 = WATCH(r, "k", reg_watch_opts{});
    int64_t w3 = WATCH(r, "k", reg_watch_opts{});
    PUT(r, "k", "1"); // 2
    PUT(r, "k", "2"); // 3
    NL_EXPECT_STREQ(DRAIN(r, w2), "r2: PUT k=1 c2 m2 v1 l0 || r3: PUT k=2 c2 m3 v2 l0", "two responses, buffer 2");
    PUT(r, "k", "3"); // 4: w3 holds 2 already
    PUT(r, "k", "4"); // 5
    NL_EXPECT_STREQ(DRAIN(r, w3), "r2: PUT k=1 c2 m2 v1 l0 || r3: PUT k=2 c2 m3 v2 l0 || canceled compact=0",
                    "a third response past event_buffer_size 2 cancels the watch");
    reg_watch_resp resp{};
    EXPECT_RC(reg_watch_next(r, w3, 0, &resp, nullptr), REG_ERR_WATCH_NOT_FOUND, "the canceled watch");
    NL_EXPECT_STREQ(DRAIN(r, w2), "r4: PUT k=3 c2 m4 v3 l0 || r5: PUT k=4 c2 m5 v4 l0", "the drained watch keeps going");
    reg_free(r);
}

static void *cancel_later(void *arg)
{
    void **a = (void **)arg;
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, nullptr);
    reg_watch_cancel((service_registry *)a[0], *(int64_t *)a[1], nullptr);
    return nullptr;
}

void test_watch_next_timeout_cancel(void **)
{
    const reg_watch_opts plain{};
    service_registry *r = reg_on(nullptr);
    int64_t w = WATCH(r, "k", reg_watch_opts{});
    PUT(r, "other", "1");
    reg_watch_resp resp{};
    reg_error err{};
    EXPECT_RC(reg_watch_next(r, w, 30, &resp, &err), REG_ERR_TIMEOUT, "watch_next 30 ms, only another key changed");
    void *args[2] = {r, &w};
    pthread_t t;
    pthread_create(&t, nullptr, cancel_later, args);
    int rc = reg_watch_next(r, w, 5000, &resp, &err);
    pthread_join(t, nullptr);
    EXPECT_RC(rc, REG_ERR_WATCH_NOT_FOUND, "watch_next (5 s) while another thread cancels the watch after 20 ms");
    EXPECT_RC(reg_watch_next(r, 999, 0, &resp, &err), REG_ERR_WATCH_NOT_FOUND, "watch 999 never created");
    int64_t id;
    EXPECT_RC(reg_watch(r, "", &plain, &id, &err), REG_ERR_EMPTY_KEY, "watch of the empty key");
    reg_free(r);
}

void test_compaction_errors(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "a", "2"); // 3
    PUT(r, "a", "3"); // 4
    reg_error err{};
    EXPECT_RC(reg_compact(r, 5, &err), REG_ERR_FUTURE_REV, "compact 5 (current 4)");
    EXPECT_RC(reg_compact(r, 3, &err), REG_OK, "compact 3");
    EXPECT_RC(reg_compact(r, 3, &err), REG_ERR_COMPACTED, "compact 3 again");
    EXPECT_RC(reg_compact(r, 2, &err), REG_ERR_COMPACTED, "compact 2 after 3");
    reg_get_opts o{};
    o.revision = 1;
    reg_get_resp g{};
    err = reg_error{};
    EXPECT_RC(reg_get(r, "a", &o, &g, &err), REG_ERR_COMPACTED, "get at 1 after compact 3");
    NL_EXPECT_EQ_INT(err.requested, 1, "err.requested of get at 1");
    NL_EXPECT_EQ_INT(err.compact, 3, "err.compact of get at 1");
    NL_EXPECT_STREQ(GET(r, "a", false, 3), "rev=4 count=1 more=0 [a=2 c2 m3 v2 l0]", "get at 3 (the compaction revision)");
    EXPECT_RC(reg_compact(r, 4, &err), REG_OK, "compact 4 (the current revision)");
    NL_EXPECT_STREQ(GET(r, "a", false), "rev=4 count=1 more=0 [a=3 c2 m4 v3 l0]", "a after compact 4");
    reg_free(r);
}

void test_compaction_keeps_latest(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "b", "1"); // 3
    DEL(r, "b", false); // 4
    PUT(r, "c", "1"); // 5
    PUT(r, "a", "2"); // 6
    DEL(r, "c", false); // 7
    PUT(r, "d", "1"); // 8
    EXPECT_RC(reg_compact(r, 7, nullptr), REG_OK, "compact 7");
    NL_EXPECT_STREQ(GET(r, "", true, 7), "rev=8 count=1 more=0 [a=2 c2 m6 v2 l0]", "every key at 7 after compact 7");
    NL_EXPECT_STREQ(GET(r, "", true), "rev=8 count=2 more=0 [a=2 c2 m6 v2 l0; d=1 c8 m8 v1 l0]", "every key now");
    PUT(r, "b", "2"); // 9
    NL_EXPECT_STREQ(GET(r, "b", false), "rev=9 count=1 more=0 [b=2 c9 m9 v1 l0]", "b put again after compaction");
    reg_free(r);
}

static void auto_compaction(reg_config *cfg)
{
    cfg->compaction_interval_s = 60;
    cfg->revision_retention_s = 100;
}

static int get_rc(service_registry *r, const char *key, reg_rev at)
{
    reg_get_opts o{};
    o.revision = at;
    reg_get_resp g{};
    return reg_get(r, key, &o, &g, nullptr);
}

void test_auto_compaction(void **)
{
    vclock c;
    service_registry *r = reg_on(&c, auto_compaction); // t=0: created, first run due at t=60
    PUT(r, "a", "1"); // 2 at t=0
    c.ms += 30000;
    PUT(r, "a", "2"); // 3 at t=30
    c.ms += 50000;
    PUT(r, "a", "3"); // 4 at t=80: a run (due since t=60), nothing is 100 s old; the next is due at t=140
    EXPECT_RC(get_rc(r, "a", 1), REG_OK, "get at 1, t=80 (the run at t=80 found nothing 100 s old)");
    c.ms += 59999;
    EXPECT_RC(get_rc(r, "a", 1), REG_OK, "get at 1, t=139.999 (the next run is due at t=140)");
    c.ms += 1;
    EXPECT_RC(get_rc(r, "a", 2), REG_ERR_COMPACTED, "get at 2, t=140: compacted at 3 (the newest revision of t <= 40)");
    NL_EXPECT_STREQ(GET(r, "a", false, 3), "rev=4 count=1 more=0 [a=2 c2 m3 v2 l0]", "get at 3, t=140");
    c.ms += 59999;
    EXPECT_RC(get_rc(r, "a", 3), REG_OK, "get at 3, t=199.999");
    c.ms += 1;
    EXPECT_RC(get_rc(r, "a", 3), REG_ERR_COMPACTED, "get at 3, t=200: compacted at 4 (t=80 <= 100)");
    NL_EXPECT_STREQ(GET(r, "a", false, 4), "rev=4 count=1 more=0 [a=3 c2 m4 v3 l0]", "get at 4, t=200");
    reg_free(r);
}

static void no_auto_compaction(reg_config *cfg) { cfg->compaction_interval_s = 0; }

// The seed's defaults: compaction every 3600 s keeping 86400 s, 1000 buffered responses per watch.
void test_defaults_at_their_limits(void **)
{
    vclock c;
    service_registry *r = reg_on(&c);
    PUT(r, "a", "1"); // 2 at t=0
    c.ms += 3599999;
    PUT(r, "a", "2"); // 3 at t=3599.999 (no run: the first is due at t=3600)
    c.ms = 1000000 + 86399999ull;
    EXPECT_RC(get_rc(r, "a", 1), REG_OK, "get at 1, t=86399.999 (a run: nothing is 86400 s old yet)");
    c.ms += 1;
    EXPECT_RC(get_rc(r, "a", 1), REG_OK, "get at 1, t=86400 (the next run is due 3600 s after the last)");
    c.ms = 1000000 + 86399999ull + 3599999;
    EXPECT_RC(get_rc(r, "a", 1), REG_OK, "get at 1, 1 ms before the next run");
    c.ms += 1;
    EXPECT_RC(get_rc(r, "a", 2), REG_ERR_COMPACTED, "get at 2 at the next run: revision 3 is exactly 86400 s old");
    EXPECT_RC(get_rc(r, "a", 3), REG_OK, "get at 3 at the next run");
    reg_free(r);

    vclock c2;
    r = reg_on(&c2, no_auto_compaction);
    PUT(r, "a", "1");
    c2.ms += 200000000ull;
    PUT(r, "a", "2");
    c2.ms += 200000000ull;
    EXPECT_RC(get_rc(r, "a", 1), REG_OK, "compaction_interval_s 0: no automatic compaction, ever");
    reg_free(r);

    r = reg_on(nullptr);
    int64_t w = WATCH(r, "k", reg_watch_opts{});
    for (int i = 0; i < 1001; i++) PUT(r, "k", std::to_string(i));
    int n = 0;
    reg_watch_resp resp{};
    bool canceled = false;
    while (reg_watch_next(r, w, 0, &resp, nullptr) == REG_OK) {
        if (resp.canceled) canceled = true;
        else n++;
    }
    NL_EXPECT_EQ_INT(n, 1000, "responses a watch holds before it is canceled (event_buffer_size 1000)");
    NL_EXPECT_TRUE(canceled, "the 1001st response cancels the watch");
    reg_free(r);

    // reg_new(NULL): the seed's defaults on the monotonic clock.
    r = reg_new(nullptr);
    reg_lease id;
    int64_t ttl;
    EXPECT_RC(reg_lease_grant(r, 1, 0, &id, &ttl, nullptr), REG_OK, "grant on reg_new(NULL)");
    NL_EXPECT_EQ_INT(ttl, 5, "min_lease_ttl_s of reg_new(NULL)");
    reg_lease_info li{};
    EXPECT_RC(reg_lease_info_get(r, id, &li, nullptr), REG_OK);
    NL_EXPECT_TRUE(li.ttl >= 3 && li.ttl <= 5, "ttl left just after a 5 s grant on the monotonic clock: %lld", (long long)li.ttl);
    for (int i = 0; i < 100; i++) WATCH(r, "k", reg_watch_opts{});
    int64_t extra;
    const reg_watch_opts plain{};
    EXPECT_RC(reg_watch(r, "k", &plain, &extra, nullptr), REG_ERR_TOO_MANY_WATCHERS, "101st watch on reg_new(NULL)");
    reg_free(r);
}

// Every call revokes the leases that expired before doing its own work (R15): each call below is
// the first one after lease 7 (key "e", 5 s) ran out.
void test_every_call_expires_leases_first(void **)
{
    for (int call = 0; call < 16; call++) {
        vclock c;
        service_registry *r = reg_on(&c);
        GRANT(r, 5, 7);
        PUT(r, "e", "1", 7); // 2
        reg_service s = make_service("svc", "api", "default");
        s.checks.push_back(reg_health_check{REG_CHECK_TTL, "", 5});
        reg_lease sl;
        EXPECT_RC(reg_register_service(r, &s, &sl, nullptr), REG_OK); // 3, lease 1
        int64_t before = WATCH(r, "e", reg_watch_opts{});
        c.ms += 5000; // both are due, same deadline: lease 1 (the service) at 4, lease 7 (key e) at 5
        reg_error err{};
        static const char *const names[] = {"get", "put", "delete", "txn", "compact", "lease_grant", "lease_revoke",
                                            "lease_keepalive", "lease_info", "watch", "watch_next", "register_service",
                                            "deregister_service", "heartbeat", "set_status", "discover"};
        const char *what = names[call];
        switch (call) {
        case 0: NL_EXPECT_STREQ(GET(r, "e", false), "rev=5 count=0 more=0 []", "%s", what); break;
        case 1: NL_EXPECT_EQ_INT(PUT(r, "x", "1"), 6, "%s: its revision after the two expiries", what); break;
        case 2: NL_EXPECT_EQ_INT(DEL(r, "e", false).deleted, 0, "%s", what); break;
        case 3: {
            reg_txn t{};
            reg_op g{};
            g.kind = REG_OP_GET;
            g.key = "e";
            t.success.push_back(g);
            reg_txn_resp resp{};
            EXPECT_RC(reg_txn_do(r, &t, &resp, &err), REG_OK, "%s", what);
            NL_EXPECT_STREQ(obs_txn(resp), "succeeded=1 rev=5 | get rev=5 count=0 more=0 []", "%s", what);
            break;
        }
        case 4: EXPECT_RC(reg_compact(r, 5, &err), REG_OK, "%s at 5 (made by the expiries)", what); break;
        case 5: {
            reg_lease id;
            int64_t ttl;
            EXPECT_RC(reg_lease_grant(r, 5, 7, &id, &ttl, &err), REG_OK, "%s of id 7 again", what);
            break;
        }
        case 6: EXPECT_RC(reg_lease_revoke(r, 7, &err), REG_ERR_LEASE_NOT_FOUND, "%s", what); break;
        case 7: {
            int64_t ttl;
            EXPECT_RC(reg_lease_keepalive(r, 7, &ttl, &err), REG_ERR_LEASE_NOT_FOUND, "%s", what);
            break;
        }
        case 8: {
            reg_lease_info li{};
            EXPECT_RC(reg_lease_info_get(r, 7, &li, &err), REG_ERR_LEASE_NOT_FOUND, "%s", what);
            break;
        }
        case 9: {
            int64_t w = WATCH(r, "e", reg_watch_opts{});
            NL_EXPECT_STREQ(DRAIN(r, w), "", "%s from now: the expiry came before it", what);
            break;
        }
        case 10: {
            reg_watch_resp resp{};
            EXPECT_RC(reg_watch_next(r, before, 0, &resp, &err), REG_OK, "%s (no wait)", what);
            NL_EXPECT_STREQ(resp.events.empty() ? "" : obs_event(resp.events[0]), "DELETE e= c0 m5 v0 l0", "%s", what);
            break;
        }
        case 11: {
            reg_service again = make_service("svc", "api", "default");
            EXPECT_RC(reg_register_service(r, &again, &sl, &err), REG_OK, "%s of the expired id", what);
            break;
        }
        case 12: EXPECT_RC(reg_deregister_service(r, "svc", "default", &err), REG_ERR_SERVICE_NOT_FOUND, "%s", what); break;
        case 13: EXPECT_RC(reg_service_heartbeat(r, "svc", "default", &err), REG_ERR_SERVICE_NOT_FOUND, "%s", what); break;
        case 14:
            EXPECT_RC(reg_service_set_status(r, "svc", "default", REG_STATUS_PASSING, &err), REG_ERR_SERVICE_NOT_FOUND, "%s", what);
            break;
        default: {
            std::vector<reg_instance> v;
            EXPECT_RC(reg_discover(r, "api", "default", nullptr, REG_STATUS_ANY, &v, &err), REG_OK, "%s", what);
            NL_EXPECT_EQ_INT(v.size(), 0, "%s", what);
            break;
        }
        }
        reg_free(r);
    }
}

static void empty_auto(reg_config *cfg)
{
    cfg->compaction_interval_s = 60;
    cfg->revision_retention_s = 100;
}

static void short_retention(reg_config *cfg)
{
    cfg->compaction_interval_s = 60;
    cfg->revision_retention_s = 10;
}

// Automatic compaction of a registry nobody wrote to: revision 1 stays readable; and reg_watch_next
// waits its whole timeout in real time (1000 ms, then 1999 ms: a deadline that crosses a second).
void test_auto_compaction_empty_and_waits(void **)
{
    vclock c;
    service_registry *r = reg_on(&c, empty_auto);
    c.ms += 200000;
    EXPECT_RC(get_rc(r, "a", 1), REG_OK, "get at 1 of an empty registry after 200 s of automatic compaction");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 1, "revision of the empty registry");
    reg_free(r);
    // The first run is due compaction_interval_s after the registry was made, not after its first call.
    vclock c2;
    r = reg_on(&c2, short_retention); // t=0
    c2.ms += 50000;
    PUT(r, "a", "1"); // 2 at t=50: no run (due at t=60)
    c2.ms += 20000;
    EXPECT_RC(get_rc(r, "a", 1), REG_ERR_COMPACTED, "get at 1, t=70: the run due at t=60 compacted at 2 (20 s old)");
    int64_t w = WATCH(r, "k", reg_watch_opts{});
    for (int ms : {1000, 1999}) {
        uint64_t t0 = nl_now_ms();
        reg_watch_resp resp{};
        EXPECT_RC(reg_watch_next(r, w, ms, &resp, nullptr), REG_ERR_TIMEOUT, "watch_next %d ms, nothing happens", ms);
        uint64_t took = nl_now_ms() - t0;
        NL_EXPECT_TRUE(took + 50 >= (uint64_t)ms, "watch_next %d ms returned after %llu ms", ms, (unsigned long long)took);
    }
    reg_free(r);
}

// reg_new(NULL) runs on CLOCK_MONOTONIC in milliseconds (R31): a 60 s lease's ttl counts down in
// real time. Between the grant and the lease_info the registry waits 1100 ms of that clock (an
// unanswered watch_next), so it saw at least 1100 ms and at most what this test measured around both.
void test_monotonic_clock_default(void **)
{
    service_registry *r = reg_new(nullptr);
    int64_t w = WATCH(r, "k", reg_watch_opts{});
    uint64_t t0 = nl_now_ms();
    reg_lease id = GRANT(r, 60);
    reg_watch_resp resp{};
    EXPECT_RC(reg_watch_next(r, w, 1100, &resp, nullptr), REG_ERR_TIMEOUT, "watch_next 1100 ms, nothing happens");
    reg_lease_info li{};
    EXPECT_RC(reg_lease_info_get(r, id, &li, nullptr), REG_OK, "lease_info of the 60 s lease");
    uint64_t took = nl_now_ms() - t0 + 1; // + 1: both ends are whole milliseconds
    int64_t lo = took >= 60000 ? 0 : (int64_t)(60000 - took) / 1000;
    NL_EXPECT_TRUE(li.ttl >= lo && li.ttl <= 58, "ttl left %lld s, %llu ms after granting 60 s (want %lld..58)", (long long)li.ttl,
                   (unsigned long long)took, (long long)lo);
    reg_free(r);
}

// prev_kv at the compaction revision (R18): an event of the compaction revision itself has no
// prev_kv (the revision before it is compacted); the next one has it.
void test_watch_prev_kv_at_compaction(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "a", "2"); // 3
    PUT(r, "a", "3"); // 4
    EXPECT_RC(reg_compact(r, 3, nullptr), REG_OK, "compact 3");
    NL_EXPECT_STREQ(DRAIN(r, WATCH(r, "a", (reg_watch_opts{3, false, true, false, false}))),
                    "r3: PUT a=2 c2 m3 v2 l0 || r4: PUT a=3 c2 m4 v3 l0 prev a=2 c2 m3 v2 l0",
                    "watch a from 3 with prev_kv after compact 3");
    reg_free(r);
}

// The first automatic run at its millisecond (R23), and revision 1 as a compaction target: a new
// registry has compacted nothing (R32), its revision 1 dates from reg_new.
void test_auto_compaction_first_run(void **)
{
    vclock c;
    service_registry *r = reg_on(&c, short_retention); // t=0, first run due at t=60, keeping 10 s
    PUT(r, "a", "1");                                   // 2 at t=0
    c.ms += 59999;
    EXPECT_RC(get_rc(r, "a", 1), REG_OK, "get at 1, t=59.999: the first run is due at t=60");
    c.ms += 1;
    EXPECT_RC(get_rc(r, "a", 1), REG_ERR_COMPACTED, "get at 1, t=60: the first run compacted at 2 (60 s old)");
    reg_free(r);

    vclock c2;
    r = reg_on(&c2, empty_auto); // keeping 100 s
    PUT(r, "a", "1");            // 2 at t=0
    c2.ms += 60000;
    reg_error err{};
    EXPECT_RC(reg_compact(r, 1, &err), REG_OK, "compact 1 at t=60: the run found nothing 100 s old, nothing was compacted");
    reg_free(r);

    vclock c3;
    r = reg_on(&c3, short_retention); // revision 1 at t=0
    c3.ms += 55000;
    PUT(r, "a", "1"); // 2 at t=55
    c3.ms += 5000;
    err = reg_error{};
    EXPECT_RC(reg_compact(r, 1, &err), REG_ERR_COMPACTED, "compact 1 at t=60: the run compacted at 1 (made at t=0; 2 is 5 s old)");
    NL_EXPECT_EQ_INT(err.compact, 1, "err.compact of compact 1 after the run");
    reg_free(r);
}

// ttl rounds down (R14) and reg_current_revision expires leases first too (R15).
void test_lease_ttl_rounding(void **)
{
    vclock c;
    service_registry *r = reg_on(&c);
    reg_lease l = GRANT(r, 10);
    PUT(r, "e", "1", l); // 2
    c.ms += 1;
    reg_lease_info li{};
    EXPECT_RC(reg_lease_info_get(r, l, &li, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(li.ttl, 9, "ttl with 9.999 s left");
    c.ms += 9999;
    NL_EXPECT_EQ_INT(reg_current_revision(r), 3, "reg_current_revision at the deadline: the lease expired first");
    reg_free(r);
}
