// chat_server.cpp — reference solution of ex01_chat (base protocol): one thread, non-blocking
// sockets, one output buffer per client, rooms that live while they have members. On epoll it runs
// on common/'s readiness loop (nl_loop.h); on io_uring on the completion loop (nl_cq.h).
#include "chat_server.h"
#include "nl_cq.h"
#include "nl_json.h"
#include "nl_linereader.h"
#include "nl_log.h"
#include "nl_outbuf.h"
#include "nl_signal.h"
#include "nl_socket.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

enum client_state { CLIENT_OPEN, CLIENT_CLOSING, CLIENT_DEAD };

struct chat_client {
    chat_server *srv = nullptr;
    uint64_t id = 0;
    int fd = -1;
    std::string nick;
    nl_line_reader in;
    nl_outbuf out;
    std::set<std::string> rooms;
    client_state state = CLIENT_OPEN;
    bool detached = false;     // already removed from rooms and the nick table
    bool dirty = false;        // in srv->dirty: flushed at the end of this loop turn
    bool want_write = false;   // bytes are pending: NL_WRITABLE is watched
    bool shut_wr = false;      // closing: our FIN is sent, waiting for the peer's
    bool peer_fin = false;     // closing: the peer half-closed with replies still owed; close once sent
    uint64_t linger_timer = 0;
};

struct chat_room {
    std::vector<chat_client *> members;  // in join order
};

struct chat_server {
    chat_config cfg;
    nl_loop *loop = nullptr;   // readiness path (epoll)
    nl_cq *cq = nullptr;       // completion path (io_uring)
    int listen_fd = -1;
    uint64_t next_id = 1;
    std::map<uint64_t, chat_client *> clients;
    std::unordered_map<std::string, chat_client *> nicks;
    std::map<std::string, chat_room> rooms;  // ordered: list_rooms is alphabetical
    std::vector<chat_client *> dirty;        // have queued output, flushed once per loop turn
    uint64_t flush_timer = 0;
    std::vector<chat_client *> dead;         // to be closed once the current callback is done
    bool shutting_down = false;
};

static const uint64_t LINGER_MS = 2000;        // after an error: wait this long for the peer's FIN
static const uint64_t ACCEPT_PAUSE_MS = 100;   // out of fds: retry accepting after this

static void on_client_io(nl_loop *loop, int fd, int events, void *arg);

// Timers and stopping on whichever loop runs: F(arg) is called when the timer fires.
template <void (*F)(void *)> static void loop_timer_cb(nl_loop *, uint64_t, void *arg) { F(arg); }
template <void (*F)(void *)> static void cq_timer_cb(nl_cq *, uint64_t, void *arg) { F(arg); }
template <void (*F)(void *)> static uint64_t srv_timer(chat_server *s, uint64_t ms, void *arg)
{
    return s->cq ? nl_cq_timer(s->cq, ms, cq_timer_cb<F>, arg) : nl_loop_timer(s->loop, ms, loop_timer_cb<F>, arg);
}
static void srv_cancel(chat_server *s, uint64_t id)
{
    if (s->cq) nl_cq_cancel(s->cq, id);
    else nl_loop_cancel(s->loop, id);
}
static void srv_stop(chat_server *s)
{
    if (s->cq) nl_cq_stop(s->cq);
    else nl_loop_stop(s->loop);
}

// ---- output --------------------------------------------------------------------------------

static void on_flush_timer(nl_loop *loop, uint64_t id, void *arg);
static void reap_dead(chat_server *s);

static void client_kill(chat_server *s, chat_client *c, nl_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void client_kill(chat_server *s, chat_client *c, nl_log_level level, const char *fmt, ...)
{
    if (c->state == CLIENT_DEAD) return;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    nl_log(level, "client %llu (%s): %s", (unsigned long long)c->id, c->nick.c_str(), why);
    c->state = CLIENT_DEAD;
    s->dead.push_back(c);
}

// Watch NL_WRITABLE exactly while bytes are pending, so a full socket never spins the loop.
static void set_want_write(chat_server *s, chat_client *c, bool want)
{
    if (c->want_write == want) return;
    c->want_write = want;
    // After the peer's FIN the socket stays readable (EOF): watching it would spin the loop.
    nl_loop_watch(s->loop, c->fd, (c->peer_fin ? 0 : NL_READABLE) | (want ? NL_WRITABLE : 0), on_client_io, c);
}

static void client_flush(chat_server *s, chat_client *c)
{
    if (c->state == CLIENT_DEAD) return;
    if (nl_outbuf_flush(&c->out, c->fd) < 0) {
        client_kill(s, c, NL_LOG_INFO, "send failed (%s), disconnecting", strerror(errno));
        return;
    }
    size_t pending = nl_outbuf_pending(&c->out);
    if (pending > s->cfg.max_outbuf) {
        client_kill(s, c, NL_LOG_WARN, "output buffer over %zu bytes (client is not reading), disconnecting",
                    s->cfg.max_outbuf);
        return;
    }
    if (pending == 0 && c->state == CLIENT_CLOSING && c->peer_fin) {
        client_kill(s, c, NL_LOG_DEBUG, "disconnected (half-closed, replies sent)");
        return;
    }
    if (pending == 0 && c->state == CLIENT_CLOSING && !c->shut_wr) {
        shutdown(c->fd, SHUT_WR);  // FIN after the error line; the fd closes on the peer's FIN
        c->shut_wr = true;
    }
    set_want_write(s, c, pending > 0);
}

// Queues a finished line. Output is never written here: many lines for one client in one loop
// turn leave in one send(), and nothing below can disconnect a client in the middle of a broadcast.
static void queue_line(chat_server *s, chat_client *c, const std::string &line)
{
    if (c->state == CLIENT_DEAD) return;
    if (s->cq) {  // the completion loop sends it at the end of this turn, with the rest of the turn's lines
        if (nl_cq_send(s->cq, c->fd, line.data(), line.size()) < 0)
            client_kill(s, c, NL_LOG_INFO, "send failed (%s), disconnecting", strerror(errno));
        else if (nl_cq_backlogged(s->cq, c->fd) && nl_cq_unsent(s->cq, c->fd) > s->cfg.max_outbuf)
            client_kill(s, c, NL_LOG_WARN, "output buffer over %zu bytes (client is not reading), disconnecting",
                        s->cfg.max_outbuf);
        return;
    }
    nl_outbuf_append(&c->out, line.data(), line.size());
    if (c->want_write) {  // the kernel is full for this client: it is behind, check its limit now
        if (nl_outbuf_pending(&c->out) > s->cfg.max_outbuf)
            client_kill(s, c, NL_LOG_WARN, "output buffer over %zu bytes (client is not reading), disconnecting",
                        s->cfg.max_outbuf);
        return;  // the writable event will flush
    }
    if (c->dirty) return;  // already due for a flush
    c->dirty = true;
    s->dirty.push_back(c);
    if (!s->flush_timer) s->flush_timer = nl_loop_timer(s->loop, 0, on_flush_timer, s);
}

static void on_flush_timer(nl_loop *loop, uint64_t id, void *arg)
{
    (void)loop;
    (void)id;
    chat_server *s = (chat_server *)arg;
    s->flush_timer = 0;
    std::vector<chat_client *> batch;
    batch.swap(s->dirty);
    for (chat_client *c : batch) {
        c->dirty = false;
        client_flush(s, c);
    }
    reap_dead(s);
}

void chat_send(chat_server *s, chat_client *c, json_t *msg)
{
    if (!msg) return;
    queue_line(s, c, nl_json_line(msg));
}

void chat_send_error(chat_server *s, chat_client *c, const std::string &message)
{
    // Error texts may quote client bytes (jansson's parser does): keep them printable ASCII so the
    // reply is always valid JSON.
    std::string clean = message;
    for (char &ch : clean)
        if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e) ch = '?';
    chat_send(s, c, json_pack("{s:s, s:s}", "type", "error", "message", clean.c_str()));
}

// One serialisation, many recipients.
static void room_broadcast(chat_server *s, const std::string &room, const chat_client *except, json_t *msg)
{
    if (!msg) return;
    std::string line = nl_json_line(msg);
    auto it = s->rooms.find(room);
    if (it == s->rooms.end()) return;
    for (chat_client *m : it->second.members)
        if (m != except) queue_line(s, m, line);
}

// ---- rooms and clients ---------------------------------------------------------------------

static json_t *nick_list(const chat_room &r)
{
    json_t *list = json_array();
    for (chat_client *m : r.members) json_array_append_new(list, json_string(m->nick.c_str()));
    return list;
}

// Takes c out of room: the others hear user_left, an empty room disappears.
static void room_remove_member(chat_server *s, chat_client *c, const std::string &room)
{
    c->rooms.erase(room);
    auto it = s->rooms.find(room);
    if (it == s->rooms.end()) return;
    std::vector<chat_client *> &m = it->second.members;
    m.erase(std::remove(m.begin(), m.end(), c), m.end());
    if (m.empty()) {
        s->rooms.erase(it);
        if (s->cfg.bonus && s->cfg.bonus->room_removed) s->cfg.bonus->room_removed(s, room.c_str());
        return;
    }
    room_broadcast(s, room, c, json_pack("{s:s, s:s, s:s}", "type", "user_left", "room", room.c_str(), "user", c->nick.c_str()));
}

// The user leaves the chat (disconnect or protocol error): rooms, nick, bonus state.
static void client_detach(chat_server *s, chat_client *c)
{
    if (c->detached) return;
    c->detached = true;
    std::set<std::string> rooms = c->rooms;
    for (const std::string &r : rooms) room_remove_member(s, c, r);
    auto n = s->nicks.find(c->nick);
    if (n != s->nicks.end() && n->second == c) s->nicks.erase(n);
    if (s->cfg.bonus && s->cfg.bonus->client_closed) s->cfg.bonus->client_closed(s, c);
}

static void client_destroy(chat_server *s, chat_client *c)
{
    if (s->cq) nl_cq_close(s->cq, c->fd);
    else {
        nl_loop_unwatch(s->loop, c->fd);
        close(c->fd);
    }
    if (c->linger_timer) srv_cancel(s, c->linger_timer);
    if (c->dirty) s->dirty.erase(std::remove(s->dirty.begin(), s->dirty.end(), c), s->dirty.end());
    s->clients.erase(c->id);
    nl_lr_free(&c->in);
    delete c;
}

static void reap_dead(chat_server *s)
{
    while (!s->dead.empty()) {
        chat_client *c = s->dead.back();
        s->dead.pop_back();
        client_detach(s, c);
        client_destroy(s, c);
    }
    if (s->shutting_down && s->clients.empty()) srv_stop(s);
}

static void on_linger_timeout(void *arg)
{
    chat_client *c = (chat_client *)arg;
    c->linger_timer = 0;
    client_kill(c->srv, c, NL_LOG_INFO, "peer did not close within %llu ms after the error, closing",
                (unsigned long long)LINGER_MS);
    reap_dead(c->srv);
}

// After a fatal protocol error: the user leaves now, the error line is flushed, then our FIN;
// input is discarded until the peer's FIN (closing with unread input would send a RST that can
// destroy the error line before the client reads it).
static void client_close_after_error(chat_server *s, chat_client *c)
{
    client_detach(s, c);
    c->state = CLIENT_CLOSING;
    c->linger_timer = srv_timer<on_linger_timeout>(s, LINGER_MS, c);
}

// ---- requests ------------------------------------------------------------------------------

static bool valid_name(const char *name, bool room)
{
    size_t n = strlen(name);
    if (n < 1 || n > 32) return false;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                  ch == '-' || (room && (ch == '.' || ch == '#'));
        if (!ok) return false;
    }
    return true;
}

// "User<digits>" names are the defaults handed out on connect; nobody may take one by hand.
static bool reserved_nick(const char *name)
{
    if (strncmp(name, "User", 4) != 0 || !name[4]) return false;
    for (const char *p = name + 4; *p; p++)
        if (*p < '0' || *p > '9') return false;
    return true;
}

static void do_join(chat_server *s, chat_client *c, const char *room)
{
    if (!valid_name(room, true)) {
        chat_send_error(s, c, "Invalid room name: 1 to 32 characters among A-Z a-z 0-9 _ - . #");
        return;
    }
    if (c->rooms.count(room)) {
        chat_send_error(s, c, std::string("Already in room: ") + room);
        return;
    }
    chat_room &r = s->rooms[room];  // a room exists from its first join
    room_broadcast(s, room, c, json_pack("{s:s, s:s, s:s}", "type", "user_joined", "room", room, "user", c->nick.c_str()));
    r.members.push_back(c);
    c->rooms.insert(room);
    chat_send(s, c, json_pack("{s:s, s:s, s:o}", "type", "joined", "room", room, "users", nick_list(r)));
    if (s->cfg.bonus && s->cfg.bonus->joined) s->cfg.bonus->joined(s, c, room);
}

static void do_leave(chat_server *s, chat_client *c, const char *room)
{
    if (!c->rooms.count(room)) {
        chat_send_error(s, c, std::string("Not in room: ") + room);
        return;
    }
    room_remove_member(s, c, room);
    chat_send(s, c, json_pack("{s:s, s:s}", "type", "left", "room", room));
}

static void do_message(chat_server *s, chat_client *c, const char *room, const char *content)
{
    if (!c->rooms.count(room)) {
        chat_send_error(s, c, std::string("Not in room: ") + room);
        return;
    }
    if (s->cfg.bonus && s->cfg.bonus->message_allowed && !s->cfg.bonus->message_allowed(s, c)) return;
    json_t *msg = json_pack("{s:s, s:s, s:s, s:s}", "type", "message", "room", room, "from", c->nick.c_str(),
                            "content", content);
    if (!msg) {
        chat_send_error(s, c, "cannot encode the message");
        return;
    }
    // The others get it from the room; the sender gets the very same line once, as its reply.
    room_broadcast(s, room, c, json_incref(msg));
    if (s->cfg.bonus && s->cfg.bonus->message_sent) s->cfg.bonus->message_sent(s, room, msg);
    chat_send(s, c, msg);
}

static void do_nick(chat_server *s, chat_client *c, const char *name)
{
    if (!valid_name(name, false)) {
        chat_send_error(s, c, "Invalid nick: 1 to 32 characters among A-Z a-z 0-9 _ -");
        return;
    }
    if (c->nick != name) {
        if (reserved_nick(name)) {
            chat_send_error(s, c, std::string("Nick reserved for default names: ") + name);
            return;
        }
        if (s->nicks.count(name)) {
            chat_send_error(s, c, std::string("Nick already in use: ") + name);
            return;
        }
    }
    std::string old = c->nick;
    s->nicks.erase(old);
    c->nick = name;
    s->nicks[c->nick] = c;
    chat_send(s, c, json_pack("{s:s, s:s, s:s}", "type", "nick_changed", "old", old.c_str(), "new", name));
}

static void do_list_rooms(chat_server *s, chat_client *c)
{
    json_t *list = json_array();
    for (const auto &r : s->rooms) json_array_append_new(list, json_string(r.first.c_str()));
    chat_send(s, c, json_pack("{s:s, s:o}", "type", "rooms", "list", list));
}

static void do_list_users(chat_server *s, chat_client *c, const char *room)
{
    auto it = s->rooms.find(room);
    if (it == s->rooms.end()) {
        chat_send_error(s, c, std::string("Room not found: ") + room);
        return;
    }
    chat_send(s, c, json_pack("{s:s, s:s, s:o}", "type", "users", "room", room, "list", nick_list(it->second)));
}

static void handle_request(chat_server *s, chat_client *c, json_t *req)
{
    std::string err;
    const char *type = nl_json_get_string(req, "type", &err);
    if (!type) {
        chat_send_error(s, c, err);
        return;
    }
    const char *room = nullptr, *content = nullptr, *name = nullptr;
    if (!strcmp(type, "join")) {
        if ((room = nl_json_get_string(req, "room", &err))) do_join(s, c, room);
    } else if (!strcmp(type, "leave")) {
        if ((room = nl_json_get_string(req, "room", &err))) do_leave(s, c, room);
    } else if (!strcmp(type, "message")) {
        if ((room = nl_json_get_string(req, "room", &err)) && (content = nl_json_get_string(req, "content", &err)))
            do_message(s, c, room, content);
    } else if (!strcmp(type, "nick")) {
        if ((name = nl_json_get_string(req, "name", &err))) do_nick(s, c, name);
    } else if (!strcmp(type, "list_rooms")) {
        do_list_rooms(s, c);
    } else if (!strcmp(type, "list_users")) {
        if ((room = nl_json_get_string(req, "room", &err))) do_list_users(s, c, room);
    } else if (!(s->cfg.bonus && s->cfg.bonus->request && s->cfg.bonus->request(s, c, type, req))) {
        err = std::string("Unknown type: ") + type;
    }
    if (!err.empty()) chat_send_error(s, c, err);
}

static void handle_line(chat_server *s, chat_client *c, const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == len) return;  // empty lines are ignored
    std::string err;
    json_t *req = nl_json_parse_object(line, len, &err);
    if (!req) {
        chat_send_error(s, c, err);
        return;
    }
    handle_request(s, c, req);
    json_decref(req);
}

// ---- input ---------------------------------------------------------------------------------

static bool client_lines(chat_server *s, chat_client *c);

static void client_read(chat_server *s, chat_client *c)
{
    if (c->state == CLIENT_CLOSING && c->peer_fin) return;  // its FIN came: only our replies are left
    if (c->state == CLIENT_CLOSING) {  // only waiting for the peer's FIN: discard what it sends
        char sink[4096];
        ssize_t n = recv(c->fd, sink, sizeof sink, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            client_kill(s, c, NL_LOG_DEBUG, "closed after a protocol error");
        return;
    }
    // One read per readiness event: a chatty client cannot starve the others.
    nl_line_status st = nl_lr_fill(&c->in);
    if (st == NL_LINE_ERROR) {
        client_kill(s, c, NL_LOG_INFO, "read failed (%s), disconnecting", strerror(errno));
        return;
    }
    if (st == NL_LINE_AGAIN) return;
    client_lines(s, c);
}

// Handles every complete line buffered; false once the client is no longer open or at EOF.
static bool client_lines(chat_server *s, chat_client *c)
{
    for (;;) {
        const char *line;
        size_t len;
        nl_line_status ls = nl_lr_next(&c->in, &line, &len);
        if (ls == NL_LINE_OK) {
            handle_line(s, c, line, len);
            if (c->state != CLIENT_OPEN) return false;
            continue;
        }
        if (ls == NL_LINE_TOO_LONG) {
            nl_warn("client %llu (%s): line longer than %zu bytes, disconnecting", (unsigned long long)c->id,
                    c->nick.c_str(), s->cfg.max_line);
            char msg[96];
            snprintf(msg, sizeof msg, "Line too long (limit %zu bytes); closing the connection", s->cfg.max_line);
            chat_send_error(s, c, msg);
            client_close_after_error(s, c);
            return false;
        }
        if (ls == NL_LINE_EOF) {
            // A half-close (FIN right after the last requests) still gets its replies: on io_uring
            // they are queued for the end of this turn when the EOF completion comes with the data,
            // and killing now lost them. The user leaves now; the socket closes once they are sent
            // (bounded by LINGER_MS).
            size_t owed = s->cq ? nl_cq_unsent(s->cq, c->fd) : nl_outbuf_pending(&c->out);
            if (owed == 0) {
                client_kill(s, c, NL_LOG_DEBUG, "disconnected");
                return false;
            }
            c->peer_fin = true;
            client_close_after_error(s, c);
            if (!s->cq)  // stop watching the EOF (it would spin); the flush (timer or writable) finishes it
                nl_loop_watch(s->loop, c->fd, c->want_write ? NL_WRITABLE : 0, on_client_io, c);
            return false;
        }
        return true;  // NL_LINE_NEED_MORE
    }
}

static void on_client_io(nl_loop *loop, int fd, int events, void *arg)
{
    (void)loop;
    (void)fd;
    chat_client *c = (chat_client *)arg;
    chat_server *s = c->srv;
    if (events & NL_WRITABLE) client_flush(s, c);
    if ((events & NL_READABLE) && c->state != CLIENT_DEAD) client_read(s, c);
    reap_dead(s);
}

// Completion path: the bytes arrive with the callback; they go through the same line reader.
static void on_client_recv(nl_cq *q, int fd, const char *data, ssize_t n, void *arg)
{
    (void)q;
    (void)fd;
    chat_client *c = (chat_client *)arg;
    chat_server *s = c->srv;
    if (n < 0) client_kill(s, c, NL_LOG_INFO, "read failed (%s), disconnecting", strerror((int)-n));
    else if (c->state == CLIENT_CLOSING) {  // only waiting for the peer's FIN: discard what it sends
        if (n == 0) client_kill(s, c, NL_LOG_DEBUG, "closed after a protocol error");
    } else if (n == 0) {
        nl_lr_set_eof(&c->in);
        client_lines(s, c);
    } else {
        size_t off = 0;
        while (off < (size_t)n && c->state == CLIENT_OPEN) {
            off += nl_lr_feed(&c->in, data + off, (size_t)n - off);
            if (!client_lines(s, c)) break;
        }
    }
    reap_dead(s);
}

static void on_client_sent(nl_cq *q, int fd, int err, void *arg)
{
    (void)q;
    chat_client *c = (chat_client *)arg;
    chat_server *s = c->srv;
    if (err < 0) client_kill(s, c, NL_LOG_INFO, "send failed (%s), disconnecting", strerror(-err));
    else if (c->state == CLIENT_CLOSING && c->peer_fin && nl_cq_unsent(q, fd) == 0)
        client_kill(s, c, NL_LOG_DEBUG, "disconnected (half-closed, replies sent)");
    else if (c->state == CLIENT_CLOSING && !c->shut_wr) {
        shutdown(fd, SHUT_WR);  // FIN after the error line; the fd closes on the peer's FIN
        c->shut_wr = true;
    }
    reap_dead(s);
}

// ---- accepting -----------------------------------------------------------------------------

static void on_accept(nl_loop *loop, int fd, int events, void *arg);
static void on_cq_accept(nl_cq *q, int lfd, int fd, void *arg);

static void on_accept_resume(void *arg)
{
    chat_server *s = (chat_server *)arg;
    if (s->listen_fd < 0) return;
    if (s->cq) nl_cq_accept(s->cq, s->listen_fd, on_cq_accept, s);
    else nl_loop_watch(s->loop, s->listen_fd, NL_READABLE, on_accept, s);
}

static void client_open(chat_server *s, int fd)
{
    chat_client *c = new chat_client;
    c->srv = s;
    c->id = s->next_id++;
    c->fd = fd;
    c->nick = "User" + std::to_string(c->id);
    if (nl_lr_init(&c->in, fd, s->cfg.max_line) < 0 ||
        (s->cq ? nl_cq_open(s->cq, fd, on_client_recv, on_client_sent, c)
               : nl_loop_watch(s->loop, fd, NL_READABLE, on_client_io, c)) < 0) {
        nl_error("client %llu: cannot set up the connection: %s", (unsigned long long)c->id, strerror(errno));
        nl_lr_free(&c->in);
        close(fd);
        delete c;
        return;
    }
    s->clients[c->id] = c;
    s->nicks[c->nick] = c;
    nl_debug("client %llu connected as %s", (unsigned long long)c->id, c->nick.c_str());
}

static void accept_one(chat_server *s, int cfd)
{
    if (s->clients.size() >= s->cfg.max_clients) {
        nl_warn("refusing a connection: %zu clients already (--max-clients)", s->clients.size());
        char line[128];
        int n = snprintf(line, sizeof line, "{\"type\":\"error\",\"message\":\"Server full (%zu clients)\"}\n",
                         s->cfg.max_clients);
        (void)!send(cfd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(cfd);
        return;
    }
    client_open(s, cfd);
}

static void on_accept(nl_loop *loop, int fd, int events, void *arg)
{
    (void)events;
    chat_server *s = (chat_server *)arg;
    // Drain the backlog (bounded per turn, so connected clients are served between bursts).
    for (int i = 0; i < 256; i++) {
        int cfd = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            // Out of fds: the listener stays readable, so stop watching it for a moment instead of spinning.
            nl_warn("accept: %s; pausing new connections for %llu ms", strerror(errno),
                    (unsigned long long)ACCEPT_PAUSE_MS);
            nl_loop_watch(loop, fd, 0, on_accept, s);
            srv_timer<on_accept_resume>(s, ACCEPT_PAUSE_MS, s);
            break;
        }
        accept_one(s, cfd);
    }
    reap_dead(s);
}

static void on_cq_accept(nl_cq *q, int lfd, int fd, void *arg)
{
    (void)q;
    (void)lfd;
    chat_server *s = (chat_server *)arg;
    if (fd >= 0) accept_one(s, fd);
    else {  // accepting has stopped (out of fds): ask again in a moment
        nl_warn("accept: %s; pausing new connections for %llu ms", strerror(-fd), (unsigned long long)ACCEPT_PAUSE_MS);
        srv_timer<on_accept_resume>(s, ACCEPT_PAUSE_MS, s);
    }
    reap_dead(s);
}

// ---- shutdown and the run function ---------------------------------------------------------

static void on_grace_over(void *arg)
{
    nl_info("grace period over, exiting");
    srv_stop((chat_server *)arg);
}

static void handle_signal(chat_server *s)
{
    int sig = nl_shutdown_consume();
    if (!sig) return;
    const chat_bonus_ops *b = s->cfg.bonus;
    if (s->shutting_down || !b || !b->shutdown) {
        nl_info("signal %d: shutting down", sig);
        srv_stop(s);
        return;
    }
    s->shutting_down = true;
    if (s->cq) nl_cq_close(s->cq, s->listen_fd);  // no new clients during the grace period
    else {
        nl_loop_unwatch(s->loop, s->listen_fd);
        close(s->listen_fd);
    }
    s->listen_fd = -1;
    uint64_t grace = b->shutdown(s);
    nl_info("signal %d: shutting down in %llu ms (or when the last client leaves)", sig, (unsigned long long)grace);
    if (grace == 0 || s->clients.empty()) srv_stop(s);
    else srv_timer<on_grace_over>(s, grace, s);
}

static void on_signal(nl_loop *loop, int fd, int events, void *arg)
{
    (void)loop;
    (void)fd;
    (void)events;
    handle_signal((chat_server *)arg);
}

static void on_cq_signal(nl_cq *q, int fd, void *arg)
{
    nl_cq_poll(q, fd, on_cq_signal, arg);  // one-shot: wait for the next signal too
    handle_signal((chat_server *)arg);
}

static void server_cleanup(chat_server *s)
{
    reap_dead(s);
    const chat_bonus_ops *b = s->cfg.bonus;
    // The rooms end with the server: the bonus frees what it keeps per room and per client.
    for (const auto &r : s->rooms)
        if (b && b->room_removed) b->room_removed(s, r.first.c_str());
    s->rooms.clear();
    std::vector<chat_client *> all;
    for (auto &kv : s->clients) all.push_back(kv.second);
    for (chat_client *c : all) {
        if (!s->cq) nl_outbuf_flush(&c->out, c->fd);  // last words, best effort, never blocking
        if (b && b->client_closed && !c->detached) b->client_closed(s, c);
        client_destroy(s, c);
    }
    if (s->cq) {  // the completion loop's last turn already handed the last words to the kernel
        if (s->listen_fd >= 0) nl_cq_close(s->cq, s->listen_fd);
        nl_cq_forget(s->cq, nl_shutdown_fd());
        nl_cq_destroy(s->cq);
        return;
    }
    if (s->listen_fd >= 0) {
        nl_loop_unwatch(s->loop, s->listen_fd);
        close(s->listen_fd);
    }
    if (nl_shutdown_fd() >= 0) nl_loop_unwatch(s->loop, nl_shutdown_fd());
    nl_loop_destroy(s->loop);
}

// io_uring: the completion path. Returns nl_cq_run's result, or -1 with err set before it runs.
static int run_completion(chat_server *s, char *err, size_t errlen)
{
    s->cq = nl_cq_create(s->cfg.backend, err, errlen);
    if (!s->cq) return -2;
    s->listen_fd = nl_listen_tcp(s->cfg.host, s->cfg.port, 4096, NL_SOCK_NONBLOCK, err, errlen);
    if (s->listen_fd < 0) {
        nl_cq_destroy(s->cq);
        return -2;
    }
    if (nl_cq_accept(s->cq, s->listen_fd, on_cq_accept, s) < 0 ||
        nl_cq_poll(s->cq, nl_shutdown_fd(), on_cq_signal, s) < 0) {
        snprintf(err, errlen, "cannot watch the listening socket: %s", strerror(errno));
        nl_cq_close(s->cq, s->listen_fd);
        nl_cq_destroy(s->cq);
        return -2;
    }
    nl_print_listening(s->cfg.host, s->listen_fd);
    nl_info("chat server up (backend %s, completions, max %zu clients)", nl_backend_name(s->cfg.backend),
            s->cfg.max_clients);
    return nl_cq_run(s->cq);
}

int chat_server_run(const chat_config *cfg, char *err, size_t errlen)
{
    if (cfg->max_line < 64 || cfg->max_history < 1 || cfg->max_history > 100 || cfg->max_clients < 1 ||
        cfg->max_outbuf < cfg->max_line) {
        snprintf(err, errlen,
                 "invalid configuration: need max_line >= 64, 1 <= max_history <= 100, max_clients >= 1, "
                 "max_outbuf >= max_line");
        return -1;
    }
    if (nl_shutdown_fd() < 0) {
        snprintf(err, errlen, "call nl_shutdown_init() before chat_server_run()");
        return -1;
    }
    chat_server s;
    s.cfg = *cfg;
    if (cfg->backend == NL_BACKEND_URING) {
        int rc = run_completion(&s, err, errlen);
        if (rc == -2) return -1;
        server_cleanup(&s);
        if (rc < 0) snprintf(err, errlen, "the event loop failed (see the log above)");
        return rc < 0 ? -1 : 0;
    }
    s.loop = nl_loop_create(cfg->backend, err, errlen);
    if (!s.loop) return -1;
    s.listen_fd = nl_listen_tcp(cfg->host, cfg->port, 4096, NL_SOCK_NONBLOCK, err, errlen);
    if (s.listen_fd < 0) {
        nl_loop_destroy(s.loop);
        return -1;
    }
    if (nl_loop_watch(s.loop, s.listen_fd, NL_READABLE, on_accept, &s) < 0 ||
        nl_loop_watch(s.loop, nl_shutdown_fd(), NL_READABLE, on_signal, &s) < 0) {
        snprintf(err, errlen, "cannot watch the listening socket: %s", strerror(errno));
        close(s.listen_fd);
        nl_loop_destroy(s.loop);
        return -1;
    }
    nl_print_listening(cfg->host, s.listen_fd);
    nl_info("chat server up (backend %s, max %zu clients)", nl_backend_name(cfg->backend), cfg->max_clients);
    int rc = nl_loop_run(s.loop);
    server_cleanup(&s);
    if (rc < 0) {
        snprintf(err, errlen, "the event loop failed (see the log above)");
        return -1;
    }
    return 0;
}

// ---- what the bonus sees -------------------------------------------------------------------

const chat_config *chat_server_config(const chat_server *s) { return &s->cfg; }
uint64_t chat_client_id(const chat_client *c) { return c->id; }
const char *chat_client_nick(const chat_client *c) { return c->nick.c_str(); }
bool chat_client_in_room(const chat_client *c, const char *room) { return c->rooms.count(room) != 0; }
size_t chat_client_count(const chat_server *s) { return s->clients.size(); }

chat_client *chat_find_client(chat_server *s, const char *nick)
{
    auto it = s->nicks.find(nick);
    return it == s->nicks.end() ? nullptr : it->second;
}

void chat_for_each_client(chat_server *s, void (*fn)(chat_server *, chat_client *, void *), void *arg)
{
    for (auto &kv : s->clients)
        if (kv.second->state == CLIENT_OPEN) fn(s, kv.second, arg);
}
