// raft_deep.h — Raft in full as a pure state machine (EX27 RaftConsensusDeep): elections with the
// log up-to-date restriction, AppendEntries with conflict truncation and current-term commits,
// joint-consensus membership change, snapshots with InstallSnapshot and log compaction.
// No I/O, no clock: the caller feeds timeouts, messages and client requests, and carries out the
// outputs (messages to send, timers to arm, entries to apply, snapshots to restore).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Node ids are > 0; 0 means "none". Log indices start at 1; index 0 / term 0 mean "before the
// first entry".
enum RdState { RD_FOLLOWER, RD_CANDIDATE, RD_LEADER };

// A configuration: `members` alone, or, while `joint` is true, C_old,new where `members` is C_old
// and `next` is C_new (decisions then need a majority of each). Both lists sorted, no duplicates.
struct RdMembers {
    std::vector<uint64_t> members;
    std::vector<uint64_t> next;
    bool joint = false;
};

enum RdEntryType { RD_ENTRY_COMMAND, RD_ENTRY_CONFIG };

struct RdEntry {
    uint64_t term = 0;
    uint64_t index = 0;
    RdEntryType type = RD_ENTRY_COMMAND;
    std::string command; // RD_ENTRY_COMMAND
    RdMembers config;    // RD_ENTRY_CONFIG
};

struct RdOptions {
    uint64_t node_id;              // this node (> 0); it need not be in `members` (a spare)
    std::vector<uint64_t> members; // the initial configuration, the same on every node
    uint64_t election_timeout_min; // ms, > 0
    uint64_t election_timeout_max; // ms, >= election_timeout_min
    uint64_t heartbeat_interval;   // ms, > 0
    uint64_t seed;                 // mixed with node_id to seed the election-timeout PRNG
};

struct RdRequestVote {
    uint64_t term;
    uint64_t candidate_id;
    uint64_t last_log_index;
    uint64_t last_log_term;
};

struct RdRequestVoteReply {
    uint64_t term;
    bool vote_granted;
};

struct RdAppendEntries {
    uint64_t term = 0;
    uint64_t leader_id = 0;
    uint64_t prev_log_index = 0;
    uint64_t prev_log_term = 0;
    std::vector<RdEntry> entries; // entries[i].index == prev_log_index + 1 + i
    uint64_t leader_commit = 0;
};

struct RdAppendEntriesReply {
    uint64_t term;
    bool success;
    uint64_t match_index;    // success: prev_log_index + entries.size() of the request answered
    uint64_t conflict_index; // failure: where the leader should retry (0 = no hint)
};

// The whole snapshot in one message (no chunks).
struct RdInstallSnapshot {
    uint64_t term = 0;
    uint64_t leader_id = 0;
    uint64_t last_included_index = 0;
    uint64_t last_included_term = 0;
    RdMembers config; // the configuration in force at last_included_index
    std::string data; // the state machine after applying entries 1..last_included_index
};

struct RdInstallSnapshotReply {
    uint64_t term;
    uint64_t match_index; // last_included_index of the snapshot answered; 0 when refused
};

enum RdOutputKind {
    RD_SEND_REQUEST_VOTE,      // target, request_vote
    RD_SEND_APPEND_ENTRIES,    // target, append_entries
    RD_SEND_INSTALL_SNAPSHOT,  // target, install_snapshot
    RD_APPLY,                  // entries: newly committed entries (commands and configs), in order, once
    RD_RESTORE_SNAPSHOT,       // snapshot: replace the state machine with snapshot.data
    RD_SCHEDULE_ELECTION_TIMEOUT, // delay_ms: (re)arm the election timer
    RD_SCHEDULE_HEARTBEAT,        // delay_ms: (re)arm the heartbeat timer
};

struct RdOutput {
    RdOutputKind kind = RD_SEND_REQUEST_VOTE;
    uint64_t target = 0;
    RdRequestVote request_vote{};
    RdAppendEntries append_entries{};
    RdInstallSnapshot install_snapshot{}; // also RD_RESTORE_SNAPSHOT's snapshot (term, leader_id 0)
    std::vector<RdEntry> entries;
    uint64_t delay_ms = 0;
};

typedef std::vector<RdOutput> RdOutputs;

// Return codes of rd_change_membership.
enum RdStatus { RD_OK = 0, RD_ENOTLEADER = 1, RD_EBUSY = 2, RD_EINVAL = 3 };

struct RdNode; // defined by the implementation

// A follower at term 0 with an empty log and the configuration opts->members. NULL and a message
// naming the problem in err (when err_len > 0) for invalid options.
RdNode *rd_new(const RdOptions *opts, char *err, size_t err_len);
void rd_free(RdNode *node);

// Arms the first election timeout.
void rd_start(RdNode *node, RdOutputs *out);
// Crash and restart: keeps term, vote, log and snapshot; forgets role, leader, commit index and what
// was applied. Emits RD_RESTORE_SNAPSHOT when a snapshot exists, then arms the election timeout.
void rd_restart(RdNode *node, RdOutputs *out);

// ---- queries ----
RdState rd_state(const RdNode *node);
uint64_t rd_current_term(const RdNode *node);
uint64_t rd_voted_for(const RdNode *node);      // 0 = nobody this term
uint64_t rd_leader_id(const RdNode *node);      // 0 = unknown
uint64_t rd_commit_index(const RdNode *node);
uint64_t rd_last_applied(const RdNode *node);
uint64_t rd_last_index(const RdNode *node);     // of the log, counting the snapshot
uint64_t rd_snapshot_index(const RdNode *node); // 0 = no snapshot
uint64_t rd_snapshot_term(const RdNode *node);
const std::string &rd_snapshot_data(const RdNode *node);
// The entries after the snapshot: entries[i].index == rd_snapshot_index + 1 + i.
const RdEntry *rd_log(const RdNode *node, size_t *len);
// The configuration in force: the latest one in the log (committed or not), else the snapshot's,
// else the initial one.
RdMembers rd_config(const RdNode *node);

// ---- inputs; each appends its outputs to *out ----
void rd_on_election_timeout(RdNode *node, RdOutputs *out);
void rd_on_heartbeat_timeout(RdNode *node, RdOutputs *out);
RdRequestVoteReply rd_handle_request_vote(RdNode *node, const RdRequestVote *req, RdOutputs *out);
void rd_handle_request_vote_reply(RdNode *node, uint64_t from, const RdRequestVoteReply *reply, RdOutputs *out);
RdAppendEntriesReply rd_handle_append_entries(RdNode *node, const RdAppendEntries *req, RdOutputs *out);
void rd_handle_append_entries_reply(RdNode *node, uint64_t from, const RdAppendEntriesReply *reply,
                                    RdOutputs *out);
RdInstallSnapshotReply rd_handle_install_snapshot(RdNode *node, const RdInstallSnapshot *req, RdOutputs *out);
void rd_handle_install_snapshot_reply(RdNode *node, uint64_t from, const RdInstallSnapshotReply *reply,
                                      RdOutputs *out);

// ---- client requests (leader only) ----
// Appends a command; its index, or 0 when this node is not the leader. Sends nothing by itself.
uint64_t rd_propose(RdNode *node, const std::string &command);
// Starts moving to the configuration `members` (C_new) with a C_old,new entry; *index gets its
// index. RD_ENOTLEADER, RD_EBUSY while the latest configuration entry is not committed, RD_EINVAL
// for an empty list, an id 0, a duplicate, or C_new equal to the configuration in force.
int rd_change_membership(RdNode *node, const std::vector<uint64_t> &members, uint64_t *index);

// ---- log compaction ----
// When at least `threshold` applied entries are not yet in the snapshot, replaces them by a snapshot
// through rd_last_applied whose data is `state` (the state machine after applying them) and returns
// how many entries it discarded; else returns 0 and changes nothing.
size_t rd_compact(RdNode *node, size_t threshold, const std::string &state);

// ---- Raft vs Paxos (the seed's comparison) ----
struct RdComparison {
    const char *topic;
    const char *raft;
    const char *paxos;
};
const RdComparison *rd_raft_vs_paxos(size_t *count);
const char *const *rd_recommendations(size_t *count);
