// tx_cluster.h — EX25 test harness: a coordinator and n participants (2PC or 3PC) on a virtual
// clock with a seeded message queue, a crash-point injector (kill node X at its k-th point, restart
// it from its log file later or never), the write-ahead check made on every send against the file
// on disk (and what fsync made durable), and the atomicity verdict.
#pragma once
#include "dist_tx.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

// What fsync/fdatasync made durable: bytes of each file (by inode) at its last fsync.
uint64_t synced_bytes(const char *path);
// When not 0, every fsync/fdatasync fails with this errno (a disk that reports a write error).
extern int g_fsync_fail;
// Records of a log file as they are on disk (our own reader, not the submission's).
std::vector<std::string> disk_records(const char *path);
// Makes a fresh folder under the test's working folder; returns its path.
std::string fresh_dir(const char *tag);
void rm_tree(const std::string &dir);

struct cl_msg {
    uint64_t at, seq;
    tx_msg m;
};

struct cluster {
    int proto = 2;           // 2 or 3
    int n = 3;
    tx_config cfg{};
    std::string dir;
    uint64_t now = 0;
    uint64_t seq = 0;
    uint64_t delay_min = 1, delay_max = 1;
    uint64_t rng = 1;
    bool dup = false;        // deliver every message twice
    std::vector<cl_msg> queue;
    void *node[8] = {nullptr};
    bool up[8] = {false};
    bool no_vote[8] = {false}; // participant i votes no
    // crash plan: node crash_node dies at its crash_k-th point (1-based; 0 = never), comes back
    // restart_after ms later (never when restart_after == 0), or kill_all: SIGKILL the process
    // at the crash_k-th point counted over all nodes.
    int crash_node = -1;
    int crash_k = 0;
    uint64_t restart_after = 0;
    bool kill_all = false;
    int points[8] = {0};     // crash points each node passed
    int total_points = 0;
    uint64_t restart_at[8] = {0};
    std::vector<std::string> point_names[8]; // names of points passed (for the enumeration)
    std::vector<std::string> trace;
    std::vector<std::string> sent;           // "from>to TYPE" of every message sent
    std::string wal_violation;               // first write-ahead violation seen, "" if none
    std::string error;                       // an unexpected return code
};

std::string cl_log_path(const cluster *c, int node);
// Sets up (and opens every node at time 0) in a fresh folder.
void cl_init(cluster *c, int proto, int n, uint64_t seed, const char *tag);
// The same in a given folder; open_nodes false leaves every node down (open them later).
void cl_init_in(cluster *c, int proto, int n, uint64_t seed, const std::string &dir, bool open_nodes);
// Opens every node again from the files in c->dir (total restart), at the current time.
void cl_reopen_all(cluster *c);
void cl_free(cluster *c);
int cl_begin(cluster *c, const char *tx);
// Runs the clock until `until` (absolute ms): deliveries, ticks every ms, planned restarts.
void cl_run_until(cluster *c, uint64_t until);
// Kills a node now (no cleanup but freeing memory) / opens it from its log.
void cl_kill(cluster *c, int node);
void cl_restart(cluster *c, int node);
tx_state cl_state(const cluster *c, int node, const char *tx);
// What the log file of `node` says the node's last state for tx is (for nodes that are down).
tx_state cl_disk_state(const cluster *c, int node, const char *tx);
// "" when atomic: no node (up: its state; down: its disk log) committed while another aborted.
// With finished: every node up is decided too (or nobody ever heard of tx).
std::string cl_check_atomic(const cluster *c, const char *tx, bool finished);
std::string cl_describe(const cluster *c); // the trace tail, for failure messages
