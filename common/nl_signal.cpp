// nl_signal.cpp — signalfd based: the signal becomes an ordinary readable fd.
#include "nl_signal.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

static int g_sigfd = -1;
static std::atomic<bool> g_requested{false};

int nl_shutdown_init(char *err, size_t errlen)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0 ||
        (g_sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        if (err && errlen) snprintf(err, errlen, "cannot set up shutdown signals: %s", strerror(errno));
        return -1;
    }
    // A peer that vanishes must show up as EPIPE on write, never kill the process.
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

int nl_shutdown_fd(void) { return g_sigfd; }

int nl_shutdown_consume(void)
{
    struct signalfd_siginfo si;
    ssize_t n = read(g_sigfd, &si, sizeof si);
    if (n != (ssize_t)sizeof si) return 0;
    g_requested.store(true);
    return (int)si.ssi_signo;
}

int nl_shutdown_wait(void)
{
    for (;;) {
        // The fd is non-blocking (so nl_shutdown_consume never sleeps): wait for it here.
        struct pollfd p = {g_sigfd, POLLIN, 0};
        if (poll(&p, 1, -1) < 0 && errno != EINTR) return -1;
        int sig = nl_shutdown_consume();
        if (sig > 0) return sig;
    }
}

bool nl_shutdown_requested(void) { return g_requested.load(); }

void nl_shutdown_request(void)
{
    g_requested.store(true);
    kill(getpid(), SIGTERM);  // queued on the signalfd: wakes whoever waits on it
}
