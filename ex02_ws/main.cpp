// main.cpp — ws_server's command line: parse flags into a ws_config, set up signals, run.
#include "ws_server.h"

#include "nl_signal.h"
#include "nl_socket.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ws_server [--host H] [--port P] [--backend epoll|uring] [--ping-interval S]\n"
            "                 [--pong-timeout S] [--max-message N] [--max-room N]\n"
            "  --host H           address to bind (default 127.0.0.1)\n"
            "  --port P           TCP port, 0 = any free port (default 8080)\n"
            "  --backend B        event loop: epoll (default) or uring\n"
            "  --ping-interval S  seconds between heartbeat pings, decimals allowed (default 30)\n"
            "  --pong-timeout S   seconds without a pong before closing a client (default 90)\n"
            "  --max-message N    largest message in bytes; larger ones get close 1009 (default 65536)\n"
            "  --max-room N       clients per room (default 100)\n"
            "Endpoints: GET / (chat page), ws://HOST:PORT/ws (rooms), ws://HOST:PORT/echo (echo).\n");
}

static int parse_seconds(const char *flag, const char *text, uint64_t *ms)
{
    char *end = nullptr;
    double v = strtod(text, &end);
    if (!*text || *end || !std::isfinite(v) || v < 0.01 || v > 86400) {
        fprintf(stderr, "ws_server: %s expects seconds between 0.01 and 86400, got '%s'\n", flag, text);
        return -1;
    }
    *ms = (uint64_t)llround(v * 1000);
    return 0;
}

int main(int argc, char **argv)
{
    // stdout line-buffered, given here and not left to the server: the "listening on" line (and every
    // later line) reaches a pipe as soon as it is printed, whether or not the server code flushes.
    setvbuf(stdout, nullptr, _IOLBF, 0);
    ws_config cfg;
    char err[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "ws_server: unknown option or missing value: %s\n", a);
            usage(stderr);
            return 2;
        }
        const char *v = argv[++i];
        uint64_t n;
        if (!strcmp(a, "--host")) {
            cfg.host = v;
        } else if (!strcmp(a, "--port")) {
            if (nl_parse_u64(v, 0, 65535, &n, err, sizeof err) < 0) {
                fprintf(stderr, "ws_server: --port: %s\n", err);
                return 2;
            }
            cfg.port = (uint16_t)n;
        } else if (!strcmp(a, "--backend")) {
            if (nl_backend_parse(v, &cfg.backend) < 0) {
                fprintf(stderr, "ws_server: --backend must be epoll or uring, got '%s'\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--ping-interval")) {
            if (parse_seconds(a, v, &cfg.ping_interval_ms) < 0) return 2;
        } else if (!strcmp(a, "--pong-timeout")) {
            if (parse_seconds(a, v, &cfg.pong_timeout_ms) < 0) return 2;
        } else if (!strcmp(a, "--max-message")) {
            if (nl_parse_u64(v, 1, 1u << 30, &n, err, sizeof err) < 0) {
                fprintf(stderr, "ws_server: --max-message: %s\n", err);
                return 2;
            }
            cfg.max_message = (size_t)n;
        } else if (!strcmp(a, "--max-room")) {
            if (nl_parse_u64(v, 1, 1000000, &n, err, sizeof err) < 0) {
                fprintf(stderr, "ws_server: --max-room: %s\n", err);
                return 2;
            }
            cfg.max_room = (size_t)n;
        } else {
            fprintf(stderr, "ws_server: unknown option: %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (nl_shutdown_init(err, sizeof err) < 0) {
        fprintf(stderr, "ws_server: %s\n", err);
        return 1;
    }
    return ws_server_run(&cfg);
}
