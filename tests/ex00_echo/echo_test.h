// echo_test.h — helpers shared by the ex00_echo suite: one echo_server per test, started with
// --port 0, talked to over real sockets, and stopped with SIGTERM (exit status 0 asserted).
#pragma once
#include "nl_test.h"
#include "nl_testnet.h"
#include "nl_testproc.h"

#include <string>
#include <vector>

enum { ET_REPLY_MS = 5000, ET_WAIT_MS = 10000, ET_STOP_MS = 10000 };

extern nl_server et_srv;  // the server of the running test

// Starts echo_server with args (plus --port 0); fails the test when it does not come up.
void et_start(const std::vector<std::string> &args);
// SIGTERM, then asserts exit status 0 within ET_STOP_MS.
void et_stop_ok(void);
// CMocka teardown: kills a server a failed test left behind, closes the test's sockets.
int et_teardown(void **state);

int et_connect(void);                       // a client of et_srv, registered for teardown
void et_close(int fd);
void et_send(int fd, const std::string &data);
std::string et_line(int fd);                // next line within ET_REPLY_MS, or the test fails
void et_expect(int fd, const std::string &line);
long et_count(int fd);                      // sends COUNT, parses "COUNT: n"
// Sends COUNT on fd until the answer is want (ET_WAIT_MS deadline); returns the last answer.
long et_wait_count(int fd, long want);
// Closes fd with an RST instead of a FIN (SO_LINGER 0): the server's next read or write fails.
void et_reset(int fd);
// Server fds now (from /proc); waits until it equals want (ET_WAIT_MS), returns the last value.
int et_wait_fds(int want);
std::string et_upper(const std::string &s);
