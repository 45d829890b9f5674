// raft_kv_node.cpp — EX13 reference: one raft_kv node. libraft's libuv I/O (disk log, TCP transport)
// and our client listener share one libuv loop and one thread, so the store and every raft call are
// touched from that thread only and need no lock.
#include "raft_kv.h"

extern "C" {
#include <raft/uv.h>
}
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

struct node;

struct conn {
    uv_tcp_t tcp;
    node *n = nullptr;
    std::string in;          // bytes received, not yet parsed
    bool busy = false;       // one request at a time: replies come back in request order
    bool closing = false;
    int refs = 1;            // the handle itself + every request or write still pointing here
};

struct op {
    conn *c = nullptr;
    kv_request req;
    struct raft_apply apply;
    struct raft_barrier barrier;
    struct raft_change add;
    struct raft_change assign;
};

struct writer {
    uv_write_t w;
    conn *c;
    std::string data;
};

struct node {
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sigterm, sigint;
    struct raft_uv_transport transport;
    struct raft_io io;
    struct raft_fsm fsm;
    struct raft raft;
    kv_store store;
    std::vector<conn *> conns;
    bool closing = false;
};

void conn_unref(conn *c)
{
    if (--c->refs == 0)
        delete c;
}

void on_conn_closed(uv_handle_t *h)
{
    conn_unref((conn *)h->data);
}

void conn_close(conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    node *n = c->n;
    n->conns.erase(std::remove(n->conns.begin(), n->conns.end(), c), n->conns.end());
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

void on_written(uv_write_t *w, int)
{
    writer *wr = (writer *)w->data;
    conn_unref(wr->c);
    delete wr;
}

void reply(conn *c, const std::string &line)
{
    if (c->closing)
        return;
    writer *wr = new writer;
    wr->c = c;
    wr->data = line + "\n";
    wr->w.data = wr;
    c->refs++;
    uv_buf_t b = uv_buf_init(&wr->data[0], (unsigned)wr->data.size());
    if (uv_write(&wr->w, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
        conn_unref(c);
        delete wr;
        conn_close(c);
    }
}

void pump(conn *c); void defer_pump(conn *c);

// A request is finished: answer it and go on with the next buffered line.
void finish(op *o, const std::string &line)
{
    conn *c = o->c;
    delete o;
    reply(c, line);
    c->busy = false;
    if (!c->closing)
        defer_pump(c);   // never from inside a libraft callback: see defer_pump
    conn_unref(c);
}

std::string not_leader(node *n)
{
    raft_id id = 0;
    const char *addr = nullptr;
    raft_leader(&n->raft, &id, &addr);
    if (id == 0)
        return "ERR no leader";
    return "REDIRECT " + std::to_string(id);
}

std::string refused(node *n, int rv)
{
    if (rv == RAFT_NOTLEADER)
        return not_leader(n);
    return std::string("ERR ") + raft_strerror(rv);
}

std::string lost(int status)
{
    return std::string("ERR not committed: ") + raft_strerror(status) + " (outcome unknown)";
}

std::string status_line(node *n)
{
    struct raft *r = &n->raft;
    raft_id lid = 0;
    const char *laddr = nullptr;
    raft_leader(r, &lid, &laddr);
    std::vector<raft_id> voters;
    for (unsigned i = 0; i < r->configuration.n; i++)
        if (r->configuration.servers[i].role == RAFT_VOTER)
            voters.push_back(r->configuration.servers[i].id);
    std::sort(voters.begin(), voters.end());
    std::string members;
    for (size_t i = 0; i < voters.size(); i++)
        members += (i ? "," : "") + std::to_string(voters[i]);
    char buf[256];
    snprintf(buf, sizeof buf, "STATUS id=%llu state=%s term=%llu leader=%llu last_index=%llu applied=%llu members=",
             (unsigned long long)r->id, raft_kv_state_name(raft_state(r)), (unsigned long long)r->current_term,
             (unsigned long long)lid, (unsigned long long)raft_last_index(r),
             (unsigned long long)raft_last_applied(r));
    return buf + members;
}

void on_applied(struct raft_apply *req, int status, void *)
{
    op *o = (op *)req->data;
    finish(o, status == 0 ? "OK" : lost(status));
}

// The barrier entry commits only with a majority of this term, and its callback runs once every
// earlier entry is applied: reading after it is linearizable, reading before it may be stale.
void on_barrier(struct raft_barrier *req, int status)
{
    op *o = (op *)req->data;
    if (status != 0) {
        finish(o, std::string("ERR read not confirmed: ") + raft_strerror(status));
        return;
    }
    std::string v;
    if (kv_store_get(&o->c->n->store, o->req.key, &v))
        finish(o, "VALUE " + v);
    else
        finish(o, "NIL");
}

void on_assigned(struct raft_change *req, int status)
{
    op *o = (op *)req->data;
    finish(o, status == 0 ? "OK" : std::string("ERR ") + raft_strerror(status));
}

// raft_add makes the new server a spare; a second change promotes it to voter once it caught up.
void on_added(struct raft_change *req, int status)
{
    op *o = (op *)req->data;
    node *n = o->c->n;
    if (status != 0 || n->closing) {
        finish(o, std::string("ERR ") + raft_strerror(status ? status : RAFT_SHUTDOWN));
        return;
    }
    o->assign.data = o;
    int rv = raft_assign(&n->raft, &o->assign, o->req.id, RAFT_VOTER, on_assigned);
    if (rv != 0)
        finish(o, refused(n, rv));
}

void on_removed(struct raft_change *req, int status)
{
    op *o = (op *)req->data;
    finish(o, status == 0 ? "OK" : std::string("ERR ") + raft_strerror(status));
}

// Starts one parsed request; returns false when it was answered at once.
bool start(conn *c, const kv_request &req, std::string *answer)
{
    node *n = c->n;
    if (req.type == KV_REQ_STATUS) {
        *answer = status_line(n);
        return false;
    }
    if (raft_state(&n->raft) != RAFT_LEADER) {
        *answer = not_leader(n);
        return false;
    }
    op *o = new op;
    o->c = c;
    o->req = req;
    o->apply.data = o->barrier.data = o->add.data = o;
    int rv = 0;
    switch (req.type) {
    case KV_REQ_SET:
    case KV_REQ_DEL: {
        kv_cmd cmd;
        cmd.op = req.type == KV_REQ_SET ? KV_SET : KV_DEL;
        cmd.key = req.key;
        cmd.value = req.value;
        struct raft_buffer buf;
        rv = kv_cmd_encode(&cmd, &buf);
        if (rv == 0) {
            rv = raft_apply(&n->raft, &o->apply, &buf, 1, on_applied);
            if (rv != 0)
                raft_free(buf.base);
        }
        break;
    }
    case KV_REQ_GET: rv = raft_barrier(&n->raft, &o->barrier, on_barrier); break;
    case KV_REQ_ADD: rv = raft_add(&n->raft, &o->add, req.id, req.address.c_str(), on_added); break;
    case KV_REQ_REMOVE: rv = raft_remove(&n->raft, &o->add, req.id, on_removed); break;
    case KV_REQ_STATUS: break;
    }
    if (rv != 0) {
        delete o;
        *answer = refused(n, rv);
        return false;
    }
    c->busy = true;
    c->refs++;
    return true;
}

void on_shutdown_done(uv_shutdown_t *s, int)
{
    conn *c = (conn *)s->data;
    delete s;
    conn_close(c);
    conn_unref(c);
}

// Over the limit: say why, then hang up once the reply is sent (the rest of the line is not read).
void too_long(conn *c)
{
    reply(c, "ERR line too long (max 2048 bytes)");
    c->in.clear();
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_shutdown_t *s = new uv_shutdown_t;
    s->data = c;
    c->refs++;
    c->busy = true;   // nothing more is parsed on this connection
    if (uv_shutdown(s, (uv_stream_t *)&c->tcp, on_shutdown_done) != 0) {
        delete s;
        conn_unref(c);
        conn_close(c);
    }
}

void pump(conn *c)
{
    while (!c->busy && !c->closing) {
        size_t nl = c->in.find('\n');
        if ((nl == std::string::npos && c->in.size() >= KV_MAX_LINE) || (nl != std::string::npos && nl + 1 > KV_MAX_LINE)) {
            too_long(c);
            return;
        }
        if (nl == std::string::npos)
            return;
        std::string line = c->in.substr(0, nl);
        c->in.erase(0, nl + 1);
        kv_request req;
        std::string answer;
        if (kv_parse_request(line.data(), line.size(), &req, &answer) == 0 && start(c, req, &answer))
            return;
        reply(c, answer);
    }
}

char read_buf[65536];

void on_alloc(uv_handle_t *, size_t, uv_buf_t *b)
{
    *b = uv_buf_init(read_buf, sizeof read_buf);
}

void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
    conn *c = (conn *)s->data;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    c->in.append(b->base, (size_t)nread);
    pump(c);
}

void on_client(uv_stream_t *server, int status)
{
    node *n = (node *)server->data;
    if (status != 0 || n->closing)
        return;
    conn *c = new conn;
    c->n = n;
    uv_tcp_init(&n->loop, &c->tcp);
    c->tcp.data = c;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
        c->closing = true;
        uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    n->conns.push_back(c);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

// SIGTERM/SIGINT: stop taking clients and leave without raft_close. libraft 0.15 (Debian 12) can
// crash in its close path while a log truncation is still queued (canonical/raft#332: a deposed
// leader that rejoins truncates its log); what a client was told is committed is already fsync'd,
// so leaving now is exactly as safe as the kill -9 every node must survive anyway.
void on_signal(uv_signal_t *s, int)
{
    node *n = (node *)s->data;
    if (n->closing)
        return;
    n->closing = true;
    std::vector<conn *> all = n->conns;
    for (conn *c : all) {
        uv_os_fd_t fd;
        if (uv_fileno((uv_handle_t *)&c->tcp, &fd) == 0)
            shutdown(fd, SHUT_RDWR);
    }
    fflush(stdout);
    fflush(stderr);
    _exit(0);
}

} // namespace

int raft_kv_run(const raft_kv_config *cfg, char *err, size_t errlen)
{
    if (cfg->id == 0 || !cfg->data_dir || !cfg->raft_address) {
        snprintf(err, errlen, "an id >= 1, a data folder and a Raft address are required");
        return -1;
    }
    if (mkdir(cfg->data_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", cfg->data_dir, strerror(errno));
        return -1;
    }
    signal(SIGPIPE, SIG_IGN);
    node *n = new node;
    int rv = -1;
    bool raft_ready = false;
    uv_loop_init(&n->loop);
    memset(&n->transport, 0, sizeof n->transport);
    memset(&n->io, 0, sizeof n->io);
    if (raft_uv_tcp_init(&n->transport, &n->loop) != 0) {
        snprintf(err, errlen, "raft_uv_tcp_init failed");
        goto out_loop;
    }
    if (cfg->raft_bind && raft_uv_tcp_set_bind_address(&n->transport, cfg->raft_bind) != 0) {
        snprintf(err, errlen, "bad Raft bind address %s (want host:port)", cfg->raft_bind);
        goto out_transport;
    }
    if (raft_uv_init(&n->io, &n->loop, cfg->data_dir, &n->transport) != 0) {
        snprintf(err, errlen, "raft_uv_init(%s): %s", cfg->data_dir, n->io.errmsg);
        goto out_transport;
    }
    raft_uv_set_connect_retry_delay(&n->io, 100);
    kv_fsm_init(&n->fsm, &n->store);
    if (raft_init(&n->raft, &n->io, &n->fsm, cfg->id, cfg->raft_address) != 0) {
        snprintf(err, errlen, "raft_init: %s", raft_errmsg(&n->raft));
        goto out_io;
    }
    raft_ready = true;
    n->raft.data = n;
    raft_set_election_timeout(&n->raft, cfg->election_ms);
    raft_set_heartbeat_timeout(&n->raft, cfg->heartbeat_ms);
    raft_set_snapshot_threshold(&n->raft, cfg->snapshot_threshold);
    raft_set_snapshot_trailing(&n->raft, cfg->snapshot_trailing);
    raft_set_pre_vote(&n->raft, true);
    if (cfg->bootstrap) {
        struct raft_configuration conf;
        raft_configuration_init(&conf);
        raft_configuration_add(&conf, cfg->id, cfg->raft_address, RAFT_VOTER);
        int b = raft_bootstrap(&n->raft, &conf);
        raft_configuration_close(&conf);
        // CANTBOOTSTRAP: the folder already holds a log, so this is a restart, not a first start.
        if (b != 0 && b != RAFT_CANTBOOTSTRAP) {
            snprintf(err, errlen, "raft_bootstrap: %s", raft_errmsg(&n->raft));
            goto out_raft;
        }
    }
    if (raft_start(&n->raft) != 0) {
        snprintf(err, errlen, "raft_start: %s", raft_errmsg(&n->raft));
        goto out_raft;
    }
    {
        struct sockaddr_in addr;
        struct sockaddr_storage bound;
        int blen = sizeof bound;
        uv_tcp_init(&n->loop, &n->listener);
        n->listener.data = n;
        if (uv_ip4_addr(cfg->host, cfg->port, &addr) != 0 ||
            uv_tcp_bind(&n->listener, (const struct sockaddr *)&addr, 0) != 0 ||
            uv_listen((uv_stream_t *)&n->listener, 128, on_client) != 0 ||
            uv_tcp_getsockname(&n->listener, (struct sockaddr *)&bound, &blen) != 0) {
            snprintf(err, errlen, "cannot listen on %s:%u: %s", cfg->host, cfg->port, strerror(errno));
            uv_close((uv_handle_t *)&n->listener, nullptr);
            n->closing = true;
            raft_close(&n->raft, nullptr);
            uv_run(&n->loop, UV_RUN_DEFAULT);
            raft_ready = false;
            goto out_io;
        }
        uv_signal_init(&n->loop, &n->sigterm);
        uv_signal_init(&n->loop, &n->sigint);
        n->sigterm.data = n->sigint.data = n;
        uv_signal_start(&n->sigterm, on_signal, SIGTERM);
        uv_signal_start(&n->sigint, on_signal, SIGINT);
        printf("listening on %s:%u\n", cfg->host, ntohs(((struct sockaddr_in *)&bound)->sin_port));
        fflush(stdout);
    }
    uv_run(&n->loop, UV_RUN_DEFAULT);
    raft_ready = false;
    rv = 0;
out_raft:
    if (raft_ready) {
        raft_close(&n->raft, nullptr);
        uv_run(&n->loop, UV_RUN_DEFAULT);
    }
out_io:
    raft_uv_close(&n->io);
out_transport:
    raft_uv_tcp_close(&n->transport);
out_loop:
    uv_loop_close(&n->loop);
    delete n;
    return rv;
}

namespace {

// The next buffered request of a connection starts from the loop, never from inside the libraft
// callback that answered the previous one: a deposed leader fails its waiting requests from inside
// its change of state, while raft_state() still says leader, so a raft_apply started there lands in
// a log libraft is clearing (the node crashes). An idle handle runs once the callback has returned.
uv_idle_t pump_idle;
bool pump_idle_ready = false;
std::vector<conn *> pump_later;

void on_pump_idle(uv_idle_t *h)
{
    std::vector<conn *> now;
    now.swap(pump_later);
    uv_idle_stop(h);
    for (conn *c : now) {
        if (!c->closing)
            pump(c);
        conn_unref(c);
    }
}

void defer_pump(conn *c)
{
    if (!pump_idle_ready) {
        uv_idle_init(&c->n->loop, &pump_idle);
        pump_idle_ready = true;
    }
    c->refs++;
    pump_later.push_back(c);
    uv_idle_start(&pump_idle, on_pump_idle);
}

} // namespace
