// main.cpp — the EX24 ByzantineFaultTolerance suite: the seed's tests, one test per rule of the
// README, and the properties over seeded schedules with Byzantine replicas.
#include "nl_test.h"

#define BFT_TESTS(X)                                                                                       \
    X(test_bft_requirement) X(test_pbft_quorum) X(test_pbft_primary) X(test_view_change)                   \
    X(test_hotstuff_complexity) X(test_tendermint_rounds) X(test_rust_bft_crates) X(test_bounds_limits)    \
    X(test_quorum_sizes) X(test_config_rejected) X(test_request_digest_bytes) X(test_mac_header_bytes)     \
    X(test_forged_mac_rejected) X(test_vcm_rules) X(test_tendermint_lock) X(test_pre_prepare_broadcast)    \
    X(test_prepare_on_pre_prepare) X(test_equivocation_first_wins) X(test_prepared_needs_quorum)           \
    X(test_commit_quorum_and_digest) X(test_execute_in_order) X(test_window) X(test_timer_rules)           \
    X(test_view_change_on_timeout) X(test_view_change_backoff_cap) X(test_join_f_plus_one)                 \
    X(test_new_view_built_from_certs) X(test_new_view_checked) X(test_future_messages_kept)                \
    X(test_stale_view_change_answered) X(test_prop_agreement) X(test_prop_execution_order)                 \
    X(test_prop_liveness_after_gst) X(test_prop_faulty_primary_replaced) X(test_diff_against_reference)

#define DECLARE(name) void name(void **);
BFT_TESTS(DECLARE)
#define ENTRY(name) cmocka_unit_test(name),
static const struct CMUnitTest tests[] = {BFT_TESTS(ENTRY)};

NL_TEST_MAIN("ex24_bft", tests)
