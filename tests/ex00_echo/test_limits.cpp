// test_limits.cpp — rules of the README beyond the seed's rows: --max-clients at the limit and one
// past (R10), the 256 KiB client thread stack (R15), blanks and case (R2).
#include "echo_test.h"
#include "nl_clock.h"
#include "suite.h"

#include <cstdio>
#include <sys/resource.h>

// Connects a client and waits until it is served (its line echoed). A BUSY is retried until
// ET_WAIT_MS: a client that just left may not be forgotten yet (R10 says "once a client leaves").
static int served_client_at(const nl_where &w, const std::string &name)
{
    uint64_t deadline = nl_now_ms() + ET_WAIT_MS;
    for (;;) {
        int fd = et_connect_at(w);
        et_send_at(w, fd, name + "\n");
        std::string l = et_line_at(w, fd);
        if (l == "ECHO: " + et_upper(name)) return fd;
        et_close(fd);
        if (l != "BUSY" || nl_now_ms() >= deadline)
            nl_fail_at(w, "client %s: expected 'ECHO: %s', got '%s'", name.c_str(), et_upper(name).c_str(), l.c_str());
    }
}
#define served_client(name, ...) served_client_at(NL_HERE_CTX(__VA_ARGS__), name)

// --max-clients 2: two clients served (at the limit), the third told BUSY and closed (one past) and
// not counted; after one leaves, a new client is served again; then the limit holds again.
void test_max_clients_busy(void **)
{
    et_start({"--max-clients", "2"});
    int a = served_client("first");
    int b = served_client("second");
    int c = et_connect();
    et_expect(c, "BUSY", "third client with --max-clients 2");
    et_expect_eof(c, "after BUSY (--max-clients 2)");
    NL_EXPECT_EQ_INT(et_count(a), 2, "COUNT after a third client was refused (BUSY is not counted)");
    et_close(b);
    et_wait_count(a, 1, "after the second client left");
    int d = served_client("fourth", "after a client left, --max-clients 2");
    NL_EXPECT_EQ_INT(et_count(d), 2, "COUNT asked by the client that took the free place");
    int e = et_connect();
    et_expect(e, "BUSY", "a client past the limit again (--max-clients 2, 2 served)");
    et_stop_ok();
}

// 600 clients at once in a 3 GiB address space: with 256 KiB stacks they need 150 MiB, with the
// default 8 MiB stacks 4.7 GiB (pthread_create fails and clients are told BUSY). Under
// AddressSanitizer (which reserves terabytes of address space) the limit cannot be set: the check
// of the clients alone runs.
enum { STACK_CLIENTS = 600 };
void test_thread_stack(void **)
{
    et_start({});
#ifndef __SANITIZE_ADDRESS__
    struct rlimit rl;
    assert_int_equal(prlimit(et_srv.pid, RLIMIT_AS, nullptr, &rl), 0);
    struct rlimit low = {(rlim_t)3 << 30, rl.rlim_max};
    if (rl.rlim_cur > low.rlim_cur) assert_int_equal(prlimit(et_srv.pid, RLIMIT_AS, &low, nullptr), 0);
#endif
    std::vector<int> fds;
    for (int i = 0; i < STACK_CLIENTS; i++) {
        fds.push_back(et_connect());
        et_send(fds.back(), "c" + std::to_string(i) + "\n");
    }
    for (int i = 0; i < STACK_CLIENTS; i++)
        et_expect(fds[(size_t)i], "ECHO: C" + std::to_string(i),
                  "client %d of %d at once in a 3 GiB address space (256 KiB stacks)", i + 1, STACK_CLIENTS);
    NL_EXPECT_EQ_INT(et_count(fds[0]), STACK_CLIENTS, "COUNT with %d clients", STACK_CLIENTS);
    et_stop_ok();
}

// R2: the five blanks around a line are not part of it (inside it they are kept), and commands are
// matched after that, case-sensitively.
void test_blanks_and_case(void **)
{
    et_start({});
    int fd = et_connect();
    et_send(fd, "  hi \t\n");
    et_expect(fd, "ECHO: HI");
    et_send(fd, "\v\fmixed Case\r\r\n");
    et_expect(fd, "ECHO: MIXED CASE");
    et_send(fd, "a \t\v b\n");
    et_expect(fd, "ECHO: A \t\v B", "blanks inside a line are kept");
    et_send(fd, " \n\t\n\v\n\f\n\r\n");  // a line of one blank is an empty line
    for (const char *b : {"' '", "'\\t'", "'\\v'", "'\\f'", "'\\r'"}) et_expect(fd, "ECHO: ", "a line of one blank %s", b);
    et_send(fd, "quit\nQUIT now\nTime\ncount\n");
    et_expect(fd, "ECHO: QUIT", "commands are case-sensitive");
    et_expect(fd, "ECHO: QUIT NOW");
    et_expect(fd, "ECHO: TIME");
    et_expect(fd, "ECHO: COUNT");
    et_send(fd, " COUNT\t\n");
    et_expect(fd, "COUNT: 1", "a command between blanks");
    et_send(fd, "\tTIME \f\n");
    std::string t = et_line(fd);
    NL_EXPECT_TRUE(t.rfind("TIME: ", 0) == 0 && t.size() > 6, "after '\\tTIME \\f': got '%s'", t.c_str());
    et_send(fd, "\f QUIT \v\n");
    et_expect(fd, "BYE", "QUIT between blanks");
    et_expect_eof(fd, "after QUIT between blanks");
    et_stop_ok();
}

// R20: no thread for a client. With the address space capped 128 KiB above what the server uses
// now, no 256 KiB thread stack can be mapped, so pthread_create fails: the client is told BUSY,
// closed and never counted, and the server goes on; once the cap is lifted a new client is served.
// (AddressSanitizer reserves terabytes up front: the cap cannot be set there, the test is skipped.)
void test_no_thread_busy(void **)
{
#ifdef __SANITIZE_ADDRESS__
    skip();
#endif
    et_start({});
    int probe = served_client("probe");
    struct rlimit rl;
    assert_int_equal(prlimit(et_srv.pid, RLIMIT_AS, nullptr, &rl), 0);
    long long used = et_vm_size(et_srv.pid);
    NL_EXPECT_TRUE(used > 0, "reading /proc/%d/status", (int)et_srv.pid);
    struct rlimit low = {(rlim_t)(used + (128 << 10)), rl.rlim_max};
    assert_int_equal(prlimit(et_srv.pid, RLIMIT_AS, &low, nullptr), 0);
    int c = et_connect();
    et_expect(c, "BUSY", "a client for which no thread can be started (address space full)");
    et_expect_eof(c, "after BUSY (no thread)");
    int c2 = et_connect();
    et_expect(c2, "BUSY", "a second client while no thread can be started");
    et_expect_eof(c2, "after the second BUSY (no thread)");
    assert_int_equal(prlimit(et_srv.pid, RLIMIT_AS, &rl, nullptr), 0);
    NL_EXPECT_EQ_INT(et_count(probe), 1, "COUNT after two clients were refused for want of a thread");
    int d = served_client("after", "once threads can be started again");
    NL_EXPECT_EQ_INT(et_count(d), 2, "COUNT asked by the client served after the refusals");
    et_stop_ok();
}

// R15: a client's thread gives its stack back when the client leaves (the thread is detached, or
// joined). With the address space capped 96 MiB above what the server uses after a warm-up, 600
// clients one after another must all be served: 600 stacks of 256 KiB kept by threads nobody joins
// are 150 MiB, while glibc's cache of freed stacks (40 MiB) and the few threads still ending fit.
enum { SEQ_CLIENTS = 600, SEQ_HEADROOM = 96 << 20 };
void test_threads_give_back(void **)
{
#ifdef __SANITIZE_ADDRESS__
    skip();
#endif
    et_start({});
    int probe = served_client("probe");
    for (int i = 0; i < 8; i++) et_close(served_client("warm" + std::to_string(i)));
    et_wait_count(probe, 1, "after the warm-up clients left");
    struct rlimit rl;
    assert_int_equal(prlimit(et_srv.pid, RLIMIT_AS, nullptr, &rl), 0);
    long long used = et_vm_size(et_srv.pid);
    NL_EXPECT_TRUE(used > 0, "reading /proc/%d/status", (int)et_srv.pid);
    struct rlimit low = {(rlim_t)(used + SEQ_HEADROOM), rl.rlim_max};
    if (rl.rlim_cur > low.rlim_cur) assert_int_equal(prlimit(et_srv.pid, RLIMIT_AS, &low, nullptr), 0);
    for (int i = 0; i < SEQ_CLIENTS; i++) {
        int fd = et_connect();
        et_send(fd, "seq" + std::to_string(i) + "\n");
        et_expect(fd, "ECHO: SEQ" + std::to_string(i), "client %d of %d one after another, 96 MiB of address space left",
                  i + 1, SEQ_CLIENTS);
        et_close(fd);
    }
    assert_int_equal(prlimit(et_srv.pid, RLIMIT_AS, &rl, nullptr), 0);
    et_wait_count(probe, 1, "after %d clients one after another", SEQ_CLIENTS);
    et_stop_ok();
}
