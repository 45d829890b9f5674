// abuse.h — one server exercise under six abuses: what a protocol supplies (its well-behaved client
// and its abusers' bytes) and the runner that applies the abuses in sequence (abuse_run.cpp).
#pragma once
#include "ws_client.h"
#include <cstdint>
#include <string>
#include <vector>

// The liveness bound of every good round trip (README.md): not a speed target.
enum { AB_DEADLINE_MS = 2000 };

// Two well-behaved clients of one server, kept for the whole test.
struct ab_good {
    int a = -1, b = -1;   // line protocols (ex00 uses a only)
    ws_client wa, wb;     // ex02
    int seq = 0;          // numbers the messages so each reply is told from the others
};

struct ab_proto {
    const char *label;                   // "ex01 epoll": the figures line's words
    const char *program;                 // in build/bin
    std::vector<std::string> args;       // after --port 0
    bool busy_on_emfile;                 // ex00 R11: the waiting connection is told BUSY
    // Connects the good clients (false, with the reason in *err, when that fails).
    bool (*good_open)(ab_good *g, uint16_t port, std::string *err);
    // One round trip within timeout_ms: "" when answered correctly, else what went wrong.
    std::string (*good_round)(ab_good *g, int timeout_ms);
    void (*good_close)(ab_good *g);
    // A fresh client connects and is served once: "" or what went wrong.
    std::string (*probe)(uint16_t port, int timeout_ms);
    // Slowloris: what a client sends first; then one more byte ('a') every second, never a line end.
    const char *slow_prefix;
    // Half-close: one client sends a request, shuts its write side, gets the reply then EOF: "" or why.
    std::string (*half_close)(uint16_t port, int timeout_ms);
    // RST: a connection that has sent half a message (fd), or -1.
    int (*half_message)(uint16_t port);
    // Non-reader: opens the client that stops reading (*reader) and its talker (*talker, -1 when the
    // non-reader talks itself); talk() makes one more burst of output for the non-reader: 1 done,
    // 2 done and the talker was told the non-reader left (user_left: dropped), 0 the talker not served.
    // (The non-reader cannot see its own end: the server's FIN waits behind the bytes it does not read.)
    bool (*nonreader_open)(uint16_t port, int *reader, ws_client *talker, int *talker_fd);
    int (*talk)(int reader, ws_client *talker, int talker_fd);
    bool nonreader_dropped;              // the README disconnects it (ex01 R13, ex02 max pending output)
};

// Starts the server (a fresh one), runs the six abuses, prints a figures line per abuse, stops it.
void ab_run(const ab_proto *p);

// The five servers under test (proto_lines.cpp, proto_ws.cpp).
extern const ab_proto AB_EX00, AB_EX01_EPOLL, AB_EX01_URING, AB_EX02_EPOLL, AB_EX02_URING;
