// fuzz_linereader.cpp — libFuzzer target for common/nl_linereader: the bytes after the header go
// through a non-blocking pipe (nl_lr_fill), or straight in (nl_lr_feed, when the header's top bit is
// set), in chunks the fuzzer chooses; the lines and TOO_LONG reports the reader
// gives must be exactly those of a model of nl_linereader.h's rules, computed on the whole stream:
// lines end with "\n", one "\r" before it is dropped, a line over max_line is one TOO_LONG, a last
// line without "\n" is still a line, then EOF.
#include "nl_linereader.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

struct event {
    bool too_long;
    std::string line;
    bool operator==(const event &o) const { return too_long == o.too_long && line == o.line; }
};

static std::vector<event> model(const std::string &s, size_t max_line)
{
    std::vector<event> ev;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t nl = s.find('\n', pos);
        size_t end = nl == std::string::npos ? s.size() : nl;
        std::string line = s.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > max_line) ev.push_back({true, ""});
        else ev.push_back({false, line});
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    return ev;
}

static void take(nl_line_reader *lr, std::vector<event> *got, bool *eof)
{
    for (int guard = 0; guard < 100000; guard++) {
        const char *line;
        size_t len;
        nl_line_status st = nl_lr_next(lr, &line, &len);
        if (st == NL_LINE_OK) {
            if (len > lr->max_line) abort();
            got->push_back({false, std::string(line, len)});
        } else if (st == NL_LINE_TOO_LONG) {
            got->push_back({true, ""});
        } else if (st == NL_LINE_EOF) {
            *eof = true;
            return;
        } else if (st == NL_LINE_NEED_MORE) {
            return;
        } else {
            abort();
        }
    }
    abort();  // no progress
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 60000) return 0;  // a pipe holds 64 KiB: the writer never blocks
    size_t max_line = 1 + (data[0] & 0x7f) % 48;
    bool feed = data[0] & 0x80;
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) abort();
    nl_line_reader lr;
    if (nl_lr_init(&lr, p[0], max_line) < 0) abort();
    std::string stream;
    std::vector<event> got;
    bool eof = false;
    size_t pos = 1;
    while (pos < size) {
        size_t chunk = 1 + data[pos] % 16;  // the first byte of each chunk says its length
        pos++;
        if (chunk > size - pos) chunk = size - pos;
        stream.append((const char *)data + pos, chunk);
        if (feed) {
            size_t off = 0;
            for (int guard = 0; off < chunk; guard++) {
                if (guard > 100000) abort();
                size_t took = nl_lr_feed(&lr, (const char *)data + pos + off, chunk - off);
                if (took > chunk - off) abort();
                off += took;
                take(&lr, &got, &eof);
            }
            pos += chunk;
            continue;
        }
        if (chunk && write(p[1], data + pos, chunk) != (ssize_t)chunk) abort();
        pos += chunk;
        for (int guard = 0;; guard++) {
            if (guard > 100000) abort();
            take(&lr, &got, &eof);
            nl_line_status st = nl_lr_fill(&lr);
            if (st == NL_LINE_AGAIN) break;
            if (st != NL_LINE_OK) abort();
        }
    }
    close(p[1]);
    if (feed) nl_lr_set_eof(&lr);
    for (int guard = 0; !eof; guard++) {
        if (guard > 100000) abort();
        take(&lr, &got, &eof);
        if (eof) break;
        if (feed) abort();  // after set_eof, next must reach EOF by itself
        nl_line_status st = nl_lr_fill(&lr);
        if (st != NL_LINE_OK && st != NL_LINE_EOF) abort();
    }
    std::vector<event> want = model(stream, max_line);
    if (got != want) {
        fprintf(stderr, "max_line %zu: %zu events, the model %zu\n", max_line, got.size(), want.size());
        abort();
    }
    nl_lr_free(&lr);
    close(p[0]);
    return 0;
}
