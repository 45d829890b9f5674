// nl_loop.h — a small readiness event loop (in the spirit of Redis's ae.c) with two backends,
// chosen at run time: epoll, or io_uring (liburing) using one-shot poll requests.
// Both give the same level-triggered contract: the callback runs while the fd is ready for an
// event it watches. Timers are one-shot, millisecond resolution, on the monotonic clock.
// Rules: unwatch an fd before closing it; callbacks may watch/unwatch any fd, add or cancel
// timers, and stop the loop. Single-threaded: call everything from the loop's thread.
#pragma once
#include <cstddef>
#include <cstdint>

enum nl_backend { NL_BACKEND_EPOLL = 0, NL_BACKEND_URING = 1 };
enum { NL_READABLE = 1, NL_WRITABLE = 2, NL_HANGUP = 4 };  // NL_HANGUP comes with NL_READABLE

struct nl_loop;
typedef void (*nl_io_cb)(nl_loop *loop, int fd, int events, void *arg);
typedef void (*nl_timer_cb)(nl_loop *loop, uint64_t timer_id, void *arg);

// Returns NULL with a message (e.g. io_uring not permitted by the kernel) on failure.
nl_loop *nl_loop_create(nl_backend backend, char *err, size_t errlen);
void nl_loop_destroy(nl_loop *loop);
nl_backend nl_loop_backend(const nl_loop *loop);

// Starts watching fd, or changes its events/callback if already watched. events = 0 keeps the fd
// registered but silent (e.g. a client whose input is paused).
int nl_loop_watch(nl_loop *loop, int fd, int events, nl_io_cb cb, void *arg);
int nl_loop_unwatch(nl_loop *loop, int fd);

// One-shot timer; returns its id (never 0). Cancelling an unknown or fired id is harmless.
uint64_t nl_loop_timer(nl_loop *loop, uint64_t delay_ms, nl_timer_cb cb, void *arg);
void nl_loop_cancel(nl_loop *loop, uint64_t timer_id);

int nl_loop_run(nl_loop *loop);   // until nl_loop_stop: 0, or -1 on a backend failure (logged)
void nl_loop_stop(nl_loop *loop);

const char *nl_backend_name(nl_backend backend);
int nl_backend_parse(const char *name, nl_backend *out);  // "epoll" or "uring"; 0 or -1
