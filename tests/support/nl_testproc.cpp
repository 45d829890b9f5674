// nl_testproc.cpp — fork/exec with a stdout pipe, a drain thread, and deadline-based waits.
#include "nl_testproc.h"
#include "nl_clock.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

std::string nl_bin_path(const char *name)
{
    const char *dir = getenv("NETLAB_BIN_DIR");
    return std::string(dir ? dir : "build/bin") + "/" + name;
}

void nl_die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before prctl: do not run at all
}

static void *drain_main(void *arg)
{
    nl_server *s = (nl_server *)arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(s->out_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        pthread_mutex_lock(&s->lock);
        if (s->output.size() < (16u << 20)) s->output.append(buf, (size_t)n);
        pthread_mutex_unlock(&s->lock);
    }
    return nullptr;
}

static bool reap(nl_server *s, bool block)
{
    if (s->exited) return true;
    int st;
    pid_t r = waitpid(s->pid, &st, block ? 0 : WNOHANG);
    if (r == s->pid) {
        s->exited = true;
        s->status = st;
    }
    return s->exited;
}

int nl_server_start(nl_server *s, const char *program, const std::vector<std::string> &args, int timeout_ms)
{
    std::string path = program[0] == '/' ? std::string(program) : nl_bin_path(program);  // an oracle's full path
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        // The server dies with the test process, however that ends (a failed check, SIGPIPE from
        // `run_tests | head`, a crash), even when run_tests runs by hand outside the grader.
        nl_die_with_parent(parent);
        dup2(p[1], STDOUT_FILENO);
        std::vector<char *> av;
        av.push_back((char *)path.c_str());
        for (const std::string &a : args) av.push_back((char *)a.c_str());
        av.push_back(nullptr);
        execv(path.c_str(), av.data());
        fprintf(stderr, "cannot run %s: %s\n", path.c_str(), strerror(errno));
        _exit(127);
    }
    close(p[1]);
    s->pid = pid;
    s->out_fd = p[0];
    s->exited = false;
    // Read the first line byte by byte so nothing after it is taken from the drain thread.
    std::string first;
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    while (first.empty() || first.back() != '\n') {
        uint64_t now = nl_now_ms();
        if (now >= deadline) break;
        struct pollfd pfd = {p[0], POLLIN, 0};
        int r = poll(&pfd, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        char c;
        ssize_t n = read(p[0], &c, 1);
        if (n <= 0) break;
        first.push_back(c);
    }
    unsigned port = 0;
    const char *colon = strrchr(first.c_str(), ':');
    if (first.rfind("listening on ", 0) != 0 || !colon || sscanf(colon + 1, "%u", &port) != 1 || port == 0 ||
        port > 65535) {
        fprintf(stderr, "%s did not print 'listening on HOST:PORT' within %d ms (got: '%s')\n", path.c_str(),
                timeout_ms, first.c_str());
        kill(pid, SIGKILL);
        reap(s, true);
        close(p[0]);
        s->out_fd = -1;
        return -1;
    }
    s->port = (uint16_t)port;
    s->drain_started = pthread_create(&s->drain, nullptr, drain_main, s) == 0;
    return 0;
}

bool nl_server_wait_exit(nl_server *s, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    while (!reap(s, false)) {
        if (nl_now_ms() >= deadline) return false;
        usleep(1000);  // polling a condition with a deadline, not waiting for luck
    }
    return true;
}

bool nl_server_alive(nl_server *s) { return s->pid > 0 && !reap(s, false); }

int nl_server_stop(nl_server *s, int sig, int timeout_ms)
{
    if (s->pid <= 0) return -1;
    if (!reap(s, false)) kill(s->pid, sig ? sig : SIGTERM);
    int rc = -1;
    if (nl_server_wait_exit(s, timeout_ms)) {
        if (WIFEXITED(s->status)) rc = WEXITSTATUS(s->status);
    } else {
        fprintf(stderr, "server pid %d did not exit within %d ms of signal %d; killing it\n", (int)s->pid,
                timeout_ms, sig ? sig : SIGTERM);
        kill(s->pid, SIGKILL);
        reap(s, true);
    }
    if (s->drain_started) {
        pthread_join(s->drain, nullptr);
        s->drain_started = false;
    }
    if (s->out_fd >= 0) close(s->out_fd);
    s->out_fd = -1;
    return rc;
}

bool nl_server_output_contains(nl_server *s, const char *needle, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        bool found = s->output.find(needle) != std::string::npos;
        pthread_mutex_unlock(&s->lock);
        if (found) return true;
        if (nl_now_ms() >= deadline) return false;
        usleep(1000);
    }
}

// A process linked with libtsan runs one thread of the sanitizer's own (its background thread,
// started with every signal blocked, outside pthread_create): not a thread the program made.
static bool tsan_runtime_thread(pid_t pid, const char *tid)
{
    char path[320], line[256];
    snprintf(path, sizeof path, "/proc/%d/task/%s/status", (int)pid, tid);
    FILE *f = fopen(path, "r");
    unsigned long long blocked = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SigBlk: %llx", &blocked) == 1) break;
    if (f) fclose(f);
    // Every classic signal but SIGKILL and SIGSTOP (which cannot be blocked) blocked.
    unsigned long long classic = 0x7fffffffull & ~((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)));
    return (blocked & classic) == classic;
}

bool nl_proc_linked_with(pid_t pid, const char *lib)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) found = strstr(line, lib) != nullptr;
    if (f) fclose(f);
    return found;
}

int nl_proc_threads(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    bool tsan = nl_proc_linked_with(pid, "libtsan"), runtime_seen = false;
    int n = 0;
    while (struct dirent *e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        if (tsan && !runtime_seen && atoi(e->d_name) != (int)pid && tsan_runtime_thread(pid, e->d_name)) {
            runtime_seen = true;  // at most one: a program thread may block everything too
            continue;
        }
        n++;
    }
    closedir(d);
    return n;
}

int nl_proc_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    while (struct dirent *e = readdir(d))
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

bool nl_wait_until(bool (*pred)(void *), void *arg, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        if (pred(arg)) return true;
        if (nl_now_ms() >= deadline) return false;
        usleep(1000);
    }
}
