// consistent_hash.h — a consistent-hash ring with virtual nodes, weights and replicas, plus a
// thread-safe wrapper (pthread rwlock). Module 5.4 EX01 (seed 003) in C-style C++.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <pthread.h>
#include <string>
#include <utility>
#include <vector>

struct RingConfig {
    size_t virtual_nodes;      // points per unit of weight, 1..RING_MAX_POINTS
    size_t replication_factor; // distinct physical nodes per key (primary included), >= 1
};
enum { RING_DEFAULT_VNODES = 150, RING_DEFAULT_RF = 3, RING_MAX_WEIGHT = 1000, RING_MAX_POINTS = 1000000 };
RingConfig ring_default_config(void); // 150 virtual nodes, replication factor 3

struct RingNode {
    std::string id;      // non-empty, unique in the ring
    std::string address; // only carried along
    uint32_t weight;     // 1..RING_MAX_WEIGHT: the node gets weight * virtual_nodes points
};

struct RingLookup {
    RingNode primary;
    std::vector<RingNode> replicas; // the next distinct physical nodes clockwise, primary excluded
    double ring_position;           // hash / 2^64, in [0, 1)
};

// The arc (from_exclusive, to_inclusive] of hash values whose primary changes from old_owner to
// new_owner. An arc wraps past 2^64-1 when from_exclusive >= to_inclusive.
struct RingMove {
    uint64_t from_exclusive;
    uint64_t to_inclusive;
    std::string old_owner;
    std::string new_owner;
};

struct RingStats {
    std::map<std::string, size_t> keys_per_node; // every node, 0 included
    double mean;
    double standard_deviation;       // population standard deviation of keys_per_node
    double coefficient_of_variation; // standard_deviation / mean (0 when there are no keys)
};

enum RingStatus {
    RING_OK = 0,
    RING_ERR_INVALID = -1,   // a bad argument (config, empty id, weight out of range)
    RING_ERR_EXISTS = -2,    // a node with that id is already in the ring
    RING_ERR_NOT_FOUND = -3, // no node with that id
    RING_ERR_EMPTY = -4,     // lookup on a ring without nodes
};
struct RingError {
    RingStatus code;
    char message[160];
};

struct Ring {
    RingConfig config;
    std::map<uint64_t, std::string> points; // ring position -> node id
    std::map<std::string, RingNode> nodes;
};

// The hash: SHA-256 of the bytes, the first 8 bytes of the digest read as a big-endian integer.
uint64_t ring_hash_key(const char *key);
// Position of virtual node `index` of node_id: ring_hash_key("<node_id>#<index>"), index in decimal.
uint64_t ring_hash_vnode(const char *node_id, size_t index);

// Every function returns RING_OK or a RingStatus and fills err (which may be null).
int ring_init(Ring *ring, const RingConfig *config, RingError *err);
// moves (may be null) receives the arcs whose keys change owner; empty when the ring was empty.
int ring_add_node(Ring *ring, const RingNode *node, std::vector<RingMove> *moves, RingError *err);
int ring_remove_node(Ring *ring, const char *id, std::vector<RingMove> *moves, RingError *err);
int ring_lookup(const Ring *ring, const char *key, RingLookup *out, RingError *err);
int ring_lookup_hash(const Ring *ring, uint64_t hash, RingLookup *out, RingError *err);
std::vector<RingNode> ring_nodes(const Ring *ring); // sorted by id
size_t ring_node_count(const Ring *ring);
void ring_distribution_stats(const Ring *ring, const std::vector<std::string> &keys, RingStats *out);
// Fraction (0..1) of keys whose primary would change if node were added / id removed; the ring
// itself is not changed.
int ring_simulate_add(const Ring *ring, const RingNode *node, const std::vector<std::string> &keys, double *fraction, RingError *err);
int ring_simulate_remove(const Ring *ring, const char *id, const std::vector<std::string> &keys, double *fraction, RingError *err);
std::vector<std::pair<uint64_t, std::string>> ring_debug(const Ring *ring); // every point, in ring order

// The thread-safe ring: lookups share the lock, changes take it alone. The lock prefers writers
// (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) so a stream of lookups cannot starve a change.
struct RingTs {
    pthread_rwlock_t lock;
    Ring ring;
};
int ring_ts_init(RingTs *ts, const RingConfig *config, RingError *err);
void ring_ts_destroy(RingTs *ts);
int ring_ts_add_node(RingTs *ts, const RingNode *node, std::vector<RingMove> *moves, RingError *err);
int ring_ts_remove_node(RingTs *ts, const char *id, std::vector<RingMove> *moves, RingError *err);
int ring_ts_lookup(RingTs *ts, const char *key, RingLookup *out, RingError *err);
size_t ring_ts_node_count(RingTs *ts);
