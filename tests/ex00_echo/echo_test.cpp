// echo_test.cpp — the helpers of echo_test.h; each failure names the client (by its order of
// connection), what it last sent, what was expected and what came back.
#include "echo_test.h"
#include "nl_clock.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sys/socket.h>
#include <unistd.h>

nl_server et_srv;
struct client_info {
    int n;              // 1 for the test's first client
    std::string sent;   // the last data sent
};
static std::map<int, client_info> g_clients;
static int g_connected;

std::string et_last_sent(int fd)
{
    auto it = g_clients.find(fd);
    return it == g_clients.end() || it->second.sent.empty() ? "nothing" : nl_quote(it->second.sent, 60);
}

static std::string who(int fd)
{
    auto it = g_clients.find(fd);
    int n = it == g_clients.end() ? 0 : it->second.n;
    return nl_fmt("client %d (last sent %s)", n, et_last_sent(fd).c_str());
}

void et_start_at(const nl_where &w, const std::vector<std::string> &args)
{
    et_srv.~nl_server();
    new (&et_srv) nl_server();
    g_connected = 0;
    std::vector<std::string> a = {"--port", "0"};
    a.insert(a.end(), args.begin(), args.end());
    std::string cmd = "echo_server";
    for (const std::string &s : a) cmd += " " + s;
    if (nl_server_start(&et_srv, "echo_server", a, ET_WAIT_MS) != 0)
        nl_fail_at(w, "'%s' did not print 'listening on HOST:PORT' within %d ms", cmd.c_str(), ET_WAIT_MS);
}

void et_stop_ok_at(const nl_where &w)
{
    int rc = nl_server_stop(&et_srv, SIGTERM, ET_STOP_MS);
    et_srv.pid = -1;
    if (rc != 0)
        nl_fail_at(w, "after SIGTERM: expected echo_server to exit with status 0 within %d ms, got %s", ET_STOP_MS,
                   rc < 0 ? "no exit (killed) or death by a signal" : nl_fmt("status %d", rc).c_str());
}

int et_teardown(void **)
{
    for (auto &c : g_clients) nl_tc_close(c.first);
    g_clients.clear();
    if (et_srv.pid > 0) {
        nl_server_stop(&et_srv, SIGKILL, ET_STOP_MS);
        et_srv.pid = -1;
    }
    return 0;
}

int et_connect_at(const nl_where &w)
{
    int fd = nl_tc_connect(et_srv.port);
    if (fd < 0) nl_fail_at(w, "cannot connect to echo_server on port %u: %s", et_srv.port, strerror(errno));
    g_clients[fd] = client_info{++g_connected, ""};
    return fd;
}

void et_close(int fd)
{
    g_clients.erase(fd);
    nl_tc_close(fd);
}

void et_send_at(const nl_where &w, int fd, const std::string &data)
{
    if (g_clients.count(fd)) g_clients[fd].sent = data;
    if (nl_tc_send(fd, data) != 0) nl_fail_at(w, "%s: the send failed: %s", who(fd).c_str(), strerror(errno));
}

std::string et_line_at(const nl_where &w, int fd)
{
    std::string line;
    int rc = nl_tc_read_line(fd, &line, ET_REPLY_MS);
    if (rc == 0) nl_fail_at(w, "%s: expected a reply line, got EOF (the server closed; before it: %s)", who(fd).c_str(),
                            nl_quote(line).c_str());
    if (rc < 0)
        nl_fail_at(w, "%s: expected a reply line within %d ms, got %s", who(fd).c_str(), ET_REPLY_MS,
                   line.empty() ? "nothing" : (nl_quote(line) + " without its \\n").c_str());
    return line;
}

void et_expect_at(const nl_where &w, int fd, const std::string &want)
{
    std::string got = et_line_at(w, fd);
    if (got != want)
        nl_fail_at(w, "%s: expected %s, got %s", who(fd).c_str(), nl_quote(want).c_str(), nl_quote(got).c_str());
}

// Strict: the README fixes each last word ("BYE\n", "BUSY\n", "TIMEOUT\n") and then the close, so a
// single byte more (a NUL sent with the reply, a reply after QUIT) fails like a missing close.
void et_expect_eof_at(const nl_where &w, int fd)
{
    uint64_t deadline = nl_now_ms() + ET_REPLY_MS;
    std::string extra;
    for (;;) {
        uint64_t now = nl_now_ms();
        long n = now < deadline ? nl_tc_read_some(fd, &extra, (int)(deadline - now)) : -1;
        if (n == 0) break;
        if (n < 0)
            nl_fail_at(w, "%s: expected the server to close the connection within %d ms, it stayed open", who(fd).c_str(),
                       ET_REPLY_MS);
    }
    if (!extra.empty())
        nl_fail_at(w, "%s: expected nothing more before the close, got %s", who(fd).c_str(), nl_quote(extra).c_str());
}

long et_count_at(const nl_where &w, int fd)
{
    et_send_at(w, fd, "COUNT\n");
    std::string l = et_line_at(w, fd);
    char *end;
    if (l.rfind("COUNT: ", 0) != 0 || l.size() == 7)
        nl_fail_at(w, "%s: expected 'COUNT: <n>', got %s", who(fd).c_str(), nl_quote(l).c_str());
    long n = strtol(l.c_str() + 7, &end, 10);
    if (*end) nl_fail_at(w, "%s: expected 'COUNT: <n>', got %s", who(fd).c_str(), nl_quote(l).c_str());
    return n;
}

long et_wait_count_at(const nl_where &w, int fd, long want)
{
    uint64_t deadline = nl_now_ms() + ET_WAIT_MS;
    long last = -1;
    for (;;) {
        last = et_count_at(w, fd);
        if (last == want) return last;
        if (nl_now_ms() >= deadline) break;
        usleep(1000);  // polling a condition with a deadline
    }
    nl_fail_at(w, "expected COUNT to reach %ld within %d ms, it stayed %ld", want, ET_WAIT_MS, last);
}

void et_reset(int fd)
{
    struct linger lg = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    et_close(fd);
}

int et_wait_fds_at(const nl_where &w, int want)
{
    uint64_t deadline = nl_now_ms() + ET_WAIT_MS;
    int last;
    for (;;) {
        last = nl_proc_fds(et_srv.pid);
        if (last == want) return last;
        if (nl_now_ms() >= deadline) break;
        usleep(1000);
    }
    nl_fail_at(w, "expected echo_server to hold %d open fds again within %d ms, it holds %d (a descriptor leaks)", want,
               ET_WAIT_MS, last);
}

std::string et_upper(const std::string &s)
{
    std::string u = s;
    for (char &c : u)
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    return u;
}

long long et_vm_size(pid_t pid)
{
    FILE *f = fopen(nl_fmt("/proc/%d/status", (int)pid).c_str(), "r");
    if (!f) return -1;
    char line[256];
    long long kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %lld kB", &kb) == 1) break;
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

static const size_t FLOOD_BYTES = 8u << 20;  // replies >= this: more than any socket buffer holds

// Shrinks fd's receive buffer, then fills the server's replies to fd until its thread is stuck in send(): either FLOOD_BYTES are sent
// (their replies are more than the server's send buffer, 4 MiB at most, and fd's small receive
// buffer can hold), or the server stops reading for 1 s (it stops only when blocked in send()).
void et_flood_without_reading(int fd)
{
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string lines;
    while (lines.size() < 65536) lines += std::string(999, 'f') + "\n";
    size_t sent = 0, off = 0;
    uint64_t last_progress = nl_now_ms();
    while (sent < FLOOD_BYTES && nl_now_ms() - last_progress < 1000) {
        ssize_t n = send(fd, lines.data() + off, lines.size() - off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
            off = (off + (size_t)n) % lines.size();
            last_progress = nl_now_ms();
        } else {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return;  // the server closed it
            usleep(1000);  // polling a condition (the server stopped reading) with a deadline
        }
    }
}
