// echo_pool.cpp — bonus reference of ex00: a fixed pool of worker threads fed by a bounded queue of
// accepted connections. A connection that finds the queue full is told "BUSY\n" and closed.
#include "echo_server.h"

#include "nl_log.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <vector>

struct echo_pool {
    echo_server *s;
    echo_pool_config cfg;
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    std::deque<int> queue;  // never longer than cfg.queue_size
    bool closing;           // no more connections will be queued
};

static void *worker_main(void *arg)
{
    echo_pool *p = (echo_pool *)arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (p->queue.empty() && !p->closing) pthread_cond_wait(&p->nonempty, &p->lock);
        if (p->queue.empty()) {  // closing and nothing left: every queued connection was served
            pthread_mutex_unlock(&p->lock);
            return nullptr;
        }
        int fd = p->queue.front();
        p->queue.pop_front();
        pthread_mutex_unlock(&p->lock);
        echo_handle_client(p->s, fd, p->cfg.idle_s);
    }
}

static bool check_config(const echo_pool_config *pc, char *err, size_t errlen)
{
    if (pc->workers < 1 || pc->workers > ECHO_POOL_MAX_WORKERS)
        snprintf(err, errlen, "--pool %u: the pool has 1 to %d workers", pc->workers, ECHO_POOL_MAX_WORKERS);
    else if (pc->queue_size < 1 || pc->queue_size > ECHO_POOL_MAX_QUEUE)
        snprintf(err, errlen, "--queue %u: the queue holds 1 to %d connections", pc->queue_size, ECHO_POOL_MAX_QUEUE);
    else if (pc->idle_s < ECHO_POOL_MIN_IDLE_S)
        snprintf(err, errlen, "--idle-timeout %u: must be at least %d second(s)", pc->idle_s, ECHO_POOL_MIN_IDLE_S);
    else
        return true;
    return false;
}

int echo_pool_run(echo_server *s, const echo_pool_config *pc, char *err, size_t errlen)
{
    if (!check_config(pc, err, errlen)) return -1;
    echo_pool *p = new echo_pool();
    p->s = s;
    p->cfg = *pc;
    p->closing = false;
    pthread_mutex_init(&p->lock, nullptr);
    pthread_cond_init(&p->nonempty, nullptr);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, ECHO_THREAD_STACK);
    std::vector<pthread_t> workers;
    for (unsigned i = 0; i < pc->workers; i++) {
        pthread_t t;
        int rc = pthread_create(&t, &attr, worker_main, p);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start pool worker %u of %u: %s", i + 1, pc->workers, strerror(rc));
            break;
        }
        workers.push_back(t);
    }
    pthread_attr_destroy(&attr);
    int result = workers.size() == pc->workers ? 0 : -1;

    while (result == 0) {
        int fd = echo_accept(s);
        if (fd == -1) break;
        if (fd < 0) continue;
        pthread_mutex_lock(&p->lock);
        bool full = p->queue.size() >= p->cfg.queue_size;
        if (!full) {
            p->queue.push_back(fd);
            pthread_cond_signal(&p->nonempty);
        }
        pthread_mutex_unlock(&p->lock);
        if (full) echo_refuse_client(s, fd, "BUSY\n");
    }

    // Shutdown: echo_server_stop() already gave every registered connection (queued ones included)
    // an EOF after its pending input, so the workers drain the queue quickly: each queued client
    // gets the replies to what it sent, then BYE.
    pthread_mutex_lock(&p->lock);
    p->closing = true;
    pthread_cond_broadcast(&p->nonempty);
    pthread_mutex_unlock(&p->lock);
    if (!echo_wait_clients_gone(s, ECHO_DRAIN_MS)) echo_wait_clients_gone(s, ECHO_DRAIN_MS);
    for (pthread_t t : workers) pthread_join(t, nullptr);
    pthread_cond_destroy(&p->nonempty);
    pthread_mutex_destroy(&p->lock);
    delete p;
    return result;
}
