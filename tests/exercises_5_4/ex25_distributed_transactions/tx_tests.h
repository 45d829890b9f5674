// tx_tests.h — the EX25 suite's shared bits: the CHECK macro (a failure says what was done, what
// was expected and what came back, at the test's own line) and the test functions of each file.
#pragma once
#include "nl_test.h"
#include "tx_cluster.h"

#define CHECK(cond, ...)          \
    do {                          \
        if (!(cond))              \
            fail_msg(__VA_ARGS__); \
    } while (0)

std::string join(const std::vector<std::string> &v);

// test_log.cpp
void test_log_record_format(void **);
void test_log_fsync_before_return(void **);
void test_log_torn_header(void **);
void test_log_torn_payload(void **);
void test_log_bad_checksum(void **);
void test_log_append_after_torn_tail(void **);
void test_log_record_limits(void **);
// test_2pc.cpp
void test_2pc_commit_decision(void **);
void test_2pc_abort_decision(void **);
void test_2pc_log_contents(void **);
void test_2pc_write_ahead(void **);
void test_2pc_vote_timeout(void **);
void test_2pc_blocks_when_coordinator_dies_after_prepare(void **);
void test_2pc_participant_in_doubt_asks(void **);
void test_2pc_duplicates_idempotent(void **);
void test_2pc_bad_arguments(void **);
void test_2pc_two_transactions(void **);
void test_crash_points_exact(void **);
// test_3pc.cpp
void test_3pc_phases(void **);
void test_3pc_problems(void **);
void test_3pc_log_contents(void **);
void test_3pc_write_ahead(void **);
void test_3pc_all_uncertain_abort(void **);
void test_3pc_precommitted_commit(void **);
void test_3pc_participant_dies_after_ack(void **);
void test_3pc_recovered_coordinator_adopts(void **);
// test_crash.cpp
void test_2pc_crash_every_point(void **);
void test_3pc_crash_every_point(void **);
void test_3pc_nonblocking_every_coordinator_point(void **);
void test_kill9_every_point(void **);
// test_saga.cpp
void test_saga_types(void **);
void test_saga_compensation(void **);
void test_event_sourcing(void **);
void test_saga_reverse_compensation(void **);
void test_saga_events_exact(void **);
void test_saga_retry_limit(void **);
void test_saga_compensation_stuck(void **);
void test_saga_crash_every_point(void **);
void test_saga_rebuild_filters(void **);
void test_saga_bad_arguments(void **);
void test_diff_random_schedules(void **);
// test_errors.cpp
void test_open_io_errors(void **);
void test_fsync_failure(void **);
void test_crash_during_recovery(void **);
void test_bad_ids_and_records(void **);
void test_names_out_of_range(void **);
void test_3pc_coordinator_replied_waits(void **);
void test_3pc_backup_new_round_at_once(void **);
// test_3pc_recovery.cpp
void test_3pc_restarted_coordinator_waits_for_all(void **);
void test_3pc_coordinator_log_and_timeout(void **);
void test_3pc_coordinator_adopts_exactly(void **);
void test_3pc_recovering_participant(void **);
void test_3pc_rounds_until_backup(void **);
void test_3pc_prepared_backup_precommits(void **);
// test_edges.cpp
void test_free_null_and_descriptors(void **);
void test_refused_call_fields(void **);
void test_log_errno_and_cut_failure(void **);
void test_log_write_fails_half_way(void **);
// test_2pc_by_hand.cpp
void test_2pc_coordinator_answers(void **);
void test_2pc_in_doubt_asks_every_retry(void **);
// test_saga_state.cpp
void test_saga_rebuild_every_prefix(void **);
void test_saga_resume_checks_file(void **);
void test_saga_io_error_message(void **);
