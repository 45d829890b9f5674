// nl_testnet.cpp — blocking sockets plus poll() deadlines; per-fd read-ahead buffers.
#include "nl_testnet.h"
#include "nl_clock.h"
#include "nl_socket.h"

#include <cerrno>
#include <map>
#include <mutex>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static std::mutex g_lock;
static std::map<int, std::string> g_pending;  // bytes read past the last returned line

int nl_tc_connect(uint16_t port) { return nl_connect_tcp("127.0.0.1", port, nullptr, 0); }

int nl_tc_send(int fd, const std::string &data) { return nl_write_all(fd, data.data(), data.size()); }

long nl_tc_recv_until(int fd, std::string *out, uint64_t deadline)
{
    for (;;) {
        uint64_t now = nl_now_ms();
        if (now >= deadline) return -1;
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        char buf[65536];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno == ECONNRESET ? 0 : -1;
        out->append(buf, (size_t)n);
        return n;
    }
}

int nl_tc_read_line(int fd, std::string *line, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    std::string buf;
    {
        std::lock_guard<std::mutex> g(g_lock);
        buf.swap(g_pending[fd]);
    }
    int rc;
    for (;;) {
        size_t nl = buf.find('\n');
        if (nl != std::string::npos) {
            *line = buf.substr(0, nl);
            buf.erase(0, nl + 1);
            rc = 1;
            break;
        }
        long n = nl_tc_recv_until(fd, &buf, deadline);
        if (n <= 0) {
            rc = n == 0 ? 0 : -1;
            *line = buf;  // what arrived before EOF/timeout, for diagnostics
            break;
        }
    }
    std::lock_guard<std::mutex> g(g_lock);
    g_pending[fd] = buf;
    return rc;
}

long nl_tc_read_some(int fd, std::string *out, int timeout_ms)
{
    {
        std::lock_guard<std::mutex> g(g_lock);
        std::string &p = g_pending[fd];
        if (!p.empty()) {
            long n = (long)p.size();
            out->append(p);
            p.clear();
            return n;
        }
    }
    return nl_tc_recv_until(fd, out, nl_now_ms() + (uint64_t)timeout_ms);
}

bool nl_tc_wait_eof(int fd, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    std::string sink;
    for (;;) {
        sink.clear();
        long n = nl_tc_recv_until(fd, &sink, deadline);
        if (n == 0) return true;
        if (n < 0) return false;
    }
}

void nl_tc_close(int fd)
{
    {
        std::lock_guard<std::mutex> g(g_lock);
        g_pending.erase(fd);
    }
    close(fd);
}
