// ws_test_util.cpp — see ws_test_util.h.
#include "ws_test_util.h"

#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

void srv_start(nl_server *s, const std::vector<std::string> &extra)
{
    std::vector<std::string> args = {"--port", "0"};
    // NETLAB_WS_BACKEND=uring runs the whole suite on the io_uring backend.
    const char *backend = getenv("NETLAB_WS_BACKEND");
    if (backend && *backend) args.insert(args.end(), {"--backend", backend});
    args.insert(args.end(), extra.begin(), extra.end());
    assert_int_equal(nl_server_start(s, "ws_server", args, 10000), 0);
}

void srv_stop(nl_server *s) { assert_int_equal(nl_server_stop(s, SIGTERM, 10000), 0); }

void ws_open(ws_client *c, uint16_t port, const char *path)
{
    int st = ws_connect(c, port, path, T_MS);
    if (st != 101) fprintf(stderr, "upgrade on %s answered %d:\n%s\n", path, st, c->response.c_str());
    assert_int_equal(st, 101);
    assert_true(c->accept_ok);
}

void send_json(ws_client *c, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_int_equal(ws_send_text(c, buf), 0);
}

json_t *next_json(ws_client *c)
{
    std::string msg;
    int code = 0;
    int r = ws_read_message(c, &msg, T_MS, &code);
    if (r != 1) fprintf(stderr, "expected a message, got %s (close code %d)\n",
                        r == 0 ? "EOF" : r == -3 ? "a Close frame" : "nothing in time", code);
    assert_int_equal(r, 1);
    json_error_t e;
    json_t *o = json_loadb(msg.data(), msg.size(), 0, &e);
    if (!o) fprintf(stderr, "not JSON: %s\n", msg.c_str());
    assert_non_null(o);
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

json_t *expect_type(ws_client *c, const char *type)
{
    json_t *o = next_json(c);
    std::string t = jstr(o, "type");
    if (t != type) {
        char *s = json_dumps(o, JSON_COMPACT);
        fprintf(stderr, "expected a '%s' message, got %s\n", type, s);
        free(s);
    }
    assert_string_equal(t.c_str(), type);
    return o;
}

std::string join_room(ws_client *c, const char *room, long long *members)
{
    send_json(c, "{\"type\":\"join\",\"room\":\"%s\"}", room);
    json_t *o = expect_type(c, "joined");
    assert_string_equal(jstr(o, "room").c_str(), room);
    if (members) *members = jint(o, "members");
    std::string id = jstr(o, "user_id");
    json_decref(o);
    assert_true(id.size() > 0 && id[0] != '<');
    return id;
}

void expect_nothing_pending(ws_client *c)
{
    send_json(c, "{\"type\":\"ping\"}");
    json_decref(expect_type(c, "pong"));
}

void expect_close(ws_client *c, int code)
{
    int got = 0;
    std::string reason;
    int r = ws_read_close(c, &got, &reason, T_MS);
    if (r != 1) fprintf(stderr, "expected a Close frame with %d, got %s\n", code, r == 0 ? "EOF" : "nothing in time");
    assert_int_equal(r, 1);
    if (got != code) fprintf(stderr, "expected close code %d, got %d (%s)\n", code, got, reason.c_str());
    assert_int_equal(got, code);
    assert_true(ws_wait_eof(c, T_MS));
}
