// main.cpp — the EX12 PaxosEngine suite: the seed's tests, the rule tests, the simulated properties.
#include "nl_test.h"

#define PAXOS_TESTS(X)                                                                                   \
    X(test_proposal_ordering) X(test_acceptor_promise) X(test_acceptor_nack_lower) X(test_consensus_reached) \
    X(test_minority_failure_ok) X(test_majority_failure_no_quorum) X(test_pn_order_full)                 \
    X(test_prepare_repeat_and_report) X(test_accept_rules) X(test_prepare_round_above_nack)              \
    X(test_promise_quorum_counting) X(test_adopts_highest_accepted) X(test_proposer_restart_keeps_round) \
    X(test_learner_majority_distinct) X(test_instance_conflict_then_retry)                               \
    X(test_instance_adopts_previous_value) X(test_instance_ids_and_errors) X(test_log_acceptor_rules)    \
    X(test_leader_recovery) X(test_leader_skips_phase1) X(test_leader_steps_down)                        \
    X(test_replica_majority_per_slot) X(test_replica_in_order) X(test_prop_agreement) X(test_prop_validity) \
    X(test_prop_learners) X(test_prop_progress) X(test_diff_basic_roles) X(test_diff_multi_roles)

#define DECLARE(name) void name(void **);
PAXOS_TESTS(DECLARE)
#define ENTRY(name) cmocka_unit_test(name),
static const struct CMUnitTest tests[] = {PAXOS_TESTS(ENTRY)};

NL_TEST_MAIN("ex12_paxos", tests)
