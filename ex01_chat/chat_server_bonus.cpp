// chat_server_bonus.cpp — reference bonus of ex01_chat (seed §3.1): history replay and the history
// request, a token-bucket rate limit per user, whispers, and a graceful shutdown with a warning.
// It plugs into the base through the chat_bonus_ops hooks of chat_server.h.
#include "chat_server.h"
#include "nl_clock.h"
#include "nl_json.h"

#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>

struct chat_bucket {
    double tokens;
    uint64_t last_ns;
};

static std::map<std::string, std::deque<json_t *>> g_history;  // room -> last max_history messages
static std::unordered_map<uint64_t, chat_bucket> g_buckets;     // client id -> its token bucket

static const long long HISTORY_MAX = 100;

// ---- rate limit: burst = rate tokens, refilled continuously at rate tokens per second --------

static bool bucket_take(chat_server *srv, chat_client *c)
{
    double rate = chat_server_config(srv)->rate_per_sec;
    if (rate <= 0) return true;
    uint64_t now = nl_now_ns();
    auto it = g_buckets.find(chat_client_id(c));
    if (it == g_buckets.end()) it = g_buckets.emplace(chat_client_id(c), chat_bucket{rate, now}).first;
    chat_bucket &b = it->second;
    b.tokens = std::min(rate, b.tokens + (double)(now - b.last_ns) / 1e9 * rate);
    b.last_ns = now;
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return true;
    }
    long long wait_ms = (long long)std::ceil((1.0 - b.tokens) / rate * 1000.0);
    if (wait_ms < 1) wait_ms = 1;
    chat_send(srv, c, json_pack("{s:s, s:I}", "type", "rate_limited", "retry_after_ms", (json_int_t)wait_ms));
    return false;
}

static bool on_message_allowed(chat_server *srv, chat_client *c) { return bucket_take(srv, c); }

static void on_client_closed(chat_server *srv, chat_client *c)
{
    (void)srv;
    g_buckets.erase(chat_client_id(c));
}

// ---- history ---------------------------------------------------------------------------------

static void on_message_sent(chat_server *srv, const char *room, json_t *msg)
{
    std::deque<json_t *> &h = g_history[room];
    h.push_back(json_incref(msg));
    while (h.size() > chat_server_config(srv)->max_history) {
        json_decref(h.front());
        h.pop_front();
    }
}

static void on_room_removed(chat_server *srv, const char *room)
{
    (void)srv;
    auto it = g_history.find(room);
    if (it == g_history.end()) return;
    for (json_t *m : it->second) json_decref(m);
    g_history.erase(it);
}

static json_t *history_reply(const char *room, size_t count)
{
    json_t *list = json_array();
    auto it = g_history.find(room);
    if (it != g_history.end()) {
        const std::deque<json_t *> &h = it->second;
        size_t first = h.size() > count ? h.size() - count : 0;
        for (size_t i = first; i < h.size(); i++) json_array_append(list, h[i]);
    }
    return json_pack("{s:s, s:s, s:o}", "type", "history", "room", room, "messages", list);
}

// Replay on join: only when the room has something to replay.
static void on_joined(chat_server *srv, chat_client *c, const char *room)
{
    auto it = g_history.find(room);
    if (it == g_history.end() || it->second.empty()) return;
    chat_send(srv, c, history_reply(room, chat_server_config(srv)->max_history));
}

static void do_history(chat_server *srv, chat_client *c, json_t *req)
{
    std::string err;
    const char *room = nl_json_get_string(req, "room", &err);
    long long count = (long long)chat_server_config(srv)->max_history;
    if (!room || nl_json_get_int(req, "count", &count, &err) < 0) {
        chat_send_error(srv, c, err);
        return;
    }
    if (count < 1 || count > HISTORY_MAX) {
        chat_send_error(srv, c, "count must be between 1 and 100");
        return;
    }
    if (!chat_client_in_room(c, room)) {
        chat_send_error(srv, c, std::string("Not in room: ") + room);
        return;
    }
    chat_send(srv, c, history_reply(room, (size_t)count));
}

// ---- whisper ---------------------------------------------------------------------------------

static void do_whisper(chat_server *srv, chat_client *c, json_t *req)
{
    std::string err;
    const char *to = nl_json_get_string(req, "to", &err);
    const char *content = to ? nl_json_get_string(req, "content", &err) : nullptr;
    if (!to || !content) {
        chat_send_error(srv, c, err);
        return;
    }
    chat_client *dst = chat_find_client(srv, to);
    if (!dst) {
        chat_send_error(srv, c, std::string("Unknown user: ") + to);
        return;
    }
    if (!bucket_take(srv, c)) return;
    // Like a room message: the recipient gets it, the sender gets the same line once as the reply.
    json_t *w = json_pack("{s:s, s:s, s:s, s:s}", "type", "whisper", "from", chat_client_nick(c), "to",
                          chat_client_nick(dst), "content", content);
    if (dst != c) chat_send(srv, dst, json_incref(w));
    chat_send(srv, c, w);
}

static bool on_request(chat_server *srv, chat_client *c, const char *type, json_t *req)
{
    if (!strcmp(type, "whisper")) do_whisper(srv, c, req);
    else if (!strcmp(type, "history")) do_history(srv, c, req);
    else return false;
    return true;
}

// ---- graceful shutdown -----------------------------------------------------------------------

static void send_shutdown(chat_server *srv, chat_client *c, void *arg)
{
    chat_send(srv, c, json_pack("{s:s, s:s}", "type", "server_shutdown", "message", (const char *)arg));
}

static uint64_t on_shutdown(chat_server *srv)
{
    uint64_t grace = chat_server_config(srv)->grace_ms;
    char text[96];
    if (grace % 1000 == 0) snprintf(text, sizeof text, "Server shutting down in %llus", (unsigned long long)(grace / 1000));
    else snprintf(text, sizeof text, "Server shutting down in %.1fs", (double)grace / 1000.0);
    chat_for_each_client(srv, send_shutdown, text);
    return grace;
}

static const chat_bonus_ops g_ops = {on_client_closed, on_request, on_message_allowed, on_message_sent,
                                     on_joined,        on_room_removed, on_shutdown};

const chat_bonus_ops *chat_bonus(void) { return &g_ops; }
