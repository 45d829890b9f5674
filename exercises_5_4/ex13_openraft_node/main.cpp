// main.cpp — EX13 raft_kv: one node of the replicated KV store (given, not graded). Parses the
// options and runs the node; raft_kv_node.cpp does the work.
#include "raft_kv.h"

#include <cstdio>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <string>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: raft_kv --id N --data-dir DIR --raft-port P [options]\n"
            "  -i, --id N              this node's id (>= 1, unique in the cluster)\n"
            "  -d, --data-dir DIR      its own folder for the Raft log and snapshots (created if missing)\n"
            "  -H, --host HOST         client listener address (default 127.0.0.1)\n"
            "  -p, --port P            client port (default 0: a free one, printed on the first line)\n"
            "  -r, --raft-port P       port peers reach this node on (its Raft address is HOST:P)\n"
            "  -a, --raft-address A    advertise A (host:port) to peers instead, e.g. a proxy in front,\n"
            "                          and bind HOST:raft-port\n"
            "  -b, --bootstrap         first start of the first node: a cluster of one voter\n"
            "  -e, --election-ms MS    election timeout (default 1000)\n"
            "  -t, --heartbeat-ms MS   heartbeat interval (default 100)\n"
            "  -s, --snapshot-every N  entries between snapshots (default 1024)\n"
            "  -h, --help              this help\n"
            "Clients talk one line per request: SET k v | GET k | DEL k | ADD id host:port | REMOVE id | STATUS\n"
            "(see the README). Example: raft_kv --id 1 --data-dir /tmp/n1 --raft-port 7001 --bootstrap\n");
}

static bool number(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end = nullptr;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v > max)
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"id", required_argument, nullptr, 'i'},          {"data-dir", required_argument, nullptr, 'd'},
        {"host", required_argument, nullptr, 'H'},        {"port", required_argument, nullptr, 'p'},
        {"raft-port", required_argument, nullptr, 'r'},   {"raft-address", required_argument, nullptr, 'a'},
        {"bootstrap", no_argument, nullptr, 'b'},         {"election-ms", required_argument, nullptr, 'e'},
        {"heartbeat-ms", required_argument, nullptr, 't'}, {"snapshot-every", required_argument, nullptr, 's'},
        {"help", no_argument, nullptr, 'h'},              {nullptr, 0, nullptr, 0}};
    raft_kv_config cfg;
    unsigned long long v = 0, raft_port = 0;
    bool have_raft_port = false;
    std::string advertise;
    int c;
    while ((c = getopt_long(argc, argv, "i:d:H:p:r:a:be:t:s:h", opts, nullptr)) != -1) {
        switch (c) {
        case 'i':
            if (!number(optarg, UINT64_MAX, &v) || v == 0) {
                fprintf(stderr, "raft_kv: --id wants a number >= 1, got '%s'\n", optarg);
                return 2;
            }
            cfg.id = v;
            break;
        case 'd': cfg.data_dir = optarg; break;
        case 'H': cfg.host = optarg; break;
        case 'p':
            if (!number(optarg, 65535, &v)) {
                fprintf(stderr, "raft_kv: --port wants 0..65535, got '%s'\n", optarg);
                return 2;
            }
            cfg.port = (uint16_t)v;
            break;
        case 'r':
            if (!number(optarg, 65535, &raft_port) || raft_port == 0) {
                fprintf(stderr, "raft_kv: --raft-port wants 1..65535, got '%s'\n", optarg);
                return 2;
            }
            have_raft_port = true;
            break;
        case 'a': advertise = optarg; break;
        case 'b': cfg.bootstrap = true; break;
        case 'e':
        case 't':
        case 's':
            if (!number(optarg, 3600000, &v) || v == 0) {
                fprintf(stderr, "raft_kv: --%s wants a number 1..3600000, got '%s'\n",
                        c == 'e' ? "election-ms" : c == 't' ? "heartbeat-ms" : "snapshot-every", optarg);
                return 2;
            }
            if (c == 'e')
                cfg.election_ms = (unsigned)v;
            else if (c == 't')
                cfg.heartbeat_ms = (unsigned)v;
            else
                cfg.snapshot_threshold = (unsigned)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (cfg.id == 0 || !cfg.data_dir || !have_raft_port) {
        fprintf(stderr, "raft_kv: --id, --data-dir and --raft-port are required (try --help)\n");
        return 2;
    }
    if (cfg.snapshot_trailing > cfg.snapshot_threshold)
        cfg.snapshot_trailing = cfg.snapshot_threshold;
    std::string own = std::string(cfg.host) + ":" + std::to_string(raft_port);
    if (advertise.empty()) {
        cfg.raft_address = own.c_str();
    } else {
        cfg.raft_address = advertise.c_str();
        cfg.raft_bind = own.c_str();
    }
    char err[512];
    if (raft_kv_run(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "raft_kv: %s\n", err);
        return 1;
    }
    return 0;
}
