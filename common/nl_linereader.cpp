// nl_linereader.cpp — the buffer never grows: at most max_line bytes of one line are ever held.
#include "nl_linereader.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

int nl_lr_init(nl_line_reader *lr, int fd, size_t max_line)
{
    memset(lr, 0, sizeof *lr);
    lr->fd = fd;
    lr->max_line = max_line ? max_line : 1;
    // +2: room for the "\r\n" of a line of exactly max_line bytes.
    lr->buf = (char *)malloc(lr->max_line + 2);
    return lr->buf ? 0 : -1;
}

void nl_lr_free(nl_line_reader *lr)
{
    free(lr->buf);
    lr->buf = nullptr;
}

// Compacts so the free space is contiguous; returns its size.
static size_t make_room(nl_line_reader *lr)
{
    if (lr->start > 0) {
        memmove(lr->buf, lr->buf + lr->start, lr->end - lr->start);
        lr->end -= lr->start;
        lr->start = 0;
    }
    return lr->max_line + 2 - lr->end;
}

size_t nl_lr_feed(nl_line_reader *lr, const char *data, size_t len)
{
    if (lr->eof) return 0;
    size_t room = make_room(lr);
    size_t n = len < room ? len : room;
    memcpy(lr->buf + lr->end, data, n);
    lr->end += n;
    return n;
}

void nl_lr_set_eof(nl_line_reader *lr) { lr->eof = true; }

nl_line_status nl_lr_fill(nl_line_reader *lr)
{
    if (lr->eof) return NL_LINE_EOF;
    size_t room = make_room(lr);
    if (room == 0) return NL_LINE_OK;  // full: nl_lr_next will report TOO_LONG
    for (;;) {
        ssize_t n = read(lr->fd, lr->buf + lr->end, room);
        if (n > 0) {
            lr->end += (size_t)n;
            return NL_LINE_OK;
        }
        if (n == 0) {
            lr->eof = true;
            return NL_LINE_EOF;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return NL_LINE_AGAIN;
        return NL_LINE_ERROR;
    }
}

nl_line_status nl_lr_next(nl_line_reader *lr, const char **line, size_t *len)
{
    for (;;) {
        char *p = lr->buf + lr->start;
        size_t avail = lr->end - lr->start;
        char *nl = (char *)memchr(p, '\n', avail);
        if (lr->discarding) {
            if (!nl) {  // still inside the over-long line: drop everything buffered
                lr->start = lr->end = 0;
                return lr->eof ? NL_LINE_EOF : NL_LINE_NEED_MORE;
            }
            lr->start += (size_t)(nl - p) + 1;
            lr->discarding = false;
            continue;
        }
        if (nl) {
            size_t n = (size_t)(nl - p);
            lr->start += n + 1;
            if (n > 0 && p[n - 1] == '\r') n--;
            if (n > lr->max_line) return NL_LINE_TOO_LONG;  // max_line + 1 bytes, then '\n': consumed
            *line = p;
            *len = n;
            return NL_LINE_OK;
        }
        // No '\n' yet: max_line + 2 bytes, or max_line + 1 not ending in a '\r' that a '\n' may follow,
        // cannot be a line of max_line bytes any more.
        if (avail > lr->max_line + 1 || (avail == lr->max_line + 1 && p[lr->max_line] != '\r')) {
            lr->start = lr->end = 0;
            lr->discarding = true;
            return NL_LINE_TOO_LONG;
        }
        if (lr->eof) {
            if (avail == 0) return NL_LINE_EOF;
            // A last line without its '\n' is still a line.
            lr->start = lr->end;
            if (avail > 0 && p[avail - 1] == '\r') avail--;
            *line = p;
            *len = avail;
            return NL_LINE_OK;
        }
        return NL_LINE_NEED_MORE;
    }
}

nl_line_status nl_lr_read_line(nl_line_reader *lr, const char **line, size_t *len)
{
    for (;;) {
        nl_line_status st = nl_lr_next(lr, line, len);
        if (st != NL_LINE_NEED_MORE) return st;
        st = nl_lr_fill(lr);
        if (st == NL_LINE_AGAIN || st == NL_LINE_ERROR) return st;
    }
}
