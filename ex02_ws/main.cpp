// main.cpp — ws_server's command line: parse flags into a ws_config, set up signals, run.
#include "ws_server.h"

#include "nl_opt.h"
#include "nl_signal.h"
#include "nl_socket.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

static const char USAGE[] =
    "usage: ws_server [--host H] [--port P] [--backend epoll|uring] [--ping-interval S]\n"
    "                 [--pong-timeout S] [--max-message N] [--max-room N]\n"
    "  --host H           address to bind (default 127.0.0.1)\n"
    "  --port P           TCP port, 0 = any free port (default 8080)\n"
    "  --backend B        event loop: epoll (default) or uring\n"
    "  --ping-interval S  seconds between heartbeat pings, decimals allowed (default 30)\n"
    "  --pong-timeout S   seconds without a pong before closing a client (default 90)\n"
    "  --max-message N    largest message in bytes; larger ones get close 1009 (default 65536)\n"
    "  --max-room N       clients per room (default 100)\n"
    "Endpoints: GET / (chat page), ws://HOST:PORT/ws (rooms), ws://HOST:PORT/echo (echo).\n";

int main(int argc, char **argv)
{
    // stdout line-buffered, given here and not left to the server: the "listening on" line (and every
    // later line) reaches a pipe as soon as it is printed, whether or not the server code flushes.
    setvbuf(stdout, nullptr, _IOLBF, 0);
    ws_config cfg;
    char err[256];
    const char *backend = "epoll";
    uint64_t port = cfg.port, max_message = cfg.max_message, max_room = cfg.max_room;
    double ping = (double)cfg.ping_interval_ms / 1000, pong = (double)cfg.pong_timeout_ms / 1000;
    const nl_opt opts[] = {
        {"host", NL_OPT_STRING, &cfg.host},
        {"port", NL_OPT_U64, &port, 0, 65535},
        {"backend", NL_OPT_STRING, &backend},
        {"ping-interval", NL_OPT_DOUBLE, &ping, 0, 0, 0.01, 86400},
        {"pong-timeout", NL_OPT_DOUBLE, &pong, 0, 0, 0.01, 86400},
        {"max-message", NL_OPT_U64, &max_message, 1, 1u << 30},
        {"max-room", NL_OPT_U64, &max_room, 1, 1000000},
    };
    int rc = nl_opt_parse(argc, argv, "ws_server", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (rc != NL_OPT_OK) return rc == NL_OPT_HELP ? 0 : 2;
    if (nl_backend_parse(backend, &cfg.backend) < 0)
        return nl_opt_fail("ws_server", "backend", USAGE, "must be epoll or uring");
    cfg.port = (uint16_t)port;
    cfg.ping_interval_ms = (uint64_t)llround(ping * 1000);
    cfg.pong_timeout_ms = (uint64_t)llround(pong * 1000);
    cfg.max_message = (size_t)max_message;
    cfg.max_room = (size_t)max_room;
    if (nl_shutdown_init(err, sizeof err) < 0) {
        fprintf(stderr, "ws_server: %s\n", err);
        return 1;
    }
    return ws_server_run(&cfg);
}
