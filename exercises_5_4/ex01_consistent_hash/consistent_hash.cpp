// consistent_hash.cpp — reference solution of EX01: the ring, lookups with replicas, key movement.
#include "consistent_hash.h"

#include "nl_crypto.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

static int fail(RingError *err, RingStatus code, const char *fmt, ...)
{
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

RingConfig ring_default_config(void) { return RingConfig{RING_DEFAULT_VNODES, RING_DEFAULT_RF}; }

uint64_t ring_hash_key(const char *key)
{
    uint8_t d[NL_SHA256_LEN];
    nl_sha256(key, strlen(key), d);
    uint64_t h = 0;
    for (int i = 0; i < 8; i++) h = (h << 8) | d[i];
    return h;
}

uint64_t ring_hash_vnode(const char *node_id, size_t index)
{
    // The separator keeps "node1"+"10" and "node11"+"0" apart.
    std::string name = std::string(node_id) + "#" + std::to_string(index);
    return ring_hash_key(name.c_str());
}

int ring_init(Ring *ring, const RingConfig *config, RingError *err)
{
    if (config->virtual_nodes < 1 || config->virtual_nodes > RING_MAX_POINTS)
        return fail(err, RING_ERR_INVALID, "virtual_nodes %zu: must be 1..%d", config->virtual_nodes, RING_MAX_POINTS);
    if (config->replication_factor < 1) return fail(err, RING_ERR_INVALID, "replication_factor must be at least 1");
    ring->config = *config;
    ring->points.clear();
    ring->nodes.clear();
    return RING_OK;
}

// The owner of hash: the first point at or after it, wrapping to the first point.
static std::map<uint64_t, std::string>::const_iterator owner_point(const std::map<uint64_t, std::string> &points, uint64_t hash)
{
    auto it = points.lower_bound(hash);
    return it == points.end() ? points.begin() : it;
}

// Arcs of the ring that `marked` points own: each maximal run of consecutive marked points in ring
// order gives one arc (point before the run, last point of the run]. heir(last) names who owns the
// arc on the other side of the change.
template <class Heir>
static void runs_to_moves(const std::map<uint64_t, std::string> &points, const std::string &marked, bool marked_is_new, Heir heir,
                          std::vector<RingMove> *moves)
{
    std::vector<std::pair<uint64_t, const std::string *>> order;
    for (const auto &kv : points) order.push_back({kv.first, &kv.second});
    size_t n = order.size(), start = n;
    for (size_t i = 0; i < n; i++)
        if (*order[i].second != marked) {
            start = i;
            break;
        }
    if (start == n) return; // only the marked node: no other owner before or after
    for (size_t k = 1; k <= n; k++) {
        size_t i = (start + k) % n;
        if (*order[i].second != marked) continue;
        uint64_t from = order[(i + n - 1) % n].first;
        while (*order[(i + 1) % n].second == marked) i = (i + 1) % n, k++;
        std::string other = heir(order[i].first);
        if (marked_is_new)
            moves->push_back({from, order[i].first, other, marked});
        else
            moves->push_back({from, order[i].first, marked, other});
    }
}

int ring_add_node(Ring *ring, const RingNode *node, std::vector<RingMove> *moves, RingError *err)
{
    if (node->id.empty()) return fail(err, RING_ERR_INVALID, "node id is empty");
    if (node->weight < 1 || node->weight > RING_MAX_WEIGHT)
        return fail(err, RING_ERR_INVALID, "node %s: weight %u must be 1..%d", node->id.c_str(), node->weight, RING_MAX_WEIGHT);
    if (ring->nodes.count(node->id)) return fail(err, RING_ERR_EXISTS, "node %s is already in the ring", node->id.c_str());
    size_t count = ring->config.virtual_nodes * node->weight;
    if (count > RING_MAX_POINTS || ring->points.size() + count > RING_MAX_POINTS)
        return fail(err, RING_ERR_INVALID, "node %s: %zu more points would pass the limit of %d", node->id.c_str(), count, RING_MAX_POINTS);
    std::map<uint64_t, std::string> before;
    if (moves) {
        moves->clear();
        before = ring->points;
    }
    ring->nodes[node->id] = *node;
    for (size_t i = 0; i < count; i++)
        ring->points.emplace(ring_hash_vnode(node->id.c_str(), i), node->id); // a taken position stays with its owner
    if (moves && !before.empty())
        runs_to_moves(ring->points, node->id, true, [&](uint64_t last) { return owner_point(before, last)->second; }, moves);
    return RING_OK;
}

int ring_remove_node(Ring *ring, const char *id, std::vector<RingMove> *moves, RingError *err)
{
    if (!ring->nodes.count(id)) return fail(err, RING_ERR_NOT_FOUND, "no node %s in the ring", id);
    std::string gone = id;
    if (moves) {
        moves->clear();
        std::map<uint64_t, std::string> after;
        for (const auto &kv : ring->points)
            if (kv.second != gone) after.insert(after.end(), kv);
        if (!after.empty())
            runs_to_moves(ring->points, gone, false, [&](uint64_t last) { return owner_point(after, last)->second; }, moves);
    }
    for (auto it = ring->points.begin(); it != ring->points.end();)
        it = it->second == gone ? ring->points.erase(it) : std::next(it);
    ring->nodes.erase(gone);
    return RING_OK;
}

int ring_lookup_hash(const Ring *ring, uint64_t hash, RingLookup *out, RingError *err)
{
    if (ring->points.empty()) return fail(err, RING_ERR_EMPTY, "the ring has no nodes");
    auto it = owner_point(ring->points, hash);
    size_t want = std::min(ring->config.replication_factor, ring->nodes.size());
    std::vector<const std::string *> chosen;
    // Walk clockwise; a node already chosen is skipped so replicas land on distinct machines.
    for (size_t steps = 0; chosen.size() < want && steps < ring->points.size(); steps++) {
        bool seen = false;
        for (const std::string *c : chosen) seen = seen || *c == it->second;
        if (!seen) chosen.push_back(&it->second);
        if (++it == ring->points.end()) it = ring->points.begin();
    }
    out->primary = ring->nodes.at(*chosen[0]);
    out->replicas.clear();
    for (size_t i = 1; i < chosen.size(); i++) out->replicas.push_back(ring->nodes.at(*chosen[i]));
    out->ring_position = (double)hash / 18446744073709551616.0;
    return RING_OK;
}

int ring_lookup(const Ring *ring, const char *key, RingLookup *out, RingError *err)
{
    return ring_lookup_hash(ring, ring_hash_key(key), out, err);
}

std::vector<RingNode> ring_nodes(const Ring *ring)
{
    std::vector<RingNode> out;
    for (const auto &kv : ring->nodes) out.push_back(kv.second);
    return out;
}

size_t ring_node_count(const Ring *ring) { return ring->nodes.size(); }

void ring_distribution_stats(const Ring *ring, const std::vector<std::string> &keys, RingStats *out)
{
    out->keys_per_node.clear();
    for (const auto &kv : ring->nodes) out->keys_per_node[kv.first] = 0;
    if (!ring->points.empty())
        for (const std::string &k : keys) out->keys_per_node[owner_point(ring->points, ring_hash_key(k.c_str()))->second]++;
    size_t n = out->keys_per_node.size();
    double mean = n ? (double)(ring->points.empty() ? 0 : keys.size()) / (double)n : 0.0, var = 0.0;
    for (const auto &kv : out->keys_per_node) var += ((double)kv.second - mean) * ((double)kv.second - mean);
    out->mean = mean;
    out->standard_deviation = n ? std::sqrt(var / (double)n) : 0.0;
    out->coefficient_of_variation = mean > 0 ? out->standard_deviation / mean : 0.0;
}

static double moved_fraction(const Ring *a, const Ring *b, const std::vector<std::string> &keys)
{
    if (keys.empty()) return 0.0;
    size_t moved = 0;
    for (const std::string &k : keys) {
        uint64_t h = ring_hash_key(k.c_str());
        bool ha = !a->points.empty(), hb = !b->points.empty();
        if (ha != hb || (ha && owner_point(a->points, h)->second != owner_point(b->points, h)->second)) moved++;
    }
    return (double)moved / (double)keys.size();
}

int ring_simulate_add(const Ring *ring, const RingNode *node, const std::vector<std::string> &keys, double *fraction, RingError *err)
{
    Ring copy = *ring;
    int rc = ring_add_node(&copy, node, nullptr, err);
    if (rc != RING_OK) return rc;
    *fraction = moved_fraction(ring, &copy, keys);
    return RING_OK;
}

int ring_simulate_remove(const Ring *ring, const char *id, const std::vector<std::string> &keys, double *fraction, RingError *err)
{
    Ring copy = *ring;
    int rc = ring_remove_node(&copy, id, nullptr, err);
    if (rc != RING_OK) return rc;
    *fraction = moved_fraction(ring, &copy, keys);
    return RING_OK;
}

std::vector<std::pair<uint64_t, std::string>> ring_debug(const Ring *ring)
{
    return std::vector<std::pair<uint64_t, std::string>>(ring->points.begin(), ring->points.end());
}
