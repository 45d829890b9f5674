// test_seed.cpp — the seed's twelve tests (§4.1), translated to black-box tests over real sockets.
// Each runs on the epoll backend and then on the io_uring backend.
#include "chat_harness.h"

#include <cstring>

#define EXPECT_LIST(m, key, expected) assert_string_equal(ch_join_list((m).list(key)).c_str(), expected)

CHAT_TEST(test_server_starts)
{
    nl_server *s = ch_start(backend);
    // One thread: the event loop does everything.
    assert_int_equal(nl_proc_threads(s->pid), 1);
    int c = ch_connect(s);
    ch_send(c, "{\"type\":\"list_rooms\"}");
    ch_msg m;
    ch_expect(c, "rooms", &m);
    EXPECT_LIST(m, "list", "[]");
    ch_stop(s);
}

CHAT_TEST(test_join_room)
{
    nl_server *s = ch_start(backend);
    int c = ch_connect(s);
    ch_send(c, "{\"type\":\"join\",\"room\":\"test\"}");
    ch_msg m;
    ch_expect(c, "joined", &m);
    assert_string_equal(m.str("room").c_str(), "test");
    EXPECT_LIST(m, "users", "[User1]");  // the default nick of the first client
    ch_send(c, "{\"type\":\"join\",\"room\":\"test\"}");
    ch_expect_error(c, "Already in room: test");
    ch_send(c, "{\"type\":\"join\",\"room\":\"no spaces\"}");
    ch_expect_error(c, "Invalid room name");
    ch_send(c, "{\"type\":\"join\",\"room\":\"\"}");
    ch_expect_error(c, "Invalid room name");
    ch_send(c, ch_json("{s:s, s:s}", "type", "join", "room", std::string(33, 'r').c_str()));
    ch_expect_error(c, "Invalid room name");
    ch_send(c, "{\"type\":\"list_rooms\"}");
    ch_expect(c, "rooms", &m);
    EXPECT_LIST(m, "list", "[test]");
    ch_stop(s);
}

CHAT_TEST(test_leave_room)
{
    nl_server *s = ch_start(backend);
    int c = ch_connect(s);
    ch_join(c, "temp");
    ch_send(c, "{\"type\":\"leave\",\"room\":\"temp\"}");
    ch_msg m;
    ch_expect(c, "left", &m);
    assert_string_equal(m.str("room").c_str(), "temp");
    // Its last member left: the room no longer exists.
    ch_send(c, "{\"type\":\"list_rooms\"}");
    ch_expect(c, "rooms", &m);
    EXPECT_LIST(m, "list", "[]");
    ch_send(c, "{\"type\":\"leave\",\"room\":\"temp\"}");
    ch_expect_error(c, "Not in room: temp");
    ch_stop(s);
}

CHAT_TEST(test_nickname_change)
{
    nl_server *s = ch_start(backend);
    int neo = ch_connect(s);
    ch_sync(neo);  // neo is client 1
    int other = ch_connect(s);
    ch_send(neo, "{\"type\":\"nick\",\"name\":\"Neo\"}");
    ch_msg m;
    ch_expect(neo, "nick_changed", &m);
    assert_string_equal(m.str("old").c_str(), "User1");
    assert_string_equal(m.str("new").c_str(), "Neo");
    ch_send(other, "{\"type\":\"nick\",\"name\":\"Neo\"}");
    ch_expect_error(other, "Nick already in use: Neo");
    ch_send(other, "{\"type\":\"nick\",\"name\":\"User7\"}");
    ch_expect_error(other, "reserved");
    ch_send(other, "{\"type\":\"nick\",\"name\":\"bad nick!\"}");
    ch_expect_error(other, "Invalid nick");
    ch_send(other, "{\"type\":\"nick\",\"name\":\"Trinity\"}");
    ch_expect(other, "nick_changed", &m);
    assert_string_equal(m.str("old").c_str(), "User2");
    // The new nick is what the rooms show, and the old one is free again.
    ch_join(neo, "matrix");
    ch_nick(neo, "TheOne");
    ch_send(other, "{\"type\":\"list_users\",\"room\":\"matrix\"}");
    ch_expect(other, "users", &m);
    EXPECT_LIST(m, "list", "[TheOne]");
    ch_nick(other, "Neo");
    ch_stop(s);
}

CHAT_TEST(test_message_broadcast)
{
    nl_server *s = ch_start(backend);
    int alice = ch_connect(s), bob = ch_connect(s), carol = ch_connect(s), dave = ch_connect(s);
    ch_nick(alice, "Alice");
    ch_nick(bob, "Bob");
    ch_nick(carol, "Carol");
    ch_nick(dave, "Dave");
    ch_msg m;
    ch_join(alice, "construct");
    ch_join(bob, "construct");
    ch_expect(alice, "user_joined", &m);
    ch_join(carol, "construct");
    ch_expect(alice, "user_joined", &m);
    ch_expect(bob, "user_joined", &m);
    ch_join(dave, "elsewhere");

    ch_say(alice, "construct", "There is no spoon");  // the sender's copy is its reply
    for (int fd : {bob, carol}) {
        ch_expect(fd, "message", &m);
        assert_string_equal(m.str("room").c_str(), "construct");
        assert_string_equal(m.str("from").c_str(), "Alice");
        assert_string_equal(m.str("content").c_str(), "There is no spoon");
    }
    ch_say(carol, "construct", "Follow the white rabbit");
    for (int fd : {alice, bob}) {
        ch_expect(fd, "message", &m);
        assert_string_equal(m.str("from").c_str(), "Carol");
        assert_string_equal(m.str("content").c_str(), "Follow the white rabbit");
    }
    // Exactly once each, and nothing for the one outside the room.
    for (int fd : {alice, bob, carol, dave}) ch_sync(fd);
    ch_stop(s);
}

CHAT_TEST(test_list_rooms)
{
    nl_server *s = ch_start(backend);
    int c = ch_connect(s), other = ch_connect(s);
    ch_join(c, "zion");
    ch_join(c, "construct");
    ch_join(other, "matrix");
    ch_msg m;
    ch_send(c, "{\"type\":\"list_rooms\"}");
    ch_expect(c, "rooms", &m);
    EXPECT_LIST(m, "list", "[construct,matrix,zion]");
    ch_stop(s);
}

CHAT_TEST(test_list_users)
{
    nl_server *s = ch_start(backend);
    int neo = ch_connect(s), trinity = ch_connect(s);
    ch_nick(neo, "Neo");
    ch_nick(trinity, "Trinity");
    ch_join(neo, "matrix");
    ch_join(trinity, "matrix");
    ch_msg m;
    ch_send(neo, "{\"type\":\"list_users\",\"room\":\"matrix\"}");
    ch_expect(neo, "user_joined", &m);
    ch_expect(neo, "users", &m);
    assert_string_equal(m.str("room").c_str(), "matrix");
    EXPECT_LIST(m, "list", "[Neo,Trinity]");
    ch_send(neo, "{\"type\":\"list_users\",\"room\":\"nowhere\"}");
    ch_expect_error(neo, "Room not found: nowhere");
    ch_stop(s);
}

CHAT_TEST(test_error_not_in_room)
{
    nl_server *s = ch_start(backend);
    int c = ch_connect(s), member = ch_connect(s);
    ch_send(c, "{\"type\":\"message\",\"room\":\"fake\",\"content\":\"test\"}");
    ch_expect_error(c, "Not in room: fake");
    ch_sync(c);  // the connection stays up
    ch_join(c, "gone");
    ch_send(c, "{\"type\":\"leave\",\"room\":\"gone\"}");
    ch_msg m;
    ch_expect(c, "left", &m);
    ch_send(c, "{\"type\":\"message\",\"room\":\"gone\",\"content\":\"late\"}");
    ch_expect_error(c, "Not in room: gone");
    // A room that exists but that c has not joined: refused, and its members see nothing.
    ch_join(member, "busy");
    ch_send(c, "{\"type\":\"message\",\"room\":\"busy\",\"content\":\"intrusion\"}");
    ch_expect_error(c, "Not in room: busy");
    ch_sync(member);
    ch_stop(s);
}

CHAT_TEST(test_user_joined_notification)
{
    nl_server *s = ch_start(backend);
    int alice = ch_connect(s), bob = ch_connect(s), carol = ch_connect(s);
    ch_nick(alice, "Alice");
    ch_nick(bob, "Bob");
    ch_join(alice, "construct");
    ch_send(bob, "{\"type\":\"join\",\"room\":\"construct\"}");
    ch_msg m;
    ch_expect(bob, "joined", &m);
    EXPECT_LIST(m, "users", "[Alice,Bob]");
    ch_expect(alice, "user_joined", &m);
    assert_string_equal(m.str("room").c_str(), "construct");
    assert_string_equal(m.str("user").c_str(), "Bob");
    ch_join(carol, "zion");  // another room: no news for alice
    ch_sync(bob);            // the joiner is not told about itself
    ch_sync(alice);
    ch_stop(s);
}

CHAT_TEST(test_user_left_notification)
{
    nl_server *s = ch_start(backend);
    int alice = ch_connect(s), bob = ch_connect(s), carol = ch_connect(s);
    ch_nick(alice, "Alice");
    ch_nick(bob, "Bob");
    ch_nick(carol, "Carol");
    ch_msg m;
    ch_join(alice, "construct");
    ch_join(bob, "construct");
    ch_expect(alice, "user_joined", &m);
    ch_join(carol, "construct");
    ch_expect(alice, "user_joined", &m);
    ch_expect(bob, "user_joined", &m);

    ch_send(bob, "{\"type\":\"leave\",\"room\":\"construct\"}");
    ch_expect(bob, "left", &m);
    for (int fd : {alice, carol}) {
        ch_expect(fd, "user_left", &m);
        assert_string_equal(m.str("room").c_str(), "construct");
        assert_string_equal(m.str("user").c_str(), "Bob");
    }
    ch_sync(bob);
    // A disconnect is a leave too.
    ch_close(carol);
    ch_expect(alice, "user_left", &m);
    assert_string_equal(m.str("user").c_str(), "Carol");
    ch_send(alice, "{\"type\":\"list_users\",\"room\":\"construct\"}");
    ch_expect(alice, "users", &m);
    EXPECT_LIST(m, "list", "[Alice]");
    ch_stop(s);
}

CHAT_TEST(test_multiple_rooms)
{
    nl_server *s = ch_start(backend);
    int alice = ch_connect(s), bob = ch_connect(s), carol = ch_connect(s);
    ch_nick(alice, "Alice");
    ch_msg m;
    ch_join(alice, "r1");
    ch_join(alice, "r2");
    ch_join(bob, "r1");
    ch_expect(alice, "user_joined", &m);
    ch_join(carol, "r2");
    ch_expect(alice, "user_joined", &m);
    ch_say(alice, "r1", "to r1");
    ch_expect(bob, "message", &m);
    assert_string_equal(m.str("room").c_str(), "r1");
    ch_say(alice, "r2", "to r2");
    ch_expect(carol, "message", &m);
    assert_string_equal(m.str("room").c_str(), "r2");
    assert_string_equal(m.str("content").c_str(), "to r2");
    ch_send(alice, "{\"type\":\"leave\",\"room\":\"r1\"}");
    ch_expect(alice, "left", &m);
    ch_expect(bob, "user_left", &m);
    assert_string_equal(m.str("room").c_str(), "r1");
    ch_say(alice, "r2", "still in r2");
    ch_expect(carol, "message", &m);
    assert_string_equal(m.str("content").c_str(), "still in r2");
    for (int fd : {alice, bob, carol}) ch_sync(fd);
    ch_stop(s);
}

CHAT_TEST(test_concurrent_clients)
{
    enum { N = 10 };
    nl_server *s = ch_start(backend);
    int fd[N];
    for (int i = 0; i < N; i++) fd[i] = ch_connect(s);  // all connected before anyone speaks
    // The last to connect speaks first: every connection of the burst must have been accepted.
    for (int i = N - 1; i >= 0; i--) ch_nick(fd[i], ("Client" + std::to_string(i)).c_str());
    ch_msg m;
    for (int i = 0; i < N; i++) {
        ch_join(fd[i], "crowd");
        for (int j = 0; j < i; j++) ch_expect(fd[j], "user_joined", &m);
    }
    for (int i = 0; i < N; i++) {
        ch_say(fd[i], "crowd", "hello from " + std::to_string(i));
        for (int j = 0; j < N; j++) {
            if (j == i) continue;
            ch_expect(fd[j], "message", &m);
            assert_string_equal(m.str("from").c_str(), ("Client" + std::to_string(i)).c_str());
        }
    }
    for (int i = 0; i < N; i++) ch_sync(fd[i]);
    ch_stop(s);
}
