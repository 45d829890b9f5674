// finish.cpp — prints and writes what a run found; validate, grade and merge end here, so a merged
// report prints and exits exactly as the unsharded run would.
#include "finish.h"
#include "html.h"

#include <cstdio>

static int write_files(const std::vector<mt_exercise_run> &runs, json_t *doc, const mt_outputs &out, bool grading)
{
    int rc = 0;
    if (!out.json.empty()) rc |= mt_dump_json(out.json, doc) < 0;
    if (!out.junit.empty()) rc |= mt_write_junit(out.junit, runs, grading) != 0;
    if (!out.html.empty()) rc |= mt_write_html(out.html, doc) < 0;
    return rc;
}

static const mt_variant *first_reference(const std::vector<mt_exercise_run> &runs)
{
    for (const mt_exercise_run &ex : runs)
        for (mt_variant *v : ex.variants)
            if (v->kind == MT_REFERENCE) return v;
    return nullptr;
}

static void shard_of(json_t *doc, int *i, int *n)
{
    json_t *s = json_object_get(json_object_get(doc, "moulinette"), "shard");
    *i = (int)json_integer_value(json_object_get(s, "index"));
    *n = (int)json_integer_value(json_object_get(s, "count"));
}

int mt_finish_validate(const std::vector<mt_exercise_run> &runs, json_t *doc, const mt_outputs &out, bool color)
{
    std::vector<std::string> problems;
    int mutants = 0, killed = 0, checks = 0;
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(doc, "spec_problems"), i, p) problems.push_back(json_string_value(p));
    for (const mt_exercise_run &ex : runs) {
        mt_print_validate(ex, color);
        for (const std::string &p : mt_validate_problems(ex)) problems.push_back(p);
        for (mt_variant *v : ex.variants) {
            if (v->kind == MT_MUTANT) {
                mutants++;
                killed += v->killed();
            }
            checks += v->kind == MT_MUTANT ? 1 : (int)v->results.size();
        }
        printf("\n");
    }
    if (!out.gradescope.empty())
        if (const mt_variant *ref = first_reference(runs)) mt_write_gradescope(out.gradescope, *ref);
    int rc = write_files(runs, doc, out, false);
    mt_print_timing(doc, stdout);
    int si, sn;
    shard_of(doc, &si, &sn);
    printf("%zu exercise(s), %d mutant(s), %d killed", runs.size(), mutants, killed);
    if (sn > 1) printf(" (shard %d/%d)", si, sn);
    printf("\n");
    for (const std::string &p : problems) printf("PROBLEM: %s\n", p.c_str());
    // The plain closing line CI reads: every reference test and every mutant is one check.
    int failed = (int)problems.size();
    printf("moulinette: %d passed, %d failed\n", checks - failed, failed);
    return problems.empty() && rc == 0 ? 0 : 1;
}

int mt_finish_grade(const mt_exercise_run &ex, json_t *doc, const mt_outputs &out, bool color)
{
    bool all_pass = true;
    for (mt_variant *v : ex.variants) {
        mt_print_grade(*v, color);
        all_pass &= v->passed();
    }
    if (!out.gradescope.empty() && !ex.variants.empty()) mt_write_gradescope(out.gradescope, *ex.variants[0]);
    write_files({ex}, doc, out, true);
    return all_pass ? 0 : 1;
}

static long ms_of(json_t *o, const char *key) { return (long)json_integer_value(json_object_get(o, key)); }

void mt_print_timing(json_t *doc, FILE *f)
{
    json_t *exs = json_object_get(doc, "exercises"), *e, *timing = json_object_get(doc, "timing");
    size_t i;
    long slot_ms = 0, cpu_ms = 0;
    int mutants = 0;
    // Slot time is how long a job slot was taken; CPU is what it used. Slots far above CPU mean the
    // tests wait (clocks, timeouts): more --jobs than cores would finish sooner.
    fprintf(f, "time per exercise (job-slot time / CPU)   build              tests          variants\n");
    json_array_foreach(exs, i, e)
    {
        json_t *t = json_object_get(e, "timing");
        int n = (json_object_get(e, "reference") ? 1 : 0) + (int)json_array_size(json_object_get(e, "mutants")) +
                (int)json_array_size(json_object_get(e, "submissions"));
        mutants += (int)json_array_size(json_object_get(e, "mutants"));
        slot_ms += ms_of(t, "build_ms") + ms_of(t, "tests_ms");
        cpu_ms += ms_of(t, "build_cpu_ms") + ms_of(t, "tests_cpu_ms");
        fprintf(f, "  %-38s %7.1f s / %5.1f s %7.1f s / %5.1f s %5d\n", json_string_value(json_object_get(e, "id")),
                ms_of(t, "build_ms") / 1000.0, ms_of(t, "build_cpu_ms") / 1000.0, ms_of(t, "tests_ms") / 1000.0,
                ms_of(t, "tests_cpu_ms") / 1000.0, n);
    }
    long wall = ms_of(timing, "wall_ms");
    int jobs = (int)ms_of(timing, "jobs");
    if (ms_of(timing, "prelude_ms") > 0)
        fprintf(f, "  before the variants: %.1f s building the shared libraries and suite objects\n", ms_of(timing, "prelude_ms") / 1000.0);
    fprintf(f, "  wall %.1f s with --jobs %d: job slots busy %.0f%%, CPU %.1f s (%.0f%% of the slots' time)", wall / 1000.0,
            jobs, wall > 0 && jobs > 0 ? 100.0 * slot_ms / ((double)wall * jobs) : 0.0, cpu_ms / 1000.0,
            slot_ms > 0 ? 100.0 * cpu_ms / slot_ms : 0.0);
    if (mutants && wall > 0) fprintf(f, ", %.1f mutants graded per minute", mutants * 60000.0 / (double)wall);
    fprintf(f, "\n");
}
