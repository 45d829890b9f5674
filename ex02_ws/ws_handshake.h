// ws_handshake.h — the HTTP/1.1 side of RFC 6455 (§4.2): find the end of a request's header block
// within a size limit, parse it, and decide the answer: 101 with Sec-WebSocket-Accept, the demo
// page, or an error status whose body says what was wrong.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

enum { WS_MAX_HEADER_BYTES = 8192 };

// What a request asks for, by path: "/" and "/ws" speak the room protocol once upgraded,
// "/echo" echoes; a plain GET of "/" gets the HTML page.
enum ws_route { WS_ROUTE_NONE = 0, WS_ROUTE_ROOMS, WS_ROUTE_ECHO };

struct ws_http_request {
    std::string method, target, version;
    std::vector<std::pair<std::string, std::string>> headers;  // names as sent, values trimmed
};

// Length of the header block (request line through the blank line) at the start of buf, 0 when
// it is not complete yet, -1 when it is not complete within max bytes.
long ws_http_header_end(const char *buf, size_t len, size_t max);

// Parses a complete header block. Returns 0, or -1 with a reason in *err.
int ws_http_parse(const char *buf, size_t len, ws_http_request *req, std::string *err);

// Value of the first header with that name (case-insensitive), or NULL.
const char *ws_http_header(const ws_http_request *req, const char *name);

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key: base64(SHA-1(key + RFC GUID)).
std::string ws_accept_key(const std::string &client_key);

struct ws_handshake_result {
    int status = 0;          // 101 upgraded; anything else: send response, then close
    ws_route route = WS_ROUTE_NONE;
    std::string response;    // the full HTTP response to send
};

// Decides the answer to a complete header block (buf, len as found by ws_http_header_end).
void ws_handshake(const char *buf, size_t len, ws_handshake_result *out);

// The full response for a header block over the limit (431).
std::string ws_http_too_large(void);

// The demo chat page served on GET / (ws_page.cpp).
extern const char ws_page_html[];
