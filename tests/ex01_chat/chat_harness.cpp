// chat_harness.cpp — the helpers of chat_harness.h. Every wait has a deadline; nothing sleeps.
#include "chat_harness.h"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static std::vector<nl_server *> g_servers;  // started and not yet stopped
static std::vector<int> g_fds;              // client sockets still open

static void kill_leftovers(void)
{
    for (nl_server *s : g_servers) {
        if (nl_server_alive(s)) kill(s->pid, SIGKILL);
        nl_server_stop(s, SIGKILL, 5000);
        delete s;
    }
    g_servers.clear();
    for (int fd : g_fds) nl_tc_close(fd);
    g_fds.clear();
}

static bool g_in_child = false;

// Each backend runs in its own child process, so a failure on one (CMocka jumps out of the
// scenario) does not keep the other from running: every run reports both.
void ch_run_both(void (*scenario)(const char *backend))
{
    if (g_in_child) _exit(1);  // a failed scenario returned into CMocka's loop in the child: stop there
    static const char *backends[] = {"epoll", "uring"};
    std::string failed;
    for (const char *b : backends) {
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) fail_msg("fork: %s", strerror(errno));
        if (pid == 0) {
            g_in_child = true;
            atexit(kill_leftovers);  // also after a failed assertion
            fprintf(stderr, "[ backend %s ]\n", b);
            nl_check_prefix((std::string("on backend ") + b).c_str());
            scenario(b);
            kill_leftovers();
            fflush(stdout);
            fflush(stderr);
            _exit(0);
        }
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) failed += std::string(failed.empty() ? "" : ", ") + b;
    }
    if (!failed.empty()) fail_msg("failed on backend: %s", failed.c_str());
}

static std::map<int, std::string> g_sent;  // the last line each client sent

std::string ch_last_sent(int fd)
{
    auto it = g_sent.find(fd);
    return it == g_sent.end() ? "nothing" : nl_quote(it->second, 120);
}

static std::string after(int fd) { return "after sending " + ch_last_sent(fd); }

nl_server *ch_start_at(const nl_where &w, const char *backend, const std::vector<std::string> &extra)
{
    std::vector<std::string> args = {"--backend", backend, "--port", "0", "--grace-ms", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    nl_server *s = new nl_server;
    if (nl_server_start(s, "chat_server", args, 10000) < 0) {
        delete s;
        std::string cmd = "chat_server";
        for (const std::string &a : args) cmd += " " + a;
        nl_fail_at(w, "'%s' did not print 'listening on HOST:PORT' within 10 s", cmd.c_str());
    }
    g_servers.push_back(s);
    return s;
}

void ch_stop_at(const nl_where &w, nl_server *s)
{
    int rc = nl_server_stop(s, SIGTERM, 10000);
    for (size_t i = 0; i < g_servers.size(); i++)
        if (g_servers[i] == s) g_servers.erase(g_servers.begin() + (long)i);
    delete s;
    if (rc != 0)
        nl_fail_at(w, "after SIGTERM: expected chat_server to exit with status 0 within 10 s, got %s",
                   rc < 0 ? "no exit (killed) or death by a signal" : nl_fmt("status %d", rc).c_str());
}

int ch_connect_at(const nl_where &w, nl_server *s)
{
    int fd = nl_tc_connect(s->port);
    if (fd < 0) nl_fail_at(w, "cannot connect to chat_server on port %u: %s", s->port, strerror(errno));
    g_fds.push_back(fd);
    g_sent.erase(fd);
    return fd;
}

int ch_connect_rcvbuf_at(const nl_where &w, nl_server *s, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) nl_fail_at(w, "socket: %s", strerror(errno));
    // Set before connect: the window is fixed small, so the server's sends hit a full socket soon.
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(s->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        nl_fail_at(w, "cannot connect to chat_server on port %u: %s", s->port, strerror(errno));
    g_fds.push_back(fd);
    g_sent.erase(fd);
    return fd;
}

void ch_close(int fd)
{
    for (size_t i = 0; i < g_fds.size(); i++)
        if (g_fds[i] == fd) g_fds.erase(g_fds.begin() + (long)i);
    g_sent.erase(fd);
    nl_tc_close(fd);
}

void ch_send_at(const nl_where &w, int fd, const std::string &line)
{
    g_sent[fd] = line;
    if (nl_tc_send(fd, line + "\n") < 0) nl_fail_at(w, "sending %s: %s", nl_quote(line, 120).c_str(), strerror(errno));
}

ch_msg::~ch_msg()
{
    if (j) json_decref(j);
}

const char *ch_msg::type() const
{
    json_t *t = json_object_get(j, "type");
    return json_is_string(t) ? json_string_value(t) : "";
}

std::string ch_msg::str(const char *key) const
{
    json_t *v = json_object_get(j, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

std::vector<std::string> ch_msg::list(const char *key) const
{
    std::vector<std::string> out;
    json_t *a = json_object_get(j, key);
    if (!json_is_array(a)) fail_msg("field '%s' is not an array in: %s", key, raw.c_str());
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) out.push_back(json_is_string(v) ? json_string_value(v) : "<not a string>");
    return out;
}

long long ch_msg::num(const char *key) const
{
    json_t *v = json_object_get(j, key);
    if (!json_is_integer(v)) fail_msg("field '%s' is not an integer in: %s", key, raw.c_str());
    return json_integer_value(v);
}

void ch_read_at(const nl_where &w, int fd, ch_msg *m, int timeout_ms)
{
    if (m->j) json_decref(m->j);
    m->j = nullptr;
    int rc = nl_tc_read_line(fd, &m->raw, timeout_ms);
    if (rc == 0)
        nl_fail_at(w, "%s: expected a line, got EOF (the server closed; before it: %s)", after(fd).c_str(),
                   nl_quote(m->raw).c_str());
    if (rc < 0)
        nl_fail_at(w, "%s: expected a line within %d ms, got %s", after(fd).c_str(), timeout_ms,
                   m->raw.empty() ? "nothing" : (nl_quote(m->raw) + " without its \\n").c_str());
    json_error_t e;
    m->j = json_loads(m->raw.c_str(), 0, &e);
    if (!json_is_object(m->j))
        nl_fail_at(w, "%s: expected a JSON object line, got %s", after(fd).c_str(), nl_quote(m->raw).c_str());
}

void ch_expect_at(const nl_where &w, int fd, const char *type, ch_msg *m, int timeout_ms)
{
    ch_read_at(w, fd, m, timeout_ms);
    if (strcmp(m->type(), type) != 0)
        nl_fail_at(w, "%s: expected a \"%s\" line, got %s", after(fd).c_str(), type, nl_quote(m->raw, 300).c_str());
}

void ch_expect_error_at(const nl_where &w, int fd, const char *contains)
{
    ch_msg m;
    ch_expect_at(w, fd, "error", &m);
    if (m.str("message").find(contains) == std::string::npos)
        nl_fail_at(w, "%s: expected an error whose message contains '%s', got %s", after(fd).c_str(), contains,
                   nl_quote(m.raw, 300).c_str());
}

void ch_sync_at(const nl_where &w, int fd)
{
    ch_send_at(w, fd, "{\"type\":\"list_rooms\"}");
    ch_msg m;
    ch_expect_at(w, fd, "rooms", &m);
}

void ch_nick_at(const nl_where &w, int fd, const char *name)
{
    ch_send_at(w, fd, ch_json("{s:s, s:s}", "type", "nick", "name", name));
    ch_msg m;
    ch_expect_at(w, fd, "nick_changed", &m);
    if (m.str("new") != name)
        nl_fail_at(w, "%s: expected nick_changed with \"new\":\"%s\", got %s", after(fd).c_str(), name, nl_quote(m.raw).c_str());
}

void ch_join_at(const nl_where &w, int fd, const char *room)
{
    ch_send_at(w, fd, ch_json("{s:s, s:s}", "type", "join", "room", room));
    ch_msg m;
    ch_expect_at(w, fd, "joined", &m);
    if (m.str("room") != room)
        nl_fail_at(w, "%s: expected joined with \"room\":\"%s\", got %s", after(fd).c_str(), room, nl_quote(m.raw).c_str());
}

void ch_say_at(const nl_where &w, int fd, const char *room, const std::string &content)
{
    ch_send_at(w, fd, ch_json("{s:s, s:s, s:s}", "type", "message", "room", room, "content", content.c_str()));
    ch_msg m;
    ch_expect_at(w, fd, "message", &m, 10000);
    if (m.str("room") != room || m.str("content") != content)
        nl_fail_at(w, "%s: expected the sender's own message back unchanged, got %s", after(fd).c_str(),
                   nl_quote(m.raw, 300).c_str());
}

std::string ch_json(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_error_t e;
    json_t *j = json_vpack_ex(&e, 0, fmt, ap);
    va_end(ap);
    if (!j) fail_msg("test bug: json_pack '%s': %s", fmt, e.text);
    char *s = json_dumps(j, JSON_COMPACT);
    std::string out = s;
    free(s);
    json_decref(j);
    return out;
}

std::string ch_join_list(const std::vector<std::string> &v)
{
    std::string out;
    for (const std::string &s : v) out += (out.empty() ? "" : ",") + s;
    return "[" + out + "]";
}
