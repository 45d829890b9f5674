// test_etcd.cpp — EX29 against a real etcd-server: put/get, prefix ranges, the registry layout,
// leases with keep-alive and expiry, watches, and endpoint failover. The harness checks the store
// with its own client (raw_etcd_*), never only through the submission.
#include "ex29_tests.h"

#include <cctype>
#include <cstring>
#include <time.h>
#include <unistd.h>

void test_etcd_put(void **);
void test_etcd_get(void **);
void test_etcd_get_missing(void **);
void test_etcd_get_prefix(void **);
void test_prefix_range_end(void **);
void test_etcd_register_discover(void **);
void test_invalid_names(void **);
void test_etcd_lease_keepalive(void **);
void test_etcd_lease_revoke(void **);
void test_etcd_watch_events(void **);
void test_etcd_watch_timeout(void **);
void test_etcd_failover(void **);
void test_etcd_open_limits(void **);
void test_etcd_bad_replies(void **);
void test_etcd_endpoint_order(void **);
void test_etcd_request_timeout(void **);
void test_etcd_fake_gateway(void **);

std::string ex29_join(const std::vector<std::string> &v)
{
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++) s += (i ? ", " : "") + nl_quote(v[i]);
    return s + "]";
}

static sd_etcd *open_etcd(const std::string &eps)
{
    sd_etcd *e = nullptr;
    std::string err;
    int rc = sd_etcd_open(&e, eps.c_str(), T_MS, &err);
    if (rc != SD_OK || !e) NL_FAIL("sd_etcd_open(\"%s\"): expected SD_OK, got %d (%s)", eps.c_str(), rc, err.c_str());
    return e;
}

static std::string endpoint(uint16_t port)
{
    return "127.0.0.1:" + std::to_string(port);
}

// "127.0.0.1:<port>" in text, not followed by another digit (port 80 is not found in ":8080").
static bool names_port(const std::string &text, uint16_t port)
{
    std::string want = endpoint(port);
    for (size_t at = text.find(want); at != std::string::npos; at = text.find(want, at + 1))
        if (at + want.size() == text.size() || !isdigit((unsigned char)text[at + want.size()])) return true;
    return false;
}

static std::string raw_value(uint16_t port, const std::string &key, bool *found)
{
    std::string v;
    if (!raw_etcd_get(port, key, found, &v)) NL_FAIL("the harness could not read '%s' from etcd", key.c_str());
    return v;
}

void test_etcd_put(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string err;
    int64_t rev = 0;
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "key", "value", 0, &rev, &err), SD_OK, "put key=value (%s)", err.c_str());
    NL_EXPECT_EQ_INT(rev, raw_etcd_revision(p.port), "the revision put returned, against etcd's");
    bool found = false;
    NL_EXPECT_STREQ(raw_value(p.port, "key", &found), "value", "etcd's value of 'key' after the put");
    int64_t rev2 = 0;
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "key", "value2", 0, &rev2, &err), SD_OK, "second put (%s)", err.c_str());
    NL_EXPECT_EQ_INT(rev2, rev + 1, "the revision after a second put");
    NL_EXPECT_STREQ(raw_value(p.port, "key", &found), "value2", "etcd's value after the second put");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_etcd_get(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    const std::string odd("a b\n=c\0d\xff", 10);  // any bytes: the gateway carries base64
    if (!raw_etcd_put(p.port, "key", "value") || !raw_etcd_put(p.port, "odd\x01key", odd)) NL_FAIL("harness put failed");
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string v, err;
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "key", &v, &err), SD_OK, "get 'key' (%s)", err.c_str());
    NL_EXPECT_STREQ(v, "value", "get 'key'");
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "odd\x01key", &v, &err), SD_OK, "get a key with a control byte (%s)", err.c_str());
    NL_EXPECT_STREQ(v, odd, "a value with a newline, a NUL and 0xff");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_etcd_get_missing(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    raw_etcd_put(p.port, "present", "1");
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string v = "untouched", err;
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "absent", &v, &err), SD_NOT_FOUND, "get of a key never put");
    NL_EXPECT_STREQ(v, "untouched", "*value after SD_NOT_FOUND");
    NL_EXPECT_TRUE(!err.empty(), "a message after SD_NOT_FOUND");
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "presen", &v, &err), SD_NOT_FOUND, "get of a prefix of an existing key");
    int64_t n = -1;
    NL_EXPECT_EQ_INT(sd_etcd_delete(e, "present", &n, &err), SD_OK, "delete 'present' (%s)", err.c_str());
    NL_EXPECT_EQ_INT(n, 1, "keys deleted");
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "present", &v, &err), SD_NOT_FOUND, "get after delete");
    NL_EXPECT_EQ_INT(sd_etcd_delete(e, "present", &n, &err), SD_OK, "delete again");
    NL_EXPECT_EQ_INT(n, 0, "keys deleted by a second delete");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_etcd_get_prefix(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    const char *puts[][2] = {{"/p/b", "2"}, {"/p/a", "1"}, {"/p/a/x", "3"}, {"/q", "4"}, {"/p", "5"}, {"/p/a", "1bis"},
                             {"k\xff", "f"}, {"k\xff\x01", "g"}, {"l", "h"}, {"k", "i"}};
    int64_t base = raw_etcd_revision(p.port);
    for (auto &kv : puts)
        if (!raw_etcd_put(p.port, kv[0], kv[1])) NL_FAIL("harness put failed");
    int64_t lease = raw_etcd_grant(p.port, 600);
    if (!lease || !raw_etcd_put_lease(p.port, "/r/leased", "L", lease) || !raw_etcd_put(p.port, "/r/plain", "P"))
        NL_FAIL("harness lease put failed");
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::vector<sd_kv> kvs(1);  // a stale entry: the result replaces it
    std::string err;
    NL_EXPECT_EQ_INT(sd_etcd_get_prefix(e, "/p/", &kvs, &err), SD_OK, "get_prefix /p/ (%s)", err.c_str());
    std::string got;
    for (const sd_kv &kv : kvs)
        got += kv.key + "=" + kv.value + " v" + std::to_string(kv.version) + (kv.mod_revision >= kv.create_revision && kv.create_revision > 0 ? "" : " bad-revisions") + ";";
    NL_EXPECT_STREQ(got, "/p/a=1bis v2;/p/a/x=3 v1;/p/b=2 v1;", "prefix /p/ after 10 puts (key=value version)");
    NL_EXPECT_EQ_INT(kvs[0].create_revision, base + 2, "create_revision of /p/a (first put by the 2nd write)");
    NL_EXPECT_EQ_INT(kvs[0].mod_revision, base + 6, "mod_revision of /p/a (rewritten by the 6th write)");
    NL_EXPECT_EQ_INT(sd_etcd_get_prefix(e, "k\xff", &kvs, &err), SD_OK, "get_prefix k\\xff (%s)", err.c_str());
    got.clear();
    for (const sd_kv &kv : kvs) got += kv.value;
    NL_EXPECT_STREQ(got, "fg", "values under prefix 'k\\xff' (not 'l', not 'k')");
    NL_EXPECT_EQ_INT(sd_etcd_get_prefix(e, "/r/", &kvs, &err), SD_OK, "get_prefix /r/ (%s)", err.c_str());
    NL_EXPECT_EQ_INT(kvs.size(), 2, "entries under /r/");
    NL_EXPECT_STREQ(kvs[0].key + " " + kvs[1].key, "/r/leased /r/plain", "keys under /r/");
    NL_EXPECT_EQ_INT(kvs[0].lease, lease, "the lease of /r/leased (put on a lease)");
    NL_EXPECT_EQ_INT(kvs[1].lease, 0, "the lease of /r/plain (put without one)");
    NL_EXPECT_EQ_INT(sd_etcd_get_prefix(e, "/none/", &kvs, &err), SD_OK, "get_prefix of an empty range");
    NL_EXPECT_EQ_INT(kvs.size(), 0, "entries under /none/");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_prefix_range_end(void **)
{
    struct {
        std::string in, want;
    } cases[] = {{"abc", "abd"}, {"a\xff", "b"}, {"a\xfe", "a\xff"}, {"a\xff\xff", "b"}, {"\xff\xff", std::string(1, '\0')},
                 {"", std::string(1, '\0')}, {std::string("a\0", 2), std::string("a\x01", 2)}, {"/services/web/", "/services/web0"}};
    for (auto &c : cases)
        NL_EXPECT_STREQ(sd_prefix_range_end(c.in), c.want, "sd_prefix_range_end(%s)", nl_quote(c.in).c_str());
}

void test_etcd_register_discover(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string err;
    const char *regs[][2] = {{"web", "10.0.0.2:80"}, {"web", "10.0.0.1:80"}, {"webadmin", "10.0.0.9:80"}, {"api", "10.0.0.3:81"}};
    for (auto &r : regs)
        NL_EXPECT_EQ_INT(sd_etcd_register(e, "/services", r[0], r[1], 0, &err), SD_OK, "register %s %s (%s)", r[0], r[1], err.c_str());
    std::vector<std::string> keys;
    raw_etcd_keys(p.port, "/services/", &keys);
    NL_EXPECT_STREQ(ex29_join(keys), ex29_join({"/services/api/10.0.0.3:81", "/services/web/10.0.0.1:80", "/services/web/10.0.0.2:80", "/services/webadmin/10.0.0.9:80"}),
                    "the keys etcd holds after 4 registrations");
    bool found;
    NL_EXPECT_STREQ(raw_value(p.port, "/services/web/10.0.0.1:80", &found), "10.0.0.1:80", "the value of a registration");
    std::vector<std::string> out = {"stale"};
    NL_EXPECT_EQ_INT(sd_etcd_discover(e, "/services", "web", &out, &err), SD_OK, "discover web (%s)", err.c_str());
    NL_EXPECT_STREQ(ex29_join(out), ex29_join({"10.0.0.1:80", "10.0.0.2:80"}), "discover web (not webadmin's)");
    NL_EXPECT_EQ_INT(sd_etcd_discover(e, "/services", "webadmin", &out, &err), SD_OK, "discover webadmin");
    NL_EXPECT_STREQ(ex29_join(out), ex29_join({"10.0.0.9:80"}), "discover webadmin");
    NL_EXPECT_EQ_INT(sd_etcd_register(e, "/other", "web", "10.9.9.9:1", 0, &err), SD_OK, "register under /other");
    NL_EXPECT_EQ_INT(sd_etcd_discover(e, "/other", "web", &out, &err), SD_OK, "discover web under /other");
    NL_EXPECT_STREQ(ex29_join(out), ex29_join({"10.9.9.9:1"}), "discover web under /other");
    NL_EXPECT_EQ_INT(sd_etcd_discover(e, "/services", "we", &out, &err), SD_NOT_FOUND, "discover 'we' (a prefix of web)");
    NL_EXPECT_EQ_INT(sd_etcd_discover(e, "/services", "db", &out, &err), SD_NOT_FOUND, "discover a service nobody registered");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_invalid_names(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string err, n255(255, 's'), n256(256, 's');
    struct {
        const char *svc, *addr;
        int want;
    } cases[] = {{"", "a:1", SD_EINVAL}, {"a/b", "a:1", SD_EINVAL}, {"web", "", SD_EINVAL}, {"web", "10.0.0.1/24", SD_EINVAL},
                 {n256.c_str(), "a:1", SD_EINVAL}, {"web", n256.c_str(), SD_EINVAL}, {nullptr, "a:1", SD_EINVAL},
                 {n255.c_str(), "a:1", SD_OK}, {"w", n255.c_str(), SD_OK}};
    for (auto &c : cases) {
        err.clear();
        NL_EXPECT_EQ_INT(sd_etcd_register(e, "/services", c.svc, c.addr, 0, &err), c.want, "register service of %zu bytes%s, address '%.20s'",
                         c.svc ? strlen(c.svc) : 0, c.svc && strchr(c.svc, '/') ? " with '/'" : "", c.addr);
        if (c.want == SD_EINVAL) NL_EXPECT_TRUE(!err.empty(), "a message for a refused name");
    }
    std::vector<std::string> keys;
    raw_etcd_keys(p.port, "/services/", &keys);
    NL_EXPECT_STREQ(ex29_join(keys), ex29_join({"/services/" + n255 + "/a:1", "/services/w/" + n255}), "keys written (only the two valid registrations)");
    std::vector<std::string> out;
    NL_EXPECT_EQ_INT(sd_etcd_discover(e, "/services", "", &out, &err), SD_EINVAL, "discover ''");
    NL_EXPECT_EQ_INT(sd_etcd_discover(e, "/services", "w/", &out, &err), SD_EINVAL, "discover 'w/'");
    NL_EXPECT_EQ_INT(sd_check_name("service", "ok", &err), SD_OK, "sd_check_name('ok')");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_etcd_lease_keepalive(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string err;
    int64_t shortl = 0, longl = 0, ttl = 0;
    NL_EXPECT_EQ_INT(sd_etcd_lease_grant(e, 2, &shortl, &err), SD_OK, "grant TTL 2 (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_etcd_lease_grant(e, 10, &longl, &err), SD_OK, "grant TTL 10 (%s)", err.c_str());
    NL_EXPECT_TRUE(shortl != 0 && longl != 0 && shortl != longl, "two distinct lease ids");
    NL_EXPECT_EQ_INT(raw_etcd_ttl(p.port, longl) > 8, 1, "the harness sees the 10 s lease just granted");
    NL_EXPECT_EQ_INT(sd_etcd_register(e, "/services", "eph", "10.0.0.1:1", shortl, &err), SD_OK, "register on the 2 s lease (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_etcd_register(e, "/services", "eph", "10.0.0.2:1", longl, &err), SD_OK, "register on the 10 s lease (%s)", err.c_str());
    // Time passes on etcd's clock: wait until the long lease has lost two seconds, then renew it.
    int64_t before = raw_etcd_ttl(p.port, longl);
    for (long until = peer_now_ms() + 30000; before > 8 && peer_now_ms() < until; before = raw_etcd_ttl(p.port, longl)) peer_nap_ms(100);
    NL_EXPECT_TRUE(before >= 0 && before <= 8, "the 10 s lease down to 8 s or less before the keep-alive (it is %lld)", (long long)before);
    NL_EXPECT_EQ_INT(sd_etcd_lease_keepalive(e, longl, &ttl, &err), SD_OK, "keepalive (%s)", err.c_str());
    NL_EXPECT_EQ_INT(ttl, 10, "*ttl_s after keepalive: the granted TTL");
    int64_t after = raw_etcd_ttl(p.port, longl);
    NL_EXPECT_TRUE(after > before, "the remaining TTL went up with the keep-alive (%lld before, %lld after)", (long long)before, (long long)after);
    // The 2 s lease was never renewed: its key goes (etcd checks expiry every 500 ms).
    bool found = true;
    for (long until = peer_now_ms() + 30000; found && peer_now_ms() < until; peer_nap_ms(100)) raw_value(p.port, "/services/eph/10.0.0.1:1", &found);
    NL_EXPECT_TRUE(!found, "the key of the 2 s lease gone within 30 s without keep-alives");
    raw_value(p.port, "/services/eph/10.0.0.2:1", &found);
    NL_EXPECT_TRUE(found, "the key of the renewed 10 s lease still there");
    ttl = 77;
    NL_EXPECT_EQ_INT(sd_etcd_lease_keepalive(e, shortl, &ttl, &err), SD_NOT_FOUND, "keepalive of the expired lease");
    NL_EXPECT_EQ_INT(ttl, 77, "*ttl after SD_NOT_FOUND");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_etcd_lease_revoke(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string err;
    int64_t lease = 0, other = 0, ttl = 0;
    NL_EXPECT_EQ_INT(sd_etcd_lease_grant(e, 0, &lease, &err), SD_EINVAL, "grant TTL 0");
    NL_EXPECT_EQ_INT(sd_etcd_lease_grant(e, 1, &lease, &err), SD_OK, "grant TTL 1 (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_etcd_lease_grant(e, 60, &lease, &err), SD_OK, "grant TTL 60 (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_etcd_lease_grant(e, 60, &other, &err), SD_OK, "grant a second lease");
    sd_etcd_register(e, "/services", "web", "10.0.0.1:80", lease, &err);
    sd_etcd_register(e, "/services", "web", "10.0.0.2:80", lease, &err);
    sd_etcd_register(e, "/services", "web", "10.0.0.3:80", other, &err);
    NL_EXPECT_EQ_INT(sd_etcd_lease_revoke(e, lease, &err), SD_OK, "revoke (%s)", err.c_str());
    std::vector<std::string> keys;
    raw_etcd_keys(p.port, "/services/", &keys);
    NL_EXPECT_STREQ(ex29_join(keys), ex29_join({"/services/web/10.0.0.3:80"}), "keys right after the revoke");
    NL_EXPECT_EQ_INT(sd_etcd_lease_keepalive(e, lease, &ttl, &err), SD_NOT_FOUND, "keepalive of a revoked lease");
    NL_EXPECT_EQ_INT(sd_etcd_lease_revoke(e, lease, &err), SD_NOT_FOUND, "revoke twice");
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "/x", "1", lease, nullptr, &err), SD_NOT_FOUND, "put with a revoked lease");
    bool found = true;
    raw_value(p.port, "/x", &found);
    NL_EXPECT_TRUE(!found, "no key written by the refused put");
    NL_EXPECT_EQ_INT(sd_etcd_lease_keepalive(e, other, &ttl, &err), SD_OK, "keepalive of the other lease (%s)", err.c_str());
    NL_EXPECT_EQ_INT(ttl, 60, "TTL of the other lease");
    sd_etcd_close(e);
    peer_stop(&p);
}

static std::string events_text(const std::vector<sd_event> &evs, int64_t base)
{
    std::string s;
    for (const sd_event &ev : evs)
        s += std::string(ev.type == SD_EV_DELETE ? "DELETE " : ev.type == SD_EV_PUT ? "PUT " : "? ") + ev.key + "=" + ev.value +
             " @" + std::to_string(ev.mod_revision - base) + ";";
    return s;
}

void test_etcd_watch_events(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string err;
    int64_t base = raw_etcd_revision(p.port), n = 0;
    sd_etcd_put(e, "/w/a", "1", 0, nullptr, &err);
    sd_etcd_put(e, "/w/b", "2", 0, nullptr, &err);
    sd_etcd_delete(e, "/w/a", &n, &err);
    sd_etcd_put(e, "/wx", "3", 0, nullptr, &err);
    sd_etcd_put(e, "/w/a", "4", 0, nullptr, &err);
    std::vector<sd_event> evs;
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/w/", true, base + 1, 4, T_MS, &evs, &err), SD_OK, "watch prefix /w/ for 4 events (%s)", err.c_str());
    NL_EXPECT_STREQ(events_text(evs, base), "PUT /w/a=1 @1;PUT /w/b=2 @2;DELETE /w/a= @3;PUT /w/a=4 @5;",
                    "events under /w/ from the first write (@n: revision after the watch's start)");
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/w/a", false, base + 1, 3, T_MS, &evs, &err), SD_OK, "watch key /w/a (%s)", err.c_str());
    NL_EXPECT_STREQ(events_text(evs, base), "PUT /w/a=1 @1;DELETE /w/a= @3;PUT /w/a=4 @5;", "events of the key /w/a alone");
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/w/", true, base + 3, 1, T_MS, &evs, &err), SD_OK, "watch from the delete's revision, 1 event");
    NL_EXPECT_STREQ(events_text(evs, base), "DELETE /w/a= @3;", "the first event from revision base+3");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_etcd_watch_timeout(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string err;
    int64_t base = raw_etcd_revision(p.port);
    std::vector<sd_event> evs(1);
    long t0 = peer_now_ms();
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/quiet", false, base + 1, 1, 600, &evs, &err), SD_TIMEOUT, "watch a key nobody writes, 600 ms");
    long took = peer_now_ms() - t0;
    NL_EXPECT_TRUE(took >= 500 && took < 15000, "the watch returned after its timeout (took %ld ms)", took);
    NL_EXPECT_EQ_INT(evs.size(), 0, "events of a watch that timed out");
    NL_EXPECT_TRUE(!err.empty(), "a message after SD_TIMEOUT");
    sd_etcd_put(e, "/quiet", "1", 0, nullptr, &err);
    sd_etcd_put(e, "/quiet", "2", 0, nullptr, &err);
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/quiet", false, base + 1, 5, 800, &evs, &err), SD_OK, "watch for 5 events when 2 exist");
    NL_EXPECT_STREQ(events_text(evs, base), "PUT /quiet=1 @1;PUT /quiet=2 @2;", "what a watch saw before its timeout");
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/quiet", false, base + 1, 0, 800, &evs, &err), SD_EINVAL, "watch for 0 events");
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/quiet", false, base + 1, 1, 0, &evs, &err), SD_EINVAL, "watch with a 0 ms timeout");
    int rc1 = sd_etcd_watch(e, "/quiet", false, base + 1, 1, 1, &evs, &err);
    NL_EXPECT_TRUE(rc1 == SD_OK || rc1 == SD_TIMEOUT, "watch with a 1 ms timeout: SD_OK or SD_TIMEOUT, got %d (%s)", rc1, err.c_str());
    NL_EXPECT_TRUE(raw_etcd_compact(p.port, base + 2), "the harness compacts etcd at base+2");
    t0 = peer_now_ms();
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/quiet", false, base + 1, 1, 8000, &evs, &err), SD_PROTOCOL,
                     "watch from a compacted revision (etcd cancels it)");
    took = peer_now_ms() - t0;
    NL_EXPECT_TRUE(took < 4000, "a canceled watch returns at once, not after its 8000 ms timeout (took %ld ms)", took);
    NL_EXPECT_TRUE(!err.empty(), "a message for a canceled watch");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_etcd_failover(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    uint16_t dead = peer_free_port(), dead2 = peer_free_port();
    std::string eps = "127.0.0.1:" + std::to_string(dead) + ",http://" + peer_addr(&p);
    sd_etcd *e = open_etcd(eps);
    std::string err, v;
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "k", "v", 0, nullptr, &err), SD_OK, "put with a dead first endpoint (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "k", &v, &err), SD_OK, "get with a dead first endpoint (%s)", err.c_str());
    NL_EXPECT_STREQ(v, "v", "get through the second endpoint");
    sd_etcd_close(e);
    std::string all_dead = "127.0.0.1:" + std::to_string(dead) + ",127.0.0.1:" + std::to_string(dead2);
    e = open_etcd(all_dead);
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "k", "v", 0, nullptr, &err), SD_UNAVAILABLE, "put with every endpoint dead");
    NL_EXPECT_CONTAINS(err, "127.0.0.1:" + std::to_string(dead), "the message names the first endpoint");
    NL_EXPECT_CONTAINS(err, "127.0.0.1:" + std::to_string(dead2), "the message names the second endpoint");
    sd_etcd_close(e);
    peer_stop(&p);
}

void test_etcd_open_limits(void **)
{
    sd_etcd *e = (sd_etcd *)&e;
    std::string err, eight = "a:1", nine;
    for (int i = 2; i <= 8; i++) eight += ",a:" + std::to_string(i);
    nine = eight + ",a:9";
    NL_EXPECT_EQ_INT(sd_etcd_open(&e, eight.c_str(), 100, &err), SD_OK, "open with 8 endpoints");
    NL_EXPECT_TRUE(e != nullptr, "a handle for 8 endpoints");
    sd_etcd_close(e);
    struct {
        const char *eps;
        int timeout;
    } bad[] = {{nine.c_str(), 100}, {"", 100}, {"a:1,,a:2", 100}, {"a:1,", 100}, {"a:1", 0}, {nullptr, 100}};
    for (auto &b : bad) {
        e = (sd_etcd *)&e;
        err.clear();
        NL_EXPECT_EQ_INT(sd_etcd_open(&e, b.eps, b.timeout, &err), SD_EINVAL, "open(\"%.30s\", %d ms)", b.eps ? b.eps : "(null)", b.timeout);
        NL_EXPECT_TRUE(e == nullptr, "*out is NULL after a refused open");
        NL_EXPECT_TRUE(!err.empty(), "a message for a refused open");
    }
    sd_etcd_close(nullptr);
    for (int c = -1; c <= 6; c++) {
        static const char *want[] = {"?", "ok", "not found", "invalid argument", "unavailable", "timeout", "protocol error", "?"};
        NL_EXPECT_STREQ(sd_code_name(c), want[c + 1], "sd_code_name(%d)", c);
    }
}

void test_etcd_bad_replies(void **)
{
    struct {
        const char *body, *why, *word;
    } cases[] = {{"not json", "a reply that is not JSON", ""},
                 {"[1,2]", "a JSON array", ""},
                 {"{\"error\":\"boom\",\"code\":9,\"message\":\"boom\"}", "an error with another gRPC code", "boom"},
                 {"{\"error\":\"e2\",\"code\":2,\"message\":\"unknown e2\"}", "gRPC code 2", "unknown e2"},
                 {"{\"error\":\"e4\",\"code\":4,\"message\":\"deadline e4\"}", "gRPC code 4", "deadline e4"},
                 {"{\"error\":\"e6\",\"code\":6,\"message\":\"exists e6\"}", "gRPC code 6", "exists e6"},
                 {"{\"code\":9}", "an error without a message", ""}};
    for (auto &c : cases) {
        fake_http f;
        if (!fake_http_start(&f, c.body)) NL_FAIL("could not start the harness's HTTP server");
        sd_etcd *e = open_etcd("127.0.0.1:" + std::to_string(f.port));
        std::string err, v = "kept";
        NL_EXPECT_EQ_INT(sd_etcd_put(e, "k", "v", 0, nullptr, &err), SD_PROTOCOL, "put answered with %s", c.why);
        NL_EXPECT_CONTAINS(err, c.word, "put's message for %s", c.why);
        NL_EXPECT_TRUE(!err.empty(), "a message for %s", c.why);
        NL_EXPECT_EQ_INT(sd_etcd_get(e, "k", &v, &err), SD_PROTOCOL, "get answered with %s", c.why);
        NL_EXPECT_STREQ(v, "kept", "*value after SD_PROTOCOL");
        int64_t n = 77, lease = 77, ttl = 77;
        std::vector<sd_kv> kvs(1);
        kvs[0].key = "kept";
        NL_EXPECT_EQ_INT(sd_etcd_delete(e, "k", &n, &err), SD_PROTOCOL, "delete answered with %s", c.why);
        NL_EXPECT_EQ_INT(n, 77, "*deleted after SD_PROTOCOL");
        NL_EXPECT_EQ_INT(sd_etcd_lease_grant(e, 5, &lease, &err), SD_PROTOCOL, "lease_grant answered with %s", c.why);
        NL_EXPECT_EQ_INT(lease, 77, "*lease after SD_PROTOCOL");
        NL_EXPECT_EQ_INT(sd_etcd_lease_keepalive(e, 5, &ttl, &err), SD_PROTOCOL, "lease_keepalive answered with %s", c.why);
        NL_EXPECT_EQ_INT(ttl, 77, "*ttl_s after SD_PROTOCOL");
        NL_EXPECT_EQ_INT(sd_etcd_lease_revoke(e, 5, &err), SD_PROTOCOL, "lease_revoke answered with %s", c.why);
        NL_EXPECT_EQ_INT(sd_etcd_get_prefix(e, "k", &kvs, &err), SD_PROTOCOL, "get_prefix answered with %s", c.why);
        NL_EXPECT_TRUE(kvs.size() == 1 && kvs[0].key == "kept", "*out after get_prefix's SD_PROTOCOL");
        sd_etcd_close(e);
        fake_http_stop(&f);
    }
    struct {
        const char *body;
        int want;
        const char *word;
    } coded[] = {{"{\"error\":\"x\",\"code\":5,\"message\":\"nothing here\"}", SD_NOT_FOUND, "nothing here"},
                 {"{\"error\":\"x\",\"code\":3,\"message\":\"bad arg\"}", SD_EINVAL, "bad arg"}};
    for (auto &c : coded) {
        fake_http f;
        if (!fake_http_start(&f, c.body)) NL_FAIL("could not start the harness's HTTP server");
        sd_etcd *e = open_etcd("127.0.0.1:" + std::to_string(f.port));
        std::string err, v = "kept";
        NL_EXPECT_EQ_INT(sd_etcd_get(e, "k", &v, &err), c.want, "get answered with %s", c.body);
        NL_EXPECT_CONTAINS(err, c.word, "get's message for %s", c.body);
        NL_EXPECT_STREQ(v, "kept", "*value after an error reply");
        sd_etcd_close(e);
        fake_http_stop(&f);
    }
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    sd_etcd *e = open_etcd(peer_addr(&p));
    std::string err;
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "", "v", 0, nullptr, &err), SD_EINVAL, "put with an empty key (etcd: key is not provided)");
    NL_EXPECT_CONTAINS(err, "key is not provided", "the message carries etcd's words");
    sd_etcd_close(e);
    peer_stop(&p);
}

// R4: the order endpoints are tried in, which failures move on, and that each is tried once per call.
void test_etcd_endpoint_order(void **)
{
    sd_peer p;
    START_PEER(peer_etcd_start, p);
    std::string err, v;
    // An endpoint that answers, even garbage, ends the call: the first one is asked first.
    fake_http junk;
    if (!fake_http_start(&junk, "not json")) NL_FAIL("could not start the harness's HTTP server");
    sd_etcd *e = open_etcd("127.0.0.1:" + std::to_string(junk.port) + "," + peer_addr(&p));
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "k0", "v0", 0, nullptr, &err), SD_PROTOCOL, "put when the first endpoint answers garbage");
    NL_EXPECT_EQ_INT(fake_http_requests(&junk), 1, "requests the first endpoint got");
    bool found = true;
    raw_value(p.port, "k0", &found);
    NL_EXPECT_TRUE(!found, "k0 not written through the second endpoint");
    sd_etcd_close(e);
    fake_http_stop(&junk);
    // A connection closed without a reply and a refused one both move on; each is tried once.
    fake_http closer, late;
    if (!fake_http_start(&closer, "", FAKE_CLOSE) || !fake_http_bind(&late)) NL_FAIL("could not start the harness's HTTP server");
    std::string eps = endpoint(closer.port) + "," + endpoint(late.port) + "," + peer_addr(&p);
    e = open_etcd(eps);
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "k1", "v1", 0, nullptr, &err), SD_OK, "put via [closes, refuses, etcd] (%s)", err.c_str());
    NL_EXPECT_EQ_INT(fake_http_requests(&closer), 1, "requests the closing endpoint got");
    NL_EXPECT_STREQ(raw_value(p.port, "k1", &found), "v1", "k1 in etcd");
    // The refusing endpoint comes to life as a wrong server: the next calls start with etcd, which
    // answered last, so neither of the first two is asked again.
    if (!fake_http_listen(&late, "not json", FAKE_ANSWER)) NL_FAIL("could not start the harness's HTTP server");
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "k2", "v2", 0, nullptr, &err), SD_OK, "second put: etcd answered last (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "k2", &v, &err), SD_OK, "get k2 (%s)", err.c_str());
    NL_EXPECT_STREQ(v, "v2", "get k2");
    NL_EXPECT_EQ_INT(fake_http_requests(&closer), 1, "requests the closing endpoint got in all");
    NL_EXPECT_EQ_INT(fake_http_requests(&late), 0, "requests the endpoint that refused got once it listens");
    sd_etcd_close(e);
    fake_http_stop(&late);
    // Half a reply then a reset moves on too, and what the reset endpoint sent is not part of the answer.
    fake_http half;
    if (!fake_http_start(&half, "{\"kvs\":[{\"key\":\"azI=\",\"value\":\"", FAKE_PARTIAL_RESET)) NL_FAIL("could not start the harness's HTTP server");
    e = open_etcd("127.0.0.1:" + std::to_string(half.port) + "," + peer_addr(&p));
    v = "";
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "k1", &v, &err), SD_OK, "get via [half a reply then reset, etcd] (%s)", err.c_str());
    NL_EXPECT_STREQ(v, "v1", "get k1 through the second endpoint");
    sd_etcd_close(e);
    fake_http_stop(&half);
    // None accepts: every endpoint named, each tried once.
    fake_http refuser, closer2;
    int before = fake_http_requests(&closer);
    if (!fake_http_bind(&refuser) || !fake_http_start(&closer2, "", FAKE_CLOSE)) NL_FAIL("could not start the harness's HTTP server");
    e = open_etcd(endpoint(closer.port) + "," + endpoint(refuser.port) + "," + endpoint(closer2.port));
    NL_EXPECT_EQ_INT(sd_etcd_put(e, "k3", "v3", 0, nullptr, &err), SD_UNAVAILABLE, "put when no endpoint answers");
    for (uint16_t port : {closer.port, refuser.port, closer2.port})
        NL_EXPECT_TRUE(names_port(err, port), "the message names the endpoint on port %u: %s", port, err.c_str());
    NL_EXPECT_EQ_INT(fake_http_requests(&closer) - before, 1, "connections to the first endpoint in one call");
    NL_EXPECT_EQ_INT(fake_http_requests(&closer2), 1, "connections to the third endpoint in one call");
    std::vector<sd_event> evs(1);
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "k", false, 1, 1, T_MS, &evs, &err), SD_UNAVAILABLE, "watch when no endpoint answers");
    NL_EXPECT_TRUE(names_port(err, refuser.port), "the watch's message names the refusing endpoint: %s", err.c_str());
    sd_etcd_close(e);
    fake_http_stop(&closer);
    fake_http_stop(&closer2);
    close(refuser.fd);
    peer_stop(&p);
}

// R29: timeout_ms bounds each request; R3: 1 ms is a valid timeout.
void test_etcd_request_timeout(void **)
{
    sd_etcd *e = nullptr;
    std::string err;
    NL_EXPECT_EQ_INT(sd_etcd_open(&e, "127.0.0.1:1", 1, &err), SD_OK, "open with a 1 ms timeout (%s)", err.c_str());
    NL_EXPECT_TRUE(e != nullptr, "a handle with a 1 ms timeout");
    sd_etcd_close(e);
    fake_http mute;
    if (!fake_http_start(&mute, "", FAKE_SILENT)) NL_FAIL("could not start the harness's HTTP server");
    if (sd_etcd_open(&e, ("127.0.0.1:" + std::to_string(mute.port)).c_str(), 700, &err) != SD_OK) NL_FAIL("open: %s", err.c_str());
    std::string v = "kept";
    long t0 = peer_now_ms();
    NL_EXPECT_EQ_INT(sd_etcd_get(e, "k", &v, &err), SD_TIMEOUT, "get from an endpoint that never answers (700 ms)");
    long took = peer_now_ms() - t0;
    NL_EXPECT_TRUE(took >= 600 && took < 15000, "the get gave up after its 700 ms timeout (took %ld ms)", took);
    NL_EXPECT_TRUE(!err.empty(), "a message after SD_TIMEOUT");
    NL_EXPECT_STREQ(v, "kept", "*value after SD_TIMEOUT");
    NL_EXPECT_EQ_INT(fake_http_requests(&mute), 1, "connections to the silent endpoint");
    sd_etcd_close(e);
    fake_http_stop(&mute);
}

// R10, R12: replies only a scripted gateway gives on demand: a lease whose remaining TTL is 1 s, and
// a watch stream whose lines arrive together in one read.
void test_etcd_fake_gateway(void **)
{
    fake_http f;
    if (!fake_http_start(&f, "{\"header\":{\"revision\":\"9\"},\"result\":{\"ID\":\"7\",\"TTL\":\"1\"}}"))
        NL_FAIL("could not start the harness's HTTP server");
    sd_etcd *e = open_etcd(endpoint(f.port));
    std::string err;
    int64_t ttl = 0;
    NL_EXPECT_EQ_INT(sd_etcd_lease_keepalive(e, 7, &ttl, &err), SD_OK, "keepalive answered with TTL 1 (%s)", err.c_str());
    NL_EXPECT_EQ_INT(ttl, 1, "*ttl_s of a keep-alive answered with TTL 1");
    sd_etcd_close(e);
    fake_http_stop(&f);
    // created, then two events (a put without "type", a delete) and a third, in one body.
    std::string stream = "{\"result\":{\"header\":{\"revision\":\"4\"},\"created\":true}}\n"
                         "{\"result\":{\"events\":[{\"kv\":{\"key\":\"L3cvYQ==\",\"value\":\"MQ==\",\"mod_revision\":\"2\"}},"
                         "{\"type\":\"DELETE\",\"kv\":{\"key\":\"L3cvYQ==\",\"mod_revision\":\"3\"}}]}}\n"
                         "{\"result\":{\"events\":[{\"kv\":{\"key\":\"L3cvYg==\",\"value\":\"Mg==\",\"mod_revision\":\"4\"}}]}}\n";
    if (!fake_http_start(&f, stream)) NL_FAIL("could not start the harness's HTTP server");
    e = open_etcd(endpoint(f.port));
    std::vector<sd_event> evs;
    NL_EXPECT_EQ_INT(sd_etcd_watch(e, "/w/", true, 2, 3, T_MS, &evs, &err), SD_OK, "watch for 3 events (%s)", err.c_str());
    NL_EXPECT_STREQ(events_text(evs, 0), "PUT /w/a=1 @2;DELETE /w/a= @3;PUT /w/b=2 @4;", "the events of lines read together");
    sd_etcd_close(e);
    fake_http_stop(&f);
}
