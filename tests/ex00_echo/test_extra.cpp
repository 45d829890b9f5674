// test_extra.cpp — checks beyond the seed's table: its fuzz driver, the line limit, EMFILE,
// and the graceful shutdown of the thread-per-connection server.
#include "echo_test.h"
#include "suite.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <set>
#include <sys/resource.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "nl_clock.h"

// The seed's fuzz driver: 100 random printable lines of 0..1000 characters from a seeded PRNG, each
// echoed in uppercase (without its surrounding blanks). Lines are sent in random-sized pieces, so
// line ends fall anywhere inside a read.
void test_echo_fuzz(void **)
{
    uint64_t x = 0x5eed000ec0ull;  // xorshift64: the same 100 lines on every run
    auto next = [&x]() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    std::vector<std::string> lines;
    while (lines.size() < 100) {
        std::string l((size_t)(next() % 1001), ' ');
        for (char &c : l) c = (char)(0x20 + next() % 95);
        lines.push_back(l);
    }
    std::string all;
    for (const std::string &l : lines) all += l + "\n";
    et_start({});
    int fd = et_connect();
    for (size_t off = 0; off < all.size();) {
        size_t n = 1 + (size_t)(next() % 300);
        if (n > all.size() - off) n = all.size() - off;
        et_send(fd, all.substr(off, n));
        off += n;
    }
    for (size_t i = 0; i < lines.size(); i++) {
        std::string want = lines[i];
        size_t a = want.find_first_not_of(' ');
        want = a == std::string::npos ? "" : want.substr(a, want.find_last_not_of(' ') - a + 1);
        if (want == "QUIT" || want == "TIME" || want == "COUNT") continue;  // never drawn with this seed
        std::string got = et_line(fd);
        if (got != "ECHO: " + et_upper(want))
            fail_msg("fuzz line %zu (%zu chars): expected 'ECHO: %.60s...', got '%.66s...'", i, lines[i].size(),
                     et_upper(want).c_str(), got.c_str());
    }
    et_stop_ok();
}

// A line over 65536 bytes gets one ERROR line, the rest of it is dropped, and the connection goes
// on; a line of exactly 65536 bytes is still echoed whole.
void test_line_too_long(void **)
{
    et_start({});
    int fd = et_connect();
    et_send(fd, std::string(70000, 'a') + "\n");
    et_expect(fd, "ERROR: line too long (max 65536 bytes)");
    et_send(fd, "after\n");
    et_expect(fd, "ECHO: AFTER");
    et_send(fd, std::string(65536, 'b') + "\n");
    et_expect(fd, "ECHO: " + std::string(65536, 'B'));
    et_stop_ok();
}

// The fd limit that leaves the server exactly `room` free descriptor numbers (the kernel always
// hands out the lowest free number, and RLIMIT_NOFILE bounds the numbers, not the count).
static int limit_leaving(pid_t pid, int room)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d) return -1;
    std::set<int> used;
    while (struct dirent *e = readdir(d))
        if (e->d_name[0] != '.') used.insert(atoi(e->d_name));
    closedir(d);
    int n = 0;
    for (;; n++)
        if (!used.count(n) && --room == 0) break;
    return n + 1;
}

// Out of descriptors: a connection the server cannot take is told BUSY (not left hanging, no
// spinning, no exit), and accept works again as soon as a client leaves.
void test_emfile_survived(void **)
{
    et_start({});
    int probe = et_connect();
    NL_EXPECT_EQ_INT(et_count(probe), 1, "COUNT with the probe alone");
    int limit = limit_leaving(et_srv.pid, 2);
    assert_true(limit > 0);
    struct rlimit rl;
    assert_int_equal(prlimit(et_srv.pid, RLIMIT_NOFILE, nullptr, &rl), 0);
    struct rlimit low = {(rlim_t)limit, rl.rlim_max};
    assert_int_equal(prlimit(et_srv.pid, RLIMIT_NOFILE, &low, nullptr), 0);
    int c1 = et_connect(), c2 = et_connect();
    et_send(c1, "one\n");
    et_expect(c1, "ECHO: ONE");
    et_send(c2, "two\n");
    et_expect(c2, "ECHO: TWO");
    int c3 = et_connect();  // no descriptor left for it in the server
    et_expect(c3, "BUSY");
    et_expect_eof(c3, "after BUSY (no descriptor left)");
    et_close(c1);
    et_wait_count(probe, 2);
    int c4 = et_connect();
    et_send(c4, "four\n");
    et_expect(c4, "ECHO: FOUR");
    NL_EXPECT_EQ_INT(et_count(probe), 3, "COUNT after c1 left and c4 came (probe, c2, c4)");
    et_stop_ok();
}

// SIGTERM with clients connected: each gets the replies to what it sent, then BYE, then EOF; exit 0.
// A connect() returns once the kernel queued the connection, before the server accept()ed it: the
// test waits for COUNT 2 so the signal cannot come before b is the server's client (README: "every
// connected client" means every accepted one).
void test_shutdown_says_bye(void **)
{
    et_start({});
    int a = et_connect(), b = et_connect();
    et_send(a, "first\n");
    et_expect(a, "ECHO: FIRST");
    et_wait_count(a, 2, "before SIGTERM: both clients accepted");
    et_send(b, "pending\n");
    kill(et_srv.pid, SIGTERM);
    et_expect(b, "ECHO: PENDING");
    et_expect(b, "BYE");
    et_expect(a, "BYE");
    et_expect_eof(a, "after SIGTERM and BYE");
    et_expect_eof(b, "after SIGTERM and BYE");
    et_stop_ok();
}

// R21: a port that cannot be bound ends the program: exit status 1 with a message saying which
// address could not be listened on (nothing printed as "listening on", no server left running).
void test_port_in_use(void **)
{
    int holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(holder >= 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    assert_int_equal(bind(holder, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(holder, 4), 0);
    assert_int_equal(getsockname(holder, (struct sockaddr *)&a, &alen), 0);
    std::string port = std::to_string(ntohs(a.sin_port));
    std::string bin = nl_bin_path("echo_server"), log = "port_in_use.log";
    pid_t parent = getpid(), pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        nl_die_with_parent(parent);
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execl(bin.c_str(), bin.c_str(), "--port", port.c_str(), (char *)nullptr);
        _exit(127);
    }
    int st = 0;
    uint64_t deadline = nl_now_ms() + ET_WAIT_MS;
    pid_t r;
    while ((r = waitpid(pid, &st, WNOHANG)) == 0 && nl_now_ms() < deadline) usleep(1000);  // a deadline, not luck
    if (r == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
    }
    close(holder);
    std::string out;
    if (FILE *f = fopen(log.c_str(), "r")) {
        char buf[512];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
        fclose(f);
    }
    if (r == 0) fail_msg("echo_server --port %s (a port in use) still runs after %d ms; it said: %s", port.c_str(), ET_WAIT_MS, nl_quote(out, 200).c_str());
    NL_EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 1, "echo_server --port %s (in use): expected exit status 1, got %s; it said: %s",
                   port.c_str(), WIFEXITED(st) ? nl_fmt("status %d", WEXITSTATUS(st)).c_str() : "a signal",
                   nl_quote(out, 200).c_str());
    NL_EXPECT_TRUE(out.find("cannot listen on 127.0.0.1:" + port) != std::string::npos && out.find("listening on") == std::string::npos,
                   "echo_server --port %s (in use): expected 'cannot listen on 127.0.0.1:%s' and no 'listening on', got %s",
                   port.c_str(), port.c_str(), nl_quote(out, 200).c_str());
}
