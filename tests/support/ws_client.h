// ws_client.h — a small blocking WebSocket client for tests (RFC 6455, client side): upgrade
// handshake with accept-key check, masked frames (or deliberately broken ones), and frame reads
// with a deadline on every call. It never answers pings by itself unless auto_pong is set.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

struct ws_client {
    int fd = -1;
    int status = 0;            // HTTP status of the handshake answer
    bool accept_ok = false;    // Sec-WebSocket-Accept matched the key we sent
    std::string response;      // the handshake answer (headers; body for non-101 when read to EOF)
    std::string buf;           // bytes read past the last returned frame
    bool auto_pong = false;    // ws_read_* answer pings with pongs while looking for a message
    unsigned pings_seen = 0;   // pings received through ws_read_*
};

struct ws_frame_in {
    int opcode = 0;
    bool fin = true;
    int rsv = 0;
    bool masked = false;
    std::string data;
};

// Connects to 127.0.0.1:port and upgrades on path. Returns the HTTP status (101 on success), or -1
// when no complete answer came within timeout_ms. For a non-101 answer the body is read to EOF.
int ws_connect(ws_client *c, uint16_t port, const char *path, int timeout_ms);
// Like ws_connect with a request of your own (no accept-key check): returns the status; the
// answer's header block (plus the body to EOF when not 101) in c->response.
int ws_connect_raw(ws_client *c, uint16_t port, const std::string &request, int timeout_ms);
// Sends raw bytes (an HTTP request of your own) and reads the whole answer until EOF.
// Returns the HTTP status, or -1.
int ws_http_exchange(uint16_t port, const std::string &request, std::string *answer, int timeout_ms);

// The bytes of one client frame. mask=false or rsv!=0 build frames a server must reject.
std::string ws_client_frame(int opcode, const void *data, size_t len, bool fin = true, bool mask = true, int rsv = 0);
int ws_send_raw(ws_client *c, const std::string &bytes);        // 0 or -1
int ws_send_text(ws_client *c, const std::string &text);        // one masked text frame
int ws_send_close(ws_client *c, int code, const char *reason);  // code < 0: a Close without body

// Next frame within timeout_ms: 1 a frame, 0 EOF (or reset), -1 timeout, -2 malformed frame.
int ws_read_frame(ws_client *c, ws_frame_in *f, int timeout_ms);
// Next data message (text or binary, fragments joined) within timeout_ms, skipping pings
// (answered when auto_pong) and pongs. Returns 1, 0 on EOF, -1 timeout, -3 when a Close came
// (its code in *close_code when not NULL).
int ws_read_message(ws_client *c, std::string *data, int timeout_ms, int *close_code = nullptr);
// Reads frames until a Close: 1 with code (-1 when it had no body) and reason, 0 EOF, -1 timeout.
int ws_read_close(ws_client *c, int *code, std::string *reason, int timeout_ms);
// True when the server closes the TCP connection within timeout_ms (frames before it skipped).
bool ws_wait_eof(ws_client *c, int timeout_ms);
void ws_close(ws_client *c);
