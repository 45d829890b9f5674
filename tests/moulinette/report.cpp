// report.cpp — human output first (a points table, a mutants × tests matrix), then machine formats.
#include "report.h"

#include <cstdio>
#include <jansson.h>

static const char *paint(bool color, const char *code) { return color ? code : ""; }
#define GREEN paint(color, "\033[32m")
#define RED paint(color, "\033[31m")
#define BOLD paint(color, "\033[1m")
#define DIM paint(color, "\033[2m")
#define RESET paint(color, "\033[0m")

static std::string variant_name(const mt_variant &v)
{
    if (v.kind == MT_MUTANT) return v.mutant->id;
    if (v.kind == MT_SUBMISSION) return v.sub_dir;
    return "reference";
}

// One row per test: name (as wide as the longest), points ("+10b" for a bonus, "10!" for a gating
// test), ok/FAIL, time, and why it failed: the test's own message at its own line.
static void print_table(const mt_variant &v, bool color)
{
    if (!v.build_error.empty()) printf("  %s%s%s\n", RED, v.build_error.c_str(), RESET);
    int w = 4;
    for (const mt_result &r : v.results)
        if ((int)r.test->name.size() > w) w = (int)r.test->name.size();
    for (const mt_result &r : v.results) {
        const char *mark = r.passed ? "ok" : (r.ran ? "FAIL" : "--");
        std::string why = r.passed ? "" : r.detail;
        if (why.size() > 300) why = why.substr(0, 300) + "... (--json has it whole)";
        printf("  %-*s %s%3d%s %s%-4s%s %6ld ms  %s\n", w, r.test->name.c_str(), r.test->bonus ? "+" : " ",
               r.test->points, r.test->bonus ? "b" : (r.test->required ? "!" : " "), r.passed ? GREEN : RED, mark, RESET,
               r.ms, why.c_str());
    }
    if (!v.spec->forbidden_symbols.empty() && v.built)
        printf("  %-*s       %s%-4s%s           %s\n", w, "norm", v.norm_error.empty() ? GREEN : RED,
               v.norm_error.empty() ? "ok" : "FAIL", RESET, v.norm_error.c_str());
}

// "total: 85/100 (passing score 70: PASSED)", then the bonus's own total and a failed gate.
static void print_totals(const mt_variant &v, bool color, const char *indent)
{
    int score = v.score();
    bool pass = v.passed();
    printf("%s%stotal: %d/%d%s (passing score %d: %s%s%s)%s\n", indent, BOLD, score, mt_spec_max_points(*v.spec), RESET,
           v.spec->passing_score, pass ? GREEN : RED, pass ? "PASSED" : "FAILED", RESET,
           v.norm_error.empty() ? "" : " — the norm failed, so the total is 0");
    if (mt_spec_bonus_max(*v.spec) > 0)
        printf("%sbonus: %d/%d%s\n", indent, v.bonus_score(), mt_spec_bonus_max(*v.spec),
               v.bonus ? "" : " (bonus files not handed in)");
    if (const mt_result *r = v.required_failed())
        printf("%s%srequired test failed: %s%s (a solution cannot pass without it, whatever its total)\n", indent, RED,
               r->test->name.c_str(), RESET);
}

void mt_print_grade(const mt_variant &v, bool color)
{
    printf("%s== %s — %s ==%s\n", BOLD, v.spec->id.c_str(), v.spec->title.c_str(), RESET);
    printf("  submission: %s\n", v.sub_dir.c_str());
    print_table(v, color);
    print_totals(v, color, "  ");
}

void mt_print_validate(const mt_exercise_run &ex, bool color)
{
    const mt_spec &s = *ex.spec;
    printf("%s== %s — %s (passing %d) ==%s\n", BOLD, s.id.c_str(), s.title.c_str(), s.passing_score, RESET);
    for (mt_variant *v : ex.variants) {
        if (v->kind != MT_REFERENCE) continue;
        printf("reference: %s%d/%d%s", v->score() == 100 ? GREEN : RED, v->score(), mt_spec_max_points(s), RESET);
        if (mt_spec_bonus_max(s) > 0) printf(", bonus %d/%d", v->bonus_score(), mt_spec_bonus_max(s));
        printf("\n");
        print_table(*v, color);
        if (const mt_result *r = v->required_failed())
            printf("  %srequired test failed: %s%s\n", RED, r->test->name.c_str(), RESET);
    }
    bool any = false;
    for (mt_variant *v : ex.variants) any |= v->kind == MT_MUTANT;
    if (!any) return;
    int w = 10;
    for (mt_variant *v : ex.variants)
        if (v->kind == MT_MUTANT && (int)v->mutant->id.size() + 2 > w) w = (int)v->mutant->id.size() + 2;
    printf("mutants × tests (x = the test failed: it caught the mutant; * = a seed mutant, ! = a gating test):\n  %-*s",
           w + 1, "");
    for (size_t i = 0; i < s.tests.size(); i++) printf("%3zu", i + 1);
    printf("   score  bonus  verdict\n");
    for (mt_variant *v : ex.variants) {
        if (v->kind != MT_MUTANT) continue;
        std::string name = v->mutant->id + (v->mutant->seed ? " *" : "");
        printf("  %-*s", w + 1, name.c_str());
        for (const mt_result &r : v->results)
            printf("%s%3s%s", r.passed ? DIM : RED, r.passed ? "." : (r.ran ? "x" : "-"), RESET);
        std::string verdict = !v->built ? "ERROR" : !v->killed() ? "SURVIVED" : v->free_kill() ? "killed but FREE (loses no point)"
                              : v->rejected() ? "killed, rejected" : v->mutant->seed ? "killed, NOT REJECTED (seed mutant)" : "killed";
        if (v->built && v->required_failed()) verdict += " (required: " + v->required_failed()->test->name + ")";
        bool good = v->built && v->killed() && !v->free_kill() && (v->rejected() || !v->mutant->seed);
        char bonus[16] = "";
        if (mt_spec_bonus_max(s) > 0) snprintf(bonus, sizeof bonus, "%d/%d", v->bonus_score(), mt_spec_bonus_max(s));
        printf("   %5d  %5s  %s%s%s%s\n", v->score(), bonus, good ? GREEN : RED, verdict.c_str(), RESET,
               v->norm_error.empty() ? "" : " (norm)");
        if (!v->built) printf("      %s\n", v->build_error.c_str());
    }
    printf("  tests:");
    for (size_t i = 0; i < s.tests.size(); i++)
        printf(" %zu=%s%s%s", i + 1, s.tests[i].name.c_str(), s.tests[i].bonus ? "(bonus)" : "", s.tests[i].required ? "!" : "");
    printf("\n");
}

std::vector<std::string> mt_validate_problems(const mt_exercise_run &ex)
{
    std::vector<std::string> out;
    for (mt_variant *v : ex.variants) {
        if (v->kind == MT_REFERENCE) {
            if (!v->built) out.push_back(ex.spec->id + ": the reference does not build");
            else if (v->score() != 100) out.push_back(ex.spec->id + ": the reference scores " + std::to_string(v->score()) + "/100");
            for (const mt_result &r : v->results)
                if (r.test->bonus && !r.passed) out.push_back(ex.spec->id + ": the bonus reference fails " + r.test->name);
            if (!v->norm_error.empty()) out.push_back(ex.spec->id + ": the reference breaks the norm: " + v->norm_error);
        } else if (v->kind == MT_MUTANT) {
            if (!v->built) out.push_back(ex.spec->id + ": mutant " + v->mutant->id + ": " + v->build_error.substr(0, v->build_error.find('\n')));
            else if (!v->killed()) out.push_back(ex.spec->id + ": mutant " + v->mutant->id + " survives every test");
            else if (v->free_kill())
                out.push_back(ex.spec->id + ": mutant " + v->mutant->id + " is killed but free: it scores " +
                              std::to_string(v->score()) + " and loses no point (the tests that catch it are worth nothing)");
            else if (v->mutant->seed && !v->rejected())
                out.push_back(ex.spec->id + ": seed mutant " + v->mutant->id + " is not rejected: it scores " +
                              std::to_string(v->score()) + " >= passing score " + std::to_string(ex.spec->passing_score) +
                              " and fails no required test");
        }
    }
    return out;
}

static json_t *tests_json(const mt_variant &v, bool bonus)
{
    json_t *arr = json_array();
    for (const mt_result &r : v.results) {
        if (r.test->bonus != bonus) continue;
        json_t *t = json_pack("{s:s, s:i, s:b, s:I, s:I}", "name", r.test->name.c_str(), "points", r.test->points, "passed",
                              r.passed, "ms", (json_int_t)r.ms, "cpu_ms", (json_int_t)r.cpu_ms);
        if (r.test->required) json_object_set_new(t, "required", json_true());
        if (!r.passed) json_object_set_new(t, "detail", json_string(r.detail.c_str()));
        json_array_append_new(arr, t);
    }
    return arr;
}

static json_t *failed_tests(const mt_variant &v)
{
    json_t *arr = json_array();
    for (const mt_result &r : v.results)
        if (r.ran && !r.passed) json_array_append_new(arr, json_string(r.test->name.c_str()));
    if (!v.norm_error.empty()) json_array_append_new(arr, json_string("norm"));
    return arr;
}

static json_t *bonus_json(const mt_variant &v)
{
    return json_pack("{s:i, s:i}", "score", v.bonus_score(), "max", mt_spec_bonus_max(*v.spec));
}

static json_t *variant_json(const mt_variant &v)
{
    bool passed = v.kind == MT_REFERENCE ? v.built && v.score() == 100 && !v.required_failed() : v.passed();
    json_t *o = json_pack("{s:i, s:i, s:b, s:o}", "score", v.score(), "max", mt_spec_max_points(*v.spec), "passed",
                          passed, "tests", tests_json(v, false));
    if (mt_spec_bonus_max(*v.spec) > 0) json_object_set_new(o, "bonus", bonus_json(v));
    if (const mt_result *r = v.required_failed()) json_object_set_new(o, "required_failed", json_string(r->test->name.c_str()));
    json_object_set_new(o, "norm", json_pack("{s:b, s:s}", "passed", v.norm_error.empty(), "detail", v.norm_error.c_str()));
    if (!v.built) json_object_set_new(o, "build_error", json_string(v.build_error.c_str()));
    json_object_set_new(o, "build_ms", json_integer(v.build_ms));
    json_object_set_new(o, "build_cpu_ms", json_integer(v.build_cpu_ms));
    return o;
}

// Each test's duration, in spec order: what the HTML time bars and the cost table read.
static json_t *test_ms(const mt_variant &v)
{
    json_t *arr = json_array();
    for (const mt_result &r : v.results) json_array_append_new(arr, json_integer(r.ms));
    return arr;
}

// The spec's own table, so a report (or one shard of it) can be read without the pack.
static json_t *spec_json(const mt_spec &s)
{
    json_t *tests = json_array(), *syms = json_array();
    for (const mt_test &t : s.tests) {
        json_t *o = json_pack("{s:s, s:i, s:s, s:b}", "name", t.name.c_str(), "points", t.points, "category",
                              t.category.c_str(), "bonus", t.bonus);
        if (t.required) json_object_set_new(o, "required", json_true());
        json_array_append_new(tests, o);
    }
    for (const std::string &f : s.forbidden_symbols) json_array_append_new(syms, json_string(f.c_str()));
    return json_pack("{s:s, s:o, s:o}", "title", s.title.c_str(), "tests", tests, "forbidden_symbols", syms);
}

json_t *mt_report_json(const std::vector<mt_exercise_run> &runs, bool grading, const mt_report_meta &meta)
{
    json_t *exs = json_array();
    long all[4] = {0, 0, 0, 0};
    for (const mt_exercise_run &ex : runs) {
        json_t *e = json_pack("{s:s, s:i, s:o}", "id", ex.spec->id.c_str(), "passing_score", ex.spec->passing_score,
                              "spec", spec_json(*ex.spec));
        long t[4] = {0, 0, 0, 0};   // build, tests: time in a job slot, then CPU
        for (mt_variant *v : ex.variants) {
            t[0] += v->build_ms;
            t[2] += v->build_cpu_ms;
            for (const mt_result &r : v->results) {
                t[1] += r.ms;
                t[3] += r.cpu_ms;
            }
        }
        for (int i = 0; i < 4; i++) all[i] += t[i];
        json_object_set_new(e, "timing", json_pack("{s:I, s:I, s:I, s:I}", "build_ms", (json_int_t)t[0], "tests_ms", (json_int_t)t[1],
                                                   "build_cpu_ms", (json_int_t)t[2], "tests_cpu_ms", (json_int_t)t[3]));
        json_t *mutants = json_array(), *subs = json_array();
        bool has_bonus = false;
        for (const mt_test &t : ex.spec->tests) has_bonus |= t.bonus;
        for (mt_variant *v : ex.variants) {
            if (v->kind == MT_REFERENCE) {
                json_object_set_new(e, "reference", variant_json(*v));
                if (has_bonus) {
                    bool ok = v->built;
                    for (const mt_result &r : v->results)
                        if (r.test->bonus) ok &= r.passed;
                    json_object_set_new(e, "bonus_reference", json_pack("{s:b, s:o}", "passed", ok, "tests", tests_json(*v, true)));
                }
            } else if (v->kind == MT_MUTANT) {
                json_t *m = json_pack("{s:s, s:b, s:b, s:b, s:i, s:o}", "id", v->mutant->id.c_str(), "seed", v->mutant->seed,
                                      "killed", v->killed(), "rejected", v->rejected(), "score", v->score(),
                                      "failed_tests", failed_tests(*v));
                if (mt_spec_bonus_max(*ex.spec) > 0) json_object_set_new(m, "bonus", bonus_json(*v));
                if (const mt_result *r = v->required_failed())
                    json_object_set_new(m, "required_failed", json_string(r->test->name.c_str()));
                if (!v->built) json_object_set_new(m, "error", json_string(v->build_error.c_str()));
                long cpu = 0;
                for (const mt_result &r : v->results) cpu += r.cpu_ms;
                json_object_set_new(m, "build_ms", json_integer(v->build_ms));
                json_object_set_new(m, "build_cpu_ms", json_integer(v->build_cpu_ms));
                json_object_set_new(m, "test_ms", test_ms(*v));
                json_object_set_new(m, "tests_cpu_ms", json_integer(cpu));
                json_array_append_new(mutants, m);
            } else {
                json_t *s = variant_json(*v);
                json_object_set_new(s, "dir", json_string(v->sub_dir.c_str()));
                json_object_set_new(s, "passed", json_boolean(v->passed()));
                json_object_set_new(s, "bonus_tests", tests_json(*v, true));
                json_array_append_new(subs, s);
            }
        }
        if (grading) json_object_set_new(e, "submissions", subs);
        else json_decref(subs);
        if (!grading) json_object_set_new(e, "mutants", mutants);
        else json_decref(mutants);
        json_array_append_new(exs, e);
    }
    json_t *batch = json_array();
    for (const std::string &b : meta.batch) json_array_append_new(batch, json_string(b.c_str()));
    json_t *run = json_pack("{s:s, s:s, s:o, s:i, s:{s:i, s:i}}", "command", meta.command.c_str(), "pack",
                            meta.pack.c_str(), "batch", batch, "variants", meta.variants, "shard", "index", meta.shard_i,
                            "count", meta.shard_n);
    json_t *timing = json_pack("{s:I, s:I, s:i, s:I, s:I, s:I, s:I}", "wall_ms", (json_int_t)meta.wall_ms, "prelude_ms",
                               (json_int_t)meta.prelude_ms, "jobs", meta.jobs,
                               "build_ms", (json_int_t)all[0], "tests_ms", (json_int_t)all[1], "build_cpu_ms",
                               (json_int_t)all[2], "tests_cpu_ms", (json_int_t)all[3]);
    return json_pack("{s:o, s:o, s:o}", "moulinette", run, "timing", timing, "exercises", exs);
}

int mt_dump_json(const std::string &path, json_t *report)
{
    int rc = json_dump_file(report, path.c_str(), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (rc < 0) fprintf(stderr, "moulinette: cannot write %s\n", path.c_str());
    return rc;
}

int mt_write_json(const std::string &path, const std::vector<mt_exercise_run> &runs, bool grading,
                  const mt_report_meta &meta)
{
    json_t *root = mt_report_json(runs, grading, meta);
    int rc = mt_dump_json(path, root);
    json_decref(root);
    return rc;
}

static std::string xml_escape(const std::string &s)
{
    std::string o;
    for (unsigned char c : s) {
        if (c == '&') o += "&amp;";
        else if (c == '<') o += "&lt;";
        else if (c == '>') o += "&gt;";
        else if (c == '"') o += "&quot;";
        else if (c < 0x20 && c != '\n' && c != '\t') o += ' ';
        else o += (char)c;
    }
    return o;
}

int mt_write_junit(const std::string &path, const std::vector<mt_exercise_run> &runs, bool grading)
{
    FILE *f = fopen(path.c_str(), "w");
    if (!f) {
        fprintf(stderr, "moulinette: cannot write %s\n", path.c_str());
        return -1;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (const mt_exercise_run &ex : runs) {
        for (mt_variant *v : ex.variants) {
            std::string suite = ex.spec->id + "/" + variant_name(*v);
            if (v->kind == MT_MUTANT) {
                // A mutant is one test case: it passes when the suite catches the mutant.
                fprintf(f, "  <testsuite name=\"%s\" tests=\"1\" failures=\"%d\">\n", xml_escape(suite).c_str(), v->killed() ? 0 : 1);
                fprintf(f, "    <testcase classname=\"%s\" name=\"mutant %s is killed\">", xml_escape(ex.spec->id).c_str(),
                        xml_escape(v->mutant->id).c_str());
                if (!v->killed())
                    fprintf(f, "<failure message=\"%s\"/>", xml_escape(v->built ? "survived every test" : v->build_error).c_str());
                fprintf(f, "</testcase>\n  </testsuite>\n");
                continue;
            }
            int failures = 0;
            for (const mt_result &r : v->results) failures += !r.passed && (r.ran || !v->built);
            fprintf(f, "  <testsuite name=\"%s\" tests=\"%zu\" failures=\"%d\">\n", xml_escape(suite).c_str(), v->results.size(), failures);
            for (const mt_result &r : v->results) {
                fprintf(f, "    <testcase classname=\"%s\" name=\"%s\" time=\"%.3f\">", xml_escape(suite).c_str(),
                        xml_escape(r.test->name).c_str(), r.ms / 1000.0);
                if (!r.passed && (r.ran || !v->built)) fprintf(f, "<failure message=\"%s\"/>", xml_escape(r.detail).c_str());
                else if (!r.ran) fprintf(f, "<skipped message=\"%s\"/>", xml_escape(r.detail).c_str());
                fprintf(f, "</testcase>\n");
            }
            if (!v->spec->forbidden_symbols.empty()) {
                fprintf(f, "    <testcase classname=\"%s\" name=\"norm\">", xml_escape(suite).c_str());
                if (!v->norm_error.empty()) fprintf(f, "<failure message=\"%s\"/>", xml_escape(v->norm_error).c_str());
                fprintf(f, "</testcase>\n");
            }
            fprintf(f, "  </testsuite>\n");
        }
    }
    (void)grading;
    fprintf(f, "</testsuites>\n");
    return fclose(f);
}

int mt_write_gradescope(const std::string &path, const mt_variant &v)
{
    json_t *tests = json_array();
    for (const mt_result &r : v.results) {
        json_t *t = json_pack("{s:s, s:i, s:i, s:s, s:s}", "name", r.test->name.c_str(), "score",
                              r.passed && v.norm_error.empty() ? r.test->points : 0, "max_score", r.test->points, "status",
                              r.passed ? "passed" : "failed", "output", r.passed ? "" : r.detail.c_str());
        if (r.test->bonus) json_object_set_new(t, "tags", json_pack("[s]", "bonus"));
        json_array_append_new(tests, t);
    }
    std::string out = v.build_error.empty() ? "" : v.build_error + "\n";
    if (!v.norm_error.empty()) out += "Norm: " + v.norm_error + " — the total is 0.\n";
    if (const mt_result *r = v.required_failed())
        out += "required test failed: " + r->test->name + " — the submission fails whatever its total.\n";
    json_t *root = json_pack("{s:i, s:s, s:o}", "score", v.score(), "output", out.c_str(), "tests", tests);
    int rc = json_dump_file(root, path.c_str(), JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (rc < 0) fprintf(stderr, "moulinette: cannot write %s\n", path.c_str());
    return rc;
}
