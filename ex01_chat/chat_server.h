// chat_server.h — ex01_chat: a multi-room chat server speaking JSON lines, on ONE thread, over
// common/'s event loop (epoll or io_uring). The prototype students implement (seed 5.1.3-a).
#pragma once
#include "nl_loop.h"

#include <cstddef>
#include <cstdint>
#include <jansson.h>
#include <string>

struct chat_bonus_ops;

struct chat_config {
    const char *host = "127.0.0.1";
    uint16_t port = 0;                    // 0: a free port, printed on the "listening on" line
    nl_backend backend = NL_BACKEND_EPOLL;
    size_t max_history = 100;             // bonus: messages kept per room (1..100)
    size_t max_clients = 10000;           // connections beyond this get an error line and are closed
    size_t max_line = 65536;              // bytes per request line; longer: error, then disconnect
    size_t max_outbuf = 4u << 20;         // bytes queued for one client; more: it is disconnected
    uint64_t grace_ms = 5000;             // bonus: between server_shutdown and exit
    double rate_per_sec = 10;             // bonus: token bucket (burst = rate), 0 = unlimited
    const chat_bonus_ops *bonus = nullptr;  // NULL: base protocol only
};

// Binds, prints "listening on HOST:PORT", serves until SIGINT/SIGTERM (nl_shutdown_init() must
// have been called first). Returns 0 after a clean shutdown, -1 with a message in err otherwise.
int chat_server_run(const chat_config *cfg, char *err, size_t errlen);

// ---- What the bonus (chat_server_bonus.cpp) sees of the server --------------------------------
struct chat_server;   // opaque: the loop, the clients, the rooms
struct chat_client;   // opaque: one connection

const chat_config *chat_server_config(const chat_server *srv);
uint64_t chat_client_id(const chat_client *c);
const char *chat_client_nick(const chat_client *c);
bool chat_client_in_room(const chat_client *c, const char *room);
size_t chat_client_count(const chat_server *srv);
chat_client *chat_find_client(chat_server *srv, const char *nick);  // NULL when nobody has it
// Queues one JSON object as one line for c (steals msg). Never blocks; the loop flushes it.
void chat_send(chat_server *srv, chat_client *c, json_t *msg);
void chat_send_error(chat_server *srv, chat_client *c, const std::string &message);
void chat_for_each_client(chat_server *srv, void (*fn)(chat_server *, chat_client *, void *), void *arg);

// Hooks the base calls when a bonus is linked in. Every pointer may be NULL.
struct chat_bonus_ops {
    void (*client_closed)(chat_server *srv, chat_client *c);
    // A request whose "type" the base does not know: true if the bonus handled (and answered) it.
    bool (*request)(chat_server *srv, chat_client *c, const char *type, json_t *req);
    // Before a chat message is delivered: false refuses it (the bonus has answered, rate_limited).
    bool (*message_allowed)(chat_server *srv, chat_client *c);
    // After a chat message was delivered; msg is the {"type":"message",...} object (borrowed).
    void (*message_sent)(chat_server *srv, const char *room, json_t *msg);
    // After the "joined" reply was queued for c.
    void (*joined)(chat_server *srv, chat_client *c, const char *room);
    // The last member left: the room no longer exists.
    void (*room_removed)(chat_server *srv, const char *room);
    // SIGINT/SIGTERM: warn the clients; returns the grace period (ms) to keep serving before exit.
    uint64_t (*shutdown)(chat_server *srv);
};

// Defined by chat_server_bonus.cpp; main.cpp holds a weak stand-in returning NULL.
const chat_bonus_ops *chat_bonus(void);
