// raft_sim.cpp — the EX02 demo: runs a Raft cluster in the deterministic simulator and prints a
// timeline of faults, elections, leaders and commits, then which properties held. `raft_sim --seed S`
// replays exactly the schedule the test suite ran for seed S.
#include "raft_cluster.h"

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <string>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: raft_sim [--seed S] [--nodes N] [--drop P] [--dup P] [--delay MIN-MAX]\n"
            "                [--no-partitions] [--no-crashes] [--steps N] [--verbose]\n"
            "Runs a Raft cluster (raft_core.cpp) in a simulated network for one seeded schedule.\n"
            "Every option but --seed overrides what the seed chose; with --seed alone it replays the\n"
            "test suite's schedule for that seed.\n"
            "  --seed S         schedule seed (default 1)\n"
            "  --nodes N        cluster size, 1..9\n"
            "  --drop P         probability that a message is lost during the faulty phase, 0..1\n"
            "  --dup P          probability that a message is delivered twice, 0..1\n"
            "  --delay MIN-MAX  network delay range in ms\n"
            "  --no-partitions  --no-crashes  disable those faults\n"
            "  --steps N        stop after N simulator events\n"
            "  --verbose        print every simulator event (deliveries, drops, timers)\n"
            "Exit status: 0 when every property held, 1 when one was violated, 2 on a usage error.\n");
}

static bool parse_u64(const char *s, uint64_t *v)
{
    if (!s || !*s || *s == '-') return false;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *v = x;
    return true;
}

static bool parse_prob(const char *s, double *v)
{
    if (!s || !*s) return false;
    char *end;
    double x = strtod(s, &end);
    if (*end || !(x >= 0 && x <= 1)) return false;
    *v = x;
    return true;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, steps = 0, nodes = 0, dmin = 0, dmax = 0;
    double drop = -1, dup = -1;
    bool no_part = false, no_crash = false, verbose = false, have_delay = false;
    enum { O_SEED = 1, O_NODES, O_DROP, O_DUP, O_DELAY, O_NO_PART, O_NO_CRASH, O_STEPS, O_VERBOSE };
    static const struct option longopts[] = {
        {"help", no_argument, nullptr, 'h'},          {"seed", required_argument, nullptr, O_SEED},
        {"nodes", required_argument, nullptr, O_NODES}, {"drop", required_argument, nullptr, O_DROP},
        {"dup", required_argument, nullptr, O_DUP},     {"delay", required_argument, nullptr, O_DELAY},
        {"no-partitions", no_argument, nullptr, O_NO_PART}, {"no-crashes", no_argument, nullptr, O_NO_CRASH},
        {"steps", required_argument, nullptr, O_STEPS}, {"verbose", no_argument, nullptr, O_VERBOSE},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0; // our own messages, which point at --help
    int c, idx = -1;
    while ((c = getopt_long(argc, argv, ":h", longopts, &idx)) != -1) {
        const char *v = optarg;
        bool ok = true;
        switch (c) {
        case 'h': usage(stdout); return 0;
        case O_SEED: ok = parse_u64(v, &seed); break;
        case O_NODES: ok = parse_u64(v, &nodes) && nodes >= 1 && nodes <= 9; break;
        case O_DROP: ok = parse_prob(v, &drop); break;
        case O_DUP: ok = parse_prob(v, &dup); break;
        case O_STEPS: ok = parse_u64(v, &steps) && steps > 0; break;
        case O_DELAY: {
            const char *dash = strchr(v, '-');
            ok = dash && parse_u64(std::string(v, dash).c_str(), &dmin) && parse_u64(dash + 1, &dmax) && dmin <= dmax;
            have_delay = true;
            break;
        }
        case O_NO_PART: no_part = true; break;
        case O_NO_CRASH: no_crash = true; break;
        case O_VERBOSE: verbose = true; break;
        case ':':
            fprintf(stderr, "raft_sim: %s needs a value (see --help)\n", argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "raft_sim: unknown option '%s' (see --help)\n", argv[optind - 1]);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "raft_sim: bad value for --%s: '%s' (see --help)\n", longopts[idx].name, v);
            return 2;
        }
        idx = -1;
    }
    if (optind < argc) {
        fprintf(stderr, "raft_sim: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }

    RaftClusterParams p;
    raft_cluster_params(seed, &p);
    if (nodes) p.nodes = (int)nodes;
    if (drop >= 0) p.drop = drop;
    if (dup >= 0) p.duplicate = dup;
    if (have_delay) p.delay_min_ms = dmin, p.delay_max_ms = dmax;
    if (no_part) p.partitions = false;
    if (no_crash) p.crashes = false;

    printf("raft_sim: seed %" PRIu64 ", %d nodes, drop %.2f, duplicate %.2f, delay %" PRIu64 "-%" PRIu64
           " ms, partitions %s, crashes %s\n",
           seed, p.nodes, p.drop, p.duplicate, p.delay_min_ms, p.delay_max_ms, p.partitions ? "on" : "off",
           p.crashes ? "on" : "off");
    printf("faults for %" PRIu64 " ms, then the network heals; a client proposes to every leader every %" PRIu64
           " ms\n\n",
           p.fault_ms, p.propose_every_ms);

    RaftClusterOptions o{stdout, verbose, steps, 0};
    RaftClusterReport rep;
    int rc = raft_cluster_run(seed, &p, &o, &rep);
    if (rc < 0) {
        fprintf(stderr, "raft_sim: %s\n", rep.first_violation[0].c_str());
        return 2;
    }
    printf("\n%" PRIu64 " events, %" PRIu64 " ms simulated: %" PRIu64 " elections, %" PRIu64
           " leaders, highest term %" PRIu64 ", %" PRIu64 " entries committed\n",
           rep.events, rep.end_ms, rep.elections, rep.leaders, rep.max_term, rep.commits);
    for (int k = 0; k < RAFT_PROP_COUNT; k++) {
        RaftProperty prop = (RaftProperty)k;
        if (steps && prop == RAFT_PROP_LIVENESS && !rep.violated[k]) {
            printf("  %-26s not checked (--steps stopped the run)\n", raft_property_name(prop));
            continue;
        }
        printf("  %-26s %s\n", raft_property_name(prop), rep.violated[k] ? "VIOLATED" : "ok");
        if (rep.violated[k]) printf("    %s\n", rep.first_violation[k].c_str());
    }
    return rc == 0 ? 0 : 1;
}
