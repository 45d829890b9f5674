// test_paxos_diff.cpp — differential tests: seeded random sequences of the calls the README allows,
// applied to the submission and to the pristine reference (oracle::), comparing after each call
// only what the README fixes (message kinds and the fields R2-R13 name, quorums, learned values,
// slots, recoveries, applied slots). A difference is shrunk and printed with its seed.
#include "nl_diff.h"
#include "oracle/paxos.h"
#include "paxos_test_util.h"

#include <cstring>
#include <string>

namespace {
const int NACC = 3; // acceptors 0..2 on each side; quorums are also asked of 2..5
const char *const VALUES[] = {"a", "b", "c", ""};

// A proposal number from a small alphabet, so calls meet equal, lower and higher numbers.
struct SmallPn {
    uint8_t round, id; // round 1..4, id 0..2
};
PaxosPn sub_pn(SmallPn p) { return PaxosPn{p.round, p.id}; }
oracle::PaxosPn ora_pn(SmallPn p) { return oracle::PaxosPn{p.round, p.id}; }

// ---- Basic Paxos: acceptors, one proposer, one learner ----

enum BasicKind : uint8_t { B_PREPARE, B_ACCEPT, P_PREPARE, P_PROMISE, P_OLD_PROMISE, P_NACK, P_RESTART, L_LEARN, B_KINDS };
struct BasicOp {
    BasicKind kind;
    uint8_t who;   // acceptor (or the acceptor a promise / an Accepted comes from)
    SmallPn pn;
    uint8_t value; // index in VALUES
    bool has_accepted;
    SmallPn accepted;
};

struct BasicCtx {
    PaxosAcceptor sub_acc[NACC];
    oracle::PaxosAcceptor ora_acc[NACC];
    PaxosProposer *sub_prop = nullptr;
    oracle::PaxosProposer *ora_prop = nullptr;
    PaxosLearner *sub_learn = nullptr;
    oracle::PaxosLearner *ora_learn = nullptr;
    std::string sub_out, ora_out; // what the last call returned, rendered the same way on both sides
} bctx;

void b_reset(void *)
{
    BasicCtx &x = bctx;
    for (int i = 0; i < NACC; i++) {
        paxos_acceptor_init(&x.sub_acc[i], (uint64_t)i);
        oracle::paxos_acceptor_init(&x.ora_acc[i], (uint64_t)i);
    }
    if (x.sub_prop) paxos_proposer_free(x.sub_prop);
    if (x.ora_prop) oracle::paxos_proposer_free(x.ora_prop);
    if (x.sub_learn) paxos_learner_free(x.sub_learn);
    if (x.ora_learn) oracle::paxos_learner_free(x.ora_learn);
    x.sub_prop = paxos_proposer_new(7);
    x.ora_prop = oracle::paxos_proposer_new(7);
    x.sub_learn = paxos_learner_new(0);
    x.ora_learn = oracle::paxos_learner_new(0);
}

SmallPn gen_pn(nl_rng *rng) { return SmallPn{(uint8_t)nl_rng_range(rng, 1, 4), (uint8_t)nl_rng_below(rng, 3)}; }

void b_gen(void *, nl_rng *rng, void *out)
{
    BasicOp op{};
    op.kind = (BasicKind)nl_rng_below(rng, B_KINDS);
    op.who = (uint8_t)nl_rng_below(rng, NACC);
    op.pn = gen_pn(rng);
    op.value = (uint8_t)nl_rng_below(rng, 3);
    op.has_accepted = nl_rng_chance(rng, 0.5);
    op.accepted = gen_pn(rng);
    memcpy(out, &op, sizeof op);
}

// The observables of a phase-1 answer the README fixes: the kind, the proposal, and for a promise
// what was accepted, for a nack the promise it names.
template <typename M> std::string p1_str(const M &m, bool nack)
{
    char b[160];
    if (nack)
        snprintf(b, sizeof b, "NACK %llu,%llu highest %llu,%llu", (unsigned long long)m.proposal.round,
                 (unsigned long long)m.proposal.proposer_id, (unsigned long long)m.highest_seen.round,
                 (unsigned long long)m.highest_seen.proposer_id);
    else if (m.has_accepted)
        snprintf(b, sizeof b, "PROMISE %llu,%llu accepted %llu,%llu='%s'", (unsigned long long)m.proposal.round,
                 (unsigned long long)m.proposal.proposer_id, (unsigned long long)m.accepted_pn.round,
                 (unsigned long long)m.accepted_pn.proposer_id, m.accepted_value.c_str());
    else
        snprintf(b, sizeof b, "PROMISE %llu,%llu nothing accepted", (unsigned long long)m.proposal.round,
                 (unsigned long long)m.proposal.proposer_id);
    return b;
}

template <typename M> std::string p2_str(const M &m, bool rejected)
{
    char b[160];
    if (rejected)
        snprintf(b, sizeof b, "REJECTED %llu,%llu highest %llu,%llu", (unsigned long long)m.proposal.round,
                 (unsigned long long)m.proposal.proposer_id, (unsigned long long)m.highest_seen.round,
                 (unsigned long long)m.highest_seen.proposer_id);
    else
        snprintf(b, sizeof b, "%s %llu,%llu '%s'", rejected ? "REJECTED" : "ACCEPTED/ACCEPT",
                 (unsigned long long)m.proposal.round, (unsigned long long)m.proposal.proposer_id, m.value.c_str());
    return b;
}

// Fields the README gives a meaning: promised only when has_promised, accepted only when has_accepted.
template <typename A> std::string acc_str(const A &a)
{
    std::string s = "promised ";
    s += a.has_promised ? std::to_string(a.promised.round) + "," + std::to_string(a.promised.proposer_id) : "none";
    s += ", accepted ";
    s += a.has_accepted ? std::to_string(a.accepted_pn.round) + "," + std::to_string(a.accepted_pn.proposer_id) + "='" +
                              a.accepted_value + "'"
                        : "none";
    return s;
}

// Quorum answers for 2..5 acceptors, the value phase 2 would carry, the current proposal.
std::string sub_prop_str(PaxosProposer *p)
{
    std::string s = "quorum of";
    for (size_t t = 2; t <= 5; t++) s += " " + std::to_string(t) + (paxos_proposer_has_promise_quorum(p, t) ? ":y" : ":n");
    PaxosPhase2Msg m = paxos_proposer_accept(p, "own");
    PaxosPn c = paxos_proposer_current(p);
    return s + " accept '" + m.value + "' current " + std::to_string(c.round) + "," + std::to_string(c.proposer_id);
}
std::string ora_prop_str(oracle::PaxosProposer *p)
{
    std::string s = "quorum of";
    for (size_t t = 2; t <= 5; t++)
        s += " " + std::to_string(t) + (oracle::paxos_proposer_has_promise_quorum(p, t) ? ":y" : ":n");
    oracle::PaxosPhase2Msg m = oracle::paxos_proposer_accept(p, "own");
    oracle::PaxosPn c = oracle::paxos_proposer_current(p);
    return s + " accept '" + m.value + "' current " + std::to_string(c.round) + "," + std::to_string(c.proposer_id);
}

template <typename F> std::string learned_str(F learned)
{
    std::string s;
    for (size_t t = 3; t <= 5; t += 2) {
        std::string v;
        s += "of " + std::to_string(t) + ": " + (learned(t, &v) ? "'" + v + "' " : "nothing ");
    }
    return s;
}

void b_apply_sub(void *, const void *opp)
{
    BasicOp op;
    memcpy(&op, opp, sizeof op);
    BasicCtx &x = bctx;
    PaxosPn pn = sub_pn(op.pn);
    switch (op.kind) {
    case B_PREPARE: {
        PaxosPhase1Msg m = paxos_acceptor_receive_prepare(&x.sub_acc[op.who], pn);
        x.sub_out = p1_str(m, m.kind != PAXOS_PROMISE) + " | " + acc_str(x.sub_acc[op.who]);
        break;
    }
    case B_ACCEPT: {
        PaxosPhase2Msg m = paxos_acceptor_receive_accept(&x.sub_acc[op.who], pn, VALUES[op.value]);
        x.sub_out = p2_str(m, m.kind != PAXOS_ACCEPTED) + " | " + acc_str(x.sub_acc[op.who]);
        break;
    }
    case P_PREPARE: {
        PaxosPhase1Msg m = paxos_proposer_prepare(x.sub_prop);
        x.sub_out = "prepare " + std::to_string(m.proposal.round) + "," + std::to_string(m.proposal.proposer_id);
        break;
    }
    case P_PROMISE:
    case P_OLD_PROMISE: {
        PaxosPn cur = paxos_proposer_current(x.sub_prop);
        if (op.kind == P_OLD_PROMISE) cur = pn;
        PaxosPhase1Msg m{PAXOS_PROMISE, cur, op.has_accepted, op.has_accepted ? sub_pn(op.accepted) : PaxosPn{0, 0},
                         op.has_accepted ? VALUES[op.value] : "", {0, 0}};
        paxos_proposer_receive_promise(x.sub_prop, op.who, &m);
        x.sub_out = sub_prop_str(x.sub_prop);
        break;
    }
    case P_NACK: {
        PaxosPhase1Msg m{PAXOS_NACK, paxos_proposer_current(x.sub_prop), false, {0, 0}, {}, pn};
        paxos_proposer_receive_promise(x.sub_prop, op.who, &m);
        PaxosPhase1Msg next = paxos_proposer_prepare(x.sub_prop);
        x.sub_out = "after the nack, prepare " + std::to_string(next.proposal.round);
        break;
    }
    case P_RESTART:
        paxos_proposer_restart(x.sub_prop);
        x.sub_out = sub_prop_str(x.sub_prop);
        break;
    case L_LEARN:
        paxos_learner_learn(x.sub_learn, pn, VALUES[op.value], op.who);
        x.sub_out = learned_str([&](size_t t, std::string *v) { return paxos_learner_learned_value(x.sub_learn, t, v); });
        break;
    default:
        break;
    }
}

void b_apply_oracle(void *, const void *opp)
{
    BasicOp op;
    memcpy(&op, opp, sizeof op);
    BasicCtx &x = bctx;
    oracle::PaxosPn pn = ora_pn(op.pn);
    switch (op.kind) {
    case B_PREPARE: {
        oracle::PaxosPhase1Msg m = oracle::paxos_acceptor_receive_prepare(&x.ora_acc[op.who], pn);
        x.ora_out = p1_str(m, m.kind != oracle::PAXOS_PROMISE) + " | " + acc_str(x.ora_acc[op.who]);
        break;
    }
    case B_ACCEPT: {
        oracle::PaxosPhase2Msg m = oracle::paxos_acceptor_receive_accept(&x.ora_acc[op.who], pn, VALUES[op.value]);
        x.ora_out = p2_str(m, m.kind != oracle::PAXOS_ACCEPTED) + " | " + acc_str(x.ora_acc[op.who]);
        break;
    }
    case P_PREPARE: {
        oracle::PaxosPhase1Msg m = oracle::paxos_proposer_prepare(x.ora_prop);
        x.ora_out = "prepare " + std::to_string(m.proposal.round) + "," + std::to_string(m.proposal.proposer_id);
        break;
    }
    case P_PROMISE:
    case P_OLD_PROMISE: {
        oracle::PaxosPn cur = oracle::paxos_proposer_current(x.ora_prop);
        if (op.kind == P_OLD_PROMISE) cur = pn;
        oracle::PaxosPhase1Msg m{oracle::PAXOS_PROMISE, cur, op.has_accepted,
                                 op.has_accepted ? ora_pn(op.accepted) : oracle::PaxosPn{0, 0},
                                 op.has_accepted ? VALUES[op.value] : "", {0, 0}};
        oracle::paxos_proposer_receive_promise(x.ora_prop, op.who, &m);
        x.ora_out = ora_prop_str(x.ora_prop);
        break;
    }
    case P_NACK: {
        oracle::PaxosPhase1Msg m{oracle::PAXOS_NACK, oracle::paxos_proposer_current(x.ora_prop), false, {0, 0}, {}, pn};
        oracle::paxos_proposer_receive_promise(x.ora_prop, op.who, &m);
        oracle::PaxosPhase1Msg next = oracle::paxos_proposer_prepare(x.ora_prop);
        x.ora_out = "after the nack, prepare " + std::to_string(next.proposal.round);
        break;
    }
    case P_RESTART:
        oracle::paxos_proposer_restart(x.ora_prop);
        x.ora_out = ora_prop_str(x.ora_prop);
        break;
    case L_LEARN:
        oracle::paxos_learner_learn(x.ora_learn, pn, VALUES[op.value], op.who);
        x.ora_out = learned_str([&](size_t t, std::string *v) { return oracle::paxos_learner_learned_value(x.ora_learn, t, v); });
        break;
    default:
        break;
    }
}

bool b_compare(void *, const void *, char *diff, size_t cap)
{
    if (bctx.sub_out == bctx.ora_out) return true;
    snprintf(diff, cap, "submission: %s\n    reference:  %s", bctx.sub_out.c_str(), bctx.ora_out.c_str());
    return false;
}

void b_print(void *, const void *opp, char *out, size_t cap)
{
    BasicOp op;
    memcpy(&op, opp, sizeof op);
    const char *v = VALUES[op.value];
    unsigned r = op.pn.round, id = op.pn.id, w = op.who;
    switch (op.kind) {
    case B_PREPARE: snprintf(out, cap, "paxos_acceptor_receive_prepare(acceptor %u, (%u,%u))", w, r, id); break;
    case B_ACCEPT: snprintf(out, cap, "paxos_acceptor_receive_accept(acceptor %u, (%u,%u), '%s')", w, r, id, v); break;
    case P_PREPARE: snprintf(out, cap, "paxos_proposer_prepare(proposer 7)"); break;
    case P_PROMISE:
        if (op.has_accepted)
            snprintf(out, cap, "receive_promise(from %u, PROMISE for the current proposal, accepted (%u,%u)='%s')", w,
                     (unsigned)op.accepted.round, (unsigned)op.accepted.id, v);
        else snprintf(out, cap, "receive_promise(from %u, PROMISE for the current proposal, nothing accepted)", w);
        break;
    case P_OLD_PROMISE: snprintf(out, cap, "receive_promise(from %u, PROMISE for (%u,%u))", w, r, id); break;
    case P_NACK: snprintf(out, cap, "receive_promise(from %u, NACK naming (%u,%u)), then prepare", w, r, id); break;
    case P_RESTART: snprintf(out, cap, "paxos_proposer_restart"); break;
    case L_LEARN: snprintf(out, cap, "paxos_learner_learn((%u,%u), '%s', from %u)", r, id, v, w); break;
    default: snprintf(out, cap, "?"); break;
    }
}

// ---- Multi-Paxos: three log acceptors, one leader, one replica ----

enum MultiKind : uint8_t { LA_PREPARE, LA_ACCEPT, LD_PREPARE, LD_PROMISE, LD_PROPOSE, LD_REJECT, LD_RESTART, R_ACCEPTED, R_CHOSEN, R_APPLY, M_KINDS };
struct MultiOp {
    MultiKind kind;
    uint8_t who; // acceptor
    SmallPn pn;
    uint8_t slot; // 1..5 (0 for a few, which the README says are refused)
    uint8_t value;
};

struct MultiCtx {
    PaxosLogAcceptor sub_acc[NACC];
    oracle::PaxosLogAcceptor ora_acc[NACC];
    PaxosLeader *sub_ld = nullptr;
    oracle::PaxosLeader *ora_ld = nullptr;
    PaxosReplica *sub_rep = nullptr;
    oracle::PaxosReplica *ora_rep = nullptr;
    std::string sub_out, ora_out;
} mctx;

void m_reset(void *)
{
    MultiCtx &x = mctx;
    for (int i = 0; i < NACC; i++) {
        paxos_log_acceptor_init(&x.sub_acc[i], (uint64_t)i);
        oracle::paxos_log_acceptor_init(&x.ora_acc[i], (uint64_t)i);
    }
    if (x.sub_ld) paxos_leader_free(x.sub_ld);
    if (x.ora_ld) oracle::paxos_leader_free(x.ora_ld);
    if (x.sub_rep) paxos_replica_free(x.sub_rep);
    if (x.ora_rep) oracle::paxos_replica_free(x.ora_rep);
    x.sub_ld = paxos_leader_new(1, NACC);
    x.ora_ld = oracle::paxos_leader_new(1, NACC);
    x.sub_rep = paxos_replica_new(0, NACC);
    x.ora_rep = oracle::paxos_replica_new(0, NACC);
}

void m_gen(void *, nl_rng *rng, void *out)
{
    MultiOp op{};
    op.kind = (MultiKind)nl_rng_below(rng, M_KINDS);
    op.who = (uint8_t)nl_rng_below(rng, NACC);
    op.pn = gen_pn(rng);
    op.slot = (uint8_t)(nl_rng_chance(rng, 0.05) ? 0 : nl_rng_range(rng, 1, 5));
    op.value = (uint8_t)nl_rng_below(rng, 4);
    memcpy(out, &op, sizeof op);
}

template <typename Map> std::string slots_map_str(const Map &m)
{
    std::string s;
    for (auto &kv : m)
        s += " " + std::to_string(kv.first) + ":" + std::to_string(kv.second.pn.round) + "," +
             std::to_string(kv.second.pn.proposer_id) + "='" + kv.second.value + "'";
    return s.empty() ? " (none)" : s;
}

template <typename V> std::string pairs_str(const V &v)
{
    std::string s;
    for (auto &sv : v) s += " " + std::to_string(sv.first) + "='" + sv.second + "'";
    return s.empty() ? " (none)" : s;
}

template <typename A> std::string lacc_str(const A &a)
{
    return "promised " + (a.has_promised ? std::to_string(a.promised.round) + "," + std::to_string(a.promised.proposer_id)
                                         : std::string("(none)")) +
           " slots" + slots_map_str(a.accepted);
}

std::string sub_ld_str()
{
    PaxosPn pn = paxos_leader_pn(mctx.sub_ld);
    return std::string(paxos_leader_is_leading(mctx.sub_ld) ? "leading" : "not leading") + " pn " +
           std::to_string(pn.round) + "," + std::to_string(pn.proposer_id) + " recovery" +
           pairs_str(paxos_leader_recovery(mctx.sub_ld));
}
std::string ora_ld_str()
{
    oracle::PaxosPn pn = oracle::paxos_leader_pn(mctx.ora_ld);
    return std::string(oracle::paxos_leader_is_leading(mctx.ora_ld) ? "leading" : "not leading") + " pn " +
           std::to_string(pn.round) + "," + std::to_string(pn.proposer_id) + " recovery" +
           pairs_str(oracle::paxos_leader_recovery(mctx.ora_ld));
}

template <typename F> std::string chosen_str(F chosen)
{
    std::string s = "chosen";
    for (uint64_t slot = 0; slot <= 5; slot++) {
        std::string v;
        if (chosen(slot, &v)) s += " " + std::to_string(slot) + "='" + v + "'";
    }
    return s;
}

void m_apply_sub(void *, const void *opp)
{
    MultiOp op;
    memcpy(&op, opp, sizeof op);
    MultiCtx &x = mctx;
    PaxosPn pn = sub_pn(op.pn);
    PaxosLogAcceptor &a = x.sub_acc[op.who];
    switch (op.kind) {
    case LA_PREPARE: {
        PaxosLogPromise m = paxos_log_acceptor_prepare(&a, pn, op.slot);
        x.sub_out = (m.ok ? "promise" + slots_map_str(m.accepted)
                          : "nack " + std::to_string(m.highest_seen.round) + "," + std::to_string(m.highest_seen.proposer_id)) +
                    " | " + lacc_str(a);
        break;
    }
    case LA_ACCEPT: {
        PaxosPhase2Msg m = paxos_log_acceptor_accept(&a, pn, op.slot, VALUES[op.value]);
        x.sub_out = std::string(m.kind == PAXOS_ACCEPTED ? "ACCEPTED" : "REJECTED") + " | " + lacc_str(a);
        break;
    }
    case LD_PREPARE: {
        PaxosPn p = paxos_leader_prepare(x.sub_ld, op.slot);
        x.sub_out = "prepare " + std::to_string(p.round) + "," + std::to_string(p.proposer_id) + " | " + sub_ld_str();
        break;
    }
    case LD_PROMISE: {
        // Acceptor `who` answers the leader's current prepare from slot 1 (the real answer, from
        // this side's own acceptor).
        PaxosLogPromise m = paxos_log_acceptor_prepare(&a, paxos_leader_pn(x.sub_ld), 1);
        bool won = paxos_leader_on_promise(x.sub_ld, op.who, &m);
        x.sub_out = std::string(won ? "won | " : "| ") + sub_ld_str();
        break;
    }
    case LD_PROPOSE: {
        uint64_t s = paxos_leader_propose(x.sub_ld, VALUES[op.value]);
        x.sub_out = "slot " + std::to_string(s);
        break;
    }
    case LD_REJECT:
        paxos_leader_on_reject(x.sub_ld, pn);
        x.sub_out = sub_ld_str();
        break;
    case LD_RESTART:
        paxos_leader_restart(x.sub_ld);
        x.sub_out = sub_ld_str();
        break;
    case R_ACCEPTED: {
        bool now = paxos_replica_on_accepted(x.sub_rep, op.who, op.slot, pn, VALUES[op.value]);
        x.sub_out = std::string(now ? "newly chosen | " : "| ") +
                    chosen_str([&](uint64_t s, std::string *v) { return paxos_replica_chosen(x.sub_rep, s, v); });
        break;
    }
    case R_CHOSEN:
        paxos_replica_on_chosen(x.sub_rep, op.slot, VALUES[op.value]);
        x.sub_out = chosen_str([&](uint64_t s, std::string *v) { return paxos_replica_chosen(x.sub_rep, s, v); });
        break;
    case R_APPLY:
        x.sub_out = "applied" + pairs_str(paxos_replica_apply(x.sub_rep)) + " total " +
                    std::to_string(paxos_replica_applied(x.sub_rep));
        break;
    default:
        break;
    }
}

void m_apply_oracle(void *, const void *opp)
{
    MultiOp op;
    memcpy(&op, opp, sizeof op);
    MultiCtx &x = mctx;
    oracle::PaxosPn pn = ora_pn(op.pn);
    oracle::PaxosLogAcceptor &a = x.ora_acc[op.who];
    switch (op.kind) {
    case LA_PREPARE: {
        oracle::PaxosLogPromise m = oracle::paxos_log_acceptor_prepare(&a, pn, op.slot);
        x.ora_out = (m.ok ? "promise" + slots_map_str(m.accepted)
                          : "nack " + std::to_string(m.highest_seen.round) + "," + std::to_string(m.highest_seen.proposer_id)) +
                    " | " + lacc_str(a);
        break;
    }
    case LA_ACCEPT: {
        oracle::PaxosPhase2Msg m = oracle::paxos_log_acceptor_accept(&a, pn, op.slot, VALUES[op.value]);
        x.ora_out = std::string(m.kind == oracle::PAXOS_ACCEPTED ? "ACCEPTED" : "REJECTED") + " | " + lacc_str(a);
        break;
    }
    case LD_PREPARE: {
        oracle::PaxosPn p = oracle::paxos_leader_prepare(x.ora_ld, op.slot);
        x.ora_out = "prepare " + std::to_string(p.round) + "," + std::to_string(p.proposer_id) + " | " + ora_ld_str();
        break;
    }
    case LD_PROMISE: {
        oracle::PaxosLogPromise m = oracle::paxos_log_acceptor_prepare(&a, oracle::paxos_leader_pn(x.ora_ld), 1);
        bool won = oracle::paxos_leader_on_promise(x.ora_ld, op.who, &m);
        x.ora_out = std::string(won ? "won | " : "| ") + ora_ld_str();
        break;
    }
    case LD_PROPOSE: {
        uint64_t s = oracle::paxos_leader_propose(x.ora_ld, VALUES[op.value]);
        x.ora_out = "slot " + std::to_string(s);
        break;
    }
    case LD_REJECT:
        oracle::paxos_leader_on_reject(x.ora_ld, pn);
        x.ora_out = ora_ld_str();
        break;
    case LD_RESTART:
        oracle::paxos_leader_restart(x.ora_ld);
        x.ora_out = ora_ld_str();
        break;
    case R_ACCEPTED: {
        bool now = oracle::paxos_replica_on_accepted(x.ora_rep, op.who, op.slot, pn, VALUES[op.value]);
        x.ora_out = std::string(now ? "newly chosen | " : "| ") +
                    chosen_str([&](uint64_t s, std::string *v) { return oracle::paxos_replica_chosen(x.ora_rep, s, v); });
        break;
    }
    case R_CHOSEN:
        oracle::paxos_replica_on_chosen(x.ora_rep, op.slot, VALUES[op.value]);
        x.ora_out = chosen_str([&](uint64_t s, std::string *v) { return oracle::paxos_replica_chosen(x.ora_rep, s, v); });
        break;
    case R_APPLY:
        x.ora_out = "applied" + pairs_str(oracle::paxos_replica_apply(x.ora_rep)) + " total " +
                    std::to_string(oracle::paxos_replica_applied(x.ora_rep));
        break;
    default:
        break;
    }
}

bool m_compare(void *, const void *, char *diff, size_t cap)
{
    if (mctx.sub_out == mctx.ora_out) return true;
    snprintf(diff, cap, "submission: %s\n    reference:  %s", mctx.sub_out.c_str(), mctx.ora_out.c_str());
    return false;
}

void m_print(void *, const void *opp, char *out, size_t cap)
{
    MultiOp op;
    memcpy(&op, opp, sizeof op);
    const char *v = VALUES[op.value];
    unsigned r = op.pn.round, id = op.pn.id, w = op.who, s = op.slot;
    switch (op.kind) {
    case LA_PREPARE: snprintf(out, cap, "paxos_log_acceptor_prepare(acceptor %u, (%u,%u), from slot %u)", w, r, id, s); break;
    case LA_ACCEPT: snprintf(out, cap, "paxos_log_acceptor_accept(acceptor %u, (%u,%u), slot %u, '%s')", w, r, id, s, v); break;
    case LD_PREPARE: snprintf(out, cap, "paxos_leader_prepare(leader 1, first slot %u)", s); break;
    case LD_PROMISE: snprintf(out, cap, "acceptor %u answers the leader's prepare from slot 1; paxos_leader_on_promise", w); break;
    case LD_PROPOSE: snprintf(out, cap, "paxos_leader_propose('%s')", v); break;
    case LD_REJECT: snprintf(out, cap, "paxos_leader_on_reject((%u,%u))", r, id); break;
    case LD_RESTART: snprintf(out, cap, "paxos_leader_restart"); break;
    case R_ACCEPTED: snprintf(out, cap, "paxos_replica_on_accepted(from %u, slot %u, (%u,%u), '%s')", w, s, r, id, v); break;
    case R_CHOSEN: snprintf(out, cap, "paxos_replica_on_chosen(slot %u, '%s')", s, v); break;
    case R_APPLY: snprintf(out, cap, "paxos_replica_apply"); break;
    default: snprintf(out, cap, "?"); break;
    }
}
} // namespace

// R2-R8: the single-decree roles against the reference, 300 seeds of 40 calls.
void test_diff_basic_roles(void **)
{
    static const nl_diff_ops ops = {sizeof(BasicOp), nullptr, b_reset, b_gen, b_apply_sub, b_apply_oracle, b_compare, b_print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 40});
}

// R10-R13: the Multi-Paxos roles against the reference, 300 seeds of 40 calls.
void test_diff_multi_roles(void **)
{
    static const nl_diff_ops ops = {sizeof(MultiOp), nullptr, m_reset, m_gen, m_apply_sub, m_apply_oracle, m_compare, m_print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 40});
}
