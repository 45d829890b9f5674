// test_raft_diff.cpp — the EX02 differential test: seeded random sequences of inputs (timeouts,
// RequestVote and AppendEntries with their replies, proposals, restarts) fed to one node of the
// submission and to one node of the reference oracle; after each input every observable the README
// fixes is compared (role, term, leader, commit index, log, the reply, the commands applied, the
// RequestVotes sent, who gets an AppendEntries on a heartbeat or a won election).
//
// The inputs stay within what a real Raft cluster can send: a command is named after its (index,
// term), so two entries with the same index and term are the same entry, and no AppendEntries
// contradicts an entry the node ever committed.
#include "nl_diff.h"
#include "oracle/raft_core.h"
#include "raft_core.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

void test_differential_random_inputs(void **);

namespace {
enum { OP_ELECTION, OP_HEARTBEAT, OP_RV, OP_RV_RESP, OP_AE, OP_AE_RESP, OP_PROPOSE, OP_RESTART, OP_KINDS };

struct raft_op {
    int kind;
    int peer;  // 0-based among the other nodes; peer == n-1 in a reply means a node outside the cluster
    int dterm; // the message's term relative to the node's current term
    int a, b, c, d; // kind-specific choices, turned into a concrete message against the oracle's state
    int terms[3];   // AppendEntries: how each entry's term grows
};

// The concrete input, built once from the oracle's state before the op and given to both sides.
struct input {
    RaftRequestVote rv{};
    RaftRequestVoteResponse rv_resp{};
    RaftAppendEntries ae{};
    RaftAppendEntriesResponse ae_resp{};
    uint64_t from = 0;
    std::string command;
};

struct observed {
    RaftState state = RAFT_FOLLOWER;
    uint64_t term = 0, leader = 0, commit = 0;
    std::vector<RaftLogEntry> log;
    std::string committed_flags;       // raft_is_committed(0 .. len + 1)
    RaftRequestVoteResponse rv{};       // the reply, when the op is a RequestVote
    RaftAppendEntriesResponse ae{};     // the reply, when the op is an AppendEntries
    uint64_t proposed = 0;
    std::vector<RaftLogEntry> applied;
    std::vector<RaftRequestVote> votes_asked; // indexed by target - 2 (0 = none sent)
    std::vector<uint64_t> ae_targets;         // sorted, only compared on heartbeats and won elections
    bool election_armed = false, heartbeat_armed = false;
};

struct ctx {
    uint64_t n = 3;
    RaftCore *sub = nullptr;
    oracle::RaftCore *ref = nullptr;
    uint64_t committed_hw = 0; // highest commit index the node ever had: those entries are final
    input in;
    observed os, orf;
    RaftState state_before = RAFT_FOLLOWER;
    // What each op of the last replay was, concretely: the report prints them after that replay.
    std::vector<std::string> descr;
    size_t printed = 0;
};

std::string cmd_for(uint64_t index, uint64_t term) { return "c" + std::to_string(index) + "t" + std::to_string(term); }

uint64_t ref_term_at(const ctx *x, uint64_t index)
{
    size_t len;
    const oracle::RaftLogEntry *log = oracle::raft_log(x->ref, &len);
    return index == 0 || index > len ? 0 : log[index - 1].term;
}

uint64_t ref_len(const ctx *x)
{
    size_t len;
    oracle::raft_log(x->ref, &len);
    return len;
}

void reset(void *p)
{
    ctx *x = (ctx *)p;
    raft_free(x->sub);
    oracle::raft_free(x->ref);
    RaftConfig c{1, {}, 150, 300, 50, 7};
    oracle::RaftConfig oc{1, {}, 150, 300, 50, 7};
    for (uint64_t i = 1; i <= x->n; i++) c.cluster.push_back(i), oc.cluster.push_back(i);
    x->sub = raft_new(&c, nullptr, 0);
    x->ref = oracle::raft_new(&oc, nullptr, 0);
    if (!x->sub) fail_msg("raft_new refused a valid config (node 1 of %llu)", (unsigned long long)x->n);
    RaftOutputs o;
    oracle::RaftOutputs oo;
    raft_start(x->sub, &o);
    oracle::raft_start(x->ref, &oo);
    x->committed_hw = 0;
    x->descr.clear();
    x->printed = 0;
}

void gen(void *, nl_rng *rng, void *o)
{
    raft_op *op = (raft_op *)o;
    static const int weights[OP_KINDS] = {12, 10, 14, 14, 24, 14, 9, 3};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->peer = (int)nl_rng_below(rng, 8);
    op->dterm = (int)nl_rng_below(rng, 8);
    op->a = (int)nl_rng_below(rng, 1000);
    op->b = (int)nl_rng_below(rng, 1000);
    op->c = (int)nl_rng_below(rng, 1000);
    op->d = (int)nl_rng_below(rng, 1000);
    for (int &t : op->terms) t = (int)nl_rng_below(rng, 4);
}

uint64_t rel_term(uint64_t cur, int choice, const int *table, int n)
{
    long t = (long)cur + table[choice % n];
    return t < 0 ? 0 : (uint64_t)t;
}

// Turns the op into a concrete input from the oracle's state (called before either side runs).
void materialize(ctx *x, const raft_op *op)
{
    input &in = x->in;
    in = input{};
    uint64_t cur = oracle::raft_current_term(x->ref), len = ref_len(x);
    uint64_t members = x->n - 1; // the other nodes: ids 2 .. n
    in.from = 2 + (uint64_t)op->peer % members;
    switch (op->kind) {
    case OP_RV: {
        static const int dt[] = {-1, 0, 0, 1, 1, 1, 2, 0};
        uint64_t term = rel_term(cur, op->dterm, dt, 8);
        long lli = (long)len + (op->a % 5) - 2;
        if (lli < 0) lli = 0;
        uint64_t own_last = ref_term_at(x, len);
        static const int dlt[] = {0, 0, 1, -1, 0, 2};
        long llt = (long)own_last + dlt[op->b % 6];
        if (llt < 0) llt = 0;
        if ((uint64_t)llt > term) llt = (long)term;
        if (lli == 0 || llt == 0) lli = llt = 0; // an empty log ends at (0, 0)
        in.rv = {term, in.from, (uint64_t)lli, (uint64_t)llt};
        break;
    }
    case OP_RV_RESP: {
        static const int dt[] = {0, 0, 0, -1, 1, 0, 0, 0};
        if (op->peer == 7) in.from = x->n + 1; // outside the cluster: ignored
        in.rv_resp = {rel_term(cur, op->dterm, dt, 8), op->a % 4 != 0};
        break;
    }
    case OP_AE: {
        static const int dt[] = {0, 0, 0, 1, 1, 2, -1, 0};
        uint64_t term = rel_term(cur, op->dterm, dt, 8);
        // A leader of the node's own term is the node itself: another one would break election safety.
        if (oracle::raft_state(x->ref) == oracle::RAFT_LEADER && term == cur) term = cur + 1;
        if (term == 0) term = 1;
        uint64_t prev = (uint64_t)op->a % (len + 2);
        uint64_t prev_term = 0;
        if (prev > 0) {
            if (prev <= len && (prev <= x->committed_hw || op->b % 10 < 7)) prev_term = ref_term_at(x, prev);
            else prev_term = 1 + (uint64_t)op->b % term;
        }
        if (prev_term > term) prev_term = term;
        RaftAppendEntries &ae = in.ae;
        ae = RaftAppendEntries{term, in.from, prev, prev_term, {}, 0};
        int count = op->c % 4;
        uint64_t t = prev_term ? prev_term : 1;
        for (int i = 0; i < count; i++) {
            uint64_t index = prev + 1 + (uint64_t)i;
            if (index <= x->committed_hw) t = ref_term_at(x, index); // committed entries never change
            else if (i > 0 || op->terms[i] > 1) t = std::min<uint64_t>(term, t + (uint64_t)(op->terms[i] / 2));
            if (t > term) t = term;
            if (index > x->committed_hw && t < ref_term_at(x, index - 1) && index - 1 <= x->committed_hw)
                t = ref_term_at(x, index - 1);
            ae.entries.push_back({t, index, cmd_for(index, t)});
        }
        ae.leader_commit = (uint64_t)op->d % (prev + (uint64_t)count + 3);
        break;
    }
    case OP_AE_RESP: {
        static const int dt[] = {0, 0, 0, 0, -1, 1, 0, 0};
        if (op->peer == 7) in.from = x->n + 1;
        RaftAppendEntriesResponse &r = in.ae_resp;
        r.term = rel_term(cur, op->dterm, dt, 8);
        r.success = op->a % 3 != 0;
        if (r.success) {
            r.match_index = (uint64_t)op->b % (len + 2); // len + 1: a claim the leader must ignore
        } else {
            int h = op->c % 3;
            if (h == 1) r.conflict_index = 1 + (uint64_t)op->d % (len + 1);
            if (h == 2) {
                r.conflict_term = 1 + (uint64_t)op->d % (cur ? cur : 1);
                r.conflict_index = 1 + (uint64_t)op->b % (len + 1);
            }
        }
        break;
    }
    case OP_PROPOSE: in.command = cmd_for(len + 1, cur); break;
    default: break;
    }
}

void describe(const ctx *x, const raft_op *op, char *out, size_t cap);

template <class Out> void collect(observed *ob, const Out &out, uint64_t n)
{
    ob->votes_asked.assign(n - 1, RaftRequestVote{});
    for (const auto &o : out) {
        switch ((int)o.kind) {
        case RAFT_APPLY_COMMANDS:
            for (const auto &e : o.entries) ob->applied.push_back({e.term, e.index, e.command});
            break;
        case RAFT_SEND_REQUEST_VOTE:
            if (o.target >= 2 && o.target <= n)
                ob->votes_asked[o.target - 2] = {o.request_vote.term, o.request_vote.candidate_id,
                                                 o.request_vote.last_log_index, o.request_vote.last_log_term};
            else ob->votes_asked.push_back({0, o.target, 0, 0}); // to nobody: a difference
            break;
        case RAFT_SEND_APPEND_ENTRIES: ob->ae_targets.push_back(o.target); break;
        case RAFT_SCHEDULE_ELECTION_TIMEOUT: ob->election_armed = true; break;
        case RAFT_SCHEDULE_HEARTBEAT: ob->heartbeat_armed = true; break;
        }
    }
    std::sort(ob->ae_targets.begin(), ob->ae_targets.end());
    ob->ae_targets.erase(std::unique(ob->ae_targets.begin(), ob->ae_targets.end()), ob->ae_targets.end());
}

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const raft_op *op = (const raft_op *)o;
    x->state_before = (RaftState)oracle::raft_state(x->ref);
    materialize(x, op);
    char line[512];
    describe(x, op, line, sizeof line);
    x->descr.push_back(line);
    const input &in = x->in;
    observed &ob = x->os;
    ob = observed{};
    RaftOutputs out;
    switch (op->kind) {
    case OP_ELECTION: raft_on_election_timeout(x->sub, &out); break;
    case OP_HEARTBEAT: raft_on_heartbeat_timeout(x->sub, &out); break;
    case OP_RV: ob.rv = raft_handle_request_vote(x->sub, &in.rv, &out); break;
    case OP_RV_RESP: raft_handle_request_vote_response(x->sub, in.from, &in.rv_resp, &out); break;
    case OP_AE: ob.ae = raft_handle_append_entries(x->sub, &in.ae, &out); break;
    case OP_AE_RESP: raft_handle_append_entries_response(x->sub, in.from, &in.ae_resp, &out); break;
    case OP_PROPOSE: ob.proposed = raft_propose(x->sub, in.command); break;
    case OP_RESTART: raft_restart(x->sub, &out); break;
    }
    collect(&ob, out, x->n);
    ob.state = raft_state(x->sub);
    ob.term = raft_current_term(x->sub);
    ob.leader = raft_leader_id(x->sub);
    ob.commit = raft_commit_index(x->sub);
    size_t len;
    const RaftLogEntry *log = raft_log(x->sub, &len);
    ob.log.assign(log, log + len);
    for (uint64_t i = 0; i <= len + 1; i++) ob.committed_flags += raft_is_committed(x->sub, i) ? '1' : '0';
}

oracle::RaftAppendEntries to_oracle(const RaftAppendEntries &a)
{
    oracle::RaftAppendEntries o{a.term, a.leader_id, a.prev_log_index, a.prev_log_term, {}, a.leader_commit};
    for (const RaftLogEntry &e : a.entries) o.entries.push_back({e.term, e.index, e.command});
    return o;
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const raft_op *op = (const raft_op *)o;
    const input &in = x->in;
    observed &ob = x->orf;
    ob = observed{};
    oracle::RaftOutputs out;
    switch (op->kind) {
    case OP_ELECTION: oracle::raft_on_election_timeout(x->ref, &out); break;
    case OP_HEARTBEAT: oracle::raft_on_heartbeat_timeout(x->ref, &out); break;
    case OP_RV: {
        oracle::RaftRequestVote rv{in.rv.term, in.rv.candidate_id, in.rv.last_log_index, in.rv.last_log_term};
        oracle::RaftRequestVoteResponse r = oracle::raft_handle_request_vote(x->ref, &rv, &out);
        ob.rv = {r.term, r.vote_granted};
        break;
    }
    case OP_RV_RESP: {
        oracle::RaftRequestVoteResponse r{in.rv_resp.term, in.rv_resp.vote_granted};
        oracle::raft_handle_request_vote_response(x->ref, in.from, &r, &out);
        break;
    }
    case OP_AE: {
        oracle::RaftAppendEntries ae = to_oracle(in.ae);
        oracle::RaftAppendEntriesResponse r = oracle::raft_handle_append_entries(x->ref, &ae, &out);
        ob.ae = {r.term, r.success, r.match_index, r.conflict_index, r.conflict_term};
        break;
    }
    case OP_AE_RESP: {
        const RaftAppendEntriesResponse &s = in.ae_resp;
        oracle::RaftAppendEntriesResponse r{s.term, s.success, s.match_index, s.conflict_index, s.conflict_term};
        oracle::raft_handle_append_entries_response(x->ref, in.from, &r, &out);
        break;
    }
    case OP_PROPOSE: ob.proposed = oracle::raft_propose(x->ref, in.command); break;
    case OP_RESTART: oracle::raft_restart(x->ref, &out); break;
    }
    collect(&ob, out, x->n);
    ob.state = (RaftState)oracle::raft_state(x->ref);
    ob.term = oracle::raft_current_term(x->ref);
    ob.leader = oracle::raft_leader_id(x->ref);
    ob.commit = oracle::raft_commit_index(x->ref);
    size_t len;
    const oracle::RaftLogEntry *log = oracle::raft_log(x->ref, &len);
    for (size_t i = 0; i < len; i++) ob.log.push_back({log[i].term, log[i].index, log[i].command});
    for (uint64_t i = 0; i <= len + 1; i++) ob.committed_flags += oracle::raft_is_committed(x->ref, i) ? '1' : '0';
    x->committed_hw = std::max(x->committed_hw, ob.commit);
}

const char *state_name(RaftState s)
{
    return s == RAFT_LEADER ? "leader" : s == RAFT_CANDIDATE ? "candidate" : s == RAFT_FOLLOWER ? "follower" : "?";
}

std::string entries_text(const std::vector<RaftLogEntry> &v)
{
    std::string s = "[";
    for (size_t i = 0; i < v.size(); i++)
        s += (i ? " " : "") + std::to_string(v[i].index) + "/t" + std::to_string(v[i].term) + ":" + v[i].command;
    return s + "]";
}

std::string vote_text(const RaftRequestVote &v)
{
    if (v.term == 0 && v.candidate_id == 0) return "none";
    char b[120];
    snprintf(b, sizeof b, "(term %llu, candidate %llu, last %llu/t%llu)", (unsigned long long)v.term,
             (unsigned long long)v.candidate_id, (unsigned long long)v.last_log_index,
             (unsigned long long)v.last_log_term);
    return b;
}

std::string ids_text(const std::vector<uint64_t> &v)
{
    std::string s = "{";
    for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "}";
}

#define ULL(v) (unsigned long long)(v)

bool compare(void *p, const void *o, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    const raft_op *op = (const raft_op *)o;
    const observed &s = x->os, &r = x->orf;
    if (op->kind == OP_RV && (s.rv.term != r.rv.term || s.rv.vote_granted != r.rv.vote_granted))
        NL_DIFF_REPORT("reply: submission (term %llu, %s), reference (term %llu, %s)", ULL(s.rv.term),
             s.rv.vote_granted ? "granted" : "refused", ULL(r.rv.term), r.rv.vote_granted ? "granted" : "refused");
    if (op->kind == OP_AE && (s.ae.term != r.ae.term || s.ae.success != r.ae.success ||
                              (r.ae.success && s.ae.match_index != r.ae.match_index)))
        NL_DIFF_REPORT("reply: submission (term %llu, %s, match %llu), reference (term %llu, %s, match %llu)", ULL(s.ae.term),
             s.ae.success ? "ok" : "refused", ULL(s.ae.match_index), ULL(r.ae.term), r.ae.success ? "ok" : "refused",
             ULL(r.ae.match_index));
    if (s.proposed != r.proposed)
        NL_DIFF_REPORT("raft_propose returned %llu, reference %llu", ULL(s.proposed), ULL(r.proposed));
    if (s.state != r.state) NL_DIFF_REPORT("role: submission %s, reference %s", state_name(s.state), state_name(r.state));
    if (s.term != r.term) NL_DIFF_REPORT("term: submission %llu, reference %llu", ULL(s.term), ULL(r.term));
    if (s.leader != r.leader) NL_DIFF_REPORT("raft_leader_id: submission %llu, reference %llu", ULL(s.leader), ULL(r.leader));
    if (s.commit != r.commit) NL_DIFF_REPORT("commit index: submission %llu, reference %llu", ULL(s.commit), ULL(r.commit));
    bool same_log = s.log.size() == r.log.size();
    for (size_t i = 0; same_log && i < s.log.size(); i++)
        same_log = s.log[i].term == r.log[i].term && s.log[i].index == r.log[i].index &&
                   s.log[i].command == r.log[i].command;
    if (!same_log)
        NL_DIFF_REPORT("log: submission %s, reference %s", entries_text(s.log).c_str(), entries_text(r.log).c_str());
    if (s.committed_flags != r.committed_flags)
        NL_DIFF_REPORT("raft_is_committed(0..%zu): submission %s, reference %s", s.committed_flags.size() - 1,
             s.committed_flags.c_str(), r.committed_flags.c_str());
    bool same_applied = s.applied.size() == r.applied.size();
    for (size_t i = 0; same_applied && i < s.applied.size(); i++)
        same_applied = s.applied[i].index == r.applied[i].index && s.applied[i].term == r.applied[i].term &&
                       s.applied[i].command == r.applied[i].command;
    if (!same_applied)
        NL_DIFF_REPORT("applied: submission %s, reference %s", entries_text(s.applied).c_str(), entries_text(r.applied).c_str());
    if (s.votes_asked.size() != r.votes_asked.size()) NL_DIFF_REPORT("RequestVote sent to a node outside the cluster");
    for (size_t i = 0; i < s.votes_asked.size(); i++) {
        const RaftRequestVote &a = s.votes_asked[i], &b = r.votes_asked[i];
        if (a.term != b.term || a.candidate_id != b.candidate_id || a.last_log_index != b.last_log_index ||
            a.last_log_term != b.last_log_term)
            NL_DIFF_REPORT("RequestVote to node %zu: submission %s, reference %s", i + 2, vote_text(a).c_str(),
                 vote_text(b).c_str());
    }
    // Heartbeats go to every other node on a heartbeat timeout and as soon as an election is won.
    bool won = x->state_before != RAFT_LEADER && r.state == RAFT_LEADER;
    if ((op->kind == OP_HEARTBEAT && r.state == RAFT_LEADER) || won) {
        if (s.ae_targets != r.ae_targets)
            NL_DIFF_REPORT("AppendEntries sent to %s, reference to %s", ids_text(s.ae_targets).c_str(),
                 ids_text(r.ae_targets).c_str());
        if (s.heartbeat_armed != r.heartbeat_armed) NL_DIFF_REPORT("heartbeat timer %s", s.heartbeat_armed ? "armed, reference did not" : "not armed");
    }
    if (op->kind == OP_HEARTBEAT && r.state != RAFT_LEADER && !s.ae_targets.empty())
        NL_DIFF_REPORT("a %s sent AppendEntries on a heartbeat timeout", state_name(s.state));
    if ((op->kind == OP_ELECTION && x->state_before != RAFT_LEADER) || op->kind == OP_RESTART)
        if (!s.election_armed) NL_DIFF_REPORT("the election timer was not re-armed");
    return true;
}

void describe(const ctx *x, const raft_op *op, char *out, size_t cap)
{
    const input &in = x->in;
    switch (op->kind) {
    case OP_ELECTION: snprintf(out, cap, "raft_on_election_timeout"); break;
    case OP_HEARTBEAT: snprintf(out, cap, "raft_on_heartbeat_timeout"); break;
    case OP_RV:
        snprintf(out, cap, "RequestVote(term %llu, candidate %llu, last %llu/t%llu)", ULL(in.rv.term),
                 ULL(in.rv.candidate_id), ULL(in.rv.last_log_index), ULL(in.rv.last_log_term));
        break;
    case OP_RV_RESP:
        snprintf(out, cap, "vote reply from %llu (term %llu, %s)", ULL(in.from), ULL(in.rv_resp.term),
                 in.rv_resp.vote_granted ? "granted" : "refused");
        break;
    case OP_AE: {
        std::string e = entries_text(in.ae.entries);
        snprintf(out, cap, "AppendEntries(term %llu, leader %llu, prev %llu/t%llu, %s, commit %llu)", ULL(in.ae.term),
                 ULL(in.ae.leader_id), ULL(in.ae.prev_log_index), ULL(in.ae.prev_log_term), e.c_str(),
                 ULL(in.ae.leader_commit));
        break;
    }
    case OP_AE_RESP:
        snprintf(out, cap, "AppendEntries reply from %llu (term %llu, %s, match %llu, conflict %llu/t%llu)",
                 ULL(in.from), ULL(in.ae_resp.term), in.ae_resp.success ? "ok" : "refused",
                 ULL(in.ae_resp.match_index), ULL(in.ae_resp.conflict_index), ULL(in.ae_resp.conflict_term));
        break;
    case OP_PROPOSE: snprintf(out, cap, "raft_propose('%s')", in.command.c_str()); break;
    case OP_RESTART: snprintf(out, cap, "raft_restart"); break;
    }
}
void print(void *p, const void *o, char *out, size_t cap)
{
    ctx *x = (ctx *)p;
    if (x->printed < x->descr.size()) snprintf(out, cap, "%s", x->descr[x->printed++].c_str());
    else snprintf(out, cap, "op kind %d", ((const raft_op *)o)->kind);
}
} // namespace

void test_differential_random_inputs(void **)
{
    static ctx x;
    static const nl_diff_ops ops = {sizeof(raft_op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    x.n = 3;
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 150, 60});
    x.n = 5;
    NL_DIFF_CHECK(&ops, nl_diff_config{1001, 150, 60});
}
