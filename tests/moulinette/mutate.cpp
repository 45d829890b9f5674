// mutate.cpp — `moulinette mutate EX`: runs the reference once (for its test times), generates the
// operator mutants of each graded file (mutate_gen.py, through libclang), writes each as a patch and
// grades it like a hand-written mutant (built from the reference's objects, so only the mutated file
// recompiles), stopping at its first failing test; then the score and every survivor.
#include "mutate.h"
#include "mutate_schema.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <jansson.h>
#include <map>
#include <mutex>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <time.h>
#include <unistd.h>

namespace {

// The flags of the schema's sanitizer builds (the exercise's default -O2 -g, as its tests' sanitizer
// builds): the middle end's value-flow warnings are off there. In a schema a guarded assignment or
// size makes a path the optimiser cannot rule out ("'end' may be used uninitialized" at the read,
// far from any mutant), which -Werror turned into an error no mutant explains: the settling then
// halved the sites with -O2 sanitizer compiles (ex00_echo: 53 minutes). These warnings judge values,
// not code: a guard's path is never one a single mutant takes, and a classic mutant's own build
// keeps them (README, "Why the verdicts are the same").
const char *const SCHEMA_SAN_CXXFLAGS =
    "-O2 -g -Werror=vla -Wno-maybe-uninitialized -Wno-uninitialized -Wno-stringop-overflow -Wno-stringop-overread "
    "-Wno-stringop-truncation -Wno-array-bounds -Wno-restrict -Wno-free-nonheap-object -Wno-use-after-free "
    "-Wno-dangling-pointer -Wno-alloc-size-larger-than -Wno-format-overflow -Wno-format-truncation -Wno-nonnull";

struct op_mutant {
    std::string file;            // relative to the exercise folder
    int line = 0, col = 0;
    size_t start = 0, end = 0;   // byte range replaced
    std::string op, orig, repl;
    std::string status;          // killed, survived, stillborn, timeout, equivalent
    std::string killed_by, why_equivalent, minus, plus;
    mt_mutant patch;             // the patch given to the runner
    ms_mutant sm;                // its place in the schema (sm.id: its NL_MUTANT; sm.in_schema)
    bool schema = false;         // graded through the schema (else built alone)
    bool reached = true;         // schema: some test of the reference run reached its guard
};

struct equivalent {
    std::string file, op, why;
    int line = 0, col = 0;   // col 0: every column of the line
    bool used = false;
};

std::string q(const std::string &s)
{
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

bool read_file(const std::string &path, std::string *out)
{
    FILE *f = fopen(path.c_str(), "rb");
    if (!f) return false;
    char buf[65536];
    size_t n;
    out->clear();
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
    fclose(f);
    return true;
}

bool write_file(const std::string &path, const std::string &data)
{
    FILE *f = fopen(path.c_str(), "wb");
    if (!f) return false;
    bool ok = fwrite(data.data(), 1, data.size(), f) == data.size();
    return fclose(f) == 0 && ok;
}

std::string run_capture(const std::string &cmd, int *status)
{
    FILE *p = popen(cmd.c_str(), "r");
    std::string out;
    if (!p) {
        *status = -1;
        return out;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    *status = pclose(p);
    return out;
}

std::string line_of(const std::string &text, size_t at)
{
    size_t b = text.rfind('\n', at ? at - 1 : 0);
    b = (b == std::string::npos || at == 0) ? 0 : b + 1;
    size_t e = text.find('\n', at);
    return text.substr(b, e == std::string::npos ? std::string::npos : e - b);
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

// The spec's "equivalent" list, read from spec.json (validate ignores it).
int load_equivalents(const mt_spec &spec, std::vector<equivalent> *out, std::string *err)
{
    std::string path = spec.dir + "/spec.json";
    json_error_t je;
    json_t *j = json_load_file(path.c_str(), 0, &je);
    if (!j) {
        *err = path + ": " + je.text;
        return -1;
    }
    json_t *a = json_object_get(j, "equivalent");
    if (a && !json_is_array(a)) {
        *err = path + ": field 'equivalent' must be an array";
        json_decref(j);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        equivalent eq;
        json_t *f = json_object_get(e, "file"), *l = json_object_get(e, "line"), *o = json_object_get(e, "op"),
               *w = json_object_get(e, "why");
        if (!json_is_string(f) || !json_is_integer(l) || !json_is_string(o) || !json_is_string(w) || !*json_string_value(w)) {
            *err = path + ": field 'equivalent[" + std::to_string(i) + "]' needs file, line, op and a why";
            json_decref(j);
            return -1;
        }
        eq.file = json_string_value(f);
        eq.line = (int)json_integer_value(l);
        eq.op = json_string_value(o);
        eq.why = json_string_value(w);
        json_t *c = json_object_get(e, "col");
        if (json_is_integer(c)) eq.col = (int)json_integer_value(c);
        out->push_back(eq);
    }
    json_decref(j);
    return 0;
}

int generate(const mt_options &opt, const mt_spec &spec, const std::string &file, std::vector<op_mutant> *out, std::string *err)
{
    std::string abs = spec.dir + "/" + file;
    // The generated code of a gRPC exercise (mk/grpc.mk) is in its build folder: the sources include it.
    std::string cflags = "-std=c++20 -I" + q(spec.dir) + " -I" + q(opt.root + "/common") + " -I" + q(opt.root + "/tests/support") +
                         " -I" + q(opt.build + "/obj/" + spec.id + "/gen");
    int st;
    std::string pk = run_capture("pkg-config --cflags jansson liburing libcrypto 2>/dev/null", &st);
    while (!pk.empty() && (pk.back() == '\n' || pk.back() == ' ')) pk.pop_back();
    std::string cmd = "/usr/bin/python3 " + q(opt.root + "/tests/moulinette/mutate_gen.py") + " " + q(abs) + " -- " + cflags + " " + pk;
    std::string js = run_capture(cmd, &st);
    if (st != 0) {
        *err = spec.id + ": generating the mutants of " + file + " failed (needs python3-clang-14; command: " + cmd + ")";
        return -1;
    }
    json_error_t je;
    json_t *a = json_loads(js.c_str(), 0, &je);
    if (!a || !json_is_array(a)) {
        *err = spec.id + ": mutate_gen.py printed no JSON array for " + file;
        if (a) json_decref(a);
        return -1;
    }
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e)
    {
        op_mutant m;
        m.file = file;
        m.line = (int)json_integer_value(json_object_get(e, "line"));
        m.col = (int)json_integer_value(json_object_get(e, "col"));
        m.start = (size_t)json_integer_value(json_object_get(e, "start"));
        m.end = (size_t)json_integer_value(json_object_get(e, "end"));
        m.op = json_string_value(json_object_get(e, "op"));
        m.orig = json_string_value(json_object_get(e, "orig"));
        m.repl = json_string_value(json_object_get(e, "repl"));
        const char *kind = json_string_value(json_object_get(e, "kind")), *why = json_string_value(json_object_get(e, "classic"));
        m.sm.start = m.start;
        m.sm.end = m.end;
        m.sm.repl = m.repl;
        m.sm.gs = (size_t)json_integer_value(json_object_get(e, "gs"));
        m.sm.ge = (size_t)json_integer_value(json_object_get(e, "ge"));
        m.sm.stmt = kind && !strcmp(kind, "stmt");
        m.sm.test = m.op.rfind("negate condition", 0) == 0;
        m.sm.in_schema = kind && *kind;
        m.sm.why = why ? why : "";
        out->push_back(m);
    }
    json_decref(a);
    return 0;
}

// The order a mutant's tests run in: first the test that killed the latest mutant on the same line
// (else the nearest line of the same file), then the tests that killed most, then the fastest.
struct test_order {
    std::mutex lock;
    std::map<std::pair<std::string, int>, size_t> killer_by_line;
    std::vector<int> kills;
    std::vector<long> ref_ms;
    std::vector<size_t> base;   // every test index, fastest first

    std::vector<size_t> for_mutant(const op_mutant &m)
    {
        std::lock_guard<std::mutex> g(lock);
        std::vector<size_t> order = base;
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return kills[a] > kills[b]; });
        long best = -1;
        size_t pick = 0;
        for (const auto &[key, t] : killer_by_line) {
            if (key.first != m.file) continue;
            long d = std::labs((long)key.second - m.line);
            if (best < 0 || d < best) best = d, pick = t;
        }
        if (best >= 0) {
            order.erase(std::find(order.begin(), order.end(), pick));
            order.insert(order.begin(), pick);
        }
        return order;
    }
    void killed(const op_mutant &m, size_t t)
    {
        std::lock_guard<std::mutex> g(lock);
        killer_by_line[{m.file, m.line}] = t;
        kills[t]++;
    }
};

void print_mutant(const op_mutant &m)
{
    printf("  %-9s %s:%d:%d  %s%s\n", m.status.c_str(), m.file.c_str(), m.line, m.col, m.op.c_str(),
           m.reached ? "" : "  (not reached by any test)");
    printf("      - %s\n      + %s\n", m.minus.c_str(), m.plus.c_str());
}

std::string make_temp_dir(const std::string &what)
{
    const char *tmpdir = getenv("TMPDIR");
    std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/" + what + ".XXXXXX";
    std::vector<char> tb(tmpl.begin(), tmpl.end());
    tb.push_back('\0');
    if (!mkdtemp(tb.data())) {
        fprintf(stderr, "moulinette: cannot create %s: %s\n", tmpl.c_str(), strerror(errno));
        return "";
    }
    chmod(tb.data(), 0755);   // the sandbox uids must reach the builds and traces inside
    return tb.data();
}

// A unified diff of one file, as a hand-written mutant's patch (a/<file>, b/<file>).
std::string file_diff(const mt_spec &spec, const std::string &file, const std::string &tmp, const std::string &text)
{
    std::string b = tmp + "/b-" + std::to_string(std::hash<std::string>()(file));
    if (!write_file(b, text)) return "";
    int st;
    return run_capture("diff -u --label " + q("a/" + file) + " --label " + q("b/" + file) + " " + q(spec.dir + "/" + file) + " " + q(b), &st);
}

// A copy of the exercise folder (tree/<id>, mk/ linked) to compile one object in, and the make
// command that compiles `file` there as the exercise's own rule does (CXXFLAGS as given).
std::string object_make(const mt_options &opt, const mt_spec &spec, const std::string &dir, const std::string &file,
                        const std::string &san, const std::string &cxxflags)
{
    std::string src = dir + "/tree/" + spec.id, build = dir + "/build" + (san.empty() ? "" : "-" + san);
    std::string obj = build + "/obj/" + spec.id + "/" + file.substr(0, file.size() - 4) + ".o";
    std::string sb = opt.build_for(san.empty() ? opt.san : san);
    return "rm -f " + q(obj) + " && make --no-print-directory -s -C " + q(src) + " NETLAB_ROOT=" + q(opt.root) + " BUILD=" + q(build) +
           " COMMON_BUILD=" + q(sb) + " TEST_OBJ_BUILD=" + q(sb) + " NETLAB_PREBUILT=1" +
           (san.empty() ? (opt.san.empty() ? "" : " SAN=" + opt.san) : " SAN=" + san) + " CXXFLAGS=" + q(cxxflags) + " " + q(obj) + " 2>&1";
}

// The compiler command of that rule, read once from `make -n` (make itself costs as much as a small
// compile on a loaded machine); "" if make prints none. The object folder is made here.
std::string object_compile(const mt_options &opt, const mt_spec &spec, const std::string &dir, const std::string &file,
                           const std::string &san, const std::string &cxxflags)
{
    int st;
    std::string mk = object_make(opt, spec, dir, file, san, cxxflags);
    mk.insert(mk.find("make ") + 5, "-n ");
    std::string out = run_capture(mk, &st), src = dir + "/tree/" + spec.id + "/" + file;
    size_t pos = 0;
    while (st == 0 && pos < out.size()) {
        size_t nl = out.find('\n', pos);
        std::string line = out.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? out.size() : nl + 1;
        size_t o = line.rfind(" -o ");
        if (line.find(" -c ") != std::string::npos && line.find(src) != std::string::npos && o != std::string::npos) {
            std::string obj = line.substr(o + 4);
            std::string folder = obj.substr(0, obj.rfind('/'));
            run_capture(object_make(opt, spec, dir, file, san, cxxflags), &st);   // what the object needs first (generated headers)
            return "mkdir -p " + folder + " && " + line + " 2>&1";
        }
    }
    return "";
}

bool copy_tree(const mt_options &opt, const mt_spec &spec, const std::string &dir)
{
    int st;
    std::string tree = dir + "/tree", src = tree + "/" + spec.id;
    run_capture("mkdir -p " + q(src) + " && ln -s " + q(opt.root + "/mk") + " " + q(tree + "/mk") + " && cp -a " + q(spec.dir) +
                    "/. " + q(src) + " 2>&1",
                &st);
    return st == 0;
}

// A mutant built alone whose own file does not compile is stillborn, whatever else its build
// would do: found with one compile of that object (the command its build would run first), in
// --jobs threads, instead of a whole build. Only those that compile get their classic build.
void precheck_alone(const mt_options &opt, const mt_spec &spec, const std::vector<op_mutant *> &alone,
                    std::map<std::string, std::string> &sources, const std::string &tmp)
{
    if (alone.empty()) return;
    size_t next = 0;
    std::mutex lock;
    std::vector<std::thread> threads;
    std::map<std::string, std::string> cmds;   // folder + file -> its compile command, front end only
    std::vector<std::string> dirs;
    for (int j = 0; j < std::max(1, opt.jobs); j++) {
        std::string dir = tmp + "/pre" + std::to_string(j);
        if (!copy_tree(opt, spec, dir)) break;   // fewer threads; those without a check get their build
        dirs.push_back(dir);
        for (const op_mutant *m : alone)
            if (!cmds.count(dir + m->file)) {
                std::string c = object_compile(opt, spec, dir, m->file, "", "-O0");
                cmds[dir + m->file] = c.empty() ? "" : c + " -fsyntax-only";
                int rc = -1;   // the command must accept the reference's own file, or it proves nothing
                if (!c.empty()) run_capture(cmds[dir + m->file], &rc);
                if (rc != 0) cmds[dir + m->file] = "";
            }
    }
    for (const std::string &dir : dirs)
        threads.emplace_back([&, dir] {
            for (;;) {
                op_mutant *m;
                {
                    std::lock_guard<std::mutex> g(lock);
                    if (next == alone.size()) return;
                    m = alone[next++];
                }
                const std::string &src = sources.at(m->file);
                std::string path = dir + "/tree/" + spec.id + "/" + m->file;
                // -fsyntax-only: what it refuses, the whole compile refuses; what it lets through
                // still gets the classic build, which has the last word.
                int rc = 0;
                const std::string &cmd = cmds.at(dir + m->file);
                if (!cmd.empty() && write_file(path, src.substr(0, m->start) + m->repl + src.substr(m->end))) run_capture(cmd, &rc);
                write_file(path, src);
                if (rc != 0) m->status = "stillborn";
            }
        });
    for (std::thread &t : threads) t.join();
}

// The schema of each graded file: its mutants settled against the exercise's own compile commands
// (the object rule of its Makefile in a copy of the folder, at -O0 as the mutants, and with each
// sanitizer its tests use, at the default flags), plus -Werror=vla: a guarded array bound would
// otherwise silently make a variable-length array. Returns the patch of every file, or "" with
// the schema left empty (every mutant then builds alone).
std::string build_schema(const mt_options &opt, const mt_spec &spec, std::vector<op_mutant> &muts,
                         std::map<std::string, std::string> &sources, const std::string &tmp, int *compiles)
{
    std::string src = tmp + "/settle/tree/" + spec.id;
    if (!copy_tree(opt, spec, tmp + "/settle")) return "";
    std::vector<std::pair<std::string, std::string>> flavours = {{"", "-O0 -Werror=vla"}};
    for (const std::string &san : mt_extra_sans({&spec}, opt.san)) flavours.push_back({san, SCHEMA_SAN_CXXFLAGS});
    std::string patch;
    for (auto &[file, text] : sources) {
        std::vector<ms_mutant *> in;
        for (op_mutant &m : muts)
            if (m.file == file && m.sm.in_schema) in.push_back(&m.sm);
        if (in.empty()) continue;
        std::string path = src + "/" + file;
        std::map<std::string, std::string> cmds;   // sanitizer -> the compile command of this file
        auto compile = [&](const std::string &schema, std::string *diag) {
            if (!write_file(path, schema)) return false;
            for (const auto &[san, flags] : flavours) {
                std::string &cmd = cmds[san];
                if (cmd.empty())
                    cmd = object_compile(opt, spec, tmp + "/settle", file, san,
                                         flags + " -fdiagnostics-column-unit=byte -fno-diagnostics-show-caret -fdiagnostics-color=never");
                if (cmd.empty()) return false;
                int rc;
                *diag = run_capture(cmd, &rc);
                if (opt.verbose && rc != 0) fprintf(stderr, "--- schema of %s refused%s ---\n%s\n", file.c_str(), san.c_str(), diag->c_str());
                if (rc != 0) return false;
            }
            return true;
        };
        if (ms_settle(text, path, in, compile, compiles) < 0) {
            fprintf(stderr, "moulinette: %s: the schema of %s does not build even without mutants: its mutants build alone\n",
                    spec.id.c_str(), file.c_str());
            for (ms_mutant *m : in) m->in_schema = false, m->why = "the file's schema does not build";
            write_file(path, text);
            continue;
        }
        std::string d = file_diff(spec, file, tmp, ms_render(text, in).text);
        if (d.empty()) return "";
        patch += d;
        write_file(path, text);
    }
    return patch;
}

} // namespace

int mt_cmd_mutate(const mt_options &opt, const std::string &id_in, const mt_mutate_options &mo)
{
    std::string id = id_in;
    while (!id.empty() && id.back() == '/') id.pop_back();
    std::vector<mt_spec> specs(1);
    std::string err;
    if (mt_spec_load(opt.root, id, &specs[0], &err) < 0) {
        fprintf(stderr, "moulinette: %s\n", err.c_str());
        return 2;
    }
    const mt_spec &spec = specs[0];
    std::vector<equivalent> eqs;
    if (load_equivalents(spec, &eqs, &err) < 0) {
        fprintf(stderr, "moulinette: %s\n", err.c_str());
        return 2;
    }
    std::vector<std::string> files = spec.files;
    files.insert(files.end(), spec.bonus_files.begin(), spec.bonus_files.end());
    std::vector<op_mutant> muts;
    std::map<std::string, std::string> sources;
    for (const std::string &f : files) {
        bool cpp = f.size() > 4 && (f.substr(f.size() - 4) == ".cpp" || f.substr(f.size() - 3) == ".cc");
        if (!cpp || (!mo.file.empty() && mo.file != f)) continue;
        if (!read_file(spec.dir + "/" + f, &sources[f]) || generate(opt, spec, f, &muts, &err) < 0) {
            fprintf(stderr, "moulinette: %s\n", err.empty() ? (spec.id + ": cannot read " + f).c_str() : err.c_str());
            return 2;
        }
    }
    if (muts.empty()) {
        fprintf(stderr, "moulinette: %s: no mutant generated (files: %s)\n", spec.id.c_str(),
                mo.file.empty() ? "spec.json files" : mo.file.c_str());
        return 2;
    }
    // Equivalents are matched on file, line and operator; one that matches nothing is stale.
    for (op_mutant &m : muts) {
        const std::string &src = sources[m.file];
        std::string mutated = src.substr(0, m.start) + m.repl + src.substr(m.end);
        m.minus = line_of(src, m.start);
        m.plus = line_of(mutated, m.start);
        for (equivalent &e : eqs)
            if (e.file == m.file && e.line == m.line && e.op == m.op && (e.col == 0 || e.col == m.col)) {
                m.status = "equivalent";
                m.why_equivalent = e.why;
                e.used = true;
            }
    }
    int stale = 0;
    for (const equivalent &e : eqs)
        if (!e.used && (mo.file.empty() || mo.file == e.file)) {
            fprintf(stderr, "moulinette: %s: spec.json equivalent %s:%d \"%s\" matches no generated mutant (stale?)\n",
                    spec.id.c_str(), e.file.c_str(), e.line, e.op.c_str());
            stale++;
        }
    if (stale) return 2;
    // --from: a mutant a previous report killed (or found stillborn) keeps that verdict, since
    // tests are only ever added; only its survivors run again.
    if (!mo.from.empty()) {
        json_error_t je;
        json_t *prev = json_load_file(mo.from.c_str(), 0, &je);
        if (!prev) {
            fprintf(stderr, "moulinette: %s: %s\n", mo.from.c_str(), je.text);
            return 2;
        }
        std::map<std::string, std::pair<std::string, std::string>> verdict;  // file:line:col:op -> status, test
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(prev, "mutants"), i, e)
        {
            const char *f = json_string_value(json_object_get(e, "file")), *o = json_string_value(json_object_get(e, "op")),
                       *st = json_string_value(json_object_get(e, "status")), *kb = json_string_value(json_object_get(e, "killed_by"));
            if (!f || !o || !st) continue;
            std::string key = std::string(f) + ":" + std::to_string(json_integer_value(json_object_get(e, "line"))) + ":" +
                              std::to_string(json_integer_value(json_object_get(e, "col"))) + ":" + o;
            verdict[key] = {st, kb ? kb : ""};
        }
        json_decref(prev);
        for (op_mutant &m : muts) {
            if (!m.status.empty()) continue;
            auto it = verdict.find(m.file + ":" + std::to_string(m.line) + ":" + std::to_string(m.col) + ":" + m.op);
            if (it != verdict.end() && (it->second.first == "killed" || it->second.first == "timeout" || it->second.first == "stillborn")) {
                m.status = "prev-" + it->second.first;
                m.killed_by = it->second.second;
            }
        }
    }
    // --max: an even spread over the list (which is in file order), deterministic.
    std::vector<op_mutant *> todo;
    for (op_mutant &m : muts)
        if (m.status.empty()) todo.push_back(&m);
    if (mo.max > 0 && (int)todo.size() > mo.max) {
        std::vector<op_mutant *> pick;
        for (int i = 0; i < mo.max; i++) pick.push_back(todo[(size_t)((double)i * todo.size() / mo.max)]);
        for (op_mutant *m : todo)
            if (std::find(pick.begin(), pick.end(), m) == pick.end()) m->status = "skipped";
        todo = pick;
    }
    if (mt_ensure_libs(opt, specs) < 0 || mt_ensure_test_objs(opt, specs) < 0) return 2;
    std::string tmp = make_temp_dir("mutate");
    if (tmp.empty()) return 2;
    double t_start = now_s();

    // 0. The schema (unless --classic): every mutant of `todo` that its site allows, compiled in.
    int nids = 0, compiles = 0;
    for (op_mutant &m : muts) m.sm.id = ++nids;
    mt_mutant schema_patch;
    if (!mo.classic) {
        std::vector<bool> wanted(muts.size() + 1, false);
        for (op_mutant *m : todo) wanted[(size_t)m->sm.id] = true;
        for (op_mutant &m : muts)
            if (!wanted[(size_t)m.sm.id]) m.sm.in_schema = false;
        std::string patch = build_schema(opt, spec, muts, sources, tmp, &compiles);
        schema_patch.id = "schema";
        schema_patch.patch = tmp + "/schema.patch";
        if (patch.empty() || !write_file(schema_patch.patch, patch))
            for (op_mutant &m : muts) m.sm.in_schema = false;
    }
    double t_settled = now_s();

    // 1. The reference, every test: it must pass, and its times set the mutants' limits. Beside it
    // the schema with no mutant on, every test with a trace: it must pass too, and says which
    // mutants each test reaches.
    printf("mutate %s: the reference first%s\n", spec.id.c_str(), mo.classic ? "" : ", and the schema's trace run");
    size_t ntests = spec.tests.size();
    std::vector<mt_variant> refrun(1);
    refrun[0].spec = &spec;
    bool any_schema = std::any_of(todo.begin(), todo.end(), [](const op_mutant *m) { return m->sm.in_schema; });
    std::string trace_dir = tmp + "/trace";
    if (any_schema) {
        mkdir(trace_dir.c_str(), 0755);
        chmod(trace_dir.c_str(), 0755);
        for (size_t i = 0; i < ntests; i++) {
            std::string f = trace_dir + "/t" + std::to_string(i);
            int fd = open(f.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
            if (fd < 0 || ftruncate(fd, nids + 1) < 0) {
                fprintf(stderr, "moulinette: cannot create %s: %s\n", f.c_str(), strerror(errno));
                return 2;
            }
            fchmod(fd, 0666);
            close(fd);
        }
        mt_variant sv;
        sv.spec = &spec;
        sv.kind = MT_MUTANT;
        sv.mutant = &schema_patch;
        sv.keep_dir = tmp + "/schema";
        sv.make_args = "CXXFLAGS='-O0 -Werror=vla'";
        sv.san_make_args = std::string("CXXFLAGS='") + SCHEMA_SAN_CXXFLAGS + "'";
        sv.skip_norm = true;   // its switch calls open and mmap, which a norm may forbid
        sv.test_env = [trace_dir](size_t i) { return std::vector<std::string>{"NL_MUTANT_TRACE=" + trace_dir + "/t" + std::to_string(i)}; };
        sv.test_keep = {trace_dir};
        refrun.push_back(sv);
    }
    // The front-end checks of the mutants built alone run meanwhile: the reference's tests mostly
    // wait on clocks. (Should the schema fail its run below, the others get their classic build.)
    std::vector<op_mutant *> alone;
    if (!mo.classic)
        for (op_mutant *m : todo)
            if (!m->sm.in_schema) alone.push_back(m);
    std::thread pre([&] { precheck_alone(opt, spec, alone, sources, tmp); });
    int run1 = mt_run_variants(opt, &refrun);
    pre.join();
    if (run1 < 0) return 2;
    if (!refrun[0].all_passed()) {
        fprintf(stderr, "moulinette: %s: the reference does not pass every test%s; fix it before measuring mutants\n",
                spec.id.c_str(), refrun[0].build_error.empty() ? "" : (" (" + refrun[0].build_error + ")").c_str());
        return 2;
    }
    // reach[i][id]: test i evaluated the guard of mutant id.
    std::vector<std::string> reach(ntests);
    if (any_schema && !refrun[1].all_passed()) {
        const mt_variant &sv = refrun[1];
        std::string why = sv.build_error.empty() ? sv.norm_error : sv.build_error;
        for (const mt_result &r : sv.results)
            if (why.empty() && !r.passed) why = r.test->name + ": " + r.detail;
        fprintf(stderr, "moulinette: %s: the schema with no mutant on does not pass every test (%s): every mutant builds alone\n",
                spec.id.c_str(), why.c_str());
        any_schema = false;
    }
    if (any_schema)
        for (size_t i = 0; i < ntests; i++) read_file(trace_dir + "/t" + std::to_string(i), &reach[i]);
    for (op_mutant *m : todo) {
        m->schema = any_schema && m->sm.in_schema;
        if (!m->schema) continue;
        m->reached = false;
        for (size_t i = 0; i < ntests; i++) m->reached = m->reached || (reach[i].size() > (size_t)m->sm.id && reach[i][(size_t)m->sm.id]);
    }
    double t_traced = now_s();
    test_order order;
    order.kills.assign(ntests, 0);
    long ref_total_ms = 0;
    for (size_t i = 0; i < ntests; i++) {
        order.ref_ms.push_back(refrun[0].results[i].ms);
        order.base.push_back(i);
        ref_total_ms += refrun[0].results[i].ms;
    }
    std::stable_sort(order.base.begin(), order.base.end(), [&](size_t a, size_t b) { return order.ref_ms[a] < order.ref_ms[b]; });

    // 2. The mutants: through the schema, only the tests that reach them (one that no test reaches
    // survives without running); the others as patches, each built from the reference's objects.
    std::vector<mt_variant> vars(1);
    vars[0].spec = &spec;
    vars[0].until_first_failure = true;   // the reference is built again for its objects only
    vars[0].order = [](const mt_variant *) { return std::vector<size_t>(); };
    vars.reserve(todo.size() + 1);
    std::vector<mt_variant *> var_of(todo.size(), nullptr);
    size_t n_classic = 0, n_schema = 0, n_unreached = 0, n_prechecked = 0;
    for (size_t k = 0; k < todo.size(); k++) {
        op_mutant *m = todo[k];
        if (m->schema && !m->reached) {
            n_unreached++;
            continue;
        }
        if (m->status == "stillborn") {
            n_prechecked++;
            continue;
        }
        mt_variant v;
        v.spec = &spec;
        v.kind = MT_MUTANT;
        v.until_first_failure = true;
        if (m->schema) {
            n_schema++;
            int id = m->sm.id;
            v.build_from = &refrun[1];
            v.mutant = &schema_patch;
            v.test_env = [id](size_t) { return std::vector<std::string>{"NL_MUTANT=" + std::to_string(id)}; };
            v.order = [&order, &reach, m, id](const mt_variant *) {
                std::vector<size_t> o = order.for_mutant(*m), r;
                for (size_t i : o)
                    if (reach[i].size() > (size_t)id && reach[i][(size_t)id]) r.push_back(i);
                return r;
            };
        } else {
            n_classic++;
            const std::string &src = sources[m->file];
            std::string dir = tmp + "/m" + std::to_string(k), mutated = src.substr(0, m->start) + m->repl + src.substr(m->end);
            mkdir(dir.c_str(), 0755);
            std::string diff = file_diff(spec, m->file, dir, mutated);
            if (diff.empty() || !write_file(dir + ".patch", diff)) {
                fprintf(stderr, "moulinette: cannot write in %s\n", dir.c_str());
                return 2;
            }
            m->patch.id = "op" + std::to_string(k);
            m->patch.patch = dir + ".patch";
            v.mutant = &m->patch;
            v.make_args = "CXXFLAGS=-O0";  // the mutated file compiles fast; the others are the reference's
            v.order = [&order, m](const mt_variant *) { return order.for_mutant(*m); };
        }
        v.done = [&order, m](mt_variant *mv) {
            for (const mt_result &r : mv->results)
                if (r.ran && !r.passed) {
                    order.killed(*m, (size_t)(&r - &mv->results[0]));
                    break;
                }
        };
        // A mutant that loops stops at 3x the reference's time for that test (plus slack for a
        // loaded machine), within the test's own limit.
        for (size_t i = 0; i < ntests; i++) {
            const mt_test &t = spec.tests[i];
            int own = t.timeout_s ? t.timeout_s : spec.timeout_s;
            int lim = (int)std::ceil(3.0 * (double)order.ref_ms[i] / 1000.0) + 3;
            v.test_timeout_s.push_back(std::min(own, lim));
        }
        vars.push_back(v);
        var_of[k] = &vars.back();
    }
    if (n_classic == 0) vars.erase(vars.begin());   // no patch needs the reference's objects
    for (size_t k = 0, j = n_classic ? 1 : 0; k < todo.size(); k++)
        if (var_of[k]) var_of[k] = &vars[j++];
    printf("mutate %s: %zu mutants to run (%zu generated, %zu equivalent%s), reference suite %.1f s\n", spec.id.c_str(),
           todo.size(), muts.size(), (size_t)std::count_if(muts.begin(), muts.end(), [](const op_mutant &m) { return m.status == "equivalent"; }),
           mo.max > 0 ? ", --max" : "", ref_total_ms / 1000.0);
    if (!mo.classic)
        printf("mutate %s: schema: %zu mutants (%zu not reached by any test), %zu built alone (%zu of them stillborn: their file does "
               "not compile); %d compiles to settle it, %.0f s; trace run %.0f s\n",
               spec.id.c_str(), n_schema + n_unreached, n_unreached, n_classic + n_prechecked, n_prechecked, compiles,
               t_settled - t_start, t_traced - t_settled);
    double t0 = now_s();
    if (mt_run_variants(opt, &vars) < 0) return 2;
    // 3. A time-out at a mutant's short limit may be the machine's load rather than the mutant (a
    // loaded run counted hanging mutants that a quiet one saw pass). Each mutant stopped by one runs
    // that test again with the spec's own limit, the one a submission gets, then the tests it had
    // left: it is killed only by what fails there. (A mutant built alone is built again, from the
    // reference's objects as before: the first round's builds are gone.)
    std::vector<mt_variant> again(1);   // [0]: a reference, built for its objects only (as vars[0])
    again[0].spec = &spec;
    again[0].until_first_failure = true;
    again[0].order = [](const mt_variant *) { return std::vector<size_t>(); };
    std::vector<size_t> again_k(1, todo.size());
    again.reserve(todo.size() + 1);
    for (size_t k = 0; k < todo.size(); k++) {
        const mt_variant *v = var_of[k];
        if (!v || !v->built) continue;
        size_t to = ntests;
        for (size_t i = 0; i < ntests; i++)
            if (v->results[i].ran && !v->results[i].passed && v->results[i].detail.find("timed out") != std::string::npos) to = i;
        int own = to < ntests ? (spec.tests[to].timeout_s ? spec.tests[to].timeout_s : spec.timeout_s) : 0;
        if (to == ntests || v->test_timeout_s[to] >= own) continue;
        std::vector<size_t> rest{to};
        for (size_t i : v->order(v))
            if (i != to && !v->results[i].ran) rest.push_back(i);
        mt_variant a;
        a.spec = &spec;
        a.kind = MT_MUTANT;
        a.until_first_failure = true;
        a.build_from = v->build_from;
        a.mutant = v->mutant;
        a.make_args = v->make_args;
        a.test_env = v->test_env;
        a.order = [rest](const mt_variant *) { return rest; };
        a.test_timeout_s.assign(ntests, 0);   // 0: the spec's own limits
        again.push_back(a);
        again_k.push_back(k);
    }
    // The leading reference is only there for the objects of mutants built alone.
    if (std::all_of(again.begin() + 1, again.end(), [](const mt_variant &a) { return a.build_from; })) {
        again.erase(again.begin());
        again_k.erase(again_k.begin());
    }
    size_t n_again = again.size() - (again_k.size() && again_k[0] == todo.size() ? 1 : 0);
    if (n_again > 0) {
        printf("mutate %s: %zu mutants stopped by a time-out at the short limit: that test again with the spec's limit\n",
               spec.id.c_str(), n_again);
        if (mt_run_variants(opt, &again) < 0) return 2;
    }
    std::vector<const mt_variant *> final_of(var_of.begin(), var_of.end());
    int timeouts_confirmed = 0, timeouts_passed = 0;
    for (size_t j = 0; j < again.size(); j++) {
        if (again_k[j] == todo.size()) continue;   // the reference
        final_of[again_k[j]] = &again[j];
        bool failed = false;
        for (const mt_result &r : again[j].results) failed = failed || (r.ran && !r.passed);
        (failed ? timeouts_confirmed : timeouts_passed)++;
    }
    double secs = now_s() - t0, total_secs = now_s() - t_start;
    if (getenv("NETLAB_MUTATE_KEEP")) fprintf(stderr, "moulinette: kept %s (NETLAB_MUTATE_KEEP)\n", tmp.c_str());
    else if (system(("rm -rf " + q(tmp)).c_str()) != 0) fprintf(stderr, "moulinette: could not remove %s\n", tmp.c_str());

    int killed = 0, survived = 0, stillborn = 0, timeouts = 0, equiv = 0, unreached = 0;
    long build_ms = 0, build_cpu = 0, tests_ms = 0, tests_cpu = 0;
    for (size_t k = 0; k < todo.size(); k++) {
        op_mutant *m = todo[k];
        if (!var_of[k] && m->status == "stillborn") {
            stillborn++;
            continue;
        }
        if (!var_of[k]) {
            m->status = "survived";
            survived++;
            unreached++;
            continue;
        }
        if (final_of[k] != var_of[k])
            for (const mt_result &r : var_of[k]->results) tests_ms += r.ms, tests_cpu += r.cpu_ms;
        const mt_variant &v = *final_of[k];
        if (!v.build_from) build_ms += v.build_ms, build_cpu += v.build_cpu_ms;
        for (const mt_result &r : v.results) tests_ms += r.ms, tests_cpu += r.cpu_ms;
        if (!v.built) {
            m->status = "stillborn";
            stillborn++;
            continue;
        }
        const mt_result *fail = nullptr;
        for (const mt_result &r : v.results)
            if (r.ran && !r.passed) fail = &r;
        if (fail || !v.norm_error.empty()) {
            bool to = fail && fail->detail.find("timed out") != std::string::npos;
            m->status = to ? "timeout" : "killed";
            m->killed_by = fail ? fail->test->name : "norm";
            killed++;
            timeouts += to;
        } else {
            m->status = "survived";
            survived++;
        }
    }
    for (op_mutant &m : muts) {
        equiv += m.status == "equivalent";
        if (m.status.rfind("prev-", 0) == 0) {
            m.status = m.status.substr(5);
            if (m.status == "stillborn") stillborn++;
            else killed++, timeouts += m.status == "timeout";
        }
    }
    int counted = killed + survived;
    double score = counted > 0 ? 100.0 * killed / counted : 0.0;
    double per_min = total_secs > 0 ? 60.0 * (double)todo.size() / total_secs : 0.0;

    printf("\n%s — operator mutants of %s\n", spec.id.c_str(), mo.file.empty() ? "the graded files" : mo.file.c_str());
    for (const op_mutant &m : muts)
        if (m.status == "survived") print_mutant(m);
    printf("total %zu: killed %d (timeout %d), survived %d (not reached %d), stillborn %d, equivalent %d%s\n", muts.size(), killed,
           timeouts, survived, unreached, stillborn, equiv,
           mo.max > 0 ? (", skipped " + std::to_string(muts.size() - todo.size() - equiv)).c_str() : "");
    if (n_again > 0)
        printf("time-outs at the short limit, run again with the spec's: %d still fail, %d passed that test (then graded on the rest)\n",
               timeouts_confirmed, timeouts_passed);
    printf("mutation score: %d / %d = %.1f%% (killed / (run - stillborn); equivalents excluded)\n", killed, counted, score);
    printf("time: %.0f s for %zu mutants (%s), %.1f mutants/minute (--jobs %d): builds %.0f s (CPU %.0f s), tests %.0f s (CPU %.0f s)\n",
           total_secs, todo.size(), mo.classic ? "classic" : "schemata", per_min, opt.jobs, build_ms / 1000.0, build_cpu / 1000.0,
           tests_ms / 1000.0, tests_cpu / 1000.0);

    if (!mo.json.empty()) {
        json_t *root = json_object();
        json_object_set_new(root, "id", json_string(spec.id.c_str()));
        json_object_set_new(root, "mode", json_string(mo.classic ? "classic" : "schemata"));
        json_object_set_new(root, "total", json_integer((json_int_t)muts.size()));
        json_object_set_new(root, "run", json_integer((json_int_t)todo.size()));
        if (!mo.from.empty()) json_object_set_new(root, "from", json_string(mo.from.c_str()));
        json_object_set_new(root, "killed", json_integer(killed));
        json_object_set_new(root, "survived", json_integer(survived));
        json_object_set_new(root, "not_reached", json_integer(unreached));
        json_object_set_new(root, "stillborn", json_integer(stillborn));
        json_object_set_new(root, "timeout", json_integer(timeouts));
        json_object_set_new(root, "timeouts_rerun", json_integer((json_int_t)n_again));
        json_object_set_new(root, "timeouts_rerun_passed", json_integer(timeouts_passed));
        json_object_set_new(root, "equivalent", json_integer(equiv));
        json_object_set_new(root, "score", json_real(std::round(score * 10) / 10));
        json_object_set_new(root, "seconds", json_real(std::round(total_secs * 10) / 10));
        json_object_set_new(root, "mutants_per_minute", json_real(std::round(per_min * 10) / 10));
        json_t *tm = json_object();
        json_object_set_new(tm, "settle_s", json_real(std::round((t_settled - t_start) * 10) / 10));
        json_object_set_new(tm, "settle_compiles", json_integer(compiles));
        json_object_set_new(tm, "reference_and_trace_s", json_real(std::round((t_traced - t_settled) * 10) / 10));
        json_object_set_new(tm, "mutants_s", json_real(std::round(secs * 10) / 10));
        json_object_set_new(tm, "build_ms", json_integer(build_ms));
        json_object_set_new(tm, "build_cpu_ms", json_integer(build_cpu));
        json_object_set_new(tm, "tests_ms", json_integer(tests_ms));
        json_object_set_new(tm, "tests_cpu_ms", json_integer(tests_cpu));
        json_object_set_new(tm, "schema", json_integer((json_int_t)(n_schema + n_unreached)));
        json_object_set_new(tm, "built_alone", json_integer((json_int_t)(n_classic + n_prechecked)));
        json_object_set_new(tm, "stillborn_by_compile", json_integer((json_int_t)n_prechecked));
        json_object_set_new(root, "timing", tm);
        json_t *arr = json_array();
        for (const op_mutant &m : muts) {
            json_t *o = json_object();
            json_object_set_new(o, "file", json_string(m.file.c_str()));
            json_object_set_new(o, "line", json_integer(m.line));
            json_object_set_new(o, "col", json_integer(m.col));
            json_object_set_new(o, "op", json_string(m.op.c_str()));
            json_object_set_new(o, "status", json_string(m.status.c_str()));
            if (!m.reached) json_object_set_new(o, "reached", json_false());
            if (!m.killed_by.empty()) json_object_set_new(o, "killed_by", json_string(m.killed_by.c_str()));
            if (!m.why_equivalent.empty()) json_object_set_new(o, "why", json_string(m.why_equivalent.c_str()));
            if (!mo.classic && m.status != "equivalent" && m.status != "skipped") {
                json_object_set_new(o, "via", json_string(m.schema ? "schema" : "alone"));
                if (!m.schema && !m.sm.why.empty()) json_object_set_new(o, "alone_because", json_string(m.sm.why.c_str()));
            }
            json_object_set_new(o, "diff", json_string(("@@ " + m.file + ":" + std::to_string(m.line) + "\n-" + m.minus + "\n+" + m.plus).c_str()));
            json_array_append_new(arr, o);
        }
        json_object_set_new(root, "mutants", arr);
        if (json_dump_file(root, mo.json.c_str(), JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0)
            fprintf(stderr, "moulinette: cannot write %s\n", mo.json.c_str());
        json_decref(root);
    }
    return score >= 90.0 ? 0 : 1;
}
