// gossip_bench.cpp — how fast EX04's SWIM spreads news, in the deterministic simulator: protocol
// periods until a metadata update made by one member is known by all, for each cluster size given
// on the command line (5 seeds each), with and without 10% message loss. SWIM's claim is O(log n).
#include "gm_sim.h"
#include "nl_opt.h"
#include "nl_socket.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

static int rounds(int n, uint64_t seed, double drop, uint64_t *msgs)
{
    gm_cluster *c = gm_cluster_new(n, seed, drop, nullptr);
    gm_cluster_run_periods(c, 2);
    uint64_t before = nl_sim_get_stats(c->sim).sent;
    gm_cluster_apply(c, 0, gm_update_metadata(c->nodes[0], "version", "2"));
    int r = gm_cluster_rounds_until_metadata(c, 0, "version", "2", 100);
    *msgs = r > 0 ? (nl_sim_get_stats(c->sim).sent - before) / (uint64_t)r / (uint64_t)n : 0;
    gm_cluster_free(c);
    return r;
}

int main(int argc, char **argv)
{
    static const char USAGE[] = "usage: gossip_bench N [N ...]   cluster sizes, each in 2..4096 (make run SIZES=\"10 100\")\n";
    int first = 0;
    int prc = nl_opt_parse(argc, argv, "gossip_bench", USAGE, nullptr, 0, &first);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : prc;
    if (first >= argc) {
        fprintf(stderr, "gossip_bench: no cluster size given\n%s", USAGE);
        return 2;
    }
    std::vector<int> sizes;
    for (int a = first; a < argc; a++) {
        uint64_t n;
        char err[160];
        if (nl_parse_u64(argv[a], 2, 4096, &n, err, sizeof err) < 0) {
            fprintf(stderr, "gossip_bench: cluster size '%s': %s\n%s", argv[a], err, USAGE);
            return 2;
        }
        sizes.push_back((int)n);
    }
    printf("SWIM dissemination in nl_sim: probe_interval 1000 ms, fanout 3, max_piggyback 10, 1-10 ms delay\n");
    printf("%6s %6s %-22s %6s %8s %10s %14s\n", "n", "loss", "rounds (seeds 1..5)", "mean", "log2(n)", "mean/log2", "msgs/node/per");
    for (int n : sizes) {
        for (double drop : {0.0, 0.1}) {
            char list[64] = "";
            double sum = 0;
            uint64_t msgs = 0;
            for (uint64_t seed = 1; seed <= 5; seed++) {
                int r = rounds(n, seed, drop, &msgs);
                snprintf(list + strlen(list), sizeof list - strlen(list), "%d ", r);
                sum += r;
            }
            double lg = std::log2((double)n);
            printf("%6d %5.0f%% %-22s %6.1f %8.2f %10.2f %14llu\n", n, drop * 100, list, sum / 5, lg, sum / 5 / lg,
                   (unsigned long long)msgs);
            fflush(stdout);
        }
    }
    gm_cluster *c = gm_cluster_new(100, 9, 0.1, nullptr);
    gm_cluster_run_periods(c, 60);
    printf("false suspicions at 10%% loss, n=100, 60 periods: %llu for %llu probes (%.2f%%), false deaths %llu\n",
           (unsigned long long)c->false_suspicions, (unsigned long long)c->probes,
           100.0 * (double)c->false_suspicions / (double)c->probes, (unsigned long long)c->false_deaths);
    gm_cluster_free(c);
    return 0;
}
