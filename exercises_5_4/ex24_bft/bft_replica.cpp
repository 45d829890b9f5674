// bft_replica.cpp — a PBFT replica as a pure state machine: the normal case (pre-prepare, prepare,
// commit, in-order execution) and the view change (VIEW_CHANGE with prepared certificates, NEW_VIEW
// checked by recomputing its pre-prepares). No clock, no I/O: inputs in, outputs appended.
#include "bft.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

typedef std::array<uint8_t, BFT_DIGEST_LEN> Digest;

static Digest digest_of(const uint8_t *p)
{
    Digest d;
    memcpy(d.data(), p, BFT_DIGEST_LEN);
    return d;
}

struct Slot { // one sequence number in the current view
    bool have_pp = false;
    BftMsg pp;
    bool prepared = false, committed = false;
};

struct Votes { // one sequence number in the current view, per digest
    std::map<Digest, std::map<uint32_t, BftMsg>> prepares; // kept whole: they become certificates
    std::map<Digest, std::set<uint32_t>> commits;
};

struct BftReplica {
    BftConfig cfg;
    uint32_t f = 0, q = 0;
    uint64_t view = 0;
    bool in_vc = false;
    bool timer_on = false;
    bool restart_timer = false; // set by an input that executed something or entered a view
    unsigned backoff = 0;       // view changes started since the last execution (capped)
    uint64_t last_exec = 0;
    uint64_t next_seq = 1;      // as primary
    std::map<uint64_t, Slot> slots;
    std::map<uint64_t, Votes> votes;
    std::map<uint64_t, std::vector<BftMsg>> best_cert; // seq -> pre-prepare + prepares, highest view
    std::map<Digest, BftRequest> pending;              // known, not executed
    std::vector<Digest> pending_order;                 // arrival order, for the primary
    std::set<Digest> executed;
    std::set<Digest> assigned;                         // have a pre-prepare in the current view
    std::map<uint64_t, std::map<uint32_t, BftMsg>> vcs; // view -> author -> VIEW_CHANGE
    std::vector<BftMsg> future;                        // normal-case messages of later views
    std::map<uint64_t, BftMsg> sent_vc;                // view -> the VIEW_CHANGE it sent for it
    std::map<uint64_t, BftMsg> sent_nv;                // view -> the NEW_VIEW it sent as primary
    std::set<std::pair<uint32_t, uint64_t>> answered;  // (replica, view) answered since the last timer
};

static const uint8_t *own_key(const BftReplica *r) { return r->cfg.keys[r->cfg.id].data(); }
static uint32_t primary(const BftReplica *r, uint64_t v) { return bft_primary_of(v, r->cfg.n); }
static bool is_null(const BftRequest *q) { return q->client_id == 0; }

static void send_all(BftReplica *r, const BftMsg &m, BftOutputs *out)
{
    for (uint32_t t = 0; t < r->cfg.n; t++) {
        if (t == r->cfg.id) continue;
        BftOutput o{};
        o.kind = BFT_OUT_SEND;
        o.target = t;
        o.msg = m;
        out->push_back(o);
    }
}

static BftMsg make_msg(BftReplica *r, BftMsgType type, uint64_t view, uint64_t seq, const uint8_t *digest)
{
    BftMsg m{};
    m.type = type;
    m.view = view;
    m.seq = seq;
    m.replica = r->cfg.id;
    if (digest) memcpy(m.digest, digest, BFT_DIGEST_LEN);
    return m;
}

static void set_timer(BftReplica *r, BftOutputs *out)
{
    BftOutput o{};
    o.kind = BFT_OUT_SET_TIMER;
    o.delay_ms = r->cfg.view_change_timeout_ms << r->backoff;
    out->push_back(o);
    r->timer_on = true;
}

static void add_pending(BftReplica *r, const BftRequest *req, const Digest &d)
{
    if (is_null(req) || r->executed.count(d) || r->pending.count(d)) return;
    r->pending[d] = *req;
    r->pending_order.push_back(d);
}

static void try_execute(BftReplica *r, BftOutputs *out)
{
    for (;;) {
        auto it = r->slots.find(r->last_exec + 1);
        if (it == r->slots.end() || !it->second.committed) return;
        const BftMsg &pp = it->second.pp;
        r->last_exec++;
        BftOutput o{};
        o.kind = BFT_OUT_EXECUTE;
        o.seq = r->last_exec;
        o.request = pp.request;
        out->push_back(o);
        Digest d = digest_of(pp.digest);
        if (!is_null(&pp.request)) r->executed.insert(d);
        r->pending.erase(d);
        r->backoff = 0;
        r->restart_timer = true;
    }
}

// Moves slot `seq` forward: prepared once q-1 backups agree with its pre-prepare (the pre-prepare
// is the primary's vote), committed-local once q replicas sent a matching COMMIT.
static void check_slot(BftReplica *r, uint64_t seq, BftOutputs *out)
{
    auto it = r->slots.find(seq);
    if (it == r->slots.end() || !it->second.have_pp) return;
    Slot &s = it->second;
    Digest d = digest_of(s.pp.digest);
    Votes &v = r->votes[seq];
    if (!s.prepared) {
        const std::map<uint32_t, BftMsg> &ps = v.prepares[d];
        if (ps.size() + 1 < r->q) return;
        s.prepared = true;
        std::vector<BftMsg> cert{s.pp};
        for (const auto &p : ps) {
            if (cert.size() == r->q) break;
            cert.push_back(p.second);
        }
        r->best_cert[seq] = cert;
        BftMsg c = make_msg(r, BFT_COMMIT, r->view, seq, s.pp.digest);
        bft_sign(&c, own_key(r));
        send_all(r, c, out);
        v.commits[d].insert(r->cfg.id);
    }
    if (!s.committed && v.commits[d].size() >= r->q) {
        s.committed = true;
        try_execute(r, out);
    }
}

static bool in_window(const BftReplica *r, uint64_t seq)
{
    return seq >= 1 && seq <= r->last_exec + BFT_WINDOW;
}

static void accept_pre_prepare(BftReplica *r, const BftMsg &pp, BftOutputs *out)
{
    Slot &s = r->slots[pp.seq];
    s.have_pp = true;
    s.pp = pp;
    Digest d = digest_of(pp.digest);
    if (!is_null(&pp.request)) r->assigned.insert(d);
    add_pending(r, &pp.request, d);
    if (primary(r, r->view) != r->cfg.id) {
        BftMsg p = make_msg(r, BFT_PREPARE, r->view, pp.seq, pp.digest);
        bft_sign(&p, own_key(r));
        send_all(r, p, out);
        r->votes[pp.seq].prepares[d].emplace(r->cfg.id, p);
    }
    check_slot(r, pp.seq, out);
}

// A PRE_PREPARE, PREPARE or COMMIT of the current view, already authenticated.
static void handle_normal(BftReplica *r, const BftMsg &m, BftOutputs *out)
{
    if (!in_window(r, m.seq)) return;
    Digest d = digest_of(m.digest);
    if (m.type == BFT_PRE_PREPARE) {
        if (primary(r, m.view) == r->cfg.id) return;
        if (r->slots[m.seq].have_pp) return; // a duplicate, or the primary equivocating: first one wins
        accept_pre_prepare(r, m, out);
    } else if (m.type == BFT_PREPARE) {
        r->votes[m.seq].prepares[d].emplace(m.replica, m);
        check_slot(r, m.seq, out);
    } else {
        r->votes[m.seq].commits[d].insert(m.replica);
        check_slot(r, m.seq, out);
    }
}

// The primary proposes what it knows and has not proposed in this view, within the window.
static void assign_pending(BftReplica *r, BftOutputs *out)
{
    if (r->in_vc || primary(r, r->view) != r->cfg.id) return;
    std::vector<Digest> keep;
    for (const Digest &d : r->pending_order) {
        auto it = r->pending.find(d);
        if (it == r->pending.end()) continue; // executed meanwhile
        keep.push_back(d);
        if (r->assigned.count(d) || r->next_seq > r->last_exec + BFT_WINDOW) continue;
        BftMsg pp = make_msg(r, BFT_PRE_PREPARE, r->view, r->next_seq++, nullptr);
        pp.request = it->second;
        bft_sign(&pp, own_key(r));
        r->slots[pp.seq].have_pp = true;
        r->slots[pp.seq].pp = pp;
        r->assigned.insert(d);
        send_all(r, pp, out);
        check_slot(r, pp.seq, out);
    }
    r->pending_order = keep;
}

// After every input: the primary proposes, and the timer runs exactly while requests wait.
static void finish(BftReplica *r, BftOutputs *out)
{
    assign_pending(r, out);
    if (!r->in_vc) {
        if (r->pending.empty()) {
            if (r->timer_on) {
                BftOutput o{};
                o.kind = BFT_OUT_CANCEL_TIMER;
                out->push_back(o);
                r->timer_on = false;
            }
        } else if (!r->timer_on || r->restart_timer) {
            set_timer(r, out);
        }
    }
    r->restart_timer = false;
}

// ---- view change ----

// A VIEW_CHANGE is valid when its author's MAC holds and every certificate is a pre-prepare of the
// primary of an earlier view followed by q-1 matching prepares of distinct backups, one per seq.
static bool valid_view_change(const BftReplica *r, const BftMsg &m)
{
    uint32_t n = r->cfg.n;
    if (m.type != BFT_VIEW_CHANGE || m.replica >= n || !bft_verify(&m, r->cfg.keys[m.replica].data())) return false;
    size_t i = 0;
    uint64_t last_seq = 0;
    while (i < m.certs.size()) {
        const BftMsg &pp = m.certs[i++];
        uint64_t cv = pp.view;
        if (pp.type != BFT_PRE_PREPARE || cv >= m.view || pp.replica != primary(r, cv) || pp.seq <= last_seq ||
            !bft_verify(&pp, r->cfg.keys[pp.replica].data()))
            return false;
        std::set<uint32_t> who;
        while (i < m.certs.size() && m.certs[i].type == BFT_PREPARE) {
            const BftMsg &p = m.certs[i++];
            if (p.view != cv || p.seq != pp.seq || memcmp(p.digest, pp.digest, BFT_DIGEST_LEN) != 0 || p.replica >= n ||
                p.replica == pp.replica || !who.insert(p.replica).second || !bft_verify(&p, r->cfg.keys[p.replica].data()))
                return false;
        }
        if (who.size() + 1 < r->q) return false;
        last_seq = pp.seq;
    }
    return true;
}

// The requests of the new view's pre-prepares, seq 1..max: for each seq the request of the
// certificate of the highest view among the VIEW_CHANGEs (the first such one in their order), else
// the null request.
static std::vector<BftRequest> new_view_requests(const std::vector<BftMsg> &vcs)
{
    std::map<uint64_t, const BftMsg *> best;
    for (const BftMsg &vc : vcs)
        for (const BftMsg &c : vc.certs) {
            if (c.type != BFT_PRE_PREPARE) continue;
            auto it = best.find(c.seq);
            if (it == best.end() || c.view > it->second->view) best[c.seq] = &c;
        }
    std::vector<BftRequest> reqs;
    uint64_t max_s = best.empty() ? 0 : best.rbegin()->first;
    for (uint64_t s = 1; s <= max_s; s++) {
        auto it = best.find(s);
        reqs.push_back(it == best.end() ? BftRequest{0, 0, ""} : it->second->request);
    }
    return reqs;
}

static void enter_view(BftReplica *r, uint64_t v, const std::vector<BftMsg> &pps, BftOutputs *out)
{
    r->view = v;
    r->in_vc = false;
    r->slots.clear();
    r->votes.clear();
    r->assigned.clear();
    r->vcs.erase(r->vcs.begin(), r->vcs.upper_bound(v));
    r->restart_timer = true;
    r->next_seq = pps.size() + 1;
    for (const BftMsg &pp : pps) accept_pre_prepare(r, pp, out);
    // Messages of this view that arrived before its NEW_VIEW, in arrival order.
    std::vector<BftMsg> now, later;
    for (BftMsg &m : r->future) {
        if (m.view == v) now.push_back(m);
        else if (m.view > v) later.push_back(m);
    }
    r->future = later;
    for (const BftMsg &m : now) handle_normal(r, m, out);
}

static void maybe_send_new_view(BftReplica *r, BftOutputs *out)
{
    uint64_t v = r->view;
    if (!r->in_vc || primary(r, v) != r->cfg.id) return;
    const std::map<uint32_t, BftMsg> &got = r->vcs[v];
    if (got.size() < r->q || !got.count(r->cfg.id)) return;
    BftMsg nv = make_msg(r, BFT_NEW_VIEW, v, 0, nullptr);
    nv.view_changes.push_back(got.at(r->cfg.id));
    for (const auto &e : got) {
        if (nv.view_changes.size() == r->q) break;
        if (e.first != r->cfg.id) nv.view_changes.push_back(e.second);
    }
    std::sort(nv.view_changes.begin(), nv.view_changes.end(),
              [](const BftMsg &a, const BftMsg &b) { return a.replica < b.replica; });
    std::vector<BftRequest> reqs = new_view_requests(nv.view_changes);
    for (size_t i = 0; i < reqs.size(); i++) {
        BftMsg pp = make_msg(r, BFT_PRE_PREPARE, v, i + 1, nullptr);
        pp.request = reqs[i];
        bft_sign(&pp, own_key(r));
        nv.pre_prepares.push_back(pp);
    }
    bft_sign(&nv, own_key(r));
    r->sent_nv[v] = nv;
    send_all(r, nv, out);
    enter_view(r, v, nv.pre_prepares, out);
}

static void start_view_change(BftReplica *r, uint64_t v, BftOutputs *out)
{
    r->view = v;
    r->in_vc = true;
    if (r->backoff < BFT_MAX_BACKOFF) r->backoff++;
    BftMsg vc = make_msg(r, BFT_VIEW_CHANGE, v, 0, nullptr);
    for (const auto &c : r->best_cert) vc.certs.insert(vc.certs.end(), c.second.begin(), c.second.end());
    bft_sign(&vc, own_key(r));
    r->vcs[v][r->cfg.id] = vc;
    r->sent_vc[v] = vc;
    send_all(r, vc, out);
    set_timer(r, out);
    maybe_send_new_view(r, out);
}

static void send_to(uint32_t target, const BftMsg &m, BftOutputs *out)
{
    BftOutput o{};
    o.kind = BFT_OUT_SEND;
    o.target = target;
    o.msg = m;
    out->push_back(o);
}

static void handle_view_change(BftReplica *r, const BftMsg &m, BftOutputs *out)
{
    if (!valid_view_change(r, m)) return;
    if (m.view < r->view || (m.view == r->view && !r->in_vc)) {
        // The sender is behind: it may have missed what this replica said about that view. Old
        // genuine messages are safe to repeat (the protocol survives any replay). Once per timer
        // period: two replicas both past that view would otherwise answer each other forever.
        if (!r->answered.insert({m.replica, m.view}).second) return;
        auto nv = r->sent_nv.find(m.view);
        if (nv != r->sent_nv.end()) send_to(m.replica, nv->second, out);
        auto vc = r->sent_vc.find(m.view);
        if (vc != r->sent_vc.end()) send_to(m.replica, vc->second, out);
        return;
    }
    r->vcs[m.view].emplace(m.replica, m);
    // f+1 replicas want a later view: at least one is honest, so follow to the smallest of them.
    uint64_t smallest = UINT64_MAX;
    uint32_t ahead = 0;
    std::map<uint32_t, uint64_t> first_ahead;
    for (const auto &e : r->vcs) {
        if (e.first <= r->view) continue;
        for (const auto &w : e.second)
            if (w.first != r->cfg.id && !first_ahead.count(w.first)) first_ahead[w.first] = e.first;
    }
    for (const auto &a : first_ahead) {
        ahead++;
        smallest = std::min(smallest, a.second);
    }
    if (ahead >= r->f + 1) start_view_change(r, smallest, out);
    else maybe_send_new_view(r, out);
}

static void handle_new_view(BftReplica *r, const BftMsg &m, BftOutputs *out)
{
    if (m.view < r->view || (m.view == r->view && !r->in_vc)) return;
    if (m.replica != primary(r, m.view) || !bft_verify(&m, r->cfg.keys[m.replica].data())) return;
    std::set<uint32_t> who;
    for (const BftMsg &vc : m.view_changes)
        if (vc.view != m.view || !who.insert(vc.replica).second || !valid_view_change(r, vc)) return;
    if (who.size() < r->q) return;
    // The pre-prepares must be exactly what the VIEW_CHANGEs imply: a primary cannot drop or
    // replace a prepared request.
    std::vector<BftRequest> reqs = new_view_requests(m.view_changes);
    if (reqs.size() != m.pre_prepares.size()) return;
    for (size_t i = 0; i < reqs.size(); i++) {
        const BftMsg &pp = m.pre_prepares[i];
        uint8_t want[BFT_DIGEST_LEN];
        bft_request_digest(&reqs[i], want);
        if (pp.type != BFT_PRE_PREPARE || pp.view != m.view || pp.seq != i + 1 || pp.replica != m.replica ||
            memcmp(pp.digest, want, BFT_DIGEST_LEN) != 0 || !bft_verify(&pp, r->cfg.keys[pp.replica].data()))
            return;
    }
    enter_view(r, m.view, m.pre_prepares, out);
}

// ---- the API ----

static void set_err(char *err, size_t len, const char *msg)
{
    if (err && len > 0) snprintf(err, len, "%s", msg);
}

BftReplica *bft_new(const BftConfig *cfg, char *err, size_t err_len)
{
    if (!cfg) return set_err(err, err_len, "no config"), nullptr;
    if (cfg->n == 0 || cfg->n > BFT_MAX_NODES)
        return set_err(err, err_len, "n must be in 1..64 (BFT_MAX_NODES)"), nullptr;
    if (cfg->id >= cfg->n) return set_err(err, err_len, "id must be below n"), nullptr;
    if (cfg->keys.size() != cfg->n) return set_err(err, err_len, "keys must hold one key per replica (n keys)"), nullptr;
    if (cfg->view_change_timeout_ms == 0 || cfg->view_change_timeout_ms > (UINT64_MAX >> BFT_MAX_BACKOFF))
        return set_err(err, err_len, "view_change_timeout_ms must be in 1..UINT64_MAX >> BFT_MAX_BACKOFF"), nullptr;
    BftReplica *r = new BftReplica;
    r->cfg = *cfg;
    r->f = bft_max_faults_for_nodes(cfg->n);
    r->q = bft_quorum_size(cfg->n);
    return r;
}

void bft_free(BftReplica *r) { delete r; }

void bft_on_request(BftReplica *r, const BftRequest *req, BftOutputs *out)
{
    if (is_null(req)) return;
    uint8_t d[BFT_DIGEST_LEN];
    bft_request_digest(req, d);
    add_pending(r, req, digest_of(d));
    finish(r, out);
}

void bft_on_message(BftReplica *r, const BftMsg *m, BftOutputs *out)
{
    // Only the MAC says who wrote a message: the author must be another replica of the cluster.
    if (m->replica >= r->cfg.n || m->replica == r->cfg.id) return;
    uint32_t from = m->replica;
    if (m->type == BFT_VIEW_CHANGE) handle_view_change(r, *m, out);
    else if (m->type == BFT_NEW_VIEW) handle_new_view(r, *m, out);
    else if (m->type == BFT_PRE_PREPARE || m->type == BFT_PREPARE || m->type == BFT_COMMIT) {
        if (!bft_verify(m, r->cfg.keys[from].data())) return;
        // A pre-prepare comes from the primary of its view, a prepare from a backup.
        if (m->type == BFT_PRE_PREPARE && from != primary(r, m->view)) return;
        if (m->type == BFT_PREPARE && from == primary(r, m->view)) return;
        if (m->view < r->view) return;
        if (m->view > r->view || r->in_vc) r->future.push_back(*m);
        else handle_normal(r, *m, out);
    }
    finish(r, out);
}

void bft_on_timer(BftReplica *r, BftOutputs *out)
{
    r->timer_on = false;
    r->answered.clear();
    if (r->in_vc && r->vcs[r->view].size() < r->q) {
        // Alone in asking for this view: escalating would leave this replica views ahead of the
        // others; its VIEW_CHANGE may have been lost, so say it again and wait as long again.
        send_all(r, r->vcs[r->view][r->cfg.id], out);
        set_timer(r, out);
    } else if (r->in_vc || !r->pending.empty()) {
        start_view_change(r, r->view + 1, out);
    }
    finish(r, out);
}

uint64_t bft_view(const BftReplica *r) { return r->view; }
bool bft_in_view_change(const BftReplica *r) { return r->in_vc; }
bool bft_is_primary(const BftReplica *r) { return r->cfg.id == primary(r, r->view); }
uint64_t bft_last_executed(const BftReplica *r) { return r->last_exec; }
uint32_t bft_replica_count(const BftReplica *r) { return r->cfg.n; }
uint32_t bft_replica_faults(const BftReplica *r) { return r->f; }
