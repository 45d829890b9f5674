// report.h — what the moulinette prints and writes: the terminal table and matrix, the JSON report
// (schema in README.md), JUnit XML and Gradescope's results.json.
#pragma once
#include "runner.h"

#include <string>
#include <vector>

struct mt_exercise_run {
    const mt_spec *spec;
    std::vector<mt_variant *> variants;   // this exercise's variants in this run (this shard)
};

void mt_print_validate(const mt_exercise_run &ex, bool color);
void mt_print_grade(const mt_variant &v, bool color);

// Problems that make `validate` fail for this exercise, one sentence each.
std::vector<std::string> mt_validate_problems(const mt_exercise_run &ex);

int mt_write_json(const std::string &path, const std::vector<mt_exercise_run> &runs, bool grading);
int mt_write_junit(const std::string &path, const std::vector<mt_exercise_run> &runs, bool grading);
int mt_write_gradescope(const std::string &path, const mt_variant &v);
