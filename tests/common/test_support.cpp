// test_support.cpp — tests/support itself: starting a server and reading its listening line, stop
// and exit codes, collected output, failures named, and the line client's deadlines.
#include "common_tests.h"
#include "nl_clock.h"
#include "nl_socket.h"
#include "nl_testnet.h"
#include "nl_testproc.h"

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

static const char *STUB = "nl_test_stub_server";

void test_support_server_start_reads_port(void **)
{
    nl_server s;
    assert_int_equal(nl_server_start(&s, STUB, {"--port", "0"}, 5000), 0);
    assert_int_not_equal(s.port, 0);
    assert_true(nl_server_alive(&s));
    // The port is the one the server really listens on.
    int fd = nl_tc_connect(s.port);
    assert_true(fd >= 0);
    nl_tc_close(fd);
    assert_int_equal(nl_server_stop(&s, SIGTERM, 5000), 0);
    assert_false(nl_server_alive(&s));
    assert_int_equal(nl_tc_connect(s.port), -1);  // gone with it
}

void test_support_server_stop_reports_exit_code(void **)
{
    nl_server s;
    assert_int_equal(nl_server_start(&s, STUB, {"--exit-code", "3"}, 5000), 0);
    assert_int_equal(nl_server_stop(&s, SIGINT, 5000), 3);
    // A server killed by a signal it does not handle is not a clean exit.
    nl_server k;
    assert_int_equal(nl_server_start(&k, STUB, {}, 5000), 0);
    assert_int_equal(nl_server_stop(&k, SIGKILL, 5000), -1);
}

void test_support_server_output_collected(void **)
{
    nl_server s;
    assert_int_equal(nl_server_start(&s, STUB, {}, 5000), 0);
    assert_true(nl_server_output_contains(&s, "ready\n", 5000));
    assert_false(nl_server_output_contains(&s, "listening on", 0));  // the first line is not kept twice
    assert_int_equal(nl_server_stop(&s, 0, 5000), 0);
}

void test_support_server_start_fails_on_silent_program(void **)
{
    nl_server s;
    uint64_t t0 = nl_now_ms();
    assert_int_equal(nl_server_start(&s, STUB, {"--silent"}, 300), -1);
    assert_true(nl_now_ms() - t0 >= 300);  // it waited its whole deadline...
    assert_true(s.exited);                 // ...then killed and reaped the program
    assert_int_equal(s.out_fd, -1);
}

void test_support_server_start_fails_on_wrong_line(void **)
{
    nl_server s;
    assert_int_equal(nl_server_start(&s, STUB, {"--wrong-line"}, 5000), -1);
    assert_true(s.exited);
}

void test_support_server_start_fails_on_missing_program(void **)
{
    nl_server s;
    assert_int_equal(nl_server_start(&s, "no_such_program_here", {}, 5000), -1);
    assert_true(s.exited);
    assert_true(WIFEXITED(s.status) && WEXITSTATUS(s.status) == 127);
}

void test_support_tc_read_line_deadline(void **)
{
    int sv[2];
    tc_socketpair(sv);
    std::string line = "x";
    uint64_t t0 = nl_now_ms();
    assert_int_equal(nl_tc_read_line(sv[0], &line, 150), -1);
    uint64_t took = nl_now_ms() - t0;
    assert_true(took >= 150);
    assert_true(took < 5000);  // a deadline, not a hang
    assert_string_equal(line.c_str(), "");
    assert_int_equal(nl_tc_read_line(sv[0], &line, 0), -1);
    std::string some;
    assert_int_equal(nl_tc_read_some(sv[0], &some, 50), -1);
    assert_false(nl_tc_wait_eof(sv[0], 50));
    nl_tc_close(sv[0]);
    close(sv[1]);
}

void test_support_tc_read_line_partial_then_rest(void **)
{
    int sv[2];
    tc_socketpair(sv);
    assert_int_equal(nl_tc_send(sv[1], "ab"), 0);
    std::string line;
    assert_int_equal(nl_tc_read_line(sv[0], &line, 100), -1);
    assert_string_equal(line.c_str(), "ab");  // what arrived, for the failure message
    assert_int_equal(nl_tc_send(sv[1], "c\r\nd\ne"), 0);
    assert_int_equal(nl_tc_read_line(sv[0], &line, 5000), 1);
    assert_string_equal(line.c_str(), "abc\r");  // nothing lost, "\r" kept
    assert_int_equal(nl_tc_read_line(sv[0], &line, 5000), 1);
    assert_string_equal(line.c_str(), "d");
    std::string rest;
    assert_int_equal(nl_tc_read_some(sv[0], &rest, 5000), 1);  // buffered bytes come first
    assert_string_equal(rest.c_str(), "e");
    nl_tc_close(sv[0]);
    close(sv[1]);
}

void test_support_tc_read_line_eof(void **)
{
    int sv[2];
    tc_socketpair(sv);
    assert_int_equal(nl_tc_send(sv[1], "last\npartial"), 0);
    close(sv[1]);
    std::string line;
    assert_int_equal(nl_tc_read_line(sv[0], &line, 5000), 1);
    assert_string_equal(line.c_str(), "last");
    assert_int_equal(nl_tc_read_line(sv[0], &line, 5000), 0);
    assert_string_equal(line.c_str(), "partial");
    assert_true(nl_tc_wait_eof(sv[0], 5000));
    nl_tc_close(sv[0]);
}

static bool counter_reaches(void *arg) { return ++*(int *)arg >= 5; }
static bool never(void *) { return false; }

void test_support_wait_until(void **)
{
    int n = 0;
    assert_true(nl_wait_until(counter_reaches, &n, 5000));
    assert_int_equal(n, 5);
    uint64_t t0 = nl_now_ms();
    assert_false(nl_wait_until(never, nullptr, 100));
    assert_true(nl_now_ms() - t0 >= 100);
}
