// bk_harness.cpp — see bk_harness.h. The server's first stdout line is not "listening on
// HOST:PORT", so tests/support's nl_server_start does not fit; this is its System V counterpart.
#include "bk_harness.h"
#include "nl_clock.h"
#include "nl_testproc.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

// ---- what teardown must undo ---------------------------------------------------------------------
static std::string g_dir;                  // the test's own temporary folder
static std::vector<bk_server *> g_servers;  // started servers
static std::vector<key_t> g_keys;          // every key handed out

static const std::string &temp_dir(void)
{
    if (g_dir.empty()) {
        const char *base = getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/bk-test-XXXXXX";
        std::vector<char> buf(tmpl.begin(), tmpl.end());
        buf.push_back('\0');
        if (mkdtemp(buf.data())) g_dir = buf.data();
    }
    return g_dir;
}

bk_server *bk_new(void)
{
    bk_server *s = new bk_server;
    g_servers.push_back(s);
    return s;
}

std::string bk_key_file(void)
{
    // ftok keeps only 16 bits of the inode: a key can collide with a queue someone else left.
    // Keep trying new files (the old ones stay, so their inodes are not reused) until the key is free.
    for (int i = 0; i < 64; i++) {
        std::string path = temp_dir() + "/key-" + std::to_string(g_keys.size()) + "-" + std::to_string(i);
        int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0) break;
        close(fd);
        key_t key = ftok(path.c_str(), BOOKING_PROJ_ID);
        if (key == (key_t)-1) break;
        if (msgget(key, 0) < 0 && errno == ENOENT) {
            g_keys.push_back(key);
            return path;
        }
    }
    fprintf(stderr, "bk_key_file: cannot find a free System V key in %s\n", temp_dir().c_str());
    return "";
}

// ---- the server process --------------------------------------------------------------------------
static void *drain_main(void *arg)
{
    bk_server *s = (bk_server *)arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(s->out_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        pthread_mutex_lock(&s->lock);
        if (s->output.size() < (4u << 20)) s->output.append(buf, (size_t)n);
        pthread_mutex_unlock(&s->lock);
    }
    return nullptr;
}

static bool reap(bk_server *s, bool block)
{
    if (s->exited || s->pid <= 0) return true;
    int st;
    pid_t r = waitpid(s->pid, &st, block ? 0 : WNOHANG);
    if (r == s->pid) {
        s->exited = true;
        s->status = st;
    }
    return s->exited;
}

int bk_start(bk_server *s, const std::vector<std::string> &args, int timeout_ms)
{
    return bk_start_program(s, "", args, timeout_ms);
}

int bk_start_program(bk_server *s, const std::string &program, const std::vector<std::string> &args, int timeout_ms)
{
    if (s->key_path.empty()) s->key_path = bk_key_file();
    if (s->key_path.empty()) return -1;
    std::string path = program.empty() ? nl_bin_path("booking_server") : program;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        // If the test process dies, the server is told to stop, and so removes its queue.
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127);
        dup2(p[1], STDOUT_FILENO);
        dup2(p[1], STDERR_FILENO);
        std::vector<std::string> all = args;
        all.push_back("--key-path");
        all.push_back(s->key_path);
        std::vector<char *> av;
        av.push_back((char *)path.c_str());
        for (const std::string &a : all) av.push_back((char *)a.c_str());
        av.push_back(nullptr);
        execv(path.c_str(), av.data());
        fprintf(stderr, "cannot run %s: %s\n", path.c_str(), strerror(errno));
        _exit(127);
    }
    close(p[1]);
    s->pid = pid;
    s->out_fd = p[0];
    s->exited = false;
    // Read whole lines until the listening line (log lines may come first), byte by byte so that
    // nothing after it is taken from the drain thread.
    std::string line, before;
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    bool found = false;
    while (!found) {
        uint64_t now = nl_now_ms();
        if (now >= deadline) break;
        struct pollfd pfd = {p[0], POLLIN, 0};
        int r = poll(&pfd, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        char c;
        if (read(p[0], &c, 1) <= 0) break;
        if (c != '\n') {
            line.push_back(c);
            continue;
        }
        unsigned key;
        int id;
        if (sscanf(line.c_str(), "listening on queue 0x%x (id %d)", &key, &id) == 2) {
            s->key = (key_t)key;
            s->qid = id;
            found = true;
        }
        before += line + "\n";
        line.clear();
    }
    pthread_mutex_lock(&s->lock);
    s->output = before;
    pthread_mutex_unlock(&s->lock);
    if (!found) {
        fprintf(stderr, "booking_server did not print 'listening on queue 0xKEY (id N)' within %d ms; output:\n%s%s\n",
                timeout_ms, before.c_str(), line.c_str());
        kill(pid, SIGKILL);
        reap(s, true);
        close(p[0]);
        s->out_fd = -1;
        return -1;
    }
    s->drain_started = pthread_create(&s->drain, nullptr, drain_main, s) == 0;
    bk_watchdog(s->qid, BK_DEFAULT_WATCHDOG_MS);  // a reply that never comes fails the test, not the clock
    return 0;
}

bool bk_wait_exit(bk_server *s, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    while (!reap(s, false)) {
        if (nl_now_ms() >= deadline) return false;
        usleep(1000);  // polling a condition with a deadline
    }
    return true;
}

static void finish_drain(bk_server *s)
{
    if (s->drain_started) {
        pthread_join(s->drain, nullptr);
        s->drain_started = false;
    }
    if (s->out_fd >= 0) close(s->out_fd);
    s->out_fd = -1;
}

int bk_stop(bk_server *s, int sig, int timeout_ms)
{
    if (s->pid <= 0) return -1;
    if (!reap(s, false)) {
        kill(s->pid, SIGCONT);  // a paused server must be able to see the signal
        kill(s->pid, sig ? sig : SIGTERM);
    }
    int rc = -1;
    if (bk_wait_exit(s, timeout_ms)) {
        if (WIFEXITED(s->status)) rc = WEXITSTATUS(s->status);
        else fprintf(stderr, "booking_server died from signal %d\n", WTERMSIG(s->status));
    } else {
        fprintf(stderr, "booking_server pid %d did not exit within %d ms; killing it\n", (int)s->pid, timeout_ms);
        kill(s->pid, SIGKILL);
        reap(s, true);
    }
    finish_drain(s);
    return rc;
}

bool bk_output_contains(bk_server *s, const char *needle, int timeout_ms)
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

static char proc_state(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return '?';
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *rp = strrchr(buf, ')');
    return rp && rp[1] == ' ' ? rp[2] : '?';
}

bool bk_pause(bk_server *s)
{
    if (kill(s->pid, SIGSTOP) < 0) return false;
    uint64_t deadline = nl_now_ms() + 5000;
    while (proc_state(s->pid) != 'T') {
        if (nl_now_ms() >= deadline) return false;
        usleep(500);
    }
    return true;
}

void bk_resume(bk_server *s) { kill(s->pid, SIGCONT); }

// ---- the watchdog --------------------------------------------------------------------------------
static pthread_mutex_t g_wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wd_cond = PTHREAD_COND_INITIALIZER;
static bool g_wd_started = false;
static int g_wd_qid = -1;
static uint64_t g_wd_deadline = 0;  // nl_now_ms(); 0 = disarmed
static std::atomic<bool> g_wd_fired{false};

static void *watchdog_main(void *)
{
    pthread_mutex_lock(&g_wd_lock);
    for (;;) {
        if (g_wd_deadline && nl_now_ms() >= g_wd_deadline) {
            fprintf(stderr, "watchdog: no progress before the deadline; removing queue %d so blocked receives fail\n",
                    g_wd_qid);
            msgctl(g_wd_qid, IPC_RMID, nullptr);
            g_wd_fired.store(true);
            g_wd_deadline = 0;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g_wd_cond, &g_wd_lock, &ts);
    }
    return nullptr;
}

void bk_watchdog(int qid, int timeout_ms)
{
    pthread_mutex_lock(&g_wd_lock);
    if (!g_wd_started) {
        pthread_t t;
        g_wd_started = pthread_create(&t, nullptr, watchdog_main, nullptr) == 0;
        if (g_wd_started) pthread_detach(t);
    }
    g_wd_qid = qid;
    g_wd_deadline = timeout_ms > 0 ? nl_now_ms() + (uint64_t)timeout_ms : 0;
    pthread_cond_signal(&g_wd_cond);
    pthread_mutex_unlock(&g_wd_lock);
}

bool bk_watchdog_fired(void) { return g_wd_fired.load(); }

// ---- teardown --------------------------------------------------------------------------------------
int bk_teardown(void **)
{
    bk_watchdog(-1, 0);
    for (bk_server *s : g_servers) {
        if (s->pid > 0 && !reap(s, false)) {
            kill(s->pid, SIGCONT);
            kill(s->pid, SIGKILL);
            reap(s, true);
        }
        finish_drain(s);
        delete s;
    }
    g_servers.clear();
    // Whatever happened, no queue outlives the test.
    for (key_t key : g_keys) {
        int qid = msgget(key, 0);
        if (qid >= 0) msgctl(qid, IPC_RMID, nullptr);
    }
    g_keys.clear();
    if (!g_dir.empty()) {
        std::string cmd = "rm -rf '" + g_dir + "'";
        if (system(cmd.c_str()) != 0) fprintf(stderr, "could not remove %s\n", g_dir.c_str());
        g_dir.clear();
    }
    return 0;
}

// ---- the protocol --------------------------------------------------------------------------------
booking_request bk_req(booking_op op, const char *show, int count, int64_t reply_mtype, uint64_t tag, uint64_t booking_id)
{
    booking_request r;
    memset(&r, 0, sizeof r);
    r.mtype = BOOKING_MTYPE_REQUEST;
    r.reply_mtype = reply_mtype;
    r.tag = tag;
    r.magic = BOOKING_MAGIC;
    r.op = op;
    r.count = count;
    r.booking_id = booking_id;
    snprintf(r.show, sizeof r.show, "%s", show ? show : "");
    snprintf(r.customer, sizeof r.customer, "tester");
    return r;
}

int bk_send(int qid, const booking_request *req)
{
    while (msgsnd(qid, req, BOOKING_REQUEST_SIZE, 0) < 0)
        if (errno != EINTR) return -1;
    return 0;
}

int bk_send_raw(int qid, long mtype, const void *body, size_t len)
{
    std::vector<char> buf(sizeof(long) + len);
    memcpy(buf.data(), &mtype, sizeof mtype);
    memcpy(buf.data() + sizeof(long), body, len);
    while (msgsnd(qid, buf.data(), len, 0) < 0)
        if (errno != EINTR) return -1;
    return 0;
}

int bk_recv(int qid, int64_t mtype, booking_reply *reply)
{
    for (;;) {
        ssize_t n = msgrcv(qid, reply, BOOKING_REPLY_SIZE, mtype, MSG_NOERROR);
        if (n >= 0) return n == (ssize_t)BOOKING_REPLY_SIZE ? 0 : (errno = EBADMSG, -1);
        if (errno != EINTR) return -1;
    }
}

int bk_try_recv_any(int qid, booking_reply *reply, ssize_t *len)
{
    ssize_t n = msgrcv(qid, reply, BOOKING_REPLY_SIZE, BOOKING_MTYPE_REQUEST, MSG_EXCEPT | IPC_NOWAIT | MSG_NOERROR);
    if (len) *len = n;
    return n >= 0 ? 1 : 0;
}

int bk_call(int qid, const booking_request *req, booking_reply *reply)
{
    if (bk_send(qid, req) < 0) return -1;
    return bk_recv(qid, req->reply_mtype, reply);
}

int bk_show_state(int qid, const char *show, int *remaining, int *sold, int *capacity)
{
    static std::atomic<uint64_t> tag{1u << 30};
    booking_request req = bk_req(BOOKING_OP_LIST, "", 0, 999999, tag++);
    booking_reply r;
    if (bk_call(qid, &req, &r) < 0 || r.status != BOOKING_OK || r.tag != req.tag) return -1;
    for (int i = 0; i < r.nshows && i < BOOKING_MAX_SHOWS; i++) {
        if (strncmp(r.shows[i].name, show, BOOKING_NAME_MAX) != 0) continue;
        if (remaining) *remaining = r.shows[i].remaining;
        if (sold) *sold = r.shows[i].sold;
        if (capacity) *capacity = r.shows[i].capacity;
        return 0;
    }
    return -1;
}

long bk_proc_status(pid_t pid, const char *field)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t flen = strlen(field);
    long v = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
            v = strtol(line + flen + 1, nullptr, 10);
            break;
        }
    fclose(f);
    return v;
}
