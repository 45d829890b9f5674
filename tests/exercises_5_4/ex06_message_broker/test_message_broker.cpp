// test_message_broker.cpp — EX06 suite: the seed's 5 tests (virtual time instead of sleeps) and the
// tests that pin hashing, ordering, ownership, rebalancing, redelivery, limits and retention.
#include "message_broker.h"
#include "nl_check.h"
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

// The suite's own names for the codes (never the submission's mb_err_name).
static const char *rc_name(int e)
{
    static const char *const names[] = {"MB_OK", "MB_TOPIC_NOT_FOUND", "MB_TOPIC_EXISTS", "MB_PARTITION_NOT_FOUND",
                                        "MB_GROUP_NOT_FOUND", "MB_CONSUMER_NOT_REGISTERED", "MB_MESSAGE_TOO_LARGE",
                                        "MB_INVALID_OFFSET", "MB_TOO_MANY_UNACKED", "MB_NOT_ASSIGNED",
                                        "MB_INVALID_ARG"};
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "(not an mb_err)";
}
// A return code compared by name: "ack by c1 after the rebalance: expected 'MB_NOT_ASSIGNED', got 'MB_OK'".
#define EXPECT_RC(call, want, ...) NL_EXPECT_STREQ(rc_name(call), rc_name(want), __VA_ARGS__)

static void topic_at(const nl_where &w, mb_broker *b, const char *name, uint32_t parts, uint64_t retention,
                     size_t max_size)
{
    mb_topic_config tc{name, parts, retention, max_size};
    mb_error e{};
    mb_err rc = mb_create_topic(b, &tc, &e);
    if (rc != MB_OK)
        nl_fail_at(w, "create_topic(\"%s\", %u partitions): expected MB_OK, got %s (%s)", name, parts, rc_name(rc),
                   e.message.c_str());
}
#define topic(b, name, parts, ...) topic_at(NL_HERE, b, name, parts, ##__VA_ARGS__)
static void topic_at(const nl_where &w, mb_broker *b, const char *name, uint32_t parts)
{
    topic_at(w, b, name, parts, 0, 0);
}
static void topic_at(const nl_where &w, mb_broker *b, const char *name, uint32_t parts, uint64_t retention)
{
    topic_at(w, b, name, parts, retention, 0);
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

static mb_publish_result pub_at(const nl_where &w, mb_broker *b, const char *t, const mb_message &m)
{
    mb_publish_result r{};
    mb_error e{};
    mb_err rc = mb_publish(b, t, &m, &r, &e);
    if (rc != MB_OK)
        nl_fail_at(w, "publish(\"%s\", payload '%s'): expected MB_OK, got %s (%s)", t, m.payload.c_str(), rc_name(rc),
                   e.message.c_str());
    return r;
}
#define pub(b, t, m) pub_at(NL_HERE, b, t, m)

static void join_at(const nl_where &w, mb_broker *b, const char *g, const char *c, const char *t,
                    mb_semantics s = MB_AT_LEAST_ONCE)
{
    mb_error e{};
    mb_err rc = mb_join_group(b, g, c, {t}, s, &e);
    if (rc != MB_OK)
        nl_fail_at(w, "join_group(\"%s\", \"%s\", [%s]): expected MB_OK, got %s (%s)", g, c, t, rc_name(rc),
                   e.message.c_str());
}
#define join(b, g, c, ...) join_at(NL_HERE, b, g, c, __VA_ARGS__)

static std::vector<mb_consumed> poll_at(const nl_where &w, mb_broker *b, const char *g, const char *c, size_t max = 100)
{
    std::vector<mb_consumed> v;
    mb_error e{};
    mb_err rc = mb_poll(b, g, c, max, 10, &v, &e);
    if (rc != MB_OK)
        nl_fail_at(w, "poll(\"%s\", \"%s\", max %zu) at t=%llu: expected MB_OK, got %s (%s)", g, c, max,
                   (unsigned long long)vnow, rc_name(rc), e.message.c_str());
    return v;
}
#define poll(b, g, c, ...) poll_at(NL_HERE, b, g, c, ##__VA_ARGS__)

// "t:0@3 t:1@0 ...": what a poll handed out, in order.
static std::string where_of(const std::vector<mb_consumed> &v)
{
    std::string s;
    for (const mb_consumed &m : v)
        s += (s.empty() ? "" : " ") + m.topic + ":" + std::to_string(m.partition) + "@" + std::to_string(m.offset);
    return s;
}
static std::string payloads_of(const std::vector<mb_consumed> &v)
{
    std::string s;
    for (const mb_consumed &m : v) s += (s.empty() ? "" : " ") + m.message.payload;
    return s;
}
static std::string parts_of(const std::vector<mb_topic_partition> &v)
{
    std::string s;
    for (const mb_topic_partition &tp : v) s += (s.empty() ? "" : " ") + tp.first + ":" + std::to_string(tp.second);
    return s;
}
static std::string offsets_of(const mb_offsets &o)
{
    std::string s;
    for (const auto &[tp, n] : o) s += (s.empty() ? "" : " ") + tp.first + ":" + std::to_string(tp.second) + "=" + std::to_string(n);
    return s;
}

/* ---- the seed's tests ---- */

static void test_publish_and_consume(void **)
{
    mb_broker *b = make_broker();
    topic(b, "test", 1);
    join(b, "group1", "consumer1", "test");
    pub(b, "test", msg("hello"));
    std::vector<mb_consumed> v = poll(b, "group1", "consumer1", 10);
    NL_EXPECT_EQ_INT(v.size(), 1, "v.size()");
    NL_EXPECT_STREQ(v[0].message.payload, "hello", "v[0].message.payload");
    mb_free(b);
}

static void test_key_based_partitioning(void **)
{
    mb_broker *b = make_broker();
    topic(b, "keyed", 4);
    uint32_t first = pub(b, "keyed", msg("msg0", "user123")).partition;
    for (int i = 1; i < 10; i++) NL_EXPECT_EQ_INT(pub(b, "keyed", msg("msg" + std::to_string(i), "user123")).partition, first, "pub(b, \"keyed\", msg(\"msg\" + std::to_string(i), \"user123\")).partition");
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
    NL_EXPECT_EQ_INT(n1 + n2, 100, "n1 + n2");
    mb_free(b);
}

static void test_at_least_once_redelivery(void **)
{
    mb_broker *b = make_broker(50);
    topic(b, "alo", 1);
    join(b, "group", "consumer", "alo");
    pub(b, "alo", msg("important", nullptr, "m-1"));
    std::vector<mb_consumed> v1 = poll(b, "group", "consumer", 10);
    NL_EXPECT_EQ_INT(v1.size(), 1, "v1.size()");
    vnow += 60;                                    // the seed sleeps 60 ms
    std::vector<mb_consumed> v2 = poll(b, "group", "consumer", 10);
    NL_EXPECT_EQ_INT(v2.size(), 1, "v2.size()");
    NL_EXPECT_STREQ(v2[0].message.id, v1[0].message.id, "v2[0].message.id");
    mb_free(b);
}

static void test_seek_to_beginning(void **)
{
    mb_broker *b = make_broker();
    topic(b, "seekable", 1);
    join(b, "group", "consumer", "seekable");
    for (int i = 0; i < 5; i++) pub(b, "seekable", msg("m" + std::to_string(i)));
    NL_EXPECT_EQ_INT(poll(b, "group", "consumer").size(), 5, "poll(b, \"group\", \"consumer\").size()");
    EXPECT_RC(mb_acknowledge(b, "group", "consumer", {{{"seekable", 0}, 4}}, nullptr), MB_OK, "mb_acknowledge(b, \"group\", \"consumer\", {{{\"seekable\", 0}, 4}}, nullptr)");
    EXPECT_RC(mb_seek_to_beginning(b, "group", "consumer", "seekable", 0, nullptr), MB_OK, "mb_seek_to_beginning(b, \"group\", \"consumer\", \"seekable\", 0, nullptr)");
    NL_EXPECT_EQ_INT(poll(b, "group", "consumer").size(), 5, "poll(b, \"group\", \"consumer\").size()");
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
        NL_EXPECT_EQ_INT(mb_partition_for_key(key, 7), fnv1a_mod(key, 7), "mb_partition_for_key(key, 7)");
        uint32_t p = pub(b, "t", msg("x", key.c_str())).partition;
        NL_EXPECT_EQ_INT(p, fnv1a_mod(key, 7), "p");
        used.insert(p);
    }
    NL_EXPECT_TRUE(used.size() >= 5);                 // keys spread over the partitions
    NL_EXPECT_EQ_INT(mb_partition_for_key("", 7), fnv1a_mod("", 7), "mb_partition_for_key(\"\", 7)");
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
            NL_EXPECT_EQ_INT(m.offset, next[m.partition], "m.offset");
            next[m.partition]++;
            seen[m.partition].push_back(atoi(m.message.payload.c_str()));
        }
    }
    size_t total = 0;
    for (auto &[p, v] : seen) {
        total += v.size();
        for (size_t i = 1; i < v.size(); i++) NL_EXPECT_TRUE(v[i] > v[i - 1]);
    }
    NL_EXPECT_EQ_INT(total, 60, "total");
    mb_free(b);
}

/* ---- consumer groups ---- */

static void test_each_partition_one_owner(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 4);
    join(b, "g", "c1", "t");
    join(b, "g", "c2", "t");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c1")), "t:0 t:2", "c1's partitions (round robin by id)");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c2")), "t:1 t:3", "c2's partitions (round robin by id)");
    auto a1 = mb_assignment(b, "g", "c1"), a2 = mb_assignment(b, "g", "c2");
    NL_EXPECT_EQ_INT(a1.size(), 2, "a1.size()");
    NL_EXPECT_EQ_INT(a2.size(), 2, "a2.size()");
    std::set<mb_topic_partition> all(a1.begin(), a1.end());
    all.insert(a2.begin(), a2.end());
    NL_EXPECT_EQ_INT(all.size(), 4, "all.size()");
    for (int i = 0; i < 40; i++) pub(b, "t", msg("m", ("k" + std::to_string(i)).c_str()));
    std::set<std::string> ids;
    for (const char *c : {"c1", "c2"}) {
        auto mine = mb_assignment(b, "g", c);
        std::vector<mb_consumed> v = poll(b, "g", c);
        NL_EXPECT_TRUE(v.size() > 0);
        for (auto &m : v) {
            NL_EXPECT_TRUE(std::find(mine.begin(), mine.end(), mb_topic_partition{m.topic, m.partition}) != mine.end());
            NL_EXPECT_TRUE(ids.insert(m.message.id).second);     // no message to both
        }
    }
    NL_EXPECT_EQ_INT(ids.size(), 40, "ids.size()");
    // Another group reads the same messages independently.
    join(b, "other", "solo", "t");
    NL_EXPECT_EQ_INT(poll(b, "other", "solo").size(), 40, "poll(b, \"other\", \"solo\").size()");
    mb_free(b);
}

static void test_rebalance_on_join(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 4);
    topic(b, "u", 3);
    join(b, "g", "c2", "t");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c2")), "t:0 t:1 t:2 t:3", "c2 alone in g");
    join(b, "g", "c1", "t");                        // c1 sorts first: it takes partitions 0 and 2
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c1")), "t:0 t:2", "c1 after c1 joined");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c2")), "t:1 t:3", "c2 after c1 joined");
    join(b, "g", "c3", "t");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c1")), "t:0 t:3", "c1 after c3 joined");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c2")), "t:1", "c2 after c3 joined");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c3")), "t:2", "c3 after c3 joined");
    EXPECT_RC(mb_join_group(b, "g", "c3", {"t", "u"}, MB_AT_LEAST_ONCE, nullptr), MB_OK, "c3 joins again with t and u");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c3")), "t:2 u:0 u:1 u:2", "c3, the only member on u");
    EXPECT_RC(mb_join_group(b, "g", "c3", {"u"}, MB_AT_LEAST_ONCE, nullptr), MB_OK, "c3 joins again with u only");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c1")), "t:0 t:2", "c1 after c3 dropped t");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c3")), "u:0 u:1 u:2", "c3 after it dropped t");
    join(b, "h", "c9", "t");                        // another group shares nothing with g
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "h", "c9")), "t:0 t:1 t:2 t:3", "c9 alone in group h");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c9")), "", "c9 is not in g");
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
    EXPECT_RC(mb_leave_group(b, "g", "c2", nullptr), MB_OK, "c2 leaves");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c1")), "t:0 t:1 t:2 t:3", "c1 after c2 left");
    NL_EXPECT_STREQ(parts_of(mb_assignment(b, "g", "c2")), "", "c2 after it left");
    NL_EXPECT_EQ_INT(n1 + poll(b, "g", "c1").size(), 40, "n1 + poll(b, \"g\", \"c1\").size()");      // c2's partitions come to c1
    std::vector<mb_consumed> v;
    EXPECT_RC(mb_poll(b, "g", "c2", 10, 0, &v, nullptr), MB_CONSUMER_NOT_REGISTERED, "mb_poll(b, \"g\", \"c2\", 10, 0, &v, nullptr)");
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
    NL_EXPECT_TRUE(lost.size() > 0);
    EXPECT_RC(mb_leave_group(b, "g", "c2", nullptr), MB_OK, "mb_leave_group(b, \"g\", \"c2\", nullptr)");
    std::set<std::string> got;
    for (auto &m : poll(b, "g", "c1")) got.insert(m.message.id);  // no waiting for the ack timeout
    for (auto &m : lost) NL_EXPECT_TRUE(got.count(m.message.id) == 1);
    NL_EXPECT_EQ_INT(got.size(), 20, "got.size()");
    mb_free(b);
}

/* ---- acknowledgements and redelivery ---- */

static void test_redelivery_in_order_from_first_unacked(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 4; i++) pub(b, "t", msg("m" + std::to_string(i)));
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 4, "poll(b, \"g\", \"c\").size()");
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 0}}, nullptr), MB_OK, "mb_acknowledge(b, \"g\", \"c\", {{{\"t\", 0}, 0}}, nullptr)");
    vnow += 100;
    std::vector<mb_consumed> v = poll(b, "g", "c");
    NL_EXPECT_EQ_INT(v.size(), 3, "v.size()");
    for (size_t i = 0; i < 3; i++) {
        NL_EXPECT_EQ_INT(v[i].offset, i + 1, "v[i].offset");
        NL_EXPECT_STREQ(v[i].message.payload, ("m" + std::to_string(i + 1)), "v[i].message.payload");
    }
    mb_free(b);
}

static void test_no_redelivery_before_timeout(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    pub(b, "t", msg("once"));
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 1, "poll(b, \"g\", \"c\").size()");
    vnow += 99;
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 0, "poll(b, \"g\", \"c\").size()");
    vnow += 1;
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 1, "poll(b, \"g\", \"c\").size()");
    mb_free(b);
}

static void test_ack_is_cumulative(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 5; i++) pub(b, "t", msg("m"));
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 5, "poll(b, \"g\", \"c\").size()");
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 4}}, nullptr), MB_OK, "mb_acknowledge(b, \"g\", \"c\", {{{\"t\", 0}, 4}}, nullptr)");
    vnow += 1000;
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 0, "poll(b, \"g\", \"c\").size()");
    mb_offsets o = mb_get_committed_offsets(b, "g");
    NL_EXPECT_EQ_INT((o[{"t", 0}]), 5, "(o[{\"t\", 0}])");
    mb_free(b);
}

static void test_ack_after_rebalance_rejected(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    join(b, "g", "c1", "t");
    for (int i = 0; i < 10; i++) pub(b, "t", msg("m"));         // no key: round robin over both
    NL_EXPECT_EQ_INT(poll(b, "g", "c1").size(), 10, "poll(b, \"g\", \"c1\").size()");
    join(b, "g", "c2", "t");                                      // c2 takes one partition from c1
    mb_topic_partition moved = mb_assignment(b, "g", "c2")[0];
    mb_error e{};
    EXPECT_RC(mb_acknowledge(b, "g", "c1", {{moved, 4}}, &e), MB_NOT_ASSIGNED, "mb_acknowledge(b, \"g\", \"c1\", {{moved, 4}}, &e)");
    NL_EXPECT_TRUE(e.message.find(moved.first) != std::string::npos);
    NL_EXPECT_EQ_INT(mb_get_committed_offsets(b, "g")[moved], 0, "mb_get_committed_offsets(b, \"g\")[moved]");
    NL_EXPECT_EQ_INT(poll(b, "g", "c2").size(), 5, "poll(b, \"g\", \"c2\").size()");               // the new owner gets them again
    mb_free(b);
}

static void test_ack_undelivered_offset_rejected(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 3; i++) pub(b, "t", msg("m"));
    NL_EXPECT_EQ_INT(poll(b, "g", "c", 2).size(), 2, "poll(b, \"g\", \"c\", 2).size()");
    mb_error e{};
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 2}}, &e), MB_INVALID_OFFSET, "mb_acknowledge(b, \"g\", \"c\", {{{\"t\", 0}, 2}}, &e)");
    NL_EXPECT_EQ_INT(e.requested, 2, "e.requested");
    NL_EXPECT_EQ_INT(e.max_offset, 1, "e.max_offset");
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 1}}, nullptr), MB_OK, "mb_acknowledge(b, \"g\", \"c\", {{{\"t\", 0}, 1}}, nullptr)");
    mb_free(b);
}

static void test_at_most_once_no_redelivery(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 1);
    join(b, "g", "c", "t", MB_AT_MOST_ONCE);
    for (int i = 0; i < 3; i++) pub(b, "t", msg("m"));
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 3, "poll(b, \"g\", \"c\").size()");
    vnow += 500;
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 0, "poll(b, \"g\", \"c\").size()");
    NL_EXPECT_EQ_INT((mb_get_committed_offsets(b, "g")[{"t", 0}]), 3, "(mb_get_committed_offsets(b, \"g\")[{\"t\", 0}])");
    mb_free(b);
}

static void test_too_many_unacked(void **)
{
    mb_broker *b = make_broker(30000, 3);
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 5; i++) pub(b, "t", msg("m" + std::to_string(i)));
    NL_EXPECT_EQ_INT(poll(b, "g", "c", 10).size(), 3, "poll(b, \"g\", \"c\", 10).size()");
    std::vector<mb_consumed> v;
    mb_error e{};
    EXPECT_RC(mb_poll(b, "g", "c", 10, 0, &v, &e), MB_TOO_MANY_UNACKED, "mb_poll(b, \"g\", \"c\", 10, 0, &v, &e)");
    NL_EXPECT_TRUE(e.message.find("3") != std::string::npos);
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 1}}, nullptr), MB_OK, "mb_acknowledge(b, \"g\", \"c\", {{{\"t\", 0}, 1}}, nullptr)");
    v = poll(b, "g", "c", 10);
    NL_EXPECT_EQ_INT(v.size(), 2, "v.size()");
    NL_EXPECT_EQ_INT(v[0].offset, 3, "v[0].offset");
    mb_free(b);
}

static void test_nack_redelivers(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 4; i++) pub(b, "t", msg("m" + std::to_string(i)));
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 4, "poll(b, \"g\", \"c\").size()");
    EXPECT_RC(mb_nack(b, "g", "c", {{{"t", 0}, 2}}, nullptr), MB_OK, "mb_nack(b, \"g\", \"c\", {{{\"t\", 0}, 2}}, nullptr)");
    std::vector<mb_consumed> v = poll(b, "g", "c");
    NL_EXPECT_EQ_INT(v.size(), 2, "v.size()");
    NL_EXPECT_EQ_INT(v[0].offset, 2, "v[0].offset");
    NL_EXPECT_EQ_INT(v[1].offset, 3, "v[1].offset");
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
    EXPECT_RC(mb_seek(b, "g", "c", "t", 0, 6, &e), MB_INVALID_OFFSET, "mb_seek(b, \"g\", \"c\", \"t\", 0, 6, &e)");
    NL_EXPECT_EQ_INT(e.min_offset, 0, "e.min_offset");
    NL_EXPECT_EQ_INT(e.max_offset, 5, "e.max_offset");
    EXPECT_RC(mb_seek(b, "g", "c", "t", 0, 3, nullptr), MB_OK, "mb_seek(b, \"g\", \"c\", \"t\", 0, 3, nullptr)");
    std::vector<mb_consumed> v = poll(b, "g", "c");
    NL_EXPECT_EQ_INT(v.size(), 2, "v.size()");
    NL_EXPECT_EQ_INT(v[0].offset, 3, "v[0].offset");
    EXPECT_RC(mb_seek_to_end(b, "g", "c", "t", 0, nullptr), MB_OK, "mb_seek_to_end(b, \"g\", \"c\", \"t\", 0, nullptr)");
    NL_EXPECT_EQ_INT(poll(b, "g", "c").size(), 0, "poll(b, \"g\", \"c\").size()");
    EXPECT_RC(mb_seek(b, "g", "c", "t", 1, 0, &e), MB_PARTITION_NOT_FOUND, "mb_seek(b, \"g\", \"c\", \"t\", 1, 0, &e)");
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
    NL_EXPECT_EQ_INT(mb_cleanup_expired(b), 1, "mb_cleanup_expired(b)");
    mb_stats s = mb_get_stats(b);
    NL_EXPECT_EQ_INT(s.messages_per_topic["short"], 1, "s.messages_per_topic[\"short\"]");
    NL_EXPECT_EQ_INT(s.messages_per_topic["long"], 1, "s.messages_per_topic[\"long\"]");
    std::vector<mb_consumed> v = poll(b, "g", "c");
    NL_EXPECT_EQ_INT(v.size(), 1, "v.size()");
    NL_EXPECT_STREQ(v[0].message.payload, "young", "v[0].message.payload");
    NL_EXPECT_EQ_INT(v[0].offset, 1, "v[0].offset");            // offsets are never reused
    mb_error e{};
    EXPECT_RC(mb_seek(b, "g", "c", "short", 0, 0, &e), MB_INVALID_OFFSET, "mb_seek(b, \"g\", \"c\", \"short\", 0, 0, &e)");
    NL_EXPECT_EQ_INT(e.min_offset, 1, "e.min_offset");
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
    EXPECT_RC(mb_publish(b, "small", &m, &r, nullptr), MB_OK, "mb_publish(b, \"small\", &m, &r, nullptr)");       // exactly the limit
    m = msg(std::string(11, 'x'));
    EXPECT_RC(mb_publish(b, "small", &m, &r, &e), MB_MESSAGE_TOO_LARGE, "mb_publish(b, \"small\", &m, &r, &e)");
    NL_EXPECT_EQ_INT(e.size, 11, "e.size");
    NL_EXPECT_EQ_INT(e.max, 10, "e.max");
    EXPECT_RC(mb_publish(b, "big", &m, &r, nullptr), MB_OK, "mb_publish(b, \"big\", &m, &r, nullptr)");
    m = msg(std::string(1048577, 'x'));
    EXPECT_RC(mb_publish(b, "big", &m, &r, &e), MB_MESSAGE_TOO_LARGE, "mb_publish(b, \"big\", &m, &r, &e)");
    NL_EXPECT_EQ_INT(e.max, 1048576, "e.max");
    mb_free(b);
}

static void test_publish_batch_all_or_nothing(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1, 0, 5);
    std::vector<mb_publish_result> res;
    EXPECT_RC(mb_publish_batch(b, "t", {msg("a"), msg("b"), msg("toolong"), msg("c")}, &res, nullptr), MB_MESSAGE_TOO_LARGE, "mb_publish_batch(b, \"t\", {msg(\"a\"), msg(\"b\"), msg(\"toolong\"), msg(\"c\")}, &res, nullptr)");
    NL_EXPECT_EQ_INT(mb_get_stats(b).total_messages, 0, "mb_get_stats(b).total_messages");
    EXPECT_RC(mb_publish_batch(b, "t", {msg("a"), msg("b")}, &res, nullptr), MB_OK, "mb_publish_batch(b, \"t\", {msg(\"a\"), msg(\"b\")}, &res, nullptr)");
    NL_EXPECT_EQ_INT(res.size(), 2, "res.size()");
    NL_EXPECT_EQ_INT(res[1].offset, 1, "res[1].offset");
    mb_free(b);
}

static void test_idempotent_publish_by_id(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 4);
    mb_publish_result r1 = pub(b, "t", msg("pay", "k", "order-42"));
    mb_publish_result r2 = pub(b, "t", msg("pay", "k", "order-42"));   // a producer retry
    NL_EXPECT_EQ_INT(r1.offset, r2.offset, "r1.offset");
    NL_EXPECT_EQ_INT(r1.partition, r2.partition, "r1.partition");
    NL_EXPECT_EQ_INT(mb_get_stats(b).total_messages, 1, "mb_get_stats(b).total_messages");
    mb_publish_result r3 = pub(b, "t", msg("pay"));
    NL_EXPECT_STREQ(r3.message_id, ("t/" + std::to_string(r3.partition) + "/0"), "r3.message_id");
    mb_free(b);
}

static void test_commit_offsets(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 4; i++) pub(b, "t", msg("m"));
    EXPECT_RC(mb_commit_offsets(b, "g", "c", {{{"t", 0}, 3}}, nullptr), MB_OK, "mb_commit_offsets(b, \"g\", \"c\", {{{\"t\", 0}, 3}}, nullptr)");
    NL_EXPECT_EQ_INT((mb_get_committed_offsets(b, "g")[{"t", 0}]), 3, "(mb_get_committed_offsets(b, \"g\")[{\"t\", 0}])");
    EXPECT_RC(mb_commit_offsets(b, "g", "c", {{{"t", 0}, 9}}, nullptr), MB_INVALID_OFFSET, "mb_commit_offsets(b, \"g\", \"c\", {{{\"t\", 0}, 9}}, nullptr)");
    join(b, "g", "c2", "t");                     // c2 sorts after c: c keeps partition 0
    EXPECT_RC(mb_leave_group(b, "g", "c", nullptr), MB_OK, "mb_leave_group(b, \"g\", \"c\", nullptr)");
    std::vector<mb_consumed> v = poll(b, "g", "c2");   // the new owner starts at the commit
    NL_EXPECT_EQ_INT(v.size(), 1, "v.size()");
    NL_EXPECT_EQ_INT(v[0].offset, 3, "v[0].offset");
    mb_free(b);
}

static void test_topic_and_group_errors(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    mb_topic_config tc{"t", 2, 0, 0};
    mb_error e{};
    EXPECT_RC(mb_create_topic(b, &tc, &e), MB_TOPIC_EXISTS, "mb_create_topic(b, &tc, &e)");
    mb_message m = msg("x");
    mb_publish_result r;
    EXPECT_RC(mb_publish(b, "nope", &m, &r, &e), MB_TOPIC_NOT_FOUND, "mb_publish(b, \"nope\", &m, &r, &e)");
    NL_EXPECT_TRUE(e.message.find("nope") != std::string::npos);
    EXPECT_RC(mb_join_group(b, "g", "c", {"nope"}, MB_AT_LEAST_ONCE, &e), MB_TOPIC_NOT_FOUND, "mb_join_group(b, \"g\", \"c\", {\"nope\"}, MB_AT_LEAST_ONCE, &e)");
    std::vector<mb_consumed> v;
    EXPECT_RC(mb_poll(b, "ghost", "c", 1, 0, &v, &e), MB_GROUP_NOT_FOUND, "mb_poll(b, \"ghost\", \"c\", 1, 0, &v, &e)");
    join(b, "g", "c", "t");
    EXPECT_RC(mb_poll(b, "g", "stranger", 1, 0, &v, &e), MB_CONSUMER_NOT_REGISTERED, "mb_poll(b, \"g\", \"stranger\", 1, 0, &v, &e)");
    EXPECT_RC(mb_delete_topic(b, "t", nullptr), MB_OK, "mb_delete_topic(b, \"t\", nullptr)");
    NL_EXPECT_EQ_INT(mb_list_topics(b).size(), 0, "mb_list_topics(b).size()");
    NL_EXPECT_EQ_INT(mb_assignment(b, "g", "c").size(), 0, "mb_assignment(b, \"g\", \"c\").size()");
    EXPECT_RC(mb_poll(b, "g", "c", 1, 0, &v, nullptr), MB_OK, "mb_poll(b, \"g\", \"c\", 1, 0, &v, nullptr)");
    NL_EXPECT_EQ_INT(v.size(), 0, "v.size()");
    EXPECT_RC(mb_delete_topic(b, "t", &e), MB_TOPIC_NOT_FOUND, "mb_delete_topic(b, \"t\", &e)");
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
    NL_EXPECT_EQ_INT(s.total_messages, 7, "s.total_messages");
    NL_EXPECT_EQ_INT(s.total_topics, 2, "s.total_topics");
    NL_EXPECT_EQ_INT(s.total_partitions, 7, "s.total_partitions");
    NL_EXPECT_EQ_INT(s.total_consumer_groups, 2, "s.total_consumer_groups");
    NL_EXPECT_EQ_INT(s.messages_per_topic["a"], 6, "s.messages_per_topic[\"a\"]");
    mb_topic_config tc;
    NL_EXPECT_TRUE(mb_get_topic_config(b, "b", &tc));
    NL_EXPECT_EQ_INT(tc.partitions, 4, "tc.partitions");
    mb_free(b);
}


/* ---- the rules one by one ---- */

static void test_round_robin_without_key(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 3);
    topic(b, "u", 2);
    std::string got;
    for (int i = 0; i < 4; i++) got += std::to_string(pub(b, "t", msg("m")).partition);
    pub(b, "t", msg("keyed", "user123"));           // a keyed message does not move the counter
    got += std::to_string(pub(b, "u", msg("m")).partition);   // nor does another topic
    got += std::to_string(pub(b, "t", msg("m")).partition);
    got += std::to_string(pub(b, "t", msg("m", nullptr, "dup")).partition);
    pub(b, "t", msg("m", nullptr, "dup"));          // a duplicate is not stored: no move either
    got += std::to_string(pub(b, "t", msg("m")).partition);
    NL_EXPECT_STREQ(got, "0120" "0" "12" "0", "partitions of unkeyed publishes to t (and one to u)");
    mb_free(b);
}

static void test_publish_result_and_id(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    topic(b, "u", 2);
    vnow = 7777;
    mb_publish_result r = pub(b, "t", msg("x", nullptr, ""));
    NL_EXPECT_STREQ(r.topic + " " + std::to_string(r.partition) + " " + std::to_string(r.offset) + " " + r.message_id,
                    "t 0 0 t/0/0", "publish result of the first unkeyed message");
    r = pub(b, "t", msg("y"));
    NL_EXPECT_STREQ(r.message_id, "t/1/0", "the id of the second (partition 1, offset 0)");
    mb_message m = msg("z", nullptr, "mine");
    m.timestamp_ms = 1;
    m.headers["trace"] = "abc";
    r = pub(b, "t", m);
    NL_EXPECT_STREQ(r.message_id + "@" + std::to_string(r.offset), "mine@1", "a given id is kept");
    join(b, "g", "c", "t");
    std::vector<mb_consumed> v = poll(b, "g", "c");
    NL_EXPECT_STREQ(where_of(v), "t:0@0 t:0@1 t:1@0", "poll of t");
    NL_EXPECT_EQ_INT(v[1].message.timestamp_ms, 7777, "timestamp_ms: stamped by the broker's clock");
    NL_EXPECT_STREQ(v[1].message.headers["trace"], "abc", "headers are delivered");
    NL_EXPECT_STREQ(v[1].message.id, "mine", "the delivered id");
    NL_EXPECT_STREQ(v[0].message.id, "t/0/0", "the delivered generated id");
    mb_free(b);
}

static void test_poll_order_across_partitions(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    topic(b, "s", 1);
    EXPECT_RC(mb_join_group(b, "g", "c", {"t", "s"}, MB_AT_LEAST_ONCE, nullptr), MB_OK, "c joins t and s");
    for (int i = 0; i < 6; i++) pub(b, "t", msg("t" + std::to_string(i)));   // 0,2,4 -> p0; 1,3,5 -> p1
    pub(b, "s", msg("s0"));
    std::vector<mb_consumed> v = poll(b, "g", "c", 4);
    NL_EXPECT_STREQ(where_of(v), "s:0@0 t:0@0 t:0@1 t:0@2", "poll(max 4): (topic, partition) order, one partition at a time");
    v = poll(b, "g", "c", 2);
    NL_EXPECT_STREQ(where_of(v), "t:1@0 t:1@1", "poll(max 2) next");
    v = poll(b, "g", "c", 0);
    NL_EXPECT_STREQ(where_of(v), "", "poll(max 0)");
    v = poll(b, "g", "c", 100);
    NL_EXPECT_STREQ(payloads_of(v), "t5", "the rest");
    mb_free(b);
}

static void test_timeout_rewinds_whole_partition(void **)
{
    mb_broker *b = make_broker(100);
    topic(b, "t", 2);
    join(b, "g", "c", "t");
    pub(b, "t", msg("a0"));                         // p0
    pub(b, "t", msg("b0"));                         // p1
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c", 1)), "t:0@0", "first poll (t=5000)");
    vnow += 60;
    pub(b, "t", msg("a1"));
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c", 2)), "t:0@1 t:1@0", "second poll (t=5060)");
    vnow += 39;
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c")), "", "t=5099: the oldest delivery is 99 ms old");
    vnow += 1;
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c")), "t:0@0 t:0@1", "t=5100: p0 rewinds to its oldest unacked, with what followed");
    vnow += 59;
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c")), "", "t=5159: p1's delivery is 99 ms old");
    vnow += 1;
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c")), "t:1@0", "t=5160: p1's delivery comes back");
    mb_free(b);
}

static void test_unacked_limit_exact(void **)
{
    mb_broker *b = make_broker(100, 3);
    topic(b, "t", 2);
    join(b, "g", "c", "t");
    for (int i = 0; i < 8; i++) pub(b, "t", msg("m" + std::to_string(i)));
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c", 2)), "t:0@0 t:0@1", "poll(2) with room 3");
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c", 5)), "t:0@2", "poll(5) with room 1 (limit 3 over both partitions)");
    std::vector<mb_consumed> v;
    mb_error e{};
    EXPECT_RC(mb_poll(b, "g", "c", 5, 0, &v, &e), MB_TOO_MANY_UNACKED, "poll with 3 in flight, limit 3");
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 0}}, nullptr), MB_OK, "ack t:0 through 0");
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c", 5)), "t:0@3", "room 1 after the ack");
    vnow += 100;                                    // every delivery timed out: none in flight
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c", 5)), "t:0@1 t:0@2 t:0@3", "after the timeout: room 3 again");
    join(b, "g2", "d", "t", MB_AT_MOST_ONCE);
    NL_EXPECT_EQ_INT(poll(b, "g2", "d", 100).size(), 8, "AT_MOST_ONCE: no unacked limit");
    mb_free(b);
}

static void test_ack_and_nack_bounds(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1);
    join(b, "g", "c", "t");
    for (int i = 0; i < 5; i++) pub(b, "t", msg("m" + std::to_string(i)));
    mb_error e{};
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 0}}, &e), MB_INVALID_OFFSET, "ack before any delivery");
    NL_EXPECT_EQ_INT(e.max_offset, 0, "max_offset of an ack before any delivery");
    NL_EXPECT_EQ_INT(poll(b, "g", "c", 3).size(), 3, "poll(3)");
    e = mb_error{};
    EXPECT_RC(mb_nack(b, "g", "c", {{{"t", 0}, 4}}, &e), MB_INVALID_OFFSET, "nack 4 with position 3");
    NL_EXPECT_EQ_INT(e.requested, 4, "nack's err.requested");
    NL_EXPECT_EQ_INT(e.min_offset, 0, "nack's err.min_offset");
    NL_EXPECT_EQ_INT(e.max_offset, 3, "nack's err.max_offset: the read position");
    EXPECT_RC(mb_nack(b, "g", "c", {{{"t", 0}, 3}}, nullptr), MB_OK, "nack 3 (= the position)");
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c", 1)), "t:0@3", "after nack 3");
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 3}}, nullptr), MB_OK, "ack 3 (delivered)");
    NL_EXPECT_STREQ(offsets_of(mb_get_committed_offsets(b, "g")), "t:0=4", "commit after ack 3");
    EXPECT_RC(mb_acknowledge(b, "g", "c", {{{"t", 0}, 1}}, nullptr), MB_OK, "an older ack");
    NL_EXPECT_STREQ(offsets_of(mb_get_committed_offsets(b, "g")), "t:0=4", "an older ack does not move the commit back");
    EXPECT_RC(mb_nack(b, "g", "c", {{{"t", 0}, 1}}, nullptr), MB_OK, "nack 1");
    NL_EXPECT_STREQ(payloads_of(poll(b, "g", "c")), "m1 m2 m3 m4", "after nack 1: from 1 on");
    mb_free(b);
}

static void test_commit_bounds(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1, 100);
    join(b, "g", "c", "t");
    for (int i = 0; i < 3; i++) pub(b, "t", msg("m" + std::to_string(i)));
    vnow += 50;
    pub(b, "t", msg("m3"));
    vnow += 50;
    NL_EXPECT_EQ_INT(mb_cleanup_expired(b), 3, "cleanup at t+100");
    mb_error e{};
    EXPECT_RC(mb_commit_offsets(b, "g", "c", {{{"t", 0}, 2}}, &e), MB_INVALID_OFFSET, "commit 2 (first retained 3)");
    NL_EXPECT_EQ_INT(e.min_offset, 3, "err.min_offset: the first retained offset");
    NL_EXPECT_EQ_INT(e.max_offset, 4, "err.max_offset: the end");
    EXPECT_RC(mb_commit_offsets(b, "g", "c", {{{"t", 0}, 5}}, &e), MB_INVALID_OFFSET, "commit 5 (end 4)");
    EXPECT_RC(mb_commit_offsets(b, "g", "c", {{{"t", 0}, 4}}, nullptr), MB_OK, "commit 4 (= the end)");
    NL_EXPECT_STREQ(offsets_of(mb_get_committed_offsets(b, "g")), "t:0=4", "after commit 4");
    EXPECT_RC(mb_commit_offsets(b, "g", "c", {{{"t", 0}, 3}}, nullptr), MB_OK, "commit 3 (= first retained, back)");
    NL_EXPECT_STREQ(offsets_of(mb_get_committed_offsets(b, "g")), "t:0=3", "a commit may go back");
    NL_EXPECT_STREQ(payloads_of(poll(b, "g", "c")), "m3", "a commit does not move the read position");
    mb_free(b);
}

static void test_cleanup_moves_positions(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 1, 100);
    join(b, "g", "c", "t");
    join(b, "h", "d", "t");
    for (int i = 0; i < 3; i++) pub(b, "t", msg("m" + std::to_string(i)));
    NL_EXPECT_STREQ(payloads_of(poll(b, "g", "c", 1)), "m0", "g reads one");
    vnow += 99;
    NL_EXPECT_EQ_INT(mb_cleanup_expired(b), 0, "cleanup at 99 ms");
    vnow += 1;
    pub(b, "t", msg("m3"));
    NL_EXPECT_EQ_INT(mb_cleanup_expired(b), 3, "cleanup at 100 ms");
    NL_EXPECT_STREQ(offsets_of(mb_get_committed_offsets(b, "g")), "t:0=3", "g's commit after the cleanup");
    NL_EXPECT_STREQ(offsets_of(mb_get_committed_offsets(b, "h")), "t:0=3", "h's commit after the cleanup");
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c")), "t:0@3", "g after the cleanup");
    NL_EXPECT_STREQ(where_of(poll(b, "h", "d")), "t:0@3", "h after the cleanup");
    mb_stats st = mb_get_stats(b);
    NL_EXPECT_EQ_INT(st.total_messages, 1, "retained messages");
    mb_free(b);
}

static void test_error_order(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    join(b, "g", "c1", "t");
    join(b, "g", "c2", "t");
    pub(b, "t", msg("m"));
    poll(b, "g", "c1");
    EXPECT_RC(mb_acknowledge(b, "", "c1", {{{"t", 0}, 0}}, nullptr), MB_INVALID_ARG, "ack with an empty group id");
    EXPECT_RC(mb_acknowledge(b, "nog", "", {{{"t", 0}, 0}}, nullptr), MB_INVALID_ARG, "ack with an empty consumer id");
    EXPECT_RC(mb_acknowledge(b, "nog", "c1", {{{"t", 0}, 0}}, nullptr), MB_GROUP_NOT_FOUND, "ack in an unknown group");
    EXPECT_RC(mb_acknowledge(b, "g", "c9", {{{"zz", 0}, 0}}, nullptr), MB_CONSUMER_NOT_REGISTERED,
              "ack by an unknown consumer of an unknown topic");
    EXPECT_RC(mb_acknowledge(b, "g", "c1", {{{"zz", 0}, 9}}, nullptr), MB_TOPIC_NOT_FOUND, "ack of an unknown topic");
    EXPECT_RC(mb_acknowledge(b, "g", "c1", {{{"t", 2}, 9}}, nullptr), MB_PARTITION_NOT_FOUND, "ack of partition 2 of 2");
    EXPECT_RC(mb_acknowledge(b, "g", "c1", {{{"t", 1}, 9}}, nullptr), MB_NOT_ASSIGNED, "ack of c2's partition");
    EXPECT_RC(mb_acknowledge(b, "g", "c1", {{{"t", 0}, 9}}, nullptr), MB_INVALID_OFFSET, "ack of an undelivered offset");
    EXPECT_RC(mb_seek(b, "g", "c1", "t", 1, 9, nullptr), MB_NOT_ASSIGNED, "seek on c2's partition");
    EXPECT_RC(mb_seek(b, "g", "c1", "", 0, 0, nullptr), MB_INVALID_ARG, "seek with an empty topic");
    EXPECT_RC(mb_seek_to_end(b, "g", "c1", "zz", 0, nullptr), MB_TOPIC_NOT_FOUND, "seek_to_end of an unknown topic");
    EXPECT_RC(mb_commit_offsets(b, "g", "c1", {{{"t", 1}, 0}}, nullptr), MB_NOT_ASSIGNED, "commit of c2's partition");
    EXPECT_RC(mb_nack(b, "g", "c1", {{{"t", 1}, 0}}, nullptr), MB_NOT_ASSIGNED, "nack of c2's partition");
    EXPECT_RC(mb_nack(b, "g", "c1", {{{"t", 0}, 5}}, nullptr), MB_INVALID_OFFSET, "nack past the position");
    // All or nothing: a good entry with a bad one changes nothing.
    EXPECT_RC(mb_acknowledge(b, "g", "c1", {{{"t", 0}, 0}, {{"t", 1}, 0}}, nullptr), MB_NOT_ASSIGNED,
              "ack of t:0 (good) and t:1 (c2's)");
    NL_EXPECT_STREQ(offsets_of(mb_get_committed_offsets(b, "g")), "t:0=0 t:1=0", "commits after the refused ack");
    EXPECT_RC(mb_commit_offsets(b, "g", "c2", {{{"t", 1}, 1}, {{"t", 0}, 1}}, nullptr), MB_NOT_ASSIGNED,
              "commit of t:1 (good) and t:0 (c1's)");
    NL_EXPECT_STREQ(offsets_of(mb_get_committed_offsets(b, "g")), "t:0=0 t:1=0", "commits after the refused commit");
    EXPECT_RC(mb_nack(b, "g", "c1", {{{"t", 0}, 0}, {{"t", 1}, 0}}, nullptr), MB_NOT_ASSIGNED, "nack with one bad entry");
    NL_EXPECT_STREQ(where_of(poll(b, "g", "c1")), "", "c1 after the refused nack: nothing comes back");
    mb_free(b);
}

static void test_join_and_group_errors(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2);
    mb_error e{};
    EXPECT_RC(mb_join_group(b, "g", "c", {}, MB_AT_LEAST_ONCE, &e), MB_INVALID_ARG, "join with no topic");
    NL_EXPECT_TRUE(!e.message.empty(), "err.message of a join with no topic");
    EXPECT_RC(mb_join_group(b, "", "c", {"t"}, MB_AT_LEAST_ONCE, nullptr), MB_INVALID_ARG, "join with an empty group");
    EXPECT_RC(mb_join_group(b, "g", "", {"t"}, MB_AT_LEAST_ONCE, nullptr), MB_INVALID_ARG, "join with an empty consumer");
    EXPECT_RC(mb_join_group(b, "g", "c", {"t", "zz"}, MB_AT_LEAST_ONCE, nullptr), MB_TOPIC_NOT_FOUND,
              "join with one unknown topic");
    NL_EXPECT_EQ_INT(mb_get_stats(b).total_consumer_groups, 0, "groups after the refused joins");
    std::vector<mb_consumed> v;
    EXPECT_RC(mb_poll(b, "g", "c", 1, 0, &v, nullptr), MB_GROUP_NOT_FOUND, "poll after the refused joins");
    EXPECT_RC(mb_leave_group(b, "g", "c", nullptr), MB_GROUP_NOT_FOUND, "leave of an unknown group");
    EXPECT_RC(mb_rebalance_group(b, "g", nullptr), MB_GROUP_NOT_FOUND, "rebalance of an unknown group");
    join(b, "g", "c", "t");
    EXPECT_RC(mb_leave_group(b, "g", "x", nullptr), MB_CONSUMER_NOT_REGISTERED, "leave of a consumer not in g");
    EXPECT_RC(mb_poll(b, "g", "c", 1, 0, nullptr, nullptr), MB_INVALID_ARG, "poll with a NULL output");
    EXPECT_RC(mb_leave_group(b, "g", "c", nullptr), MB_OK, "the last member leaves");
    NL_EXPECT_EQ_INT(mb_get_stats(b).total_consumer_groups, 1, "a group stays after its last member left");
    EXPECT_RC(mb_rebalance_group(b, "g", nullptr), MB_OK, "rebalance of the empty group");
    EXPECT_RC(mb_poll(b, "g", "c", 1, 0, &v, nullptr), MB_CONSUMER_NOT_REGISTERED, "poll after leaving");
    mb_free(b);
}

static void test_topic_config_and_limits(void **)
{
    mb_broker *b = make_broker();
    mb_topic_config tc{"", 1, 0, 0};
    EXPECT_RC(mb_create_topic(b, &tc, nullptr), MB_INVALID_ARG, "a topic with an empty name");
    EXPECT_RC(mb_create_topic(b, nullptr, nullptr), MB_INVALID_ARG, "a NULL topic config");
    topic(b, "z", 0, 250, 7);
    topic(b, "a", 1);
    NL_EXPECT_STREQ(std::string(mb_list_topics(b)[0]) + "," + mb_list_topics(b)[1], "a,z", "mb_list_topics is sorted");
    mb_topic_config got{};
    NL_EXPECT_TRUE(mb_get_topic_config(b, "z", &got), "get_topic_config(z)");
    NL_EXPECT_STREQ(got.name + " " + std::to_string(got.partitions) + " " + std::to_string(got.retention_ms) + " " +
                        std::to_string(got.max_message_size),
                    "z 4 250 7", "z's config (0 partitions = the default 4)");
    NL_EXPECT_TRUE(!mb_get_topic_config(b, "nope", &got), "get_topic_config of an unknown topic");
    mb_publish_result r;
    mb_message m = msg(std::string(1048576, 'x'));
    EXPECT_RC(mb_publish(b, "a", &m, &r, nullptr), MB_OK, "a payload of exactly the broker's limit");
    mb_error e{};
    std::vector<mb_publish_result> rs;
    EXPECT_RC(mb_publish_batch(b, "z", {msg("1234567"), msg("12345678"), msg("123456789")}, &rs, &e),
              MB_MESSAGE_TOO_LARGE, "a batch with an 8- and a 9-byte payload on a 7-byte topic");
    NL_EXPECT_EQ_INT(e.size, 8, "err.size: the first message refused");
    NL_EXPECT_EQ_INT(e.max, 7, "err.max: the topic's limit");
    NL_EXPECT_EQ_INT(mb_get_stats(b).messages_per_topic["z"], 0, "z after the refused batch");
    EXPECT_RC(mb_publish_batch(b, "nope", {msg("1")}, &rs, nullptr), MB_TOPIC_NOT_FOUND, "a batch to an unknown topic");
    mb_free(b);
}

static void test_idempotent_ids_per_topic(void **)
{
    mb_broker *b = make_broker();
    topic(b, "t", 2, 100);
    topic(b, "u", 2);
    mb_publish_result r1 = pub(b, "t", msg("first", "k1", "id-1"));
    mb_publish_result r2 = pub(b, "t", msg("second", "k2", "id-1"));   // same id, other payload and key
    NL_EXPECT_STREQ(r2.topic + ":" + std::to_string(r2.partition) + "@" + std::to_string(r2.offset),
                    r1.topic + ":" + std::to_string(r1.partition) + "@" + std::to_string(r1.offset),
                    "a retry with the same id returns the first result");
    mb_publish_result r3 = pub(b, "u", msg("other topic", "k1", "id-1"));
    NL_EXPECT_STREQ(r3.topic + "@" + std::to_string(r3.offset), "u@0", "the same id on another topic is stored");
    std::vector<mb_publish_result> rs;
    EXPECT_RC(mb_publish_batch(b, "t", {msg("a", "k1", "id-2"), msg("b", "k1", "id-2")}, &rs, nullptr), MB_OK,
              "a batch that repeats an id");
    NL_EXPECT_EQ_INT(rs.size(), 2, "one result per message of the batch");
    NL_EXPECT_EQ_INT(rs[1].offset, rs[0].offset, "the repeat in the batch returns the first result");
    NL_EXPECT_EQ_INT(mb_get_stats(b).messages_per_topic["t"], 2, "t holds id-1 and id-2 once each");
    vnow += 100;
    NL_EXPECT_EQ_INT(mb_cleanup_expired(b), 2, "cleanup after t's retention");
    mb_publish_result r4 = pub(b, "t", msg("again", "k1", "id-1"));
    NL_EXPECT_TRUE(r4.offset > r1.offset, "id-1 is stored again once dropped: offset %llu", (unsigned long long)r4.offset);
    mb_free(b);
}

static void test_config_defaults(void **)
{
    mb_config c;
    memset(&c, 0xAB, sizeof c);
    mb_config_default(&c);
    NL_EXPECT_EQ_INT(c.default_partitions, 4, "mb_config_default: default_partitions");
    NL_EXPECT_EQ_INT(c.retention_ms, 86400000, "mb_config_default: retention_ms");
    NL_EXPECT_EQ_INT(c.max_message_size, 1048576, "mb_config_default: max_message_size");
    NL_EXPECT_EQ_INT(c.ack_timeout_ms, 30000, "mb_config_default: ack_timeout_ms");
    NL_EXPECT_EQ_INT(c.max_unacked_messages, 1000, "mb_config_default: max_unacked_messages");
    NL_EXPECT_TRUE(c.clock.now_ms == nullptr, "mb_config_default: clock");
    mb_broker *b = mb_new(nullptr);
    topic(b, "t", 0);
    mb_topic_config got{};
    NL_EXPECT_TRUE(mb_get_topic_config(b, "t", &got), "get_topic_config");
    NL_EXPECT_EQ_INT(got.partitions, 4, "mb_new(NULL): default partitions");
    mb_message m = msg(std::string(1048577, 'x'));
    mb_publish_result r;
    mb_error e{};
    EXPECT_RC(mb_publish(b, "t", &m, &r, &e), MB_MESSAGE_TOO_LARGE, "mb_new(NULL): 1048577 bytes");
    NL_EXPECT_EQ_INT(e.max, 1048576, "mb_new(NULL): err.max");
    mb_free(b);
}

static void test_err_names_and_null_arguments(void **)
{
    static const char *const want[] = {"ok", "topic not found", "topic already exists", "partition not found",
                                       "group not found", "consumer not registered", "message too large",
                                       "invalid offset", "too many unacked", "partition not assigned",
                                       "invalid argument"};
    for (int c = MB_OK; c <= MB_INVALID_ARG; c++) {
        const char *got = mb_err_name((mb_err)c);
        NL_EXPECT_TRUE(got != nullptr, "mb_err_name(%s)", rc_name(c));
        NL_EXPECT_STREQ(got, want[c], "mb_err_name(%s)", rc_name(c));
    }
    const char *other = mb_err_name((mb_err)99);
    NL_EXPECT_TRUE(other != nullptr, "mb_err_name(99)");
    NL_EXPECT_STREQ(other, "unknown error", "mb_err_name(99)");

    mb_message m = msg("x");
    mb_publish_result r;
    std::vector<mb_consumed> v;
    mb_topic_config tc{"t", 1, 0, 0};
    EXPECT_RC(mb_create_topic(nullptr, &tc, nullptr), MB_INVALID_ARG, "create_topic on a NULL broker");
    EXPECT_RC(mb_delete_topic(nullptr, "t", nullptr), MB_INVALID_ARG, "delete_topic on a NULL broker");
    EXPECT_RC(mb_publish(nullptr, "t", &m, &r, nullptr), MB_INVALID_ARG, "publish on a NULL broker");
    EXPECT_RC(mb_publish_batch(nullptr, "t", {m}, nullptr, nullptr), MB_INVALID_ARG, "publish_batch on a NULL broker");
    EXPECT_RC(mb_join_group(nullptr, "g", "c", {"t"}, MB_AT_LEAST_ONCE, nullptr), MB_INVALID_ARG, "join on a NULL broker");
    EXPECT_RC(mb_leave_group(nullptr, "g", "c", nullptr), MB_INVALID_ARG, "leave on a NULL broker");
    EXPECT_RC(mb_rebalance_group(nullptr, "g", nullptr), MB_INVALID_ARG, "rebalance on a NULL broker");
    EXPECT_RC(mb_poll(nullptr, "g", "c", 1, 0, &v, nullptr), MB_INVALID_ARG, "poll on a NULL broker");
    EXPECT_RC(mb_acknowledge(nullptr, "g", "c", {}, nullptr), MB_INVALID_ARG, "ack on a NULL broker");
    EXPECT_RC(mb_nack(nullptr, "g", "c", {}, nullptr), MB_INVALID_ARG, "nack on a NULL broker");
    EXPECT_RC(mb_commit_offsets(nullptr, "g", "c", {}, nullptr), MB_INVALID_ARG, "commit on a NULL broker");
    EXPECT_RC(mb_seek(nullptr, "g", "c", "t", 0, 0, nullptr), MB_INVALID_ARG, "seek on a NULL broker");
    NL_EXPECT_EQ_INT(mb_list_topics(nullptr).size(), 0, "list_topics of a NULL broker");
    NL_EXPECT_TRUE(!mb_get_topic_config(nullptr, "t", &tc), "get_topic_config of a NULL broker");
    NL_EXPECT_EQ_INT(mb_assignment(nullptr, "g", "c").size(), 0, "assignment of a NULL broker");
    NL_EXPECT_EQ_INT(mb_get_committed_offsets(nullptr, "g").size(), 0, "committed offsets of a NULL broker");
    NL_EXPECT_EQ_INT(mb_cleanup_expired(nullptr), 0, "cleanup of a NULL broker");
    mb_stats st = mb_get_stats(nullptr);
    NL_EXPECT_EQ_INT(st.total_messages + st.total_topics + st.total_partitions + st.total_consumer_groups, 0,
                     "stats of a NULL broker");
    mb_free(nullptr);

    mb_config c;
    mb_config_default(&c);
    c.default_partitions = 0;
    mb_broker *b = mb_new(&c);
    topic(b, "t", 0);
    NL_EXPECT_TRUE(mb_get_topic_config(b, "t", &tc), "get_topic_config(t)");
    NL_EXPECT_EQ_INT(tc.partitions, 1, "default_partitions 0 in the config means 1");
    EXPECT_RC(mb_publish(b, "t", nullptr, &r, nullptr), MB_INVALID_ARG, "publish of a NULL message");
    EXPECT_RC(mb_publish(b, "", &m, &r, nullptr), MB_INVALID_ARG, "publish to an empty topic name");
    EXPECT_RC(mb_publish(b, "t", &m, nullptr, nullptr), MB_OK, "publish with a NULL result");
    EXPECT_RC(mb_publish_batch(b, "t", {m, m}, nullptr, nullptr), MB_OK, "publish_batch with a NULL result");
    EXPECT_RC(mb_delete_topic(b, "", nullptr), MB_INVALID_ARG, "delete_topic of an empty name");
    EXPECT_RC(mb_rebalance_group(b, "", nullptr), MB_INVALID_ARG, "rebalance of an empty group id");
    NL_EXPECT_EQ_INT(mb_get_stats(b).total_messages, 3, "messages stored");
    NL_EXPECT_TRUE(!mb_get_topic_config(b, "", &tc), "get_topic_config of an empty name");
    join(b, "g", "c", "t");
    NL_EXPECT_EQ_INT(mb_assignment(b, "", "c").size() + mb_assignment(b, "g", "").size() + mb_assignment(b, "x", "c").size(),
                     0, "assignment with an empty or unknown id");
    NL_EXPECT_EQ_INT(mb_get_committed_offsets(b, "").size() + mb_get_committed_offsets(b, "x").size(), 0,
                     "committed offsets of an empty or unknown group");
    NL_EXPECT_EQ_INT(mb_partition_for_key("abc", 0), 0, "mb_partition_for_key with 0 partitions");
    mb_free(b);
}

void test_differential_random_histories(void **);

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
    cmocka_unit_test(test_round_robin_without_key),
    cmocka_unit_test(test_publish_result_and_id),
    cmocka_unit_test(test_poll_order_across_partitions),
    cmocka_unit_test(test_timeout_rewinds_whole_partition),
    cmocka_unit_test(test_unacked_limit_exact),
    cmocka_unit_test(test_ack_and_nack_bounds),
    cmocka_unit_test(test_commit_bounds),
    cmocka_unit_test(test_cleanup_moves_positions),
    cmocka_unit_test(test_error_order),
    cmocka_unit_test(test_join_and_group_errors),
    cmocka_unit_test(test_topic_config_and_limits),
    cmocka_unit_test(test_idempotent_ids_per_topic),
    cmocka_unit_test(test_config_defaults),
    cmocka_unit_test(test_err_names_and_null_arguments),
    cmocka_unit_test(test_differential_random_histories),
};

NL_TEST_MAIN("ex06_message_broker", tests)
