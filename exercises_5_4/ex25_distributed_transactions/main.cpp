// main.cpp — dist_tx_demo: runs one 2PC or 3PC transaction among real log files on a virtual
// clock, kills a node at a crash point you choose, restarts it from its log, and prints every
// message and the final state of each node. Given to students; not graded.
#include "nl_opt.h"
#include "dist_tx.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {
struct pending {
    uint64_t at;
    tx_msg m;
};
struct demo {
    int proto = 2, n = 3, crash_node = -1, crash_k = 0, no_vote = 0;
    uint64_t restart_after = 0, now = 0, until = 3000;
    std::string dir = "dist_tx_demo.d";
    tx_config cfg{};
    void *node[17] = {nullptr};
    int points[17] = {0};
    uint64_t restart_at[17] = {0};
    bool list_points = false;
    std::vector<pending> queue;
};
} // namespace

static void usage(FILE *f)
{
    fprintf(f, "usage: dist_tx_demo [--protocol 2pc|3pc] [--participants N] [--crash NODE:K]\n"
               "                    [--restart-after MS] [--no-vote NODE] [--dir DIR] [--until MS] [--list-points]\n"
               "Runs transaction t1 with a coordinator (node 0) and N participants (1..N), logs in DIR/nodeI.log.\n"
               "--crash NODE:K kills NODE at its K-th crash point (see --list-points); --restart-after MS\n"
               "reopens it from its log MS later (default: never). --no-vote NODE makes NODE vote no.\n");
}

static void on_send(void *ctx, const tx_msg *m)
{
    demo *d = static_cast<demo *>(ctx);
    printf("t=%-5llu %d -> %d %s%s%s\n", (unsigned long long)d->now, m->from, m->to, tx_msg_name(m->type),
           m->type == TX_MSG_STATE_REPLY ? " " : "", m->type == TX_MSG_STATE_REPLY ? tx_state_name(m->state) : "");
    d->queue.push_back({d->now + 1, *m});
}

static bool on_crash(void *ctx, int node, tx_point p, const char *what)
{
    demo *d = static_cast<demo *>(ctx);
    int k = ++d->points[node];
    if (d->list_points)
        printf("        point %d:%d %s %s\n", node, k, tx_point_name(p), what);
    if (node == d->crash_node && k == d->crash_k) {
        printf("t=%-5llu node %d CRASHES at %s %s\n", (unsigned long long)d->now, node, tx_point_name(p), what);
        return true;
    }
    return false;
}

static bool on_vote(void *ctx, int node, const char *) { return static_cast<demo *>(ctx)->no_vote != node; }

static void drop(demo *d, int i)
{
    if (d->proto == 2)
        i == 0 ? tpc_coord_free((tpc_coord *)d->node[0]) : tpc_part_free((tpc_part *)d->node[i]);
    else
        i == 0 ? tpc3_coord_free((tpc3_coord *)d->node[0]) : tpc3_part_free((tpc3_part *)d->node[i]);
    d->node[i] = nullptr;
    if (d->restart_after)
        d->restart_at[i] = d->now + d->restart_after;
}

static void handle(demo *d, int i, int rc)
{
    if (rc == TX_CRASHED)
        drop(d, i);
}

static bool open_node(demo *d, int i)
{
    tx_io io{on_send, on_crash, on_vote, d};
    std::string path = d->dir + "/node" + std::to_string(i) + ".log";
    tx_error err;
    int rc;
    if (d->proto == 2)
        rc = i == 0 ? tpc_coord_open(path.c_str(), &d->cfg, &io, d->now, (tpc_coord **)&d->node[0], &err)
                    : tpc_part_open(path.c_str(), i, &d->cfg, &io, d->now, (tpc_part **)&d->node[i], &err);
    else
        rc = i == 0 ? tpc3_coord_open(path.c_str(), &d->cfg, &io, d->now, (tpc3_coord **)&d->node[0], &err)
                    : tpc3_part_open(path.c_str(), i, &d->cfg, &io, d->now, (tpc3_part **)&d->node[i], &err);
    if (rc == TX_CRASHED) {
        if (d->restart_after)
            d->restart_at[i] = d->now + d->restart_after;
        return true;
    }
    if (rc != TX_OK) {
        fprintf(stderr, "dist_tx_demo: node %d: %s\n", i, err.msg);
        return false;
    }
    return true;
}

static tx_state state_of(demo *d, int i)
{
    if (!d->node[i])
        return TX_UNKNOWN;
    if (d->proto == 2)
        return i == 0 ? tpc_coord_state((tpc_coord *)d->node[0], "t1") : tpc_part_state((tpc_part *)d->node[i], "t1");
    return i == 0 ? tpc3_coord_state((tpc3_coord *)d->node[0], "t1") : tpc3_part_state((tpc3_part *)d->node[i], "t1");
}

int main(int argc, char **argv)
{
    demo d;
    static const option opts[] = {{"protocol", required_argument, nullptr, 'p'}, {"participants", required_argument, nullptr, 'n'},
                                  {"crash", required_argument, nullptr, 'c'},    {"restart-after", required_argument, nullptr, 'r'},
                                  {"no-vote", required_argument, nullptr, 'v'},  {"dir", required_argument, nullptr, 'd'},
                                  {"until", required_argument, nullptr, 'u'},    {"list-points", no_argument, nullptr, 'l'},
                                  {"help", no_argument, nullptr, 'h'},           {nullptr, 0, nullptr, 0}};
    int o;
    uint64_t v = 0;
    while ((o = getopt_long(argc, argv, "p:n:c:r:v:d:u:lh", opts, nullptr)) != -1) {
        switch (o) {
        case 'p':
            if (!strcmp(optarg, "2pc"))
                d.proto = 2;
            else if (!strcmp(optarg, "3pc"))
                d.proto = 3;
            else {
                fprintf(stderr, "dist_tx_demo: --protocol is 2pc or 3pc, not '%s'\n", optarg);
                return 2;
            }
            break;
        case 'n':
            if (!nl_opt_value("dist_tx_demo", "participants", optarg, 1, 16, &v)) return 2;
            d.n = (int)v;
            break;
        case 'c':
            if (sscanf(optarg, "%d:%d", &d.crash_node, &d.crash_k) != 2) {
                fprintf(stderr, "dist_tx_demo: --crash wants NODE:K, e.g. 0:5\n");
                return 2;
            }
            break;
        case 'r':
            if (!nl_opt_value("dist_tx_demo", "restart-after", optarg, 0, 86400000, &v)) return 2;
            d.restart_after = v;
            break;
        case 'v':
            if (!nl_opt_value("dist_tx_demo", "no-vote", optarg, 0, 16, &v)) return 2;
            d.no_vote = (int)v;
            break;
        case 'd': d.dir = optarg; break;
        case 'u':
            if (!nl_opt_value("dist_tx_demo", "until", optarg, 0, 86400000, &v)) return 2;
            d.until = v;
            break;
        case 'l': d.list_points = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (d.n < 1 || d.n > 16) {
        fprintf(stderr, "dist_tx_demo: --participants is 1..16\n");
        return 2;
    }
    if (mkdir(d.dir.c_str(), 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "dist_tx_demo: cannot create %s: %s\n", d.dir.c_str(), strerror(errno));
        return 1;
    }
    tx_config_default(&d.cfg);
    d.cfg.participants = d.n;
    for (int i = 0; i <= d.n; i++)
        if (!open_node(&d, i))
            return 1;
    if (d.node[0]) {
        tx_error err;
        int rc = d.proto == 2 ? tpc_coord_begin((tpc_coord *)d.node[0], "t1", 0, &err)
                              : tpc3_coord_begin((tpc3_coord *)d.node[0], "t1", 0, &err);
        if (rc != TX_OK && rc != TX_CRASHED)
            fprintf(stderr, "dist_tx_demo: begin: %s (a log from an earlier run is in %s: remove it)\n", err.msg, d.dir.c_str());
        handle(&d, 0, rc);
    }
    while (d.now < d.until) {
        d.now++;
        for (int i = 0; i <= d.n; i++)
            if (!d.node[i] && d.restart_at[i] && d.now >= d.restart_at[i]) {
                d.restart_at[i] = 0;
                printf("t=%-5llu node %d restarts from its log\n", (unsigned long long)d.now, i);
                open_node(&d, i);
            }
        std::vector<pending> due, later;
        for (const pending &p : d.queue)
            (p.at <= d.now ? due : later).push_back(p);
        d.queue = later;
        for (const pending &p : due) {
            int i = p.m.to;
            if (!d.node[i])
                continue;
            int rc = d.proto == 2 ? (i == 0 ? tpc_coord_on_msg((tpc_coord *)d.node[0], &p.m, d.now)
                                            : tpc_part_on_msg((tpc_part *)d.node[i], &p.m, d.now))
                                  : (i == 0 ? tpc3_coord_on_msg((tpc3_coord *)d.node[0], &p.m, d.now)
                                            : tpc3_part_on_msg((tpc3_part *)d.node[i], &p.m, d.now));
            handle(&d, i, rc);
        }
        for (int i = 0; i <= d.n; i++) {
            if (!d.node[i])
                continue;
            int rc = d.proto == 2 ? (i == 0 ? tpc_coord_tick((tpc_coord *)d.node[0], d.now) : tpc_part_tick((tpc_part *)d.node[i], d.now))
                                  : (i == 0 ? tpc3_coord_tick((tpc3_coord *)d.node[0], d.now) : tpc3_part_tick((tpc3_part *)d.node[i], d.now));
            handle(&d, i, rc);
        }
    }
    for (int i = 0; i <= d.n; i++) {
        printf("node %d: %s%s\n", i, d.node[i] ? tx_state_name(state_of(&d, i)) : "down", "");
        if (d.node[i])
            drop(&d, i);
    }
    return 0;
}
