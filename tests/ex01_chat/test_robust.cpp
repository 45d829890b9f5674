// test_robust.cpp — beyond the seed's table: its traps (bad input, empty lines), the line limit,
// clients that do not read, cleanup on disconnect, the client limit. Both backends each time.
#include "chat_harness.h"
#include "nl_clock.h"
#include "nl_testnet.h"

#include <cstring>
#include <dirent.h>
#include <set>
#include <sys/resource.h>
#include <sys/socket.h>

#define EXPECT_LIST(m, key, expected) assert_string_equal(ch_join_list((m).list(key)).c_str(), expected)

CHAT_TEST(test_invalid_input)
{
    nl_server *s = ch_start(backend);
    int c = ch_connect(s);
    ch_send(c, "not valid json");
    ch_expect_error(c, "invalid JSON");
    ch_send(c, "[1,2]");
    ch_expect_error(c, "expected a JSON object");
    ch_send(c, "{\"room\":\"x\"}");
    ch_expect_error(c, "missing field 'type'");
    ch_send(c, "{\"type\":5}");
    ch_expect_error(c, "field 'type' must be a string");
    ch_send(c, "{\"type\":\"dance\"}");
    ch_expect_error(c, "Unknown type: dance");
    ch_send(c, "{\"type\":\"join\"}");
    ch_expect_error(c, "missing field 'room'");
    ch_send(c, "{\"type\":\"join\",\"room\":7}");
    ch_expect_error(c, "field 'room' must be a string");
    ch_join(c, "ok");
    ch_send(c, "{\"type\":\"message\",\"room\":\"ok\"}");
    ch_expect_error(c, "missing field 'content'");
    ch_send(c, "{\"type\":\"nick\",\"name\":null}");
    ch_expect_error(c, "field 'name' must be a string");
    ch_send(c, "{\"type\":\"message\",\"room\":\"ok\",\"content\":\"\xff\xfe\"}");  // not UTF-8
    ch_expect_error(c, "invalid JSON");
    // R26: the client's words an error quotes come back byte for byte where they are printable
    // ASCII (space and ~ included), and as '?' for every other byte (controls, DEL, each byte of é).
    ch_msg q;
    ch_send(c, "{\"type\":\"~d !}\\u0001\\u001f\\u007f\\u00e9\"}");
    ch_expect(c, "error", &q);
    NL_EXPECT_STREQ(q.str("message"), "Unknown type: ~d !}?????", "after an unknown type with controls, DEL and an e-acute");
    ch_send(c, "{\"type\":\"leave\",\"room\":\"a b\\u00e9\"}");
    ch_expect(c, "error", &q);
    NL_EXPECT_STREQ(q.str("message"), "Not in room: a b??", "after a leave of a room with a space and an e-acute");
    ch_send(c, "{\"type\":\"list_users\",\"room\":\"x\\ty~\"}");
    ch_expect(c, "error", &q);
    NL_EXPECT_STREQ(q.str("message"), "Room not found: x?y~", "after a list_users of a room with a tab");
    // Empty and blank lines are ignored: the next line the client sees answers list_rooms.
    ch_send(c, "");
    ch_send(c, "   ");
    ch_send(c, "\r");
    ch_sync(c);
    // CRLF line endings work too, and the connection is still fine after all that.
    ch_send(c, "{\"type\":\"list_users\",\"room\":\"ok\"}\r");
    ch_msg m;
    ch_expect(c, "users", &m);
    EXPECT_LIST(m, "list", "[User1]");
    ch_stop(s);
}

CHAT_TEST(test_line_too_long)
{
    nl_server *s = ch_start(backend, {"--max-line", "1024"});
    int x = ch_connect(s), y = ch_connect(s);
    ch_nick(x, "Long");
    ch_join(x, "limits");
    ch_join(y, "limits");
    ch_msg m;
    ch_expect(x, "user_joined", &m);
    // A line of exactly the limit is fine.
    std::string head = "{\"type\":\"message\",\"room\":\"limits\",\"content\":\"", tail = "\"}";
    std::string content(1024 - head.size() - tail.size(), 'a');
    ch_say(x, "limits", content);
    ch_expect(y, "message", &m);
    assert_int_equal(m.str("content").size(), content.size());
    // One byte more than the limit: an error, then the server closes the connection.
    uint64_t t_long = nl_now_ms();
    ch_send(x, head + content + "a" + tail + std::string(4000, ' '));
    ch_expect_error(x, "Line too long");
    if (!nl_tc_wait_eof(x, CH_WAIT_MS)) fail_msg("the server kept the connection after an over-long line");
    ch_expect(y, "user_left", &m);
    assert_string_equal(m.str("user").c_str(), "Long");
    ch_sync(y);
    // x closes at once: the server lets go of it on that FIN, and the 2 s it would have waited for
    // it must not come back to anyone: a newcomer (who may live where x lived) and y are still
    // served once that deadline is well past.
    ch_close(x);
    int z = ch_connect(s);
    ch_sync(z);
    uint64_t past_linger = t_long + 3000;
    nl_wait_until([](void *a) { return nl_now_ms() >= *(uint64_t *)a; }, &past_linger, 4000);
    ch_sync(z);
    ch_sync(y);
    ch_stop(s);
}

// Senders i each share room "<prefix><i>" with one slow client that never reads, and each sends
// `rounds` messages of 60 KB, reading its own copy back every time (deadline 10 s).
static void flood_at(const nl_where &w, nl_server *s, int slow, const char *prefix, int senders, int rounds,
                     std::vector<int> *fds)
{
    for (int i = 0; i < senders; i++) ch_join_at(w, slow, (prefix + std::to_string(i)).c_str());
    for (int i = 0; i < senders; i++) {
        int fd = ch_connect_at(w, s);
        ch_join_at(w, fd, (prefix + std::to_string(i)).c_str());
        fds->push_back(fd);
    }
    std::string content(60000, 'x');
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < senders; i++) {
            content[0] = (char)('a' + r);
            std::string room = prefix + std::to_string(i);
            int fd = (*fds)[(size_t)i];
            ch_send_at(w, fd, ch_json("{s:s, s:s, s:s}", "type", "message", "room", room.c_str(), "content", content.c_str()));
            ch_msg m;
            ch_read_at(w, fd, &m, 10000);
            if (!strcmp(m.type(), "user_left")) ch_read_at(w, fd, &m, 10000);  // the slow one was dropped
            if (strcmp(m.type(), "message") != 0 || m.str("content") != content)
                nl_fail_at(w, "flood round %d, sender %d: expected its own 60000-byte message back, got %s", r, i,
                           nl_quote(m.raw, 200).c_str());
        }
}
#define flood(...) flood_at(NL_HERE, __VA_ARGS__)

// 25 x 4 x 60 KB = 6 MB towards a client that reads nothing: more than the kernel can hold for it
// (tcp_wmem max 4 MB + a small receive window) plus its 1 MB output limit. The others must keep
// being served, and the slow one must be dropped.
CHAT_TEST(test_slow_reader_isolated)
{
    nl_server *s = ch_start(backend, {"--max-outbuf", "1048576"});
    int slow = ch_connect_rcvbuf(s, 4096);
    ch_nick(slow, "Sloth");
    std::vector<int> senders;
    flood(s, slow, "f", 25, 4, &senders);
    int probe = ch_connect(s);
    ch_msg m;
    ch_send(probe, "{\"type\":\"list_users\",\"room\":\"f0\"}");
    ch_expect(probe, "users", &m);
    for (const std::string &u : m.list("list"))
        if (u == "Sloth") fail_msg("the client that stopped reading was not disconnected");
    if (!nl_tc_wait_eof(slow, 10000)) fail_msg("the slow client's connection was not closed");
    ch_stop(s);
}

// 20 x 4 x 60 KB = 4.8 MB to a client that reads only afterwards: the kernel cannot take it all,
// so the server must finish the job on writable events. Every message must arrive, in order.
CHAT_TEST(test_backlog_delivered)
{
    nl_server *s = ch_start(backend, {"--max-outbuf", "16777216"});
    int reader = ch_connect_rcvbuf(s, 4096);
    std::vector<int> senders;
    flood(s, reader, "g", 20, 4, &senders);
    ch_msg m;
    int messages = 0, joined = 0;
    int next_round[20] = {0};
    while (messages < 80) {
        ch_read(reader, &m, 10000);
        if (!strcmp(m.type(), "user_joined")) {
            joined++;
            continue;
        }
        if (strcmp(m.type(), "message") != 0) fail_msg("unexpected line: %.200s", m.raw.c_str());
        int room = atoi(m.str("room").c_str() + 1);
        assert_true(room >= 0 && room < 20);
        assert_int_equal(m.str("content")[0], 'a' + next_round[room]);  // in order per room
        next_round[room]++;
        messages++;
    }
    assert_int_equal(joined, 20);
    ch_sync(reader);
    ch_stop(s);
}

CHAT_TEST(test_disconnect_cleanup)
{
    nl_server *s = ch_start(backend);
    int ghost = ch_connect(s), other = ch_connect(s), later = ch_connect(s);
    ch_nick(ghost, "Ghost");
    ch_join(ghost, "haunted");
    ch_join(ghost, "solo");
    ch_join(other, "haunted");
    ch_msg m;
    ch_expect(ghost, "user_joined", &m);
    ch_close(ghost);
    ch_expect(other, "user_left", &m);
    assert_string_equal(m.str("user").c_str(), "Ghost");
    // Its room without other members is gone, and its nick is free.
    ch_send(other, "{\"type\":\"list_rooms\"}");
    ch_expect(other, "rooms", &m);
    EXPECT_LIST(m, "list", "[haunted]");
    ch_nick(later, "Ghost");
    ch_stop(s);
}

struct accept_probe {
    nl_server *s;
    int fd;
};

// True once a fresh connection is served (not refused as "Server full").
static bool served(void *arg)
{
    accept_probe *p = (accept_probe *)arg;
    int fd = nl_tc_connect(p->s->port);
    if (fd < 0) return false;
    std::string line;
    if (nl_tc_send(fd, "{\"type\":\"list_rooms\"}\n") == 0 && nl_tc_read_line(fd, &line, CH_WAIT_MS) == 1 &&
        line.find("\"rooms\"") != std::string::npos) {
        p->fd = fd;
        return true;
    }
    nl_tc_close(fd);
    return false;
}

CHAT_TEST(test_max_clients)
{
    nl_server *s = ch_start(backend, {"--max-clients", "3"});
    int fd[3];
    for (int i = 0; i < 3; i++) {
        fd[i] = ch_connect(s);
        ch_sync(fd[i]);
    }
    int extra = ch_connect(s);
    ch_expect_error(extra, "Server full");
    if (!nl_tc_wait_eof(extra, CH_WAIT_MS)) fail_msg("a refused client was left connected");
    ch_close(extra);
    for (int i = 0; i < 3; i++) ch_sync(fd[i]);  // the others did not notice
    ch_close(fd[0]);
    accept_probe p = {s, -1};
    if (!nl_wait_until(served, &p, 10000)) fail_msg("a slot freed by a disconnect was not reused");
    nl_tc_close(p.fd);
    ch_stop(s);
}

// R22: every limit works at its smallest value. --max-line 64 with --max-outbuf 64 (the output limit
// may equal the line limit), --max-clients 1, --max-history 1: the server starts, serves one client
// (a request of exactly 64 bytes is answered, 65 bytes is too long), and refuses a second one.
CHAT_TEST(test_limits_smallest)
{
    nl_server *s = ch_start(backend, {"--max-line", "64", "--max-outbuf", "64", "--max-clients", "1", "--max-history", "1"});
    int c = ch_connect(s);
    std::string head = "{\"type\":\"join\",\"room\":\"", tail = "\"}";
    std::string at(64 - head.size() - tail.size(), 'r');  // room names are 1..32 characters
    at = at.substr(0, 32);
    std::string pad(64 - head.size() - at.size() - tail.size(), ' ');
    ch_send(c, head + at + tail + pad);  // 64 bytes: within --max-line 64
    ch_msg m;
    ch_expect(c, "joined", &m);
    int extra = ch_connect(s);
    ch_expect_error(extra, "Server full (1 clients)");
    if (!nl_tc_wait_eof(extra, CH_WAIT_MS)) fail_msg("with --max-clients 1, a second client was left connected");
    ch_close(extra);
    ch_sync(c);
    ch_send(c, head + at + tail + pad + " ");  // 65 bytes: one past --max-line 64
    ch_expect_error(c, "Line too long (limit 64 bytes)");
    if (!nl_tc_wait_eof(c, CH_WAIT_MS)) fail_msg("the server kept the connection after a 65-byte line (--max-line 64)");
    ch_stop(s);
}

// R3, R4: each character class of a name at its edges. Nicks take A-Z a-z 0-9 _ - (the first and
// last character of each range included, the neighbours outside it refused), rooms also . and #;
// "User<digits>" is reserved whatever the digits, "User" alone or with a non-digit is a nick.
CHAT_TEST(test_name_characters)
{
    nl_server *s = ch_start(backend);
    int c = ch_connect(s);
    ch_nick(c, "azAZ09_-");
    for (const char *bad : {"a`", "a{", "a@", "a[", "a/", "a:", "a.", "a#", "a b"}) {
        ch_send(c, ch_json("{s:s, s:s}", "type", "nick", "name", bad));
        ch_expect_error(c, "Invalid nick");
    }
    for (const char *reserved : {"User0", "User10", "User9"}) {
        ch_send(c, ch_json("{s:s, s:s}", "type", "nick", "name", reserved));
        ch_expect_error(c, "Nick reserved for default names");
    }
    ch_nick(c, "User");
    ch_nick(c, "User1x");
    ch_nick(c, "Userz");
    ch_nick(c, "Usex42");  // only "User" then digits is reserved
    // One character is a name (the smallest length), and the first character is checked too.
    ch_nick(c, "Z");
    for (const char *bad : {"@a", " a", "#"}) {
        ch_send(c, ch_json("{s:s, s:s}", "type", "nick", "name", bad));
        ch_expect_error(c, "Invalid nick");
    }
    ch_join(c, "zZ.#09aA_-");
    ch_join(c, "#");
    for (const char *bad : {"r`", "r{", "r@", "r[", "r/", "r:", "r,", "r$", "@r", " r"}) {
        ch_send(c, ch_json("{s:s, s:s}", "type", "join", "room", bad));
        ch_expect_error(c, "Invalid room name");
    }
    ch_msg m;
    ch_send(c, "{\"type\":\"list_rooms\"}");
    ch_expect(c, "rooms", &m);
    EXPECT_LIST(m, "list", "[#,zZ.#09aA_-]");
    ch_stop(s);
}

struct fd_probe {
    pid_t pid;
    int fds;
};

// True once the server holds no more descriptors than it did at the probe.
static bool fds_back(void *arg)
{
    fd_probe *p = (fd_probe *)arg;
    int n = nl_proc_fds(p->pid);
    return n >= 0 && n <= p->fds;
}

// R12: after the Line too long error the server closes the connection even when the client never
// closes its side: the place it held is free again (--max-clients 1) within the server's linger.
CHAT_TEST(test_long_line_peer_silent)
{
    nl_server *s = ch_start(backend, {"--max-line", "64", "--max-clients", "1"});
    fd_probe before = {s->pid, nl_proc_fds(s->pid)};
    int x = ch_connect(s);
    ch_sync(x);
    ch_send(x, std::string(100, 'x'));
    ch_expect_error(x, "Line too long (limit 64 bytes)");
    if (!nl_tc_wait_eof(x, CH_WAIT_MS)) fail_msg("no EOF after the Line too long error");
    // Its descriptor is released by the server's own timer, with nothing else happening meanwhile.
    if (!nl_wait_until(fds_back, &before, 10000))
        fail_msg("a client that got 'Line too long' and stayed silent still holds its descriptor after 10 s "
                 "(server fds %d, %d before it connected)", nl_proc_fds(s->pid), before.fds);
    // x keeps its socket open and silent: the server must still let go of it.
    accept_probe p = {s, -1};
    if (!nl_wait_until(served, &p, 10000))
        fail_msg("with --max-clients 1, a client that got 'Line too long' and stayed silent still holds the only place after 10 s");
    nl_tc_close(p.fd);
    ch_close(x);
    ch_stop(s);
}

// R23: out of file descriptors, a waiting connection is neither lost nor refused: it is served as
// soon as a client leaves and frees one, and the clients already in keep being served.
CHAT_TEST(test_emfile_waits)
{
    nl_server *s = ch_start(backend);
    int a = ch_connect(s), b = ch_connect(s);
    ch_sync(a);
    ch_sync(b);
    struct rlimit rl;
    assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, nullptr, &rl), 0);
    // RLIMIT_NOFILE bounds descriptor numbers, and the lowest free number is handed out first: a
    // limit at the lowest free number leaves none.
    std::set<int> used;
    if (DIR *d = opendir(nl_fmt("/proc/%d/fd", (int)s->pid).c_str())) {
        while (struct dirent *e = readdir(d))
            if (e->d_name[0] != '.') used.insert(atoi(e->d_name));
        closedir(d);
    }
    assert_false(used.empty());
    int lowest_free = 0;
    while (used.count(lowest_free)) lowest_free++;
    struct rlimit low = {(rlim_t)lowest_free, rl.rlim_max};
    assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, &low, nullptr), 0);
    int c = ch_connect(s);
    std::string line;
    ch_send(c, "{\"type\":\"list_rooms\"}");
    // (io_uring's accept may still find it a descriptor: served early is no loss either.)
    bool early = nl_tc_read_line(c, &line, 300) == 1;
    if (early && line.find("\"rooms\"") == std::string::npos) fail_msg("expected the rooms reply, got %s", line.c_str());
    ch_sync(a);  // the clients already in are still served
    ch_close(b);
    ch_msg m;
    if (!early) ch_expect(c, "rooms", &m);  // b's descriptor went to c
    ch_sync(c);
    ch_sync(a);
    assert_int_equal(prlimit(s->pid, RLIMIT_NOFILE, &rl, nullptr), 0);
    ch_stop(s);
}

// R24: a client that half-closes right after its requests (FIN, nothing read yet) still gets every
// reply, then EOF; the room gets its message, then user_left. (On io_uring the EOF completion can
// come in the same turn as the data: the reference once closed with the replies still queued; the
// abuse suite's half-close abuse found it.)
CHAT_TEST(test_half_close_answered)
{
    nl_server *s = ch_start(backend);
    int a = ch_connect(s), b = ch_connect(s);
    ch_nick(a, "Half");
    ch_join(a, "hc");
    ch_join(b, "hc");
    ch_msg m;
    ch_expect(a, "user_joined", &m);
    assert_int_equal(nl_tc_send(a, "{\"type\":\"message\",\"room\":\"hc\",\"content\":\"last words\"}\n"
                                   "{\"type\":\"list_rooms\"}\n"), 0);
    shutdown(a, SHUT_WR);
    ch_msg mine, rooms, theirs, left;
    ch_expect(a, "message", &mine);
    NL_EXPECT_STREQ(mine.str("content"), "last words", "the half-closed client's own message back");
    ch_expect(a, "rooms", &rooms);
    NL_EXPECT_STREQ(ch_join_list(rooms.list("list")), "[hc]", "list_rooms sent just before the FIN");
    NL_EXPECT_TRUE(nl_tc_wait_eof(a, CH_WAIT_MS), "after its replies, the server closes the half-closed client");
    ch_expect(b, "message", &theirs);
    NL_EXPECT_STREQ(theirs.raw, mine.raw, "the room gets the very same line");
    ch_expect(b, "user_left", &left);
    NL_EXPECT_STREQ(left.str("user"), "Half", "the half-closed client left the room");
    ch_close(a);
    ch_close(b);
    ch_stop(s);
}

// The server's scheduler counters (/proc/PID/schedstat): CPU time in ns and times it ran.
struct sched_use {
    unsigned long long cpu_ns = 0, slices = 0;
};
static bool sched_of(pid_t pid, sched_use *u)
{
    FILE *f = fopen(nl_fmt("/proc/%d/schedstat", (int)pid).c_str(), "r");
    if (!f) return false;
    unsigned long long wait_ns = 0;
    bool ok = fscanf(f, "%llu %llu %llu", &u->cpu_ns, &wait_ns, &u->slices) == 3;
    fclose(f);
    return ok;
}

// R27: an idle server sleeps in the kernel. After a backlog larger than the socket buffers went out
// on writable events (R14) and was read, and another client half-closed and got its replies (R24),
// nothing is left to read or write: a second of that must cost the server next to nothing (a loop
// that keeps watching a writable socket, or an EOF it has already seen, runs thousands of times).
CHAT_TEST(test_idle_sleeps)
{
    nl_server *s = ch_start(backend, {"--max-outbuf", "16777216", "--rate", "0"});  // (--rate: the bonus's limit off)
    int reader = ch_connect_rcvbuf(s, 4096);
    std::vector<int> senders;
    flood(s, reader, "i", 20, 4, &senders);  // 4.8 MB: more than the kernel holds (test_backlog_delivered)
    ch_msg m;
    for (int got = 0; got < 80;) {
        ch_read(reader, &m, 10000);
        if (!strcmp(m.type(), "message")) got++;
    }
    ch_sync(reader);
    int half = ch_connect(s);
    ch_join(half, "quiet");
    assert_int_equal(nl_tc_send(half, "{\"type\":\"list_rooms\"}\n"), 0);
    shutdown(half, SHUT_WR);
    ch_expect(half, "rooms", &m);
    NL_EXPECT_TRUE(nl_tc_wait_eof(half, CH_WAIT_MS), "the half-closed client is closed once answered");
    ch_send(reader, "{\"type\":\"list_users\",\"room\":\"quiet\"}");  // it has left (R10): the room is gone
    ch_expect_error(reader, "Room not found: quiet");
    ch_sync(senders[0]);
    sched_use a, b;
    assert_true(sched_of(s->pid, &a));
    uint64_t until = nl_now_ms() + 1000;
    nl_wait_until([](void *u) { return nl_now_ms() >= *(uint64_t *)u; }, &until, 2000);
    assert_true(sched_of(s->pid, &b));
    unsigned long long ran = b.slices - a.slices, cpu_us = (b.cpu_ns - a.cpu_ns) / 1000;
    if (ran > 50 || cpu_us > 50000)
        fail_msg("idle for a second, the server ran %llu times for %llu us of CPU (want at most 50 times, 50 ms): "
                 "it polls instead of waiting for events", ran, cpu_us);
    ch_sync(reader);
    ch_stop(s);
}
