// proto_ws.cpp — ex02_ws under abuse: a WebSocket message in room abuse → received by a second
// good client (R16); the abusers' half handshakes and half frames.
#include "abuse.h"
#include "nl_check.h"
#include "nl_testnet.h"
#include <sys/socket.h>
#include <unistd.h>

static std::string ws_join(ws_client *c, const char *room, int timeout_ms)
{
    if (ws_send_text(c, nl_fmt("{\"type\":\"join\",\"room\":\"%s\"}", room)) != 0) return "send failed";
    std::string m;
    int r = ws_read_message(c, &m, timeout_ms);
    if (r != 1) return nl_fmt("no joined (%d)", r);
    return m.find("\"joined\"") != std::string::npos ? "" : "expected joined, got " + nl_quote(m);
}

static std::string ws_expect(ws_client *c, const std::string &needle, int timeout_ms)
{
    std::string m;
    int r = ws_read_message(c, &m, timeout_ms);
    if (r != 1) return nl_fmt("no message within %d ms (%d)", timeout_ms, r);
    return m.find(needle) != std::string::npos ? "" : nl_fmt("expected %s, got %s", nl_quote(needle).c_str(), nl_quote(m).c_str());
}

static bool ws_open_client(ws_client *c, uint16_t port, std::string *err)
{
    c->auto_pong = true;
    int st = ws_connect(c, port, "/ws", AB_DEADLINE_MS);
    if (st != 101) *err = nl_fmt("handshake: status %d", st);
    return st == 101;
}

static bool wsg_open(ab_good *g, uint16_t port, std::string *err)
{
    if (!ws_open_client(&g->wa, port, err) || !ws_open_client(&g->wb, port, err)) return false;
    *err = ws_join(&g->wa, "abuse", AB_DEADLINE_MS);
    if (err->empty()) *err = ws_join(&g->wb, "abuse", AB_DEADLINE_MS);
    if (err->empty()) *err = ws_expect(&g->wa, "\"user_joined\"", AB_DEADLINE_MS);
    return err->empty();
}

static std::string wsg_round(ab_good *g, int timeout_ms)
{
    ++g->seq;
    if (ws_send_text(&g->wa, nl_fmt("{\"type\":\"message\",\"room\":\"abuse\",\"content\":\"m%d\"}", g->seq)) != 0)
        return "send failed";
    return ws_expect(&g->wb, nl_fmt("\"content\":\"m%d\"", g->seq), timeout_ms);
}

static void wsg_close(ab_good *g)
{
    ws_close(&g->wa);
    ws_close(&g->wb);
}

static std::string wsg_probe(uint16_t port, int timeout_ms)
{
    ws_client c;
    std::string err;
    if (ws_open_client(&c, port, &err)) {
        err = ws_send_text(&c, "{\"type\":\"ping\"}") == 0 ? ws_expect(&c, "\"pong\"", timeout_ms) : "send failed";
    }
    ws_close(&c);
    return err;
}

// Upgraded, a ping sent, the write side shut: the pong still arrives, then the server closes.
static std::string wsg_half(uint16_t port, int timeout_ms)
{
    ws_client c;
    std::string err;
    if (ws_open_client(&c, port, &err)) {
        err = ws_send_text(&c, "{\"type\":\"ping\"}") == 0 ? "" : "send failed";
        shutdown(c.fd, SHUT_WR);
        if (err.empty()) err = ws_expect(&c, "\"pong\"", timeout_ms);
        if (err.empty() && !ws_wait_eof(&c, timeout_ms)) err = "no EOF after the pong";
    }
    ws_close(&c);
    return err;
}

// Upgraded, then the first half of a 200-byte text frame.
static int wsg_half_message(uint16_t port)
{
    ws_client c;
    std::string err;
    if (!ws_open_client(&c, port, &err)) {
        ws_close(&c);
        return -1;
    }
    std::string body(200, 'h');
    std::string frame = ws_client_frame(1, body.data(), body.size());
    if (ws_send_raw(&c, frame.substr(0, frame.size() / 2)) != 0) {
        ws_close(&c);
        return -1;
    }
    return c.fd;  // the caller closes it (with an RST)
}

// The non-reader is a raw socket that upgrades, joins room flood and never reads again; a talker
// there sends 60 KiB messages, which the server must drop it for past its pending-output bound.
static bool wsg_nonreader_open(uint16_t port, int *reader, ws_client *talker, int *talker_fd)
{
    *talker_fd = -1;
    ws_client r;
    std::string err;
    if (!ws_open_client(&r, port, &err) || !ws_join(&r, "flood", AB_DEADLINE_MS).empty()) return false;
    int sz = 4096;
    setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    *reader = r.fd;
    r.fd = -1;  // kept open by the caller, no more reads
    return ws_open_client(talker, port, &err) && ws_join(talker, "flood", AB_DEADLINE_MS).empty();
}

// The talker gets nothing of its own (R16): any message it gets is the user_left of a dropped reader (R21).
static int wsg_talk(int, ws_client *talker, int)
{
    static const std::string msg = "{\"type\":\"message\",\"room\":\"flood\",\"content\":\"" + std::string(60000, 'f') + "\"}";
    if (ws_send_text(talker, msg) != 0) return 0;
    std::string m;
    int r = ws_read_message(talker, &m, 1);  // 1 ms: a zero deadline never reads
    if (r == 1) return m.find("\"user_left\"") != std::string::npos ? 2 : 0;
    return r == -1 ? 1 : 0;
}

#define WS_PROTO(backend)                                                                                     \
    {"ex02 " backend, "ws_server", {"--backend", backend}, false, wsg_open, wsg_round, wsg_close, wsg_probe, \
     "GET /ws HTTP/1.1\r\nHost: x\r\nX-Slow: ", wsg_half, wsg_half_message, wsg_nonreader_open, wsg_talk, true}
const ab_proto AB_EX02_EPOLL = WS_PROTO("epoll");
const ab_proto AB_EX02_URING = WS_PROTO("uring");
