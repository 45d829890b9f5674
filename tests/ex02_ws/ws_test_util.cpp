// ws_test_util.cpp — see ws_test_util.h.
#include "ws_test_util.h"
#include "nl_clock.h"

#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>

static std::map<const ws_client *, std::string> g_sent;  // the last JSON text each client sent

std::string ws_last_sent(const ws_client *c)
{
    auto it = g_sent.find(c);
    return it == g_sent.end() ? "nothing" : nl_quote(it->second, 120);
}

static std::string after(const ws_client *c) { return "after sending " + ws_last_sent(c); }

static std::string dump(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    std::string out = s ? s : "?";
    free(s);
    return out;
}

void srv_start_at(const nl_where &w, nl_server *s, const std::vector<std::string> &extra)
{
    std::vector<std::string> args = {"--port", "0"};
    // NETLAB_WS_BACKEND=uring runs the whole suite on the io_uring backend.
    const char *backend = getenv("NETLAB_WS_BACKEND");
    if (backend && *backend) args.insert(args.end(), {"--backend", backend});
    args.insert(args.end(), extra.begin(), extra.end());
    if (nl_server_start(s, "ws_server", args, 10000) != 0) {
        std::string cmd = "ws_server";
        for (const std::string &a : args) cmd += " " + a;
        nl_fail_at(w, "'%s' did not print 'listening on HOST:PORT' within 10 s", cmd.c_str());
    }
}

void srv_stop_at(const nl_where &w, nl_server *s)
{
    int rc = nl_server_stop(s, SIGTERM, 10000);
    if (rc != 0)
        nl_fail_at(w, "after SIGTERM: expected ws_server to exit with status 0 within 10 s, got %s",
                   rc < 0 ? "no exit (killed) or death by a signal" : nl_fmt("status %d", rc).c_str());
}

void ws_open_at(const nl_where &w, ws_client *c, uint16_t port, const char *path)
{
    int st = ws_connect(c, port, path, T_MS);
    g_sent.erase(c);
    if (st != 101)
        nl_fail_at(w, "upgrade request on %s: expected HTTP 101, got %d: %s", path, st, nl_quote(c->response, 300).c_str());
    if (!c->accept_ok)
        nl_fail_at(w, "upgrade request on %s: expected Sec-WebSocket-Accept to match the key, got %s", path,
                   nl_quote(c->response, 300).c_str());
}

void send_json_at(const nl_where &w, ws_client *c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_sent[c] = buf;
    if (ws_send_text(c, buf) != 0) nl_fail_at(w, "sending %s: the send failed", nl_quote(buf, 120).c_str());
}

json_t *next_json_at(const nl_where &w, ws_client *c)
{
    std::string msg;
    int code = 0;
    int r = ws_read_message(c, &msg, T_MS, &code);
    if (r != 1)
        nl_fail_at(w, "%s: expected a message within %d ms, got %s", after(c).c_str(), T_MS,
                   r == 0 ? "EOF" : r == -3 ? nl_fmt("a Close frame (code %d)", code).c_str() : "nothing");
    json_error_t e;
    json_t *o = json_loadb(msg.data(), msg.size(), 0, &e);
    if (!o) nl_fail_at(w, "%s: expected a JSON message, got %s", after(c).c_str(), nl_quote(msg).c_str());
    return o;
}

std::string jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : std::string("<missing ") + key + ">";
}

long long jint(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

json_t *expect_type_at(const nl_where &w, ws_client *c, const char *type)
{
    json_t *o = next_json_at(w, c);
    std::string t = jstr(o, "type");
    if (t != type) {
        std::string got = dump(o);
        json_decref(o);
        nl_fail_at(w, "%s: expected a \"%s\" message, got %s", after(c).c_str(), type, nl_quote(got, 300).c_str());
    }
    return o;
}

std::string join_room_at(const nl_where &w, ws_client *c, const char *room, long long *members)
{
    send_json_at(w, c, "{\"type\":\"join\",\"room\":\"%s\"}", room);
    json_t *o = expect_type_at(w, c, "joined");
    std::string got = dump(o), r = jstr(o, "room"), id = jstr(o, "user_id");
    if (members) *members = jint(o, "members");
    json_decref(o);
    if (r != room) nl_fail_at(w, "%s: expected joined with \"room\":\"%s\", got %s", after(c).c_str(), room, got.c_str());
    if (id.empty() || id[0] == '<')
        nl_fail_at(w, "%s: expected joined with a non-empty \"user_id\", got %s", after(c).c_str(), got.c_str());
    return id;
}

void expect_nothing_pending_at(const nl_where &w, ws_client *c)
{
    send_json_at(w, c, "{\"type\":\"ping\"}");
    json_t *o = next_json_at(w, c);
    std::string t = jstr(o, "type"), got = dump(o);
    json_decref(o);
    if (t != "pong")
        nl_fail_at(w, "expected nothing more for this client (the pong to a ping comes next), got %s",
                   nl_quote(got, 300).c_str());
}

void expect_close_at(const nl_where &w, ws_client *c, int code, const char *reason)
{
    uint64_t deadline = nl_now_ms() + T_MS;
    ws_frame_in f;
    int r;
    for (;;) {
        uint64_t now = nl_now_ms();
        r = ws_read_frame(c, &f, now >= deadline ? 0 : (int)(deadline - now));
        if (r <= 0 || f.opcode == 0x8) break;
        if (f.opcode == 0x9) c->pings_seen++;
    }
    if (r != 1)
        nl_fail_at(w, "%s: expected a Close frame with code %d, got %s", after(c).c_str(), code,
                   r == 0 ? "EOF without a Close frame" : "nothing in time");
    int got = f.data.size() >= 2 ? ((uint8_t)f.data[0] << 8 | (uint8_t)f.data[1]) : -1;
    std::string why = f.data.size() > 2 ? f.data.substr(2) : "";
    if (got != code)
        nl_fail_at(w, "%s: expected a Close frame with code %d, got code %d (reason %s)", after(c).c_str(), code, got,
                   nl_quote(why).c_str());
    if (code < 0 && !f.data.empty())
        nl_fail_at(w, "%s: expected a Close frame without a body (the peer's had none), got a %zu-byte body %s",
                   after(c).c_str(), f.data.size(), nl_quote(f.data).c_str());
    if (reason && why != reason)
        nl_fail_at(w, "%s: expected a Close frame %d with the reason %s, got %s", after(c).c_str(), code,
                   nl_quote(reason).c_str(), nl_quote(why).c_str());
    if (!ws_wait_eof(c, T_MS))
        nl_fail_at(w, "%s: after the Close frame (%d) expected the server to close TCP within %d ms", after(c).c_str(),
                   code, T_MS);
}

struct fds_probe {
    pid_t pid;
    int want;
};
static bool fds_are(void *arg)
{
    fds_probe *p = (fds_probe *)arg;
    return nl_proc_fds(p->pid) == p->want;
}

bool wait_fds(pid_t pid, int want, int timeout_ms)
{
    fds_probe p = {pid, want};
    return nl_wait_until(fds_are, &p, timeout_ms);
}
