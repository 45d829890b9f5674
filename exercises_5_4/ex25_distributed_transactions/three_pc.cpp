// three_pc.cpp — three-phase commit for crash-only faults: CanCommit, PreCommit, DoCommit, each
// state logged before it is announced. Participants that stop hearing from the coordinator run the
// termination protocol among themselves (the lowest live id decides), so they never block on it.
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
struct c3_tx {
    tx_state st = TX_WORKING;
    std::set<int> yes, preacked, acked;
    uint64_t deadline = 0, next_retry = 0;
    bool ended = false;
    bool recovered = false; // restarted after PRECOMMIT: survivors may have terminated without us
};
struct p3_tx {
    tx_state st = TX_UNKNOWN;
    bool recovering = false; // restarted while undecided: asks, never decides for others
    uint64_t last_heard = 0, next_req = 0;
    bool in_round = false, coord_replied = false;
    uint64_t round_end = 0;
    std::map<int, tx_state> replies;
};

struct tpc3_coord {
    tx_node n;
    tx_config cfg;
    std::map<std::string, c3_tx> txs;
};

struct tpc3_part {
    tx_node n;
    tx_config cfg;
    std::map<std::string, p3_tx> txs;
};

static int bad(tx_error *err, int code, const char *msg)
{
    if (err) {
        err->code = code;
        snprintf(err->msg, sizeof err->msg, "%s", msg);
    }
    return code;
}

static bool decided(tx_state s) { return s == TX_COMMITTED || s == TX_ABORTED; }
static tx_msg_type decision_msg(tx_state d) { return d == TX_COMMITTED ? TX_MSG_COMMIT : TX_MSG_ABORT; }

// ---- coordinator ----

static int c3_tell(tpc3_coord *c, const std::string &tx, c3_tx &t, uint64_t now)
{
    for (int p = 1; p <= c->cfg.participants; p++)
        if (!t.acked.count(p))
            TRY(tx_node_send(&c->n, decision_msg(t.st), p, tx));
    t.next_retry = now + c->cfg.retry_ms;
    return TX_OK;
}

static int c3_decide(tpc3_coord *c, const std::string &tx, c3_tx &t, tx_state d, uint64_t now)
{
    TRY(tx_node_log(&c->n, d == TX_COMMITTED ? "COMMIT" : "ABORT", tx));
    t.st = d;
    return c3_tell(c, tx, t, now);
}

static int c3_precommit(tpc3_coord *c, const std::string &tx, c3_tx &t, uint64_t now)
{
    for (int p = 1; p <= c->cfg.participants; p++)
        if (!t.preacked.count(p))
            TRY(tx_node_send(&c->n, TX_MSG_PRECOMMIT, p, tx));
    t.next_retry = now + c->cfg.retry_ms;
    return TX_OK;
}

int tpc3_coord_open(const char *log_path, const tx_config *cfg, const tx_io *io, uint64_t now_ms,
                    tpc3_coord **out, tx_error *err)
{
    if (!log_path || !cfg || !out || cfg->participants < 1)
        return bad(err, TX_ERR_ARG, "tpc3_coord_open: log path, config (participants >= 1) and out are required");
    *out = nullptr;
    tpc3_coord *c = new tpc3_coord;
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
        c3_tx &t = c->txs[tx];
        if (type == "START")
            t.st = TX_WORKING;
        else if (type == "PRECOMMIT")
            t.st = TX_PRECOMMITTED;
        else if (type == "COMMIT")
            t.st = TX_COMMITTED;
        else if (type == "ABORT")
            t.st = TX_ABORTED;
        else if (type == "END")
            t.ended = true;
    }
    // No PRECOMMIT on disk: nobody was ever told to pre-commit, so nobody can commit: abort.
    // PRECOMMIT on disk: the survivors may have decided either way; pre-commit again and commit
    // only once every participant acknowledged (one that aborted answers ABORTED instead).
    for (auto &[tx, t] : c->txs) {
        if (t.ended)
            continue;
        if (t.st == TX_WORKING)
            rc = c3_decide(c, tx, t, TX_ABORTED, now_ms);
        else if (t.st == TX_PRECOMMITTED) {
            t.recovered = true;
            rc = c3_precommit(c, tx, t, now_ms);
        } else
            rc = c3_tell(c, tx, t, now_ms);
        if (rc != TX_OK) {
            tpc3_coord_free(c);
            return rc;
        }
    }
    *out = c;
    return TX_OK;
}

int tpc3_coord_begin(tpc3_coord *c, const char *tx, uint64_t now_ms, tx_error *err)
{
    if (!c || !tx_id_ok(tx))
        return bad(err, TX_ERR_ARG, "tpc3_coord_begin: a transaction id is 1..32 chars of [A-Za-z0-9_.-]");
    if (c->txs.count(tx))
        return bad(err, TX_ERR_STATE, "tpc3_coord_begin: this transaction id was already used");
    c3_tx &t = c->txs[tx];
    t.deadline = now_ms + c->cfg.vote_timeout_ms;
    TRY(tx_node_log(&c->n, "START", tx));
    for (int p = 1; p <= c->cfg.participants; p++)
        TRY(tx_node_send(&c->n, TX_MSG_PREPARE, p, tx));
    return TX_OK;
}

int tpc3_coord_on_msg(tpc3_coord *c, const tx_msg *m, uint64_t now_ms)
{
    if (!c || !m || m->from < 1 || m->from > c->cfg.participants)
        return TX_ERR_ARG;
    std::string tx = m->tx;
    auto it = c->txs.find(tx);
    if (it == c->txs.end()) {
        if (m->type == TX_MSG_STATE_REQ)
            return tx_node_send(&c->n, TX_MSG_STATE_REPLY, m->from, tx, TX_ABORTED);
        return TX_OK;
    }
    c3_tx &t = it->second;
    switch (m->type) {
    case TX_MSG_VOTE_YES:
        if (t.st == TX_WORKING) {
            t.yes.insert(m->from);
            if ((int)t.yes.size() == c->cfg.participants) {
                TRY(tx_node_log(&c->n, "PRECOMMIT", tx));
                t.st = TX_PRECOMMITTED;
                t.deadline = now_ms + c->cfg.vote_timeout_ms;
                return c3_precommit(c, tx, t, now_ms);
            }
        }
        return TX_OK;
    case TX_MSG_VOTE_NO:
        if (t.st == TX_WORKING)
            return c3_decide(c, tx, t, TX_ABORTED, now_ms);
        return TX_OK;
    case TX_MSG_PRECOMMIT_ACK:
        if (t.st == TX_PRECOMMITTED) {
            t.preacked.insert(m->from);
            if ((int)t.preacked.size() == c->cfg.participants)
                return c3_decide(c, tx, t, TX_COMMITTED, now_ms);
        }
        return TX_OK;
    case TX_MSG_STATE_REPLY:
    case TX_MSG_COMMIT:
    case TX_MSG_ABORT: {
        // The survivors terminated while we were down: adopt their outcome.
        tx_state s = m->type == TX_MSG_STATE_REPLY ? m->state : m->type == TX_MSG_COMMIT ? TX_COMMITTED : TX_ABORTED;
        if (!decided(t.st) && decided(s))
            TRY(c3_decide(c, tx, t, s, now_ms));
        if (m->type != TX_MSG_STATE_REPLY && decided(t.st) && !t.ended)
            return tx_node_send(&c->n, TX_MSG_ACK, m->from, tx);
        return TX_OK;
    }
    case TX_MSG_ACK:
        if (decided(t.st) && !t.ended) {
            t.acked.insert(m->from);
            if ((int)t.acked.size() == c->cfg.participants) {
                TRY(tx_node_log(&c->n, "END", tx));
                t.ended = true;
            }
        }
        return TX_OK;
    case TX_MSG_STATE_REQ:
        return tx_node_send(&c->n, TX_MSG_STATE_REPLY, m->from, tx, t.st);
    default:
        return TX_OK;
    }
}

int tpc3_coord_tick(tpc3_coord *c, uint64_t now_ms)
{
    if (!c)
        return TX_ERR_ARG;
    for (auto &[tx, t] : c->txs) {
        if (t.st == TX_WORKING && now_ms >= t.deadline)
            TRY(c3_decide(c, tx, t, TX_ABORTED, now_ms));
        else if (t.st == TX_PRECOMMITTED && !t.recovered && now_ms >= t.deadline)
            // Never restarted: nobody ran a termination (we answered every state request), so a
            // participant that did not acknowledge crashed and will learn "commit" when it is back.
            TRY(c3_decide(c, tx, t, TX_COMMITTED, now_ms));
        else if (t.st == TX_PRECOMMITTED && t.recovered && now_ms >= t.next_retry)
            TRY(c3_precommit(c, tx, t, now_ms));
        else if (decided(t.st) && !t.ended && now_ms >= t.next_retry)
            TRY(c3_tell(c, tx, t, now_ms));
    }
    return TX_OK;
}

tx_state tpc3_coord_state(const tpc3_coord *c, const char *tx)
{
    if (!c || !tx)
        return TX_UNKNOWN;
    auto it = c->txs.find(tx);
    return it == c->txs.end() ? TX_UNKNOWN : it->second.st;
}

void tpc3_coord_free(tpc3_coord *c)
{
    if (!c)
        return;
    txlog_close(c->n.log);
    delete c;
}

// ---- participant ----

static const char *part_record(tx_state s)
{
    switch (s) {
    case TX_PREPARED: return "PREPARED";
    case TX_PRECOMMITTED: return "PRECOMMITTED";
    case TX_COMMITTED: return "COMMITTED";
    default: return "ABORTED";
    }
}

static int p3_set(tpc3_part *p, const std::string &tx, p3_tx &t, tx_state s)
{
    TRY(tx_node_log(&p->n, part_record(s), tx));
    t.st = s;
    if (decided(s))
        t.recovering = false;
    return TX_OK;
}

// A termination decision: durable first, then told to every other node.
static int p3_decide(tpc3_part *p, const std::string &tx, p3_tx &t, tx_state d)
{
    TRY(p3_set(p, tx, t, d));
    for (int q = 0; q <= p->cfg.participants; q++)
        if (q != p->n.id)
            TRY(tx_node_send(&p->n, decision_msg(d), q, tx));
    return TX_OK;
}

static int p3_ask_all(tpc3_part *p, const std::string &tx)
{
    for (int q = 0; q <= p->cfg.participants; q++)
        if (q != p->n.id)
            TRY(tx_node_send(&p->n, TX_MSG_STATE_REQ, q, tx));
    return TX_OK;
}

int tpc3_part_open(const char *log_path, int id, const tx_config *cfg, const tx_io *io, uint64_t now_ms,
                   tpc3_part **out, tx_error *err)
{
    if (!log_path || !cfg || !out || id < 1 || id > cfg->participants)
        return bad(err, TX_ERR_ARG, "tpc3_part_open: log path, config, out and an id in 1..participants are required");
    *out = nullptr;
    tpc3_part *p = new tpc3_part;
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
        p3_tx &t = p->txs[tx];
        if (type == "PREPARED")
            t.st = TX_PREPARED;
        else if (type == "PRECOMMITTED")
            t.st = TX_PRECOMMITTED;
        else if (type == "COMMITTED")
            t.st = TX_COMMITTED;
        else if (type == "ABORTED")
            t.st = TX_ABORTED;
    }
    for (auto &[tx, t] : p->txs) {
        if (decided(t.st))
            continue;
        // Back from a crash while undecided: the others may have terminated without us, so our
        // state no longer counts; learn the outcome from whoever knows it.
        t.recovering = true;
        rc = p3_ask_all(p, tx);
        if (rc != TX_OK) {
            tpc3_part_free(p);
            return rc;
        }
        t.next_req = now_ms + cfg->retry_ms;
    }
    *out = p;
    return TX_OK;
}

int tpc3_part_on_msg(tpc3_part *p, const tx_msg *m, uint64_t now_ms)
{
    if (!p || !m || m->from < 0 || m->from > p->cfg.participants || m->from == p->n.id || !tx_id_ok(m->tx))
        return TX_ERR_ARG;
    std::string tx = m->tx;
    p3_tx &t = p->txs[tx];
    if (m->from == 0)
        t.last_heard = now_ms;
    switch (m->type) {
    case TX_MSG_PREPARE:
        if (t.st == TX_UNKNOWN) {
            bool yes = !p->n.io.vote || p->n.io.vote(p->n.io.ctx, p->n.id, m->tx);
            TRY(p3_set(p, tx, t, yes ? TX_PREPARED : TX_ABORTED));
        }
        if (t.st == TX_PREPARED)
            return tx_node_send(&p->n, TX_MSG_VOTE_YES, 0, tx);
        if (t.st == TX_ABORTED)
            return tx_node_send(&p->n, TX_MSG_VOTE_NO, 0, tx);
        return TX_OK;
    case TX_MSG_PRECOMMIT:
        if (t.st == TX_PREPARED)
            TRY(p3_set(p, tx, t, TX_PRECOMMITTED));
        if (t.st == TX_PRECOMMITTED || t.st == TX_COMMITTED)
            return tx_node_send(&p->n, TX_MSG_PRECOMMIT_ACK, m->from, tx);
        if (t.st == TX_ABORTED) // refuse: whoever pre-commits must learn the abort
            return tx_node_send(&p->n, TX_MSG_STATE_REPLY, m->from, tx, TX_ABORTED);
        return TX_OK;
    case TX_MSG_COMMIT:
        if (t.st != TX_COMMITTED && t.st != TX_ABORTED)
            TRY(p3_set(p, tx, t, TX_COMMITTED));
        if (t.st == TX_COMMITTED)
            return tx_node_send(&p->n, TX_MSG_ACK, m->from, tx);
        return TX_OK;
    case TX_MSG_ABORT:
        if (t.st != TX_COMMITTED && t.st != TX_ABORTED)
            TRY(p3_set(p, tx, t, TX_ABORTED));
        if (t.st == TX_ABORTED)
            return tx_node_send(&p->n, TX_MSG_ACK, m->from, tx);
        return TX_OK;
    case TX_MSG_STATE_REQ:
        return tx_node_send(&p->n, TX_MSG_STATE_REPLY, m->from, tx, t.recovering ? TX_UNKNOWN : t.st);
    case TX_MSG_STATE_REPLY:
        if (!decided(t.st) && decided(m->state)) {
            // Someone knows the outcome: it is final. A round's initiator passes it on, so a
            // participant that never heard of tx learns it too.
            if (t.in_round) {
                t.in_round = false;
                return p3_decide(p, tx, t, m->state);
            }
            return p3_set(p, tx, t, m->state);
        }
        if (t.in_round) {
            if (m->from == 0)
                t.coord_replied = true;
            else
                t.replies[m->from] = m->state;
        }
        return TX_OK;
    default:
        return TX_OK;
    }
}

// The end of a termination round: the lowest live participant applies the rule to the states it
// collected (any COMMITTED: commit; any ABORTED: abort; any PRECOMMITTED: pre-commit the
// uncertain ones, commit once all are pre-committed; all uncertain: abort).
static int p3_end_round(tpc3_part *p, const std::string &tx, p3_tx &t, uint64_t now)
{
    t.in_round = false;
    t.last_heard = now;
    if (t.coord_replied)
        return TX_OK; // the coordinator is alive: it decides
    int lowest = p->n.id;
    bool any_commit = false, any_abort = false, any_pre = t.st == TX_PRECOMMITTED, all_pre = any_pre;
    std::vector<int> uncertain;
    for (auto &[q, s] : t.replies) {
        if (s == TX_UNKNOWN)
            continue; // never prepared, or recovering: not a voter in the termination
        if (q < lowest)
            lowest = q;
        any_commit |= s == TX_COMMITTED;
        any_abort |= s == TX_ABORTED;
        any_pre |= s == TX_PRECOMMITTED;
        all_pre &= s == TX_PRECOMMITTED;
        if (s == TX_PREPARED)
            uncertain.push_back(q);
    }
    if (lowest != p->n.id)
        return TX_OK; // a lower live participant is the backup coordinator
    if (any_commit)
        return p3_decide(p, tx, t, TX_COMMITTED);
    if (any_abort)
        return p3_decide(p, tx, t, TX_ABORTED);
    if (!any_pre)
        return p3_decide(p, tx, t, TX_ABORTED);
    if (all_pre)
        return p3_decide(p, tx, t, TX_COMMITTED);
    if (t.st == TX_PREPARED)
        TRY(p3_set(p, tx, t, TX_PRECOMMITTED));
    for (int q : uncertain)
        TRY(tx_node_send(&p->n, TX_MSG_PRECOMMIT, q, tx));
    // check again at once: the next round commits
    t.last_heard = now >= p->cfg.term_timeout_ms ? now - p->cfg.term_timeout_ms : 0;
    return TX_OK;
}

int tpc3_part_tick(tpc3_part *p, uint64_t now_ms)
{
    if (!p)
        return TX_ERR_ARG;
    for (auto &[tx, t] : p->txs) {
        if (decided(t.st) || t.st == TX_UNKNOWN)
            continue;
        if (t.recovering) {
            if (now_ms >= t.next_req) {
                TRY(p3_ask_all(p, tx));
                t.next_req = now_ms + p->cfg.retry_ms;
            }
        } else if (t.in_round) {
            if (now_ms >= t.round_end)
                TRY(p3_end_round(p, tx, t, now_ms));
        } else if (now_ms - t.last_heard >= p->cfg.term_timeout_ms) {
            t.in_round = true;
            t.coord_replied = false;
            t.replies.clear();
            t.round_end = now_ms + p->cfg.retry_ms;
            TRY(p3_ask_all(p, tx));
        }
    }
    return TX_OK;
}

tx_state tpc3_part_state(const tpc3_part *p, const char *tx)
{
    if (!p || !tx)
        return TX_UNKNOWN;
    auto it = p->txs.find(tx);
    return it == p->txs.end() ? TX_UNKNOWN : it->second.st;
}

void tpc3_part_free(tpc3_part *p)
{
    if (!p)
        return;
    txlog_close(p->n.log);
    delete p;
}

size_t tpc3_known_limitations(const char *const **out)
{
    static const char *const lim[] = {
        "Network partitions cause inconsistency",
        "Higher message complexity than 2PC",
        "Not partition-tolerant",
    };
    if (out)
        *out = lim;
    return 3;
}
