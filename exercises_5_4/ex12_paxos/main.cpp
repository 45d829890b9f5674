// main.cpp — the EX12 demo, paxos_sim: runs Basic Paxos (odd seeds) or Multi-Paxos (even seeds) in
// the deterministic simulator and prints a timeline of faults, phase 1 rounds, leaders and choices,
// then which properties held. `paxos_sim --seed S` replays exactly the schedule the suite ran for S;
// `paxos_sim --bench N` runs the suite's first N schedules and prints schedules checked per second.
#include "paxos_cluster.h"

#include <charconv>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <getopt.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: paxos_sim [--seed S] [--nodes N] [--drop P] [--dup P] [--delay MIN-MAX]\n"
            "                 [--no-partitions] [--no-crashes] [--steps N] [--verbose]\n"
            "       paxos_sim --bench N\n"
            "Runs the Paxos roles (paxos.cpp, paxos_multi.cpp) in a simulated network for one seeded\n"
            "schedule: odd seeds run Basic Paxos with dueling proposers, even seeds Multi-Paxos (a log).\n"
            "Every option but --seed overrides what the seed chose; --seed alone replays the suite's run.\n"
            "  --seed S         schedule seed (default 1)\n"
            "  --nodes N        acceptors, 1..9\n"
            "  --drop P         probability that a message is lost during the faulty phase, 0..1\n"
            "  --dup P          probability that a message is delivered twice, 0..1\n"
            "  --delay MIN-MAX  network delay range in ms\n"
            "  --no-partitions  --no-crashes  disable those faults\n"
            "  --steps N        stop after N simulator events\n"
            "  --verbose        print every simulator event (deliveries, drops, timers)\n"
            "  --bench N        run seeds 1..N quietly; print violations and schedules per second\n"
            "Exit status: 0 when every property held, 1 when one was violated, 2 on a usage error.\n");
}

// Whole-string numbers only: "12x", "" and "-1" are refused.
template <typename T> static bool parse_num(const char *s, T *v)
{
    if (!s || !*s || *s == '-') return false;
    const char *end = s + strlen(s);
    auto r = std::from_chars(s, end, *v);
    return r.ec == std::errc() && r.ptr == end;
}

static bool parse_u64(const char *s, uint64_t *v) { return parse_num(s, v); }
static bool parse_prob(const char *s, double *v) { return parse_num(s, v) && *v >= 0 && *v <= 1; }

static int bench(uint64_t count)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t bad = 0, events = 0, prepares[2] = {0, 0}, chosen[2] = {0, 0}, runs[2] = {0, 0};
    for (uint64_t seed = 1; seed <= count; seed++) {
        PaxosClusterParams p;
        paxos_cluster_params(seed, &p);
        PaxosClusterOptions o{nullptr, false, 0, 0};
        PaxosClusterReport rep;
        int r = paxos_cluster_run(seed, &p, &o, &rep);
        events += rep.events;
        runs[p.mode] += 1;
        prepares[p.mode] += rep.prepares;
        chosen[p.mode] += rep.chosen_slots;
        if (r != 0) {
            bad++;
            for (int k = 0; k < PAXOS_PROP_COUNT; k++)
                if (rep.violated[k])
                    printf("seed %" PRIu64 ": %s: %s\n", seed, paxos_property_name((PaxosProperty)k),
                           rep.first_violation[k].c_str());
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%" PRIu64 " schedules (%" PRIu64 " simulator events) in %.2f s: %.0f schedules/s, %" PRIu64
           " with a violation\n", count, events, s, s > 0 ? (double)count / s : 0.0, bad);
    for (int m = 0; m < 2; m++)
        if (runs[m])
            printf("  %s: %" PRIu64 " schedules, %.1f phase-1 rounds and %.1f slots chosen per schedule\n",
                   m == PAXOS_MODE_BASIC ? "basic" : "multi", runs[m], (double)prepares[m] / (double)runs[m],
                   (double)chosen[m] / (double)runs[m]);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, steps = 0, nodes = 0, dmin = 0, dmax = 0, bench_n = 0;
    double drop = -1, dup = -1;
    bool no_part = false, no_crash = false, verbose = false, have_delay = false;
    static const struct option longopts[] = {
        {"seed", required_argument, nullptr, 's'},   {"nodes", required_argument, nullptr, 'n'},
        {"drop", required_argument, nullptr, 'd'},   {"dup", required_argument, nullptr, 'u'},
        {"delay", required_argument, nullptr, 'D'},  {"no-partitions", no_argument, nullptr, 'P'},
        {"no-crashes", no_argument, nullptr, 'C'},   {"steps", required_argument, nullptr, 't'},
        {"verbose", no_argument, nullptr, 'v'},      {"bench", required_argument, nullptr, 'b'},
        {"help", no_argument, nullptr, 'h'},         {nullptr, 0, nullptr, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "h", longopts, nullptr)) != -1) {
        bool ok = true;
        switch (opt) {
        case 's': ok = parse_u64(optarg, &seed); break;
        case 'n': ok = parse_u64(optarg, &nodes) && nodes >= 1 && nodes <= 9; break;
        case 'd': ok = parse_prob(optarg, &drop); break;
        case 'u': ok = parse_prob(optarg, &dup); break;
        case 'D': {
            const char *dash = strchr(optarg, '-');
            char lo[32];
            ok = dash && (size_t)(dash - optarg) < sizeof lo;
            if (ok) {
                memcpy(lo, optarg, (size_t)(dash - optarg));
                lo[dash - optarg] = 0;
                ok = parse_u64(lo, &dmin) && parse_u64(dash + 1, &dmax) && dmin <= dmax;
            }
            have_delay = true;
            break;
        }
        case 'P': no_part = true; break;
        case 'C': no_crash = true; break;
        case 't': ok = parse_u64(optarg, &steps) && steps > 0; break;
        case 'v': verbose = true; break;
        case 'b': ok = parse_u64(optarg, &bench_n) && bench_n > 0; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (!ok) {
            const char *name = "?";
            for (const struct option *o = longopts; o->name; o++)
                if (o->val == opt) name = o->name;
            fprintf(stderr, "paxos_sim: bad value '%s' for --%s (see --help)\n", optarg, name);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "paxos_sim: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (bench_n) return bench(bench_n);

    PaxosClusterParams p;
    paxos_cluster_params(seed, &p);
    if (nodes) p.nodes = (int)nodes;
    if (drop >= 0) p.drop = drop;
    if (dup >= 0) p.duplicate = dup;
    if (have_delay) {
        p.delay_min_ms = dmin;
        p.delay_max_ms = dmax;
    }
    if (no_part) p.partitions = false;
    if (no_crash) p.crashes = false;
    printf("paxos_sim: seed %" PRIu64 ", %s, %d acceptors, drop %.2f, duplicate %.2f, delay %" PRIu64 "-%" PRIu64
           " ms, partitions %s, crashes %s\n",
           seed, p.mode == PAXOS_MODE_BASIC ? "Basic Paxos (every node proposes)" : "Multi-Paxos (a log)", p.nodes,
           p.drop, p.duplicate, p.delay_min_ms, p.delay_max_ms, p.partitions ? "on" : "off", p.crashes ? "on" : "off");
    printf("faults for %" PRIu64 " ms, then the network heals (progress allowed %" PRIu64 " ms)\n\n", p.fault_ms,
           p.heal_deadline_ms);
    PaxosClusterOptions o{stdout, verbose, steps, 0};
    PaxosClusterReport rep;
    int r = paxos_cluster_run(seed, &p, &o, &rep);
    if (r < 0) {
        fprintf(stderr, "paxos_sim: %s\n", rep.first_violation[0].c_str());
        return 2;
    }
    printf("\n%" PRIu64 " events, %" PRIu64 " ms simulated: %" PRIu64 " phase-1 rounds, %" PRIu64
           " slots chosen, %" PRIu64 " values learned\n",
           rep.events, rep.end_ms, rep.prepares, rep.chosen_slots, rep.learned);
    for (int k = 0; k < PAXOS_PROP_COUNT; k++) {
        bool unchecked = k == PAXOS_PROP_PROGRESS && steps && !rep.violated[k];
        printf("  %-34s %s\n", paxos_property_name((PaxosProperty)k),
               rep.violated[k] ? "VIOLATED" : unchecked ? "not checked (--steps)" : "ok");
        if (rep.violated[k]) printf("    %s\n", rep.first_violation[k].c_str());
    }
    return r ? 1 : 0;
}
