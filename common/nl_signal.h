// nl_signal.h — graceful shutdown on SIGINT/SIGTERM without async-signal-unsafe handlers.
// Call nl_shutdown_init() in main before creating any thread: it blocks SIGINT and SIGTERM (every
// thread inherits the mask), ignores SIGPIPE, and opens a signalfd. Then either watch
// nl_shutdown_fd() in an event loop, or dedicate a thread to nl_shutdown_wait().
#pragma once
#include <cstddef>

int nl_shutdown_init(char *err, size_t errlen);
int nl_shutdown_fd(void);            // readable once a shutdown signal is pending
int nl_shutdown_wait(void);          // blocks until SIGINT/SIGTERM; returns the signal number
int nl_shutdown_consume(void);       // reads the pending signal from the fd; returns its number or 0
bool nl_shutdown_requested(void);    // true once a signal was consumed
void nl_shutdown_request(void);      // marks shutdown requested (and wakes nl_shutdown_wait)
