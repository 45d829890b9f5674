// booking_server.cpp — the queue's life (ftok key, 0600, reclaim after a dead server, removal on
// shutdown) and the three ways to serve it: seq (one at a time), pool (N workers fed by the main
// loop) and thread (one detached thread per request, each owning a heap copy of its request).
#include "booking.h"
#include "nl_log.h"
#include "nl_signal.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <new>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

void booking_default_key_path(char *buf, size_t len) { snprintf(buf, len, "/tmp/booking-%u.key", (unsigned)getuid()); }

// ---- shared by the modes -------------------------------------------------------------------------
struct booking_srv {
    int qid;
    booking_stock *stock;
    std::atomic<bool> stopping{false};
    // pool mode: a bounded ring of requests, copied in by value
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
    pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
    std::vector<booking_job> ring;
    size_t head = 0, count = 0;
    bool loop_done = false;  // the main loop has ended (shutdown, or the queue removed under us)
    // thread mode: requests being served, so shutdown can wait for them
    int in_flight = 0;  // guarded by lock
    pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
};

static void send_reply(booking_srv *srv, const booking_reply *r)
{
    // The queue is shared by requests and replies and holds 16 KiB (about 17 replies). A client
    // that never reads its replies could fill it and block this sender for ever, and in seq mode
    // the whole server with it; so a reply that finds no room for REPLY_PATIENCE_MS is dropped.
    enum { REPLY_PATIENCE_MS = 2000 };
    unsigned waited_us = 0, step_us = 100;
    while (msgsnd(srv->qid, r, BOOKING_REPLY_SIZE, IPC_NOWAIT) < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) {  // the queue is gone (shutdown): nobody can read it anyway
            nl_debug("reply to mtype %ld not sent: %s", r->mtype, strerror(errno));
            return;
        }
        if (waited_us >= REPLY_PATIENCE_MS * 1000u) {
            nl_warn("reply to mtype %ld dropped: the queue stayed full for %d ms (a client not reading its replies?)",
                    r->mtype, (int)REPLY_PATIENCE_MS);
            return;
        }
        usleep(step_us);
        waited_us += step_us;
        if (step_us < 10000) step_us *= 2;
    }
}

static void serve_one(booking_srv *srv, const booking_job *job)
{
    booking_reply reply;
    if (booking_handle(srv->stock, job, &reply))
        send_reply(srv, &reply);
    else
        nl_warn("dropped a %zd-byte message with no usable reply mtype", job->len);
}

// A request that raced with shutdown still gets an answer (the wake-up message has no reply mtype).
static void refuse_shutdown(booking_srv *srv, const booking_job *job)
{
    if (job->len < (ssize_t)BOOKING_REQUEST_SIZE || job->req.reply_mtype <= BOOKING_MTYPE_REQUEST) return;
    booking_reply r;
    memset(&r, 0, sizeof r);
    r.mtype = job->req.reply_mtype;
    r.tag = job->req.tag;
    r.magic = BOOKING_MAGIC;
    r.op = job->req.op;
    memcpy(r.show, job->req.show, sizeof r.show);  // R3: a reply that is not MALFORMED echoes the show
    r.status = BOOKING_E_SHUTDOWN;
    r.remaining = -1;
    snprintf(r.message, sizeof r.message, "the server is shutting down");
    msgsnd(srv->qid, &r, BOOKING_REPLY_SIZE, IPC_NOWAIT);
}

// Receives the next message of type BOOKING_MTYPE_REQUEST into *job. Returns false when the server
// must stop (shutdown requested, or the queue was removed under us).
static bool receive(booking_srv *srv, booking_job *job)
{
    for (;;) {
        job->len = msgrcv(srv->qid, &job->req, BOOKING_JOB_RECV_SIZE, BOOKING_MTYPE_REQUEST, MSG_NOERROR);
        if (srv->stopping.load()) {
            if (job->len >= 0) refuse_shutdown(srv, job);
            return false;
        }
        if (job->len >= 0) return true;
        if (errno == EINTR) continue;
        if (errno != EIDRM && errno != EINVAL) nl_error("msgrcv: %s", strerror(errno));
        else nl_warn("the queue was removed while the server was running");
        return false;
    }
}

// ---- seq -----------------------------------------------------------------------------------------
static void run_seq(booking_srv *srv)
{
    booking_job job;
    while (receive(srv, &job)) serve_one(srv, &job);
}

// ---- pool ----------------------------------------------------------------------------------------
static void *pool_worker(void *arg)
{
    booking_srv *srv = (booking_srv *)arg;
    booking_job job;
    for (;;) {
        pthread_mutex_lock(&srv->lock);
        while (srv->count == 0 && !srv->stopping.load() && !srv->loop_done)
            pthread_cond_wait(&srv->not_empty, &srv->lock);
        if (srv->count == 0) {  // stopping and nothing left to serve
            pthread_mutex_unlock(&srv->lock);
            return nullptr;
        }
        job = srv->ring[srv->head];
        srv->head = (srv->head + 1) % srv->ring.size();
        srv->count--;
        pthread_cond_signal(&srv->not_full);
        pthread_mutex_unlock(&srv->lock);
        serve_one(srv, &job);
    }
}

static int run_pool(booking_srv *srv, int workers, char *err, size_t errlen)
{
    srv->ring.resize((size_t)workers * 4);
    std::vector<pthread_t> tids((size_t)workers);
    int started = 0;
    for (; started < workers; started++) {
        int rc = pthread_create(&tids[(size_t)started], nullptr, pool_worker, srv);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start worker %d of %d: %s", started + 1, workers, strerror(rc));
            // stopping stays false: the end of booking_server_run releases the signal thread
            break;
        }
    }
    booking_job job;
    while (started == workers && receive(srv, &job)) {
        pthread_mutex_lock(&srv->lock);
        // Back-pressure: a full ring stops the main loop, and the kernel queue holds the rest.
        while (srv->count == srv->ring.size() && !srv->stopping.load()) pthread_cond_wait(&srv->not_full, &srv->lock);
        bool queued = srv->count < srv->ring.size();
        if (queued) {
            srv->ring[(srv->head + srv->count) % srv->ring.size()] = job;
            srv->count++;
            pthread_cond_signal(&srv->not_empty);
        }
        pthread_mutex_unlock(&srv->lock);
        // Stopping with the ring full: this request was read but no worker will take it; it still
        // gets its one reply (R16), the shutdown refusal.
        if (!queued) refuse_shutdown(srv, &job);
    }
    pthread_mutex_lock(&srv->lock);
    srv->loop_done = true;  // without a signal (the queue was removed), stopping stays false
    pthread_cond_broadcast(&srv->not_empty);
    pthread_mutex_unlock(&srv->lock);
    for (int i = 0; i < started; i++) pthread_join(tids[(size_t)i], nullptr);
    return started == workers ? 0 : -1;
}

// ---- thread per request ----------------------------------------------------------------------------
struct thread_arg {
    booking_srv *srv;
    booking_job *job;  // heap copy owned by the thread
};

static void thread_done(booking_srv *srv)
{
    pthread_mutex_lock(&srv->lock);
    if (--srv->in_flight == 0) pthread_cond_broadcast(&srv->idle);
    pthread_mutex_unlock(&srv->lock);
}

static void *request_thread(void *arg)
{
    thread_arg *ta = (thread_arg *)arg;
    booking_srv *srv = ta->srv;
    serve_one(srv, ta->job);
    delete ta->job;
    delete ta;
    thread_done(srv);
    return nullptr;
}

static void run_thread(booking_srv *srv)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    bool warned = false;
    for (;;) {
        // A fresh heap copy per request: the next msgrcv must never write into memory a running
        // thread is still reading.
        booking_job *job = new (std::nothrow) booking_job;
        thread_arg *ta = new (std::nothrow) thread_arg;
        if (!job || !ta) {
            delete job;
            delete ta;
            nl_error("out of memory: stopping");
            break;
        }
        if (!receive(srv, job)) {
            delete job;
            delete ta;
            break;
        }
        ta->srv = srv;
        ta->job = job;
        pthread_mutex_lock(&srv->lock);
        srv->in_flight++;
        pthread_mutex_unlock(&srv->lock);
        pthread_t tid;
        int rc = pthread_create(&tid, &attr, request_thread, ta);
        if (rc != 0) {
            // Out of threads (task limit): serve it here rather than lose it.
            if (!warned) nl_warn("pthread_create: %s; serving requests inline until threads free up", strerror(rc));
            warned = true;
            request_thread(ta);
        }
    }
    pthread_attr_destroy(&attr);
}

static void wait_idle(booking_srv *srv, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&srv->lock);
    while (srv->in_flight > 0)
        if (pthread_cond_timedwait(&srv->idle, &srv->lock, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&srv->lock);
}

// ---- the queue -------------------------------------------------------------------------------------
// Creates the queue for key, 0600. A queue already there is a dead server's: the caller holds the
// key file's lock, which a live server would hold. Returns the id, or -1 with err filled.
static int open_queue(key_t key, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        int qid = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
        if (qid >= 0) return qid;
        if (errno != EEXIST) break;
        int old = msgget(key, 0);
        struct msqid_ds ds;
        if (old < 0 || msgctl(old, IPC_STAT, &ds) < 0) {
            snprintf(err, errlen, "queue 0x%08x exists and is not ours (%s): choose another --key-path", (unsigned)key,
                     strerror(errno));
            return -1;
        }
        nl_warn("reclaiming queue 0x%08x (id %d) left by a dead server (%lu unanswered message(s) dropped)",
                (unsigned)key, old, (unsigned long)ds.msg_qnum);
        if (msgctl(old, IPC_RMID, nullptr) < 0 && errno != EIDRM && errno != EINVAL) {
            snprintf(err, errlen, "cannot remove stale queue 0x%08x: %s", (unsigned)key, strerror(errno));
            return -1;
        }
    }
    snprintf(err, errlen, "msgget(0x%08x): %s", (unsigned)key, strerror(errno));
    return -1;
}

// The key file: created if missing, must be ours, and locked for as long as we serve it. The lock
// is what tells a dead server's queue (lock free) from a live one's (lock held).
static int lock_key_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open key file %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != getuid()) {
        snprintf(err, errlen, "key file %s must be a regular file owned by you", path);
        close(fd);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen, "another booking_server is serving %s (its lock is held)", path);
        close(fd);
        return -1;
    }
    return fd;
}

// ---- shutdown --------------------------------------------------------------------------------------
static void *signal_thread(void *arg)
{
    booking_srv *srv = (booking_srv *)arg;
    int sig = nl_shutdown_wait();
    nl_info("signal %d: shutting down", sig);
    srv->stopping.store(true);
    // Wake the main loop out of msgrcv with a message of the request type (it checks `stopping`
    // after every receive). If the queue is full, removing it wakes msgrcv with EIDRM instead.
    booking_request wake;
    memset(&wake, 0, sizeof wake);
    wake.mtype = BOOKING_MTYPE_REQUEST;
    if (msgsnd(srv->qid, &wake, BOOKING_REQUEST_SIZE, IPC_NOWAIT) < 0) msgctl(srv->qid, IPC_RMID, nullptr);
    pthread_mutex_lock(&srv->lock);
    pthread_cond_broadcast(&srv->not_full);
    pthread_cond_broadcast(&srv->not_empty);
    pthread_mutex_unlock(&srv->lock);
    return nullptr;
}

static const char *mode_name(booking_mode m)
{
    return m == BOOKING_MODE_SEQ ? "seq" : m == BOOKING_MODE_POOL ? "pool" : "thread";
}

int booking_server_run(const booking_server_config *cfg, char *err, size_t errlen)
{
    int lockfd = lock_key_file(cfg->key_path, err, errlen);
    if (lockfd < 0) return -1;
    key_t key = ftok(cfg->key_path, BOOKING_PROJ_ID);
    if (key == (key_t)-1) {
        snprintf(err, errlen, "ftok(%s): %s", cfg->key_path, strerror(errno));
        close(lockfd);
        return -1;
    }
    booking_srv *srv = new booking_srv;
    srv->stock = cfg->stock;
    srv->qid = open_queue(key, err, errlen);
    if (srv->qid < 0) {
        delete srv;
        close(lockfd);
        return -1;
    }
    pthread_t sig_tid;
    int rc = pthread_create(&sig_tid, nullptr, signal_thread, srv);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the signal thread: %s", strerror(rc));
        msgctl(srv->qid, IPC_RMID, nullptr);
        delete srv;
        close(lockfd);
        return -1;
    }
    printf("listening on queue 0x%08x (id %d)\n", (unsigned)key, srv->qid);
    fflush(stdout);
    nl_info("booking_server: mode %s, key file %s", mode_name(cfg->mode), cfg->key_path);

    int result = 0;
    if (cfg->mode == BOOKING_MODE_SEQ) run_seq(srv);
    else if (cfg->mode == BOOKING_MODE_POOL) result = run_pool(srv, cfg->workers, err, errlen);
    else run_thread(srv);

    // Let requests already being served send their replies, then remove the queue (which also
    // unblocks any reply stuck on a full queue), then wait for the last threads to notice.
    wait_idle(srv, 2000);
    msgctl(srv->qid, IPC_RMID, nullptr);
    wait_idle(srv, 2000);
    if (!srv->stopping.load()) nl_shutdown_request();  // the loop ended on its own: release the signal thread
    pthread_join(sig_tid, nullptr);
    close(lockfd);
    pthread_mutex_lock(&srv->lock);
    int left = srv->in_flight;
    pthread_mutex_unlock(&srv->lock);
    if (left > 0) nl_warn("%d request thread(s) still running at exit", left);  // they still use srv: keep it
    else delete srv;
    return result;
}
