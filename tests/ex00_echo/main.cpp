// main.cpp — the ex00_echo suite: run_tests [--list | --test NAME].
#include "echo_test.h"
#include "suite.h"

#define T(f) cmocka_unit_test_teardown(f, et_teardown)
static const struct CMUnitTest tests[] = {
    T(test_server_binds),      T(test_echo_basic),         T(test_echo_multiline),
    T(test_quit_command),      T(test_time_command),       T(test_count_command),
    T(test_multiple_clients),  T(test_client_disconnect),  T(test_count_decrements),
    T(test_rapid_connect_disconnect),
    T(test_echo_fuzz),         T(test_line_too_long),      T(test_emfile_survived),
    T(test_shutdown_says_bye), T(test_wire_diff),        T(test_max_clients_busy),
    T(test_thread_stack),      T(test_blanks_and_case),      T(test_no_thread_busy),
    T(test_port_in_use),       T(test_shutdown_drain),
    T(test_threads_give_back),
    T(test_pool_bound),        T(test_pool_queue_full_busy), T(test_pool_idle_timeout),
    T(test_pool_shutdown_loses_nothing),
};

NL_TEST_MAIN("ex00_echo", tests)
