// main.cpp — the EX02 RaftCore suite: the seed's tests, the rule tests, the simulated properties, the
// differential test against the reference oracle.
#include "nl_test.h"

#define RAFT_TESTS(X)                                                                                  \
    X(test_initial_state) X(test_election_timeout_starts_election) X(test_win_election_with_majority) \
    X(test_step_down_on_higher_term) X(test_log_replication) X(test_reject_old_term_request_vote)     \
    X(test_log_matching_rejection) X(test_config_rejected) X(test_election_timeout_randomized)        \
    X(test_one_vote_per_term) X(test_vote_requires_up_to_date_log) X(test_duplicate_votes_counted_once) \
    X(test_leader_steps_down_on_higher_term) X(test_no_commit_previous_term_by_counting)              \
    X(test_conflicting_entries_truncated) X(test_stale_append_keeps_entries)                          \
    X(test_follower_commit_bounded_by_match) X(test_commit_needs_majority) X(test_match_index_monotonic) \
    X(test_next_index_never_below_one) X(test_restart_keeps_vote) X(test_prop_election_safety)        \
    X(test_prop_log_matching) X(test_prop_leader_completeness) X(test_prop_state_machine_safety)      \
    X(test_prop_committed_durable) X(test_prop_liveness_after_heal) \
    X(test_lower_term_append_refused) X(test_append_current_term_makes_follower)                       \
    X(test_follower_commit_never_decreases) X(test_restart_reapplies_from_one) X(test_propose_only_on_leader) \
    X(test_heartbeat_to_every_peer) X(test_invalid_replies_ignored) X(test_differential_random_inputs) \
    X(test_next_index_bounds) X(test_config_edges) X(test_single_node_cluster) X(test_timeouts_per_node_and_seed) \
    X(test_election_timer_rearmed) X(test_replies_answered_at_once) X(test_conflict_hints_exact)

#define DECLARE(name) void name(void **);
RAFT_TESTS(DECLARE)
#define ENTRY(name) cmocka_unit_test(name),
static const struct CMUnitTest tests[] = {RAFT_TESTS(ENTRY)};

NL_TEST_MAIN("ex02_raft_core", tests)
