// ws_test_util.h — helpers shared by the ex02_ws suites: start/stop the server, connect, and read
// JSON room messages with deadlines (all through tests/support's ws_client). Each helper is a macro
// over an *_at function (nl_check.h): a failure is reported at the test's own line and says what the
// client last sent, what was expected and what came back.
#pragma once
#include "nl_check.h"
#include "nl_test.h"
#include "nl_testproc.h"
#include "ws_client.h"

#include <jansson.h>
#include <string>
#include <vector>

enum { T_MS = 5000 };  // generous deadline for anything that should be quick

void srv_start_at(const nl_where &w, nl_server *s, const std::vector<std::string> &extra = {});
void srv_stop_at(const nl_where &w, nl_server *s);   // SIGTERM, expects exit 0 within the deadline
void ws_open_at(const nl_where &w, ws_client *c, uint16_t port, const char *path = "/ws");  // 101 + accept key

void send_json_at(const nl_where &w, ws_client *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
// Next text message as a JSON object (fails the test on timeout, close or bad JSON). Caller decrefs.
json_t *next_json_at(const nl_where &w, ws_client *c);
// Next message must have this type; returns it (caller decrefs).
json_t *expect_type_at(const nl_where &w, ws_client *c, const char *type);
std::string jstr(json_t *o, const char *key);
long long jint(json_t *o, const char *key);
// Joins room, checks the "joined" reply, returns this client's user id (and member count).
std::string join_room_at(const nl_where &w, ws_client *c, const char *room, long long *members = nullptr);
// Sends {"type":"ping"} and expects the very next message to be the pong: everything sent to c
// before it has been seen, so "nothing else arrived" is a certainty, not a guess.
void expect_nothing_pending_at(const nl_where &w, ws_client *c);
// Reads frames until Close; expects its code (-1: a Close without any body, not even one byte)
// and, when reason is not NULL, exactly that reason; then that the server closes TCP.
void expect_close_at(const nl_where &w, ws_client *c, int code, const char *reason = nullptr);
// Waits until the process pid has exactly want open fds; false at the deadline.
bool wait_fds(pid_t pid, int want, int timeout_ms);
// What the test last sent on c (for messages), quoted, or "nothing".
std::string ws_last_sent(const ws_client *c);

#define srv_start(...) srv_start_at(NL_HERE, __VA_ARGS__)
#define srv_stop(...) srv_stop_at(NL_HERE, __VA_ARGS__)
#define ws_open(...) ws_open_at(NL_HERE, __VA_ARGS__)
#define send_json(...) send_json_at(NL_HERE, __VA_ARGS__)
#define next_json(...) next_json_at(NL_HERE, __VA_ARGS__)
#define expect_type(...) expect_type_at(NL_HERE, __VA_ARGS__)
#define join_room(...) join_room_at(NL_HERE, __VA_ARGS__)
#define expect_nothing_pending(...) expect_nothing_pending_at(NL_HERE, __VA_ARGS__)
#define expect_close(...) expect_close_at(NL_HERE, __VA_ARGS__)
