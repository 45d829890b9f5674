// test_wire_diff.cpp — the wire differential test of ex00: seeded random client scripts (up to six
// clients, lines with blanks, commands in every case, pipelined and split writes, partial lines,
// lines at 65536 bytes and past, QUIT with more after it, FIN and RST closes, one client past
// --max-clients 4, SIGTERM) run against the submission's echo_server and the reference's; every
// reply the README fixes is compared. Client 0 stays connected and is how the script waits for the
// server to notice a close: it asks COUNT until the answer is the number of clients the README says
// are connected, so COUNT and BUSY do not depend on timing.
#include "echo_test.h"
#include "nl_clock.h"
#include "nl_wire_diff.h"
#include "suite.h"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>

enum { EW_CLIENTS = 6, EW_MAX_CLIENTS = 4, EW_TEXT = 200 };
enum ew_kind : uint8_t { EW_SEND, EW_LONG, EW_CLOSE, EW_TERM };

struct ew_step {
    ew_kind kind;
    uint8_t client;    // 0..EW_CLIENTS-1
    uint8_t split;     // EW_SEND: the data goes in two writes, cut here (0: one write)
    uint8_t reset;     // EW_CLOSE: RST instead of FIN; EW_LONG: "\r\n" instead of "\n"
    char fill;         // EW_LONG: the byte the line is made of
    uint32_t len;      // EW_SEND: bytes of text; EW_LONG: bytes of the line
    char text[EW_TEXT];
};

// What the README says about each client of one side: connected or not, the partial line it sent.
struct ew_model {
    bool open[EW_CLIENTS];
    std::string pending[EW_CLIENTS];
    bool stopped;
};
static ew_model g_model[2];

static long ew_connected(const ew_model *m)
{
    long n = 0;
    for (bool o : m->open) n += o;
    return n;
}

// "TIME: <now>" for a TIME reply within 5 s of the test's clock: the value itself is not compared.
static std::string ew_normalize(const std::string &line)
{
    if (line.rfind("TIME: ", 0) != 0 || line.size() == 6) return line;
    char *end;
    long long t = strtoll(line.c_str() + 6, &end, 10);
    return *end == '\0' && llabs(t - (long long)time(nullptr)) <= 5 ? "TIME: <now>" : line;
}

static void ew_read(nl_wire_side *side, int c, int n, std::string *seen)
{
    for (int i = 0; i < n; i++) {
        std::string line;
        int rc = nl_wire_line(side, c, &line);
        if (rc != 1) {
            *seen += rc == 0 ? nl_fmt("c%d <- EOF ", c) : nl_fmt("c%d <- (nothing within %d ms) ", c, NL_WIRE_REPLY_MS);
            if (rc == 0) nl_wire_close(side, c, false);
            return;
        }
        *seen += nl_fmt("c%d <- %s ", c, nl_quote(ew_normalize(line), 100).c_str());
    }
}

// Client 0 asks COUNT until the answer is the README's count (a close is noticed asynchronously).
static void ew_settle(nl_wire_side *side, ew_model *m, std::string *seen)
{
    std::string want = nl_fmt("COUNT: %ld", ew_connected(m)), got;
    uint64_t deadline = nl_now_ms() + NL_WIRE_REPLY_MS;
    do {
        if (side->fds[0] < 0 || nl_tc_send(side->fds[0], "COUNT\n") != 0 || nl_wire_line(side, 0, &got) != 1) {
            got = "(no COUNT reply)";
            break;
        }
    } while (got != want && nl_now_ms() < deadline);
    *seen += nl_fmt("c0 COUNT settles at '%s' ", got.c_str());
}

// Connects client c when it is not: the empty line's echo says it was accepted. Past --max-clients
// the server says BUSY and closes; a BUSY while the README leaves room is retried (the server may
// not have forgotten a closed client yet). False when c is not connected afterwards.
static bool ew_ensure(nl_wire_side *side, ew_model *m, int c, std::string *seen)
{
    if (m->open[c]) return true;
    bool room = ew_connected(m) < EW_MAX_CLIENTS;
    uint64_t deadline = nl_now_ms() + NL_WIRE_REPLY_MS;
    std::string line;
    for (;;) {
        if (nl_wire_connect(side, c) < 0 || nl_tc_send(side->fds[c], "\n") != 0) {
            *seen += nl_fmt("c%d cannot connect ", c);
            nl_wire_close(side, c, false);
            return false;
        }
        int rc = nl_wire_line(side, c, &line);
        if (rc == 1 && line == "ECHO: ") break;
        nl_wire_close(side, c, false);
        if (rc == 1 && line == "BUSY" && room && nl_now_ms() < deadline) continue;
        *seen += nl_fmt("c%d connects: %s ", c, rc == 1 ? nl_quote(line, 60).c_str() : rc == 0 ? "EOF" : "(nothing)");
        return false;
    }
    *seen += nl_fmt("c%d connected ", c);
    m->open[c] = true;
    m->pending[c].clear();
    return true;
}

static bool ew_is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f'; }

static std::string ew_trim(const std::string &l)
{
    size_t a = 0, b = l.size();
    while (a < b && ew_is_blank(l[a])) a++;
    while (b > a && ew_is_blank(l[b - 1])) b--;
    return l.substr(a, b - a);
}

// Sends data on c, then reads one reply per complete line, up to QUIT (BYE, then EOF).
static void ew_send(nl_wire_side *side, ew_model *m, int c, const std::string &data, size_t split, std::string *seen)
{
    if (split > 0 && split < data.size()) {
        nl_tc_send(side->fds[c], data.substr(0, split));
        nl_tc_send(side->fds[c], data.substr(split));
    } else {
        nl_tc_send(side->fds[c], data);
    }
    std::string all = m->pending[c] + data;
    size_t from = 0;
    for (size_t nl; (nl = all.find('\n', from)) != std::string::npos; from = nl + 1) {
        std::string line = all.substr(from, nl - from);
        if (ew_trim(line) == "QUIT") {
            ew_read(side, c, 1, seen);
            nl_wire_expect_eof(side, c, seen);
            nl_wire_close(side, c, false);
            m->open[c] = false;
            m->pending[c].clear();
            ew_settle(side, m, seen);
            return;
        }
        ew_read(side, c, 1, seen);
    }
    m->pending[c] = all.substr(from);
}

static bool ew_start(void *, nl_wire_side *side)
{
    ew_model *m = &g_model[side->which];
    *m = ew_model();
    if (!nl_wire_start_tcp(side, "echo_server", {"--port", "0", "--max-clients", std::to_string(EW_MAX_CLIENTS)}))
        return false;
    std::string seen;
    return ew_ensure(side, m, 0, &seen);
}

static void ew_stop(void *, nl_wire_side *side) { nl_wire_stop_tcp(side); }

static void ew_apply(void *, nl_wire_side *side, const void *op, std::string *seen)
{
    const ew_step *s = (const ew_step *)op;
    ew_model *m = &g_model[side->which];
    int c = s->client;
    if (m->stopped) return;
    switch (s->kind) {
    case EW_SEND:
        if (ew_ensure(side, m, c, seen)) ew_send(side, m, c, std::string(s->text, s->len), s->split, seen);
        break;
    case EW_LONG:
        if (ew_ensure(side, m, c, seen))
            ew_send(side, m, c, std::string(s->len, s->fill) + (s->reset ? "\r\n" : "\n"), 0, seen);
        break;
    case EW_CLOSE:
        if (!m->open[c]) break;
        nl_wire_close(side, c, s->reset);
        m->open[c] = false;
        m->pending[c].clear();
        ew_settle(side, m, seen);
        break;
    case EW_TERM: {
        // Partial lines are finished first: the README promises replies to the lines a client sent.
        for (int i = 0; i < EW_CLIENTS; i++)
            if (m->open[i] && !m->pending[i].empty()) ew_send(side, m, i, "\n", 0, seen);
        kill(side->srv.pid, SIGTERM);
        for (int i = 0; i < EW_CLIENTS; i++)
            if (m->open[i]) {
                ew_read(side, i, 1, seen);
                nl_wire_expect_eof(side, i, seen);
                m->open[i] = false;
            }
        int rc = nl_server_stop(&side->srv, SIGTERM, 10000);
        *seen += nl_fmt("exit %d", rc);
        side->up = false;
        m->stopped = true;
        break;
    }
    }
}

static const char *const EW_WORDS[] = {"hello", "World", "quit", "QUIT", "TIME", "time", "COUNT", "Count",
                                       "a",     "zZ",    "42",   "\xc3\xa9", "~!@[`{", "QUITTER"};
static const char EW_BLANKS[] = {' ', '\t', '\r', '\v', '\f'};

// One line: 0..3 words between random blanks, often a bare command; client 0 never quits.
static std::string ew_gen_line(nl_rng *rng, int client)
{
    std::string l;
    for (uint64_t i = nl_rng_below(rng, 3); i-- > 0;) l += EW_BLANKS[nl_rng_below(rng, sizeof EW_BLANKS)];
    if (nl_rng_chance(rng, 0.3)) {
        static const char *const cmds[] = {"QUIT", "TIME", "COUNT"};
        l += cmds[nl_rng_below(rng, client == 0 ? 2 : 3) + (client == 0)];
    } else {
        for (uint64_t w = nl_rng_below(rng, 4); w-- > 0;) {
            const char *word = EW_WORDS[nl_rng_below(rng, sizeof EW_WORDS / sizeof EW_WORDS[0])];
            if (client == 0 && !strcmp(word, "QUIT")) word = "QUITTER";
            l += word;
            if (w) l += EW_BLANKS[nl_rng_below(rng, sizeof EW_BLANKS)];
        }
    }
    for (uint64_t i = nl_rng_below(rng, 3); i-- > 0;) l += EW_BLANKS[nl_rng_below(rng, sizeof EW_BLANKS)];
    return l + (nl_rng_chance(rng, 0.3) ? "\r\n" : "\n");
}

static void ew_gen(void *, nl_rng *rng, void *op)
{
    ew_step *s = (ew_step *)op;
    uint64_t r = nl_rng_below(rng, 100);
    s->client = (uint8_t)nl_rng_below(rng, EW_CLIENTS);
    if (r < 62) {
        s->kind = EW_SEND;
        std::string data;
        for (uint64_t n = 1 + nl_rng_below(rng, 3); n-- > 0;) data += ew_gen_line(rng, s->client);
        if (nl_rng_chance(rng, 0.2)) data.pop_back();  // the last line stays partial (or its "\r" does)
        if (data.size() > EW_TEXT) data.resize(EW_TEXT);
        s->len = (uint32_t)data.size();
        memcpy(s->text, data.data(), data.size());
        s->split = nl_rng_chance(rng, 0.4) ? (uint8_t)(1 + nl_rng_below(rng, data.size())) : 0;
    } else if (r < 72) {
        static const uint32_t lens[] = {65535, 65536, 65537, 70000};
        s->kind = EW_LONG;
        s->len = lens[nl_rng_below(rng, 4)];
        s->fill = "aZ z"[nl_rng_below(rng, 4)];
        s->reset = (uint8_t)nl_rng_chance(rng, 0.5);
    } else if (r < 97) {
        s->kind = EW_CLOSE;
        s->client = (uint8_t)(1 + nl_rng_below(rng, EW_CLIENTS - 1));
        s->reset = (uint8_t)nl_rng_chance(rng, 0.4);
    } else {
        s->kind = EW_TERM;
    }
}

static void ew_print(void *, const void *op, char *out, size_t cap)
{
    const ew_step *s = (const ew_step *)op;
    switch (s->kind) {
    case EW_SEND:
        snprintf(out, cap, "c%d sends %s%s", s->client, nl_quote(std::string(s->text, s->len), 200).c_str(),
                 s->split ? nl_fmt(" in two writes (cut after %d bytes)", s->split).c_str() : "");
        break;
    case EW_LONG:
        snprintf(out, cap, "c%d sends a line of %u '%c' then '%s'", s->client, s->len, s->fill, s->reset ? "\\r\\n" : "\\n");
        break;
    case EW_CLOSE:
        snprintf(out, cap, "c%d closes (%s)", s->client, s->reset ? "RST" : "FIN");
        break;
    case EW_TERM:
        snprintf(out, cap, "SIGTERM to the server");
        break;
    }
}

void test_wire_diff(void **)
{
    static const nl_wire_ops ops = {sizeof(ew_step), nullptr, NL_ORACLE_BIN_DIR, ew_start, ew_stop,
                                    ew_gen,          ew_apply, ew_print};
    NL_WIRE_DIFF_CHECK(&ops, nl_wire_config{1, 30, 14, 0});
}
