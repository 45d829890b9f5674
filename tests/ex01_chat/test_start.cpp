// test_start.cpp — R25: a server that cannot start says why and exits with status 1, without a
// listening line: its port is taken, or no descriptor is left for its event loop or its listener.
// Both backends each time.
#include "chat_harness.h"
#include "nl_badargs.h"
#include "nl_clock.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

// A listening socket on a free loopback port (no SO_REUSEADDR): nobody else can bind it.
static int hold_port_at(const nl_where &w, uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        nl_fail_at(w, "test setup: cannot hold a loopback port: %s", strerror(errno));
    *port = ntohs(sa.sin_port);
    return fd;
}

// Runs chat_server with args under RLIMIT_NOFILE = nofile (soft and hard, so main cannot raise it),
// with only stdin (/dev/null), stdout and stderr open: the program's own descriptors start at 3.
// Both outputs are collected until it exits (at most 10 s, then SIGKILL: status -1).
static void run_with_nofile(int nofile, const std::vector<std::string> &args, nl_run_result *r)
{
    std::string path = nl_bin_path("chat_server");
    std::vector<std::string> words = {path};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char *> argv;
    for (std::string &s : words) argv.push_back(s.data());
    argv.push_back(nullptr);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) fail_msg("pipe: %s", strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        nl_die_with_parent(parent);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        for (int fd = 3; fd < 1024; fd++) close(fd);  // nothing of the test's own
        struct rlimit rl = {(rlim_t)nofile, (rlim_t)nofile};
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0) _exit(126);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    uint64_t deadline = nl_now_ms() + 10000;
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0 && nl_now_ms() < deadline) {
        int n = poll(fds, 2, (int)(deadline - nl_now_ms()));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got > 0) (i == 0 ? r->out : r->err).append(buf, (size_t)got);
            else if (got == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0) close(fds[i].fd);
    if (open_fds > 0) kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r->status = open_fds == 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void expect_start_failure_at(const nl_where &w, const std::string &what, const nl_run_result &r, const char *why)
{
    if (r.status != 1)
        nl_fail_at(w, "%s: expected exit status 1, got %s (stdout %s, stderr %s)", what.c_str(),
                   r.status < 0 ? "no exit within 10 s or a death by a signal" : nl_fmt("%d", r.status).c_str(),
                   nl_quote(r.out, 200).c_str(), nl_quote(r.err, 300).c_str());
    if (!r.out.empty()) nl_fail_at(w, "%s: expected nothing on stdout, got %s", what.c_str(), nl_quote(r.out, 200).c_str());
    if (r.err.find(why) == std::string::npos)
        nl_fail_at(w, "%s: expected stderr to say why (%s), got %s", what.c_str(), why, nl_quote(r.err, 300).c_str());
}
#define expect_start_failure(...) expect_start_failure_at(NL_HERE, __VA_ARGS__)

CHAT_TEST(test_start_failures)
{
    // The port is taken: bind fails.
    uint16_t port = 0;
    int held = hold_port_at(NL_HERE, &port);
    nl_run_result busy;
    if (nl_run_program("chat_server", {"--backend", backend, "--port", std::to_string(port)}, 10000, 0, &busy) < 0)
        fail_msg("cannot run chat_server");
    close(held);
    expect_start_failure(nl_fmt("chat_server --port %u (a port another socket listens on)", port), busy,
                         strerror(EADDRINUSE));
    // Descriptors 0-2 are stdio and main's signalfd takes 3: with RLIMIT_NOFILE 4 nothing is left for
    // the event loop; with 5 the loop gets 4 and nothing is left for the listening socket.
    for (int nofile : {4, 5}) {
        nl_run_result r;
        run_with_nofile(nofile, {"--backend", backend, "--port", "0"}, &r);
        expect_start_failure(nl_fmt("chat_server under RLIMIT_NOFILE %d", nofile), r, strerror(EMFILE));
    }
    // And with enough descriptors the same command serves (the limits above were the only cause).
    nl_server *s = ch_start(backend);
    int c = ch_connect(s);
    ch_sync(c);
    ch_stop(s);
}
