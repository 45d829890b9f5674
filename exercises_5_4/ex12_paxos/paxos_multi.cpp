// paxos_multi.cpp — EX12 reference, Multi-Paxos: the log acceptor (one promise for every slot),
// the leader (phase 1 once, then phase 2 only, slot after slot) and the replica that learns chosen
// slots and applies them in order.
#include "paxos.h"

#include <set>

// ---- log acceptor ----

void paxos_log_acceptor_init(PaxosLogAcceptor *a, uint64_t id)
{
    a->id = id;
    a->has_promised = false;
    a->promised = PaxosPn{0, 0};
    a->accepted.clear();
}

static bool log_may_answer(const PaxosLogAcceptor *a, PaxosPn pn)
{
    return !a->has_promised || paxos_pn_cmp(pn, a->promised) >= 0;
}

PaxosLogPromise paxos_log_acceptor_prepare(PaxosLogAcceptor *a, PaxosPn pn, uint64_t from_slot)
{
    PaxosLogPromise m{false, pn, {0, 0}, {}};
    if (!log_may_answer(a, pn)) {
        m.highest_seen = a->promised;
        return m;
    }
    a->has_promised = true;
    a->promised = pn;
    m.ok = true;
    for (auto it = a->accepted.lower_bound(from_slot); it != a->accepted.end(); ++it) m.accepted.insert(*it);
    return m;
}

PaxosPhase2Msg paxos_log_acceptor_accept(PaxosLogAcceptor *a, PaxosPn pn, uint64_t slot, const std::string &value)
{
    if (slot == 0 || !log_may_answer(a, pn)) return PaxosPhase2Msg{PAXOS_REJECTED, pn, {}, a->promised};
    a->has_promised = true;
    a->promised = pn;
    a->accepted[slot] = PaxosSlotAccepted{pn, value};
    return PaxosPhase2Msg{PAXOS_ACCEPTED, pn, value, {0, 0}};
}

// ---- leader ----

struct PaxosLeader {
    uint64_t id;
    size_t n;               // acceptors, ids 0..n-1
    PaxosPn pn;             // the proposal of the last phase 1
    uint64_t highest_round; // highest round seen from a competitor
    bool preparing, leading;
    uint64_t first_slot;    // phase 1 covers every slot from here on
    std::set<uint64_t> promised_by;
    std::map<uint64_t, PaxosSlotAccepted> merged; // slot -> highest-numbered accepted value reported
    std::vector<std::pair<uint64_t, std::string>> recovery;
    uint64_t next_slot;
};

PaxosLeader *paxos_leader_new(uint64_t id, size_t num_acceptors)
{
    return new PaxosLeader{id, num_acceptors, {0, id}, 0, false, false, 1, {}, {}, {}, 1};
}

void paxos_leader_free(PaxosLeader *l) { delete l; }

PaxosPn paxos_leader_prepare(PaxosLeader *l, uint64_t first_slot)
{
    uint64_t base = l->pn.round > l->highest_round ? l->pn.round : l->highest_round;
    l->pn = PaxosPn{base + 1, l->id};
    l->preparing = true;
    l->leading = false;
    l->first_slot = first_slot ? first_slot : 1;
    l->promised_by.clear();
    l->merged.clear();
    l->recovery.clear();
    return l->pn;
}

bool paxos_leader_on_promise(PaxosLeader *l, uint64_t from, const PaxosLogPromise *msg)
{
    if (!msg->ok) {
        paxos_leader_on_reject(l, msg->highest_seen);
        return false;
    }
    if (!l->preparing || from >= l->n || paxos_pn_cmp(msg->proposal, l->pn) != 0) return false;
    if (!l->promised_by.insert(from).second) return false; // a duplicate is one promise
    for (const auto &kv : msg->accepted) {
        if (kv.first < l->first_slot) continue;
        auto it = l->merged.find(kv.first);
        if (it == l->merged.end() || paxos_pn_cmp(kv.second.pn, it->second.pn) > 0) l->merged[kv.first] = kv.second;
    }
    if (l->promised_by.size() * 2 <= l->n) return false;
    // A majority promised: every slot some acceptor of it accepted may hold a chosen value, so
    // each is proposed again with the highest-numbered value, and a hole gets a no-op.
    l->preparing = false;
    l->leading = true;
    uint64_t last = l->merged.empty() ? l->first_slot - 1 : l->merged.rbegin()->first;
    for (uint64_t s = l->first_slot; s <= last; s++) {
        auto it = l->merged.find(s);
        l->recovery.push_back({s, it == l->merged.end() ? std::string(PAXOS_NOOP) : it->second.value});
    }
    l->next_slot = last + 1;
    return true;
}

std::vector<std::pair<uint64_t, std::string>> paxos_leader_recovery(const PaxosLeader *l)
{
    if (!l->leading) return {};
    return l->recovery;
}

uint64_t paxos_leader_propose(PaxosLeader *l, const std::string &)
{
    if (!l->leading) return 0;
    return l->next_slot++;
}

void paxos_leader_on_reject(PaxosLeader *l, PaxosPn highest_seen)
{
    if (paxos_pn_cmp(highest_seen, l->pn) <= 0) return; // about an older proposal of ours
    if (highest_seen.round > l->highest_round) l->highest_round = highest_seen.round;
    l->preparing = false;
    l->leading = false;
}

bool paxos_leader_is_leading(const PaxosLeader *l) { return l->leading; }

PaxosPn paxos_leader_pn(const PaxosLeader *l) { return l->pn; }

void paxos_leader_restart(PaxosLeader *l)
{
    // pn.round and highest_round are durable; leadership is not.
    l->preparing = false;
    l->leading = false;
    l->promised_by.clear();
    l->merged.clear();
    l->recovery.clear();
}

// ---- replica ----

struct PaxosReplica {
    uint64_t id;
    size_t n;
    // slot -> proposal (round, proposer) -> acceptors that accepted it there
    std::map<uint64_t, std::map<std::pair<uint64_t, uint64_t>, std::set<uint64_t>>> votes;
    std::map<uint64_t, std::string> chosen;
    uint64_t applied;
};

PaxosReplica *paxos_replica_new(uint64_t id, size_t num_acceptors)
{
    return new PaxosReplica{id, num_acceptors, {}, {}, 0};
}

void paxos_replica_free(PaxosReplica *r) { delete r; }

bool paxos_replica_on_accepted(PaxosReplica *r, uint64_t from, uint64_t slot, PaxosPn pn, const std::string &value)
{
    if (slot == 0 || from >= r->n || r->chosen.count(slot)) return false;
    std::set<uint64_t> &who = r->votes[slot][{pn.round, pn.proposer_id}];
    who.insert(from);
    if (who.size() * 2 <= r->n) return false;
    r->chosen[slot] = value;
    r->votes.erase(slot); // its counts are no longer needed
    return true;
}

void paxos_replica_on_chosen(PaxosReplica *r, uint64_t slot, const std::string &value)
{
    if (slot == 0 || r->chosen.count(slot)) return; // a chosen slot never changes
    r->chosen[slot] = value;
    r->votes.erase(slot);
}

bool paxos_replica_chosen(const PaxosReplica *r, uint64_t slot, std::string *value)
{
    auto it = r->chosen.find(slot);
    if (it == r->chosen.end()) return false;
    if (value) *value = it->second;
    return true;
}

std::vector<std::pair<uint64_t, std::string>> paxos_replica_apply(PaxosReplica *r)
{
    std::vector<std::pair<uint64_t, std::string>> out;
    for (auto it = r->chosen.find(r->applied + 1); it != r->chosen.end() && it->first == r->applied + 1;
         it = r->chosen.find(r->applied + 1)) {
        out.push_back(*it);
        r->applied++;
    }
    return out;
}

uint64_t paxos_replica_applied(const PaxosReplica *r) { return r->applied; }
