// ws_server.h — the WebSocket server: one thread, one nl_loop (epoll or io_uring), rooms at / and
// /ws, an echo endpoint at /echo, the demo page on GET /, heartbeat pings, graceful shutdown.
#pragma once
#include "nl_loop.h"

#include <cstddef>
#include <cstdint>

struct ws_config {
    const char *host = "127.0.0.1";
    uint16_t port = 8080;
    nl_backend backend = NL_BACKEND_EPOLL;
    uint64_t ping_interval_ms = 30000;   // a Ping frame to every client this often
    uint64_t pong_timeout_ms = 90000;    // closed (1011) after this long without a Pong
    size_t max_message = 65536;          // larger messages are refused with close 1009
    size_t max_room = 100;               // members per room; the next join gets "Room full"
    uint64_t close_timeout_ms = 2000;    // how long a closing peer may take to answer/close
    size_t max_pending_output = 8u << 20;  // a client that stops reading is dropped past this
};

// Runs until SIGINT/SIGTERM (nl_shutdown_init must have been called), then sends Close 1001 to
// every client, waits up to close_timeout_ms for them, and returns 0. Returns 1 (message on stderr)
// when the server cannot start.
int ws_server_run(const ws_config *cfg);
