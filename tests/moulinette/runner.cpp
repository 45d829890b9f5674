// runner.cpp — one task queue, N worker threads (one sandbox uid each). A build task, when it
// succeeds, queues one task per test of its variant, so tests of one build also run in parallel.
#include "progress.h"
#include "runner.h"
#include "sandbox.h"
#include "verdict.h"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <deque>
#include <dirent.h>
#include <map>
#include <fcntl.h>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int mt_variant::score() const
{
    if (!norm_error.empty()) return 0;
    int s = 0;
    for (const mt_result &r : results)
        if (r.passed && !r.test->bonus) s += r.test->points;
    return s;
}

int mt_variant::bonus_score() const
{
    if (!norm_error.empty()) return 0;
    int s = 0;
    for (const mt_result &r : results)
        if (r.passed && r.test->bonus) s += r.test->points;
    return s;
}

const mt_result *mt_variant::required_failed() const
{
    for (const mt_result &r : results)
        if (r.test->required && !r.test->bonus && !r.passed) return &r;
    return nullptr;
}

bool mt_variant::passed() const { return built && score() >= spec->passing_score && !required_failed(); }

bool mt_variant::free_kill() const
{
    return killed() && score() == mt_spec_max_points(*spec) && !required_failed() &&
           (!bonus || bonus_score() == mt_spec_bonus_max(*spec));
}

bool mt_variant::all_passed() const
{
    if (!built || !norm_error.empty()) return false;
    for (const mt_result &r : results)
        if (r.ran && !r.passed) return false;
    return true;
}

bool mt_variant::killed() const { return built && !all_passed(); }

namespace {

struct pool {
    std::mutex lock;
    std::condition_variable cv;
    std::deque<std::function<void(int)>> tasks;
    int outstanding = 0;      // queued + running
    mt_progress progress;     // counts for the live line (under lock)
};

struct shared_state {
    const mt_options *opt;
    pool p;
    std::string tmp;          // private temporary root
    int counter = 0;
    bool root_mode = false;   // running as root: one uid per slot
    std::vector<uid_t> slot_uids;
    // Root mode: what a test of each exercise must not see (sandbox.h, mt_isolation), made before
    // the workers start; each test adds its own folder and its variant's.
    std::map<const mt_spec *, mt_isolation> iso;
};

// The C++ sources and patches under dir (two levels down): the reference, its mutants, the suite.
static void source_files(const std::string &dir, int depth, std::vector<std::string> *out)
{
    DIR *d = opendir(dir.c_str());
    if (!d) return;
    while (struct dirent *e = readdir(d)) {
        std::string name = e->d_name, path = dir + "/" + name;
        if (name[0] == '.') continue;
        struct stat sb;
        if (lstat(path.c_str(), &sb) < 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth > 0 && name != "oracle") source_files(path, depth - 1, out);
            continue;
        }
        size_t dot = name.rfind('.');
        std::string ext = dot == std::string::npos ? "" : name.substr(dot);
        if (S_ISREG(sb.st_mode) && (ext == ".cpp" || ext == ".h" || ext == ".hpp" || ext == ".patch")) out->push_back(path);
    }
    closedir(d);
}

static void prepare_isolation(shared_state *st, const std::vector<mt_variant> &variants)
{
    std::vector<std::string> handed_in;  // every submission's files: no test reads another's
    for (const mt_variant &v : variants)
        if (v.kind == MT_SUBMISSION)
            for (const std::vector<std::string> *fs : {&v.spec->files, &v.spec->bonus_files})
                for (const std::string &f : *fs) handed_in.push_back(v.sub_dir + "/" + f);
    for (const mt_variant &v : variants) {
        if (st->iso.count(v.spec)) continue;
        mt_isolation &iso = st->iso[v.spec];
        iso.cover = {"/tmp", "/var/tmp", "/run/lock", "/dev/shm", st->tmp};
        iso.keep = {st->opt->root, st->opt->build};
        source_files(v.spec->dir, 2, &iso.hide_files);
        source_files(st->opt->root + "/tests/" + v.spec->id, 2, &iso.hide_files);
        iso.hide_files.insert(iso.hide_files.end(), handed_in.begin(), handed_in.end());
    }
}

// Sandbox uids are taken from [61000, 62000): each worker slot holds an flock on a file named after
// its uid for the whole run, so two moulinettes on one machine never share (and never sweep) a uid.
const uid_t SLOT_UID_BASE = 61000, SLOT_UID_COUNT = 1000;

uid_t claim_slot_uid(int *lock_fd)
{
    for (uid_t uid = SLOT_UID_BASE; uid < SLOT_UID_BASE + SLOT_UID_COUNT; uid++) {
        std::string path = "/tmp/.netlab-moulinette-uid-" + std::to_string(uid) + ".lock";
        int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            *lock_fd = fd;
            return uid;
        }
        close(fd);
    }
    return 0;
}

std::string shell_quote(const std::string &s)
{
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs a shell command as the grader (builds, patches), output to log, with a time limit.
int run_cmd(const std::string &cmd, const std::string &cwd, const std::string &log, int timeout_s, std::string *tail,
            long *cpu_ms = nullptr)
{
    mt_limits lim;
    lim.timeout_s = timeout_s;
    lim.limit_as = false;
    lim.fsize = 256ull << 20;
    std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"};
    for (const char *k : {"HOME", "CXX", "PKG_CONFIG_PATH"})
        if (const char *v = getenv(k)) env.push_back(std::string(k) + "=" + v);
    mt_run r = mt_sandbox_run({"/bin/sh", "-c", cmd}, cwd, env, log, lim);
    *tail = r.log_tail;
    if (cpu_ms) *cpu_ms += r.cpu_ms;
    if (r.outcome == MT_EXITED && r.code == 0) return 0;
    if (r.outcome != MT_EXITED) *tail += "\n[" + mt_describe(r, timeout_s) + "]";
    return -1;
}

std::string last_lines(const std::string &text, int n)
{
    size_t pos = text.size();
    while (n-- > 0 && pos > 0) {
        size_t p = text.rfind('\n', pos > 1 ? pos - 2 : 0);
        if (p == std::string::npos) {
            pos = 0;
            break;
        }
        pos = p + 1;
    }
    return text.substr(pos);
}

void check_norm(const mt_options &opt, mt_variant *v, const std::string &build)
{
    (void)opt;
    if (v->spec->forbidden_symbols.empty()) return;
    std::vector<std::string> files = v->spec->files;
    if (v->bonus) files.insert(files.end(), v->spec->bonus_files.begin(), v->spec->bonus_files.end());
    for (const std::string &f : files) {
        if (f.size() < 4 || f.substr(f.size() - 4) != ".cpp") continue;  // headers have no object
        std::string obj = build + "/obj/" + v->spec->id + "/" + f.substr(0, f.size() - 4) + ".o";
        FILE *p = popen(("nm -u " + shell_quote(obj) + " 2>/dev/null").c_str(), "r");
        if (!p) continue;
        char line[512];
        while (fgets(line, sizeof line, p)) {
            char sym[480];
            if (sscanf(line, " U %479s", sym) != 1) continue;
            std::string s = sym;
            size_t at = s.find('@');
            if (at != std::string::npos) s.resize(at);
            for (const std::string &pat : v->spec->forbidden_symbols) {
                bool hit = pat.back() == '*' ? s.rfind(pat.substr(0, pat.size() - 1), 0) == 0 : s == pat;
                if (hit && v->norm_error.empty()) v->norm_error = "uses forbidden symbol '" + s + "' (in " + f + ")";
            }
        }
        pclose(p);
    }
}

// The first line of a sanitizer's report in a test's log, else "".
static std::string sanitizer_report(const std::string &log)
{
    for (const char *mark : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer",
                             "runtime error: ", "ERROR: UndefinedBehaviorSanitizer"}) {
        size_t at = log.find(mark);
        if (at == std::string::npos) continue;
        size_t from = log.rfind('\n', at), to = log.find('\n', at);
        from = from == std::string::npos ? 0 : from + 1;
        std::string line = log.substr(from, (to == std::string::npos ? log.size() : to) - from);
        return line.size() > 300 ? line.substr(0, 300) + "..." : line;
    }
    return "";
}

// A hand-written mutant's test may take MUTANT_LIMIT_FACTOR times its reference's time plus
// MUTANT_LIMIT_EXTRA_S seconds (within the spec's limit). Measured: on ex03_booking, 792 s of the
// mutants' 926 s of tests were tests waiting out their 10-25 s limits on mutants that never reply.
// A test that fails fails either way; only a mutant that would pass a test slowly can differ, and
// 4x + 5 s leaves a wide margin for the load of a full validate.
constexpr double MUTANT_LIMIT_FACTOR = 4.0, MUTANT_LIMIT_EXTRA_S = 5.0;

bool capped_by_reference(const mt_variant *v)
{
    return v->kind == MT_MUTANT && v->ref && !v->build_from && v->test_timeout_s.empty();
}

void run_test(shared_state *st, mt_variant *v, size_t idx, const std::string &main_build, int slot)
{
    const mt_options &opt = *st->opt;
    mt_result &res = v->results[idx];
    const mt_test &t = *res.test;
    // A test that asks for a sanitizer runs against the variant's build with it (built beside).
    std::string build = t.san.empty() || t.san == opt.san ? main_build : main_build + "-" + t.san;
    int n;
    {
        std::lock_guard<std::mutex> g(st->p.lock);
        n = st->counter++;
    }
    std::string dir = st->tmp + "/t" + std::to_string(n);
    mkdir(dir.c_str(), 0700);
    mt_limits lim;
    lim.timeout_s = t.timeout_s ? t.timeout_s : v->spec->timeout_s;
    if (idx < v->test_timeout_s.size() && v->test_timeout_s[idx] > 0) lim.timeout_s = v->test_timeout_s[idx];
    else if (capped_by_reference(v)) {
        const mt_result &rr = v->ref->results[idx];
        if (rr.ran && rr.passed)
            lim.timeout_s = std::min(lim.timeout_s, (int)std::ceil(MUTANT_LIMIT_FACTOR * (double)rr.ms / 1000.0 + MUTANT_LIMIT_EXTRA_S));
    }
    lim.limit_as = opt.san.empty() && t.san.empty();
    lim.uid = st->root_mode ? st->slot_uids[(size_t)slot] : 0;
    mt_isolation iso;
    if (lim.uid) {
        // The test's folder and its variant's build are seen; the variant's copy of the sources is not.
        iso = st->iso.at(v->spec);
        std::string base = main_build.substr(0, main_build.rfind('/'));
        iso.keep.push_back(dir);
        iso.keep.push_back(base);
        iso.keep.insert(iso.keep.end(), v->test_keep.begin(), v->test_keep.end());
        iso.hide_dirs.push_back(base + "/tree");
        lim.iso = &iso;
    }
    if (lim.uid && chown(dir.c_str(), lim.uid, lim.uid) < 0) {
        res.detail = std::string("grader: cannot prepare the test folder: ") + strerror(errno);
        return;
    }
    char nonce[33];
    FILE *ur = fopen("/dev/urandom", "r");
    unsigned char raw[16] = {0};
    if (!ur || fread(raw, 1, sizeof raw, ur) != sizeof raw) {
        if (ur) fclose(ur);
        res.detail = "grader: cannot read /dev/urandom";
        return;
    }
    fclose(ur);
    for (int i = 0; i < 16; i++) snprintf(nonce + 2 * i, 3, "%02x", raw[i]);
    std::string result_file = dir + "/.netlab_result";
    std::vector<std::string> env = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + dir, "TMPDIR=" + dir,
                                    "LANG=C.UTF-8", "NO_COLOR=1", "NETLAB_BIN_DIR=" + build + "/bin",
                                    "NETLAB_RESULT_FILE=" + result_file, std::string("NETLAB_NONCE=") + nonce};
    for (const char *k : {"ASAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "NETLAB_LOG", "NETLAB_WS_BACKEND"})
        if (const char *val = getenv(k)) env.push_back(std::string(k) + "=" + val);
    if (v->test_env)
        for (const std::string &e : v->test_env(idx)) env.push_back(e);
    std::string bin = build + "/tests/" + v->spec->id + "/run_tests";
    mt_run r = mt_sandbox_run({bin, "--test", t.name}, dir, env, dir + "/.log", lim);
    std::string token = mt_read_tail(result_file, 200);
    res.ran = true;
    res.ms = r.ms;
    res.cpu_ms = r.cpu_ms;
    res.passed = r.outcome == MT_EXITED && r.code == 0 && token == std::string("pass ") + nonce + "\n";
    if (!res.passed) {
        res.detail = mt_describe(r, lim.timeout_s);
        if (r.outcome == MT_EXITED && r.code == 0)
            res.detail = "exited 0 before the test finished (no result token)";
        // The test's own message at its own line (verdict.cpp); else the old guess: an error-looking
        // line, a failure summary, or the end of the log.
        std::string why = mt_test_failure(mt_read_head(dir + "/.log", 4u << 20));
        if (why.empty()) {
            std::string summary, line;
            for (size_t i = 0; i <= r.log_tail.size(); i++) {
                if (i == r.log_tail.size() || r.log_tail[i] == '\n') {
                    bool error = line.find("[  ERROR   ]") != std::string::npos || line.find("rror:") != std::string::npos ||
                                 line.find("Failure") != std::string::npos ||
                                 line.find("Sanitizer") != std::string::npos;
                    if (error && why.empty()) why = line;
                    if (line.find("FAIL") != std::string::npos) summary = line;
                    line.clear();
                } else {
                    line += r.log_tail[i];
                }
            }
            if (why.empty()) why = summary.empty() ? last_lines(r.log_tail, 1) : summary;
            while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
        }
        if (why.size() > 1000) why = why.substr(0, 1000) + "...";
        // A plain failed check needs no "exit status 1" before it; a timeout or a crash does.
        bool plain = r.outcome == MT_EXITED && r.code == 1 && why.find(": ") != std::string::npos;
        if (plain) res.detail = why;
        else if (!why.empty()) res.detail += ": " + why;
    }
    // In a sanitizer build a report fails the test even when nothing checked a status: a server's
    // report at its SIGKILL, a child nobody waited for, a UBSan line that did not abort.
    if (res.passed && (!opt.san.empty() || !t.san.empty())) {
        std::string report = sanitizer_report(mt_read_head(dir + "/.log", 4u << 20));
        if (!report.empty()) {
            res.passed = false;
            res.detail = "sanitizer report: " + report;
        }
    }
    if (opt.verbose) fprintf(stderr, "--- %s %s ---\n%s\n", v->spec->id.c_str(), t.name.c_str(), r.log_tail.c_str());
    std::string ignored;
    run_cmd("rm -rf " + shell_quote(dir), "/", "/dev/null", 120, &ignored);
}

void push(pool *p, std::function<void(int)> fn, bool front = false)
{
    std::lock_guard<std::mutex> g(p->lock);
    if (front) p->tasks.push_front(std::move(fn));
    else p->tasks.push_back(std::move(fn));
    p->outstanding++;
    p->cv.notify_one();
}

void build_variant(shared_state *st, mt_variant *v, int slot);
void build_failed(shared_state *st, mt_variant *v);
void start_tests(shared_state *st, mt_variant *v, const std::string &build);
void start_mutant_tests(shared_state *st, mt_variant *v, const std::string &build);
void reference_test_over(shared_state *st, mt_variant *v, bool all = false);
bool capped_by_reference(const mt_variant *v);

// Queues the builds of the mutants that waited for this reference, ahead of the queued tests.
void release_dependents(shared_state *st, mt_variant *v)
{
    for (mt_variant *d : v->dependents) push(&st->p, [st, d](int s) { build_variant(st, d, s); }, true);
}

// Seeds a mutant's build folder with its reference's objects. Dependency files name the reference's
// sources and objects: point both at this copy (the rule `obj/x.o: x.cpp x.h` must name this build's
// x.o), so a patched header still rebuilds what includes it. Sources keep their original times
// (cp -a) and are older than the copied objects; the patched ones are newer.
std::string reuse_reference_cmd(const mt_variant *ref, const std::string &src, const std::string &build,
                                const std::string &suffix)
{
    std::string from = ref->build_dir + suffix + "/obj", to = build + suffix;
    return " && mkdir -p " + shell_quote(to) + " && { ! test -d " + shell_quote(from) + " || { cp -a " + shell_quote(from) +
           " " + shell_quote(to) + "/ && find " + shell_quote(to + "/obj") + " -name '*.d' -exec sed -i -e 's|" +
           ref->src_dir + "|" + src + "|g' -e 's|" + ref->build_dir + suffix + "/|" + to + "/|g' {} + ; } ; }";
}

// Seeds a reference's or a submission's build folder with the main build's objects of its exercise
// (`make all` compiled them from the same sources with the same flags), so only what differs
// recompiles: a handed-in file (copied now, so newer than its object), a source edited since. The
// suite's and the oracle's objects stay where TEST_OBJ_BUILD points; dependency files are rewritten
// as for a mutant. No main build of the exercise (a student pack): the build starts from nothing.
std::string reuse_main_cmd(const mt_options &opt, const mt_spec *spec, const std::string &src, const std::string &build,
                           const std::string &san)
{
    std::string from = opt.build_for(san) + "/obj/" + spec->id, to = build + (san.empty() ? "" : "-" + san) + "/obj/" + spec->id;
    std::string parent = to.substr(0, to.rfind('/'));
    return " && { ! test -d " + shell_quote(from) + " || { mkdir -p " + shell_quote(parent) + " && cp -a " + shell_quote(from) +
           " " + shell_quote(parent) + "/ && rm -rf " + shell_quote(to + "/tests") + " " + shell_quote(to + "/oracle") +
           " && find " + shell_quote(to) + " -name '*.d' -exec sed -i -e 's|" + spec->dir + "/|" + src + "/|g' -e 's|" + from +
           "/|" + to + "/|g' {} + ; } ; }";
}

// "build failed:" and the compiler's first error with its context (not the tail of the log, which
// is the last of a cascade); the whole log on stderr with --verbose.
std::string build_failure(const mt_options &opt, const mt_variant *v, const std::string &log, const std::string &tail,
                          const std::string &what)
{
    std::string text = mt_read_head(log, 4u << 20);
    if (opt.verbose) fprintf(stderr, "--- build log of %s%s ---\n%s\n", v->spec->id.c_str(), what.c_str(), text.c_str());
    std::string first = mt_build_failure(text, v->src_dir);
    return "build failed" + what + ":\n" + (first.empty() ? last_lines(tail, 12) : first);
}

void build_variant(shared_state *st, mt_variant *v, int slot)
{
    (void)slot;
    const mt_options &opt = *st->opt;
    long t0 = mt_progress_now_ms();
    int n;
    {
        std::lock_guard<std::mutex> g(st->p.lock);
        n = st->counter++;
    }
    // Mirror the exercise's place in the tree (relative includes such as ../mk/exercise.mk keep
    // working) with mk/ linked to the real one; NETLAB_ROOT points the rest at the real tree.
    std::string base = v->keep_dir.empty() ? st->tmp + "/v" + std::to_string(n) : v->keep_dir, tree = base + "/tree",
                src = tree + "/" + v->spec->id, build = base + "/build", log = base + "/build.log", tail;
    if (v->build_from) {   // a schema's mutant: the schema is built, only its tests run
        v->src_dir = v->build_from->src_dir;
        v->build_dir = v->build_from->build_dir;
        if (!v->build_from->built) v->build_error = "the schema did not build";
        else {
            v->built = true;
            start_tests(st, v, v->build_dir);
        }
        if (!v->build_error.empty()) build_failed(st, v);
        return;
    }
    mkdir(base.c_str(), 0755);
    v->src_dir = src;
    v->build_dir = build;
    std::string cmd = "mkdir -p " + shell_quote(src) + " && ln -s " + shell_quote(opt.root + "/mk") + " " +
                      shell_quote(tree + "/mk") + " && cp -a " + shell_quote(v->spec->dir) + "/. " + shell_quote(src);
    if (v->ref && v->ref->built) {
        cmd += reuse_reference_cmd(v->ref, src, build, "");
        for (const std::string &san : mt_extra_sans({v->spec}, opt.san)) cmd += reuse_reference_cmd(v->ref, src, build, "-" + san);
    } else if (v->kind != MT_MUTANT) {
        cmd += reuse_main_cmd(opt, v->spec, src, build, "");
        for (const std::string &san : mt_extra_sans({v->spec}, opt.san)) cmd += reuse_main_cmd(opt, v->spec, src, build, san);
    }
    if (v->kind == MT_MUTANT) cmd += " && patch -s -p1 --no-backup-if-mismatch -d " + shell_quote(src) + " < " +
                                     shell_quote(v->mutant->patch[0] == '/' ? v->mutant->patch : v->spec->dir + "/" + v->mutant->patch);
    if (v->kind == MT_SUBMISSION) {
        std::vector<std::string> files = v->spec->files;
        if (v->bonus) files.insert(files.end(), v->spec->bonus_files.begin(), v->spec->bonus_files.end());
        for (const std::string &f : files)
            cmd += " && { test -f " + shell_quote(v->sub_dir + "/" + f) + " || { echo 'missing file: " + f +
                   " (spec.json files)'; exit 1; }; } && cp " + shell_quote(v->sub_dir + "/" + f) + " " +
                   shell_quote(src + "/" + f);
    }
    if (run_cmd(cmd, "/", log, 60, &tail, &v->build_cpu_ms) < 0) {
        v->build_error = (v->kind == MT_MUTANT ? "patch does not apply: " : "cannot prepare the sources: ") +
                         last_lines(tail, 6);
    } else {
        std::string make = "make --no-print-directory -C " + shell_quote(src) + " NETLAB_ROOT=" + shell_quote(opt.root) +
                           " BUILD=" + shell_quote(build) + " COMMON_BUILD=" + shell_quote(opt.build) +
                           " TEST_OBJ_BUILD=" + shell_quote(opt.build) +
                           " NETLAB_PREBUILT=1 BONUS=" + (v->bonus ? "1" : "0") +
                           (opt.san.empty() ? "" : " SAN=" + opt.san) + (v->make_args.empty() ? "" : " " + v->make_args) + " all";
        if (run_cmd(make, "/", log, 900, &tail, &v->build_cpu_ms) < 0) v->build_error = build_failure(opt, v, log, tail, "");
        // Tests that need a race or a leak to show run against a sanitizer build of the same sources.
        for (const std::string &san : mt_extra_sans({v->spec}, opt.san)) {
            if (!v->build_error.empty()) break;
            std::string sb = opt.build_for(san);
            std::string smake = "make --no-print-directory -C " + shell_quote(src) + " NETLAB_ROOT=" + shell_quote(opt.root) +
                                " BUILD=" + shell_quote(build + "-" + san) + " COMMON_BUILD=" + shell_quote(sb) +
                                " TEST_OBJ_BUILD=" + shell_quote(sb) + " NETLAB_PREBUILT=1 BONUS=" + (v->bonus ? "1" : "0") +
                                " SAN=" + san + (v->san_make_args.empty() ? "" : " " + v->san_make_args) + " all";
            if (run_cmd(smake, "/", log, 900, &tail, &v->build_cpu_ms) < 0)
                v->build_error = build_failure(opt, v, log, tail, " (SAN=" + san + ")");
        }
    }
    v->build_ms = mt_progress_now_ms() - t0;
    if (!v->build_error.empty()) {
        build_failed(st, v);
        return;
    }
    v->built = true;
    release_dependents(st, v);
    if (!v->skip_norm) check_norm(opt, v, build);
    start_mutant_tests(st, v, build);
}

void build_failed(shared_state *st, mt_variant *v)
{
    for (mt_result &r : v->results) r.detail = "not run: " + std::string(v->kind == MT_MUTANT ? "mutant " : "") + "build failed";
    {
        std::lock_guard<std::mutex> g(st->p.lock);
        mt_progress_tests_done(&st->p.progress, v, (int)v->results.size());
    }
    reference_test_over(st, v, true);   // no times to wait for: its mutants get the spec's limits
    release_dependents(st, v);
    if (v->done) v->done(v);
}

// Queues the tests of a built variant: one after the other until the first failure (mutate), or
// each as its own task.
void start_tests(shared_state *st, mt_variant *v, const std::string &build)
{
    if (v->until_first_failure) {
        push(&st->p, [st, v, build](int s) {
            std::vector<size_t> order = v->order ? v->order(v) : std::vector<size_t>();
            for (size_t i : order) {
                run_test(st, v, i, build, s);
                if (!v->results[i].passed) break;
            }
            {
                std::lock_guard<std::mutex> g(st->p.lock);
                mt_progress_tests_done(&st->p.progress, v, (int)v->results.size());
            }
            if (v->done) v->done(v);
        });
        return;
    }
    for (size_t i = 0; i < v->results.size(); i++) {
        if (v->results[i].test->bonus && !v->bonus) {
            v->results[i].detail = "not run: bonus not handed in";
            {
                std::lock_guard<std::mutex> g(st->p.lock);
                mt_progress_tests_done(&st->p.progress, v, 1);
            }
            reference_test_over(st, v);
            continue;
        }
        push(&st->p, [st, v, i, build](int s) {
            run_test(st, v, i, build, s);
            {
                std::lock_guard<std::mutex> g(st->p.lock);
                mt_progress_tests_done(&st->p.progress, v, 1);
            }
            reference_test_over(st, v);
        });
    }
}

// One more of a reference's tests is over (or will not run): after the last, the tests of the
// mutants that waited for its times are queued.
void reference_test_over(shared_state *st, mt_variant *v, bool all)
{
    std::vector<mt_variant *> ready;
    {
        std::lock_guard<std::mutex> g(st->p.lock);
        if (v->ref_tests_pending <= 0) return;
        v->ref_tests_pending = all ? 0 : v->ref_tests_pending - 1;
        if (v->ref_tests_pending == 0) ready.swap(v->awaiting);
    }
    for (mt_variant *m : ready) start_tests(st, m, m->build_dir);
}

// A built mutant's tests: now, or when its reference's tests are over (capped_by_reference).
void start_mutant_tests(shared_state *st, mt_variant *v, const std::string &build)
{
    if (capped_by_reference(v)) {
        std::lock_guard<std::mutex> g(st->p.lock);
        if (v->ref->ref_tests_pending > 0) {
            v->ref->awaiting.push_back(v);
            return;
        }
    }
    start_tests(st, v, build);
}

struct worker_arg {
    shared_state *st;
    int slot;
};

void *worker_main(void *arg)
{
    worker_arg *wa = (worker_arg *)arg;
    pool *p = &wa->st->p;
    for (;;) {
        std::function<void(int)> fn;
        {
            std::unique_lock<std::mutex> g(p->lock);
            p->cv.wait(g, [p] { return !p->tasks.empty() || p->outstanding == 0; });
            if (p->tasks.empty()) return nullptr;
            fn = std::move(p->tasks.front());
            p->tasks.pop_front();
        }
        fn(wa->slot);
        std::lock_guard<std::mutex> g(p->lock);
        if (--p->outstanding == 0) p->cv.notify_all();
        else p->cv.notify_all();
    }
}

}  // namespace

int mt_run_variants(const mt_options &opt, std::vector<mt_variant> *variants)
{
    shared_state st;
    st.opt = &opt;
    st.root_mode = geteuid() == 0;
    umask(022);
    // Orphans of a test (a server it forgot) are re-parented to us and reaped, never left as zombies.
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    const char *tmpdir = getenv("TMPDIR");
    std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/moulinette.XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) {
        fprintf(stderr, "moulinette: cannot create a temporary folder in %s: %s\n", tmpl.c_str(), strerror(errno));
        return -1;
    }
    st.tmp = buf.data();
    chmod(st.tmp.c_str(), 0755);  // the sandbox uids must reach the builds inside
    if (st.root_mode) prepare_isolation(&st, *variants);
    for (mt_variant &v : *variants) {
        v.results.clear();
        for (const mt_test &t : v.spec->tests) {
            mt_result r;
            r.test = &t;
            v.results.push_back(r);
        }
        mt_progress_add(&st.p.progress, &v);
    }
    for (mt_variant &v : *variants) {
        if (v.kind != MT_MUTANT || v.build_from) continue;
        for (mt_variant &r : *variants)
            if (r.kind == MT_REFERENCE && r.spec == v.spec) {
                v.ref = &r;
                r.dependents.push_back(&v);
            }
    }
    for (mt_variant &v : *variants)
        if (capped_by_reference(&v) && v.ref->ref_tests_pending == 0) v.ref->ref_tests_pending = (int)v.ref->results.size();
    for (mt_variant &v : *variants) {
        if (v.ref) continue;  // queued when its reference is built
        mt_variant *vp = &v;
        shared_state *sp = &st;
        push(&st.p, [sp, vp](int slot) { build_variant(sp, vp, slot); });
    }
    int jobs = opt.jobs < 1 ? 1 : opt.jobs;
    std::vector<int> uid_locks;
    if (st.root_mode) {
        for (int i = 0; i < jobs; i++) {
            int fd = -1;
            uid_t uid = claim_slot_uid(&fd);
            if (!uid) {
                fprintf(stderr, "moulinette: no free sandbox uid in [%u, %u)\n", (unsigned)SLOT_UID_BASE,
                        (unsigned)(SLOT_UID_BASE + SLOT_UID_COUNT));
                return -1;
            }
            st.slot_uids.push_back(uid);
            uid_locks.push_back(fd);
            mt_sandbox_sweep_uid(uid);  // whatever a crashed earlier run left under this uid
        }
    }
    std::vector<pthread_t> threads((size_t)jobs);
    std::vector<worker_arg> args((size_t)jobs);
    for (int i = 0; i < jobs; i++) {
        args[(size_t)i] = worker_arg{&st, i};
        pthread_create(&threads[(size_t)i], nullptr, worker_main, &args[(size_t)i]);
    }
    if (opt.progress) {
        for (;;) {
            mt_progress snap;
            int outstanding;
            {
                std::unique_lock<std::mutex> g(st.p.lock);
                st.p.cv.wait_for(g, std::chrono::milliseconds(500));
                snap = st.p.progress;
                outstanding = st.p.outstanding;
            }
            mt_progress_print(snap, stderr);
            if (outstanding == 0) break;
        }
        fprintf(stderr, "\r\033[K");
    }
    for (pthread_t t : threads) pthread_join(t, nullptr);
    for (int fd : uid_locks) close(fd);
    std::string tail;
    run_cmd("rm -rf " + shell_quote(st.tmp), "/", "/dev/null", 300, &tail);
    while (waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    return 0;
}
