// test_raft_rules.cpp — one test per Raft rule students get wrong, each driving a node by hand
// into the exact situation where the wrong rule shows.
#include "raft_test_util.h"

#include <cstring>
#include <set>

void test_config_rejected(void **)
{
    struct Case {
        RaftConfig cfg;
        const char *problem;
    } cases[] = {
        {{4, {1, 2, 3}, 150, 300, 50, 0}, "node_id not in the cluster"},
        {{1, {1, 2, 2}, 150, 300, 50, 0}, "a node listed twice"},
        {{1, {1, 2, 3}, 300, 150, 50, 0}, "election_timeout_min > max"},
        {{1, {1, 2, 3}, 0, 300, 50, 0}, "election_timeout_min 0"},
        {{1, {1, 2, 3}, 150, 300, 0, 0}, "heartbeat_interval 0"},
        {{0, {0, 1, 2}, 150, 300, 50, 0}, "node id 0"},
        {{1, {}, 150, 300, 50, 0}, "an empty cluster"},
    };
    for (const Case &c : cases) {
        char err[200] = "";
        RaftCore *r = raft_new(&c.cfg, err, sizeof err);
        if (r) fail_msg("raft_new accepted a config with %s", c.problem);
        if (!err[0]) fail_msg("raft_new refused a config with %s but wrote no message into err", c.problem);
        if (raft_new(&c.cfg, nullptr, 0)) fail_msg("raft_new accepted a config with %s (err NULL)", c.problem);
    }
}

// Timeouts within [min, max], varied, and a pure function of (node_id, seed).
void test_election_timeout_randomized(void **)
{
    std::set<uint64_t> distinct;
    for (uint64_t id = 1; id <= 5; id++) {
        RaftConfig c = make_config(id, 5, 42);
        RaftCore *a = raft_new(&c, nullptr, 0), *b = raft_new(&c, nullptr, 0);
        NL_EXPECT_TRUE(a != nullptr, "raft_new of node %llu of 5, seed 42", (unsigned long long)id);
        NL_EXPECT_TRUE(b != nullptr, "raft_new of node %llu of 5, seed 42", (unsigned long long)id);
        for (int round = 0; round < 20; round++) {
            RaftOutputs oa, ob;
            raft_on_election_timeout(a, &oa);
            raft_on_election_timeout(b, &ob);
            const RaftOutput *ta = nullptr, *tb = nullptr;
            for (const RaftOutput &o : oa) if (o.kind == RAFT_SCHEDULE_ELECTION_TIMEOUT) ta = &o;
            for (const RaftOutput &o : ob) if (o.kind == RAFT_SCHEDULE_ELECTION_TIMEOUT) tb = &o;
            if (!ta || !tb) fail_msg("a candidate must re-arm its election timeout (round %d)", round);
            if (ta->delay_ms < 150 || ta->delay_ms > 300)
                NL_FAIL("election timeout %llu ms drawn for timeouts 150-300 (round %d)", (unsigned long long)ta->delay_ms, round);
            if (ta->delay_ms != tb->delay_ms)
                fail_msg("same config, same inputs, different timeouts: %llu vs %llu (must be deterministic)",
                         (unsigned long long)ta->delay_ms, (unsigned long long)tb->delay_ms);
            distinct.insert(ta->delay_ms);
        }
        raft_free(a);
        raft_free(b);
    }
    // 100 draws from 151 values: a real PRNG gives dozens of distinct ones.
    if (distinct.size() < 20)
        fail_msg("only %zu distinct election timeouts over 100 elections: they must be randomized", distinct.size());
}

void test_one_vote_per_term(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftRequestVote from2{1, 2, 0, 0}, from3{1, 3, 0, 0};
    NL_EXPECT_TRUE(raft_handle_request_vote(r, &from2, &out).vote_granted, "first RequestVote of term 1 (node 2), empty logs");
    RaftRequestVoteResponse second = raft_handle_request_vote(r, &from3, &out);
    if (second.vote_granted) fail_msg("voted for node 2 and then node 3 in term 1: two leaders are possible");
    // The same candidate asking again (a retransmission) keeps the vote.
    NL_EXPECT_TRUE(raft_handle_request_vote(r, &from2, &out).vote_granted, "node 2 asking again in term 1 after getting the vote");
    // A new term frees the vote.
    RaftRequestVote from3t2{2, 3, 0, 0};
    NL_EXPECT_TRUE(raft_handle_request_vote(r, &from3t2, &out).vote_granted, "node 3 asking in term 2 after a vote for node 2 in term 1");
    raft_free(r);
}

void test_vote_requires_up_to_date_log(void **)
{
    RaftCore *r = new_node(1, 5);
    RaftOutputs out;
    // Our log: terms 1,1,2.
    RaftAppendEntries ae = make_ae(2, 2, 0, 0, {{1, "a"}, {1, "b"}, {2, "c"}}, 0);
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &ae, &out).success, "AppendEntries of entries terms 1,1,2 on an empty log");
    NL_EXPECT_STREQ(log_terms(r), "1,1,2", "log terms after that AppendEntries");
    struct Case {
        uint64_t last_index, last_term;
        bool grant;
    } cases[] = {
        {10, 1, false}, // longer but older last term: not up to date
        {2, 2, false},  // same last term, shorter
        {3, 0, false},  // empty-looking log
        {3, 2, true},   // identical
        {1, 3, true},   // newer last term wins whatever the length
    };
    uint64_t term = 3;
    for (const Case &c : cases) {
        RaftRequestVote rv{term++, 3, c.last_index, c.last_term}; // a fresh term each time: the vote is free
        RaftRequestVoteResponse resp = raft_handle_request_vote(r, &rv, &out);
        if (resp.vote_granted != c.grant)
            fail_msg("log (1,1,2): vote for a candidate whose log ends at index %llu term %llu should be %s",
                     (unsigned long long)c.last_index, (unsigned long long)c.last_term,
                     c.grant ? "granted" : "refused");
    }
    raft_free(r);
}

void test_duplicate_votes_counted_once(void **)
{
    RaftCore *r = new_node(1, 5); // needs 3 votes
    RaftOutputs out;
    raft_on_election_timeout(r, &out);
    RaftRequestVoteResponse yes{1, true}, old{0, true};
    raft_handle_request_vote_response(r, 2, &yes, &out);
    raft_handle_request_vote_response(r, 2, &yes, &out); // the network duplicated it
    raft_handle_request_vote_response(r, 9, &yes, &out); // not a member
    raft_handle_request_vote_response(r, 4, &old, &out); // from an earlier term
    if (raft_state(r) != RAFT_CANDIDATE) fail_msg("became leader with 2 real votes out of 5");
    raft_handle_request_vote_response(r, 3, &yes, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "leader", "candidate of 5 nodes after votes from itself, 2 and 3");
    raft_free(r);
}

void test_leader_steps_down_on_higher_term(void **)
{
    RaftOutputs out;
    // A leader learning a higher term from an AppendEntries reply.
    RaftCore *r = new_node(1);
    win_election(r, {2}, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "leader", "node 1 after votes from itself and node 2");
    RaftAppendEntriesResponse newer{3, false, 0, 0, 0};
    raft_handle_append_entries_response(r, 2, &newer, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "follower", "leader of term 1 after an AppendEntries reply of term 3");
    NL_EXPECT_EQ_INT(raft_current_term(r), 3, "term after an AppendEntries reply of term 3");
    NL_EXPECT_EQ_INT(raft_propose(r, "x"), 0, "raft_propose on a deposed leader");
    raft_free(r);
    // A candidate learning it from a vote reply.
    r = new_node(1);
    raft_on_election_timeout(r, &out);
    RaftRequestVoteResponse no{4, false};
    raft_handle_request_vote_response(r, 3, &no, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "follower", "candidate of term 1 after a vote reply of term 4");
    NL_EXPECT_EQ_INT(raft_current_term(r), 4, "term after a vote reply of term 4");
    raft_free(r);
    // A leader learning it from a RequestVote.
    r = new_node(1);
    win_election(r, {3}, &out);
    RaftRequestVote rv{7, 2, 0, 0};
    raft_handle_request_vote(r, &rv, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "follower", "leader of term 1 after a RequestVote of term 7");
    NL_EXPECT_EQ_INT(raft_current_term(r), 7, "term after a RequestVote of term 7");
    raft_free(r);
}

// Figure 8 of the Raft paper: an entry of an earlier term stored on a majority is not yet committed.
void test_no_commit_previous_term_by_counting(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries ae = make_ae(2, 2, 0, 0, {{2, "old"}}, 0); // from the leader of term 2
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &ae, &out).success, "AppendEntries (1, term 2) on an empty log");
    win_election(r, {3}, &out); // term 3
    NL_EXPECT_STREQ(state_name(raft_state(r)), "leader", "node 1 after votes from itself and node 3");
    NL_EXPECT_EQ_INT(raft_current_term(r), 3, "term of node 1 after its election (it had term 2)");
    out.clear();
    RaftAppendEntriesResponse has1{3, true, 1, 0, 0};
    raft_handle_append_entries_response(r, 3, &has1, &out);
    if (raft_commit_index(r) != 0 || !applied(out).empty())
        fail_msg("committed index 1 (term 2) in term 3 by counting replicas: a later leader may overwrite it");
    NL_EXPECT_EQ_INT(raft_propose(r, "new"), 2, "raft_propose('new') after entry (1, term 2)");
    RaftAppendEntriesResponse has2{3, true, 2, 0, 0};
    raft_handle_append_entries_response(r, 3, &has2, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 2, "commit index once node 3 holds index 2 (term 3): both commit");
    std::vector<RaftLogEntry> a = applied(out);
    NL_EXPECT_STREQ(entries_text(a), "1/t2:old 2/t3:new", "commands applied with index 2");
    raft_free(r);
}

void test_conflicting_entries_truncated(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries first = make_ae(1, 2, 0, 0, {{1, "a"}, {1, "b"}, {1, "c"}}, 0);
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &first, &out).success, "AppendEntries a,b,c (term 1) on an empty log");
    // The leader of term 2 has (1,a) then (2,x): b and c were never committed and must go.
    RaftAppendEntries second = make_ae(2, 3, 1, 1, {{2, "x"}}, 0);
    RaftAppendEntriesResponse resp = raft_handle_append_entries(r, &second, &out);
    NL_EXPECT_TRUE(resp.success, "AppendEntries of term 2, prev (1, term 1), entry (2, term 2) on log 1,1,1");
    NL_EXPECT_EQ_INT(resp.match_index, 2, "match_index of that AppendEntries");
    NL_EXPECT_STREQ(log_terms(r), "1,2", "log terms after the conflict at index 2");
    size_t len;
    const RaftLogEntry *log = raft_log(r, &len);
    NL_EXPECT_STREQ(log[1].command, "x", "command at index 2 after the conflict");
    NL_EXPECT_EQ_INT(log[1].index, 2, "index field of the entry at position 2");
    raft_free(r);
}

void test_stale_append_keeps_entries(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries full = make_ae(1, 2, 0, 0, {{1, "a"}, {1, "b"}, {1, "c"}}, 0);
    RaftAppendEntries stale = make_ae(1, 2, 0, 0, {{1, "a"}}, 0); // sent earlier, delivered late
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &full, &out).success, "AppendEntries a,b,c (term 1) on an empty log");
    RaftAppendEntriesResponse resp = raft_handle_append_entries(r, &stale, &out);
    NL_EXPECT_TRUE(resp.success, "the late AppendEntries [a] with prev (0, 0) on log a,b,c");
    NL_EXPECT_EQ_INT(resp.match_index, 1, "match_index of the late AppendEntries [a] (what it proved, not the log length)");
    if (log_terms(r) != "1,1,1")
        fail_msg("a late AppendEntries cut the log to '%s': entries b and c may already be committed",
                 log_terms(r).c_str());
    raft_free(r);
}

void test_follower_commit_bounded_by_match(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries old = make_ae(1, 2, 0, 0, {{1, "a"}, {1, "b"}, {1, "c"}}, 0);
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &old, &out).success, "AppendEntries a,b,c (term 1) on an empty log");
    // The leader of term 2 only proved index 1 matches; its commit index is 3 (its own entries 2, 3).
    out.clear();
    RaftAppendEntries hb = make_ae(2, 3, 1, 1, {}, 3);
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &hb, &out).success, "heartbeat of term 2 with prev (1, term 1) on log 1,1,1");
    if (raft_commit_index(r) != 1)
        fail_msg("commit index %llu: only index 1 is known to match the leader, b and c may differ from its log",
                 (unsigned long long)raft_commit_index(r));
    std::vector<RaftLogEntry> a = applied(out);
    NL_EXPECT_STREQ(entries_text(a), "1/t1:a", "commands applied after that heartbeat");
    raft_free(r);
}

void test_commit_needs_majority(void **)
{
    RaftCore *r = new_node(1, 5);
    RaftOutputs out;
    win_election(r, {2, 3}, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "leader", "candidate of 5 nodes after votes from itself, 2 and 3");
    NL_EXPECT_EQ_INT(raft_propose(r, "x"), 1, "raft_propose('x') on a new leader");
    RaftAppendEntriesResponse ok{1, true, 1, 0, 0};
    raft_handle_append_entries_response(r, 2, &ok, &out);
    raft_handle_append_entries_response(r, 2, &ok, &out); // a duplicate is still one replica
    if (raft_is_committed(r, 1)) fail_msg("committed with 2 copies out of 5 nodes");
    raft_handle_append_entries_response(r, 4, &ok, &out);
    NL_EXPECT_TRUE(raft_is_committed(r, 1), "index 1 once nodes 2 and 4 hold it (3 of 5)");
    raft_free(r);
}

void test_match_index_monotonic(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    win_election(r, {2}, &out);
    raft_propose(r, "a");
    raft_propose(r, "b");
    raft_propose(r, "c");
    RaftAppendEntriesResponse all{1, true, 3, 0, 0}, late{1, true, 1, 0, 0};
    raft_handle_append_entries_response(r, 2, &all, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 3, "commit index after node 2 acknowledged match 3 (2 of 3)");
    raft_handle_append_entries_response(r, 2, &late, &out); // an older reply, delivered late
    NL_EXPECT_EQ_INT(raft_commit_index(r), 3, "commit index after a late reply with match 1");
    out.clear();
    raft_on_heartbeat_timeout(r, &out);
    const RaftAppendEntries *ae = last_ae_to(out, 2);
    if (!ae) NL_FAIL("the leader sent no AppendEntries to node 2 on a heartbeat timeout");
    if (ae->prev_log_index != 3 || !ae->entries.empty())
        fail_msg("after match 3 then a late match 1, the heartbeat to node 2 has prev %llu and %zu entries "
                 "(matchIndex must only grow: expected prev 3, no entries)",
                 (unsigned long long)ae->prev_log_index, ae->entries.size());
    NL_EXPECT_EQ_INT(ae->prev_log_term, 1, "prev_log_term of that heartbeat");
    raft_free(r);
}

void test_next_index_never_below_one(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    win_election(r, {2}, &out);
    RaftAppendEntriesResponse no{1, false, 0, 0, 0}; // a rejection without hints, delivered three times
    for (int i = 0; i < 3; i++) {
        out.clear();
        raft_handle_append_entries_response(r, 2, &no, &out);
        raft_on_heartbeat_timeout(r, &out);
        const RaftAppendEntries *ae = last_ae_to(out, 2);
        if (!ae) NL_FAIL("rejection %d: no AppendEntries to node 2 (on the reply or the heartbeat)", i + 1);
        if (ae->prev_log_index != 0 || ae->prev_log_term != 0)
            fail_msg("empty log, rejection %d: AppendEntries to node 2 with prev %llu/%llu (nextIndex fell below 1)",
                     i + 1, (unsigned long long)ae->prev_log_index, (unsigned long long)ae->prev_log_term);
    }
    raft_propose(r, "a");
    out.clear();
    raft_handle_append_entries_response(r, 2, &no, &out);
    raft_on_heartbeat_timeout(r, &out);
    const RaftAppendEntries *ae = last_ae_to(out, 2);
    if (!ae) NL_FAIL("no AppendEntries to node 2 after a rejection with log [a]");
    NL_EXPECT_EQ_INT(ae->prev_log_index, 0, "prev_log_index to node 2 after rejections, log [a]");
    NL_EXPECT_EQ_INT(ae->entries.size(), 1, "entries sent to node 2 from index 1, log [a]");
    raft_free(r);
}

void test_restart_keeps_vote(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries ae = make_ae(1, 2, 0, 0, {{1, "a"}}, 1);
    raft_handle_append_entries(r, &ae, &out);
    RaftRequestVote from2{2, 2, 1, 1}, from3{2, 3, 1, 1};
    NL_EXPECT_TRUE(raft_handle_request_vote(r, &from2, &out).vote_granted, "RequestVote of term 2 from node 2 (log 1/t1 both)");
    out.clear();
    raft_restart(r, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "follower", "role after raft_restart");
    NL_EXPECT_EQ_INT(raft_current_term(r), 2, "term after raft_restart (it is persistent)");
    NL_EXPECT_STREQ(log_terms(r), "1", "log after raft_restart (it is persistent)");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_SCHEDULE_ELECTION_TIMEOUT), 1, "election timers armed by raft_restart");
    if (raft_handle_request_vote(r, &from3, &out).vote_granted)
        fail_msg("after a restart, voted for node 3 in term 2 after voting for node 2: the vote must persist");
    raft_free(r);
}
