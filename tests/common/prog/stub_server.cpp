// stub_server.cpp — a minimal server for the tests of tests/support: listens, prints the listening
// line (or, on request, nothing or a wrong line), prints "ready", then waits for SIGINT/SIGTERM.
#include "nl_signal.h"
#include "nl_socket.h"

#include <cstdio>
#include <cstring>
#include <unistd.h>

static int usage(FILE *out, int code)
{
    fprintf(out, "usage: nl_test_stub_server [--host H] [--port P] [--exit-code N] [--silent | --wrong-line]\n");
    return code;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    uint64_t port = 0, exit_code = 0;
    bool silent = false, wrong = false;
    char err[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (!strcmp(a, "--help")) return usage(stdout, 0);
        if (!strcmp(a, "--silent")) silent = true;
        else if (!strcmp(a, "--wrong-line")) wrong = true;
        else if (!strcmp(a, "--host") && has_value) host = argv[++i];
        else if (!strcmp(a, "--port") && has_value) {
            if (nl_parse_u64(argv[++i], 0, 65535, &port, err, sizeof err) < 0) {
                fprintf(stderr, "--port: %s\n", err);
                return 2;
            }
        } else if (!strcmp(a, "--exit-code") && has_value) {
            if (nl_parse_u64(argv[++i], 0, 255, &exit_code, err, sizeof err) < 0) {
                fprintf(stderr, "--exit-code: %s\n", err);
                return 2;
            }
        } else return usage(stderr, 2);
    }
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
