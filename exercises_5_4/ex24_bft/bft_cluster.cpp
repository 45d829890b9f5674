// bft_cluster.cpp — drives PBFT replicas through nl_sim with f Byzantine replicas and checks
// agreement, execution order, liveness after GST and the replacement of a faulty primary. Messages
// travel as a tag and an index into an arena (a message never changes once sent). Node n of the
// simulator is the client. The Byzantine replicas run an honest replica inside and distort what it
// sends; they only ever use their own key (the key table stands for public keys).
#include "bft_cluster.h"

#include "bft.h"
#include "nl_sim.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace {
enum Timer { T_VIEW = 1, T_REPLAY = 2, T_RETRY = 3 };
typedef std::array<uint8_t, BFT_DIGEST_LEN> Digest;

struct Packet {
    char tag; // 'Q' request (index into requests), 'M' message (index into arena)
    uint64_t idx;
};

struct Cluster {
    uint64_t seed;
    BftClusterParams p;
    BftClusterOptions o;
    BftClusterReport *rep;
    nl_sim *sim = nullptr;
    nl_rng rng; // the harness's own stream (faults, Byzantine choices)
    int n = 0, f = 0, q = 0;
    std::vector<std::array<uint8_t, BFT_KEY_LEN>> keys;
    std::vector<BftReplica *> reps;
    std::vector<bool> byz;
    std::vector<BftMsg> arena;
    std::vector<BftRequest> requests; // what the client sent, in order
    std::vector<Digest> req_digest;
    std::vector<std::set<int>> executed_by; // per request: honest replicas that executed it
    std::vector<uint64_t> last_seq;          // per replica: last seq it executed
    std::map<uint64_t, Digest> agreed;       // seq -> first digest an honest replica executed there
    std::map<uint64_t, uint64_t> first_exec_req; // seq -> request index + 1 (0: null)
    std::vector<std::vector<uint64_t>> seen;    // Byzantine replicas: arena indices they received
    std::map<std::pair<uint64_t, uint64_t>, std::vector<Digest>> collusion; // (view, seq) -> digests
    int sent_requests = 0;
    bool gst = false;
};

void note(Cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void note(Cluster *c, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    nl_sim_note(c->sim, "%s", buf);
    if (c->o.timeline && !c->o.verbose) fprintf(c->o.timeline, "[%7" PRIu64 " ms] %s\n", nl_sim_now(c->sim), buf);
}

void violation(Cluster *c, BftProperty prop, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void violation(Cluster *c, BftProperty prop, const char *fmt, ...)
{
    if (c->rep->violated[prop]) return; // the first one tells the story
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->rep->violated[prop] = true;
    char head[700];
    snprintf(head, sizeof head, "at %" PRIu64 " ms: %s", nl_sim_now(c->sim), buf);
    c->rep->first_violation[prop] = head;
    nl_sim_note(c->sim, "VIOLATION of %s: %s", bft_property_name(prop), buf);
    char *text = nullptr;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        nl_sim_trace_print(c->sim, mem, 0);
        fclose(mem);
        c->rep->trace[prop].assign(text, len);
        free(text);
    }
    if (c->o.timeline)
        fprintf(c->o.timeline, "[%7" PRIu64 " ms] VIOLATION of %s: %s\n", nl_sim_now(c->sim), bft_property_name(prop), buf);
}

Digest digest_of(const uint8_t *p)
{
    Digest d;
    memcpy(d.data(), p, BFT_DIGEST_LEN);
    return d;
}

std::string req_name(const Cluster *c, const BftRequest &r)
{
    if (r.client_id == 0) return "null";
    (void)c;
    return "'" + r.operation + "'";
}

void send_msg(Cluster *c, int from, int to, const BftMsg &m)
{
    Packet pk{'M', c->arena.size()};
    c->arena.push_back(m);
    c->rep->messages++;
    nl_sim_send(c->sim, from, to, &pk, sizeof pk);
}

void sign_as_byz(Cluster *c, int byz, BftMsg *m) { bft_sign(m, c->keys[byz].data()); }

// A message that claims to come from `victim` but carries a MAC made with the Byzantine key.
BftMsg forged(Cluster *c, int byz, BftMsg m, int victim)
{
    m.replica = (uint32_t)victim;
    bft_sign(&m, c->keys[byz].data());
    return m;
}

// Another genuine request than `d` (the Byzantine replicas never invent requests), else null.
BftRequest other_request(Cluster *c, const uint8_t *d, uint64_t salt)
{
    int k = c->sent_requests;
    for (int i = 0; i < k; i++) {
        int j = (int)((salt + i) % k);
        if (memcmp(c->req_digest[j].data(), d, BFT_DIGEST_LEN) != 0) return c->requests[j];
    }
    return BftRequest{0, 0, ""};
}

void check_execute(Cluster *c, int node, const BftOutput &o)
{
    c->rep->executions++;
    if (o.seq != c->last_seq[node] + 1)
        violation(c, BFT_PROP_ORDER, "replica %d executed seq %" PRIu64 " after seq %" PRIu64
                  " (each seq once, in order)", node, o.seq, c->last_seq[node]);
    c->last_seq[node] = o.seq;
    uint8_t d[BFT_DIGEST_LEN];
    bft_request_digest(&o.request, d);
    auto it = c->agreed.find(o.seq);
    if (it == c->agreed.end()) {
        c->agreed[o.seq] = digest_of(d);
        note(c, "replica %d executes seq %" PRIu64 ": %s (first)", node, o.seq, req_name(c, o.request).c_str());
    } else if (memcmp(it->second.data(), d, BFT_DIGEST_LEN) != 0) {
        violation(c, BFT_PROP_AGREEMENT, "replica %d executed %s at seq %" PRIu64
                  " where another honest replica executed a different request", node,
                  req_name(c, o.request).c_str(), o.seq);
    }
    for (int i = 0; i < c->sent_requests; i++)
        if (memcmp(c->req_digest[i].data(), d, BFT_DIGEST_LEN) == 0) c->executed_by[i].insert(node);
}

void emit_byz(Cluster *c, int node, BftOutputs &out);

void emit(Cluster *c, int node, BftOutputs &out)
{
    if (c->byz[node]) return emit_byz(c, node, out);
    for (const BftOutput &o : out) {
        switch (o.kind) {
        case BFT_OUT_SEND: send_msg(c, node, (int)o.target, o.msg); break;
        case BFT_OUT_EXECUTE: check_execute(c, node, o); break;
        case BFT_OUT_SET_TIMER: nl_sim_set_timer(c->sim, node, T_VIEW, o.delay_ms); break;
        case BFT_OUT_CANCEL_TIMER: nl_sim_cancel_timer(c->sim, node, T_VIEW); break;
        }
        if (o.kind == BFT_OUT_SEND && o.msg.type == BFT_VIEW_CHANGE && o.target == (node == 0 ? 1u : 0u)) {
            c->rep->view_changes++;
            note(c, "replica %d asks for view %" PRIu64, node, o.msg.view);
        }
        if (o.kind == BFT_OUT_SEND && o.msg.type == BFT_NEW_VIEW && o.target == (node == 0 ? 1u : 0u))
            note(c, "replica %d (primary) starts view %" PRIu64 " with %zu pre-prepares", node, o.msg.view,
                 o.msg.pre_prepares.size());
    }
    out.clear();
}

// ---- the Byzantine replicas ----

void byz_pre_prepare(Cluster *c, int node, BftBehavior b, const BftOutput &o)
{
    const BftMsg &m = o.msg;
    int t = (int)o.target;
    BftMsg alt = m;
    alt.request = other_request(c, m.digest, m.seq);
    sign_as_byz(c, node, &alt);
    if (b == BYZ_LIE) {
        // X to the lowest honest target, Y to the next, nothing to the rest: nobody can prepare.
        int honest_rank = 0;
        for (int k = 0; k < t; k++) honest_rank += k != node && !c->byz[k];
        if (c->byz[t] || honest_rank == 0) send_msg(c, node, t, m);
        else if (honest_rank == 1) send_msg(c, node, t, alt);
        return;
    }
    // EQUIVOCATE and FORGE: odd targets get Y.
    const BftMsg &sent = (t % 2) ? alt : m;
    send_msg(c, node, t, sent);
    auto &col = c->collusion[{m.view, m.seq}];
    if (col.empty()) {
        col.push_back(digest_of(m.digest));
        col.push_back(digest_of(alt.digest));
    }
    if (b == BYZ_FORGE) {
        // Back that side with forged PREPAREs and COMMITs of every other replica (spoofed source).
        for (int j = 0; j < c->n; j++) {
            if (j == node || j == t) continue;
            BftMsg p{};
            p.type = BFT_PREPARE;
            p.view = m.view;
            p.seq = m.seq;
            memcpy(p.digest, sent.digest, BFT_DIGEST_LEN);
            send_msg(c, j, t, forged(c, node, p, j));
            p.type = BFT_COMMIT;
            send_msg(c, j, t, forged(c, node, p, j));
        }
    }
}

void emit_byz(Cluster *c, int node, BftOutputs &out)
{
    BftBehavior b = c->p.behavior[node];
    for (const BftOutput &o : out) {
        if (o.kind == BFT_OUT_SET_TIMER) nl_sim_set_timer(c->sim, node, T_VIEW, o.delay_ms);
        if (o.kind == BFT_OUT_CANCEL_TIMER) nl_sim_cancel_timer(c->sim, node, T_VIEW);
        if (o.kind != BFT_OUT_SEND || b == BYZ_SILENT) continue;
        const BftMsg &m = o.msg;
        int t = (int)o.target;
        if (m.type == BFT_PRE_PREPARE && b != BYZ_REPLAY) {
            byz_pre_prepare(c, node, b, o);
            continue;
        }
        if (m.type == BFT_NEW_VIEW && b == BYZ_LIE) {
            // Replace the request of the last pre-prepare (or add one): honest replicas must notice.
            BftMsg nv = m;
            if (nv.pre_prepares.empty()) {
                BftMsg pp{};
                pp.type = BFT_PRE_PREPARE;
                pp.view = nv.view;
                pp.seq = 1;
                pp.replica = (uint32_t)node;
                nv.pre_prepares.push_back(pp);
            }
            BftMsg &last = nv.pre_prepares.back();
            last.request = other_request(c, last.digest, last.seq + (uint64_t)t);
            sign_as_byz(c, node, &last);
            sign_as_byz(c, node, &nv);
            send_msg(c, node, t, nv);
            continue;
        }
        if (m.type == BFT_VIEW_CHANGE && b == BYZ_FORGE && c->sent_requests > 0) {
            // A certificate nobody signed: the primary of the previous view "pre-prepared" another
            // request at the highest seq, with "prepares" from every backup.
            BftMsg vc = m;
            uint64_t cv = vc.view - 1, seq = 1;
            for (const BftMsg &e : vc.certs) if (e.type == BFT_PRE_PREPARE) seq = e.seq;
            while (!vc.certs.empty() && vc.certs.back().seq == seq && seq > 0) {
                bool was_pp = vc.certs.back().type == BFT_PRE_PREPARE;
                vc.certs.pop_back();
                if (was_pp) break;
            }
            BftMsg pp{};
            pp.type = BFT_PRE_PREPARE;
            pp.view = cv;
            pp.seq = seq;
            uint8_t none[BFT_DIGEST_LEN] = {0};
            pp.request = other_request(c, none, seq + 1);
            int prim = (int)bft_primary_of(cv, (uint32_t)c->n);
            vc.certs.push_back(forged(c, node, pp, prim));
            uint8_t d[BFT_DIGEST_LEN];
            bft_request_digest(&pp.request, d);
            for (int j = 0; j < c->n; j++) {
                if (j == prim) continue;
                BftMsg p{};
                p.type = BFT_PREPARE;
                p.view = cv;
                p.seq = seq;
                memcpy(p.digest, d, BFT_DIGEST_LEN);
                vc.certs.push_back(forged(c, node, p, j));
            }
            sign_as_byz(c, node, &vc);
            send_msg(c, node, t, vc);
            continue;
        }
        send_msg(c, node, t, m);
        if ((m.type == BFT_PREPARE || m.type == BFT_COMMIT) && (b == BYZ_EQUIVOCATE || b == BYZ_FORGE)) {
            // Vote for every side the colluding primary created.
            auto it = c->collusion.find({m.view, m.seq});
            if (it != c->collusion.end())
                for (const Digest &d : it->second) {
                    if (memcmp(d.data(), m.digest, BFT_DIGEST_LEN) == 0) continue;
                    BftMsg v = m;
                    memcpy(v.digest, d.data(), BFT_DIGEST_LEN);
                    sign_as_byz(c, node, &v);
                    send_msg(c, node, t, v);
                }
            if (b == BYZ_FORGE) {
                // Spoofed votes of another replica for another request: MACs must stop them.
                int victim = (t + 1) % c->n == node ? (t + 2) % c->n : (t + 1) % c->n;
                BftMsg v = m;
                BftRequest other = other_request(c, m.digest, m.seq);
                bft_request_digest(&other, v.digest);
                send_msg(c, victim, t, forged(c, node, v, victim));
            }
        }
    }
    out.clear();
}

void replay_tick(Cluster *c, int node)
{
    std::vector<uint64_t> &s = c->seen[node];
    for (int k = 0; k < 3 && !s.empty(); k++) {
        uint64_t idx = s[nl_rng_below(&c->rng, s.size())];
        int t = (int)nl_rng_below(&c->rng, (uint64_t)c->n);
        if (t == node) continue;
        BftMsg m = c->arena[idx];
        send_msg(c, node, t, m);
    }
    nl_sim_set_timer(c->sim, node, T_REPLAY, 97);
}

// ---- the simulator's callbacks ----

void on_message(void *ctx, nl_sim *sim, int node, int, const void *data, size_t len)
{
    Cluster *c = (Cluster *)ctx;
    (void)sim;
    if (len != sizeof(Packet) || node >= c->n) return;
    Packet pk;
    memcpy(&pk, data, sizeof pk);
    BftOutputs out;
    if (pk.tag == 'Q') bft_on_request(c->reps[node], &c->requests[pk.idx], &out);
    else {
        if (c->byz[node]) c->seen[node].push_back(pk.idx);
        bft_on_message(c->reps[node], &c->arena[pk.idx], &out);
    }
    emit(c, node, out);
}

void on_timer(void *ctx, nl_sim *, int node, int timer)
{
    Cluster *c = (Cluster *)ctx;
    if (timer == T_REPLAY) return replay_tick(c, node);
    BftOutputs out;
    bft_on_timer(c->reps[node], &out);
    emit(c, node, out);
}

void describe(void *ctx, const void *data, size_t len, char *buf, size_t n)
{
    Cluster *c = (Cluster *)ctx;
    Packet pk;
    if (len != sizeof pk) return (void)snprintf(buf, n, "?");
    memcpy(&pk, data, sizeof pk);
    if (pk.tag == 'Q') return (void)snprintf(buf, n, "REQUEST '%s'", c->requests[pk.idx].operation.c_str());
    const BftMsg &m = c->arena[pk.idx];
    static const char *names[] = {"?", "PRE-PREPARE", "PREPARE", "COMMIT", "VIEW-CHANGE", "NEW-VIEW"};
    const char *name = m.type >= 1 && m.type <= 5 ? names[m.type] : "?";
    char d[9];
    snprintf(d, sizeof d, "%02x%02x%02x%02x", m.digest[0], m.digest[1], m.digest[2], m.digest[3]);
    if (m.type == BFT_VIEW_CHANGE)
        snprintf(buf, n, "%s v%" PRIu64 " by %u, %zu cert msgs", name, m.view, m.replica, m.certs.size());
    else if (m.type == BFT_NEW_VIEW)
        snprintf(buf, n, "%s v%" PRIu64 " by %u, %zu pre-prepares", name, m.view, m.replica, m.pre_prepares.size());
    else
        snprintf(buf, n, "%s v%" PRIu64 " s%" PRIu64 " by %u d=%s%s", name, m.view, m.seq, m.replica, d,
                 m.type == BFT_PRE_PREPARE ? (" " + req_name(c, m.request)).c_str() : "");
}

// ---- the client and the faults ----

void client_send(Cluster *c, int i)
{
    for (int r = 0; r < c->n; r++) {
        Packet pk{'Q', (uint64_t)i};
        nl_sim_send(c->sim, c->n, r, &pk, sizeof pk);
    }
}

struct ReqEvent {
    Cluster *c;
    int i;
};

void at_request(void *arg, nl_sim *)
{
    ReqEvent *e = (ReqEvent *)arg;
    Cluster *c = e->c;
    c->sent_requests = std::max(c->sent_requests, e->i + 1);
    note(c, "client sends '%s'", c->requests[e->i].operation.c_str());
    client_send(c, e->i);
}

// The client re-sends what f+1 honest replicas have not executed yet (it waits for f+1 replies).
void at_retry(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    for (int i = 0; i < c->sent_requests; i++)
        if ((int)c->executed_by[i].size() < c->f + 1) client_send(c, i);
    if (nl_sim_now(sim) + 1000 < c->p.end_ms) nl_sim_at(sim, 1000, at_retry, c);
}

void at_gst(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    c->gst = true;
    nl_sim_heal(sim);
    nl_sim_net net{0.0, c->p.duplicate, 1, c->p.delay_max_ms / 2 + 1};
    nl_sim_set_net(sim, &net);
    note(c, "GST: no more loss or partitions");
}

struct PartEvent {
    Cluster *c;
    int node;
};
void at_partition(void *arg, nl_sim *sim)
{
    PartEvent *e = (PartEvent *)arg;
    if (e->c->gst) return;
    int one[1] = {e->node};
    nl_sim_partition(sim, one, 1);
    note(e->c, "fault: replica %d cut off", e->node);
}
void at_heal(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    nl_sim_heal(sim);
    note(c, "fault: partition healed");
}
bool all_settled(const Cluster *c)
{
    if (c->sent_requests < c->p.requests) return false;
    int honest = 0;
    uint64_t view = UINT64_MAX;
    for (int i = 0; i < c->n; i++) {
        if (c->byz[i]) continue;
        honest++;
        if (bft_in_view_change(c->reps[i]) || (view != UINT64_MAX && bft_view(c->reps[i]) != view)) return false;
        view = bft_view(c->reps[i]);
    }
    for (const std::set<int> &e : c->executed_by)
        if ((int)e.size() < honest) return false;
    return true;
}
} // namespace

const char *bft_behavior_name(BftBehavior b)
{
    static const char *names[] = {"silent", "equivocate", "forge", "replay", "lie"};
    return b < BYZ_COUNT ? names[b] : "?";
}

const char *bft_property_name(BftProperty p)
{
    static const char *names[] = {"agreement", "execution order", "liveness after GST", "faulty primary replaced"};
    return p < BFT_PROP_COUNT ? names[p] : "?";
}

void bft_cluster_params(uint64_t seed, BftClusterParams *p)
{
    nl_rng r;
    nl_rng_seed(&r, seed * 0x9e3779b97f4a7c15ull + 24);
    static const int sizes[] = {4, 4, 5, 7};
    memset(p, 0, sizeof *p);
    p->n = sizes[nl_rng_below(&r, 4)];
    p->byz_count = (int)bft_max_faults_for_nodes((uint32_t)p->n);
    // Half the schedules start with a Byzantine primary (view 0's primary is replica 0).
    bool bad_primary = nl_rng_chance(&r, 0.5);
    std::set<int> chosen;
    if (bad_primary) chosen.insert(0);
    while ((int)chosen.size() < p->byz_count) chosen.insert(1 + (int)nl_rng_below(&r, (uint64_t)p->n - 1));
    int k = 0;
    for (int b : chosen) {
        p->byz[k++] = b;
        p->behavior[b] = (BftBehavior)nl_rng_below(&r, BYZ_COUNT);
    }
    p->drop = nl_rng_chance(&r, 0.25) ? 0.0 : 0.2 * nl_rng_unit(&r);
    p->duplicate = 0.15 * nl_rng_unit(&r);
    p->delay_min_ms = 1 + nl_rng_below(&r, 5);
    p->delay_max_ms = p->delay_min_ms + 5 + nl_rng_below(&r, 40);
    p->partition = nl_rng_chance(&r, 0.4);
    p->gst_ms = 1500 + nl_rng_below(&r, 1500);
    p->requests = 3 + (int)nl_rng_below(&r, 4);
    p->timeout_ms = 150 + nl_rng_below(&r, 100);
    p->end_ms = p->gst_ms + 1000 + 25000;
}

int bft_cluster_run(uint64_t seed, const BftClusterParams *params, const BftClusterOptions *opts,
                    BftClusterReport *report)
{
    *report = BftClusterReport{};
    Cluster c;
    c.seed = seed;
    c.p = *params;
    c.o = *opts;
    c.rep = report;
    c.n = params->n;
    if (c.n < 1 || c.n > BFT_CLUSTER_MAX || params->byz_count < 0 || params->byz_count > c.n) {
        report->first_violation[0] = "bad cluster parameters";
        return -1;
    }
    c.f = (int)bft_max_faults_for_nodes((uint32_t)c.n);
    c.q = (int)bft_quorum_size((uint32_t)c.n);
    nl_rng_seed(&c.rng, seed ^ 0xb5f7u);
    c.byz.assign(c.n, false);
    for (int i = 0; i < params->byz_count; i++) c.byz[params->byz[i]] = true;
    c.keys.resize(c.n);
    for (int i = 0; i < c.n; i++)
        for (int k = 0; k < BFT_KEY_LEN; k++) c.keys[i][k] = (uint8_t)nl_rng_next(&c.rng);
    for (int i = 0; i < c.n; i++) {
        BftConfig cfg{(uint32_t)i, (uint32_t)c.n, c.keys, params->timeout_ms};
        char err[200] = "";
        BftReplica *r = bft_new(&cfg, err, sizeof err);
        if (!r) {
            for (BftReplica *x : c.reps) bft_free(x);
            report->first_violation[0] = std::string("bft_new refused a valid config: ") + err;
            return -1;
        }
        c.reps.push_back(r);
    }
    c.last_seq.assign(c.n, 0);
    c.seen.resize(c.n);
    for (int i = 0; i < params->requests; i++) {
        char op[40];
        snprintf(op, sizeof op, "op%d", i + 1);
        c.requests.push_back(BftRequest{7, (uint64_t)i + 1, op});
        uint8_t d[BFT_DIGEST_LEN];
        bft_request_digest(&c.requests.back(), d);
        c.req_digest.push_back(digest_of(d));
    }
    c.executed_by.resize(params->requests);

    nl_sim_ops ops{on_message, on_timer, nullptr, nullptr, describe};
    c.sim = nl_sim_new(c.n + 1, seed, &ops, &c);
    nl_sim_trace_keep(c.sim, opts->trace_keep ? opts->trace_keep : 40);
    nl_sim_trace_timer_name(c.sim, T_VIEW, "view-change");
    nl_sim_trace_timer_name(c.sim, T_REPLAY, "replay");
    if (opts->timeline && opts->verbose) nl_sim_trace_live(c.sim, opts->timeline);
    nl_sim_net net{params->drop, params->duplicate, params->delay_min_ms, params->delay_max_ms};
    nl_sim_set_net(c.sim, &net);

    std::vector<ReqEvent> revs(params->requests);
    std::vector<uint64_t> times;
    for (int i = 0; i < params->requests; i++) times.push_back(10 + nl_rng_below(&c.rng, params->gst_ms + 1000));
    std::sort(times.begin(), times.end());
    for (int i = 0; i < params->requests; i++) {
        revs[i] = ReqEvent{&c, i};
        nl_sim_at(c.sim, times[i], at_request, &revs[i]);
    }
    nl_sim_at(c.sim, 1000, at_retry, &c);
    nl_sim_at(c.sim, params->gst_ms, at_gst, &c);
    PartEvent pe{&c, 0};
    if (params->partition) {
        std::vector<int> honest;
        for (int i = 0; i < c.n; i++) if (!c.byz[i]) honest.push_back(i);
        pe.node = honest[nl_rng_below(&c.rng, honest.size())];
        uint64_t from = nl_rng_below(&c.rng, params->gst_ms / 2);
        nl_sim_at(c.sim, from, at_partition, &pe);
        nl_sim_at(c.sim, from + 200 + nl_rng_below(&c.rng, params->gst_ms / 2), at_heal, &c);
    }
    for (int i = 0; i < c.n; i++)
        if (c.byz[i] && params->behavior[i] == BYZ_REPLAY) nl_sim_set_timer(c.sim, i, T_REPLAY, 97);

    char line[200];
    int len = snprintf(line, sizeof line, "seed %" PRIu64 ": %d replicas (f=%d, quorum %d), Byzantine:", seed, c.n, c.f, c.q);
    for (int i = 0; i < params->byz_count; i++)
        len += snprintf(line + len, sizeof line - len, " %d (%s)", params->byz[i], bft_behavior_name(params->behavior[params->byz[i]]));
    note(&c, "%s", line);

    uint64_t steps = 0, last_exec = 0;
    while (nl_sim_step(c.sim)) {
        if (nl_sim_now(c.sim) > params->end_ms) break;
        // Every request executed by every honest replica, all in one view: nothing is left to see.
        if (c.rep->executions != last_exec) {
            last_exec = c.rep->executions;
            if (all_settled(&c)) {
                note(&c, "every request executed by every honest replica, all in view %" PRIu64, bft_view(c.reps[c.byz[0] ? 1 : 0]));
                break;
            }
        }
        if (opts->max_steps && ++steps >= opts->max_steps) break;
    }
    report->events = nl_sim_get_stats(c.sim).events;
    report->end_ms = nl_sim_now(c.sim);
    bool whole = !opts->max_steps || steps < opts->max_steps;

    // Liveness after GST: every request executed by f+1 honest replicas.
    if (whole) {
        report->checked[BFT_PROP_LIVENESS] = true;
        for (int i = 0; i < params->requests; i++)
            if ((int)c.executed_by[i].size() < c.f + 1)
                violation(&c, BFT_PROP_LIVENESS, "'%s' executed by %zu honest replicas by %" PRIu64
                          " ms (GST at %" PRIu64 " ms), f+1 = %d needed", c.requests[i].operation.c_str(),
                          c.executed_by[i].size(), params->end_ms, params->gst_ms, c.f + 1);
        BftBehavior b0 = params->behavior[0];
        if (c.byz[0] && (b0 == BYZ_SILENT || b0 == BYZ_LIE)) {
            report->checked[BFT_PROP_REPLACED] = true;
            std::map<uint64_t, int> at_view;
            for (int i = 0; i < c.n; i++)
                if (!c.byz[i] && !bft_in_view_change(c.reps[i])) at_view[bft_view(c.reps[i])]++;
            bool ok = false;
            for (auto &e : at_view)
                if (e.first > 0 && !c.byz[bft_primary_of(e.first, (uint32_t)c.n)] && e.second >= c.f + 1) ok = true;
            if (!ok) {
                std::string views;
                for (int i = 0; i < c.n; i++)
                    if (!c.byz[i])
                        views += " " + std::to_string(i) + ":v" + std::to_string(bft_view(c.reps[i])) +
                                 (bft_in_view_change(c.reps[i]) ? "(changing)" : "");
                violation(&c, BFT_PROP_REPLACED, "the %s primary of view 0 was not replaced: honest replicas at%s",
                          bft_behavior_name(b0), views.c_str());
            }
        }
    }
    report->checked[BFT_PROP_AGREEMENT] = report->checked[BFT_PROP_ORDER] = true;
    for (int i = 0; i < c.n; i++) report->max_view = std::max(report->max_view, bft_view(c.reps[i]));
    note(&c, "end: %" PRIu64 " executions, %" PRIu64 " view-change messages, highest view %" PRIu64,
         report->executions, report->view_changes, report->max_view);
    for (BftReplica *r : c.reps) bft_free(r);
    nl_sim_free(c.sim);
    int bad = 0;
    for (int k = 0; k < BFT_PROP_COUNT; k++) bad += report->violated[k];
    return bad;
}
