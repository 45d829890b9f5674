// raft_sim.cpp — the EX02 demo: runs a Raft cluster in the deterministic simulator and prints a
// timeline of faults, elections, leaders and commits, then which properties held. `raft_sim --seed S`
// replays exactly the schedule the test suite ran for seed S.
#include "raft_cluster.h"

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>

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
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : nullptr;
        bool ok = true;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--seed")) {
            ok = parse_u64(v, &seed), i++;
        } else if (!strcmp(a, "--nodes")) {
            ok = parse_u64(v, &nodes) && nodes >= 1 && nodes <= 9, i++;
        } else if (!strcmp(a, "--drop")) {
            ok = parse_prob(v, &drop), i++;
        } else if (!strcmp(a, "--dup")) {
            ok = parse_prob(v, &dup), i++;
        } else if (!strcmp(a, "--steps")) {
            ok = parse_u64(v, &steps) && steps > 0, i++;
        } else if (!strcmp(a, "--delay")) {
            const char *dash = v ? strchr(v, '-') : nullptr;
            ok = dash && parse_u64(std::string(v, dash).c_str(), &dmin) && parse_u64(dash + 1, &dmax) && dmin <= dmax;
            have_delay = true, i++;
        } else if (!strcmp(a, "--no-partitions")) {
            no_part = true;
        } else if (!strcmp(a, "--no-crashes")) {
            no_crash = true;
        } else if (!strcmp(a, "--verbose")) {
            verbose = true;
        } else {
            fprintf(stderr, "raft_sim: unknown option '%s' (see --help)\n", a);
            return 2;
        }
        if (!ok) {
            fprintf(stderr, "raft_sim: bad or missing value for %s: '%s' (see --help)\n", a, v ? v : "");
            return 2;
        }
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
