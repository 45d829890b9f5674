// main.cpp — the EX27 RaftConsensusDeep suite: the seed's tests, the rule tests, the simulated
// properties (see rd_cluster.cpp).
#include "nl_test.h"

#define RD_TESTS(X)                                                                                        \
    X(test_leader_election) X(test_request_vote_rpc) X(test_vote_rules) X(test_majority_wins)              \
    X(test_append_entries_rpc) X(test_log_entry) X(test_log_repair) X(test_membership_changes)             \
    X(test_log_compaction) X(test_raft_vs_paxos)                                                            \
    X(test_options_rejected) X(test_election_timeout_range) X(test_one_vote_per_term)                      \
    X(test_vote_requires_up_to_date_log) X(test_higher_term_steps_down) X(test_duplicate_votes_counted_once) \
    X(test_nonvoter_never_campaigns) X(test_vote_disregarded_while_leader_alive)                           \
    X(test_joint_election_needs_both_majorities)                                                           \
    X(test_conflict_hint) X(test_conflicting_entries_truncated) X(test_stale_append_keeps_entries)         \
    X(test_follower_commit_bounded) X(test_no_commit_previous_term_by_counting) X(test_commit_needs_majority) \
    X(test_next_index_backs_up) X(test_single_node_commits) X(test_append_batch_limit)                                             \
    X(test_change_membership_refused) X(test_joint_commit_needs_both_majorities)                           \
    X(test_leader_not_in_new_config_steps_down) X(test_new_leader_finishes_change) X(test_config_in_force)                       \
    X(test_compact_threshold) X(test_snapshot_records_config) X(test_install_snapshot_follower)            \
    X(test_append_below_snapshot) X(test_restart_keeps_persistent_state)                                   \
    X(test_prop_election_safety) X(test_prop_log_matching) X(test_prop_leader_completeness)                \
    X(test_prop_state_machine_safety) X(test_prop_liveness_after_heal) X(test_diff_against_reference)

#define DECLARE(name) void name(void **);
RD_TESTS(DECLARE)
#define ENTRY(name) cmocka_unit_test(name),
static const struct CMUnitTest tests[] = {RD_TESTS(ENTRY)};

NL_TEST_MAIN("ex27_raft_deep", tests)
