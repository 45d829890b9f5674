// test_zk.cpp — EX29's third real backend, ZooKeeper (Consul is not in Debian 12): registrations
// are ephemeral znodes, checked with the harness's own ZooKeeper handle, and vanish with the session.
#include "ex29_tests.h"

#define THREADED
#include <zookeeper/zookeeper.h>

#include <dirent.h>
#include <time.h>

void test_consul_rs(void **);
void test_zk_ephemeral(void **);
void test_zk_unavailable(void **);

// The entries of a /proc/self folder (threads in "task", descriptors in "fd").
static int proc_count(const char *what)
{
    DIR *dir = opendir((std::string("/proc/self/") + what).c_str());
    int n = 0;
    while (dir && readdir(dir)) n++;
    if (dir) closedir(dir);
    return n;
}

static sd_zk *open_zk(const sd_peer &p)
{
    sd_zk *z = nullptr;
    std::string err;
    int rc = sd_zk_open(&z, peer_addr(&p).c_str(), 20000, &err);
    if (rc != SD_OK || !z) NL_FAIL("sd_zk_open(%s): expected SD_OK, got %d (%s)", peer_addr(&p).c_str(), rc, err.c_str());
    return z;
}

// The harness's view of a znode: its data and whether it is ephemeral ("" when absent).
static std::string znode(const sd_peer &p, const std::string &path)
{
    zoo_set_debug_level((ZooLogLevel)0);
    zhandle_t *zh = zookeeper_init(peer_addr(&p).c_str(), nullptr, 10000, nullptr, nullptr, 0);
    char buf[512];
    int len = sizeof buf;
    Stat st;
    int rc = ZCONNECTIONLOSS;
    for (int i = 0; i < 200 && rc == ZCONNECTIONLOSS; i++) {  // the handle connects in the background
        len = sizeof buf;
        rc = zoo_get(zh, path.c_str(), 0, buf, &len, &st);
        if (rc == ZCONNECTIONLOSS) {
            timespec t = {0, 50000000};
            nanosleep(&t, nullptr);
        }
    }
    zookeeper_close(zh);
    if (rc == ZNONODE) return "";
    if (rc != ZOK) NL_FAIL("the harness could not read znode %s: %s", path.c_str(), zerror(rc));
    return std::string(buf, len > 0 ? len : 0) + (st.ephemeralOwner ? " (ephemeral)" : " (persistent)");
}

void test_consul_rs(void **)
{
    sd_peer p;
    START_PEER(peer_zk_start, p);
    sd_zk *z = open_zk(p);
    std::string err;
    NL_EXPECT_EQ_INT(sd_zk_register(z, "my-service", "127.0.0.1:8080", &err), SD_OK, "register my-service (%s)", err.c_str());
    NL_EXPECT_STREQ(znode(p, "/services/my-service/127.0.0.1:8080"), "127.0.0.1:8080 (ephemeral)", "the znode of the registration");
    std::vector<std::string> out(1, "stale");
    NL_EXPECT_EQ_INT(sd_zk_discover(z, "my-service", &out, &err), SD_OK, "discover my-service (%s)", err.c_str());
    NL_EXPECT_STREQ(ex29_join(out), ex29_join({"127.0.0.1:8080"}), "discover my-service");
    sd_zk_close(z);
    peer_stop(&p);
}

void test_zk_ephemeral(void **)
{
    sd_peer p;
    START_PEER(peer_zk_start, p);
    sd_zk *a = open_zk(p), *b = open_zk(p);
    std::string err;
    NL_EXPECT_EQ_INT(sd_zk_register(a, "web", "10.0.0.2:80", &err), SD_OK, "A registers web 10.0.0.2:80 (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_zk_register(a, "web", "10.0.0.1:80", &err), SD_OK, "A registers web 10.0.0.1:80 (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_zk_register(b, "web", "10.0.0.3:80", &err), SD_OK, "B registers web 10.0.0.3:80 (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_zk_register(b, "api", "10.0.0.4:81", &err), SD_OK, "B registers api (%s)", err.c_str());
    NL_EXPECT_EQ_INT(sd_zk_register(b, "web", "10.0.0.1:80", &err), SD_EINVAL, "B registers A's address again");
    NL_EXPECT_EQ_INT(sd_zk_register(b, "web", "a/b", &err), SD_EINVAL, "register address 'a/b'");
    NL_EXPECT_STREQ(znode(p, "/services/web"), " (persistent)", "the service's znode (a persistent parent)");
    std::vector<std::string> out;
    NL_EXPECT_EQ_INT(sd_zk_discover(b, "web", &out, &err), SD_OK, "B discovers web (%s)", err.c_str());
    NL_EXPECT_STREQ(ex29_join(out), ex29_join({"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"}), "web from both sessions, sorted");
    sd_zk_close(a);
    NL_EXPECT_EQ_INT(sd_zk_discover(b, "web", &out, &err), SD_OK, "B discovers web after A closed (%s)", err.c_str());
    NL_EXPECT_STREQ(ex29_join(out), ex29_join({"10.0.0.3:80"}), "web once A's session ended");
    NL_EXPECT_STREQ(znode(p, "/services/web/10.0.0.1:80"), "", "A's znode after A closed");
    NL_EXPECT_EQ_INT(sd_zk_discover(b, "db", &out, &err), SD_NOT_FOUND, "discover a service never registered");
    sd_zk *c = open_zk(p);
    NL_EXPECT_EQ_INT(sd_zk_register(c, "solo", "10.0.0.5:1", &err), SD_OK, "C registers solo");
    sd_zk_close(c);
    NL_EXPECT_EQ_INT(sd_zk_discover(b, "solo", &out, &err), SD_NOT_FOUND, "discover solo once its only instance left");
    NL_EXPECT_EQ_INT(sd_zk_discover(b, "", &out, &err), SD_EINVAL, "discover ''");
    // Children come back sorted whatever order the server keeps them in.
    const char *many[] = {"10.0.0.10:80", "9.9.9.9:1", "z:1", "10.0.0.9:80", "a:1", "10.0.0.100:8080", "m:1", "10.0.0.1:80"};
    for (const char *addr : many) NL_EXPECT_EQ_INT(sd_zk_register(b, "many", addr, &err), SD_OK, "B registers many %s (%s)", addr, err.c_str());
    NL_EXPECT_EQ_INT(sd_zk_discover(b, "many", &out, &err), SD_OK, "discover many (%s)", err.c_str());
    NL_EXPECT_STREQ(ex29_join(out), ex29_join({"10.0.0.100:8080", "10.0.0.10:80", "10.0.0.1:80", "10.0.0.9:80", "9.9.9.9:1", "a:1", "m:1", "z:1"}),
                    "the 8 instances of many, sorted bytewise");
    // The server gone: a register or a discover is SD_UNAVAILABLE with a message.
    peer_stop(&p);
    err.clear();
    NL_EXPECT_EQ_INT(sd_zk_register(b, "late", "10.0.0.6:1", &err), SD_UNAVAILABLE, "register once the server is gone");
    NL_EXPECT_TRUE(!err.empty(), "a message for a register without a server");
    err.clear();
    NL_EXPECT_EQ_INT(sd_zk_discover(b, "many", &out, &err), SD_UNAVAILABLE, "discover once the server is gone");
    NL_EXPECT_TRUE(!err.empty(), "a message for a discover without a server");
    sd_zk_close(b);
}

void test_zk_unavailable(void **)
{
    sd_zk *z = (sd_zk *)&z;
    std::string err;
    int threads = -1, fds = -1;
    timespec t0, t1;
    std::string hosts = "127.0.0.1:" + std::to_string(peer_free_port());
    clock_gettime(CLOCK_MONOTONIC, &t0);
    NL_EXPECT_EQ_INT(sd_zk_open(&z, hosts.c_str(), 800, &err), SD_UNAVAILABLE, "open %s where nothing listens", hosts.c_str());
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    NL_EXPECT_TRUE(ms >= 700 && ms < 15000, "open gave up after its 800 ms timeout (took %ld ms)", ms);
    NL_EXPECT_TRUE(z == nullptr, "*out after a failed open");
    NL_EXPECT_CONTAINS(err, hosts, "the message names the hosts");
    // The baseline once a first client came and went: a sanitizer's own helper thread starts with the first thread.
    threads = proc_count("task");
    fds = proc_count("fd");
    // The deadline at whole seconds and just below them: returned after timeout_ms, within a second.
    for (int timeout : {1000, 1999}) {
        z = (sd_zk *)&z;
        long t0 = peer_now_ms();
        NL_EXPECT_EQ_INT(sd_zk_open(&z, hosts.c_str(), timeout, &err), SD_UNAVAILABLE, "open %s, %d ms", hosts.c_str(), timeout);
        long took = peer_now_ms() - t0;
        NL_EXPECT_TRUE(took >= timeout - 100 && took < timeout + 900, "open gave up after its %d ms timeout, within a second (took %ld ms)",
                       timeout, took);
        NL_EXPECT_TRUE(z == nullptr, "*out after a failed open (%d ms)", timeout);
    }
    NL_EXPECT_EQ_INT(sd_zk_open(&z, "", 800, &err), SD_EINVAL, "open with no hosts");
    z = (sd_zk *)&z;
    err.clear();
    NL_EXPECT_EQ_INT(sd_zk_open(&z, "127.0.0.1", 800, &err), SD_EINVAL, "open with a host without its port");
    NL_EXPECT_TRUE(z == nullptr, "*out after a host list the client refuses");
    NL_EXPECT_TRUE(!err.empty(), "a message for a host list the client refuses");
    NL_EXPECT_EQ_INT(sd_zk_open(&z, hosts.c_str(), 0, &err), SD_EINVAL, "open with a 0 ms timeout");
    NL_EXPECT_EQ_INT(sd_zk_open(&z, nullptr, 800, &err), SD_EINVAL, "open with NULL hosts");
    NL_EXPECT_EQ_INT(sd_zk_open(&z, hosts.c_str(), 1, &err), SD_UNAVAILABLE, "open %s with a 1 ms timeout (a valid timeout)", hosts.c_str());
    // A failed open leaves nothing running: the client's threads and its socket are gone.
    NL_EXPECT_EQ_INT(proc_count("task"), threads, "threads after the failed opens (as before them)");
    NL_EXPECT_EQ_INT(proc_count("fd"), fds, "descriptors after the failed opens (as before them)");
    sd_zk_close(nullptr);
}
