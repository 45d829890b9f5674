// main.cpp — booking_server's command line: shows from --stock/--shows, the mode, the key path.
// Given to students; the graded code is booking_stock.cpp and booking_server.cpp.
#include "booking.h"
#include "nl_log.h"
#include "nl_signal.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <string>
#include <vector>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: booking_server [--mode seq|pool|thread] [--workers N] [--key-path P]\n"
            "                      (--stock NAME=SEATS ... | --shows FILE) [--cost-us N]\n"
            "Sells seats over a System V message queue (key: ftok(P, 'B')).\n"
            "  --mode       seq: one request at a time; pool: N workers; thread: one detached thread\n"
            "               per request (default thread)\n"
            "  --workers N  pool size, 1..64 (default 4)\n"
            "  --key-path P file whose ftok key names the queue (default /tmp/booking-<uid>.key;\n"
            "               created 0600 if missing)\n"
            "  --stock NAME=SEATS  a show and its seats (repeatable, up to %d shows)\n"
            "  --shows FILE lines 'NAME SEATS' ('#' starts a comment)\n"
            "  --cost-us N  simulated work per reservation/cancel, between the seat check and the\n"
            "               commit (default 0)\n"
            "First stdout line: 'listening on queue 0xKEY (id N)'. SIGINT/SIGTERM remove the queue.\n",
            BOOKING_MAX_SHOWS);
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool add_show(std::vector<std::string> *names, std::vector<int32_t> *seats, const std::string &name,
                     const char *seat_text, const char *where)
{
    long n;
    const char *why = "";
    if (!parse_long(seat_text, 0, BOOKING_MAX_CAPACITY, &n)) why = "seats must be a number 0..1000000";
    else why = booking_check_show(name.c_str(), n);
    for (const std::string &other : *names)
        if (other == name) why = "show listed twice";
    if (names->size() >= BOOKING_MAX_SHOWS) why = "too many shows (at most 16)";
    if (*why) {
        fprintf(stderr, "booking_server: %s: '%s': %s\n", where, name.c_str(), why);
        return false;
    }
    names->push_back(name);
    seats->push_back((int32_t)n);
    return true;
}

static bool load_shows(const char *path, std::vector<std::string> *names, std::vector<int32_t> *seats)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "booking_server: cannot read %s: %s\n", path, strerror(errno));
        return false;
    }
    char line[256];
    int lineno = 0;
    bool ok = true;
    while (ok && fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char name[64], count[32], extra[2];
        int got = sscanf(line, "%63s %31s %1s", name, count, extra);
        if (got <= 0) continue;
        std::string where = std::string(path) + ":" + std::to_string(lineno);
        if (got != 2) {
            fprintf(stderr, "booking_server: %s: expected 'NAME SEATS'\n", where.c_str());
            ok = false;
        } else {
            ok = add_show(names, seats, name, count, where.c_str());
        }
    }
    fclose(f);
    return ok;
}

int main(int argc, char **argv)
{
    // stdout line-buffered, given here and not left to the server: the "listening on" line (and every
    // later line) reaches a pipe as soon as it is printed, whether or not the server code flushes.
    setvbuf(stdout, nullptr, _IOLBF, 0);
    static const struct option opts[] = {
        {"mode", required_argument, nullptr, 'm'},  {"workers", required_argument, nullptr, 'w'},
        {"key-path", required_argument, nullptr, 'k'}, {"stock", required_argument, nullptr, 's'},
        {"shows", required_argument, nullptr, 'f'}, {"cost-us", required_argument, nullptr, 'c'},
        {"help", no_argument, nullptr, 'h'},        {nullptr, 0, nullptr, 0},
    };
    booking_server_config cfg = {BOOKING_MODE_THREAD, 4, nullptr, nullptr};
    char default_path[256];
    booking_default_key_path(default_path, sizeof default_path);
    cfg.key_path = default_path;
    std::vector<std::string> names;
    std::vector<int32_t> seats;
    long cost_us = 0, v;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, nullptr)) != -1) {
        switch (c) {
        case 'm':
            if (!strcmp(optarg, "seq")) cfg.mode = BOOKING_MODE_SEQ;
            else if (!strcmp(optarg, "pool")) cfg.mode = BOOKING_MODE_POOL;
            else if (!strcmp(optarg, "thread")) cfg.mode = BOOKING_MODE_THREAD;
            else {
                fprintf(stderr, "booking_server: --mode must be seq, pool or thread, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'w':
            if (!parse_long(optarg, 1, 64, &v)) {
                fprintf(stderr, "booking_server: --workers must be 1..64, not '%s'\n", optarg);
                return 2;
            }
            cfg.workers = (int)v;
            break;
        case 'k': cfg.key_path = optarg; break;
        case 's': {
            const char *eq = strchr(optarg, '=');
            if (!eq) {
                fprintf(stderr, "booking_server: --stock wants NAME=SEATS, not '%s'\n", optarg);
                return 2;
            }
            if (!add_show(&names, &seats, std::string(optarg, (size_t)(eq - optarg)), eq + 1, "--stock")) return 2;
            break;
        }
        case 'f':
            if (!load_shows(optarg, &names, &seats)) return 2;
            break;
        case 'c':
            if (!parse_long(optarg, 0, 10000000, &cost_us)) {
                fprintf(stderr, "booking_server: --cost-us must be 0..10000000, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "booking_server: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (names.empty()) {
        fprintf(stderr, "booking_server: no shows: give --stock NAME=SEATS or --shows FILE\n");
        return 2;
    }
    char err[256] = "";  // a failure that forgets to fill it prints an empty message
    if (nl_shutdown_init(err, sizeof err) < 0) {
        fprintf(stderr, "booking_server: %s\n", err);
        return 1;
    }
    std::vector<const char *> cnames;
    for (const std::string &n : names) cnames.push_back(n.c_str());
    cfg.stock = booking_stock_new(cnames.data(), seats.data(), (int)names.size(), (unsigned)cost_us);
    if (!cfg.stock) {
        fprintf(stderr, "booking_server: out of memory\n");
        return 1;
    }
    int rc = booking_server_run(&cfg, err, sizeof err);
    booking_stock_free(cfg.stock);
    if (rc < 0) {
        fprintf(stderr, "booking_server: %s\n", err);
        return 1;
    }
    return 0;
}
