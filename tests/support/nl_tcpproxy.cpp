// nl_tcpproxy.cpp — one poll() thread per proxy; a cut takes effect under the proxy's lock and the
// caller waits until the thread has seen it, so a test knows the partition is in place.
#include "nl_tcpproxy.h"

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {
struct plink {
    int down = -1;        // the sender's side (accepted)
    int up = -1;          // towards the target
    long tag = -1;        // -1: not classified yet
    std::string head;     // bytes held until the sender is known
    bool hole = false;    // blackholed: discard everything
};
} // namespace

struct nl_tcpproxy {
    uint16_t target = 0;
    uint16_t port = 0;
    int lfd = -1;
    int wake[2] = {-1, -1};
    nl_tcpproxy_classify classify = nullptr;
    pthread_t th;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    std::map<long, nl_tcpproxy_mode> modes;   // guarded by mu
    bool heal_pending = false;                 // guarded by mu
    uint64_t gen = 0, seen = 0;                // requests / applied, guarded by mu
    bool stop = false;                         // guarded by mu
    unsigned links_total = 0;
    std::vector<plink> links;                   // the thread's own
};

static nl_tcpproxy_mode mode_of(nl_tcpproxy *p, long tag)
{
    auto all = p->modes.find(NL_PROXY_ALL);
    if (all != p->modes.end() && all->second != NL_PROXY_PASS)
        return all->second;
    auto it = p->modes.find(tag);
    return it == p->modes.end() ? NL_PROXY_PASS : it->second;
}

static bool send_all(int fd, const char *b, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        b += w;
        n -= (size_t)w;
    }
    return true;
}

static void close_link(plink *l)
{
    if (l->down >= 0)
        close(l->down);
    if (l->up >= 0)
        close(l->up);
    l->down = l->up = -1;
}

// Applies the current modes to a classified link: false when it must be closed.
static bool apply_mode(nl_tcpproxy *p, plink *l)
{
    nl_tcpproxy_mode m = mode_of(p, l->tag);
    if (m == NL_PROXY_DROP)
        return false;
    if (m == NL_PROXY_BLACKHOLE)
        l->hole = true;
    return true;
}

static void accept_one(nl_tcpproxy *p)
{
    int fd = accept(p->lfd, nullptr, nullptr);
    if (fd < 0)
        return;
    int up = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(p->target);
    if (up < 0 || connect(up, (struct sockaddr *)&a, sizeof a) != 0) {
        if (up >= 0)
            close(up);
        close(fd);
        return;
    }
    struct timeval tv = {1, 0};   // a stuck receiver costs its link, never the proxy thread
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(up, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(up, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    plink l;
    l.down = fd;
    l.up = up;
    if (!p->classify)
        l.tag = -2;
    p->links.push_back(l);
    p->links_total++;
}

// Bytes from the sender: classify first, then forward unless cut. False: close the link.
static bool from_down(nl_tcpproxy *p, plink *l, const char *buf, size_t n)
{
    if (l->tag == -1) {
        l->head.append(buf, n);
        long t = p->classify((const uint8_t *)l->head.data(), l->head.size());
        if (t == -1 && l->head.size() < 64)
            return true;
        l->tag = t < 0 ? -2 : t;
        pthread_mutex_lock(&p->mu);
        bool keep = apply_mode(p, l);
        pthread_mutex_unlock(&p->mu);
        if (!keep)
            return false;
        std::string h;
        h.swap(l->head);
        return l->hole || send_all(l->up, h.data(), h.size());
    }
    return l->hole || send_all(l->up, buf, n);
}

static void *proxy_main(void *arg)
{
    nl_tcpproxy *p = (nl_tcpproxy *)arg;
    char buf[65536];
    for (;;) {
        pthread_mutex_lock(&p->mu);
        if (p->stop) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        if (p->seen != p->gen) {
            for (plink &l : p->links) {
                if (l.down < 0)
                    continue;
                if (p->heal_pending && l.hole)
                    close_link(&l);
                else if (l.tag != -1 && !apply_mode(p, &l))
                    close_link(&l);
            }
            p->heal_pending = false;
            p->seen = p->gen;
            pthread_cond_broadcast(&p->cv);
        }
        pthread_mutex_unlock(&p->mu);
        std::vector<plink> keep;
        for (plink &l : p->links)
            if (l.down >= 0)
                keep.push_back(l);
        p->links.swap(keep);
        std::vector<struct pollfd> fds;
        fds.push_back({p->wake[0], POLLIN, 0});
        fds.push_back({p->lfd, POLLIN, 0});
        for (plink &l : p->links) {
            fds.push_back({l.down, POLLIN, 0});
            fds.push_back({l.up, POLLIN, 0});
        }
        if (poll(fds.data(), fds.size(), 200) < 0 && errno != EINTR)
            break;
        if (fds[0].revents) {
            char c[64];
            while (read(p->wake[0], c, sizeof c) > 0) {
            }
        }
        if (fds[1].revents & POLLIN)
            accept_one(p);
        for (size_t i = 0; i < p->links.size() && 2 + 2 * i < fds.size(); i++) {
            plink &l = p->links[i];
            for (int side = 0; side < 2 && l.down >= 0; side++) {
                if (!(fds[2 + 2 * i + side].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                int from = side == 0 ? l.down : l.up;
                ssize_t n = recv(from, buf, sizeof buf, 0);
                if (n <= 0) {
                    close_link(&l);
                    break;
                }
                bool ok = side == 0 ? from_down(p, &l, buf, (size_t)n)
                                    : (l.hole || l.tag == -1 || send_all(l.down, buf, (size_t)n));
                if (!ok)
                    close_link(&l);
            }
        }
    }
    for (plink &l : p->links)
        close_link(&l);
    return nullptr;
}

nl_tcpproxy *nl_tcpproxy_start(uint16_t target_port, nl_tcpproxy_classify classify)
{
    nl_tcpproxy *p = new nl_tcpproxy;
    p->target = target_port;
    p->classify = classify;
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int one = 1;
    if (p->lfd >= 0)
        setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(p->lfd, 64) != 0 ||
        getsockname(p->lfd, (struct sockaddr *)&a, &len) != 0 || pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        if (p->lfd >= 0)
            close(p->lfd);
        delete p;
        return nullptr;
    }
    p->port = ntohs(a.sin_port);
    if (pthread_create(&p->th, nullptr, proxy_main, p) != 0) {
        close(p->lfd);
        close(p->wake[0]);
        close(p->wake[1]);
        delete p;
        return nullptr;
    }
    return p;
}

uint16_t nl_tcpproxy_port(const nl_tcpproxy *p)
{
    return p->port;
}

unsigned nl_tcpproxy_links(const nl_tcpproxy *p)
{
    return p->links_total;
}

static void request(nl_tcpproxy *p)
{
    uint64_t want = ++p->gen;
    if (write(p->wake[1], "x", 1) < 0) {
        // the pipe is full: the thread is awake anyway
    }
    while (p->seen < want)
        pthread_cond_wait(&p->cv, &p->mu);
}

void nl_tcpproxy_set(nl_tcpproxy *p, long tag, nl_tcpproxy_mode mode)
{
    pthread_mutex_lock(&p->mu);
    p->modes[tag] = mode;
    request(p);
    pthread_mutex_unlock(&p->mu);
}

void nl_tcpproxy_heal(nl_tcpproxy *p)
{
    pthread_mutex_lock(&p->mu);
    p->modes.clear();
    p->heal_pending = true;
    request(p);
    pthread_mutex_unlock(&p->mu);
}

void nl_tcpproxy_stop(nl_tcpproxy *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_mutex_unlock(&p->mu);
    if (write(p->wake[1], "x", 1) < 0) {
    }
    pthread_join(p->th, nullptr);
    close(p->lfd);
    close(p->wake[0]);
    close(p->wake[1]);
    delete p;
}

long nl_tcpproxy_raft_peer_id(const uint8_t *head, size_t len)
{
    if (len < 16)
        return -1;
    uint64_t proto = 0, id = 0;
    for (int i = 0; i < 8; i++) {
        proto |= (uint64_t)head[i] << (8 * i);
        id |= (uint64_t)head[8 + i] << (8 * i);
    }
    if (proto != 1 || id == 0 || id > 1000000)
        return -2;
    return (long)id;
}
