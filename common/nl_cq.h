// nl_cq.h — a completion event loop, beside nl_loop.h's readiness one: the program submits
// operations (accept, receive, send, close, timers) and a callback runs when one completes.
// Two backends, chosen at run time: io_uring native (multishot accept, multishot recv into a
// provided-buffer ring, one io_uring_enter per loop turn), and epoll emulating the same
// completions with non-blocking calls. Single-threaded: call everything from the loop's thread.
//
// Contract, the same on both backends:
// - Accepting and receiving are continuous: one call, then one callback per connection or per
//   chunk of bytes, until an error (or EOF) ends them; the callback says so.
// - Bytes given to nl_cq_send are copied and leave in order at the end of the loop turn (many
//   sends in one turn leave together); a short send is completed by the loop, not the caller.
// - nl_cq_close (or nl_cq_forget) cancels everything pending on the fd: no callback for that fd
//   runs afterwards, even if the kernel already completed something. The fd number may be reused.
#pragma once
#include "nl_loop.h"  // nl_backend, nl_backend_name, nl_backend_parse

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

struct nl_cq;

// fd >= 0: a new connection (non-blocking, close-on-exec), yours to nl_cq_open or close.
// fd < 0: -errno; accepting on listen_fd has stopped (call nl_cq_accept again to resume).
typedef void (*nl_cq_accept_cb)(nl_cq *q, int listen_fd, int fd, void *arg);
// n > 0: data[0..n) received (valid during the call only). n == 0: the peer closed. n < 0: -errno.
// After n <= 0 no more receive callbacks come for this fd; sending still works until it fails.
typedef void (*nl_cq_recv_cb)(nl_cq *q, int fd, const char *data, ssize_t n, void *arg);
// err == 0: every byte queued so far has been sent. err < 0: -errno, sending failed and the
// unsent bytes were dropped (later sends fail at once with the same error).
typedef void (*nl_cq_sent_cb)(nl_cq *q, int fd, int err, void *arg);
typedef void (*nl_cq_poll_cb)(nl_cq *q, int fd, void *arg);
typedef void (*nl_cq_timer_cb)(nl_cq *q, uint64_t timer_id, void *arg);

// Returns NULL with a message (e.g. io_uring not permitted by the kernel) on failure.
nl_cq *nl_cq_create(nl_backend backend, char *err, size_t errlen);
void nl_cq_destroy(nl_cq *q);   // cancels what is pending; closes no fd
nl_backend nl_cq_backend(const nl_cq *q);

int nl_cq_accept(nl_cq *q, int listen_fd, nl_cq_accept_cb cb, void *arg);
// Starts receiving on a connected socket; sent (may be NULL) reports the send queue's outcome.
int nl_cq_open(nl_cq *q, int fd, nl_cq_recv_cb recv, nl_cq_sent_cb sent, void *arg);
// Queues len bytes for an opened fd. 0, or -1 with errno (EBADF: not opened; EPIPE...: failed).
int nl_cq_send(nl_cq *q, int fd, const void *data, size_t len);
size_t nl_cq_unsent(const nl_cq *q, int fd);  // queued or in flight, not yet acknowledged
// True while the kernel has not taken the last bytes handed to it (the peer is not reading as fast):
// what a server checks before dropping a client for its output backlog.
bool nl_cq_backlogged(const nl_cq *q, int fd);
// One-shot: cb runs once when fd is readable (e.g. a signalfd). Call again to wait again.
int nl_cq_poll(nl_cq *q, int fd, nl_cq_poll_cb cb, void *arg);

int nl_cq_forget(nl_cq *q, int fd);  // cancels everything pending on fd; fd stays open
int nl_cq_close(nl_cq *q, int fd);   // nl_cq_forget, then close(fd)

// One-shot timer, milliseconds on the monotonic clock; its id is never 0. Cancelling an unknown
// or fired id is harmless. A 0 ms timer set by a callback runs on the next turn.
uint64_t nl_cq_timer(nl_cq *q, uint64_t delay_ms, nl_cq_timer_cb cb, void *arg);
void nl_cq_cancel(nl_cq *q, uint64_t timer_id);

int nl_cq_run(nl_cq *q);   // until nl_cq_stop: 0, or -1 on a backend failure (logged)
void nl_cq_stop(nl_cq *q);
// Loop turns so far (one wait for completions each): the tests count them.
uint64_t nl_cq_turns(const nl_cq *q);
