// tx_cluster.cpp — the EX25 harness (see tx_cluster.h).
#include "tx_cluster.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

// ---- fsync interposition: the submission's fsync calls land here first ----
static std::map<uint64_t, uint64_t> g_synced; // inode -> size at last fsync

static void note_sync(int fd)
{
    struct stat st;
    if (fstat(fd, &st) == 0)
        g_synced[(uint64_t)st.st_ino] = (uint64_t)st.st_size;
}

int g_fsync_fail = 0;

extern "C" int fsync(int fd)
{
    if (g_fsync_fail) {
        errno = g_fsync_fail;
        return -1;
    }
    int rc = (int)syscall(SYS_fsync, fd);
    if (rc == 0)
        note_sync(fd);
    return rc;
}

extern "C" int fdatasync(int fd)
{
    if (g_fsync_fail) {
        errno = g_fsync_fail;
        return -1;
    }
    int rc = (int)syscall(SYS_fdatasync, fd);
    if (rc == 0)
        note_sync(fd);
    return rc;
}

uint64_t synced_bytes(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    auto it = g_synced.find((uint64_t)st.st_ino);
    return it == g_synced.end() ? 0 : it->second;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

// Our own CRC-32 (IEEE), bit by bit: independent of the submission's table.
static uint32_t crc32_ref(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

// Records on disk within the first `limit` bytes (UINT64_MAX: all of them).
static std::vector<std::string> read_records(const char *path, uint64_t limit, uint64_t *end)
{
    std::vector<std::string> out;
    std::string data;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[8192];
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0)
            data.append(buf, (size_t)r);
        close(fd);
    }
    if (data.size() > limit)
        data.resize((size_t)limit);
    const unsigned char *d = reinterpret_cast<const unsigned char *>(data.data());
    size_t pos = 0;
    while (data.size() - pos >= 8) {
        uint32_t len = le32(d + pos);
        if (len == 0 || len > 4096 || data.size() - pos - 8 < len || crc32_ref(d + pos + 8, len) != le32(d + pos + 4))
            break;
        out.emplace_back(data.data() + pos + 8, len);
        pos += 8 + len;
    }
    if (end)
        *end = pos;
    return out;
}

std::vector<std::string> disk_records(const char *path) { return read_records(path, UINT64_MAX, nullptr); }

void rm_tree(const std::string &dir)
{
    DIR *d = opendir(dir.c_str());
    if (!d)
        return;
    while (struct dirent *e = readdir(d)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        std::string p = dir + "/" + e->d_name;
        struct stat st;
        if (lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
            rm_tree(p);
        else
            unlink(p.c_str());
    }
    closedir(d);
    rmdir(dir.c_str());
}

// The folders live on /dev/shm when there is one: fsync there costs nothing, so thousands of
// crash schedules fit in the time budget, while a file written by a killed process survives it
// exactly as on a disk (the page cache is the kernel's, not the process's).
static std::string g_base;
static void rm_base() { rm_tree(g_base); }

std::string fresh_dir(const char *tag)
{
    if (g_base.empty()) {
        char b[64] = "/dev/shm/netlab-ex25-XXXXXX";
        if (mkdtemp(b)) {
            g_base = b;
            atexit(rm_base);
        } else {
            g_base = ".";
        }
    }
    std::string tmpl = g_base + "/" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back(0);
    if (!mkdtemp(buf.data())) {
        perror("mkdtemp");
        abort();
    }
    return buf.data();
}

std::string cl_log_path(const cluster *c, int node) { return c->dir + "/node" + std::to_string(node) + ".log"; }

static uint64_t next_rand(cluster *c)
{
    uint64_t z = (c->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void trace(cluster *c, const std::string &s)
{
    c->trace.push_back("t=" + std::to_string(c->now) + " " + s);
}

// The record a message depends on, by protocol, sender role and type ("" = none).
static std::vector<std::string> needed(const cluster *c, const tx_msg *m)
{
    std::string tx = m->tx;
    if (m->from == 0) {
        switch (m->type) {
        case TX_MSG_PREPARE: return {"START " + tx};
        case TX_MSG_PRECOMMIT: return {"PRECOMMIT " + tx};
        case TX_MSG_COMMIT: return {"COMMIT " + tx};
        case TX_MSG_ABORT: return {}; // presumed abort: may be sent for a transaction never logged
        default: return {};
        }
    }
    switch (m->type) {
    case TX_MSG_VOTE_YES: return {"PREPARED " + tx};
    case TX_MSG_VOTE_NO: return {"ABORTED " + tx};
    case TX_MSG_PRECOMMIT: return {"PRECOMMITTED " + tx};
    case TX_MSG_PRECOMMIT_ACK: return {"PRECOMMITTED " + tx, "COMMITTED " + tx};
    case TX_MSG_COMMIT: return {"COMMITTED " + tx};
    case TX_MSG_ABORT: return {"ABORTED " + tx};
    case TX_MSG_ACK: return {"COMMITTED " + tx, "ABORTED " + tx};
    default: (void)c; return {};
    }
}

static void on_send(void *ctx, const tx_msg *m)
{
    cluster *c = static_cast<cluster *>(ctx);
    char d[96];
    snprintf(d, sizeof d, "%d>%d %s", m->from, m->to, tx_msg_name(m->type));
    if (m->type == TX_MSG_STATE_REPLY)
        snprintf(d + strlen(d), sizeof d - strlen(d), "(%s)", tx_state_name(m->state));
    c->sent.push_back(d);
    trace(c, std::string("send ") + d + " " + m->tx);
    std::vector<std::string> need = needed(c, m);
    if (!need.empty() && c->wal_violation.empty()) {
        std::string path = cl_log_path(c, m->from);
        std::vector<std::string> synced = read_records(path.c_str(), synced_bytes(path.c_str()), nullptr);
        bool ok = false;
        for (const std::string &r : synced)
            ok |= std::find(need.begin(), need.end(), r) != need.end();
        if (!ok)
            c->wal_violation = std::string("node ") + std::to_string(m->from) + " sent " + d + " before '" +
                               need[0] + "' was written and fsynced to " + path;
    }
    int copies = c->dup ? 2 : 1;
    for (int i = 0; i < copies; i++) {
        uint64_t delay = c->delay_min + (c->delay_max > c->delay_min ? next_rand(c) % (c->delay_max - c->delay_min + 1) : 0);
        c->queue.push_back({c->now + delay, c->seq++, *m});
    }
}

static bool on_crash(void *ctx, int node, tx_point p, const char *what)
{
    cluster *c = static_cast<cluster *>(ctx);
    c->points[node]++;
    c->total_points++;
    c->point_names[node].push_back(std::string(tx_point_name(p)) + " " + what);
    if (c->kill_all && c->total_points == c->crash_k)
        kill(getpid(), SIGKILL); // a real kill -9 in the middle of the protocol
    if (!c->kill_all && node == c->crash_node && c->points[node] == c->crash_k) {
        trace(c, "CRASH node " + std::to_string(node) + " at " + tx_point_name(p) + " " + what);
        return true;
    }
    return false;
}

static bool on_vote(void *ctx, int node, const char *)
{
    cluster *c = static_cast<cluster *>(ctx);
    return !c->no_vote[node];
}

static tx_io make_io(cluster *c) { return tx_io{on_send, on_crash, on_vote, c}; }

static void mark_crashed(cluster *c, int node)
{
    c->up[node] = false;
    if (c->proto == 2) {
        if (node == 0)
            tpc_coord_free(static_cast<tpc_coord *>(c->node[0]));
        else
            tpc_part_free(static_cast<tpc_part *>(c->node[node]));
    } else {
        if (node == 0)
            tpc3_coord_free(static_cast<tpc3_coord *>(c->node[0]));
        else
            tpc3_part_free(static_cast<tpc3_part *>(c->node[node]));
    }
    c->node[node] = nullptr;
    if (c->restart_after)
        c->restart_at[node] = c->now + c->restart_after;
}

static void check_rc(cluster *c, int node, int rc, const char *what)
{
    if (rc == TX_CRASHED) {
        mark_crashed(c, node);
    } else if (rc != TX_OK && c->error.empty()) {
        c->error = std::string(what) + " on node " + std::to_string(node) + " returned " + tx_rc_name(rc);
    }
}

static void open_node(cluster *c, int node)
{
    tx_io io = make_io(c);
    std::string path = cl_log_path(c, node);
    tx_error err;
    int rc;
    void *out = nullptr;
    c->up[node] = true; // up while recovering: its recovery messages may crash it again
    if (c->proto == 2) {
        if (node == 0)
            rc = tpc_coord_open(path.c_str(), &c->cfg, &io, c->now, reinterpret_cast<tpc_coord **>(&out), &err);
        else
            rc = tpc_part_open(path.c_str(), node, &c->cfg, &io, c->now, reinterpret_cast<tpc_part **>(&out), &err);
    } else {
        if (node == 0)
            rc = tpc3_coord_open(path.c_str(), &c->cfg, &io, c->now, reinterpret_cast<tpc3_coord **>(&out), &err);
        else
            rc = tpc3_part_open(path.c_str(), node, &c->cfg, &io, c->now, reinterpret_cast<tpc3_part **>(&out), &err);
    }
    c->node[node] = out;
    if (rc != TX_OK || !out) {
        c->up[node] = false;
        c->node[node] = nullptr;
        if (rc != TX_CRASHED && c->error.empty())
            c->error = "opening node " + std::to_string(node) + " failed: " + tx_rc_name(rc) + " " + err.msg;
        if (rc == TX_CRASHED && c->restart_after)
            c->restart_at[node] = c->now + c->restart_after;
    }
    trace(c, "open node " + std::to_string(node) + (c->up[node] ? "" : " (failed)"));
}

void cl_init_in(cluster *c, int proto, int n, uint64_t seed, const std::string &dir, bool open_nodes)
{
    c->proto = proto;
    c->n = n;
    tx_config_default(&c->cfg);
    c->cfg.participants = n;
    c->rng = seed;
    c->dir = dir;
    if (open_nodes)
        for (int i = 0; i <= n; i++)
            open_node(c, i);
}

void cl_init(cluster *c, int proto, int n, uint64_t seed, const char *tag)
{
    cl_init_in(c, proto, n, seed, fresh_dir(tag), true);
}

void cl_reopen_all(cluster *c)
{
    for (int i = 0; i <= c->n; i++)
        if (!c->up[i])
            open_node(c, i);
}

void cl_free(cluster *c)
{
    for (int i = 0; i <= c->n; i++)
        if (c->up[i]) {
            uint64_t keep = c->restart_after;
            c->restart_after = 0;
            mark_crashed(c, i);
            c->restart_after = keep;
        }
    rm_tree(c->dir);
}

int cl_begin(cluster *c, const char *tx)
{
    if (!c->up[0])
        return TX_ERR_STATE;
    tx_error err;
    int rc = c->proto == 2 ? tpc_coord_begin(static_cast<tpc_coord *>(c->node[0]), tx, c->now, &err)
                           : tpc3_coord_begin(static_cast<tpc3_coord *>(c->node[0]), tx, c->now, &err);
    if (rc == TX_CRASHED)
        mark_crashed(c, 0);
    return rc;
}

void cl_kill(cluster *c, int node)
{
    if (!c->up[node])
        return;
    uint64_t keep = c->restart_after;
    c->restart_after = 0;
    mark_crashed(c, node);
    c->restart_after = keep;
    trace(c, "KILL node " + std::to_string(node));
}

void cl_restart(cluster *c, int node)
{
    if (!c->up[node])
        open_node(c, node);
}

static void deliver(cluster *c, const tx_msg &m)
{
    int to = m.to;
    if (to < 0 || to > c->n || !c->up[to]) {
        trace(c, std::string("lost ") + tx_msg_name(m.type) + " to down node " + std::to_string(to));
        return;
    }
    int rc;
    if (c->proto == 2)
        rc = to == 0 ? tpc_coord_on_msg(static_cast<tpc_coord *>(c->node[0]), &m, c->now)
                     : tpc_part_on_msg(static_cast<tpc_part *>(c->node[to]), &m, c->now);
    else
        rc = to == 0 ? tpc3_coord_on_msg(static_cast<tpc3_coord *>(c->node[0]), &m, c->now)
                     : tpc3_part_on_msg(static_cast<tpc3_part *>(c->node[to]), &m, c->now);
    check_rc(c, to, rc, "on_msg");
}

static void tick(cluster *c, int i)
{
    int rc;
    if (c->proto == 2)
        rc = i == 0 ? tpc_coord_tick(static_cast<tpc_coord *>(c->node[0]), c->now)
                    : tpc_part_tick(static_cast<tpc_part *>(c->node[i]), c->now);
    else
        rc = i == 0 ? tpc3_coord_tick(static_cast<tpc3_coord *>(c->node[0]), c->now)
                    : tpc3_part_tick(static_cast<tpc3_part *>(c->node[i]), c->now);
    check_rc(c, i, rc, "tick");
}

void cl_run_until(cluster *c, uint64_t until)
{
    while (c->now < until) {
        c->now++;
        for (int i = 0; i <= c->n; i++)
            if (!c->up[i] && c->restart_at[i] && c->now >= c->restart_at[i]) {
                c->restart_at[i] = 0;
                open_node(c, i);
            }
        // Deliver what is due, oldest first (messages sent meanwhile wait for their own time).
        for (;;) {
            size_t best = c->queue.size();
            for (size_t i = 0; i < c->queue.size(); i++)
                if (c->queue[i].at <= c->now &&
                    (best == c->queue.size() || c->queue[i].at < c->queue[best].at ||
                     (c->queue[i].at == c->queue[best].at && c->queue[i].seq < c->queue[best].seq)))
                    best = i;
            if (best == c->queue.size())
                break;
            tx_msg m = c->queue[best].m;
            c->queue.erase(c->queue.begin() + (long)best);
            deliver(c, m);
        }
        for (int i = 0; i <= c->n; i++)
            if (c->up[i])
                tick(c, i);
    }
}

tx_state cl_state(const cluster *c, int node, const char *tx)
{
    if (!c->up[node])
        return TX_UNKNOWN;
    if (c->proto == 2)
        return node == 0 ? tpc_coord_state(static_cast<tpc_coord *>(c->node[0]), tx)
                         : tpc_part_state(static_cast<tpc_part *>(c->node[node]), tx);
    return node == 0 ? tpc3_coord_state(static_cast<tpc3_coord *>(c->node[0]), tx)
                     : tpc3_part_state(static_cast<tpc3_part *>(c->node[node]), tx);
}

tx_state cl_disk_state(const cluster *c, int node, const char *tx)
{
    tx_state s = TX_UNKNOWN;
    for (const std::string &r : disk_records(cl_log_path(c, node).c_str())) {
        size_t sp = r.find(' ');
        if (sp == std::string::npos || r.substr(sp + 1) != tx)
            continue;
        std::string t = r.substr(0, sp);
        if (t == "COMMIT" || t == "COMMITTED")
            s = TX_COMMITTED;
        else if (t == "ABORT" || t == "ABORTED")
            s = TX_ABORTED;
        else if ((t == "PRECOMMIT" || t == "PRECOMMITTED") && s != TX_COMMITTED && s != TX_ABORTED)
            s = TX_PRECOMMITTED;
        else if (t == "PREPARED" && s == TX_UNKNOWN)
            s = TX_PREPARED;
        else if (t == "START" && s == TX_UNKNOWN)
            s = TX_WORKING;
    }
    return s;
}

std::string cl_check_atomic(const cluster *c, const char *tx, bool finished)
{
    std::string states;
    bool commit = false, abort_ = false, in_doubt = false, unknown_up = false;
    for (int i = 0; i <= c->n; i++) {
        tx_state mem = c->up[i] ? cl_state(c, i, tx) : TX_UNKNOWN;
        tx_state disk = cl_disk_state(c, i, tx);
        tx_state s = c->up[i] ? mem : disk;
        states += " n" + std::to_string(i) + "=" + tx_state_name(s) + (c->up[i] ? "" : "(down)");
        commit |= s == TX_COMMITTED || disk == TX_COMMITTED;
        abort_ |= s == TX_ABORTED || disk == TX_ABORTED;
        if (c->up[i] && (s == TX_WORKING || s == TX_PREPARED || s == TX_PRECOMMITTED))
            in_doubt = true;
        if (c->up[i] && s == TX_UNKNOWN)
            unknown_up = true;
    }
    if (commit && abort_)
        return "atomicity broken: some committed and some aborted:" + states;
    if (finished && (in_doubt || (unknown_up && (commit || abort_))))
        return "not finished: a node that is up is still undecided:" + states;
    return "";
}

std::string cl_describe(const cluster *c)
{
    std::string out;
    size_t from = c->trace.size() > 40 ? c->trace.size() - 40 : 0;
    for (size_t i = from; i < c->trace.size(); i++)
        out += "  " + c->trace[i] + "\n";
    return out;
}
