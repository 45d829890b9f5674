// test_paxos_basic.cpp — one test per rule of Basic Paxos (README rules R1-R9), each putting a role
// by hand in the situation where a wrong rule shows, and checking the state after refused calls.
#include "paxos_test_util.h"

static PaxosAcceptor fresh_acceptor(uint64_t id)
{
    PaxosAcceptor a;
    paxos_acceptor_init(&a, id);
    return a;
}

// R1: round first, proposer id breaks ties, equal only when both are equal.
void test_pn_order_full(void **)
{
    struct Case {
        PaxosPn a, b;
        int sign;
    } cases[] = {
        {{1, 9}, {2, 0}, -1}, {{2, 0}, {1, 9}, 1}, {{3, 1}, {3, 2}, -1}, {{3, 2}, {3, 1}, 1},
        {{4, 4}, {4, 4}, 0},  {{0, 0}, {1, 0}, -1}, {{5, 0}, {4, UINT64_MAX}, 1},
    };
    for (const Case &c : cases) {
        int got = paxos_pn_cmp(c.a, c.b);
        int sign = got < 0 ? -1 : got > 0 ? 1 : 0;
        if (sign != c.sign)
            fail_msg("paxos_pn_cmp(%s, %s) = %d: expected %s", pn_str(c.a), pn_str(c.b), got,
                     c.sign < 0 ? "< 0" : c.sign > 0 ? "> 0" : "0");
    }
}

// R2: a repeat of the promised proposal is promised again; a promise reports what was accepted;
// a nack changes nothing.
void test_prepare_repeat_and_report(void **)
{
    PaxosAcceptor a = fresh_acceptor(1);
    paxos_acceptor_receive_prepare(&a, PaxosPn{3, 1});
    PaxosPhase1Msg again = paxos_acceptor_receive_prepare(&a, PaxosPn{3, 1});
    if (again.kind != PAXOS_PROMISE)
        fail_msg("prepare (3,1) twice (a duplicated message): the second must get PROMISE again, got %s", kind_str(again.kind));
    paxos_acceptor_receive_accept(&a, PaxosPn{3, 1}, "x");
    PaxosPhase1Msg r = paxos_acceptor_receive_prepare(&a, PaxosPn{4, 2});
    if (r.kind != PAXOS_PROMISE || !r.has_accepted || !pn_eq(r.accepted_pn, PaxosPn{3, 1}) || r.accepted_value != "x")
        fail_msg("after accepting (3,1)='x', prepare (4,2): expected PROMISE reporting (3,1)='x', got %s has_accepted=%d %s='%s'",
                 kind_str(r.kind), r.has_accepted, pn_str(r.accepted_pn), r.accepted_value.c_str());
    if (!a.has_promised || !pn_eq(a.promised, PaxosPn{4, 2}))
        fail_msg("after promising (4,2) the acceptor's promised field is %s (expected (4,2))", pn_str(a.promised));
    PaxosPhase1Msg n = paxos_acceptor_receive_prepare(&a, PaxosPn{4, 1});
    if (n.kind != PAXOS_NACK || !pn_eq(n.highest_seen, PaxosPn{4, 2}))
        fail_msg("promised (4,2), prepare (4,1): expected NACK with highest_seen (4,2), got %s %s", kind_str(n.kind),
                 pn_str(n.highest_seen));
    if (!pn_eq(a.promised, PaxosPn{4, 2}) || !pn_eq(a.accepted_pn, PaxosPn{3, 1}) || a.accepted_value != "x")
        fail_msg("a refused prepare changed the acceptor: promised %s, accepted %s='%s' (expected (4,2), (3,1)='x')",
                 pn_str(a.promised), pn_str(a.accepted_pn), a.accepted_value.c_str());
}

// R3: accept when not below the promise (and promise it), else REJECTED with the promise, unchanged.
void test_accept_rules(void **)
{
    PaxosAcceptor a = fresh_acceptor(0);
    paxos_acceptor_receive_prepare(&a, PaxosPn{2, 1});
    PaxosPhase2Msg eq = paxos_acceptor_receive_accept(&a, PaxosPn{2, 1}, "a");
    if (eq.kind != PAXOS_ACCEPTED || eq.value != "a")
        fail_msg("promised (2,1), accept (2,1)='a': expected ACCEPTED 'a', got %s '%s'", kind_str(eq.kind), eq.value.c_str());
    PaxosPhase2Msg low = paxos_acceptor_receive_accept(&a, PaxosPn{2, 0}, "b");
    if (low.kind != PAXOS_REJECTED || !pn_eq(low.highest_seen, PaxosPn{2, 1}))
        fail_msg("promised (2,1), accept (2,0)='b': expected REJECTED with highest_seen (2,1), got %s %s", kind_str(low.kind),
                 pn_str(low.highest_seen));
    if (!a.has_accepted || !pn_eq(a.accepted_pn, PaxosPn{2, 1}) || a.accepted_value != "a")
        fail_msg("a rejected accept changed what was accepted: %s='%s' (expected (2,1)='a')", pn_str(a.accepted_pn),
                 a.accepted_value.c_str());
    // An accept above the promise, with no prepare of its own, is accepted and promised.
    PaxosPhase2Msg hi = paxos_acceptor_receive_accept(&a, PaxosPn{5, 3}, "c");
    if (hi.kind != PAXOS_ACCEPTED) fail_msg("promised (2,1), accept (5,3)='c': expected ACCEPTED, got %s", kind_str(hi.kind));
    if (!pn_eq(a.promised, PaxosPn{5, 3}) || !pn_eq(a.accepted_pn, PaxosPn{5, 3}) || a.accepted_value != "c")
        fail_msg("after accepting (5,3)='c': promised %s, accepted %s='%s' (expected (5,3) and (5,3)='c')",
                 pn_str(a.promised), pn_str(a.accepted_pn), a.accepted_value.c_str());
    PaxosPhase1Msg p = paxos_acceptor_receive_prepare(&a, PaxosPn{4, 9});
    if (p.kind != PAXOS_NACK) fail_msg("accepted (5,3), prepare (4,9): expected NACK, got %s (accepting is promising)", kind_str(p.kind));
    // A fresh acceptor accepts directly.
    PaxosAcceptor b = fresh_acceptor(1);
    PaxosPhase2Msg f = paxos_acceptor_receive_accept(&b, PaxosPn{1, 0}, "d");
    if (f.kind != PAXOS_ACCEPTED) fail_msg("fresh acceptor, accept (1,0)='d': expected ACCEPTED, got %s", kind_str(f.kind));
}

// R4: each prepare goes above every round used or seen in a nack.
void test_prepare_round_above_nack(void **)
{
    PaxosProposer *p = paxos_proposer_new(2);
    PaxosPhase1Msg a = paxos_proposer_prepare(p);
    if (a.kind != PAXOS_PREPARE || !pn_eq(a.proposal, PaxosPn{1, 2}))
        fail_msg("proposer 2, first prepare: expected PREPARE (1,2), got %s %s", kind_str(a.kind), pn_str(a.proposal));
    PaxosPhase1Msg b = paxos_proposer_prepare(p);
    if (!pn_eq(b.proposal, PaxosPn{2, 2})) fail_msg("proposer 2, second prepare: expected (2,2), got %s", pn_str(b.proposal));
    PaxosPhase1Msg nack = nack_msg(PaxosPn{2, 2}, PaxosPn{7, 4});
    paxos_proposer_receive_promise(p, 0, &nack);
    PaxosPhase1Msg c = paxos_proposer_prepare(p);
    if (!pn_eq(c.proposal, PaxosPn{8, 2}))
        fail_msg("after a nack naming (7,4), the next prepare of proposer 2 must be (8,2), got %s", pn_str(c.proposal));
    // A nack for a lower round than ours does not pull the round down.
    PaxosPhase1Msg low = nack_msg(PaxosPn{8, 2}, PaxosPn{3, 1});
    paxos_proposer_receive_promise(p, 1, &low);
    PaxosPhase1Msg d = paxos_proposer_prepare(p);
    if (!pn_eq(d.proposal, PaxosPn{9, 2})) fail_msg("after (8,2) and a nack naming (3,1), expected (9,2), got %s", pn_str(d.proposal));
    if (!pn_eq(paxos_proposer_current(p), PaxosPn{9, 2}))
        fail_msg("paxos_proposer_current after prepare (9,2) returned %s", pn_str(paxos_proposer_current(p)));
    paxos_proposer_free(p);
}

// R5: one promise per acceptor, for the current proposal only; a strict majority of total.
void test_promise_quorum_counting(void **)
{
    PaxosProposer *p = paxos_proposer_new(1);
    PaxosPn old = paxos_proposer_prepare(p).proposal;
    PaxosPn cur = paxos_proposer_prepare(p).proposal;
    PaxosPhase1Msg late = promise_msg(old);
    paxos_proposer_receive_promise(p, 0, &late);
    paxos_proposer_receive_promise(p, 1, &late);
    paxos_proposer_receive_promise(p, 2, &late);
    if (paxos_proposer_has_promise_quorum(p, 5))
        fail_msg("3 promises for the old proposal %s count toward %s: only promises for the current one count",
                 pn_str(old), pn_str(cur));
    // Other kinds of message naming the current proposal are not promises.
    PaxosPhase1Msg prep{PAXOS_PREPARE, cur, false, {0, 0}, {}, {0, 0}};
    PaxosPhase1Msg nack = nack_msg(cur, cur);
    paxos_proposer_receive_promise(p, 0, &prep);
    paxos_proposer_receive_promise(p, 1, &prep);
    paxos_proposer_receive_promise(p, 2, &nack);
    if (paxos_proposer_has_promise_quorum(p, 3))
        fail_msg("a PREPARE from acceptors 0 and 1 and a NACK from 2, all naming %s, made a quorum of 3: only PROMISE counts",
                 pn_str(cur));
    PaxosPhase1Msg ok = promise_msg(cur);
    paxos_proposer_receive_promise(p, 0, &ok);
    paxos_proposer_receive_promise(p, 1, &ok);
    paxos_proposer_receive_promise(p, 1, &ok); // duplicated
    paxos_proposer_receive_promise(p, 1, &ok);
    if (paxos_proposer_has_promise_quorum(p, 5))
        fail_msg("promises from acceptors 0, 1, 1, 1 (duplicates) make a quorum of 5: two acceptors are not a majority");
    if (paxos_proposer_has_promise_quorum(p, 4)) fail_msg("2 promises of 4 acceptors make a quorum: half is not a majority");
    if (!paxos_proposer_has_promise_quorum(p, 3)) fail_msg("2 promises of 3 acceptors must be a quorum");
    paxos_proposer_receive_promise(p, 4, &ok);
    if (!paxos_proposer_has_promise_quorum(p, 5)) fail_msg("promises from acceptors 0, 1, 4 of 5 must be a quorum");
    if (paxos_proposer_has_promise_quorum(p, 6)) fail_msg("3 promises of 6 acceptors make a quorum: half is not a majority");
    // A new round forgets the promises of the previous one.
    paxos_proposer_prepare(p);
    if (paxos_proposer_has_promise_quorum(p, 3)) fail_msg("a new prepare must start with no promises, yet it has a quorum of 3");
    paxos_proposer_free(p);
}

// R6: phase 2 carries the value of the highest-numbered accepted proposal among the promises.
void test_adopts_highest_accepted(void **)
{
    PaxosProposer *p = paxos_proposer_new(3);
    for (int i = 0; i < 5; i++) paxos_proposer_prepare(p);
    PaxosPn cur = paxos_proposer_current(p);
    PaxosPhase1Msg none = promise_msg(cur);
    paxos_proposer_receive_promise(p, 0, &none);
    PaxosPhase2Msg own = paxos_proposer_accept(p, "mine");
    if (own.kind != PAXOS_ACCEPT || !pn_eq(own.proposal, cur) || own.value != "mine")
        fail_msg("promises carrying nothing accepted: expected ACCEPT %s 'mine', got %s %s '%s'", pn_str(cur),
                 kind_str(own.kind), pn_str(own.proposal), own.value.c_str());
    PaxosPhase1Msg a = promise_with(cur, PaxosPn{2, 1}, "older");
    PaxosPhase1Msg b = promise_with(cur, PaxosPn{4, 0}, "newest");
    PaxosPhase1Msg c = promise_with(cur, PaxosPn{3, 9}, "middle");
    paxos_proposer_receive_promise(p, 1, &a);
    paxos_proposer_receive_promise(p, 2, &b);
    paxos_proposer_receive_promise(p, 3, &c);
    PaxosPhase2Msg m = paxos_proposer_accept(p, "mine");
    if (m.value != "newest")
        fail_msg("promises reported (2,1)='older', (4,0)='newest', (3,9)='middle': phase 2 must carry 'newest', got '%s'",
                 m.value.c_str());
    paxos_proposer_free(p);
}

// R7: a restarted proposer never reuses a proposal number.
void test_proposer_restart_keeps_round(void **)
{
    PaxosProposer *p = paxos_proposer_new(4);
    paxos_proposer_prepare(p);
    paxos_proposer_prepare(p);
    PaxosPn before = paxos_proposer_prepare(p).proposal; // (3,4)
    PaxosPhase1Msg ok = promise_msg(before);
    paxos_proposer_receive_promise(p, 0, &ok);
    paxos_proposer_receive_promise(p, 1, &ok);
    paxos_proposer_restart(p);
    if (paxos_proposer_has_promise_quorum(p, 3)) fail_msg("after a restart the promises of %s are still counted", pn_str(before));
    PaxosPn after = paxos_proposer_prepare(p).proposal;
    if (paxos_pn_cmp(after, before) <= 0)
        fail_msg("used %s, restarted, then prepared %s: a restarted proposer must go above what it used", pn_str(before),
                 pn_str(after));
    paxos_proposer_free(p);
}

// R8: learned when a strict majority of distinct acceptors accepted one proposal.
void test_learner_majority_distinct(void **)
{
    PaxosLearner *l = paxos_learner_new(0);
    std::string v = "unset";
    paxos_learner_learn(l, PaxosPn{1, 1}, "a", 0);
    paxos_learner_learn(l, PaxosPn{1, 1}, "a", 0);
    paxos_learner_learn(l, PaxosPn{1, 1}, "a", 0);
    if (paxos_learner_learned_value(l, 5, &v))
        fail_msg("three Accepted (1,1)='a' all from acceptor 0 (duplicates) made 'a' learned with 5 acceptors");
    paxos_learner_learn(l, PaxosPn{2, 2}, "a", 1);
    paxos_learner_learn(l, PaxosPn{3, 3}, "a", 2);
    if (paxos_learner_learned_value(l, 5, &v))
        fail_msg("acceptors 0, 1, 2 accepted 'a' under three different proposals: nothing is chosen yet, got '%s'", v.c_str());
    paxos_learner_learn(l, PaxosPn{1, 1}, "a", 1);
    if (paxos_learner_learned_value(l, 4, &v))
        fail_msg("2 of 4 acceptors accepted (1,1)='a': half is not a majority, yet the learner learned '%s'", v.c_str());
    paxos_learner_learn(l, PaxosPn{1, 1}, "a", 3);
    if (!paxos_learner_learned_value(l, 5, &v) || v != "a")
        fail_msg("acceptors 0, 1, 3 of 5 accepted (1,1)='a': expected learned 'a', got %s", v.c_str());
    PaxosLearner *m = paxos_learner_new(1);
    paxos_learner_learn(m, PaxosPn{7, 0}, "z", 4);
    paxos_learner_learn(m, PaxosPn{7, 0}, "z", 2);
    if (!paxos_learner_learned_value(m, 3, &v) || v != "z")
        fail_msg("acceptors 4 and 2 of 3 accepted (7,0)='z': expected learned 'z', got %s", v.c_str());
    paxos_learner_free(l);
    paxos_learner_free(m);
}

// R9: CONFLICT names the highest promise met; the next propose goes above it and succeeds.
void test_instance_conflict_then_retry(void **)
{
    PaxosInstance *inst = paxos_instance_new(1, 3, 2);
    for (uint64_t id = 0; id < 3; id++) paxos_acceptor_receive_prepare(paxos_instance_acceptor(inst, id), PaxosPn{id + 4, 9});
    PaxosResult r = paxos_propose(inst, "v");
    if (r.kind != PAXOS_CONFLICT || !pn_eq(r.conflict, PaxosPn{6, 9}))
        fail_msg("acceptors promised (4,9), (5,9), (6,9): propose must return CONFLICT (6,9), got %s %s", result_str(r.kind),
                 pn_str(r.conflict));
    if (paxos_instance_acceptor(inst, 0)->has_accepted) fail_msg("a refused round made acceptor 0 accept something");
    PaxosResult again = paxos_propose(inst, "v");
    if (again.kind != PAXOS_CHOSEN || again.value != "v")
        fail_msg("second propose after CONFLICT (6,9): expected CHOSEN 'v', got %s '%s'", result_str(again.kind),
                 again.value.c_str());
    PaxosAcceptor *a = paxos_instance_acceptor(inst, 2);
    if (!pn_eq(a->accepted_pn, PaxosPn{7, 1}))
        fail_msg("the retry must use the first round above (6,9), i.e. (7,1); acceptor 2 accepted %s", pn_str(a->accepted_pn));
    std::string l1;
    if (!paxos_instance_learned(inst, 1, &l1) || l1 != "v") fail_msg("learner 1 of 2 did not learn 'v' (got '%s')", l1.c_str());
    paxos_instance_free(inst);
}

// R9 with R6: a value accepted before is carried on; once chosen, it stays chosen.
void test_instance_adopts_previous_value(void **)
{
    // Proposer 9's first proposal (1,9) is above (1,7): acceptor 1 promises and reports 'old'.
    PaxosInstance *inst = paxos_instance_new(9, 5, 1);
    paxos_acceptor_receive_accept(paxos_instance_acceptor(inst, 1), PaxosPn{1, 7}, "old");
    PaxosResult r = paxos_propose(inst, "new");
    if (r.kind != PAXOS_CHOSEN || r.value != "old")
        fail_msg("acceptor 1 had accepted (1,7)='old'; propose(\"new\") must choose 'old', got %s '%s'", result_str(r.kind),
                 r.value.c_str());
    PaxosResult r2 = paxos_propose(inst, "other");
    if (r2.kind != PAXOS_CHOSEN || r2.value != "old")
        fail_msg("'old' was chosen; propose(\"other\") must return CHOSEN 'old' again, got %s '%s'", result_str(r2.kind),
                 r2.value.c_str());
    paxos_instance_free(inst);
}

// R9: acceptor ids are 0..n-1; bad arguments are refused; a failed acceptor answers nothing.
void test_instance_ids_and_errors(void **)
{
    if (paxos_instance_new(0, 0, 1)) fail_msg("paxos_instance_new with 0 acceptors must return NULL");
    if (paxos_instance_new(0, 3, 0)) fail_msg("paxos_instance_new with 0 learners must return NULL");
    paxos_instance_free(nullptr); // like free(NULL): nothing happens
    PaxosInstance *inst = paxos_instance_new(0, 4, 1);
    if (paxos_fail_acceptor(inst, 4) != -1) fail_msg("paxos_fail_acceptor(4) with acceptors 0..3 must return -1");
    if (paxos_instance_acceptor(inst, 4)) fail_msg("paxos_instance_acceptor(4) with acceptors 0..3 must return NULL");
    if (!paxos_instance_acceptor(inst, 3) || paxos_instance_acceptor(inst, 3)->id != 3)
        fail_msg("paxos_instance_acceptor(3) must be the acceptor with id 3");
    if (paxos_fail_acceptor(inst, 0) != 0) fail_msg("paxos_fail_acceptor(0) with acceptors 0..3 must return 0");
    PaxosResult r = paxos_propose(inst, "x");
    if (r.kind != PAXOS_CHOSEN || r.value != "x")
        fail_msg("3 of 4 acceptors alive: expected CHOSEN 'x', got %s '%s'", result_str(r.kind), r.value.c_str());
    if (paxos_instance_acceptor(inst, 0)->has_promised) fail_msg("failed acceptor 0 received the prepare");
    if (!paxos_instance_acceptor(inst, 3)->has_accepted) fail_msg("live acceptor 3 did not accept 'x'");
    std::string v;
    if (paxos_instance_learned(inst, 1, &v)) fail_msg("paxos_instance_learned(1) with 1 learner (id 0) must return false");
    if (paxos_fail_acceptor(inst, 1) != 0) fail_msg("paxos_fail_acceptor(1) must return 0");
    PaxosResult r2 = paxos_propose(inst, "y");
    if (r2.kind != PAXOS_NO_QUORUM)
        fail_msg("2 of 4 acceptors alive (half is not a majority): expected NO_QUORUM, got %s", result_str(r2.kind));
    paxos_instance_free(inst);
}
