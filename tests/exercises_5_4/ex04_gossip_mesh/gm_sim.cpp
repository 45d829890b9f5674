// gm_sim.cpp — the glue between gossip_mesh's actions and nl_sim's events (see gm_sim.h).
#include "gm_sim.h"

#include <cstdlib>
#include <cstring>

static const int TICK_TIMER = 0;

static uint64_t sim_clock(void *ctx) { return nl_sim_now(((gm_cluster *)ctx)->sim); }

int gm_cluster_index(const std::string &id) { return atoi(id.c_str() + 1); }

static int timer_id(gm_cluster *c, int node, const std::string &name)
{
    auto it = c->timer_ids[node].find(name);
    if (it != c->timer_ids[node].end()) return it->second;
    c->timer_names[node].push_back(name);
    return c->timer_ids[node][name] = (int)c->timer_names[node].size();
}

void gm_cluster_apply(gm_cluster *c, int node, const gm_actions &acts)
{
    for (const gm_action &a : acts) {
        if (a.type == GM_SEND) {
            if (a.message.type == GM_PING && a.message.from == "n" + std::to_string(node)) c->probes++;
            std::string bytes = gm_encode(&a.message);
            nl_sim_send(c->sim, node, atoi(a.to.c_str() + 4), bytes.data(), bytes.size());
        } else if (a.type == GM_SCHEDULE_TIMER) {
            nl_sim_set_timer(c->sim, node, timer_id(c, node, a.timer), a.delay_ms);
        } else {
            int m = gm_cluster_index(a.member);
            bool up = nl_sim_is_up(c->sim, m) && !c->left[m];
            gm_member seen;
            if (a.new_state == GM_SUSPECT && up && gm_get_member(c->nodes[node], a.member.c_str(), &seen) &&
                c->suspected.insert({m, seen.incarnation}).second)
                c->false_suspicions++;
            if (a.new_state == GM_DEAD && up) c->false_deaths++;
            if ((a.new_state == GM_DEAD || a.new_state == GM_LEFT) && c->dead_at[node][m] < 0)
                c->dead_at[node][m] = (int64_t)nl_sim_now(c->sim);
        }
    }
}

static void on_message(void *ctx, nl_sim *, int node, int from, const void *data, size_t len)
{
    gm_cluster *c = (gm_cluster *)ctx;
    gm_message m;
    std::string err;
    if (!gm_decode((const char *)data, len, &m, &err)) abort();   // our own encoder: cannot happen
    std::string addr = "sim:" + std::to_string(from);
    gm_cluster_apply(c, node, gm_handle_message(c->nodes[node], addr.c_str(), &m));
}

static void on_timer(void *ctx, nl_sim *sim, int node, int id)
{
    gm_cluster *c = (gm_cluster *)ctx;
    if (id == TICK_TIMER) {
        nl_sim_set_timer(sim, node, TICK_TIMER, c->cfg.probe_interval_ms);
        gm_cluster_apply(c, node, gm_tick(c->nodes[node]));
    } else {
        gm_cluster_apply(c, node, gm_handle_timer(c->nodes[node], c->timer_names[node][id - 1].c_str()));
    }
}

gm_cluster *gm_cluster_new(int n, uint64_t seed, double drop, const gm_config *cfg)
{
    gm_cluster *c = new gm_cluster;
    static const nl_sim_ops ops = {on_message, on_timer, nullptr, nullptr, nullptr};
    c->sim = nl_sim_new(n, seed, &ops, c);
    nl_sim_trace_keep(c->sim, 0);
    nl_sim_net net{drop, 0.0, 1, 10};
    nl_sim_set_net(c->sim, &net);
    if (cfg) c->cfg = *cfg;
    else gm_config_default(&c->cfg);
    c->cfg.clock = {sim_clock, c};
    c->timer_names.resize(n);
    c->timer_ids.resize(n);
    c->left.assign(n, false);
    c->dead_at.assign(n, std::vector<int64_t>(n, -1));
    gm_message sync{};
    sync.type = GM_SYNC;
    sync.from = "n0";
    for (int i = 0; i < n; i++)
        sync.updates.push_back({"n" + std::to_string(i), GM_ALIVE, 0, "sim:" + std::to_string(i), true, {}});
    for (int i = 0; i < n; i++) {
        gm_config nc = c->cfg;
        nc.seed = seed * 1000003 + (uint64_t)i;
        std::string id = "n" + std::to_string(i), addr = "sim:" + std::to_string(i);
        c->nodes.push_back(gm_new(id.c_str(), addr.c_str(), &nc));
        gm_handle_message(c->nodes[i], "sim:0", &sync);   // installs the membership; no actions needed
        nl_sim_set_timer(c->sim, i, TICK_TIMER, 1 + nl_rng_below(nl_sim_rng(c->sim), c->cfg.probe_interval_ms));
    }
    return c;
}

void gm_cluster_free(gm_cluster *c)
{
    for (gm_protocol *p : c->nodes) gm_free(p);
    nl_sim_free(c->sim);
    delete c;
}

void gm_cluster_run_periods(gm_cluster *c, int periods)
{
    nl_sim_run_until(c->sim, nl_sim_now(c->sim) + (uint64_t)periods * c->cfg.probe_interval_ms);
}

int gm_cluster_rounds_until_metadata(gm_cluster *c, int about, const char *key, const char *value, int max_periods)
{
    std::string id = "n" + std::to_string(about);
    for (int r = 0; r <= max_periods; r++) {
        bool all = true;
        for (size_t i = 0; i < c->nodes.size() && all; i++) {
            if (!nl_sim_is_up(c->sim, (int)i)) continue;
            gm_metadata md;
            all = gm_get_metadata(c->nodes[i], id.c_str(), &md) && md.count(key) && md[key] == value;
        }
        if (all) return r;
        gm_cluster_run_periods(c, 1);
    }
    return -1;
}
