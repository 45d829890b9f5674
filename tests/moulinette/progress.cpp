// progress.cpp — counts and the live line of progress.h. The estimate extrapolates the fraction done,
// the mean of the tests' and the variants' fractions (builds cost as much as tests in many exercises):
// rough at the start, close once a few exercises are done.
#include "progress.h"

#include <ctime>

long mt_progress_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void mt_progress_add(mt_progress *p, mt_variant *v)
{
    if (!p->start_ms) p->start_ms = mt_progress_now_ms();
    v->tests_left = (int)v->results.size();
    p->tests_total += v->tests_left;
    if (v->kind == MT_MUTANT) p->mutants_total++;
    p->variants_total++;
    if (p->variants_left[v->spec]++ == 0) p->exercises_total++;
}

static void variant_finished(mt_progress *p, mt_variant *v)
{
    if (v->kind == MT_MUTANT) p->mutants_done++;
    p->variants_done++;
    if (--p->variants_left[v->spec] == 0) p->exercises_done++;
}

void mt_progress_tests_done(mt_progress *p, mt_variant *v, int n)
{
    p->tests_done += n;
    bool was_open = v->tests_left > 0;
    v->tests_left -= n;
    // A variant with no test at all finishes with its build (n == 0).
    if ((was_open || n == 0) && v->tests_left <= 0) variant_finished(p, v);
}

static void clock_text(long s, char *buf, size_t len)
{
    if (s >= 3600) snprintf(buf, len, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else snprintf(buf, len, "%ld:%02ld", s / 60, s % 60);
}

void mt_progress_print(const mt_progress &p, FILE *f)
{
    long elapsed = (mt_progress_now_ms() - p.start_ms) / 1000;
    char el[32], left[48] = "";
    clock_text(elapsed, el, sizeof el);
    double frac = p.tests_total && p.variants_total
                      ? 0.5 * p.tests_done / p.tests_total + 0.5 * p.variants_done / p.variants_total : 0;
    if (frac > 0.02 && frac < 1) {
        char t[32];
        clock_text((long)(elapsed * (1 - frac) / frac), t, sizeof t);
        snprintf(left, sizeof left, " · ~%s left", t);
    }
    fprintf(f, "\r  exercises %d/%d · mutants %d/%d · tests %d/%d · %s elapsed%s\033[K", p.exercises_done,
            p.exercises_total, p.mutants_done, p.mutants_total, p.tests_done, p.tests_total, el, left);
    fflush(f);
}
