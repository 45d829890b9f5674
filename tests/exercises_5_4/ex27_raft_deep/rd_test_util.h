// rd_test_util.h — helpers shared by the EX27 RaftConsensusDeep tests: options, building a server
// into a given role by feeding it messages, crafting entries and picking outputs. Helpers never
// assert on their own: they return what happened and the test says what it expected.
#pragma once
#include "nl_test.h"
#include "raft_deep.h"

#include <initializer_list>
#include <string>
#include <vector>

// Cluster {1..size}, timeouts 150-300, heartbeat 50 (the seed's figures).
static inline RdOptions rd_opts(uint64_t id, uint64_t size = 3, uint64_t seed = 0)
{
    RdOptions o{id, {}, 150, 300, 50, seed};
    for (uint64_t i = 1; i <= size; i++) o.members.push_back(i);
    return o;
}

static inline RdOptions rd_opts_members(uint64_t id, std::initializer_list<uint64_t> members)
{
    RdOptions o{id, members, 150, 300, 50, 0};
    return o;
}

static inline RdNode *rd_node(const RdOptions &o)
{
    char err[200] = "";
    RdNode *n = rd_new(&o, err, sizeof err);
    if (!n) fail_msg("rd_new refused valid options (node %llu): %s", (unsigned long long)o.node_id, err);
    return n;
}

static inline RdNode *rd_node_id(uint64_t id, uint64_t size = 3) { return rd_node(rd_opts(id, size)); }

static inline RdEntry cmd(uint64_t term, uint64_t index, const char *c)
{
    RdEntry e{};
    e.term = term;
    e.index = index;
    e.type = RD_ENTRY_COMMAND;
    e.command = c;
    return e;
}

static inline RdEntry cfg_entry(uint64_t term, uint64_t index, std::vector<uint64_t> members,
                                std::vector<uint64_t> next = {})
{
    RdEntry e{};
    e.term = term;
    e.index = index;
    e.type = RD_ENTRY_CONFIG;
    e.config.members = members;
    e.config.next = next;
    e.config.joint = !next.empty();
    return e;
}

static inline RdAppendEntries ae(uint64_t term, uint64_t leader, uint64_t prev_i, uint64_t prev_t,
                                 std::vector<RdEntry> entries, uint64_t commit)
{
    RdAppendEntries a;
    a.term = term;
    a.leader_id = leader;
    a.prev_log_index = prev_i;
    a.prev_log_term = prev_t;
    a.entries = entries;
    a.leader_commit = commit;
    return a;
}

static inline size_t count_kind(const RdOutputs &out, RdOutputKind kind)
{
    size_t n = 0;
    for (const RdOutput &o : out) n += o.kind == kind;
    return n;
}

// The last output of `kind` sent to `target` (any target when 0), or NULL.
static inline const RdOutput *last_to(const RdOutputs &out, RdOutputKind kind, uint64_t target)
{
    const RdOutput *r = nullptr;
    for (const RdOutput &o : out)
        if (o.kind == kind && (target == 0 || o.target == target)) r = &o;
    return r;
}

// Every entry handed to the state machine in `out`, in order.
static inline std::vector<RdEntry> applied_in(const RdOutputs &out)
{
    std::vector<RdEntry> v;
    for (const RdOutput &o : out)
        if (o.kind == RD_APPLY) v.insert(v.end(), o.entries.begin(), o.entries.end());
    return v;
}

// The log's terms after the snapshot, as text ("1,1,2"), so failures show the whole log.
static inline std::string terms_of(const RdNode *n)
{
    size_t len;
    const RdEntry *log = rd_log(n, &len);
    std::string s;
    for (size_t i = 0; i < len; i++) s += (i ? "," : "") + std::to_string(log[i].term);
    return s;
}

static inline std::string ids_of(const std::vector<uint64_t> &v)
{
    std::string s;
    for (uint64_t id : v) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
}

static inline std::string config_of(const RdNode *n)
{
    RdMembers m = rd_config(n);
    return m.joint ? "{" + ids_of(m.members) + "|" + ids_of(m.next) + "}" : "{" + ids_of(m.members) + "}";
}

static inline const char *state_name(RdState s)
{
    return s == RD_LEADER ? "leader" : s == RD_CANDIDATE ? "candidate" : "follower";
}

// Times out and collects granted votes from `voters` for the new term; returns the node's state.
static inline RdState win_election(RdNode *n, std::initializer_list<uint64_t> voters, RdOutputs *out)
{
    rd_on_election_timeout(n, out);
    RdRequestVoteReply yes{rd_current_term(n), true};
    for (uint64_t v : voters) rd_handle_request_vote_reply(n, v, &yes, out);
    return rd_state(n);
}

// Answers as `from` a successful AppendEntries up to `match`.
static inline void ack(RdNode *leader, uint64_t from, uint64_t match, RdOutputs *out)
{
    RdAppendEntriesReply r{rd_current_term(leader), true, match, 0};
    rd_handle_append_entries_reply(leader, from, &r, out);
}

// Fails at the caller's line with the caller's words when `cond` is false.
#define EXPECT(cond, ...)                  \
    do {                                   \
        if (!(cond)) fail_msg(__VA_ARGS__); \
    } while (0)
#define U(x) ((unsigned long long)(x))
