// test_bft_seed.cpp — the seed's seven tests, translated (EX24 ByzantineFaultTolerance).
#include "bft_test_util.h"

void test_bft_requirement(void **)
{
    uint32_t want[] = {4, 7, 10};
    for (uint32_t f = 1; f <= 3; f++)
        if (bft_minimum_nodes_for_faults(f) != want[f - 1])
            fail_msg("minimum_nodes_for_faults(%u): expected %u (3f+1), got %u", f, want[f - 1], bft_minimum_nodes_for_faults(f));
    if (bft_max_faults_for_nodes(4) != 1) fail_msg("max_faults_for_nodes(4): expected 1, got %u", bft_max_faults_for_nodes(4));
    if (bft_max_faults_for_nodes(7) != 2) fail_msg("max_faults_for_nodes(7): expected 2, got %u", bft_max_faults_for_nodes(7));
}

void test_pbft_quorum(void **)
{
    if (bft_quorum_size(4) != 3) fail_msg("quorum_size(4): expected 3 (2f+1), got %u", bft_quorum_size(4));
    if (bft_quorum_size(7) != 5) fail_msg("quorum_size(7): expected 5 (2f+1), got %u", bft_quorum_size(7));
}

void test_pbft_primary(void **)
{
    BftReplica *r0 = new_replica(0, 4), *r1 = new_replica(1, 4);
    if (!bft_is_primary(r0)) fail_msg("replica 0 of 4 in view 0: expected primary, is not");
    if (bft_is_primary(r1)) fail_msg("replica 1 of 4 in view 0: expected backup, claims to be primary");
    if (bft_view(r0) != 0 || bft_last_executed(r0) != 0 || bft_in_view_change(r0))
        fail_msg("a new replica: expected view 0, nothing executed, not changing views; got view %llu, last executed %llu",
                 (unsigned long long)bft_view(r0), (unsigned long long)bft_last_executed(r0));
    bft_free(r0);
    bft_free(r1);
}

void test_view_change(void **)
{
    BftViewChangeVotes vc;
    bft_vcm_init(&vc, 3);
    bft_vcm_request(&vc, 1, 0);
    bft_vcm_request(&vc, 1, 1);
    if (bft_vcm_is_complete(&vc, 1)) fail_msg("2 votes for view 1 with quorum 3: expected incomplete, got complete");
    bft_vcm_request(&vc, 1, 2);
    if (!bft_vcm_is_complete(&vc, 1)) fail_msg("3 votes for view 1 with quorum 3: expected complete, got incomplete");
    if (!bft_vcm_complete(&vc, 1)) fail_msg("complete_view_change(1) after 3 votes: expected true, got false");
    if (vc.current_view != 1) fail_msg("after completing view 1: expected current_view 1, got %llu", (unsigned long long)vc.current_view);
}

void test_hotstuff_complexity(void **)
{
    const char *h = bft_hotstuff_message_complexity();
    if (!h || strcmp(h, "O(n) - linear complexity using threshold signatures") != 0)
        fail_msg("hotstuff complexity: expected \"O(n) - linear complexity using threshold signatures\", got \"%s\"", h ? h : "(null)");
    char buf[80];
    int len = bft_pbft_message_complexity(4, buf, sizeof buf);
    if (strcmp(buf, "O(n^2) = O(16) messages per request") != 0 || len != (int)strlen(buf))
        fail_msg("pbft complexity for n=4: expected \"O(n^2) = O(16) messages per request\" (length returned), got \"%s\" (%d)", buf, len);
    bft_pbft_message_complexity(7, buf, sizeof buf);
    if (strcmp(buf, "O(n^2) = O(49) messages per request") != 0)
        fail_msg("pbft complexity for n=7: expected \"O(n^2) = O(49) messages per request\", got \"%s\"", buf);
    char small[8];
    len = bft_pbft_message_complexity(4, small, sizeof small);
    if (len != 35 || strcmp(small, "O(n^2) ") != 0)
        fail_msg("pbft complexity into 8 bytes: expected \"O(n^2) \" and 35 returned (like snprintf), got \"%s\" and %d", small, len);
}

void test_tendermint_rounds(void **)
{
    TendermintReplica t;
    tendermint_init(&t, 0);
    if (t.round != 0 || t.height != 0 || t.phase != TM_PROPOSE) fail_msg("a new Tendermint replica: expected height 0 round 0 Propose");
    tendermint_advance_round(&t);
    if (t.round != 1 || t.phase != TM_PROPOSE) fail_msg("after advance_round: expected round 1, Propose; got round %u phase %d", t.round, t.phase);
    tendermint_commit(&t, "\x01\x02\x03");
    if (t.height != 1 || t.round != 0 || t.phase != TM_PROPOSE)
        fail_msg("after commit: expected height 1, round 0, Propose; got height %llu round %u phase %d",
                 (unsigned long long)t.height, t.round, t.phase);
    if (t.decided.size() != 1 || t.decided[0] != "\x01\x02\x03") fail_msg("after commit of {1,2,3}: expected decided[0] = {1,2,3}");
}

void test_rust_bft_crates(void **)
{
    // The seed's Themis(validators 0..3): in C++, a replica built over a validator set of 4 keys.
    BftReplica *r = new_replica(0, 4);
    if (bft_replica_count(r) != 4 || bft_replica_faults(r) != 1)
        fail_msg("a replica over 4 validators: expected 4 replicas tolerating 1 fault, got %u and %u",
                 bft_replica_count(r), bft_replica_faults(r));
    bft_free(r);
}
