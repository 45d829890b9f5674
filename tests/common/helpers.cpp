// helpers.cpp — shared helpers of the common/ suite: socket pairs, patterns, forked children, and a
// test-only wrapper of send(2) that makes short writes and EINTR certain instead of lucky.
#include "common_tests.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

void tc_socketpair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

std::string tc_pattern(size_t len, unsigned seed)
{
    std::string s(len, '\0');
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        s[i] = (char)(x >> 11);
    }
    return s;
}

int tc_in_child(int (*fn)(void *), void *arg, int timeout_ms)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(fn(arg));
    // A pidfd becomes readable when the child exits: a deadline without polling.
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    assert_true(pfd >= 0);
    struct pollfd p = {pfd, POLLIN, 0};
    int r;
    do r = poll(&p, 1, timeout_ms); while (r < 0 && errno == EINTR);
    close(pfd);
    if (r == 0) kill(pid, SIGKILL);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (r == 0) fail_msg("child did not finish within %d ms", timeout_ms);
    return st;
}

static std::atomic<bool> g_short{false};
static std::atomic<size_t> g_chunk{1};
static std::atomic<unsigned long> g_calls{0}, g_cut{0};

void tc_send_short_writes(bool on, size_t max_chunk)
{
    g_chunk.store(max_chunk ? max_chunk : 1);
    g_short.store(on);
}
unsigned long tc_send_calls(void) { return g_calls.load(); }
unsigned long tc_send_short_count(void) { return g_cut.load(); }
int tc_teardown(void **)
{
    tc_send_short_writes(false, 0);
    return 0;
}

void tc_send_reset_counts(void)
{
    g_calls.store(0);
    g_cut.store(0);
}

extern "C" ssize_t __real_send(int fd, const void *buf, size_t len, int flags);
extern "C" ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags)
{
    unsigned long n = g_calls.fetch_add(1) + 1;
    if (!g_short.load()) return __real_send(fd, buf, len, flags);
    if (n % 3 == 0) {
        errno = EINTR;
        return -1;
    }
    size_t cap = g_chunk.load();
    if (len > cap) {
        g_cut.fetch_add(1);
        len = cap;
    }
    return __real_send(fd, buf, len, flags);
}
