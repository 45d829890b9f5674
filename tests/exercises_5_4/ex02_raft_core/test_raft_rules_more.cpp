// test_raft_rules_more.cpp — the rules of the README's table that no seed test reaches: refusals
// that change nothing, the leader of the current term, a commit index that never goes down, the
// replay after a restart, proposals off the leader, heartbeats, and replies to ignore.
#include "raft_test_util.h"

// R9: a request of an older term is refused with the current term, and changes nothing.
void test_lower_term_append_refused(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries ae3 = make_ae(3, 2, 0, 0, {{1, "a"}}, 0);
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &ae3, &out).success, "AppendEntries [a] of term 3 from node 2");
    RaftAppendEntries old = make_ae(2, 3, 0, 0, {{2, "x"}, {2, "y"}}, 2);
    out.clear();
    RaftAppendEntriesResponse resp = raft_handle_append_entries(r, &old, &out);
    NL_EXPECT_TRUE(!resp.success, "an AppendEntries of term 2 on a follower of term 3");
    NL_EXPECT_EQ_INT(resp.term, 3, "term in the refusal of an AppendEntries of term 2");
    NL_EXPECT_STREQ(log_terms(r), "1", "log after refusing an AppendEntries of term 2");
    NL_EXPECT_EQ_INT(raft_leader_id(r), 2, "raft_leader_id after refusing node 3's AppendEntries of term 2");
    NL_EXPECT_EQ_INT(raft_commit_index(r), 0, "commit index after refusing an AppendEntries of term 2 (commit 2)");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_APPLY_COMMANDS), 0, "commands applied by a refused AppendEntries");
    // A leader keeps leading when an old leader's AppendEntries arrives.
    RaftCore *l = new_node(1);
    win_election(l, {2}, &out);
    win_election(l, {2}, &out); // a leader ignores a stale election timer: still term 1
    NL_EXPECT_EQ_INT(raft_current_term(l), 1, "term of a leader after an election timeout (it must ignore it)");
    RaftAppendEntries stale = make_ae(0, 3, 0, 0, {}, 0);
    resp = raft_handle_append_entries(l, &stale, &out);
    NL_EXPECT_TRUE(!resp.success, "a leader of term 1 given an AppendEntries of term 0");
    NL_EXPECT_STREQ(state_name(raft_state(l)), "leader", "leader of term 1 after an AppendEntries of term 0");
    NL_EXPECT_EQ_INT(raft_leader_id(l), 1, "raft_leader_id of that leader");
    raft_free(l);
    raft_free(r);
}

// R10: an AppendEntries of the current term makes a candidate a follower of its sender, even when
// its log check fails; R3: a candidate knows no leader.
void test_append_current_term_makes_follower(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries ae1 = make_ae(1, 3, 0, 0, {}, 0);
    raft_handle_append_entries(r, &ae1, &out);
    NL_EXPECT_EQ_INT(raft_leader_id(r), 3, "raft_leader_id after a heartbeat of term 1 from node 3");
    raft_on_election_timeout(r, &out); // term 2
    NL_EXPECT_EQ_INT(raft_leader_id(r), 0, "raft_leader_id of a candidate (term 2)");
    RaftAppendEntries ae = make_ae(2, 2, 4, 2, {{2, "z"}}, 0);
    RaftAppendEntriesResponse resp = raft_handle_append_entries(r, &ae, &out);
    NL_EXPECT_TRUE(!resp.success, "AppendEntries of term 2 with prev (4, term 2) on an empty log");
    NL_EXPECT_EQ_INT(resp.term, 2, "term of that refusal");
    NL_EXPECT_STREQ(state_name(raft_state(r)), "follower", "candidate of term 2 after node 2's AppendEntries of term 2");
    NL_EXPECT_EQ_INT(raft_current_term(r), 2, "term after an AppendEntries of the same term");
    NL_EXPECT_EQ_INT(raft_leader_id(r), 2, "raft_leader_id after node 2's AppendEntries of term 2");
    // R8: a higher term in a RequestVote forgets the leader.
    RaftRequestVote rv{3, 3, 0, 0};
    NL_EXPECT_TRUE(raft_handle_request_vote(r, &rv, &out).vote_granted, "RequestVote of term 3 from node 3, empty logs");
    NL_EXPECT_EQ_INT(raft_leader_id(r), 0, "raft_leader_id after adopting term 3 from a RequestVote");
    raft_free(r);
}

// R13: the follower's commit index rises to min(leader_commit, what the request proved), at the
// limit and one past, and never goes down.
void test_follower_commit_never_decreases(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries ae = make_ae(1, 2, 0, 0, {{1, "a"}, {1, "b"}, {1, "c"}}, 2);
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &ae, &out).success, "AppendEntries a,b,c with leader_commit 2");
    NL_EXPECT_EQ_INT(raft_commit_index(r), 2, "commit index after a,b,c with leader_commit 2");
    NL_EXPECT_STREQ(entries_text(applied(out)), "1/t1:a 2/t1:b", "commands applied with leader_commit 2");
    out.clear();
    RaftAppendEntries at_limit = make_ae(1, 2, 2, 1, {{1, "c"}}, 3); // proves 3, commit 3
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &at_limit, &out).success, "AppendEntries prev (2, t1), [c], leader_commit 3");
    NL_EXPECT_EQ_INT(raft_commit_index(r), 3, "commit index when leader_commit equals the proved prefix (3)");
    NL_EXPECT_STREQ(entries_text(applied(out)), "3/t1:c", "commands applied when the commit index reaches 3");
    out.clear();
    RaftAppendEntries past = make_ae(1, 2, 3, 1, {{1, "d"}}, 5); // proves 4, commit 5
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &past, &out).success, "AppendEntries prev (3, t1), [d], leader_commit 5");
    NL_EXPECT_EQ_INT(raft_commit_index(r), 4, "commit index when leader_commit (5) is one past the proved prefix (4)");
    out.clear();
    RaftAppendEntries late = make_ae(1, 2, 0, 0, {{1, "a"}}, 1); // sent long ago
    NL_EXPECT_TRUE(raft_handle_append_entries(r, &late, &out).success, "a late AppendEntries [a] with leader_commit 1");
    NL_EXPECT_EQ_INT(raft_commit_index(r), 4, "commit index after a late AppendEntries with leader_commit 1");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_APPLY_COMMANDS), 0, "commands applied by the late AppendEntries");
    raft_free(r);
}

// R17, R18: after a restart the node forgets its role, leader and commit index, and applies the
// committed commands again from index 1, once each, as it learns the commit index again.
void test_restart_reapplies_from_one(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries ae = make_ae(1, 2, 0, 0, {{1, "a"}, {1, "b"}}, 2);
    raft_handle_append_entries(r, &ae, &out);
    NL_EXPECT_STREQ(entries_text(applied(out)), "1/t1:a 2/t1:b", "commands applied with leader_commit 2");
    out.clear();
    raft_restart(r, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 0, "commit index after raft_restart");
    NL_EXPECT_EQ_INT(raft_leader_id(r), 0, "raft_leader_id after raft_restart");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_APPLY_COMMANDS), 0, "commands applied by raft_restart itself");
    out.clear();
    RaftAppendEntries hb = make_ae(1, 2, 2, 1, {}, 1);
    raft_handle_append_entries(r, &hb, &out);
    NL_EXPECT_STREQ(entries_text(applied(out)), "1/t1:a", "commands applied after the restart, leader_commit 1");
    out.clear();
    hb.leader_commit = 2;
    raft_handle_append_entries(r, &hb, &out);
    raft_handle_append_entries(r, &hb, &out); // duplicated
    NL_EXPECT_STREQ(entries_text(applied(out)), "2/t1:b", "commands applied by two heartbeats with leader_commit 2");
    // A leader that restarts is a follower that knows no leader.
    RaftCore *l = new_node(1);
    win_election(l, {3}, &out);
    raft_restart(l, &out);
    NL_EXPECT_STREQ(state_name(raft_state(l)), "follower", "a leader after raft_restart");
    NL_EXPECT_EQ_INT(raft_leader_id(l), 0, "raft_leader_id of a leader after raft_restart");
    NL_EXPECT_EQ_INT(raft_propose(l, "x"), 0, "raft_propose on a restarted leader");
    raft_free(l);
    raft_free(r);
}

// R19: proposals go only to the leader, at the end of its log, with its term.
void test_propose_only_on_leader(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    NL_EXPECT_EQ_INT(raft_propose(r, "f"), 0, "raft_propose on a follower");
    raft_on_election_timeout(r, &out);
    NL_EXPECT_EQ_INT(raft_propose(r, "c"), 0, "raft_propose on a candidate");
    NL_EXPECT_STREQ(log_terms(r), "", "log after proposals to a follower and a candidate");
    RaftRequestVoteResponse yes{1, true};
    raft_handle_request_vote_response(r, 3, &yes, &out); // leader of term 1
    raft_on_election_timeout(r, &out);                     // ignored by a leader
    NL_EXPECT_EQ_INT(raft_propose(r, "x"), 1, "first raft_propose on the leader of term 1");
    NL_EXPECT_EQ_INT(raft_propose(r, "y"), 2, "second raft_propose on the leader of term 1");
    size_t len;
    const RaftLogEntry *log = raft_log(r, &len);
    NL_EXPECT_STREQ(entries_text(std::vector<RaftLogEntry>(log, log + len)), "1/t1:x 2/t1:y", "leader's log after two proposals");
    raft_free(r);
}

// R20, R7: heartbeats go to every other node, exactly once each, and re-arm the heartbeat timer;
// a follower ignores the heartbeat timer.
void test_heartbeat_to_every_peer(void **)
{
    RaftCore *r = new_node(3, 5);
    RaftOutputs out;
    raft_on_heartbeat_timeout(r, &out);
    NL_EXPECT_EQ_INT(out.size(), 0, "outputs of a heartbeat timeout on a follower");
    raft_on_election_timeout(r, &out);
    RaftRequestVoteResponse yes{1, true};
    raft_handle_request_vote_response(r, 5, &yes, &out);
    out.clear();
    raft_handle_request_vote_response(r, 1, &yes, &out); // the third vote of five
    NL_EXPECT_STREQ(targets(out, RAFT_SEND_APPEND_ENTRIES), "1,2,4,5", "AppendEntries sent when node 3 wins");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_SCHEDULE_HEARTBEAT), 1, "heartbeat timers armed when node 3 wins");
    raft_propose(r, "p");
    out.clear();
    raft_on_heartbeat_timeout(r, &out);
    NL_EXPECT_STREQ(targets(out, RAFT_SEND_APPEND_ENTRIES), "1,2,4,5", "AppendEntries sent on a heartbeat timeout");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_SCHEDULE_HEARTBEAT), 1, "heartbeat timers armed on a heartbeat timeout");
    for (const RaftOutput &o : out) {
        if (o.kind == RAFT_SCHEDULE_HEARTBEAT) NL_EXPECT_EQ_INT(o.delay_ms, 50, "heartbeat delay (heartbeat_interval 50)");
        if (o.kind != RAFT_SEND_APPEND_ENTRIES) continue;
        const RaftAppendEntries &ae = o.append_entries;
        NL_EXPECT_EQ_INT(ae.term, 1, "term of the heartbeat to node %llu", (unsigned long long)o.target);
        NL_EXPECT_EQ_INT(ae.leader_id, 3, "leader_id of the heartbeat to node %llu", (unsigned long long)o.target);
        NL_EXPECT_STREQ(entries_text(ae.entries), "1/t1:p", "entries of the heartbeat to node %llu", (unsigned long long)o.target);
    }
    raft_free(r);
}

// R21: replies that cannot be true are ignored: from outside the cluster, or acknowledging entries
// the leader never had.
void test_invalid_replies_ignored(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    win_election(r, {2}, &out);
    raft_propose(r, "a");
    out.clear();
    RaftAppendEntriesResponse outsider{1, true, 1, 0, 0}, too_far{1, true, 5, 0, 0};
    raft_handle_append_entries_response(r, 9, &outsider, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 0, "commit index after a success from node 9 (not in the cluster)");
    raft_handle_append_entries_response(r, 2, &too_far, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 0, "commit index after node 2 claims match 5 (the log has 1 entry)");
    NL_EXPECT_EQ_INT(count_kind(out, RAFT_APPLY_COMMANDS), 0, "commands applied after the two invalid replies");
    NL_EXPECT_STREQ(state_name(raft_state(r)), "leader", "the leader after two invalid replies");
    raft_handle_append_entries_response(r, 3, &outsider, &out);
    NL_EXPECT_EQ_INT(raft_commit_index(r), 1, "commit index once node 3 really holds index 1");
    raft_free(r);
}

// R16: a refusal without hints makes the leader retry one entry lower (figure 2), yet a late
// refusal never takes nextIndex below matchIndex + 1, and no hint takes it past the log's end.
void test_next_index_bounds(void **)
{
    RaftCore *r = new_node(1);
    RaftOutputs out;
    RaftAppendEntries ae = make_ae(1, 2, 0, 0, {{1, "a"}, {1, "b"}, {1, "c"}}, 0);
    raft_handle_append_entries(r, &ae, &out);
    win_election(r, {3}, &out); // leader of term 2 with log 1,1,1: nextIndex 4 for both peers
    NL_EXPECT_STREQ(state_name(raft_state(r)), "leader", "node 1 after votes from itself and node 3 in term 2");
    RaftAppendEntriesResponse no{2, false, 0, 0, 0};
    uint64_t want_prev[] = {2, 1};
    for (uint64_t want : want_prev) {
        out.clear();
        raft_handle_append_entries_response(r, 2, &no, &out);
        raft_on_heartbeat_timeout(r, &out);
        const RaftAppendEntries *hb = last_ae_to(out, 2);
        if (!hb) NL_FAIL("no AppendEntries to node 2 after a refusal without hints");
        NL_EXPECT_EQ_INT(hb->prev_log_index, want, "prev_log_index to node 2 after a refusal without hints");
    }
    RaftAppendEntriesResponse ok{2, true, 2, 0, 0};
    raft_handle_append_entries_response(r, 2, &ok, &out); // node 2 holds 1..2
    RaftAppendEntriesResponse late_hint{2, false, 0, 1, 0};
    RaftAppendEntriesResponse *late[] = {&no, &late_hint};
    for (RaftAppendEntriesResponse *l : late) {
        out.clear();
        raft_handle_append_entries_response(r, 2, l, &out);
        raft_on_heartbeat_timeout(r, &out);
        const RaftAppendEntries *hb = last_ae_to(out, 2);
        if (!hb) NL_FAIL("no AppendEntries to node 2 after a late refusal");
        NL_EXPECT_EQ_INT(hb->prev_log_index, 2, "prev_log_index to node 2 (match 2) after a late refusal "
                         "(conflict_index %llu): nextIndex must stay >= matchIndex + 1", (unsigned long long)l->conflict_index);
    }
    RaftAppendEntriesResponse far{2, false, 0, 99, 0};
    out.clear();
    raft_handle_append_entries_response(r, 3, &far, &out);
    raft_on_heartbeat_timeout(r, &out);
    const RaftAppendEntries *hb = last_ae_to(out, 3);
    if (!hb) NL_FAIL("no AppendEntries to node 3 after a refusal with conflict_index 99");
    NL_EXPECT_EQ_INT(hb->prev_log_index, 3, "prev_log_index to node 3 after conflict_index 99 (the log ends at 3)");
    NL_EXPECT_EQ_INT(hb->prev_log_term, 1, "prev_log_term to node 3 after conflict_index 99");
    raft_free(r);
}
