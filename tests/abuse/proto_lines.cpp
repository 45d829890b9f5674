// proto_lines.cpp — the line protocols under abuse: ex00_echo (a line → its ECHO) and ex01_chat
// (a message in a room → the same line to a second member), their good clients and abusers' bytes.
#include "abuse.h"
#include "nl_check.h"
#include "nl_testnet.h"
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

// Reads lines from fd until one contains needle, within timeout_ms: "" or what went wrong.
static std::string read_until(int fd, const std::string &needle, int timeout_ms)
{
    std::string line;
    int r = nl_tc_read_line(fd, &line, timeout_ms);
    if (r == 1 && line.find(needle) != std::string::npos) return "";
    if (r == 1) return nl_fmt("expected a line with %s, got %s", nl_quote(needle).c_str(), nl_quote(line).c_str());
    return r == 0 ? "EOF" : nl_fmt("no line within %d ms", timeout_ms);
}

// A client sends request, shuts its write side, and must get a line with want, then EOF.
static std::string half_close_line(uint16_t port, const char *request, const char *want, int timeout_ms)
{
    int fd = nl_tc_connect(port);
    if (fd < 0) return "connect failed";
    std::string err = nl_tc_send(fd, request) == 0 ? "" : "send failed";
    shutdown(fd, SHUT_WR);
    if (err.empty()) err = read_until(fd, want, timeout_ms);
    if (err.empty() && !nl_tc_wait_eof(fd, timeout_ms)) err = "no EOF after the reply";
    nl_tc_close(fd);
    return err;
}

static int half_line(uint16_t port, const char *half)
{
    int fd = nl_tc_connect(port);
    if (fd >= 0 && nl_tc_send(fd, half) != 0) {
        nl_tc_close(fd);
        return -1;
    }
    return fd;
}

static void close_good(ab_good *g)
{
    nl_tc_close(g->a);
    nl_tc_close(g->b);
    g->a = g->b = -1;
}

// A receive buffer as small as the kernel allows, so the server's output piles up in the server.
static void small_rcvbuf(int fd)
{
    int sz = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

// ---- ex00_echo ----------------------------------------------------------------------------------
static bool echo_open(ab_good *g, uint16_t port, std::string *err)
{
    g->a = nl_tc_connect(port);
    if (g->a < 0) *err = "connect failed";
    return g->a >= 0;
}

static std::string echo_round(ab_good *g, int timeout_ms)
{
    std::string n = nl_fmt("good%d", ++g->seq);
    if (nl_tc_send(g->a, n + "\n") != 0) return "send failed";
    std::string line;
    int r = nl_tc_read_line(g->a, &line, timeout_ms);
    if (r != 1) return r == 0 ? "EOF" : nl_fmt("no reply within %d ms", timeout_ms);
    std::string want = "ECHO: GOOD" + std::to_string(g->seq);
    return line == want ? "" : nl_fmt("expected '%s', got %s", want.c_str(), nl_quote(line).c_str());
}

static std::string echo_probe(uint16_t port, int timeout_ms)
{
    ab_good g;
    std::string err;
    if (!echo_open(&g, port, &err)) return err;
    err = echo_round(&g, timeout_ms);
    close_good(&g);
    return err;
}

static std::string echo_half(uint16_t port, int timeout_ms) { return half_close_line(port, "half\n", "ECHO: HALF", timeout_ms); }
static int echo_half_message(uint16_t port) { return half_line(port, "half a li"); }

// The non-reader talks itself: its thread blocks on send once the socket buffers are full (R8:
// nobody else waits for it).
static bool echo_nonreader_open(uint16_t port, int *reader, ws_client *, int *talker_fd)
{
    *talker_fd = -1;
    *reader = nl_tc_connect(port);
    if (*reader >= 0) small_rcvbuf(*reader);
    return *reader >= 0;
}

static int echo_talk(int reader, ws_client *, int)
{
    static const std::string lines = [] {
        std::string s;
        for (int i = 0; i < 64; i++) s += std::string(1000, 'x') + "\n";
        return s;
    }();
    send(reader, lines.data(), lines.size(), MSG_NOSIGNAL | MSG_DONTWAIT);  // EAGAIN once blocked: fine
    return 1;
}

// ---- ex01_chat ----------------------------------------------------------------------------------
// Started with --rate 0: the good client talks as fast as it is answered, so the (bonus) token bucket is off.
static std::string chat_join(int fd, const char *room, int timeout_ms)
{
    if (nl_tc_send(fd, nl_fmt("{\"type\":\"join\",\"room\":\"%s\"}\n", room)) != 0) return "send failed";
    return read_until(fd, "\"joined\"", timeout_ms);
}

static bool chat_open(ab_good *g, uint16_t port, std::string *err)
{
    g->a = nl_tc_connect(port);
    g->b = nl_tc_connect(port);
    if (g->a < 0 || g->b < 0) *err = "connect failed";
    if (err->empty()) *err = chat_join(g->a, "abuse", AB_DEADLINE_MS);
    if (err->empty()) *err = chat_join(g->b, "abuse", AB_DEADLINE_MS);
    if (err->empty()) *err = read_until(g->a, "\"user_joined\"", AB_DEADLINE_MS);
    return err->empty();
}

// a says m<seq> in room abuse: its own line back (R6), and the very same line to b.
static std::string chat_round(ab_good *g, int timeout_ms)
{
    std::string content = nl_fmt("\"content\":\"m%d\"", ++g->seq);
    if (nl_tc_send(g->a, nl_fmt("{\"type\":\"message\",\"room\":\"abuse\",\"content\":\"m%d\"}\n", g->seq)) != 0)
        return "send failed";
    std::string err = read_until(g->b, content, timeout_ms);
    if (err.empty()) err = read_until(g->a, content, timeout_ms);
    return err;
}

static std::string chat_probe(uint16_t port, int timeout_ms)
{
    int fd = nl_tc_connect(port);
    if (fd < 0) return "connect failed";
    std::string err = nl_tc_send(fd, "{\"type\":\"list_rooms\"}\n") == 0 ? read_until(fd, "\"rooms\"", timeout_ms) : "send failed";
    nl_tc_close(fd);
    return err;
}

static std::string chat_half(uint16_t port, int timeout_ms)
{
    return half_close_line(port, "{\"type\":\"list_rooms\"}\n", "\"rooms\"", timeout_ms);
}
static int chat_half_message(uint16_t port) { return half_line(port, "{\"type\":\"message\",\"ro"); }

// The non-reader joins room flood; a talker there sends 16 KiB messages (and reads its own back).
static bool chat_nonreader_open(uint16_t port, int *reader, ws_client *, int *talker_fd)
{
    *reader = nl_tc_connect(port);
    *talker_fd = nl_tc_connect(port);
    if (*reader < 0 || *talker_fd < 0) return false;
    small_rcvbuf(*reader);
    return chat_join(*reader, "flood", AB_DEADLINE_MS).empty() && chat_join(*talker_fd, "flood", AB_DEADLINE_MS).empty() &&
           read_until(*reader, "\"user_joined\"", AB_DEADLINE_MS).empty();
}

static int chat_talk(int, ws_client *, int talker_fd)
{
    static const std::string msg = "{\"type\":\"message\",\"room\":\"flood\",\"content\":\"" + std::string(16384, 'f') + "\"}\n";
    if (nl_tc_send(talker_fd, msg) != 0) return 0;
    int got = 0;  // its own message back (R6); before it, user_left once the reader is dropped (R10)
    for (int i = 0; i < 3 && got == 0; i++) {
        std::string line;
        if (nl_tc_read_line(talker_fd, &line, AB_DEADLINE_MS) != 1) return 0;
        if (line.find("\"user_left\"") != std::string::npos) got = -1;
        else if (line.find("\"message\"") != std::string::npos) got = 1;
    }
    if (got == -1) return read_until(talker_fd, "\"message\"", AB_DEADLINE_MS).empty() ? 2 : 0;
    return got;
}

const ab_proto AB_EX00 = {"ex00", "echo_server", {"--max-clients", "20000"}, true,
                          echo_open, echo_round, close_good, echo_probe, "", echo_half, echo_half_message,
                          echo_nonreader_open, echo_talk, false};

#define CHAT_PROTO(backend)                                                                              \
    {"ex01 " backend, "chat_server", {"--backend", backend, "--max-clients", "20000", "--max-outbuf", "262144", "--rate", "0"}, \
     false, chat_open, chat_round, close_good, chat_probe, "{\"type\":\"message\",\"room\":\"", chat_half,     \
     chat_half_message, chat_nonreader_open, chat_talk, true}
const ab_proto AB_EX01_EPOLL = CHAT_PROTO("epoll");
const ab_proto AB_EX01_URING = CHAT_PROTO("uring");
