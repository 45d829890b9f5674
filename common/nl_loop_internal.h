// nl_loop_internal.h — what the generic loop (nl_loop.cpp) and its backends share. Not public.
#pragma once
#include "nl_loop.h"

#include <map>
#include <vector>

struct nl_watch {
    bool active = false;
    int events = 0;
    nl_io_cb cb = nullptr;
    void *arg = nullptr;
    uint32_t gen = 0;      // bumped on each new watch: stale readiness for a reused fd is ignored
    bool inflight = false; // io_uring: a poll request is outstanding
    uint64_t tag = 0;      // io_uring: user_data of that request
};

struct nl_ready {          // one readiness report from a backend
    int fd;
    uint32_t gen;
    int events;
    uint64_t tag;
};

struct nl_backend_ops {
    int (*init)(nl_loop *loop, char *err, size_t errlen);
    void (*destroy)(nl_loop *loop);
    int (*update)(nl_loop *loop, int fd, nl_watch *w);   // w->events is the new interest
    int (*remove)(nl_loop *loop, int fd, nl_watch *w);
    int (*wait)(nl_loop *loop, int timeout_ms, std::vector<nl_ready> *out);
    void (*after_dispatch)(nl_loop *loop, const nl_ready &r);  // io_uring re-arms here
};

struct nl_timer {
    nl_timer_cb cb;
    void *arg;
    uint64_t deadline_ms;
};

struct nl_loop {
    nl_backend backend;
    const nl_backend_ops *ops;
    std::vector<nl_watch> watches;  // indexed by fd
    std::map<uint64_t, nl_timer> timers;                 // id -> timer
    std::multimap<uint64_t, uint64_t> timer_order;       // deadline -> id
    uint64_t next_timer_id = 1;
    bool stopping = false;
    void *impl = nullptr;           // backend state
};

extern const nl_backend_ops nl_epoll_ops;
extern const nl_backend_ops nl_uring_ops;
