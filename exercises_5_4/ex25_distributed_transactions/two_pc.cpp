// two_pc.cpp — two-phase commit with presumed abort: the coordinator logs START before asking, its
// decision before telling it, END once every participant acknowledged; a participant logs its vote
// before sending it. After a restart each side reads its log and finishes what it had begun.
#include "tx_node.h"

#include <cstdio>
#include <map>
#include <set>

#define TRY(x)                  \
    do {                        \
        int rc_ = (x);          \
        if (rc_ != TX_OK)       \
            return rc_;         \
    } while (0)

// Per-transaction state (named per file: the oracle build puts all of this in one namespace).
struct coord_tx {
    tx_state st = TX_WORKING;
    std::set<int> yes, acked;
    uint64_t deadline = 0, next_retry = 0;
    bool ended = false;
};
struct part_tx {
    tx_state st = TX_UNKNOWN;
    uint64_t next_req = 0;
};

struct tpc_coord {
    tx_node n;
    tx_config cfg;
    std::map<std::string, coord_tx> txs;
};

struct tpc_part {
    tx_node n;
    tx_config cfg;
    std::map<std::string, part_tx> txs;
};

static int bad(tx_error *err, int code, const char *msg)
{
    if (err) {
        err->code = code;
        snprintf(err->msg, sizeof err->msg, "%s", msg);
    }
    return code;
}

static const char *decision_record(tx_state d) { return d == TX_COMMITTED ? "COMMIT" : "ABORT"; }
static tx_msg_type decision_msg(tx_state d) { return d == TX_COMMITTED ? TX_MSG_COMMIT : TX_MSG_ABORT; }

// Sends the decision to every participant that has not acknowledged it yet.
static int coord_tell(tpc_coord *c, const std::string &tx, coord_tx &t, uint64_t now)
{
    for (int p = 1; p <= c->cfg.participants; p++)
        if (!t.acked.count(p))
            TRY(tx_node_send(&c->n, decision_msg(t.st), p, tx));
    t.next_retry = now + c->cfg.retry_ms;
    return TX_OK;
}

// The decision is durable before anyone hears of it: a coordinator that crashes right after
// telling one participant "commit" must still say "commit" after its restart.
static int coord_decide(tpc_coord *c, const std::string &tx, coord_tx &t, tx_state d, uint64_t now)
{
    TRY(tx_node_log(&c->n, decision_record(d), tx));
    t.st = d;
    return coord_tell(c, tx, t, now);
}

int tpc_coord_open(const char *log_path, const tx_config *cfg, const tx_io *io, uint64_t now_ms,
                   tpc_coord **out, tx_error *err)
{
    if (!log_path || !cfg || !out || cfg->participants < 1)
        return bad(err, TX_ERR_ARG, "tpc_coord_open: log path, config (participants >= 1) and out are required");
    *out = nullptr;
    tpc_coord *c = new tpc_coord;
    c->cfg = *cfg;
    int rc = tx_node_open(&c->n, log_path, 0, io, err);
    if (rc != TX_OK) {
        delete c;
        return rc;
    }
    for (size_t i = 0; i < txlog_count(c->n.log); i++) {
        std::string type, tx;
        if (!tx_parse_record(txlog_record(c->n.log, i), &type, &tx))
            continue;
        coord_tx &t = c->txs[tx];
        if (type == "START")
            t.st = TX_WORKING;
        else if (type == "COMMIT")
            t.st = TX_COMMITTED;
        else if (type == "ABORT")
            t.st = TX_ABORTED;
        else if (type == "END")
            t.ended = true;
    }
    // Recovery: an undecided transaction is aborted (its votes are lost with the crash, and no
    // participant can have committed); a decided one is told again until everyone acknowledges.
    for (auto &[tx, t] : c->txs) {
        if (t.ended)
            continue;
        rc = t.st == TX_WORKING ? coord_decide(c, tx, t, TX_ABORTED, now_ms) : coord_tell(c, tx, t, now_ms);
        if (rc != TX_OK) {
            tpc_coord_free(c);
            return rc;
        }
    }
    *out = c;
    return TX_OK;
}

int tpc_coord_begin(tpc_coord *c, const char *tx, uint64_t now_ms, tx_error *err)
{
    if (!c || !tx_id_ok(tx))
        return bad(err, TX_ERR_ARG, "tpc_coord_begin: a transaction id is 1..32 chars of [A-Za-z0-9_.-]");
    if (c->txs.count(tx))
        return bad(err, TX_ERR_STATE, "tpc_coord_begin: this transaction id was already used");
    coord_tx &t = c->txs[tx];
    t.deadline = now_ms + c->cfg.vote_timeout_ms;
    TRY(tx_node_log(&c->n, "START", tx));
    for (int p = 1; p <= c->cfg.participants; p++)
        TRY(tx_node_send(&c->n, TX_MSG_PREPARE, p, tx));
    return TX_OK;
}

int tpc_coord_on_msg(tpc_coord *c, const tx_msg *m, uint64_t now_ms)
{
    if (!c || !m || m->from < 1 || m->from > c->cfg.participants)
        return TX_ERR_ARG;
    std::string tx = m->tx;
    auto it = c->txs.find(tx);
    if (it == c->txs.end()) {
        // Presumed abort: no record means no decision to commit was ever taken.
        if (m->type == TX_MSG_STATE_REQ || m->type == TX_MSG_VOTE_YES)
            return tx_node_send(&c->n, TX_MSG_ABORT, m->from, tx);
        return TX_OK;
    }
    coord_tx &t = it->second;
    switch (m->type) {
    case TX_MSG_VOTE_YES:
        if (t.st == TX_WORKING) {
            t.yes.insert(m->from);
            if ((int)t.yes.size() == c->cfg.participants)
                return coord_decide(c, tx, t, TX_COMMITTED, now_ms);
        } else if (t.st == TX_ABORTED && !t.ended) {
            return tx_node_send(&c->n, TX_MSG_ABORT, m->from, tx);
        }
        return TX_OK;
    case TX_MSG_VOTE_NO:
        if (t.st == TX_WORKING)
            return coord_decide(c, tx, t, TX_ABORTED, now_ms);
        return TX_OK;
    case TX_MSG_ACK:
        if (t.st != TX_WORKING && !t.ended) {
            t.acked.insert(m->from);
            if ((int)t.acked.size() == c->cfg.participants) {
                TRY(tx_node_log(&c->n, "END", tx));
                t.ended = true;
            }
        }
        return TX_OK;
    case TX_MSG_STATE_REQ:
        if (t.st == TX_COMMITTED || t.st == TX_ABORTED)
            return tx_node_send(&c->n, decision_msg(t.st), m->from, tx);
        return TX_OK; // still collecting votes: the decision will come
    default:
        return TX_OK;
    }
}

int tpc_coord_tick(tpc_coord *c, uint64_t now_ms)
{
    if (!c)
        return TX_ERR_ARG;
    for (auto &[tx, t] : c->txs) {
        if (t.st == TX_WORKING && now_ms >= t.deadline)
            TRY(coord_decide(c, tx, t, TX_ABORTED, now_ms));
        else if (t.st != TX_WORKING && !t.ended && now_ms >= t.next_retry)
            TRY(coord_tell(c, tx, t, now_ms));
    }
    return TX_OK;
}

tx_state tpc_coord_state(const tpc_coord *c, const char *tx)
{
    if (!c || !tx)
        return TX_UNKNOWN;
    auto it = c->txs.find(tx);
    return it == c->txs.end() ? TX_UNKNOWN : it->second.st;
}

void tpc_coord_free(tpc_coord *c)
{
    if (!c)
        return;
    txlog_close(c->n.log);
    delete c;
}

// ---- participant ----

int tpc_part_open(const char *log_path, int id, const tx_config *cfg, const tx_io *io, uint64_t now_ms,
                  tpc_part **out, tx_error *err)
{
    if (!log_path || !cfg || !out || id < 1 || id > cfg->participants)
        return bad(err, TX_ERR_ARG, "tpc_part_open: log path, config, out and an id in 1..participants are required");
    *out = nullptr;
    tpc_part *p = new tpc_part;
    p->cfg = *cfg;
    int rc = tx_node_open(&p->n, log_path, id, io, err);
    if (rc != TX_OK) {
        delete p;
        return rc;
    }
    for (size_t i = 0; i < txlog_count(p->n.log); i++) {
        std::string type, tx;
        if (!tx_parse_record(txlog_record(p->n.log, i), &type, &tx))
            continue;
        part_tx &t = p->txs[tx];
        if (type == "PREPARED")
            t.st = TX_PREPARED;
        else if (type == "COMMITTED")
            t.st = TX_COMMITTED;
        else if (type == "ABORTED")
            t.st = TX_ABORTED;
    }
    // In doubt after a restart: only the coordinator knows the outcome, so ask it.
    for (auto &[tx, t] : p->txs) {
        if (t.st != TX_PREPARED)
            continue;
        rc = tx_node_send(&p->n, TX_MSG_STATE_REQ, 0, tx);
        if (rc != TX_OK) {
            tpc_part_free(p);
            return rc;
        }
        t.next_req = now_ms + cfg->retry_ms;
    }
    *out = p;
    return TX_OK;
}

int tpc_part_on_msg(tpc_part *p, const tx_msg *m, uint64_t now_ms)
{
    if (!p || !m || m->from != 0)
        return TX_ERR_ARG;
    std::string tx = m->tx;
    if (!tx_id_ok(m->tx))
        return TX_ERR_ARG;
    part_tx &t = p->txs[tx];
    t.next_req = now_ms + p->cfg.retry_ms; // the coordinator is talking: no need to ask yet
    switch (m->type) {
    case TX_MSG_PREPARE:
        if (t.st == TX_UNKNOWN) {
            bool yes = !p->n.io.vote || p->n.io.vote(p->n.io.ctx, p->n.id, m->tx);
            // The vote is durable before it is sent: a yes is a promise that survives a crash.
            TRY(tx_node_log(&p->n, yes ? "PREPARED" : "ABORTED", tx));
            t.st = yes ? TX_PREPARED : TX_ABORTED;
        }
        if (t.st == TX_PREPARED)
            return tx_node_send(&p->n, TX_MSG_VOTE_YES, 0, tx);
        if (t.st == TX_ABORTED)
            return tx_node_send(&p->n, TX_MSG_VOTE_NO, 0, tx);
        return TX_OK;
    case TX_MSG_COMMIT:
        if (t.st == TX_PREPARED) {
            TRY(tx_node_log(&p->n, "COMMITTED", tx));
            t.st = TX_COMMITTED;
        }
        if (t.st == TX_COMMITTED)
            return tx_node_send(&p->n, TX_MSG_ACK, 0, tx);
        return TX_OK;
    case TX_MSG_ABORT:
        if (t.st == TX_PREPARED || t.st == TX_UNKNOWN) {
            TRY(tx_node_log(&p->n, "ABORTED", tx));
            t.st = TX_ABORTED;
        }
        if (t.st == TX_ABORTED)
            return tx_node_send(&p->n, TX_MSG_ACK, 0, tx);
        return TX_OK;
    default:
        return TX_OK;
    }
}

int tpc_part_tick(tpc_part *p, uint64_t now_ms)
{
    if (!p)
        return TX_ERR_ARG;
    // In doubt: blocked until the coordinator answers; a participant never decides alone.
    for (auto &[tx, t] : p->txs) {
        if (t.st == TX_PREPARED && now_ms >= t.next_req) {
            TRY(tx_node_send(&p->n, TX_MSG_STATE_REQ, 0, tx));
            t.next_req = now_ms + p->cfg.retry_ms;
        }
    }
    return TX_OK;
}

tx_state tpc_part_state(const tpc_part *p, const char *tx)
{
    if (!p || !tx)
        return TX_UNKNOWN;
    auto it = p->txs.find(tx);
    return it == p->txs.end() ? TX_UNKNOWN : it->second.st;
}

void tpc_part_free(tpc_part *p)
{
    if (!p)
        return;
    txlog_close(p->n.log);
    delete p;
}
