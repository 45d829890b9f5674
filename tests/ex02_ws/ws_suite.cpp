// ws_suite.cpp — the ex02_ws suite: the seed's table first, then conformance and interop tests.
// Each name is a row of ex02_ws/spec.json.
#include "nl_test.h"

#define WS_TESTS(X)                                                                          \
    X(test_connect) X(test_join_room) X(test_leave_room) X(test_broadcast) X(test_room_limit) \
    X(test_ping_pong) X(test_heartbeat_timeout) X(test_cleanup) X(test_message_limit)       \
    X(test_multiple_rooms) X(test_notifications) X(test_graceful_shutdown)                  \
    X(test_handshake_accept_key) X(test_handshake_errors) X(test_plain_http)                \
    X(test_header_limit) X(test_unmasked_frame) X(test_fragmentation)                       \
    X(test_fragmentation_errors) X(test_control_frames) X(test_close_handshake)             \
    X(test_invalid_utf8) X(test_reserved_bits_opcodes) X(test_message_too_big) X(test_echo) \
    X(test_room_protocol_errors) X(test_heartbeat_keeps_live_client) X(test_python_websockets) \
    X(test_wire_diff) X(test_utf8_boundaries) X(test_handshake_forms) X(test_close_wait_bounded) \
    X(test_close_codes) X(test_server_frame_lengths) X(test_header_limit_exact) X(test_frame_splits)        \
    X(test_half_close_answered) X(test_uring_backend)

#define DECLARE(name) void name(void **state);
WS_TESTS(DECLARE)
#define ENTRY(name) cmocka_unit_test(name),
static const struct CMUnitTest tests[] = {WS_TESTS(ENTRY)};

NL_TEST_MAIN("ex02_ws", tests)
