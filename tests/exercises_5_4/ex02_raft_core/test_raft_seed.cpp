// test_raft_seed.cpp — the seed's seven RaftCore tests, translated (cluster [1,2,3], timeouts
// 150-300 ms, heartbeat 50 ms); each failure says what was done, what was expected, what came back.
#include "raft_test_util.h"

void test_initial_state(void **)
{
    RaftCore *r = new_node(1);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "follower", "role of a new node");
    NL_EXPECT_EQ_INT(raft_current_term(r), 0, "term of a new node");
    NL_EXPECT_EQ_INT(raft_leader_id(r), 0, "raft_leader_id of a new node");
    NL_EXPECT_EQ_INT(raft_commit_index(r), 0, "commit index of a new node");
    size_t len = 99;
    raft_log(r, &len);
    NL_EXPECT_EQ_INT(len, 0, "log length of a new node");
    NL_EXPECT_TRUE(!raft_is_committed(r, 0) && !raft_is_committed(r, 1), "a new node has nothing committed");
    RaftOutputs out;
    raft_start(r, &out);
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_SCHEDULE_ELECTION_TIMEOUT), 1, "election timers armed by raft_start");
    raft_free(r);
}

void test_election_timeout_starts_election(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    raft_on_election_timeout(r, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "candidate", "role after an election timeout");
    NL_EXPECT_EQ_INT(raft_current_term(r), 1, "term after an election timeout at term 0");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_SEND_REQUEST_VOTE), 2, "RequestVotes sent by a candidate of 3 nodes");
    bool to2 = false, to3 = false;
    for (const RaftOutput &o : out) {
        if (o.kind != RAFT_SEND_REQUEST_VOTE) continue;
        to2 |= o.target == 2, to3 |= o.target == 3;
        NL_EXPECT_EQ_INT(o.request_vote.term, 1, "term of the RequestVote to node %llu", (unsigned long long)o.target);
        NL_EXPECT_EQ_INT(o.request_vote.candidate_id, 1, "candidate_id of the RequestVote to node %llu",
                         (unsigned long long)o.target);
    }
    if (!to2 || !to3) NL_FAIL("the candidate must ask nodes 2 and 3 (asked 2: %s, 3: %s)", to2 ? "yes" : "no", to3 ? "yes" : "no");
    raft_free(r);
}

void test_win_election_with_majority(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    raft_on_election_timeout(r, &out);
    out.clear();
    RaftRequestVoteResponse yes{1, true}; // with our own vote: 2 of 3
    raft_handle_request_vote_response(r, 2, &yes, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "leader", "candidate of 3 nodes with its own vote and node 2's");
    NL_EXPECT_EQ_INT(raft_leader_id(r), 1, "raft_leader_id of the new leader");
    if (!last_ae_to(out, 2) || !last_ae_to(out, 3))
        NL_FAIL("a new leader sends heartbeats at once: AppendEntries to node 2 %s, to node 3 %s",
                last_ae_to(out, 2) ? "sent" : "missing", last_ae_to(out, 3) ? "sent" : "missing");
    raft_free(r);
}

void test_step_down_on_higher_term(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    raft_on_election_timeout(r, &out);
    RaftAppendEntries ae = make_ae(5, 2, 0, 0, {}, 0);
    raft_handle_append_entries(r, &ae, &out);
    NL_EXPECT_STREQ(state_name(raft_state(r)), "follower", "candidate of term 1 after an AppendEntries of term 5");
    NL_EXPECT_EQ_INT(raft_current_term(r), 5, "term after an AppendEntries of term 5");
    NL_EXPECT_EQ_INT(raft_leader_id(r), 2, "raft_leader_id after an AppendEntries of term 5 from node 2");
    raft_free(r);
}

void test_log_replication(void **)
{
    RaftCore *leader = new_node(1);
    RaftOutputs out;
    win_election(leader, {2}, &out);
    NL_EXPECT_STREQ(state_name(raft_state(leader)), "leader", "node 1 after votes from itself and node 2");
    uint64_t index = raft_propose(leader, "cmd1");
    NL_EXPECT_EQ_INT(index, 1, "raft_propose('cmd1') on a new leader with an empty log");
    // Node 2 accepted entry 1: it reports match_index 1 (see "Deviations from the seed").
    out.clear();
    RaftAppendEntriesResponse ok{1, true, 1, 0, 0};
    raft_handle_append_entries_response(leader, 2, &ok, &out);
    NL_EXPECT_TRUE(raft_is_committed(leader, 1), "index 1 committed once node 2 holds it (2 of 3)");
    std::vector<RaftLogEntry> a = applied(out);
    NL_EXPECT_STREQ(entries_text(a), "1/t1:cmd1", "commands applied once index 1 is committed");
    raft_free(leader);
}

void test_reject_old_term_request_vote(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    raft_on_election_timeout(r, &out);
    RaftRequestVote rv{0, 2, 0, 0};
    RaftRequestVoteResponse resp = raft_handle_request_vote(r, &rv, &out);
    NL_EXPECT_TRUE(!resp.vote_granted, "a candidate of term 1 refuses a RequestVote of term 0");
    NL_EXPECT_EQ_INT(resp.term, 1, "term in the refusal of a RequestVote of term 0");
    raft_free(r);
}

void test_log_matching_rejection(void **)
{
    RaftCore *f = new_node(2);
    RaftOutputs out;
    RaftAppendEntries ae = make_ae(1, 1, 5, 1, {{1, "cmd"}}, 0);
    RaftAppendEntriesResponse resp = raft_handle_append_entries(f, &ae, &out);
    NL_EXPECT_TRUE(!resp.success, "an empty log refuses an AppendEntries with prev (5, term 1)");
    NL_EXPECT_STREQ(log_terms(f), "", "log after refusing an AppendEntries past a gap");
    raft_free(f);
}
