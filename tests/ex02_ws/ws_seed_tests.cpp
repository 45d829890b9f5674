// ws_seed_tests.cpp — the seed's 12-row table (§4.1), each row a black-box test over real sockets.
#include "ws_test_util.h"

#include <csignal>
#include <cstring>
#include <sys/wait.h>

// connect: WS upgrade -> 101 Switching Protocols, with a correct accept key, on both endpoints.
void test_connect(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, e;
    ws_open(&a, s.port, "/ws");
    assert_non_null(strcasestr(a.response.c_str(), "\r\nUpgrade: websocket\r\n"));
    ws_open(&e, s.port, "/echo");
    assert_int_equal(ws_send_text(&e, "hello"), 0);
    std::string m;
    assert_int_equal(ws_read_message(&e, &m, T_MS), 1);
    assert_string_equal(m.c_str(), "hello");
    ws_close(&a);
    ws_close(&e);
    srv_stop(&s);
}

// join_room: Join -> joined with the member count.
void test_join_room(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, b;
    ws_open(&a, s.port);
    ws_open(&b, s.port);
    long long n = 0;
    std::string ida = join_room(&a, "general", &n);
    assert_int_equal(n, 1);
    std::string idb = join_room(&b, "general", &n);
    assert_int_equal(n, 2);
    assert_string_not_equal(ida.c_str(), idb.c_str());
    ws_close(&a);
    ws_close(&b);
    srv_stop(&s);
}

// leave_room: Leave -> left; afterwards the room no longer counts or reaches the client.
void test_leave_room(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, b;
    ws_open(&a, s.port);
    ws_open(&b, s.port);
    join_room(&a, "general");
    send_json(&a, "{\"type\":\"leave\",\"room\":\"general\"}");
    json_t *o = expect_type(&a, "left");
    assert_string_equal(jstr(o, "room").c_str(), "general");
    json_decref(o);
    long long n = 0;
    join_room(&b, "general", &n);
    assert_int_equal(n, 1);
    send_json(&b, "{\"type\":\"message\",\"room\":\"general\",\"content\":\"anyone?\"}");
    expect_nothing_pending(&a);  // a left: no user_joined, no message
    send_json(&a, "{\"type\":\"leave\",\"room\":\"general\"}");
    json_decref(expect_type(&a, "error"));  // not a member any more
    ws_close(&a);
    ws_close(&b);
    srv_stop(&s);
}

// broadcast: a room message reaches every other member with from = the sender's id; not the
// sender itself, not another room.
void test_broadcast(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, b, c, d;
    ws_open(&a, s.port);
    ws_open(&b, s.port);
    ws_open(&c, s.port);
    ws_open(&d, s.port);
    std::string ida = join_room(&a, "general");
    join_room(&b, "general");
    join_room(&c, "general");
    join_room(&d, "other");
    json_decref(expect_type(&a, "user_joined"));
    json_decref(expect_type(&a, "user_joined"));
    json_decref(expect_type(&b, "user_joined"));
    send_json(&a, "{\"type\":\"message\",\"room\":\"general\",\"content\":\"Hello!\"}");
    ws_client *rx[] = {&b, &c};
    for (ws_client *r : rx) {
        json_t *o = expect_type(r, "message");
        assert_string_equal(jstr(o, "room").c_str(), "general");
        assert_string_equal(jstr(o, "from").c_str(), ida.c_str());
        assert_string_equal(jstr(o, "content").c_str(), "Hello!");
        json_decref(o);
    }
    expect_nothing_pending(&a);  // the sender does not get its own message back
    expect_nothing_pending(&d);  // another room hears nothing
    ws_close(&a);
    ws_close(&b);
    ws_close(&c);
    ws_close(&d);
    srv_stop(&s);
}

// room_limit: the 101st client of a room gets {"type":"error","message":"Room full"}.
void test_room_limit(void **)
{
    nl_server s;
    srv_start(&s);
    std::vector<ws_client> cs(101);
    for (int i = 0; i < 100; i++) {
        ws_open(&cs[(size_t)i], s.port);
        long long n = 0;
        join_room(&cs[(size_t)i], "crowded", &n);
        assert_int_equal(n, i + 1);
    }
    ws_open(&cs[100], s.port);
    send_json(&cs[100], "{\"type\":\"join\",\"room\":\"crowded\"}");
    json_t *o = expect_type(&cs[100], "error");
    assert_string_equal(jstr(o, "message").c_str(), "Room full");
    json_decref(o);
    // One leaves (the last to join: no notifications queued for it): the room has space again.
    send_json(&cs[99], "{\"type\":\"leave\",\"room\":\"crowded\"}");
    json_decref(expect_type(&cs[99], "left"));
    long long n = 0;
    join_room(&cs[100], "crowded", &n);
    assert_int_equal(n, 100);
    for (ws_client &c : cs) ws_close(&c);
    srv_stop(&s);
}

// ping_pong: {"type":"ping"} -> {"type":"pong"}, and a Ping frame -> a Pong frame with its data.
void test_ping_pong(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a;
    ws_open(&a, s.port);
    send_json(&a, "{\"type\":\"ping\"}");
    json_decref(expect_type(&a, "pong"));
    assert_int_equal(ws_send_raw(&a, ws_client_frame(0x9, "abc", 3)), 0);
    ws_frame_in f;
    assert_int_equal(ws_read_frame(&a, &f, T_MS), 1);
    assert_int_equal(f.opcode, 0xA);
    assert_string_equal(f.data.c_str(), "abc");
    ws_close(&a);
    srv_stop(&s);
}

// heartbeat_timeout: a client that never answers pings is pinged, then closed (1011) after the
// pong timeout; the server drops the TCP connection.
void test_heartbeat_timeout(void **)
{
    nl_server s;
    srv_start(&s, {"--ping-interval", "0.2", "--pong-timeout", "0.6"});
    ws_client a;
    ws_open(&a, s.port);
    join_room(&a, "general");
    int code = 0;
    std::string reason;
    assert_int_equal(ws_read_close(&a, &code, &reason, 10000), 1);
    assert_true(a.pings_seen >= 1);
    assert_int_equal(code, 1011);
    NL_EXPECT_STREQ(reason, "pong timeout", "the Close of a client silent past --pong-timeout");
    assert_true(ws_wait_eof(&a, T_MS));
    ws_close(&a);
    srv_stop(&s);
}

// cleanup: a client that vanishes (TCP closed, no Close frame) is removed from all its rooms,
// the others get user_left, the member count drops, and its socket is released.
void test_cleanup(void **)
{
    nl_server s;
    srv_start(&s);
    int base_fds = nl_proc_fds(s.pid);
    ws_client a, b, c, d;
    ws_open(&a, s.port);
    ws_open(&b, s.port);
    ws_open(&c, s.port);
    std::string ida = join_room(&a, "r1");
    join_room(&a, "r2");
    join_room(&b, "r1");
    join_room(&c, "r2");
    ws_close(&a);  // gone without a goodbye
    ws_client *others[] = {&b, &c};
    const char *rooms[] = {"r1", "r2"};
    for (int i = 0; i < 2; i++) {
        json_t *o = expect_type(others[i], "user_left");
        assert_string_equal(jstr(o, "user_id").c_str(), ida.c_str());
        assert_string_equal(jstr(o, "room").c_str(), rooms[i]);
        json_decref(o);
    }
    ws_open(&d, s.port);
    long long n = 0;
    std::string idd = join_room(&d, "r1", &n);
    assert_int_equal(n, 2);  // b and d, not a ghost
    json_t *o = expect_type(&b, "user_joined");
    assert_string_equal(jstr(o, "user_id").c_str(), idd.c_str());
    json_decref(o);
    send_json(&b, "{\"type\":\"leave\",\"room\":\"r1\"}");
    json_decref(expect_type(&b, "left"));
    ws_close(&b);
    ws_close(&c);
    ws_close(&d);
    assert_true(wait_fds(s.pid, base_fds, T_MS));
    srv_stop(&s);
}

// message_limit: a 65 KB message is refused with close 1009 and never reaches the room.
void test_message_limit(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, b;
    ws_open(&a, s.port);
    ws_open(&b, s.port);
    join_room(&a, "general");
    join_room(&b, "general");
    json_decref(expect_type(&a, "user_joined"));
    std::string big = "{\"type\":\"message\",\"room\":\"general\",\"content\":\"" + std::string(65 * 1024, 'x') + "\"}";
    assert_int_equal(ws_send_text(&a, big), 0);
    expect_close(&a, 1009);
    json_t *o = expect_type(&b, "user_left");  // a's departure, and no 65 KB message before it
    json_decref(o);
    // Exactly 64 KiB is still allowed.
    std::string ok = "{\"type\":\"message\",\"room\":\"general\",\"content\":\"";
    size_t content_len = 65536 - ok.size() - 2;
    ok += std::string(content_len, 'y') + "\"}";
    assert_int_equal(ok.size(), 65536);
    ws_client c;
    ws_open(&c, s.port);
    join_room(&c, "general");
    json_decref(expect_type(&b, "user_joined"));
    assert_int_equal(ws_send_text(&c, ok), 0);
    o = expect_type(&b, "message");
    assert_int_equal(jstr(o, "content").size(), content_len);
    json_decref(o);
    ws_close(&a);
    ws_close(&b);
    ws_close(&c);
    srv_stop(&s);
}

// multiple_rooms: one client in 3 rooms; each room's traffic reaches exactly its members.
void test_multiple_rooms(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, b, c;
    ws_open(&a, s.port);
    ws_open(&b, s.port);
    ws_open(&c, s.port);
    const char *rooms[] = {"alpha", "beta", "gamma"};
    for (const char *r : rooms) join_room(&a, r);
    join_room(&b, "beta");
    join_room(&c, "gamma");
    json_decref(expect_type(&a, "user_joined"));
    json_decref(expect_type(&a, "user_joined"));
    send_json(&b, "{\"type\":\"message\",\"room\":\"beta\",\"content\":\"to beta\"}");
    json_t *o = expect_type(&a, "message");
    assert_string_equal(jstr(o, "room").c_str(), "beta");
    assert_string_equal(jstr(o, "content").c_str(), "to beta");
    json_decref(o);
    send_json(&a, "{\"type\":\"message\",\"room\":\"gamma\",\"content\":\"to gamma\"}");
    o = expect_type(&c, "message");
    assert_string_equal(jstr(o, "room").c_str(), "gamma");
    json_decref(o);
    expect_nothing_pending(&b);  // b is only in beta
    expect_nothing_pending(&c);
    ws_close(&a);
    ws_close(&b);
    ws_close(&c);
    srv_stop(&s);
}

// notifications: members hear user_joined and user_left with the other client's id.
void test_notifications(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, b;
    ws_open(&a, s.port);
    ws_open(&b, s.port);
    join_room(&a, "general");
    std::string idb = join_room(&b, "general");
    json_t *o = expect_type(&a, "user_joined");
    assert_string_equal(jstr(o, "room").c_str(), "general");
    assert_string_equal(jstr(o, "user_id").c_str(), idb.c_str());
    json_decref(o);
    expect_nothing_pending(&b);  // the joiner is not told about itself
    send_json(&b, "{\"type\":\"leave\",\"room\":\"general\"}");
    json_decref(expect_type(&b, "left"));
    o = expect_type(&a, "user_left");
    assert_string_equal(jstr(o, "user_id").c_str(), idb.c_str());
    json_decref(o);
    ws_close(&a);
    ws_close(&b);
    srv_stop(&s);
}

// graceful_shutdown: SIGTERM -> every client gets Close 1001, the server exits 0.
void test_graceful_shutdown(void **)
{
    nl_server s;
    srv_start(&s);
    ws_client a, e;
    ws_open(&a, s.port);
    ws_open(&e, s.port, "/echo");
    join_room(&a, "general");
    assert_int_equal(kill(s.pid, SIGTERM), 0);
    ws_client *all[] = {&a, &e};
    for (ws_client *c : all) {
        int code = 0;
        std::string reason;
        assert_int_equal(ws_read_close(c, &code, &reason, T_MS), 1);
        assert_int_equal(code, 1001);
        NL_EXPECT_STREQ(reason, "server shutting down", "the Close sent on SIGTERM");
        ws_send_close(c, 1001, nullptr);
        assert_true(ws_wait_eof(c, T_MS));
    }
    assert_true(nl_server_wait_exit(&s, T_MS));
    assert_true(WIFEXITED(s.status));
    assert_int_equal(WEXITSTATUS(s.status), 0);
    ws_close(&a);
    ws_close(&e);
    srv_stop(&s);
}
