// nl_cq_uring.cpp — the completion API on io_uring, natively: one multishot accept per listener,
// one multishot recv per connection into a ring of provided buffers (returned to the ring once
// the callback is done), one send in flight per connection (a short one is resubmitted for the
// rest), timers as IORING_OP_TIMEOUT; every request of a turn leaves in one io_uring_enter.
#include "nl_cq_internal.h"
#include "nl_log.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <liburing.h>
#include <map>
#include <string>
#include <sys/mman.h>
#include <sys/socket.h>
#include <poll.h>
#include <unistd.h>

unsigned nl_cq_uring_nbufs = 2048;    // power of two
unsigned nl_cq_uring_bufsize = 4096;

enum ur_kind { UR_ACCEPT, UR_RECV, UR_SEND, UR_POLL, UR_TIMER };

struct ur_op {                  // one request in flight; its address is the CQE's user_data
    ur_kind kind;
    int fd = -1;
    uint32_t gen = 0;
    std::string buf;            // UR_SEND: the bytes, stable until the completion
    size_t off = 0;
    uint64_t timer_id = 0;
    nl_cq_timer_cb tcb = nullptr;
    void *targ = nullptr;
    struct __kernel_timespec ts;
    ur_op *prev = nullptr, *next = nullptr;  // every live op, so destroy can free them
};

struct ur_impl {
    struct io_uring ring;
    struct io_uring_buf_ring *br = nullptr;
    char *bufs = nullptr;
    size_t br_bytes = 0;
    unsigned nbufs = 0, bufsize = 0;
    unsigned returned = 0;      // buffers added back since the last advance
    ur_op live;                 // list head
    std::map<uint64_t, ur_op *> timers;
    uint64_t next_timer = 1;
};

static const int BGID = 0;
static ur_impl *impl_of(nl_cq *q) { return (ur_impl *)q->impl; }

static ur_op *op_new(ur_impl *im, ur_kind kind, int fd, uint32_t gen)
{
    ur_op *op = new ur_op;
    op->kind = kind;
    op->fd = fd;
    op->gen = gen;
    op->next = im->live.next;
    op->prev = &im->live;
    im->live.next->prev = op;
    im->live.next = op;
    return op;
}

static void op_free(ur_op *op)
{
    op->prev->next = op->next;
    op->next->prev = op->prev;
    delete op;
}

static struct io_uring_sqe *get_sqe(ur_impl *im)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&im->ring);
    if (!sqe) {  // submission queue full: hand what we have to the kernel now
        io_uring_submit(&im->ring);
        sqe = io_uring_get_sqe(&im->ring);
    }
    return sqe;
}

static int ur_init(nl_cq *q, char *err, size_t errlen)
{
    ur_impl *im = new ur_impl;
    im->live.next = im->live.prev = &im->live;
    struct io_uring_params p;
    // Newest first: one issuer thread with task work run only when we wait (6.1), then cooperative
    // task work (5.19), then plain.
    static const unsigned flag_sets[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                         IORING_SETUP_COOP_TASKRUN, 0};
    int rc = -EINVAL;
    for (unsigned flags : flag_sets) {
        memset(&p, 0, sizeof p);
        p.flags = flags | IORING_SETUP_CQSIZE;
        p.cq_entries = 16384;  // 10,000 connections may all complete in one turn
        rc = io_uring_queue_init_params(4096, &im->ring, &p);
        if (rc != -EINVAL) break;
    }
    if (rc < 0) {
        if (err && errlen)
            snprintf(err, errlen, "io_uring is not available here (%s); use --backend epoll", strerror(-rc));
        delete im;
        return -1;
    }
    io_uring_register_ring_fd(&im->ring);  // saves a file lookup per io_uring_enter; optional
    im->nbufs = nl_cq_uring_nbufs;
    im->bufsize = nl_cq_uring_bufsize;
    size_t ring_bytes = im->nbufs * sizeof(struct io_uring_buf);
    im->br_bytes = ring_bytes + (size_t)im->nbufs * im->bufsize;
    void *mem = mmap(nullptr, im->br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        if (err && errlen) snprintf(err, errlen, "cannot map the receive buffers: %s", strerror(errno));
        io_uring_queue_exit(&im->ring);
        delete im;
        return -1;
    }
    im->br = (struct io_uring_buf_ring *)mem;
    im->bufs = (char *)mem + ring_bytes;
    struct io_uring_buf_reg reg;
    memset(&reg, 0, sizeof reg);
    reg.ring_addr = (unsigned long)im->br;
    reg.ring_entries = im->nbufs;
    reg.bgid = BGID;
    rc = io_uring_register_buf_ring(&im->ring, &reg, 0);
    if (rc < 0) {
        if (err && errlen)
            snprintf(err, errlen, "io_uring provided-buffer rings need Linux 5.19 (%s); use --backend epoll",
                     strerror(-rc));
        munmap(mem, im->br_bytes);
        io_uring_queue_exit(&im->ring);
        delete im;
        return -1;
    }
    io_uring_buf_ring_init(im->br);
    unsigned mask = io_uring_buf_ring_mask(im->nbufs);
    for (unsigned i = 0; i < im->nbufs; i++)
        io_uring_buf_ring_add(im->br, im->bufs + (size_t)i * im->bufsize, im->bufsize, (unsigned short)i, mask, (int)i);
    io_uring_buf_ring_advance(im->br, (int)im->nbufs);
    q->impl = im;
    return 0;
}

static void ur_destroy(nl_cq *q)
{
    ur_impl *im = impl_of(q);
    io_uring_queue_exit(&im->ring);  // cancels and waits for what is in flight
    while (im->live.next != &im->live) op_free(im->live.next);
    munmap(im->br, im->br_bytes);
    delete im;
}

static int submit_accept(ur_impl *im, int fd, nl_cq_slot *s)
{
    struct io_uring_sqe *sqe = get_sqe(im);
    if (!sqe) return errno = EBUSY, -1;
    io_uring_prep_multishot_accept(sqe, fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data(sqe, op_new(im, UR_ACCEPT, fd, s->gen));
    s->ops++;
    return 0;
}

static int submit_recv(ur_impl *im, int fd, nl_cq_slot *s, ur_op *op)
{
    struct io_uring_sqe *sqe = get_sqe(im);
    if (!sqe) return errno = EBUSY, -1;
    io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = BGID;
    if (!op) {
        op = op_new(im, UR_RECV, fd, s->gen);
        s->ops++;
    }
    io_uring_sqe_set_data(sqe, op);
    return 0;
}

static int submit_poll(ur_impl *im, int fd, nl_cq_slot *s)
{
    struct io_uring_sqe *sqe = get_sqe(im);
    if (!sqe) return errno = EBUSY, -1;
    io_uring_prep_poll_add(sqe, fd, POLLIN);
    io_uring_sqe_set_data(sqe, op_new(im, UR_POLL, fd, s->gen));
    s->ops++;
    return 0;
}

static void submit_send(ur_impl *im, ur_op *op)
{
    struct io_uring_sqe *sqe = get_sqe(im);
    if (!sqe) {  // cannot happen after a submit freed the queue; keep the bytes for the next turn
        nl_error("io_uring: no submission entry for a send on fd %d", op->fd);
        return;
    }
    io_uring_prep_send(sqe, op->fd, op->buf.data() + op->off, op->buf.size() - op->off, MSG_NOSIGNAL);
    io_uring_sqe_set_data(sqe, op);
}

static int ur_accept(nl_cq *q, int fd, nl_cq_slot *s) { return submit_accept(impl_of(q), fd, s); }
static int ur_open(nl_cq *q, int fd, nl_cq_slot *s) { return submit_recv(impl_of(q), fd, s, nullptr); }
static int ur_poll(nl_cq *q, int fd, nl_cq_slot *s) { return submit_poll(impl_of(q), fd, s); }

static void ur_forget(nl_cq *q, int fd, nl_cq_slot *s)
{
    ur_impl *im = impl_of(q);
    if (s->send_op) op_free((ur_op *)s->send_op);
    if (s->ops == 0) return;
    struct io_uring_sqe *sqe = get_sqe(im);
    if (!sqe) return;
    io_uring_prep_cancel_fd(sqe, fd, IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data(sqe, nullptr);
    // Now: the caller may close fd next, and a cancel by fd must find it open.
    io_uring_submit(&im->ring);
}

static void ur_queued(nl_cq *) {}

// The end of a turn: each connection with queued bytes and no send in flight starts one.
static void start_sends(nl_cq *q)
{
    ur_impl *im = impl_of(q);
    std::vector<int> batch;
    batch.swap(q->dirty);
    for (int fd : batch) {
        nl_cq_slot *s = &q->slots[(size_t)fd];
        if (!s->dirty) continue;  // forgotten since
        if (s->sending) continue;  // the completion of the one in flight starts the next
        s->dirty = false;
        // One send request per connection, reused: its buffer and the queue's swap, both keep their capacity.
        ur_op *op = s->send_op ? (ur_op *)s->send_op : op_new(im, UR_SEND, fd, s->gen);
        s->send_op = nullptr;
        op->buf.swap(s->out.data);
        op->off = s->out.off;
        s->out.data.clear();
        s->out.off = 0;
        s->inflight = op->buf.size() - op->off;
        s->sending = true;
        s->ops++;
        submit_send(im, op);
    }
    // Those still in flight stay dirty: put them back for the turn their send completes in.
    for (int fd : batch)
        if (q->slots[(size_t)fd].dirty && q->slots[(size_t)fd].sending) q->dirty.push_back(fd);
}

static void give_back(ur_impl *im, unsigned bid)
{
    io_uring_buf_ring_add(im->br, im->bufs + (size_t)bid * im->bufsize, im->bufsize, (unsigned short)bid,
                          io_uring_buf_ring_mask(im->nbufs), (int)im->returned);
    im->returned++;
}

// The final completion of a request of the current gen: the slot no longer counts it.
static nl_cq_slot *current(nl_cq *q, const ur_op *op)
{
    if ((size_t)op->fd >= q->slots.size()) return nullptr;
    nl_cq_slot *s = &q->slots[(size_t)op->fd];
    return (s->kind != NL_CQ_NONE && s->gen == op->gen) ? s : nullptr;
}

static void on_cqe(nl_cq *q, struct io_uring_cqe *cqe)
{
    ur_impl *im = impl_of(q);
    ur_op *op = (ur_op *)io_uring_cqe_get_data(cqe);
    if (!op) return;  // a cancel or timeout-remove request
    int res = cqe->res;
    bool more = cqe->flags & IORING_CQE_F_MORE;
    nl_cq_slot *s = op->kind == UR_TIMER ? nullptr : current(q, op);
    switch (op->kind) {
    case UR_TIMER: {
        auto it = im->timers.find(op->timer_id);
        bool live = it != im->timers.end() && it->second == op;
        if (live) im->timers.erase(it);
        nl_cq_timer_cb cb = op->tcb;
        void *arg = op->targ;
        uint64_t id = op->timer_id;
        op_free(op);
        if (live) cb(q, id, arg);
        return;
    }
    case UR_ACCEPT: {
        int fd = op->fd;
        if (!more) {
            if (s) s->ops--;
            op_free(op);
        }
        if (!s) {
            if (res >= 0) close(res);  // accepted for a listener forgotten since
            return;
        }
        bool transient = res == -EINTR || res == -ECONNABORTED || res == -EAGAIN;
        if (res >= 0) s->accept_cb(q, fd, res, s->arg);
        else if (!transient && !more) {
            s->armed = false;
            s->accept_cb(q, fd, res, s->arg);
            return;
        }
        if (!more) {  // the kernel ended the multishot request: ask again, unless it was stopped
            s = nl_cq_slot_of(q, fd);
            if (s && s->kind == NL_CQ_ACCEPT && s->armed && s->ops == 0) submit_accept(im, fd, s);
        }
        return;
    }
    case UR_RECV: {
        int fd = op->fd;
        if (cqe->flags & IORING_CQE_F_BUFFER) {
            unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
            if (s && res > 0 && s->armed) s->recv_cb(q, fd, im->bufs + (size_t)bid * im->bufsize, res, s->arg);
            give_back(im, bid);  // always, whoever the completion was for
        }
        if (more) return;
        s = current(q, op);
        if (!s) {
            op_free(op);
            return;
        }
        // The multishot request ended: out of buffers (-ENOBUFS) or after data, arm it again;
        // at EOF or on an error, tell the program.
        if (s->armed && (res > 0 || res == -ENOBUFS || res == -EINTR)) {
            submit_recv(im, fd, s, op);
            return;
        }
        s->ops--;
        op_free(op);
        if (!s->armed) return;
        s->armed = false;
        s->recv_cb(q, fd, nullptr, res, s->arg);
        return;
    }
    case UR_POLL: {
        int fd = op->fd;
        if (s) s->ops--;
        op_free(op);
        if (s && s->armed) {
            s->armed = false;
            s->poll_cb(q, fd, s->arg);
        }
        return;
    }
    case UR_SEND: {
        if (!s) {
            op_free(op);
            return;
        }
        int fd = op->fd;
        if (res == -EAGAIN || res == -EINTR) {
            submit_send(im, op);
            return;
        }
        if (res < 0) {
            s->ops--;
            s->sending = false;
            op_free(op);
            nl_cq_sent_done(q, fd, res);
            return;
        }
        op->off += (size_t)res;
        s->inflight -= (size_t)res;
        if (op->off < op->buf.size()) {  // short send: the rest goes now, in order
            submit_send(im, op);
            return;
        }
        s->ops--;
        s->sending = false;
        op->buf.clear();
        s->send_op = op;  // idle until the next send (freed by forget)
        if (nl_outbuf_pending(&s->out) == 0) nl_cq_sent_done(q, fd, 0);
        else if (!s->dirty) {  // queued while this one was in flight
            s->dirty = true;
            q->dirty.push_back(fd);
        }
        return;
    }
    }
}

static uint64_t ur_timer(nl_cq *q, uint64_t delay_ms, nl_cq_timer_cb cb, void *arg)
{
    ur_impl *im = impl_of(q);
    ur_op *op = op_new(im, UR_TIMER, -1, 0);
    op->timer_id = im->next_timer++;
    op->tcb = cb;
    op->targ = arg;
    op->ts.tv_sec = (long long)(delay_ms / 1000);
    op->ts.tv_nsec = (long long)(delay_ms % 1000) * 1000000;
    struct io_uring_sqe *sqe = get_sqe(im);
    if (!sqe) {
        nl_error("io_uring: no submission entry for a timer");
        op_free(op);
        return 0;
    }
    io_uring_prep_timeout(sqe, &op->ts, 0, 0);
    io_uring_sqe_set_data(sqe, op);
    im->timers[op->timer_id] = op;
    return op->timer_id;
}

static void ur_cancel(nl_cq *q, uint64_t id)
{
    ur_impl *im = impl_of(q);
    auto it = im->timers.find(id);
    if (it == im->timers.end()) return;
    ur_op *op = it->second;
    im->timers.erase(it);  // its completion (-ECANCELED or -ETIME) finds it gone and runs nothing
    struct io_uring_sqe *sqe = get_sqe(im);
    if (!sqe) return;
    io_uring_prep_timeout_remove(sqe, (__u64)(uintptr_t)op, 0);
    io_uring_sqe_set_data(sqe, nullptr);
}

static int ur_run(nl_cq *q)
{
    ur_impl *im = impl_of(q);
    while (!q->stopping) {
        start_sends(q);
        if (im->returned) {
            io_uring_buf_ring_advance(im->br, (int)im->returned);
            im->returned = 0;
        }
        int rc = io_uring_submit_and_wait(&im->ring, 1);
        if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY && rc != -ETIME) {
            nl_error("io_uring_submit_and_wait: %s", strerror(-rc));
            return -1;
        }
        struct io_uring_cqe *cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&im->ring, head, cqe) {
            on_cqe(q, cqe);
            seen++;
            if (q->stopping) break;
        }
        io_uring_cq_advance(&im->ring, seen);
    }
    // Bytes queued by the last callbacks, and buffers they gave back, still go to the kernel.
    start_sends(q);
    if (im->returned) {
        io_uring_buf_ring_advance(im->br, (int)im->returned);
        im->returned = 0;
    }
    io_uring_submit(&im->ring);
    return 0;
}

const nl_cq_ops nl_cq_uring_ops = {ur_init, ur_destroy, ur_accept, ur_open, ur_poll, ur_forget,
                                   ur_queued, ur_timer, ur_cancel, ur_run, nullptr};
