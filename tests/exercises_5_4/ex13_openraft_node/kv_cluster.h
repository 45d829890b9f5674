// kv_cluster.h — EX13 test harness: real raft_kv processes on loopback, each with its own data
// folder under a temporary root, optionally behind nl_tcpproxy links, and a client that follows
// REDIRECT replies. Every wait is a condition with a deadline.
#pragma once
#include "nl_testproc.h"

#include <pthread.h>

#include <cstdint>
#include <string>
#include <vector>

struct nl_tcpproxy;

struct kv_node {
    uint64_t id = 0;
    uint16_t raft_port = 0;      // where the node binds for Raft
    uint16_t client_port = 0;    // from its "listening on" line (changes on restart)
    std::string dir;
    nl_server srv;
    bool up = false;
    nl_tcpproxy *proxy = nullptr; // in front of raft_port when the cluster uses proxies
    unsigned election_ms = 0;    // 0: the cluster's
};

struct kv_cluster {
    std::string root;            // temporary folder, removed by kvc_destroy
    std::vector<kv_node *> nodes;
    bool proxied = false;
    unsigned election_ms = 800;
    unsigned heartbeat_ms = 80;
    unsigned snapshot_every = 0; // 0: the node's default
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;  // guards up/client_port against client threads
};

uint16_t kvc_free_port(void);
// A cluster object with n node slots (ids 1..n) under a fresh temporary folder.
kv_cluster *kvc_new(int n, bool proxied);
// Starts node idx (0-based) with its folder; bootstrap only for the very first start of node 0.
bool kvc_start(kv_cluster *c, int idx, bool bootstrap, std::string *why);
// SIGKILL, no chance to flush anything but what libraft already wrote.
void kvc_kill(kv_cluster *c, int idx);
// SIGTERM; true when it exited 0 within the deadline, else *how says what happened.
bool kvc_stop(kv_cluster *c, int idx, std::string *how = nullptr);
// Stops what runs (SIGTERM, SIGKILL after a deadline), frees proxies, removes the folder.
void kvc_destroy(kv_cluster *c);
// The Raft address peers use for node idx (its proxy's when proxied).
std::string kvc_raft_address(kv_cluster *c, int idx);

// One request on a fresh connection to a port: the reply line, "" on no answer within timeout.
std::string kvc_call(uint16_t port, const std::string &line, int timeout_ms);
// Polls STATUS on every live node until one says state=leader (and, if want_members is non-empty,
// lists exactly those members). Returns its index or -1 at the deadline.
// exclude: an index never counted (a partitioned old leader still says leader).
int kvc_wait_leader(kv_cluster *c, int timeout_ms, const std::string &want_members = "", int exclude = -1);
// A field of a STATUS line ("term", "leader", "members"...), "" when absent.
std::string kvc_status_field(const std::string &status, const char *name);

// Sends line to the cluster: starts at *hint, or at the node whose STATUS says leader; follows
// REDIRECT, retries "ERR no leader" and dead nodes (asking STATUS who leads) until the deadline, never retries an accepted request ("OK", "VALUE", "NIL", "ERR not committed"...).
// Returns the final reply, or "" at the deadline. *hint: the node index tried first, updated
// (each client thread keeps its own).
std::string kvc_request(kv_cluster *c, int *hint, const std::string &line, int timeout_ms);
// Client port of node idx, 0 while it is down.
uint16_t kvc_port(kv_cluster *c, int idx);

// Starts node 0 with --bootstrap, starts nodes 1..n-1 and adds each through the leader
// (ADD id address). True when the leader reports all n members.
bool kvc_form(kv_cluster *c, std::string *why);
