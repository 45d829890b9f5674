// main.cpp — the EX27 demo, raft_deep_sim: runs RdNode servers in the deterministic simulator with
// faults, membership changes and snapshots, prints a timeline, then which properties held.
// `raft_deep_sim --seed S` replays exactly the schedule the test suite ran for seed S.
#include "rd_cluster.h"

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <getopt.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: raft_deep_sim [--seed S] [--slots N] [--members N] [--drop P] [--dup P]\n"
            "                     [--no-partitions] [--no-crashes] [--no-membership] [--threshold N]\n"
            "                     [--steps N] [--verbose] [--quiet]\n"
            "Runs Raft servers (raft_deep.cpp) in a simulated network for one seeded schedule: loss,\n"
            "delay, duplication, partitions, crashes, membership changes and log compaction for 3 s,\n"
            "then the network heals and a final command must reach every member.\n"
            "With --seed alone it replays the test suite's schedule for that seed; every other option\n"
            "overrides what the seed chose.\n"
            "  --seed S          schedule seed (default 1)\n"
            "  --slots N         servers that exist, 1..7 (ids 1..N)\n"
            "  --members N       initial configuration {1..N}, 1..slots; the others are spares\n"
            "  --drop P          probability that a message is lost during the faulty phase, 0..1\n"
            "  --dup P           probability that a message is delivered twice, 0..1\n"
            "  --no-partitions   --no-crashes   --no-membership   disable those\n"
            "  --threshold N     compact once N applied entries are not in the snapshot (0: every event)\n"
            "  --steps N         stop after N simulator events\n"
            "  --verbose         also print every simulator event (deliveries, drops, timers)\n"
            "  --quiet           print only the summary\n"
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
    enum { O_SEED = 1, O_SLOTS, O_MEMBERS, O_DROP, O_DUP, O_NOPART, O_NOCRASH, O_NOMEMB, O_THRESH, O_STEPS,
           O_VERBOSE, O_QUIET, O_HELP };
    static const struct option longopts[] = {
        {"seed", required_argument, nullptr, O_SEED},       {"slots", required_argument, nullptr, O_SLOTS},
        {"members", required_argument, nullptr, O_MEMBERS}, {"drop", required_argument, nullptr, O_DROP},
        {"dup", required_argument, nullptr, O_DUP},         {"no-partitions", no_argument, nullptr, O_NOPART},
        {"no-crashes", no_argument, nullptr, O_NOCRASH},    {"no-membership", no_argument, nullptr, O_NOMEMB},
        {"threshold", required_argument, nullptr, O_THRESH}, {"steps", required_argument, nullptr, O_STEPS},
        {"verbose", no_argument, nullptr, O_VERBOSE},       {"quiet", no_argument, nullptr, O_QUIET},
        {"help", no_argument, nullptr, O_HELP},             {nullptr, 0, nullptr, 0},
    };
    uint64_t seed = 1, slots = 0, members = 0, threshold = 0, steps = 0;
    double drop = -1, dup = -1;
    bool no_part = false, no_crash = false, no_memb = false, have_threshold = false, verbose = false, quiet = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, nullptr)) != -1) {
        bool ok = true;
        switch (opt) {
        case O_SEED: ok = parse_u64(optarg, &seed); break;
        case O_SLOTS: ok = parse_u64(optarg, &slots) && slots >= 1 && slots <= 7; break;
        case O_MEMBERS: ok = parse_u64(optarg, &members) && members >= 1 && members <= 7; break;
        case O_DROP: ok = parse_prob(optarg, &drop); break;
        case O_DUP: ok = parse_prob(optarg, &dup); break;
        case O_NOPART: no_part = true; break;
        case O_NOCRASH: no_crash = true; break;
        case O_NOMEMB: no_memb = true; break;
        case O_THRESH: ok = parse_u64(optarg, &threshold), have_threshold = true; break;
        case O_STEPS: ok = parse_u64(optarg, &steps) && steps > 0; break;
        case O_VERBOSE: verbose = true; break;
        case O_QUIET: quiet = true; break;
        case 'h':
        case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (!ok) {
            fprintf(stderr, "raft_deep_sim: bad value '%s' for --%s\n", optarg ? optarg : "",
                    longopts[opt - 1].name);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "raft_deep_sim: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    RdClusterParams p;
    rd_cluster_params(seed, &p);
    if (slots) p.slots = (int)slots;
    if (members) p.initial_members = (int)members;
    if (p.initial_members > p.slots) p.initial_members = p.slots;
    if (drop >= 0) p.drop = drop;
    if (dup >= 0) p.duplicate = dup;
    if (no_part) p.partitions = false;
    if (no_crash) p.crashes = false;
    if (no_memb) p.membership = false;
    if (have_threshold) p.snapshot_threshold = threshold;
    if (!quiet)
        printf("raft_deep_sim: seed %" PRIu64 ", %d servers, initial members {1..%d}, drop %.2f, duplicate %.2f, "
               "delay %" PRIu64 "-%" PRIu64 " ms, partitions %s, crashes %s, membership changes %s "
               "(every %" PRIu64 " ms), compaction every %" PRIu64 " entries\n"
               "faults for %" PRIu64 " ms, then the network heals; a client proposes to every leader every %"
               PRIu64 " ms\n\n",
               seed, p.slots, p.initial_members, p.drop, p.duplicate, p.delay_min_ms, p.delay_max_ms,
               p.partitions ? "on" : "off", p.crashes ? "on" : "off", p.membership ? "on" : "off", p.change_every_ms,
               p.snapshot_threshold, p.fault_ms, p.propose_every_ms);
    RdClusterOptions o{quiet ? nullptr : stdout, verbose, steps, 40, nullptr};
    RdClusterReport rep;
    int rc = rd_cluster_run(seed, &p, &o, &rep);
    if (rc < 0) {
        fprintf(stderr, "raft_deep_sim: %s\n", rep.first_violation[0].c_str());
        return 2;
    }
    printf("\n%" PRIu64 " events, %" PRIu64 " ms simulated: %" PRIu64 " elections, %" PRIu64 " leaders, highest term %"
           PRIu64 ", %" PRIu64 " entries committed, %" PRIu64 " configuration changes, %" PRIu64 " snapshots taken, %"
           PRIu64 " installed\n",
           rep.events, rep.end_ms, rep.elections, rep.leaders, rep.max_term, rep.commits, rep.config_changes,
           rep.snapshots, rep.installs);
    for (int k = 0; k < RD_PROP_COUNT; k++) {
        const char *verdict = rep.violated[k] ? "VIOLATED" : "ok";
        if (k == RD_PROP_LIVENESS && !rep.violated[k] && steps && rep.events >= steps) verdict = "not checked (--steps)";
        printf("  %-22s %s%s%s\n", rd_property_name((RdProperty)k), verdict, rep.violated[k] ? ": " : "",
               rep.violated[k] ? rep.first_violation[k].c_str() : "");
    }
    return rc == 0 ? 0 : 1;
}
