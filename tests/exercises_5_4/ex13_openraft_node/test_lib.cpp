// test_lib.cpp — EX13 library tests: the entry and snapshot formats byte for byte, the store, the
// request parser, and the state machine driven by libraft's own deterministic fixture (in-memory
// I/O, virtual clock): replication to every replica and a snapshot installed on a lagging follower.
#include "raft_kv.h"
#include "nl_test.h"

extern "C" {
#include <raft/fixture.h>
}

#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "ex13_tests.h"

static std::string hex(const void *p, size_t n)
{
    static const char *d = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; i++) {
        s += d[((const uint8_t *)p)[i] >> 4];
        s += d[((const uint8_t *)p)[i] & 15];
    }
    return s;
}

static std::string dump(const kv_store &st)
{
    std::string s = "{";
    for (const auto &kv : st.data)
        s += (s.size() > 1 ? ", " : "") + kv.first + "=" + kv.second;
    return s + "}";
}

static std::string encoded(kv_op op, const std::string &k, const std::string &v, int *rc)
{
    kv_cmd c;
    c.op = op;
    c.key = k;
    c.value = v;
    struct raft_buffer b = {nullptr, 0};
    *rc = kv_cmd_encode(&c, &b);
    std::string s = *rc == 0 ? std::string((const char *)b.base, b.len) : std::string();
    if (*rc == 0)
        raft_free(b.base);
    return s;
}

// The snapshot format of R7 written by hand, pairs in the order given (even when R2/R3 refuse them).
static std::string snapshot_of(const std::vector<std::pair<std::string, std::string>> &pairs)
{
    auto le32 = [](uint32_t v) { return std::string{(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)}; };
    std::string s = "KVS1" + le32((uint32_t)pairs.size());
    for (const auto &kv : pairs)
        s += le32((uint32_t)kv.first.size()) + le32((uint32_t)kv.second.size()) + kv.first + kv.second;
    return s;
}

/* ---- seed tests ---- */

void test_raft_states(void **)
{
    const char *want[] = {"unavailable", "follower", "candidate", "leader"};
    int codes[] = {RAFT_UNAVAILABLE, RAFT_FOLLOWER, RAFT_CANDIDATE, RAFT_LEADER};
    for (int i = 0; i < 4; i++) {
        const char *got = raft_kv_state_name(codes[i]);
        if (!got || strcmp(got, want[i]) != 0)
            fail_msg("raft_kv_state_name(%d): expected \"%s\", got \"%s\"", codes[i], want[i], got ? got : "(null)");
    }
    const char *other = raft_kv_state_name(99);
    if (!other || strcmp(other, "unknown") != 0)
        fail_msg("raft_kv_state_name(99): expected \"unknown\", got \"%s\"", other ? other : "(null)");
}

static int fixture_applied;
static void count_apply(struct raft_apply *req, int status, void *)
{
    if (status == 0)
        fixture_applied++;
    free(req);
}

// Submits one command to the leader of a fixture; the request is freed by count_apply.
static int fixture_submit(struct raft *leader, const kv_cmd &c)
{
    struct raft_buffer b;
    int rc = kv_cmd_encode(&c, &b);
    if (rc != 0)
        return rc;
    struct raft_apply *req = (struct raft_apply *)calloc(1, sizeof(struct raft_apply));
    rc = raft_apply(leader, req, &b, 1, count_apply);
    if (rc != 0) {
        raft_free(b.base);
        free(req);
    }
    return rc;
}

// The seed appends Set{k,[1]} at index 1 and reads the log state back. Here the log is libraft's:
// one command applied on a one-node fixture makes the last index grow by one, and the entry the
// leader stored there is the command, encoded as the README says, applied to the store.
void test_storage_append(void **)
{
    struct raft_fixture f;
    kv_store st;
    struct raft_fsm fsm;
    kv_fsm_init(&fsm, &st);
    memset(&f, 0, sizeof f);
    assert_int_equal(raft_fixture_initialize(&f), 0);
    assert_int_equal(raft_fixture_grow(&f, &fsm), 0);
    struct raft_configuration conf;
    assert_int_equal(raft_fixture_configuration(&f, 1, &conf), 0);
    assert_int_equal(raft_fixture_bootstrap(&f, &conf), 0);
    raft_configuration_close(&conf);
    assert_int_equal(raft_fixture_start(&f), 0);
    if (!raft_fixture_step_until_has_leader(&f, 10000))
        fail_msg("a one-node fixture elected no leader in 10 s of virtual time");
    struct raft *r = raft_fixture_get(&f, 0);
    raft_index before = raft_last_index(r);
    kv_cmd c;
    c.key = "k";
    c.value = std::string(1, '\1');
    fixture_applied = 0;
    assert_int_equal(fixture_submit(r, c), 0);
    if (!raft_fixture_step_until_applied(&f, 0, before + 1, 10000))
        fail_msg("Set{k,[1]} at index %llu was not applied within 10 s of virtual time", before + 1);
    if (raft_last_index(r) != before + 1)
        fail_msg("after one Set: expected last index %llu, got %llu", before + 1, raft_last_index(r));
    const struct raft_entry *e = nullptr;
    for (size_t i = r->log.front; i != r->log.back; i = (i + 1) % r->log.size)
        e = &r->log.entries[i];
    if (!e || e->type != RAFT_COMMAND)
        fail_msg("the leader's last entry is not a command");
    std::string got = hex(e->buf.base, e->buf.len);
    if (got != "0100010001000000" "6b01000000000000")
        fail_msg("entry stored for Set{k,[1]}: expected 0100010001000000 6b01000000000000, got %s", got.c_str());
    std::string v;
    if (!kv_store_get(&st, "k", &v) || v != std::string(1, '\1') || fixture_applied != 1)
        fail_msg("after Set{k,[1]} applied: expected store {k=\\x01} and one callback, got %s and %d",
                 dump(st).c_str(), fixture_applied);
    raft_fixture_close(&f);
}

/* ---- entry codec (R1, R2, R3) ---- */

void test_cmd_encode_bytes(void **)
{
    int rc;
    std::string s = encoded(KV_SET, "key", "value", &rc);
    std::string want = "0100030005000000" "6b657976616c7565";
    if (rc != 0 || hex(s.data(), s.size()) != want)
        fail_msg("encode SET key=value: expected rc 0 and %s, got rc %d and %s", want.c_str(), rc,
                 hex(s.data(), s.size()).c_str());
    s = encoded(KV_DEL, "abc", "", &rc);
    want = "0200030000000000" "6162630000000000";
    if (rc != 0 || hex(s.data(), s.size()) != want)
        fail_msg("encode DEL abc: expected %s (zero padding to 16), got rc %d and %s", want.c_str(), rc,
                 hex(s.data(), s.size()).c_str());
    s = encoded(KV_SET, "a", "", &rc);
    want = "0100010000000000" "6100000000000000";
    if (rc != 0 || hex(s.data(), s.size()) != want)
        fail_msg("encode SET a=\"\": expected %s, got rc %d and %s", want.c_str(), rc, hex(s.data(), s.size()).c_str());
    kv_cmd back;
    s = encoded(KV_SET, "key", "value", &rc);
    if (kv_cmd_decode(s.data(), s.size(), &back) != 0 || back.op != KV_SET || back.key != "key" || back.value != "value")
        fail_msg("decode of the SET key=value entry: expected SET key=value, got op %d %s=%s", back.op,
                 back.key.c_str(), back.value.c_str());
}

void test_cmd_decode_malformed(void **)
{
    struct {
        const char *why;
        std::string bytes;
    } cases[] = {
        {"7 bytes", std::string("\x01\x00\x01\x00\x00\x00\x00", 7)},
        {"op 3", std::string("\x03\x00\x01\x00\x00\x00\x00\x00" "a\0\0\0\0\0\0\0", 16)},
        {"op 0", std::string("\x00\x00\x01\x00\x00\x00\x00\x00" "a\0\0\0\0\0\0\0", 16)},
        {"byte 1 not zero", std::string("\x01\x01\x01\x00\x00\x00\x00\x00" "a\0\0\0\0\0\0\0", 16)},
        {"key length past the end", std::string("\x01\x00\x09\x00\x00\x00\x00\x00" "abcdefgh", 16)},
        {"value length past the end", std::string("\x01\x00\x01\x00\x08\x00\x00\x00" "abcdefgh", 16)},
        {"empty key", std::string("\x01\x00\x00\x00\x01\x00\x00\x00" "v\0\0\0\0\0\0\0", 16)},
        {"non-zero padding", std::string("\x01\x00\x01\x00\x00\x00\x00\x00" "a\0\0\0\0\0\0\1", 16)},
        {"8 bytes of padding", std::string("\x01\x00\x01\x00\x00\x00\x00\x00" "a\0\0\0\0\0\0\0" "\0\0\0\0\0\0\0\0", 24)},
        {"DEL with a value", std::string("\x02\x00\x01\x00\x01\x00\x00\x00" "av\0\0\0\0\0\0", 16)},
        {"key with a space", std::string("\x01\x00\x03\x00\x00\x00\x00\x00" "a b\0\0\0\0\0", 16)},
    };
    for (const auto &c : cases) {
        kv_cmd cmd;
        cmd.key = "untouched";
        int rc = kv_cmd_decode(c.bytes.data(), c.bytes.size(), &cmd);
        if (rc != RAFT_MALFORMED || cmd.key != "untouched")
            fail_msg("decode of an entry with %s: expected RAFT_MALFORMED and the command untouched, got rc %d key '%s'",
                     c.why, rc, cmd.key.c_str());
    }
    std::string big(8 + 64 + 1024, '\0');
    big[0] = 1;
    big[2] = 64;
    big[5] = 4;   // value length 1024
    for (int i = 0; i < 64; i++)
        big[8 + i] = 'k';
    kv_cmd cmd;
    if (kv_cmd_decode(big.data(), big.size(), &cmd) != 0 || cmd.key.size() != 64 || cmd.value.size() != 1024)
        fail_msg("decode of SET with a 64-byte key and a 1024-byte value: expected success, got key %zu value %zu",
                 cmd.key.size(), cmd.value.size());
    big[2] = 65;
    big.insert(big.begin() + 8, 'k');
    big.resize(8 + 65 + 1024 + 7, '\0');
    if (kv_cmd_decode(big.data(), big.size(), &cmd) != RAFT_MALFORMED)
        fail_msg("decode of SET with a 65-byte key: expected RAFT_MALFORMED");
}

void test_cmd_limits(void **)
{
    int rc;
    encoded(KV_SET, std::string(64, 'k'), "v", &rc);
    if (rc != 0)
        fail_msg("encode SET with a 64-byte key (the limit): expected 0, got %d", rc);
    encoded(KV_SET, std::string(65, 'k'), "v", &rc);
    if (rc != RAFT_INVALID)
        fail_msg("encode SET with a 65-byte key: expected RAFT_INVALID, got %d", rc);
    encoded(KV_SET, "k", std::string(1024, 'v'), &rc);
    if (rc != 0)
        fail_msg("encode SET with a 1024-byte value (the limit): expected 0, got %d", rc);
    encoded(KV_SET, "k", std::string(1025, 'v'), &rc);
    if (rc != RAFT_INVALID)
        fail_msg("encode SET with a 1025-byte value: expected RAFT_INVALID, got %d", rc);
    encoded(KV_SET, "", "v", &rc);
    if (rc != RAFT_INVALID)
        fail_msg("encode SET with an empty key: expected RAFT_INVALID, got %d", rc);
    encoded(KV_SET, "a b", "v", &rc);
    if (rc != RAFT_INVALID)
        fail_msg("encode SET with key \"a b\": expected RAFT_INVALID, got %d", rc);
}

/* ---- store and state machine (R6) ---- */

void test_store_apply(void **)
{
    kv_store st;
    struct {
        kv_op op;
        const char *k, *v;
    } seq[] = {{KV_SET, "a", "1"}, {KV_SET, "b", "2"}, {KV_SET, "a", "3"}, {KV_DEL, "b", ""}, {KV_DEL, "zz", ""},
               {KV_SET, "c", ""}};
    for (const auto &s : seq) {
        kv_cmd c;
        c.op = s.op;
        c.key = s.k;
        c.value = s.v;
        kv_store_apply(&st, &c);
    }
    if (dump(st) != "{a=3, c=}" || st.applied != 6)
        fail_msg("after SET a 1, SET b 2, SET a 3, DEL b, DEL zz, SET c \"\": expected {a=3, c=} and 6 applied, got %s and %llu",
                 dump(st).c_str(), (unsigned long long)st.applied);
    std::string v = "x";
    if (kv_store_get(&st, "b", &v) || v != "x")
        fail_msg("get of a deleted key: expected false and the output untouched, got '%s'", v.c_str());
    if (!kv_store_get(&st, "c", &v) || v != "")
        fail_msg("get of c set to \"\": expected true and \"\", got '%s'", v.c_str());
}

void test_fsm_apply_skips_malformed(void **)
{
    kv_store st;
    struct raft_fsm fsm;
    kv_fsm_init(&fsm, &st);
    if (fsm.version != 1 || !fsm.apply || !fsm.snapshot || !fsm.restore)
        fail_msg("kv_fsm_init: expected version 1 with apply, snapshot and restore set");
    int rc;
    std::string good = encoded(KV_SET, "a", "1", &rc);
    struct raft_buffer b = {&good[0], good.size()};
    void *result = (void *)&st;
    if (fsm.apply(&fsm, &b, &result) != 0 || result != nullptr || dump(st) != "{a=1}")
        fail_msg("apply SET a=1: expected 0, result NULL and {a=1}, got %s", dump(st).c_str());
    std::string bad("\x07garbage", 8);
    struct raft_buffer g = {&bad[0], bad.size()};
    result = (void *)&st;
    rc = fsm.apply(&fsm, &g, &result);
    if (rc != 0 || result != nullptr || dump(st) != "{a=1}" || st.applied != 1)
        fail_msg("apply of a malformed entry: expected 0 (skipped), result NULL and {a=1} with 1 applied, got rc %d, %s, %llu",
                 rc, dump(st).c_str(), (unsigned long long)st.applied);
}

/* ---- snapshots (R7) ---- */

void test_snapshot_bytes(void **)
{
    kv_store st;
    st.data["bb"] = "";
    st.data["a"] = "xy";
    struct raft_buffer b = {nullptr, 0};
    assert_int_equal(kv_snapshot_encode(&st, &b), 0);
    std::string got = hex(b.base, b.len);
    std::string want = "4b56533102000000" "0100000002000000" "617879" "0200000000000000" "6262";
    raft_free(b.base);
    if (got != want)
        fail_msg("snapshot of {bb=\"\", a=xy}: expected %s, got %s", want.c_str(), got.c_str());
    kv_store empty;
    assert_int_equal(kv_snapshot_encode(&empty, &b), 0);
    got = hex(b.base, b.len);
    raft_free(b.base);
    if (got != "4b56533100000000")
        fail_msg("snapshot of an empty store: expected 4b56533100000000, got %s", got.c_str());
}

void test_snapshot_restore_replaces(void **)
{
    kv_store src;
    src.data["a"] = "1";
    src.data["k2"] = std::string(1024, 'v');
    struct raft_buffer b;
    assert_int_equal(kv_snapshot_encode(&src, &b), 0);
    kv_store dst;
    dst.data["x"] = "old";
    dst.data["a"] = "old";
    dst.applied = 5;
    struct raft_fsm fsm;
    kv_fsm_init(&fsm, &dst);
    int rc = fsm.restore(&fsm, &b);   // takes b.base
    if (rc != 0 || dst.data != src.data)
        fail_msg("restore of {a=1, k2=<1024 v>} over {a=old, x=old}: expected exactly the snapshot, got rc %d and %zu keys (x %s)",
                 rc, dst.data.size(), dst.data.count("x") ? "still there" : "gone");
    if (dst.applied != 0)
        fail_msg("restore over a store that had applied 5 commands: expected applied to start again from 0, got %llu",
                 (unsigned long long)dst.applied);
    // A snapshot of the hand-written format restores too: keys in ascending byte order, values as they are.
    std::string hand = snapshot_of({{"A", ""}, {"a", "x y"}, {"b", std::string(1024, 'z')}});
    struct raft_buffer h = {raft_malloc(hand.size()), hand.size()};
    memcpy(h.base, hand.data(), hand.size());
    rc = fsm.restore(&fsm, &h);
    if (rc != 0 || dump(dst) != "{A=, a=x y, b=" + std::string(1024, 'z') + "}")
        fail_msg("restore of KVS1 {A=\"\", a=\"x y\", b=<1024 z>}: expected exactly those 3 keys, got rc %d and %zu keys", rc,
                 dst.data.size());
}

void test_snapshot_malformed(void **)
{
    kv_store src;
    src.data["a"] = "1";
    src.data["b"] = "2";
    struct raft_buffer b;
    assert_int_equal(kv_snapshot_encode(&src, &b), 0);
    std::string good((const char *)b.base, b.len);
    raft_free(b.base);
    std::string dup = good;
    dup[8 + 8 + 1 + 1 + 8] = 'a';   // second key "b" -> "a": a key twice
    std::string badmagic = good;
    badmagic[3] = '2';
    std::string more = good;
    more[4] = 3;                     // count 3, only two pairs
    struct {
        const char *why;
        std::string bytes;
    } cases[] = {{"a truncated pair", good.substr(0, good.size() - 1)},
                 {"a trailing byte", good + "z"},
                 {"magic KVS2", badmagic},
                 {"count larger than the pairs", more},
                 {"a key twice", dup},
                 {"4 bytes", good.substr(0, 4)}};
    std::vector<std::pair<const char *, std::string>> all;
    for (const auto &c : cases)
        all.push_back({c.why, c.bytes});
    // One pair each, right but for the key or the value (R2, R3).
    all.push_back({"a key with a space", snapshot_of({{"a b", "v"}})});
    all.push_back({"a key with a tab", snapshot_of({{"a\tb", "v"}})});
    all.push_back({"an empty key", snapshot_of({{"", "v"}, {"b", "2"}})});
    all.push_back({"a 65-byte key", snapshot_of({{std::string(65, 'k'), "v"}})});
    all.push_back({"a 1025-byte value", snapshot_of({{"a", std::string(1025, 'v')}})});
    for (const auto &c : all) {
        kv_store st;
        st.data["keep"] = "me";
        int rc = kv_snapshot_decode(c.second.data(), c.second.size(), &st);
        if (rc != RAFT_MALFORMED || dump(st) != "{keep=me}")
            fail_msg("decode of a snapshot with %s: expected RAFT_MALFORMED and the store unchanged, got rc %d and %s",
                     c.first, rc, dump(st).c_str());
        // Through the state machine: restore refuses it too (and the buffer stays the caller's).
        struct raft_fsm fsm;
        kv_fsm_init(&fsm, &st);
        struct raft_buffer b2 = {raft_malloc(c.second.size() + 1), c.second.size()};
        memcpy(b2.base, c.second.data(), c.second.size());
        rc = fsm.restore(&fsm, &b2);
        if (rc != RAFT_MALFORMED || dump(st) != "{keep=me}")
            fail_msg("fsm restore of a snapshot with %s: expected RAFT_MALFORMED and the store unchanged, got rc %d and %s",
                     c.first, rc, dump(st).c_str());
        raft_free(b2.base);
    }
}

/* ---- the state machine under libraft's fixture (R6, R7) ---- */

struct fixture3 {
    struct raft_fixture f;
    kv_store st[3];
    struct raft_fsm fsm[3];
    unsigned leader = 0;
};

static void fixture3_start(fixture3 *x, unsigned snapshot_every)
{
    memset(&x->f, 0, sizeof x->f);   // the fixture keeps state from stack garbage otherwise
    assert_int_equal(raft_fixture_initialize(&x->f), 0);
    for (int i = 0; i < 3; i++) {
        kv_fsm_init(&x->fsm[i], &x->st[i]);
        assert_int_equal(raft_fixture_grow(&x->f, &x->fsm[i]), 0);
        if (snapshot_every) {
            raft_set_snapshot_threshold(raft_fixture_get(&x->f, i), snapshot_every);
            raft_set_snapshot_trailing(raft_fixture_get(&x->f, i), 2);
        }
    }
    struct raft_configuration conf;
    assert_int_equal(raft_fixture_configuration(&x->f, 3, &conf), 0);
    assert_int_equal(raft_fixture_bootstrap(&x->f, &conf), 0);
    raft_configuration_close(&conf);
    assert_int_equal(raft_fixture_start(&x->f), 0);
    for (int step = 0; step < 100000; step++) {
        for (unsigned i = 0; i < 3; i++)
            if (raft_state(raft_fixture_get(&x->f, i)) == RAFT_LEADER) {
                x->leader = i;
                // Let the leader's first entry commit so every replica knows it.
                raft_fixture_step_until_applied(&x->f, 3, raft_last_index(raft_fixture_get(&x->f, i)), 10000);
                return;
            }
        raft_fixture_step(&x->f);
    }
    fail_msg("a 3-node fixture elected no leader within 100000 steps");
}

// Seeded writes on the leader of a fixture; model gets what every replica must hold.
static void fixture3_writes(fixture3 *x, unsigned seed, int n, std::map<std::string, std::string> *model)
{
    struct raft *leader = raft_fixture_get(&x->f, x->leader);
    unsigned s = seed;
    for (int i = 0; i < n; i++) {
        s = s * 1103515245u + 12345u;
        kv_cmd c;
        c.key = std::string("k") + (char)('0' + (s >> 16) % 6);
        if ((s >> 8) % 4 == 0) {
            c.op = KV_DEL;
            model->erase(c.key);
        } else {
            c.value = "v" + std::to_string(i);
            (*model)[c.key] = c.value;
        }
        int rc = fixture_submit(leader, c);
        if (rc != 0)
            fail_msg("raft_apply #%d on the fixture's leader failed: %s (state %s)", i, raft_strerror(rc),
                     raft_kv_state_name(raft_state(leader)));
        raft_fixture_step_n(&x->f, 3);
    }
}

void test_fixture_replicas_agree(void **)
{
    fixture3 x;
    fixture3_start(&x, 0);
    std::map<std::string, std::string> model;
    fixture_applied = 0;
    fixture3_writes(&x, 7, 60, &model);
    raft_index last = raft_last_index(raft_fixture_get(&x.f, x.leader));
    for (unsigned i = 0; i < 3; i++)
        if (!raft_fixture_step_until_applied(&x.f, i, last, 20000))
            fail_msg("replica %u did not apply index %llu within 20 s of virtual time", i + 1, last);
    for (int i = 0; i < 3; i++)
        if (x.st[i].data != model)
            fail_msg("60 seeded writes (seed 7): replica %d holds %s, the writes give %zu keys", i + 1,
                     dump(x.st[i]).c_str(), model.size());
    if (fixture_applied != 60)
        fail_msg("60 writes: expected 60 apply callbacks with status 0, got %d", fixture_applied);
    raft_fixture_close(&x.f);
}

void test_fixture_snapshot_install(void **)
{
    fixture3 x;
    fixture3_start(&x, 8);
    unsigned L = x.leader, F = (L + 1) % 3, lag = (L + 2) % 3;
    raft_fixture_disconnect(&x.f, L, lag);
    raft_fixture_disconnect(&x.f, F, lag);
    std::map<std::string, std::string> model;
    fixture3_writes(&x, 11, 40, &model);
    raft_index last = raft_last_index(raft_fixture_get(&x.f, L));
    if (!raft_fixture_step_until_applied(&x.f, L, last, 20000))
        fail_msg("the leader did not apply index %llu", last);
    raft_fixture_step_until_elapsed(&x.f, 2000);   // snapshots are stored asynchronously
    if (raft_fixture_get(&x.f, L)->log.snapshot.last_index == 0)
        fail_msg("40 writes with a snapshot every 8 entries: the leader took no snapshot");
    raft_fixture_reconnect(&x.f, L, lag);
    raft_fixture_reconnect(&x.f, F, lag);
    if (!raft_fixture_step_until_applied(&x.f, lag, last, 30000))
        fail_msg("the follower cut off during 40 writes did not catch up to index %llu after reconnecting", last);
    if (x.st[lag].data != model)
        fail_msg("follower after InstallSnapshot: expected the %zu keys of the writes, got %s", model.size(),
                 dump(x.st[lag]).c_str());
    if (x.st[lag].applied >= 40)
        fail_msg("follower applied %llu commands one by one: expected it to start from the leader's snapshot",
                 (unsigned long long)x.st[lag].applied);
    raft_fixture_close(&x.f);
}

/* ---- request parsing (R2, R3, R5) ---- */

// "ok", or the error reply; a return code other than 0 or -1 (the API's two) is reported as such.
static std::string parse(const std::string &line, kv_request *r)
{
    std::string err;
    int rc = kv_parse_request(line.data(), line.size(), r, &err);
    if (rc == -1)
        return err;
    return rc == 0 ? "ok" : "return code " + std::to_string(rc);
}

void test_parse_requests(void **)
{
    kv_request r;
    if (parse("SET user:1 hello  world ", &r) != "ok" || r.type != KV_REQ_SET || r.key != "user:1" ||
        r.value != "hello  world ")
        fail_msg("parse \"SET user:1 hello  world \": expected SET user:1 = \"hello  world \", got key '%s' value '%s'",
                 r.key.c_str(), r.value.c_str());
    if (parse("SET k ", &r) != "ok" || r.type != KV_REQ_SET || r.key != "k" || r.value != "")
        fail_msg("parse \"SET k \": expected SET k = \"\"");
    if (parse("GET k\r", &r) != "ok" || r.type != KV_REQ_GET || r.key != "k")
        fail_msg("parse \"GET k\\r\": expected GET k (the CR ignored), got key '%s'", r.key.c_str());
    if (parse("DEL k", &r) != "ok" || r.type != KV_REQ_DEL || r.key != "k")
        fail_msg("parse \"DEL k\": expected DEL k");
    if (parse("ADD 4 127.0.0.1:7004", &r) != "ok" || r.type != KV_REQ_ADD || r.id != 4 || r.address != "127.0.0.1:7004")
        fail_msg("parse \"ADD 4 127.0.0.1:7004\": expected ADD id 4 at 127.0.0.1:7004, got %llu '%s'",
                 (unsigned long long)r.id, r.address.c_str());
    if (parse("REMOVE 12", &r) != "ok" || r.type != KV_REQ_REMOVE || r.id != 12)
        fail_msg("parse \"REMOVE 12\": expected REMOVE 12");
    // Ids: every digit, leading zeros, 19 digits (the limit).
    struct {
        const char *line;
        uint64_t id;
    } ids[] = {{"REMOVE 10", 10}, {"REMOVE 0070", 70}, {"REMOVE 1234567890", 1234567890ull},
               {"REMOVE 0000000000000000009", 9}, {"REMOVE 9999999999999999999", 9999999999999999999ull},
               {"ADD 0000000000000000020 127.0.0.1:7020", 20}};
    for (const auto &c : ids)
        if (parse(c.line, &r) != "ok" || r.id != c.id)
            fail_msg("parse \"%s\": expected id %llu, got '%s' id %llu", c.line, (unsigned long long)c.id,
                     parse(c.line, &r).c_str(), (unsigned long long)r.id);
    if (parse("STATUS", &r) != "ok" || r.type != KV_REQ_STATUS)
        fail_msg("parse \"STATUS\": expected STATUS");
    std::string k64(64, 'k'), v1024(1024, 'v');
    if (parse("SET " + k64 + " " + v1024, &r) != "ok" || r.key != k64 || r.value != v1024)
        fail_msg("parse SET with a 64-byte key and a 1024-byte value (both limits): expected ok");
}

void test_parse_errors(void **)
{
    struct {
        std::string line, want;
    } cases[] = {
        {"", "ERR unknown command"},
        {"set a b", "ERR unknown command"},
        {"PUT a b", "ERR unknown command"},
        {"SET a", "ERR usage: SET <key> <value>"},
        {"SET", "ERR usage: SET <key> <value>"},
        {"GET", "ERR usage: GET <key>"},
        {"GET a b", "ERR usage: GET <key>"},
        {"DEL", "ERR usage: DEL <key>"},
        {"ADD 2", "ERR usage: ADD <id> <host:port>"},
        {"ADD x 127.0.0.1:1", "ERR bad id"},
        {"ADD 0 127.0.0.1:1", "ERR bad id"},
        {"REMOVE", "ERR usage: REMOVE <id>"},
        {"REMOVE -1", "ERR bad id"},
        {"REMOVE 00000000000000000001", "ERR bad id"},     // 20 digits
        {"REMOVE 12345678901234567890", "ERR bad id"},
        {"ADD 00000000000000000004 127.0.0.1:1", "ERR bad id"},
        {"REMOVE 1/", "ERR bad id"},
        {"REMOVE :1", "ERR bad id"},
        {"ADD 4  127.0.0.1:1", "ERR usage: ADD <id> <host:port>"},   // an empty word
        {"ADD 4 127.0.0.1:1 x", "ERR usage: ADD <id> <host:port>"},
        {"STATUS ", "ERR usage: STATUS"},
        {"STATUS now", "ERR usage: STATUS"},
        {"SET " + std::string(65, 'k') + " v", "ERR key too long (max 64 bytes)"},
        {"GET " + std::string(65, 'k'), "ERR key too long (max 64 bytes)"},
        {"SET k " + std::string(1025, 'v'), "ERR value too long (max 1024 bytes)"},
        {"SET a\tb v", "ERR bad key"},
    };
    for (const auto &c : cases) {
        kv_request r;
        std::string got = parse(c.line, &r);
        if (got != c.want)
            fail_msg("parse \"%.40s\"%s: expected \"%s\", got \"%s\"", c.line.c_str(), c.line.size() > 40 ? "..." : "",
                     c.want.c_str(), got.c_str());
    }
}

/* ---- raft_malloc failing (R21) ---- */

// libraft's heap, counting what is live and failing the allocation numbered fail_at (1, 2, ...).
struct test_heap {
    long live = 0;
    int calls = 0;
    int fail_at = 0;   // 0: never
};

static void *th_malloc(void *d, size_t n)
{
    test_heap *h = (test_heap *)d;
    if (++h->calls == h->fail_at)
        return nullptr;
    h->live++;
    return malloc(n);
}
static void th_free(void *d, void *p)
{
    if (p)
        ((test_heap *)d)->live--;
    free(p);
}
static void *th_calloc(void *d, size_t n, size_t sz)
{
    void *p = th_malloc(d, n * sz);
    if (p)
        memset(p, 0, n * sz);
    return p;
}
static void *th_realloc(void *d, void *p, size_t n)
{
    if (!p)
        return th_malloc(d, n);
    return realloc(p, n);
}
static void *th_aligned_alloc(void *d, size_t a, size_t n)
{
    test_heap *h = (test_heap *)d;
    if (++h->calls == h->fail_at)
        return nullptr;
    h->live++;
    return aligned_alloc(a, (n + a - 1) / a * a);
}
static void th_aligned_free(void *d, size_t, void *p)
{
    th_free(d, p);
}

static test_heap g_heap;
static struct raft_heap g_raft_heap = {&g_heap, th_malloc, th_free, th_calloc, th_realloc, th_aligned_alloc, th_aligned_free};

static void heap_use(int fail_at)
{
    g_heap = test_heap();
    g_heap.fail_at = fail_at;
    raft_heap_set(&g_raft_heap);
}

void test_out_of_memory(void **)
{
    kv_cmd c;
    c.key = "k";
    c.value = "v";
    char sentinel;
    // Encode: the only allocation fails.
    heap_use(1);
    struct raft_buffer out = {&sentinel, 77};
    int rc = kv_cmd_encode(&c, &out);
    raft_heap_set_default();
    if (rc != RAFT_NOMEM || out.base != &sentinel || out.len != 77 || g_heap.live != 0)
        fail_msg("kv_cmd_encode with raft_malloc failing: expected RAFT_NOMEM, the output untouched and nothing allocated, "
                 "got rc %d, output %s, %ld allocation(s) live", rc, out.base == &sentinel && out.len == 77 ? "untouched" : "changed",
                 g_heap.live);
    // Encode and decode through the heap: one allocation, freed by the caller.
    heap_use(0);
    rc = kv_cmd_encode(&c, &out);
    long live = g_heap.live;
    if (rc == 0)
        raft_free(out.base);
    raft_heap_set_default();
    if (rc != 0 || live != 1 || g_heap.live != 0)
        fail_msg("kv_cmd_encode SET k v: expected 0 and its buffer from raft_malloc (one allocation, freed by raft_free), "
                 "got rc %d, %ld live", rc, live);
    kv_store st;
    st.data["a"] = "1";
    st.data["b"] = "2";
    heap_use(1);
    out = {&sentinel, 77};
    rc = kv_snapshot_encode(&st, &out);
    raft_heap_set_default();
    if (rc != RAFT_NOMEM || out.base != &sentinel || out.len != 77 || g_heap.live != 0)
        fail_msg("kv_snapshot_encode with raft_malloc failing: expected RAFT_NOMEM, the output untouched and nothing "
                 "allocated, got rc %d, %ld live", rc, g_heap.live);
    // The FSM's snapshot: two allocations (the buffer array, the data); either may fail.
    struct raft_fsm fsm;
    kv_fsm_init(&fsm, &st);
    for (int k = 1; k <= 2; k++) {
        heap_use(k);
        struct raft_buffer *bufs = nullptr;
        unsigned n = 0;
        rc = fsm.snapshot(&fsm, &bufs, &n);
        raft_heap_set_default();
        if (rc != RAFT_NOMEM || g_heap.live != 0)
            fail_msg("fsm snapshot with allocation %d failing: expected RAFT_NOMEM and nothing left allocated, got rc %d and "
                     "%ld allocation(s) live", k, rc, g_heap.live);
    }
    // Restore takes the buffer it accepts and frees it with raft_free.
    heap_use(0);
    struct raft_buffer *bufs = nullptr;
    unsigned n = 0;
    rc = fsm.snapshot(&fsm, &bufs, &n);
    long after_snapshot = g_heap.live;
    kv_store dst;
    struct raft_fsm dfsm;
    kv_fsm_init(&dfsm, &dst);
    int rrc = rc == 0 && n == 1 ? dfsm.restore(&dfsm, &bufs[0]) : -1;
    if (rc == 0)
        raft_free(bufs);
    raft_heap_set_default();
    if (rc != 0 || n != 1 || after_snapshot != 2 || rrc != 0 || g_heap.live != 0 || dst.data != st.data)
        fail_msg("fsm snapshot then restore through libraft's heap: expected 0, one buffer (2 allocations), restore 0 with "
                 "the snapshot's data freed by it and the same map, got rc %d n %u, %ld live after snapshot, restore %d, "
                 "%ld live at the end, %s", rc, n, after_snapshot, rrc, g_heap.live, dump(dst).c_str());
}

/* ---- decoders stay inside their buffer (R1, R7; run under AddressSanitizer) ---- */

// A heap copy of exactly n bytes, so that reading or writing one byte past it is reported.
struct exact_buf {
    uint8_t *p;
    size_t n;
    explicit exact_buf(const std::string &s) : p((uint8_t *)malloc(s.size() ? s.size() : 1)), n(s.size())
    {
        memcpy(p, s.data(), s.size());
    }
    ~exact_buf() { free(p); }
};

void test_decode_bounds(void **)
{
    kv_cmd cmd;
    cmd.key = "untouched";
    exact_buf e7(std::string("\x01\x00\x01\x00\x00\x00\x00", 7));
    int rc = kv_cmd_decode(e7.p, e7.n, &cmd);
    if (rc != RAFT_MALFORMED || cmd.key != "untouched")
        fail_msg("decode of a 7-byte entry: expected RAFT_MALFORMED, got %d", rc);
    auto le32 = [](uint32_t v) { return std::string{(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)}; };
    struct {
        const char *why;
        std::string bytes;
    } cases[] = {
        {"7 bytes (KVS1 and 3 bytes of count)", std::string("KVS1\x01\x00\x00", 7)},
        {"7 bytes left for the second pair's header", "KVS1" + le32(2) + le32(1) + le32(1) + "ab" + std::string(7, '\x01')},
        {"a key one byte longer than what is left", "KVS1" + le32(1) + le32(3) + le32(0) + "ab"},
        {"a key two bytes longer than what is left", "KVS1" + le32(1) + le32(4) + le32(0) + "ab"},
        {"a value one byte longer than what is left", "KVS1" + le32(1) + le32(1) + le32(3) + "a" + "xy"},
        {"a value five bytes longer than what is left", "KVS1" + le32(1) + le32(1) + le32(7) + "a" + "xy"},
        {"a second pair whose key runs past the end", "KVS1" + le32(2) + le32(1) + le32(0) + "a" + le32(2) + le32(0) + "b"},
    };
    for (const auto &c : cases) {
        kv_store st;
        st.data["keep"] = "me";
        exact_buf b(c.bytes);
        rc = kv_snapshot_decode(b.p, b.n, &st);
        if (rc != RAFT_MALFORMED || dump(st) != "{keep=me}")
            fail_msg("decode of a snapshot with %s: expected RAFT_MALFORMED and the store unchanged, got rc %d and %s", c.why,
                     rc, dump(st).c_str());
    }
    // The empty map's snapshot is exactly 8 bytes: nothing is written past them.
    kv_store empty;
    struct raft_buffer out;
    if (kv_snapshot_encode(&empty, &out) != 0 || out.len != 8 || memcmp(out.base, "KVS1\0\0\0\0", 8) != 0)
        fail_msg("snapshot of the empty map: expected the 8 bytes KVS1 00000000");
    raft_free(out.base);
}
