// test_start.cpp — R25: a server that cannot start says why and exits with status 1, without a
// listening line: its port is taken, or no descriptor is left for its event loop or its listener.
// Both backends each time.
#include "chat_harness.h"
#include "nl_badargs.h"

#include <cerrno>
#include <cstring>
#include <unistd.h>

static void expect_start_failure_at(const nl_where &w, const std::string &what, const nl_run_result &r, const char *why)
{
    if (r.status != 1)
        nl_fail_at(w, "%s: expected exit status 1, got %s (stdout %s, stderr %s)", what.c_str(),
                   r.status < 0 ? "no exit within 10 s or a death by a signal" : nl_fmt("%d", r.status).c_str(),
                   nl_quote(r.out, 200).c_str(), nl_quote(r.err, 300).c_str());
    if (!r.out.empty()) nl_fail_at(w, "%s: expected nothing on stdout, got %s", what.c_str(), nl_quote(r.out, 200).c_str());
    if (r.err.find(why) == std::string::npos)
        nl_fail_at(w, "%s: expected stderr to say why (%s), got %s", what.c_str(), why, nl_quote(r.err, 300).c_str());
}
#define expect_start_failure(...) expect_start_failure_at(NL_HERE, __VA_ARGS__)

CHAT_TEST(test_start_failures)
{
    // The port is taken: bind fails.
    int port = 0;
    int held = nl_hold_port(&port);
    if (held < 0) fail_msg("test setup: cannot hold a loopback port: %s", strerror(errno));
    nl_run_result busy;
    if (nl_run_program("chat_server", {"--backend", backend, "--port", std::to_string(port)}, 10000, 0, &busy) < 0)
        fail_msg("cannot run chat_server");
    close(held);
    expect_start_failure(nl_fmt("chat_server --port %d (a port another socket listens on)", port), busy,
                         strerror(EADDRINUSE));
    // Descriptors 0-2 are stdio and main's signalfd takes 3: with RLIMIT_NOFILE 4 nothing is left for
    // the event loop; with 5 the loop gets 4 and nothing is left for the listening socket.
    for (int nofile : {4, 5}) {
        nl_run_result r;
        if (nl_run_program("chat_server", {"--backend", backend, "--port", "0"}, 10000, 0, &r, nofile) < 0)
            fail_msg("cannot run chat_server");
        expect_start_failure(nl_fmt("chat_server under RLIMIT_NOFILE %d", nofile), r, strerror(EMFILE));
    }
    // And with enough descriptors the same command serves (the limits above were the only cause).
    nl_server *s = ch_start(backend);
    int c = ch_connect(s);
    ch_sync(c);
    ch_stop(s);
}
