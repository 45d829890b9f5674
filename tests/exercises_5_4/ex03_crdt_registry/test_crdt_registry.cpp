// test_crdt_registry.cpp — the EX03 suite: the seed's nine tests, then each CRDT's tricky cases, the
// merge laws over seeded random histories, and convergence of replicas gossiping in random orders,
// checked against what the operations alone say the result must be; the differential test is in
// test_crdt_diff.cpp.
#include "crdt_registry.h"
#include "nl_check.h"
#include "nl_test.h"

#include <algorithm>
#include <string>
#include <vector>

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static size_t pick(uint64_t *s, size_t n) { return (size_t)(splitmix64(s) % n); }

// ---- the seed's tests ----

static void test_gcounter_increment(void **)
{
    GCounter g;
    gcounter_init(&g);
    gcounter_increment(&g, "A");
    gcounter_increment(&g, "A");
    gcounter_increment(&g, "B");
    assert_int_equal(gcounter_value(&g), 3);
    assert_int_equal(gcounter_replica_value(&g, "A"), 2);
}

static void test_gcounter_merge_convergence(void **)
{
    GCounter a, b;
    gcounter_init(&a);
    gcounter_init(&b);
    gcounter_increment_by(&a, "A", 2);
    gcounter_increment_by(&b, "B", 3);
    GCounter a2 = a;
    gcounter_merge(&a2, &b);
    gcounter_merge(&b, &a);
    assert_int_equal(gcounter_value(&a2), 5);
    assert_int_equal(gcounter_value(&b), 5);
}

static void test_pncounter_negative(void **)
{
    PNCounter p;
    pncounter_init(&p);
    pncounter_increment(&p, "A");
    pncounter_decrement(&p, "A");
    pncounter_decrement(&p, "A");
    assert_int_equal(pncounter_value(&p), -1);
}

static void test_pncounter_concurrent_operations(void **)
{
    PNCounter a, b;
    pncounter_init(&a);
    pncounter_init(&b);
    pncounter_increment_by(&a, "A", 2);
    pncounter_decrement(&b, "B");
    PNCounter a0 = a;
    pncounter_merge(&a, &b);
    pncounter_merge(&b, &a0);
    assert_int_equal(pncounter_value(&a), 1);
    assert_int_equal(pncounter_value(&b), 1);
}

static void test_lww_register_last_write_wins(void **)
{
    // The seed sleeps 10 ms between the writes; with Lamport time both are at time 1 and the
    // replica id breaks the tie ("B" > "A"), so no sleep is needed.
    LwwRegister a, b;
    lww_init(&a, "A");
    lww_init(&b, "B");
    lww_set(&a, "first");
    lww_set(&b, "second");
    lww_merge(&a, &b);
    std::string v;
    assert_true(lww_get(&a, &v));
    assert_string_equal(v.c_str(), "second");
}

static void test_orset_add_remove(void **)
{
    OrSet s;
    orset_init(&s, "A");
    orset_insert(&s, "apple");
    orset_insert(&s, "banana");
    assert_true(orset_remove(&s, "apple"));
    assert_false(orset_contains(&s, "apple"));
    assert_true(orset_contains(&s, "banana"));
}

static void test_orset_add_wins_concurrent(void **)
{
    OrSet a, b;
    orset_init(&a, "A");
    orset_init(&b, "B");
    orset_insert(&a, "x");
    orset_merge(&b, &a);
    orset_remove(&b, "x");
    orset_insert(&a, "x"); // concurrent with B's remove
    OrSet a0 = a;
    orset_merge(&a, &b);
    orset_merge(&b, &a0);
    assert_true(orset_contains(&a, "x"));
    assert_true(orset_contains(&b, "x"));
}

static void test_crdt_idempotence(void **)
{
    GCounter g;
    gcounter_init(&g);
    gcounter_increment_by(&g, "A", 5);
    GCounter copy = g;
    gcounter_merge(&g, &copy);
    assert_int_equal(gcounter_value(&g), 5);
}

static void test_crdt_commutativity(void **)
{
    OrSet a, b, c;
    orset_init(&a, "A");
    orset_init(&b, "B");
    orset_init(&c, "C");
    orset_insert(&a, "1");
    orset_insert(&b, "2");
    orset_insert(&c, "3");
    OrSet abc = a, acb = a;
    orset_merge(&abc, &b);
    orset_merge(&abc, &c);
    orset_merge(&acb, &c);
    orset_merge(&acb, &b);
    assert_true(orset_values(&abc) == orset_values(&acb));
}

// ---- counters ----

static void test_gcounter_merge_takes_max(void **)
{
    GCounter a, b;
    gcounter_init(&a);
    gcounter_init(&b);
    gcounter_increment_by(&a, "A", 4);
    gcounter_merge(&b, &a);           // b has seen A:4
    gcounter_increment(&b, "B");
    gcounter_increment_by(&a, "A", 2); // A:6 now
    gcounter_merge(&a, &b);            // A:4 from b is old news
    assert_int_equal(gcounter_replica_value(&a, "A"), 6);
    assert_int_equal(gcounter_value(&a), 7);
    gcounter_merge(&b, &a);
    gcounter_merge(&b, &a);
    assert_int_equal(gcounter_value(&b), 7);
    assert_int_equal(gcounter_replica_value(&b, "zzz"), 0);
}

static void test_pncounter_by_and_merge(void **)
{
    PNCounter a, b;
    pncounter_init(&a);
    pncounter_init(&b);
    pncounter_increment_by(&a, "A", 10);
    pncounter_decrement_by(&a, "A", 3);
    pncounter_decrement_by(&b, "B", 20);
    pncounter_merge(&a, &b);
    pncounter_merge(&a, &b);
    assert_int_equal(pncounter_value(&a), -13);
    pncounter_merge(&b, &a);
    pncounter_decrement(&b, "B");
    pncounter_merge(&a, &b);
    assert_int_equal(pncounter_value(&a), -14);
    assert_int_equal(gcounter_replica_value(&a.negative, "B"), 21);
}

// ---- LWW register ----

static void test_lww_tie_break_both_ways(void **)
{
    LwwRegister a, b;
    lww_init(&a, "A");
    lww_init(&b, "B");
    lww_set(&a, "from-a");
    lww_set(&b, "from-b");
    LwwRegister a0 = a;
    lww_merge(&a, &b);
    lww_merge(&b, &a0);
    std::string va, vb;
    assert_true(lww_get(&a, &va) && lww_get(&b, &vb));
    assert_string_equal(va.c_str(), "from-b");
    assert_string_equal(vb.c_str(), "from-b");
    assert_true(a.ts == b.ts);
    LwwRegister empty;
    lww_init(&empty, "Z");
    assert_false(lww_get(&empty, &va));
    lww_merge(&empty, &a);
    assert_true(lww_get(&empty, &va));
    assert_string_equal(va.c_str(), "from-b");
}

static void test_lww_causal_overwrite_wins(void **)
{
    // B writes three times; A (whose id sorts lower) sees that and then writes once: A's write
    // happened after all of B's, so it must win everywhere.
    LwwRegister a, b;
    lww_init(&a, "A");
    lww_init(&b, "B");
    lww_set(&b, "b1");
    lww_set(&b, "b2");
    lww_set(&b, "b3");
    lww_merge(&a, &b);
    lww_set(&a, "a-after-b");
    lww_merge(&b, &a);
    std::string va, vb;
    assert_true(lww_get(&a, &va) && lww_get(&b, &vb));
    assert_string_equal(va.c_str(), "a-after-b");
    assert_string_equal(vb.c_str(), "a-after-b");
    assert_int_equal(a.ts.time, 4);
}

// ---- OR-Set ----

static void test_orset_remove_stays_removed(void **)
{
    // a inserts x; b and c copy it; a removes x; b hears of the remove from a, c never does.
    // Whatever order the states then meet in, x stays removed: nobody re-added it.
    OrSet a, b, c;
    orset_init(&a, "A");
    orset_init(&b, "B");
    orset_init(&c, "C");
    orset_insert(&a, "x");
    orset_insert(&a, "y");
    orset_merge(&b, &a);
    orset_merge(&c, &a);
    assert_true(orset_remove(&a, "x"));
    orset_merge(&b, &a);
    assert_false(orset_contains(&b, "x"));
    orset_merge(&b, &c); // c is stale: still has x with the old tag
    assert_false(orset_contains(&b, "x"));
    orset_merge(&c, &b);
    assert_false(orset_contains(&c, "x"));
    OrSet d;
    orset_init(&d, "D");
    orset_merge(&d, &c);
    orset_merge(&d, &a);
    assert_false(orset_contains(&d, "x"));
    assert_true(orset_contains(&d, "y"));
    assert_int_equal(orset_len(&d), 1);
    assert_false(orset_remove(&d, "x"));
    assert_false(orset_remove(&d, "never"));
}

static void test_orset_readd_after_remove(void **)
{
    OrSet a, b;
    orset_init(&a, "A");
    orset_init(&b, "B");
    orset_insert(&a, "x");
    orset_insert(&a, "x"); // two tags for one value
    orset_merge(&b, &a);
    assert_int_equal(orset_len(&b), 1);
    assert_true(orset_remove(&b, "x")); // removes both tags
    assert_true(orset_is_empty(&b));
    orset_merge(&a, &b);
    assert_false(orset_contains(&a, "x"));
    orset_insert(&a, "x"); // re-added after seeing the remove: a new tag
    orset_merge(&b, &a);
    assert_true(orset_contains(&b, "x"));
    assert_true(orset_contains(&a, "x"));
}

// ---- LWW map ----

static void test_lwwmap_basic(void **)
{
    LwwMap m;
    lwwmap_init(&m, "A");
    lwwmap_insert(&m, "k1", "v1");
    lwwmap_insert(&m, "k2", "v2");
    lwwmap_insert(&m, "k1", "v1b");
    std::string v;
    assert_true(lwwmap_get(&m, "k1", &v));
    assert_string_equal(v.c_str(), "v1b");
    assert_true(lwwmap_remove(&m, "k2"));
    assert_false(lwwmap_remove(&m, "k2"));
    assert_false(lwwmap_contains_key(&m, "k2"));
    assert_false(lwwmap_get(&m, "k2", &v));
    assert_false(lwwmap_get(&m, "nope", &v));
    std::vector<std::string> keys = lwwmap_keys(&m);
    assert_int_equal(keys.size(), 1);
    assert_string_equal(keys[0].c_str(), "k1");
    lwwmap_insert(&m, "k2", "back");
    assert_true(lwwmap_contains_key(&m, "k2"));
}

static void test_lwwmap_remove_survives_merge(void **)
{
    LwwMap a, b;
    lwwmap_init(&a, "A");
    lwwmap_init(&b, "B");
    lwwmap_insert(&a, "k", "v");
    lwwmap_merge(&b, &a); // b: stale copy with k
    assert_true(lwwmap_remove(&a, "k"));
    lwwmap_merge(&a, &b);
    assert_false(lwwmap_contains_key(&a, "k"));
    lwwmap_merge(&b, &a);
    assert_false(lwwmap_contains_key(&b, "k"));
    // b writes k after seeing the remove: that write wins.
    lwwmap_insert(&b, "k", "again");
    lwwmap_merge(&a, &b);
    std::string v;
    assert_true(lwwmap_get(&a, "k", &v));
    assert_string_equal(v.c_str(), "again");
}

static void test_lwwmap_concurrent_writes(void **)
{
    LwwMap a, b;
    lwwmap_init(&a, "A");
    lwwmap_init(&b, "B");
    lwwmap_insert(&a, "k", "from-a");
    lwwmap_insert(&b, "k", "from-b");
    lwwmap_insert(&a, "only-a", "1");
    LwwMap a0 = a;
    lwwmap_merge(&a, &b);
    lwwmap_merge(&b, &a0);
    std::string va, vb;
    assert_true(lwwmap_get(&a, "k", &va) && lwwmap_get(&b, "k", &vb));
    assert_string_equal(va.c_str(), "from-b"); // same time 1: "B" > "A"
    assert_string_equal(vb.c_str(), "from-b");
    assert_true(lwwmap_keys(&a) == lwwmap_keys(&b));
    assert_int_equal(lwwmap_keys(&b).size(), 2);
}

// ---- merge laws over random histories ----

static bool same(const GCounter &a, const GCounter &b)
{
    // Absent and 0 are the same count.
    for (const auto &kv : a.counts)
        if (gcounter_replica_value(&b, kv.first.c_str()) != kv.second) return false;
    for (const auto &kv : b.counts)
        if (gcounter_replica_value(&a, kv.first.c_str()) != kv.second) return false;
    return true;
}
static bool same(const PNCounter &a, const PNCounter &b) { return same(a.positive, b.positive) && same(a.negative, b.negative); }
static bool same(const OrSet &a, const OrSet &b) { return a.elements == b.elements && a.tombstones == b.tombstones; }
static bool same(const LwwRegister &a, const LwwRegister &b) { return a.has_value == b.has_value && a.value == b.value && a.ts == b.ts; }
static bool same(const LwwMap &a, const LwwMap &b)
{
    auto live = [](const LwwMap &m) {
        std::vector<std::pair<std::string, const LwwRegister *>> v;
        for (const auto &kv : m.entries)
            if (kv.second.ts.time > 0) v.push_back({kv.first, &kv.second});
        return v;
    };
    auto la = live(a), lb = live(b);
    if (la.size() != lb.size()) return false;
    for (size_t i = 0; i < la.size(); i++)
        if (la[i].first != lb[i].first || !same(*la[i].second, *lb[i].second)) return false;
    return true;
}

static void merge(GCounter *a, const GCounter *b) { gcounter_merge(a, b); }
static void merge(PNCounter *a, const PNCounter *b) { pncounter_merge(a, b); }
static void merge(OrSet *a, const OrSet *b) { orset_merge(a, b); }
static void merge(LwwRegister *a, const LwwRegister *b) { lww_merge(a, b); }
static void merge(LwwMap *a, const LwwMap *b) { lwwmap_merge(a, b); }

static const char *const REPLICAS[] = {"r0", "r1", "r2", "r3"};
static const char *const VALUES[] = {"a", "b", "c", "d"};

static void init(GCounter *x, int) { gcounter_init(x); }
static void init(PNCounter *x, int) { pncounter_init(x); }
static void init(OrSet *x, int r) { orset_init(x, REPLICAS[r]); }
static void init(LwwRegister *x, int r) { lww_init(x, REPLICAS[r]); }
static void init(LwwMap *x, int r) { lwwmap_init(x, REPLICAS[r]); }

static void random_op(GCounter *x, int r, uint64_t *s) { gcounter_increment_by(x, REPLICAS[r], 1 + pick(s, 3)); }
static void random_op(PNCounter *x, int r, uint64_t *s)
{
    if (pick(s, 2)) pncounter_increment_by(x, REPLICAS[r], 1 + pick(s, 3));
    else pncounter_decrement_by(x, REPLICAS[r], 1 + pick(s, 3));
}
static void random_op(OrSet *x, int, uint64_t *s)
{
    if (pick(s, 3)) orset_insert(x, VALUES[pick(s, 4)]);
    else orset_remove(x, VALUES[pick(s, 4)]);
}
static void random_op(LwwRegister *x, int, uint64_t *s) { lww_set(x, VALUES[pick(s, 4)]); }
static void random_op(LwwMap *x, int, uint64_t *s)
{
    if (pick(s, 3)) lwwmap_insert(x, VALUES[pick(s, 4)], VALUES[pick(s, 4)]);
    else lwwmap_remove(x, VALUES[pick(s, 4)]);
}

// Three replicas run random operations with random merges between them; the laws are then checked
// on their states.
template <class T> static void check_laws(const char *type, int seeds)
{
    for (uint64_t seed = 1; seed <= (uint64_t)seeds; seed++) {
        uint64_t s = seed * 7919;
        T x[3];
        for (int r = 0; r < 3; r++) init(&x[r], r);
        for (int step = 0; step < 30; step++) {
            int r = (int)pick(&s, 3);
            if (pick(&s, 4) == 0) {
                int o = (int)pick(&s, 3);
                if (o != r) merge(&x[r], &x[o]);
            } else {
                random_op(&x[r], r, &s);
            }
        }
        const T &a = x[0], &b = x[1], &c = x[2];
        T ab = a, ba = b, ab_c = a, bc = b, a_bc = a, aa = a, abb = a;
        merge(&ab, &b);
        merge(&ba, &a);
        if (!same(ab, ba)) fail_msg("%s seed %llu: merge is not commutative", type, (unsigned long long)seed);
        merge(&ab_c, &b);
        merge(&ab_c, &c);
        merge(&bc, &c);
        merge(&a_bc, &bc);
        if (!same(ab_c, a_bc)) fail_msg("%s seed %llu: merge is not associative", type, (unsigned long long)seed);
        merge(&aa, &a);
        if (!same(aa, a)) fail_msg("%s seed %llu: merge(a, a) != a", type, (unsigned long long)seed);
        merge(&abb, &b);
        merge(&abb, &b);
        if (!same(abb, ab)) fail_msg("%s seed %llu: merging b twice != once", type, (unsigned long long)seed);
    }
}

static void test_merge_laws_counters(void **)
{
    check_laws<GCounter>("GCounter", 200);
    check_laws<PNCounter>("PNCounter", 200);
}
static void test_merge_laws_orset(void **) { check_laws<OrSet>("OrSet", 300); }
static void test_merge_laws_lww(void **)
{
    check_laws<LwwRegister>("LwwRegister", 200);
    check_laws<LwwMap>("LwwMap", 300);
}

// ---- convergence against an oracle ----

// Brings every replica up to date by merges in random orders: 3 rounds over all ordered pairs of 4
// replicas, each round shuffled (Fisher-Yates on our own PRNG). After it, everyone saw everything.
template <class T> static void gossip(T *x, uint64_t *s)
{
    std::vector<std::pair<int, int>> pairs;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            if (i != j) pairs.push_back({i, j});
    for (int round = 0; round < 3; round++) {
        for (size_t i = pairs.size() - 1; i > 0; i--) std::swap(pairs[i], pairs[pick(s, i + 1)]);
        for (auto [to, from] : pairs) merge(&x[to], &x[from]);
    }
}

static void test_convergence_counters(void **)
{
    for (uint64_t seed = 1; seed <= 100; seed++) {
        uint64_t s = seed;
        PNCounter p[4];
        GCounter g[4];
        int64_t want = 0;
        uint64_t want_g = 0;
        for (int r = 0; r < 4; r++) pncounter_init(&p[r]), gcounter_init(&g[r]);
        for (int step = 0; step < 60; step++) {
            int r = (int)pick(&s, 4), o = (int)pick(&s, 4);
            uint64_t n = 1 + pick(&s, 5);
            switch (pick(&s, 4)) {
            case 0: pncounter_increment_by(&p[r], REPLICAS[r], n), want += (int64_t)n; break;
            case 1: pncounter_decrement_by(&p[r], REPLICAS[r], n), want -= (int64_t)n; break;
            case 2: gcounter_increment_by(&g[r], REPLICAS[r], n), want_g += n; break;
            default: pncounter_merge(&p[r], &p[o]), gcounter_merge(&g[r], &g[o]);
            }
        }
        gossip(p, &s);
        gossip(g, &s);
        for (int r = 0; r < 4; r++) {
            if (pncounter_value(&p[r]) != want)
                fail_msg("seed %llu: PNCounter replica %d = %lld, want %lld", (unsigned long long)seed, r, (long long)pncounter_value(&p[r]), (long long)want);
            if (gcounter_value(&g[r]) != want_g)
                fail_msg("seed %llu: GCounter replica %d = %llu, want %llu", (unsigned long long)seed, r, (unsigned long long)gcounter_value(&g[r]), (unsigned long long)want_g);
        }
    }
}

static void test_convergence_orset(void **)
{
    // Oracle: each insert makes a tag; each remove kills the tags its replica had for the value.
    // A value is in the final set iff one of its tags was never killed.
    for (uint64_t seed = 1; seed <= 150; seed++) {
        uint64_t s = seed;
        OrSet x[4];
        for (int r = 0; r < 4; r++) orset_init(&x[r], REPLICAS[r]);
        std::vector<std::pair<std::string, CrdtTimestamp>> inserted;
        std::set<CrdtTimestamp> killed;
        for (int step = 0; step < 50; step++) {
            int r = (int)pick(&s, 4), o = (int)pick(&s, 4);
            const char *v = VALUES[pick(&s, 4)];
            switch (pick(&s, 3)) {
            case 0: {
                auto before = x[r].elements;
                orset_insert(&x[r], v);
                for (const auto &e : x[r].elements)
                    if (!before.count(e)) inserted.push_back(e);
                break;
            }
            case 1:
                for (const auto &e : x[r].elements)
                    if (e.first == v) killed.insert(e.second);
                orset_remove(&x[r], v);
                break;
            default: orset_merge(&x[r], &x[o]);
            }
        }
        std::set<std::string> want;
        for (const auto &e : inserted)
            if (!killed.count(e.second)) want.insert(e.first);
        gossip(x, &s);
        for (int r = 0; r < 4; r++)
            if (orset_values(&x[r]) != want) {
                std::string got, exp;
                for (auto &v : orset_values(&x[r])) got += v + " ";
                for (auto &v : want) exp += v + " ";
                fail_msg("seed %llu: replica %d has {%s}, want {%s}", (unsigned long long)seed, r, got.c_str(), exp.c_str());
            }
    }
}

static void test_convergence_lwwmap(void **)
{
    // Oracle: for each key, the write (insert or remove) with the largest timestamp decides.
    for (uint64_t seed = 1; seed <= 150; seed++) {
        uint64_t s = seed;
        LwwMap x[4];
        for (int r = 0; r < 4; r++) lwwmap_init(&x[r], REPLICAS[r]);
        std::map<std::string, std::pair<CrdtTimestamp, std::string>> last; // key -> (ts, value or "" when removed)
        for (int step = 0; step < 50; step++) {
            int r = (int)pick(&s, 4), o = (int)pick(&s, 4);
            const char *k = VALUES[pick(&s, 4)], *v = VALUES[pick(&s, 4)];
            bool wrote = false;
            switch (pick(&s, 3)) {
            case 0: lwwmap_insert(&x[r], k, v), wrote = true; break;
            case 1: wrote = lwwmap_remove(&x[r], k); break;
            default: lwwmap_merge(&x[r], &x[o]);
            }
            if (wrote) {
                const LwwRegister &e = x[r].entries.at(k);
                auto it = last.find(k);
                if (it == last.end() || it->second.first < e.ts) last[k] = {e.ts, e.has_value ? e.value : ""};
            }
        }
        gossip(x, &s);
        for (int r = 0; r < 4; r++)
            for (const char *k : VALUES) {
                std::string got;
                bool has = lwwmap_get(&x[r], k, &got);
                auto it = last.find(k);
                bool want_has = it != last.end() && !it->second.second.empty();
                if (has != want_has || (has && got != it->second.second))
                    fail_msg("seed %llu: replica %d key %s = %s, want %s", (unsigned long long)seed, r, k, has ? got.c_str() : "(none)",
                             want_has ? it->second.second.c_str() : "(none)");
            }
    }
}


// ---- rules no seed test reaches ----

// R4: time first, then the replica id bytewise ("AB" sorts between "A" and "B").
static void test_ts_compare_orders(void **)
{
    struct Case {
        CrdtTimestamp a, b;
        int sign;
    } cases[] = {
        {{1, "B"}, {2, "A"}, -1}, {{2, "A"}, {1, "B"}, 1}, {{3, "A"}, {3, "AB"}, -1},
        {{3, "B"}, {3, "AB"}, 1}, {{3, "AB"}, {3, "AB"}, 0}, {{0, ""}, {0, "A"}, -1},
    };
    for (const Case &c : cases) {
        int got = crdt_ts_compare(&c.a, &c.b);
        int sign = got < 0 ? -1 : got > 0 ? 1 : 0;
        if (sign != c.sign)
            NL_FAIL("crdt_ts_compare((%llu, '%s'), (%llu, '%s')) = %d: expected %s", (unsigned long long)c.a.time,
                    c.a.replica.c_str(), (unsigned long long)c.b.time, c.b.replica.c_str(), got,
                    c.sign < 0 ? "< 0" : c.sign > 0 ? "> 0" : "0");
    }
}

// R10, R11: the empty string is a value like any other; removing twice writes once.
static void test_lwwmap_empty_value_and_double_remove(void **)
{
    LwwMap m;
    lwwmap_init(&m, "A");
    lwwmap_insert(&m, "k", "");
    std::string v = "unchanged";
    NL_EXPECT_TRUE(lwwmap_get(&m, "k", &v), "lwwmap_get('k') after inserting the value ''");
    NL_EXPECT_STREQ(v, "", "value of 'k' after inserting ''");
    NL_EXPECT_TRUE(lwwmap_contains_key(&m, "k"), "lwwmap_contains_key('k') after inserting ''");
    NL_EXPECT_EQ_INT(lwwmap_keys(&m).size(), 1, "number of keys after inserting 'k' => ''");
    NL_EXPECT_TRUE(lwwmap_remove(&m, "k"), "lwwmap_remove('k') of a live key");
    uint64_t clock = m.clock;
    NL_EXPECT_TRUE(!lwwmap_remove(&m, "k"), "a second lwwmap_remove('k')");
    NL_EXPECT_EQ_INT(m.clock, clock, "map clock after the second remove (it writes nothing)");
    NL_EXPECT_TRUE(!lwwmap_remove(&m, "never"), "lwwmap_remove of a key never written");
    NL_EXPECT_EQ_INT(m.clock, clock, "map clock after removing a key never written");
    NL_EXPECT_TRUE(!lwwmap_get(&m, "k", &v) && lwwmap_keys(&m).empty(), "'k' is gone after the remove");
    // The tombstone beats the older insert held by a stale replica.
    LwwMap stale;
    lwwmap_init(&stale, "B");
    lwwmap_insert(&stale, "k", "old");
    lwwmap_merge(&m, &stale);
    NL_EXPECT_TRUE(!lwwmap_contains_key(&m, "k"), "after merging a replica whose 'k' (time 1) is older than the remove (time 2)");
}


// R15: an init gives a fresh replica, even over a struct that was used before.
static void test_init_resets_used_structs(void **)
{
    GCounter g;
    gcounter_init(&g);
    gcounter_increment_by(&g, "A", 3);
    gcounter_init(&g);
    NL_EXPECT_EQ_INT(gcounter_value(&g), 0, "gcounter_value after gcounter_init of a used counter");
    PNCounter pn;
    pncounter_init(&pn);
    pncounter_increment_by(&pn, "A", 2), pncounter_decrement_by(&pn, "B", 5);
    pncounter_init(&pn);
    NL_EXPECT_EQ_INT(pncounter_value(&pn), 0, "pncounter_value after pncounter_init of a used counter");
    NL_EXPECT_EQ_INT(gcounter_value(&pn.negative), 0, "negative half after pncounter_init of a used counter");
    LwwRegister r;
    lww_init(&r, "A");
    lww_set(&r, "x"), lww_set(&r, "y");
    lww_init(&r, "B");
    std::string v;
    NL_EXPECT_TRUE(!lww_get(&r, &v), "lww_get after lww_init of a used register");
    NL_EXPECT_EQ_INT(r.ts.time, 0, "timestamp time after lww_init of a used register");
    lww_set(&r, "z");
    NL_EXPECT_TRUE(r.ts.time == 1 && r.ts.replica == "B", "first write after lww_init(B) of a used register is stamped (1, B)");
    OrSet s;
    orset_init(&s, "A");
    orset_insert(&s, "x"), orset_insert(&s, "y"), orset_remove(&s, "y");
    orset_init(&s, "B");
    NL_EXPECT_TRUE(orset_is_empty(&s) && orset_len(&s) == 0 && !orset_contains(&s, "x"), "orset_init of a used set empties it");
    NL_EXPECT_TRUE(s.tombstones.empty(), "orset_init of a used set forgets its tombstones");
    orset_insert(&s, "y");
    NL_EXPECT_TRUE(orset_contains(&s, "y"), "insert of y after orset_init of a set that had removed y");
    LwwMap m;
    lwwmap_init(&m, "A");
    lwwmap_insert(&m, "k", "v"), lwwmap_insert(&m, "j", "w"), lwwmap_remove(&m, "j");
    lwwmap_init(&m, "B");
    NL_EXPECT_TRUE(lwwmap_keys(&m).empty() && !lwwmap_contains_key(&m, "k"), "lwwmap_init of a used map empties it");
    NL_EXPECT_EQ_INT(m.clock, 0, "map clock after lwwmap_init of a used map");
}

// The clock fields the README fixes: lww_merge raises a register's clock to the larger of both
// (R6), orset_init of a used set starts its tags again at (1, replica) (R7, R15), lwwmap_insert
// stamps (clock + 1, replica) (R10).
static void test_clock_fields_exact(void **)
{
    LwwRegister a, b;
    lww_init(&a, "A"), lww_init(&b, "B");
    lww_set(&a, "x"), lww_set(&a, "y"), lww_set(&a, "z");
    lww_merge(&b, &a);
    NL_EXPECT_EQ_INT(b.clock, 3, "clock of a fresh register B after merging A, which wrote 3 times");
    NL_EXPECT_TRUE(b.ts.time == 3 && b.ts.replica == "A", "timestamp of B after merging A's third write");
    lww_merge(&a, &b);
    NL_EXPECT_EQ_INT(a.clock, 3, "clock of A after merging B (which saw only A's writes)");
    OrSet s;
    orset_init(&s, "A");
    orset_insert(&s, "x"), orset_insert(&s, "y");
    orset_init(&s, "B");
    NL_EXPECT_EQ_INT(s.clock, 0, "OrSet clock after orset_init of a used set");
    orset_insert(&s, "x");
    NL_EXPECT_TRUE(s.elements.size() == 1 && s.elements.begin()->second.time == 1 && s.elements.begin()->second.replica == "B",
                   "the first insert after orset_init(B) of a used set is tagged (1, B)");
    LwwMap m;
    lwwmap_init(&m, "A");
    lwwmap_insert(&m, "k", "v");
    NL_EXPECT_EQ_INT(m.clock, 1, "map clock after the first lwwmap_insert");
    NL_EXPECT_TRUE(m.entries.count("k") && m.entries.at("k").ts.time == 1 && m.entries.at("k").ts.replica == "A",
                   "the first lwwmap_insert of map A is stamped (1, A)");
    lwwmap_insert(&m, "j", "w");
    NL_EXPECT_TRUE(m.entries.count("j") && m.entries.at("j").ts.time == 2, "the second lwwmap_insert is stamped (2, A)");
    lwwmap_remove(&m, "k");
    NL_EXPECT_TRUE(m.entries.at("k").ts.time == 3 && !m.entries.at("k").has_value, "lwwmap_remove after two inserts writes a tombstone at (3, A)");
    NL_EXPECT_EQ_INT(m.clock, 3, "map clock after two inserts and a remove");
}

void test_differential_random_histories(void **);

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_gcounter_increment),
    cmocka_unit_test(test_gcounter_merge_convergence),
    cmocka_unit_test(test_pncounter_negative),
    cmocka_unit_test(test_pncounter_concurrent_operations),
    cmocka_unit_test(test_lww_register_last_write_wins),
    cmocka_unit_test(test_orset_add_remove),
    cmocka_unit_test(test_orset_add_wins_concurrent),
    cmocka_unit_test(test_crdt_idempotence),
    cmocka_unit_test(test_crdt_commutativity),
    cmocka_unit_test(test_gcounter_merge_takes_max),
    cmocka_unit_test(test_pncounter_by_and_merge),
    cmocka_unit_test(test_lww_tie_break_both_ways),
    cmocka_unit_test(test_lww_causal_overwrite_wins),
    cmocka_unit_test(test_orset_remove_stays_removed),
    cmocka_unit_test(test_orset_readd_after_remove),
    cmocka_unit_test(test_lwwmap_basic),
    cmocka_unit_test(test_lwwmap_remove_survives_merge),
    cmocka_unit_test(test_lwwmap_concurrent_writes),
    cmocka_unit_test(test_merge_laws_counters),
    cmocka_unit_test(test_merge_laws_orset),
    cmocka_unit_test(test_merge_laws_lww),
    cmocka_unit_test(test_convergence_counters),
    cmocka_unit_test(test_convergence_orset),
    cmocka_unit_test(test_convergence_lwwmap),
    cmocka_unit_test(test_ts_compare_orders),
    cmocka_unit_test(test_lwwmap_empty_value_and_double_remove),
    cmocka_unit_test(test_differential_random_histories),
    cmocka_unit_test(test_init_resets_used_structs),
    cmocka_unit_test(test_clock_fields_exact),
};

NL_TEST_MAIN("exercises_5_4/ex03_crdt_registry", tests)
