// nl_loop.cpp — the backend-independent half: watch table, timers, dispatch, run/stop.
#include "nl_loop_internal.h"
#include "nl_clock.h"
#include "nl_log.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

const char *nl_backend_name(nl_backend backend) { return backend == NL_BACKEND_URING ? "uring" : "epoll"; }

int nl_backend_parse(const char *name, nl_backend *out)
{
    if (!strcmp(name, "epoll")) *out = NL_BACKEND_EPOLL;
    else if (!strcmp(name, "uring") || !strcmp(name, "io_uring")) *out = NL_BACKEND_URING;
    else return -1;
    return 0;
}

nl_loop *nl_loop_create(nl_backend backend, char *err, size_t errlen)
{
    nl_loop *loop = new nl_loop;
    loop->backend = backend;
    loop->ops = backend == NL_BACKEND_URING ? &nl_uring_ops : &nl_epoll_ops;
    if (loop->ops->init(loop, err, errlen) < 0) {
        delete loop;
        return nullptr;
    }
    return loop;
}

void nl_loop_destroy(nl_loop *loop)
{
    if (!loop) return;
    loop->ops->destroy(loop);
    delete loop;
}

nl_backend nl_loop_backend(const nl_loop *loop) { return loop->backend; }

int nl_loop_watch(nl_loop *loop, int fd, int events, nl_io_cb cb, void *arg)
{
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if ((size_t)fd >= loop->watches.size()) loop->watches.resize((size_t)fd + 64);
    nl_watch *w = &loop->watches[(size_t)fd];
    bool fresh = !w->active;
    if (fresh) {
        w->active = true;
        w->gen++;
        w->inflight = false;
    }
    w->events = events & (NL_READABLE | NL_WRITABLE);
    w->cb = cb;
    w->arg = arg;
    if (loop->ops->update(loop, fd, w) < 0) {
        if (fresh) w->active = false;
        return -1;
    }
    return 0;
}

int nl_loop_unwatch(nl_loop *loop, int fd)
{
    if (fd < 0 || (size_t)fd >= loop->watches.size() || !loop->watches[(size_t)fd].active) return 0;
    nl_watch *w = &loop->watches[(size_t)fd];
    int rc = loop->ops->remove(loop, fd, w);
    w->active = false;
    w->events = 0;
    return rc;
}

uint64_t nl_loop_timer(nl_loop *loop, uint64_t delay_ms, nl_timer_cb cb, void *arg)
{
    uint64_t id = loop->next_timer_id++;
    uint64_t deadline = nl_now_ms() + delay_ms;
    loop->timers[id] = nl_timer{cb, arg, deadline};
    loop->timer_order.emplace(deadline, id);
    return id;
}

void nl_loop_cancel(nl_loop *loop, uint64_t timer_id)
{
    auto it = loop->timers.find(timer_id);
    if (it == loop->timers.end()) return;
    auto range = loop->timer_order.equal_range(it->second.deadline_ms);
    for (auto o = range.first; o != range.second; ++o) {
        if (o->second == timer_id) {
            loop->timer_order.erase(o);
            break;
        }
    }
    loop->timers.erase(it);
}

void nl_loop_stop(nl_loop *loop) { loop->stopping = true; }

static int next_timeout_ms(nl_loop *loop)
{
    if (loop->timer_order.empty()) return -1;
    uint64_t now = nl_now_ms(), first = loop->timer_order.begin()->first;
    return first <= now ? 0 : (int)(first - now > 60000 ? 60000 : first - now);
}

static void run_due_timers(nl_loop *loop)
{
    uint64_t now = nl_now_ms();
    // Timers added by a callback for "now" run on the next turn, so a 0 ms timer cannot starve I/O.
    std::vector<uint64_t> due;
    for (auto it = loop->timer_order.begin(); it != loop->timer_order.end() && it->first <= now; ++it)
        due.push_back(it->second);
    for (uint64_t id : due) {
        auto it = loop->timers.find(id);
        if (it == loop->timers.end()) continue;  // cancelled by an earlier callback
        nl_timer t = it->second;
        nl_loop_cancel(loop, id);
        t.cb(loop, id, t.arg);
        if (loop->stopping) return;
    }
}

int nl_loop_run(nl_loop *loop)
{
    loop->stopping = false;
    std::vector<nl_ready> ready;
    while (!loop->stopping) {
        ready.clear();
        if (loop->ops->wait(loop, next_timeout_ms(loop), &ready) < 0) {
            nl_error("event loop (%s) failed: %s", nl_backend_name(loop->backend), strerror(errno));
            return -1;
        }
        for (size_t i = 0; i < ready.size(); i++) {
            const nl_ready &r = ready[i];
            if (loop->stopping) {
                // Stopped mid-batch: the rest is not delivered now, but a one-shot backend must
                // re-arm it, or those fds would stay silent on the next nl_loop_run.
                if (loop->ops->after_dispatch) loop->ops->after_dispatch(loop, r);
                continue;
            }
            if ((size_t)r.fd >= loop->watches.size()) continue;
            nl_watch *w = &loop->watches[(size_t)r.fd];
            // A callback earlier in this batch may have closed the fd, or it may be a new one.
            if (!w->active || w->gen != r.gen) continue;
            // On hang-up or error, report every watched event: the reader sees EOF, the writer EPIPE.
            int ev = (r.events & NL_HANGUP) ? (w->events ? w->events | NL_HANGUP : 0) : (r.events & w->events);
            if (ev) w->cb(loop, r.fd, ev, w->arg);
            if (loop->ops->after_dispatch) loop->ops->after_dispatch(loop, r);
        }
        if (!loop->stopping) run_due_timers(loop);
    }
    return 0;
}
