// main.cpp — the chat_server program: command line, RLIMIT_NOFILE, signals, then chat_server_run().
// Given to students; not graded.
#include "chat_server.h"
#include "nl_log.h"
#include "nl_opt.h"
#include "nl_signal.h"
#include "nl_socket.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/resource.h>

// Stand-in when chat_server_bonus.cpp is not built (make BONUS=0): the base protocol only.
__attribute__((weak)) const chat_bonus_ops *chat_bonus(void) { return nullptr; }

static const char USAGE[] =
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
    "Stops on SIGINT/SIGTERM with exit status 0. Log level: NETLAB_LOG=debug|info|warn|error|off.\n";

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
    const char *backend = "epoll";
    uint64_t port = cfg.port, history = cfg.max_history, clients = cfg.max_clients, line = cfg.max_line,
             outbuf = cfg.max_outbuf, grace = cfg.grace_ms, rate = (uint64_t)cfg.rate_per_sec;
    const nl_opt opts[] = {
        {"host", NL_OPT_STRING, &cfg.host},
        {"port", NL_OPT_U64, &port, 0, 65535},
        {"backend", NL_OPT_STRING, &backend},
        {"max-history", NL_OPT_U64, &history, 1, 100},
        {"max-clients", NL_OPT_U64, &clients, 1, 1000000},
        {"max-line", NL_OPT_U64, &line, 64, 1u << 24},
        {"max-outbuf", NL_OPT_U64, &outbuf, 64, 1ull << 32},
        {"grace-ms", NL_OPT_U64, &grace, 0, 3600000},
        {"rate", NL_OPT_U64, &rate, 0, 1000000},
    };
    int rc = nl_opt_parse(argc, argv, "chat_server", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (rc != NL_OPT_OK) return rc == NL_OPT_HELP ? 0 : 2;
    if (nl_backend_parse(backend, &cfg.backend) < 0)
        return nl_opt_fail("chat_server", "backend", USAGE, "must be epoll or uring");
    cfg.port = (uint16_t)port;
    cfg.max_history = history;
    cfg.max_clients = clients;
    cfg.max_line = line;
    cfg.max_outbuf = outbuf;
    cfg.grace_ms = grace;
    cfg.rate_per_sec = (double)rate;
    if (cfg.max_outbuf < cfg.max_line) return nl_opt_fail("chat_server", "max-outbuf", USAGE, "must be at least --max-line");
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
