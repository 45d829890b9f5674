// test_paxos_seed.cpp — the seed's six tests, translated; test_consensus_reached also checks that
// the value chosen is the one proposed (the seed only checked "Chosen(_)").
#include "paxos_test_util.h"

void test_proposal_ordering(void **)
{
    PaxosPn p1{1, 0}, p2{2, 0};
    int c = paxos_pn_cmp(p1, p2);
    if (c >= 0) fail_msg("paxos_pn_cmp((1,0), (2,0)) = %d: a lower round must order first (expected < 0)", c);
}

void test_acceptor_promise(void **)
{
    PaxosAcceptor acc;
    paxos_acceptor_init(&acc, 0);
    PaxosPhase1Msg r = paxos_acceptor_receive_prepare(&acc, PaxosPn{1, 0});
    if (r.kind != PAXOS_PROMISE) fail_msg("fresh acceptor, prepare (1,0): expected PROMISE, got %s", kind_str(r.kind));
    if (!pn_eq(r.proposal, PaxosPn{1, 0})) fail_msg("the promise must name (1,0), it names %s", pn_str(r.proposal));
    if (r.has_accepted) fail_msg("a fresh acceptor's promise reports an accepted value ('%s')", r.accepted_value.c_str());
}

void test_acceptor_nack_lower(void **)
{
    PaxosAcceptor acc;
    paxos_acceptor_init(&acc, 0);
    paxos_acceptor_receive_prepare(&acc, PaxosPn{2, 0});
    PaxosPhase1Msg r = paxos_acceptor_receive_prepare(&acc, PaxosPn{1, 0});
    if (r.kind != PAXOS_NACK) fail_msg("after prepare (2,0), prepare (1,0): expected NACK, got %s", kind_str(r.kind));
    if (!pn_eq(r.highest_seen, PaxosPn{2, 0}))
        fail_msg("the nack must carry the promised (2,0) as highest_seen, it carries %s", pn_str(r.highest_seen));
}

void test_consensus_reached(void **)
{
    PaxosInstance *inst = paxos_instance_new(0, 5, 1);
    if (!inst) fail_msg("paxos_instance_new(0, 5, 1) returned NULL");
    PaxosResult r = paxos_propose(inst, "val");
    if (r.kind != PAXOS_CHOSEN) fail_msg("5 live acceptors, propose(\"val\"): expected CHOSEN, got %s", result_str(r.kind));
    if (r.value != "val") fail_msg("propose(\"val\") on a fresh instance chose '%s' (expected 'val')", r.value.c_str());
    std::string learned;
    if (!paxos_instance_learned(inst, 0, &learned) || learned != "val")
        fail_msg("after CHOSEN 'val', learner 0 must have learned 'val' (learned: %s)", learned.c_str());
    paxos_instance_free(inst);
}

void test_minority_failure_ok(void **)
{
    PaxosInstance *inst = paxos_instance_new(0, 5, 1);
    if (!inst) fail_msg("paxos_instance_new(0, 5, 1) returned NULL");
    if (paxos_fail_acceptor(inst, 3) != 0 || paxos_fail_acceptor(inst, 4) != 0)
        fail_msg("paxos_fail_acceptor(3) and (4) of 5 acceptors must return 0");
    PaxosResult r = paxos_propose(inst, "val");
    if (r.kind != PAXOS_CHOSEN || r.value != "val")
        fail_msg("acceptors 3 and 4 failed, propose(\"val\"): expected CHOSEN 'val', got %s '%s'", result_str(r.kind),
                 r.value.c_str());
    paxos_instance_free(inst);
}

void test_majority_failure_no_quorum(void **)
{
    PaxosInstance *inst = paxos_instance_new(0, 5, 1);
    if (!inst) fail_msg("paxos_instance_new(0, 5, 1) returned NULL");
    for (uint64_t id = 2; id <= 4; id++)
        if (paxos_fail_acceptor(inst, id) != 0) fail_msg("paxos_fail_acceptor(%llu) of 5 must return 0", (unsigned long long)id);
    PaxosResult r = paxos_propose(inst, "val");
    if (r.kind != PAXOS_NO_QUORUM)
        fail_msg("acceptors 2, 3, 4 of 5 failed, propose(\"val\"): expected NO_QUORUM (2 < 3), got %s", result_str(r.kind));
    std::string learned;
    if (paxos_instance_learned(inst, 0, &learned))
        fail_msg("with 2 of 5 acceptors alive the learner learned '%s'", learned.c_str());
    paxos_instance_free(inst);
}
