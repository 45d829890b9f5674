// stub_server.cpp — a minimal server for the tests of tests/support: listens, prints the listening
// line (or, on request, nothing or a wrong line), prints "ready", then waits for SIGINT/SIGTERM.
#include "nl_opt.h"
#include "nl_signal.h"
#include "nl_socket.h"

#include <cstdio>
#include <cstring>
#include <unistd.h>

static const char USAGE[] = "usage: nl_test_stub_server [--host H] [--port P] [--exit-code N] [--silent | --wrong-line]\n";

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    uint64_t port = 0, exit_code = 0;
    bool silent = false, wrong = false;
    const nl_opt opts[] = {
        {"host", NL_OPT_STRING, &host},
        {"port", NL_OPT_U64, &port, 0, 65535},
        {"exit-code", NL_OPT_U64, &exit_code, 0, 255},
        {"silent", NL_OPT_FLAG, &silent},
        {"wrong-line", NL_OPT_FLAG, &wrong},
    };
    int prc = nl_opt_parse(argc, argv, "nl_test_stub_server", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : prc;
    char err[256];
    if (nl_shutdown_init(err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int fd = nl_listen_tcp(host, (uint16_t)port, 16, 0, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    if (wrong) {
        printf("hello, I am not a server line\n");
        fflush(stdout);
    } else if (!silent) {
        nl_print_listening(host, fd);
        printf("ready\n");
        fflush(stdout);
    }
    nl_shutdown_wait();
    close(fd);
    return (int)exit_code;
}
