// test_unified.cpp — EX29's unified discovery: over the three real daemons (each stopped in turn,
// mid-run, to show its error), and over scripted backends for the merge rules alone.
#include "ex29_tests.h"

#include <cstring>

void test_unified_discovery(void **);
void test_unified_reports_backend_errors(void **);
void test_unified_not_found_is_an_answer(void **);
void test_unified_merge_order(void **);
void test_unified_add_limits(void **);

// A scripted backend: answers code with eps (and msg), whatever the service; records the calls.
struct script {
    int code = SD_OK;
    std::vector<std::string> eps;
    std::string msg;
    bool writes_err = true;  // false: leaves *err as it found it (a backend with nothing to say)
    std::vector<std::string> asked;
};

static int scripted(void *ctx, const char *service, std::vector<std::string> *out, std::string *err)
{
    script *s = (script *)ctx;
    s->asked.push_back(service);
    *out = s->eps;  // also on failure: what a failed backend left in *out must not be used
    if (s->writes_err) *err = s->msg;
    return s->code;
}

static std::string errors_text(const sd_discovery &d)
{
    std::string s;
    for (const sd_backend_error &e : d.errors) s += e.backend + ":" + sd_code_name(e.code) + ";";
    return s;
}

static void add(sd_unified *u, sd_backend b)
{
    std::string err;
    int rc = sd_unified_add(u, b, &err);
    if (rc != SD_OK) NL_FAIL("sd_unified_add(%s): expected SD_OK, got %d (%s)", b.name, rc, err.c_str());
}

void test_unified_discovery(void **)
{
    sd_peer zk, dns;
    START_PEER(peer_zk_start, zk);
    START_PEER(peer_dns_start, dns);
    sd_zk *z = nullptr;
    sd_dns *d = nullptr;
    std::string err;
    NL_EXPECT_EQ_INT(sd_zk_open(&z, peer_addr(&zk).c_str(), 20000, &err), SD_OK, "open ZooKeeper (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_dns_open(&d, peer_addr(&dns).c_str(), "cluster.local", T_MS, &err), SD_OK, "open DNS (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_zk_register(z, "my-service", "127.0.0.22:9001", &err), SD_OK, "register in ZooKeeper (%s)", err.c_str());
    sd_unified u;
    sd_unified_init(&u);
    add(&u, sd_backend_zk(z));  // where the seed had Consul
    add(&u, sd_backend_dns(d));
    sd_discovery res;
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "my-service", &res), SD_OK, "discover my-service");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), ex29_join({"127.0.0.22:9001", "127.0.0.21:9000"}), "ZooKeeper's then DNS's endpoints");
    NL_EXPECT_STREQ(errors_text(res), "", "errors with both daemons up");
    // Each backend's own discover, called directly, replaces what its output held.
    for (sd_backend b : {sd_backend_zk(z), sd_backend_dns(d)}) {
        std::vector<std::string> out = {"stale:1", "stale:2"};
        NL_EXPECT_EQ_INT(b.discover(b.ctx, "my-service", &out, &err), SD_OK, "backend %s's discover (%s)", b.name, err.c_str());
        NL_EXPECT_STREQ(ex29_join(out), ex29_join({strcmp(b.name, "dns") ? "127.0.0.22:9001" : "127.0.0.21:9000"}), "backend %s's endpoints", b.name);
    }
    NL_EXPECT_STREQ(std::string(sd_backend_zk(z).name) + " " + sd_backend_dns(d).name, "zookeeper dns", "the backends' names");
    sd_zk_close(z);
    sd_dns_close(d);
    peer_stop(&zk);
    peer_stop(&dns);
}

void test_unified_reports_backend_errors(void **)
{
    sd_peer et, zk, dns;
    START_PEER(peer_etcd_start, et);
    START_PEER(peer_zk_start, zk);
    START_PEER(peer_dns_start, dns);
    sd_etcd *e = nullptr;
    sd_zk *z = nullptr;
    sd_dns *d = nullptr;
    std::string err;
    NL_EXPECT_EQ_INT(sd_etcd_open(&e, peer_addr(&et).c_str(), T_MS, &err), SD_OK, "open etcd (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_zk_open(&z, peer_addr(&zk).c_str(), 20000, &err), SD_OK, "open ZooKeeper (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_dns_open(&d, peer_addr(&dns).c_str(), "service.local", 1000, &err), SD_OK, "open DNS (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_etcd_register(e, "/services", "pay", "10.1.0.1:80", 0, &err), SD_OK, "register pay in etcd (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_zk_register(z, "pay", "10.1.0.2:80", &err), SD_OK, "register pay in ZooKeeper (%s)", err.c_str());
    sd_unified u;
    sd_unified_init(&u);
    add(&u, sd_backend_etcd(e));
    add(&u, sd_backend_zk(z));
    add(&u, sd_backend_dns(d));
    sd_discovery res;
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "pay", &res), SD_OK, "discover pay, all up");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), ex29_join({"10.1.0.1:80", "10.1.0.2:80", "10.1.0.3:80"}), "pay with all three up");
    NL_EXPECT_STREQ(errors_text(res), "", "errors with all three up");

    peer_stop(&et);
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "pay", &res), SD_OK, "discover pay, etcd stopped");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), ex29_join({"10.1.0.2:80", "10.1.0.3:80"}), "pay with etcd stopped");
    NL_EXPECT_STREQ(errors_text(res), "etcd:unavailable;", "errors with etcd stopped");
    NL_EXPECT_CONTAINS(res.errors[0].message, peer_addr(&et), "etcd's error names its endpoint");

    peer_stop(&zk);
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "pay", &res), SD_OK, "discover pay, etcd and ZooKeeper stopped");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), ex29_join({"10.1.0.3:80"}), "pay with etcd and ZooKeeper stopped");
    NL_EXPECT_STREQ(errors_text(res), "etcd:unavailable;zookeeper:unavailable;", "errors with etcd and ZooKeeper stopped");
    NL_EXPECT_TRUE(!res.errors[1].message.empty(), "ZooKeeper's error has a message");

    peer_stop(&dns);
    int rc = sd_unified_discover(&u, "pay", &res);
    NL_EXPECT_EQ_INT(rc, SD_UNAVAILABLE, "discover pay with every daemon stopped");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), "[]", "endpoints with every daemon stopped");
    NL_EXPECT_EQ_INT(res.errors.size(), 3, "one error per backend with every daemon stopped (%s)", errors_text(res).c_str());
    NL_EXPECT_STREQ(res.errors[2].backend, "dns", "the third error's backend");
    NL_EXPECT_STREQ(errors_text(res), "etcd:unavailable;zookeeper:unavailable;dns:unavailable;", "errors with every daemon stopped");
    sd_etcd_close(e);
    sd_zk_close(z);
    sd_dns_close(d);
}

void test_unified_not_found_is_an_answer(void **)
{
    script a, b, c;
    a.code = SD_NOT_FOUND;
    a.msg = "no instance";
    b.eps = {"x:1"};
    c.code = SD_NOT_FOUND;
    sd_unified u;
    sd_unified_init(&u);
    add(&u, {"a", &a, scripted});
    add(&u, {"b", &b, scripted});
    sd_discovery res;
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "svc", &res), SD_OK, "one backend knows nothing, the other has x:1");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), ex29_join({"x:1"}), "endpoints");
    NL_EXPECT_STREQ(errors_text(res), "", "SD_NOT_FOUND is not an error");
    sd_unified v;
    sd_unified_init(&v);
    add(&v, {"a", &a, scripted});
    add(&v, {"c", &c, scripted});
    a.eps = {"left:1"};  // what a backend leaves behind with SD_NOT_FOUND is not an endpoint
    NL_EXPECT_EQ_INT(sd_unified_discover(&v, "svc", &res), SD_OK, "every backend answers SD_NOT_FOUND");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), "[]", "endpoints when nobody knows the service");
    NL_EXPECT_STREQ(errors_text(res), "", "errors when nobody knows the service");
    NL_EXPECT_STREQ(ex29_join(a.asked), ex29_join({"svc", "svc"}), "the services backend a was asked for");
}

void test_unified_merge_order(void **)
{
    script a, bad, b, quiet;
    a.eps = {"b:1", "a:1", "b:1"};
    bad.code = SD_TIMEOUT;
    bad.eps = {"partial:9"};
    bad.msg = "took too long";
    b.eps = {"a:1", "c:1"};
    b.writes_err = false;  // answers without touching *err
    quiet.code = SD_PROTOCOL;  // no message (*err not even written), after one that had one: the code's name stands in
    quiet.writes_err = false;
    sd_unified u;
    sd_unified_init(&u);
    add(&u, {"first", &a, scripted});
    add(&u, {"slow", &bad, scripted});
    add(&u, {"second", &b, scripted});
    add(&u, {"mute", &quiet, scripted});
    sd_discovery res;
    res.endpoints = {"stale:0"};
    res.errors = {{"stale", SD_TIMEOUT, "old"}};
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "svc", &res), SD_OK, "two answers, two failures");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), ex29_join({"b:1", "a:1", "c:1"}), "merged endpoints: each once, first seen first");
    NL_EXPECT_STREQ(errors_text(res), "slow:timeout;mute:protocol error;", "errors, in backend order");
    NL_EXPECT_STREQ(res.errors[0].message, "took too long", "the failing backend's own message");
    NL_EXPECT_STREQ(res.errors[1].message, "protocol error", "the message of a backend that gave none");
    a.code = SD_UNAVAILABLE;
    b.code = SD_UNAVAILABLE;
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "svc", &res), SD_UNAVAILABLE, "every backend failing");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), "[]", "endpoints when every backend failed");
    NL_EXPECT_STREQ(errors_text(res), "first:unavailable;slow:timeout;second:unavailable;mute:protocol error;", "errors when every backend failed");
}

void test_unified_add_limits(void **)
{
    script s[9];
    static const char *names[9] = {"b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8"};
    sd_unified u;
    sd_unified_init(&u);
    sd_discovery res;
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "svc", &res), SD_EINVAL, "discover with no backend");
    NL_EXPECT_EQ_INT(res.errors.size(), 1, "an error saying there is no backend");
    std::string err;
    NL_EXPECT_EQ_INT(sd_unified_add(&u, {"", &s[0], scripted}, &err), SD_EINVAL, "add a backend named ''");
    NL_EXPECT_EQ_INT(sd_unified_add(&u, {nullptr, &s[0], scripted}, &err), SD_EINVAL, "add a backend with no name");
    NL_EXPECT_EQ_INT(sd_unified_add(&u, {"x", &s[0], nullptr}, &err), SD_EINVAL, "add a backend with no discover");
    for (int i = 0; i < 8; i++) {
        s[i].eps = {std::string(names[i]) + ":1"};
        NL_EXPECT_EQ_INT(sd_unified_add(&u, {names[i], &s[i], scripted}, &err), SD_OK, "add backend %d of 8 (%s)", i + 1, err.c_str());
    }
    err.clear();
    NL_EXPECT_EQ_INT(sd_unified_add(&u, {names[8], &s[8], scripted}, &err), SD_EINVAL, "add a 9th backend");
    NL_EXPECT_TRUE(!err.empty(), "a message for the 9th backend");
    sd_unified v;
    sd_unified_init(&v);
    add(&v, {"one", &s[0], scripted});
    NL_EXPECT_EQ_INT(sd_unified_add(&v, {"one", &s[1], scripted}, &err), SD_EINVAL, "add a second backend named 'one'");
    NL_EXPECT_EQ_INT(v.backends.size(), 1, "backends after the refused duplicate");
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "svc", &res), SD_OK, "discover over 8 backends");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), ex29_join({"b0:1", "b1:1", "b2:1", "b3:1", "b4:1", "b5:1", "b6:1", "b7:1"}),
                    "one endpoint per backend, in the order they were added (the 9th was refused)");
    NL_EXPECT_EQ_INT(sd_unified_discover(&u, "a/b", &res), SD_EINVAL, "discover 'a/b'");
    NL_EXPECT_STREQ(ex29_join(res.endpoints), "[]", "endpoints after a refused discover");
    NL_EXPECT_EQ_INT(s[0].asked.size(), 1, "backend b0 is not asked about a refused name");
    sd_unified_init(&u);
    NL_EXPECT_EQ_INT(u.backends.size(), 0, "backends after sd_unified_init");
}
