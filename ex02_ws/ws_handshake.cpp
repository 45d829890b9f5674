// ws_handshake.cpp — request parsing and the upgrade decision. Each refusal names the header at
// fault, so a student debugging their own client sees why the server said no.
#include "ws_handshake.h"

#include "nl_crypto.h"

#include <cstring>
#include <strings.h>

static const char WS_GUID[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

long ws_http_header_end(const char *buf, size_t len, size_t max)
{
    size_t lim = len < max ? len : max;
    for (size_t i = 3; i < lim; i++)
        if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') return (long)i + 1;
    return len >= max ? -1 : 0;
}

static std::string trim(const char *b, const char *e)
{
    while (b < e && (*b == ' ' || *b == '\t')) b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t')) e--;
    return std::string(b, (size_t)(e - b));
}

static bool is_token_char(char c)
{
    return c > 32 && c < 127 && !strchr("()<>@,;:\\\"/[]?={}", c);
}

int ws_http_parse(const char *buf, size_t len, ws_http_request *req, std::string *err)
{
    const char *p = buf, *end = buf + len;
    const char *eol = (const char *)memchr(p, '\n', (size_t)(end - p));
    if (!eol || eol == p || eol[-1] != '\r') {
        *err = "malformed request line";
        return -1;
    }
    std::string line(p, (size_t)(eol - 1 - p));
    size_t s1 = line.find(' '), s2 = s1 == std::string::npos ? s1 : line.find(' ', s1 + 1);
    if (s1 == std::string::npos || s2 == std::string::npos || line.find(' ', s2 + 1) != std::string::npos ||
        s1 == 0 || s2 == s1 + 1) {
        *err = "malformed request line (expected 'METHOD TARGET HTTP/1.1')";
        return -1;
    }
    req->method = line.substr(0, s1);
    req->target = line.substr(s1 + 1, s2 - s1 - 1);
    req->version = line.substr(s2 + 1);
    if (req->version.rfind("HTTP/", 0) != 0) {
        *err = "malformed request line (no HTTP version)";
        return -1;
    }
    req->headers.clear();
    for (p = eol + 1; p < end;) {
        eol = (const char *)memchr(p, '\n', (size_t)(end - p));
        if (!eol || eol == p || eol[-1] != '\r') {
            *err = "header line not ending in CRLF";
            return -1;
        }
        if (eol - 1 == p) break;  // the blank line
        const char *colon = (const char *)memchr(p, ':', (size_t)(eol - 1 - p));
        if (!colon || colon == p) {
            *err = "malformed header line (no 'Name:')";
            return -1;
        }
        for (const char *c = p; c < colon; c++)
            if (!is_token_char(*c)) {
                *err = "malformed header name";
                return -1;
            }
        req->headers.emplace_back(std::string(p, (size_t)(colon - p)), trim(colon + 1, eol - 1));
        p = eol + 1;
    }
    return 0;
}

const char *ws_http_header(const ws_http_request *req, const char *name)
{
    for (const auto &h : req->headers)
        if (!strcasecmp(h.first.c_str(), name)) return h.second.c_str();
    return nullptr;
}

// True when a comma-separated header value lists token (case-insensitive), e.g.
// "Connection: keep-alive, Upgrade" as Firefox sends it.
static bool has_token(const char *value, const char *token)
{
    if (!value) return false;
    size_t tl = strlen(token);
    const char *p = value;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t')) t--;
        if ((size_t)(t - p) == tl && !strncasecmp(p, token, tl)) return true;
        p = e;
    }
    return false;
}

std::string ws_accept_key(const std::string &client_key)
{
    std::string s = client_key + WS_GUID;
    uint8_t digest[NL_SHA1_LEN];
    nl_sha1(s.data(), s.size(), digest);
    return nl_base64_encode(digest, sizeof digest);
}

static std::string reply(int status, const char *text, const std::string &extra_headers, const std::string &body,
                         const char *type = "text/plain; charset=utf-8")
{
    std::string r = "HTTP/1.1 " + std::to_string(status) + " " + text + "\r\n";
    r += "Content-Type: ";
    r += type;
    r += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    r += extra_headers;
    r += "Connection: close\r\n\r\n";
    r += body;
    return r;
}

static void refuse(ws_handshake_result *out, int status, const char *text, const std::string &why,
                   const std::string &extra = "")
{
    out->status = status;
    out->route = WS_ROUTE_NONE;
    out->response = reply(status, text, extra, why + "\n");
}

std::string ws_http_too_large(void)
{
    return reply(431, "Request Header Fields Too Large", "",
                 "request headers exceed " + std::to_string((int)WS_MAX_HEADER_BYTES) + " bytes\n");
}

void ws_handshake(const char *buf, size_t len, ws_handshake_result *out)
{
    ws_http_request req;
    std::string err;
    if (ws_http_parse(buf, len, &req, &err) < 0) return refuse(out, 400, "Bad Request", err);
    if (req.version != "HTTP/1.1") return refuse(out, 400, "Bad Request", "HTTP/1.1 required, got " + req.version);
    std::string path = req.target.substr(0, req.target.find('?'));
    ws_route route = WS_ROUTE_NONE;
    if (path == "/" || path == "/ws") route = WS_ROUTE_ROOMS;
    else if (path == "/echo") route = WS_ROUTE_ECHO;
    else return refuse(out, 404, "Not Found", "no such path: " + path + " (try /, /ws or /echo)");
    if (req.method != "GET")
        return refuse(out, 405, "Method Not Allowed", "only GET is served", "Allow: GET\r\n");
    if (!ws_http_header(&req, "Host")) return refuse(out, 400, "Bad Request", "missing Host header");

    const char *upgrade = ws_http_header(&req, "Upgrade");
    if (!upgrade) {
        if (path == "/") {  // a browser asking for the demo page
            out->status = 200;
            out->route = WS_ROUTE_NONE;
            out->response = reply(200, "OK", "Cache-Control: no-store\r\n", ws_page_html, "text/html; charset=utf-8");
            return;
        }
        return refuse(out, 426, "Upgrade Required", path + " speaks WebSocket only: send 'Upgrade: websocket'",
                      "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
    }
    if (!has_token(upgrade, "websocket"))
        return refuse(out, 400, "Bad Request", "Upgrade header must be 'websocket'");
    if (!has_token(ws_http_header(&req, "Connection"), "upgrade"))
        return refuse(out, 400, "Bad Request", "Connection header must contain 'Upgrade'");
    const char *version = ws_http_header(&req, "Sec-WebSocket-Version");
    if (!version) return refuse(out, 400, "Bad Request", "missing Sec-WebSocket-Version header");
    if (strcmp(version, "13") != 0)
        return refuse(out, 426, "Upgrade Required", "unsupported Sec-WebSocket-Version (this server speaks 13)",
                      "Sec-WebSocket-Version: 13\r\n");
    const char *key = ws_http_header(&req, "Sec-WebSocket-Key");
    if (!key) return refuse(out, 400, "Bad Request", "missing Sec-WebSocket-Key header");
    std::string raw;
    if (nl_base64_decode(key, strlen(key), &raw) < 0 || raw.size() != 16)
        return refuse(out, 400, "Bad Request", "Sec-WebSocket-Key must be 16 bytes in base64");

    out->status = 101;
    out->route = route;
    out->response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Accept: " + ws_accept_key(key) + "\r\n\r\n";
}
