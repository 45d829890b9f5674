// progress.h — the one live line a long run shows on a terminal: exercises, mutants and tests done,
// time elapsed and an estimate of the time left. Counted under the runner's lock, printed from a copy.
#pragma once
#include "runner.h"

#include <cstdio>
#include <map>

struct mt_progress {
    long start_ms = 0;
    int tests_done = 0, tests_total = 0;
    int mutants_done = 0, mutants_total = 0;
    int exercises_done = 0, exercises_total = 0;
    int variants_done = 0, variants_total = 0;     // references, mutants and submissions
    std::map<const mt_spec *, int> variants_left;   // per exercise: variants not finished yet
};

long mt_progress_now_ms(void);   // monotonic clock
// A variant joins the run (its results already sized).
void mt_progress_add(mt_progress *p, mt_variant *v);
// n of v's tests are finished (run, or skipped because the build failed).
void mt_progress_tests_done(mt_progress *p, mt_variant *v, int n);
// "\r  exercises 3/12 · mutants 40/147 · tests 1200/3600 · 5:12 elapsed · ~9:30 left" (clears the line's end).
void mt_progress_print(const mt_progress &p, FILE *f);
