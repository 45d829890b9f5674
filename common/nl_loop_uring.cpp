// nl_loop_uring.cpp — io_uring backend: each watched fd has one one-shot IORING_OP_POLL_ADD in
// flight; it is re-armed after its callback, which gives epoll's level-triggered behaviour.
// A change of interest cancels the outstanding poll and arms a new one; completions whose
// user_data no longer matches the fd's current tag are stale and ignored.
#include "nl_loop_internal.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <liburing.h>
#include <poll.h>

struct uring_impl {
    struct io_uring ring;
    uint32_t seq = 0;
};

static const uint64_t CANCEL_TAG = ~0ull;  // user_data of poll-remove requests

static uring_impl *impl_of(nl_loop *loop) { return (uring_impl *)loop->impl; }

static int ur_init(nl_loop *loop, char *err, size_t errlen)
{
    uring_impl *im = new uring_impl;
    int rc = io_uring_queue_init(1024, &im->ring, 0);
    if (rc < 0) {
        if (err && errlen)
            snprintf(err, errlen, "io_uring is not available here (%s); use --backend epoll", strerror(-rc));
        delete im;
        return -1;
    }
    loop->impl = im;
    return 0;
}

static void ur_destroy(nl_loop *loop)
{
    io_uring_queue_exit(&impl_of(loop)->ring);
    delete impl_of(loop);
}

static struct io_uring_sqe *get_sqe(uring_impl *im)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&im->ring);
    if (!sqe) {  // submission queue full: hand what we have to the kernel and retry
        io_uring_submit(&im->ring);
        sqe = io_uring_get_sqe(&im->ring);
    }
    return sqe;
}

static void cancel_inflight(uring_impl *im, nl_watch *w)
{
    if (!w->inflight) return;
    struct io_uring_sqe *sqe = get_sqe(im);
    if (sqe) {
        io_uring_prep_poll_remove(sqe, w->tag);
        io_uring_sqe_set_data64(sqe, CANCEL_TAG);
    }
    w->inflight = false;
}

static int arm(uring_impl *im, int fd, nl_watch *w)
{
    if (w->events == 0) return 0;
    struct io_uring_sqe *sqe = get_sqe(im);
    if (!sqe) {
        errno = EBUSY;
        return -1;
    }
    // Known limit: io_uring always reports POLLRDHUP (IO_POLL_UNMASK), so a writer-only watch on a
    // socket whose peer half-closed completes at once, turn after turn, until it becomes writable:
    // the loop busy-waits then (no wrong callback). The epoll backend does not.
    unsigned mask = ((w->events & NL_READABLE) ? POLLIN | POLLRDHUP : 0) | ((w->events & NL_WRITABLE) ? POLLOUT : 0);
    io_uring_prep_poll_add(sqe, fd, mask);
    w->tag = (uint64_t)(uint32_t)fd << 32 | ++im->seq;
    io_uring_sqe_set_data64(sqe, w->tag);
    w->inflight = true;
    return 0;
}

static int ur_update(nl_loop *loop, int fd, nl_watch *w)
{
    cancel_inflight(impl_of(loop), w);
    return arm(impl_of(loop), fd, w);
}

static int ur_remove(nl_loop *loop, int fd, nl_watch *w)
{
    (void)fd;
    cancel_inflight(impl_of(loop), w);
    // Submit now: the caller is about to close the fd, and the cancel must name a live request.
    io_uring_submit(&impl_of(loop)->ring);
    return 0;
}

static int ur_wait(nl_loop *loop, int timeout_ms, std::vector<nl_ready> *out)
{
    uring_impl *im = impl_of(loop);
    struct io_uring_cqe *cqe = nullptr;
    int rc;
    if (timeout_ms < 0) {
        rc = io_uring_submit_and_wait(&im->ring, 1);
        if (rc >= 0) rc = io_uring_peek_cqe(&im->ring, &cqe);
    } else {
        struct __kernel_timespec ts;
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
        rc = io_uring_submit_and_wait_timeout(&im->ring, &cqe, 1, &ts, nullptr);
    }
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN) {
        errno = -rc;
        return -1;
    }
    unsigned head, count = 0;
    io_uring_for_each_cqe(&im->ring, head, cqe) {
        count++;
        uint64_t tag = io_uring_cqe_get_data64(cqe);
        if (tag == CANCEL_TAG) continue;
        int fd = (int)(tag >> 32);
        if ((size_t)fd >= loop->watches.size()) continue;
        nl_watch *w = &loop->watches[(size_t)fd];
        if (!w->active || !w->inflight || w->tag != tag) continue;  // cancelled or superseded
        w->inflight = false;
        int res = cqe->res;
        nl_ready r;
        r.fd = fd;
        r.gen = w->gen;
        r.tag = tag;
        if (res < 0) r.events = NL_HANGUP;
        else r.events = ((res & POLLIN) ? NL_READABLE : 0) | ((res & POLLOUT) ? NL_WRITABLE : 0) |
                        ((res & (POLLERR | POLLHUP | POLLNVAL)) ? NL_HANGUP : 0) | ((res & POLLRDHUP) ? NL_READABLE : 0);
        out->push_back(r);
    }
    io_uring_cq_advance(&im->ring, count);
    return 0;
}

static void ur_after_dispatch(nl_loop *loop, const nl_ready &r)
{
    nl_watch *w = &loop->watches[(size_t)r.fd];
    // Re-arm unless the callback unwatched the fd or already armed a new poll by changing interest.
    if (w->active && w->gen == r.gen && !w->inflight) arm(impl_of(loop), r.fd, w);
}

const nl_backend_ops nl_uring_ops = {ur_init, ur_destroy, ur_update, ur_remove, ur_wait, ur_after_dispatch};
