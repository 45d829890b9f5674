// test_consistent_hash.cpp — the EX01 suite: the seed's five tests, then the hash, lookups at the
// edges of the ring, replicas, weights, the arcs that move on add/remove, stats, simulation.
#include "nl_test.h"
#include "consistent_hash.h"
#include "nl_crypto.h"
#include "nl_testproc.h"

#include <cerrno>
#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <string>
#include <vector>

static RingNode node(const std::string &id, uint32_t weight = 1) { return RingNode{id, "10.0.0.1:7000", weight}; }

static void build(Ring *r, size_t vnodes, size_t rf, int n)
{
    RingConfig c{vnodes, rf};
    RingError err;
    assert_int_equal(ring_init(r, &c, &err), RING_OK);
    for (int i = 0; i < n; i++) {
        RingNode nd = node("node" + std::to_string(i));
        assert_int_equal(ring_add_node(r, &nd, nullptr, &err), RING_OK);
    }
}

static std::vector<std::string> keys(int n, const char *prefix = "key_")
{
    std::vector<std::string> k;
    for (int i = 0; i < n; i++) k.push_back(prefix + std::to_string(i));
    return k;
}

static std::string primary_of(const Ring *r, uint64_t h)
{
    RingLookup res;
    RingError err;
    assert_int_equal(ring_lookup_hash(r, h, &res, &err), RING_OK);
    return res.primary.id;
}

// ---- the seed's tests ----

static void test_basic_lookup(void **)
{
    Ring r;
    RingConfig c = ring_default_config();
    assert_int_equal(c.virtual_nodes, 150);
    assert_int_equal(c.replication_factor, 3);
    RingError err;
    assert_int_equal(ring_init(&r, &c, &err), RING_OK);
    for (int i = 0; i < 2; i++) {
        RingNode nd = node("node" + std::to_string(i));
        assert_int_equal(ring_add_node(&r, &nd, nullptr, &err), RING_OK);
    }
    RingLookup res;
    assert_int_equal(ring_lookup(&r, "my_key", &res, &err), RING_OK);
    assert_false(res.primary.id.empty());
}

static void test_consistent_lookup(void **)
{
    Ring r;
    build(&r, 100, 3, 5);
    RingLookup a, b;
    RingError err;
    assert_int_equal(ring_lookup(&r, "consistent_key", &a, &err), RING_OK);
    assert_int_equal(ring_lookup(&r, "consistent_key", &b, &err), RING_OK);
    assert_string_equal(a.primary.id.c_str(), b.primary.id.c_str());
}

static void test_minimal_redistribution(void **)
{
    Ring r;
    build(&r, 150, 1, 10);
    RingNode nn = node("node_new");
    double moved = -1;
    RingError err;
    assert_int_equal(ring_simulate_add(&r, &nn, keys(10000), &moved, &err), RING_OK);
    if (!(moved > 0.05 && moved < 0.15)) fail_msg("moved fraction %.4f, want 0.05 < x < 0.15 (about 1/11)", moved);
}

static void test_replication_different_nodes(void **)
{
    Ring r;
    build(&r, 100, 3, 5);
    RingLookup res;
    RingError err;
    assert_int_equal(ring_lookup(&r, "replicated_key", &res, &err), RING_OK);
    std::set<std::string> ids = {res.primary.id};
    for (const RingNode &n : res.replicas) ids.insert(n.id);
    assert_int_equal(ids.size(), 3);
}

static void test_weight_distribution(void **)
{
    Ring r;
    RingConfig c{100, 1};
    RingError err;
    assert_int_equal(ring_init(&r, &c, &err), RING_OK);
    RingNode light = node("light", 1), heavy = node("heavy", 3);
    assert_int_equal(ring_add_node(&r, &light, nullptr, &err), RING_OK);
    assert_int_equal(ring_add_node(&r, &heavy, nullptr, &err), RING_OK);
    RingStats st;
    ring_distribution_stats(&r, keys(10000), &st);
    double ratio = (double)st.keys_per_node["heavy"] / (double)st.keys_per_node["light"];
    if (!(ratio > 2.0 && ratio < 4.0)) fail_msg("heavy/light = %.3f, want between 2 and 4", ratio);
}

// ---- the hash ----

static void test_hash_known_vectors(void **)
{
    // SHA-256("") = e3b0c442 98fc1c14 ..., SHA-256("abc") = ba7816bf 8f01cfea ... (FIPS 180-2)
    assert_true(ring_hash_key("") == 0xe3b0c44298fc1c14ULL);
    assert_true(ring_hash_key("abc") == 0xba7816bf8f01cfeaULL);
    assert_true(ring_hash_vnode("node1", 10) == ring_hash_key("node1#10"));
    assert_true(ring_hash_vnode("n", 0) == ring_hash_key("n#0"));
    uint8_t d[NL_SHA256_LEN];
    nl_sha256("key_42", 6, d);
    uint64_t want = 0;
    for (int i = 0; i < 8; i++) want = want << 8 | d[i];
    assert_true(ring_hash_key("key_42") == want);
}

// ---- lookups ----

static void test_lookup_exact_point(void **)
{
    Ring r;
    build(&r, 20, 1, 4);
    for (const auto &[pos, owner] : ring_debug(&r)) {
        assert_string_equal(primary_of(&r, pos).c_str(), owner.c_str());
        if (pos > 0) assert_string_equal(primary_of(&r, pos - 1).c_str(), owner.c_str());
    }
}

static void test_lookup_wraps(void **)
{
    Ring r;
    build(&r, 20, 1, 4);
    auto pts = ring_debug(&r);
    const std::string &first = pts.front().second, &last = pts.back().second;
    assert_string_equal(primary_of(&r, UINT64_MAX).c_str(), first.c_str());
    if (pts.back().first < UINT64_MAX) assert_string_equal(primary_of(&r, pts.back().first + 1).c_str(), first.c_str());
    assert_string_equal(primary_of(&r, pts.back().first).c_str(), last.c_str());
    assert_string_equal(primary_of(&r, 0).c_str(), first.c_str());
    RingLookup res;
    RingError err;
    assert_int_equal(ring_lookup_hash(&r, UINT64_MAX, &res, &err), RING_OK);
    assert_true(res.ring_position > 0.999 && res.ring_position <= 1.0);
    assert_int_equal(ring_lookup_hash(&r, 1ULL << 63, &res, &err), RING_OK);
    assert_true(res.ring_position == 0.5);
}

static void test_replicas_distinct_many_keys(void **)
{
    Ring r;
    build(&r, 50, 3, 5);
    RingError err;
    auto pts = ring_debug(&r);
    for (const std::string &k : keys(2000)) {
        RingLookup res;
        assert_int_equal(ring_lookup(&r, k.c_str(), &res, &err), RING_OK);
        std::set<std::string> ids = {res.primary.id};
        for (const RingNode &n : res.replicas) ids.insert(n.id);
        if (ids.size() != 3 || res.replicas.size() != 2) fail_msg("key %s: %zu distinct of %zu", k.c_str(), ids.size(), res.replicas.size() + 1);
        // The replicas are the next distinct nodes clockwise from the key's position.
        uint64_t h = ring_hash_key(k.c_str());
        size_t i = std::lower_bound(pts.begin(), pts.end(), std::make_pair(h, std::string())) - pts.begin();
        std::vector<std::string> want;
        for (size_t s = 0; want.size() < 3; s++) {
            const std::string &o = pts[(i + s) % pts.size()].second;
            bool dup = false;
            for (auto &w : want) dup = dup || w == o;
            if (!dup) want.push_back(o);
        }
        if (res.primary.id != want[0] || res.replicas[0].id != want[1] || res.replicas[1].id != want[2])
            fail_msg("key %s: got %s,%s,%s want %s,%s,%s", k.c_str(), res.primary.id.c_str(), res.replicas[0].id.c_str(),
                     res.replicas[1].id.c_str(), want[0].c_str(), want[1].c_str(), want[2].c_str());
    }
}

static void test_fewer_nodes_than_replicas(void **)
{
    Ring r;
    build(&r, 10, 5, 2);
    RingLookup res;
    RingError err;
    assert_int_equal(ring_lookup(&r, "k", &res, &err), RING_OK);
    assert_int_equal(res.replicas.size(), 1);
    assert_string_not_equal(res.primary.id.c_str(), res.replicas[0].id.c_str());
    assert_string_equal(res.primary.address.c_str(), "10.0.0.1:7000");
    Ring one;
    build(&one, 10, 3, 1);
    assert_int_equal(ring_lookup(&one, "k", &res, &err), RING_OK);
    assert_string_equal(res.primary.id.c_str(), "node0");
    assert_int_equal(res.replicas.size(), 0);
}

static void test_vnode_count_no_collisions(void **)
{
    // "node1" vnode 10 and "node11" vnode 0 must be different points.
    Ring r;
    RingConfig c{12, 1};
    RingError err;
    assert_int_equal(ring_init(&r, &c, &err), RING_OK);
    for (const char *id : {"node1", "node11", "node2"}) {
        RingNode nd = node(id);
        assert_int_equal(ring_add_node(&r, &nd, nullptr, &err), RING_OK);
    }
    auto pts = ring_debug(&r);
    assert_int_equal(pts.size(), 36);
    for (const char *id : {"node1", "node11", "node2"}) {
        size_t n = 0;
        for (auto &p : pts) n += p.second == id;
        if (n != 12) fail_msg("%s owns %zu points, want 12", id, n);
    }
}

static void test_weight_multiplies_vnodes(void **)
{
    Ring r;
    RingConfig c{40, 1};
    RingError err;
    assert_int_equal(ring_init(&r, &c, &err), RING_OK);
    RingNode a = node("a", 1), b = node("b", 5);
    assert_int_equal(ring_add_node(&r, &a, nullptr, &err), RING_OK);
    assert_int_equal(ring_add_node(&r, &b, nullptr, &err), RING_OK);
    size_t na = 0, nb = 0;
    for (auto &p : ring_debug(&r)) (p.second == "a" ? na : nb)++;
    assert_int_equal(na, 40);
    assert_int_equal(nb, 200);
    for (size_t i = 0; i < 200; i++) assert_string_equal(primary_of(&r, ring_hash_vnode("b", i)).c_str(), "b");
}

// ---- membership changes ----

static bool in_arc(uint64_t h, const RingMove &m)
{
    return m.from_exclusive < m.to_inclusive ? (h > m.from_exclusive && h <= m.to_inclusive) : (h > m.from_exclusive || h <= m.to_inclusive);
}

// Every sample key: its primary changed iff its hash is in a reported arc, from old to new owner.
static void check_moves(const Ring *before, const Ring *after, const std::vector<RingMove> &moves)
{
    for (const std::string &k : keys(3000, "mv_")) {
        uint64_t h = ring_hash_key(k.c_str());
        std::string o = primary_of(before, h), n = primary_of(after, h);
        const RingMove *hit = nullptr;
        for (const RingMove &m : moves)
            if (in_arc(h, m)) {
                if (hit) fail_msg("key %s is in two arcs", k.c_str());
                hit = &m;
            }
        if ((o != n) != (hit != nullptr)) fail_msg("key %s: owner %s -> %s but %s", k.c_str(), o.c_str(), n.c_str(), hit ? "in an arc" : "in no arc");
        if (hit && (hit->old_owner != o || hit->new_owner != n))
            fail_msg("key %s moves %s -> %s, arc says %s -> %s", k.c_str(), o.c_str(), n.c_str(), hit->old_owner.c_str(), hit->new_owner.c_str());
    }
}

static void test_add_moves_exact(void **)
{
    Ring r;
    build(&r, 30, 2, 6);
    Ring before = r;
    RingNode nn = node("newcomer", 2);
    std::vector<RingMove> moves;
    RingError err;
    assert_int_equal(ring_add_node(&r, &nn, &moves, &err), RING_OK);
    assert_true(moves.size() > 0 && moves.size() <= 60);
    for (const RingMove &m : moves) assert_string_equal(m.new_owner.c_str(), "newcomer");
    check_moves(&before, &r, moves);
    // The first node of a ring takes over nothing from anyone.
    Ring empty;
    build(&empty, 30, 2, 0);
    moves.push_back({1, 2, "x", "y"});
    assert_int_equal(ring_add_node(&empty, &nn, &moves, &err), RING_OK);
    assert_int_equal(moves.size(), 0);
}

static void test_remove_moves_exact(void **)
{
    Ring r;
    build(&r, 30, 2, 6);
    Ring before = r;
    std::vector<RingMove> moves;
    RingError err;
    assert_int_equal(ring_remove_node(&r, "node3", &moves, &err), RING_OK);
    assert_true(moves.size() > 0);
    for (const RingMove &m : moves) assert_string_equal(m.old_owner.c_str(), "node3");
    check_moves(&before, &r, moves);
}

static void test_remove_node(void **)
{
    Ring r;
    build(&r, 50, 3, 4);
    RingError err;
    assert_int_equal(ring_remove_node(&r, "node2", nullptr, &err), RING_OK);
    assert_int_equal(ring_node_count(&r), 3);
    assert_int_equal(ring_debug(&r).size(), 150);
    for (const std::string &k : keys(1000)) {
        RingLookup res;
        assert_int_equal(ring_lookup(&r, k.c_str(), &res, &err), RING_OK);
        assert_string_not_equal(res.primary.id.c_str(), "node2");
        for (const RingNode &n : res.replicas) assert_string_not_equal(n.id.c_str(), "node2");
    }
    assert_int_equal(ring_remove_node(&r, "node2", nullptr, &err), RING_ERR_NOT_FOUND);
    assert_non_null(strstr(err.message, "node2"));
    // Removing then re-adding gives the same ring as never removing.
    Ring again = r, full;
    RingNode n2 = node("node2");
    assert_int_equal(ring_add_node(&again, &n2, nullptr, &err), RING_OK);
    build(&full, 50, 3, 4);
    assert_true(ring_debug(&again) == ring_debug(&full));
}

static void test_bad_input_errors(void **)
{
    Ring r;
    RingError err;
    RingConfig bad{0, 3};
    assert_int_equal(ring_init(&r, &bad, &err), RING_ERR_INVALID);
    bad = {10, 0};
    assert_int_equal(ring_init(&r, &bad, &err), RING_ERR_INVALID);
    build(&r, 10, 2, 0);
    RingLookup res;
    assert_int_equal(ring_lookup(&r, "k", &res, &err), RING_ERR_EMPTY);
    assert_true(strlen(err.message) > 0);
    RingNode e = node(""), w0 = node("w", 0), big = node("big", RING_MAX_WEIGHT + 1), ok = node("ok");
    assert_int_equal(ring_add_node(&r, &e, nullptr, &err), RING_ERR_INVALID);
    assert_int_equal(ring_add_node(&r, &w0, nullptr, &err), RING_ERR_INVALID);
    assert_int_equal(ring_add_node(&r, &big, nullptr, &err), RING_ERR_INVALID);
    assert_int_equal(ring_add_node(&r, &ok, nullptr, &err), RING_OK);
    assert_int_equal(ring_add_node(&r, &ok, nullptr, &err), RING_ERR_EXISTS);
    assert_int_equal(ring_node_count(&r), 1);
    assert_int_equal(ring_debug(&r).size(), 10);
    double f;
    assert_int_equal(ring_simulate_add(&r, &ok, keys(10), &f, &err), RING_ERR_EXISTS);
    assert_int_equal(ring_simulate_remove(&r, "nope", keys(10), &f, &err), RING_ERR_NOT_FOUND);
}

// ---- statistics and simulation ----

static void test_distribution_stats(void **)
{
    Ring r;
    build(&r, 100, 1, 8);
    std::vector<std::string> ks = keys(5000);
    RingStats st;
    ring_distribution_stats(&r, ks, &st);
    assert_int_equal(st.keys_per_node.size(), 8);
    size_t total = 0;
    for (auto &[id, n] : st.keys_per_node) {
        total += n;
        size_t mine = 0;
        for (auto &k : ks) mine += primary_of(&r, ring_hash_key(k.c_str())) == id;
        assert_int_equal(n, mine);
    }
    assert_int_equal(total, 5000);
    double mean = 5000.0 / 8, var = 0;
    for (auto &[id, n] : st.keys_per_node) var += (n - mean) * (n - mean);
    double sd = std::sqrt(var / 8);
    assert_true(std::fabs(st.mean - mean) < 1e-9);
    assert_true(std::fabs(st.standard_deviation - sd) < 1e-6);
    assert_true(std::fabs(st.coefficient_of_variation - sd / mean) < 1e-9);
    assert_true(st.coefficient_of_variation < 0.25); // 100 vnodes spread keys within ~10%
    // A node that gets none of the keys is still listed.
    std::vector<std::string> one = {"only"};
    ring_distribution_stats(&r, one, &st);
    assert_int_equal(st.keys_per_node.size(), 8);
    assert_true(std::fabs(st.mean - 1.0 / 8) < 1e-12);
}

static void test_simulate_leaves_ring(void **)
{
    Ring r;
    build(&r, 150, 1, 10);
    auto pts = ring_debug(&r);
    double add = -1, rem = -1;
    RingNode nn = node("node_new");
    RingError err;
    std::vector<std::string> ks = keys(10000);
    assert_int_equal(ring_simulate_add(&r, &nn, ks, &add, &err), RING_OK);
    assert_int_equal(ring_simulate_remove(&r, "node4", ks, &rem, &err), RING_OK);
    assert_true(ring_debug(&r) == pts);
    assert_int_equal(ring_node_count(&r), 10);
    // The fraction is exactly the share of keys whose primary differs on a real copy.
    Ring added = r, removed = r;
    ring_add_node(&added, &nn, nullptr, &err);
    ring_remove_node(&removed, "node4", nullptr, &err);
    size_t ma = 0, mr = 0, owned4 = 0;
    for (auto &k : ks) {
        uint64_t h = ring_hash_key(k.c_str());
        std::string o = primary_of(&r, h);
        ma += o != primary_of(&added, h);
        mr += o != primary_of(&removed, h);
        owned4 += o == "node4";
    }
    assert_true(std::fabs(add - ma / 10000.0) < 1e-12);
    assert_true(std::fabs(rem - mr / 10000.0) < 1e-12);
    assert_int_equal(mr, owned4); // removing a node moves exactly its own keys
    if (!(rem > 0.05 && rem < 0.15)) fail_msg("remove moved %.4f, want about 1/10", rem);
}

// ---- the thread-safe ring ----

struct Call {
    RingTs *ts;
    int op; // 0 add, 1 lookup, 2 remove, 3 node_count
    RingNode node;
    int rc = -100;
    bool done = false; // written by the worker under __atomic
};

static void *call_thread(void *arg)
{
    Call *c = (Call *)arg;
    RingError err;
    RingLookup res;
    if (c->op == 0) c->rc = ring_ts_add_node(c->ts, &c->node, nullptr, &err);
    if (c->op == 1) c->rc = ring_ts_lookup(c->ts, "some_key", &res, &err);
    if (c->op == 2) c->rc = ring_ts_remove_node(c->ts, c->node.id.c_str(), nullptr, &err);
    if (c->op == 3) c->rc = (int)ring_ts_node_count(c->ts);
    __atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
    return nullptr;
}

static bool call_done(void *arg) { return __atomic_load_n(&((Call *)arg)->done, __ATOMIC_ACQUIRE); }

// Done, or queued on the lock: a writer-preferring rwlock refuses new readers once a writer waits.
static bool writer_done_or_queued(void *arg)
{
    Call *c = (Call *)arg;
    if (call_done(c)) return true;
    int rc = pthread_rwlock_tryrdlock(&c->ts->lock);
    if (rc == 0) pthread_rwlock_unlock(&c->ts->lock);
    return rc == EBUSY;
}

static void ts_with_nodes(RingTs *ts, int n)
{
    RingConfig c{20, 2};
    RingError err;
    assert_int_equal(ring_ts_init(ts, &c, &err), RING_OK);
    for (int i = 0; i < n; i++) {
        RingNode nd = node("node" + std::to_string(i));
        assert_int_equal(ring_ts_add_node(ts, &nd, nullptr, &err), RING_OK);
    }
}

static void test_ts_writer_excludes_readers(void **)
{
    RingTs ts;
    ts_with_nodes(&ts, 3);
    for (int op : {0, 2}) {
        // We hold a read lock, as a lookup in progress would: a change must wait for it.
        assert_int_equal(pthread_rwlock_rdlock(&ts.lock), 0);
        Call c{&ts, op, node(op == 0 ? "late" : "node1")};
        pthread_t t;
        assert_int_equal(pthread_create(&t, nullptr, call_thread, &c), 0);
        bool settled = nl_wait_until(writer_done_or_queued, &c, 20000);
        bool finished_under_reader = call_done(&c);
        pthread_rwlock_unlock(&ts.lock);
        pthread_join(t, nullptr);
        assert_true(settled);
        if (finished_under_reader) fail_msg("%s finished while a reader held the lock", op == 0 ? "add_node" : "remove_node");
        assert_int_equal(c.rc, RING_OK);
    }
    assert_int_equal(ring_ts_node_count(&ts), 3);
    ring_ts_destroy(&ts);
}

static void test_ts_readers_share(void **)
{
    RingTs ts;
    ts_with_nodes(&ts, 3);
    assert_int_equal(pthread_rwlock_rdlock(&ts.lock), 0);
    Call c{&ts, 1, node("x")};
    pthread_t t;
    assert_int_equal(pthread_create(&t, nullptr, call_thread, &c), 0);
    bool ran = nl_wait_until(call_done, &c, 10000); // a lookup must not wait for another reader
    pthread_rwlock_unlock(&ts.lock);
    pthread_join(t, nullptr);
    if (!ran) fail_msg("a lookup waited while another reader held the lock");
    assert_int_equal(c.rc, RING_OK);
    ring_ts_destroy(&ts);
}

static void test_ts_error_path_unlocks(void **)
{
    RingTs ts;
    ts_with_nodes(&ts, 0);
    RingError err;
    RingLookup res;
    assert_int_equal(ring_ts_lookup(&ts, "k", &res, &err), RING_ERR_EMPTY);
    RingNode bad = node("");
    assert_int_equal(ring_ts_add_node(&ts, &bad, nullptr, &err), RING_ERR_INVALID);
    // Last, so that no later call from this thread can release a lock it kept (glibc refuses a
    // second write lock by its holder with EDEADLK; an unchecked caller would then unlock it).
    assert_int_equal(ring_ts_remove_node(&ts, "ghost", nullptr, &err), RING_ERR_NOT_FOUND);
    // Each failed call must have released the lock: a change from another thread gets through.
    Call c{&ts, 0, node("fresh")};
    pthread_t t;
    assert_int_equal(pthread_create(&t, nullptr, call_thread, &c), 0);
    bool ran = nl_wait_until(call_done, &c, 10000);
    if (!ran) fail_msg("add_node blocked: an earlier failed call kept the lock");
    pthread_join(t, nullptr);
    assert_int_equal(c.rc, RING_OK);
    ring_ts_destroy(&ts);
}

struct Stress {
    RingTs *ts;
    int id;
    int errors;
    std::string first_error;
};

static void *stress_reader(void *arg)
{
    Stress *s = (Stress *)arg;
    RingError err;
    for (int i = 0; i < 3000; i++) {
        RingLookup res;
        std::string k = "r" + std::to_string(s->id) + "_" + std::to_string(i);
        if (ring_ts_lookup(s->ts, k.c_str(), &res, &err) != RING_OK || res.replicas.size() != 1 || res.primary.id == res.replicas[0].id ||
            (res.primary.id[0] != 'b' && res.primary.id[0] != 't')) {
            if (!s->errors++) s->first_error = k + ": " + res.primary.id;
        }
    }
    return nullptr;
}

static void *stress_writer(void *arg)
{
    Stress *s = (Stress *)arg;
    RingError err;
    for (int round = 0; round < 30; round++) {
        RingNode t = node("t" + std::to_string(s->id) + "_" + std::to_string(round % 3));
        if (ring_ts_add_node(s->ts, &t, nullptr, &err) != RING_OK) s->errors++;
        if (round % 3 != 2 || round < 27)
            if (ring_ts_remove_node(s->ts, t.id.c_str(), nullptr, &err) != RING_OK) s->errors++;
    }
    return nullptr;
}

static void test_ts_concurrent_readers_writers(void **)
{
    RingTs ts;
    RingConfig c{20, 2};
    RingError err;
    assert_int_equal(ring_ts_init(&ts, &c, &err), RING_OK);
    for (int i = 0; i < 3; i++) {
        RingNode nd = node("b" + std::to_string(i));
        assert_int_equal(ring_ts_add_node(&ts, &nd, nullptr, &err), RING_OK);
    }
    Stress st[6];
    pthread_t th[6];
    for (int i = 0; i < 6; i++) {
        st[i] = Stress{&ts, i, 0, ""};
        assert_int_equal(pthread_create(&th[i], nullptr, i < 4 ? stress_reader : stress_writer, &st[i]), 0);
    }
    for (int i = 0; i < 6; i++) pthread_join(th[i], nullptr);
    for (int i = 0; i < 6; i++)
        if (st[i].errors) fail_msg("thread %d: %d bad results (first: %s)", i, st[i].errors, st[i].first_error.c_str());
    // Whatever the interleaving, the final ring is the one built alone from the same nodes.
    Ring alone;
    assert_int_equal(ring_init(&alone, &c, &err), RING_OK);
    for (const char *id : {"b0", "b1", "b2", "t4_2", "t5_2"}) {
        RingNode nd = node(id);
        assert_int_equal(ring_add_node(&alone, &nd, nullptr, &err), RING_OK);
    }
    assert_int_equal(ring_ts_node_count(&ts), 5);
    assert_true(ring_debug(&ts.ring) == ring_debug(&alone));
    ring_ts_destroy(&ts);
}

// R13: node_count is a read: it waits while a writer holds the lock.
static void test_ts_node_count_takes_read_lock(void **)
{
    RingTs ts;
    ts_with_nodes(&ts, 2);
    assert_int_equal(pthread_rwlock_wrlock(&ts.lock), 0);
    Call c{&ts, 3, node("unused")};
    pthread_t t;
    assert_int_equal(pthread_create(&t, nullptr, call_thread, &c), 0);
    bool finished_under_writer = nl_wait_until(call_done, &c, 1500);
    pthread_rwlock_unlock(&ts.lock);
    pthread_join(t, nullptr);
    if (finished_under_writer) fail_msg("ring_ts_node_count returned while a writer held the lock (expected it to wait)");
    if (c.rc != 2) fail_msg("ring_ts_node_count after the writer left: expected 2, got %d", c.rc);
    ring_ts_destroy(&ts);
}

// R7, R13: ring_ts_init refuses what ring_init refuses.
static void test_ts_init_refuses_bad_config(void **)
{
    RingTs ts;
    RingError err;
    memset(&err, 0, sizeof err);
    RingConfig bad{0, 3};
    int rc = ring_ts_init(&ts, &bad, &err);
    if (rc != RING_ERR_INVALID) fail_msg("ring_ts_init({virtual_nodes 0, rf 3}): expected RING_ERR_INVALID, got %d", rc);
    if (strlen(err.message) == 0) fail_msg("ring_ts_init({virtual_nodes 0, rf 3}): no error message");
    RingConfig bad_rf{10, 0};
    rc = ring_ts_init(&ts, &bad_rf, &err);
    if (rc != RING_ERR_INVALID) fail_msg("ring_ts_init({virtual_nodes 10, rf 0}): expected RING_ERR_INVALID, got %d", rc);
}

// R7: each limit at the limit and one past: 1,000,000 virtual nodes, 1,000,000 points in the ring.
static void test_limits_at_the_limit(void **)
{
    Ring r;
    RingError err;
    RingConfig at{RING_MAX_POINTS, 1}, past{(size_t)RING_MAX_POINTS + 1, 1};
    int rc = ring_init(&r, &at, &err);
    if (rc != RING_OK) fail_msg("ring_init(virtual_nodes %d, the limit): expected RING_OK, got %d", RING_MAX_POINTS, rc);
    rc = ring_init(&r, &past, &err);
    if (rc != RING_ERR_INVALID) fail_msg("ring_init(virtual_nodes %d, one past): expected RING_ERR_INVALID, got %d", RING_MAX_POINTS + 1, rc);
    RingConfig c{1000, 1};
    assert_int_equal(ring_init(&r, &c, &err), RING_OK);
    RingNode full = node("full", 1000), more = node("more", 1);
    rc = ring_add_node(&r, &full, nullptr, &err);
    if (rc != RING_OK) fail_msg("1000 virtual nodes x weight 1000 = 1,000,000 points (the limit): expected RING_OK, got %d", rc);
    size_t points = ring_debug(&r).size();
    if (points != (size_t)RING_MAX_POINTS) fail_msg("after adding 1,000,000 points: ring_debug has %zu", points);
    rc = ring_add_node(&r, &more, nullptr, &err);
    if (rc != RING_ERR_INVALID) fail_msg("1000 more points past the 1,000,000 limit: expected RING_ERR_INVALID, got %d", rc);
    if (ring_node_count(&r) != 1 || ring_debug(&r).size() != (size_t)RING_MAX_POINTS)
        fail_msg("the refused add changed the ring: %zu nodes, %zu points", ring_node_count(&r), ring_debug(&r).size());
}

// test_ring_diff.cpp: the submission against the reference oracle on random operation sequences.
void test_differential_random_rings(void **);

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_basic_lookup),
    cmocka_unit_test(test_consistent_lookup),
    cmocka_unit_test(test_minimal_redistribution),
    cmocka_unit_test(test_replication_different_nodes),
    cmocka_unit_test(test_weight_distribution),
    cmocka_unit_test(test_hash_known_vectors),
    cmocka_unit_test(test_lookup_exact_point),
    cmocka_unit_test(test_lookup_wraps),
    cmocka_unit_test(test_replicas_distinct_many_keys),
    cmocka_unit_test(test_fewer_nodes_than_replicas),
    cmocka_unit_test(test_vnode_count_no_collisions),
    cmocka_unit_test(test_weight_multiplies_vnodes),
    cmocka_unit_test(test_add_moves_exact),
    cmocka_unit_test(test_remove_moves_exact),
    cmocka_unit_test(test_remove_node),
    cmocka_unit_test(test_bad_input_errors),
    cmocka_unit_test(test_distribution_stats),
    cmocka_unit_test(test_simulate_leaves_ring),
    cmocka_unit_test(test_ts_writer_excludes_readers),
    cmocka_unit_test(test_ts_readers_share),
    cmocka_unit_test(test_ts_error_path_unlocks),
    cmocka_unit_test(test_ts_concurrent_readers_writers),
    cmocka_unit_test(test_differential_random_rings),
    cmocka_unit_test(test_ts_node_count_takes_read_lock),
    cmocka_unit_test(test_ts_init_refuses_bad_config),
    cmocka_unit_test(test_limits_at_the_limit),
};

NL_TEST_MAIN("exercises_5_4/ex01_consistent_hash", tests)
