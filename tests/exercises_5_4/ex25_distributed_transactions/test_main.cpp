// test_main.cpp — EX25 suite: the list of tests (each one's row in spec.json) and main.
#include "tx_tests.h"

std::string join(const std::vector<std::string> &v)
{
    std::string s;
    for (size_t i = 0; i < v.size(); i++)
        s += (i ? " | " : "") + v[i];
    return "[" + s + "]";
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_2pc_commit_decision),
    cmocka_unit_test(test_2pc_abort_decision),
    cmocka_unit_test(test_3pc_phases),
    cmocka_unit_test(test_3pc_problems),
    cmocka_unit_test(test_saga_types),
    cmocka_unit_test(test_saga_compensation),
    cmocka_unit_test(test_event_sourcing),
    cmocka_unit_test(test_log_record_format),
    cmocka_unit_test(test_log_fsync_before_return),
    cmocka_unit_test(test_log_torn_header),
    cmocka_unit_test(test_log_torn_payload),
    cmocka_unit_test(test_log_bad_checksum),
    cmocka_unit_test(test_log_append_after_torn_tail),
    cmocka_unit_test(test_log_record_limits),
    cmocka_unit_test(test_crash_points_exact),
    cmocka_unit_test(test_2pc_log_contents),
    cmocka_unit_test(test_2pc_write_ahead),
    cmocka_unit_test(test_2pc_vote_timeout),
    cmocka_unit_test(test_2pc_blocks_when_coordinator_dies_after_prepare),
    cmocka_unit_test(test_2pc_participant_in_doubt_asks),
    cmocka_unit_test(test_2pc_duplicates_idempotent),
    cmocka_unit_test(test_2pc_bad_arguments),
    cmocka_unit_test(test_2pc_two_transactions),
    cmocka_unit_test(test_3pc_log_contents),
    cmocka_unit_test(test_3pc_write_ahead),
    cmocka_unit_test(test_3pc_all_uncertain_abort),
    cmocka_unit_test(test_3pc_precommitted_commit),
    cmocka_unit_test(test_3pc_participant_dies_after_ack),
    cmocka_unit_test(test_3pc_recovered_coordinator_adopts),
    cmocka_unit_test(test_2pc_crash_every_point),
    cmocka_unit_test(test_3pc_crash_every_point),
    cmocka_unit_test(test_3pc_nonblocking_every_coordinator_point),
    cmocka_unit_test(test_kill9_every_point),
    cmocka_unit_test(test_saga_reverse_compensation),
    cmocka_unit_test(test_saga_events_exact),
    cmocka_unit_test(test_saga_retry_limit),
    cmocka_unit_test(test_saga_compensation_stuck),
    cmocka_unit_test(test_saga_crash_every_point),
    cmocka_unit_test(test_saga_rebuild_filters),
    cmocka_unit_test(test_saga_bad_arguments),
    cmocka_unit_test(test_diff_random_schedules),
    cmocka_unit_test(test_open_io_errors),
    cmocka_unit_test(test_fsync_failure),
    cmocka_unit_test(test_crash_during_recovery),
    cmocka_unit_test(test_bad_ids_and_records),
    cmocka_unit_test(test_names_out_of_range),
    cmocka_unit_test(test_3pc_coordinator_replied_waits),
    cmocka_unit_test(test_3pc_backup_new_round_at_once),
    cmocka_unit_test(test_3pc_restarted_coordinator_waits_for_all),
    cmocka_unit_test(test_3pc_coordinator_log_and_timeout),
    cmocka_unit_test(test_3pc_coordinator_adopts_exactly),
    cmocka_unit_test(test_3pc_recovering_participant),
    cmocka_unit_test(test_3pc_rounds_until_backup),
    cmocka_unit_test(test_3pc_prepared_backup_precommits),
    cmocka_unit_test(test_free_null_and_descriptors),
    cmocka_unit_test(test_refused_call_fields),
    cmocka_unit_test(test_log_errno_and_cut_failure),
    cmocka_unit_test(test_log_write_fails_half_way),
    cmocka_unit_test(test_2pc_coordinator_answers),
    cmocka_unit_test(test_2pc_in_doubt_asks_every_retry),
    cmocka_unit_test(test_saga_rebuild_every_prefix),
    cmocka_unit_test(test_saga_resume_checks_file),
    cmocka_unit_test(test_saga_io_error_message),
};

NL_TEST_MAIN("ex25_distributed_transactions", tests)
