// test_bft_normal.cpp — PBFT's normal case on one replica driven by hand: pre-prepare, prepare,
// commit, in-order execution, the window and the timer.
#include "bft_test_util.h"

void test_pre_prepare_broadcast(void **)
{
    BftReplica *p = new_replica(0, 4);
    BftOutputs out;
    BftRequest a = req("a"), b = req("b", 2);
    bft_on_request(p, &a, &out);
    std::vector<const BftOutput *> pps = sends(out, BFT_PRE_PREPARE);
    if (targets(pps) != "1,2,3") fail_msg("primary 0 of 4 on request 'a': expected PRE_PREPARE to 1,2,3, got [%s]", targets(pps).c_str());
    for (const BftOutput *o : pps)
        if (o->msg.view != 0 || o->msg.seq != 1 || o->msg.replica != 0 || o->msg.request.operation != "a" || !same_digest(o->msg.digest, a))
            fail_msg("primary 0 on 'a': expected PRE_PREPARE view 0, seq 1, replica 0, request 'a' with its digest");
    uint8_t mac[32];
    t_mac(pps[0]->msg, test_keys(4)[0].data(), mac);
    if (memcmp(mac, pps[0]->msg.mac, 32) != 0) fail_msg("the PRE_PREPARE of primary 0: expected a MAC made with key 0");
    out.clear();
    bft_on_request(p, &a, &out);
    if (!sends(out, BFT_PRE_PREPARE).empty()) fail_msg("request 'a' again at the primary: expected no second PRE_PREPARE");
    bft_on_request(p, &b, &out);
    pps = sends(out, BFT_PRE_PREPARE);
    if (pps.size() != 3 || pps[0]->msg.seq != 2) fail_msg("then request 'b': expected PRE_PREPARE seq 2 to 3 replicas");
    BftRequest null = null_req();
    out.clear();
    bft_on_request(p, &null, &out);
    if (!out.empty()) fail_msg("a client request with client_id 0 (the null request): expected it ignored, got %zu outputs", out.size());
    // A backup only remembers the request and times the primary.
    BftReplica *r = new_replica(2, 4);
    out.clear();
    bft_on_request(r, &a, &out);
    if (!sends(out, BFT_PRE_PREPARE).empty() || last_timer(out) != T_MS)
        fail_msg("backup 2 on request 'a': expected no PRE_PREPARE and SET_TIMER %llu, got timer %llu", (unsigned long long)T_MS,
                 (unsigned long long)last_timer(out));
    bft_free(p);
    bft_free(r);
}

void test_prepare_on_pre_prepare(void **)
{
    BftReplica *r = new_replica(1, 4);
    BftOutputs out;
    // Not from the primary of view 0: ignored.
    BftMsg bad = t_pre_prepare(4, 0, 1, req("a"));
    bad.replica = 2;
    t_sign(&bad, 4);
    deliver(r, bad, &out);
    if (!sends(out, BFT_PREPARE).empty()) fail_msg("PRE_PREPARE view 0 signed by replica 2 (not the primary): expected no PREPARE, got one");
    // The request swapped under a valid header: ignored.
    BftMsg swapped = t_pre_prepare(4, 0, 1, req("a"));
    swapped.request = req("b");
    deliver(r, swapped, &out);
    if (!sends(out, BFT_PREPARE).empty()) fail_msg("PRE_PREPARE whose request does not match its digest: expected no PREPARE, got one");
    // Genuine: PREPARE to every other replica, signed by 1.
    deliver(r, t_pre_prepare(4, 0, 1, req("a")), &out);
    std::vector<const BftOutput *> ps = sends(out, BFT_PREPARE);
    if (targets(ps) != "0,2,3") fail_msg("replica 1 on PRE_PREPARE(0,1,'a'): expected PREPARE to 0,2,3, got [%s]", targets(ps).c_str());
    const BftMsg &p = ps[0]->msg;
    uint8_t mac[32];
    t_mac(p, test_keys(4)[1].data(), mac);
    if (p.view != 0 || p.seq != 1 || p.replica != 1 || !same_digest(p.digest, req("a")) || memcmp(mac, p.mac, 32) != 0)
        fail_msg("the PREPARE: expected view 0, seq 1, replica 1, digest of 'a', MAC with key 1");
    out.clear();
    deliver(r, t_pre_prepare(4, 0, 1, req("a")), &out);
    if (!sends(out, BFT_PREPARE).empty()) fail_msg("the same PRE_PREPARE delivered twice: expected one PREPARE only");
    bft_free(r);
}

void test_equivocation_first_wins(void **)
{
    BftReplica *r = new_replica(1, 4);
    BftOutputs out;
    deliver(r, t_pre_prepare(4, 0, 1, req("a")), &out);
    out.clear();
    deliver(r, t_pre_prepare(4, 0, 1, req("b")), &out);
    if (!sends(out, BFT_PREPARE).empty()) fail_msg("PRE_PREPARE(0,1,'b') after (0,1,'a'): expected no PREPARE for 'b' (first one wins)");
    deliver(r, t_vote(4, BFT_PREPARE, 0, 1, 2, req("b")), &out);
    deliver(r, t_vote(4, BFT_PREPARE, 0, 1, 3, req("b")), &out);
    if (!sends(out, BFT_COMMIT).empty()) fail_msg("prepares for 'b' from 2 and 3 while 'a' is accepted at seq 1: expected no COMMIT, got one");
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 2, req("b")), &out);
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 3, req("b")), &out);
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 0, req("b")), &out);
    if (!executed(out).empty()) fail_msg("3 commits for 'b' at seq 1 where 'a' was accepted: expected nothing executed, got %s", executed(out).c_str());
    deliver(r, t_vote(4, BFT_PREPARE, 0, 1, 2, req("a")), &out);
    std::vector<const BftOutput *> cs = sends(out, BFT_COMMIT);
    if (cs.size() != 3 || !same_digest(cs[0]->msg.digest, req("a")))
        fail_msg("then a PREPARE for 'a' from 2: expected COMMIT for 'a' to 3 replicas, got %zu commits", cs.size());
    bft_free(r);
}

void test_prepared_needs_quorum(void **)
{
    BftReplica *r = new_replica(1, 4);
    BftOutputs out;
    deliver(r, t_pre_prepare(4, 0, 1, req("a")), &out);
    if (!sends(out, BFT_COMMIT).empty()) fail_msg("n=4, only the PRE_PREPARE and its own PREPARE: expected no COMMIT yet");
    BftMsg from_primary = t_vote(4, BFT_PREPARE, 0, 1, 0, req("a"));
    deliver(r, from_primary, &out);
    if (!sends(out, BFT_COMMIT).empty()) fail_msg("n=4, a PREPARE signed by the primary itself: expected it not counted (no COMMIT)");
    deliver(r, t_vote(4, BFT_PREPARE, 0, 1, 3, req("a")), &out);
    std::vector<const BftOutput *> cs = sends(out, BFT_COMMIT);
    if (targets(cs) != "0,2,3") fail_msg("n=4, own PREPARE and 3's (q-1 = 2): expected COMMIT to 0,2,3, got [%s]", targets(cs).c_str());
    if (cs[0]->msg.view != 0 || cs[0]->msg.seq != 1 || cs[0]->msg.replica != 1 || !same_digest(cs[0]->msg.digest, req("a")))
        fail_msg("the COMMIT: expected view 0, seq 1, replica 1, digest of 'a'");
    out.clear();
    deliver(r, t_vote(4, BFT_PREPARE, 0, 1, 2, req("a")), &out);
    if (!sends(out, BFT_COMMIT).empty()) fail_msg("a third PREPARE after the commit was sent: expected no second COMMIT");
    bft_free(r);

    // n = 7: q = 5, so a backup needs 4 PREPAREs (its own included); a duplicate counts once.
    BftReplica *s = new_replica(3, 7);
    out.clear();
    deliver(s, t_pre_prepare(7, 0, 1, req("x")), &out);
    deliver(s, t_vote(7, BFT_PREPARE, 0, 1, 1, req("x")), &out);
    deliver(s, t_vote(7, BFT_PREPARE, 0, 1, 1, req("x")), &out);
    deliver(s, t_vote(7, BFT_PREPARE, 0, 1, 2, req("x")), &out);
    if (!sends(out, BFT_COMMIT).empty()) fail_msg("n=7, prepares of 3 (own), 1, 1 again, 2: expected no COMMIT (3 distinct < q-1 = 4)");
    deliver(s, t_vote(7, BFT_PREPARE, 0, 1, 6, req("x")), &out);
    if (sends(out, BFT_COMMIT).size() != 6) fail_msg("n=7, then the PREPARE of 6: expected COMMIT to the 6 others, got %zu", sends(out, BFT_COMMIT).size());
    bft_free(s);
}

// Drives replica r (a backup of view `view`, n replicas) to commit `q` at `seq` with votes of `voters`.
static void commit_at(BftReplica *r, uint32_t n, uint64_t view, uint64_t seq, const BftRequest &q,
                      std::vector<uint32_t> voters, BftOutputs *out)
{
    deliver(r, t_pre_prepare(n, view, seq, q), out);
    for (uint32_t v : voters)
        if (v != bft_primary_of(view, n)) deliver(r, t_vote(n, BFT_PREPARE, view, seq, v, q), out);
    for (uint32_t v : voters) deliver(r, t_vote(n, BFT_COMMIT, view, seq, v, q), out);
}

void test_commit_quorum_and_digest(void **)
{
    BftReplica *r = new_replica(1, 4);
    BftOutputs out;
    // Commits may arrive before the replica prepared: they are kept.
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 2, req("a")), &out);
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 3, req("b")), &out);
    deliver(r, t_pre_prepare(4, 0, 1, req("a")), &out);
    deliver(r, t_vote(4, BFT_PREPARE, 0, 1, 2, req("a")), &out);
    if (!executed(out).empty())
        fail_msg("prepared 'a' with COMMITs of 1 (own) and 2 for 'a', 3's for 'b': expected nothing executed (2 < q = 3), got %s", executed(out).c_str());
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 2, req("a")), &out);
    if (!executed(out).empty()) fail_msg("a duplicate COMMIT of 2: expected nothing executed, got %s", executed(out).c_str());
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 0, req("a")), &out);
    if (executed(out) != "1:a") fail_msg("then the primary's COMMIT for 'a' (3 = q): expected executed \"1:a\", got \"%s\"", executed(out).c_str());
    if (bft_last_executed(r) != 1) fail_msg("after executing seq 1: expected last_executed 1, got %llu", (unsigned long long)bft_last_executed(r));
    out.clear();
    deliver(r, t_vote(4, BFT_COMMIT, 0, 1, 3, req("a")), &out);
    if (!executed(out).empty()) fail_msg("a fourth COMMIT for seq 1: expected no second execution, got %s", executed(out).c_str());
    bft_free(r);
    // The primary counts PREPAREs of backups and commits too.
    BftReplica *p = new_replica(0, 4);
    out.clear();
    BftRequest a = req("a");
    bft_on_request(p, &a, &out);
    deliver(p, t_vote(4, BFT_PREPARE, 0, 1, 1, a), &out);
    if (!sends(out, BFT_COMMIT).empty()) fail_msg("primary with one backup PREPARE: expected no COMMIT (needs q-1 = 2)");
    deliver(p, t_vote(4, BFT_PREPARE, 0, 1, 3, a), &out);
    if (targets(sends(out, BFT_COMMIT)) != "1,2,3") fail_msg("primary with PREPAREs of 1 and 3: expected COMMIT to 1,2,3");
    deliver(p, t_vote(4, BFT_COMMIT, 0, 1, 1, a), &out);
    deliver(p, t_vote(4, BFT_COMMIT, 0, 1, 3, a), &out);
    if (executed(out) != "1:a") fail_msg("primary with COMMITs of 0, 1, 3: expected \"1:a\", got \"%s\"", executed(out).c_str());
    bft_free(p);
}

void test_execute_in_order(void **)
{
    BftReplica *r = new_replica(2, 4);
    BftOutputs out;
    commit_at(r, 4, 0, 2, req("b", 2), {0, 1, 3}, &out);
    commit_at(r, 4, 0, 3, req("c", 3), {0, 1, 3}, &out);
    if (!executed(out).empty()) fail_msg("seq 2 and 3 committed, seq 1 not: expected nothing executed, got \"%s\"", executed(out).c_str());
    commit_at(r, 4, 0, 1, req("a"), {0, 1, 3}, &out);
    if (executed(out) != "1:a 2:b 3:c") fail_msg("then seq 1 commits: expected \"1:a 2:b 3:c\" in that order, got \"%s\"", executed(out).c_str());
    bft_free(r);
    // n = 1: q = 1, so the primary's own pre-prepare prepares and its own COMMIT commits, at once.
    BftReplica *one = new_replica(0, 1);
    out.clear();
    BftRequest a = req("a"), b = req("b", 2);
    bft_on_request(one, &a, &out);
    bft_on_request(one, &b, &out);
    if (executed(out) != "1:a 2:b" || !of_kind(out, BFT_OUT_SEND).empty())
        fail_msg("a cluster of 1 (q = 1) given 'a' then 'b': expected \"1:a 2:b\" executed at once and nothing sent, got \"%s\", %zu sends",
                 executed(out).c_str(), of_kind(out, BFT_OUT_SEND).size());
    bft_free(one);
}

void test_window(void **)
{
    BftReplica *r = new_replica(1, 4);
    BftOutputs out;
    deliver(r, t_pre_prepare(4, 0, 0, req("zero")), &out);
    if (!sends(out, BFT_PREPARE).empty()) fail_msg("PRE_PREPARE seq 0: expected ignored (sequence numbers start at 1)");
    deliver(r, t_pre_prepare(4, 0, BFT_WINDOW + 1, req("past")), &out);
    if (!sends(out, BFT_PREPARE).empty()) fail_msg("PRE_PREPARE seq 65 with nothing executed: expected ignored (window 1..64)");
    deliver(r, t_pre_prepare(4, 0, BFT_WINDOW, req("edge")), &out);
    if (sends(out, BFT_PREPARE).size() != 3) fail_msg("PRE_PREPARE seq 64 with nothing executed: expected PREPARE (last_executed + 64 is in)");
    commit_at(r, 4, 0, 1, req("a"), {0, 2, 3}, &out);
    out.clear();
    deliver(r, t_pre_prepare(4, 0, BFT_WINDOW + 1, req("past")), &out);
    if (sends(out, BFT_PREPARE).size() != 3) fail_msg("PRE_PREPARE seq 65 after executing seq 1: expected PREPARE (the window moved)");
    bft_free(r);
    // The primary never assigns past the window; the rest waits for execution.
    BftReplica *p = new_replica(0, 4);
    out.clear();
    for (int i = 1; i <= BFT_WINDOW + 1; i++) {
        BftRequest q = req("op", (uint64_t)i);
        bft_on_request(p, &q, &out);
    }
    size_t pps = sends(out, BFT_PRE_PREPARE).size() / 3;
    if (pps != BFT_WINDOW) fail_msg("65 requests at a fresh primary: expected 64 PRE_PREPAREs (seq 1..64), got %zu", pps);
    out.clear();
    BftRequest first = req("op", 1);
    deliver(p, t_vote(4, BFT_PREPARE, 0, 1, 1, first), &out);
    deliver(p, t_vote(4, BFT_PREPARE, 0, 1, 2, first), &out);
    deliver(p, t_vote(4, BFT_COMMIT, 0, 1, 1, first), &out);
    deliver(p, t_vote(4, BFT_COMMIT, 0, 1, 2, first), &out);
    std::vector<const BftOutput *> now = sends(out, BFT_PRE_PREPARE);
    if (executed(out) != "1:op" || now.size() != 3 || now[0]->msg.seq != 65 || now[0]->msg.request.timestamp != 65)
        fail_msg("seq 1 executed at the primary: expected the 65th request pre-prepared at seq 65, got %zu PRE_PREPAREs", now.size());
    bft_free(p);
}

void test_timer_rules(void **)
{
    BftReplica *r = new_replica(1, 4);
    BftOutputs out;
    BftRequest a = req("a"), b = req("b", 2);
    bft_on_request(r, &a, &out);
    if (last_timer(out) != T_MS) fail_msg("backup on request 'a': expected SET_TIMER %llu ms", (unsigned long long)T_MS);
    out.clear();
    bft_on_request(r, &b, &out);
    if (!of_kind(out, BFT_OUT_SET_TIMER).empty()) fail_msg("a second request while the timer runs: expected the timer left alone");
    out.clear();
    commit_at(r, 4, 0, 1, a, {0, 2, 3}, &out);
    bool cancelled = true;
    if (executed(out) != "1:a" || last_timer(out, &cancelled) != T_MS || cancelled)
        fail_msg("'a' executed, 'b' still waiting: expected SET_TIMER %llu (restarted), got %llu%s", (unsigned long long)T_MS,
                 (unsigned long long)last_timer(out), cancelled ? " then CANCEL" : "");
    out.clear();
    commit_at(r, 4, 0, 2, b, {0, 2, 3}, &out);
    if (executed(out) != "2:b" || of_kind(out, BFT_OUT_CANCEL_TIMER).size() != 1 || !of_kind(out, BFT_OUT_SET_TIMER).empty())
        fail_msg("'b' executed, nothing waiting: expected one CANCEL_TIMER and no SET_TIMER");
    // A request learnt from a PRE_PREPARE waits too.
    out.clear();
    deliver(r, t_pre_prepare(4, 0, 3, req("c", 3)), &out);
    if (last_timer(out) != T_MS) fail_msg("PRE_PREPARE of 'c' with nothing waiting: expected SET_TIMER %llu", (unsigned long long)T_MS);
    bft_free(r);
}
