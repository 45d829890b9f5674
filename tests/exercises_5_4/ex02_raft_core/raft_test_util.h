// raft_test_util.h — small helpers shared by the EX02 RaftCore tests: configs, building a node into
// a given role, crafting requests and picking outputs.
#pragma once
#include "nl_check.h"
#include "nl_test.h"
#include "raft_core.h"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

// The seed's helper config: cluster [1..size], timeouts 150-300, heartbeat 50.
static inline RaftConfig make_config(uint64_t id, uint64_t size = 3, uint64_t seed = 0)
{
    RaftConfig c{id, {}, 150, 300, 50, seed};
    for (uint64_t i = 1; i <= size; i++) c.cluster.push_back(i);
    return c;
}

static inline RaftCore *new_node(uint64_t id, uint64_t size = 3)
{
    RaftConfig c = make_config(id, size);
    char err[200] = "";
    RaftCore *r = raft_new(&c, err, sizeof err);
    if (!r) fail_msg("raft_new refused a valid config: %s", err);
    return r;
}

static inline size_t count_kind(const RaftOutputs &out, RaftOutputKind kind)
{
    size_t n = 0;
    for (const RaftOutput &o : out) n += o.kind == kind;
    return n;
}

// The last AppendEntries sent to `target` among `out`, or NULL.
static inline const RaftAppendEntries *last_ae_to(const RaftOutputs &out, uint64_t target)
{
    const RaftAppendEntries *ae = nullptr;
    for (const RaftOutput &o : out)
        if (o.kind == RAFT_SEND_APPEND_ENTRIES && o.target == target) ae = &o.append_entries;
    return ae;
}

// Every entry handed to the state machine in `out`, in order.
static inline std::vector<RaftLogEntry> applied(const RaftOutputs &out)
{
    std::vector<RaftLogEntry> v;
    for (const RaftOutput &o : out)
        if (o.kind == RAFT_APPLY_COMMANDS) v.insert(v.end(), o.entries.begin(), o.entries.end());
    return v;
}

// Node `id` times out and collects votes from `voters` for the new term: it should lead.
static inline void win_election(RaftCore *r, std::initializer_list<uint64_t> voters, RaftOutputs *out)
{
    raft_on_election_timeout(r, out);
    RaftRequestVoteResponse yes{raft_current_term(r), true};
    for (uint64_t v : voters) raft_handle_request_vote_response(r, v, &yes, out);
}

// An AppendEntries whose entries are (term, command) pairs placed right after prev_log_index.
static inline RaftAppendEntries make_ae(uint64_t term, uint64_t leader, uint64_t prev_index, uint64_t prev_term,
                                        std::initializer_list<std::pair<uint64_t, const char *>> entries,
                                        uint64_t leader_commit)
{
    RaftAppendEntries ae{term, leader, prev_index, prev_term, {}, leader_commit};
    uint64_t i = prev_index;
    for (auto &e : entries) ae.entries.push_back({e.first, ++i, e.second});
    return ae;
}

static inline std::string log_terms(const RaftCore *r) // e.g. "1,1,2"
{
    size_t len;
    const RaftLogEntry *log = raft_log(r, &len);
    std::string s;
    for (size_t i = 0; i < len; i++) s += (i ? "," : "") + std::to_string(log[i].term);
    return s;
}

static inline const char *state_name(RaftState s)
{
    return s == RAFT_LEADER ? "leader" : s == RAFT_CANDIDATE ? "candidate" : s == RAFT_FOLLOWER ? "follower" : "?";
}

static inline std::string entries_text(const std::vector<RaftLogEntry> &v) // e.g. "1/t1:a 2/t1:b"
{
    std::string s;
    for (size_t i = 0; i < v.size(); i++)
        s += (i ? " " : "") + std::to_string(v[i].index) + "/t" + std::to_string(v[i].term) + ":" + v[i].command;
    return s;
}

// The targets of every output of `kind` in `out`, sorted (the README fixes no order), e.g. "2,3".
static inline std::string targets(const RaftOutputs &out, RaftOutputKind kind)
{
    std::vector<uint64_t> t;
    for (const RaftOutput &o : out)
        if (o.kind == kind) t.push_back(o.target);
    std::sort(t.begin(), t.end());
    std::string s;
    for (uint64_t id : t) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
}
