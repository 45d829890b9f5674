// main.cpp — the chat_server program: command line, RLIMIT_NOFILE, signals, then chat_server_run().
// Given to students; not graded.
#include "chat_server.h"
#include "nl_log.h"
#include "nl_signal.h"
#include "nl_socket.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/resource.h>

// Stand-in when chat_server_bonus.cpp is not built (make BONUS=0): the base protocol only.
__attribute__((weak)) const chat_bonus_ops *chat_bonus(void) { return nullptr; }

static void usage(FILE *out)
{
    fprintf(out,
            "usage: chat_server [options]\n"
            "  --host HOST          address to listen on (default 127.0.0.1)\n"
            "  --port PORT          port, 0 = any free port (default 0); the first stdout line says which\n"
            "  --backend B          event loop: epoll or uring (default epoll)\n"
            "  --max-history N      messages kept per room for replay, 1..100 (default 100; bonus)\n"
            "  --max-clients M      connections served at once; more are refused (default 10000,\n"
            "                       lowered to fit RLIMIT_NOFILE)\n"
            "  --max-line BYTES     longest request line (default 65536); longer: error, disconnect\n"
            "  --max-outbuf BYTES   output queued for one client before it is dropped (default 4194304)\n"
            "  --grace-ms N         delay between server_shutdown and exit (default 5000; bonus)\n"
            "  --rate N             messages per second per user, token bucket, 0 = off (default 10; bonus)\n"
            "  --help               this text\n"
            "Stops on SIGINT/SIGTERM with exit status 0. Log level: NETLAB_LOG=debug|info|warn|error|off.\n");
}

// Each client is one fd: raise the soft RLIMIT_NOFILE to the hard limit, and keep max_clients
// below it (a few fds stay for the listener, the loop, the signalfd and stdio).
static void fit_nofile(chat_config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    const rlim_t reserve = 32;
    if (rl.rlim_cur != RLIM_INFINITY && cfg->max_clients + reserve > rl.rlim_cur) {
        size_t fit = rl.rlim_cur > reserve ? (size_t)(rl.rlim_cur - reserve) : 1;
        nl_info("RLIMIT_NOFILE is %llu: serving at most %zu clients (raise it with ulimit -Hn as root)",
                (unsigned long long)rl.rlim_cur, fit);
        cfg->max_clients = fit;
    }
}

int main(int argc, char **argv)
{
    // stdout line-buffered, given here and not left to the server: the "listening on" line (and every
    // later line) reaches a pipe as soon as it is printed, whether or not the server code flushes.
    setvbuf(stdout, nullptr, _IOLBF, 0);
    chat_config cfg;
    char err[256];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "chat_server: unknown option or missing value: %s (see --help)\n", a);
            return 2;
        }
        const char *v = argv[++i];
        uint64_t n = 0;
        int rc = 0;
        if (!strcmp(a, "--host")) cfg.host = v;
        else if (!strcmp(a, "--port")) { rc = nl_parse_u64(v, 0, 65535, &n, err, sizeof err); cfg.port = (uint16_t)n; }
        else if (!strcmp(a, "--backend")) {
            if (nl_backend_parse(v, &cfg.backend) < 0) {
                fprintf(stderr, "chat_server: --backend must be epoll or uring, not '%s'\n", v);
                return 2;
            }
        }
        else if (!strcmp(a, "--max-history")) { rc = nl_parse_u64(v, 1, 100, &n, err, sizeof err); cfg.max_history = n; }
        else if (!strcmp(a, "--max-clients")) { rc = nl_parse_u64(v, 1, 1000000, &n, err, sizeof err); cfg.max_clients = n; }
        else if (!strcmp(a, "--max-line")) { rc = nl_parse_u64(v, 64, 1u << 24, &n, err, sizeof err); cfg.max_line = n; }
        else if (!strcmp(a, "--max-outbuf")) { rc = nl_parse_u64(v, 64, 1ull << 32, &n, err, sizeof err); cfg.max_outbuf = n; }
        else if (!strcmp(a, "--grace-ms")) { rc = nl_parse_u64(v, 0, 3600000, &n, err, sizeof err); cfg.grace_ms = n; }
        else if (!strcmp(a, "--rate")) { rc = nl_parse_u64(v, 0, 1000000, &n, err, sizeof err); cfg.rate_per_sec = (double)n; }
        else {
            fprintf(stderr, "chat_server: unknown option %s (see --help)\n", a);
            return 2;
        }
        if (rc < 0) {
            fprintf(stderr, "chat_server: %s: %s\n", a, err);
            return 2;
        }
    }
    if (cfg.max_outbuf < cfg.max_line) {
        fprintf(stderr, "chat_server: --max-outbuf must be at least --max-line\n");
        return 2;
    }
    fit_nofile(&cfg);
    cfg.bonus = chat_bonus();
    if (nl_shutdown_init(err, sizeof err) < 0) {
        fprintf(stderr, "chat_server: %s\n", err);
        return 1;
    }
    if (chat_server_run(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "chat_server: %s\n", err);
        return 1;
    }
    return 0;
}
