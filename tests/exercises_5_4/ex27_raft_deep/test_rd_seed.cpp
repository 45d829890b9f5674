// test_rd_seed.cpp — the seed's ten tests of EX27, translated to the RdNode API (one per concept
// 5.4.8.d..r), each made to check the exact outcome rather than only a flag.
#include "rd_test_util.h"

#include <cstring>

void test_leader_election(void **)
{
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    rd_on_election_timeout(n, &out);
    EXPECT(rd_state(n) == RD_CANDIDATE, "after node 1's election timeout: expected candidate, got %s",
           state_name(rd_state(n)));
    EXPECT(rd_current_term(n) == 1, "after the first election timeout: expected term 1, got %llu", U(rd_current_term(n)));
    EXPECT(rd_voted_for(n) == 1, "a candidate votes for itself: expected voted_for 1, got %llu", U(rd_voted_for(n)));
    for (uint64_t peer : {2, 3}) {
        const RdOutput *o = last_to(out, RD_SEND_REQUEST_VOTE, peer);
        EXPECT(o, "after node 1's election timeout: expected a RequestVote to node %llu, none sent", U(peer));
        EXPECT(o->request_vote.term == 1 && o->request_vote.candidate_id == 1 && o->request_vote.last_log_index == 0 &&
                   o->request_vote.last_log_term == 0,
               "RequestVote to node %llu: expected {term 1, candidate 1, last (0,0)}, got {term %llu, candidate %llu, "
               "last (%llu,%llu)}", U(peer), U(o->request_vote.term), U(o->request_vote.candidate_id),
               U(o->request_vote.last_log_index), U(o->request_vote.last_log_term));
    }
    EXPECT(count_kind(out, RD_SEND_REQUEST_VOTE) == 2, "expected exactly 2 RequestVotes (nodes 2 and 3), got %zu",
           count_kind(out, RD_SEND_REQUEST_VOTE));
    EXPECT(!last_to(out, RD_SEND_REQUEST_VOTE, 1), "a candidate must not send RequestVote to itself");
    EXPECT(last_to(out, RD_SCHEDULE_ELECTION_TIMEOUT, 0), "a candidate re-arms its election timer (split votes)");
    rd_free(n);
}

void test_request_vote_rpc(void **)
{
    RdNode *n = rd_node_id(2, 3);
    RdOutputs out;
    RdRequestVote rv{1, 1, 0, 0};
    RdRequestVoteReply r = rd_handle_request_vote(n, &rv, &out);
    EXPECT(r.vote_granted, "fresh node 2 asked by candidate 1 for term 1: expected vote granted, refused");
    EXPECT(r.term == 1 && rd_current_term(n) == 1, "after a term-1 RequestVote: expected reply and node at term 1, got "
           "reply %llu node %llu", U(r.term), U(rd_current_term(n)));
    EXPECT(rd_voted_for(n) == 1, "after granting node 1: expected voted_for 1, got %llu", U(rd_voted_for(n)));
    rd_free(n);
}

void test_vote_rules(void **)
{
    RdNode *n = rd_node_id(2, 3);
    RdOutputs out;
    RdRequestVote t5{5, 3, 0, 0};
    rd_handle_request_vote(n, &t5, &out); // brings node 2 to term 5 (voting for 3)
    EXPECT(rd_current_term(n) == 5, "after a term-5 RequestVote: expected term 5, got %llu", U(rd_current_term(n)));
    RdRequestVote old{3, 1, 0, 0};
    RdRequestVoteReply r = rd_handle_request_vote(n, &old, &out);
    EXPECT(!r.vote_granted, "node at term 5 asked for a term-3 vote by node 1: expected refused, granted");
    EXPECT(r.term == 5, "refusal of a stale RequestVote: expected reply term 5 (so the candidate updates), got %llu",
           U(r.term));
    EXPECT(rd_current_term(n) == 5 && rd_voted_for(n) == 3, "after refusing a stale RequestVote: expected term 5, "
           "voted_for 3 unchanged, got term %llu voted_for %llu", U(rd_current_term(n)), U(rd_voted_for(n)));
    rd_free(n);
}

void test_majority_wins(void **)
{
    RdNode *n = rd_node_id(1, 5);
    RdOutputs out;
    rd_on_election_timeout(n, &out);
    RdRequestVoteReply grant{1, true};
    rd_handle_request_vote_reply(n, 2, &grant, &out);
    EXPECT(rd_state(n) == RD_CANDIDATE, "5 nodes, votes from 1 (self) and 2: expected still candidate, got %s",
           state_name(rd_state(n)));
    out.clear();
    rd_handle_request_vote_reply(n, 3, &grant, &out);
    EXPECT(rd_state(n) == RD_LEADER, "5 nodes, votes from 1, 2, 3 (a majority): expected leader, got %s",
           state_name(rd_state(n)));
    EXPECT(rd_leader_id(n) == 1, "a new leader knows it leads: expected leader_id 1, got %llu", U(rd_leader_id(n)));
    for (uint64_t p : {2, 3, 4, 5})
        EXPECT(last_to(out, RD_SEND_APPEND_ENTRIES, p), "a new leader sends heartbeats at once: none to node %llu", U(p));
    rd_free(n);
}

void test_append_entries_rpc(void **)
{
    RdNode *n = rd_node_id(2, 3);
    RdOutputs out;
    RdAppendEntries a = ae(1, 1, 0, 0, {cmd(1, 1, "\x01\x02\x03")}, 1);
    RdAppendEntriesReply r = rd_handle_append_entries(n, &a, &out);
    EXPECT(r.success, "AppendEntries prev (0,0) with entry (1,t1) on an empty log: expected success, refused");
    EXPECT(r.match_index == 1, "expected match_index 1 (prev 0 + 1 entry), got %llu", U(r.match_index));
    size_t len;
    const RdEntry *log = rd_log(n, &len);
    EXPECT(len == 1 && log[0].term == 1 && log[0].index == 1 && log[0].command == "\x01\x02\x03",
           "after the AppendEntries: expected log [(1,t1,'\\x01\\x02\\x03')], got %zu entries (terms %s)", len,
           terms_of(n).c_str());
    EXPECT(rd_commit_index(n) == 1, "leader_commit 1: expected commit index 1, got %llu", U(rd_commit_index(n)));
    std::vector<RdEntry> ap = applied_in(out);
    EXPECT(ap.size() == 1 && ap[0].index == 1, "entry 1 committed: expected it applied once, got %zu applied", ap.size());
    EXPECT(rd_leader_id(n) == 1, "a follower learns its leader from AppendEntries: expected 1, got %llu",
           U(rd_leader_id(n)));
    out.clear();
    RdAppendEntries hb = ae(1, 1, 1, 1, {}, 1);
    rd_handle_append_entries(n, &hb, &out);
    EXPECT(count_kind(out, RD_APPLY) == 0, "a heartbeat that commits nothing new: expected no RD_APPLY (never an "
           "empty one), got %zu", count_kind(out, RD_APPLY));
    rd_free(n);
}

void test_log_entry(void **)
{
    RdNode *n = rd_node_id(1, 1); // a configuration of one leads at once
    RdOutputs out;
    rd_on_election_timeout(n, &out);
    EXPECT(rd_state(n) == RD_LEADER, "single-member configuration: expected leader after one timeout, got %s",
           state_name(rd_state(n)));
    uint64_t idx = rd_propose(n, std::string("\x01\x02\x03", 3));
    EXPECT(idx == 1, "first proposal of a new leader: expected index 1, got %llu", U(idx));
    size_t len;
    const RdEntry *log = rd_log(n, &len);
    EXPECT(len == 1 && log[0].term == 1 && log[0].index == 1 && log[0].type == RD_ENTRY_COMMAND &&
               log[0].command == std::string("\x01\x02\x03", 3),
           "after propose: expected log [(index 1, term 1, command 01 02 03)], got %zu entries (terms %s)", len,
           terms_of(n).c_str());
    uint64_t idx2 = rd_propose(n, "b");
    EXPECT(idx2 == 2, "second proposal: expected index 2, got %llu", U(idx2));
    RdNode *f = rd_node_id(2, 3);
    EXPECT(rd_propose(f, "x") == 0, "rd_propose on a follower: expected 0 (not leader)");
    EXPECT(rd_last_index(f) == 0, "a refused proposal must not touch the log: last index %llu", U(rd_last_index(f)));
    rd_free(f);
    rd_free(n);
}

void test_log_repair(void **)
{
    RdNode *n = rd_node_id(2, 3);
    RdOutputs out;
    RdAppendEntries first = ae(1, 1, 0, 0, {cmd(1, 1, "a")}, 0);
    rd_handle_append_entries(n, &first, &out);
    RdAppendEntries wrong = ae(2, 3, 1, 2, {}, 0);
    RdAppendEntriesReply r = rd_handle_append_entries(n, &wrong, &out);
    EXPECT(!r.success, "log [(1,t1)], AppendEntries prev (1,t2): expected refusal, got success");
    EXPECT(r.conflict_index == 1, "refusal at index 1 holding term 1: expected conflict_index 1 (first index of term "
           "1), got %llu", U(r.conflict_index));
    EXPECT(r.term == 2, "expected the reply at the adopted term 2, got %llu", U(r.term));
    EXPECT(terms_of(n) == "1", "a refused AppendEntries must not change the log: expected terms 1, got %s",
           terms_of(n).c_str());
    rd_free(n);
}

void test_membership_changes(void **)
{
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    win_election(n, {2}, &out);
    uint64_t index = 0;
    int rc = rd_change_membership(n, {1, 2, 3, 4}, &index);
    EXPECT(rc == RD_OK, "leader of {1,2,3}, change to {1,2,3,4}: expected RD_OK, got %d", rc);
    EXPECT(index == 1, "the C_old,new entry is the first of the log: expected index 1, got %llu", U(index));
    EXPECT(config_of(n) == "{1,2,3|1,2,3,4}", "right after the change: expected joint {1,2,3|1,2,3,4}, got %s",
           config_of(n).c_str());
    // Majority of {1,2,3} and of {1,2,3,4}: 1, 2, 3.
    ack(n, 2, 1, &out);
    ack(n, 3, 1, &out);
    EXPECT(rd_commit_index(n) == 1, "C_old,new held by 1, 2, 3: expected committed (index 1), commit %llu",
           U(rd_commit_index(n)));
    EXPECT(config_of(n) == "{1,2,3,4}", "after C_old,new commits the leader appends C_new: expected {1,2,3,4}, got %s",
           config_of(n).c_str());
    ack(n, 2, 2, &out);
    ack(n, 4, 2, &out);
    EXPECT(rd_commit_index(n) == 2, "C_new held by 1, 2, 4 (3 of 4): expected commit 2, got %llu", U(rd_commit_index(n)));
    RdMembers m = rd_config(n);
    EXPECT(!m.joint && m.members == std::vector<uint64_t>({1, 2, 3, 4}),
           "after C_new commits: expected the simple configuration {1,2,3,4}, got %s", config_of(n).c_str());
    rd_free(n);
}

void test_log_compaction(void **)
{
    RdNode *n = rd_node_id(2, 3);
    RdOutputs out;
    std::vector<RdEntry> entries;
    for (uint64_t i = 1; i <= 100; i++) entries.push_back(cmd(1, i, ("c" + std::to_string(i)).c_str()));
    RdAppendEntries a = ae(1, 1, 0, 0, entries, 100);
    rd_handle_append_entries(n, &a, &out);
    EXPECT(rd_last_applied(n) == 100, "100 entries committed: expected all applied, last_applied %llu",
           U(rd_last_applied(n)));
    size_t got = rd_compact(n, 50, "state-after-100");
    EXPECT(got == 100, "100 applied entries, threshold 50: expected 100 entries compacted, got %zu", got);
    size_t len;
    rd_log(n, &len);
    EXPECT(len == 0, "after compacting everything: expected an empty log, got %zu entries", len);
    EXPECT(rd_snapshot_index(n) == 100 && rd_snapshot_term(n) == 1 && rd_snapshot_data(n) == "state-after-100",
           "expected snapshot (100, t1, 'state-after-100'), got (%llu, t%llu, '%s')", U(rd_snapshot_index(n)),
           U(rd_snapshot_term(n)), rd_snapshot_data(n).c_str());
    EXPECT(rd_last_index(n) == 100, "the snapshot still counts: expected last index 100, got %llu", U(rd_last_index(n)));
    rd_free(n);
}

void test_raft_vs_paxos(void **)
{
    size_t n = 0;
    const RdComparison *d = rd_raft_vs_paxos(&n);
    const char *topics[] = {"Understandability", "Leader", "Membership", "Log gaps", "Compaction"};
    EXPECT(n == 5, "the seed's comparison has 5 topics, got %zu", n);
    for (size_t i = 0; i < 5; i++) {
        EXPECT(d[i].topic && strcmp(d[i].topic, topics[i]) == 0, "topic %zu: expected '%s', got '%s'", i, topics[i],
               d[i].topic ? d[i].topic : "(null)");
        EXPECT(d[i].raft && strstr(d[i].raft, "Raft") && d[i].paxos && strstr(d[i].paxos, "Paxos"),
               "topic '%s': expected a Raft side naming Raft and a Paxos side naming Paxos", topics[i]);
    }
    size_t k = 0;
    const char *const *rec = rd_recommendations(&k);
    EXPECT(k == 3, "the seed gives 3 recommendations, got %zu", k);
    EXPECT(strstr(rec[0], "Raft") && strstr(rec[1], "Paxos") && strstr(rec[2], "Multi-Paxos"),
           "recommendations: expected Raft, Paxos, Multi-Paxos in that order, got '%s' / '%s' / '%s'", rec[0], rec[1],
           rec[2]);
}
