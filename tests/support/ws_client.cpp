// ws_client.cpp — blocking sockets with poll() deadlines. The accept key is checked with common's
// SHA-1/base64, so a server that computes it wrongly is visible to every test.
#include "ws_client.h"
#include "nl_testnet.h"
#include "nl_clock.h"
#include "nl_crypto.h"
#include "nl_socket.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t g_rng = 0;

static uint32_t next_random(void)
{
    if (!g_rng) g_rng = nl_now_ns() ^ ((uint64_t)getpid() << 32) ^ 0x9E3779B97F4A7C15ull;
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static int parse_status(const std::string &answer)
{
    int status = 0;
    if (answer.compare(0, 9, "HTTP/1.1 ") != 0) return -1;
    for (size_t i = 9; i < 12 && i < answer.size(); i++) {
        if (answer[i] < '0' || answer[i] > '9') return -1;
        status = status * 10 + (answer[i] - '0');
    }
    return status;
}

static std::string header_value(const std::string &head, const char *name)
{
    size_t nl = strlen(name), pos = head.find("\r\n");
    while (pos != std::string::npos && pos + 2 < head.size()) {
        size_t start = pos + 2, end = head.find("\r\n", start);
        if (end == std::string::npos) break;
        if (end - start > nl && head[start + nl] == ':' && !strncasecmp(head.c_str() + start, name, nl)) {
            size_t v = start + nl + 1;
            while (v < end && head[v] == ' ') v++;
            return head.substr(v, end - v);
        }
        pos = end;
    }
    return "";
}

static int exchange_head(ws_client *c, uint16_t port, const std::string &req, uint64_t deadline)
{
    c->fd = nl_connect_tcp("127.0.0.1", port, nullptr, 0);
    c->status = -1;
    c->accept_ok = false;
    c->buf.clear();
    c->response.clear();
    if (c->fd < 0) return -1;
    nl_set_nodelay(c->fd);
    if (nl_write_all(c->fd, req.data(), req.size()) < 0) return -1;
    size_t end;
    while ((end = c->buf.find("\r\n\r\n")) == std::string::npos) {
        if (nl_tc_recv_until(c->fd, &c->buf, deadline) <= 0) return -1;
    }
    c->response = c->buf.substr(0, end + 4);
    c->buf.erase(0, end + 4);
    c->status = parse_status(c->response);
    if (c->status != 101) {
        c->response += c->buf;  // the body, to EOF
        c->buf.clear();
        while (nl_tc_recv_until(c->fd, &c->response, deadline) > 0) {}
    }
    return c->status;
}

int ws_connect_raw(ws_client *c, uint16_t port, const std::string &request, int timeout_ms)
{
    return exchange_head(c, port, request, nl_now_ms() + (uint64_t)timeout_ms);
}

int ws_connect(ws_client *c, uint16_t port, const char *path, int timeout_ms)
{
    uint8_t nonce[16];
    for (int i = 0; i < 16; i++) nonce[i] = (uint8_t)next_random();
    std::string key = nl_base64_encode(nonce, sizeof nonce);
    std::string req = std::string("GET ") + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
                      "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (exchange_head(c, port, req, nl_now_ms() + (uint64_t)timeout_ms) != 101) return c->status;
    uint8_t digest[NL_SHA1_LEN];
    std::string s = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    nl_sha1(s.data(), s.size(), digest);
    c->accept_ok = header_value(c->response, "Sec-WebSocket-Accept") == nl_base64_encode(digest, sizeof digest);
    return 101;
}

int ws_http_exchange(uint16_t port, const std::string &request, std::string *answer, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    answer->clear();
    int fd = nl_connect_tcp("127.0.0.1", port, nullptr, 0);
    if (fd < 0) return -1;
    if (nl_write_all(fd, request.data(), request.size()) < 0 && errno != EPIPE && errno != ECONNRESET) {
        close(fd);
        return -1;
    }
    long n;
    while ((n = nl_tc_recv_until(fd, answer, deadline)) > 0) {}
    close(fd);
    if (n < 0) return -1;  // no EOF in time: the server did not finish its answer
    return parse_status(*answer);
}

std::string ws_client_frame(int opcode, const void *data, size_t len, bool fin, bool mask, int rsv)
{
    std::string f;
    f.push_back((char)((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0F)));
    uint8_t m = mask ? 0x80 : 0;
    if (len < 126) {
        f.push_back((char)(m | len));
    } else if (len <= 0xFFFF) {
        f.push_back((char)(m | 126));
        f.push_back((char)(len >> 8));
        f.push_back((char)len);
    } else {
        f.push_back((char)(m | 127));
        for (int i = 0; i < 8; i++) f.push_back((char)((uint64_t)len >> (56 - 8 * i)));
    }
    uint8_t key[4] = {0, 0, 0, 0};
    if (mask) {
        uint32_t r = next_random();
        memcpy(key, &r, 4);
        f.append((const char *)key, 4);
    }
    size_t at = f.size();
    f.append((const char *)data, len);
    for (size_t i = 0; i < len; i++) f[at + i] = (char)(f[at + i] ^ key[i & 3]);
    return f;
}

int ws_send_raw(ws_client *c, const std::string &bytes) { return nl_write_all(c->fd, bytes.data(), bytes.size()); }

int ws_send_text(ws_client *c, const std::string &text)
{
    return ws_send_raw(c, ws_client_frame(0x1, text.data(), text.size()));
}

int ws_send_close(ws_client *c, int code, const char *reason)
{
    if (code < 0) return ws_send_raw(c, ws_client_frame(0x8, "", 0));
    std::string body;
    body.push_back((char)(code >> 8));
    body.push_back((char)code);
    if (reason) body += reason;
    return ws_send_raw(c, ws_client_frame(0x8, body.data(), body.size()));
}

int ws_read_frame(ws_client *c, ws_frame_in *f, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        const uint8_t *b = (const uint8_t *)c->buf.data();
        size_t have = c->buf.size();
        if (have >= 2) {
            size_t hdr = 2;
            uint64_t len = b[1] & 0x7F;
            bool masked = b[1] & 0x80;
            bool complete = true;
            if (len == 126) {
                complete = have >= 4;
                if (complete) len = (uint64_t)b[2] << 8 | b[3];
                hdr = 4;
            } else if (len == 127) {
                complete = have >= 10;
                if (complete) {
                    len = 0;
                    for (int i = 0; i < 8; i++) len = len << 8 | b[2 + i];
                    if (len > (1ull << 32)) return -2;
                }
                hdr = 10;
            }
            if (masked) hdr += 4;
            if (complete && have >= hdr && have - hdr >= len) {
                f->fin = b[0] & 0x80;
                f->rsv = (b[0] >> 4) & 7;
                f->opcode = b[0] & 0x0F;
                f->masked = masked;
                f->data.assign(c->buf, hdr, (size_t)len);
                if (masked)
                    for (size_t i = 0; i < f->data.size(); i++) f->data[i] = (char)(f->data[i] ^ b[hdr - 4 + (i & 3)]);
                c->buf.erase(0, hdr + (size_t)len);
                return 1;
            }
        }
        long n = nl_tc_recv_until(c->fd, &c->buf, deadline);
        if (n <= 0) return n == 0 ? 0 : -1;
    }
}

int ws_read_message(ws_client *c, std::string *data, int timeout_ms, int *close_code)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    data->clear();
    for (;;) {
        uint64_t now = nl_now_ms();
        ws_frame_in f;
        int r = ws_read_frame(c, &f, now >= deadline ? 0 : (int)(deadline - now));
        if (r <= 0) return r == -2 ? -1 : r;
        if (f.opcode == 0x9) {
            c->pings_seen++;
            if (c->auto_pong) ws_send_raw(c, ws_client_frame(0xA, f.data.data(), f.data.size()));
            continue;
        }
        if (f.opcode == 0xA) continue;
        if (f.opcode == 0x8) {
            if (close_code) close_code[0] = f.data.size() >= 2 ? ((uint8_t)f.data[0] << 8 | (uint8_t)f.data[1]) : -1;
            return -3;
        }
        data->append(f.data);
        if (f.fin) return 1;
    }
}

int ws_read_close(ws_client *c, int *code, std::string *reason, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        uint64_t now = nl_now_ms();
        ws_frame_in f;
        int r = ws_read_frame(c, &f, now >= deadline ? 0 : (int)(deadline - now));
        if (r <= 0) return r == -2 ? -1 : r;
        if (f.opcode == 0x9) {
            c->pings_seen++;
            if (c->auto_pong) ws_send_raw(c, ws_client_frame(0xA, f.data.data(), f.data.size()));
        }
        if (f.opcode != 0x8) continue;
        *code = f.data.size() >= 2 ? ((uint8_t)f.data[0] << 8 | (uint8_t)f.data[1]) : -1;
        if (reason) *reason = f.data.size() > 2 ? f.data.substr(2) : "";
        return 1;
    }
}

bool ws_wait_eof(ws_client *c, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        c->buf.clear();
        long n = nl_tc_recv_until(c->fd, &c->buf, deadline);
        if (n == 0) return true;
        if (n < 0) return false;
    }
}

void ws_close(ws_client *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
    c->buf.clear();
}
