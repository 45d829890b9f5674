// test_outbuf.cpp — nl_outbuf against a socketpair whose peer does not read: flush never blocks,
// keeps what the kernel refused, and delivers everything in order once the peer drains.
#include "common_tests.h"
#include "nl_outbuf.h"

#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

// Reads what is there now (non-blocking) and appends it to *got; returns the count.
static size_t drain_now(int fd, std::string *got)
{
    char buf[65536];
    size_t total = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got->append(buf, (size_t)n);
        total += (size_t)n;
    }
    return total;
}

// Alternates "peer reads what is there" and "flush" until nothing is pending.
static void drain_all(nl_outbuf *ob, int wfd, int rfd, std::string *got)
{
    for (int rounds = 0; nl_outbuf_pending(ob) > 0; rounds++) {
        assert_true(rounds < 1000000);
        drain_now(rfd, got);
        assert_int_equal(nl_outbuf_flush(ob, wfd), 0);
    }
    drain_now(rfd, got);
}

// Flushing into a blocking socket whose peer does not read, in a child: if flush blocked, the
// child would be killed at its deadline and the test fails instead of hanging.
static int flush_does_not_block_child(void *)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 10;
    std::string data(4u << 20, 'b');
    nl_outbuf ob;
    nl_outbuf_append(&ob, data.data(), data.size());
    if (nl_outbuf_flush(&ob, sv[0]) != 0) return 11;
    size_t left = nl_outbuf_pending(&ob);
    if (left == 0 || left == data.size()) return 12;  // some went, the rest waits
    if (nl_outbuf_flush(&ob, sv[0]) != 0) return 13;  // still full: no progress, no block
    if (nl_outbuf_pending(&ob) != left) return 14;
    return 0;
}

void test_outbuf_peer_not_reading_keeps_pending_without_blocking(void **)
{
    int st = tc_in_child(flush_does_not_block_child, nullptr, 10000);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0) fail_msg("flush into a full socket failed at step %d", WEXITSTATUS(st));
    // Then the peer drains, and everything arrives in order.
    int sv[2];
    tc_socketpair(sv);
    std::string data = tc_pattern(4u << 20, 3);
    nl_outbuf ob;
    nl_outbuf_append(&ob, data.data(), data.size());
    assert_int_equal(nl_outbuf_pending(&ob), data.size());
    assert_int_equal(nl_outbuf_flush(&ob, sv[0]), 0);
    size_t left = nl_outbuf_pending(&ob);
    assert_true(left > 0 && left < data.size());
    std::string got;
    drain_all(&ob, sv[0], sv[1], &got);
    assert_int_equal(nl_outbuf_pending(&ob), 0);
    assert_true(got == data);
    // Emptied: the storage is reset, and a flush with nothing pending is a no-op.
    assert_int_equal(ob.off, 0);
    assert_int_equal(ob.data.size(), 0);
    assert_int_equal(nl_outbuf_flush(&ob, sv[0]), 0);
    close(sv[0]);
    close(sv[1]);
}

void test_outbuf_appends_after_partial_flush_keep_order(void **)
{
    int sv[2];
    tc_socketpair(sv);
    std::string want;
    nl_outbuf ob;
    std::string got;
    // Many appends interleaved with partial flushes and partial reads: the pending range moves,
    // and the storage is compacted on the way; the byte stream must stay exactly the same.
    for (unsigned i = 0; i < 200; i++) {
        std::string piece = tc_pattern(1000 + (i * 7919) % 60000, 100 + i);
        nl_outbuf_append(&ob, piece.data(), piece.size());
        want += piece;
        assert_int_equal(nl_outbuf_flush(&ob, sv[0]), 0);
        if (i % 3 == 0) drain_now(sv[1], &got);
        assert_true(nl_outbuf_pending(&ob) + got.size() <= want.size());
    }
    drain_all(&ob, sv[0], sv[1], &got);
    assert_int_equal(got.size(), want.size());
    assert_true(got == want);
    close(sv[0]);
    close(sv[1]);
}

void test_outbuf_survives_short_writes_and_eintr(void **)
{
    int sv[2];
    tc_socketpair(sv);
    std::string data = tc_pattern(2u << 20, 4);
    nl_outbuf ob;
    nl_outbuf_append(&ob, data.data(), data.size());
    tc_send_reset_counts();
    tc_send_short_writes(true, 1000);
    // One flush goes on through short writes and EINTR until the socket is full.
    assert_int_equal(nl_outbuf_flush(&ob, sv[0]), 0);
    struct pollfd p = {sv[0], POLLOUT, 0};
    int writable = poll(&p, 1, 0);
    unsigned long calls = tc_send_calls();
    if (writable != 0) {
        tc_send_short_writes(false, 0);
        fail_msg("one flush stopped after %lu sends with room left in the socket", calls);
    }
    std::string got;
    drain_all(&ob, sv[0], sv[1], &got);
    tc_send_short_writes(false, 0);
    assert_true(tc_send_short_count() > 0);
    assert_true(got == data);
    close(sv[0]);
    close(sv[1]);
}

static int flush_to_closed_peer_child(void *)
{
    signal(SIGPIPE, SIG_DFL);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 10;
    close(sv[1]);
    nl_outbuf ob;
    nl_outbuf_append(&ob, "hello\n", 6);
    errno = 0;
    if (nl_outbuf_flush(&ob, sv[0]) != -1) return 11;
    if (errno != EPIPE) return 12;
    if (nl_outbuf_pending(&ob) != 6) return 13;  // nothing was lost from the queue
    return 0;
}

void test_outbuf_closed_peer_is_error_not_sigpipe(void **)
{
    int st = tc_in_child(flush_to_closed_peer_child, nullptr, 10000);
    if (WIFSIGNALED(st)) fail_msg("flushing to a closed peer killed the process with signal %d", WTERMSIG(st));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}
