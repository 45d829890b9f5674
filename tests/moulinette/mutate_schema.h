// mutate_schema.h — mutant schemata for `moulinette mutate`: one graded file compiled once with
// every operator mutant inside, each behind a runtime switch `netlab_mut(id)` that the variable
// NL_MUTANT turns on, so a mutant costs its tests and no build. NL_MUTANT_TRACE names a file the
// schema marks, one byte per mutant, when a test reaches that mutant's guard.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

struct ms_mutant {
    int id = 0;                  // its NL_MUTANT value, from 1
    size_t start = 0, end = 0;   // the bytes the mutant replaces...
    std::string repl;            // ...by this
    size_t gs = 0, ge = 0;       // its site: the whole expression or statement the guard replaces
    bool stmt = false;           // the site is a statement
    bool test = false;           // the site is a condition (a negated one): its branches are made bool
    bool in_schema = false;      // false: built alone, the classic way (why says why)
    std::string why;
};

// One rendering of a file's schema, and where each site and each mutant's text landed in it.
struct ms_schema {
    std::string text;
    size_t prefix_lines = 0;     // lines before the original line 1 (a #line directive resets it)
    struct span {
        size_t b, e;
        int site;                // index in sites
        ms_mutant *mutant;       // null: the site's guard or its original text
    };
    std::vector<span> spans;
    std::vector<std::vector<ms_mutant *>> sites;
};

// The schema of src with every mutant whose in_schema is set; a mutant whose site overlaps another
// site without nesting in it is taken out (in_schema false, why set).
ms_schema ms_render(const std::string &src, const std::vector<ms_mutant *> &mutants);

// The mutants a compiler's diagnostics about the schema file `path` point at (the innermost site
// around each position: the mutant whose text holds it, else every mutant of the site). *unplaced
// is set when some error points at no site at all.
std::vector<ms_mutant *> ms_blame(const ms_schema &s, const std::string &path, const std::string &diagnostics,
                                  bool *unplaced);

// Takes out of the schema (in_schema false, why set) every mutant the compiler refuses there, until
// compile(text, &diagnostics) accepts it: first the mutants the diagnostics point at, then, for an
// error no site explains (a constant that a later declaration needed), by halving the sites.
// Returns 0, or -1 when even the schema without any mutant does not compile.
int ms_settle(const std::string &src, const std::string &path, std::vector<ms_mutant *> &mutants,
              const std::function<bool(const std::string &text, std::string *diagnostics)> &compile, int *compiles);
