// test_bft_basics.cpp — the bound, quorums, configs, digests and MACs byte for byte, and the seed's
// sketches (vote counter, Tendermint lock), each at its limits.
#include "bft_test_util.h"

void test_bounds_limits(void **)
{
    struct { uint32_t f, n; } mins[] = {{0, 1}, {1431655764u, 4294967293u}, {1431655765u, 0}, {UINT32_MAX, 0}};
    for (auto &c : mins)
        if (bft_minimum_nodes_for_faults(c.f) != c.n)
            fail_msg("minimum_nodes_for_faults(%u): expected %u (3f+1, 0 when it does not fit in 32 bits), got %u", c.f, c.n,
                     bft_minimum_nodes_for_faults(c.f));
    struct { uint32_t n, f; } maxs[] = {{0, 0}, {1, 0}, {3, 0}, {4, 1}, {6, 1}, {7, 2}, {10, 3}, {UINT32_MAX, 1431655764u}};
    for (auto &c : maxs)
        if (bft_max_faults_for_nodes(c.n) != c.f)
            fail_msg("max_faults_for_nodes(%u): expected %u ((n-1)/3, 0 for n=0), got %u", c.n, c.f, bft_max_faults_for_nodes(c.n));
    if (bft_primary_of(5, 4) != 1 || bft_primary_of(3, 4) != 3 || bft_primary_of(8, 4) != 0 || bft_primary_of(9, 0) != 0)
        fail_msg("primary_of: expected view mod n (5 of 4 -> 1, 3 -> 3, 8 -> 0; n=0 -> 0), got %u %u %u %u",
                 bft_primary_of(5, 4), bft_primary_of(3, 4), bft_primary_of(8, 4), bft_primary_of(9, 0));
}

void test_quorum_sizes(void **)
{
    // ceil((n+f+1)/2): two quorums always share f+1 replicas, so one honest replica is in both.
    struct { uint32_t n, q; } cases[] = {{0, 0}, {1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 4}, {6, 4}, {7, 5}, {8, 6}, {9, 6}, {10, 7}, {64, 43}};
    for (auto &c : cases)
        if (bft_quorum_size(c.n) != c.q)
            fail_msg("quorum_size(%u): expected %u (ceil((n+f+1)/2), f = %u), got %u", c.n, c.q, bft_max_faults_for_nodes(c.n),
                     bft_quorum_size(c.n));
}

void test_config_rejected(void **)
{
    struct Case {
        BftConfig cfg;
        const char *problem;
    } cases[] = {
        {{0, 0, {}, T_MS}, "n = 0"},
        {{0, 65, test_keys(65), T_MS}, "n = 65 (above BFT_MAX_NODES)"},
        {{4, 4, test_keys(4), T_MS}, "id 4 in a cluster of 4"},
        {{0, 4, test_keys(3), T_MS}, "3 keys for 4 replicas"},
        {{0, 4, test_keys(5), T_MS}, "5 keys for 4 replicas"},
        {{0, 4, test_keys(4), 0}, "a view-change timeout of 0"},
        {{0, 4, test_keys(4), (UINT64_MAX >> BFT_MAX_BACKOFF) + 1}, "a timeout that overflows once doubled 6 times"},
    };
    for (const Case &c : cases) {
        char err[200] = "";
        BftReplica *r = bft_new(&c.cfg, err, sizeof err);
        if (r) fail_msg("bft_new accepted a config with %s", c.problem);
        if (!err[0]) fail_msg("bft_new refused a config with %s but wrote no message into err", c.problem);
        if (bft_new(&c.cfg, nullptr, 0)) fail_msg("bft_new accepted a config with %s (err NULL)", c.problem);
        if (bft_new(&c.cfg, nullptr, sizeof err)) fail_msg("bft_new accepted a config with %s (err NULL, err_len 200)", c.problem);
    }
    // The message is written like snprintf: one byte of room holds just the NUL.
    char tiny[4] = {'X', 'X', 'X', 'X'};
    if (bft_new(&cases[0].cfg, tiny, 1) || tiny[0] != '\0' || tiny[1] != 'X')
        fail_msg("bft_new refusing n = 0 with err_len 1: expected NULL, err[0] = NUL (the message truncated to fit) and err[1] untouched, "
                 "got err[0] = 0x%02x, err[1] = 0x%02x", (unsigned char)tiny[0], (unsigned char)tiny[1]);
    char none[200] = "";
    if (bft_new(nullptr, none, sizeof none) || !none[0]) fail_msg("bft_new(NULL config): expected NULL and a message in err, got %s",
                                                                   none[0] ? "a replica" : "no message");
    BftConfig ok[] = {{63, 64, test_keys(64), T_MS}, {0, 1, test_keys(1), UINT64_MAX >> BFT_MAX_BACKOFF}, {2, 3, test_keys(3), 1}};
    for (const BftConfig &c : ok) {
        char err[200] = "";
        BftReplica *r = bft_new(&c, err, sizeof err);
        if (!r) fail_msg("bft_new refused id %u of n %u, timeout %llu (within the limits): %s", c.id, c.n,
                         (unsigned long long)c.view_change_timeout_ms, err);
        bft_free(r);
    }
}

void test_request_digest_bytes(void **)
{
    BftRequest q{0x0102030405060708ull, 0x1112131415161718ull, "transfer 10"};
    uint8_t got[32], want[32];
    bft_request_digest(&q, got);
    t_request_digest(q, want);
    if (memcmp(got, want, 32) != 0)
        fail_msg("request_digest: expected SHA-256 of client_id (8 bytes BE) | timestamp (8 bytes BE) | operation");
    BftRequest empty{0, 0, ""};
    bft_request_digest(&empty, got);
    t_request_digest(empty, want);
    if (memcmp(got, want, 32) != 0) fail_msg("request_digest of the null request: expected SHA-256 of 16 zero bytes");
    BftRequest with_nul{1, 2, std::string("a\0b", 3)};
    bft_request_digest(&with_nul, got);
    t_request_digest(with_nul, want);
    if (memcmp(got, want, 32) != 0) fail_msg("request_digest of \"a\\0b\": the operation's 3 bytes count, NUL included");
}

void test_mac_header_bytes(void **)
{
    std::vector<std::array<uint8_t, BFT_KEY_LEN>> keys = test_keys(4);
    BftMsg m{};
    m.type = BFT_COMMIT;
    m.view = 0x0a0b0c0d0e0f1011ull;
    m.seq = 300;
    m.replica = 2;
    for (int i = 0; i < 32; i++) m.digest[i] = (uint8_t)(0xc0 + i);
    BftMsg mine = m;
    bft_sign(&mine, keys[2].data());
    uint8_t want[32];
    t_mac(m, keys[2].data(), want);
    if (memcmp(mine.mac, want, 32) != 0 || memcmp(mine.digest, m.digest, 32) != 0)
        fail_msg("bft_sign(COMMIT): expected HMAC-SHA256(key, \"PBFT\" | type | view | seq | replica (8 bytes BE each) | digest) and the digest untouched");
    if (!bft_verify(&mine, keys[2].data())) fail_msg("bft_verify of a message bft_sign just signed: expected true");
    // A PRE_PREPARE's digest is its request's; a VIEW_CHANGE's binds its certificates' MACs.
    BftMsg pp = t_pre_prepare(4, 0, 1, req("a"));
    BftMsg pp2 = pp;
    memset(pp2.digest, 0, 32);
    memset(pp2.mac, 0, 32);
    bft_sign(&pp2, keys[0].data());
    if (memcmp(pp2.digest, pp.digest, 32) != 0 || memcmp(pp2.mac, pp.mac, 32) != 0)
        fail_msg("bft_sign(PRE_PREPARE 'a'): expected digest = request digest and the MAC of that header");
    BftMsg vc = t_view_change(4, 1, 3, {t_cert(4, 0, 1, req("a"), {1, 2})});
    BftMsg vc2 = vc;
    memset(vc2.digest, 0, 32);
    bft_sign(&vc2, keys[3].data());
    if (memcmp(vc2.digest, vc.digest, 32) != 0 || memcmp(vc2.mac, vc.mac, 32) != 0)
        fail_msg("bft_sign(VIEW_CHANGE with one certificate): expected digest = SHA-256 of the 3 embedded MACs in order");
    BftMsg nv = t_new_view(4, 1, {vc}, {req("a")});
    BftMsg nv2 = nv;
    memset(nv2.digest, 0, 32);
    bft_sign(&nv2, keys[1].data());
    if (memcmp(nv2.digest, nv.digest, 32) != 0 || memcmp(nv2.mac, nv.mac, 32) != 0)
        fail_msg("bft_sign(NEW_VIEW): expected digest = SHA-256 of the view changes' MACs then the pre-prepares' MACs");
}

void test_forged_mac_rejected(void **)
{
    std::vector<std::array<uint8_t, BFT_KEY_LEN>> keys = test_keys(4);
    BftMsg good = t_vote(4, BFT_PREPARE, 3, 9, 2, req("a"));
    if (!bft_verify(&good, keys[2].data())) fail_msg("a genuine PREPARE of replica 2: expected verify true");
    if (bft_verify(&good, keys[1].data())) fail_msg("replica 2's PREPARE checked with replica 1's key: expected false");
    const char *what[] = {"type", "view", "seq", "replica", "digest byte 31", "mac byte 0", "mac byte 31"};
    for (int k = 0; k < 7; k++) {
        BftMsg m = good;
        if (k == 0) m.type = BFT_COMMIT;
        if (k == 1) m.view++;
        if (k == 2) m.seq--;
        if (k == 3) m.replica = 1;
        if (k == 4) m.digest[31] ^= 1;
        if (k == 5) m.mac[0] ^= 0x80;
        if (k == 6) m.mac[31] ^= 1;
        if (bft_verify(&m, keys[2].data())) fail_msg("a PREPARE with its %s changed after signing: expected verify false", what[k]);
    }
    BftMsg pp = t_pre_prepare(4, 0, 1, req("a"));
    pp.request = req("b"); // the request swapped under a valid header
    if (bft_verify(&pp, keys[0].data())) fail_msg("a PRE_PREPARE whose request no longer matches its digest: expected false");
    BftMsg vc = t_view_change(4, 1, 3, {t_cert(4, 0, 1, req("a"), {1, 2})});
    vc.certs.pop_back(); // a relay dropping a prepare
    if (bft_verify(&vc, keys[3].data())) fail_msg("a VIEW_CHANGE with an embedded message removed: expected false");

    // In a replica: forged prepares (the victim's id, another key) never prepare anything.
    BftReplica *r = new_replica(1, 4);
    BftOutputs out;
    deliver(r, t_pre_prepare(4, 0, 1, req("a")), &out);
    BftMsg forged = t_vote(4, BFT_PREPARE, 0, 1, 2, req("a"));
    t_sign(&forged, 4, keys[3].data());
    out.clear();
    deliver(r, forged, &out);
    if (!sends(out, BFT_COMMIT).empty()) fail_msg("replica 1 with PRE_PREPARE 'a' and a PREPARE 'from 2' signed with key 3: expected no COMMIT, got one");
    deliver(r, t_vote(4, BFT_PREPARE, 0, 1, 2, req("a")), &out);
    if (sends(out, BFT_COMMIT).size() != 3) fail_msg("then the genuine PREPARE of 2: expected COMMIT to 0,2,3, got %zu", sends(out, BFT_COMMIT).size());
    bft_free(r);
}

void test_vcm_rules(void **)
{
    BftViewChangeVotes vc;
    vc.quorum = 9;
    vc.current_view = 99;
    vc.votes[100].insert(1);
    bft_vcm_init(&vc, 2);
    if (vc.quorum != 2 || vc.current_view != 0 || !vc.votes.empty())
        fail_msg("bft_vcm_init(quorum 2) over a used counter: expected quorum 2, view 0, no votes; got quorum %u, view %llu, %zu views",
                 vc.quorum, (unsigned long long)vc.current_view, vc.votes.size());
    bft_vcm_request(&vc, 2, 5);
    bft_vcm_request(&vc, 2, 5);
    if (bft_vcm_is_complete(&vc, 2)) fail_msg("replica 5 voting twice for view 2, quorum 2: expected incomplete (votes are per replica)");
    if (bft_vcm_complete(&vc, 2)) fail_msg("complete_view_change(2) with one distinct vote: expected false");
    bft_vcm_request(&vc, 1, 1);
    bft_vcm_request(&vc, 1, 2);
    bft_vcm_request(&vc, 2, 6);
    if (!bft_vcm_complete(&vc, 2)) fail_msg("2 distinct votes for view 2, quorum 2: expected complete_view_change(2) true");
    if (bft_vcm_complete(&vc, 1) || vc.current_view != 2)
        fail_msg("view 1 complete but already at view 2: expected false and current_view 2, got current_view %llu",
                 (unsigned long long)vc.current_view);
    if (bft_vcm_request(&vc, 2, 7) || bft_vcm_request(&vc, 1, 7)) fail_msg("votes for views <= current_view (2): expected false");
    if (!bft_vcm_request(&vc, 3, 7)) fail_msg("a vote for view 3 at current_view 2: expected true");
    if (bft_vcm_complete(&vc, 2)) fail_msg("complete_view_change(2) again at view 2: expected false");
}

void test_tendermint_lock(void **)
{
    TendermintReplica t;
    t.height = 5, t.round = 6, t.phase = TM_COMMIT, t.locked = true, t.locked_value = "old", t.locked_round = 4;
    t.decided = {"old"};
    tendermint_init(&t, 3);
    if (t.id != 3 || t.height != 0 || t.round != 0 || t.phase != TM_PROPOSE || t.locked || !t.locked_value.empty() ||
        t.locked_round != 0 || !t.decided.empty())
        fail_msg("tendermint_init(id 3) over a used replica: expected id 3, height 0, round 0, Propose, unlocked, nothing decided");
    std::string v = tendermint_prevote(&t, "A");
    if (v != "A" || t.phase != TM_PREVOTE) fail_msg("unlocked replica, proposal A: expected prevote A and phase Prevote, got %s", v.c_str());
    tendermint_lock(&t, "A");
    if (!t.locked || t.locked_value != "A" || t.locked_round != 0 || t.phase != TM_PRECOMMIT)
        fail_msg("lock A in round 0: expected locked on A since round 0, phase Precommit");
    tendermint_advance_round(&t);
    if (t.phase != TM_PROPOSE || t.round != 1) fail_msg("advance_round from Precommit: expected round 1, phase Propose, got round %u phase %d", t.round, t.phase);
    tendermint_advance_round(&t);
    v = tendermint_prevote(&t, "B");
    if (v != "A") fail_msg("locked on A, round 2 proposes B: expected prevote A (the lock), got %s", v.c_str());
    if (!t.locked || t.locked_round != 0) fail_msg("after two rounds: expected the lock on A from round 0 kept");
    tendermint_lock(&t, "A");
    if (t.locked_round != 2) fail_msg("re-locked in round 2: expected locked_round 2, got %u", t.locked_round);
    tendermint_commit(&t, "A");
    if (t.locked || t.height != 1 || !t.locked_value.empty() || t.locked_round != 0 || t.round != 0 || t.phase != TM_PROPOSE)
        fail_msg("after commit at height 0: expected height 1, round 0, Propose and no lock (locks belong to a height; value cleared, round 0)");
    v = tendermint_prevote(&t, "C");
    if (v != "C") fail_msg("height 1, unlocked, proposal C: expected prevote C, got %s", v.c_str());
    tendermint_commit(&t, "C");
    if (t.decided.size() != 2 || t.decided[0] != "A" || t.decided[1] != "C")
        fail_msg("decided after two heights: expected [A, C], got %zu values", t.decided.size());
}
