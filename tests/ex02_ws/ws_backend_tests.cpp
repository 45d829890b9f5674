// ws_backend_tests.cpp — the io_uring backend (R28). The other rows start the server on the default
// backend (epoll); this one runs a selection of them again with --backend uring (srv_start reads
// NETLAB_WS_BACKEND), so a loop that only works on one backend loses this row.
#include "ws_test_util.h"

#include <cstdio>
#include <cstdlib>

void test_connect(void **);
void test_broadcast(void **);
void test_cleanup(void **);
void test_message_limit(void **);
void test_heartbeat_timeout(void **);
void test_graceful_shutdown(void **);
void test_close_handshake(void **);
void test_header_limit_exact(void **);
void test_close_wait_bounded(void **);
void test_frame_splits(void **);
void test_half_close_answered(void **);

// Each part is a whole row of the suite; a failure is reported at that row's own line, and the
// part's name is printed first so the log says which one it was.
void test_uring_backend(void **state)
{
    setenv("NETLAB_WS_BACKEND", "uring", 1);
    struct {
        const char *name;
        void (*run)(void **);
    } parts[] = {
        {"test_connect", test_connect},
        {"test_broadcast", test_broadcast},
        {"test_cleanup", test_cleanup},
        {"test_message_limit", test_message_limit},
        {"test_heartbeat_timeout", test_heartbeat_timeout},
        {"test_close_handshake", test_close_handshake},
        {"test_header_limit_exact", test_header_limit_exact},
        {"test_close_wait_bounded", test_close_wait_bounded},
        {"test_frame_splits", test_frame_splits},
        {"test_half_close_answered", test_half_close_answered},
        {"test_graceful_shutdown", test_graceful_shutdown},
    };
    for (auto &p : parts) {
        fprintf(stderr, "--- %s with --backend uring\n", p.name);
        p.run(state);
    }
}
