// test_linereader.cpp — nl_linereader: endings, partial lines, the max_line bound (exactly, one over,
// far over), EOF, non-blocking reads, errors, and feeders that split the input every possible way.
#include "common_tests.h"
#include "nl_linereader.h"

#include <cerrno>
#include <fcntl.h>
#include <pthread.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

static void send_str(int fd, const std::string &s)
{
    size_t off = 0;
    while (off < s.size()) {
        ssize_t n = send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
        assert_true(n > 0);
        off += (size_t)n;
    }
}

// Next result of the blocking reader as text: the line, or "<TOO_LONG>", "<EOF>"...
static std::string next_blocking(nl_line_reader *lr)
{
    const char *line;
    size_t len;
    switch (nl_lr_read_line(lr, &line, &len)) {
    case NL_LINE_OK: return std::string(line, len);
    case NL_LINE_TOO_LONG: return "<TOO_LONG>";
    case NL_LINE_EOF: return "<EOF>";
    case NL_LINE_AGAIN: return "<AGAIN>";
    case NL_LINE_ERROR: return "<ERROR>";
    case NL_LINE_NEED_MORE: return "<NEED_MORE>";
    }
    return "<?>";
}

static std::string next_buffered(nl_line_reader *lr)
{
    const char *line;
    size_t len;
    switch (nl_lr_next(lr, &line, &len)) {
    case NL_LINE_OK: return std::string(line, len);
    case NL_LINE_TOO_LONG: return "<TOO_LONG>";
    case NL_LINE_EOF: return "<EOF>";
    case NL_LINE_NEED_MORE: return "<NEED_MORE>";
    default: return "<?>";
    }
}

// Feeds text then closes, and reads everything back with the blocking reader.
static std::vector<std::string> read_all(const std::string &text, size_t max_line)
{
    int sv[2];
    tc_socketpair(sv);
    send_str(sv[1], text);
    close(sv[1]);
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, sv[0], max_line), 0);
    std::vector<std::string> out;
    for (;;) {
        std::string r = next_blocking(&lr);
        out.push_back(r);
        if (r == "<EOF>" || r == "<ERROR>" || out.size() > 10000) break;
    }
    nl_lr_free(&lr);
    close(sv[0]);
    return out;
}

static void assert_results(const std::vector<std::string> &got, const std::vector<std::string> &want)
{
    if (got != want) {
        std::string g, w;
        for (const std::string &s : got) g += "[" + s + "]";
        for (const std::string &s : want) w += "[" + s + "]";
        fail_msg("got %s, want %s", g.c_str(), w.c_str());
    }
}

void test_lr_lf_and_crlf_lines(void **)
{
    assert_results(read_all("a\nbb\r\n\n\r\nccc\nx\ry\n", 64), {"a", "bb", "", "", "ccc", "x\ry", "<EOF>"});
}

void test_lr_partial_lines_across_reads(void **)
{
    int sv[2];
    tc_socketpair(sv);
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, sv[0], 64), 0);
    send_str(sv[1], "hel");
    assert_int_equal(nl_lr_fill(&lr), NL_LINE_OK);
    assert_string_equal(next_buffered(&lr).c_str(), "<NEED_MORE>");
    send_str(sv[1], "lo\r");
    assert_int_equal(nl_lr_fill(&lr), NL_LINE_OK);
    assert_string_equal(next_buffered(&lr).c_str(), "<NEED_MORE>");
    send_str(sv[1], "\nwor");
    assert_int_equal(nl_lr_fill(&lr), NL_LINE_OK);
    assert_string_equal(next_buffered(&lr).c_str(), "hello");
    assert_string_equal(next_buffered(&lr).c_str(), "<NEED_MORE>");
    send_str(sv[1], "ld\nand\nmore\n");
    assert_int_equal(nl_lr_fill(&lr), NL_LINE_OK);
    assert_string_equal(next_buffered(&lr).c_str(), "world");
    assert_string_equal(next_buffered(&lr).c_str(), "and");
    assert_string_equal(next_buffered(&lr).c_str(), "more");
    assert_string_equal(next_buffered(&lr).c_str(), "<NEED_MORE>");
    close(sv[1]);
    assert_int_equal(nl_lr_fill(&lr), NL_LINE_EOF);
    assert_string_equal(next_buffered(&lr).c_str(), "<EOF>");
    nl_lr_free(&lr);
    close(sv[0]);
}

void test_lr_exactly_max_line_bytes(void **)
{
    // A line of exactly max_line bytes is a line, whichever ending it has.
    assert_results(read_all("12345678\n12345678\r\nabc\n", 8), {"12345678", "12345678", "abc", "<EOF>"});
    assert_results(read_all("12345678", 8), {"12345678", "<EOF>"});
    assert_results(read_all("12345678\r", 8), {"12345678", "<EOF>"});
}

void test_lr_max_line_plus_one_is_too_long_then_recovers(void **)
{
    assert_results(read_all("123456789\nok\n", 8), {"<TOO_LONG>", "ok", "<EOF>"});
    assert_results(read_all("123456789\r\nok\n", 8), {"<TOO_LONG>", "ok", "<EOF>"});
    assert_results(read_all("12345678\rx\nok\n", 8), {"<TOO_LONG>", "ok", "<EOF>"});
    // Non-blocking: max_line + 1 bytes with no newline yet are already known to be too long.
    int sv[2];
    tc_socketpair(sv);
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, sv[0], 8), 0);
    send_str(sv[1], "123456789");
    while (nl_lr_fill(&lr) == NL_LINE_OK) {
        std::string r = next_buffered(&lr);
        if (r != "<NEED_MORE>") {
            assert_string_equal(r.c_str(), "<TOO_LONG>");
            break;
        }
    }
    send_str(sv[1], "rest of it\nnext\n");
    std::string r;
    while ((r = next_buffered(&lr)) == "<NEED_MORE>") assert_int_equal(nl_lr_fill(&lr), NL_LINE_OK);
    assert_string_equal(r.c_str(), "next");
    nl_lr_free(&lr);
    close(sv[0]);
    close(sv[1]);
}

struct feed_job {
    int fd;
    std::string text;
    std::vector<size_t> chunks;  // sizes to send, cycled; empty = all at once
};

static void *feeder_main(void *arg)
{
    feed_job *j = (feed_job *)arg;
    size_t off = 0, k = 0;
    while (off < j->text.size()) {
        size_t want = j->chunks.empty() ? j->text.size() - off : j->chunks[k++ % j->chunks.size()];
        if (want > j->text.size() - off) want = j->text.size() - off;
        ssize_t n = send(j->fd, j->text.data() + off, want, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        off += (size_t)n;
    }
    close(j->fd);
    return nullptr;
}

// What the reader must return for text, computed from the contract: split on '\n', drop one '\r'
// before it, a line longer than max_line is one TOO_LONG, a last line without '\n' still counts.
static std::vector<std::string> model(const std::string &text, size_t max_line)
{
    std::vector<std::string> out;
    size_t start = 0;
    while (start < text.size()) {
        size_t nl = text.find('\n', start);
        size_t end = nl == std::string::npos ? text.size() : nl;
        std::string line = text.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(line.size() > max_line ? "<TOO_LONG>" : line);
        start = nl == std::string::npos ? text.size() : nl + 1;
    }
    out.push_back("<EOF>");
    return out;
}

static std::vector<std::string> read_threaded(feed_job *job, int reader_fd, size_t max_line)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, nullptr, feeder_main, job), 0);
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, reader_fd, max_line), 0);
    std::vector<std::string> out;
    for (;;) {
        std::string r = next_blocking(&lr);
        out.push_back(r);
        if (r == "<EOF>" || r == "<ERROR>") break;
    }
    nl_lr_free(&lr);
    pthread_join(t, nullptr);
    close(reader_fd);
    return out;
}

void test_lr_huge_line_is_discarded_without_over_read(void **)
{
    int sv[2];
    tc_socketpair(sv);
    feed_job job;
    job.fd = sv[1];
    job.text = "first\n" + std::string(3u << 20, 'z') + "\r\nafter\n";
    assert_results(read_threaded(&job, sv[0], 1024), {"first", "<TOO_LONG>", "after", "<EOF>"});
    // The buffer never grows past its bound while discarding.
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, -1, 1024), 0);
    assert_int_equal(lr.max_line, 1024);
    nl_lr_free(&lr);
}

void test_lr_last_line_without_newline_at_eof(void **)
{
    assert_results(read_all("a\nlast", 64), {"a", "last", "<EOF>"});
    assert_results(read_all("a\nlast\r", 64), {"a", "last", "<EOF>"});
    assert_results(read_all("", 64), {"<EOF>"});
    // EOF stays EOF.
    int sv[2];
    tc_socketpair(sv);
    close(sv[1]);
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, sv[0], 16), 0);
    assert_string_equal(next_blocking(&lr).c_str(), "<EOF>");
    assert_string_equal(next_blocking(&lr).c_str(), "<EOF>");
    assert_int_equal(nl_lr_fill(&lr), NL_LINE_EOF);
    nl_lr_free(&lr);
    close(sv[0]);
}

void test_lr_too_long_line_at_eof(void **)
{
    assert_results(read_all("ok\n0123456789abcdef", 8), {"ok", "<TOO_LONG>", "<EOF>"});
    assert_results(read_all("0123456789abcdef0123456789", 8), {"<TOO_LONG>", "<EOF>"});
}

void test_lr_nonblocking_again(void **)
{
    int sv[2];
    tc_socketpair(sv);
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, sv[0], 16), 0);
    int fl = fcntl(sv[0], F_GETFL);
    assert_int_equal(fcntl(sv[0], F_SETFL, fl | O_NONBLOCK), 0);
    const char *line;
    size_t len;
    assert_int_equal(nl_lr_read_line(&lr, &line, &len), NL_LINE_AGAIN);
    assert_int_equal(nl_lr_fill(&lr), NL_LINE_AGAIN);
    send_str(sv[1], "par");
    assert_int_equal(nl_lr_read_line(&lr, &line, &len), NL_LINE_AGAIN);  // partial line kept
    send_str(sv[1], "tial\nx");
    assert_int_equal(nl_lr_read_line(&lr, &line, &len), NL_LINE_OK);
    assert_int_equal(len, 7);
    assert_memory_equal(line, "partial", 7);
    assert_int_equal(nl_lr_read_line(&lr, &line, &len), NL_LINE_AGAIN);
    close(sv[1]);
    assert_int_equal(nl_lr_read_line(&lr, &line, &len), NL_LINE_OK);
    assert_int_equal(len, 1);
    assert_int_equal(nl_lr_read_line(&lr, &line, &len), NL_LINE_EOF);
    nl_lr_free(&lr);
    close(sv[0]);
}

void test_lr_read_error(void **)
{
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, -1, 16), 0);
    errno = 0;
    assert_int_equal(nl_lr_fill(&lr), NL_LINE_ERROR);
    assert_int_equal(errno, EBADF);
    const char *line;
    size_t len;
    assert_int_equal(nl_lr_read_line(&lr, &line, &len), NL_LINE_ERROR);
    nl_lr_free(&lr);
}

// A text that walks every boundary of max_line = 8 with both endings, over-long lines of every
// length around the bound, empty lines and a last line without '\n'.
static std::string tricky_text(void)
{
    std::string t;
    for (size_t n = 0; n <= 12; n++) {
        std::string body;
        for (size_t i = 0; i < n; i++) body.push_back((char)('a' + (n + i) % 26));
        t += body + "\n" + body + "\r\n";
        if (n % 3 == 0) t += "\n";
    }
    t += "\r\r\n12345678\r" + std::string(40, 'Q') + "\nend";
    return t;
}

void test_lr_byte_by_byte_feeder(void **)
{
    // Lock-step over a socketpair: one byte sent, one byte read, then every line the reader can
    // give. Each byte boundary of the text is a read boundary.
    const size_t max_line = 8;
    std::string text = tricky_text();
    int sv[2];
    tc_socketpair(sv);
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, sv[0], max_line), 0);
    std::vector<std::string> got;
    for (size_t i = 0; i <= text.size(); i++) {
        if (i < text.size()) {
            send_str(sv[1], text.substr(i, 1));
            assert_int_equal(nl_lr_fill(&lr), NL_LINE_OK);
            assert_true(lr.end - lr.start <= max_line + 2);  // the bound holds at every step
        } else {
            close(sv[1]);
            assert_int_equal(nl_lr_fill(&lr), NL_LINE_EOF);
        }
        for (;;) {
            std::string r = next_buffered(&lr);
            if (r == "<NEED_MORE>") break;
            got.push_back(r);
            if (r == "<EOF>") break;
        }
    }
    assert_results(got, model(text, max_line));
    nl_lr_free(&lr);
    close(sv[0]);
}

void test_lr_threaded_random_chunks_feeder(void **)
{
    const size_t max_line = 8;
    std::string text;
    for (int rep = 0; rep < 20; rep++) text += tricky_text() + "\n";
    std::vector<std::vector<size_t>> plans = {{1}, {2}, {3, 1, 7}, {9}, {10}, {11, 2}, {64}, {}};
    for (const auto &plan : plans) {
        int sv[2];
        tc_socketpair(sv);
        feed_job job;
        job.fd = sv[1];
        job.text = text;
        job.chunks = plan;
        assert_results(read_threaded(&job, sv[0], max_line), model(text, max_line));
    }
}

// nl_lr_feed: bytes handed over in chunks (as a completion loop receives them) give the same lines
// as reads; a full buffer takes nothing until lines are taken out; an over-long line is reported
// once and skipped; the last partial line comes out after nl_lr_set_eof, then EOF, and feeding stops.
void test_lr_feed_in_chunks_like_a_completion_loop(void **)
{
    nl_line_reader lr;
    assert_int_equal(nl_lr_init(&lr, -1, 8), 0);
    std::string in = "ab\r\n12345678\n123456789\nxy\ntail";
    std::vector<std::string> got;
    for (size_t chunk = 1; chunk <= in.size(); chunk++) {
        got.clear();
        nl_lr_free(&lr);
        assert_int_equal(nl_lr_init(&lr, -1, 8), 0);
        size_t off = 0;
        while (off < in.size()) {
            size_t n = std::min(chunk, in.size() - off), took = 0;
            while (took < n) {
                size_t t = nl_lr_feed(&lr, in.data() + off + took, n - took);
                took += t;
                for (;;) {
                    const char *line;
                    size_t len;
                    nl_line_status st = nl_lr_next(&lr, &line, &len);
                    if (st == NL_LINE_OK) got.push_back(std::string(line, len));
                    else if (st == NL_LINE_TOO_LONG) got.push_back("<TOO_LONG>");
                    else break;
                }
                if (t == 0) assert_true(took < n);  // full: the lines taken out above made room
            }
            off += n;
        }
        nl_lr_set_eof(&lr);
        const char *line;
        size_t len;
        assert_int_equal(nl_lr_next(&lr, &line, &len), NL_LINE_OK);
        got.push_back(std::string(line, len));
        assert_int_equal(nl_lr_next(&lr, &line, &len), NL_LINE_EOF);
        assert_int_equal(nl_lr_feed(&lr, "more", 4), 0);
        std::vector<std::string> want = {"ab", "12345678", "<TOO_LONG>", "xy", "tail"};
        if (got != want) fail_msg("chunks of %zu bytes: got %zu lines, the first differing one is wrong", chunk, got.size());
    }
    nl_lr_free(&lr);
}
