// nl_outbuf.h — a per-connection output queue for non-blocking sockets: append replies, flush
// what the kernel accepts now, keep the rest for the next writable event. A byte limit lets the
// server drop a client that stops reading instead of growing without end.
#pragma once
#include <cstddef>
#include <string>

struct nl_outbuf {
    std::string data;   // pending bytes are data[off, size)
    size_t off = 0;
};

inline size_t nl_outbuf_pending(const nl_outbuf *ob) { return ob->data.size() - ob->off; }
void nl_outbuf_append(nl_outbuf *ob, const void *buf, size_t len);

// Sends as much as the socket takes now (MSG_NOSIGNAL). Returns 0 when the call made progress or
// the socket is full (check nl_outbuf_pending), -1 on a real error (errno set: EPIPE, ECONNRESET...).
int nl_outbuf_flush(nl_outbuf *ob, int fd);
