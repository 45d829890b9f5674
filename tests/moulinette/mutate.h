// mutate.h — `moulinette mutate EX`: operator mutants of the reference's graded files (mull's
// catalogue, generated from clang's view of the code by mutate_gen.py), each built from the
// reference's objects and run until its first failing test; the mutation score and every survivor.
#pragma once
#include "runner.h"
#include "spec.h"

#include <string>
#include <vector>

struct mt_mutate_options {
    std::string json;   // --json FILE: the whole report
    std::string file;   // --file F: only this graded file
    int max = 0;        // --max N: at most N mutants, spread evenly over the files (0: all)
    std::string from;   // --from F: a previous --json report; only its survivors run again
    bool classic = false;   // --classic: build every mutant alone (no schema, every test reachable)
};

// Returns 0 when the score reaches 90%, 1 below it, 2 when the run itself failed.
int mt_cmd_mutate(const mt_options &opt, const std::string &id, const mt_mutate_options &mo);

// main.cpp: the shared libraries and the suite objects (with the oracle) of these specs.
int mt_ensure_libs(const mt_options &opt, const std::vector<mt_spec> &specs);
int mt_ensure_test_objs(const mt_options &opt, const std::vector<mt_spec> &specs);
