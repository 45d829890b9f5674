// ws_interop_tests.cpp — an independent client: Debian's python3-websockets joins a room and
// exchanges messages with this suite's client through the server.
#include "ws_test_util.h"
#include "nl_clock.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

static const char PY_CLIENT[] = R"PY(
import asyncio, json, sys
import websockets
async def main(port):
    async with websockets.connect("ws://127.0.0.1:%d/ws" % port, close_timeout=5) as ws:
        await ws.send(json.dumps({"type": "join", "room": "interop"}))
        j = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert j["type"] == "joined", j
        print("JOINED", j["user_id"], flush=True)
        while True:
            m = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if m["type"] == "user_joined":
                break
        await ws.send(json.dumps({"type": "message", "room": "interop", "content": "hello from python"}))
        m = json.loads(await asyncio.wait_for(ws.recv(), 10))
        assert m["type"] == "message", m
        print("GOT", m["from"], m["content"], flush=True)
    print("CLOSED", ws.close_code, flush=True)
asyncio.run(main(int(sys.argv[1])))
)PY";

static const char PYTHON[] = "/usr/bin/python3";  // Debian's, where python3-websockets lives

// Reads one line from a pipe within timeout_ms into *line (kept buffer in *pending).
static bool pipe_line(int fd, std::string *pending, std::string *line, int timeout_ms)
{
    uint64_t deadline = nl_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        size_t nl = pending->find('\n');
        if (nl != std::string::npos) {
            *line = pending->substr(0, nl);
            pending->erase(0, nl + 1);
            return true;
        }
        uint64_t now = nl_now_ms();
        if (now >= deadline) return false;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(deadline - now));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        char buf[512];
        ssize_t n = read(fd, buf, sizeof buf);
        if (n <= 0) return false;
        pending->append(buf, (size_t)n);
    }
}

void test_python_websockets(void **)
{
    if (access(PYTHON, X_OK) != 0 || system("/usr/bin/python3 -c 'import websockets' 2>/dev/null") != 0) {
        fprintf(stderr, "python3-websockets is missing: apt-get install python3-websockets\n");
        fail();
    }
    nl_server s;
    srv_start(&s);
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    std::string port = std::to_string(s.port);
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        nl_die_with_parent(parent);
        dup2(p[1], STDOUT_FILENO);
        execl(PYTHON, PYTHON, "-c", PY_CLIENT, port.c_str(), (char *)nullptr);
        _exit(127);
    }
    close(p[1]);
    std::string pending, line;
    bool ok = pipe_line(p[0], &pending, &line, 20000);
    if (!ok) fprintf(stderr, "python client said nothing\n");
    assert_true(ok);
    assert_true(line.rfind("JOINED ", 0) == 0);
    std::string py_id = line.substr(7);

    ws_client c;
    ws_open(&c, s.port);
    std::string my_id = join_room(&c, "interop");
    json_t *o = expect_type(&c, "message");
    assert_string_equal(jstr(o, "from").c_str(), py_id.c_str());
    assert_string_equal(jstr(o, "content").c_str(), "hello from python");
    json_decref(o);
    send_json(&c, "{\"type\":\"message\",\"room\":\"interop\",\"content\":\"hello from C\"}");
    assert_true(pipe_line(p[0], &pending, &line, 20000));
    assert_string_equal(line.c_str(), ("GOT " + my_id + " hello from C").c_str());
    assert_true(pipe_line(p[0], &pending, &line, 20000));
    assert_string_equal(line.c_str(), "CLOSED 1000");  // python's close handshake completed
    o = expect_type(&c, "user_left");
    assert_string_equal(jstr(o, "user_id").c_str(), py_id.c_str());
    json_decref(o);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(p[0]);
    ws_close(&c);
    srv_stop(&s);
}
