// mutate.cpp — `moulinette mutate EX`: runs the reference once (for its test times), generates the
// operator mutants of each graded file (mutate_gen.py, through libclang), writes each as a patch and
// grades it like a hand-written mutant (built from the reference's objects, so only the mutated file
// recompiles), stopping at its first failing test; then the score and every survivor.
#include "mutate.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <jansson.h>
#include <map>
#include <mutex>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace {

struct op_mutant {
    std::string file;            // relative to the exercise folder
    int line = 0, col = 0;
    size_t start = 0, end = 0;   // byte range replaced
    std::string op, orig, repl;
    std::string status;          // killed, survived, stillborn, timeout, equivalent
    std::string killed_by, why_equivalent, minus, plus;
    mt_mutant patch;             // the patch given to the runner
};

struct equivalent {
    std::string file, op, why;
    int line = 0;
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
        out->push_back(eq);
    }
    json_decref(j);
    return 0;
}

int generate(const mt_options &opt, const mt_spec &spec, const std::string &file, std::vector<op_mutant> *out, std::string *err)
{
    std::string abs = spec.dir + "/" + file;
    std::string cflags = "-std=c++20 -I" + q(spec.dir) + " -I" + q(opt.root + "/common") + " -I" + q(opt.root + "/tests/support");
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
    printf("  %-9s %s:%d:%d  %s\n", m.status.c_str(), m.file.c_str(), m.line, m.col, m.op.c_str());
    printf("      - %s\n      + %s\n", m.minus.c_str(), m.plus.c_str());
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
            if (e.file == m.file && e.line == m.line && e.op == m.op) {
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

    // 1. The reference, every test: it must pass, and its times set the mutants' limits.
    printf("mutate %s: the reference first\n", spec.id.c_str());
    std::vector<mt_variant> refrun(1);
    refrun[0].spec = &spec;
    if (mt_run_variants(opt, &refrun) < 0) return 2;
    if (!refrun[0].all_passed()) {
        fprintf(stderr, "moulinette: %s: the reference does not pass every test%s; fix it before measuring mutants\n",
                spec.id.c_str(), refrun[0].build_error.empty() ? "" : (" (" + refrun[0].build_error + ")").c_str());
        return 2;
    }
    test_order order;
    size_t ntests = refrun[0].results.size();
    order.kills.assign(ntests, 0);
    long ref_total_ms = 0;
    for (size_t i = 0; i < ntests; i++) {
        order.ref_ms.push_back(refrun[0].results[i].ms);
        order.base.push_back(i);
        ref_total_ms += refrun[0].results[i].ms;
    }
    std::stable_sort(order.base.begin(), order.base.end(), [&](size_t a, size_t b) { return order.ref_ms[a] < order.ref_ms[b]; });

    // 2. The mutants, as patches in a private folder.
    const char *tmpdir = getenv("TMPDIR");
    std::string tmpl = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/mutate.XXXXXX";
    std::vector<char> tb(tmpl.begin(), tmpl.end());
    tb.push_back('\0');
    if (!mkdtemp(tb.data())) {
        fprintf(stderr, "moulinette: cannot create %s: %s\n", tmpl.c_str(), strerror(errno));
        return 2;
    }
    std::string tmp = tb.data();
    chmod(tmp.c_str(), 0755);
    std::vector<mt_variant> vars(1);
    vars[0].spec = &spec;
    vars[0].until_first_failure = true;   // the reference is built again for its objects only
    vars[0].order = [](const mt_variant *) { return std::vector<size_t>(); };
    vars.reserve(todo.size() + 1);
    for (size_t k = 0; k < todo.size(); k++) {
        op_mutant *m = todo[k];
        const std::string &src = sources[m->file];
        std::string dir = tmp + "/m" + std::to_string(k), mutated = src.substr(0, m->start) + m->repl + src.substr(m->end);
        mkdir(dir.c_str(), 0755);
        mkdir((dir + "/b").c_str(), 0755);
        std::string base = m->file.substr(m->file.rfind('/') == std::string::npos ? 0 : m->file.rfind('/') + 1);
        if (!write_file(dir + "/b/" + base, mutated)) {
            fprintf(stderr, "moulinette: cannot write in %s\n", dir.c_str());
            return 2;
        }
        int st;
        std::string diff = run_capture("diff -u --label " + q("a/" + m->file) + " --label " + q("b/" + m->file) + " " +
                                           q(spec.dir + "/" + m->file) + " " + q(dir + "/b/" + base),
                                       &st);
        if (!write_file(dir + ".patch", diff)) return 2;
        m->patch.id = "op" + std::to_string(k);
        m->patch.patch = dir + ".patch";
        mt_variant v;
        v.spec = &spec;
        v.kind = MT_MUTANT;
        v.mutant = &m->patch;
        v.until_first_failure = true;
        v.make_args = "CXXFLAGS=-O0";  // the mutated file compiles fast; the others are the reference's
        v.order = [&order, m](const mt_variant *) { return order.for_mutant(*m); };
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
    }
    printf("mutate %s: %zu mutants to run (%zu generated, %zu equivalent%s), reference suite %.1f s\n", spec.id.c_str(),
           todo.size(), muts.size(), (size_t)std::count_if(muts.begin(), muts.end(), [](const op_mutant &m) { return m.status == "equivalent"; }),
           mo.max > 0 ? ", --max" : "", ref_total_ms / 1000.0);
    double t0 = now_s();
    if (mt_run_variants(opt, &vars) < 0) return 2;
    double secs = now_s() - t0;
    std::string rm_tail;
    if (system(("rm -rf " + q(tmp)).c_str()) != 0) fprintf(stderr, "moulinette: could not remove %s\n", tmp.c_str());

    int killed = 0, survived = 0, stillborn = 0, timeouts = 0, equiv = 0;
    for (size_t k = 0; k < todo.size(); k++) {
        op_mutant *m = todo[k];
        const mt_variant &v = vars[k + 1];
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
    double per_min = secs > 0 ? 60.0 * (double)todo.size() / secs : 0.0;

    printf("\n%s — operator mutants of %s\n", spec.id.c_str(), mo.file.empty() ? "the graded files" : mo.file.c_str());
    for (const op_mutant &m : muts)
        if (m.status == "survived") print_mutant(m);
    printf("total %zu: killed %d (timeout %d), survived %d, stillborn %d, equivalent %d%s\n", muts.size(), killed, timeouts,
           survived, stillborn, equiv, mo.max > 0 ? (", skipped " + std::to_string(muts.size() - todo.size() - equiv)).c_str() : "");
    printf("mutation score: %d / %d = %.1f%% (killed / (run - stillborn); equivalents excluded)\n", killed, counted, score);
    printf("time: %.0f s for %zu mutants, %.1f mutants/minute (--jobs %d)\n", secs, todo.size(), per_min, opt.jobs);

    if (!mo.json.empty()) {
        json_t *root = json_object();
        json_object_set_new(root, "id", json_string(spec.id.c_str()));
        json_object_set_new(root, "total", json_integer((json_int_t)muts.size()));
        json_object_set_new(root, "run", json_integer((json_int_t)todo.size()));
        if (!mo.from.empty()) json_object_set_new(root, "from", json_string(mo.from.c_str()));
        json_object_set_new(root, "killed", json_integer(killed));
        json_object_set_new(root, "survived", json_integer(survived));
        json_object_set_new(root, "stillborn", json_integer(stillborn));
        json_object_set_new(root, "timeout", json_integer(timeouts));
        json_object_set_new(root, "equivalent", json_integer(equiv));
        json_object_set_new(root, "score", json_real(std::round(score * 10) / 10));
        json_object_set_new(root, "seconds", json_real(std::round(secs * 10) / 10));
        json_object_set_new(root, "mutants_per_minute", json_real(std::round(per_min * 10) / 10));
        json_t *arr = json_array();
        for (const op_mutant &m : muts) {
            json_t *o = json_object();
            json_object_set_new(o, "file", json_string(m.file.c_str()));
            json_object_set_new(o, "line", json_integer(m.line));
            json_object_set_new(o, "col", json_integer(m.col));
            json_object_set_new(o, "op", json_string(m.op.c_str()));
            json_object_set_new(o, "status", json_string(m.status.c_str()));
            if (!m.killed_by.empty()) json_object_set_new(o, "killed_by", json_string(m.killed_by.c_str()));
            if (!m.why_equivalent.empty()) json_object_set_new(o, "why", json_string(m.why_equivalent.c_str()));
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
