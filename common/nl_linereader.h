// nl_linereader.h — a bounded, buffered line reader over a file descriptor.
// Lines end with "\n" (a "\r\n" ending is accepted and the "\r" dropped). A line longer than
// max_line is reported as NL_LINE_TOO_LONG, never read past its bound: the reader then
// discards the rest of that line by itself and carries on with the next one.
// Works on blocking fds (nl_lr_read_line), non-blocking ones (nl_lr_fill + nl_lr_next), and bytes
// handed over by a completion loop (nl_lr_feed + nl_lr_next).
#pragma once
#include <cstddef>

enum nl_line_status {
    NL_LINE_OK = 0,     // *line/*len hold one line without its terminator (valid until the next call)
    NL_LINE_NEED_MORE,  // no complete line buffered (nl_lr_next only)
    NL_LINE_EOF,        // peer closed; a trailing partial line is returned first as a line
    NL_LINE_TOO_LONG,   // a line exceeded max_line; its bytes are being discarded
    NL_LINE_AGAIN,      // non-blocking fd has no data now
    NL_LINE_ERROR,      // read error, errno set
};

struct nl_line_reader {
    int fd;
    char *buf;          // capacity max_line + 2 bytes (a line of max_line bytes and its "\r\n")
    size_t max_line;
    size_t start, end;  // unread bytes are buf[start, end)
    bool discarding;    // inside an over-long line: drop bytes up to the next '\n'
    bool eof;
};

int nl_lr_init(nl_line_reader *lr, int fd, size_t max_line);
void nl_lr_free(nl_line_reader *lr);

// Reads once from the fd into the buffer. Returns NL_LINE_OK (some bytes read), NL_LINE_EOF,
// NL_LINE_AGAIN or NL_LINE_ERROR.
nl_line_status nl_lr_fill(nl_line_reader *lr);

// For bytes that arrive by other means (a completion loop): copies as much of data as fits and
// returns how many bytes it took (0 when full: take lines out with nl_lr_next, then feed the rest).
size_t nl_lr_feed(nl_line_reader *lr, const char *data, size_t len);
void nl_lr_set_eof(nl_line_reader *lr);  // the peer closed: nl_lr_next returns the last partial line, then EOF

// Takes the next complete line out of the buffer: NL_LINE_OK, NL_LINE_NEED_MORE, NL_LINE_TOO_LONG,
// or NL_LINE_EOF once the peer closed and everything buffered was returned.
nl_line_status nl_lr_next(nl_line_reader *lr, const char **line, size_t *len);

// Blocking convenience: next + fill until a line, EOF, TOO_LONG or an error.
nl_line_status nl_lr_read_line(nl_line_reader *lr, const char **line, size_t *len);
