// main.cpp — the moulinette's command line: validate, grade, list, dist-student.
#include "fingerprint.h"
#include "merge.h"
#include "mutate.h"
#include "oracle.h"
#include "progress.h"
#include "report.h"
#include "rules.h"
#include "runner.h"
#include "shard_env.h"
#include "spec.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <jansson.h>
#include <string>
#include <unistd.h>
#include <vector>

#ifndef NETLAB_ROOT_DIR
#define NETLAB_ROOT_DIR "."
#endif
#ifndef NETLAB_BUILD_DIR
#define NETLAB_BUILD_DIR "build"
#endif
#ifndef NETLAB_SAN
#define NETLAB_SAN ""
#endif

// Twice the cores: a grading slot mostly waits (clocks, timeouts, servers), see README "Where the time goes".
static int default_jobs(void)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores < 1 ? 2 : (int)(cores * 2 > 64 ? 64 : cores * 2);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: moulinette validate [options] [EX ...]     reference 100/100, every mutant killed\n"
            "       moulinette grade [options] EX DIR [DIR ...] grade the files handed in, in each DIR\n"
            "       moulinette merge [options] R1.json R2.json ...  join the shard reports of one batch\n"
            "       moulinette mutate [--jobs N] [--json F] [--max N] [--file F] [--from R.json] [--classic] EX   operator mutants: the mutation score\n"
            "       moulinette list                             exercises, tests and mutants\n"
            "       moulinette list --rules EX ...              each rule, the tests checking it, the unchecked ones\n"
            "       moulinette dist-student OUTDIR              the pack without solutions or mutants\n"
            "options: --jobs N (default: twice the cores)  --json FILE  --junit FILE  --gradescope FILE  --html FILE  --shard I/N|auto  --verbose\n"
            "--shard auto reads the job runner's index: JOB_COMPLETION_INDEX with JOB_COMPLETIONS (Kubernetes),\n"
            "SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or _MIN/_MAX (Slurm), CI_NODE_INDEX with CI_NODE_TOTAL,\n"
            "or NETLAB_SHARD_INDEX (from 1) with NETLAB_SHARD_COUNT.\n"
            "  --verbose   also print, on stderr, every build log and every test's whole output\n"
            "EX is an exercise id (its folder from the repository root), e.g. ex00_echo;\n"
            "DIR is a folder holding the files a student hands in (spec.json \"files\").\n");
}

struct cli {
    std::string cmd;
    std::vector<std::string> args;
    std::string json, junit, gradescope, html;
    int jobs = 0, shard_i = 1, shard_n = 1;   // jobs 0: twice the cores (see default_jobs)
    bool verbose = false;
    mt_mutate_options mutate;   // mutate: --max N, --file F
    bool rules = false;         // list --rules EX
    bool references = false;    // validate --references: the references only, every test in this build
};

// A decimal integer in [lo, hi], whole (no sign, no trailing text).
static bool int_in(const char *v, int lo, int hi, int *out)
{
    char *end = nullptr;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) return false;
    *out = (int)n;
    return true;
}

// argv[1] is the command; its options and arguments follow, in any order (getopt_long permutes them).
static int parse_cli(int argc, char **argv, cli *c)
{
    if (argc < 2) return -1;
    c->cmd = argv[1];
    enum { O_JSON = 256, O_JUNIT, O_GRADESCOPE, O_HTML, O_VERBOSE, O_RULES, O_REFERENCES, O_FROM, O_CLASSIC, O_FILE, O_MAX,
           O_JOBS, O_SHARD };
    static const struct option longopts[] = {
        {"json", required_argument, nullptr, O_JSON},         {"junit", required_argument, nullptr, O_JUNIT},
        {"gradescope", required_argument, nullptr, O_GRADESCOPE}, {"html", required_argument, nullptr, O_HTML},
        {"verbose", no_argument, nullptr, O_VERBOSE},         {"rules", no_argument, nullptr, O_RULES},
        {"references", no_argument, nullptr, O_REFERENCES},   {"from", required_argument, nullptr, O_FROM},
        {"classic", no_argument, nullptr, O_CLASSIC},         {"file", required_argument, nullptr, O_FILE},
        {"max", required_argument, nullptr, O_MAX},           {"jobs", required_argument, nullptr, O_JOBS},
        {"shard", required_argument, nullptr, O_SHARD},       {nullptr, 0, nullptr, 0},
    };
    std::vector<char *> av(argv + 1, argv + argc);   // av[0] (the command) stands where getopt wants a name
    av.push_back(nullptr);
    int ac = argc - 1, o;
    opterr = 0;
    optind = 1;
    while ((o = getopt_long(ac, av.data(), ":", longopts, nullptr)) != -1) {
        const char *v = optarg;
        switch (o) {
        case O_JSON: c->json = v; break;
        case O_JUNIT: c->junit = v; break;
        case O_GRADESCOPE: c->gradescope = v; break;
        case O_HTML: c->html = v; break;
        case O_VERBOSE: c->verbose = true; break;
        case O_RULES: c->rules = true; break;
        case O_REFERENCES: c->references = true; break;
        case O_FROM: c->mutate.from = v; break;
        case O_CLASSIC: c->mutate.classic = true; break;
        case O_FILE: c->mutate.file = v; break;
        case O_MAX:
            if (!int_in(v, 1, 1000000, &c->mutate.max)) {
                fprintf(stderr, "moulinette: --max takes a count of mutants (1..1000000), not '%s'\n", v);
                return -1;
            }
            break;
        case O_JOBS:
            if (!int_in(v, 1, 64, &c->jobs)) {
                fprintf(stderr, "moulinette: --jobs takes 1..64, not '%s'\n", v);
                return -1;
            }
            break;
        case O_SHARD:
            if (!strcmp(v, "auto")) {
                std::string err;
                if (mt_shard_from_env(&c->shard_i, &c->shard_n, &err) < 0) {
                    fprintf(stderr, "moulinette: --shard auto: %s\n", err.c_str());
                    return -1;
                }
            } else if (sscanf(v, "%d/%d", &c->shard_i, &c->shard_n) != 2 || c->shard_n < 1 || c->shard_i < 1 ||
                       c->shard_i > c->shard_n) {
                fprintf(stderr, "moulinette: --shard takes I/N with 1 <= I <= N, not '%s'\n", v);
                return -1;
            }
            break;
        case ':':
            fprintf(stderr, "moulinette: %s needs a value\n", av[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "moulinette: unknown option %s\n", av[optind - 1]);
            return -1;
        }
    }
    for (int i = optind; i < ac; i++) c->args.push_back(av[(size_t)i]);
    return 0;
}

static std::string root_dir(void)
{
    const char *r = getenv("NETLAB_ROOT");
    return r && *r ? r : NETLAB_ROOT_DIR;
}

// Compilers are CPU-bound: as many as job slots, but no more than cores.
static int build_jobs(const mt_options &opt)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 && cores < opt.jobs ? (int)cores : opt.jobs;
}

static int ensure_libs_for(const mt_options &opt, const std::string &san)
{
    // On a fresh clone the sanitizer builds of common/ come first: build them in parallel.
    std::string cmd = "make --no-print-directory -s -j" + std::to_string(build_jobs(opt)) + " -C '" + opt.root + "/common' BUILD='" + opt.build_for(san) + "'" +
                      (san.empty() ? "" : " SAN=" + san) + " all >&2";
    if (system(cmd.c_str()) != 0) {
        fprintf(stderr, "moulinette: building common/ failed (command: %s)\n", cmd.c_str());
        return -1;
    }
    return 0;
}

static std::vector<const mt_spec *> pointers(const std::vector<mt_spec> &specs)
{
    std::vector<const mt_spec *> out;
    for (const mt_spec &s : specs) out.push_back(&s);
    return out;
}

// The shared libraries, for this build and for each sanitizer some test asks for.
int mt_ensure_libs(const mt_options &opt, const std::vector<mt_spec> &specs)
{
    if (ensure_libs_for(opt, opt.san) < 0) return -1;
    for (const std::string &san : mt_extra_sans(pointers(specs), opt.san))
        if (ensure_libs_for(opt, san) < 0) return -1;
    return 0;
}

// Compiles each exercise's suite objects once in the main build; every variant links them.
int mt_ensure_test_objs(const mt_options &opt, const std::vector<mt_spec> &specs)
{
    for (const mt_spec &s : specs) {
        std::vector<std::string> sans = mt_extra_sans({&s}, opt.san);
        sans.insert(sans.begin(), opt.san);
        for (const std::string &san : sans) {
            std::string cmd = "make --no-print-directory -s -j" + std::to_string(build_jobs(opt)) + " -C '" + s.dir + "' NETLAB_ROOT='" + opt.root + "' BUILD='" +
                              opt.build_for(san) + "' NETLAB_PREBUILT=1" + (san.empty() ? "" : " SAN=" + san) + " test-objs >&2";
            if (system(cmd.c_str()) != 0) {
                fprintf(stderr, "moulinette: %s: its test suite does not compile (command: %s)\n", s.id.c_str(), cmd.c_str());
                return -1;
            }
        }
    }
    return 0;
}

static int load_specs(const std::string &root, std::vector<std::string> ids, std::vector<mt_spec> *specs,
                      bool for_grading = false)
{
    if (ids.empty()) ids = mt_find_exercises(root);
    specs->resize(ids.size());
    int bad = 0;
    for (size_t i = 0; i < ids.size(); i++) {
        std::string id = ids[i];
        while (!id.empty() && id.back() == '/') id.pop_back();
        std::string err;
        if (mt_spec_load(root, id, &(*specs)[i], &err, for_grading) < 0) {
            fprintf(stderr, "moulinette: %s\n", err.c_str());
            bad++;
        }
    }
    return bad ? -1 : 0;
}

static mt_outputs outputs_of(const cli &c) { return mt_outputs{c.json, c.junit, c.gradescope, c.html}; }

static int cmd_validate(const cli &c, const mt_options &opt)
{
    std::vector<mt_spec> specs;
    if (load_specs(opt.root, c.args, &specs) < 0) return 2;
    // --references (make sancheck): this grader's build is the sanitizer build every test runs
    // against, so a test's own "san" is this one; no mutant is graded.
    if (c.references)
        for (mt_spec &s : specs) {
            for (mt_test &t : s.tests) t.san.clear();
            s.mutants.clear();
        }
    if (specs.empty()) {
        fprintf(stderr, "moulinette: no exercise found under %s\n", opt.root.c_str());
        return 2;
    }
    // Rules tables (rules.cpp): an unchecked or unknown rule fails the run; no table yet warns.
    std::vector<std::string> rule_problems;
    for (const mt_spec &s : specs) {
        mt_rules r = mt_rules_load(s);
        for (const std::string &w : r.warnings) fprintf(stderr, "moulinette: warning: %s\n", w.c_str());
        rule_problems.insert(rule_problems.end(), r.problems.begin(), r.problems.end());
    }
    long t_prelude = mt_progress_now_ms();
    if (mt_ensure_libs(opt, specs) < 0 || mt_ensure_test_objs(opt, specs) < 0) return 2;
    t_prelude = mt_progress_now_ms() - t_prelude;
    std::vector<mt_variant> variants;
    size_t k = 0;
    for (const mt_spec &s : specs) {
        std::vector<mt_variant> mine(1);
        mine[0].spec = &s;
        for (const mt_mutant &m : s.mutants) {
            mt_variant v;
            v.spec = &s;
            v.kind = MT_MUTANT;
            v.mutant = &m;
            mine.push_back(v);
        }
        for (mt_variant &v : mine)
            if ((int)(k++ % (size_t)c.shard_n) == c.shard_i - 1) variants.push_back(v);
    }
    long t0 = mt_progress_now_ms();
    if (mt_run_variants(opt, &variants) < 0) return 2;
    std::vector<mt_exercise_run> runs;
    for (const mt_spec &s : specs) {
        mt_exercise_run ex{&s, {}};
        for (mt_variant &v : variants)
            if (v.spec == &s) ex.variants.push_back(&v);
        if (!ex.variants.empty()) runs.push_back(ex);
    }
    mt_report_meta meta;
    meta.command = "validate";
    meta.prelude_ms = t_prelude;
    meta.pack = mt_pack_fingerprint(opt.root, specs, false);
    for (const mt_spec &s : specs) meta.batch.push_back(s.id);
    meta.variants = (int)k;
    meta.shard_i = c.shard_i;
    meta.shard_n = c.shard_n;
    meta.jobs = c.jobs;
    meta.wall_ms = mt_progress_now_ms() - t0;
    json_t *doc = mt_report_json(runs, false, meta);
    // Rule problems travel in the report, so a merge of shards fails as the unsharded run does.
    json_t *sp = json_array();
    for (const std::string &p : rule_problems) json_array_append_new(sp, json_string(p.c_str()));
    json_object_set_new(doc, "spec_problems", sp);
    int rc = mt_finish_validate(runs, doc, outputs_of(c), isatty(1) && !getenv("NO_COLOR"));
    json_decref(doc);
    return rc;
}

static bool is_exercise(const std::string &root, std::string id)
{
    while (!id.empty() && id.back() == '/') id.pop_back();
    return !id.empty() && access((root + "/" + id + "/spec.json").c_str(), R_OK) == 0;
}

static int cmd_grade(const cli &c, const mt_options &opt)
{
    if (c.args.size() < 2) {
        fprintf(stderr, "moulinette grade: needs an exercise id and at least one folder: grade EX DIR [DIR ...]\n");
        usage(stderr);
        return 2;
    }
    // The first argument is the exercise, the others are folders: say which is which when swapped.
    if (!is_exercise(opt.root, c.args[0])) {
        fprintf(stderr, "moulinette grade: '%s' is not an exercise id (no %s/%s/spec.json)\n", c.args[0].c_str(),
                opt.root.c_str(), c.args[0].c_str());
        for (size_t i = 1; i < c.args.size(); i++)
            if (is_exercise(opt.root, c.args[i]))
                fprintf(stderr, "  '%s' is an exercise id: the exercise comes first, then the folders:\n"
                                "  moulinette grade %s %s\n", c.args[i].c_str(), c.args[i].c_str(), c.args[0].c_str());
        fprintf(stderr, "usage: moulinette grade EX DIR [DIR ...]   EX: exercise id (e.g. ex00_echo), DIR: folder with your files\n");
        return 2;
    }
    std::vector<mt_spec> specs;
    if (load_specs(opt.root, {c.args[0]}, &specs, true) < 0 || mt_ensure_libs(opt, specs) < 0 || mt_ensure_test_objs(opt, specs) < 0)
        return 2;
    std::vector<mt_variant> variants;
    for (size_t i = 1; i < c.args.size(); i++) {
        if ((int)((i - 1) % (size_t)c.shard_n) != c.shard_i - 1) continue;
        mt_variant v;
        v.spec = &specs[0];
        v.kind = MT_SUBMISSION;
        char *abs = realpath(c.args[i].c_str(), nullptr);
        if (!abs) {
            fprintf(stderr, "moulinette: %s: no such folder\n", c.args[i].c_str());
            return 2;
        }
        v.sub_dir = abs;
        free(abs);
        // The bonus is graded only when every bonus file is handed in.
        v.bonus = !specs[0].bonus_files.empty();
        for (const std::string &f : specs[0].bonus_files)
            if (access((v.sub_dir + "/" + f).c_str(), R_OK) != 0) v.bonus = false;
        variants.push_back(v);
    }
    if (!c.gradescope.empty() && variants.size() != 1) {
        fprintf(stderr, "moulinette: --gradescope writes one submission's results: grade one DIR at a time\n");
        return 2;
    }
    long t0 = mt_progress_now_ms();
    if (mt_run_variants(opt, &variants) < 0) return 2;
    mt_exercise_run ex{&specs[0], {}};
    for (mt_variant &v : variants) ex.variants.push_back(&v);
    mt_report_meta meta;
    meta.command = "grade";
    meta.pack = mt_pack_fingerprint(opt.root, specs, true);
    meta.batch = c.args;   // the exercise, then every DIR as given: the same command line on every shard
    meta.variants = (int)c.args.size() - 1;
    meta.shard_i = c.shard_i;
    meta.shard_n = c.shard_n;
    meta.jobs = c.jobs;
    meta.wall_ms = mt_progress_now_ms() - t0;
    json_t *doc = mt_report_json({ex}, true, meta);
    int rc = mt_finish_grade(ex, doc, outputs_of(c), isatty(1) && !getenv("NO_COLOR"));
    json_decref(doc);
    return rc;
}

static int cmd_list(const mt_options &opt)
{
    std::vector<mt_spec> specs;
    int rc = load_specs(opt.root, {}, &specs) < 0 ? 1 : 0;
    for (const mt_spec &s : specs) {
        if (s.id.empty()) continue;
        printf("%s — %s (passing %d)\n", s.id.c_str(), s.title.c_str(), s.passing_score);
        for (const mt_test &t : s.tests) printf("  %-36s %3d %s%s\n", t.name.c_str(), t.points, t.category.c_str(), t.bonus ? " (bonus)" : "");
        for (const mt_mutant &m : s.mutants) printf("  mutant %-29s %s\n", m.id.c_str(), m.why.c_str());
    }
    return rc;
}

// The student pack: every tracked file but the reference solutions and the mutants.
static int cmd_dist_student(const cli &c, const mt_options &opt)
{
    if (c.args.size() != 1) {
        usage(stderr);
        return 2;
    }
    std::vector<mt_spec> specs;
    if (load_specs(opt.root, {}, &specs) < 0) return 2;
    std::string out = c.args[0];
    std::string cmd = "set -e; rm -rf '" + out + "'; mkdir -p '" + out + "'; cd '" + opt.root +
                      "'; git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t '" + out + "'";
    for (const mt_spec &s : specs) {
        for (const std::string &f : s.files) cmd += "; rm -f '" + out + "/" + s.id + "/" + f + "'";
        for (const std::string &f : s.bonus_files) cmd += "; rm -f '" + out + "/" + s.id + "/" + f + "'";
        cmd += "; rm -rf '" + out + "/" + s.id + "/mutants'";
    }
    if (system(cmd.c_str()) != 0) {
        fprintf(stderr, "moulinette: dist-student failed (is %s a git checkout?)\n", opt.root.c_str());
        return 1;
    }
    for (const mt_spec &s : specs) {  // the differential tests' oracles ship as objects, not sources
        std::string err;
        if (mt_oracle_ship(opt.root, opt.build, s, out + "/" + s.id, &err) < 0) {
            fprintf(stderr, "moulinette: %s\n", err.c_str());
            return 1;
        }
    }
    for (const mt_spec &s : specs) {  // the pack's spec.json lists no mutants: their patches are gone
        std::string path = out + "/" + s.id + "/spec.json";
        json_t *j = json_load_file(path.c_str(), 0, nullptr);
        if (!j) continue;
        json_object_set_new(j, "mutants", json_array());
        json_dump_file(j, path.c_str(), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(j);
    }
    // The pack's top-level make builds the libraries and the grader, not the unwritten exercises.
    FILE *mark = fopen((out + "/.student-pack").c_str(), "w");
    if (mark) {
        fputs("This is a student pack: write an exercise's files (spec.json \"files\"), then\n"
              "  make -C <exercise>                      # build it\n"
              "  make grade EX=<exercise> SUB=<exercise>  # grade it\n", mark);
        fclose(mark);
    }
    printf("student pack written to %s (%zu exercises; reference solutions and mutants removed)\n", out.c_str(), specs.size());
    return 0;
}

int main(int argc, char **argv)
{
    cli c;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
        usage(stdout);
        return 0;
    }
    if (parse_cli(argc, argv, &c) < 0) {
        usage(stderr);
        return 2;
    }
    mt_options opt;
    opt.root = root_dir();
    const char *b = getenv("NETLAB_BUILD");
    opt.build = b && *b ? b : NETLAB_BUILD_DIR;
    opt.san = NETLAB_SAN;
    if (c.jobs == 0) c.jobs = default_jobs();
    opt.jobs = c.jobs;
    opt.verbose = c.verbose;
    opt.progress = isatty(2) != 0;
    setvbuf(stdout, nullptr, _IOLBF, 0);
    // Run from make: the builds the grader starts are its own, not part of the caller's jobserver.
    for (const char *k : {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"}) unsetenv(k);
    if (c.cmd == "mutate") {
        if (c.args.size() != 1) {
            usage(stderr);
            return 2;
        }
        c.mutate.json = c.json;
        return mt_cmd_mutate(opt, c.args[0], c.mutate);
    }
    if (c.cmd == "list" && c.rules) {
        int rc = 0;
        for (const std::string &id : c.args) {
            mt_spec s;
            std::string err;
            if (mt_spec_load(opt.root, id.back() == '/' ? id.substr(0, id.size() - 1) : id, &s, &err) < 0) {
                fprintf(stderr, "moulinette: %s\n", err.c_str());
                return 2;
            }
            rc |= mt_rules_print(s, stdout);
        }
        return c.args.empty() ? 2 : rc;
    }
    if (c.cmd == "list") return cmd_list(opt);
    if (c.cmd == "dist-student") return cmd_dist_student(c, opt);
    if (c.cmd == "merge") return mt_cmd_merge(c.args, outputs_of(c), isatty(1) && !getenv("NO_COLOR"));
    if (c.cmd != "validate" && c.cmd != "grade") {
        fprintf(stderr, "moulinette: unknown command '%s'\n", c.cmd.c_str());
        usage(stderr);
        return 2;
    }
    return c.cmd == "validate" ? cmd_validate(c, opt) : cmd_grade(c, opt);
}
