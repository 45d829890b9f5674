// test_seed.cpp — the seed's ten tests, translated (README "Deviations from the seed" says where
// they follow etcd instead of the seed: a missing key reads as empty, not as an error).
#include "reg_tests.h"

#include <pthread.h>
#include <time.h>

void test_basic_put_get(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_rev rev = PUT(r, "/services/api", "v1");
    NL_EXPECT_STREQ(GET(r, "/services/api", false), nl_fmt("rev=%lld count=1 more=0 [/services/api=v1 c%lld m%lld v1 l0]",
                                                          (long long)rev, (long long)rev, (long long)rev),
                    "after put /services/api=v1");
    reg_free(r);
}

void test_prefix_query(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "/services/api/1", "a");
    PUT(r, "/services/api/2", "b");
    PUT(r, "/services/web/1", "c");
    NL_EXPECT_STREQ(GET(r, "/services/api/", true),
                    "rev=4 count=2 more=0 [/services/api/1=a c2 m2 v1 l0; /services/api/2=b c3 m3 v1 l0]",
                    "prefix /services/api/ after api/1, api/2, web/1");
    reg_free(r);
}

void test_delete_key(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "/key", "value");
    reg_del_resp d = DEL(r, "/key", false);
    NL_EXPECT_EQ_INT(d.deleted, 1, "delete /key");
    NL_EXPECT_STREQ(GET(r, "/key", false), "rev=3 count=0 more=0 []", "get /key after its delete");
    reg_free(r);
}

void test_lease_lifecycle(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_lease l = GRANT(r, 60);
    PUT(r, "/ephemeral", "data", l);
    reg_lease_info info{};
    EXPECT_RC(reg_lease_info_get(r, l, &info, nullptr), REG_OK, "lease_info");
    NL_EXPECT_EQ_INT(info.keys.size(), 1, "lease_info keys");
    NL_EXPECT_STREQ(info.keys[0], "/ephemeral", "lease_info keys[0]");
    EXPECT_RC(reg_lease_revoke(r, l, nullptr), REG_OK, "lease_revoke");
    NL_EXPECT_STREQ(GET(r, "/ephemeral", false), "rev=3 count=0 more=0 []", "get /ephemeral after its lease was revoked");
    reg_free(r);
}

static void *put_later(void *arg)
{
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, nullptr);
    reg_put_opts o{};
    reg_put_resp resp{};
    reg_put((service_registry *)arg, "/watched", "new", &o, &resp, nullptr);
    return nullptr;
}

void test_watch_events(void **)
{
    service_registry *r = reg_on(nullptr);
    int64_t w = WATCH(r, "/watched", reg_watch_opts{});
    pthread_t t;
    pthread_create(&t, nullptr, put_later, r);
    reg_watch_resp resp{};
    int rc = reg_watch_next(r, w, 5000, &resp, nullptr);
    pthread_join(t, nullptr);
    EXPECT_RC(rc, REG_OK, "watch_next (5 s) while another thread puts /watched after 10 ms");
    NL_EXPECT_EQ_INT(resp.events.size(), 1, "events in the response");
    NL_EXPECT_STREQ(obs_event(resp.events[0]), "PUT /watched=new c2 m2 v1 l0", "the event");
    reg_free(r);
}

void test_transaction_success(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "/counter", "0");
    reg_txn t{};
    t.compare.push_back(reg_compare{"/counter", REG_CMP_VALUE, REG_CMP_EQUAL, 0, "0"});
    reg_op op{};
    op.kind = REG_OP_PUT;
    op.key = "/counter";
    op.value = "1";
    t.success.push_back(op);
    reg_txn_resp resp{};
    EXPECT_RC(reg_txn_do(r, &t, &resp, nullptr), REG_OK, "txn value(/counter)==\"0\" then put 1");
    NL_EXPECT_TRUE(resp.succeeded, "txn value(/counter)==\"0\"");
    NL_EXPECT_STREQ(GET(r, "/counter", false), "rev=3 count=1 more=0 [/counter=1 c2 m3 v2 l0]", "after the txn");
    reg_free(r);
}

void test_service_registration(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_service s = make_service("api-1", "api", "default", {"v1", "primary"});
    s.checks.push_back(reg_health_check{REG_CHECK_TTL, "", 30});
    reg_lease l = 0;
    EXPECT_RC(reg_register_service(r, &s, &l, nullptr), REG_OK, "register api-1");
    NL_EXPECT_TRUE(l > 0, "register api-1 returns its lease");
    std::vector<reg_instance> v;
    EXPECT_RC(reg_discover(r, "api", "default", nullptr, REG_STATUS_ANY, &v, nullptr), REG_OK, "discover api");
    NL_EXPECT_STREQ(instance_ids(v), "api-1", "discover api in default");
    reg_free(r);
}

void test_service_discovery_with_tags(void **)
{
    service_registry *r = reg_on(nullptr);
    for (int i = 0; i < 3; i++) {
        std::string id = "api-" + std::to_string(i);
        reg_service s = make_service(id.c_str(), "api", "default", {i % 2 == 0 ? "v1" : "v2"});
        s.address = "10.0.0." + std::to_string(i);
        reg_lease l;
        EXPECT_RC(reg_register_service(r, &s, &l, nullptr), REG_OK, "register %s", id.c_str());
    }
    std::vector<std::string> tags = {"v1"};
    std::vector<reg_instance> v;
    EXPECT_RC(reg_discover(r, "api", "default", &tags, REG_STATUS_ANY, &v, nullptr), REG_OK, "discover api [v1]");
    NL_EXPECT_STREQ(instance_ids(v), "api-0,api-2", "discover api with tag v1");
    reg_free(r);
}

void test_revision_ordering(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_rev r1 = PUT(r, "/a", "1"), r2 = PUT(r, "/b", "2"), r3 = PUT(r, "/a", "3");
    NL_EXPECT_TRUE(r1 < r2 && r2 < r3, "revisions of put /a, /b, /a: %lld %lld %lld", (long long)r1, (long long)r2, (long long)r3);
    NL_EXPECT_STREQ(GET(r, "/a", false, r1), nl_fmt("rev=%lld count=1 more=0 [/a=1 c%lld m%lld v1 l0]", (long long)r3,
                                                   (long long)r1, (long long)r1),
                    "get /a at revision r1");
    reg_free(r);
}

// The seed only builds the five targets; here each one is compared against the key it names.
void test_compare_target_variants(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_lease l = GRANT(r, 60, 12345);
    PUT(r, "/k", "x");
    PUT(r, "/k", std::string("\x01\x02\x03", 3), l); // version 2, create 2, mod 3
    const reg_compare cmps[] = {{"/k", REG_CMP_VERSION, REG_CMP_EQUAL, 2, ""},
                                {"/k", REG_CMP_CREATE, REG_CMP_EQUAL, 2, ""},
                                {"/k", REG_CMP_MOD, REG_CMP_EQUAL, 3, ""},
                                {"/k", REG_CMP_VALUE, REG_CMP_EQUAL, 0, std::string("\x01\x02\x03", 3)},
                                {"/k", REG_CMP_LEASE, REG_CMP_EQUAL, 12345, ""}};
    static const char *const names[] = {"version == 2", "create == 2", "mod == 3", "value == 010203", "lease == 12345"};
    for (int i = 0; i < 5; i++) {
        for (int off = 0; off < 2; off++) { // the true operand, then a wrong one
            reg_txn t{};
            t.compare.push_back(cmps[i]);
            if (off) {
                t.compare[0].number += 1;
                t.compare[0].value += "x";
            }
            reg_txn_resp resp{};
            EXPECT_RC(reg_txn_do(r, &t, &resp, nullptr), REG_OK, "txn %s%s", names[i], off ? " (operand off by one)" : "");
            NL_EXPECT_EQ_INT(resp.succeeded, !off, "txn %s%s: succeeded", names[i], off ? " (operand off by one)" : "");
        }
    }
    reg_free(r);
}
