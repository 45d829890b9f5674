// crdt_registry.h — state-based CRDTs: GCounter, PNCounter, LWW register, observed-remove set and
// LWW map, each with a merge that is commutative, associative and idempotent. Module 5.4 EX03.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

// A Lamport timestamp: ordered by time, then by replica id (bytewise), so any two differ.
struct CrdtTimestamp {
    uint64_t time;
    std::string replica;
};
int crdt_ts_compare(const CrdtTimestamp *a, const CrdtTimestamp *b); // <0, 0, >0
inline bool operator<(const CrdtTimestamp &a, const CrdtTimestamp &b) { return crdt_ts_compare(&a, &b) < 0; }
inline bool operator==(const CrdtTimestamp &a, const CrdtTimestamp &b) { return crdt_ts_compare(&a, &b) == 0; }

// Grow-only counter: one count per replica; the value is their sum.
struct GCounter {
    std::map<std::string, uint64_t> counts;
};
void gcounter_init(GCounter *g);
void gcounter_increment(GCounter *g, const char *replica);
void gcounter_increment_by(GCounter *g, const char *replica, uint64_t n);
uint64_t gcounter_value(const GCounter *g);
uint64_t gcounter_replica_value(const GCounter *g, const char *replica);
void gcounter_merge(GCounter *g, const GCounter *other);

// Counter that also goes down: increments and decrements are two grow-only counters.
struct PNCounter {
    GCounter positive, negative;
};
void pncounter_init(PNCounter *p);
void pncounter_increment(PNCounter *p, const char *replica);
void pncounter_decrement(PNCounter *p, const char *replica);
void pncounter_increment_by(PNCounter *p, const char *replica, uint64_t n);
void pncounter_decrement_by(PNCounter *p, const char *replica, uint64_t n);
int64_t pncounter_value(const PNCounter *p);
void pncounter_merge(PNCounter *p, const PNCounter *other);

// Last-writer-wins register. `clock` is the replica's Lamport clock: a write is stamped
// (clock + 1, replica), and a merge raises clock to what it has seen, so a write made after seeing
// another always wins over it.
struct LwwRegister {
    std::string replica;
    uint64_t clock;
    bool has_value;
    std::string value;
    CrdtTimestamp ts; // of the current value ({0, ""} before any write)
};
void lww_init(LwwRegister *r, const char *replica);
void lww_set(LwwRegister *r, const char *value);
bool lww_get(const LwwRegister *r, std::string *out); // false when never written
void lww_merge(LwwRegister *r, const LwwRegister *other);

// Observed-remove set (add wins): each insert adds a fresh tag (clock, replica); remove tombstones
// the tags it has seen. A concurrent insert carries a tag the remove never saw, so it survives.
struct OrSet {
    std::string replica;
    uint64_t clock;
    std::set<std::pair<std::string, CrdtTimestamp>> elements; // (value, tag)
    std::set<CrdtTimestamp> tombstones;                      // removed tags
};
void orset_init(OrSet *s, const char *replica);
void orset_insert(OrSet *s, const char *value);
bool orset_remove(OrSet *s, const char *value); // false when the value is not present
bool orset_contains(const OrSet *s, const char *value);
std::set<std::string> orset_values(const OrSet *s);
size_t orset_len(const OrSet *s);
bool orset_is_empty(const OrSet *s);
void orset_merge(OrSet *s, const OrSet *other);

// Map of LWW registers; remove writes a tombstone (has_value = false) so it wins over older inserts.
struct LwwMap {
    std::string replica;
    uint64_t clock;
    std::map<std::string, LwwRegister> entries;
};
void lwwmap_init(LwwMap *m, const char *replica);
void lwwmap_insert(LwwMap *m, const char *key, const char *value);
bool lwwmap_remove(LwwMap *m, const char *key); // false when the key is not present
bool lwwmap_get(const LwwMap *m, const char *key, std::string *out);
bool lwwmap_contains_key(const LwwMap *m, const char *key);
std::vector<std::string> lwwmap_keys(const LwwMap *m); // live keys, sorted
void lwwmap_merge(LwwMap *m, const LwwMap *other);
