// main.cpp — the ex01_chat suite: one CMocka test per row of spec.json (tests, then bonus_tests).
#include "chat_harness.h"

void test_server_starts(void **);
void test_join_room(void **);
void test_leave_room(void **);
void test_nickname_change(void **);
void test_message_broadcast(void **);
void test_list_rooms(void **);
void test_list_users(void **);
void test_error_not_in_room(void **);
void test_user_joined_notification(void **);
void test_user_left_notification(void **);
void test_multiple_rooms(void **);
void test_concurrent_clients(void **);
void test_invalid_input(void **);
void test_line_too_long(void **);
void test_slow_reader_isolated(void **);
void test_backlog_delivered(void **);
void test_disconnect_cleanup(void **);
void test_max_clients(void **);
void test_wire_diff(void **);
void test_limits_smallest(void **);
void test_name_characters(void **);
void test_long_line_peer_silent(void **);
void test_emfile_waits(void **);
void test_half_close_answered(void **);
void test_start_failures(void **);
void test_idle_sleeps(void **);
void test_bonus_history_replay(void **);
void test_bonus_rate_limit(void **);
void test_bonus_whisper(void **);
void test_bonus_graceful_shutdown(void **);

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_server_starts),
    cmocka_unit_test(test_join_room),
    cmocka_unit_test(test_leave_room),
    cmocka_unit_test(test_nickname_change),
    cmocka_unit_test(test_message_broadcast),
    cmocka_unit_test(test_list_rooms),
    cmocka_unit_test(test_list_users),
    cmocka_unit_test(test_error_not_in_room),
    cmocka_unit_test(test_user_joined_notification),
    cmocka_unit_test(test_user_left_notification),
    cmocka_unit_test(test_multiple_rooms),
    cmocka_unit_test(test_concurrent_clients),
    cmocka_unit_test(test_invalid_input),
    cmocka_unit_test(test_line_too_long),
    cmocka_unit_test(test_slow_reader_isolated),
    cmocka_unit_test(test_backlog_delivered),
    cmocka_unit_test(test_disconnect_cleanup),
    cmocka_unit_test(test_max_clients),
    cmocka_unit_test(test_wire_diff),
    cmocka_unit_test(test_limits_smallest),
    cmocka_unit_test(test_name_characters),
    cmocka_unit_test(test_long_line_peer_silent),
    cmocka_unit_test(test_emfile_waits),
    cmocka_unit_test(test_half_close_answered),
    cmocka_unit_test(test_start_failures),
    cmocka_unit_test(test_idle_sleeps),
    cmocka_unit_test(test_bonus_history_replay),
    cmocka_unit_test(test_bonus_rate_limit),
    cmocka_unit_test(test_bonus_whisper),
    cmocka_unit_test(test_bonus_graceful_shutdown),
};

NL_TEST_MAIN("ex01_chat", tests)
