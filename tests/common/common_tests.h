// common_tests.h — the test functions of the common/ suite (one file per module) and the small
// helpers they share. main.cpp lists every test in one CMocka array.
#pragma once
#include "nl_test.h"

#include <string>

// Helpers (helpers.cpp).
void tc_socketpair(int sv[2]);                       // AF_UNIX stream pair, CLOEXEC, asserts success
std::string tc_pattern(size_t len, unsigned seed);   // deterministic pseudo-random bytes
// Runs fn in a forked child (fn returns the child's exit code) and returns its wait status, waiting
// at most timeout_ms (the child is killed past it and the test fails).
int tc_in_child(int (*fn)(void *), void *arg, int timeout_ms);
// Test-only control of send(2) as called by common/ (linked with --wrap=send, see the Makefile):
// when on, every send moves at most max_chunk bytes and every third call fails once with EINTR.
void tc_send_short_writes(bool on, size_t max_chunk);
unsigned long tc_send_calls(void);                   // sends seen since the last reset
unsigned long tc_send_short_count(void);             // sends that were cut short
void tc_send_reset_counts(void);
int tc_teardown(void **state);                       // after every test: short writes off

#define TC_DECLARE(name) void name(void **state);

// nl_socket
#define TC_SOCKET_TESTS(X)                               \
    X(test_socket_listen_port0_then_connect)             \
    X(test_socket_listen_nonblock_flag)                  \
    X(test_socket_listen_port_in_use_names_the_problem)  \
    X(test_socket_connect_refused_names_the_problem)     \
    X(test_socket_print_listening_line)                  \
    X(test_socket_nonblock_and_nodelay)                  \
    X(test_write_all_large_buffer_to_slow_reader)        \
    X(test_write_all_survives_short_writes_and_eintr)    \
    X(test_write_all_closed_peer_is_epipe_not_sigpipe)   \
    X(test_write_all_on_a_pipe)                          \
    X(test_parse_u64_bounds)                             \
    X(test_parse_u64_rejects_garbage_with_a_message)

// nl_linereader
#define TC_LINEREADER_TESTS(X)                           \
    X(test_lr_lf_and_crlf_lines)                         \
    X(test_lr_partial_lines_across_reads)                \
    X(test_lr_exactly_max_line_bytes)                    \
    X(test_lr_max_line_plus_one_is_too_long_then_recovers) \
    X(test_lr_huge_line_is_discarded_without_over_read)  \
    X(test_lr_last_line_without_newline_at_eof)          \
    X(test_lr_too_long_line_at_eof)                      \
    X(test_lr_nonblocking_again)                         \
    X(test_lr_read_error)                                \
    X(test_lr_byte_by_byte_feeder)                       \
    X(test_lr_threaded_random_chunks_feeder)           \
    X(test_lr_feed_in_chunks_like_a_completion_loop)

// nl_outbuf
#define TC_OUTBUF_TESTS(X)                               \
    X(test_outbuf_peer_not_reading_keeps_pending_without_blocking) \
    X(test_outbuf_appends_after_partial_flush_keep_order) \
    X(test_outbuf_survives_short_writes_and_eintr)       \
    X(test_outbuf_closed_peer_is_error_not_sigpipe)

// nl_loop: each runs on both backends (_epoll and _uring).
#define TC_LOOP_CASES(X)                                 \
    X(create_and_names)                                  \
    X(readable_callback)                                 \
    X(writable_callback)                                 \
    X(level_triggered_undrained_fd_called_again)         \
    X(changing_interest)                                 \
    X(hangup_reaches_reader_and_writer)                  \
    X(unwatch_other_fd_in_same_batch)                    \
    X(fd_reuse_only_new_owner_called)                    \
    X(pause_other_hung_up_fd_in_same_batch)              \
    X(events_zero_on_hung_up_fd_does_not_spin)           \
    X(writable_only_half_closed_peer_does_not_spin)      \
    X(timers_order_and_cancel)                           \
    X(timer_added_inside_timer)                          \
    X(zero_ms_timer_chain_does_not_starve_io)            \
    X(stop_from_callback_loses_no_readiness)             \
    X(stop_from_timer)                                   \
    X(many_fds)
#define TC_LOOP_DECLARE(c) void test_loop_##c##_epoll(void **state); void test_loop_##c##_uring(void **state);

// nl_crypto
// nl_cq (completion loop): each runs on both backends (_epoll and _uring).
#define TC_CQ_CASES(X)                                   \
    X(accept_recv_send_echo_three_clients)               \
    X(large_send_completed_in_order)                     \
    X(tiny_buffer_ring_rearmed)                          \
    X(close_cancels_and_fd_reuse)                        \
    X(send_to_closed_peer_fails)                         \
    X(timers_order_and_cancel)                           \
    X(poll_one_shot_and_bad_fds)
#define TC_CQ_DECLARE(c) void test_cq_##c##_epoll(void **); void test_cq_##c##_uring(void **);

#define TC_CRYPTO_TESTS(X)                               \
    X(test_sha1_fips_vectors)                            \
    X(test_sha256_fips_vectors)                          \
    X(test_websocket_accept_key_rfc6455)                 \
    X(test_base64_rfc4648_vectors)                       \
    X(test_base64_round_trip_every_length_0_to_64)       \
    X(test_base64_strict_decoding_rejects_bad_input)     \
    X(test_hex_lowercase)

// nl_json
#define TC_JSON_TESTS(X)                                 \
    X(test_json_parse_object)                            \
    X(test_json_invalid_json_is_reported)                \
    X(test_json_non_object_messages_are_reported)        \
    X(test_json_string_getter_errors)                    \
    X(test_json_int_getter_errors)                       \
    X(test_json_line_is_one_line_and_steals_reference)

// nl_signal, nl_clock, nl_log
#define TC_MISC_TESTS(X)                                 \
    X(test_signal_sigterm_makes_shutdown_fd_readable)    \
    X(test_signal_sigpipe_ignored)                       \
    X(test_signal_request_wakes_waiting_thread)          \
    X(test_clock_monotonic_and_consistent)               \
    X(test_clock_unix_seconds_matches_time)              \
    X(test_log_level_filtering)                          \
    X(test_log_message_is_one_line)                      \
    X(test_log_concurrent_lines_stay_whole)

// tests/support
#define TC_SUPPORT_TESTS(X)                              \
    X(test_support_server_start_reads_port)              \
    X(test_support_server_stop_reports_exit_code)        \
    X(test_support_server_output_collected)              \
    X(test_support_server_start_fails_on_silent_program) \
    X(test_support_server_start_fails_on_wrong_line)     \
    X(test_support_server_start_fails_on_missing_program) \
    X(test_support_tc_read_line_deadline)                \
    X(test_support_tc_read_line_partial_then_rest)       \
    X(test_support_tc_read_line_eof)                     \
    X(test_support_wait_until)                           \
    X(test_diff_agreement_passes)                        \
    X(test_diff_finds_and_shrinks)                       \
    X(test_diff_replay_points_at_first_difference)

// every program's command line (test_args.cpp)
#define TC_ARGS_TESTS(X)                                 \
    X(test_args_echo_server)                             \
    X(test_args_chat_server)                             \
    X(test_args_ws_server)                               \
    X(test_args_booking)                                 \
    X(test_args_vclock)                                  \
    X(test_args_ring)                                    \
    X(test_args_crdt_demo)                               \
    X(test_args_gossip_node)                             \
    X(test_args_stdin_demos)                             \
    X(test_args_trace_demo)                              \
    X(test_args_simulators)                              \
    X(test_args_raft_kv)                                 \
    X(test_args_grpc_programs)                           \
    X(test_args_sdctl)

TC_SOCKET_TESTS(TC_DECLARE)
TC_LINEREADER_TESTS(TC_DECLARE)
TC_OUTBUF_TESTS(TC_DECLARE)
TC_LOOP_CASES(TC_LOOP_DECLARE)
TC_CQ_CASES(TC_CQ_DECLARE)
TC_CRYPTO_TESTS(TC_DECLARE)
TC_JSON_TESTS(TC_DECLARE)
TC_MISC_TESTS(TC_DECLARE)
TC_SUPPORT_TESTS(TC_DECLARE)
TC_ARGS_TESTS(TC_DECLARE)
