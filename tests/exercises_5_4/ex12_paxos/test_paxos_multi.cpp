// test_paxos_multi.cpp — one test per rule of Multi-Paxos (README rules R10-R13): the log acceptor,
// the leader's phase 1 and recovery, phase 2 only for a stable leader, stepping down, the replica.
#include "paxos_test_util.h"

static std::string slots_str(const std::vector<std::pair<uint64_t, std::string>> &v)
{
    std::string s;
    for (auto &sv : v) s += (s.empty() ? "" : " ") + std::to_string(sv.first) + "='" + sv.second + "'";
    return s.empty() ? "(none)" : s;
}

static std::string accepted_str(const std::map<uint64_t, PaxosSlotAccepted> &m)
{
    std::string s;
    for (auto &kv : m) s += (s.empty() ? "" : " ") + std::to_string(kv.first) + ":" + pn_str(kv.second.pn) + "='" + kv.second.value + "'";
    return s.empty() ? "(none)" : s;
}

// R10: one promise for every slot; a promise reports each accepted slot >= from_slot.
void test_log_acceptor_rules(void **)
{
    PaxosLogAcceptor a;
    paxos_log_acceptor_init(&a, 2);
    if (a.id != 2 || a.has_promised || !a.accepted.empty())
        fail_msg("paxos_log_acceptor_init(a, 2): expected id 2, nothing promised or accepted; got id %llu, has_promised %d, %zu slots",
                 (unsigned long long)a.id, a.has_promised, a.accepted.size());
    // A fresh acceptor refuses slot 0, naming no promise ({0,0} is "none", R1).
    PaxosPhase2Msg z0 = paxos_log_acceptor_accept(&a, PaxosPn{1, 0}, 0, "zero");
    if (z0.kind != PAXOS_REJECTED || !pn_eq(z0.highest_seen, PaxosPn{0, 0}))
        fail_msg("fresh log acceptor, accept (1,0) at slot 0: expected REJECTED naming (0,0) (no promise), got %s %s",
                 kind_str(z0.kind), pn_str(z0.highest_seen));
    // init over a used struct starts it afresh too.
    PaxosLogAcceptor used;
    paxos_log_acceptor_init(&used, 7);
    paxos_log_acceptor_prepare(&used, PaxosPn{9, 9}, 1);
    paxos_log_acceptor_accept(&used, PaxosPn{9, 9}, 3, "old");
    paxos_log_acceptor_init(&used, 4);
    if (used.id != 4 || used.has_promised || !pn_eq(used.promised, PaxosPn{0, 0}) || !used.accepted.empty())
        fail_msg("paxos_log_acceptor_init over an acceptor that promised and accepted (9,9): expected id 4, nothing promised "
                 "((0,0)) or accepted; got id %llu, has_promised %d, promised %s, %zu slots",
                 (unsigned long long)used.id, used.has_promised, pn_str(used.promised), used.accepted.size());
    for (uint64_t s = 1; s <= 4; s++) {
        PaxosPhase2Msg r = paxos_log_acceptor_accept(&a, PaxosPn{1, 0}, s, "v" + std::to_string(s));
        if (r.kind != PAXOS_ACCEPTED) fail_msg("fresh log acceptor, accept (1,0) at slot %llu: expected ACCEPTED, got %s",
                                               (unsigned long long)s, kind_str(r.kind));
    }
    PaxosPhase2Msg z = paxos_log_acceptor_accept(&a, PaxosPn{1, 0}, 0, "bad");
    if (z.kind != PAXOS_REJECTED || a.accepted.count(0)) fail_msg("accept at slot 0 (slots start at 1) must be REJECTED and stored nowhere");
    PaxosLogPromise p = paxos_log_acceptor_prepare(&a, PaxosPn{2, 1}, 3);
    if (!p.ok || !pn_eq(p.proposal, PaxosPn{2, 1}))
        fail_msg("prepare (2,1) from slot 3 after (1,0): expected a promise for (2,1), got ok=%d %s", p.ok, pn_str(p.proposal));
    if (accepted_str(p.accepted) != "3:(1,0)='v3' 4:(1,0)='v4'")
        fail_msg("prepare from slot 3, slots 1-4 accepted: the promise must report exactly slots 3 and 4, got %s",
                 accepted_str(p.accepted).c_str());
    // The promise covers every slot, even ones never written.
    PaxosPhase2Msg r9 = paxos_log_acceptor_accept(&a, PaxosPn{1, 0}, 9, "late");
    if (r9.kind != PAXOS_REJECTED || !pn_eq(r9.highest_seen, PaxosPn{2, 1}))
        fail_msg("promised (2,1) for all slots, accept (1,0) at slot 9: expected REJECTED naming (2,1), got %s %s",
                 kind_str(r9.kind), pn_str(r9.highest_seen));
    if (a.accepted.count(9)) fail_msg("a rejected accept stored a value at slot 9");
    PaxosLogPromise n = paxos_log_acceptor_prepare(&a, PaxosPn{1, 5}, 1);
    if (n.ok || !pn_eq(n.highest_seen, PaxosPn{2, 1}) || !n.accepted.empty())
        fail_msg("promised (2,1), prepare (1,5): expected a nack naming (2,1) and no slots, got ok=%d %s with %s", n.ok,
                 pn_str(n.highest_seen), accepted_str(n.accepted).c_str());
    if (!pn_eq(a.promised, PaxosPn{2, 1})) fail_msg("a nack changed the promise to %s", pn_str(a.promised));
    PaxosPhase2Msg up = paxos_log_acceptor_accept(&a, PaxosPn{2, 1}, 3, "w3");
    if (up.kind != PAXOS_ACCEPTED || a.accepted[3].value != "w3" || !pn_eq(a.accepted[3].pn, PaxosPn{2, 1}))
        fail_msg("promised (2,1), accept (2,1) at slot 3 = 'w3': expected slot 3 to hold (2,1)='w3', it holds %s='%s'",
                 pn_str(a.accepted[3].pn), a.accepted[3].value.c_str());
    PaxosLogPromise all = paxos_log_acceptor_prepare(&a, PaxosPn{3, 0}, 1);
    if (accepted_str(all.accepted) != "1:(1,0)='v1' 2:(1,0)='v2' 3:(2,1)='w3' 4:(1,0)='v4'")
        fail_msg("prepare from slot 1: expected every accepted slot, got %s", accepted_str(all.accepted).c_str());
}

static PaxosLogPromise lpromise(PaxosPn pn, std::initializer_list<std::pair<uint64_t, PaxosSlotAccepted>> slots)
{
    PaxosLogPromise m{true, pn, {0, 0}, {}};
    for (auto &s : slots) m.accepted[s.first] = s.second;
    return m;
}

// R11: a majority of promises makes a leader that re-proposes what they reported, holes as no-ops.
void test_leader_recovery(void **)
{
    PaxosLeader *l = paxos_leader_new(1, 5);
    if (paxos_leader_is_leading(l)) fail_msg("a new leader object must not lead before phase 1");
    if (paxos_leader_propose(l, "x") != 0) fail_msg("propose before phase 1 must return 0 (not leading)");
    PaxosPn pn = paxos_leader_prepare(l, 2);
    if (!pn_eq(pn, PaxosPn{1, 1})) fail_msg("node 1's first prepare must be (1,1), got %s", pn_str(pn));
    PaxosLogPromise a = lpromise(pn, {{2, {{1, 0}, "a2"}}, {5, {{1, 0}, "a5"}}});
    PaxosLogPromise b = lpromise(pn, {{1, {{1, 0}, "ignored: below first_slot"}}, {2, {{2, 3}, "b2"}}, {3, {{1, 3}, "b3"}}});
    PaxosLogPromise old = lpromise(PaxosPn{0, 1}, {{4, {{9, 9}, "stale"}}});
    if (paxos_leader_on_promise(l, 0, &a)) fail_msg("1 promise of 5 made a leader");
    if (paxos_leader_on_promise(l, 0, &a)) fail_msg("a duplicated promise from acceptor 0 made a leader (2 messages, 1 acceptor)");
    if (paxos_leader_on_promise(l, 3, &old)) fail_msg("a promise for another proposal %s made a leader", pn_str(old.proposal));
    if (paxos_leader_on_promise(l, 1, &b)) fail_msg("2 promises of 5 made a leader");
    PaxosLogPromise stranger = lpromise(pn, {});
    if (paxos_leader_on_promise(l, 5, &stranger) || paxos_leader_is_leading(l))
        fail_msg("a promise from acceptor 5 (acceptors are 0..4) counted toward the majority");
    if (paxos_leader_is_leading(l)) fail_msg("leading with 2 promises of 5");
    PaxosLogPromise c = lpromise(pn, {});
    if (!paxos_leader_on_promise(l, 4, &c)) fail_msg("the third promise of 5 (acceptors 0, 1, 4) must make a leader (return true)");
    if (!paxos_leader_is_leading(l)) fail_msg("paxos_leader_on_promise returned true but the node does not lead");
    std::string rec = slots_str(paxos_leader_recovery(l));
    if (rec != "2='b2' 3='b3' 4='' 5='a5'")
        fail_msg("phase 1 from slot 2 with reports 2:(1,0)='a2' 2:(2,3)='b2' 3:(1,3)='b3' 5:(1,0)='a5': recovery must be "
                 "2='b2' 3='b3' 4='' 5='a5' (highest-numbered value, a no-op in the hole), got %s", rec.c_str());
    if (paxos_leader_on_promise(l, 2, &c)) fail_msg("a fourth promise returned true again: the node already leads");
    uint64_t s = paxos_leader_propose(l, "next");
    if (s != 6) fail_msg("after recovering slots 2-5, the first new value must go to slot 6, got %llu", (unsigned long long)s);
    paxos_leader_free(l);
}

// R11: a stable leader skips phase 1: consecutive slots, same proposal number, no new prepare.
void test_leader_skips_phase1(void **)
{
    PaxosLeader *l = paxos_leader_new(2, 3);
    PaxosPn pn = paxos_leader_prepare(l, 1);
    PaxosLogPromise e = lpromise(pn, {});
    paxos_leader_on_promise(l, 0, &e);
    if (!paxos_leader_on_promise(l, 2, &e)) fail_msg("2 promises of 3 must make a leader");
    if (!paxos_leader_recovery(l).empty()) fail_msg("no slot reported: recovery must be empty, got %s", slots_str(paxos_leader_recovery(l)).c_str());
    for (uint64_t want = 1; want <= 4; want++) {
        uint64_t s = paxos_leader_propose(l, "v" + std::to_string(want));
        if (s != want) fail_msg("stable leader, proposal %llu: expected slot %llu, got %llu", (unsigned long long)want,
                                (unsigned long long)want, (unsigned long long)s);
        if (!paxos_leader_is_leading(l) || !pn_eq(paxos_leader_pn(l), pn))
            fail_msg("proposing must not start a new phase 1: leading=%d pn %s (expected %s)", paxos_leader_is_leading(l),
                     pn_str(paxos_leader_pn(l)), pn_str(pn));
    }
    paxos_leader_free(l);
    // Half is not a majority: 2 promises of 4 acceptors do not make a leader, a third one does.
    PaxosLeader *h = paxos_leader_new(1, 4);
    PaxosPn hp = paxos_leader_prepare(h, 1);
    PaxosLogPromise he = lpromise(hp, {});
    paxos_leader_on_promise(h, 0, &he);
    if (paxos_leader_on_promise(h, 3, &he) || paxos_leader_is_leading(h) || paxos_leader_propose(h, "x") != 0)
        fail_msg("2 promises of 4 acceptors made node 1 a leader: half is not a majority");
    if (!paxos_leader_on_promise(h, 1, &he) || !paxos_leader_is_leading(h))
        fail_msg("3 promises of 4 acceptors must make a leader");
    paxos_leader_free(h);
}

// R12: a higher proposal deposes the leader; a lower one does not; the next prepare goes above.
void test_leader_steps_down(void **)
{
    PaxosLeader *l = paxos_leader_new(1, 3);
    PaxosPn pn = paxos_leader_prepare(l, 1);
    PaxosLogPromise e = lpromise(pn, {});
    paxos_leader_on_promise(l, 0, &e);
    paxos_leader_on_promise(l, 1, &e);
    paxos_leader_on_reject(l, PaxosPn{0, 2});
    if (!paxos_leader_is_leading(l)) fail_msg("leader with (1,1), a reject naming the lower (0,2) deposed it");
    paxos_leader_on_reject(l, pn);
    if (!paxos_leader_is_leading(l)) fail_msg("leader with (1,1), a reject naming its own (1,1) deposed it");
    paxos_leader_on_reject(l, PaxosPn{4, 0});
    if (paxos_leader_is_leading(l)) fail_msg("leader with (1,1), a reject naming (4,0): it must step down");
    if (paxos_leader_propose(l, "x") != 0) fail_msg("a deposed leader's propose must return 0");
    PaxosPn next = paxos_leader_prepare(l, 1);
    if (!pn_eq(next, PaxosPn{5, 1})) fail_msg("after a reject naming (4,0), node 1's next prepare must be (5,1), got %s", pn_str(next));
    // A nack in phase 1 also ends the attempt.
    PaxosLogPromise nack{false, next, PaxosPn{6, 2}, {}};
    paxos_leader_on_promise(l, 0, &nack);
    PaxosLogPromise ok = lpromise(next, {});
    paxos_leader_on_promise(l, 1, &ok);
    paxos_leader_on_promise(l, 2, &ok);
    if (paxos_leader_is_leading(l)) fail_msg("a nack naming (6,2) arrived during phase 1 of (5,1): late promises must not make a leader");
    PaxosPn after = paxos_leader_prepare(l, 1);
    // A restart in the middle of phase 1 ends it: a late promise must not make a leader.
    PaxosLogPromise early = lpromise(after, {});
    paxos_leader_on_promise(l, 0, &early);
    paxos_leader_restart(l);
    paxos_leader_on_promise(l, 1, &early);
    if (paxos_leader_is_leading(l)) fail_msg("restarted during phase 1 of %s, then a promise for it arrived: the node leads", pn_str(after));
    after = paxos_leader_prepare(l, 1);
    // Restart: leadership is lost, the round is kept.
    PaxosLogPromise ok2 = lpromise(after, {});
    paxos_leader_on_promise(l, 0, &ok2);
    paxos_leader_on_promise(l, 1, &ok2);
    if (!paxos_leader_is_leading(l)) fail_msg("2 promises of 3 for %s must make a leader", pn_str(after));
    paxos_leader_restart(l);
    if (paxos_leader_is_leading(l)) fail_msg("a restarted node must not lead until it runs phase 1 again");
    PaxosPn again = paxos_leader_prepare(l, 1);
    if (paxos_pn_cmp(again, after) <= 0)
        fail_msg("used %s, restarted, then prepared %s: a proposal number must never be reused", pn_str(after), pn_str(again));
    paxos_leader_free(l);
}

// R13: a slot is chosen by a majority of distinct acceptors under one proposal; applied in order.
void test_replica_majority_per_slot(void **)
{
    PaxosReplica *r = paxos_replica_new(0, 5);
    std::string v;
    bool got = paxos_replica_on_accepted(r, 0, 1, PaxosPn{1, 1}, "a");
    got = paxos_replica_on_accepted(r, 0, 1, PaxosPn{1, 1}, "a") || got;
    got = paxos_replica_on_accepted(r, 0, 1, PaxosPn{1, 1}, "a") || got;
    if (got || paxos_replica_chosen(r, 1, &v)) fail_msg("3 Accepted for slot 1 all from acceptor 0 made it chosen (5 acceptors)");
    paxos_replica_on_accepted(r, 1, 1, PaxosPn{2, 2}, "a");
    paxos_replica_on_accepted(r, 2, 2, PaxosPn{1, 1}, "a");
    if (paxos_replica_chosen(r, 1, &v))
        fail_msg("slot 1: acceptor 0 under (1,1), acceptor 1 under (2,2), acceptor 2 at another slot: not chosen, got '%s'", v.c_str());
    if (paxos_replica_on_accepted(r, 7, 1, PaxosPn{1, 1}, "a")) fail_msg("an Accepted from acceptor 7 (acceptors are 0..4) counted");
    paxos_replica_on_accepted(r, 5, 1, PaxosPn{2, 2}, "a");
    if (paxos_replica_on_accepted(r, 3, 1, PaxosPn{2, 2}, "a") || paxos_replica_chosen(r, 1, &v))
        fail_msg("slot 1: acceptors 1 and 3 of 0..4 under (2,2), plus an Accepted from acceptor 5 (not one): it became chosen");
    if (!paxos_replica_on_accepted(r, 4, 1, PaxosPn{2, 2}, "a"))
        fail_msg("slot 1: acceptors 1, 3, 4 of 5 accepted (2,2)='a': on_accepted must return true (newly chosen)");
    if (!paxos_replica_chosen(r, 1, &v) || v != "a") fail_msg("slot 1 chosen as 'a' expected, got '%s'", v.c_str());
    if (paxos_replica_on_accepted(r, 0, 1, PaxosPn{2, 2}, "a")) fail_msg("slot 1 already chosen: on_accepted returned true again");
    // A chosen slot never changes, whatever is said later.
    paxos_replica_on_chosen(r, 1, "other");
    if (!paxos_replica_chosen(r, 1, &v) || v != "a") fail_msg("slot 1 chosen 'a', then on_chosen(1, 'other'): it now holds '%s'", v.c_str());
    paxos_replica_on_chosen(r, 0, "zero");
    if (paxos_replica_chosen(r, 0, &v)) fail_msg("on_chosen at slot 0 (slots start at 1) was stored");
    // One leader uses one proposal number for many slots: acceptances of slot 7 and slot 8 under
    // (5,5) must not add up.
    paxos_replica_on_accepted(r, 0, 7, PaxosPn{5, 5}, "s7");
    paxos_replica_on_accepted(r, 1, 7, PaxosPn{5, 5}, "s7");
    if (paxos_replica_on_accepted(r, 2, 8, PaxosPn{5, 5}, "s8") || paxos_replica_chosen(r, 8, &v))
        fail_msg("acceptors 0, 1 accepted slot 7 and acceptor 2 slot 8, all under (5,5): slot 8 became chosen with one acceptor");
    if (paxos_replica_chosen(r, 7, &v)) fail_msg("2 of 5 acceptors accepted slot 7: it must not be chosen, got '%s'", v.c_str());
    paxos_replica_free(r);
    // Exactly at the limit with 4 acceptors: 2 is not a majority, 3 is.
    PaxosReplica *q = paxos_replica_new(1, 4);
    paxos_replica_on_accepted(q, 0, 5, PaxosPn{3, 0}, "b");
    paxos_replica_on_accepted(q, 1, 5, PaxosPn{3, 0}, "b");
    if (paxos_replica_chosen(q, 5, &v)) fail_msg("2 of 4 acceptors accepted slot 5: half is not a majority");
    paxos_replica_on_accepted(q, 2, 5, PaxosPn{3, 0}, "b");
    if (!paxos_replica_chosen(q, 5, &v) || v != "b") fail_msg("3 of 4 acceptors accepted slot 5 = 'b': expected chosen 'b'");
    paxos_replica_free(q);
}

// R13: apply hands out chosen slots from the last applied one, in order, stopping at a hole.
void test_replica_in_order(void **)
{
    PaxosReplica *r = paxos_replica_new(0, 3);
    paxos_replica_on_chosen(r, 2, "b");
    paxos_replica_on_chosen(r, 3, "c");
    std::string got = slots_str(paxos_replica_apply(r));
    if (got != "(none)") fail_msg("slots 2 and 3 chosen, slot 1 not: apply must return nothing, got %s", got.c_str());
    if (paxos_replica_applied(r) != 0) fail_msg("nothing applied yet, paxos_replica_applied = %llu", (unsigned long long)paxos_replica_applied(r));
    paxos_replica_on_accepted(r, 0, 1, PaxosPn{1, 0}, "a");
    paxos_replica_on_accepted(r, 2, 1, PaxosPn{1, 0}, "a");
    paxos_replica_on_chosen(r, 5, "e");
    got = slots_str(paxos_replica_apply(r));
    if (got != "1='a' 2='b' 3='c'") fail_msg("slots 1, 2, 3, 5 chosen: apply must return 1='a' 2='b' 3='c', got %s", got.c_str());
    if (paxos_replica_applied(r) != 3) fail_msg("after applying 1-3, paxos_replica_applied = %llu (expected 3)", (unsigned long long)paxos_replica_applied(r));
    got = slots_str(paxos_replica_apply(r));
    if (got != "(none)") fail_msg("apply again with slot 4 missing: expected nothing, got %s", got.c_str());
    paxos_replica_on_chosen(r, 4, PAXOS_NOOP);
    got = slots_str(paxos_replica_apply(r));
    if (got != "4='' 5='e'") fail_msg("slot 4 chosen as a no-op: apply must return 4='' 5='e', got %s", got.c_str());
    paxos_replica_free(r);
}
