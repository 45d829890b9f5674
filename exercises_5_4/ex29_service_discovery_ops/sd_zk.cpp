// sd_zk.cpp — EX29: the third real backend (Consul is not in Debian 12): ZooKeeper through its
// multi-threaded C client. An instance is an ephemeral znode, so it disappears with its session.
#include "service_discovery.h"

#define THREADED  // the synchronous calls of libzookeeper_mt
#include <zookeeper/zookeeper.h>

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <cstring>

struct sd_zk {
    zhandle_t *zh = nullptr;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
    int state = 0;  // the last session state the client thread reported
};

namespace {

const int SESSION_TIMEOUT_MS = 10000;

// No watch is ever set, so every event this watcher gets is a session event.
void on_session(zhandle_t *, int, int state, const char *, void *ctx)
{
    sd_zk *z = (sd_zk *)ctx;
    pthread_mutex_lock(&z->lock);
    z->state = state;
    pthread_cond_broadcast(&z->changed);
    pthread_mutex_unlock(&z->lock);
}

int fail(std::string *err, int code, const std::string &why)
{
    if (err) *err = why;
    return code;
}

int zk_error(std::string *err, int zrc, const std::string &what)
{
    int code = zrc == ZNONODE ? SD_NOT_FOUND : zrc == ZNODEEXISTS ? SD_EINVAL : SD_UNAVAILABLE;
    return fail(err, code, "zookeeper: " + what + ": " + zerror(zrc));
}

}  // namespace

int sd_zk_open(sd_zk **out, const char *hosts, int timeout_ms, std::string *err)
{
    *out = nullptr;
    if (!hosts || !*hosts || timeout_ms < 1) return fail(err, SD_EINVAL, "zookeeper: need hosts and a timeout >= 1 ms");
    zoo_set_debug_level((ZooLogLevel)0);  // the client thread logs every reconnect attempt otherwise
    sd_zk *z = new sd_zk;
    z->zh = zookeeper_init(hosts, on_session, SESSION_TIMEOUT_MS, nullptr, z, 0);
    if (!z->zh) {
        delete z;
        return fail(err, SD_EINVAL, std::string("zookeeper: bad host list '") + hosts + "'");
    }
    timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&z->lock);
    while (z->state != ZOO_CONNECTED_STATE && pthread_cond_timedwait(&z->changed, &z->lock, &until) == 0) {
    }
    bool up = z->state == ZOO_CONNECTED_STATE;
    pthread_mutex_unlock(&z->lock);
    if (!up) {
        sd_zk_close(z);
        return fail(err, SD_UNAVAILABLE, std::string("zookeeper: no session with ") + hosts + " within the timeout");
    }
    *out = z;
    return SD_OK;
}

void sd_zk_close(sd_zk *z)
{
    if (!z) return;
    zookeeper_close(z->zh);
    delete z;
}

int sd_zk_register(sd_zk *z, const char *service, const char *address, std::string *err)
{
    if (sd_check_name("service", service, err) || sd_check_name("address", address, err)) return SD_EINVAL;
    std::string dir = std::string("/services/") + service, node = dir + "/" + address;
    // The parents are persistent and may exist already (another instance made them).
    for (const std::string &p : {std::string("/services"), dir}) {
        int rc = zoo_create(z->zh, p.c_str(), nullptr, -1, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
        if (rc != ZOK && rc != ZNODEEXISTS) return zk_error(err, rc, "create " + p);
    }
    int rc = zoo_create(z->zh, node.c_str(), address, (int)strlen(address), &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL,
                        nullptr, 0);
    return rc == ZOK ? SD_OK : zk_error(err, rc, "create " + node);
}

int sd_zk_discover(sd_zk *z, const char *service, std::vector<std::string> *out, std::string *err)
{
    if (sd_check_name("service", service, err)) return SD_EINVAL;
    std::string dir = std::string("/services/") + service;
    String_vector kids{0, nullptr};
    int rc = zoo_get_children(z->zh, dir.c_str(), 0, &kids);
    if (rc != ZOK) return zk_error(err, rc, "list " + dir);
    out->assign(kids.data, kids.data + kids.count);
    deallocate_String_vector(&kids);
    std::sort(out->begin(), out->end());
    if (out->empty()) return fail(err, SD_NOT_FOUND, std::string("zookeeper: no instance of '") + service + "'");
    return SD_OK;
}

static int zk_backend(void *ctx, const char *service, std::vector<std::string> *out, std::string *err)
{
    return sd_zk_discover((sd_zk *)ctx, service, out, err);
}

sd_backend sd_backend_zk(sd_zk *z)
{
    return sd_backend{"zookeeper", z, zk_backend};
}
