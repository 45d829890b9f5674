// paxos.cpp — EX12 reference, Basic Paxos: proposal numbers, the acceptor, the proposer, the
// learner, and the seed's in-memory PaxosInstance that runs one round of both phases.
#include "paxos.h"

#include <set>

int paxos_pn_cmp(PaxosPn a, PaxosPn b)
{
    if (a.round != b.round) return a.round < b.round ? -1 : 1;
    if (a.proposer_id != b.proposer_id) return a.proposer_id < b.proposer_id ? -1 : 1;
    return 0;
}

// ---- acceptor ----

void paxos_acceptor_init(PaxosAcceptor *a, uint64_t id)
{
    *a = PaxosAcceptor{id, false, {0, 0}, false, {0, 0}, {}};
}

// A repeat of the promised proposal gets the same promise again (a duplicated prepare must not
// look like a competitor), so the test is "not below", not "above".
static bool may_answer(bool has_promised, PaxosPn promised, PaxosPn pn)
{
    return !has_promised || paxos_pn_cmp(pn, promised) >= 0;
}

PaxosPhase1Msg paxos_acceptor_receive_prepare(PaxosAcceptor *a, PaxosPn pn)
{
    PaxosPhase1Msg m{PAXOS_NACK, pn, false, {0, 0}, {}, {0, 0}};
    if (!may_answer(a->has_promised, a->promised, pn)) {
        m.highest_seen = a->promised;
        return m;
    }
    a->has_promised = true;
    a->promised = pn;
    m.kind = PAXOS_PROMISE;
    m.has_accepted = a->has_accepted;
    if (a->has_accepted) {
        m.accepted_pn = a->accepted_pn;
        m.accepted_value = a->accepted_value;
    }
    return m;
}

PaxosPhase2Msg paxos_acceptor_receive_accept(PaxosAcceptor *a, PaxosPn pn, const std::string &value)
{
    if (!may_answer(a->has_promised, a->promised, pn)) return PaxosPhase2Msg{PAXOS_REJECTED, pn, {}, a->promised};
    // Accepting is also promising: nothing below pn may be accepted afterwards.
    a->has_promised = true;
    a->promised = pn;
    a->has_accepted = true;
    a->accepted_pn = pn;
    a->accepted_value = value;
    return PaxosPhase2Msg{PAXOS_ACCEPTED, pn, value, {0, 0}};
}

// ---- proposer ----

struct PaxosProposer {
    uint64_t id;
    PaxosPn current;        // the running round ({0, id} before the first prepare)
    uint64_t highest_round; // the highest round seen in a nack: the next prepare goes above it
    std::map<uint64_t, PaxosPhase1Msg> promises; // acceptor -> its promise for `current`
};

PaxosProposer *paxos_proposer_new(uint64_t id)
{
    return new PaxosProposer{id, {0, id}, 0, {}};
}

void paxos_proposer_free(PaxosProposer *p) { delete p; }

PaxosPhase1Msg paxos_proposer_prepare(PaxosProposer *p)
{
    uint64_t base = p->current.round > p->highest_round ? p->current.round : p->highest_round;
    p->current = PaxosPn{base + 1, p->id};
    p->promises.clear();
    return PaxosPhase1Msg{PAXOS_PREPARE, p->current, false, {0, 0}, {}, {0, 0}};
}

void paxos_proposer_receive_promise(PaxosProposer *p, uint64_t from, const PaxosPhase1Msg *msg)
{
    if (msg->kind == PAXOS_NACK) {
        if (msg->highest_seen.round > p->highest_round) p->highest_round = msg->highest_seen.round;
        return;
    }
    // A late promise for an earlier round says nothing about the current one.
    if (msg->kind != PAXOS_PROMISE || paxos_pn_cmp(msg->proposal, p->current) != 0) return;
    p->promises[from] = *msg;
}

bool paxos_proposer_has_promise_quorum(const PaxosProposer *p, size_t total)
{
    return p->promises.size() * 2 > total;
}

PaxosPhase2Msg paxos_proposer_accept(PaxosProposer *p, const std::string &own_value)
{
    // The value of the highest-numbered proposal accepted by anyone in the quorum may already be
    // chosen: it must be carried on, and our own value only when nobody accepted anything.
    const PaxosPhase1Msg *best = nullptr;
    for (const auto &kv : p->promises) {
        const PaxosPhase1Msg &m = kv.second;
        if (m.has_accepted && (!best || paxos_pn_cmp(m.accepted_pn, best->accepted_pn) > 0)) best = &m;
    }
    return PaxosPhase2Msg{PAXOS_ACCEPT, p->current, best ? best->accepted_value : own_value, {0, 0}};
}

PaxosPn paxos_proposer_current(const PaxosProposer *p) { return p->current; }

void paxos_proposer_restart(PaxosProposer *p)
{
    // The round is durable (written before the prepare goes out): a restarted proposer must never
    // reuse a proposal number with another value.
    p->promises.clear();
}

// ---- learner ----

struct PaxosLearner {
    uint64_t id;
    // proposal (round, proposer) -> acceptor -> value it accepted under that proposal
    std::map<std::pair<uint64_t, uint64_t>, std::map<uint64_t, std::string>> counts;
};

PaxosLearner *paxos_learner_new(uint64_t id) { return new PaxosLearner{id, {}}; }

void paxos_learner_free(PaxosLearner *l) { delete l; }

void paxos_learner_learn(PaxosLearner *l, PaxosPn pn, const std::string &value, uint64_t from)
{
    l->counts[{pn.round, pn.proposer_id}][from] = value;
}

bool paxos_learner_learned_value(const PaxosLearner *l, size_t total, std::string *value)
{
    for (const auto &kv : l->counts) {
        if (kv.second.size() * 2 <= total) continue;
        if (value) *value = kv.second.begin()->second;
        return true;
    }
    return false;
}

// ---- the seed's instance ----

struct PaxosInstance {
    PaxosProposer *proposer;
    std::vector<PaxosAcceptor> acceptors;
    std::vector<bool> failed;
    std::vector<PaxosLearner *> learners;
};

PaxosInstance *paxos_instance_new(uint64_t proposer_id, size_t num_acceptors, size_t num_learners)
{
    if (num_acceptors == 0 || num_learners == 0) return nullptr;
    PaxosInstance *inst = new PaxosInstance{paxos_proposer_new(proposer_id), {}, {}, {}};
    inst->acceptors.resize(num_acceptors);
    for (size_t i = 0; i < num_acceptors; i++) paxos_acceptor_init(&inst->acceptors[i], i);
    inst->failed.assign(num_acceptors, false);
    for (size_t i = 0; i < num_learners; i++) inst->learners.push_back(paxos_learner_new(i));
    return inst;
}

void paxos_instance_free(PaxosInstance *inst)
{
    if (!inst) return;
    paxos_proposer_free(inst->proposer);
    for (PaxosLearner *l : inst->learners) paxos_learner_free(l);
    delete inst;
}

PaxosResult paxos_propose(PaxosInstance *inst, const std::string &value)
{
    PaxosResult res{PAXOS_NO_QUORUM, {}, {0, 0}};
    size_t n = inst->acceptors.size();
    PaxosPhase1Msg prep = paxos_proposer_prepare(inst->proposer);
    for (size_t i = 0; i < n; i++) {
        if (inst->failed[i]) continue;
        PaxosPhase1Msg r = paxos_acceptor_receive_prepare(&inst->acceptors[i], prep.proposal);
        paxos_proposer_receive_promise(inst->proposer, i, &r);
        // res.conflict starts at "none", below every real proposal.
        if (r.kind == PAXOS_NACK && paxos_pn_cmp(r.highest_seen, res.conflict) > 0) res.conflict = r.highest_seen;
    }
    if (!paxos_proposer_has_promise_quorum(inst->proposer, n)) {
        if (res.conflict.round != 0) res.kind = PAXOS_CONFLICT;
        return res;
    }
    // Nothing runs between the phases here, so every acceptor that promised accepts: a majority.
    PaxosPhase2Msg acc = paxos_proposer_accept(inst->proposer, value);
    for (size_t i = 0; i < n; i++) {
        if (inst->failed[i]) continue;
        PaxosPhase2Msg r = paxos_acceptor_receive_accept(&inst->acceptors[i], acc.proposal, acc.value);
        if (r.kind != PAXOS_ACCEPTED) continue;
        for (PaxosLearner *l : inst->learners) paxos_learner_learn(l, acc.proposal, acc.value, i);
    }
    std::string chosen;
    if (paxos_learner_learned_value(inst->learners[0], n, &chosen)) {
        res.kind = PAXOS_CHOSEN;
        res.value = chosen;
    }
    return res;
}

int paxos_fail_acceptor(PaxosInstance *inst, uint64_t id)
{
    if (id >= inst->acceptors.size()) return -1;
    inst->failed[id] = true;
    return 0;
}

PaxosAcceptor *paxos_instance_acceptor(PaxosInstance *inst, uint64_t id)
{
    return id < inst->acceptors.size() ? &inst->acceptors[id] : nullptr;
}

bool paxos_instance_learned(const PaxosInstance *inst, size_t learner, std::string *value)
{
    if (learner >= inst->learners.size()) return false;
    return paxos_learner_learned_value(inst->learners[learner], inst->acceptors.size(), value);
}
