// ws_server.cpp — connections on one event loop. A connection goes HTTP (reading the upgrade
// request) -> OPEN (frames) -> CLOSING (our Close or error reply is out; we wait for the peer's
// Close or EOF, bounded by close_timeout_ms) -> destroyed. Output goes through a per-client
// nl_outbuf, so a slow reader never blocks the loop: it is dropped past max_pending_output.
// On epoll the loop is common/'s readiness loop (nl_loop.h); on io_uring the completion loop
// (nl_cq.h): bytes arrive with their completion, and queued output is handed to nl_cq_send.
#include "ws_server.h"
#include "ws_frame.h"
#include "ws_handshake.h"
#include "ws_rooms.h"

#include "nl_clock.h"
#include "nl_cq.h"
#include "nl_either.h"
#include "nl_log.h"
#include "nl_outbuf.h"
#include "nl_signal.h"
#include "nl_socket.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <unordered_map>
#include <vector>

enum { HANDSHAKE_TIMEOUT_MS = 10000, READ_CHUNK = 65536, ACCEPT_BURST = 64 };

enum ws_phase { PHASE_HTTP, PHASE_OPEN, PHASE_CLOSING };

struct ws_conn {
    int fd = -1;
    uint64_t id = 0;
    ws_phase phase = PHASE_HTTP;
    ws_route route = WS_ROUTE_NONE;
    std::string in;
    nl_outbuf out;
    ws_reader reader;
    uint64_t last_pong_ms = 0;
    int interest = 0;             // events currently watched
    bool close_after_flush = false;  // half-close our side once the output is out
    bool peer_closed = false;     // the peer's Close arrived: close TCP once our output is out
    bool peer_eof = false;        // the peer half-closed (FIN): nothing more to read, output still owed
    bool broken = false;          // a write failed or output overflowed: reaped after this turn
    bool discard_input = false;   // after a protocol error the byte stream means nothing: drain it
    bool dirty = false;           // frames queued since the last flush
    uint64_t timer = 0;           // handshake or closing deadline
};

struct ws_srv {
    const ws_config *cfg = nullptr;
    nl_loop *loop = nullptr;      // readiness path (epoll)
    nl_cq *cq = nullptr;          // completion path (io_uring)
    int lfd = -1;
    std::unordered_map<uint64_t, ws_conn *> conns;  // by id
    uint64_t next_id = 1;
    ws_rooms rooms;
    bool shutting_down = false;
    uint64_t heartbeat_timer = 0, reap_timer = 0, flush_timer = 0;
    std::vector<uint64_t> doomed;
    std::vector<uint64_t> dirty;    // clients with frames queued this turn
};

// Callbacks get the connection as their argument; the server is reached through this.
static ws_srv *g_srv = nullptr;

static void conn_destroy(ws_srv *s, ws_conn *c)
{
    if (c->route == WS_ROUTE_ROOMS) ws_rooms_remove_client(&s->rooms, c->id);
    if (s->cq) nl_cq_close(s->cq, c->fd);
    else {
        nl_loop_unwatch(s->loop, c->fd);
        close(c->fd);
    }
    nl_either_cancel(s->loop, s->cq, c->timer);
    s->conns.erase(c->id);
    nl_debug("client %llu gone", (unsigned long long)c->id);
    delete c;
    if (s->shutting_down && s->conns.empty()) nl_either_stop(s->loop, s->cq);
}

static void reap_cb(void *arg)
{
    ws_srv *s = (ws_srv *)arg;
    s->reap_timer = 0;
    std::vector<uint64_t> ids;
    ids.swap(s->doomed);
    for (uint64_t id : ids) {
        auto it = s->conns.find(id);
        if (it != s->conns.end()) conn_destroy(s, it->second);
    }
}

// Marks a connection for destruction after the current dispatch: it may be a room member being
// iterated over by a broadcast right now, so it must not disappear mid-loop.
static void doom(ws_srv *s, ws_conn *c)
{
    if (c->broken) return;
    c->broken = true;
    s->doomed.push_back(c->id);
    if (!s->reap_timer) s->reap_timer = nl_either_timer<reap_cb>(s->loop, s->cq, 0, s);
}

static void on_io(nl_loop *loop, int fd, int events, void *arg);

// Bytes not yet taken by the kernel: in our buffer, or queued in (or in flight on) the completion loop.
static size_t out_pending(ws_srv *s, ws_conn *c)
{
    return nl_outbuf_pending(&c->out) + (s->cq ? nl_cq_unsent(s->cq, c->fd) : 0);
}

static void set_interest(ws_srv *s, ws_conn *c)
{
    int want = (c->peer_eof ? 0 : NL_READABLE) | (nl_outbuf_pending(&c->out) ? NL_WRITABLE : 0);
    if (want != c->interest && nl_loop_watch(s->loop, c->fd, want, on_io, c) == 0) c->interest = want;
}

// Sends what the socket takes, then watches for writability only while output is pending. Once a
// closing connection's output is out: half-close (FIN, so our Close is never lost to an RST), or
// finish at once when the peer's Close already arrived.
static void after_output(ws_srv *s, ws_conn *c)
{
    if (s->cq) {  // completion path: the loop sends at the end of the turn; "drained" comes back here
        if (nl_outbuf_pending(&c->out) && nl_cq_send(s->cq, c->fd, c->out.data.data() + c->out.off,
                                                     nl_outbuf_pending(&c->out)) < 0)
            return doom(s, c);
        c->out.data.clear();
        c->out.off = 0;
    } else if (nl_outbuf_flush(&c->out, c->fd) < 0) {
        return doom(s, c);
    }
    size_t pending = out_pending(s, c);
    if (pending > s->cfg->max_pending_output) {
        nl_warn("client %llu does not read its messages; dropping it", (unsigned long long)c->id);
        return doom(s, c);
    }
    if (!pending && c->close_after_flush) {
        if (c->peer_closed) return doom(s, c);
        shutdown(c->fd, SHUT_WR);
        c->close_after_flush = false;
    }
    if (!s->cq) set_interest(s, c);
}

static void on_sent(nl_cq *, int, int err, void *arg)
{
    ws_conn *c = (ws_conn *)arg;
    if (c->broken) return;
    if (err < 0) doom(g_srv, c);
    else after_output(g_srv, c);
}

static void flush_cb(void *arg)
{
    ws_srv *s = (ws_srv *)arg;
    s->flush_timer = 0;
    std::vector<uint64_t> ids;
    ids.swap(s->dirty);
    for (uint64_t id : ids) {
        auto it = s->conns.find(id);
        if (it == s->conns.end() || it->second->broken) continue;
        it->second->dirty = false;
        after_output(s, it->second);
    }
}

// Frames are sent at the end of the loop turn (a 0 ms timer runs after the I/O callbacks): a client
// that gets several broadcasts in one turn gets them in one send() instead of one each.
static void queue_frame(ws_srv *s, ws_conn *c, int opcode, const void *data, size_t len)
{
    if (c->broken || c->phase != PHASE_OPEN) return;
    ws_frame_append(&c->out.data, opcode, data, len);
    if (s->cq) return after_output(s, c);  // the completion loop batches a turn's sends by itself
    if (c->dirty) return;
    c->dirty = true;
    s->dirty.push_back(c->id);
    if (!s->flush_timer) s->flush_timer = nl_either_timer<flush_cb>(s->loop, s->cq, 0, s);
}

static void send_to_client(void *ctx, uint64_t client, const std::string &text)
{
    ws_srv *s = (ws_srv *)ctx;
    auto it = s->conns.find(client);
    if (it != s->conns.end()) queue_frame(s, it->second, WS_OP_TEXT, text.data(), text.size());
}

static void conn_timer_cb(void *arg)
{
    ws_conn *c = (ws_conn *)arg;
    c->timer = 0;
    nl_debug("client %llu: %s timed out", (unsigned long long)c->id, c->phase == PHASE_HTTP ? "handshake" : "close");
    conn_destroy(g_srv, c);
}

static void arm_timer(ws_srv *s, ws_conn *c, uint64_t ms)
{
    nl_either_cancel(s->loop, s->cq, c->timer);
    c->timer = nl_either_timer<conn_timer_cb>(s->loop, s->cq, ms, c);
}

// Sends our Close (code 0: one without a body) and enters CLOSING: Close frame out, room membership dropped at once so
// the others hear user_left now, then wait (bounded) for the peer's Close or EOF.
static void start_close(ws_srv *s, ws_conn *c, uint16_t code, const char *reason)
{
    if (c->phase != PHASE_OPEN) return;
    if (code) ws_close_append(&c->out.data, code, reason);
    else ws_frame_append(&c->out.data, WS_OP_CLOSE, "", 0);
    c->phase = PHASE_CLOSING;
    c->close_after_flush = true;
    if (c->route == WS_ROUTE_ROOMS) ws_rooms_remove_client(&s->rooms, c->id);
    arm_timer(s, c, s->cfg->close_timeout_ms);
    after_output(s, c);
}

static void handle_event(ws_srv *s, ws_conn *c, ws_event *ev)
{
    switch (ev->kind) {
    case WS_EV_MESSAGE:
        if (c->route == WS_ROUTE_ECHO) queue_frame(s, c, ev->opcode, ev->payload.data(), ev->payload.size());
        else if (ev->opcode == WS_OP_TEXT) ws_rooms_handle(&s->rooms, c->id, ev->payload.data(), ev->payload.size());
        else send_to_client(s, c->id, "{\"type\":\"error\",\"message\":\"binary messages are not part of the room protocol\"}");
        break;
    case WS_EV_PING:
        queue_frame(s, c, WS_OP_PONG, ev->payload.data(), ev->payload.size());
        break;
    case WS_EV_PONG:
        c->last_pong_ms = nl_now_ms();
        break;
    case WS_EV_CLOSE: {
        // Echo the peer's status (§5.5.1); a Close without a body is answered without one.
        uint16_t code = ev->code == WS_CLOSE_NO_STATUS ? 0 : ev->code;
        c->peer_closed = true;
        start_close(s, c, code, "");
        break;
    }
    case WS_EV_ERROR:
        nl_debug("client %llu: %s (close %u)", (unsigned long long)c->id, ev->reason.c_str(), ev->code);
        c->discard_input = true;
        start_close(s, c, ev->code, ev->reason.c_str());
        break;
    default:
        break;
    }
}

static void process_frames(ws_srv *s, ws_conn *c)
{
    size_t off = 0;
    ws_event ev;
    while (!c->broken) {
        size_t used = ws_reader_next(&c->reader, (const uint8_t *)c->in.data() + off, c->in.size() - off, &ev);
        off += used;
        if (ev.kind == WS_EV_NEED_MORE) break;
        if (c->phase == PHASE_OPEN) {
            handle_event(s, c, &ev);
        } else if (ev.kind == WS_EV_CLOSE || ev.kind == WS_EV_ERROR) {
            // Closing: the peer answered our Close (or spoke nonsense); the handshake is over.
            c->peer_closed = true;
            if (!out_pending(s, c)) doom(s, c);
            break;
        }
        if (ev.kind == WS_EV_ERROR) break;
    }
    if (c->discard_input) c->in.clear();
    else c->in.erase(0, off);
}

static void process_http(ws_srv *s, ws_conn *c)
{
    long end = ws_http_header_end(c->in.data(), c->in.size(), WS_MAX_HEADER_BYTES);
    if (end == 0) return;
    ws_handshake_result hs;
    if (end < 0) {
        hs.status = 431;
        hs.response = ws_http_too_large();
    } else {
        ws_handshake(c->in.data(), (size_t)end, &hs);
    }
    c->out.data.append(hs.response);
    if (hs.status == 101) {
        c->phase = PHASE_OPEN;
        c->route = hs.route;
        c->last_pong_ms = nl_now_ms();
        c->reader.max_message = s->cfg->max_message;
        c->in.erase(0, (size_t)end);
        nl_either_cancel(s->loop, s->cq, c->timer);
        c->timer = 0;
        after_output(s, c);
        if (!c->in.empty()) process_frames(s, c);  // frames pipelined behind the request
        return;
    }
    nl_debug("client %llu: HTTP %d", (unsigned long long)c->id, hs.status);
    c->in.clear();
    c->phase = PHASE_CLOSING;
    c->close_after_flush = true;
    arm_timer(s, c, s->cfg->close_timeout_ms);
    after_output(s, c);
}

static void got_input(ws_srv *s, ws_conn *c, ssize_t n);

static void on_io(nl_loop *, int, int events, void *arg)
{
    ws_conn *c = (ws_conn *)arg;
    ws_srv *s = g_srv;
    if (c->broken) return;
    if (events & NL_WRITABLE) {
        after_output(s, c);
        if (c->broken) return;
    }
    if (!(events & NL_READABLE) || c->peer_eof) return;
    size_t old = c->in.size();
    c->in.resize(old + READ_CHUNK);
    ssize_t n = recv(c->fd, &c->in[old], READ_CHUNK, 0);
    c->in.resize(old + (n > 0 ? (size_t)n : 0));
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    got_input(s, c, n);
}

// n bytes were appended to c->in (n <= 0: EOF or an error).
static void got_input(ws_srv *s, ws_conn *c, ssize_t n)
{
    if (n == 0 && !c->peer_eof && c->phase != PHASE_HTTP) {
        // EOF: the peer half-closed, maybe right after a request (a ping, a message) whose answer is
        // still queued — on io_uring the send is asynchronous and the EOF completion can come in the
        // same turn as the data, so destroying now lost the pong. The replies are flushed first,
        // bounded by close_timeout_ms, then the connection is closed.
        c->peer_eof = true;
        c->peer_closed = true;
        c->close_after_flush = true;
        c->discard_input = true;
        arm_timer(s, c, s->cfg->close_timeout_ms);
        after_output(s, c);
        return;
    }
    if (n <= 0) {
        // A reset, a second EOF, or EOF during the handshake: the peer is gone.
        conn_destroy(s, c);
        return;
    }
    if (c->phase == PHASE_HTTP) process_http(s, c);
    else if (c->route == WS_ROUTE_NONE || c->discard_input) c->in.clear();  // drained until EOF
    else process_frames(s, c);
}

static void on_recv(nl_cq *, int, const char *data, ssize_t n, void *arg)
{
    ws_conn *c = (ws_conn *)arg;
    if (c->broken) return;
    if (n > 0) c->in.append(data, (size_t)n);
    got_input(g_srv, c, n);
}

static void conn_new(ws_srv *s, int cfd)
{
    nl_set_nodelay(cfd);
    ws_conn *c = new ws_conn;
    c->fd = cfd;
    c->id = s->next_id++;
    if ((s->cq ? nl_cq_open(s->cq, cfd, on_recv, on_sent, c) : nl_loop_watch(s->loop, cfd, NL_READABLE, on_io, c)) < 0) {
        nl_warn("cannot watch a new client: %s", strerror(errno));
        close(cfd);
        delete c;
        return;
    }
    c->interest = NL_READABLE;
    s->conns[c->id] = c;
    arm_timer(s, c, HANDSHAKE_TIMEOUT_MS);
}

static void on_accept(nl_loop *, int fd, int, void *arg)
{
    ws_srv *s = (ws_srv *)arg;
    for (int i = 0; i < ACCEPT_BURST; i++) {
        int cfd = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
                nl_warn("accept: %s", strerror(errno));
            return;
        }
        conn_new(s, cfd);
    }
}

static void on_resume_accept(void *arg);

static void on_cq_accept(nl_cq *, int, int fd, void *arg)
{
    ws_srv *s = (ws_srv *)arg;
    if (fd >= 0) return conn_new(s, fd);
    nl_warn("accept: %s; trying again in 100 ms", strerror(-fd));  // out of fds: accepting stopped
    nl_either_timer<on_resume_accept>(s->loop, s->cq, 100, s);
}

static void on_resume_accept(void *arg)
{
    ws_srv *s = (ws_srv *)arg;
    if (s->lfd >= 0) nl_cq_accept(s->cq, s->lfd, on_cq_accept, s);
}

// Every ping_interval: a Ping to each open client, and Close 1011 to those silent for too long.
static void heartbeat_cb(void *arg)
{
    ws_srv *s = (ws_srv *)arg;
    uint64_t now = nl_now_ms();
    std::vector<ws_conn *> open;
    for (auto &kv : s->conns)
        if (kv.second->phase == PHASE_OPEN && !kv.second->broken) open.push_back(kv.second);
    for (ws_conn *c : open) {
        if (now - c->last_pong_ms > s->cfg->pong_timeout_ms) {
            nl_info("client %llu: no pong for %llu ms, closing", (unsigned long long)c->id,
                    (unsigned long long)(now - c->last_pong_ms));
            start_close(s, c, WS_CLOSE_INTERNAL, "pong timeout");
        } else {
            queue_frame(s, c, WS_OP_PING, "hb", 2);
        }
    }
    s->heartbeat_timer = nl_either_timer<heartbeat_cb>(s->loop, s->cq, s->cfg->ping_interval_ms, s);
}

static void shutdown_deadline_cb(void *arg) { nl_either_stop(((ws_srv *)arg)->loop, ((ws_srv *)arg)->cq); }

static void handle_signal(ws_srv *s)
{
    int sig = nl_shutdown_consume();
    if (s->shutting_down) return;
    nl_info("signal %d: closing %zu client(s) with 1001", sig, s->conns.size());
    s->shutting_down = true;
    if (s->cq) nl_cq_close(s->cq, s->lfd);
    else {
        nl_loop_unwatch(s->loop, s->lfd);
        close(s->lfd);
    }
    s->lfd = -1;
    std::vector<ws_conn *> all;
    for (auto &kv : s->conns) all.push_back(kv.second);
    for (ws_conn *c : all) {
        if (c->phase == PHASE_OPEN) start_close(s, c, WS_CLOSE_GOING_AWAY, "server shutting down");
        else if (c->phase == PHASE_HTTP) doom(s, c);
    }
    if (s->conns.empty()) nl_either_stop(s->loop, s->cq);
    else nl_either_timer<shutdown_deadline_cb>(s->loop, s->cq, s->cfg->close_timeout_ms + 500, s);
}

static void on_signal(nl_loop *loop, int fd, int, void *arg)
{
    nl_loop_unwatch(loop, fd);
    handle_signal((ws_srv *)arg);
}

static void on_cq_signal(nl_cq *, int, void *arg) { handle_signal((ws_srv *)arg); }  // one-shot: once is all it takes

int ws_server_run(const ws_config *cfg)
{
    char err[256];
    ws_srv srv;
    srv.cfg = cfg;
    srv.rooms.max_per_room = cfg->max_room;
    srv.rooms.send = send_to_client;
    srv.rooms.ctx = &srv;
    bool completions = cfg->backend == NL_BACKEND_URING;
    if (completions) srv.cq = nl_cq_create(cfg->backend, err, sizeof err);
    else srv.loop = nl_loop_create(cfg->backend, err, sizeof err);
    if (!srv.loop && !srv.cq) {
        fprintf(stderr, "ws_server: %s\n", err);
        return 1;
    }
    srv.lfd = nl_listen_tcp(cfg->host, cfg->port, 511, NL_SOCK_NONBLOCK, err, sizeof err);
    if (srv.lfd < 0) {
        fprintf(stderr, "ws_server: %s\n", err);
        nl_loop_destroy(srv.loop);
        nl_cq_destroy(srv.cq);
        return 1;
    }
    g_srv = &srv;
    if (completions) {
        nl_cq_accept(srv.cq, srv.lfd, on_cq_accept, &srv);
        nl_cq_poll(srv.cq, nl_shutdown_fd(), on_cq_signal, &srv);
    } else {
        nl_loop_watch(srv.loop, srv.lfd, NL_READABLE, on_accept, &srv);
        nl_loop_watch(srv.loop, nl_shutdown_fd(), NL_READABLE, on_signal, &srv);
    }
    srv.heartbeat_timer = nl_either_timer<heartbeat_cb>(srv.loop, srv.cq, cfg->ping_interval_ms, &srv);
    nl_print_listening(cfg->host, srv.lfd);
    nl_info("backend %s, ping every %llu ms, pong timeout %llu ms, max message %zu, max room %zu",
            nl_backend_name(cfg->backend), (unsigned long long)cfg->ping_interval_ms,
            (unsigned long long)cfg->pong_timeout_ms, cfg->max_message, cfg->max_room);
    int rc = completions ? nl_cq_run(srv.cq) : nl_loop_run(srv.loop);
    std::vector<ws_conn *> left;
    for (auto &kv : srv.conns) left.push_back(kv.second);
    for (ws_conn *c : left) conn_destroy(&srv, c);
    if (completions) {
        if (srv.lfd >= 0) nl_cq_forget(srv.cq, srv.lfd);
        nl_cq_forget(srv.cq, nl_shutdown_fd());
    }
    if (srv.lfd >= 0) close(srv.lfd);
    nl_loop_destroy(srv.loop);
    nl_cq_destroy(srv.cq);
    g_srv = nullptr;
    return rc < 0 ? 1 : 0;
}
