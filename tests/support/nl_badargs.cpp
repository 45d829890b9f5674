// nl_badargs.cpp — fork + exec with both outputs captured through pipes, a deadline on the monotonic
// clock, and a port held open on 127.0.0.1 for the duration of the run.
#include "nl_badargs.h"
#include "nl_clock.h"
#include "nl_test.h"
#include "nl_testproc.h"

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int nl_run_program(const char *program, const std::vector<std::string> &args, int timeout_ms, int held_port,
                   nl_run_result *r, int nofile)
{
    std::string path = program[0] == '/' ? program : nl_bin_path(program);
    std::vector<std::string> words;
    words.push_back(path);
    for (std::string a : args) {
        size_t at = a.find("{PORT}");
        if (at != std::string::npos && held_port > 0) a.replace(at, 6, std::to_string(held_port));
        words.push_back(a);
    }
    std::vector<char *> argv;
    for (std::string &w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) < 0) return -1;
    if (pipe2(err, O_CLOEXEC) < 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        nl_die_with_parent(parent);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (nofile > 0) {
            for (int fd = 3; fd < 1024; fd++) close(fd);  // nothing of the test's own is inherited
            struct rlimit rl = {(rlim_t)nofile, (rlim_t)nofile};
            if (setrlimit(RLIMIT_NOFILE, &rl) < 0) _exit(126);
        }
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        uint64_t now = nl_now_ms();
        if (now >= deadline) break;
        int n = poll(fds, 2, (int)(deadline - now));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            ssize_t got = read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                (i == 0 ? r->out : r->err).append(buf, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0) close(fds[i].fd);
    int st = 0;
    if (open_fds > 0) kill(pid, SIGKILL);  // out of time: the outputs are still open
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    r->status = open_fds == 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return 0;
}

int nl_hold_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (bind(fd, (sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0 || getsockname(fd, (sockaddr *)&sa, &len) < 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(sa.sin_port);
    return fd;
}

void nl_expect_bad_args(const char *program, const std::vector<std::string> &args, const char *option)
{
    int port = 0;
    int held = nl_hold_port(&port);
    assert_true(held >= 0);
    nl_run_result r;
    std::string line = program;
    for (const std::string &a : args) line += " " + a;
    int rc = nl_run_program(program, args, 10000, port, &r);
    close(held);
    if (rc < 0) fail_msg("%s: cannot run it", line.c_str());
    if (r.status != 2)
        fail_msg("%s: exit status %d, want 2 (stderr: %s)", line.c_str(), r.status, r.err.c_str());
    if (r.err.find(option) == std::string::npos)
        fail_msg("%s: stderr does not name %s: %s", line.c_str(), option, r.err.c_str());
    if (!r.out.empty()) fail_msg("%s: printed on stdout: %s", line.c_str(), r.out.c_str());
}

void nl_expect_help(const char *program)
{
    nl_run_result r;
    if (nl_run_program(program, {"--help"}, 10000, 0, &r) < 0) fail_msg("%s --help: cannot run it", program);
    if (r.status != 0) fail_msg("%s --help: exit status %d, want 0", program, r.status);
    if (r.out.find("usage:") == std::string::npos) fail_msg("%s --help: no usage line on stdout: %s", program, r.out.c_str());
}
