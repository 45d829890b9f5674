// spec.h — an exercise's spec.json, loaded and checked (every error names the file and the field).
#pragma once
#include <string>
#include <vector>

struct mt_test {
    std::string name;
    int points = 0;
    std::string category;
    int timeout_s = 0;      // 0: the exercise's default
    bool bonus = false;
    std::string san;        // "thread", "address" or "undefined": runs against that sanitizer build
    bool required = false;  // gating: failing it fails the submission whatever the total
};

struct mt_mutant {
    std::string id;
    std::string patch;      // path relative to the exercise folder
    std::string category;
    std::string why;
    bool seed = false;      // listed by the seed as expected to fail: validate wants it rejected
};

struct mt_spec {
    std::string id;         // path from the repository root, e.g. ex00_echo
    std::string dir;        // absolute folder of the exercise
    std::string title;
    std::vector<std::string> files, bonus_files;
    int passing_score = 70;
    int timeout_s = 30;
    std::vector<mt_test> tests;        // base tests then bonus tests (bonus = true)
    std::vector<std::string> forbidden_symbols;
    std::vector<mt_mutant> mutants;
};

// Loads <root>/<id>/spec.json. Returns 0, or -1 with a message in *err. With for_grading, the
// reference files and mutant patches need not exist (a student pack has neither).
int mt_spec_load(const std::string &root, const std::string &id, mt_spec *spec, std::string *err,
                 bool for_grading = false);

// Every exercise id under root (folders ex*/ and exercises_5_4/*/ holding a spec.json), sorted.
std::vector<std::string> mt_find_exercises(const std::string &root);

int mt_spec_max_points(const mt_spec &spec);   // sum of base test points (100 when valid)
int mt_spec_bonus_max(const mt_spec &spec);    // sum of bonus test points (0 without bonus)

// The sanitizers some tests of these specs ask for, other than the grader's own build's.
std::vector<std::string> mt_extra_sans(const std::vector<const mt_spec *> &specs, const std::string &own_san);
