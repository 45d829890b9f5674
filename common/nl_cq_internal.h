// nl_cq_internal.h — what the generic completion loop (nl_cq.cpp) and its backends share. Not public.
#pragma once
#include "nl_cq.h"
#include "nl_outbuf.h"

#include <vector>

enum nl_cq_kind { NL_CQ_NONE = 0, NL_CQ_ACCEPT, NL_CQ_CONN, NL_CQ_POLL };

struct nl_cq_slot {              // one fd the loop knows
    nl_cq_kind kind = NL_CQ_NONE;
    uint32_t gen = 0;            // bumped by forget: completions of an older gen are dropped
    void *arg = nullptr;
    nl_cq_accept_cb accept_cb = nullptr;
    nl_cq_recv_cb recv_cb = nullptr;
    nl_cq_sent_cb sent_cb = nullptr;
    nl_cq_poll_cb poll_cb = nullptr;
    bool armed = false;          // accepting / receiving / polling is in progress
    nl_outbuf out;               // queued, not yet handed to the kernel
    size_t inflight = 0;         // handed to the kernel, not yet acknowledged (io_uring)
    bool sending = false;        // io_uring: a send is in flight; epoll: waiting for writable
    bool dirty = false;          // in nl_cq::dirty
    int send_err = 0;            // -errno once sending failed
    unsigned ops = 0;            // io_uring: requests in flight for this gen
    void *send_op = nullptr;     // io_uring: the idle send request kept for the next send
    int events = 0;              // epoll: the interest registered with nl_loop
};

struct nl_cq_ops {
    int (*init)(nl_cq *q, char *err, size_t errlen);
    void (*destroy)(nl_cq *q);
    int (*accept)(nl_cq *q, int fd, nl_cq_slot *s);
    int (*open)(nl_cq *q, int fd, nl_cq_slot *s);
    int (*poll)(nl_cq *q, int fd, nl_cq_slot *s);
    void (*forget)(nl_cq *q, int fd, nl_cq_slot *s);   // before the slot is reset
    void (*queued)(nl_cq *q);                          // a first fd became dirty this turn
    uint64_t (*timer)(nl_cq *q, uint64_t delay_ms, nl_cq_timer_cb cb, void *arg);
    void (*cancel)(nl_cq *q, uint64_t id);
    int (*run)(nl_cq *q);
    void (*stop)(nl_cq *q);
};

struct nl_cq {
    nl_backend backend;
    const nl_cq_ops *ops;
    std::vector<nl_cq_slot> slots;   // indexed by fd
    std::vector<int> dirty;          // fds with queued bytes, sent at the end of the turn
    bool stopping = false;
    void *impl = nullptr;
};

nl_cq_slot *nl_cq_slot_of(nl_cq *q, int fd);   // NULL when fd is not known
void nl_cq_sent_done(nl_cq *q, int fd, int err); // a send queue drained (0) or failed (-errno)

extern const nl_cq_ops nl_cq_epoll_ops;
extern const nl_cq_ops nl_cq_uring_ops;
// io_uring: buffers in the provided ring and their size (a white-box knob for the tests).
extern unsigned nl_cq_uring_nbufs;
extern unsigned nl_cq_uring_bufsize;
