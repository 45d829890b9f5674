// main.cpp — the echo_server program of ex00 (given to students, not graded): command line, signals,
// and the choice between thread per connection and the thread-pool bonus.
#include "echo_server.h"

#include "nl_log.h"
#include "nl_opt.h"
#include "nl_signal.h"
#include "nl_socket.h"

#include <cstdio>
#include <cstring>

// echo_pool.cpp is the bonus: when it is not built (make BONUS=0, or the file is absent),
// echo_pool_run is a null weak symbol and --pool is refused with a clear message.
#pragma weak echo_pool_run

static const char USAGE[] =
    "usage: echo_server [--host 127.0.0.1] [--port 8080] [--pool N [--queue Q] [--idle-timeout S]]\n"
    "                   [--max-clients M] [--help]\n"
    "  --host H          address to listen on (default 127.0.0.1)\n"
    "  --port P          port, 0 picks a free one (default 8080)\n"
    "  --max-clients M   clients served at once, the next ones get BUSY (default 2048)\n"
    "  --pool N          bonus: N worker threads (1..256) instead of one thread per client\n"
    "  --queue Q         bonus: connections waiting for a worker (1..1024, default 64)\n"
    "  --idle-timeout S  bonus: close a client silent for S seconds (default 30)\n"
    "Protocol: one line in, one line out. QUIT, TIME, COUNT, anything else is echoed in uppercase.\n";

// Static, not on main's stack: detached client threads may still be finishing while exit() runs.
static echo_server g_server;

static void *signal_main(void *)
{
    int sig = nl_shutdown_wait();
    nl_info("signal %d: shutting down", sig);
    echo_server_stop(&g_server);
    return nullptr;
}

int main(int argc, char **argv)
{
    echo_config cfg = {"127.0.0.1", 8080, 0};
    echo_pool_config pool = {0, 64, ECHO_POOL_DEFAULT_IDLE_S};
    bool use_pool = false, have_max_clients = false;
    char err[256];
    uint64_t port = cfg.port, max_clients = 0, workers = 0, queue = pool.queue_size, idle = pool.idle_s;
    const nl_opt opts[] = {
        {"host", NL_OPT_STRING, &cfg.host},
        {"port", NL_OPT_U64, &port, 0, 65535},
        {"max-clients", NL_OPT_U64, &max_clients, 1, 1000000, 0, 0, &have_max_clients},
        {"pool", NL_OPT_U64, &workers, 1, ECHO_POOL_MAX_WORKERS, 0, 0, &use_pool},
        {"queue", NL_OPT_U64, &queue, 1, ECHO_POOL_MAX_QUEUE},
        {"idle-timeout", NL_OPT_U64, &idle, ECHO_POOL_MIN_IDLE_S, 86400},
    };
    int prc = nl_opt_parse(argc, argv, "echo_server", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : 2;
    cfg.port = (uint16_t)port;
    if (have_max_clients) cfg.max_clients = (size_t)max_clients;
    pool.workers = (unsigned)workers;
    pool.queue_size = (unsigned)queue;
    pool.idle_s = (unsigned)idle;
    if (use_pool && !echo_pool_run) {
        fprintf(stderr, "echo_server: --pool: thread pool (bonus) not built (build with BONUS=1 and echo_pool.cpp)\n");
        return 2;
    }
    if (nl_shutdown_init(err, sizeof err) < 0) {
        fprintf(stderr, "echo_server: %s\n", err);
        return 1;
    }
    if (echo_server_init(&g_server, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "echo_server: %s\n", err);
        return 1;
    }
    nl_print_listening(cfg.host, g_server.listen_fd);
    pthread_t sig_thread;
    if (pthread_create(&sig_thread, nullptr, signal_main, nullptr) != 0) {
        fprintf(stderr, "echo_server: cannot start the signal thread\n");
        return 1;
    }
    int rc;
    if (use_pool) {
        nl_info("serving with a pool of %u workers, queue %u, idle timeout %u s", pool.workers, pool.queue_size, pool.idle_s);
        rc = echo_pool_run(&g_server, &pool, err, sizeof err);
        if (rc < 0) {
            fprintf(stderr, "echo_server: %s\n", err);
            echo_server_stop(&g_server);
        }
    } else {
        rc = echo_server_run(&g_server);
    }
    if (rc < 0) nl_shutdown_request();  // let the signal thread finish so it can be joined
    pthread_join(sig_thread, nullptr);
    nl_info("served %zu connection(s); bye", echo_total_connections(&g_server));
    echo_server_destroy(&g_server);
    return rc < 0 ? 1 : 0;
}
