// echo_server.cpp — reference solution of ex00: a TCP echo server with one detached pthread per
// connection. The protocol (echo_process_command) and the session loop are shared with the pool bonus.
#include "echo_server.h"

#include "nl_clock.h"
#include "nl_linereader.h"
#include "nl_log.h"
#include "nl_socket.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static const char TOO_LONG_REPLY[] = "ERROR: line too long (max 65536 bytes)\n";

int echo_server_init(echo_server *s, const echo_config *cfg, char *err, size_t errlen)
{
    s->cfg = *cfg;
    if (s->cfg.max_clients == 0) s->cfg.max_clients = ECHO_DEFAULT_MAX_CLIENTS;
    s->stats.active.store(0);
    s->stats.total.store(0);
    s->stopping.store(false);
    pthread_mutex_init(&s->lock, nullptr);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->done, &ca);
    pthread_condattr_destroy(&ca);
    s->listen_fd = nl_listen_tcp(cfg->host, cfg->port, 1024, 0, err, errlen);
    if (s->listen_fd < 0) return -1;
    // One descriptor held in reserve: when accept() fails with EMFILE it is released for a moment so
    // the waiting connection can be accepted and refused instead of making accept() fail forever.
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return 0;
}

void echo_server_stop(echo_server *s)
{
    pthread_mutex_lock(&s->lock);
    s->stopping.store(true);
    // Every client sees EOF after the lines it already sent: it gets their replies, then BYE.
    for (int fd : s->clients) shutdown(fd, SHUT_RD);
    pthread_mutex_unlock(&s->lock);
    shutdown(s->listen_fd, SHUT_RDWR);  // wakes the accept() blocked in the acceptor thread
}

void echo_server_destroy(echo_server *s)
{
    if (s->listen_fd >= 0) close(s->listen_fd);
    if (s->spare_fd >= 0) close(s->spare_fd);
    s->listen_fd = s->spare_fd = -1;
}

size_t echo_active_connections(echo_server *s) { return s->stats.active.load(); }
size_t echo_total_connections(echo_server *s) { return s->stats.total.load(); }

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

bool echo_process_command(echo_server *s, const char *line, size_t len, std::string *reply)
{
    // Like the seed, surrounding blanks are not part of the message ("  quit " is not QUIT but
    // " QUIT " is; "  hi " echoes "HI").
    while (len > 0 && is_blank(line[0])) line++, len--;
    while (len > 0 && is_blank(line[len - 1])) len--;
    std::string_view cmd(line, len);
    char num[32];
    if (cmd == "QUIT") {
        *reply = "BYE\n";
        return true;
    }
    if (cmd == "TIME") {
        snprintf(num, sizeof num, "%lld", (long long)nl_unix_seconds());
        *reply = std::string("TIME: ") + num + "\n";
    } else if (cmd == "COUNT") {
        snprintf(num, sizeof num, "%zu", s->stats.active.load());
        *reply = std::string("COUNT: ") + num + "\n";
    } else {
        reply->assign("ECHO: ");
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)line[i];
            reply->push_back(c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : (char)c);
        }
        reply->push_back('\n');
    }
    return false;
}

// Removes fd from the registry and closes it. The registry entry goes first, under the lock, so the
// shutdown sweep never touches an fd number that close() has already given back to the kernel.
static void finish_client(echo_server *s, int fd)
{
    s->stats.active.fetch_sub(1);
    pthread_mutex_lock(&s->lock);
    s->clients.erase(fd);
    if (s->clients.empty()) pthread_cond_broadcast(&s->done);
    pthread_mutex_unlock(&s->lock);
    close(fd);
}

void echo_refuse_client(echo_server *s, int fd, const char *line)
{
    send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);  // best effort: the peer may be gone
    finish_client(s, fd);
}

// accept() failed with EMFILE/ENFILE: it fails before taking a connection off the queue, so a
// waiting client would hang and accept() would fail again at once, forever. Release the spare
// descriptor, take whatever is waiting without blocking, tell it BUSY, and take the spare back.
static void refuse_while_out_of_fds(echo_server *s, int err)
{
    if (s->spare_fd >= 0) {
        close(s->spare_fd);
        s->spare_fd = -1;
    }
    nl_set_nonblock(s->listen_fd, true);
    int fd = accept4(s->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    nl_set_nonblock(s->listen_fd, false);
    if (fd >= 0) {
        nl_warn("accept: %s: refused one connection (BUSY) until descriptors free up", strerror(err));
        send(fd, "BUSY\n", 5, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
    }
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {  // nobody waiting: check again in 10 ms instead of spinning on accept()
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, nullptr);
    }
}

int echo_accept(echo_server *s)
{
    for (;;) {
        if (s->stopping.load()) return -1;
        int fd = accept4(s->listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            int e = errno;
            if (s->stopping.load()) return -1;
            if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;
            if (e == EMFILE || e == ENFILE) {
                refuse_while_out_of_fds(s, e);
                return -2;
            }
            // ENOBUFS, ENOMEM...: transient; log, breathe, keep accepting.
            nl_error("accept: %s", strerror(e));
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, nullptr);
            return -2;
        }
        pthread_mutex_lock(&s->lock);
        bool full = s->clients.size() >= s->cfg.max_clients;
        if (!full) s->clients.insert(fd);
        bool stopping = s->stopping.load();
        pthread_mutex_unlock(&s->lock);
        if (full) {
            send(fd, "BUSY\n", 5, MSG_NOSIGNAL | MSG_DONTWAIT);
            close(fd);
            return -2;
        }
        s->stats.active.fetch_add(1);
        s->stats.total.fetch_add(1);
        if (stopping) shutdown(fd, SHUT_RD);  // registered after the sweep: sweep it ourselves
        return fd;
    }
}

echo_end echo_handle_client(echo_server *s, int fd, unsigned idle_s)
{
    if (idle_s > 0) {
        // An idle client (nothing received, or our replies not read) costs a pool worker: bound both.
        struct timeval tv = {(time_t)idle_s, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    nl_line_reader lr;
    if (nl_lr_init(&lr, fd, ECHO_MAX_LINE) < 0) {
        echo_refuse_client(s, fd, "ERROR: out of memory\n");
        return ECHO_END_ERROR;
    }
    std::string reply;
    echo_end end;
    for (;;) {
        const char *line;
        size_t len;
        nl_line_status st = nl_lr_read_line(&lr, &line, &len);
        if (st == NL_LINE_OK) {
            bool quit = echo_process_command(s, line, len, &reply);
            if (nl_write_all(fd, reply.data(), reply.size()) < 0) {
                end = ECHO_END_ERROR;
                break;
            }
            if (quit) {
                end = ECHO_END_QUIT;
                break;
            }
        } else if (st == NL_LINE_TOO_LONG) {
            // The reader drops the rest of that line by itself; the session goes on.
            if (nl_write_all(fd, TOO_LONG_REPLY, sizeof TOO_LONG_REPLY - 1) < 0) {
                end = ECHO_END_ERROR;
                break;
            }
        } else if (st == NL_LINE_EOF) {
            end = s->stopping.load() ? ECHO_END_SHUTDOWN : ECHO_END_EOF;
            break;
        } else if (st == NL_LINE_AGAIN) {  // SO_RCVTIMEO expired
            end = ECHO_END_IDLE;
            break;
        } else {
            end = ECHO_END_ERROR;
            break;
        }
    }
    nl_lr_free(&lr);
    if (end == ECHO_END_SHUTDOWN) nl_write_all(fd, "BYE\n", 4);
    if (end == ECHO_END_IDLE) nl_write_all(fd, "TIMEOUT\n", 8);
    finish_client(s, fd);
    return end;
}

bool echo_wait_clients_gone(echo_server *s, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    while (!s->clients.empty() && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&s->done, &s->lock, &until);
    bool gone = s->clients.empty();
    if (!gone) {
        // Clients that do not read their replies keep a thread blocked in send(): cut them off.
        nl_warn("shutdown: %zu client(s) still busy after %d ms, closing them", s->clients.size(), timeout_ms);
        for (int fd : s->clients) shutdown(fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&s->lock);
    return gone;
}

static void *client_main(void *arg)
{
    echo_server *s = (echo_server *)((void **)arg)[0];
    int fd = (int)(intptr_t)((void **)arg)[1];
    free(arg);
    echo_handle_client(s, fd, 0);
    return nullptr;
}

int echo_server_run(echo_server *s)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, ECHO_THREAD_STACK);
    for (;;) {
        int fd = echo_accept(s);
        if (fd == -1) break;
        if (fd < 0) continue;
        void **arg = (void **)malloc(2 * sizeof(void *));
        int rc = ENOMEM;
        pthread_t t;
        if (arg) {
            arg[0] = s;
            arg[1] = (void *)(intptr_t)fd;
            rc = pthread_create(&t, &attr, client_main, arg);
        }
        if (rc != 0) {
            free(arg);
            nl_warn("cannot start a thread for a client: %s", strerror(rc));
            echo_refuse_client(s, fd, "BUSY\n");
        }
    }
    pthread_attr_destroy(&attr);
    if (!echo_wait_clients_gone(s, ECHO_DRAIN_MS)) echo_wait_clients_gone(s, ECHO_DRAIN_MS);
    return 0;
}
