// nl_cq_epoll.cpp — the completion API emulated on readiness: nl_loop's epoll backend says when
// an fd is ready, and this file makes the calls (accept4, recv, send) and reports their results
// as completions. Queued sends leave from a 0 ms timer, which runs after this turn's I/O.
#include "nl_cq_internal.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <sys/socket.h>

struct ep_timer {
    nl_cq *q;
    nl_cq_timer_cb cb;
    void *arg;
};

struct ep_impl {
    nl_loop *loop = nullptr;
    uint64_t flush_timer = 0;
    std::map<uint64_t, ep_timer> timers;  // nl_loop's timer id -> the callback to run
    std::vector<char> rbuf;
};

static ep_impl *impl_of(nl_cq *q) { return (ep_impl *)q->impl; }

static int ep_init(nl_cq *q, char *err, size_t errlen)
{
    ep_impl *im = new ep_impl;
    im->loop = nl_loop_create(NL_BACKEND_EPOLL, err, errlen);
    if (!im->loop) {
        delete im;
        return -1;
    }
    im->rbuf.resize(nl_cq_uring_bufsize);  // the same chunk size as io_uring's ring buffers
    q->impl = im;
    return 0;
}

static void ep_destroy(nl_cq *q)
{
    nl_loop_destroy(impl_of(q)->loop);
    delete impl_of(q);
}

static void on_ready(nl_loop *loop, int fd, int events, void *arg);

static int set_events(nl_cq *q, int fd, nl_cq_slot *s, int events)
{
    if (s->events == events) return 0;
    if (nl_loop_watch(impl_of(q)->loop, fd, events, on_ready, q) < 0) return -1;
    s->events = events;
    return 0;
}

static int ep_arm_read(nl_cq *q, int fd, nl_cq_slot *s)
{
    s->events = -1;  // force the first registration
    return set_events(q, fd, s, NL_READABLE);
}

static void ep_forget(nl_cq *q, int fd, nl_cq_slot *s)
{
    (void)s;
    nl_loop_unwatch(impl_of(q)->loop, fd);
}

// Sends what the socket takes now; the rest waits for writable.
static void flush_fd(nl_cq *q, int fd, nl_cq_slot *s)
{
    uint32_t gen = s->gen;
    if (nl_outbuf_flush(&s->out, fd) < 0) {
        int err = -errno;
        set_events(q, fd, s, s->armed ? NL_READABLE : 0);
        s->sending = false;
        nl_cq_sent_done(q, fd, err);
        return;
    }
    bool left = nl_outbuf_pending(&s->out) > 0;
    s->sending = left;
    set_events(q, fd, s, (s->armed ? NL_READABLE : 0) | (left ? NL_WRITABLE : 0));
    if (!left && q->slots[(size_t)fd].gen == gen) nl_cq_sent_done(q, fd, 0);
}

static void on_flush(nl_loop *, uint64_t, void *arg)
{
    nl_cq *q = (nl_cq *)arg;
    impl_of(q)->flush_timer = 0;
    std::vector<int> batch;
    batch.swap(q->dirty);
    for (int fd : batch) {
        nl_cq_slot *s = &q->slots[(size_t)fd];
        if (!s->dirty) continue;  // forgotten since
        s->dirty = false;
        if (!s->sending) flush_fd(q, fd, s);  // else the writable event carries on
    }
}

static void ep_queued(nl_cq *q)
{
    ep_impl *im = impl_of(q);
    if (!im->flush_timer) im->flush_timer = nl_loop_timer(im->loop, 0, on_flush, q);
}

static void do_accept(nl_cq *q, int fd, nl_cq_slot *s)
{
    uint32_t gen = s->gen;
    for (int i = 0; i < 256; i++) {  // bounded per turn, so connected clients are served between bursts
        int cfd = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            int err = -errno;
            s->armed = false;
            set_events(q, fd, s, 0);
            s->accept_cb(q, fd, err, s->arg);
            return;
        }
        s->accept_cb(q, fd, cfd, s->arg);
        s = &q->slots[(size_t)fd];  // the callback may have grown the table or forgotten fd
        if (s->gen != gen || !s->armed || q->stopping) return;
    }
}

static void do_recv(nl_cq *q, int fd, nl_cq_slot *s)
{
    ep_impl *im = impl_of(q);
    ssize_t n = recv(fd, im->rbuf.data(), im->rbuf.size(), 0);  // one read per event: fairness
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    if (n <= 0) {
        if (n < 0) n = -errno;
        s->armed = false;
        set_events(q, fd, s, s->sending ? NL_WRITABLE : 0);
    }
    s->recv_cb(q, fd, im->rbuf.data(), n, s->arg);
}

static void on_ready(nl_loop *, int fd, int events, void *arg)
{
    nl_cq *q = (nl_cq *)arg;
    nl_cq_slot *s = nl_cq_slot_of(q, fd);
    if (!s) return;
    uint32_t gen = s->gen;
    switch (s->kind) {
    case NL_CQ_ACCEPT:
        if (s->armed) do_accept(q, fd, s);
        break;
    case NL_CQ_POLL:
        s->armed = false;
        set_events(q, fd, s, 0);
        s->poll_cb(q, fd, s->arg);
        break;
    case NL_CQ_CONN:
        if ((events & NL_WRITABLE) && s->sending) flush_fd(q, fd, s);
        s = &q->slots[(size_t)fd];
        if ((events & NL_READABLE) && s->gen == gen && s->armed && !q->stopping) do_recv(q, fd, s);
        break;
    default:
        break;
    }
}

static int ep_open(nl_cq *q, int fd, nl_cq_slot *s) { return ep_arm_read(q, fd, s); }

static void on_timer(nl_loop *, uint64_t id, void *arg)
{
    nl_cq *q = (nl_cq *)arg;
    ep_impl *im = impl_of(q);
    auto it = im->timers.find(id);
    if (it == im->timers.end()) return;
    ep_timer t = it->second;
    im->timers.erase(it);
    t.cb(q, id, t.arg);
}

static uint64_t ep_timer_add(nl_cq *q, uint64_t delay_ms, nl_cq_timer_cb cb, void *arg)
{
    ep_impl *im = impl_of(q);
    uint64_t id = nl_loop_timer(im->loop, delay_ms, on_timer, q);
    im->timers[id] = ep_timer{q, cb, arg};
    return id;
}

static void ep_cancel(nl_cq *q, uint64_t id)
{
    ep_impl *im = impl_of(q);
    if (im->timers.erase(id)) nl_loop_cancel(im->loop, id);
}

static int ep_run(nl_cq *q) { return nl_loop_run(impl_of(q)->loop); }
static void ep_stop(nl_cq *q) { nl_loop_stop(impl_of(q)->loop); }

const nl_cq_ops nl_cq_epoll_ops = {ep_init, ep_destroy, ep_arm_read, ep_open, ep_arm_read, ep_forget,
                                   ep_queued, ep_timer_add, ep_cancel, ep_run, ep_stop};
