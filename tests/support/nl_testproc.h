// nl_testproc.h — start a built server program the way a user would, for black-box tests.
// The server is started with its arguments; the harness waits (with a deadline, never a sleep)
// for its first stdout line "listening on HOST:PORT" and keeps the port. The rest of stdout is
// collected by a thread so the server can never block on a full pipe.
#pragma once
#include <cstdint>
#include <pthread.h>
#include <string>
#include <sys/types.h>
#include <vector>

struct nl_server {
    pid_t pid = -1;
    uint16_t port = 0;
    int out_fd = -1;
    pthread_t drain;
    bool drain_started = false;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    std::string output;      // stdout after the first line
    bool exited = false;
    int status = 0;          // waitpid status once exited
};

// In a child just forked by a test: SIGKILL this child when the test process (parent) dies, so no
// server outlives a test that failed, crashed or was killed. Call before exec; the flag survives it.
// (PR_SET_PDEATHSIG follows the forking thread: fork servers from the test's own thread.)
void nl_die_with_parent(pid_t parent);

// Path of a built program: $NETLAB_BIN_DIR/<name> (set by NL_TEST_MAIN or the moulinette).
std::string nl_bin_path(const char *name);

// Starts <bin dir>/<program> (or program itself when it is an absolute path) with args (argv[0] added). Returns 0 when the server printed its
// listening line within timeout_ms, -1 otherwise (the process is killed, the reason printed).
int nl_server_start(nl_server *s, const char *program, const std::vector<std::string> &args, int timeout_ms);

// Sends sig (SIGTERM by default) and waits up to timeout_ms. Returns the exit code (0..255), or
// -1 when it did not exit in time (then it is killed) or died from a signal.
int nl_server_stop(nl_server *s, int sig, int timeout_ms);

// Waits up to timeout_ms for the process to exit by itself; true when it did.
bool nl_server_wait_exit(nl_server *s, int timeout_ms);

// True while the process is running.
bool nl_server_alive(nl_server *s);

// True once the collected stdout contains needle (waits up to timeout_ms).
bool nl_server_output_contains(nl_server *s, const char *needle, int timeout_ms);

// Number of threads the program runs now (from /proc/PID/task; under TSan, not counting the
// sanitizer's own background thread), -1 if unknown.
int nl_proc_threads(pid_t pid);
// True when the process has a mapping whose path contains lib (e.g. "libtsan": a sanitizer build).
bool nl_proc_linked_with(pid_t pid, const char *lib);
// Number of open fds of the process now (entries in /proc/PID/fd), -1 if unknown.
int nl_proc_fds(pid_t pid);

// Polls pred(arg) every millisecond until it is true or timeout_ms passes: the one way tests wait.
bool nl_wait_until(bool (*pred)(void *), void *arg, int timeout_ms);
