// nl_opt.h — one command-line parser for every program: a table of long options handed to
// getopt_long. A bad, missing or out-of-range value, an unknown option or an unexpected argument is
// reported on stderr as "PROG: --NAME: why" followed by the usage text, and the program exits with
// status 2 before it starts anything; --help (or -h) prints the usage text on stdout (status 0).
#pragma once
#include <cstddef>
#include <cstdint>

enum nl_opt_kind {
    NL_OPT_FLAG,    // no value: *(bool *)out = true
    NL_OPT_STRING,  // *(const char **)out = the value (a non-empty string)
    NL_OPT_U64,     // *(uint64_t *)out = a decimal integer in [min, max]
    NL_OPT_DOUBLE,  // *(double *)out = a finite number in [dmin, dmax]
    NL_OPT_ANY,     // *(const char **)out = the value, even empty (the program checks it)
    NL_OPT_LIST,    // repeatable: each non-empty value is appended to *(std::vector<std::string> *)out
};

struct nl_opt {
    const char *name;    // long name without the dashes: "port" for --port
    nl_opt_kind kind;
    void *out;
    uint64_t min = 0, max = UINT64_MAX;  // NL_OPT_U64
    double dmin = 0, dmax = 0;           // NL_OPT_DOUBLE
    bool *seen = nullptr;                // set to true when the option is on the command line
    char short_name = 0;                 // optional one-letter form ('p' for -p)
};

enum { NL_OPT_OK = 0, NL_OPT_HELP = 1, NL_OPT_ERROR = 2 };

// Parses argv. Positional arguments: when positional is NULL there must be none; otherwise
// *positional is the index of the first one (argv is permuted by getopt_long: options first).
// Returns NL_OPT_OK, NL_OPT_HELP (usage printed on stdout: exit 0) or NL_OPT_ERROR (message and usage
// printed on stderr: exit 2). The exit status to use is the return value itself.
int nl_opt_parse(int argc, char **argv, const char *prog, const char *usage, const nl_opt *opts, size_t nopts,
                 int *positional);

// For checks across options after parsing: prints "PROG: --NAME: why" and the usage text on stderr,
// returns NL_OPT_ERROR (2).
int nl_opt_fail(const char *prog, const char *name, const char *usage, const char *why);

// For a program that keeps its own getopt_long switch: checks one value (decimal, in [min, max]);
// false after printing "PROG: --NAME: why (see --help)" on stderr (the caller exits with status 2).
bool nl_opt_value(const char *prog, const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out);
