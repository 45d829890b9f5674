// main.cpp — `ring`: builds a ring of N nodes, prints how K keys spread over them, and the share
// of keys that move when a node joins or leaves, next to the ideal share. Given to students.
#include "consistent_hash.h"
#include "nl_opt.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

static const char USAGE[] =
    "usage: ring [--nodes N] [--vnodes V] [--keys K] [--weight W]\n"
    "  N nodes node0..node{N-1} (default 10), V virtual nodes per unit of weight (default 150),\n"
    "  K keys key_0..key_{K-1} (default 10000), node0 has weight W (default 1).\n";

int main(int argc, char **argv)
{
    uint64_t nodes = 10, vnodes = 150, nkeys = 10000, weight = 1;
    const nl_opt opts[] = {
        {"nodes", NL_OPT_U64, &nodes, 1, 1000},
        {"vnodes", NL_OPT_U64, &vnodes, 1, 1000},
        {"keys", NL_OPT_U64, &nkeys, 1, 1000000},
        {"weight", NL_OPT_U64, &weight, 1, RING_MAX_WEIGHT},
    };
    int rc = nl_opt_parse(argc, argv, "ring", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (rc != NL_OPT_OK) return rc == NL_OPT_HELP ? 0 : 2;
    Ring ring;
    RingConfig cfg{vnodes, 1};
    RingError err;
    if (ring_init(&ring, &cfg, &err) != RING_OK) {
        fprintf(stderr, "ring: %s\n", err.message);
        return 1;
    }
    for (unsigned long i = 0; i < nodes; i++) {
        RingNode n{"node" + std::to_string(i), "", (uint32_t)(i == 0 ? weight : 1)};
        if (ring_add_node(&ring, &n, nullptr, &err) != RING_OK) {
            fprintf(stderr, "ring: %s\n", err.message);
            return 1;
        }
    }
    std::vector<std::string> keys;
    for (unsigned long i = 0; i < nkeys; i++) keys.push_back("key_" + std::to_string(i));
    RingStats st;
    ring_distribution_stats(&ring, keys, &st);
    printf("%lu nodes, %lu virtual nodes each (node0 weight %lu), %zu points, %lu keys\n", nodes, vnodes, weight,
           ring_debug(&ring).size(), nkeys);
    for (const auto &[id, n] : st.keys_per_node) {
        int bar = (int)(40.0 * (double)n / (double)(2 * st.mean) + 0.5);
        printf("  %-8s %6zu  %s\n", id.c_str(), n, std::string(bar > 60 ? 60 : bar, '#').c_str());
    }
    printf("mean %.1f  stddev %.1f  cv %.3f\n", st.mean, st.standard_deviation, st.coefficient_of_variation);

    RingNode extra{"node" + std::to_string(nodes), "", 1};
    std::vector<RingMove> moves;
    Ring grown = ring;
    double add_frac, rm_frac;
    ring_add_node(&grown, &extra, &moves, &err);
    ring_simulate_add(&ring, &extra, keys, &add_frac, &err);
    unsigned long shares = weight + nodes; // total weight after the join: the newcomer's ideal share is 1/shares
    printf("add %s: %.2f%% of keys move (ideal 1/%lu = %.2f%%), in %zu arcs, all to %s\n", extra.id.c_str(), 100 * add_frac,
           shares, 100.0 / (double)shares, moves.size(), extra.id.c_str());
    if (nodes > 1) {
        ring_simulate_remove(&ring, "node1", keys, &rm_frac, &err);
        printf("remove node1: %.2f%% of keys move (node1 held %.2f%%), only node1's keys\n", 100 * rm_frac,
               100.0 * (double)st.keys_per_node["node1"] / (double)nkeys);
    }
    return 0;
}
