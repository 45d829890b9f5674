// test_services.cpp — service registration and discovery on the store, error reports, and
// concurrent writers.
#include "reg_tests.h"

#include <pthread.h>
#include <set>

static std::string discover(service_registry *r, const char *name, const char *ns, std::vector<std::string> tags = {},
                            int status = REG_STATUS_ANY)
{
    std::vector<reg_instance> v;
    int rc = reg_discover(r, name, ns, &tags, status, &v, nullptr);
    if (rc != REG_OK) return reg_err_name(rc);
    std::string s;
    for (const reg_instance &i : v)
        s += nl_fmt("%s%s/%s/%s %s:%u w%u s%d", s.empty() ? "" : ", ", i.ns.c_str(), i.name.c_str(), i.id.c_str(),
                    i.address.c_str(), i.port, i.weight, (int)i.status);
    return s;
}

void test_register_key_and_lease(void **)
{
    vclock c;
    service_registry *r = reg_on(&c);
    reg_service s = make_service("api-1", "api", "prod", {"v1"});
    s.address = "10.1.2.3";
    s.port = 9000;
    s.metadata["zone"] = "eu";
    s.checks.push_back(reg_health_check{REG_CHECK_HTTP, "http://10.1.2.3:9000/health", 2});
    s.checks.push_back(reg_health_check{REG_CHECK_TTL, "", 12});
    reg_lease l = 0;
    EXPECT_RC(reg_register_service(r, &s, &l, nullptr), REG_OK, "register api-1");
    NL_EXPECT_STREQ(GET(r, "/services/", true), nl_fmt("rev=2 count=1 more=0 [/services/prod/api/api-1=10.1.2.3:9000 c2 m2 v1 l%lld]", (long long)l),
                    "the store after registering api-1 in prod");
    reg_lease_info info{};
    EXPECT_RC(reg_lease_info_get(r, l, &info, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(info.granted_ttl, 12, "lease ttl of a registration with a 12 s TTL check");
    std::vector<reg_instance> v;
    EXPECT_RC(reg_discover(r, "api", "prod", nullptr, REG_STATUS_ANY, &v, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(v.size(), 1, "discover api in prod");
    NL_EXPECT_STREQ(v[0].metadata["zone"], "eu", "metadata zone");
    NL_EXPECT_STREQ(v[0].tags.size() == 1 ? v[0].tags[0] : "", "v1", "tags");
    reg_service plain = make_service("web-1", "web", "prod");
    EXPECT_RC(reg_register_service(r, &plain, &l, nullptr), REG_OK, "register web-1 (no checks)");
    EXPECT_RC(reg_lease_info_get(r, l, &info, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(info.granted_ttl, REG_SERVICE_DEFAULT_TTL, "lease ttl of a registration without a TTL check");
    reg_service quick = make_service("q-1", "q", "prod");
    quick.checks.push_back(reg_health_check{REG_CHECK_TTL, "", 1});
    EXPECT_RC(reg_register_service(r, &quick, &l, nullptr), REG_OK, "register q-1 (TTL check 1 s)");
    EXPECT_RC(reg_lease_info_get(r, l, &info, nullptr), REG_OK);
    NL_EXPECT_EQ_INT(info.granted_ttl, 5, "a 1 s TTL check raised to min_lease_ttl_s");
    reg_free(r);
}

void test_register_refusals(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_service s = make_service("api-1", "api", "default");
    reg_lease l = 0;
    EXPECT_RC(reg_register_service(r, &s, &l, nullptr), REG_OK, "register api-1");
    reg_service again = make_service("api-1", "other", "default");
    EXPECT_RC(reg_register_service(r, &again, &l, nullptr), REG_ERR_SERVICE_EXISTS, "api-1 again in default (other name)");
    reg_service elsewhere = make_service("api-1", "api", "staging");
    EXPECT_RC(reg_register_service(r, &elsewhere, &l, nullptr), REG_OK, "api-1 in another namespace");
    const char *bad[][3] = {{"", "api", "default"}, {"a/b", "api", "default"}, {"x", "", "default"},
                            {"x", "a/pi", "default"}, {"x", "api", ""}, {"x", "api", "d/efault"}};
    for (auto &b : bad) {
        reg_service t = make_service(b[0], b[1], b[2]);
        EXPECT_RC(reg_register_service(r, &t, &l, nullptr), REG_ERR_INVALID, "register id '%s' name '%s' ns '%s'", b[0], b[1], b[2]);
    }
    NL_EXPECT_EQ_INT(reg_current_revision(r), 3, "after two registrations and seven refusals");
    NL_EXPECT_STREQ(discover(r, "api", "default"), "default/api/api-1 10.0.0.1:8080 w100 s0", "api in default");
    NL_EXPECT_STREQ(discover(r, "other", "default"), "", "other in default");
    reg_free(r);
}

void test_discover_filters_status(void **)
{
    service_registry *r = reg_on(nullptr);
    const char *ids[] = {"b", "a", "c"};
    const std::vector<std::string> tags[] = {{"v1", "eu"}, {"v1"}, {"eu", "v2"}};
    for (int i = 0; i < 3; i++) {
        reg_service s = make_service(ids[i], "api", "default", tags[i]);
        if (i == 2) s.checks.push_back(reg_health_check{REG_CHECK_TCP, "10.0.0.1:8080", 2});
        reg_lease l;
        EXPECT_RC(reg_register_service(r, &s, &l, nullptr), REG_OK, "register %s", ids[i]);
    }
    reg_service other = make_service("d", "web", "default", {"v1"});
    reg_lease l;
    EXPECT_RC(reg_register_service(r, &other, &l, nullptr), REG_OK, "register web/d");
    NL_EXPECT_STREQ(discover(r, "api", "default"),
                    "default/api/a 10.0.0.1:8080 w100 s0, default/api/b 10.0.0.1:8080 w100 s0, default/api/c 10.0.0.1:8080 w100 s3",
                    "every api instance, by id; c has a check and no result yet (UNKNOWN)");
    NL_EXPECT_STREQ(discover(r, "api", "default", {"v1", "eu"}), "default/api/b 10.0.0.1:8080 w100 s0", "api with v1 and eu");
    NL_EXPECT_STREQ(discover(r, "api", "default", {"eu"}, REG_STATUS_PASSING), "default/api/b 10.0.0.1:8080 w100 s0", "api eu PASSING");
    NL_EXPECT_STREQ(discover(r, "api", "default", {}, REG_STATUS_UNKNOWN), "default/api/c 10.0.0.1:8080 w100 s3", "api UNKNOWN");
    EXPECT_RC(reg_service_set_status(r, "a", "default", REG_STATUS_CRITICAL, nullptr), REG_OK, "set a CRITICAL");
    EXPECT_RC(reg_service_heartbeat(r, "c", "default", nullptr), REG_OK, "heartbeat of c");
    NL_EXPECT_STREQ(discover(r, "api", "default", {}, REG_STATUS_PASSING),
                    "default/api/b 10.0.0.1:8080 w100 s0, default/api/c 10.0.0.1:8080 w100 s0", "api PASSING after the heartbeat of c");
    NL_EXPECT_STREQ(discover(r, "api", "default", {}, REG_STATUS_CRITICAL), "default/api/a 10.0.0.1:8080 w100 s2", "api CRITICAL");
    EXPECT_RC(reg_service_set_status(r, "zz", "default", REG_STATUS_PASSING, nullptr), REG_ERR_SERVICE_NOT_FOUND, "set_status of zz");
    EXPECT_RC(reg_service_heartbeat(r, "a", "staging", nullptr), REG_ERR_SERVICE_NOT_FOUND, "heartbeat of a in staging");
    NL_EXPECT_STREQ(discover(r, "api", "staging"), "", "api in staging");
    reg_free(r);
}

void test_deregister_and_expiry(void **)
{
    vclock c;
    service_registry *r = reg_on(&c);
    reg_service a = make_service("a", "api", "default"), b = make_service("b", "api", "default");
    a.checks.push_back(reg_health_check{REG_CHECK_TTL, "", 10});
    b.checks.push_back(reg_health_check{REG_CHECK_TTL, "", 10});
    reg_lease la, lb;
    EXPECT_RC(reg_register_service(r, &a, &la, nullptr), REG_OK); // 2
    EXPECT_RC(reg_register_service(r, &b, &lb, nullptr), REG_OK); // 3
    EXPECT_RC(reg_deregister_service(r, "b", "default", nullptr), REG_OK, "deregister b");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 4, "after deregistering b: its key deleted");
    reg_lease_info info{};
    EXPECT_RC(reg_lease_info_get(r, lb, &info, nullptr), REG_ERR_LEASE_NOT_FOUND, "b's lease after deregister");
    EXPECT_RC(reg_deregister_service(r, "b", "default", nullptr), REG_ERR_SERVICE_NOT_FOUND, "deregister b again");
    c.ms += 9000;
    EXPECT_RC(reg_service_heartbeat(r, "a", "default", nullptr), REG_OK, "heartbeat of a at 9 s");
    c.ms += 9000;
    NL_EXPECT_STREQ(discover(r, "api", "default"), "default/api/a 10.0.0.1:8080 w100 s0", "api at 18 s (heartbeat at 9 s)");
    c.ms += 1000;
    NL_EXPECT_STREQ(discover(r, "api", "default"), "", "api at 19 s: a's lease expired");
    NL_EXPECT_STREQ(GET(r, "/services/", true), "rev=5 count=0 more=0 []", "the store at 19 s");
    EXPECT_RC(reg_service_heartbeat(r, "a", "default", nullptr), REG_ERR_SERVICE_NOT_FOUND, "heartbeat of expired a");
    EXPECT_RC(reg_register_service(r, &a, &la, nullptr), REG_OK, "register a again after its expiry");
    // A registration whose key was deleted by hand is gone too.
    DEL(r, "/services/default/api/a", false);
    NL_EXPECT_STREQ(discover(r, "api", "default"), "", "api after deleting a's key");
    EXPECT_RC(reg_deregister_service(r, "a", "default", nullptr), REG_ERR_SERVICE_NOT_FOUND, "deregister a after deleting its key");
    reg_free(r);
}

void test_errors_filled(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1");
    PUT(r, "a", "2");
    EXPECT_RC(reg_compact(r, 3, nullptr), REG_OK);
    reg_error err{};
    reg_get_opts o{};
    o.revision = 2;
    reg_get_resp g{};
    int rc = reg_get(r, "a", &o, &g, &err);
    NL_EXPECT_EQ_INT(err.code, rc, "err.code after get at a compacted revision");
    NL_EXPECT_TRUE(!err.message.empty(), "a message after get at a compacted revision");
    err = reg_error{};
    EXPECT_RC(reg_compact(r, 2, &err), REG_ERR_COMPACTED, "compact 2 after 3");
    NL_EXPECT_EQ_INT(err.requested, 2, "err.requested of compact 2");
    NL_EXPECT_EQ_INT(err.compact, 3, "err.compact of compact 2");
    err = reg_error{};
    reg_put_opts po{};
    po.lease = 4;
    reg_put_resp pr{};
    rc = reg_put(r, "a", "x", &po, &pr, &err);
    NL_EXPECT_EQ_INT(err.code, rc, "err.code after a put with lease 4 never granted");
    NL_EXPECT_TRUE(!err.message.empty(), "a message after a put with an unknown lease");
    EXPECT_RC(reg_get(r, nullptr, &o, &g, &err), REG_ERR_INVALID, "get with a NULL key");
    EXPECT_RC(reg_put(r, "a", "x", nullptr, &pr, &err), REG_ERR_INVALID, "put with NULL options");
    EXPECT_RC(reg_txn_do(r, nullptr, nullptr, &err), REG_ERR_INVALID, "txn NULL");
    EXPECT_RC(reg_discover(r, "api", "default", nullptr, REG_STATUS_ANY, nullptr, &err), REG_ERR_INVALID, "discover into NULL");
    NL_EXPECT_STREQ(reg_err_name(REG_ERR_COMPACTED), "REG_ERR_COMPACTED", "reg_err_name");
    NL_EXPECT_STREQ(reg_err_name(999), "?", "reg_err_name(999)");
    reg_free(r);
}

enum { WRITERS = 4, PUTS = 200 }; // 800 watch responses: under event_buffer_size (1000)
struct writer_arg {
    service_registry *r;
    int n;
    std::vector<reg_rev> revs;
};

static void *writer(void *p)
{
    writer_arg *a = (writer_arg *)p;
    std::string key = "w" + std::to_string(a->n);
    for (int i = 0; i < PUTS; i++) {
        reg_put_opts o{};
        reg_put_resp resp{};
        if (reg_put(a->r, key.c_str(), std::to_string(i), &o, &resp, nullptr) == REG_OK) a->revs.push_back(resp.revision);
    }
    return nullptr;
}

void test_concurrent_puts(void **)
{
    service_registry *r = reg_on(nullptr);
    int64_t w = WATCH(r, "w", (reg_watch_opts{0, true, false, false, false}));
    writer_arg args[WRITERS];
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i].r = r;
        args[i].n = i;
        pthread_create(&t[i], nullptr, writer, &args[i]);
    }
    for (int i = 0; i < WRITERS; i++) pthread_join(t[i], nullptr);
    std::set<reg_rev> all;
    for (int i = 0; i < WRITERS; i++) {
        NL_EXPECT_EQ_INT(args[i].revs.size(), PUTS, "puts that succeeded in writer %d", i);
        for (size_t j = 1; j < args[i].revs.size(); j++)
            NL_EXPECT_TRUE(args[i].revs[j] > args[i].revs[j - 1], "writer %d: revisions grow", i);
        all.insert(args[i].revs.begin(), args[i].revs.end());
    }
    NL_EXPECT_EQ_INT(all.size(), WRITERS * PUTS, "distinct revisions over %d writers x %d puts", WRITERS, PUTS);
    NL_EXPECT_EQ_INT(*all.begin(), 2, "first revision");
    NL_EXPECT_EQ_INT(*all.rbegin(), 1 + WRITERS * PUTS, "last revision");
    for (int i = 0; i < WRITERS; i++)
        NL_EXPECT_STREQ(GET(r, ("w" + std::to_string(i)).c_str(), false).substr(0, 22),
                        nl_fmt("rev=%d count=1 more=0 [", 1 + WRITERS * PUTS).substr(0, 22), "w%d", i);
    reg_rev last = 1;
    int n = 0;
    for (;;) {
        reg_watch_resp resp{};
        if (reg_watch_next(r, w, 0, &resp, nullptr) != REG_OK) break;
        NL_EXPECT_TRUE(resp.revision == last + 1, "watch responses in revision order: %lld after %lld", (long long)resp.revision, (long long)last);
        last = resp.revision;
        n++;
    }
    NL_EXPECT_EQ_INT(n, WRITERS * PUTS, "watch responses during the concurrent puts");
    reg_free(r);
}

void test_null_arguments(void **)
{
    service_registry *r = reg_on(nullptr);
    reg_error err{};
    reg_get_opts go{};
    reg_get_resp g{};
    reg_put_opts po{};
    reg_put_resp p{};
    reg_del_resp d{};
    reg_txn t{};
    reg_txn_resp tr{};
    reg_lease l = 0;
    int64_t n = 0;
    reg_lease_info li{};
    reg_watch_opts wo{};
    reg_watch_resp wr{};
    reg_service s = make_service("a", "api", "default");
    std::vector<reg_instance> v;
    struct {
        const char *what;
        int rc;
    } cases[] = {
        {"get(NULL registry)", reg_get(nullptr, "k", &go, &g, &err)},
        {"get(NULL key)", reg_get(r, nullptr, &go, &g, &err)},
        {"get(NULL opts)", reg_get(r, "k", nullptr, &g, &err)},
        {"get(NULL out)", reg_get(r, "k", &go, nullptr, &err)},
        {"put(NULL registry)", reg_put(nullptr, "k", "v", &po, &p, &err)},
        {"put(NULL key)", reg_put(r, nullptr, "v", &po, &p, &err)},
        {"put(NULL opts)", reg_put(r, "k", "v", nullptr, &p, &err)},
        {"put(NULL out)", reg_put(r, "k", "v", &po, nullptr, &err)},
        {"delete(NULL registry)", reg_delete(nullptr, "k", false, false, &d, &err)},
        {"delete(NULL key)", reg_delete(r, nullptr, false, false, &d, &err)},
        {"delete(NULL out)", reg_delete(r, "k", false, false, nullptr, &err)},
        {"txn(NULL registry)", reg_txn_do(nullptr, &t, &tr, &err)},
        {"txn(NULL txn)", reg_txn_do(r, nullptr, &tr, &err)},
        {"txn(NULL out)", reg_txn_do(r, &t, nullptr, &err)},
        {"compact(NULL registry)", reg_compact(nullptr, 1, &err)},
        {"lease_grant(NULL registry)", reg_lease_grant(nullptr, 10, 0, &l, &n, &err)},
        {"lease_grant(NULL id out)", reg_lease_grant(r, 10, 0, nullptr, &n, &err)},
        {"lease_grant(NULL ttl out)", reg_lease_grant(r, 10, 0, &l, nullptr, &err)},
        {"lease_grant(id -1)", reg_lease_grant(r, 10, -1, &l, &n, &err)},
        {"lease_revoke(NULL registry)", reg_lease_revoke(nullptr, 1, &err)},
        {"lease_keepalive(NULL registry)", reg_lease_keepalive(nullptr, 1, &n, &err)},
        {"lease_keepalive(NULL out)", reg_lease_keepalive(r, 1, nullptr, &err)},
        {"lease_info(NULL registry)", reg_lease_info_get(nullptr, 1, &li, &err)},
        {"lease_info(NULL out)", reg_lease_info_get(r, 1, nullptr, &err)},
        {"watch(NULL registry)", reg_watch(nullptr, "k", &wo, &n, &err)},
        {"watch(NULL key)", reg_watch(r, nullptr, &wo, &n, &err)},
        {"watch(NULL opts)", reg_watch(r, "k", nullptr, &n, &err)},
        {"watch(NULL id out)", reg_watch(r, "k", &wo, nullptr, &err)},
        {"watch_next(NULL registry)", reg_watch_next(nullptr, 1, 0, &wr, &err)},
        {"watch_next(NULL out)", reg_watch_next(r, 1, 0, nullptr, &err)},
        {"watch_cancel(NULL registry)", reg_watch_cancel(nullptr, 1, &err)},
        {"register(NULL registry)", reg_register_service(nullptr, &s, &l, &err)},
        {"register(NULL service)", reg_register_service(r, nullptr, &l, &err)},
        {"register(NULL lease out)", reg_register_service(r, &s, nullptr, &err)},
        {"deregister(NULL registry)", reg_deregister_service(nullptr, "a", "default", &err)},
        {"deregister(NULL id)", reg_deregister_service(r, nullptr, "default", &err)},
        {"deregister(NULL ns)", reg_deregister_service(r, "a", nullptr, &err)},
        {"heartbeat(NULL registry)", reg_service_heartbeat(nullptr, "a", "default", &err)},
        {"heartbeat(NULL id)", reg_service_heartbeat(r, nullptr, "default", &err)},
        {"heartbeat(NULL ns)", reg_service_heartbeat(r, "a", nullptr, &err)},
        {"set_status(NULL registry)", reg_service_set_status(nullptr, "a", "default", REG_STATUS_PASSING, &err)},
        {"set_status(NULL id)", reg_service_set_status(r, nullptr, "default", REG_STATUS_PASSING, &err)},
        {"set_status(NULL ns)", reg_service_set_status(r, "a", nullptr, REG_STATUS_PASSING, &err)},
        {"discover(NULL registry)", reg_discover(nullptr, "api", "default", nullptr, REG_STATUS_ANY, &v, &err)},
        {"discover(NULL name)", reg_discover(r, nullptr, "default", nullptr, REG_STATUS_ANY, &v, &err)},
        {"discover(NULL ns)", reg_discover(r, "api", nullptr, nullptr, REG_STATUS_ANY, &v, &err)},
        {"discover(NULL out)", reg_discover(r, "api", "default", nullptr, REG_STATUS_ANY, nullptr, &err)},
    };
    for (const auto &c : cases) EXPECT_RC(c.rc, REG_ERR_INVALID, "%s", c.what);
    NL_EXPECT_EQ_INT(reg_current_revision(nullptr), 0, "reg_current_revision(NULL)");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 1, "after the refused calls");
    reg_free(nullptr);
    NL_EXPECT_STREQ(reg_err_name(REG_OK), "REG_OK", "reg_err_name(0)");
    NL_EXPECT_STREQ(reg_err_name(REG_ERR_SERVICE_NOT_FOUND), "REG_ERR_SERVICE_NOT_FOUND", "reg_err_name(last code)");
    NL_EXPECT_STREQ(reg_err_name(REG_ERR_SERVICE_NOT_FOUND + 1), "?", "reg_err_name(one past the last code)");
    NL_EXPECT_STREQ(reg_err_name(-1), "?", "reg_err_name(-1)");
    reg_free(r);
}

// A lapsed instance stays gone (R26): after its deregistration, or its lease's expiry, the same
// lease id granted again and the same key put on it make a plain key, not the instance again.
void test_service_gone_stays_gone(void **)
{
    vclock c;
    service_registry *r = reg_on(&c);
    reg_service a = make_service("a", "api", "default"), b = make_service("b", "api", "default");
    reg_lease la, lb;
    EXPECT_RC(reg_register_service(r, &a, &la, nullptr), REG_OK); // 2, lease 1 (30 s)
    EXPECT_RC(reg_register_service(r, &b, &lb, nullptr), REG_OK); // 3, lease 2 (30 s)
    EXPECT_RC(reg_deregister_service(r, "a", "default", nullptr), REG_OK, "deregister a"); // 4
    GRANT(r, 60, la);
    PUT(r, "/services/default/api/a", "10.0.0.1:8080", la); // 5
    NL_EXPECT_STREQ(discover(r, "api", "default"), "default/api/b 10.0.0.1:8080 w100 s0",
                    "api after deregistering a, then putting its key on its lease id granted again");
    EXPECT_RC(reg_service_heartbeat(r, "a", "default", nullptr), REG_ERR_SERVICE_NOT_FOUND, "heartbeat of deregistered a");
    c.ms += 30000; // b's lease expires: 6
    NL_EXPECT_STREQ(discover(r, "api", "default"), "", "api at 30 s: b's lease expired");
    GRANT(r, 60, lb);
    PUT(r, "/services/default/api/b", "10.0.0.1:8080", lb); // 7
    NL_EXPECT_STREQ(discover(r, "api", "default"), "", "api after putting b's key on its lease id granted again");
    EXPECT_RC(reg_service_set_status(r, "b", "default", REG_STATUS_PASSING, nullptr), REG_ERR_SERVICE_NOT_FOUND,
              "set_status of expired b");
    NL_EXPECT_EQ_INT(reg_current_revision(r), 7, "revision at the end");
    reg_free(r);
}

// A response a call fills holds only that call's answer (R33): the same structs reused after a
// call that filled them with more.
void test_responses_reused(void **)
{
    service_registry *r = reg_on(nullptr);
    PUT(r, "a", "1"); // 2
    PUT(r, "b", "1"); // 3
    reg_get_opts go{};
    go.prefix = true;
    go.limit = 1;
    reg_get_resp g{};
    EXPECT_RC(reg_get(r, "", &go, &g, nullptr), REG_OK);
    NL_EXPECT_STREQ(obs_get(g), "rev=3 count=2 more=1 [a=1 c2 m2 v1 l0]", "get of every key, limit 1");
    go.limit = 0;
    EXPECT_RC(reg_get(r, "b", &go, &g, nullptr), REG_OK);
    NL_EXPECT_STREQ(obs_get(g), "rev=3 count=1 more=0 [b=1 c3 m3 v1 l0]", "get prefix b into the same response");
    reg_del_resp d{};
    EXPECT_RC(reg_delete(r, "a", false, true, &d, nullptr), REG_OK); // 4
    EXPECT_RC(reg_delete(r, "b", false, true, &d, nullptr), REG_OK); // 5
    NL_EXPECT_STREQ(obs_del(d), "rev=5 deleted=1 prev=[b=1 c3 m3 v1 l0]", "delete b into the response of delete a");
    reg_txn t{};
    reg_op p{};
    p.kind = REG_OP_PUT;
    p.key = "x";
    p.value = "1";
    t.success = {p};
    reg_txn_resp tr{};
    EXPECT_RC(reg_txn_do(r, &t, &tr, nullptr), REG_OK); // 6
    EXPECT_RC(reg_txn_do(r, &t, &tr, nullptr), REG_OK); // 7
    NL_EXPECT_STREQ(obs_txn(tr), "succeeded=1 rev=7 | put rev=7 prev=-", "the second txn into the response of the first");
    reg_service s1 = make_service("s1", "api", "default"), s2 = make_service("s2", "api", "default");
    reg_lease l;
    EXPECT_RC(reg_register_service(r, &s1, &l, nullptr), REG_OK);
    EXPECT_RC(reg_register_service(r, &s2, &l, nullptr), REG_OK);
    std::vector<reg_instance> v;
    EXPECT_RC(reg_discover(r, "api", "default", nullptr, REG_STATUS_ANY, &v, nullptr), REG_OK);
    EXPECT_RC(reg_discover(r, "api", "default", nullptr, REG_STATUS_ANY, &v, nullptr), REG_OK);
    NL_EXPECT_STREQ(instance_ids(v), "s1,s2", "discover twice into the same vector");
    reg_free(r);
}
