// ws_frame.h — the RFC 6455 frame layer (§5): parse client frames, reassemble fragmented messages,
// check every rule a server must enforce, and encode the server's own (unmasked) frames.
// No sockets here: bytes in, events out, so the parser can be unit-tested and fuzzed alone.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

enum ws_opcode {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

// Close status codes used by the server (§7.4.1).
enum ws_close_code {
    WS_CLOSE_NORMAL = 1000,
    WS_CLOSE_GOING_AWAY = 1001,
    WS_CLOSE_PROTOCOL = 1002,
    WS_CLOSE_NO_STATUS = 1005,   // never sent: "the Close frame had no body"
    WS_CLOSE_BAD_DATA = 1007,
    WS_CLOSE_TOO_BIG = 1009,
    WS_CLOSE_INTERNAL = 1011,
};

enum ws_event_kind {
    WS_EV_NEED_MORE = 0,  // no complete frame buffered yet
    WS_EV_NONE,           // a frame was consumed (a non-final fragment): call again
    WS_EV_MESSAGE,        // a complete text or binary message: opcode + payload
    WS_EV_PING,           // payload = ping data (the server answers with a pong carrying it)
    WS_EV_PONG,
    WS_EV_CLOSE,          // code (WS_CLOSE_NO_STATUS when the frame had no body) + reason
    WS_EV_ERROR,          // protocol violation: fail the connection with code + reason
};

struct ws_event {
    ws_event_kind kind = WS_EV_NEED_MORE;
    int opcode = 0;
    std::string payload;
    uint16_t code = 0;
    std::string reason;
};

// Per-connection reassembly state. max_message bounds a whole message, fragments included.
struct ws_reader {
    size_t max_message = 65536;
    bool in_message = false;   // inside a fragmented message (a non-final data frame was seen)
    int message_opcode = 0;
    std::string message;
};

// Looks at buf[0, len) and takes at most one frame out of it. Returns the number of bytes consumed
// (0 with WS_EV_NEED_MORE, or with WS_EV_ERROR) and describes what happened in *ev.
size_t ws_reader_next(ws_reader *r, const uint8_t *buf, size_t len, ws_event *ev);

// Appends one unmasked server frame (FIN set) to *out.
void ws_frame_append(std::string *out, int opcode, const void *payload, size_t len);
// Appends a Close frame with a status code and a reason (truncated to fit 125 bytes).
void ws_close_append(std::string *out, uint16_t code, const char *reason);
// True for the codes a peer may put in a Close frame (§7.4).
bool ws_close_code_valid(unsigned code);
