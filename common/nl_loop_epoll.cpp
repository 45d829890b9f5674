// nl_loop_epoll.cpp — epoll backend, level-triggered. An fd watched with no events is taken out
// of the epoll set, since epoll would keep reporting its hang-up and spin the loop.
#include "nl_loop_internal.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/epoll.h>
#include <unistd.h>

struct epoll_impl {
    int epfd;
    std::vector<struct epoll_event> events;
};

static epoll_impl *impl_of(nl_loop *loop) { return (epoll_impl *)loop->impl; }

static int ep_init(nl_loop *loop, char *err, size_t errlen)
{
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) {
        if (err && errlen) snprintf(err, errlen, "epoll_create1: %s", strerror(errno));
        return -1;
    }
    epoll_impl *im = new epoll_impl;
    im->epfd = fd;
    im->events.resize(256);
    loop->impl = im;
    return 0;
}

static void ep_destroy(nl_loop *loop)
{
    close(impl_of(loop)->epfd);
    delete impl_of(loop);
}

static int ep_update(nl_loop *loop, int fd, nl_watch *w)
{
    epoll_impl *im = impl_of(loop);
    if (w->events == 0) {
        if (w->inflight && epoll_ctl(im->epfd, EPOLL_CTL_DEL, fd, nullptr) < 0) return -1;
        w->inflight = false;
        return 0;
    }
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    // EPOLLRDHUP only with input interest: a writer-only watch would otherwise be woken (and
    // spin, level-triggered) by a peer that merely finished sending.
    ev.events = ((w->events & NL_READABLE) ? (uint32_t)(EPOLLIN | EPOLLRDHUP) : 0u) |
                ((w->events & NL_WRITABLE) ? (uint32_t)EPOLLOUT : 0u);
    ev.data.u64 = (uint64_t)(uint32_t)fd << 32 | w->gen;
    if (epoll_ctl(im->epfd, w->inflight ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) return -1;
    w->inflight = true;  // "in the epoll set"
    return 0;
}

static int ep_remove(nl_loop *loop, int fd, nl_watch *w)
{
    if (!w->inflight) return 0;
    w->inflight = false;
    return epoll_ctl(impl_of(loop)->epfd, EPOLL_CTL_DEL, fd, nullptr);
}

static int ep_wait(nl_loop *loop, int timeout_ms, std::vector<nl_ready> *out)
{
    epoll_impl *im = impl_of(loop);
    int n = epoll_wait(im->epfd, im->events.data(), (int)im->events.size(), timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) {
        uint32_t e = im->events[(size_t)i].events;
        nl_ready r;
        r.fd = (int)(im->events[(size_t)i].data.u64 >> 32);
        r.gen = (uint32_t)im->events[(size_t)i].data.u64;
        r.events = ((e & EPOLLIN) ? NL_READABLE : 0) | ((e & EPOLLOUT) ? NL_WRITABLE : 0) |
                   ((e & (EPOLLERR | EPOLLHUP)) ? NL_HANGUP : 0) | ((e & EPOLLRDHUP) ? NL_READABLE : 0);
        r.tag = 0;
        out->push_back(r);
    }
    if ((size_t)n == im->events.size()) im->events.resize(im->events.size() * 2);
    return 0;
}

const nl_backend_ops nl_epoll_ops = {ep_init, ep_destroy, ep_update, ep_remove, ep_wait, nullptr};
