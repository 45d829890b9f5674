// test_wire_diff.cpp — the wire differential test of ex01: seeded random scripts of five clients
// (nick, join, leave, message, list_rooms, list_users with valid, invalid, taken and reserved names;
// malformed lines; disconnects) run against the submission's chat_server and the reference's, on
// each backend; every line each client receives is compared as JSON (keys in any order), error
// messages up to the words the README leaves free. After each step every connected client asks
// list_rooms: what it got before the "rooms" reply is what the step sent it, so the comparison does
// not depend on timing. A disconnect is waited for (list_users until the nick is gone from each of
// its rooms) before the next step, as is a nick that a disconnect freed. The bonus is left out:
// --rate 0, and "history" lines are not compared.
#include "chat_harness.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "nl_clock.h"
#include "nl_wire_diff.h"

void test_wire_diff(void **);

enum { CW_CLIENTS = 5, CW_LINES = 40, CW_PROBE = NL_WIRE_CLIENTS - 1 };  // CW_PROBE: a passing connection
enum cw_kind : uint8_t { CW_NICK, CW_JOIN, CW_LEAVE, CW_MESSAGE, CW_LIST_ROOMS, CW_LIST_USERS, CW_BAD, CW_CLOSE };

struct cw_step {
    cw_kind kind;
    uint8_t client;
    uint8_t name;     // index in CW_NICKS (nick) or CW_ROOMS (the others)
    uint8_t content;  // index in CW_CONTENTS, or in CW_BAD_LINES
};

static const char *const CW_NICKS[] = {"Neo", "Trinity", "Morpheus", "A-b_9", "User", "User99", "bad nick!", "",
                                       "n2345678901234567890123456789012", "n23456789012345678901234567890123"};
static const char *const CW_ROOMS[] = {"zion", "construct", "a.b#c", "r2345678901234567890123456789012",
                                       "bad room", "", "r23456789012345678901234567890123"};
enum { CW_VALID_ROOMS = 4 };  // leave, message and list_users use valid names only (README: a room you are not in)
static const char *const CW_CONTENTS[] = {"I know kung fu", "", "\"quoted\" \\ back", "tab\there", "\xc3\xa9t\xc3\xa9"};
static const char *const CW_BAD_LINES[] = {
    "not valid json", "[1,2]", "{}", "{\"type\":5}", "{\"type\":\"dance\"}", "{\"type\":\"join\"}",
    "{\"type\":\"join\",\"room\":7}", "{\"type\":\"message\",\"room\":\"zion\"}", "", "  \t "};

struct cw_client {
    bool open;
    std::string nick;             // as the server last said it (joined, nick_changed); "" unknown
    std::set<std::string> rooms;  // as the server last said it (joined, left)
};
struct cw_side {
    nl_server srv;
    cw_client c[NL_WIRE_CLIENTS];
    std::set<std::string> freed;  // nicks a disconnect gave back
};
static cw_side g_cw[2];
static const char *g_cw_backend = "epoll";

// A line as compared: JSON with sorted keys; an error message cut after the words the README fixes.
static std::string cw_canon(const std::string &raw, json_t **parsed)
{
    json_error_t e;
    json_t *j = json_loadb(raw.data(), raw.size(), 0, &e);
    *parsed = j;
    if (!j || !json_is_object(j)) return "not a JSON object: " + nl_quote(raw, 80);
    json_t *msg = json_object_get(j, "message");
    const char *type = json_string_value(json_object_get(j, "type"));
    if (type && !strcmp(type, "error") && json_is_string(msg)) {
        std::string m = json_string_value(msg);
        for (const char *free_words : {"invalid JSON:", "Invalid nick:", "Invalid room name:"})
            if (m.rfind(free_words, 0) == 0) m = free_words;
        json_t *copy = json_deep_copy(j);
        json_object_set_new(copy, "message", json_string(m.c_str()));
        char *d = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT);
        std::string out = d ? d : "";
        free(d);
        json_decref(copy);
        return out;
    }
    char *d = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
    std::string out = d ? d : "";
    free(d);
    return out;
}

static void cw_learn(cw_client *c, json_t *j)
{
    const char *type = json_string_value(json_object_get(j, "type"));
    const char *room = json_string_value(json_object_get(j, "room"));
    if (!type) return;
    if (!strcmp(type, "nick_changed") && json_is_string(json_object_get(j, "new")))
        c->nick = json_string_value(json_object_get(j, "new"));
    if (!strcmp(type, "joined") && room) {
        c->rooms.insert(room);
        json_t *users = json_object_get(j, "users");
        size_t n = json_array_size(users);
        if (n && json_is_string(json_array_get(users, n - 1))) c->nick = json_string_value(json_array_get(users, n - 1));
    }
    if (!strcmp(type, "left") && room) c->rooms.erase(room);
}

// Reads client i's lines up to the "rooms" reply of its sync (or up to `until` type), into lines.
static bool cw_read_until(nl_wire_side *side, int i, const char *until, std::vector<std::string> *lines,
                          std::string *last_raw)
{
    cw_client *c = &g_cw[side->which].c[i];
    for (int n = 0; n < CW_LINES; n++) {
        std::string raw;
        int rc = nl_wire_line(side, i, &raw);
        if (rc != 1) {
            lines->push_back(rc == 0 ? "EOF" : nl_fmt("(nothing within %d ms)", NL_WIRE_REPLY_MS));
            if (rc == 0) {
                nl_wire_close(side, i, false);
                c->open = false;
            }
            return false;
        }
        json_t *j;
        std::string canon = cw_canon(raw, &j);
        const char *type = j ? json_string_value(json_object_get(j, "type")) : nullptr;
        if (j) cw_learn(c, j);
        // A list_users poll (until "users") also ends on its error (the room is gone).
        bool done = type && (!strcmp(type, until) || (!strcmp(until, "users") && !strcmp(type, "error")));
        bool history = type && !strcmp(type, "history");
        json_decref(j);  // type pointed into j
        if (done) {
            if (last_raw) *last_raw = raw;
            if (!last_raw) lines->push_back(canon);
            return true;
        }
        if (!history) lines->push_back(canon);
    }
    lines->push_back("(too many lines)");
    return false;
}

static void cw_sync(nl_wire_side *side, int i, std::vector<std::string> *lines)
{
    if (nl_tc_send(side->fds[i], "{\"type\":\"list_rooms\"}\n") != 0) {
        lines->push_back("(cannot send)");
        return;
    }
    cw_read_until(side, i, "rooms", lines, nullptr);
}

static bool cw_ensure(nl_wire_side *side, int i, std::string *seen)
{
    cw_client *c = &g_cw[side->which].c[i];
    if (c->open) return true;
    *c = cw_client();
    if (nl_wire_connect(side, i) < 0) {
        *seen += nl_fmt("c%d cannot connect; ", i);
        return false;
    }
    c->open = true;
    std::vector<std::string> lines;
    cw_sync(side, i, &lines);  // accepted and registered before anything else happens
    *seen += nl_fmt("c%d connects:", i);
    for (const std::string &l : lines) *seen += " " + l;
    *seen += "; ";
    return c->open;
}

// After a disconnect: list_users from another client until the nick is gone from each room it was in.
static void cw_wait_gone(nl_wire_side *side, const cw_client &gone, int probe, std::vector<std::string> *extra)
{
    for (const std::string &room : gone.rooms) {
        uint64_t deadline = nl_now_ms() + NL_WIRE_REPLY_MS;
        for (;;) {
            std::string req = ch_json("{s:s, s:s}", "type", "list_users", "room", room.c_str()), raw;
            if (nl_tc_send(side->fds[probe], req + "\n") != 0 || !cw_read_until(side, probe, "users", extra, &raw)) return;
            json_t *j = json_loads(raw.c_str(), 0, nullptr);
            bool still = false;
            json_t *list = json_object_get(j, "list");
            for (size_t k = 0; k < json_array_size(list); k++)
                still |= json_is_string(json_array_get(list, k)) && gone.nick == json_string_value(json_array_get(list, k));
            json_decref(j);
            if (!still || nl_now_ms() >= deadline) break;
        }
    }
}

static bool cw_start(void *, nl_wire_side *side)
{
    cw_side *s = &g_cw[side->which];
    for (cw_client &c : s->c) c = cw_client();
    s->freed.clear();
    return nl_wire_start_tcp(side, "chat_server", {"--backend", g_cw_backend, "--port", "0", "--grace-ms", "200", "--rate", "0"});
}

static void cw_stop(void *, nl_wire_side *side) { nl_wire_stop_tcp(side); }

static std::string cw_request(const cw_step *s)
{
    const char *room = CW_ROOMS[s->name % (s->kind == CW_JOIN ? 7 : CW_VALID_ROOMS)];
    switch (s->kind) {
    case CW_NICK: return ch_json("{s:s, s:s}", "type", "nick", "name", CW_NICKS[s->name]);
    case CW_JOIN: return ch_json("{s:s, s:s}", "type", "join", "room", room);
    case CW_LEAVE: return ch_json("{s:s, s:s}", "type", "leave", "room", room);
    case CW_MESSAGE: return ch_json("{s:s, s:s, s:s}", "type", "message", "room", room, "content", CW_CONTENTS[s->content]);
    case CW_LIST_ROOMS: return ch_json("{s:s}", "type", "list_rooms");
    case CW_LIST_USERS: return ch_json("{s:s, s:s}", "type", "list_users", "room", room);
    case CW_BAD: return CW_BAD_LINES[s->content];
    case CW_CLOSE: break;
    }
    return "";
}

static void cw_apply(void *, nl_wire_side *side, const void *op, std::string *seen)
{
    const cw_step *s = (const cw_step *)op;
    cw_side *st = &g_cw[side->which];
    int i = s->client;
    std::vector<std::string> got[NL_WIRE_CLIENTS];
    if (s->kind == CW_CLOSE) {
        if (!st->c[i].open) return;
        cw_client gone = st->c[i];
        nl_wire_close(side, i, false);
        st->c[i] = cw_client();
        if (!gone.nick.empty()) st->freed.insert(gone.nick);
        int probe = -1;
        for (int k = 0; k < CW_CLIENTS && probe < 0; k++)
            if (st->c[k].open) probe = k;
        // Nobody left to ask: a passing connection asks (it takes a User<N> number on both sides alike,
        // and leaves no trace: no room, a default nick).
        bool passing = probe < 0 && !gone.rooms.empty();
        if (passing && nl_wire_connect(side, CW_PROBE) >= 0) st->c[probe = CW_PROBE].open = true;
        if (probe >= 0) cw_wait_gone(side, gone, probe, &got[probe]);
        if (passing) {
            nl_wire_close(side, CW_PROBE, false);
            st->c[CW_PROBE] = cw_client();
        }
        *seen += nl_fmt("c%d gone; ", i);
    } else {
        if (!cw_ensure(side, i, seen)) return;
        cw_client *c = &st->c[i];
        std::string req = cw_request(s);
        const char *nick = CW_NICKS[s->name];
        if (s->kind == CW_NICK && !c->nick.empty() && c->nick == nick) return;  // the README does not say what renaming to oneself is
        bool freed = s->kind == CW_NICK && st->freed.count(nick);
        uint64_t deadline = nl_now_ms() + NL_WIRE_REPLY_MS;
        for (;;) {
            got[i].clear();
            nl_tc_send(side->fds[i], req + "\n");
            cw_sync(side, i, &got[i]);
            // list_rooms is the sync's own request: the first "rooms" was the step's reply, the
            // sync's is still to come (left unread, it would end this client's next sync early,
            // before the server had handled that step: its answers would then depend on timing).
            if (s->kind == CW_LIST_ROOMS && c->open) cw_read_until(side, i, "rooms", &got[i], nullptr);
            // A nick a disconnect freed may not be free yet when the server has not read the EOF.
            bool busy = freed && !got[i].empty() && got[i][0].find("Nick already in use") != std::string::npos;
            if (!busy || nl_now_ms() >= deadline || !c->open) break;
        }
        if (freed && c->nick == nick) st->freed.erase(nick);
    }
    for (int k = 0; k < CW_CLIENTS; k++)
        if (k != i && st->c[k].open) cw_sync(side, k, &got[k]);
    for (int k = 0; k < NL_WIRE_CLIENTS; k++) {
        if (got[k].empty()) continue;
        if (s->kind == CW_CLOSE) std::sort(got[k].begin(), got[k].end());  // the README does not order rooms' user_left
        *seen += nl_fmt("c%d <-", k);
        for (const std::string &l : got[k]) *seen += " " + l;
        *seen += "; ";
    }
}

static void cw_gen(void *, nl_rng *rng, void *op)
{
    cw_step *s = (cw_step *)op;
    uint64_t r = nl_rng_below(rng, 100);
    s->client = (uint8_t)nl_rng_below(rng, CW_CLIENTS);
    s->kind = r < 14 ? CW_NICK : r < 38 ? CW_JOIN : r < 48 ? CW_LEAVE : r < 72 ? CW_MESSAGE : r < 77 ? CW_LIST_ROOMS
              : r < 83 ? CW_LIST_USERS : r < 91 ? CW_BAD : CW_CLOSE;
    s->name = (uint8_t)nl_rng_below(rng, s->kind == CW_NICK ? 10 : 7);
    if (s->kind == CW_JOIN && nl_rng_chance(rng, 0.6)) s->name %= 3;  // mostly the rooms people share
    s->content = (uint8_t)nl_rng_below(rng, s->kind == CW_BAD ? 10 : 5);
}

static void cw_print(void *, const void *op, char *out, size_t cap)
{
    const cw_step *s = (const cw_step *)op;
    if (s->kind == CW_CLOSE) snprintf(out, cap, "c%d disconnects", s->client);
    else snprintf(out, cap, "c%d sends %s", s->client, nl_quote(cw_request(s), 120).c_str());
}

CHAT_TEST(test_wire_diff)
{
    static const nl_wire_ops ops = {sizeof(cw_step), nullptr, NL_ORACLE_BIN_DIR, cw_start, cw_stop,
                                    cw_gen,          cw_apply, cw_print};
    g_cw_backend = backend;
    nl_wire_config cfg = {1, 12, 22, 0};
    std::string report;
    if (nl_wire_diff_run(&ops, &cfg, &report)) NL_FAIL("%s", report.c_str());  // the prefix names the backend
}
