// chat_harness.h — what every ex01_chat test uses: run a scenario on both event-loop backends,
// start/stop chat_server, and talk JSON lines to it with a deadline on every read.
#pragma once
#include "nl_check.h"
#include "nl_testnet.h"
#include "nl_testproc.h"
#include "nl_test.h"

#include <jansson.h>
#include <string>
#include <vector>

// Runs scenario("epoll") then scenario("uring"): a test passes only if both do.
void ch_run_both(void (*scenario)(const char *backend));
#define CHAT_TEST(name)                                   \
    static void name##_on(const char *backend);          \
    void name(void **state)                              \
    {                                                     \
        (void)state;                                      \
        ch_run_both(name##_on);                           \
    }                                                     \
    static void name##_on(const char *backend)

enum { CH_WAIT_MS = 5000 };  // generous: a loaded machine must not fail a correct server

// Starts chat_server --backend B --port 0 --grace-ms 200 [extra...]; fails the test if it does not
// print its listening line. Servers left behind by a failed scenario are killed by ch_run_both.
nl_server *ch_start_at(const nl_where &w, const char *backend, const std::vector<std::string> &extra = {});
// SIGTERM, then the server must exit with status 0 within 10 s.
void ch_stop_at(const nl_where &w, nl_server *s);

int ch_connect_at(const nl_where &w, nl_server *s);                  // a client; fails the test if it cannot connect
int ch_connect_rcvbuf_at(const nl_where &w, nl_server *s, int rcvbuf);  // the same with a small SO_RCVBUF (a slow reader)
void ch_close(int fd);
void ch_send_at(const nl_where &w, int fd, const std::string &line);    // adds the '\n'

// One parsed server line. Fails the test on timeout, EOF or a line that is not a JSON object.
struct ch_msg {
    json_t *j = nullptr;
    std::string raw;
    ~ch_msg();
    const char *type() const;
    std::string str(const char *key) const;       // "" when absent or not a string
    std::vector<std::string> list(const char *key) const;  // array of strings
    long long num(const char *key) const;
};
void ch_read_at(const nl_where &w, int fd, ch_msg *m, int timeout_ms = CH_WAIT_MS);
// Reads the next line and requires its "type".
void ch_expect_at(const nl_where &w, int fd, const char *type, ch_msg *m, int timeout_ms = CH_WAIT_MS);
void ch_expect_error_at(const nl_where &w, int fd, const char *contains);  // an error whose message contains the text
// Sends list_rooms and requires "rooms" to be the very next line: nothing else was queued before.
void ch_sync_at(const nl_where &w, int fd);

// Protocol shortcuts, each waiting for its reply.
void ch_nick_at(const nl_where &w, int fd, const char *name);
void ch_join_at(const nl_where &w, int fd, const char *room);         // expects "joined" (and nothing before it)
void ch_say_at(const nl_where &w, int fd, const char *room, const std::string &content);  // expects its own copy back
std::string ch_json(const char *fmt, ...);        // json_pack + dump, one line without '\n'
std::string ch_join_list(const std::vector<std::string> &v);

// What the test last sent on fd (for messages), quoted, or "nothing".
std::string ch_last_sent(int fd);

// Each helper is called through a macro, so a failure points at the test's line (nl_check.h) and
// says what the client last sent, what was expected and what came back.
#define ch_start(...) ch_start_at(NL_HERE, __VA_ARGS__)
#define ch_stop(...) ch_stop_at(NL_HERE, __VA_ARGS__)
#define ch_connect(...) ch_connect_at(NL_HERE, __VA_ARGS__)
#define ch_connect_rcvbuf(...) ch_connect_rcvbuf_at(NL_HERE, __VA_ARGS__)
#define ch_send(...) ch_send_at(NL_HERE, __VA_ARGS__)
#define ch_read(...) ch_read_at(NL_HERE, __VA_ARGS__)
#define ch_expect(...) ch_expect_at(NL_HERE, __VA_ARGS__)
#define ch_expect_error(...) ch_expect_error_at(NL_HERE, __VA_ARGS__)
#define ch_sync(...) ch_sync_at(NL_HERE, __VA_ARGS__)
#define ch_nick(...) ch_nick_at(NL_HERE, __VA_ARGS__)
#define ch_join(...) ch_join_at(NL_HERE, __VA_ARGS__)
#define ch_say(...) ch_say_at(NL_HERE, __VA_ARGS__)
