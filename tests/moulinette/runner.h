// runner.h — builds variants (reference, mutants, submissions) in temporary copies and runs their
// tests in the sandbox, spreading the work over --jobs worker slots.
#pragma once
#include "spec.h"

#include <functional>
#include <string>
#include <vector>

enum mt_variant_kind { MT_REFERENCE, MT_MUTANT, MT_SUBMISSION };

struct mt_result {
    const mt_test *test = nullptr;
    bool ran = false;
    bool passed = false;
    long ms = 0;
    long cpu_ms = 0;       // CPU (user + system) of the test process and the children it waited for
    std::string detail;    // why it failed, or why it did not run
};

struct mt_variant {
    const mt_spec *spec = nullptr;
    mt_variant_kind kind = MT_REFERENCE;
    const mt_mutant *mutant = nullptr;   // MT_MUTANT
    std::string sub_dir;                 // MT_SUBMISSION: the student's folder
    bool bonus = true;                   // built with the bonus files
    bool built = false;
    std::string build_error;             // patch or build failure, with the tail of its log
    std::string norm_error;              // empty when no forbidden symbol is used
    std::vector<mt_result> results;      // one per spec test, same order

    // A mutant is built from its reference's objects: only the files its patch touched recompile.
    mt_variant *ref = nullptr;
    std::vector<mt_variant *> dependents; // mutants waiting for this reference's build
    // A hand-written mutant's tests start once its reference's tests are over: each one's time
    // limit is then 4x the reference's time for it + 5 s (within the spec's), so a mutant that
    // hangs costs seconds, not the spec's limit, on every test (validate only; a submission always
    // gets the spec's limits).
    int ref_tests_pending = 0;           // reference: its tests not over yet
    std::vector<mt_variant *> awaiting;  // reference: mutants built, waiting for its times
    std::string src_dir, build_dir;      // where this variant was built
    long build_ms = 0;                   // preparing the sources and building (every sanitizer variant)
    long build_cpu_ms = 0;               // CPU of those commands (make and the compilers it ran)
    int tests_left = 0;                  // tests not finished yet (the progress line)

    // moulinette mutate (mutate.cpp): the tests run one after the other in the order order()
    // gives (it may leave tests out), stopping at the first failure; test_timeout_s (one per
    // result, 0 = the spec's) overrides the time limits; done() is called once the variant is over.
    bool until_first_failure = false;
    std::function<std::vector<size_t>(const mt_variant *)> order;
    std::function<void(mt_variant *)> done;
    std::vector<int> test_timeout_s;
    std::string make_args;               // appended to this variant's make command (e.g. CXXFLAGS=-O0)
    std::string san_make_args;           // appended to its sanitizer builds' make commands
    // No norm check: the schema's own switch (mutate_schema.cpp) calls open/mmap/getenv, which an
    // exercise's norm may forbid; the norm of the reference and of classic mutants is checked as usual.
    bool skip_norm = false;
    // Mutant schemata (mutate_schema.h): a variant that runs its tests on another variant's build
    // (built, maybe in an earlier run, into its keep_dir), with test_env(i) added to test i's
    // environment (NL_MUTANT=<id>, NL_MUTANT_TRACE=<file>).
    const mt_variant *build_from = nullptr;
    std::string keep_dir;                // build here, not in the run's temporary folder; kept after it
    std::function<std::vector<std::string>(size_t)> test_env;
    // Folders outside its own that its tests write to (the schema's trace files): seen through the
    // sandbox's private /tmp (sandbox.h, mt_isolation keep).
    std::vector<std::string> test_keep;

    int score() const;                   // base points passed (0 when the norm fails)
    int bonus_score() const;             // bonus points passed (0 when the norm fails)
    // The first gating test ("required": true) that did not pass, or null.
    const mt_result *required_failed() const;
    // The verdict: built, the total reaches the passing score, and no gating test failed.
    bool passed() const;
    bool all_passed() const;             // every test that ran passed, nothing failed to build
    bool killed() const;                 // mutant: at least one test (or the norm) failed
    bool rejected() const { return built && !passed(); }   // mutant: the verdict is "failed"
    // Mutant: killed, yet it loses no point at all (full base and bonus totals, no gate failed).
    bool free_kill() const;
};

struct mt_options {
    std::string root;          // repository root
    std::string build;         // the main build folder (common libs, moulinette)
    std::string san;           // sanitizer of this build ("" for none)
    // Where the shared libraries and suite objects of a sanitizer build live (root/build-<san>).
    std::string build_for(const std::string &test_san) const
    {
        return test_san.empty() || test_san == san ? build : root + "/build-" + test_san;
    }
    int jobs = 2;
    bool verbose = false;
    bool progress = false;     // a live progress line on the terminal
};

// Builds and runs every variant; fills their results. Returns 0, or -1 if the grader itself failed.
int mt_run_variants(const mt_options &opt, std::vector<mt_variant> *variants);
