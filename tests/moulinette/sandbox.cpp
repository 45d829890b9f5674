// sandbox.cpp — fork, setpgid, setrlimit, (setuid), exec; pidfd + poll for the deadline.
#include "sandbox.h"

#include <algorithm>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <poll.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void set_limit(int res, rlim_t v)
{
    struct rlimit rl = {v, v};
    setrlimit(res, &rl);
}

std::string mt_read_tail(const std::string &path, size_t max_bytes)
{
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)max_bytes ? size - (off_t)max_bytes : 0;
    std::string out((size_t)(size - from), '\0');
    ssize_t n = pread(fd, out.data(), out.size(), from);
    close(fd);
    out.resize(n > 0 ? (size_t)n : 0);
    return out;
}

// Tasks (threads included) that uid runs now, from /proc.
static int count_user_tasks(uid_t uid)
{
    int n = 0;
    DIR *d = opendir("/proc");
    if (!d) return 4096;
    while (struct dirent *e = readdir(d)) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        char path[300], line[256];
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        unsigned ruid = ~0u;
        int threads = 1;
        while (fgets(line, sizeof line, f)) {
            sscanf(line, "Uid: %u", &ruid);
            sscanf(line, "Threads: %d", &threads);
        }
        fclose(f);
        if (ruid == uid) n += threads;
    }
    closedir(d);
    return n;
}

// Everything the child needs is prepared before fork(): after fork() in a threaded grader the
// child may only make async-signal-safe calls (no malloc, no stdio).
struct child_plan {
    std::vector<char *> argv, envp;
    const char *cwd, *log_path;
    mt_limits lim;
    rlim_t nproc;              // 0: leave RLIMIT_NPROC alone
    // Isolation (lim.iso): covers, the keeps under a cover with every folder above them to create
    // in the new tmpfs, then what to hide; all made before fork().
    std::vector<const char *> covers, keeps, keep_parents, hide_files, hide_dirs;
};

static void child_fail(const char *what)
{
    ssize_t w = write(2, what, strlen(what));
    (void)w;
    _exit(126);
}

static void put(int fd, const char *a, const char *b = "", const char *c = "")
{
    for (const char *s : {a, b, c}) {
        ssize_t w = write(fd, s, strlen(s));
        (void)w;
    }
}

// Async-signal-safe: syscalls only. Returns false when the namespaces cannot be had (then the
// test runs without them, and the log says so); a keep that cannot be bound is fatal.
static bool isolate(const child_plan &p, int log)
{
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWNET) < 0) {
        put(log, "sandbox: no namespaces (", strerror(errno), "): this test is not isolated\n");
        return false;
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) child_fail("sandbox: cannot make mounts private\n");
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);  // the new namespace's loopback starts down
    struct ifreq ifr = {};
    memcpy(ifr.ifr_name, "lo", 3);
    if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) child_fail("sandbox: no loopback\n");
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) child_fail("sandbox: cannot bring the loopback up\n");
    close(s);
    // The keeps are opened before the covers hide them, then bound back through /proc/self/fd.
    int fds[64];
    size_t nk = p.keeps.size() < 64 ? p.keeps.size() : 64;
    for (size_t i = 0; i < nk; i++)
        if ((fds[i] = open(p.keeps[i], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) put(log, "sandbox: cannot open ", p.keeps[i], "\n");
    for (const char *c : p.covers)
        if (mount("netlab-sandbox", c, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=256m") < 0)
            put(log, "sandbox: cannot cover ", c, "\n");
    for (const char *d : p.keep_parents) mkdir(d, 0755);
    for (size_t i = 0; i < nk; i++) {
        if (fds[i] < 0) continue;
        char path[32] = "/proc/self/fd/";
        char digits[12];
        int n = 0;
        for (int v = fds[i]; v > 0 || n == 0; v /= 10) digits[n++] = (char)('0' + v % 10);
        size_t at = strlen(path);
        while (n > 0) path[at++] = digits[--n];
        path[at] = '\0';
        if (mount(path, p.keeps[i], nullptr, MS_BIND | MS_REC, nullptr) < 0) child_fail("sandbox: cannot bind a kept folder\n");
        close(fds[i]);
    }
    for (const char *d : p.hide_dirs) mount("netlab-hidden", d, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0555,size=4k");
    for (const char *f : p.hide_files) mount("/dev/null", f, nullptr, MS_BIND, nullptr);
    return true;
}

[[noreturn]] static void child(const child_plan &p)
{
    setpgid(0, 0);
    int devnull = open("/dev/null", O_RDONLY);
    int log = open(p.log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (devnull < 0 || log < 0 || dup2(devnull, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) _exit(126);
    if (p.lim.uid != 0 && fchown(log, p.lim.uid, p.lim.uid) < 0) child_fail("sandbox: cannot chown the log\n");
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_FSIZE, p.lim.fsize);
    set_limit(RLIMIT_NOFILE, (rlim_t)p.lim.nofile);
    set_limit(RLIMIT_CPU, (rlim_t)p.lim.timeout_s + 5);
    if (p.lim.limit_as) set_limit(RLIMIT_AS, 4ull << 30);
    if (p.nproc) set_limit(RLIMIT_NPROC, p.nproc);
    if (p.lim.uid != 0 && p.lim.iso) isolate(p, log);
    if (p.lim.uid != 0 && (setgroups(0, nullptr) < 0 || setgid(p.lim.uid) < 0 || setuid(p.lim.uid) < 0))
        child_fail("sandbox: cannot switch to the grading uid\n");
    if (chdir(p.cwd) < 0) child_fail("sandbox: cannot enter the test folder\n");
    // Default signal dispositions and an empty mask, whatever the grader had.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s = 1; s < NSIG; s++) signal(s, SIG_DFL);
    execve(p.argv[0], p.argv.data(), p.envp.data());
    child_fail("sandbox: cannot execute the program\n");
    _exit(127);
}

void mt_sandbox_sweep_uid(uid_t uid)
{
    if (uid == 0) return;
    // kill(-1) from a process of that uid reaches exactly that uid's processes, wherever they went.
    pid_t p = fork();
    if (p == 0) {
        if (setgid(uid) == 0 && setuid(uid) == 0) {
            signal(SIGKILL, SIG_DFL);
            kill(-1, SIGKILL);
        }
        _exit(0);
    }
    if (p > 0) waitpid(p, nullptr, 0);
    // System V message queues outlive processes: remove the ones the test left.
    struct msginfo info;
    int maxid = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);
    for (int i = 0; i <= maxid; i++) {
        struct msqid_ds ds;
        int id = msgctl(i, MSG_STAT, &ds);
        if (id >= 0 && ds.msg_perm.uid == uid) msgctl(id, IPC_RMID, nullptr);
    }
    // And shared memory segments and semaphore sets (a test in its own IPC namespace leaves none:
    // these are for a test that could not have one).
    struct shminfo sinfo;
    int maxshm = shmctl(0, IPC_INFO, (struct shmid_ds *)&sinfo);
    for (int i = 0; i <= maxshm; i++) {
        struct shmid_ds ds;
        int id = shmctl(i, SHM_STAT, &ds);
        if (id >= 0 && ds.shm_perm.uid == uid) shmctl(id, IPC_RMID, nullptr);
    }
    struct seminfo seinfo;
    int maxsem = semctl(0, 0, IPC_INFO, (struct seminfo *)&seinfo);
    for (int i = 0; i <= maxsem; i++) {
        struct semid_ds ds;
        int id = semctl(i, 0, SEM_STAT, &ds);
        if (id >= 0 && ds.sem_perm.uid == uid) semctl(id, 0, IPC_RMID);
    }
}

mt_run mt_sandbox_run(const std::vector<std::string> &argv, const std::string &cwd,
                      const std::vector<std::string> &env, const std::string &log_path, const mt_limits &lim)
{
    mt_run r;
    child_plan plan;
    for (const std::string &a : argv) plan.argv.push_back((char *)a.c_str());
    plan.argv.push_back(nullptr);
    for (const std::string &e : env) plan.envp.push_back((char *)e.c_str());
    plan.envp.push_back(nullptr);
    plan.cwd = cwd.c_str();
    plan.log_path = log_path.c_str();
    plan.lim = lim;
    plan.nproc = 0;
    // Isolation: which keeps lie under a cover (the others are seen anyway), and the folders above
    // each such keep, from the cover down, to create in the cover's new tmpfs.
    auto under = [](const std::string &path, const std::string &dir) {
        return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
    };
    std::vector<std::string> parents;
    if (lim.iso) {
        for (const std::string &c : lim.iso->cover) {
            bool nested = false;
            for (const std::string &o : lim.iso->cover) nested = nested || under(c, o);
            if (!nested) plan.covers.push_back(c.c_str());
        }
        for (const std::string &k : lim.iso->keep) {
            const std::string *top = nullptr;
            for (const char *c : plan.covers)
                if (under(k, c)) top = &*std::find(lim.iso->cover.begin(), lim.iso->cover.end(), std::string(c));
            if (!top) continue;
            plan.keeps.push_back(k.c_str());
            for (size_t at = top->size() + 1; (at = k.find('/', at)) != std::string::npos; at++) parents.push_back(k.substr(0, at));
            parents.push_back(k);
        }
        for (const std::string &d : parents) plan.keep_parents.push_back(d.c_str());
        for (const std::string &f : lim.iso->hide_files) plan.hide_files.push_back(f.c_str());
        for (const std::string &d : lim.iso->hide_dirs) plan.hide_dirs.push_back(d.c_str());
    }
    if (lim.uid != 0) plan.nproc = (rlim_t)lim.nproc;
    // No uid of its own: the limit counts all of this user's tasks, so allow what runs already.
    else if (getuid() != 0 && lim.nproc > 0) plan.nproc = (rlim_t)(count_user_tasks(getuid()) + lim.nproc);
    long start = now_ms();
    pid_t pid = fork();
    if (pid < 0) return r;
    if (pid == 0) child(plan);
    setpgid(pid, pid);  // also from the parent: no window where the group does not exist
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    long deadline = start + lim.timeout_s * 1000L;
    bool done = false;
    int status = 0;
    struct rusage ru = {};
    while (!done) {
        long left = deadline - now_ms();
        if (left <= 0) break;
        if (pfd >= 0) {
            struct pollfd p = {pfd, POLLIN, 0};
            int rc = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
            if (rc < 0 && errno != EINTR) break;
        } else {
            usleep(2000);  // no pidfd (old kernel): poll the child's state
        }
        done = wait4(pid, &status, WNOHANG, &ru) == pid;
    }
    killpg(pid, SIGKILL);
    if (!done) {
        wait4(pid, &status, 0, &ru);
        r.outcome = MT_TIMEOUT;
    } else if (WIFEXITED(status)) {
        r.outcome = MT_EXITED;
        r.code = WEXITSTATUS(status);
    } else {
        r.outcome = MT_SIGNALED;
        r.code = WTERMSIG(status);
    }
    if (pfd >= 0) close(pfd);
    mt_sandbox_sweep_uid(lim.uid);
    // Members of the group that outlived the test were re-parented to the grader (a subreaper):
    // reap them now. Only this group: another worker's test is not ours to wait for.
    while (waitpid(-pid, nullptr, 0) > 0) {
    }
    r.ms = now_ms() - start;
    r.cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
    r.log_tail = mt_read_tail(log_path, 4000);
    return r;
}

std::string mt_describe(const mt_run &r, int timeout_s)
{
    switch (r.outcome) {
    case MT_TIMEOUT: return "timed out after " + std::to_string(timeout_s) + " s";
    case MT_SPAWN_FAILED: return "could not start";
    case MT_EXITED:
        if (r.code == 126 || r.code == 127) return "could not start (exit " + std::to_string(r.code) + ")";
        return "exit status " + std::to_string(r.code);
    case MT_SIGNALED:
        if (r.code == SIGXFSZ) return "output limit exceeded (SIGXFSZ)";
        if (r.code == SIGXCPU) return "CPU time limit exceeded (SIGXCPU)";
        return std::string("killed by SIG") + sigabbrev_np(r.code);
    }
    return "?";
}
