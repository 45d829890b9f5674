// test_misc.cpp — nl_signal (in forked children: it changes the process's signal state), nl_clock
// and nl_log.
#include "common_tests.h"
#include "nl_clock.h"
#include "nl_log.h"
#include "nl_signal.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

static void assert_child_ok(int st)
{
    if (WIFSIGNALED(st)) fail_msg("the child died from signal %d", WTERMSIG(st));
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) != 0) fail_msg("the child failed at step %d", WEXITSTATUS(st));
}

static int sigterm_child(void *)
{
    char err[256];
    if (nl_shutdown_init(err, sizeof err) < 0) return 10;
    int fd = nl_shutdown_fd();
    if (fd < 0) return 11;
    if (nl_shutdown_requested()) return 12;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) != 0) return 13;  // nothing pending yet
    raise(SIGTERM);                       // blocked: queued, not fatal
    if (poll(&p, 1, 5000) != 1 || !(p.revents & POLLIN)) return 14;
    if (nl_shutdown_consume() != SIGTERM) return 15;
    if (!nl_shutdown_requested()) return 16;
    if (poll(&p, 1, 0) != 0) return 17;   // consumed
    kill(getpid(), SIGINT);
    if (poll(&p, 1, 5000) != 1) return 18;
    if (nl_shutdown_consume() != SIGINT) return 19;
    if (fcntl(fd, F_GETFD) != FD_CLOEXEC) return 20;  // not leaked into programs we exec
    return 0;
}

void test_signal_sigterm_makes_shutdown_fd_readable(void **)
{
    assert_child_ok(tc_in_child(sigterm_child, nullptr, 10000));
}

static int sigpipe_child(void *)
{
    signal(SIGPIPE, SIG_DFL);
    char err[256];
    if (nl_shutdown_init(err, sizeof err) < 0) return 10;
    struct sigaction sa;
    if (sigaction(SIGPIPE, nullptr, &sa) < 0 || sa.sa_handler != SIG_IGN) return 11;
    int p[2];
    if (pipe(p) < 0) return 12;
    close(p[0]);
    errno = 0;
    if (write(p[1], "x", 1) != -1 || errno != EPIPE) return 13;  // alive, with EPIPE
    return 0;
}

void test_signal_sigpipe_ignored(void **) { assert_child_ok(tc_in_child(sigpipe_child, nullptr, 10000)); }

static void *waiter_main(void *arg)
{
    *(int *)arg = nl_shutdown_wait();
    return nullptr;
}

static int request_child(void *)
{
    char err[256];
    if (nl_shutdown_init(err, sizeof err) < 0) return 10;  // before any thread, as documented
    int got = 0;
    pthread_t t;
    if (pthread_create(&t, nullptr, waiter_main, &got) != 0) return 11;
    nl_shutdown_request();  // from another thread: wakes the waiter, does not kill the process
    pthread_join(t, nullptr);
    if (got != SIGTERM) return 12;
    if (!nl_shutdown_requested()) return 13;
    return 0;
}

void test_signal_request_wakes_waiting_thread(void **)
{
    assert_child_ok(tc_in_child(request_child, nullptr, 10000));
}

void test_clock_monotonic_and_consistent(void **)
{
    uint64_t prev = nl_now_ns();
    for (int i = 0; i < 100000; i++) {
        uint64_t t = nl_now_ns();
        assert_true(t >= prev);
        prev = t;
    }
    // It is CLOCK_MONOTONIC itself (not a coarse or wall clock that could jump).
    struct timespec a, c;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint64_t mid = nl_now_ns();
    clock_gettime(CLOCK_MONOTONIC, &c);
    assert_true((uint64_t)a.tv_sec * 1000000000ull + (uint64_t)a.tv_nsec <= mid);
    assert_true(mid <= (uint64_t)c.tv_sec * 1000000000ull + (uint64_t)c.tv_nsec);
    // ms and ns read the same clock.
    uint64_t ns1 = nl_now_ns(), ms = nl_now_ms(), ns2 = nl_now_ns();
    assert_true(ns1 / 1000000 <= ms && ms <= ns2 / 1000000);
    // It advances (bounded busy wait on the condition, about 2 ms).
    uint64_t start = nl_now_ms();
    while (nl_now_ms() < start + 2) assert_true(nl_now_ns() - ns2 < 10000000000ull);
    assert_true(nl_now_ns() - ns2 >= 1000000);
}

void test_clock_unix_seconds_matches_time(void **)
{
    time_t a = time(nullptr);
    int64_t s = nl_unix_seconds();
    time_t b = time(nullptr);
    assert_true(s >= (int64_t)a && s <= (int64_t)b);
    assert_true(s > 1600000000);  // after 2020: the real-time clock, not the monotonic one
}

// Runs fn with stderr redirected into a pipe and returns what was written.
static std::string capture_stderr(void (*fn)(void))
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    int saved = dup(STDERR_FILENO);
    dup2(p[1], STDERR_FILENO);
    close(p[1]);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, (size_t)n);
    close(p[0]);
    return out;
}

static std::vector<std::string> split_lines(const std::string &s)
{
    std::vector<std::string> v;
    size_t start = 0, nl;
    while ((nl = s.find('\n', start)) != std::string::npos) {
        v.push_back(s.substr(start, nl - start));
        start = nl + 1;
    }
    assert_int_equal(start, s.size());  // every message ends with its newline
    return v;
}

// "HH:MM:SS.mmm [level] text"
static void assert_log_line(const std::string &line, const char *level, const char *text)
{
    assert_true(line.size() > 13);
    for (int i : {0, 1, 3, 4, 6, 7, 9, 10, 11}) assert_true(isdigit((unsigned char)line[(size_t)i]));
    assert_true(line[2] == ':' && line[5] == ':' && line[8] == '.' && line[12] == ' ');
    std::string rest = line.substr(13);
    std::string want = std::string("[") + level + "] " + text;
    if (rest != want) fail_msg("log line '%s', want '... %s'", line.c_str(), want.c_str());
}

static void log_all_levels(void)
{
    nl_debug("d %d", 1);
    nl_info("i %s", "two");
    nl_warn("w");
    nl_error("e %c", '!');
}

void test_log_level_filtering(void **)
{
    nl_log_level old = nl_log_get_level();
    nl_log_set_level(NL_LOG_DEBUG);
    std::vector<std::string> l = split_lines(capture_stderr(log_all_levels));
    assert_int_equal(l.size(), 4);
    assert_log_line(l[0], "debug", "d 1");
    assert_log_line(l[1], "info", "i two");
    assert_log_line(l[2], "warn", "w");
    assert_log_line(l[3], "error", "e !");
    nl_log_set_level(NL_LOG_WARN);
    assert_int_equal(nl_log_get_level(), NL_LOG_WARN);
    l = split_lines(capture_stderr(log_all_levels));
    assert_int_equal(l.size(), 2);
    assert_log_line(l[0], "warn", "w");
    assert_log_line(l[1], "error", "e !");
    nl_log_set_level(NL_LOG_OFF);
    assert_string_equal(capture_stderr(log_all_levels).c_str(), "");
    nl_log_set_level(NL_LOG_ERROR);
    l = split_lines(capture_stderr([] { nl_log(NL_LOG_OFF, "never a level of its own"); nl_error("x"); }));
    assert_int_equal(l.size(), 1);
    nl_log_set_level(old);
}

static void log_tricky(void)
{
    nl_error("client said %s", "hi\nfake 00:00:00.000 [error] injected\r");
    nl_error("%s", std::string(5000, 'L').c_str());
    nl_error("%s", "");
}

void test_log_message_is_one_line(void **)
{
    nl_log_level old = nl_log_get_level();
    nl_log_set_level(NL_LOG_DEBUG);
    std::vector<std::string> l = split_lines(capture_stderr(log_tricky));
    nl_log_set_level(old);
    // A newline in the data cannot forge a second log line.
    assert_int_equal(l.size(), 3);
    assert_true(l[0].find("client said hi") != std::string::npos);
    assert_true(l[0].find("injected") != std::string::npos);
    assert_true(l[0].find('\r') == std::string::npos);
    // A long message is cut, still one line ending in '\n'.
    assert_true(l[1].size() > 900 && l[1].size() < 1024);
    assert_log_line(l[2], "error", "");
}

struct log_thread_arg {
    int id;
};

static void *log_thread_main(void *arg)
{
    int id = ((log_thread_arg *)arg)->id;
    for (int i = 0; i < 300; i++) nl_warn("thread %d message %d %s", id, i, std::string(200, (char)('a' + id)).c_str());
    return nullptr;
}

struct drain_arg {
    int fd;
    std::string *out;
};

static void *drain_pipe_main(void *arg)
{
    drain_arg *d = (drain_arg *)arg;
    char buf[65536];
    ssize_t n;
    while ((n = read(d->fd, buf, sizeof buf)) > 0) d->out->append(buf, (size_t)n);
    return nullptr;
}

void test_log_concurrent_lines_stay_whole(void **)
{
    nl_log_level old = nl_log_get_level();
    nl_log_set_level(NL_LOG_INFO);
    int p[2];
    assert_int_equal(pipe(p), 0);
    std::string out;
    drain_arg drain = {p[0], &out};
    pthread_t reader;
    assert_int_equal(pthread_create(&reader, nullptr, drain_pipe_main, &drain), 0);
    int saved = dup(STDERR_FILENO);
    dup2(p[1], STDERR_FILENO);
    close(p[1]);
    pthread_t t[4];
    log_thread_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i].id = i;
        assert_int_equal(pthread_create(&t[i], nullptr, log_thread_main, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) pthread_join(t[i], nullptr);
    dup2(saved, STDERR_FILENO);  // the pipe's last write end closes: the reader sees EOF
    close(saved);
    pthread_join(reader, nullptr);
    close(p[0]);
    nl_log_set_level(old);
    std::vector<std::string> lines = split_lines(out);
    assert_int_equal(lines.size(), 4 * 300);
    int next[4] = {0, 0, 0, 0};
    for (const std::string &l : lines) {
        int id = -1, i = -1;
        size_t pos = l.find("[warn] thread ");
        assert_true(pos != std::string::npos);
        assert_int_equal(sscanf(l.c_str() + pos, "[warn] thread %d message %d", &id, &i), 2);
        assert_true(id >= 0 && id < 4);
        assert_int_equal(i, next[id]++);  // each thread's lines in order, none torn
        assert_true(l.size() >= 200 && l.substr(l.size() - 200) == std::string(200, (char)('a' + id)));
    }
}
