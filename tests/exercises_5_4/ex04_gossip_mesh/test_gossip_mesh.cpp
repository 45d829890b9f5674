// test_gossip_mesh.cpp — EX04 suite: the seed's 6 tests, unit tests of the SWIM rules, properties
// in the deterministic simulator (convergence, bounded false suspicions under loss, detection), and
// 5 gossip_node processes over UDP on loopback.
#include "gm_sim.h"
#include "gossip_mesh.h"
#include "nl_check.h"
#include "nl_test.h"
#include "nl_testproc.h"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstring>
#include <set>

static uint64_t vnow;
static uint64_t vclock(void *) { return vnow; }

static gm_protocol *node(const char *id, int port, int probe_timeout = 500, int mult = 5)
{
    gm_config cfg;
    gm_config_default(&cfg);
    cfg.probe_timeout_ms = probe_timeout;
    cfg.suspicion_multiplier = mult;
    cfg.clock = {vclock, nullptr};
    std::string addr = "127.0.0.1:" + std::to_string(port);
    return gm_new(id, addr.c_str(), &cfg);
}

static std::string addr(int port) { return "127.0.0.1:" + std::to_string(port); }

static gm_update alive(const char *id, int port, uint64_t inc = 0)
{
    return gm_update{id, GM_ALIVE, inc, addr(port), false, {}};
}

static gm_message msg(gm_msg_type t, const std::vector<gm_update> &ups, const char *from = "x")
{
    gm_message m{};
    m.type = t;
    m.from = from;
    m.updates = ups;
    return m;
}

static gm_actions feed(gm_protocol *p, int from_port, const gm_message &m)
{
    return gm_handle_message(p, addr(from_port).c_str(), &m);
}

static std::vector<gm_action> sends(const gm_actions &acts, gm_msg_type t)
{
    std::vector<gm_action> v;
    for (const gm_action &a : acts)
        if (a.type == GM_SEND && a.message.type == t) v.push_back(a);
    return v;
}

static bool has_timer(const gm_actions &acts, const std::string &name, uint64_t *delay = nullptr)
{
    for (const gm_action &a : acts)
        if (a.type == GM_SCHEDULE_TIMER && a.timer == name) {
            if (delay) *delay = a.delay_ms;
            return true;
        }
    return false;
}

static gm_state state_of(gm_protocol *p, const char *id)
{
    gm_member m;
    return gm_get_member(p, id, &m) ? m.state : GM_UNKNOWN;
}

/* ---- the seed's tests ---- */

static void test_bootstrap_connects_to_seeds(void **)
{
    vnow = 0;
    gm_protocol *p = node("node1", 8001);
    gm_actions acts = gm_bootstrap(p, {addr(8002), addr(8003)});
    std::vector<gm_action> s = sends(acts, GM_SYNC_REQUEST);
    assert_int_equal(s.size(), 2);
    assert_int_equal(acts.size(), 2);
    assert_string_equal(s[0].to.c_str(), "127.0.0.1:8002");
    assert_string_equal(s[0].message.from.c_str(), "node1");
    gm_free(p);
}

static void test_probe_cycle(void **)
{
    vnow = 0;
    gm_protocol *p = node("node1", 8001);
    feed(p, 8002, msg(GM_SYNC, {alive("node2", 8002)}, "node2"));
    gm_actions acts = gm_tick(p);
    std::vector<gm_action> pings = sends(acts, GM_PING);
    assert_true(pings.size() >= 1);
    assert_string_equal(pings[0].to.c_str(), "127.0.0.1:8002");
    assert_true(has_timer(acts, "probe_timeout_node2"));
    gm_free(p);
}

static void test_suspicion_on_timeout(void **)
{
    vnow = 0;
    gm_protocol *p = node("node1", 8001, 10, 2);
    feed(p, 8002, msg(GM_SYNC, {alive("node2", 8002)}, "node2"));
    gm_tick(p);
    gm_actions acts = gm_handle_timer(p, "probe_timeout_node2");
    assert_int_equal(state_of(p, "node2"), GM_SUSPECT);
    bool change = false;
    for (const gm_action &a : acts)
        change |= a.type == GM_MEMBERSHIP_CHANGE && a.member == "node2" && a.new_state == GM_SUSPECT;
    assert_true(change);
    gm_free(p);
}

static void test_refute_suspicion_with_incarnation(void **)
{
    vnow = 0;
    gm_protocol *p = node("node2", 8002);
    gm_actions acts = feed(p, 8001, msg(GM_GOSSIP, {{"node2", GM_SUSPECT, 0, "", false, {}}}, "node1"));
    bool refuted = false;
    for (const gm_action &a : sends(acts, GM_GOSSIP))
        for (const gm_update &u : a.message.updates)
            refuted |= u.id == "node2" && u.state == GM_ALIVE && u.incarnation > 0 && a.to == addr(8001);
    assert_true(refuted);
    gm_free(p);
}

static void test_metadata_propagation(void **)
{
    vnow = 0;
    gm_protocol *n1 = node("node1", 8001), *n2 = node("node2", 8002);
    gm_bootstrap(n1, {addr(8002)});          // node1 must know where node2 is (see the README)
    gm_actions acts = gm_update_metadata(n1, "role", "leader");
    size_t n = 0;
    for (const gm_action &a : acts)
        if (a.type == GM_SEND) {
            feed(n2, 8001, a.message);
            n++;
        }
    assert_true(n >= 1);
    gm_metadata md;
    assert_true(gm_get_metadata(n2, "node1", &md));
    assert_string_equal(md["role"].c_str(), "leader");
    gm_free(n1);
    gm_free(n2);
}

static void test_graceful_leave(void **)
{
    vnow = 0;
    gm_protocol *p = node("node1", 8001);
    gm_bootstrap(p, {addr(8002)});
    gm_actions acts = gm_leave(p);
    bool left = false;
    for (const gm_action &a : sends(acts, GM_GOSSIP))
        for (const gm_update &u : a.message.updates) left |= u.id == "node1" && u.state == GM_LEFT;
    assert_true(left);
    gm_free(p);
}

/* ---- the SWIM rules ---- */

static gm_protocol *with_members(int count, int probe_timeout = 500)
{
    gm_protocol *p = node("n0", 9000, probe_timeout);
    std::vector<gm_update> ups;
    for (int i = 1; i <= count; i++) ups.push_back(alive(("n" + std::to_string(i)).c_str(), 9000 + i));
    feed(p, 9001, msg(GM_SYNC, ups, "n1"));
    return p;
}

static std::string probed(const gm_actions &acts)
{
    std::vector<gm_action> pings = sends(acts, GM_PING);
    assert_int_equal(pings.size(), 1);
    return "n" + std::to_string(atoi(pings[0].to.c_str() + 10) - 9000);
}

static void test_indirect_probe_on_timeout(void **)
{
    vnow = 0;
    gm_protocol *p = with_members(5);
    gm_actions t = gm_tick(p);
    std::string target = probed(t);
    gm_message stale = msg(GM_ACK, {}, target.c_str());     // R7: another seq is not this probe's Ack
    stale.seq = sends(t, GM_PING)[0].message.seq + 1000;
    feed(p, 9000 + atoi(target.c_str() + 1), stale);
    gm_actions acts = gm_handle_timer(p, ("probe_timeout_" + target).c_str());
    std::vector<gm_action> reqs = sends(acts, GM_PING_REQ);
    assert_int_equal(reqs.size(), 3);                       // indirect_probes
    std::set<std::string> helpers;
    for (const gm_action &a : reqs) {
        assert_string_equal(a.message.target.c_str(), target.c_str());
        assert_true(a.to != addr(9000 + atoi(target.c_str() + 1)));
        helpers.insert(a.to);
    }
    assert_int_equal(helpers.size(), 3);
    assert_int_equal(state_of(p, target.c_str()), GM_ALIVE);  // not yet
    uint64_t delay = 0;
    assert_true(has_timer(acts, "indirect_timeout_" + target, &delay));
    assert_int_equal(delay, 500);
    gm_handle_timer(p, ("indirect_timeout_" + target).c_str());
    assert_int_equal(state_of(p, target.c_str()), GM_SUSPECT);
    gm_free(p);
}

// R5: the indirect probes get the rest of the period (interval 1000 here), at least 1 ms: a probe
// timeout of 200 leaves 800; 999 leaves 1; at the period (1000) and past it (1001), 1.
static void test_indirect_timeout_rest_of_period(void **)
{
    const int timeouts[] = {200, 999, 1000, 1001};
    const uint64_t rests[] = {800, 1, 1, 1};
    for (int i = 0; i < 4; i++) {
        vnow = 0;
        gm_protocol *p = with_members(4, timeouts[i]);
        std::string target = probed(gm_tick(p));
        gm_actions acts = gm_handle_timer(p, ("probe_timeout_" + target).c_str());
        uint64_t delay = 0;
        if (!has_timer(acts, "indirect_timeout_" + target, &delay))
            NL_FAIL("probe_timeout %d ms: no indirect_timeout_%s timer after probe_timeout_%s", timeouts[i],
                    target.c_str(), target.c_str());
        NL_EXPECT_EQ_INT(delay, rests[i], "indirect_timeout delay with probe_interval 1000, probe_timeout %d", timeouts[i]);
        gm_free(p);
    }
}

static void test_indirect_ack_prevents_suspicion(void **)
{
    vnow = 0;
    gm_protocol *p = with_members(4);
    gm_actions t = gm_tick(p);
    std::string target = probed(t);
    uint64_t seq = sends(t, GM_PING)[0].message.seq;
    std::vector<gm_action> reqs = sends(gm_handle_timer(p, ("probe_timeout_" + target).c_str()), GM_PING_REQ);
    assert_int_equal(reqs[0].message.seq, seq);
    gm_message ack = msg(GM_ACK, {}, target.c_str());       // relayed by a helper
    ack.seq = seq;
    gm_handle_message(p, reqs[0].to.c_str(), &ack);
    gm_handle_timer(p, ("indirect_timeout_" + target).c_str());
    assert_int_equal(state_of(p, target.c_str()), GM_ALIVE);
    gm_free(p);
}

static void test_ping_req_relay(void **)
{
    vnow = 0;
    gm_protocol *b = with_members(3);                       // b = n0 knows n1..n3
    gm_message req = msg(GM_PING_REQ, {}, "n1");
    req.seq = 77;
    req.target = "n2";
    std::vector<gm_action> pings = sends(feed(b, 9001, req), GM_PING);
    assert_int_equal(pings.size(), 1);
    assert_string_equal(pings[0].to.c_str(), addr(9002).c_str());
    gm_message ack = msg(GM_ACK, {}, "n2");
    ack.seq = pings[0].message.seq;
    std::vector<gm_action> fwd = sends(feed(b, 9002, ack), GM_ACK);
    assert_int_equal(fwd.size(), 1);
    assert_string_equal(fwd[0].to.c_str(), addr(9001).c_str());
    assert_int_equal(fwd[0].message.seq, 77);               // the requester's own seq
    assert_string_equal(fwd[0].message.from.c_str(), "n2");
    NL_EXPECT_EQ_INT(sends(feed(b, 9002, ack), GM_ACK).size(), 0, "Acks relayed for the same Ack arriving twice (relayed once)");
    gm_message ping = msg(GM_PING, {}, "n3");
    ping.seq = 5;
    std::vector<gm_action> acks = sends(feed(b, 9003, ping), GM_ACK);
    assert_int_equal(acks.size(), 1);
    assert_int_equal(acks[0].message.seq, 5);
    assert_string_equal(acks[0].to.c_str(), addr(9003).c_str());
    // A PingReq about a member not known, dead or left: nobody to ping.
    feed(b, 9001, msg(GM_GOSSIP, {{"n3", GM_DEAD, 0, "", false, {}}}));
    const char *gone[] = {"n3", "n9"};
    for (const char *t : gone) {
        gm_message r = msg(GM_PING_REQ, {}, "n1");
        r.seq = 78;
        r.target = t;
        NL_EXPECT_EQ_INT(sends(feed(b, 9001, r), GM_PING).size(), 0, "Pings sent for a PingReq about %s (%s)", t,
                         *t == 'n' && t[1] == '3' ? "dead" : "not known");
    }
    gm_free(b);
}

static void test_suspect_becomes_dead_after_multiplier(void **)
{
    vnow = 1000;
    gm_protocol *p = node("n0", 9000, 500, 4);
    feed(p, 9001, msg(GM_SYNC, {alive("n1", 9001)}, "n1"));
    gm_tick(p);
    gm_actions acts = gm_handle_timer(p, "probe_timeout_n1");
    uint64_t delay = 0;
    assert_true(has_timer(acts, "suspicion_timeout_n1", &delay));
    assert_int_equal(delay, 4 * 1000);                      // multiplier * probe_interval
    vnow += 3999;
    gm_handle_timer(p, "suspicion_timeout_n1");             // early (a stale timer): still suspect
    assert_int_equal(state_of(p, "n1"), GM_SUSPECT);
    vnow += 1;
    acts = gm_handle_timer(p, "suspicion_timeout_n1");
    assert_int_equal(state_of(p, "n1"), GM_DEAD);
    assert_false(gm_is_alive(p, "n1"));
    assert_int_equal(gm_cluster_size(p), 1);
    gm_free(p);
}

static void test_incarnation_ordering(void **)
{
    vnow = 0;
    gm_protocol *p = with_members(1);
    feed(p, 9005, msg(GM_GOSSIP, {{"n1", GM_SUSPECT, 0, "", false, {}}}));
    assert_int_equal(state_of(p, "n1"), GM_SUSPECT);
    feed(p, 9005, msg(GM_GOSSIP, {alive("n1", 9001, 0)}));  // stale alive: ignored
    assert_int_equal(state_of(p, "n1"), GM_SUSPECT);
    feed(p, 9005, msg(GM_GOSSIP, {alive("n1", 9001, 1)}));  // the refutation
    assert_int_equal(state_of(p, "n1"), GM_ALIVE);
    feed(p, 9005, msg(GM_GOSSIP, {{"n1", GM_SUSPECT, 0, "", false, {}}}));   // older rumour
    assert_int_equal(state_of(p, "n1"), GM_ALIVE);
    feed(p, 9005, msg(GM_GOSSIP, {{"n1", GM_DEAD, 1, "", false, {}}}));
    assert_int_equal(state_of(p, "n1"), GM_DEAD);
    feed(p, 9005, msg(GM_GOSSIP, {alive("n1", 9001, 1)}));
    assert_int_equal(state_of(p, "n1"), GM_DEAD);           // dead wins at equal incarnation
    feed(p, 9005, msg(GM_GOSSIP, {alive("n1", 9001, 2)}));
    assert_int_equal(state_of(p, "n1"), GM_ALIVE);          // it came back
    gm_free(p);
}

static void test_refutation_outbids_rumour(void **)
{
    vnow = 0;
    gm_protocol *p = node("n0", 9000);
    feed(p, 9001, msg(GM_GOSSIP, {{"n0", GM_DEAD, 5, "", false, {}}}));
    assert_int_equal(gm_incarnation(p), 6);
    feed(p, 9001, msg(GM_GOSSIP, {{"n0", GM_SUSPECT, 3, "", false, {}}}));
    assert_int_equal(gm_incarnation(p), 6);                  // an old rumour needs no answer
    assert_true(gm_is_alive(p, "n0"));
    gm_free(p);
}

static void test_piggyback_limit(void **)
{
    vnow = 0;
    gm_protocol *p = node("n0", 9000);
    feed(p, 9001, msg(GM_SYNC, {alive("n1", 9001)}, "n1"));
    std::vector<gm_update> news;
    for (int i = 2; i < 27; i++) news.push_back(alive(("n" + std::to_string(i)).c_str(), 9000 + i));
    feed(p, 9001, msg(GM_GOSSIP, news));                    // 25 new members to spread
    gm_message ping = msg(GM_PING, {}, "n1");
    std::map<std::string, int> sent;
    for (int round = 0; round < 40; round++) {
        ping.seq = round;
        std::vector<gm_action> acks = sends(feed(p, 9001, ping), GM_ACK);
        assert_int_equal(acks.size(), 1);
        assert_true((int)acks[0].message.updates.size() <= 10);      // max_piggyback
        if (round == 0) assert_int_equal(acks[0].message.updates.size(), 10);
        for (const gm_update &u : acks[0].message.updates) sent[u.id]++;
    }
    assert_int_equal(sent.size(), 25);                      // every update went out...
    int limit = 4 * (int)std::ceil(std::log10(27.0 + 1));   // ...exactly the retransmit limit times
    for (auto &[id, n] : sent) assert_int_equal(n, limit);
    gm_free(p);
    // The least-sent first: of 25 pending updates, the second message carries 10 the first did not,
    // the third the 5 never sent yet (and 5 sent once).
    p = node("n0", 9000);
    feed(p, 9001, msg(GM_SYNC, {alive("n1", 9001)}, "n1"));
    feed(p, 9001, msg(GM_GOSSIP, news));
    std::map<std::string, int> times;
    for (int round = 0; round < 3; round++) {
        ping.seq = 100 + round;
        std::vector<gm_action> acks = sends(feed(p, 9001, ping), GM_ACK);
        assert_int_equal(acks.size(), 1);
        int fresh = 0;
        for (const gm_update &u : acks[0].message.updates) fresh += times[u.id]++ == 0;
        NL_EXPECT_EQ_INT(fresh, round < 2 ? 10 : 5, "updates never sent before in Ack %d of 25 pending (least-sent first)", round + 1);
    }
    gm_free(p);
    // Two members (self included): ceil(log10(3)) = 1, so an update is sent exactly 4 times.
    p = with_members(1);
    feed(p, 9001, msg(GM_GOSSIP, {alive("n1", 9001, 1)}));  // news about n1: still 2 members
    int n1 = 0;
    for (int round = 0; round < 8; round++) {
        ping.seq = 200 + round;
        for (const gm_action &a : sends(feed(p, 9001, ping), GM_ACK))
            for (const gm_update &u : a.message.updates) n1 += u.id == "n1";
    }
    NL_EXPECT_EQ_INT(n1, 4 * 1, "times the update about n1 was sent with n0 and n1 known: 4 x ceil(log10(2 + 1))");
    gm_free(p);
}

static void test_left_is_final_and_forgotten(void **)
{
    vnow = 0;
    gm_protocol *p = with_members(1);
    feed(p, 9001, msg(GM_GOSSIP, {{"n1", GM_LEFT, 0, "", false, {}}}));
    assert_int_equal(state_of(p, "n1"), GM_LEFT);
    feed(p, 9005, msg(GM_GOSSIP, {alive("n1", 9001, 9)}));
    assert_int_equal(state_of(p, "n1"), GM_LEFT);
    assert_int_equal(sends(gm_tick(p), GM_PING).size(), 0); // a left member is not probed
    vnow += 30000;                                          // dead_retention
    gm_tick(p);
    assert_int_equal(state_of(p, "n1"), GM_UNKNOWN);
    assert_int_equal(gm_all_members(p).size(), 1);
    // Forgotten with its pending news: a member learned later hears nothing about n1.
    feed(p, 9002, msg(GM_SYNC, {alive("n2", 9002)}, "n2"));
    for (const gm_action &g : sends(gm_tick(p), GM_GOSSIP))
        for (const gm_update &u : g.message.updates)
            NL_EXPECT_TRUE(u.id != "n1", "a Gossip after n1 was forgotten still carries an update about n1");
    gm_free(p);
}

static void test_sync_request_teaches_both(void **)
{
    vnow = 0;
    gm_protocol *a = with_members(2), *b = node("nb", 9100);
    gm_update_metadata(a, "zone", "eu");
    gm_actions bs = gm_bootstrap(b, {addr(9000)});
    gm_actions reply = gm_handle_message(a, addr(9100).c_str(), &bs[0].message);
    assert_true(gm_is_alive(a, "nb"));
    gm_member joiner;
    NL_EXPECT_TRUE(gm_get_member(a, "nb", &joiner) && joiner.incarnation == 0 && joiner.address == addr(9100),
                   "the joiner learned from its SyncRequest: expected alive at incarnation 0, address %s; got incarnation %llu, address %s",
                   addr(9100).c_str(), (unsigned long long)joiner.incarnation, joiner.address.c_str());
    std::vector<gm_action> syncs = sends(reply, GM_SYNC);
    assert_int_equal(syncs.size(), 1);
    assert_string_equal(syncs[0].to.c_str(), addr(9100).c_str());
    gm_handle_message(b, addr(9000).c_str(), &syncs[0].message);
    std::vector<std::string> al = gm_alive_members(b);
    assert_int_equal(al.size(), 4);                         // nb, n0, n1, n2
    std::string names;
    for (const std::string &id : al) names += id + " ";
    NL_EXPECT_STREQ(names, "n0 n1 n2 nb ", "gm_alive_members: self included, sorted");
    gm_metadata md;
    assert_true(gm_get_metadata(b, "n0", &md));
    assert_string_equal(md["zone"].c_str(), "eu");
    gm_free(a);
    gm_free(b);
}

static void test_codec_roundtrip_and_strict(void **)
{
    gm_message m = msg(GM_PING_REQ, {{"n1", GM_SUSPECT, 3, "sim:1", true, {{"role", "db"}}}, {"n2", GM_LEFT, 0, "", false, {}}}, "n0");
    m.seq = 42;
    m.target = "n9";
    std::string wire = gm_encode(&m);
    gm_message back;
    std::string err;
    assert_true(gm_decode(wire.data(), wire.size(), &back, &err));
    assert_int_equal(back.type, GM_PING_REQ);
    assert_int_equal(back.seq, 42);
    assert_string_equal(back.target.c_str(), "n9");
    assert_int_equal(back.updates.size(), 2);
    assert_int_equal(back.updates[0].state, GM_SUSPECT);
    assert_int_equal(back.updates[0].incarnation, 3);
    assert_string_equal(back.updates[0].metadata["role"].c_str(), "db");
    assert_false(back.updates[1].has_metadata);
    const char *bad[] = {"not json", "[1]", "{\"type\":\"shout\",\"from\":\"a\"}", "{\"type\":\"ping\"}",
                         "{\"type\":\"ping\",\"from\":\"a\",\"seq\":-1}",
                         "{\"type\":\"ping_req\",\"from\":\"a\",\"seq\":1}",
                         "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"zombie\",\"inc\":0}]}",
                         "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"alive\"}]}",
                         "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"alive\",\"inc\":0,\"meta\":{\"k\":1}}]}"};
    for (const char *b : bad) {
        err.clear();
        assert_false(gm_decode(b, strlen(b), &back, &err));
        assert_true(err.size() > 0);
    }
}

// R17: each malformed datagram the README names is refused with a reason, one defect at a time
// (everything else in it well formed, so the defect alone is what must be caught).
static void test_codec_refuses_each_defect(void **)
{
    const char *U = "\"updates\":[{\"id\":\"b\",\"state\":\"alive\",\"inc\":0";   // an update, left open
    struct { const char *why; std::string wire; } bad[] = {
        {"not JSON", "{\"type\":"},
        {"not an object", "[{\"type\":\"ping\",\"from\":\"a\"}]"},
        {"missing type", "{\"from\":\"a\"}"},
        {"type not a string", "{\"type\":1,\"from\":\"a\"}"},
        {"unknown type", "{\"type\":\"Ping\",\"from\":\"a\"}"},
        {"missing from", "{\"type\":\"ack\",\"seq\":1}"},
        {"empty from", "{\"type\":\"ack\",\"from\":\"\",\"seq\":1}"},
        {"from not a string", "{\"type\":\"ack\",\"from\":7,\"seq\":1}"},
        {"negative seq", "{\"type\":\"ack\",\"from\":\"a\",\"seq\":-1}"},
        {"seq not an integer", "{\"type\":\"ack\",\"from\":\"a\",\"seq\":1.5}"},
        {"seq a string", "{\"type\":\"ack\",\"from\":\"a\",\"seq\":\"1\"}"},
        {"target not a string", "{\"type\":\"ping_req\",\"from\":\"a\",\"seq\":1,\"target\":3}"},
        {"ping_req without target", "{\"type\":\"ping_req\",\"from\":\"a\",\"seq\":1}"},
        {"ping_req with an empty target", "{\"type\":\"ping_req\",\"from\":\"a\",\"seq\":1,\"target\":\"\"}"},
        {"updates not an array", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":{}}"},
        {"an update not an object", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[\"b\"]}"},
        {"update without id", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"state\":\"alive\",\"inc\":0}]}"},
        {"update with an empty id", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"\",\"state\":\"alive\",\"inc\":0}]}"},
        {"update id not a string", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":5,\"state\":\"alive\",\"inc\":0}]}"},
        {"update without state", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"inc\":0}]}"},
        {"state not a string", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":0,\"inc\":0}]}"},
        {"unknown state", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"Alive\",\"inc\":0}]}"},
        {"update without inc", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"dead\"}]}"},
        {"negative inc", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"dead\",\"inc\":-2}]}"},
        {"inc not an integer", "{\"type\":\"gossip\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"dead\",\"inc\":true}]}"},
        {"addr not a string", std::string("{\"type\":\"gossip\",\"from\":\"a\",") + U + ",\"addr\":1}]}"},
        {"meta not an object", std::string("{\"type\":\"sync\",\"from\":\"a\",") + U + ",\"meta\":[]}]}"},
        {"a metadata value not a string", std::string("{\"type\":\"sync\",\"from\":\"a\",") + U + ",\"meta\":{\"k\":\"v\",\"n\":null}}]}"},
        {"the second update bad", std::string("{\"type\":\"gossip\",\"from\":\"a\",") + U + "},{\"id\":\"c\",\"state\":\"gone\",\"inc\":0}]}"},
    };
    for (auto &b : bad) {
        gm_message back = msg(GM_ACK, {}, "untouched");
        std::string err;
        if (gm_decode(b.wire.data(), b.wire.size(), &back, &err))
            NL_FAIL("gm_decode(%s) (%s): expected refused, got accepted", b.wire.c_str(), b.why);
        if (err.empty()) NL_FAIL("gm_decode(%s) (%s): refused without a reason", b.wire.c_str(), b.why);
    }
}

// R17: the optional fields (seq, target, updates, addr, meta) may be missing; every type and state
// round-trips, and a large seq and incarnation keep every bit.
static void test_codec_optional_fields_and_names(void **)
{
    const char *minimal = "{\"type\":\"gossip\",\"from\":\"a\"}";
    gm_message back = msg(GM_ACK, {alive("z", 1)}, "old");
    back.seq = 9;
    back.target = "old";
    std::string err;
    NL_EXPECT_TRUE(gm_decode(minimal, strlen(minimal), &back, &err), "%s: %s", minimal, err.c_str());
    NL_EXPECT_TRUE(back.type == GM_GOSSIP && back.seq == 0 && back.from == "a" && back.target.empty() && back.updates.empty(),
                   "%s: type gossip, seq 0, no target, no update", minimal);
    const char *bare = "{\"type\":\"sync\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"left\",\"inc\":4}]}";
    NL_EXPECT_TRUE(gm_decode(bare, strlen(bare), &back, &err), "%s: %s", bare, err.c_str());
    NL_EXPECT_EQ_INT(back.updates.size(), 1, "updates of %s", bare);
    const gm_update &u = back.updates[0];
    NL_EXPECT_TRUE(u.id == "b" && u.state == GM_LEFT && u.incarnation == 4 && u.address.empty() && !u.has_metadata &&
                       u.metadata.empty(), "%s: the update without addr and meta", bare);
    const char *empty_meta = "{\"type\":\"sync\",\"from\":\"a\",\"updates\":[{\"id\":\"b\",\"state\":\"alive\",\"inc\":0,\"meta\":{}}]}";
    NL_EXPECT_TRUE(gm_decode(empty_meta, strlen(empty_meta), &back, &err) && back.updates[0].has_metadata &&
                       back.updates[0].metadata.empty(), "%s: empty metadata is carried", empty_meta);
    const gm_msg_type types[] = {GM_PING, GM_ACK, GM_PING_REQ, GM_GOSSIP, GM_SYNC, GM_SYNC_REQUEST};
    const gm_state states[] = {GM_ALIVE, GM_SUSPECT, GM_DEAD, GM_LEFT};
    const char *type_words[] = {"\"ping\"", "\"ack\"", "\"ping_req\"", "\"gossip\"", "\"sync\"", "\"sync_request\""};
    const char *state_words[] = {"\"alive\"", "\"suspect\"", "\"dead\"", "\"left\""};
    for (int t = 0; t < 6; t++)
        for (int st = 0; st < 4; st++) {
            gm_update up{"m" + std::to_string(st), states[st], 0xfffffffffffffull + (uint64_t)st, "h:" + std::to_string(t),
                         st % 2 == 0, {}};
            if (up.has_metadata) up.metadata = {{"k", "v" + std::to_string(t)}, {"z", ""}};
            gm_message m = msg(types[t], {up, alive("other", 2, 1)}, "from");
            m.seq = 0x7fffffffffffffull - (uint64_t)t;
            m.target = t == GM_PING_REQ ? "tgt" : "";
            std::string wire = gm_encode(&m);
            NL_EXPECT_TRUE(!wire.empty() && wire.front() == '{' && wire.back() == '}', "gm_encode: one JSON object, no newline: %s", wire.c_str());
            NL_EXPECT_CONTAINS(wire, type_words[t], "the encoded type");
            NL_EXPECT_CONTAINS(wire, state_words[st], "the encoded state");
            gm_message got;
            NL_EXPECT_TRUE(gm_decode(wire.data(), wire.size(), &got, &err), "decode %s: %s", wire.c_str(), err.c_str());
            NL_EXPECT_TRUE(got.type == m.type && got.seq == m.seq && got.from == m.from && got.target == m.target,
                           "round trip of the header of %s", wire.c_str());
            NL_EXPECT_EQ_INT(got.updates.size(), 2, "updates of %s", wire.c_str());
            const gm_update &g = got.updates[0];
            NL_EXPECT_TRUE(g.id == up.id && g.state == up.state && g.incarnation == up.incarnation && g.address == up.address &&
                               g.has_metadata == up.has_metadata && g.metadata == up.metadata,
                           "round trip of the first update of %s", wire.c_str());
            NL_EXPECT_TRUE(got.updates[1].id == "other" && got.updates[1].incarnation == 1, "the second update of %s", wire.c_str());
        }
    // R23: gm_state_name says what the wire says, and "unknown" for anything else.
    const char *names[] = {"alive", "suspect", "dead", "left", "unknown", "unknown"};
    for (int st = 0; st < 6; st++) {
        const char *got = gm_state_name((gm_state)st);
        NL_EXPECT_TRUE(got && !strcmp(got, names[st]), "gm_state_name(%d): expected \"%s\", got \"%s\"", st, names[st],
                       got ? got : "(null)");
    }
}

static void test_join_retried_until_answered(void **)
{
    vnow = 0;
    gm_protocol *b = node("nb", 9100);
    gm_bootstrap(b, {addr(9000)});                          // lost: nobody was listening yet
    std::vector<gm_action> again = sends(gm_tick(b), GM_SYNC_REQUEST);
    assert_int_equal(again.size(), 1);
    assert_string_equal(again[0].to.c_str(), addr(9000).c_str());
    feed(b, 9000, msg(GM_SYNC, {alive("n0", 9000)}, "n0"));
    assert_int_equal(sends(gm_tick(b), GM_SYNC_REQUEST).size(), 0);
    gm_free(b);
}



// R3: round after round, every live member is probed once per round, whether its last probe was
// acked, failed with nobody to ask (it is suspect now, and suspects are still probed) or failed
// after the indirect probes.
static void test_probe_rounds(void **)
{
    vnow = 0;
    gm_protocol *p = with_members(3);
    for (int round = 1; round <= 3; round++) {
        std::set<std::string> seen;
        for (int k = 0; k < 3; k++) {
            gm_actions t = gm_tick(p);
            std::vector<gm_action> pings = sends(t, GM_PING);
            if (pings.size() != 1) NL_FAIL("round %d, period %d: expected one Ping, got %zu", round, k + 1, pings.size());
            std::string target = "n" + std::to_string(atoi(pings[0].to.c_str() + 10) - 9000);
            seen.insert(target);
            gm_message ack = msg(GM_ACK, {}, target.c_str());
            ack.seq = pings[0].message.seq;
            feed(p, 9000 + atoi(target.c_str() + 1), ack);
            gm_handle_timer(p, ("probe_timeout_" + target).c_str());
        }
        NL_EXPECT_EQ_INT(seen.size(), 3, "distinct members pinged in round %d of 3 periods (3 members, every probe acked)", round);
    }
    gm_free(p);
    p = with_members(1);                                    // nobody to ask: suspect at once
    for (int period = 1; period <= 3; period++) {
        std::vector<gm_action> pings = sends(gm_tick(p), GM_PING);
        NL_EXPECT_TRUE(pings.size() == 1 && pings[0].to == addr(9001), "period %d: expected one Ping to n1 (%s)", period,
                       period == 1 ? "alive" : "suspect, still probed");
        gm_handle_timer(p, "probe_timeout_n1");
    }
    NL_EXPECT_EQ_INT(state_of(p, "n1"), GM_SUSPECT, "n1 after its failed probes");
    gm_free(p);
    p = with_members(2);                                    // failed after the indirect probes
    for (int round = 1; round <= 2; round++) {
        std::set<std::string> seen;
        for (int k = 0; k < 2; k++) {
            std::string target = probed(gm_tick(p));
            seen.insert(target);
            gm_handle_timer(p, ("probe_timeout_" + target).c_str());
            gm_handle_timer(p, ("indirect_timeout_" + target).c_str());
        }
        NL_EXPECT_EQ_INT(seen.size(), 2, "distinct members pinged in round %d (2 members, every probe failed)", round);
    }
    gm_free(p);
}

// R13: gm_leave tells every alive or suspect member (not the dead, not the seeds when members are
// known), stops counting itself, stops probing, and keeps gossiping its `left` alone.
static void test_leave_announces(void **)
{
    vnow = 0;
    gm_protocol *p = node("n0", 9000);
    gm_bootstrap(p, {addr(9009)});
    feed(p, 9001, msg(GM_SYNC, {alive("n1", 9001), alive("n2", 9002), alive("n3", 9003)}, "n1"));
    feed(p, 9001, msg(GM_GOSSIP, {{"n2", GM_SUSPECT, 0, "", false, {}}, {"n3", GM_DEAD, 0, "", false, {}}}));
    feed(p, 9001, msg(GM_GOSSIP, {alive("n4", 9004)}));     // news still pending when it leaves
    gm_actions acts = gm_leave(p);
    std::set<std::string> to;
    for (const gm_action &a : sends(acts, GM_GOSSIP)) {
        to.insert(a.to);
        NL_EXPECT_TRUE(a.message.updates.size() == 1 && a.message.updates[0].id == "n0" &&
                           a.message.updates[0].state == GM_LEFT, "gm_leave's Gossip to %s: only n0 left", a.to.c_str());
    }
    std::set<std::string> want = {addr(9001), addr(9002), addr(9004)};
    NL_EXPECT_TRUE(to == want, "gm_leave's Gossip destinations: expected n1, n2 (suspect) and n4, not n3 (dead) nor the seed; got %zu", to.size());
    NL_EXPECT_EQ_INT(gm_cluster_size(p), 3, "gm_cluster_size after leaving (n1, n2, n4; not itself)");
    std::vector<std::string> al = gm_alive_members(p);
    NL_EXPECT_TRUE(std::find(al.begin(), al.end(), "n0") == al.end(), "gm_alive_members after leaving: without itself");
    gm_actions t = gm_tick(p);
    NL_EXPECT_EQ_INT(sends(t, GM_PING).size(), 0, "Pings after leaving");
    std::vector<gm_action> g = sends(t, GM_GOSSIP);
    NL_EXPECT_TRUE(!g.empty(), "the period after leaving: its left is still gossiped");
    for (const gm_action &a : g)
        NL_EXPECT_TRUE(a.message.updates.size() == 1 && a.message.updates[0].id == "n0" && a.message.updates[0].state == GM_LEFT,
                       "a Gossip after leaving carries only n0 left (%zu updates)", a.message.updates.size());
    gm_free(p);
}

// R8: a failed probe of a member already suspect keeps its suspicion (no new timer, the same
// deadline); the death is gossiped like any update.
static void test_suspicion_kept_and_spread(void **)
{
    vnow = 1000;
    gm_protocol *p = node("n0", 9000);
    feed(p, 9002, msg(GM_SYNC, {alive("n1", 9001), alive("n2", 9002)}, "n2"));
    gm_actions a = feed(p, 9002, msg(GM_GOSSIP, {{"n1", GM_SUSPECT, 0, "", false, {}}}));
    uint64_t delay = 0;
    if (!has_timer(a, "suspicion_timeout_n1", &delay)) NL_FAIL("no suspicion_timeout_n1 after a Gossip saying n1 is suspect");
    NL_EXPECT_EQ_INT(delay, 5000, "suspicion timeout (5 x 1000 ms, 3 members)");
    vnow += 2500;
    for (int k = 0; k < 2; k++) {                           // probe n1 (whichever period it comes) and fail it
        gm_actions t = gm_tick(p);
        std::vector<gm_action> pings = sends(t, GM_PING);
        if (pings.size() != 1) NL_FAIL("period %d: expected one Ping, got %zu", k + 1, pings.size());
        if (pings[0].to == addr(9001)) {
            gm_actions pt = gm_handle_timer(p, "probe_timeout_n1");
            gm_actions it = gm_handle_timer(p, "indirect_timeout_n1");
            NL_EXPECT_TRUE(!has_timer(pt, "suspicion_timeout_n1") && !has_timer(it, "suspicion_timeout_n1"),
                           "a failed probe of n1, already suspect: expected no new suspicion timer");
        } else {                                            // n2 answers
            gm_message ack = msg(GM_ACK, {}, "n2");
            ack.seq = pings[0].message.seq;
            feed(p, 9002, ack);
            gm_handle_timer(p, "probe_timeout_n2");
        }
    }
    vnow = 1000 + 5000;                                     // the first suspicion's deadline
    gm_handle_timer(p, "suspicion_timeout_n1");
    NL_EXPECT_EQ_INT(state_of(p, "n1"), GM_DEAD, "n1 at the deadline of its first suspicion");
    bool told = false;
    for (const gm_action &g : sends(gm_tick(p), GM_GOSSIP))
        for (const gm_update &u : g.message.updates) told |= u.id == "n1" && u.state == GM_DEAD;
    NL_EXPECT_TRUE(told, "the period after n1 was declared dead: a Gossip says n1 dead");
    gm_free(p);
}

// R24: calls the API cannot use change nothing, and the view answers false for what it does not know.
static void test_api_refusals(void **)
{
    vnow = 0;
    gm_protocol *p = with_members(1);
    gm_message ping = msg(GM_PING, {alive("n7", 9007)}, "n1");
    NL_EXPECT_EQ_INT(gm_handle_message(p, addr(9001).c_str(), nullptr).size(), 0, "actions of gm_handle_message(NULL message)");
    NL_EXPECT_EQ_INT(gm_handle_message(p, nullptr, &ping).size(), 0, "actions of gm_handle_message(NULL address)");
    NL_EXPECT_EQ_INT(state_of(p, "n7"), GM_UNKNOWN, "n7 after a Ping handed in without its address");
    NL_EXPECT_EQ_INT(gm_update_metadata(p, nullptr, "v").size(), 0, "actions of gm_update_metadata(NULL key)");
    NL_EXPECT_EQ_INT(gm_update_metadata(p, "k", nullptr).size(), 0, "actions of gm_update_metadata(NULL value)");
    NL_EXPECT_EQ_INT(gm_incarnation(p), 0, "incarnation after refused metadata updates");
    gm_member m;
    gm_metadata md;
    NL_EXPECT_TRUE(!gm_get_member(p, nullptr, &m), "gm_get_member(NULL): expected false");
    NL_EXPECT_TRUE(!gm_get_member(p, "n9", &m), "gm_get_member of an unknown id: expected false");
    NL_EXPECT_TRUE(!gm_get_metadata(p, "n9", &md), "gm_get_metadata of an unknown id: expected false");
    NL_EXPECT_TRUE(!gm_is_alive(p, "n9"), "gm_is_alive of an unknown id: expected false");
    NL_EXPECT_TRUE(gm_get_metadata(p, "n1", &md) && md.empty(), "gm_get_metadata of n1 (known, no metadata)");
    gm_free(p);
}

/* ---- rules no seed test reaches ---- */

// R1: cfg NULL gives the seed's defaults, seen through the timers they set.
static void test_defaults_without_config(void **)
{
    NL_EXPECT_TRUE(gm_new("", "127.0.0.1:9500", nullptr) == nullptr, "gm_new with an empty id: expected NULL");
    NL_EXPECT_TRUE(gm_new(nullptr, "127.0.0.1:9500", nullptr) == nullptr, "gm_new with a NULL id: expected NULL");
    NL_EXPECT_TRUE(gm_new("d0", nullptr, nullptr) == nullptr, "gm_new with a NULL address: expected NULL");
    gm_protocol *one = gm_new("x", "", nullptr);            // the shortest id, an empty address: accepted
    NL_EXPECT_TRUE(one != nullptr, "gm_new(\"x\", \"\", NULL): expected a member");
    gm_free(one);
    gm_protocol *p = gm_new("d0", "127.0.0.1:9500", nullptr);
    NL_EXPECT_EQ_INT(gm_incarnation(p), 0, "incarnation of a new member");
    NL_EXPECT_EQ_INT(gm_cluster_size(p), 1, "gm_cluster_size of a member that knows nobody");
    std::vector<std::string> al = gm_alive_members(p);
    NL_EXPECT_TRUE(al.size() == 1 && al[0] == "d0", "gm_alive_members of a new member is itself only");
    feed(p, 9501, msg(GM_SYNC, {alive("d1", 9501)}, "d1"));
    uint64_t delay = 0;
    gm_actions t = gm_tick(p);
    if (!has_timer(t, "probe_timeout_d1", &delay)) NL_FAIL("no probe_timeout_d1 timer after a tick with d1 known");
    NL_EXPECT_EQ_INT(delay, 500, "probe_timeout_d1 delay with the default config");
    gm_actions acts = gm_handle_timer(p, "probe_timeout_d1"); // nobody to ask: suspect at once
    if (!has_timer(acts, "suspicion_timeout_d1", &delay)) NL_FAIL("no suspicion_timeout_d1 timer (d1 is the only member)");
    NL_EXPECT_EQ_INT(delay, 5000, "suspicion timeout with the defaults (5 x 1000 ms, 2 members)");
    gm_free(p);
}

// R1: gm_config_default fills in the seed's defaults, each exactly.
static void test_config_default_values(void **)
{
    gm_config c;
    memset(&c, 0xff, sizeof c);
    gm_config_default(&c);
    NL_EXPECT_EQ_INT(c.probe_interval_ms, 1000, "gm_config_default: probe_interval_ms");
    NL_EXPECT_EQ_INT(c.probe_timeout_ms, 500, "gm_config_default: probe_timeout_ms");
    NL_EXPECT_EQ_INT(c.indirect_probes, 3, "gm_config_default: indirect_probes");
    NL_EXPECT_EQ_INT(c.suspicion_multiplier, 5, "gm_config_default: suspicion_multiplier");
    NL_EXPECT_EQ_INT(c.fanout, 3, "gm_config_default: fanout");
    NL_EXPECT_EQ_INT(c.max_piggyback, 10, "gm_config_default: max_piggyback");
    NL_EXPECT_EQ_INT(c.retransmit_multiplier, 4, "gm_config_default: retransmit_multiplier");
    NL_EXPECT_EQ_INT(c.dead_retention_ms, 30000, "gm_config_default: dead_retention_ms");
    NL_EXPECT_EQ_INT(c.sync_interval_periods, 10, "gm_config_default: sync_interval_periods");
    NL_EXPECT_EQ_INT(c.seed, 1, "gm_config_default: seed");
    NL_EXPECT_TRUE(c.clock.now_ms == nullptr && c.clock.ctx == nullptr,
                   "gm_config_default: clock unset ({NULL, NULL}), got now_ms %p, ctx %p", (void *)c.clock.now_ms, c.clock.ctx);
}

// R12: pending updates go to `fanout` distinct members each period.
static void test_gossip_fanout(void **)
{
    vnow = 0;
    gm_protocol *p = with_members(6);
    feed(p, 9001, msg(GM_GOSSIP, {alive("n7", 9007)}));    // news to spread
    std::vector<gm_action> g = sends(gm_tick(p), GM_GOSSIP);
    std::set<std::string> to;
    for (const gm_action &a : g) {
        to.insert(a.to);
        NL_EXPECT_TRUE(a.to != addr(9000), "a Gossip is never sent to oneself");
    }
    NL_EXPECT_EQ_INT(g.size(), 3, "Gossip messages in one period (fanout 3, 7 members known)");
    NL_EXPECT_EQ_INT(to.size(), 3, "distinct Gossip destinations in one period (fanout 3)");
    gm_free(p);
}

// R16: one SyncRequest to a known member every sync_interval_periods (10) periods, none between.
static void test_anti_entropy_every_10_periods(void **)
{
    vnow = 0;
    gm_protocol *p = with_members(3);
    for (int period = 1; period <= 20; period++) {
        std::vector<gm_action> s = sends(gm_tick(p), GM_SYNC_REQUEST);
        size_t want = period % 10 == 0 ? 1 : 0;
        NL_EXPECT_EQ_INT(s.size(), want, "SyncRequests sent in period %d (sync every 10 periods)", period);
        if (want)
            NL_EXPECT_TRUE(s[0].to == addr(9001) || s[0].to == addr(9002) || s[0].to == addr(9003),
                           "the anti-entropy SyncRequest of period %d goes to a known member (sent to %s)", period,
                           s[0].to.c_str());
    }
    gm_free(p);
    // sync_interval_periods 1: every period; 0: never (once a member is known).
    for (int every = 0; every <= 1; every++) {
        gm_config cfg;
        gm_config_default(&cfg);
        cfg.sync_interval_periods = every;
        cfg.clock = {vclock, nullptr};
        gm_protocol *q = gm_new("n0", addr(9000).c_str(), &cfg);
        feed(q, 9001, msg(GM_SYNC, {alive("n1", 9001), alive("n2", 9002)}, "n1"));
        for (int period = 1; period <= 3; period++)
            NL_EXPECT_EQ_INT(sends(gm_tick(q), GM_SYNC_REQUEST).size(), (size_t)every,
                             "SyncRequests sent in period %d with sync_interval_periods %d", period, every);
        gm_free(q);
    }
}

void test_differential_membership(void **); // test_gossip_diff.cpp

/* ---- in the deterministic simulator ---- */

static void convergence(int n, int max_rounds)
{
    for (uint64_t seed = 1; seed <= 3; seed++) {
        gm_cluster *c = gm_cluster_new(n, seed, 0.0, nullptr);
        gm_cluster_run_periods(c, 2);
        gm_cluster_apply(c, 0, gm_update_metadata(c->nodes[0], "version", "2"));
        int rounds = gm_cluster_rounds_until_metadata(c, 0, "version", "2", 60);
        if (rounds < 0 || rounds > max_rounds) {
            print_error("n=%d seed=%llu: %d rounds (bound %d)\n", n, (unsigned long long)seed, rounds, max_rounds);
            fail();
        }
        gm_cluster_free(c);
    }
}

static void test_sim_convergence_10(void **) { convergence(10, 2 * 4); }      // 2 * ceil(log2 n)
static void test_sim_convergence_100(void **) { convergence(100, 2 * 7); }

static void test_sim_false_suspicions_bounded(void **)
{
    gm_cluster *c = gm_cluster_new(30, 7, 0.10, nullptr);
    gm_cluster_run_periods(c, 60);
    if (c->false_deaths != 0 || c->false_suspicions * 20 > c->probes) {
        print_error("10%% loss: %llu false suspicions, %llu false deaths, %llu probes\n",
                    (unsigned long long)c->false_suspicions, (unsigned long long)c->false_deaths,
                    (unsigned long long)c->probes);
        fail();
    }
    for (int i = 0; i < 30; i++) assert_int_equal(gm_cluster_size(c->nodes[i]), 30);   // nobody lost
    gm_cluster_free(c);
}

static void test_sim_crash_detected(void **)
{
    gm_cluster *c = gm_cluster_new(20, 11, 0.0, nullptr);
    gm_cluster_run_periods(c, 3);
    uint64_t crash_at = nl_sim_now(c->sim);
    nl_sim_crash(c->sim, 5);
    gm_cluster_run_periods(c, 30);
    for (int i = 0; i < 20; i++) {
        if (i == 5) continue;
        assert_int_equal(state_of(c->nodes[i], "n5"), GM_DEAD);
        assert_true(c->dead_at[i][5] >= (int64_t)(crash_at + 5 * 1000));   // not before the suspicion ran out
    }
    assert_int_equal(c->false_deaths, 0);
    gm_cluster_free(c);
}

static void test_sim_leave_disseminates(void **)
{
    gm_cluster *c = gm_cluster_new(20, 3, 0.0, nullptr);
    gm_cluster_run_periods(c, 2);
    c->left[4] = true;
    gm_cluster_apply(c, 4, gm_leave(c->nodes[4]));
    gm_cluster_run_periods(c, 3);
    for (int i = 0; i < 20; i++)
        if (i != 4) assert_int_equal(state_of(c->nodes[i], "n4"), GM_LEFT);
    gm_cluster_free(c);
}

/* ---- real mode: 5 gossip_node processes over UDP on loopback ---- */

static const int PROBE_MS = 300, MULT = 3;

static void test_udp_kill_detected(void **)
{
    nl_server s[5];
    std::vector<std::string> common = {"--probe-interval", std::to_string(PROBE_MS), "--probe-timeout", "120",
                                       "--suspicion-mult", std::to_string(MULT)};
    std::vector<std::string> a0 = common;
    a0.insert(a0.end(), {"--id", "n0", "--port", "0"});
    assert_int_equal(nl_server_start(&s[0], "gossip_node", a0, 10000), 0);
    std::string seed = "127.0.0.1:" + std::to_string(s[0].port);
    for (int i = 1; i < 5; i++) {
        std::vector<std::string> a = common;
        a.insert(a.end(), {"--id", "n" + std::to_string(i), "--port", "0", "--join", seed});
        assert_int_equal(nl_server_start(&s[i], "gossip_node", a, 10000), 0);
    }
    for (int i = 0; i < 5; i++)                             // everyone sees everyone
        for (int j = 0; j < 5; j++) {
            std::string line = "member n" + std::to_string(j) + " alive";
            if (i != j && !nl_server_output_contains(&s[i], line.c_str(), 30000)) {
                print_error("n%d never printed '%s'\n", i, line.c_str());
                fail();
            }
        }
    kill(s[4].pid, SIGKILL);
    // Detection takes at most about one probe round over 4 members, the indirect probes and
    // MULT periods of suspicion (~2-3 s here); the deadline leaves room for a loaded machine.
    for (int i = 0; i < 4; i++)
        if (!nl_server_output_contains(&s[i], "member n4 dead", 30000)) {
            print_error("n%d did not mark n4 dead; its output:\n%s\n", i, s[i].output.c_str());
            fail();
        }
    for (int i = 0; i < 4; i++) assert_int_equal(nl_server_stop(&s[i], SIGTERM, 5000), 0);
    nl_server_stop(&s[4], SIGKILL, 5000);
}

static void test_udp_bad_arguments(void **)
{
    nl_server s;
    assert_int_equal(nl_server_start(&s, "gossip_node", {"--port", "0"}, 3000), -1);      // no --id
    assert_int_equal(nl_server_start(&s, "gossip_node", {"--id", "a", "--join", "nowhere"}, 3000), -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bootstrap_connects_to_seeds),
    cmocka_unit_test(test_probe_cycle),
    cmocka_unit_test(test_suspicion_on_timeout),
    cmocka_unit_test(test_refute_suspicion_with_incarnation),
    cmocka_unit_test(test_metadata_propagation),
    cmocka_unit_test(test_graceful_leave),
    cmocka_unit_test(test_indirect_probe_on_timeout),
    cmocka_unit_test(test_indirect_timeout_rest_of_period),
    cmocka_unit_test(test_indirect_ack_prevents_suspicion),
    cmocka_unit_test(test_ping_req_relay),
    cmocka_unit_test(test_suspect_becomes_dead_after_multiplier),
    cmocka_unit_test(test_incarnation_ordering),
    cmocka_unit_test(test_refutation_outbids_rumour),
    cmocka_unit_test(test_piggyback_limit),
    cmocka_unit_test(test_left_is_final_and_forgotten),
    cmocka_unit_test(test_sync_request_teaches_both),
    cmocka_unit_test(test_codec_roundtrip_and_strict),
    cmocka_unit_test(test_codec_refuses_each_defect),
    cmocka_unit_test(test_codec_optional_fields_and_names),
    cmocka_unit_test(test_join_retried_until_answered),
    cmocka_unit_test(test_sim_convergence_10),
    cmocka_unit_test(test_sim_convergence_100),
    cmocka_unit_test(test_sim_false_suspicions_bounded),
    cmocka_unit_test(test_sim_crash_detected),
    cmocka_unit_test(test_sim_leave_disseminates),
    cmocka_unit_test(test_udp_kill_detected),
    cmocka_unit_test(test_udp_bad_arguments),
    cmocka_unit_test(test_defaults_without_config),
    cmocka_unit_test(test_gossip_fanout),
    cmocka_unit_test(test_config_default_values),
    cmocka_unit_test(test_anti_entropy_every_10_periods),
    cmocka_unit_test(test_differential_membership),
    cmocka_unit_test(test_probe_rounds),
    cmocka_unit_test(test_leave_announces),
    cmocka_unit_test(test_suspicion_kept_and_spread),
    cmocka_unit_test(test_api_refusals),
};

NL_TEST_MAIN("ex04_gossip_mesh", tests)
