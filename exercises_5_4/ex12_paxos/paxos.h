// paxos.h — EX12 PaxosEngine: the roles of Basic Paxos (acceptor, proposer, learner), the seed's
// in-memory PaxosInstance, and the pieces of Multi-Paxos for a replicated log (a log acceptor, a
// leader that runs phase 1 once for every slot, a replica that applies chosen slots in order).
// Every role is a pure state machine: no clock, no I/O; the caller carries the messages.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

// ---- proposal numbers ----
// Ordered by round, then proposer_id. {0, 0} means "none": every real proposal has round >= 1.
struct PaxosPn {
    uint64_t round;
    uint64_t proposer_id;
};
int paxos_pn_cmp(PaxosPn a, PaxosPn b); // < 0, 0 or > 0, as a is before, equal to or after b

enum PaxosKind {
    PAXOS_PREPARE,  // phase 1a
    PAXOS_PROMISE,  // phase 1b, yes
    PAXOS_NACK,     // phase 1b, no: a higher proposal was promised
    PAXOS_ACCEPT,   // phase 2a
    PAXOS_ACCEPTED, // phase 2b, yes
    PAXOS_REJECTED, // phase 2b, no
};

struct PaxosPhase1Msg {
    PaxosKind kind;           // PREPARE, PROMISE or NACK
    PaxosPn proposal;         // the proposal prepared, or answered
    bool has_accepted;        // PROMISE: this acceptor accepted something before...
    PaxosPn accepted_pn;      // ...under this proposal...
    std::string accepted_value; // ...with this value
    PaxosPn highest_seen;     // NACK: the proposal this acceptor has promised
};

struct PaxosPhase2Msg {
    PaxosKind kind;       // ACCEPT, ACCEPTED or REJECTED
    PaxosPn proposal;     // the proposal sent, or answered
    std::string value;    // ACCEPT and ACCEPTED: the value
    PaxosPn highest_seen; // REJECTED: the proposal this acceptor has promised
};

// ---- acceptor (single decree) ----
// A plain struct: these fields are exactly what an acceptor keeps on disk, so a crash and restart
// keeps them (the simulator never touches them).
struct PaxosAcceptor {
    uint64_t id;
    bool has_promised;
    PaxosPn promised;
    bool has_accepted;
    PaxosPn accepted_pn;
    std::string accepted_value;
};
void paxos_acceptor_init(PaxosAcceptor *a, uint64_t id);
PaxosPhase1Msg paxos_acceptor_receive_prepare(PaxosAcceptor *a, PaxosPn pn);
PaxosPhase2Msg paxos_acceptor_receive_accept(PaxosAcceptor *a, PaxosPn pn, const std::string &value);

// ---- proposer (single decree) ----
struct PaxosProposer; // yours to define
PaxosProposer *paxos_proposer_new(uint64_t id);
void paxos_proposer_free(PaxosProposer *p);
PaxosPhase1Msg paxos_proposer_prepare(PaxosProposer *p);
void paxos_proposer_receive_promise(PaxosProposer *p, uint64_t from, const PaxosPhase1Msg *msg);
bool paxos_proposer_has_promise_quorum(const PaxosProposer *p, size_t total);
PaxosPhase2Msg paxos_proposer_accept(PaxosProposer *p, const std::string &own_value);
PaxosPn paxos_proposer_current(const PaxosProposer *p);
void paxos_proposer_restart(PaxosProposer *p);

// ---- learner (single decree) ----
struct PaxosLearner; // yours to define
PaxosLearner *paxos_learner_new(uint64_t id);
void paxos_learner_free(PaxosLearner *l);
void paxos_learner_learn(PaxosLearner *l, PaxosPn pn, const std::string &value, uint64_t from);
bool paxos_learner_learned_value(const PaxosLearner *l, size_t total, std::string *value);

// ---- the seed's instance: one proposer, n acceptors, m learners, in memory ----
enum PaxosResultKind { PAXOS_CHOSEN, PAXOS_NO_QUORUM, PAXOS_CONFLICT };
struct PaxosResult {
    PaxosResultKind kind;
    std::string value; // CHOSEN: the value chosen (not necessarily the one proposed)
    PaxosPn conflict;  // CONFLICT: the highest proposal an acceptor had promised
};
struct PaxosInstance; // yours to define
PaxosInstance *paxos_instance_new(uint64_t proposer_id, size_t num_acceptors, size_t num_learners);
void paxos_instance_free(PaxosInstance *inst);
PaxosResult paxos_propose(PaxosInstance *inst, const std::string &value);
int paxos_fail_acceptor(PaxosInstance *inst, uint64_t id);
PaxosAcceptor *paxos_instance_acceptor(PaxosInstance *inst, uint64_t id);
bool paxos_instance_learned(const PaxosInstance *inst, size_t learner, std::string *value);

// ---- Multi-Paxos ----
// Slots are numbered from 1. A leader fills a slot it found empty with PAXOS_NOOP.
#define PAXOS_NOOP ""

struct PaxosSlotAccepted {
    PaxosPn pn;
    std::string value;
};

// The log acceptor: one promise that covers every slot, one accepted (pn, value) per slot.
// A plain struct for the same reason as PaxosAcceptor: it is the durable state.
struct PaxosLogAcceptor {
    uint64_t id;
    bool has_promised;
    PaxosPn promised;
    std::map<uint64_t, PaxosSlotAccepted> accepted; // slot -> what it accepted there
};

struct PaxosLogPromise {
    bool ok;              // true: a promise; false: a nack
    PaxosPn proposal;     // the proposal answered
    PaxosPn highest_seen; // nack: the proposal promised instead
    std::map<uint64_t, PaxosSlotAccepted> accepted; // promise: every slot >= from_slot accepted here
};

void paxos_log_acceptor_init(PaxosLogAcceptor *a, uint64_t id);
PaxosLogPromise paxos_log_acceptor_prepare(PaxosLogAcceptor *a, PaxosPn pn, uint64_t from_slot);
PaxosPhase2Msg paxos_log_acceptor_accept(PaxosLogAcceptor *a, PaxosPn pn, uint64_t slot, const std::string &value);

struct PaxosLeader; // yours to define
PaxosLeader *paxos_leader_new(uint64_t id, size_t num_acceptors);
void paxos_leader_free(PaxosLeader *l);
PaxosPn paxos_leader_prepare(PaxosLeader *l, uint64_t first_slot);
bool paxos_leader_on_promise(PaxosLeader *l, uint64_t from, const PaxosLogPromise *msg);
std::vector<std::pair<uint64_t, std::string>> paxos_leader_recovery(const PaxosLeader *l);
uint64_t paxos_leader_propose(PaxosLeader *l, const std::string &value);
void paxos_leader_on_reject(PaxosLeader *l, PaxosPn highest_seen);
bool paxos_leader_is_leading(const PaxosLeader *l);
PaxosPn paxos_leader_pn(const PaxosLeader *l);
void paxos_leader_restart(PaxosLeader *l);

struct PaxosReplica; // yours to define
PaxosReplica *paxos_replica_new(uint64_t id, size_t num_acceptors);
void paxos_replica_free(PaxosReplica *r);
bool paxos_replica_on_accepted(PaxosReplica *r, uint64_t from, uint64_t slot, PaxosPn pn, const std::string &value);
void paxos_replica_on_chosen(PaxosReplica *r, uint64_t slot, const std::string &value);
bool paxos_replica_chosen(const PaxosReplica *r, uint64_t slot, std::string *value);
std::vector<std::pair<uint64_t, std::string>> paxos_replica_apply(PaxosReplica *r);
uint64_t paxos_replica_applied(const PaxosReplica *r);
