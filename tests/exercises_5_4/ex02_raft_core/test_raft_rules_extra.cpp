// test_raft_rules_extra.cpp — rules the operator mutants showed untested: config edges (min == max,
// unsorted clusters, id 0 among others, err NULL), a cluster of one, per-node timeout sequences,
// timers re-armed, replies answered at once, exact conflict hints.
#include "raft_test_util.h"

#include <vector>

namespace {
bool armed(const RaftOutputs &out, RaftOutputKind kind, uint64_t *delay = nullptr)
{
    for (const RaftOutput &o : out)
        if (o.kind == kind) {
            if (delay) *delay = o.delay_ms;
            return true;
        }
    return false;
}

std::vector<uint64_t> draws(uint64_t id, uint64_t seed, int n)
{
    RaftConfig c = make_config(id, 3, seed);
    RaftCore *r = raft_new(&c, nullptr, 0);
    std::vector<uint64_t> v;
    for (int i = 0; r && i < n; i++) {
        RaftOutputs out;
        raft_on_election_timeout(r, &out);
        uint64_t d = 0;
        armed(out, RAFT_SCHEDULE_ELECTION_TIMEOUT, &d);
        v.push_back(d);
    }
    raft_free(r);
    return v;
}

// A follower of term 2 whose log holds the given terms, all sent by leader 2.
RaftCore *follower_with(std::initializer_list<uint64_t> terms)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries ae{2, 2, 0, 0, {}, 0};
    uint64_t i = 0;
    for (uint64_t t : terms) ae.entries.push_back({t, ++i, "c" + std::to_string(i)});
    RaftAppendEntriesResponse resp = raft_handle_append_entries(r, &ae, &out);
    if (!resp.success) fail_msg("a follower refused the first AppendEntries (prev 0/t0) of leader 2");
    return r;
}

void expect_hints(RaftCore *r, uint64_t prev_index, uint64_t prev_term, uint64_t want_index, uint64_t want_term,
                  const char *what)
{
    RaftOutputs out;
    RaftAppendEntries ae{3, 2, prev_index, prev_term, {}, 0};
    RaftAppendEntriesResponse resp = raft_handle_append_entries(r, &ae, &out);
    if (resp.success) fail_msg("%s: AppendEntries prev %llu/t%llu accepted", what, (unsigned long long)prev_index,
                               (unsigned long long)prev_term);
    if (resp.conflict_index != 0 && resp.conflict_index != want_index)
        fail_msg("%s: AppendEntries prev %llu/t%llu refused with conflict_index %llu, expected %llu (or 0)", what,
                 (unsigned long long)prev_index, (unsigned long long)prev_term,
                 (unsigned long long)resp.conflict_index, (unsigned long long)want_index);
    if (want_term != 0 && resp.conflict_term != 0 && resp.conflict_term != want_term)
        fail_msg("%s: AppendEntries prev %llu/t%llu refused with conflict_term %llu, expected %llu (or 0)", what,
                 (unsigned long long)prev_index, (unsigned long long)prev_term,
                 (unsigned long long)resp.conflict_term, (unsigned long long)want_term);
}
} // namespace

void test_config_edges(void **)
{
    // min == max is valid, and every draw is then exactly that value.
    RaftConfig c{1, {1, 2, 3}, 200, 200, 50, 9};
    char err[200] = "";
    RaftCore *r = raft_new(&c, err, sizeof err);
    if (!r) fail_msg("raft_new refused election timeouts 200..200 (min == max is valid): %s", err);
    RaftOutputs out;
    raft_start(r, &out);
    uint64_t d = 0;
    NL_EXPECT_TRUE(armed(out, RAFT_SCHEDULE_ELECTION_TIMEOUT, &d), "raft_start arms the election timer");
    NL_EXPECT_EQ_INT(d, 200, "raft_start's delay for timeouts 200..200");
    for (int i = 0; i < 3; i++) {
        out.clear();
        raft_on_election_timeout(r, &out);
        d = 0;
        armed(out, RAFT_SCHEDULE_ELECTION_TIMEOUT, &d);
        NL_EXPECT_EQ_INT(d, 200, "election timeout %d's new delay for timeouts 200..200", i + 1);
    }
    raft_free(r);
    // The cluster's order is free: node 1 listed after the others.
    RaftConfig unsorted{1, {3, 2, 1}, 150, 300, 50, 0};
    r = raft_new(&unsorted, err, sizeof err);
    if (!r) fail_msg("raft_new refused node 1 of the cluster {3, 2, 1}: %s", err);
    raft_free(r);
    RaftConfig unsorted2{2, {3, 1, 2}, 150, 300, 50, 0};
    r = raft_new(&unsorted2, err, sizeof err);
    if (!r) fail_msg("raft_new refused node 2 of the cluster {3, 1, 2}: %s", err);
    raft_free(r);
    struct Case {
        RaftConfig cfg;
        const char *problem;
    } bad[] = {
        {{1, {1, 0, 2}, 150, 300, 50, 0}, "node id 0 in the cluster {1, 0, 2}"},
        {{2, {1, 2, 3, 1}, 150, 300, 50, 0}, "node 1 listed twice in {1, 2, 3, 1}"},
    };
    for (const Case &b : bad) {
        err[0] = 0;
        if (raft_new(&b.cfg, err, sizeof err)) fail_msg("raft_new accepted a config with %s", b.problem);
        if (!err[0]) fail_msg("raft_new refused a config with %s but wrote no message into err", b.problem);
        // err NULL with a length: still refused, no crash.
        if (raft_new(&b.cfg, nullptr, 64)) fail_msg("raft_new(err NULL, err_len 64) accepted a config with %s", b.problem);
    }
}

// A cluster of one: its own vote is a majority, and its proposals commit at the next heartbeat.
void test_single_node_cluster(void **)
{
    RaftConfig c{1, {1}, 150, 300, 50, 0};
    RaftCore *r = raft_new(&c, nullptr, 0);
    if (!r) fail_msg("raft_new refused a cluster of one");
    RaftOutputs out;
    raft_start(r, &out);
    out.clear();
    raft_on_election_timeout(r, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "leader", "the only node after its election timeout");
    NL_EXPECT_EQ_INT(raft_current_term(r), 1, "term of the only node after its election timeout");
    NL_EXPECT_EQ_INT(raft_leader_id(r), 1, "leader id of the only node");
    uint64_t d = 0;
    NL_EXPECT_TRUE(armed(out, RAFT_SCHEDULE_HEARTBEAT, &d), "a cluster of one, elected: heartbeat timer armed");
    NL_EXPECT_EQ_INT(d, 50, "heartbeat delay of a cluster of one");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_SEND_REQUEST_VOTE), 0, "RequestVotes sent by a cluster of one");
    NL_EXPECT_EQ_INT(raft_propose(r, "a"), 1, "raft_propose on the only node");
    NL_EXPECT_EQ_INT(raft_propose(r, "b"), 2, "second raft_propose on the only node");
    out.clear();
    raft_on_heartbeat_timeout(r, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 2, "commit index of a cluster of one after a heartbeat timeout");
    NL_EXPECT_STREQ(entries_text(applied(out)).c_str(), "1/t1:a 2/t1:b", "applied at that heartbeat");
    NL_EXPECT_TRUE(armed(out, RAFT_SCHEDULE_HEARTBEAT), "heartbeat timer re-armed by a cluster of one");
    raft_free(r);
}

// Each node draws its own sequence: the seed is mixed with node_id.
void test_timeouts_per_node_and_seed(void **)
{
    std::vector<uint64_t> a = draws(1, 0, 8), b = draws(2, 0, 8), c = draws(3, 0, 8), s = draws(1, 1, 8);
    if (a == b && b == c) fail_msg("nodes 1, 2 and 3 of seed 0 draw the same 8 election timeouts: seed the PRNG with node_id too");
    if (a == s) fail_msg("node 1 draws the same 8 election timeouts under seeds 0 and 1: seed the PRNG with config.seed too");
}

// R28: the election timer is re-armed by a vote granted, an AppendEntries of the current term (even
// refused), and when a candidate or leader steps down.
void test_election_timer_rearmed(void **)
{
    RaftOutputs out;
    RaftCore *r = new_node(1);
    RaftRequestVote rv{1, 2, 0, 0};
    RaftRequestVoteResponse v = raft_handle_request_vote(r, &rv, &out);
    NL_EXPECT_TRUE(v.vote_granted, "a fresh follower asked by node 2 in term 1");
    NL_EXPECT_TRUE(armed(out, RAFT_SCHEDULE_ELECTION_TIMEOUT), "granting a vote re-arms the election timer");
    out.clear();
    RaftAppendEntries ae{1, 2, 0, 0, {}, 0};
    raft_handle_append_entries(r, &ae, &out);
    NL_EXPECT_TRUE(armed(out, RAFT_SCHEDULE_ELECTION_TIMEOUT), "an AppendEntries of the current term re-arms the election timer");
    out.clear();
    RaftAppendEntries bad{1, 2, 5, 1, {}, 0};
    raft_handle_append_entries(r, &bad, &out);
    NL_EXPECT_TRUE(armed(out, RAFT_SCHEDULE_ELECTION_TIMEOUT),
                   "an AppendEntries of the current term refused by the log check re-arms the election timer");
    raft_free(r);
    // A candidate stepping down on a reply of a higher term.
    r = new_node(1);
    raft_on_election_timeout(r, &out);
    out.clear();
    RaftRequestVoteResponse no{4, false};
    raft_handle_request_vote_response(r, 3, &no, &out);
    NL_EXPECT_TRUE(armed(out, RAFT_SCHEDULE_ELECTION_TIMEOUT), "a candidate stepping down on a vote reply of term 4 arms the election timer");
    raft_free(r);
    // A leader stepping down on an AppendEntries reply of a higher term.
    r = new_node(1);
    win_election(r, {2}, &out);
    out.clear();
    RaftAppendEntriesResponse newer{3, false, 0, 0, 0};
    raft_handle_append_entries_response(r, 2, &newer, &out);
    NL_EXPECT_TRUE(armed(out, RAFT_SCHEDULE_ELECTION_TIMEOUT), "a leader stepping down on a reply of term 3 arms the election timer");
    raft_free(r);
}

// R29: a leader answers a reply at once: the next entries to a follower still behind, a retry from
// the new nextIndex after a refusal; and commits the highest index a majority holds.
void test_replies_answered_at_once(void **)
{
    RaftOutputs out;
    RaftCore *r = new_node(1);
    win_election(r, {2}, &out);
    uint64_t t = raft_current_term(r);
    raft_propose(r, "a");
    raft_propose(r, "b");
    raft_propose(r, "c");
    out.clear();
    RaftAppendEntriesResponse ok1{t, true, 1, 0, 0};
    raft_handle_append_entries_response(r, 2, &ok1, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 1, "leader of 3 with entries 1-3, after node 2 holds 1");
    const RaftAppendEntries *ae = last_ae_to(out, 2);
    if (!ae) fail_msg("node 2 holds 1 of the leader's 3 entries: the reply must be answered at once with the next ones");
    NL_EXPECT_EQ_INT(ae->prev_log_index, 1, "prev_log_index of the AppendEntries answering node 2's match 1");
    NL_EXPECT_TRUE(!ae->entries.empty() && ae->entries[0].index == 2, "the answer to node 2 starts at entry 2");
    out.clear();
    RaftAppendEntriesResponse ok2{t, true, 2, 0, 0};
    raft_handle_append_entries_response(r, 2, &ok2, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 2, "after node 2 holds 2 of 3");
    ae = last_ae_to(out, 2);
    if (!ae) fail_msg("node 2 holds 2 of the leader's 3 entries: the reply must be answered at once with entry 3");
    NL_EXPECT_EQ_INT(ae->prev_log_index, 2, "prev_log_index of the AppendEntries answering node 2's match 2");
    // A refusal without hints from node 3 (nextIndex 1 since the election): a retry at once.
    out.clear();
    RaftAppendEntriesResponse no{t, false, 0, 0, 0};
    raft_handle_append_entries_response(r, 3, &no, &out);
    ae = last_ae_to(out, 3);
    if (!ae) fail_msg("node 3 refused without hints: the refusal must be answered at once from the new nextIndex");
    NL_EXPECT_EQ_INT(ae->prev_log_index, 0, "prev_log_index of the retry to node 3 (nextIndex 1, never below 1)");
    raft_free(r);
}

// R30: a hint that is not 0 is exactly what the README says.
void test_conflict_hints_exact(void **)
{
    RaftCore *r = follower_with({1, 1, 2, 2, 2});
    expect_hints(r, 7, 2, 6, 0, "log of terms 1,1,2,2,2, too short");
    raft_free(r);
    r = follower_with({1, 1, 2, 2, 2});
    expect_hints(r, 4, 3, 3, 2, "log of terms 1,1,2,2,2, entry 4 of term 2");
    raft_free(r);
    r = follower_with({1, 1, 1});
    expect_hints(r, 3, 2, 1, 1, "log of terms 1,1,1, entry 3 of term 1");
    raft_free(r);
    r = follower_with({1, 2, 2});
    expect_hints(r, 2, 3, 2, 2, "log of terms 1,2,2, entry 2 of term 2");
    raft_free(r);
}
