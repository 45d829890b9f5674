// ws_wire_diff_tests.cpp — the wire differential test of ex02: seeded random frame scripts against
// the submission's ws_server and the reference's. On /echo: text and binary messages whole or in
// fragments (control frames between them), UTF-8 split across fragments or invalid, sizes at and past
// --max-message, pings at and past 125 bytes, Close frames with every kind of code, broken frames
// (unmasked, RSV, reserved opcodes, stray or nested continuations, fragmented control frames). On
// /ws: three clients joining, leaving and messaging rooms at and past --max-room 2 and the 100-byte
// room name, bad JSON, binary messages. After each step each client sends a Ping of its own and reads
// up to its Pong: what came before it is what the step sent, compared message by message (data
// messages reassembled, Close by its code, JSON with keys in any order, error words left free except
// `Room full`).
#include "nl_check.h"
#include "nl_clock.h"
#include "nl_test.h"
#include "nl_wire_diff.h"
#include "ws_client.h"

#include <cstring>
#include <jansson.h>

void test_wire_diff(void **);

enum { WD_CLIENTS = 3, WD_MAX_MESSAGE = 1000, WD_FRAMES = 64 };

// ---- one side's clients --------------------------------------------------------------------------
struct wd_side {
    ws_client c[WD_CLIENTS];
    bool open[WD_CLIENTS];
    unsigned sync;
};
static wd_side g_wd[2];
static const char *g_wd_path = "/echo";

// A payload quoted with every byte outside printable ASCII as \xNN: it may be invalid UTF-8 on purpose.
static std::string wd_q(const std::string &b, size_t max)
{
    std::string q = "'";
    for (unsigned char ch : b.substr(0, max)) q += ch >= 0x20 && ch < 0x7f ? std::string(1, (char)ch) : nl_fmt("\\x%02x", ch);
    return q + "'" + (b.size() > max ? nl_fmt("... (%zu bytes)", b.size()) : "");
}

static std::string wd_json_canon(const std::string &text)
{
    json_t *j = json_loadb(text.data(), text.size(), 0, nullptr);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return "text " + wd_q(text, 80);
    }
    const char *type = json_string_value(json_object_get(j, "type"));
    json_t *msg = json_object_get(j, "message");
    if (type && !strcmp(type, "error") && json_is_string(msg) && strcmp(json_string_value(msg), "Room full"))
        json_object_set_new(j, "message", json_string(json_string_value(msg)[0] ? "<words>" : ""));
    char *d = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    std::string out = d ? d : "?";
    free(d);
    json_decref(j);
    return out;
}

static void wd_drop(nl_wire_side *side, int i)
{
    wd_side *s = &g_wd[side->which];
    if (s->open[i]) ws_close(&s->c[i]);
    s->open[i] = false;
}

// Reads client i's frames up to the Pong carrying `until` (or a Close, or EOF), into *out.
static void wd_read(nl_wire_side *side, int i, const std::string &until, std::string *out)
{
    wd_side *s = &g_wd[side->which];
    ws_client *c = &s->c[i];
    std::string msg;
    int msg_op = -1;
    for (int n = 0; n < WD_FRAMES; n++) {
        ws_frame_in f;
        int rc = ws_read_frame(c, &f, NL_WIRE_REPLY_MS);
        if (rc != 1) {
            *out += rc == 0 ? " EOF" : rc == -1 ? nl_fmt(" (nothing within %d ms)", NL_WIRE_REPLY_MS) : " (a malformed frame)";
            wd_drop(side, i);
            return;
        }
        if (f.masked || f.rsv) *out += " (a masked or RSV frame from the server)";
        if (f.opcode == 0x9) {
            *out += " ping " + wd_q(f.data, 40);
        } else if (f.opcode == 0xA) {
            if (!until.empty() && f.data == until) return;
            *out += " pong " + wd_q(f.data, 40);
        } else if (f.opcode == 0x8) {
            int code = f.data.size() >= 2 ? ((unsigned char)f.data[0] << 8 | (unsigned char)f.data[1]) : -1;
            *out += code < 0 ? " close (no code)" : nl_fmt(" close %d", code);
            wd_drop(side, i);  // the server closes next: nothing more is compared on this connection
            return;
        } else if (f.opcode == 0x1 || f.opcode == 0x2 || f.opcode == 0x0) {
            if (f.opcode != 0x0) msg_op = f.opcode, msg.clear();
            msg += f.data;
            if (!f.fin) continue;
            if (msg_op == 0x2) *out += " binary " + wd_q(msg, 60);
            else *out += " " + (std::string(g_wd_path) == "/ws" ? wd_json_canon(msg) : "text " + wd_q(msg, 60));
            msg_op = -1;
        } else {
            *out += nl_fmt(" (frame with opcode %d)", f.opcode);
        }
    }
    *out += " (too many frames)";
}

static void wd_sync(nl_wire_side *side, int i, std::string *out)
{
    wd_side *s = &g_wd[side->which];
    if (!s->open[i]) return;
    std::string tag = nl_fmt("sync%u", ++s->sync);
    if (ws_send_raw(&s->c[i], ws_client_frame(0x9, tag.data(), tag.size())) != 0) {
        *out += " (cannot send)";
        wd_drop(side, i);
        return;
    }
    wd_read(side, i, tag, out);
}

static bool wd_ensure(nl_wire_side *side, int i, std::string *seen)
{
    wd_side *s = &g_wd[side->which];
    if (s->open[i]) return true;
    s->c[i] = ws_client();
    int st = ws_connect(&s->c[i], side->srv.port, g_wd_path, NL_WIRE_REPLY_MS);
    if (st != 101 || !s->c[i].accept_ok) {
        *seen += nl_fmt("c%d upgrade: status %d%s; ", i, st, st == 101 ? ", wrong accept key" : "");
        ws_close(&s->c[i]);
        return false;
    }
    s->open[i] = true;
    return true;
}

static bool wd_start(void *, nl_wire_side *side)
{
    wd_side *s = &g_wd[side->which];
    for (bool &o : s->open) o = false;
    s->sync = 0;
    return nl_wire_start_tcp(side, "ws_server", {"--port", "0", "--max-message", std::to_string(WD_MAX_MESSAGE),
                                                  "--max-room", "2"});
}

static void wd_stop(void *, nl_wire_side *side)
{
    for (int i = 0; i < WD_CLIENTS; i++) wd_drop(side, i);
    nl_wire_stop_tcp(side);
}

// ---- the steps ---------------------------------------------------------------------------------------
enum wd_kind : uint8_t { WD_MESSAGE, WD_PING, WD_PONG, WD_CLOSE, WD_BROKEN, WD_JSON };

struct wd_step {
    wd_kind kind;
    uint8_t client;
    uint8_t what;   // index in the payload, code, broken-frame or JSON table of its kind
    uint8_t frags;  // WD_MESSAGE: 1..3 frames; bit 4: a ping between the first two
    uint8_t binary; // WD_MESSAGE: binary instead of text
};

static std::string wd_payload(int what)
{
    switch (what) {
    case 0: return "hello";
    case 1: return "";
    case 2: return "caf\xc3\xa9 \xf0\x9f\x98\x80";                 // 2- and 4-byte characters
    case 3: return std::string(WD_MAX_MESSAGE, 'a');                // at the limit
    case 4: return std::string(WD_MAX_MESSAGE + 1, 'b');            // one past
    case 5: return std::string(126, 'c');                            // a 16-bit length
    case 6: return "bad \xc3";                                       // a truncated character
    case 7: return "\xed\xa0\x80";                                   // a surrogate
    case 8: return "\xc0\xaf";                                       // overlong
    default: return "\xf4\x90\x80\x80";                              // past U+10FFFF
    }
}
static const int WD_CODES[] = {-1, 1000, 1001, 1003, 1007, 1011, 3000, 4999, 1004, 1005, 1006, 999, 1016, 5000, -2, -3};
enum { WD_NCODES = 16, WD_NPAYLOADS = 10, WD_NBROKEN = 8 };
static const char *const WD_JSON_LINES[] = {
    "{\"type\":\"join\",\"room\":\"general\"}", "{\"type\":\"join\",\"room\":\"lobby\"}",
    "{\"type\":\"leave\",\"room\":\"general\"}", "{\"type\":\"leave\",\"room\":\"lobby\"}",
    "{\"type\":\"message\",\"room\":\"general\",\"content\":\"Hello!\"}",
    "{\"type\":\"message\",\"room\":\"lobby\",\"content\":\"\xc3\xa9\"}", "{\"type\":\"ping\"}",
    "{\"type\":\"join\",\"room\":\"\"}", "{\"type\":\"dance\"}", "not json", "[1]", "{\"type\":\"join\",\"room\":7}",
    "{\"type\":\"message\",\"room\":\"general\"}", "{\"type\":\"join\"}"};
enum { WD_NJSON = 14 };

static std::string wd_room_json(int what)
{
    if (what == WD_NJSON) return "{\"type\":\"join\",\"room\":\"" + std::string(100, 'r') + "\"}";
    if (what == WD_NJSON + 1) return "{\"type\":\"join\",\"room\":\"" + std::string(101, 'r') + "\"}";
    return WD_JSON_LINES[what];
}

static std::string wd_close_body(int code)
{
    if (code == -1) return "";
    if (code == -2) return "x";                                      // a 1-byte body
    if (code == -3) return std::string("\x03\xe8" "bad \xc3", 7);    // 1000 with an invalid UTF-8 reason
    return std::string{(char)(code >> 8), (char)(code & 0xff)} + "bye";
}

static std::string wd_broken(int what)
{
    std::string t = "x";
    switch (what) {
    case 0: return ws_client_frame(0x1, t.data(), 1, true, false);         // unmasked
    case 1: return ws_client_frame(0x1, t.data(), 1, true, true, 4);       // RSV1
    case 2: return ws_client_frame(0x3, t.data(), 1);                      // reserved data opcode
    case 3: return ws_client_frame(0xB, t.data(), 1);                      // reserved control opcode
    case 4: return ws_client_frame(0x0, t.data(), 1);                      // continuation, no message open
    case 5: return ws_client_frame(0x1, t.data(), 1, false) + ws_client_frame(0x1, t.data(), 1);  // a new message inside one
    case 6: return ws_client_frame(0x9, t.data(), 1, false);               // a fragmented ping
    default: {                                                             // a 64-bit length with its top bit set
        std::string f = "\x81\xff";
        f += std::string("\x80\x00\x00\x00\x00\x00\x00\x01", 8);
        return f + std::string("\x01\x02\x03\x04", 4) + "y";
    }
    }
}

static void wd_apply(void *, nl_wire_side *side, const void *op, std::string *seen)
{
    const wd_step *s = (const wd_step *)op;
    wd_side *st = &g_wd[side->which];
    int i = s->client;
    if (!wd_ensure(side, i, seen)) return;
    ws_client *c = &st->c[i];
    std::string bytes;
    bool closing = false;
    switch (s->kind) {
    case WD_MESSAGE: {
        std::string p = wd_payload(s->what);
        int n = (s->frags & 3) ? (s->frags & 3) : 1;
        size_t cut = p.size() / (size_t)n;
        for (int k = 0; k < n; k++) {
            std::string part = k == n - 1 ? p.substr(cut * (size_t)k) : p.substr(cut * (size_t)k, cut);
            bytes += ws_client_frame(k == 0 ? (s->binary ? 0x2 : 0x1) : 0x0, part.data(), part.size(), k == n - 1);
            if (k == 0 && n > 1 && (s->frags & 16)) bytes += ws_client_frame(0x9, "between", 7);
        }
        break;
    }
    case WD_PING: {
        std::string p(s->what % 2 ? 125 : 126, 'p');
        if (s->what % 3 == 0) p = "ping-data";
        bytes = ws_client_frame(0x9, p.data(), p.size());
        break;
    }
    case WD_PONG: bytes = ws_client_frame(0xA, "unasked", 7); break;
    case WD_CLOSE: {
        std::string b = wd_close_body(WD_CODES[s->what]);
        bytes = ws_client_frame(0x8, b.data(), b.size());
        closing = true;
        break;
    }
    case WD_BROKEN: bytes = wd_broken(s->what); break;
    case WD_JSON: {
        std::string j = wd_room_json(s->what);
        bytes = ws_client_frame(s->binary ? 0x2 : 0x1, j.data(), j.size());
        break;
    }
    }
    std::string got[WD_CLIENTS];
    if (ws_send_raw(c, bytes) != 0) got[i] = " (cannot send)";
    else if (closing) wd_read(side, i, "", &got[i]);
    else wd_sync(side, i, &got[i]);
    for (int k = 0; k < WD_CLIENTS; k++)
        if (k != i) wd_sync(side, k, &got[k]);
    for (int k = 0; k < WD_CLIENTS; k++)
        if (!got[k].empty()) *seen += nl_fmt("c%d <-%s; ", k, got[k].c_str());
}

static void wd_gen_echo(void *, nl_rng *rng, void *op)
{
    wd_step *s = (wd_step *)op;
    uint64_t r = nl_rng_below(rng, 100);
    s->client = 0;
    s->kind = r < 50 ? WD_MESSAGE : r < 60 ? WD_PING : r < 65 ? WD_PONG : r < 80 ? WD_CLOSE : WD_BROKEN;
    s->what = (uint8_t)nl_rng_below(rng, s->kind == WD_CLOSE ? WD_NCODES : s->kind == WD_BROKEN ? WD_NBROKEN : WD_NPAYLOADS);
    s->frags = (uint8_t)(nl_rng_range(rng, 1, 3) | (nl_rng_chance(rng, 0.3) ? 16 : 0));
    s->binary = (uint8_t)nl_rng_chance(rng, 0.25);
}

static void wd_gen_rooms(void *, nl_rng *rng, void *op)
{
    wd_step *s = (wd_step *)op;
    uint64_t r = nl_rng_below(rng, 100);
    s->client = (uint8_t)nl_rng_below(rng, WD_CLIENTS);
    s->kind = r < 85 ? WD_JSON : r < 92 ? WD_PING : WD_CLOSE;
    s->what = (uint8_t)(s->kind == WD_JSON ? (nl_rng_chance(rng, 0.7) ? nl_rng_below(rng, 7) : nl_rng_below(rng, WD_NJSON + 2))
                                          : s->kind == WD_CLOSE ? 1 : nl_rng_below(rng, 6));
    s->binary = (uint8_t)(s->kind == WD_JSON && nl_rng_chance(rng, 0.05));
}

static void wd_print(void *, const void *op, char *out, size_t cap)
{
    const wd_step *s = (const wd_step *)op;
    switch (s->kind) {
    case WD_MESSAGE:
        snprintf(out, cap, "c%d sends a %s message %s in %d frame(s)%s", s->client, s->binary ? "binary" : "text",
                 wd_q(wd_payload(s->what), 40).c_str(), (s->frags & 3) ? (s->frags & 3) : 1,
                 (s->frags & 16) && (s->frags & 3) > 1 ? ", a ping after the first" : "");
        break;
    case WD_PING: snprintf(out, cap, "c%d sends a ping of %d bytes", s->client, s->what % 3 == 0 ? 9 : s->what % 2 ? 125 : 126); break;
    case WD_PONG: snprintf(out, cap, "c%d sends an unsolicited pong", s->client); break;
    case WD_CLOSE: snprintf(out, cap, "c%d sends a Close with body %s", s->client, wd_q(wd_close_body(WD_CODES[s->what]), 20).c_str()); break;
    case WD_BROKEN: {
        static const char *const what[] = {"an unmasked frame", "a frame with RSV1", "opcode 3", "opcode 0xB",
                                           "a continuation with no message open", "a new message inside a fragmented one",
                                           "a fragmented ping", "a 64-bit length with its top bit set"};
        snprintf(out, cap, "c%d sends %s", s->client, what[s->what]);
        break;
    }
    case WD_JSON:
        snprintf(out, cap, "c%d sends %s%s", s->client, wd_q(wd_room_json(s->what), 60).c_str(), s->binary ? " as a binary message" : "");
        break;
    }
}

void test_wire_diff(void **)
{
    static const nl_wire_ops echo = {sizeof(wd_step), nullptr, NL_ORACLE_BIN_DIR, wd_start, wd_stop,
                                     wd_gen_echo,     wd_apply, wd_print};
    static const nl_wire_ops rooms = {sizeof(wd_step), nullptr, NL_ORACLE_BIN_DIR, wd_start, wd_stop,
                                      wd_gen_rooms,    wd_apply, wd_print};
    std::string report;
    g_wd_path = "/echo";
    nl_wire_config ce = {1, 15, 16, 0};
    if (nl_wire_diff_run(&echo, &ce, &report)) NL_FAIL("on /echo: %s", report.c_str());
    g_wd_path = "/ws";
    nl_wire_config cr = {1001, 12, 20, 0};
    if (nl_wire_diff_run(&rooms, &cr, &report)) NL_FAIL("on /ws: %s", report.c_str());
}
