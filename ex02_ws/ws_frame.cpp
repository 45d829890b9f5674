// ws_frame.cpp — frame parsing and reassembly. Every check happens as soon as the bytes that decide
// it are buffered: a bad header is rejected after 2 bytes, an oversized length before its payload
// is read, so a hostile client cannot make the server buffer more than one allowed message.
#include "ws_frame.h"
#include "ws_utf8.h"

#include <cstring>

static size_t fail(ws_event *ev, uint16_t code, const char *reason)
{
    ev->kind = WS_EV_ERROR;
    ev->code = code;
    ev->reason = reason;
    return 0;
}

static bool is_control(int op) { return op >= 0x8; }
static bool is_known(int op) { return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG); }

bool ws_close_code_valid(unsigned code)
{
    if (code >= 3000 && code <= 4999) return true;  // registered / private use
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011);
}

static size_t close_event(const std::string &body, ws_event *ev)
{
    if (body.empty()) {
        ev->kind = WS_EV_CLOSE;
        ev->code = WS_CLOSE_NO_STATUS;
        return 1;
    }
    if (body.size() == 1) return fail(ev, WS_CLOSE_PROTOCOL, "close frame with a 1-byte payload");
    unsigned code = (unsigned)(uint8_t)body[0] << 8 | (uint8_t)body[1];
    if (!ws_close_code_valid(code)) return fail(ev, WS_CLOSE_PROTOCOL, "invalid close code");
    if (!ws_utf8_valid(body.data() + 2, body.size() - 2))
        return fail(ev, WS_CLOSE_BAD_DATA, "close reason is not valid UTF-8");
    ev->kind = WS_EV_CLOSE;
    ev->code = (uint16_t)code;
    ev->reason.assign(body, 2, std::string::npos);
    return 1;
}

size_t ws_reader_next(ws_reader *r, const uint8_t *buf, size_t len, ws_event *ev)
{
    ev->kind = WS_EV_NEED_MORE;
    ev->payload.clear();
    ev->reason.clear();
    if (len < 2) return 0;
    bool fin = buf[0] & 0x80;
    int rsv = buf[0] & 0x70, op = buf[0] & 0x0F;
    bool masked = buf[1] & 0x80;
    uint64_t plen = buf[1] & 0x7F;
    if (rsv) return fail(ev, WS_CLOSE_PROTOCOL, "reserved bits set without a negotiated extension");
    if (!is_known(op)) return fail(ev, WS_CLOSE_PROTOCOL, "reserved opcode");
    if (!masked) return fail(ev, WS_CLOSE_PROTOCOL, "client frames must be masked");
    if (is_control(op) && !fin) return fail(ev, WS_CLOSE_PROTOCOL, "fragmented control frame");
    if (is_control(op) && plen > 125) return fail(ev, WS_CLOSE_PROTOCOL, "control frame payload over 125 bytes");
    if (op == WS_OP_CONT && !r->in_message) return fail(ev, WS_CLOSE_PROTOCOL, "continuation frame without a message");
    if ((op == WS_OP_TEXT || op == WS_OP_BINARY) && r->in_message)
        return fail(ev, WS_CLOSE_PROTOCOL, "new message inside a fragmented message");

    size_t hdr = 2;
    if (plen == 126) {
        if (len < 4) return 0;
        plen = (uint64_t)buf[2] << 8 | buf[3];
        hdr = 4;
    } else if (plen == 127) {
        if (len < 10) return 0;
        plen = 0;
        for (int i = 0; i < 8; i++) plen = plen << 8 | buf[2 + i];
        if (plen >> 63) return fail(ev, WS_CLOSE_PROTOCOL, "payload length with its top bit set");
        hdr = 10;
    }
    if (!is_control(op)) {
        uint64_t total = (op == WS_OP_CONT ? r->message.size() : 0) + plen;
        if (total > r->max_message) return fail(ev, WS_CLOSE_TOO_BIG, "message too big");
    }
    if (len < hdr + 4) return 0;
    const uint8_t *mask = buf + hdr;
    hdr += 4;
    if (len - hdr < plen) return 0;

    std::string payload((const char *)buf + hdr, (size_t)plen);
    for (size_t i = 0; i < payload.size(); i++) payload[i] = (char)(payload[i] ^ mask[i & 3]);
    size_t used = hdr + (size_t)plen;

    switch (op) {
    case WS_OP_PING:
        ev->kind = WS_EV_PING;
        ev->payload.swap(payload);
        return used;
    case WS_OP_PONG:
        ev->kind = WS_EV_PONG;
        ev->payload.swap(payload);
        return used;
    case WS_OP_CLOSE:
        return close_event(payload, ev) ? used : 0;
    default:
        break;
    }
    if (op != WS_OP_CONT) {
        r->message_opcode = op;
        r->message.clear();
    }
    r->message.append(payload);
    r->in_message = !fin;
    if (!fin) {
        ev->kind = WS_EV_NONE;
        return used;
    }
    if (r->message_opcode == WS_OP_TEXT && !ws_utf8_valid(r->message.data(), r->message.size()))
        return fail(ev, WS_CLOSE_BAD_DATA, "text message is not valid UTF-8");
    ev->kind = WS_EV_MESSAGE;
    ev->opcode = r->message_opcode;
    ev->payload.swap(r->message);
    r->message.clear();
    return used;
}

void ws_frame_append(std::string *out, int opcode, const void *payload, size_t len)
{
    uint8_t hdr[10];
    size_t n = 2;
    hdr[0] = (uint8_t)(0x80 | (opcode & 0x0F));
    if (len < 126) {
        hdr[1] = (uint8_t)len;
    } else if (len <= 0xFFFF) {
        hdr[1] = 126;
        hdr[2] = (uint8_t)(len >> 8);
        hdr[3] = (uint8_t)len;
        n = 4;
    } else {
        hdr[1] = 127;
        for (int i = 0; i < 8; i++) hdr[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        n = 10;
    }
    out->append((const char *)hdr, n);
    out->append((const char *)payload, len);
}

void ws_close_append(std::string *out, uint16_t code, const char *reason)
{
    char body[125];
    body[0] = (char)(code >> 8);
    body[1] = (char)(code & 0xFF);
    size_t rlen = reason ? strlen(reason) : 0;
    if (rlen > sizeof body - 2) rlen = sizeof body - 2;
    if (rlen) memcpy(body + 2, reason, rlen);
    ws_frame_append(out, WS_OP_CLOSE, body, 2 + rlen);
}
