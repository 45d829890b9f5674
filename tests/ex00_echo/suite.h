// suite.h — every test of the ex00_echo suite (names = rows of ex00_echo/spec.json).
#pragma once
void test_server_binds(void **);
void test_echo_basic(void **);
void test_echo_multiline(void **);
void test_quit_command(void **);
void test_time_command(void **);
void test_count_command(void **);
void test_multiple_clients(void **);
void test_client_disconnect(void **);
void test_count_decrements(void **);
void test_rapid_connect_disconnect(void **);
void test_echo_fuzz(void **);
void test_line_too_long(void **);
void test_emfile_survived(void **);
void test_shutdown_says_bye(void **);
void test_wire_diff(void **);
void test_max_clients_busy(void **);
void test_thread_stack(void **);
void test_blanks_and_case(void **);
void test_no_thread_busy(void **);
void test_port_in_use(void **);
void test_shutdown_drain(void **);
void test_threads_give_back(void **);
void test_pool_bound(void **);
void test_pool_queue_full_busy(void **);
void test_pool_idle_timeout(void **);
void test_pool_shutdown_loses_nothing(void **);
