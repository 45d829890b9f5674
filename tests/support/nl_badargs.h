// nl_badargs.h — runs a program with a bad command line and checks the convention every netlab
// program follows (common/nl_opt.h): exit status 2, the message on stderr names the option, nothing
// on stdout, nothing started. "Nothing started" is made checkable: the runner holds a listening socket
// on a loopback port and can pass it to the program (the word "{PORT}" in args); a program that bound
// before it looked at its arguments would fail on that port with another status and message.
#pragma once
#include <string>
#include <vector>

struct nl_run_result {
    int status = -1;     // exit code 0..255; -1: killed by a signal or did not finish in time
    std::string out, err;
};

// Runs <bin dir>/<program> args (argv[0] added), stdin /dev/null, for at most timeout_ms (then
// SIGKILL). "{PORT}" in an argument becomes *held_port when it is not NULL. nofile > 0 runs it under
// RLIMIT_NOFILE = nofile (soft and hard: it cannot raise it) with only stdin, stdout and stderr open,
// so its own descriptors start at 3 (a program out of descriptors). Returns 0, -1 if it could not start.
int nl_run_program(const char *program, const std::vector<std::string> &args, int timeout_ms, int held_port,
                   nl_run_result *r, int nofile = 0);

// A listening socket on a free loopback port (no SO_REUSEADDR: nobody else can bind that port while
// it is open); *port is its number. Returns the fd, -1 on failure.
int nl_hold_port(int *port);

// Asserts (cmocka) the convention for one bad command line: status 2 within 10 s, stderr contains
// `option` (e.g. "--port"), stdout empty. Holds a loopback port for "{PORT}" while it runs.
void nl_expect_bad_args(const char *program, const std::vector<std::string> &args, const char *option);

// Asserts that --help exits 0 and prints a usage line ("usage:") on stdout.
void nl_expect_help(const char *program);
