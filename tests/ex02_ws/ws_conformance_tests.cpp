// ws_conformance_tests.cpp — one test per RFC 6455 rule the server must enforce (handshake,
// framing, control frames, close handshake, UTF-8, limits, heartbeat), plus the room protocol's
// error replies. Each protocol violation is sent on a fresh connection and must get its close code.
#include "ws_test_util.h"
#include "nl_clock.h"
#include "nl_testnet.h"

#include <cstdlib>
#include <cstring>
#include <sys/socket.h>

static std::string request(const char *method, const char *path, const std::string &headers)
{
    return std::string(method) + " " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "\r\n";
}
static const std::string UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
static const std::string KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
static const std::string V13 = "Sec-WebSocket-Version: 13\r\n";

// Sends raw bytes on a fresh /echo connection and expects the server to close with code.
// Sends bytes that break the protocol and expects a Close with code; failures name the caller's line.
static void violation_at(const nl_where &w, uint16_t port, const std::string &bytes, int code, const char *path = "/echo")
{
    ws_client c;
    ws_open_at(w, &c, port, path);
    if (ws_send_raw(&c, bytes) != 0) nl_fail_at(w, "sending %s: the send failed", nl_quote(bytes, 60).c_str());
    std::string what = "after sending the frame " + nl_quote(bytes, 60);
    nl_where here = w;
    here.ctx = what;
    expect_close_at(here, &c, code);
    ws_close(&c);
}
#define violation(...) violation_at(NL_HERE, __VA_ARGS__)

static std::string frame(int op, const std::string &data, bool fin = true, bool mask = true, int rsv = 0)
{
    return ws_client_frame(op, data.data(), data.size(), fin, mask, rsv);
}

// Sec-WebSocket-Accept = base64(SHA-1(key + GUID)): the RFC's example (§1.3) and a random key.
void test_handshake_accept_key(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client c;
    assert_int_equal(ws_connect_raw(&c, s.port, request("GET", "/ws", UPGRADE + KEY + V13), T_MS), 101);
    assert_non_null(strstr(c.response.c_str(), "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
    ws_close(&c);
    ws_open(&c, s.port, "/echo");  // checks the accept key of a random nonce
    ws_close(&c);
    srv_stop(&s);
}

// Every malformed upgrade gets 400 (426 for a version we do not speak) with a reason in the body.
void test_handshake_errors(void **)
{
    nl_server s;
    srv_start(&s);
    struct {
        std::string req;
        int status;
        const char *why;
    } cases[] = {
        {request("GET", "/ws", UPGRADE + V13), 400, "Sec-WebSocket-Key"},
        {request("GET", "/ws", UPGRADE + "Sec-WebSocket-Key: c2hvcnQ=\r\n" + V13), 400, "Sec-WebSocket-Key"},
        {request("GET", "/ws", UPGRADE + "Sec-WebSocket-Key: !!!notbase64!!!!!!!!!!==\r\n" + V13), 400, "Sec-WebSocket-Key"},
        {request("GET", "/ws", "Upgrade: websocket\r\nConnection: keep-alive\r\n" + KEY + V13), 400, "Connection"},
        {request("GET", "/ws", "Upgrade: h2c\r\nConnection: Upgrade\r\n" + KEY + V13), 400, "Upgrade"},
        {request("GET", "/ws", UPGRADE + KEY), 400, "Sec-WebSocket-Version"},
        {request("GET", "/ws", UPGRADE + KEY + "Sec-WebSocket-Version: 8\r\n"), 426, "Sec-WebSocket-Version: 13"},
        {"GET /ws HTTP/1.0\r\nHost: x\r\n" + UPGRADE + KEY + V13 + "\r\n", 400, ""},
        {"GET /ws HTTP/1.1\r\n" + UPGRADE + KEY + V13 + "\r\n", 400, "Host"},
        {"hello there\r\n\r\n", 400, ""},
        {request("POST", "/ws", UPGRADE + KEY + V13), 405, ""},
        {request("GET", "/nope", UPGRADE + KEY + V13), 404, ""},
    };
    for (auto &tc : cases) {
        std::string answer;
        int st = ws_http_exchange(s.port, tc.req, &answer, T_MS);
        // The README fixes the status and, for a bad header, that the body names it; other words are free.
        if (st != tc.status || !strstr(answer.c_str(), tc.why))
            NL_FAIL("after the request %s: expected HTTP %d%s%s, got %d: %s", nl_quote(tc.req, 200).c_str(), tc.status,
                    *tc.why ? " naming " : "", tc.why, st, nl_quote(answer, 300).c_str());
    }
    ws_client c;  // the server is still fine
    ws_open(&c, s.port);
    ws_close(&c);
    srv_stop(&s);
}

// Plain HTTP to a WebSocket path is 426 Upgrade Required; GET / is the self-contained page.
void test_plain_http(void **)
{
    nl_server s;
    srv_start(&s);
    const char *paths[] = {"/ws", "/echo"};
    std::string answer;
    for (const char *p : paths) {
        assert_int_equal(ws_http_exchange(s.port, request("GET", p, ""), &answer, T_MS), 426);
        assert_non_null(strcasestr(answer.c_str(), "\r\nUpgrade: websocket\r\n"));
    }
    assert_int_equal(ws_http_exchange(s.port, request("GET", "/", ""), &answer, T_MS), 200);
    assert_non_null(strcasestr(answer.c_str(), "Content-Type: text/html"));
    assert_non_null(strstr(answer.c_str(), "new WebSocket("));
    assert_non_null(strstr(answer.c_str(), "\"join\""));
    // Self-contained: nothing loaded from elsewhere.
    assert_null(strstr(answer.c_str(), "src="));
    assert_null(strstr(answer.c_str(), "<link"));
    assert_null(strstr(answer.c_str(), "http://"));
    assert_null(strstr(answer.c_str(), "https://"));
    srv_stop(&s);
}

// Headers over the limit (8 KiB) get 431, whether or not they ever end; the server carries on.
void test_header_limit(void **)
{
    nl_server s;
    srv_start(&s);
    std::string answer;
    std::string big = request("GET", "/ws", UPGRADE + KEY + V13 + "X-Filler: " + std::string(9000, 'a') + "\r\n");
    assert_int_equal(ws_http_exchange(s.port, big, &answer, T_MS), 431);
    std::string endless = "GET /ws HTTP/1.1\r\nX-Filler: " + std::string(20000, 'b');
    assert_int_equal(ws_http_exchange(s.port, endless, &answer, T_MS), 431);
    ws_client c;
    ws_open(&c, s.port);
    ws_close(&c);
    srv_stop(&s);
}

// Client frames must be masked (§5.1): an unmasked frame gets close 1002 and nothing else.
void test_unmasked_frame(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client c;
    ws_open(&c, s.port, "/echo");
    assert_int_equal(ws_send_raw(&c, frame(0x1, "naked", true, false)), 0);
    std::string m;
    int code = 0;
    assert_int_equal(ws_read_message(&c, &m, T_MS, &code), -3);  // a Close, not an echo
    assert_int_equal(code, 1002);
    assert_true(ws_wait_eof(&c, T_MS));
    ws_close(&c);
    violation(s.port, frame(0x1, "{\"type\":\"ping\"}", true, false), 1002, "/ws");
    srv_stop(&s);
}

// Fragmented messages (§5.4) are reassembled, with control frames allowed between fragments.
void test_fragmentation(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client c;
    ws_open(&c, s.port, "/echo");
    // "héllo wörld" split inside a multi-byte character, a ping in the middle.
    std::string text = "h\xc3\xa9llo w\xc3\xb6rld";
    std::string bytes = frame(0x1, text.substr(0, 2), false) + frame(0x9, "mid", true) +
                        frame(0x0, text.substr(2, 7), false) + frame(0x0, text.substr(9), true);
    assert_int_equal(ws_send_raw(&c, bytes), 0);
    ws_frame_in f;
    assert_int_equal(ws_read_frame(&c, &f, T_MS), 1);
    assert_int_equal(f.opcode, 0xA);  // the pong comes first: the message is not complete yet
    assert_string_equal(f.data.c_str(), "mid");
    assert_int_equal(ws_read_frame(&c, &f, T_MS), 1);
    assert_int_equal(f.opcode, 0x1);
    assert_true(f.fin);
    assert_false(f.masked);  // server frames are never masked
    assert_int_equal(f.rsv, 0);
    assert_true(f.data == text);
    // Binary, many fragments.
    std::string bin(3000, '\0');
    for (size_t i = 0; i < bin.size(); i++) bin[i] = (char)(i * 7);
    bytes.clear();
    for (size_t off = 0; off < bin.size(); off += 1000)
        bytes += frame(off ? 0x0 : 0x2, bin.substr(off, 1000), off + 1000 >= bin.size());
    assert_int_equal(ws_send_raw(&c, bytes), 0);
    assert_int_equal(ws_read_frame(&c, &f, T_MS), 1);
    assert_int_equal(f.opcode, 0x2);
    assert_true(f.fin && f.data == bin);
    ws_close(&c);
    // Rooms: a fragmented JSON command is one command.
    ws_open(&c, s.port, "/ws");
    std::string join = "{\"type\":\"join\",\"room\":\"frag\"}";
    assert_int_equal(ws_send_raw(&c, frame(0x1, join.substr(0, 10), false) + frame(0x0, join.substr(10), true)), 0);
    json_t *o = expect_type(&c, "joined");
    json_decref(o);
    ws_close(&c);
    srv_stop(&s);
}

// Continuation without a message, or a new message inside a fragmented one: 1002.
void test_fragmentation_errors(void **)
{
    nl_server s;
    srv_start(&s);
    violation(s.port, frame(0x0, "orphan", true), 1002);
    violation(s.port, frame(0x1, "first", false) + frame(0x1, "second", true), 1002);
    violation(s.port, frame(0x2, "first", false) + frame(0x1, "second", true), 1002);
    srv_stop(&s);
}

// Control frames: at most 125 bytes, never fragmented; ping -> pong with the same data.
void test_control_frames(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client c;
    ws_open(&c, s.port, "/echo");
    std::string p125(125, 'p');
    assert_int_equal(ws_send_raw(&c, frame(0x9, p125)), 0);
    ws_frame_in f;
    assert_int_equal(ws_read_frame(&c, &f, T_MS), 1);
    assert_int_equal(f.opcode, 0xA);
    assert_true(f.data == p125);
    assert_int_equal(ws_send_raw(&c, frame(0xA, "unsolicited")), 0);  // a pong needs no answer
    assert_int_equal(ws_send_text(&c, "still here"), 0);
    std::string m;
    assert_int_equal(ws_read_message(&c, &m, T_MS), 1);
    assert_string_equal(m.c_str(), "still here");
    ws_close(&c);
    violation(s.port, frame(0x9, std::string(126, 'p')), 1002);
    violation(s.port, frame(0x9, "frag", false), 1002);
    violation(s.port, frame(0x8, std::string("\x03\xe8", 2) + std::string(124, 'r')), 1002);
    srv_stop(&s);
}

// The closing handshake (§5.5.1, §7): the server answers a Close with a Close echoing the code
// (none for a bodiless Close), then closes TCP; invalid codes and 1-byte bodies are 1002.
void test_close_handshake(void **)
{
    nl_server s;
    srv_start(&s);
    const char *paths[] = {"/ws", "/echo"};
    for (const char *p : paths) {
        ws_client c;
        ws_open(&c, s.port, p);
        assert_int_equal(ws_send_close(&c, 1000, "bye"), 0);
        expect_close(&c, 1000);
        ws_close(&c);
    }
    ws_client c;
    ws_open(&c, s.port, "/echo");
    assert_int_equal(ws_send_close(&c, 4001, "app code"), 0);
    expect_close(&c, 4001);
    ws_close(&c);
    ws_open(&c, s.port, "/echo");
    assert_int_equal(ws_send_close(&c, -1, nullptr), 0);
    expect_close(&c, -1);
    ws_close(&c);
    // A frame after the Close is not processed.
    ws_open(&c, s.port, "/echo");
    assert_int_equal(ws_send_raw(&c, frame(0x8, std::string("\x03\xe8", 2)) + frame(0x1, "late")), 0);
    std::string m;
    int code = 0;
    assert_int_equal(ws_read_message(&c, &m, T_MS, &code), -3);
    assert_int_equal(code, 1000);
    ws_close(&c);
    violation(s.port, frame(0x8, std::string("\x03", 1)), 1002);
    violation(s.port, frame(0x8, std::string("\x03\xed", 2)), 1002);  // 1005 is never sent
    violation(s.port, frame(0x8, std::string("\x03\xe7", 2)), 1002);  // 999
    violation(s.port, frame(0x8, std::string("\x13\x88", 2)), 1002);  // 5000
    srv_stop(&s);
}

// Text must be valid UTF-8 (§8.1): 1007 otherwise, also for a close reason.
void test_invalid_utf8(void **)
{
    nl_server s;
    srv_start(&s);
    violation(s.port, frame(0x1, "\xff"), 1007);
    violation(s.port, frame(0x1, "over\xc0\xaflong"), 1007);
    violation(s.port, frame(0x1, "surrogate \xed\xa0\x80"), 1007);
    violation(s.port, frame(0x1, "cut \xe2\x82"), 1007);
    violation(s.port, frame(0x1, "\xce", false) + frame(0x0, "x", true), 1007);
    violation(s.port, frame(0x1, "{\"type\":\"ping\"}\xf8"), 1007, "/ws");
    violation(s.port, frame(0x8, std::string("\x03\xe8\xff", 3)), 1007);
    ws_client c;  // valid 4-byte characters and binary garbage are fine
    ws_open(&c, s.port, "/echo");
    std::string ok = "emoji \xf0\x9f\x98\x80 max \xf4\x8f\xbf\xbf";
    assert_int_equal(ws_send_text(&c, ok), 0);
    std::string m;
    assert_int_equal(ws_read_message(&c, &m, T_MS), 1);
    assert_true(m == ok);
    assert_int_equal(ws_send_raw(&c, frame(0x2, "\xff\xfe")), 0);
    assert_int_equal(ws_read_message(&c, &m, T_MS), 1);
    assert_true(m == "\xff\xfe");
    ws_close(&c);
    srv_stop(&s);
}

// Reserved bits without an extension and reserved opcodes: 1002.
void test_reserved_bits_opcodes(void **)
{
    nl_server s;
    srv_start(&s);
    violation(s.port, frame(0x1, "rsv1", true, true, 4), 1002);
    violation(s.port, frame(0x1, "rsv3", true, true, 1), 1002);
    violation(s.port, frame(0x3, "op3"), 1002);
    violation(s.port, frame(0xB, "op11"), 1002);
    srv_stop(&s);
}

// The 64 KiB limit holds for whole messages, fragments included, and for a declared length
// before any payload is sent; --max-message changes it.
void test_message_too_big(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client c;
    ws_open(&c, s.port, "/echo");
    std::string max(65536, 'm');
    assert_int_equal(ws_send_text(&c, max), 0);
    std::string m;
    assert_int_equal(ws_read_message(&c, &m, T_MS), 1);
    assert_true(m == max);
    ws_close(&c);
    violation(s.port, frame(0x2, std::string(40000, 'a'), false) + frame(0x0, std::string(30000, 'b'), true), 1009);
    // A header announcing 2^40 bytes: refused at once, no payload needed.
    std::string huge = std::string("\x82\xff\x00\x00\x01\x00\x00\x00\x00\x00", 10) + "MASK";
    violation(s.port, huge, 1009);
    violation(s.port, std::string("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00", 10) + "MASK", 1002);  // top bit set
    srv_stop(&s);
    srv_start(&s, {"--max-message", "1000"});
    ws_open(&c, s.port, "/echo");
    assert_int_equal(ws_send_text(&c, std::string(1000, 'k')), 0);
    assert_int_equal(ws_read_message(&c, &m, T_MS), 1);
    ws_close(&c);
    violation(s.port, frame(0x1, std::string(1001, 'k')), 1009);
    srv_stop(&s);
}

// /echo returns every data message unchanged, text and binary, small and large, in order.
void test_echo(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client c;
    ws_open(&c, s.port, "/echo");
    std::string big(60000, '\0');
    for (size_t i = 0; i < big.size(); i++) big[i] = (char)(i % 251);
    std::string all;
    for (int i = 0; i < 50; i++) all += frame(0x1, "msg " + std::to_string(i));
    all += frame(0x2, big) + frame(0x1, "");
    assert_int_equal(ws_send_raw(&c, all), 0);
    ws_frame_in f;
    for (int i = 0; i < 50; i++) {
        assert_int_equal(ws_read_frame(&c, &f, T_MS), 1);
        assert_int_equal(f.opcode, 0x1);
        assert_true(f.data == "msg " + std::to_string(i));
    }
    assert_int_equal(ws_read_frame(&c, &f, T_MS), 1);
    assert_int_equal(f.opcode, 0x2);
    assert_true(f.data == big);
    assert_int_equal(ws_read_frame(&c, &f, T_MS), 1);
    assert_int_equal(f.opcode, 0x1);
    assert_true(f.data.empty());
    ws_close(&c);
    srv_stop(&s);
}

// Bad room commands get an error reply, and the connection carries on. The README fixes the type
// ("error") and that "message" says something, not its words: only those are checked.
void test_room_protocol_errors(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client c;
    ws_open(&c, s.port);
    static const char *const cases[] = {
        "not json",
        "[1,2]",
        "{\"room\":\"x\"}",
        "{\"type\":\"dance\"}",
        "{\"type\":\"join\"}",
        "{\"type\":\"join\",\"room\":\"\"}",
        "{\"type\":\"message\",\"room\":\"x\",\"content\":\"hi\"}",
        "{\"type\":\"leave\",\"room\":\"x\"}",
    };
    for (const char *bad : cases) {
        send_json(&c, "%s", bad);
        json_t *o = expect_type(&c, "error");
        std::string msg = jstr(o, "message");
        json_decref(o);
        if (msg.empty() || msg[0] == '<')
            NL_FAIL("after sending %s: expected an error with a non-empty \"message\", got %s", nl_quote(bad).c_str(),
                    nl_quote(msg).c_str());
    }
    join_room(&c, "x");
    send_json(&c, "{\"type\":\"join\",\"room\":\"x\"}");
    json_decref(expect_type(&c, "error"));  // already in it
    assert_int_equal(ws_send_raw(&c, frame(0x2, "\x01\x02")), 0);
    json_decref(expect_type(&c, "error"));  // binary is not the room protocol
    expect_nothing_pending(&c);
    ws_close(&c);
    srv_stop(&s);
}

// A client that answers pings stays connected well past the pong timeout.
void test_heartbeat_keeps_live_client(void **)
{
    nl_server s;
    srv_start(&s, {"--ping-interval", "0.3", "--pong-timeout", "3"});
    ws_client c;
    ws_open(&c, s.port);
    c.auto_pong = true;
    join_room(&c, "alive");
    for (int i = 0; i < 100 && c.pings_seen < 12; i++) {
        std::string m;
        int r = ws_read_message(&c, &m, 300);
        assert_int_equal(r, -1);  // nothing but pings: no message, no Close, no EOF
    }
    assert_true(c.pings_seen >= 12);  // 12 x 0.3 s > 3 s: pongs are what kept it open
    expect_nothing_pending(&c);
    ws_close(&c);
    srv_stop(&s);
}

// UTF-8 at the edges of every lead-byte range (RFC 3629 §4): the first and last character of each
// range, one message holding all of them, echoed unchanged; one byte past each range edge, a bad
// continuation byte in each position, a cut sequence: 1007 each, on its own connection.
void test_utf8_boundaries(void **)
{
    nl_server s;
    srv_start(&s);
    static const char *const valid[] = {
        "\x01", "\x7f",                                  // ASCII
        "\xc2\x80", "\xdf\xbf",                          // U+0080, U+07FF
        "\xe0\xa0\x80", "\xe0\xbf\xbf",                  // U+0800, U+0FFF
        "\xe1\x80\x80", "\xec\xbf\xbf",                  // U+1000, U+CFFF
        "\xed\x80\x80", "\xed\x9f\xbf",                  // U+D000, U+D7FF (below the surrogates)
        "\xee\x80\x80", "\xef\xbf\xbf",                  // U+E000, U+FFFF
        "\xf0\x90\x80\x80", "\xf0\xbf\xbf\xbf",          // U+10000, U+3FFFF
        "\xf1\x80\x80\x80", "\xf3\xbf\xbf\xbf",          // U+40000, U+FFFFF
        "\xf4\x80\x80\x80", "\xf4\x8f\xbf\xbf",          // U+100000, U+10FFFF
    };
    std::string all;
    for (const char *v : valid) all += std::string(v) + " ";
    all += std::string("nul \0 inside", 12);
    ws_client c;
    ws_open(&c, s.port, "/echo");
    assert_int_equal(ws_send_text(&c, all), 0);
    std::string m;
    assert_int_equal(ws_read_message(&c, &m, T_MS), 1);
    if (m != all) NL_FAIL("echo of %s: expected it unchanged, got %s", nl_quote(all).c_str(), nl_quote(m).c_str());
    // Each valid character alone, also as the last bytes of a message.
    for (const char *v : valid) {
        assert_int_equal(ws_send_text(&c, v), 0);
        assert_int_equal(ws_read_message(&c, &m, T_MS), 1);
        if (m != v) NL_FAIL("echo of %s: expected it unchanged, got %s", nl_quote(v).c_str(), nl_quote(m).c_str());
    }
    ws_close(&c);
    static const char *const invalid[] = {
        "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xf5\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xff",
        "\xe0\x9f\xbf",          // overlong U+07FF
        "\xed\xa0\x80",          // U+D800, a surrogate
        "\xed\xbf\xbf",          // U+DFFF
        "\xf0\x8f\xbf\xbf",      // overlong U+FFFF
        "\xf4\x90\x80\x80",      // U+110000
        "\xc2\x7f", "\xc2\xc0", "\xdf\xc0",
        "\xe1\x7f\x80", "\xe1\xc0\x80", "\xe1\x80\x7f", "\xe1\x80\xc0", "\xec\xc0\x80", "\xee\x80\xc0",
        "\xef\xc0\x80",
        "\xf1\x7f\x80\x80", "\xf1\x80\x7f\x80", "\xf1\x80\x80\x7f", "\xf1\x80\x80\xc0", "\xf3\xc0\x80\x80",
        "\xf4\x80\x80\xc0",
        "\xc2", "\xe1\x80", "\xf1\x80\x80", "a\xdf", "a\xef\xbf",
        "\xc2\x80\x80", "\xe0\xa0\x80\xbf", "\xf0\x90\x80\x80\x80",  // a valid character, then a stray byte
    };
    for (const char *bad : invalid) violation(s.port, frame(0x1, bad), 1007);
    srv_stop(&s);
}

// Header forms a real client may send (RFC 7230 §3.2, RFC 6455 §4.2.1): names in any case, values
// with spaces or tabs around them (the accept key is computed from the key without them), Upgrade
// and Connection as comma-separated lists in any case, a query after the path.
void test_handshake_forms(void **)
{
    nl_server s;
    srv_start(&s);
    struct {
        const char *path;
        std::string headers;
    } cases[] = {
        {"/ws", "upgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\nsec-websocket-version: 13\r\n"
                "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"},
        {"/echo", "Upgrade:websocket\r\nConnection: ,, upgrade ,\r\nSec-WebSocket-Version:\t13\t \r\n"
                  "Sec-WebSocket-Key: \t dGhlIHNhbXBsZSBub25jZQ== \t\r\n"},
        {"/echo?x=1", "Upgrade: foo, websocket\r\nConnection: Upgrade,keep-alive\r\nSec-WebSocket-Version: 13 \r\n"
                      "Sec-WebSocket-Key:dGhlIHNhbXBsZSBub25jZQ==\t\r\n"},
        {"/?room=a", "UPGRADE: websocket \r\nCONNECTION:\tUPGRADE\r\nSEC-WEBSOCKET-VERSION: 13\r\n"
                     "SEC-WEBSOCKET-KEY: dGhlIHNhbXBsZSBub25jZQ==\r\n"},
    };
    for (auto &tc : cases) {
        std::string req = request("GET", tc.path, tc.headers);
        ws_client c;
        int st = ws_connect_raw(&c, s.port, req, T_MS);
        if (st != 101 || !strstr(c.response.c_str(), "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
            NL_FAIL("after the request %s: expected HTTP 101 with Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=, "
                    "got %d: %s", nl_quote(req, 300).c_str(), st, nl_quote(c.response, 300).c_str());
        // The route follows the path without its query: /echo echoes, / and /ws speak the rooms.
        bool echo = strncmp(tc.path, "/echo", 5) == 0;
        assert_int_equal(ws_send_text(&c, echo ? "plain words" : "{\"type\":\"ping\"}"), 0);
        std::string m;
        assert_int_equal(ws_read_message(&c, &m, T_MS), 1);
        NL_EXPECT_STREQ(m, echo ? "plain words" : "{\"type\":\"pong\"}", "on %s", tc.path);
        ws_close(&c);
    }
    // A header line without a name or without a colon is a bad request.
    const std::string bad[] = {
        request("GET", "/ws", UPGRADE + KEY + V13 + "NoColonHere\r\n"),
        request("GET", "/ws", UPGRADE + KEY + V13 + ": no name\r\n"),
        request("GET", "/ws", UPGRADE + KEY + V13 + "Bad Name: x\r\n"),
        request("GET", "/ws", UPGRADE + KEY + V13 + "Bad\x01Name: x\r\n"),
        "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\nConnection: Upgrade\r\n" + KEY + V13 + "\r\n",
        "GET  /ws HTTP/1.1\r\nHost: x\r\n" + UPGRADE + KEY + V13 + "\r\n",
        "GET /ws  HTTP/1.1\r\nHost: x\r\n" + UPGRADE + KEY + V13 + "\r\n",
        "GET /ws HTTP/1.1 x\r\nHost: x\r\n" + UPGRADE + KEY + V13 + "\r\n",
        "GET /ws FTP/1.1\r\nHost: x\r\n" + UPGRADE + KEY + V13 + "\r\n",
        "\r\n\r\n",
    };
    for (const std::string &req : bad) {
        std::string answer;
        int st = ws_http_exchange(s.port, req, &answer, T_MS);
        if (st != 400) NL_FAIL("after the request %s: expected HTTP 400, got %d: %s", nl_quote(req, 300).c_str(), st,
                               nl_quote(answer, 300).c_str());
    }
    srv_stop(&s);
}

// After its Close (or an HTTP refusal) the server waits for the peer's Close or EOF, but bounded
// (R12): peers that never answer and never close TCP are let go within the wait (2 s), so their
// sockets are released; a peer that answers the Close is let go at once.
void test_close_wait_bounded(void **)
{
    nl_server s;
    srv_start(&s);
    int base = nl_proc_fds(s.pid);
    ws_client ws, http;
    ws_open(&ws, s.port, "/echo");
    assert_int_equal(ws_send_raw(&ws, frame(0x1, "naked", true, false)), 0);  // Close 1002 follows
    int code = 0;
    std::string reason;
    assert_int_equal(ws_read_close(&ws, &code, &reason, T_MS), 1);
    assert_int_equal(code, 1002);
    assert_int_equal(ws_connect_raw(&http, s.port, request("GET", "/nowhere", ""), T_MS), 404);
    // Both keep their sockets open and say nothing more.
    if (!wait_fds(s.pid, base, 2000 + T_MS))
        NL_FAIL("two peers that never answered: expected the server back to %d open fds within %d ms, it has %d", base,
                2000 + T_MS, nl_proc_fds(s.pid));
    ws_close(&ws);
    ws_close(&http);
    srv_stop(&s);
}

// Close codes at the edges of the ranges a peer may send (R9): each valid one echoed, each one
// past an edge refused with 1002.
void test_close_codes(void **)
{
    nl_server s;
    srv_start(&s);
    const int valid[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999};
    const int invalid[] = {0, 999, 1004, 1005, 1006, 1012, 1015, 2000, 2999, 5000, 65535};
    for (int code : valid) {
        ws_client c;
        ws_open(&c, s.port, "/echo");
        assert_int_equal(ws_send_close(&c, code, "edge"), 0);
        std::string what = nl_fmt("after a Close with code %d", code);
        nl_where here = NL_HERE;
        here.ctx = what;
        expect_close_at(here, &c, code);
        ws_close(&c);
    }
    for (int code : invalid) {
        std::string body = {(char)(code >> 8), (char)(code & 0xff)};
        violation(s.port, frame(0x8, body), 1002);
    }
    srv_stop(&s);
}

// Reads one whole server frame as raw bytes (header and payload) within the deadline.
static std::string raw_frame_at(const nl_where &w, ws_client *c, size_t payload_len)
{
    size_t hdr = payload_len < 126 ? 2 : payload_len <= 0xFFFF ? 4 : 10;
    uint64_t deadline = nl_now_ms() + T_MS;
    while (c->buf.size() < hdr + payload_len)
        if (nl_tc_recv_until(c->fd, &c->buf, deadline) <= 0)
            nl_fail_at(w, "expected a %zu-byte frame (%zu-byte header), got %zu byte(s)", hdr + payload_len, hdr,
                       c->buf.size());
    std::string f = c->buf.substr(0, hdr + payload_len);
    c->buf.erase(0, hdr + payload_len);
    return f;
}

// The server's frames (§5.2): FIN, no RSV, unmasked, and the length in the fewest bytes: 7 bits up
// to 125, 16 bits from 126 to 65535, 64 bits from 65536 on. Compared byte for byte.
void test_server_frame_lengths(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client c;
    ws_open(&c, s.port, "/echo");
    const size_t lens[] = {0, 1, 125, 126, 127, 65535, 65536};
    for (size_t len : lens) {
        std::string data(len, 'e');
        for (size_t i = 0; i < len; i++) data[i] = (char)('a' + i % 26);
        assert_int_equal(ws_send_raw(&c, frame(0x2, data)), 0);
        std::string want = "\x82";
        if (len < 126) {
            want += (char)len;
        } else if (len <= 0xFFFF) {
            want += (char)126;
            want += (char)(len >> 8);
            want += (char)(len & 0xff);
        } else {
            want += (char)127;
            for (int i = 7; i >= 0; i--) want += (char)((uint64_t)len >> (8 * i));
        }
        want += data;
        std::string got = raw_frame_at(NL_HERE, &c, len);
        if (got != want)
            NL_FAIL("echo of a %zu-byte binary message: expected the frame %s, got %s", len, nl_quote(want, 24).c_str(),
                    nl_quote(got, 24).c_str());
    }
    ws_close(&c);
    srv_stop(&s);
}

// An HTTP answer other than 101 says how long its body is (RFC 7230 §3.3.2) and that the
// connection closes.
static void expect_http_framing_at(const nl_where &w, const std::string &req, const std::string &answer)
{
    size_t end = answer.find("\r\n\r\n");
    if (end == std::string::npos) nl_fail_at(w, "after %s: no end of headers in %s", nl_quote(req, 80).c_str(), nl_quote(answer, 200).c_str());
    std::string head = answer.substr(0, end + 2), body = answer.substr(end + 4);
    const char *cl = strcasestr(head.c_str(), "\r\nContent-Length:");
    if (!cl || strtoul(cl + 17, nullptr, 10) != body.size())
        nl_fail_at(w, "after %s: expected Content-Length: %zu (the body's size), got %s", nl_quote(req, 80).c_str(),
                   body.size(), nl_quote(head, 300).c_str());
    if (!strcasestr(head.c_str(), "\r\nConnection: close\r\n"))
        nl_fail_at(w, "after %s: expected Connection: close, got %s", nl_quote(req, 80).c_str(), nl_quote(head, 300).c_str());
}

// The header block limit exactly (R3): 8192 bytes up to and including the blank line are read;
// 8193 get 431. Every answer other than 101 has its Content-Length and Connection: close (R2).
void test_header_limit_exact(void **)
{
    nl_server s;
    srv_start(&s);
    std::string base = request("GET", "/echo", UPGRADE + KEY + V13 + "X-Pad: ");
    std::string at = base.substr(0, base.size() - 2);  // without the blank line
    size_t fill = 8192 - at.size() - 4;                // then the pad and the final CRLF CRLF
    std::string exact = at + std::string(fill, 'p') + "\r\n\r\n";
    assert_int_equal(exact.size(), 8192);
    ws_client c;
    int st = ws_connect_raw(&c, s.port, exact, T_MS);
    if (st != 101) NL_FAIL("a request of exactly 8192 bytes: expected 101, got %d: %s", st, nl_quote(c.response, 200).c_str());
    ws_close(&c);
    std::string past = at + std::string(fill + 1, 'p') + "\r\n\r\n";
    std::string answer;
    st = ws_http_exchange(s.port, past, &answer, T_MS);
    if (st != 431) NL_FAIL("a request of 8193 bytes: expected 431, got %d: %s", st, nl_quote(answer, 200).c_str());
    expect_http_framing_at(NL_HERE, past, answer);
    // 8192 bytes and no blank line yet: the headers cannot end within the limit any more (their
    // blank line would be byte 8193 or later), so the answer is 431 now, not after more bytes.
    std::string open8192 = at + std::string(fill + 4, 'p');
    assert_int_equal(open8192.size(), 8192);
    st = ws_http_exchange(s.port, open8192, &answer, T_MS);
    if (st != 431) NL_FAIL("8192 bytes of headers without their blank line: expected 431, got %d: %s", st,
                           nl_quote(answer, 200).c_str());
    const std::string reqs[] = {
        request("GET", "/ws", ""), request("GET", "/", ""), request("GET", "/nope", ""), request("POST", "/ws", ""),
        request("GET", "/ws", UPGRADE + KEY + "Sec-WebSocket-Version: 8\r\n"), request("GET", "/ws", UPGRADE + V13),
    };
    for (const std::string &req : reqs) {
        st = ws_http_exchange(s.port, req, &answer, T_MS);
        expect_http_framing_at(NL_HERE, req, answer);
    }
    srv_stop(&s);
}

// Makes sure the server has read what was sent on another connection: a Ping round trip on b. The
// server reads both sockets in the same loop, so what was sent before the ping is read by then (it
// only makes the cuts below reach the parser separately; the test holds whatever the timing).
static void barrier_at(const nl_where &w, ws_client *b)
{
    if (ws_send_raw(b, frame(0x9, "sync")) != 0) nl_fail_at(w, "sending a ping: the send failed");
    ws_frame_in f;
    if (ws_read_frame(b, &f, T_MS) != 1 || f.opcode != 0xA || f.data != "sync")
        nl_fail_at(w, "a ping on a second connection: expected its pong");
}

// A frame may arrive in pieces (TCP has no message boundaries): cut at every byte of its header
// and mask key, in the middle and before its last byte, with 7-, 16- and 64-bit lengths, it is
// echoed whole (R7, R13).
void test_frame_splits(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, b;
    ws_open(&a, s.port, "/echo");
    ws_open(&b, s.port, "/echo");
    const size_t lens[] = {5, 300, 65536};
    for (size_t len : lens) {
        std::string data(len, 'x');
        for (size_t i = 0; i < len; i++) data[i] = (char)('A' + i % 23);
        std::string f = frame(len == 65536 ? 0x2 : 0x1, data);
        size_t hdr = len < 126 ? 6 : len <= 0xFFFF ? 8 : 14;
        std::vector<size_t> cuts;
        for (size_t k = 1; k <= hdr + 1; k++) cuts.push_back(k);
        cuts.push_back(f.size() / 2);
        cuts.push_back(f.size() - 1);
        for (size_t k : cuts) {
            assert_int_equal(ws_send_raw(&a, f.substr(0, k)), 0);
            barrier_at(NL_HERE, &b);
            assert_int_equal(ws_send_raw(&a, f.substr(k)), 0);
            std::string m;
            int r = ws_read_message(&a, &m, T_MS);
            if (r != 1 || m != data)
                NL_FAIL("a %zu-byte message sent in two pieces cut after byte %zu: expected it echoed whole, got %s", len,
                        k, r == 1 ? nl_quote(m, 40).c_str() : r == -3 ? "a Close" : "nothing");
        }
    }
    // Empty frames: a Ping and a text message without payload, one after the other.
    assert_int_equal(ws_send_raw(&a, frame(0x9, "")), 0);
    ws_frame_in pong;
    assert_int_equal(ws_read_frame(&a, &pong, T_MS), 1);
    assert_int_equal(pong.opcode, 0xA);
    assert_true(pong.data.empty());
    ws_close(&a);
    ws_close(&b);
    srv_stop(&s);
}

// R27: a peer that half-closes TCP right after its requests (no Close frame) still gets every answer:
// the pong, and its message reaches the room; then the server closes, and the room hears user_left.
// (On io_uring the EOF completion can come in the same turn as the data: the reference once dropped
// the queued pong there; the abuse suite's half-close abuse found it.)
void test_half_close_answered(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, b;
    ws_open(&a, s.port);
    ws_open(&b, s.port);
    std::string ida = join_room(&a, "hc");
    join_room(&b, "hc");
    json_decref(expect_type(&a, "user_joined"));
    std::string both = ws_client_frame(1, "{\"type\":\"ping\"}", 15) +
                       ws_client_frame(1, "{\"type\":\"message\",\"room\":\"hc\",\"content\":\"last words\"}", 53);
    assert_int_equal(ws_send_raw(&a, both), 0);
    shutdown(a.fd, SHUT_WR);
    json_decref(expect_type(&a, "pong"));
    NL_EXPECT_TRUE(ws_wait_eof(&a, T_MS), "after its ping, its message and its FIN: the server closes");
    json_t *m = expect_type(&b, "message");
    NL_EXPECT_STREQ(jstr(m, "content"), "last words", "the half-closed peer's message to the room");
    NL_EXPECT_STREQ(jstr(m, "from"), ida, "the half-closed peer's message to the room");
    json_decref(m);
    json_decref(expect_type(&b, "user_left"));
    ws_close(&a);
    ws_close(&b);
    srv_stop(&s);
}
