// echo_test.h — helpers shared by the ex00_echo suite: one echo_server per test, started with
// --port 0, talked to over real sockets, and stopped with SIGTERM (exit status 0 asserted).
// Every helper is a macro over an *_at function (nl_check.h): a failure is reported at the test's
// own line, says what the client last sent, what was expected and what came back, and takes the
// caller's optional words: et_expect(fd, "BYE", "after QUIT").
#pragma once
#include "nl_check.h"
#include "nl_test.h"
#include "nl_testnet.h"
#include "nl_testproc.h"

#include <string>
#include <vector>

enum { ET_REPLY_MS = 5000, ET_WAIT_MS = 10000, ET_STOP_MS = 10000 };

extern nl_server et_srv;  // the server of the running test

// Starts echo_server with args (plus --port 0); fails the test when it does not come up.
void et_start_at(const nl_where &w, const std::vector<std::string> &args);
// SIGTERM, then asserts exit status 0 within ET_STOP_MS.
void et_stop_ok_at(const nl_where &w);
// CMocka teardown: kills a server a failed test left behind, closes the test's sockets.
int et_teardown(void **state);

int et_connect_at(const nl_where &w);       // a client of et_srv, registered for teardown
void et_close(int fd);
void et_send_at(const nl_where &w, int fd, const std::string &data);
std::string et_line_at(const nl_where &w, int fd);   // next line within ET_REPLY_MS, or the test fails
void et_expect_at(const nl_where &w, int fd, const std::string &line);
long et_count_at(const nl_where &w, int fd);         // sends COUNT, parses "COUNT: n"
// Sends COUNT on fd until the answer is want (ET_WAIT_MS deadline); returns the last answer.
long et_wait_count_at(const nl_where &w, int fd, long want);
// Sends lines on fd without reading the replies until the server's thread for fd is stuck writing
// them (or the server closed fd); fd's receive buffer is made small first.
void et_flood_without_reading(int fd);
// Closes fd with an RST instead of a FIN (SO_LINGER 0): the server's next read or write fails.
void et_reset(int fd);
// Server fds now (from /proc); waits until it equals want (ET_WAIT_MS), returns the last value.
int et_wait_fds_at(const nl_where &w, int want);
// Waits for the server to close fd (EOF within ET_REPLY_MS), or the test fails.
void et_expect_eof_at(const nl_where &w, int fd);
std::string et_upper(const std::string &s);
// The server's address space now (VmSize in /proc/PID/status), in bytes; -1 when unreadable.
long long et_vm_size(pid_t pid);
// What the test last sent on fd, quoted (for messages): "'QUIT\n'" or "nothing".
std::string et_last_sent(int fd);

// (a braced argument list has commas the preprocessor does not protect: et_start takes no words)
#define et_start(...) et_start_at(NL_HERE, __VA_ARGS__)
#define et_stop_ok(...) et_stop_ok_at(NL_HERE_CTX(__VA_ARGS__))
#define et_connect(...) et_connect_at(NL_HERE_CTX(__VA_ARGS__))
#define et_send(fd, data, ...) et_send_at(NL_HERE_CTX(__VA_ARGS__), fd, data)
#define et_line(fd, ...) et_line_at(NL_HERE_CTX(__VA_ARGS__), fd)
#define et_expect(fd, want, ...) et_expect_at(NL_HERE_CTX(__VA_ARGS__), fd, want)
#define et_count(fd, ...) et_count_at(NL_HERE_CTX(__VA_ARGS__), fd)
#define et_wait_count(fd, want, ...) et_wait_count_at(NL_HERE_CTX(__VA_ARGS__), fd, want)
#define et_wait_fds(want, ...) et_wait_fds_at(NL_HERE_CTX(__VA_ARGS__), want)
#define et_expect_eof(fd, ...) et_expect_eof_at(NL_HERE_CTX(__VA_ARGS__), fd)
