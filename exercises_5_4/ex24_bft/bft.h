// bft.h — EX24 ByzantineFaultTolerance: the 3f+1 bound, HMAC-SHA256 message authentication, a PBFT
// replica (pre-prepare / prepare / commit, view change with prepared certificates) as a pure state
// machine, and the seed's small sketches (view-change vote counter, Tendermint rounds).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

enum {
    BFT_KEY_LEN = 32,      // every replica's secret key
    BFT_DIGEST_LEN = 32,   // SHA-256
    BFT_MAC_LEN = 32,      // HMAC-SHA256
    BFT_MAX_NODES = 64,    // largest cluster bft_new accepts
    BFT_WINDOW = 64,       // sequence numbers accepted: 1 .. last_executed + BFT_WINDOW
    BFT_MAX_BACKOFF = 6,   // the view-change timeout doubles at most this many times
};

// ---- the bound (bft_basics.cpp) ----
// Nodes needed to tolerate f Byzantine faults: 3f + 1; 0 when that does not fit in 32 bits.
uint32_t bft_minimum_nodes_for_faults(uint32_t f);
// Faults a cluster of n tolerates: (n - 1) / 3; 0 for n == 0.
uint32_t bft_max_faults_for_nodes(uint32_t n);
// Matching votes that make a quorum in a cluster of n: ceil((n + f + 1) / 2) with f = max faults
// (2f + 1 when n == 3f + 1); 0 for n == 0.
uint32_t bft_quorum_size(uint32_t n);
// The primary of a view: view mod n (0 for n == 0).
uint32_t bft_primary_of(uint64_t view, uint32_t n);
// "O(n^2) = O(<n*n>) messages per request", written into buf (truncated to len); returns the
// length of the full text, like snprintf.
int bft_pbft_message_complexity(uint32_t n, char *buf, size_t len);
const char *bft_hotstuff_message_complexity(void); // "O(n) - linear complexity using threshold signatures"

// ---- the seed's view-change vote counter (bft_basics.cpp) ----
struct BftViewChangeVotes {
    uint32_t quorum;
    uint64_t current_view;
    std::map<uint64_t, std::set<uint64_t>> votes; // new view -> replicas that asked for it
};
void bft_vcm_init(BftViewChangeVotes *vcm, uint32_t quorum); // view 0, no votes
// Records that `replica` asks for `new_view`; false (nothing recorded) when new_view <= current_view.
bool bft_vcm_request(BftViewChangeVotes *vcm, uint64_t new_view, uint64_t replica);
bool bft_vcm_is_complete(const BftViewChangeVotes *vcm, uint64_t new_view); // distinct votes >= quorum
// Moves to new_view when it is complete and new_view > current_view; returns whether it moved.
bool bft_vcm_complete(BftViewChangeVotes *vcm, uint64_t new_view);

// ---- Tendermint's round and lock (bft_basics.cpp) ----
enum TendermintPhase { TM_PROPOSE, TM_PREVOTE, TM_PRECOMMIT, TM_COMMIT };
struct TendermintReplica {
    uint64_t id, height;
    uint32_t round;
    TendermintPhase phase;
    bool locked;              // locked on locked_value since locked_round, at this height
    std::string locked_value;
    uint32_t locked_round;
    std::vector<std::string> decided; // decided[h] = the value committed at height h
};
void tendermint_init(TendermintReplica *t, uint64_t id); // height 0, round 0, Propose, unlocked
void tendermint_advance_round(TendermintReplica *t);     // round + 1, phase Propose, lock kept
// The value this replica prevotes for `proposal`: its locked value when locked, else the proposal.
// Sets phase Prevote.
std::string tendermint_prevote(TendermintReplica *t, const std::string &proposal);
// A precommit quorum for value in this round: lock it (locked_round = round), phase Precommit.
void tendermint_lock(TendermintReplica *t, const std::string &value);
// A commit quorum: value is decided at this height (appended to decided); then height + 1,
// round 0, phase Propose, and the lock is released (locks belong to one height).
void tendermint_commit(TendermintReplica *t, const std::string &value);

// ---- requests, messages, authentication (bft_auth.cpp) ----
// A client request; client_id 0 with timestamp 0 and an empty operation is the null request.
struct BftRequest {
    uint64_t client_id;
    uint64_t timestamp;
    std::string operation;
};
// SHA-256 of: client_id (8 bytes big-endian) | timestamp (8 bytes big-endian) | operation bytes.
void bft_request_digest(const BftRequest *req, uint8_t out[BFT_DIGEST_LEN]);

enum BftMsgType { BFT_PRE_PREPARE = 1, BFT_PREPARE = 2, BFT_COMMIT = 3, BFT_VIEW_CHANGE = 4, BFT_NEW_VIEW = 5 };

struct BftMsg {
    BftMsgType type;
    uint64_t view;     // PRE_PREPARE/PREPARE/COMMIT: their view; VIEW_CHANGE/NEW_VIEW: the new view
    uint64_t seq;      // sequence number (0 in VIEW_CHANGE and NEW_VIEW)
    uint32_t replica;  // the author, 0..n-1
    uint8_t digest[BFT_DIGEST_LEN]; // what the message is about (see bft_sign)
    uint8_t mac[BFT_MAC_LEN];
    BftRequest request;              // PRE_PREPARE: the request itself
    std::vector<BftMsg> certs;       // VIEW_CHANGE: prepared certificates, each a PRE_PREPARE then its PREPAREs
    std::vector<BftMsg> view_changes; // NEW_VIEW: the VIEW_CHANGE messages it is built from
    std::vector<BftMsg> pre_prepares; // NEW_VIEW: the PRE_PREPAREs of the new view, seq 1, 2, ...
};

// Sets m->digest for the types that derive it (PRE_PREPARE: the request's digest; VIEW_CHANGE:
// SHA-256 of the MACs of certs, in order; NEW_VIEW: SHA-256 of the MACs of view_changes then of
// pre_prepares), then m->mac = HMAC-SHA256(key, header), header = "PBFT" | type (1 byte) |
// view (8, big-endian) | seq (8, big-endian) | replica (8, big-endian) | digest (32): 61 bytes.
void bft_sign(BftMsg *m, const uint8_t key[BFT_KEY_LEN]);
// True when m->mac is the MAC of m's header under key and, for the derived types, m->digest is
// what bft_sign would set. Embedded messages are not checked here.
bool bft_verify(const BftMsg *m, const uint8_t key[BFT_KEY_LEN]);

// ---- the PBFT replica (bft_replica.cpp) ----
struct BftConfig {
    uint32_t id;   // this replica, 0..n-1
    uint32_t n;    // cluster size, 1..BFT_MAX_NODES
    std::vector<std::array<uint8_t, BFT_KEY_LEN>> keys; // keys[i] authenticates replica i; n of them
    uint64_t view_change_timeout_ms; // T, > 0
};

enum BftOutputKind {
    BFT_OUT_SEND,         // send msg to replica target
    BFT_OUT_EXECUTE,      // execute request at seq (in seq order, each seq once)
    BFT_OUT_SET_TIMER,    // (re)arm the view-change timer to fire after delay_ms
    BFT_OUT_CANCEL_TIMER, // disarm it
};
struct BftOutput {
    BftOutputKind kind;
    uint32_t target;      // SEND
    BftMsg msg;           // SEND
    uint64_t seq;         // EXECUTE
    BftRequest request;   // EXECUTE
    uint64_t delay_ms;    // SET_TIMER
};
typedef std::vector<BftOutput> BftOutputs;

struct BftReplica;
// A replica in view 0, nothing executed, timer off. NULL and a message naming the problem (in err,
// like snprintf, when err_len > 0; err may be NULL) for an invalid or NULL config.
BftReplica *bft_new(const BftConfig *cfg, char *err, size_t err_len);
void bft_free(BftReplica *r);

// Inputs; every input appends its outputs to *out.
void bft_on_request(BftReplica *r, const BftRequest *req, BftOutputs *out); // from a client
// A message from the network: who delivered it does not matter, only its MAC (messages may be
// relayed, replayed, or sent with a spoofed source).
void bft_on_message(BftReplica *r, const BftMsg *m, BftOutputs *out);
void bft_on_timer(BftReplica *r, BftOutputs *out); // the view-change timer fired

// Queries.
uint64_t bft_view(const BftReplica *r);         // the view it is in, or changing to
bool bft_in_view_change(const BftReplica *r);   // sent VIEW_CHANGE for bft_view, no NEW_VIEW yet
bool bft_is_primary(const BftReplica *r);       // id == bft_primary_of(view, n)
uint64_t bft_last_executed(const BftReplica *r); // highest seq executed (0: none)
uint32_t bft_replica_count(const BftReplica *r);
uint32_t bft_replica_faults(const BftReplica *r);
