// nl_opt.cpp — the table of nl_opt becomes getopt_long's struct option array; each value is checked
// as it is read, so the first bad one stops the program with a message that names its option.
#include "nl_opt.h"
#include "nl_socket.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <getopt.h>
#include <string>
#include <vector>

int nl_opt_fail(const char *prog, const char *name, const char *usage, const char *why)
{
    fprintf(stderr, "%s: --%s: %s\n%s", prog, name, why, usage);
    return NL_OPT_ERROR;
}

bool nl_opt_value(const char *prog, const char *name, const char *arg, uint64_t min, uint64_t max, uint64_t *out)
{
    char err[160];
    if (nl_parse_u64(arg, min, max, out, err, sizeof err) == 0) return true;
    fprintf(stderr, "%s: --%s: %s (see --help)\n", prog, name, err);
    return false;
}

static int set_value(const char *prog, const char *usage, const nl_opt *o, const char *arg)
{
    char err[160];
    switch (o->kind) {
    case NL_OPT_FLAG:
        *(bool *)o->out = true;
        break;
    case NL_OPT_STRING:
        if (!arg || !*arg) return nl_opt_fail(prog, o->name, usage, "needs a non-empty value");
        *(const char **)o->out = arg;
        break;
    case NL_OPT_ANY:
        *(const char **)o->out = arg ? arg : "";
        break;
    case NL_OPT_LIST:
        if (!arg || !*arg) return nl_opt_fail(prog, o->name, usage, "needs a non-empty value");
        ((std::vector<std::string> *)o->out)->push_back(arg);
        break;
    case NL_OPT_U64: {
        uint64_t v;
        if (nl_parse_u64(arg, o->min, o->max, &v, err, sizeof err) < 0) return nl_opt_fail(prog, o->name, usage, err);
        *(uint64_t *)o->out = v;
        break;
    }
    case NL_OPT_DOUBLE: {
        errno = 0;
        char *end = nullptr;
        double v = arg && *arg ? strtod(arg, &end) : NAN;
        if (!arg || !*arg || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
            snprintf(err, sizeof err, "'%s' is not a number", arg ? arg : "");
            return nl_opt_fail(prog, o->name, usage, err);
        }
        if (v < o->dmin || v > o->dmax) {
            snprintf(err, sizeof err, "%s is out of range [%g, %g]", arg, o->dmin, o->dmax);
            return nl_opt_fail(prog, o->name, usage, err);
        }
        *(double *)o->out = v;
        break;
    }
    }
    if (o->seen) *o->seen = true;
    return NL_OPT_OK;
}

int nl_opt_parse(int argc, char **argv, const char *prog, const char *usage, const nl_opt *opts, size_t nopts,
                 int *positional)
{
    // Long options map to 256 + index, so a table needs no letters; "h" and --help are always there.
    std::vector<struct option> longs;
    std::string shorts = ":h";  // leading ':' : a missing value is reported as ':' (named below)
    for (size_t i = 0; i < nopts; i++) {
        int has = opts[i].kind == NL_OPT_FLAG ? no_argument : required_argument;
        longs.push_back({opts[i].name, has, nullptr, 256 + (int)i});
        if (opts[i].short_name) {
            shorts += opts[i].short_name;
            if (has == required_argument) shorts += ':';
        }
    }
    longs.push_back({"help", no_argument, nullptr, 'h'});
    longs.push_back({nullptr, 0, nullptr, 0});
    optind = 0;  // a fresh scan, also when called twice (tests, fuzzers)
    opterr = 0;  // the messages below name the option in one format
    for (;;) {
        int c = getopt_long(argc, argv, shorts.c_str(), longs.data(), nullptr);
        if (c == -1) break;
        if (c == 'h') {
            fputs(usage, stdout);
            return NL_OPT_HELP;
        }
        const char *bad = optind - 1 < argc && optind >= 1 ? argv[optind - 1] : "?";
        if (c == '?' || c == ':') {
            // optopt is the letter for a short option, 0 or the value for a long one: use the word.
            std::string word = bad;
            if (c == ':' && optopt && optopt < 256) word = std::string("-") + (char)optopt;
            else if (c == ':' && optopt >= 256) word = std::string("--") + opts[optopt - 256].name;
            else if (c == '?' && optopt && optopt < 256 && word.rfind("--", 0) != 0) word = std::string("-") + (char)optopt;
            fprintf(stderr, "%s: %s: %s\n%s", prog, word.c_str(),
                    c == ':' ? "needs a value" : "unknown option (or a value it does not take)", usage);
            return NL_OPT_ERROR;
        }
        const nl_opt *o = nullptr;
        if (c >= 256) o = &opts[c - 256];
        else
            for (size_t i = 0; i < nopts; i++)
                if (opts[i].short_name == c) o = &opts[i];
        if (!o) return nl_opt_fail(prog, bad, usage, "unknown option");
        int rc = set_value(prog, usage, o, optarg);
        if (rc != NL_OPT_OK) return rc;
    }
    if (positional) *positional = optind;
    else if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n%s", prog, argv[optind], usage);
        return NL_OPT_ERROR;
    }
    return NL_OPT_OK;
}
