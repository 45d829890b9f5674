// raft_core.h — Raft leader election and log replication as a pure state machine (EX02 RaftCore).
// No I/O, no clock: the caller feeds timeouts, received messages and client proposals, and carries
// out the outputs (messages to send, timers to arm, committed commands to apply).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Node ids are > 0; 0 means "none" wherever an id is optional. Log indices start at 1; index 0 and
// term 0 stand for "before the first entry".
enum RaftState { RAFT_FOLLOWER, RAFT_CANDIDATE, RAFT_LEADER };

struct RaftLogEntry {
    uint64_t term;
    uint64_t index;
    std::string command;
};

struct RaftConfig {
    uint64_t node_id;              // this node, must appear in `cluster`
    std::vector<uint64_t> cluster; // every node of the cluster, this one included, no duplicates
    uint64_t election_timeout_min; // ms, > 0
    uint64_t election_timeout_max; // ms, >= election_timeout_min
    uint64_t heartbeat_interval;   // ms, > 0
    uint64_t seed;                 // mixed with node_id to seed the election-timeout PRNG
};

struct RaftRequestVote {
    uint64_t term;
    uint64_t candidate_id;
    uint64_t last_log_index;
    uint64_t last_log_term;
};

struct RaftRequestVoteResponse {
    uint64_t term;
    bool vote_granted;
};

struct RaftAppendEntries {
    uint64_t term;
    uint64_t leader_id;
    uint64_t prev_log_index;
    uint64_t prev_log_term;
    std::vector<RaftLogEntry> entries; // entries[i].index == prev_log_index + 1 + i
    uint64_t leader_commit;
};

struct RaftAppendEntriesResponse {
    uint64_t term;
    bool success;
    uint64_t match_index;    // on success: prev_log_index + entries.size() of the request answered
    uint64_t conflict_index; // on failure, a hint (0 = none): where the leader should retry
    uint64_t conflict_term;  // on failure, a hint (0 = none): the term of the follower's conflicting entry
};

enum RaftOutputKind {
    RAFT_SEND_REQUEST_VOTE,     // target, request_vote
    RAFT_SEND_APPEND_ENTRIES,   // target, append_entries
    RAFT_APPLY_COMMANDS,        // entries: newly committed, in index order, each given exactly once
    RAFT_SCHEDULE_ELECTION_TIMEOUT, // delay_ms: (re)arm the election timer, replacing the previous one
    RAFT_SCHEDULE_HEARTBEAT,        // delay_ms: (re)arm the heartbeat timer, replacing the previous one
};

struct RaftOutput {
    RaftOutputKind kind = RAFT_SEND_REQUEST_VOTE;
    uint64_t target = 0;
    RaftRequestVote request_vote{};
    RaftAppendEntries append_entries{};
    std::vector<RaftLogEntry> entries;
    uint64_t delay_ms = 0;
};

typedef std::vector<RaftOutput> RaftOutputs;

struct RaftCore; // defined by the implementation

// Creates a follower at term 0 with an empty log. Returns NULL and writes a message naming the
// problem into err (when err_len > 0) if the configuration is invalid.
RaftCore *raft_new(const RaftConfig *config, char *err, size_t err_len);
void raft_free(RaftCore *raft);

// Arms the first election timeout (call once after raft_new). Appends to *out.
void raft_start(RaftCore *raft, RaftOutputs *out);
// A crash and restart: keeps what Raft persists (current term, vote, log), loses the rest (role,
// known leader, commit index, what was applied: committed commands are applied again from index 1
// as the node learns the commit index), and arms the election timeout.
void raft_restart(RaftCore *raft, RaftOutputs *out);

RaftState raft_state(const RaftCore *raft);
uint64_t raft_current_term(const RaftCore *raft);
uint64_t raft_leader_id(const RaftCore *raft); // 0 when unknown
uint64_t raft_commit_index(const RaftCore *raft);
bool raft_is_committed(const RaftCore *raft, uint64_t index);
// The whole log, entries[i].index == i + 1; *len receives its length.
const RaftLogEntry *raft_log(const RaftCore *raft, size_t *len);

// Inputs. Each appends the outputs it produces to *out.
void raft_on_election_timeout(RaftCore *raft, RaftOutputs *out);
void raft_on_heartbeat_timeout(RaftCore *raft, RaftOutputs *out);
RaftRequestVoteResponse raft_handle_request_vote(RaftCore *raft, const RaftRequestVote *req, RaftOutputs *out);
void raft_handle_request_vote_response(RaftCore *raft, uint64_t from, const RaftRequestVoteResponse *resp,
                                       RaftOutputs *out);
RaftAppendEntriesResponse raft_handle_append_entries(RaftCore *raft, const RaftAppendEntries *req,
                                                     RaftOutputs *out);
void raft_handle_append_entries_response(RaftCore *raft, uint64_t from, const RaftAppendEntriesResponse *resp,
                                         RaftOutputs *out);
// Appends `command` to the leader's log; returns its index, or 0 when this node is not the leader.
// Replication happens on the next heartbeat or response.
uint64_t raft_propose(RaftCore *raft, const std::string &command);
