// test_vector_clock.cpp — the EX00 suite: the seed's six tests, then causal order, merge, the
// byte format and its strict decoder, and causality checked against explicit random histories.
#include "nl_test.h"
#include "vector_clock.h"

#include <cstring>
#include <sys/mman.h>
#include <unistd.h>
#include <string>
#include <vector>

static VectorClock make(std::initializer_list<std::pair<const char *, uint64_t>> entries)
{
    VectorClock vc;
    vc_init(&vc);
    for (auto &[node, n] : entries)
        for (uint64_t i = 0; i < n; i++) vc_tick(&vc, node);
    return vc;
}

// Every decode of the suite reads bytes that end right before a page that cannot be read (R10:
// exactly len bytes are decoded), so a decoder that looks one byte past the end crashes the test.
static VcStatus decode(const std::vector<uint8_t> &bytes, VectorClock *out, VcError *err)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = bytes.size(), data = (n + pg - 1) / pg * pg;
    uint8_t *m = (uint8_t *)mmap(nullptr, data + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) fail_msg("mmap of %zu bytes for the guarded buffer failed", data + pg);
    if (mprotect(m + data, pg, PROT_NONE) != 0) fail_msg("mprotect of the guard page failed");
    uint8_t *p = m + data - n;
    if (n) memcpy(p, bytes.data(), n);
    VcStatus rc = (VcStatus)vc_from_bytes(p, n, out, err);
    munmap(m, data + pg);
    return rc;
}

// ---- the seed's tests ----

static void test_basic_tick(void **)
{
    VectorClock c;
    vc_init(&c);
    vc_tick(&c, "node_a");
    assert_int_equal(vc_get(&c, "node_a"), 1);
    vc_tick(&c, "node_a");
    assert_int_equal(vc_get(&c, "node_a"), 2);
}

static void test_happened_before(void **)
{
    VectorClock a = make({{"A", 1}});
    VectorClock b = a;
    vc_tick(&b, "B");
    assert_true(vc_happened_before(&a, &b));
    assert_false(vc_happened_before(&b, &a));
}

static void test_concurrent_events(void **)
{
    VectorClock a = make({{"A", 1}}), b = make({{"B", 1}});
    assert_true(vc_is_concurrent(&a, &b));
    assert_true(vc_is_concurrent(&b, &a));
}

static void test_merge(void **)
{
    VectorClock a = make({{"A", 2}}), b = make({{"B", 1}});
    vc_merge(&a, &b, "A");
    assert_int_equal(vc_get(&a, "A"), 3); // 2, then +1 for the receive event
    assert_int_equal(vc_get(&a, "B"), 1);
}

static void test_serialization_roundtrip(void **)
{
    VectorClock c = make({{"node1", 1}, {"node2", 1}});
    std::vector<uint8_t> bytes;
    VcError err;
    assert_int_equal(vc_to_bytes(&c, &bytes, &err), VC_OK);
    VectorClock back;
    vc_init(&back);
    assert_int_equal(decode(bytes, &back, &err), VC_OK);
    assert_int_equal(vc_compare(&c, &back), VC_EQUAL);
}

static void test_causal_chain(void **)
{
    VectorClock a = make({{"A", 1}}), b, c;
    vc_init(&b);
    vc_init(&c);
    vc_merge(&b, &a, "B");
    vc_merge(&c, &b, "C");
    assert_true(vc_happened_before(&a, &b));
    assert_true(vc_happened_before(&b, &c));
    assert_true(vc_happened_before(&a, &c));
}

// ---- causal order ----

static void test_compare_four_orders(void **)
{
    VectorClock a = make({{"A", 2}, {"B", 1}});
    VectorClock later = make({{"A", 2}, {"B", 3}, {"C", 1}});
    VectorClock other = make({{"A", 1}, {"B", 4}});
    VectorClock same = make({{"B", 1}, {"A", 2}});
    assert_int_equal(vc_compare(&a, &later), VC_BEFORE);
    assert_int_equal(vc_compare(&later, &a), VC_AFTER);
    assert_int_equal(vc_compare(&a, &other), VC_CONCURRENT);
    assert_int_equal(vc_compare(&other, &a), VC_CONCURRENT);
    assert_int_equal(vc_compare(&a, &same), VC_EQUAL);
    // A node only the other side knows still counts: {A:2,B:1} is before {A:2,B:1,C:1}.
    VectorClock plus_c = a;
    vc_tick(&plus_c, "C");
    assert_int_equal(vc_compare(&a, &plus_c), VC_BEFORE);
    assert_int_equal(vc_compare(&plus_c, &a), VC_AFTER);
    // Two empty clocks are equal; the empty clock is before any other.
    VectorClock e1, e2;
    vc_init(&e1);
    vc_init(&e2);
    assert_int_equal(vc_compare(&e1, &e2), VC_EQUAL);
    assert_int_equal(vc_compare(&e1, &a), VC_BEFORE);
}

static void test_equal_clocks_not_ordered(void **)
{
    VectorClock a = make({{"A", 3}, {"B", 1}}), b = a;
    assert_false(vc_happened_before(&a, &b));
    assert_false(vc_happened_before(&b, &a));
    assert_false(vc_is_concurrent(&a, &b));
    assert_int_equal(vc_compare(&a, &b), VC_EQUAL);
}

static void test_known_nodes_sorted(void **)
{
    VectorClock c = make({{"zeta", 1}, {"alpha", 2}, {"mid", 1}});
    std::vector<std::string> nodes = vc_known_nodes(&c);
    assert_int_equal(nodes.size(), 3);
    assert_string_equal(nodes[0].c_str(), "alpha");
    assert_string_equal(nodes[1].c_str(), "mid");
    assert_string_equal(nodes[2].c_str(), "zeta");
    assert_int_equal(vc_get(&c, "unknown"), 0);
    assert_int_equal(vc_known_nodes(&c).size(), 3); // vc_get of an absent node adds nothing
}

// ---- merge ----

static void test_merge_keeps_larger_own_components(void **)
{
    VectorClock a = make({{"A", 2}, {"B", 5}}), b = make({{"B", 1}, {"C", 4}});
    vc_merge(&a, &b, "A");
    assert_int_equal(vc_get(&a, "A"), 3);
    assert_int_equal(vc_get(&a, "B"), 5); // max, not the sender's value
    assert_int_equal(vc_get(&a, "C"), 4);
    assert_int_equal(vc_get(&b, "B"), 1); // the message is not changed
    assert_int_equal(vc_get(&b, "A"), 0);
}

static void test_merge_receive_is_after_both(void **)
{
    // The sender's clock may already carry a larger counter for the receiver (it saw a later
    // event of the receiver than this stale copy did): the receive must still come after it.
    VectorClock local = make({{"A", 1}}), msg = make({{"A", 5}, {"B", 2}});
    VectorClock before = local;
    vc_merge(&local, &msg, "A");
    assert_int_equal(vc_get(&local, "A"), 6);
    assert_int_equal(vc_compare(&local, &msg), VC_AFTER);
    assert_int_equal(vc_compare(&local, &before), VC_AFTER);
}

// ---- the byte format ----

static void test_to_bytes_layout(void **)
{
    VectorClock c = make({{"b", 2}, {"a", 1}});
    c.counters["a"] = 0x0102030405060708ULL;
    std::vector<uint8_t> bytes;
    VcError err;
    assert_int_equal(vc_to_bytes(&c, &bytes, &err), VC_OK);
    const uint8_t want[] = {'V', 'C', 1, 0, 0, 0, 2,
                            1, 'a', 1, 2, 3, 4, 5, 6, 7, 8,
                            1, 'b', 0, 0, 0, 0, 0, 0, 0, 2};
    assert_int_equal(bytes.size(), sizeof want);
    assert_memory_equal(bytes.data(), want, sizeof want);
    VectorClock empty;
    vc_init(&empty);
    assert_int_equal(vc_to_bytes(&empty, &bytes, &err), VC_OK);
    const uint8_t want_empty[] = {'V', 'C', 1, 0, 0, 0, 0};
    assert_int_equal(bytes.size(), sizeof want_empty);
    assert_memory_equal(bytes.data(), want_empty, sizeof want_empty);
}

static void test_to_bytes_rejects_bad_ids(void **)
{
    VectorClock c = make({{"", 1}});
    std::vector<uint8_t> bytes = {9, 9};
    VcError err;
    assert_int_equal(vc_to_bytes(&c, &bytes, &err), VC_ERR_SERIALIZE);
    assert_true(strlen(err.message) > 0);
    VectorClock longid;
    vc_init(&longid);
    vc_tick(&longid, std::string(256, 'x').c_str());
    assert_int_equal(vc_to_bytes(&longid, &bytes, &err), VC_ERR_SERIALIZE);
    VectorClock ok;
    vc_init(&ok);
    vc_tick(&ok, std::string(255, 'x').c_str());
    assert_int_equal(vc_to_bytes(&ok, &bytes, &err), VC_OK);
    VectorClock back;
    assert_int_equal(decode(bytes, &back, &err), VC_OK);
    assert_int_equal(vc_get(&back, std::string(255, 'x').c_str()), 1);
}

static void test_roundtrip_many_nodes(void **)
{
    VectorClock c;
    vc_init(&c);
    for (int i = 0; i < 300; i++) {
        std::string id = "n" + std::to_string(i * 7919 % 1000);
        for (int k = 0; k <= i % 5; k++) vc_tick(&c, id.c_str());
    }
    c.counters["big"] = UINT64_MAX;
    std::vector<uint8_t> bytes;
    VcError err;
    assert_int_equal(vc_to_bytes(&c, &bytes, &err), VC_OK);
    VectorClock back;
    assert_int_equal(decode(bytes, &back, &err), VC_OK);
    assert_true(back.counters == c.counters);
}

static std::vector<uint8_t> encoded_abc()
{
    VectorClock c = make({{"a", 1}, {"b", 2}, {"c", 3}});
    std::vector<uint8_t> bytes;
    VcError err;
    vc_to_bytes(&c, &bytes, &err);
    return bytes;
}

static void expect_rejected(const std::vector<uint8_t> &bytes, const char *what)
{
    VectorClock out = make({{"keep", 1}});
    VcError err;
    memset(&err, 0, sizeof err);
    int rc = decode(bytes, &out, &err);
    if (rc != VC_ERR_DESERIALIZE) fail_msg("%s: from_bytes returned %d, want VC_ERR_DESERIALIZE", what, rc);
    assert_int_equal(err.code, VC_ERR_DESERIALIZE);
    if (strlen(err.message) == 0) fail_msg("%s: no error message", what);
}

static void test_from_bytes_rejects_truncated(void **)
{
    std::vector<uint8_t> good = encoded_abc();
    for (size_t n = 0; n < good.size(); n++)
        expect_rejected(std::vector<uint8_t>(good.begin(), good.begin() + n), ("prefix of " + std::to_string(n) + " bytes").c_str());
}

static void test_from_bytes_rejects_bad_header(void **)
{
    std::vector<uint8_t> b = encoded_abc();
    b[0] = 'X';
    expect_rejected(b, "bad magic");
    b = encoded_abc();
    b[1] = 'D';
    expect_rejected(b, "bad magic second byte");
    b = encoded_abc();
    b[2] = 2;
    expect_rejected(b, "version 2");
    b[2] = 0;
    expect_rejected(b, "version 0");
}

static void test_from_bytes_rejects_count_overrun(void **)
{
    std::vector<uint8_t> b = encoded_abc();
    b[6] = 4; // 4 entries announced, 3 present
    expect_rejected(b, "count 4 for 3 entries");
    b[3] = b[4] = b[5] = b[6] = 0xff; // 4 billion entries in a few bytes
    expect_rejected(b, "count 0xffffffff");
    b = encoded_abc();
    b[6] = 2; // fewer announced than present: the rest is trailing data
    expect_rejected(b, "count 2 for 3 entries");
}

static void test_from_bytes_rejects_trailing(void **)
{
    std::vector<uint8_t> b = encoded_abc();
    b.push_back(0);
    expect_rejected(b, "one trailing zero byte");
    VectorClock empty;
    vc_init(&empty);
    VcError err;
    vc_to_bytes(&empty, &b, &err);
    b.push_back('x');
    expect_rejected(b, "empty clock plus a byte");
}

static void test_from_bytes_rejects_duplicate_ids(void **)
{
    // {"a":1},{"a":2}: same id twice.
    std::vector<uint8_t> dup = {'V', 'C', 1, 0, 0, 0, 2, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 2};
    expect_rejected(dup, "duplicate id");
    // {"b":1},{"a":1}: unsorted.
    std::vector<uint8_t> unsorted = {'V', 'C', 1, 0, 0, 0, 2, 1, 'b', 0, 0, 0, 0, 0, 0, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1};
    expect_rejected(unsorted, "unsorted ids");
    // A prefix sorts before its extension: "a" < "ab" is valid order, "ab","a" is not.
    std::vector<uint8_t> ok = {'V', 'C', 1, 0, 0, 0, 2, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 2, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 1};
    VectorClock out;
    VcError err;
    assert_int_equal(decode(ok, &out, &err), VC_OK);
    assert_int_equal(vc_get(&out, "ab"), 1);
}

static void test_from_bytes_rejects_zero_fields(void **)
{
    std::vector<uint8_t> zero_counter = {'V', 'C', 1, 0, 0, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 0};
    expect_rejected(zero_counter, "counter 0");
    std::vector<uint8_t> empty_id = {'V', 'C', 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    expect_rejected(empty_id, "empty id");
}

static void test_from_bytes_error_leaves_output(void **)
{
    std::vector<uint8_t> b = encoded_abc();
    b.back() = 0; // last counter ("c") becomes 0: entries a and b were valid
    VectorClock out = make({{"keep", 4}});
    VcError err;
    assert_int_equal(decode(b, &out, &err), VC_ERR_DESERIALIZE);
    assert_int_equal(out.counters.size(), 1);
    assert_int_equal(vc_get(&out, "keep"), 4);
    assert_int_equal(vc_get(&out, "a"), 0);
    b = encoded_abc();
    b.push_back(1);
    assert_int_equal(decode(b, &out, &err), VC_ERR_DESERIALIZE);
    assert_int_equal(out.counters.size(), 1);
}

static void test_from_bytes_replaces_output(void **)
{
    std::vector<uint8_t> b = encoded_abc();
    VectorClock out = make({{"stale", 9}});
    VcError err;
    assert_int_equal(decode(b, &out, &err), VC_OK);
    assert_int_equal(vc_get(&out, "stale"), 0);
    assert_int_equal(vc_get(&out, "c"), 3);
    assert_int_equal(out.counters.size(), 3);
}

// ---- rules the operator mutants showed untested ----

// R3, R7: a counter stored as 0 (the struct is public) is an absent node: not known, not encoded.
static void test_zero_counter_is_absent(void **)
{
    VectorClock c = make({{"a", 1}});
    c.counters["b"] = 0;
    std::vector<std::string> nodes = vc_known_nodes(&c);
    if (nodes.size() != 1 || nodes[0] != "a")
        fail_msg("{a:1, b:0}: vc_known_nodes expected [\"a\"], got %zu node(s)%s%s", nodes.size(), nodes.empty() ? "" : ", first ",
                 nodes.empty() ? "" : nodes[0].c_str());
    std::vector<uint8_t> bytes;
    VcError err;
    int rc = vc_to_bytes(&c, &bytes, &err);
    const uint8_t want[] = {'V', 'C', 1, 0, 0, 0, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1};
    if (rc != VC_OK || bytes.size() != sizeof want || memcmp(bytes.data(), want, sizeof want) != 0)
        fail_msg("{a:1, b:0}: vc_to_bytes expected VC_OK and the 17 bytes of {a:1} (count 1), got rc %d and %zu bytes", rc, bytes.size());
    VectorClock plain = make({{"a", 1}});
    if (vc_compare(&c, &plain) != VC_EQUAL)
        fail_msg("{a:1, b:0} vs {a:1}: expected equal, got %s", vc_order_name(vc_compare(&c, &plain)));
}

// R16: err may be null; the decode still fails cleanly and leaves the output alone.
static void test_from_bytes_null_err(void **)
{
    std::vector<uint8_t> b = encoded_abc();
    b.push_back(7);
    VectorClock out = make({{"keep", 2}});
    int rc = decode(b, &out, nullptr);
    if (rc != VC_ERR_DESERIALIZE) fail_msg("trailing byte with err = NULL: expected VC_ERR_DESERIALIZE, got %d", rc);
    if (vc_get(&out, "keep") != 2 || vc_known_nodes(&out).size() != 1)
        fail_msg("trailing byte with err = NULL: the output changed ({keep:2} expected, keep is now %llu)",
                 (unsigned long long)vc_get(&out, "keep"));
    std::vector<uint8_t> good = encoded_abc();
    rc = decode(good, &out, nullptr);
    if (rc != VC_OK || vc_get(&out, "c") != 3) fail_msg("valid {a:1,b:2,c:3} with err = NULL: expected VC_OK and c = 3, got %d", rc);
}

// R10, R12: the count fits the minimum entry size but the entries present use every byte: the
// missing entry starts exactly at the end of the buffer.
static void test_from_bytes_rejects_entry_at_end(void **)
{
    // count 2, one entry "abcdefghijk":1 of 1 + 11 + 8 = 20 bytes: 20 / 10 = 2 entries would fit.
    std::vector<uint8_t> b = {'V', 'C', 1, 0, 0, 0, 2, 11};
    for (char ch = 'a'; ch <= 'k'; ch++) b.push_back((uint8_t)ch);
    for (int i = 0; i < 7; i++) b.push_back(0);
    b.push_back(1);
    expect_rejected(b, "count 2 with one 20-byte entry (the second starts at the end)");
    // one byte more: the second entry has an id length (1) and nothing else
    b.push_back(1);
    expect_rejected(b, "count 2, second entry only an id length");
    // count 1, id of 11 bytes, a counter of 7 bytes: 19 bytes pass the count check, the entry is one short
    std::vector<uint8_t> short_counter = {'V', 'C', 1, 0, 0, 0, 1, 11};
    for (char ch = 'a'; ch <= 'k'; ch++) short_counter.push_back((uint8_t)ch);
    for (int i = 0; i < 7; i++) short_counter.push_back(0);
    expect_rejected(short_counter, "count 1, 11-byte id, counter of 7 bytes");
}

// R18: the names of the four orders, and "?" for a value that is none of them.
static void test_order_names(void **)
{
    const struct { CausalOrder o; const char *want; } cases[] = {
        {VC_BEFORE, "before"}, {VC_AFTER, "after"}, {VC_CONCURRENT, "concurrent"}, {VC_EQUAL, "equal"}, {(CausalOrder)42, "?"}};
    for (const auto &c : cases) {
        const char *got = vc_order_name(c.o);
        if (!got || strcmp(got, c.want) != 0) fail_msg("vc_order_name(%d): expected \"%s\", got %s%s%s", (int)c.o, c.want, got ? "\"" : "", got ? got : "NULL", got ? "\"" : "");
    }
}

// ---- events and causality over random histories ----

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void test_event_caused(void **)
{
    VectorClock a, b;
    vc_init(&a);
    vc_init(&b);
    VcEvent e1, e2, e3;
    vc_event_new(&e1, &a, "A", "hello");
    assert_int_equal(vc_get(&e1.clock, "A"), 1);
    assert_string_equal(e1.origin.c_str(), "A");
    assert_string_equal(e1.payload.c_str(), "hello");
    vc_merge(&b, &e1.clock, "B");
    vc_event_new(&e2, &b, "B", "reply");
    vc_event_new(&e3, &a, "A", "unrelated");
    assert_true(vc_event_caused(&e1, &e2));
    assert_false(vc_event_caused(&e2, &e1));
    assert_true(vc_event_caused(&e1, &e3));
    assert_false(vc_event_caused(&e3, &e2));
    assert_false(vc_event_caused(&e2, &e3));
    assert_false(vc_event_caused(&e1, &e1));
}

// Random message-passing histories among 4 nodes; the true happened-before relation is the
// reachability in the event graph (program order + send->receive). The clocks must agree with it
// for every pair of events.
static void test_causality_matches_history(void **)
{
    const char *names[] = {"n0", "n1", "n2", "n3"};
    for (uint64_t seed = 1; seed <= 40; seed++) {
        uint64_t s = seed;
        VectorClock node[4];
        int last[4] = {-1, -1, -1, -1};
        struct Msg { VectorClock clock; int to, send_event; };
        std::vector<Msg> inflight;
        std::vector<VectorClock> stamp;
        std::vector<std::vector<int>> preds;
        for (int step = 0; step < 60; step++) {
            int n = (int)(splitmix64(&s) % 4);
            int kind = (int)(splitmix64(&s) % 3);
            std::vector<int> p;
            if (last[n] >= 0) p.push_back(last[n]);
            if (kind == 2 && !inflight.empty()) {
                size_t k = splitmix64(&s) % inflight.size();
                Msg m = inflight[k];
                inflight.erase(inflight.begin() + k);
                n = m.to;
                p.clear();
                if (last[n] >= 0) p.push_back(last[n]);
                p.push_back(m.send_event);
                vc_merge(&node[n], &m.clock, names[n]);
            } else {
                vc_tick(&node[n], names[n]);
                if (kind == 1) inflight.push_back({node[n], (int)((n + 1 + splitmix64(&s) % 3) % 4), (int)stamp.size()});
            }
            last[n] = (int)stamp.size();
            stamp.push_back(node[n]);
            preds.push_back(p);
        }
        size_t E = stamp.size();
        std::vector<std::vector<bool>> reach(E, std::vector<bool>(E, false)); // reach[i][j]: i -> j
        for (size_t j = 0; j < E; j++)
            for (int p : preds[j]) {
                reach[p][j] = true;
                for (size_t i = 0; i < E; i++)
                    if (reach[i][p]) reach[i][j] = true;
            }
        for (size_t i = 0; i < E; i++)
            for (size_t j = 0; j < E; j++) {
                CausalOrder want = i == j ? VC_EQUAL : reach[i][j] ? VC_BEFORE : reach[j][i] ? VC_AFTER : VC_CONCURRENT;
                CausalOrder got = vc_compare(&stamp[i], &stamp[j]);
                if (got != want)
                    fail_msg("seed %llu: events %zu and %zu: got %s, want %s", (unsigned long long)seed, i, j,
                             vc_order_name(got), vc_order_name(want));
            }
    }
}

// test_vc_diff.cpp: the submission against the reference oracle on random operation sequences.
void test_differential_random_histories(void **);

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_basic_tick),
    cmocka_unit_test(test_happened_before),
    cmocka_unit_test(test_concurrent_events),
    cmocka_unit_test(test_merge),
    cmocka_unit_test(test_serialization_roundtrip),
    cmocka_unit_test(test_causal_chain),
    cmocka_unit_test(test_compare_four_orders),
    cmocka_unit_test(test_equal_clocks_not_ordered),
    cmocka_unit_test(test_known_nodes_sorted),
    cmocka_unit_test(test_merge_keeps_larger_own_components),
    cmocka_unit_test(test_merge_receive_is_after_both),
    cmocka_unit_test(test_to_bytes_layout),
    cmocka_unit_test(test_to_bytes_rejects_bad_ids),
    cmocka_unit_test(test_roundtrip_many_nodes),
    cmocka_unit_test(test_from_bytes_rejects_truncated),
    cmocka_unit_test(test_from_bytes_rejects_bad_header),
    cmocka_unit_test(test_from_bytes_rejects_count_overrun),
    cmocka_unit_test(test_from_bytes_rejects_trailing),
    cmocka_unit_test(test_from_bytes_rejects_duplicate_ids),
    cmocka_unit_test(test_from_bytes_rejects_zero_fields),
    cmocka_unit_test(test_from_bytes_error_leaves_output),
    cmocka_unit_test(test_from_bytes_replaces_output),
    cmocka_unit_test(test_event_caused),
    cmocka_unit_test(test_causality_matches_history),
    cmocka_unit_test(test_differential_random_histories),
    cmocka_unit_test(test_zero_counter_is_absent),
    cmocka_unit_test(test_from_bytes_null_err),
    cmocka_unit_test(test_from_bytes_rejects_entry_at_end),
    cmocka_unit_test(test_order_names),
};

NL_TEST_MAIN("exercises_5_4/ex00_vector_clock", tests)
