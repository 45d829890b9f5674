// ws_test_util.h — helpers shared by the ex02_ws suites: start/stop the server, connect, and read
// JSON room messages with deadlines (all through tests/support's ws_client).
#pragma once
#include "nl_test.h"
#include "nl_testproc.h"
#include "ws_client.h"

#include <jansson.h>
#include <string>
#include <vector>

enum { T_MS = 5000 };  // generous deadline for anything that should be quick

void srv_start(nl_server *s, const std::vector<std::string> &extra = {});
void srv_stop(nl_server *s);                 // SIGTERM, asserts exit 0 within the deadline
void ws_open(ws_client *c, uint16_t port, const char *path = "/ws");  // asserts 101 + accept key

void send_json(ws_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
// Next text message as a JSON object (fails the test on timeout, close or bad JSON). Caller decrefs.
json_t *next_json(ws_client *c);
// Next message must have this type; returns it (caller decrefs).
json_t *expect_type(ws_client *c, const char *type);
std::string jstr(json_t *o, const char *key);
long long jint(json_t *o, const char *key);
// Joins room, checks the "joined" reply, returns this client's user id (and member count).
std::string join_room(ws_client *c, const char *room, long long *members = nullptr);
// Sends {"type":"ping"} and asserts the very next message is the pong: everything sent to c
// before it has been seen, so "nothing else arrived" is a certainty, not a guess.
void expect_nothing_pending(ws_client *c);
// Reads frames until Close; asserts its code, then that the server closes TCP.
void expect_close(ws_client *c, int code);
