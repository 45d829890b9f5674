// crdt_registry.cpp — reference solution of EX03: state-based CRDTs and their merges.
#include "crdt_registry.h"

#include <algorithm>

int crdt_ts_compare(const CrdtTimestamp *a, const CrdtTimestamp *b)
{
    if (a->time != b->time) return a->time < b->time ? -1 : 1;
    return a->replica.compare(b->replica);
}

// ---- GCounter ----
void gcounter_init(GCounter *g) { g->counts.clear(); }
void gcounter_increment(GCounter *g, const char *replica) { gcounter_increment_by(g, replica, 1); }
void gcounter_increment_by(GCounter *g, const char *replica, uint64_t n) { g->counts[replica] += n; }

uint64_t gcounter_value(const GCounter *g)
{
    uint64_t sum = 0;
    for (const auto &kv : g->counts) sum += kv.second;
    return sum;
}

uint64_t gcounter_replica_value(const GCounter *g, const char *replica)
{
    auto it = g->counts.find(replica);
    return it == g->counts.end() ? 0 : it->second;
}

void gcounter_merge(GCounter *g, const GCounter *other)
{
    // Each replica's count only grows, so the larger one includes the smaller: max, never sum.
    for (const auto &[r, n] : other->counts) {
        uint64_t &mine = g->counts[r];
        mine = std::max(mine, n);
    }
}

// ---- PNCounter ----
void pncounter_init(PNCounter *p) { gcounter_init(&p->positive), gcounter_init(&p->negative); }
void pncounter_increment(PNCounter *p, const char *replica) { gcounter_increment(&p->positive, replica); }
void pncounter_decrement(PNCounter *p, const char *replica) { gcounter_increment(&p->negative, replica); }
void pncounter_increment_by(PNCounter *p, const char *replica, uint64_t n) { gcounter_increment_by(&p->positive, replica, n); }
void pncounter_decrement_by(PNCounter *p, const char *replica, uint64_t n) { gcounter_increment_by(&p->negative, replica, n); }
int64_t pncounter_value(const PNCounter *p) { return (int64_t)(gcounter_value(&p->positive) - gcounter_value(&p->negative)); }

void pncounter_merge(PNCounter *p, const PNCounter *other)
{
    gcounter_merge(&p->positive, &other->positive);
    gcounter_merge(&p->negative, &other->negative);
}

// ---- LWW register ----
void lww_init(LwwRegister *r, const char *replica)
{
    r->replica = replica;
    r->clock = 0;
    r->has_value = false;
    r->value.clear();
    r->ts = CrdtTimestamp{0, ""};
}

void lww_set(LwwRegister *r, const char *value)
{
    r->clock = std::max(r->clock, r->ts.time) + 1;
    r->ts = CrdtTimestamp{r->clock, r->replica};
    r->value = value;
    r->has_value = true;
}

bool lww_get(const LwwRegister *r, std::string *out)
{
    if (!r->has_value) return false;
    *out = r->value;
    return true;
}

// Takes other's value when its timestamp is larger; `has_value` travels with it (a tombstone).
static void lww_take_newer(LwwRegister *r, const LwwRegister *other)
{
    if (r->ts < other->ts) {
        r->ts = other->ts;
        r->value = other->value;
        r->has_value = other->has_value;
    }
}

void lww_merge(LwwRegister *r, const LwwRegister *other)
{
    lww_take_newer(r, other);
    r->clock = std::max({r->clock, other->clock, r->ts.time});
}

// ---- OR-Set ----
void orset_init(OrSet *s, const char *replica)
{
    s->replica = replica;
    s->clock = 0;
    s->elements.clear();
    s->tombstones.clear();
}

void orset_insert(OrSet *s, const char *value)
{
    s->clock++;
    s->elements.insert({value, CrdtTimestamp{s->clock, s->replica}});
}

bool orset_remove(OrSet *s, const char *value)
{
    // Remove only the tags this replica has observed; an add it has not seen is not affected.
    bool found = false;
    auto it = s->elements.lower_bound({value, CrdtTimestamp{0, ""}});
    while (it != s->elements.end() && it->first == value) {
        s->tombstones.insert(it->second);
        it = s->elements.erase(it);
        found = true;
    }
    return found;
}

bool orset_contains(const OrSet *s, const char *value)
{
    auto it = s->elements.lower_bound({value, CrdtTimestamp{0, ""}});
    return it != s->elements.end() && it->first == value;
}

std::set<std::string> orset_values(const OrSet *s)
{
    std::set<std::string> out;
    for (const auto &e : s->elements) out.insert(e.first);
    return out;
}

size_t orset_len(const OrSet *s) { return orset_values(s).size(); }
bool orset_is_empty(const OrSet *s) { return s->elements.empty(); }

void orset_merge(OrSet *s, const OrSet *other)
{
    s->tombstones.insert(other->tombstones.begin(), other->tombstones.end());
    for (const auto &e : other->elements) s->elements.insert(e);
    // A tag removed anywhere stays removed everywhere, even if a stale replica still has it.
    for (auto it = s->elements.begin(); it != s->elements.end();)
        it = s->tombstones.count(it->second) ? s->elements.erase(it) : std::next(it);
    s->clock = std::max(s->clock, other->clock);
}

// ---- LWW map ----
void lwwmap_init(LwwMap *m, const char *replica)
{
    m->replica = replica;
    m->clock = 0;
    m->entries.clear();
}

static LwwRegister *entry(LwwMap *m, const char *key)
{
    auto it = m->entries.find(key);
    if (it == m->entries.end()) {
        LwwRegister r;
        lww_init(&r, m->replica.c_str());
        it = m->entries.emplace(key, r).first;
    }
    return &it->second;
}

// One Lamport clock for the whole map: every write is stamped after everything this replica saw.
static void write_entry(LwwMap *m, const char *key, const char *value, bool present)
{
    LwwRegister *e = entry(m, key);
    m->clock = std::max(m->clock, e->ts.time) + 1;
    e->ts = CrdtTimestamp{m->clock, m->replica};
    e->clock = m->clock;
    e->has_value = present;
    e->value = present ? value : "";
}

void lwwmap_insert(LwwMap *m, const char *key, const char *value) { write_entry(m, key, value, true); }

bool lwwmap_remove(LwwMap *m, const char *key)
{
    if (!lwwmap_contains_key(m, key)) return false;
    write_entry(m, key, "", false);
    return true;
}

bool lwwmap_get(const LwwMap *m, const char *key, std::string *out)
{
    auto it = m->entries.find(key);
    return it != m->entries.end() && lww_get(&it->second, out);
}

bool lwwmap_contains_key(const LwwMap *m, const char *key)
{
    auto it = m->entries.find(key);
    return it != m->entries.end() && it->second.has_value;
}

std::vector<std::string> lwwmap_keys(const LwwMap *m)
{
    std::vector<std::string> out;
    for (const auto &kv : m->entries)
        if (kv.second.has_value) out.push_back(kv.first);
    return out;
}

void lwwmap_merge(LwwMap *m, const LwwMap *other)
{
    for (const auto &[key, reg] : other->entries) {
        LwwRegister *e = entry(m, key.c_str());
        lww_take_newer(e, &reg);
        m->clock = std::max(m->clock, e->ts.time);
    }
    m->clock = std::max(m->clock, other->clock);
}
