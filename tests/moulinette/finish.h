// finish.h — the end of a run, shared by validate, grade and merge: the terminal tables, the time
// summary, the report files asked for, and the exit status.
#pragma once
#include "report.h"

#include <jansson.h>
#include <string>
#include <vector>

struct mt_outputs {
    std::string json, junit, gradescope, html;
};

// doc is the run's JSON report (mt_report_json, or a merge of shard reports); runs are its variants.
// Return the exit status: validate 0 when no problem, grade 0 when every submission passes.
int mt_finish_validate(const std::vector<mt_exercise_run> &runs, json_t *doc, const mt_outputs &out, bool color);
int mt_finish_grade(const mt_exercise_run &ex, json_t *doc, const mt_outputs &out, bool color);

// Where the time went, per exercise (reference and mutants: build, tests) and in all, from doc.
void mt_print_timing(json_t *doc, FILE *f);
