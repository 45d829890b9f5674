// fuzz_requests.cpp — libFuzzer target for ex01_chat's request path: the reference server (base and
// bonus) with three clients on socketpairs, fed through its own read handler. Each record of the
// input is: a byte choosing the client, a byte giving a length, then that many bytes written to the
// client's socket before the server reads it. After every read:
//  - every line the server queued is one JSON object with a string "type";
//  - rooms and nicks agree: a room has members, each member is a live client that lists the room,
//    every open client's nick maps to it.
// Then the server is torn down by its own cleanup; LeakSanitizer sees what it leaves.
#include "../../../ex01_chat/chat_server.cpp"

#include <cstdint>
#include <cstdlib>
#include <sys/socket.h>

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_requests: %s\n", what);
        abort();
    }
}

static void check_output(chat_client *c)
{
    const std::string &d = c->out.data;
    size_t pos = c->out.off;
    while (pos < d.size()) {
        size_t nl = d.find('\n', pos);
        check(nl != std::string::npos, "an output line ends with a newline");
        json_error_t e;
        json_t *o = json_loadb(d.data() + pos, nl - pos, 0, &e);
        check(o && json_is_object(o) && json_is_string(json_object_get(o, "type")), "an output line is an object with a type");
        json_decref(o);
        pos = nl + 1;
    }
    c->out.data.clear();
    c->out.off = 0;
}

static void check_state(chat_server *s)
{
    for (auto &[name, room] : s->rooms) {
        check(!room.members.empty(), "a room has members");
        for (chat_client *m : room.members) {
            auto it = s->clients.find(m->id);
            check(it != s->clients.end() && it->second == m, "a member is a client");
            check(m->rooms.count(name) == 1, "a member lists its room");
        }
    }
    for (auto &[id, c] : s->clients) {
        if (c->state != CLIENT_OPEN) continue;
        auto it = s->nicks.find(c->nick);
        check(it != s->nicks.end() && it->second == c, "an open client owns its nick");
        for (const std::string &r : c->rooms) {
            auto rit = s->rooms.find(r);
            check(rit != s->rooms.end(), "a client's room exists");
            int n = 0;
            for (chat_client *m : rit->second.members) n += m == c;
            check(n == 1, "a client is once in each of its rooms");
        }
    }
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet = (nl_log_set_level(NL_LOG_OFF), true);
    (void)quiet;
    char err[256];
    chat_server *s = new chat_server;
    s->cfg.max_line = 64;  // small, so that over-long lines are reached
    s->cfg.max_history = 5;
    s->cfg.rate_per_sec = 0;  // the real clock would make runs differ
    s->cfg.bonus = chat_bonus();
    s->loop = nl_loop_create(NL_BACKEND_EPOLL, err, sizeof err);
    if (!s->loop) abort();
    const int N = 3;
    int peer[N];
    uint64_t ids[N];
    for (int i = 0; i < N; i++) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) abort();
        ids[i] = s->next_id;
        client_open(s, sv[0]);
        peer[i] = sv[1];
    }
    size_t pos = 0;
    while (pos + 2 <= size) {
        int who = data[pos] % N;
        size_t len = data[pos + 1];
        pos += 2;
        if (len > size - pos) len = size - pos;
        auto it = s->clients.find(ids[who]);
        if (it == s->clients.end()) {  // gone (the server closed it): the bytes go nowhere
            pos += len;
            continue;
        }
        chat_client *c = it->second;
        if (len && write(peer[who], data + pos, len) != (ssize_t)len) abort();
        pos += len;
        for (int k = 0; k < 4 && c->state != CLIENT_DEAD; k++) {  // what is there, line by line
            client_read(s, c);
            if (c->state == CLIENT_DEAD) break;
            char probe;
            if (recv(c->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) break;
        }
        reap_dead(s);
        for (auto &[id, cl] : s->clients) check_output(cl);
        check_state(s);
    }
    server_cleanup(s);
    delete s;
    for (int i = 0; i < N; i++) close(peer[i]);
    return 0;
}
