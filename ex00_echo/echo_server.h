// echo_server.h — the TCP echo server of ex00: what a student implements (echo_server.cpp) and the
// thread-pool bonus (echo_pool.cpp). Protocol and limits are described in README.md.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <pthread.h>
#include <string>
#include <unordered_set>

enum {
    ECHO_MAX_LINE = 65536,          // bytes per line, without its "\n"; longer lines get an ERROR reply
    ECHO_DEFAULT_MAX_CLIENTS = 2048, // connections served at once; the next ones get "BUSY\n"
    ECHO_THREAD_STACK = 256 * 1024, // stack of each client thread (README: "1000 clients")
    ECHO_POOL_MAX_WORKERS = 256,
    ECHO_POOL_MAX_QUEUE = 1024,
    ECHO_POOL_MIN_IDLE_S = 1,
    ECHO_POOL_DEFAULT_IDLE_S = 30,
    ECHO_DRAIN_MS = 3000,           // shutdown: how long clients get to read their last replies and BYE
};

struct echo_config {
    const char *host;    // e.g. "127.0.0.1"
    uint16_t port;       // 0 picks a free port
    size_t max_clients;  // 0 means ECHO_DEFAULT_MAX_CLIENTS
};

// Shared by every client thread: only ever updated with atomic read-modify-writes.
struct echo_stats {
    std::atomic<size_t> active;  // connections accepted and not yet closed (what COUNT answers)
    std::atomic<size_t> total;   // connections accepted since start
};

struct echo_server {
    echo_config cfg;
    int listen_fd;
    int spare_fd;                 // kept open so EMFILE can be survived (see echo_accept)
    echo_stats stats;
    std::atomic<bool> stopping;
    pthread_mutex_t lock;         // guards clients and the done condition
    pthread_cond_t done;          // broadcast when clients becomes empty
    std::unordered_set<int> clients;  // fds being served or queued, for the shutdown sweep
};

// How one client session ended.
enum echo_end { ECHO_END_QUIT, ECHO_END_EOF, ECHO_END_ERROR, ECHO_END_IDLE, ECHO_END_SHUTDOWN };

// Binds cfg->host:cfg->port. Returns 0, or -1 with a message in err ("cannot listen on ...").
int echo_server_init(echo_server *s, const echo_config *cfg, char *err, size_t errlen);
// Thread per connection: accepts until echo_server_stop(), then lets every client thread answer what
// its client already sent and say BYE, waits for them (ECHO_DRAIN_MS at most, then cuts off the
// clients that still do not read their replies and waits ECHO_DRAIN_MS more) and returns 0.
int echo_server_run(echo_server *s);
// Asks the server to stop (from another thread): accept() returns, connected clients get EOF.
void echo_server_stop(echo_server *s);
void echo_server_destroy(echo_server *s);

size_t echo_active_connections(echo_server *s);
size_t echo_total_connections(echo_server *s);

// The protocol: the reply to one line (without its terminator). Returns true when the client must be
// closed after the reply (QUIT).
bool echo_process_command(echo_server *s, const char *line, size_t len, std::string *reply);

// Accepts one connection and registers it (counted in stats, known to the shutdown sweep).
// Returns the fd, -2 for a connection that was refused (BUSY, EMFILE) and -1 once stopping.
int echo_accept(echo_server *s);
// Serves one registered connection until QUIT, EOF, an error or (idle_s > 0) idle_s seconds without
// a byte; then closes it and unregisters it. Safe to call from any thread.
echo_end echo_handle_client(echo_server *s, int fd, unsigned idle_s);
// Refuses a registered connection with one line (e.g. "BUSY\n"), closes and unregisters it.
void echo_refuse_client(echo_server *s, int fd, const char *line);
// Waits until no connection is registered any more, at most timeout_ms. True when none is left.
bool echo_wait_clients_gone(echo_server *s, int timeout_ms);

// Bonus: a fixed pool of workers and a bounded queue instead of a thread per connection.
struct echo_pool_config {
    unsigned workers;     // 1..ECHO_POOL_MAX_WORKERS
    unsigned queue_size;  // 1..ECHO_POOL_MAX_QUEUE: accepted connections waiting for a worker
    unsigned idle_s;      // a served client silent this long is told "TIMEOUT\n" and closed
};
// Serves with the pool until echo_server_stop(); queued and served clients get their pending
// replies and BYE before it returns 0. Returns -1 with a message in err if the pool cannot start.
int echo_pool_run(echo_server *s, const echo_pool_config *pc, char *err, size_t errlen);
