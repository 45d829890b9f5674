// paxos_cluster.cpp — drives the EX12 roles through nl_sim and checks the Paxos properties as events
// happen. The checker's ground truth is what the acceptors answered: a value is chosen at a slot the
// moment a majority of acceptors accepted it under one proposal number. Messages travel as an
// 8-byte index into an arena of decoded messages (a duplicate shares its original).
#include "paxos_cluster.h"

#include "nl_sim.h"
#include "paxos.h"

#include <cinttypes>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace {
enum Timer { T_PROPOSE = 1, T_ELECT = 2, T_HEARTBEAT = 3 };
enum MsgKind {
    M_PREPARE,   // basic: Prepare(pn)
    M_PROMISE,   // basic: Promise / Nack (p1)
    M_LPREPARE,  // multi: Prepare(pn, from slot)
    M_LPROMISE,  // multi: promise / nack (lp)
    M_ACCEPT,    // Accept(pn, slot, value); slot 0 in basic mode
    M_ACCEPTED,  // Accepted(pn, slot, value), from an acceptor to every learner
    M_REJECTED,  // Rejected(highest), to the proposer
    M_HEARTBEAT, // multi: leader's pn and how many slots it applied
    M_CATCHUP,   // multi: "send me the chosen slots from `slot` on"
    M_CHOSEN,    // multi: slot, value, as learned by the leader
};

struct Msg {
    MsgKind kind;
    PaxosPn pn;
    uint64_t slot;
    std::string value;
    PaxosPhase1Msg p1;
    PaxosLogPromise lp;
};

struct Node {
    PaxosAcceptor acc;
    PaxosLogAcceptor lacc;
    PaxosProposer *prop = nullptr;
    PaxosLearner *learner = nullptr;
    PaxosLeader *leader = nullptr;
    PaxosReplica *replica = nullptr;
    // basic
    std::string own;      // the value this node proposes
    PaxosPn accept_sent{0, 0}; // phase 2 already started for this proposal
    uint64_t attempts = 0;
    bool learned = false;
    std::string learned_value;
    // multi
    PaxosPn leader_seen{0, 0}; // highest proposal seen in a heartbeat
    std::map<uint64_t, std::string> inflight; // leader: slots proposed and not yet chosen here
    std::map<uint64_t, std::string> applied;  // slot -> value applied
};

struct SlotTruth {
    std::map<std::pair<uint64_t, uint64_t>, std::pair<std::string, std::set<int>>> by_pn;
    bool chosen = false;
    std::string value;
};

struct Cluster {
    uint64_t seed;
    PaxosClusterParams p;
    PaxosClusterOptions o;
    PaxosClusterReport *rep;
    nl_sim *sim = nullptr;
    nl_rng faults; // the fault schedule's own stream: it does not depend on what the nodes do
    std::vector<Node> nodes;
    std::vector<Msg> arena;
    std::map<uint64_t, SlotTruth> truth; // slot -> who accepted what (slot 1 in basic mode)
    std::set<std::string> proposed;
    uint64_t clients = 0;
    bool healed = false, done = false;
    uint64_t healed_at = 0, final_sent_at = 0;
    bool final_sent = false;
};

// printf into a std::string (messages here are short, 512 bytes is plenty).
std::string vformat(const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    return buf;
}

// The kept simulator events, as the text nl_sim_trace_print writes.
std::string trace_text(const nl_sim *sim)
{
    std::string out;
    char *text = nullptr;
    size_t len = 0;
    if (FILE *mem = open_memstream(&text, &len)) {
        nl_sim_trace_print(sim, mem, 0);
        fclose(mem);
        out.assign(text, len);
    }
    free(text);
    return out;
}

// A harness line: into the trace (a violation report shows it), and onto the timeline if any.
void note(Cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void note(Cluster *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::string line = vformat(fmt, ap);
    va_end(ap);
    nl_sim_note(c->sim, "%s", line.c_str());
    if (c->o.timeline && !c->o.verbose)
        fprintf(c->o.timeline, "[%7" PRIu64 " ms] %s\n", nl_sim_now(c->sim), line.c_str());
}

// Records the first violation of each property with the events that led to it.
void violation(Cluster *c, PaxosProperty prop, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void violation(Cluster *c, PaxosProperty prop, const char *fmt, ...)
{
    if (c->rep->violated[prop]) return;
    va_list ap;
    va_start(ap, fmt);
    std::string what = vformat(fmt, ap);
    va_end(ap);
    c->rep->violated[prop] = true;
    c->rep->first_violation[prop] = "at " + std::to_string(nl_sim_now(c->sim)) + " ms: " + what;
    note(c, "VIOLATION of %s: %s", paxos_property_name(prop), what.c_str());
    c->rep->trace[prop] = trace_text(c->sim);
}

size_t majority(const Cluster *c) { return c->nodes.size() / 2 + 1; }

void send_msg(Cluster *c, int from, int to, Msg m)
{
    uint64_t idx = c->arena.size();
    c->arena.push_back(std::move(m));
    nl_sim_send(c->sim, from, to, &idx, sizeof idx);
}

void broadcast(Cluster *c, int from, const Msg &m)
{
    for (size_t i = 0; i < c->nodes.size(); i++) send_msg(c, from, (int)i, m);
}

// An acceptor answered Accepted: the checker's record of what is chosen.
void record_accept(Cluster *c, int acceptor, uint64_t slot, PaxosPn pn, const std::string &value)
{
    SlotTruth &t = c->truth[slot];
    auto &entry = t.by_pn[{pn.round, pn.proposer_id}];
    if (!entry.second.empty() && entry.first != value) {
        violation(c, PAXOS_PROP_AGREEMENT, "slot %" PRIu64 ": proposal (%" PRIu64 ",%" PRIu64 ") accepted with '%s' "
                  "by one acceptor and '%s' by another (a proposal number carries one value)",
                  slot, pn.round, pn.proposer_id, entry.first.c_str(), value.c_str());
    }
    entry.first = value;
    entry.second.insert(acceptor);
    if (entry.second.size() < majority(c)) return;
    if (!t.chosen) {
        t.chosen = true;
        t.value = value;
        c->rep->chosen_slots++;
        note(c, "slot %" PRIu64 ": '%s' chosen (accepted by a majority under (%" PRIu64 ",%" PRIu64 "))", slot,
             value.c_str(), pn.round, pn.proposer_id);
        bool noop_ok = c->p.mode == PAXOS_MODE_MULTI && value == PAXOS_NOOP;
        if (!noop_ok && !c->proposed.count(value))
            violation(c, PAXOS_PROP_VALIDITY, "slot %" PRIu64 ": '%s' was chosen but nobody proposed it", slot,
                      value.c_str());
    } else if (t.value != value) {
        violation(c, PAXOS_PROP_AGREEMENT, "slot %" PRIu64 ": '%s' chosen, then '%s' chosen too (majority under (%"
                  PRIu64 ",%" PRIu64 "))", slot, t.value.c_str(), value.c_str(), pn.round, pn.proposer_id);
    }
}

// A learner claims `value` at `slot`: it must be what the acceptors chose.
void check_learned(Cluster *c, int node, uint64_t slot, const std::string &value)
{
    c->rep->learned++;
    auto it = c->truth.find(slot);
    if (it == c->truth.end() || !it->second.chosen)
        violation(c, PAXOS_PROP_LEARNERS, "node %d learned '%s' at slot %" PRIu64 " but no value is chosen there "
                  "(no majority of acceptors accepted one proposal)", node, value.c_str(), slot);
    else if (it->second.value != value)
        violation(c, PAXOS_PROP_LEARNERS, "node %d learned '%s' at slot %" PRIu64 " but '%s' is the chosen value",
                  node, value.c_str(), slot, it->second.value.c_str());
}

// ---- basic mode ----

void basic_try(Cluster *c, int node)
{
    Node &n = c->nodes[node];
    if (n.learned) return;
    PaxosPhase1Msg prep = paxos_proposer_prepare(n.prop);
    c->rep->prepares++;
    n.attempts++;
    note(c, "node %d prepares (%" PRIu64 ",%" PRIu64 ") for '%s'", node, prep.proposal.round,
         prep.proposal.proposer_id, n.own.c_str());
    Msg m{M_PREPARE, prep.proposal, 0, {}, {}, {}};
    broadcast(c, node, m);
    // Randomized, growing backoff: dueling proposers must not keep pre-empting each other.
    uint64_t cap = n.attempts < 6 ? n.attempts : 6;
    uint64_t base = 2 * c->p.delay_max_ms + 10;
    nl_sim_set_timer(c->sim, node, T_PROPOSE, nl_rng_range(nl_sim_rng(c->sim), base, base + 40 * cap));
}

void basic_check_learner(Cluster *c, int node)
{
    Node &n = c->nodes[node];
    std::string v;
    if (!paxos_learner_learned_value(n.learner, c->nodes.size(), &v)) {
        if (n.learned)
            violation(c, PAXOS_PROP_LEARNERS, "node %d had learned '%s' and then learned nothing", node,
                      n.learned_value.c_str());
        return;
    }
    if (n.learned) {
        if (v != n.learned_value)
            violation(c, PAXOS_PROP_LEARNERS, "node %d learned '%s', then '%s' (a learner never changes its mind)",
                      node, n.learned_value.c_str(), v.c_str());
        return;
    }
    n.learned = true;
    n.learned_value = v;
    note(c, "node %d learns '%s'", node, v.c_str());
    check_learned(c, node, 1, v);
    nl_sim_cancel_timer(c->sim, node, T_PROPOSE);
}

void basic_message(Cluster *c, int node, int from, const Msg &m)
{
    Node &n = c->nodes[node];
    switch (m.kind) {
    case M_PREPARE: {
        Msg r{M_PROMISE, m.pn, 0, {}, paxos_acceptor_receive_prepare(&n.acc, m.pn), {}};
        send_msg(c, node, from, r);
        break;
    }
    case M_PROMISE: {
        paxos_proposer_receive_promise(n.prop, (uint64_t)from, &m.p1);
        PaxosPn cur = paxos_proposer_current(n.prop);
        if (n.learned || !paxos_proposer_has_promise_quorum(n.prop, c->nodes.size())) break;
        if (paxos_pn_cmp(n.accept_sent, cur) == 0) break; // phase 2 of this round already went out
        n.accept_sent = cur;
        PaxosPhase2Msg a = paxos_proposer_accept(n.prop, n.own);
        note(c, "node %d has a quorum of promises for (%" PRIu64 ",%" PRIu64 "): accept '%s'", node, a.proposal.round,
             a.proposal.proposer_id, a.value.c_str());
        broadcast(c, node, Msg{M_ACCEPT, a.proposal, 0, a.value, {}, {}});
        break;
    }
    case M_ACCEPT: {
        PaxosPhase2Msg r = paxos_acceptor_receive_accept(&n.acc, m.pn, m.value);
        if (r.kind == PAXOS_ACCEPTED) {
            record_accept(c, node, 1, m.pn, m.value);
            broadcast(c, node, Msg{M_ACCEPTED, m.pn, 0, m.value, {}, {}});
        } else {
            send_msg(c, node, from, Msg{M_REJECTED, r.highest_seen, 0, {}, {}, {}});
        }
        break;
    }
    case M_ACCEPTED:
        paxos_learner_learn(n.learner, m.pn, m.value, (uint64_t)from);
        basic_check_learner(c, node);
        break;
    case M_REJECTED: {
        // A phase-2 refusal tells the same as a nack: someone promised m.pn.
        PaxosPhase1Msg nack{PAXOS_NACK, paxos_proposer_current(n.prop), false, {0, 0}, {}, m.pn};
        paxos_proposer_receive_promise(n.prop, (uint64_t)from, &nack);
        break;
    }
    default:
        break;
    }
}

// ---- multi mode ----

void multi_arm_elect(Cluster *c, int node)
{
    uint64_t base = 4 * c->p.delay_max_ms + 40;
    nl_sim_set_timer(c->sim, node, T_ELECT, nl_rng_range(nl_sim_rng(c->sim), base, 2 * base + 60));
}

uint64_t hb_ms(const Cluster *c) { return c->p.delay_max_ms + 15; }

void multi_send_accept(Cluster *c, int node, uint64_t slot, const std::string &value)
{
    Node &n = c->nodes[node];
    n.inflight[slot] = value;
    broadcast(c, node, Msg{M_ACCEPT, paxos_leader_pn(n.leader), slot, value, {}, {}});
}

// A client request at `node`: phase 2 only when it leads.
bool multi_client(Cluster *c, int node, const std::string &value)
{
    Node &n = c->nodes[node];
    c->proposed.insert(value);
    uint64_t slot = paxos_leader_propose(n.leader, value);
    if (slot == 0) return false;
    note(c, "client -> node %d: '%s' at slot %" PRIu64, node, value.c_str(), slot);
    multi_send_accept(c, node, slot, value);
    return true;
}

void multi_apply(Cluster *c, int node)
{
    Node &n = c->nodes[node];
    for (auto &sv : paxos_replica_apply(n.replica)) {
        uint64_t expect = n.applied.empty() ? 1 : n.applied.rbegin()->first + 1;
        if (sv.first != expect)
            violation(c, PAXOS_PROP_LEARNERS, "node %d applied slot %" PRIu64 " when slot %" PRIu64
                      " was next (slots are applied once each, in order, without gaps)", node, sv.first, expect);
        std::string truth;
        auto it = c->truth.find(sv.first);
        if (it == c->truth.end() || !it->second.chosen)
            violation(c, PAXOS_PROP_LEARNERS, "node %d applied '%s' at slot %" PRIu64 " where nothing is chosen",
                      node, sv.second.c_str(), sv.first);
        else if (it->second.value != sv.second)
            violation(c, PAXOS_PROP_LEARNERS, "node %d applied '%s' at slot %" PRIu64 " where '%s' is chosen", node,
                      sv.second.c_str(), sv.first, it->second.value.c_str());
        n.applied[sv.first] = sv.second;
    }
}

void multi_learned(Cluster *c, int node, uint64_t slot)
{
    Node &n = c->nodes[node];
    std::string v;
    if (!paxos_replica_chosen(n.replica, slot, &v)) {
        violation(c, PAXOS_PROP_LEARNERS, "node %d: replica said slot %" PRIu64 " became chosen but reports nothing "
                  "there", node, slot);
        return;
    }
    check_learned(c, node, slot, v);
    n.inflight.erase(slot);
    multi_apply(c, node);
}

void multi_message(Cluster *c, int node, int from, const Msg &m)
{
    Node &n = c->nodes[node];
    switch (m.kind) {
    case M_LPREPARE: {
        Msg r{M_LPROMISE, m.pn, 0, {}, {}, paxos_log_acceptor_prepare(&n.lacc, m.pn, m.slot)};
        send_msg(c, node, from, r);
        break;
    }
    case M_LPROMISE: {
        if (!paxos_leader_on_promise(n.leader, (uint64_t)from, &m.lp)) break;
        PaxosPn pn = paxos_leader_pn(n.leader);
        auto rec = paxos_leader_recovery(n.leader);
        note(c, "node %d LEADS with (%" PRIu64 ",%" PRIu64 "), re-proposing %zu slots", node, pn.round,
             pn.proposer_id, rec.size());
        n.inflight.clear();
        for (auto &sv : rec) multi_send_accept(c, node, sv.first, sv.second);
        n.leader_seen = pn;
        nl_sim_set_timer(c->sim, node, T_HEARTBEAT, 0);
        break;
    }
    case M_ACCEPT: {
        PaxosPhase2Msg r = paxos_log_acceptor_accept(&n.lacc, m.pn, m.slot, m.value);
        if (r.kind == PAXOS_ACCEPTED) {
            record_accept(c, node, m.slot, m.pn, m.value);
            broadcast(c, node, Msg{M_ACCEPTED, m.pn, m.slot, m.value, {}, {}});
        } else {
            send_msg(c, node, from, Msg{M_REJECTED, r.highest_seen, 0, {}, {}, {}});
        }
        break;
    }
    case M_ACCEPTED:
        if (paxos_replica_on_accepted(n.replica, (uint64_t)from, m.slot, m.pn, m.value)) multi_learned(c, node, m.slot);
        break;
    case M_REJECTED: {
        bool was = paxos_leader_is_leading(n.leader);
        paxos_leader_on_reject(n.leader, m.pn);
        if (was && !paxos_leader_is_leading(n.leader)) {
            note(c, "node %d steps down: (%" PRIu64 ",%" PRIu64 ") was promised", node, m.pn.round, m.pn.proposer_id);
            n.inflight.clear();
        }
        break;
    }
    case M_HEARTBEAT: {
        if (paxos_pn_cmp(m.pn, n.leader_seen) >= 0) {
            n.leader_seen = m.pn;
            if (from != node) {
                bool was = paxos_leader_is_leading(n.leader);
                paxos_leader_on_reject(n.leader, m.pn); // a higher leader exists: step down
                if (was && !paxos_leader_is_leading(n.leader)) n.inflight.clear();
                if (!paxos_leader_is_leading(n.leader)) multi_arm_elect(c, node);
            }
        }
        if (paxos_replica_applied(n.replica) < m.slot)
            send_msg(c, node, from, Msg{M_CATCHUP, {0, 0}, paxos_replica_applied(n.replica) + 1, {}, {}, {}});
        break;
    }
    case M_CATCHUP:
        for (uint64_t s = m.slot; s < m.slot + 32; s++) {
            std::string v;
            if (!paxos_replica_chosen(n.replica, s, &v)) break;
            send_msg(c, node, from, Msg{M_CHOSEN, {0, 0}, s, v, {}, {}});
        }
        break;
    case M_CHOSEN: {
        bool had = paxos_replica_chosen(n.replica, m.slot, nullptr);
        paxos_replica_on_chosen(n.replica, m.slot, m.value);
        if (!had) multi_learned(c, node, m.slot);
        break;
    }
    default:
        break;
    }
}

void multi_timer(Cluster *c, int node, int timer)
{
    Node &n = c->nodes[node];
    if (timer == T_ELECT) {
        if (!paxos_leader_is_leading(n.leader)) {
            uint64_t first = paxos_replica_applied(n.replica) + 1;
            PaxosPn pn = paxos_leader_prepare(n.leader, first);
            c->rep->prepares++;
            note(c, "node %d runs phase 1 with (%" PRIu64 ",%" PRIu64 ") from slot %" PRIu64, node, pn.round,
                 pn.proposer_id, first);
            broadcast(c, node, Msg{M_LPREPARE, pn, first, {}, {}, {}});
        }
        multi_arm_elect(c, node);
    } else if (timer == T_HEARTBEAT) {
        if (!paxos_leader_is_leading(n.leader)) return;
        broadcast(c, node, Msg{M_HEARTBEAT, paxos_leader_pn(n.leader), paxos_replica_applied(n.replica), {}, {}, {}});
        for (auto &sv : n.inflight) broadcast(c, node, Msg{M_ACCEPT, paxos_leader_pn(n.leader), sv.first, sv.second, {}, {}});
        multi_arm_elect(c, node);
        nl_sim_set_timer(c->sim, node, T_HEARTBEAT, hb_ms(c));
    }
}

// ---- simulator callbacks ----

// The message an 8-byte arena index stands for, or NULL for bytes that are not one.
const Msg *decode(const Cluster *c, const void *data, size_t len)
{
    uint64_t idx = UINT64_MAX;
    if (len == sizeof idx) memcpy(&idx, data, sizeof idx);
    return idx < c->arena.size() ? &c->arena[idx] : nullptr;
}

void on_message(void *ctx, nl_sim *, int node, int from, const void *data, size_t len)
{
    Cluster *c = (Cluster *)ctx;
    const Msg *mp = decode(c, data, len);
    if (!mp) return;
    Msg m = *mp; // a copy: handlers append to the arena, which may move it
    if (c->p.mode == PAXOS_MODE_BASIC) basic_message(c, node, from, m);
    else multi_message(c, node, from, m);
}

void on_timer(void *ctx, nl_sim *, int node, int timer)
{
    Cluster *c = (Cluster *)ctx;
    if (c->p.mode == PAXOS_MODE_BASIC) {
        if (timer == T_PROPOSE) basic_try(c, node);
    } else {
        multi_timer(c, node, timer);
    }
}

void on_restart(void *ctx, nl_sim *, int node)
{
    Cluster *c = (Cluster *)ctx;
    Node &n = c->nodes[node];
    // Acceptor state, learned values and the proposers' rounds are on disk; the rest is lost.
    if (c->p.mode == PAXOS_MODE_BASIC) {
        paxos_proposer_restart(n.prop);
        n.accept_sent = PaxosPn{0, 0};
        if (!n.learned) nl_sim_set_timer(c->sim, node, T_PROPOSE, nl_rng_range(nl_sim_rng(c->sim), 0, 30));
    } else {
        paxos_leader_restart(n.leader);
        n.inflight.clear();
        multi_arm_elect(c, node);
    }
}

void describe(void *ctx, const void *data, size_t len, char *buf, size_t n)
{
    const Msg *mp = decode((const Cluster *)ctx, data, len);
    if (!mp) {
        snprintf(buf, n, "(not a Paxos message)");
        return;
    }
    const Msg &m = *mp;
    unsigned long long r = m.pn.round, id = m.pn.proposer_id, s = m.slot;
    switch (m.kind) {
    case M_PREPARE: snprintf(buf, n, "Prepare(%llu,%llu)", r, id); break;
    case M_PROMISE:
        if (m.p1.kind == PAXOS_NACK)
            snprintf(buf, n, "Nack(%llu,%llu) promised (%llu,%llu)", r, id,
                     (unsigned long long)m.p1.highest_seen.round, (unsigned long long)m.p1.highest_seen.proposer_id);
        else if (m.p1.has_accepted)
            snprintf(buf, n, "Promise(%llu,%llu) accepted (%llu,%llu)='%s'", r, id,
                     (unsigned long long)m.p1.accepted_pn.round, (unsigned long long)m.p1.accepted_pn.proposer_id,
                     m.p1.accepted_value.c_str());
        else snprintf(buf, n, "Promise(%llu,%llu) nothing accepted", r, id);
        break;
    case M_LPREPARE: snprintf(buf, n, "Prepare(%llu,%llu) from slot %llu", r, id, s); break;
    case M_LPROMISE:
        if (!m.lp.ok)
            snprintf(buf, n, "Nack(%llu,%llu) promised (%llu,%llu)", r, id, (unsigned long long)m.lp.highest_seen.round,
                     (unsigned long long)m.lp.highest_seen.proposer_id);
        else snprintf(buf, n, "Promise(%llu,%llu) with %zu accepted slots", r, id, m.lp.accepted.size());
        break;
    case M_ACCEPT: snprintf(buf, n, "Accept(%llu,%llu) slot %llu '%s'", r, id, s, m.value.c_str()); break;
    case M_ACCEPTED: snprintf(buf, n, "Accepted(%llu,%llu) slot %llu '%s'", r, id, s, m.value.c_str()); break;
    case M_REJECTED: snprintf(buf, n, "Rejected: promised (%llu,%llu)", r, id); break;
    case M_HEARTBEAT: snprintf(buf, n, "Heartbeat(%llu,%llu) applied %llu", r, id, s); break;
    case M_CATCHUP: snprintf(buf, n, "CatchUp from slot %llu", s); break;
    case M_CHOSEN: snprintf(buf, n, "Chosen slot %llu '%s'", s, m.value.c_str()); break;
    }
}

// ---- the schedule ----

void client_tick(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    if (c->healed) return;
    std::string v = "c" + std::to_string(++c->clients);
    for (size_t i = 0; i < c->nodes.size(); i++) {
        if (!nl_sim_is_up(sim, (int)i) || !paxos_leader_is_leading(c->nodes[i].leader)) continue;
        multi_client(c, (int)i, v);
        break;
    }
    nl_sim_at(sim, c->p.propose_every_ms, client_tick, c);
}

void chaos_tick(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    if (c->healed) return;
    int n = (int)c->nodes.size();
    uint64_t what = nl_rng_below(&c->faults, 4);
    if (what == 0 && c->p.partitions && n > 1) {
        std::vector<int> side;
        for (int i = 0; i < n; i++)
            if (nl_rng_chance(&c->faults, 0.5)) side.push_back(i);
        nl_sim_heal(sim);
        nl_sim_partition(sim, side.data(), side.size());
        note(c, "fault: partition of %zu node(s) from the rest", side.size());
    } else if (what == 1 && c->p.partitions) {
        nl_sim_heal(sim);
        note(c, "fault: partitions healed");
    } else if (what == 2 && c->p.crashes) {
        int victim = (int)nl_rng_below(&c->faults, (uint64_t)n);
        if (nl_sim_is_up(sim, victim)) {
            note(c, "fault: node %d crashes", victim);
            nl_sim_crash(sim, victim);
        }
    } else if (what == 3 && c->p.crashes) {
        int who = (int)nl_rng_below(&c->faults, (uint64_t)n);
        if (!nl_sim_is_up(sim, who)) {
            note(c, "fault: node %d restarts", who);
            nl_sim_restart(sim, who);
        }
    }
    nl_sim_at(sim, nl_rng_range(&c->faults, 40, 300), chaos_tick, c);
}

// After healing: basic mode waits for every learner; multi mode submits "final" to whoever leads
// (again when it got lost with a deposed leader) until every node applied it.
void progress_tick(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    bool all = true;
    if (c->p.mode == PAXOS_MODE_BASIC) {
        for (const Node &n : c->nodes) all = all && n.learned;
    } else {
        for (const Node &n : c->nodes) {
            bool has = false;
            for (auto &sv : n.applied) has = has || sv.second == "final";
            all = all && has;
        }
        uint64_t now = nl_sim_now(sim);
        if (!all && (!c->final_sent || now - c->final_sent_at >= 300)) {
            for (size_t i = 0; i < c->nodes.size(); i++) {
                if (!paxos_leader_is_leading(c->nodes[i].leader)) continue;
                if (multi_client(c, (int)i, "final")) {
                    c->final_sent = true;
                    c->final_sent_at = now;
                }
                break;
            }
        }
    }
    if (all) {
        c->done = true;
        note(c, "progress: every node learned, %" PRIu64 " ms after healing", nl_sim_now(sim) - c->healed_at);
        return;
    }
    nl_sim_at(sim, 10, progress_tick, c);
}

void heal_all(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    c->healed = true;
    c->healed_at = nl_sim_now(sim);
    note(c, "the network heals: no loss, no partition, every node up");
    nl_sim_heal(sim);
    nl_sim_net net{0, 0, c->p.delay_min_ms, c->p.delay_max_ms};
    nl_sim_set_net(sim, &net);
    for (size_t i = 0; i < c->nodes.size(); i++) nl_sim_restart(sim, (int)i);
    nl_sim_at(sim, 0, progress_tick, c);
}
} // namespace

const char *paxos_property_name(PaxosProperty p)
{
    static const char *names[PAXOS_PROP_COUNT] = {"agreement (one value per slot)", "validity (only proposed values)",
                                                  "learners agree with the choice", "progress after healing"};
    return p >= 0 && p < PAXOS_PROP_COUNT ? names[p] : "?";
}

void paxos_cluster_params(uint64_t seed, PaxosClusterParams *p)
{
    nl_rng r;
    nl_rng_seed(&r, seed ^ 0x9a7e5eedULL);
    p->mode = (seed & 1) ? PAXOS_MODE_BASIC : PAXOS_MODE_MULTI;
    p->nodes = nl_rng_chance(&r, 0.5) ? 3 : 5;
    p->drop = (double)nl_rng_below(&r, 31) / 100.0;
    p->duplicate = (double)nl_rng_below(&r, 21) / 100.0;
    p->delay_min_ms = nl_rng_range(&r, 1, 5);
    p->delay_max_ms = p->delay_min_ms + nl_rng_range(&r, 4, p->mode == PAXOS_MODE_BASIC ? 60 : 30);
    p->partitions = nl_rng_chance(&r, 0.75);
    p->crashes = nl_rng_chance(&r, 0.75);
    p->fault_ms = nl_rng_range(&r, 800, 2000);
    p->heal_deadline_ms = 3000;
    p->propose_every_ms = nl_rng_range(&r, 30, 80);
}

int paxos_cluster_run(uint64_t seed, const PaxosClusterParams *params, const PaxosClusterOptions *opts,
                      PaxosClusterReport *report)
{
    *report = PaxosClusterReport{};
    const PaxosClusterParams &p = *params;
    if (p.nodes < 1 || p.nodes > 9 || !(p.drop >= 0 && p.drop <= 1) || !(p.duplicate >= 0 && p.duplicate <= 1) ||
        p.delay_min_ms > p.delay_max_ms || p.propose_every_ms == 0) {
        report->first_violation[0] = "invalid parameters: nodes 1..9, probabilities in [0,1], delay MIN <= MAX";
        return -1;
    }
    Cluster c;
    c.seed = seed;
    c.p = p;
    c.o = *opts;
    c.rep = report;
    nl_rng_seed(&c.faults, seed * 0x9E3779B97F4A7C15ULL + 12);
    nl_sim_ops ops{on_message, on_timer, nullptr, on_restart, describe};
    c.sim = nl_sim_new(p.nodes, seed, &ops, &c);
    nl_sim_trace_keep(c.sim, opts->trace_keep ? opts->trace_keep : 40);
    nl_sim_trace_timer_name(c.sim, T_PROPOSE, "propose");
    nl_sim_trace_timer_name(c.sim, T_ELECT, "elect");
    nl_sim_trace_timer_name(c.sim, T_HEARTBEAT, "heartbeat");
    if (opts->timeline && opts->verbose) nl_sim_trace_live(c.sim, opts->timeline);
    nl_sim_net net{p.drop, p.duplicate, p.delay_min_ms, p.delay_max_ms};
    nl_sim_set_net(c.sim, &net);
    c.nodes.resize((size_t)p.nodes);
    for (int i = 0; i < p.nodes; i++) {
        Node &n = c.nodes[i];
        paxos_acceptor_init(&n.acc, (uint64_t)i);
        paxos_log_acceptor_init(&n.lacc, (uint64_t)i);
        if (p.mode == PAXOS_MODE_BASIC) {
            n.prop = paxos_proposer_new((uint64_t)i);
            n.learner = paxos_learner_new((uint64_t)i);
            n.own = "p" + std::to_string(i);
            c.proposed.insert(n.own);
            nl_sim_set_timer(c.sim, i, T_PROPOSE, nl_rng_range(nl_sim_rng(c.sim), 0, p.fault_ms / 3));
        } else {
            n.leader = paxos_leader_new((uint64_t)i, (size_t)p.nodes);
            n.replica = paxos_replica_new((uint64_t)i, (size_t)p.nodes);
            multi_arm_elect(&c, i);
        }
    }
    if (p.mode == PAXOS_MODE_MULTI) nl_sim_at(c.sim, p.propose_every_ms, client_tick, &c);
    if (p.partitions || p.crashes) nl_sim_at(c.sim, nl_rng_range(&c.faults, 10, 150), chaos_tick, &c);
    nl_sim_at(c.sim, p.fault_ms, heal_all, &c);
    uint64_t end = p.fault_ms + p.heal_deadline_ms;
    uint64_t steps = 0;
    while (!c.done && nl_sim_now(c.sim) <= end) {
        if (opts->max_steps && steps >= opts->max_steps) break;
        if (!nl_sim_step(c.sim)) break;
        steps++;
    }
    if (!c.done && !opts->max_steps)
        violation(&c, PAXOS_PROP_PROGRESS, "%" PRIu64 " ms after the network healed, not every node has learned %s",
                  p.heal_deadline_ms, p.mode == PAXOS_MODE_BASIC ? "a value" : "the request 'final'");
    report->events = nl_sim_get_stats(c.sim).events;
    report->end_ms = nl_sim_now(c.sim);
    for (Node &n : c.nodes) {
        if (n.prop) paxos_proposer_free(n.prop);
        if (n.learner) paxos_learner_free(n.learner);
        if (n.leader) paxos_leader_free(n.leader);
        if (n.replica) paxos_replica_free(n.replica);
    }
    nl_sim_free(c.sim);
    int bad = 0;
    for (int k = 0; k < PAXOS_PROP_COUNT; k++) bad += report->violated[k];
    return bad;
}
