// gm_sim.h — runs a cluster of EX04 SWIM nodes inside the deterministic simulator (tests/support/
// nl_sim.h): addresses "sim:<i>", ids "n<i>", every message encoded with gm_encode and decoded on
// arrival. Used by the simulated tests and by the convergence bench.
#pragma once
#include "gossip_mesh.h"
#include "nl_sim.h"

#include <map>
#include <set>
#include <string>
#include <vector>

struct gm_cluster {
    nl_sim *sim = nullptr;
    gm_config cfg{};
    std::vector<gm_protocol *> nodes;
    std::vector<std::vector<std::string>> timer_names;   // per node: nl_sim timer id - 1 -> name
    std::vector<std::map<std::string, int>> timer_ids;   // per node: name -> nl_sim timer id
    uint64_t probes = 0;             // pings sent by gm_tick
    uint64_t false_suspicions = 0;   // distinct (member, incarnation) suspected while up and not left
    std::set<std::pair<int, uint64_t>> suspected;
    uint64_t false_deaths = 0;       // ... or dead
    std::vector<bool> left;
    // (observer, member) -> virtual time of the first "dead"/"left" seen, for detection times
    std::vector<std::vector<int64_t>> dead_at;
};

// n nodes that all know each other (state installed with a Sync message, as after a join), each
// ticking every probe_interval from a random offset. drop: the network's loss probability.
gm_cluster *gm_cluster_new(int n, uint64_t seed, double drop, const gm_config *cfg);
void gm_cluster_free(gm_cluster *c);
int gm_cluster_index(const std::string &id);                 // "n12" -> 12
void gm_cluster_run_periods(gm_cluster *c, int periods);     // probe_interval each
// Carries out a node's actions (for calls the test makes directly, e.g. gm_update_metadata).
void gm_cluster_apply(gm_cluster *c, int node, const gm_actions &acts);
// Protocol periods until every up node has key=value in member `about`'s metadata; -1 if not
// within max_periods.
int gm_cluster_rounds_until_metadata(gm_cluster *c, int about, const char *key, const char *value, int max_periods);
