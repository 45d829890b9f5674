// nl_cq.cpp — the backend-independent half of the completion loop: the fd table, send queues,
// forgetting an fd, and dispatch to the backend (nl_cq_uring.cpp, nl_cq_epoll.cpp).
#include "nl_cq_internal.h"

#include <cerrno>
#include <unistd.h>

nl_cq *nl_cq_create(nl_backend backend, char *err, size_t errlen)
{
    nl_cq *q = new nl_cq;
    q->backend = backend;
    q->ops = backend == NL_BACKEND_URING ? &nl_cq_uring_ops : &nl_cq_epoll_ops;
    if (q->ops->init(q, err, errlen) < 0) {
        delete q;
        return nullptr;
    }
    return q;
}

void nl_cq_destroy(nl_cq *q)
{
    if (!q) return;
    q->ops->destroy(q);
    delete q;
}

nl_backend nl_cq_backend(const nl_cq *q) { return q->backend; }

nl_cq_slot *nl_cq_slot_of(nl_cq *q, int fd)
{
    if (fd < 0 || (size_t)fd >= q->slots.size() || q->slots[(size_t)fd].kind == NL_CQ_NONE) return nullptr;
    return &q->slots[(size_t)fd];
}

// A fresh slot for fd, or NULL (errno) when fd is bad or already known.
static nl_cq_slot *claim(nl_cq *q, int fd, nl_cq_kind kind, void *arg)
{
    if (fd < 0) {
        errno = EBADF;
        return nullptr;
    }
    if ((size_t)fd >= q->slots.size()) q->slots.resize((size_t)fd + 64);
    nl_cq_slot *s = &q->slots[(size_t)fd];
    if (s->kind != NL_CQ_NONE && s->kind != kind) {
        errno = EEXIST;
        return nullptr;
    }
    s->kind = kind;
    s->arg = arg;
    return s;
}

static void unclaim(nl_cq_slot *s)
{
    if (s->armed) return;
    s->kind = NL_CQ_NONE;
    s->gen++;
}

// Starts the continuous operation of slot s (once: an armed slot only gets its new callbacks).
static int arm(nl_cq *q, int fd, nl_cq_slot *s, int (*start)(nl_cq *, int, nl_cq_slot *))
{
    if (s->armed) return 0;
    if (start(q, fd, s) < 0) {
        unclaim(s);
        return -1;
    }
    s->armed = true;
    return 0;
}

int nl_cq_accept(nl_cq *q, int listen_fd, nl_cq_accept_cb cb, void *arg)
{
    nl_cq_slot *s = claim(q, listen_fd, NL_CQ_ACCEPT, arg);
    if (!s) return -1;
    s->accept_cb = cb;
    return arm(q, listen_fd, s, q->ops->accept);
}

int nl_cq_open(nl_cq *q, int fd, nl_cq_recv_cb recv, nl_cq_sent_cb sent, void *arg)
{
    nl_cq_slot *s = claim(q, fd, NL_CQ_CONN, arg);
    if (!s) return -1;
    if (s->armed) {
        errno = EEXIST;
        return -1;
    }
    s->recv_cb = recv;
    s->sent_cb = sent;
    return arm(q, fd, s, q->ops->open);
}

int nl_cq_poll(nl_cq *q, int fd, nl_cq_poll_cb cb, void *arg)
{
    nl_cq_slot *s = claim(q, fd, NL_CQ_POLL, arg);
    if (!s) return -1;
    s->poll_cb = cb;
    return arm(q, fd, s, q->ops->poll);
}

int nl_cq_send(nl_cq *q, int fd, const void *data, size_t len)
{
    nl_cq_slot *s = nl_cq_slot_of(q, fd);
    if (!s || s->kind != NL_CQ_CONN) {
        errno = EBADF;
        return -1;
    }
    if (s->send_err) {
        errno = -s->send_err;
        return -1;
    }
    if (len == 0) return 0;
    nl_outbuf_append(&s->out, data, len);
    if (!s->dirty) {
        s->dirty = true;
        q->dirty.push_back(fd);
        if (q->dirty.size() == 1) q->ops->queued(q);
    }
    return 0;
}

size_t nl_cq_unsent(const nl_cq *q, int fd)
{
    if (fd < 0 || (size_t)fd >= q->slots.size()) return 0;
    const nl_cq_slot *s = &q->slots[(size_t)fd];
    return s->kind == NL_CQ_CONN ? nl_outbuf_pending(&s->out) + s->inflight : 0;
}

bool nl_cq_backlogged(const nl_cq *q, int fd)
{
    if (fd < 0 || (size_t)fd >= q->slots.size()) return false;
    const nl_cq_slot *s = &q->slots[(size_t)fd];
    return s->kind == NL_CQ_CONN && s->sending;
}

void nl_cq_sent_done(nl_cq *q, int fd, int err)
{
    nl_cq_slot *s = &q->slots[(size_t)fd];
    if (err) {
        s->send_err = err;
        s->out = nl_outbuf();
        s->inflight = 0;
    }
    if (s->sent_cb) s->sent_cb(q, fd, err, s->arg);
}

int nl_cq_forget(nl_cq *q, int fd)
{
    nl_cq_slot *s = nl_cq_slot_of(q, fd);
    if (!s) return 0;
    q->ops->forget(q, fd, s);
    uint32_t gen = s->gen + 1;
    *s = nl_cq_slot();  // a dirty entry left in q->dirty finds the slot not dirty and skips it
    s->gen = gen;
    return 0;
}

int nl_cq_close(nl_cq *q, int fd)
{
    nl_cq_forget(q, fd);
    return close(fd);
}

uint64_t nl_cq_timer(nl_cq *q, uint64_t delay_ms, nl_cq_timer_cb cb, void *arg)
{
    return q->ops->timer(q, delay_ms, cb, arg);
}

void nl_cq_cancel(nl_cq *q, uint64_t timer_id)
{
    if (timer_id) q->ops->cancel(q, timer_id);
}

int nl_cq_run(nl_cq *q)
{
    q->stopping = false;
    return q->ops->run(q);
}

void nl_cq_stop(nl_cq *q)
{
    q->stopping = true;
    if (q->ops->stop) q->ops->stop(q);
}
