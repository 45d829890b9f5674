// main.cpp — bft_sim, the EX24 demo: runs a PBFT cluster with Byzantine replicas in the
// deterministic simulator and prints a timeline (requests, view changes, executions, faults) and
// which properties held. `bft_sim --seed S` replays exactly the test suite's schedule S;
// `--schedules N` checks N schedules in a row and reports how many it checks per second.
#include "bft.h"
#include "bft_cluster.h"

#include <cerrno>
#include <cinttypes>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <time.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: bft_sim [--seed S] [--schedules N] [--steps N] [--verbose]\n"
            "Runs a PBFT cluster (bft_replica.cpp) with f Byzantine replicas in a simulated network.\n"
            "  --seed S       schedule seed (default 1): the suite's schedule S, replayed exactly\n"
            "  --schedules N  check N schedules S, S+1, ... quietly and print schedules per second\n"
            "  --steps N      stop after N simulator events\n"
            "  --verbose      print every simulator event (deliveries, drops, timers)\n"
            "  --help         this text\n"
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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run_many(uint64_t seed, uint64_t count)
{
    double t0 = now_s();
    uint64_t bad = 0;
    for (uint64_t s = seed; s < seed + count; s++) {
        BftClusterParams p;
        bft_cluster_params(s, &p);
        BftClusterOptions o{nullptr, false, 0, 40};
        BftClusterReport rep;
        if (bft_cluster_run(s, &p, &o, &rep) != 0) {
            bad++;
            for (int k = 0; k < BFT_PROP_COUNT; k++)
                if (rep.violated[k])
                    printf("seed %" PRIu64 ": %s violated: %s\n", s, bft_property_name((BftProperty)k),
                           rep.first_violation[k].c_str());
        }
    }
    double dt = now_s() - t0;
    printf("%" PRIu64 " schedules in %.2f s: %.0f schedules/s, %" PRIu64 " with a violation\n", count, dt,
           dt > 0 ? count / dt : 0.0, bad);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    uint64_t seed = 1, steps = 0, schedules = 0;
    bool verbose = false;
    static const struct option longs[] = {{"seed", required_argument, nullptr, 's'},
                                          {"schedules", required_argument, nullptr, 'n'},
                                          {"steps", required_argument, nullptr, 't'},
                                          {"verbose", no_argument, nullptr, 'v'},
                                          {"help", no_argument, nullptr, 'h'},
                                          {nullptr, 0, nullptr, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "s:n:t:vh", longs, nullptr)) != -1) {
        bool ok = true;
        switch (ch) {
        case 's': ok = parse_u64(optarg, &seed); break;
        case 'n': ok = parse_u64(optarg, &schedules) && schedules > 0; break;
        case 't': ok = parse_u64(optarg, &steps) && steps > 0; break;
        case 'v': verbose = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (!ok) {
            const char *name = ch == 's' ? "seed" : ch == 'n' ? "schedules" : "steps";
            fprintf(stderr, "bft_sim: bad value '%s' for --%s (see --help)\n", optarg, name);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "bft_sim: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (schedules) return run_many(seed, schedules);

    BftClusterParams p;
    bft_cluster_params(seed, &p);
    printf("bft_sim: seed %" PRIu64 ", %d replicas, f = %u, quorum %u; drop %.2f, duplicate %.2f, delay %" PRIu64
           "-%" PRIu64 " ms before GST at %" PRIu64 " ms; %d requests; view-change timeout %" PRIu64 " ms\n\n",
           seed, p.n, bft_max_faults_for_nodes((uint32_t)p.n), bft_quorum_size((uint32_t)p.n), p.drop, p.duplicate,
           p.delay_min_ms, p.delay_max_ms, p.gst_ms, p.requests, p.timeout_ms);
    BftClusterOptions o{stdout, verbose, steps, 0};
    BftClusterReport rep;
    int rc = bft_cluster_run(seed, &p, &o, &rep);
    if (rc < 0) {
        fprintf(stderr, "bft_sim: %s\n", rep.first_violation[0].c_str());
        return 2;
    }
    printf("\n%" PRIu64 " events, %" PRIu64 " messages, %" PRIu64 " ms simulated: %" PRIu64
           " executions, highest view %" PRIu64 "\n",
           rep.events, rep.messages, rep.end_ms, rep.executions, rep.max_view);
    for (int k = 0; k < BFT_PROP_COUNT; k++) {
        const char *name = bft_property_name((BftProperty)k);
        if (!rep.checked[k]) printf("  %-24s not checked (%s)\n", name, steps ? "--steps stopped the run" : "no faulty primary in view 0");
        else printf("  %-24s %s\n", name, rep.violated[k] ? "VIOLATED" : "ok");
        if (rep.violated[k]) printf("    %s\n", rep.first_violation[k].c_str());
    }
    return rc == 0 ? 0 : 1;
}
