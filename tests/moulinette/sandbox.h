// sandbox.h — run one command under a time limit, resource limits, its own process group and,
// when the grader is root, its own unprivileged uid; then kill everything it left behind.
#pragma once
#include <string>
#include <sys/types.h>
#include <vector>

// What a test may see of the machine, in root mode (namespaces need CAP_SYS_ADMIN): its own mount,
// IPC and network namespaces; `cover` folders get an empty private tmpfs (the world-writable places
// and the grader's temporary root), `keep` folders are seen through them as they are (the test's
// folder, its build, the tree), `hide_files` read as empty (/dev/null bound over them: the reference,
// the suite's sources, the other submissions' files), `hide_dirs` are seen empty and read-only.
struct mt_isolation {
    std::vector<std::string> cover, keep, hide_files, hide_dirs;
};

struct mt_limits {
    int timeout_s = 30;
    bool limit_as = true;          // RLIMIT_AS 4 GiB (off for sanitizer builds)
    unsigned long long fsize = 64ull << 20;
    int nofile = 4096;
    int nproc = 1024;              // applied only with a dedicated uid
    uid_t uid = 0;                 // 0: run as the grader's own user
    const mt_isolation *iso = nullptr;  // with uid != 0: namespaces and hidden paths (see above)
};

enum mt_outcome { MT_EXITED, MT_SIGNALED, MT_TIMEOUT, MT_SPAWN_FAILED };

struct mt_run {
    mt_outcome outcome = MT_SPAWN_FAILED;
    int code = 0;                  // exit status or signal number
    long ms = 0;
    long cpu_ms = 0;               // user + system time of the command and the children it waited for
    std::string log_tail;          // the end of stdout+stderr
};

// Runs argv in cwd with env (NAME=value entries added to a clean base environment), stdout and
// stderr to log_path. Blocks until it ends or times out.
mt_run mt_sandbox_run(const std::vector<std::string> &argv, const std::string &cwd,
                      const std::vector<std::string> &env, const std::string &log_path, const mt_limits &lim);

// Kills every process of uid (a dedicated grading uid) and removes its System V message queues.
void mt_sandbox_sweep_uid(uid_t uid);

// A short description: "exit status 1", "killed by SIGSEGV", "timed out after 10 s", ...
std::string mt_describe(const mt_run &r, int timeout_s);

std::string mt_read_tail(const std::string &path, size_t max_bytes);
