// test_socket.cpp — nl_socket: listening on port 0, connecting, error messages, nl_write_all under
// short writes, EINTR and a vanished peer, nl_parse_u64.
#include "common_tests.h"
#include "nl_clock.h"
#include "nl_socket.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

static int accept_one(int lfd)
{
    int c;
    do c = accept(lfd, nullptr, nullptr); while (c < 0 && errno == EINTR);
    assert_true(c >= 0);
    return c;
}

void test_socket_listen_port0_then_connect(void **)
{
    char err[256] = "";
    int lfd = nl_listen_tcp("127.0.0.1", 0, 8, 0, err, sizeof err);
    assert_true(lfd >= 0);
    uint16_t port = nl_local_port(lfd);
    assert_int_not_equal(port, 0);
    int c = nl_connect_tcp("127.0.0.1", port, err, sizeof err);
    assert_true(c >= 0);
    int s = accept_one(lfd);
    assert_int_equal(nl_write_all(c, "ping\n", 5), 0);
    char buf[8];
    ssize_t n = recv(s, buf, 5, MSG_WAITALL);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "ping\n", 5);
    // The accepted socket's peer port is the client's local port.
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    assert_int_equal(getpeername(s, (struct sockaddr *)&peer, &plen), 0);
    assert_int_equal(ntohs(peer.sin_port), nl_local_port(c));
    assert_int_equal(nl_local_port(-1), 0);
    close(s);
    close(c);
    close(lfd);
}

void test_socket_listen_nonblock_flag(void **)
{
    int lfd = nl_listen_tcp("127.0.0.1", 0, 8, NL_SOCK_NONBLOCK, nullptr, 0);
    assert_true(lfd >= 0);
    assert_true(fcntl(lfd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
    errno = 0;
    assert_int_equal(accept(lfd, nullptr, nullptr), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    int blocking = nl_listen_tcp("127.0.0.1", 0, 8, 0, nullptr, 0);
    assert_true(blocking >= 0);
    assert_false(fcntl(blocking, F_GETFL) & O_NONBLOCK);
    close(blocking);
    close(lfd);
}

void test_socket_listen_port_in_use_names_the_problem(void **)
{
    char err[256] = "";
    int lfd = nl_listen_tcp("127.0.0.1", 0, 8, 0, err, sizeof err);
    assert_true(lfd >= 0);
    uint16_t port = nl_local_port(lfd);
    assert_int_equal(nl_listen_tcp("127.0.0.1", port, 8, 0, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "cannot listen on 127.0.0.1:%u: %s", (unsigned)port, strerror(EADDRINUSE));
    assert_string_equal(err, want);
    // A NULL err is allowed.
    assert_int_equal(nl_listen_tcp("127.0.0.1", port, 8, 0, nullptr, 0), -1);
    close(lfd);
}

void test_socket_connect_refused_names_the_problem(void **)
{
    int lfd = nl_listen_tcp("127.0.0.1", 0, 8, 0, nullptr, 0);
    assert_true(lfd >= 0);
    uint16_t port = nl_local_port(lfd);
    close(lfd);  // nobody listens there now
    char err[256] = "";
    assert_int_equal(nl_connect_tcp("127.0.0.1", port, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "cannot connect to 127.0.0.1:%u: %s", (unsigned)port, strerror(ECONNREFUSED));
    assert_string_equal(err, want);
}

void test_socket_print_listening_line(void **)
{
    int lfd = nl_listen_tcp("127.0.0.1", 0, 8, 0, nullptr, 0);
    assert_true(lfd >= 0);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(p[1], STDOUT_FILENO);
    nl_print_listening("127.0.0.1", lfd);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(p[1]);
    char buf[128] = "";
    ssize_t n = read(p[0], buf, sizeof buf - 1);
    assert_true(n > 0);
    char want[64];
    snprintf(want, sizeof want, "listening on 127.0.0.1:%u\n", (unsigned)nl_local_port(lfd));
    assert_string_equal(buf, want);
    close(p[0]);
    close(lfd);
}

void test_socket_nonblock_and_nodelay(void **)
{
    int lfd = nl_listen_tcp("127.0.0.1", 0, 8, 0, nullptr, 0);
    int c = nl_connect_tcp("127.0.0.1", nl_local_port(lfd), nullptr, 0);
    assert_true(c >= 0);
    assert_int_equal(nl_set_nonblock(c, true), 0);
    assert_true(fcntl(c, F_GETFL) & O_NONBLOCK);
    char b;
    errno = 0;
    assert_int_equal(recv(c, &b, 1, 0), -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    assert_int_equal(nl_set_nonblock(c, false), 0);
    assert_false(fcntl(c, F_GETFL) & O_NONBLOCK);
    assert_int_equal(nl_set_nodelay(c), 0);
    int v = 0;
    socklen_t len = sizeof v;
    assert_int_equal(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
    assert_int_not_equal(v, 0);
    assert_int_equal(nl_set_nonblock(-1, true), -1);
    close(c);
    close(lfd);
}

struct writer_job {
    int fd;
    const std::string *data;
    int rc;
    int err;
};

static void *writer_main(void *arg)
{
    writer_job *j = (writer_job *)arg;
    j->rc = nl_write_all(j->fd, j->data->data(), j->data->size());
    j->err = errno;
    return nullptr;
}

// The reader takes small bites, so the writer's socket buffer is full most of the time and the
// kernel accepts the buffer piece by piece.
static void read_slowly_and_check(int fd, const std::string &want, size_t bite)
{
    std::string got;
    got.reserve(want.size());
    std::string chunk(bite, '\0');
    uint64_t deadline = nl_now_ms() + 10000;
    while (got.size() < want.size()) {
        struct pollfd p = {fd, POLLIN, 0};
        uint64_t now = nl_now_ms();
        if (now >= deadline || poll(&p, 1, (int)(deadline - now)) == 0)
            fail_msg("only %zu of %zu bytes arrived within 10 s", got.size(), want.size());
        ssize_t n = recv(fd, chunk.data(), bite, 0);
        if (n < 0 && errno == EINTR) continue;
        assert_true(n > 0);
        got.append(chunk.data(), (size_t)n);
    }
    assert_true(got == want);
}

void test_write_all_large_buffer_to_slow_reader(void **)
{
    int lfd = nl_listen_tcp("127.0.0.1", 0, 8, 0, nullptr, 0);
    int c = nl_connect_tcp("127.0.0.1", nl_local_port(lfd), nullptr, 0);
    int s = accept_one(lfd);
    nl_set_nodelay(c);
    std::string data = tc_pattern(4u << 20, 1);
    writer_job j = {c, &data, -2, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, nullptr, writer_main, &j), 0);
    read_slowly_and_check(s, data, 1000);
    pthread_join(t, nullptr);
    assert_int_equal(j.rc, 0);
    close(s);
    close(c);
    close(lfd);
}

void test_write_all_survives_short_writes_and_eintr(void **)
{
    int sv[2];
    tc_socketpair(sv);
    std::string data = tc_pattern(300000, 2);
    writer_job j = {sv[0], &data, -2, 0};
    tc_send_reset_counts();
    tc_send_short_writes(true, 777);
    pthread_t t;
    assert_int_equal(pthread_create(&t, nullptr, writer_main, &j), 0);
    read_slowly_and_check(sv[1], data, 4096);
    pthread_join(t, nullptr);
    tc_send_short_writes(false, 0);
    assert_int_equal(j.rc, 0);
    // The wrapper really cut the writes short and injected EINTR: the retry paths ran.
    assert_true(tc_send_short_count() >= data.size() / 777);
    assert_true(tc_send_calls() > tc_send_short_count());
    close(sv[0]);
    close(sv[1]);
}

static int write_to_closed_peer_child(void *)
{
    signal(SIGPIPE, SIG_DFL);  // a SIGPIPE would kill this child: the parent sees the signal
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) return 10;
    close(sv[1]);
    std::string data(100000, 'x');
    errno = 0;
    if (nl_write_all(sv[0], data.data(), data.size()) != -1) return 11;
    if (errno != EPIPE) return 12;
    // Over TCP the peer's reset may come first: EPIPE or ECONNRESET, never a signal.
    int lfd = nl_listen_tcp("127.0.0.1", 0, 8, 0, nullptr, 0);
    int c = nl_connect_tcp("127.0.0.1", nl_local_port(lfd), nullptr, 0);
    int s = accept(lfd, nullptr, nullptr);
    if (lfd < 0 || c < 0 || s < 0) return 13;
    close(s);
    int rc = 0;
    for (int i = 0; i < 1000 && rc == 0; i++) rc = nl_write_all(c, data.data(), data.size());
    if (rc != -1) return 14;
    if (errno != EPIPE && errno != ECONNRESET) return 15;
    return 0;
}

void test_write_all_closed_peer_is_epipe_not_sigpipe(void **)
{
    int st = tc_in_child(write_to_closed_peer_child, nullptr, 10000);
    if (WIFSIGNALED(st)) fail_msg("nl_write_all to a closed peer killed the process with signal %d", WTERMSIG(st));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

void test_write_all_on_a_pipe(void **)
{
    // Not a socket: nl_write_all falls back to write(2).
    int p[2];
    assert_int_equal(pipe(p), 0);
    assert_int_equal(nl_write_all(p[1], "abc", 3), 0);
    char buf[4] = "";
    assert_int_equal(read(p[0], buf, 3), 3);
    assert_string_equal(buf, "abc");
    close(p[0]);
    close(p[1]);
    errno = 0;
    assert_int_equal(nl_write_all(p[1], "abc", 3), -1);
    assert_int_equal(errno, EBADF);
}

void test_parse_u64_bounds(void **)
{
    uint64_t v = 99;
    char err[128] = "";
    assert_int_equal(nl_parse_u64("0", 0, 10, &v, err, sizeof err), 0);
    assert_int_equal(v, 0);
    assert_int_equal(nl_parse_u64("10", 0, 10, &v, err, sizeof err), 0);
    assert_int_equal(v, 10);
    assert_int_equal(nl_parse_u64("5", 5, 5, &v, err, sizeof err), 0);
    assert_int_equal(v, 5);
    v = 99;
    assert_int_equal(nl_parse_u64("11", 0, 10, &v, err, sizeof err), -1);
    assert_string_equal(err, "11 is out of range [0, 10]");
    assert_int_equal(v, 99);  // untouched on failure
    assert_int_equal(nl_parse_u64("4", 5, 10, &v, err, sizeof err), -1);
    assert_string_equal(err, "4 is out of range [5, 10]");
    assert_int_equal(nl_parse_u64("18446744073709551615", 0, UINT64_MAX, &v, err, sizeof err), 0);
    assert_true(v == UINT64_MAX);
    assert_int_equal(nl_parse_u64("65536", 1, 65535, &v, err, sizeof err), -1);
    assert_string_equal(err, "65536 is out of range [1, 65535]");
    assert_int_equal(nl_parse_u64("007", 0, 10, &v, err, sizeof err), 0);
    assert_int_equal(v, 7);
}

void test_parse_u64_rejects_garbage_with_a_message(void **)
{
    const char *bad[] = {"", "-1", "+1", " 1", "1 ", "1a", "0x10", "abc", "1.5", "\t2", " -1", "1\n",
                         "18446744073709551616", "99999999999999999999999"};
    for (const char *b : bad) {
        uint64_t v = 42;
        char err[128] = "";
        if (nl_parse_u64(b, 0, UINT64_MAX, &v, err, sizeof err) != -1) fail_msg("'%s' was accepted", b);
        char want[128];
        snprintf(want, sizeof want, "'%s' is not a number", b);
        assert_string_equal(err, want);
        assert_int_equal(v, 42);
    }
    uint64_t v = 0;
    char err[128] = "";
    assert_int_equal(nl_parse_u64(nullptr, 0, 10, &v, err, sizeof err), -1);
    assert_string_equal(err, "'' is not a number");
    assert_int_equal(nl_parse_u64("x", 0, 10, &v, nullptr, 0), -1);  // err may be NULL
}
