// test_raft_seed.cpp — the seed's seven RaftCore tests, translated (cluster [1,2,3], timeouts
// 150-300 ms, heartbeat 50 ms).
#include "raft_test_util.h"

void test_initial_state(void **)
{
    RaftCore *r = new_node(1);
    assert_int_equal(raft_state(r), RAFT_FOLLOWER);
    assert_int_equal(raft_current_term(r), 0);
    assert_int_equal(raft_leader_id(r), 0);
    assert_int_equal(raft_commit_index(r), 0);
    raft_free(r);
}

void test_election_timeout_starts_election(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    raft_on_election_timeout(r, &out);
    assert_int_equal(raft_state(r), RAFT_CANDIDATE);
    assert_int_equal(raft_current_term(r), 1);
    assert_int_equal(count_kind(out, RAFT_SEND_REQUEST_VOTE), 2); // the two other nodes
    bool to2 = false, to3 = false;
    for (const RaftOutput &o : out) {
        if (o.kind != RAFT_SEND_REQUEST_VOTE) continue;
        to2 |= o.target == 2, to3 |= o.target == 3;
        assert_int_equal(o.request_vote.term, 1);
        assert_int_equal(o.request_vote.candidate_id, 1);
    }
    assert_true(to2 && to3);
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
    assert_int_equal(raft_state(r), RAFT_LEADER);
    assert_int_equal(raft_leader_id(r), 1);
    assert_true(count_kind(out, RAFT_SEND_APPEND_ENTRIES) >= 1); // heartbeats at once
    raft_free(r);
}

void test_step_down_on_higher_term(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    raft_on_election_timeout(r, &out);
    RaftAppendEntries ae = make_ae(5, 2, 0, 0, {}, 0);
    raft_handle_append_entries(r, &ae, &out);
    assert_int_equal(raft_state(r), RAFT_FOLLOWER);
    assert_int_equal(raft_current_term(r), 5);
    assert_int_equal(raft_leader_id(r), 2);
    raft_free(r);
}

void test_log_replication(void **)
{
    RaftCore *leader = new_node(1);
    RaftOutputs out;
    win_election(leader, {2}, &out);
    assert_int_equal(raft_state(leader), RAFT_LEADER);
    uint64_t index = raft_propose(leader, "cmd1");
    assert_int_equal(index, 1);
    // Node 2 accepted entry 1: it reports match_index 1 (see "Deviations from the seed").
    out.clear();
    RaftAppendEntriesResponse ok{1, true, 1, 0, 0};
    raft_handle_append_entries_response(leader, 2, &ok, &out);
    assert_true(raft_is_committed(leader, 1));
    std::vector<RaftLogEntry> a = applied(out);
    assert_int_equal(a.size(), 1);
    assert_int_equal(a[0].index, 1);
    assert_string_equal(a[0].command.c_str(), "cmd1");
    raft_free(leader);
}

void test_reject_old_term_request_vote(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    raft_on_election_timeout(r, &out);
    RaftRequestVote rv{0, 2, 0, 0};
    RaftRequestVoteResponse resp = raft_handle_request_vote(r, &rv, &out);
    assert_false(resp.vote_granted);
    assert_int_equal(resp.term, 1);
    raft_free(r);
}

void test_log_matching_rejection(void **)
{
    RaftCore *f = new_node(2);
    RaftOutputs out;
    RaftAppendEntries ae = make_ae(1, 1, 5, 1, {{1, "cmd"}}, 0);
    RaftAppendEntriesResponse resp = raft_handle_append_entries(f, &ae, &out);
    assert_false(resp.success);
    size_t len;
    raft_log(f, &len);
    assert_int_equal(len, 0); // nothing appended past a gap
    raft_free(f);
}
