// report.h — what the moulinette prints and writes: the terminal table and matrix, the JSON report
// (schema in README.md), JUnit XML and Gradescope's results.json.
#pragma once
#include "runner.h"

#include <jansson.h>

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

// What the JSON report says of the run itself (the "moulinette" and "timing" objects): which pack
// (a fingerprint of the exercises' files), which batch, which shard; merge checks shards by it.
struct mt_report_meta {
    std::string command;                  // "validate" or "grade"
    std::string pack;                     // mt_pack_fingerprint()
    std::vector<std::string> batch;       // validate: exercise ids; grade: the exercise then every DIR given
    int variants = 0;                     // in the whole batch (every shard)
    int shard_i = 1, shard_n = 1;
    int jobs = 1;
    long wall_ms = 0;                     // building and running the variants
    long prelude_ms = 0;                  // before: the shared libraries and suite objects
};

// The report as a JSON document (schema in README.md); the caller owns it.
json_t *mt_report_json(const std::vector<mt_exercise_run> &runs, bool grading, const mt_report_meta &meta);
int mt_write_json(const std::string &path, const std::vector<mt_exercise_run> &runs, bool grading,
                  const mt_report_meta &meta);
int mt_dump_json(const std::string &path, json_t *report);
int mt_write_junit(const std::string &path, const std::vector<mt_exercise_run> &runs, bool grading);
int mt_write_gradescope(const std::string &path, const mt_variant &v);
