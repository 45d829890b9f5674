// echo_test.cpp — the helpers of echo_test.h.
#include "echo_test.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sys/socket.h>
#include <unistd.h>

nl_server et_srv;
static std::set<int> g_fds;

void et_start(const std::vector<std::string> &args)
{
    et_srv.~nl_server();
    new (&et_srv) nl_server();
    std::vector<std::string> a = {"--port", "0"};
    a.insert(a.end(), args.begin(), args.end());
    if (nl_server_start(&et_srv, "echo_server", a, ET_WAIT_MS) != 0) fail_msg("echo_server did not start");
}

void et_stop_ok(void)
{
    int rc = nl_server_stop(&et_srv, SIGTERM, ET_STOP_MS);
    et_srv.pid = -1;
    if (rc != 0) fail_msg("echo_server did not exit with status 0 after SIGTERM (got %d)", rc);
}

int et_teardown(void **)
{
    for (int fd : g_fds) nl_tc_close(fd);
    g_fds.clear();
    if (et_srv.pid > 0) {
        nl_server_stop(&et_srv, SIGKILL, ET_STOP_MS);
        et_srv.pid = -1;
    }
    return 0;
}

int et_connect(void)
{
    int fd = nl_tc_connect(et_srv.port);
    if (fd < 0) fail_msg("cannot connect to echo_server on port %u", et_srv.port);
    g_fds.insert(fd);
    return fd;
}

void et_close(int fd)
{
    g_fds.erase(fd);
    nl_tc_close(fd);
}

void et_send(int fd, const std::string &data)
{
    if (nl_tc_send(fd, data) != 0) fail_msg("send to echo_server failed");
}

std::string et_line(int fd)
{
    std::string line;
    int rc = nl_tc_read_line(fd, &line, ET_REPLY_MS);
    if (rc == 0) fail_msg("echo_server closed the connection instead of replying (got '%.80s')", line.c_str());
    if (rc < 0) fail_msg("no complete reply line within %d ms (got '%.80s')", ET_REPLY_MS, line.c_str());
    return line;
}

void et_expect(int fd, const std::string &want)
{
    std::string got = et_line(fd);
    if (got != want)
        fail_msg("expected '%.200s' (%zu bytes), got '%.200s' (%zu bytes)", want.c_str(), want.size(), got.c_str(),
                 got.size());
}

long et_count(int fd)
{
    et_send(fd, "COUNT\n");
    std::string l = et_line(fd);
    char *end;
    if (l.rfind("COUNT: ", 0) != 0 || l.size() == 7) fail_msg("expected 'COUNT: <n>', got '%s'", l.c_str());
    long n = strtol(l.c_str() + 7, &end, 10);
    if (*end) fail_msg("expected 'COUNT: <n>', got '%s'", l.c_str());
    return n;
}

struct count_wait {
    int fd;
    long want, last;
};

static bool count_is(void *arg)
{
    count_wait *w = (count_wait *)arg;
    w->last = et_count(w->fd);
    return w->last == w->want;
}

long et_wait_count(int fd, long want)
{
    count_wait w = {fd, want, -1};
    if (!nl_wait_until(count_is, &w, ET_WAIT_MS))
        fail_msg("COUNT stayed %ld for %d ms, expected %ld", w.last, ET_WAIT_MS, want);
    return w.last;
}

void et_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    et_close(fd);
}

struct fd_wait {
    int want, last;
};

static bool fds_are(void *arg)
{
    fd_wait *w = (fd_wait *)arg;
    w->last = nl_proc_fds(et_srv.pid);
    return w->last == w->want;
}

int et_wait_fds(int want)
{
    fd_wait w = {want, -1};
    if (!nl_wait_until(fds_are, &w, ET_WAIT_MS))
        fail_msg("echo_server has %d open fds after %d ms, expected %d (a descriptor leaks)", w.last, ET_WAIT_MS, want);
    return w.last;
}

std::string et_upper(const std::string &s)
{
    std::string u = s;
    for (char &c : u)
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    return u;
}
