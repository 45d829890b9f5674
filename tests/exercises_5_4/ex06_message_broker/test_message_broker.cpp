// test_message_broker.cpp — EX06 suite: the seed's 5 tests (virtual time instead of sleeps) and the
// tests that pin hashing, ordering, ownership, rebalancing, redelivery, limits and retention.
#include "message_broker.h"
#include "nl_test.h"

#include <algorithm>
#include <cstring>
#include <set>

static uint64_t vnow;
static uint64_t vclock(void *) { return vnow; }

static mb_broker *make_broker(uint64_t ack_timeout = 30000, size_t max_unacked = 1000)
{
    vnow = 5000;
    mb_config cfg;
    mb_config_default(&cfg);
    cfg.ack_timeout_ms = ack_timeout;
    cfg.max_unacked_messages = max_unacked;
    cfg.clock = {vclock, nullptr};
    return mb_new(&cfg);
}

static void topic(mb_broker *b, const char *name, uint32_t parts, uint64_t retention = 0, size_t max_size = 0)
{
    mb_topic_config tc{name, parts, retention, max_size};
    assert_int_equal(mb_create_topic(b, &tc, nullptr), MB_OK);
}

static mb_message msg(const std::string &payload, const char *key = nullptr, const char *id = "")
{
    mb_message m{};
    m.id = id;
    m.payload = payload;
    if (key) {
        m.has_key = true;
        m.key = key;
    }
    return m;
}

static mb_publish_result pub(mb_broker *b, const char *t, const mb_message &m)
{
    mb_publish_result r;
    assert_int_equal(mb_publish(b, t, &m, &r, nullptr), MB_OK);
    return r;
}

static void join(mb_broker *b, const char *g, const char *c, const char *t, mb_semantics s = MB_AT_LEAST_ONCE)
{
    assert_int_equal(mb_join_group(b, g, c, {t}, s, nullptr), MB_OK);
}

static std::vector<mb_consumed> poll(mb_broker *b, const char *g, const char *c, size_t max = 100)
{
    std::vector<mb_consumed> v;
    assert_int_equal(mb_poll(b, g, c, max, 10, &v, nullptr), MB_OK);
    return v;
}

/* ---- the seed's tests ---- */

static void test_publish_and_consume(void **)
{
    mb_broker *b = make_broker();
    topic(b, "test", 1);
    join(b, "group1", "consumer1", "test");
    pub(b, "test", msg("hello"));
    std::vector<mb_consumed> v = poll(b, "group1", "consumer1", 10);
    assert_int_equal(v.size(), 1);
    assert_string_equal(v[0].message.payload.c_str(), "hello");
    mb_free(b);
}

static void test_key_based_partitioning(void **)
{
    mb_broker *b = make_broker();
    topic(b, "keyed", 4);
    uint32_t first = pub(b, "keyed", msg("msg0", "user123")).partition;
    for (int i = 1; i < 10; i++) assert_int_equal(pub(b, "keyed", msg("msg" + std::to_string(i), "user123")).partition, first);
    mb_free(b);
}

static void test_consumer_group_distribution(void **)
{
    mb_broker *b = make_broker();
    topic(b, "distributed", 2);
    join(b, "group", "consumer1", "distributed");
    join(b, "group", "consumer2", "distributed");
    for (int i = 0; i < 100; i++) pub(b, "distributed", msg("msg" + std::to_string(i), ("key" + std::to_string(i)).c_str()));
    size_t n1 = poll(b, "group", "consumer1").size();
    size_t n2 = poll(b, "group", "consumer2").size();
    assert_int_equal(n1 + n2, 100);
    mb_free(b);
}

static void test_at_least_once_redelivery(void **)
{
    mb_broker *b = make_broker(50);
    topic(b, "alo", 1);
    join(b, "group", "consumer", "alo");
    pub(b, "alo", msg("important", nullptr, "m-1"));
    std::vector<mb_consumed> v1 = poll(b, "group", "consumer", 10);
    assert_int_equal(v1.size(), 1);
    vnow += 60;                                    // the seed sleeps 60 ms
    std::vector<mb_consumed> v2 = poll(b, "group", "consumer", 10);
    assert_int_equal(v2.size(), 1);
    assert_string_equal(v2[0].message.id.c_str(), v1[0].message.id.c_str());
    mb_free(b);
}

static void test_seek_to_beginning(void **)
{
    mb_broker *b = make_broker();
    topic(b, "seekable", 1);
    join(b, "group", "consumer", "seekable");
    for (int i = 0; i < 5; i++) pub(b, "seekable", msg("m" + std::to_string(i)));
    assert_int_equal(poll(b, "group", "consumer").size(), 5);
    assert_int_equal(mb_acknowledge(b, "group", "consumer", {{{"seekable", 0}, 4}}, nullptr), MB_OK);
    assert_int_equal(mb_seek_to_beginning(b, "group", "consumer", "seekable", 0, nullptr), MB_OK);
    assert_int_equal(poll(b, "group", "consumer").size(), 5);
    mb_free(b);
}

/* ---- partitioning and order ---- */

static uint32_t fnv1a_mod(const std::string &key, uint32_t n)   // the README's formula, written again
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ull;
    return (uint32_t)(h % n);
}

static void test_key_hash_is_fnv1a(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 7);
    std::set<uint32_t> used;
    for (int i = 0; i < 32; i++) {
        std::string key = "customer-" + std::to_string(i * 7919);
        assert_int_equal(mb_partition_for_key(key, 7), fnv1a_mod(key, 7));
        uint32_t p = pub(b, "t", msg("x", key.c_str())).partition;
        assert_int_equal(p, fnv1a_mod(key, 7));
        used.insert(p);
    }
    assert_true(used.size() >= 5);                 // keys spread over the partitions
    assert_int_equal(mb_partition_for_key("", 7), fnv1a_mod("", 7));
    mb_free(b);
}

static void test_order_within_partition(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 3);
    join(b, "g", "c", "t");
    for (int i = 0; i < 60; i++) pub(b, "t", msg(std::to_string(i), (i % 2) ? "odd" : "even"));
    std::map<uint32_t, std::vector<int>> seen;
    std::map<uint32_t, mb_offset> next;
    for (int round = 0; round < 20; round++) {
        for (const mb_consumed &m : poll(b, "g", "c", 7)) {
            assert_int_equal(m.offset, next[m.partition]);
            next[m.partition]++;
            seen[m.partition].push_back(atoi(m.message.payload.c_str()));
        }
    }
    size_t total = 0;
    for (auto &[p, v] : seen) {
        total += v.size();
        for (size_t i = 1; i < v.size(); i++) assert_true(v[i] > v[i - 1]);
    }
    assert_int_equal(total, 60);
    mb_free(b);
}

/* ---- consumer groups ---- */

static void test_each_partition_one_owner(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 4);
    join(b, "g", "c1", "t");
    join(b, "g", "c2", "t");
    auto a1 = mb_assignment(b, "g", "c1"), a2 = mb_assignment(b, "g", "c2");
    assert_int_equal(a1.size(), 2);
    assert_int_equal(a2.size(), 2);
    std::set<mb_topic_partition> all(a1.begin(), a1.end());
    all.insert(a2.begin(), a2.end());
    assert_int_equal(all.size(), 4);
    for (int i = 0; i < 40; i++) pub(b, "t", msg("m", ("k" + std::to_string(i)).c_str()));
    std::set<std::string> ids;
    for (const char *c : {"c1", "c2"}) {
        auto mine = mb_assignment(b, "g", c);
        std::vector<mb_consumed> v = poll(b, "g", c);
        assert_true(v.size() > 0);
        for (auto &m : v) {
            assert_true(std::find(mine.begin(), mine.end(), mb_topic_partition{m.topic, m.partition}) != mine.end());
            assert_true(ids.insert(m.message.id).second);     // no message to both
        }
    }
    assert_int_equal(ids.size(), 40);
    // Another group reads the same messages independently.
    join(b, "other", "solo", "t");
    assert_int_equal(poll(b, "other", "solo").size(), 40);
    mb_free(b);
}

static void test_rebalance_on_join(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 4);
    join(b, "g", "c1", "t");
    assert_int_equal(mb_assignment(b, "g", "c1").size(), 4);
    join(b, "g", "c2", "t");
    assert_int_equal(mb_assignment(b, "g", "c1").size(), 2);
    assert_int_equal(mb_assignment(b, "g", "c2").size(), 2);
    join(b, "g", "c3", "t");
    size_t total = 0;
    for (const char *c : {"c1", "c2", "c3"}) {
        size_t n = mb_assignment(b, "g", c).size();
        assert_true(n >= 1 && n <= 2);
        total += n;
    }
    assert_int_equal(total, 4);
    mb_free(b);
}

static void test_rebalance_on_leave(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 4);
    join(b, "g", "c1", "t");
    join(b, "g", "c2", "t");
    for (int i = 0; i < 40; i++) pub(b, "t", msg("m", ("k" + std::to_string(i)).c_str()));
    size_t n1 = poll(b, "g", "c1").size();
    assert_int_equal(mb_leave_group(b, "g", "c2", nullptr), MB_OK);
    assert_int_equal(mb_assignment(b, "g", "c1").size(), 4);
    assert_int_equal(n1 + poll(b, "g", "c1").size(), 40);      // c2's partitions come to c1
    std::vector<mb_consumed> v;
    assert_int_equal(mb_poll(b, "g", "c2", 10, 0, &v, nullptr), MB_CONSUMER_NOT_REGISTERED);
    mb_free(b);
}

static void test_rebalance_redelivers_unacked(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    join(b, "g", "c1", "t");
    join(b, "g", "c2", "t");
    for (int i = 0; i < 20; i++) pub(b, "t", msg("m" + std::to_string(i), ("k" + std::to_string(i)).c_str()));
    std::vector<mb_consumed> lost = poll(b, "g", "c2");      // delivered, never acknowledged
    assert_true(lost.size() > 0);
    assert_int_equal(mb_leave_group(b, "g", "c2", nullptr), MB_OK);
    std::set<std::string> got;
    for (auto &m : poll(b, "g", "c1")) got.insert(m.message.id);  // no waiting for the ack timeout
    for (auto &m : lost) assert_true(got.count(m.message.id) == 1);
    assert_int_equal(got.size(), 20);
    mb_free(b);
}

/* ---- acknowledgements and redelivery ---- */

static void test_redelivery_in_order_from_first_unacked(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 4; i++) pub(b, "t", msg("m" + std::to_string(i)));
    assert_int_equal(poll(b, "g", "c").size(), 4);
    assert_int_equal(mb_acknowledge(b, "g", "c", {{{"t", 0}, 0}}, nullptr), MB_OK);
    vnow += 100;
    std::vector<mb_consumed> v = poll(b, "g", "c");
    assert_int_equal(v.size(), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(v[i].offset, i + 1);
        assert_string_equal(v[i].message.payload.c_str(), ("m" + std::to_string(i + 1)).c_str());
    }
    mb_free(b);
}

static void test_no_redelivery_before_timeout(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    pub(b, "t", msg("once"));
    assert_int_equal(poll(b, "g", "c").size(), 1);
    vnow += 99;
    assert_int_equal(poll(b, "g", "c").size(), 0);
    vnow += 1;
    assert_int_equal(poll(b, "g", "c").size(), 1);
    mb_free(b);
}

static void test_ack_is_cumulative(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 5; i++) pub(b, "t", msg("m"));
    assert_int_equal(poll(b, "g", "c").size(), 5);
    assert_int_equal(mb_acknowledge(b, "g", "c", {{{"t", 0}, 4}}, nullptr), MB_OK);
    vnow += 1000;
    assert_int_equal(poll(b, "g", "c").size(), 0);
    mb_offsets o = mb_get_committed_offsets(b, "g");
    assert_int_equal((o[{"t", 0}]), 5);
    mb_free(b);
}

static void test_ack_after_rebalance_rejected(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    join(b, "g", "c1", "t");
    for (int i = 0; i < 10; i++) pub(b, "t", msg("m"));         // no key: round robin over both
    assert_int_equal(poll(b, "g", "c1").size(), 10);
    join(b, "g", "c2", "t");                                      // c2 takes one partition from c1
    mb_topic_partition moved = mb_assignment(b, "g", "c2")[0];
    mb_error e{};
    assert_int_equal(mb_acknowledge(b, "g", "c1", {{moved, 4}}, &e), MB_NOT_ASSIGNED);
    assert_true(e.message.find(moved.first) != std::string::npos);
    assert_int_equal(mb_get_committed_offsets(b, "g")[moved], 0);
    assert_int_equal(poll(b, "g", "c2").size(), 5);               // the new owner gets them again
    mb_free(b);
}

static void test_ack_undelivered_offset_rejected(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 3; i++) pub(b, "t", msg("m"));
    assert_int_equal(poll(b, "g", "c", 2).size(), 2);
    mb_error e{};
    assert_int_equal(mb_acknowledge(b, "g", "c", {{{"t", 0}, 2}}, &e), MB_INVALID_OFFSET);
    assert_int_equal(e.requested, 2);
    assert_int_equal(e.max_offset, 1);
    assert_int_equal(mb_acknowledge(b, "g", "c", {{{"t", 0}, 1}}, nullptr), MB_OK);
    mb_free(b);
}

static void test_at_most_once_no_redelivery(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 1);
    join(b, "g", "c", "t", MB_AT_MOST_ONCE);
    for (int i = 0; i < 3; i++) pub(b, "t", msg("m"));
    assert_int_equal(poll(b, "g", "c").size(), 3);
    vnow += 500;
    assert_int_equal(poll(b, "g", "c").size(), 0);
    assert_int_equal((mb_get_committed_offsets(b, "g")[{"t", 0}]), 3);
    mb_free(b);
}

static void test_too_many_unacked(void **)
{
    mb_broker *b = make_broker(30000, 3);
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 5; i++) pub(b, "t", msg("m" + std::to_string(i)));
    assert_int_equal(poll(b, "g", "c", 10).size(), 3);
    std::vector<mb_consumed> v;
    mb_error e{};
    assert_int_equal(mb_poll(b, "g", "c", 10, 0, &v, &e), MB_TOO_MANY_UNACKED);
    assert_true(e.message.find("3") != std::string::npos);
    assert_int_equal(mb_acknowledge(b, "g", "c", {{{"t", 0}, 1}}, nullptr), MB_OK);
    v = poll(b, "g", "c", 10);
    assert_int_equal(v.size(), 2);
    assert_int_equal(v[0].offset, 3);
    mb_free(b);
}

static void test_nack_redelivers(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 4; i++) pub(b, "t", msg("m" + std::to_string(i)));
    assert_int_equal(poll(b, "g", "c").size(), 4);
    assert_int_equal(mb_nack(b, "g", "c", {{{"t", 0}, 2}}, nullptr), MB_OK);
    std::vector<mb_consumed> v = poll(b, "g", "c");
    assert_int_equal(v.size(), 2);
    assert_int_equal(v[0].offset, 2);
    assert_int_equal(v[1].offset, 3);
    mb_free(b);
}

/* ---- offsets, limits, retention ---- */

static void test_seek_bounds(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 5; i++) pub(b, "t", msg("m" + std::to_string(i)));
    mb_error e{};
    assert_int_equal(mb_seek(b, "g", "c", "t", 0, 6, &e), MB_INVALID_OFFSET);
    assert_int_equal(e.min_offset, 0);
    assert_int_equal(e.max_offset, 5);
    assert_int_equal(mb_seek(b, "g", "c", "t", 0, 3, nullptr), MB_OK);
    std::vector<mb_consumed> v = poll(b, "g", "c");
    assert_int_equal(v.size(), 2);
    assert_int_equal(v[0].offset, 3);
    assert_int_equal(mb_seek_to_end(b, "g", "c", "t", 0, nullptr), MB_OK);
    assert_int_equal(poll(b, "g", "c").size(), 0);
    assert_int_equal(mb_seek(b, "g", "c", "t", 1, 0, &e), MB_PARTITION_NOT_FOUND);
    mb_free(b);
}

static void test_retention_per_topic(void **)
{
    mb_broker *b = make_broker();
    topic(b, "short", 1, 100);
    topic(b, "long", 1);
    join(b, "g", "c", "short");
    pub(b, "short", msg("old"));
    pub(b, "long", msg("kept"));
    vnow += 50;
    pub(b, "short", msg("young"));
    vnow += 50;                                  // "old" is exactly 100 ms old, "young" 50 ms
    assert_int_equal(mb_cleanup_expired(b), 1);
    mb_stats s = mb_get_stats(b);
    assert_int_equal(s.messages_per_topic["short"], 1);
    assert_int_equal(s.messages_per_topic["long"], 1);
    std::vector<mb_consumed> v = poll(b, "g", "c");
    assert_int_equal(v.size(), 1);
    assert_string_equal(v[0].message.payload.c_str(), "young");
    assert_int_equal(v[0].offset, 1);            // offsets are never reused
    mb_error e{};
    assert_int_equal(mb_seek(b, "g", "c", "short", 0, 0, &e), MB_INVALID_OFFSET);
    assert_int_equal(e.min_offset, 1);
    mb_free(b);
}

static void test_message_size_limit(void **)
{
    mb_broker *b = make_broker();
    topic(b, "small", 1, 0, 10);
    topic(b, "big", 1);
    mb_publish_result r;
    mb_error e{};
    mb_message m = msg(std::string(10, 'x'));
    assert_int_equal(mb_publish(b, "small", &m, &r, nullptr), MB_OK);       // exactly the limit
    m = msg(std::string(11, 'x'));
    assert_int_equal(mb_publish(b, "small", &m, &r, &e), MB_MESSAGE_TOO_LARGE);
    assert_int_equal(e.size, 11);
    assert_int_equal(e.max, 10);
    assert_int_equal(mb_publish(b, "big", &m, &r, nullptr), MB_OK);
    m = msg(std::string(1048577, 'x'));
    assert_int_equal(mb_publish(b, "big", &m, &r, &e), MB_MESSAGE_TOO_LARGE);
    assert_int_equal(e.max, 1048576);
    mb_free(b);
}

static void test_publish_batch_all_or_nothing(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1, 0, 5);
    std::vector<mb_publish_result> res;
    assert_int_equal(mb_publish_batch(b, "t", {msg("a"), msg("b"), msg("toolong"), msg("c")}, &res, nullptr),
                     MB_MESSAGE_TOO_LARGE);
    assert_int_equal(mb_get_stats(b).total_messages, 0);
    assert_int_equal(mb_publish_batch(b, "t", {msg("a"), msg("b")}, &res, nullptr), MB_OK);
    assert_int_equal(res.size(), 2);
    assert_int_equal(res[1].offset, 1);
    mb_free(b);
}

static void test_idempotent_publish_by_id(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 4);
    mb_publish_result r1 = pub(b, "t", msg("pay", "k", "order-42"));
    mb_publish_result r2 = pub(b, "t", msg("pay", "k", "order-42"));   // a producer retry
    assert_int_equal(r1.offset, r2.offset);
    assert_int_equal(r1.partition, r2.partition);
    assert_int_equal(mb_get_stats(b).total_messages, 1);
    mb_publish_result r3 = pub(b, "t", msg("pay"));
    assert_string_equal(r3.message_id.c_str(), ("t/" + std::to_string(r3.partition) + "/0").c_str());
    mb_free(b);
}

static void test_commit_offsets(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 4; i++) pub(b, "t", msg("m"));
    assert_int_equal(mb_commit_offsets(b, "g", "c", {{{"t", 0}, 3}}, nullptr), MB_OK);
    assert_int_equal((mb_get_committed_offsets(b, "g")[{"t", 0}]), 3);
    assert_int_equal(mb_commit_offsets(b, "g", "c", {{{"t", 0}, 9}}, nullptr), MB_INVALID_OFFSET);
    join(b, "g", "c2", "t");                     // c2 sorts after c: c keeps partition 0
    assert_int_equal(mb_leave_group(b, "g", "c", nullptr), MB_OK);
    std::vector<mb_consumed> v = poll(b, "g", "c2");   // the new owner starts at the commit
    assert_int_equal(v.size(), 1);
    assert_int_equal(v[0].offset, 3);
    mb_free(b);
}

static void test_topic_and_group_errors(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    mb_topic_config tc{"t", 2, 0, 0};
    mb_error e{};
    assert_int_equal(mb_create_topic(b, &tc, &e), MB_TOPIC_EXISTS);
    mb_message m = msg("x");
    mb_publish_result r;
    assert_int_equal(mb_publish(b, "nope", &m, &r, &e), MB_TOPIC_NOT_FOUND);
    assert_true(e.message.find("nope") != std::string::npos);
    assert_int_equal(mb_join_group(b, "g", "c", {"nope"}, MB_AT_LEAST_ONCE, &e), MB_TOPIC_NOT_FOUND);
    std::vector<mb_consumed> v;
    assert_int_equal(mb_poll(b, "ghost", "c", 1, 0, &v, &e), MB_GROUP_NOT_FOUND);
    join(b, "g", "c", "t");
    assert_int_equal(mb_poll(b, "g", "stranger", 1, 0, &v, &e), MB_CONSUMER_NOT_REGISTERED);
    assert_int_equal(mb_delete_topic(b, "t", nullptr), MB_OK);
    assert_int_equal(mb_list_topics(b).size(), 0);
    assert_int_equal(mb_assignment(b, "g", "c").size(), 0);
    assert_int_equal(mb_poll(b, "g", "c", 1, 0, &v, nullptr), MB_OK);
    assert_int_equal(v.size(), 0);
    assert_int_equal(mb_delete_topic(b, "t", &e), MB_TOPIC_NOT_FOUND);
    mb_free(b);
}

static void test_stats(void **)
{
    mb_broker *b = make_broker();
    topic(b, "a", 3);
    topic(b, "b", 0);                            // default_partitions = 4
    for (int i = 0; i < 6; i++) pub(b, "a", msg("m"));
    pub(b, "b", msg("m"));
    join(b, "g1", "c", "a");
    join(b, "g2", "c", "b");
    mb_stats s = mb_get_stats(b);
    assert_int_equal(s.total_messages, 7);
    assert_int_equal(s.total_topics, 2);
    assert_int_equal(s.total_partitions, 7);
    assert_int_equal(s.total_consumer_groups, 2);
    assert_int_equal(s.messages_per_topic["a"], 6);
    mb_topic_config tc;
    assert_true(mb_get_topic_config(b, "b", &tc));
    assert_int_equal(tc.partitions, 4);
    mb_free(b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_publish_and_consume),
    cmocka_unit_test(test_key_based_partitioning),
    cmocka_unit_test(test_consumer_group_distribution),
    cmocka_unit_test(test_at_least_once_redelivery),
    cmocka_unit_test(test_seek_to_beginning),
    cmocka_unit_test(test_key_hash_is_fnv1a),
    cmocka_unit_test(test_order_within_partition),
    cmocka_unit_test(test_each_partition_one_owner),
    cmocka_unit_test(test_rebalance_on_join),
    cmocka_unit_test(test_rebalance_on_leave),
    cmocka_unit_test(test_rebalance_redelivers_unacked),
    cmocka_unit_test(test_redelivery_in_order_from_first_unacked),
    cmocka_unit_test(test_no_redelivery_before_timeout),
    cmocka_unit_test(test_ack_is_cumulative),
    cmocka_unit_test(test_ack_after_rebalance_rejected),
    cmocka_unit_test(test_ack_undelivered_offset_rejected),
    cmocka_unit_test(test_at_most_once_no_redelivery),
    cmocka_unit_test(test_too_many_unacked),
    cmocka_unit_test(test_nack_redelivers),
    cmocka_unit_test(test_seek_bounds),
    cmocka_unit_test(test_retention_per_topic),
    cmocka_unit_test(test_message_size_limit),
    cmocka_unit_test(test_publish_batch_all_or_nothing),
    cmocka_unit_test(test_idempotent_publish_by_id),
    cmocka_unit_test(test_commit_offsets),
    cmocka_unit_test(test_topic_and_group_errors),
    cmocka_unit_test(test_stats),
};

NL_TEST_MAIN("ex06_message_broker", tests)
