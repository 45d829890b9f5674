// nl_socket.h — TCP listening/connecting sockets and the small fd helpers every server needs.
// Errors: functions return -1 and write a sentence a person can act on into err (may be NULL).
#pragma once
#include <cstddef>
#include <cstdint>
#include <sys/types.h>

// Binds host:port (port 0 picks a free port), listens with the given backlog, SO_REUSEADDR set.
// flags: NL_SOCK_NONBLOCK makes the listening socket non-blocking. Returns the fd or -1.
enum { NL_SOCK_NONBLOCK = 1 };
int nl_listen_tcp(const char *host, uint16_t port, int backlog, int flags, char *err, size_t errlen);

// Connects (blocking) to host:port. Returns the fd or -1.
int nl_connect_tcp(const char *host, uint16_t port, char *err, size_t errlen);

// The local port a socket is bound to (after port 0), or 0 on error.
uint16_t nl_local_port(int fd);

// Prints "listening on HOST:PORT\n" on stdout and flushes: the first line every server prints.
void nl_print_listening(const char *host, int listen_fd);

int nl_set_nonblock(int fd, bool on);
int nl_set_nodelay(int fd);

// Writes all len bytes, retrying on EINTR and short writes. Sockets are written with
// MSG_NOSIGNAL, so a vanished peer is EPIPE, never SIGPIPE. Returns 0, or -1 with errno set.
int nl_write_all(int fd, const void *buf, size_t len);

// Parses a decimal integer in [min, max]; returns 0 on success, -1 (with a message) otherwise.
int nl_parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
