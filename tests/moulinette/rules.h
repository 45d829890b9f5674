// rules.h — an exercise's rules table (README `## Rules`, rows `| R<n> | rule |`) and the tests that
// check each rule (spec.json tests[].rules): `list --rules` prints them, validate checks them.
#pragma once
#include "spec.h"

#include <string>
#include <vector>

struct mt_rule {
    std::string id, text;
    std::vector<std::string> tests;   // the tests whose "rules" name it
};

struct mt_rules {
    bool has_table = false;             // the README has a `## Rules` section
    std::vector<mt_rule> rules;         // in table order
    std::vector<std::string> problems;  // fail validate: unchecked rule, unknown rule, duplicate id
    std::vector<std::string> warnings;  // no table yet, tests without rules
};

mt_rules mt_rules_load(const mt_spec &spec);
// `moulinette list --rules EX`: every rule, its text and its tests; then the rules no test checks.
// Returns 1 when some rule is unchecked or a problem was found.
int mt_rules_print(const mt_spec &spec, FILE *f);
