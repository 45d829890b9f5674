// test_rd_replication.cpp — EX27 rules about AppendEntries on both sides: the consistency check and
// its hint, truncation only at a real conflict, commit bounds, the figure-8 rule, leader bookkeeping.
#include "rd_test_util.h"

// A follower (node 2 of 3) whose log is the given entries, all from leader 1, none committed.
static RdNode *follower_with(std::vector<RdEntry> entries, uint64_t term)
{
    RdNode *n = rd_node_id(2, 3);
    RdOutputs out;
    RdAppendEntries a = ae(term, 1, 0, 0, entries, 0);
    RdAppendEntriesReply r = rd_handle_append_entries(n, &a, &out);
    if (!r.success) fail_msg("setup: AppendEntries of %zu entries on an empty log was refused", entries.size());
    return n;
}

void test_conflict_hint(void **)
{
    RdNode *n = follower_with({cmd(1, 1, "a"), cmd(2, 2, "b"), cmd(2, 3, "c"), cmd(2, 4, "d")}, 2);
    RdOutputs out;
    RdAppendEntries far = ae(3, 1, 7, 3, {}, 0);
    RdAppendEntriesReply r = rd_handle_append_entries(n, &far, &out);
    EXPECT(!r.success && r.conflict_index == 5, "log of 4, AppendEntries prev (7,t3): expected refusal with "
           "conflict_index 5 (last + 1), got %s conflict %llu", r.success ? "success" : "refusal", U(r.conflict_index));
    RdAppendEntries past = ae(3, 1, 5, 3, {}, 0);
    r = rd_handle_append_entries(n, &past, &out);
    EXPECT(!r.success && r.conflict_index == 5, "log of 4, prev (5,t3), one past the end: expected refusal, "
           "conflict_index 5, got %s conflict %llu", r.success ? "success" : "refusal", U(r.conflict_index));
    RdAppendEntries mism = ae(3, 1, 4, 3, {}, 0);
    r = rd_handle_append_entries(n, &mism, &out);
    EXPECT(!r.success && r.conflict_index == 2, "terms 1,2,2,2, prev (4,t3): expected refusal with conflict_index 2 "
           "(first index of term 2), got %s conflict %llu", r.success ? "success" : "refusal", U(r.conflict_index));
    RdAppendEntries ok = ae(3, 1, 4, 2, {}, 0);
    r = rd_handle_append_entries(n, &ok, &out);
    EXPECT(r.success && r.match_index == 4, "prev (4,t2) at the limit (our last entry): expected success, match 4, "
           "got %s match %llu", r.success ? "success" : "refusal", U(r.match_index));
    EXPECT(terms_of(n) == "1,2,2,2", "no request above may change the log: expected 1,2,2,2, got %s", terms_of(n).c_str());
    rd_free(n);
}

void test_conflicting_entries_truncated(void **)
{
    // Terms 1,1,2,2 with a configuration entry at 4; the new leader (term 3) has 1,1,3.
    RdNode *n = follower_with({cmd(1, 1, "a"), cmd(1, 2, "b"), cmd(2, 3, "x"), cfg_entry(2, 4, {1, 2, 3}, {2, 3, 4})}, 2);
    EXPECT(config_of(n) == "{1,2,3|2,3,4}", "setup: expected joint configuration from entry 4, got %s", config_of(n).c_str());
    RdOutputs out;
    RdAppendEntries a = ae(3, 3, 2, 1, {cmd(3, 3, "y")}, 0);
    RdAppendEntriesReply r = rd_handle_append_entries(n, &a, &out);
    EXPECT(r.success && r.match_index == 3, "AppendEntries prev (2,t1) + (3,t3): expected success, match 3, got %s "
           "match %llu", r.success ? "success" : "refusal", U(r.match_index));
    size_t len;
    const RdEntry *log = rd_log(n, &len);
    EXPECT(len == 3 && log[2].term == 3 && log[2].command == "y", "conflict at index 3: expected log 1,1,3 ending "
           "'y', got terms %s", terms_of(n).c_str());
    EXPECT(config_of(n) == "{1,2,3}", "the truncated configuration entry no longer applies: expected {1,2,3}, got %s",
           config_of(n).c_str());
    rd_free(n);
}

void test_stale_append_keeps_entries(void **)
{
    RdNode *n = rd_node_id(2, 3);
    RdOutputs out;
    RdAppendEntries full = ae(1, 1, 0, 0, {cmd(1, 1, "a"), cmd(1, 2, "b"), cmd(1, 3, "c")}, 0);
    RdAppendEntries late = ae(1, 1, 0, 0, {cmd(1, 1, "a")}, 0);
    rd_handle_append_entries(n, &full, &out);
    RdAppendEntriesReply r = rd_handle_append_entries(n, &late, &out);
    EXPECT(r.success && r.match_index == 1, "late AppendEntries [a] after [a,b,c]: expected success with match 1 "
           "(what it proved), got %s match %llu", r.success ? "success" : "refusal", U(r.match_index));
    EXPECT(terms_of(n) == "1,1,1", "a late AppendEntries must not shorten the log: expected 1,1,1, got %s",
           terms_of(n).c_str());
    r = rd_handle_append_entries(n, &full, &out); // and a duplicate
    EXPECT(r.success && r.match_index == 3 && terms_of(n) == "1,1,1", "duplicate [a,b,c]: expected match 3 and log "
           "1,1,1, got match %llu log %s", U(r.match_index), terms_of(n).c_str());
    rd_free(n);
}

void test_follower_commit_bounded(void **)
{
    // A stale tail 1,1,1 from an old leader; the new leader proves only index 1.
    RdNode *n = follower_with({cmd(1, 1, "a"), cmd(1, 2, "old-b"), cmd(1, 3, "old-c")}, 1);
    RdOutputs out;
    RdAppendEntries a = ae(2, 3, 1, 1, {}, 3);
    rd_handle_append_entries(n, &a, &out);
    EXPECT(rd_commit_index(n) == 1, "log 1,1,1; AppendEntries prev (1,t1), no entries, leader_commit 3: expected "
           "commit 1 (only index 1 is proved), got %llu", U(rd_commit_index(n)));
    std::vector<RdEntry> ap = applied_in(out);
    EXPECT(ap.size() == 1 && ap[0].command == "a", "expected exactly entry 1 applied, got %zu entries", ap.size());
    // The commit index never goes back, even when a later request proves less.
    RdAppendEntries b = ae(2, 3, 0, 0, {}, 0);
    rd_handle_append_entries(n, &b, &out);
    EXPECT(rd_commit_index(n) == 1, "AppendEntries with leader_commit 0 after commit 1: expected commit 1, got %llu",
           U(rd_commit_index(n)));
    out.clear();
    RdAppendEntries c = ae(2, 3, 1, 1, {cmd(2, 2, "b"), cmd(2, 3, "c")}, 2);
    rd_handle_append_entries(n, &c, &out);
    ap = applied_in(out);
    EXPECT(rd_commit_index(n) == 2 && ap.size() == 1 && ap[0].index == 2 && ap[0].command == "b",
           "then (2,t2),(3,t2) with leader_commit 2: expected commit 2 and only entry 2 ('b') applied, got commit %llu, "
           "%zu applied", U(rd_commit_index(n)), ap.size());
    rd_free(n);
}

void test_no_commit_previous_term_by_counting(void **)
{
    // Figure 8: node 1 leads term 3 holding (1,t2) from an earlier leader; a majority holds it.
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    RdAppendEntries a = ae(2, 2, 0, 0, {cmd(2, 1, "from-t2")}, 0);
    rd_handle_append_entries(n, &a, &out);
    rd_on_election_timeout(n, &out);
    EXPECT(rd_current_term(n) == 3, "setup: expected candidate of term 3, got term %llu", U(rd_current_term(n)));
    RdRequestVoteReply yes{3, true};
    rd_handle_request_vote_reply(n, 2, &yes, &out);
    EXPECT(rd_state(n) == RD_LEADER, "setup: expected leader of term 3");
    ack(n, 2, 1, &out);
    ack(n, 3, 1, &out);
    EXPECT(rd_commit_index(n) == 0, "leader of term 3, entry (1,t2) on all 3 nodes: an entry of an earlier term must "
           "not commit by counting, got commit %llu", U(rd_commit_index(n)));
    rd_on_heartbeat_timeout(n, &out);
    EXPECT(rd_commit_index(n) == 0, "still not after a heartbeat: got commit %llu", U(rd_commit_index(n)));
    uint64_t idx = rd_propose(n, "t3");
    ack(n, 2, idx, &out);
    EXPECT(rd_commit_index(n) == 2, "entry (2,t3) on 2 of 3: expected commit 2 (index 1 with it), got %llu",
           U(rd_commit_index(n)));
    rd_free(n);
}

void test_commit_needs_majority(void **)
{
    RdNode *n = rd_node_id(1, 5);
    RdOutputs out;
    win_election(n, {2, 3}, &out);
    rd_propose(n, "a");
    rd_propose(n, "b");
    ack(n, 2, 2, &out);
    EXPECT(rd_commit_index(n) == 0, "5 nodes, index 2 on nodes 1 and 2: expected no commit, got %llu", U(rd_commit_index(n)));
    ack(n, 3, 1, &out);
    EXPECT(rd_commit_index(n) == 1, "index 1 on 1,2,3, index 2 on 1,2: expected commit 1, got %llu", U(rd_commit_index(n)));
    out.clear();
    ack(n, 4, 2, &out);
    EXPECT(rd_commit_index(n) == 2, "index 2 on 1,2,4: expected commit 2, got %llu", U(rd_commit_index(n)));
    std::vector<RdEntry> ap = applied_in(out);
    EXPECT(ap.size() == 1 && ap[0].index == 2 && ap[0].command == "b", "expected only entry 2 ('b') applied now, got %zu",
           ap.size());
    ack(n, 9, 2, &out); // not a member: ignored
    ack(n, 5, 7, &out); // claims entries the leader never had: ignored
    EXPECT(rd_commit_index(n) == 2 && rd_state(n) == RD_LEADER, "replies from a stranger and past our log must be "
           "ignored: commit %llu, %s", U(rd_commit_index(n)), state_name(rd_state(n)));
    rd_free(n);
}

void test_next_index_backs_up(void **)
{
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    // Leader of term 2 with 5 entries of term 1 (from an AppendEntries of an earlier leader) plus one of its own.
    std::vector<RdEntry> es;
    for (uint64_t i = 1; i <= 5; i++) es.push_back(cmd(1, i, "e"));
    RdAppendEntries a = ae(1, 2, 0, 0, es, 0);
    rd_handle_append_entries(n, &a, &out);
    win_election(n, {2}, &out);
    rd_propose(n, "t2");
    out.clear();
    RdAppendEntriesReply rej{rd_current_term(n), false, 0, 3};
    rd_handle_append_entries_reply(n, 3, &rej, &out);
    const RdOutput *o = last_to(out, RD_SEND_APPEND_ENTRIES, 3);
    EXPECT(o && o->append_entries.prev_log_index == 2 && o->append_entries.entries.size() == 4 &&
               o->append_entries.prev_log_term == 1,
           "refusal with conflict_index 3: expected a retry with prev (2,t1) and entries 3..6, got %s",
           o ? ("prev " + std::to_string(o->append_entries.prev_log_index) + " +" +
                std::to_string(o->append_entries.entries.size())).c_str() : "nothing");
    out.clear();
    RdAppendEntriesReply nohint{rd_current_term(n), false, 0, 0};
    rd_handle_append_entries_reply(n, 3, &nohint, &out);
    o = last_to(out, RD_SEND_APPEND_ENTRIES, 3);
    EXPECT(o && o->append_entries.prev_log_index == 1, "refusal without a hint: expected one step back (prev 1), got "
           "prev %llu", o ? U(o->append_entries.prev_log_index) : 999ULL);
    ack(n, 3, 4, &out);
    out.clear();
    ack(n, 3, 2, &out); // a late reply
    rd_on_heartbeat_timeout(n, &out);
    o = last_to(out, RD_SEND_APPEND_ENTRIES, 3);
    EXPECT(o && o->append_entries.prev_log_index == 4, "match 4 then a late reply with match 2: expected the next "
           "AppendEntries from prev 4 (match never goes back), got prev %llu", o ? U(o->append_entries.prev_log_index) : 999ULL);
    out.clear();
    rd_handle_append_entries_reply(n, 3, &nohint, &out); // a stale refusal cannot go below match + 1
    o = last_to(out, RD_SEND_APPEND_ENTRIES, 3);
    EXPECT(o && o->append_entries.prev_log_index == 4, "stale refusal after match 4: expected retry from prev 4, got %llu",
           o ? U(o->append_entries.prev_log_index) : 999ULL);
    // Three refusals without hints on a follower at match 0 never go below index 1.
    for (int i = 0; i < 8; i++) {
        out.clear();
        rd_handle_append_entries_reply(n, 2, &nohint, &out);
    }
    o = last_to(out, RD_SEND_APPEND_ENTRIES, 2);
    EXPECT(o && o->append_entries.prev_log_index == 0 && o->append_entries.entries.size() == 6,
           "8 refusals from node 2: expected a retry from the start (prev 0, all 6 entries), got prev %llu",
           o ? U(o->append_entries.prev_log_index) : 999ULL);
    rd_free(n);
}

void test_single_node_commits(void **)
{
    RdNode *n = rd_node_id(1, 1);
    RdOutputs out;
    rd_on_election_timeout(n, &out);
    rd_propose(n, "solo");
    out.clear();
    rd_on_heartbeat_timeout(n, &out);
    std::vector<RdEntry> ap = applied_in(out);
    EXPECT(rd_commit_index(n) == 1 && ap.size() == 1 && ap[0].command == "solo",
           "configuration of one, one proposal, one heartbeat: expected it committed and applied, commit %llu, %zu applied",
           U(rd_commit_index(n)), ap.size());
    EXPECT(last_to(out, RD_SCHEDULE_HEARTBEAT, 0), "a leader re-arms its heartbeat timer");
    rd_free(n);
}

void test_append_batch_limit(void **)
{
    // At most 16 entries per AppendEntries: 17 entries go as 16, then 1 right after the success.
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    win_election(n, {2}, &out);
    for (int i = 1; i <= 17; i++) rd_propose(n, "e" + std::to_string(i));
    RdAppendEntriesReply rej{rd_current_term(n), false, 0, 1};
    out.clear();
    rd_handle_append_entries_reply(n, 2, &rej, &out); // follower 2 is empty: retry from index 1
    const RdOutput *o = last_to(out, RD_SEND_APPEND_ENTRIES, 2);
    EXPECT(o && o->append_entries.prev_log_index == 0 && o->append_entries.entries.size() == 16 &&
               o->append_entries.entries[15].index == 16 && o->append_entries.leader_commit == 0,
           "17 entries for an empty follower: expected prev 0 and entries 1..16 (at most 16), commit 0, got %s",
           o ? ("prev " + std::to_string(o->append_entries.prev_log_index) + " +" +
                std::to_string(o->append_entries.entries.size())).c_str() : "nothing");
    out.clear();
    ack(n, 2, 16, &out);
    o = last_to(out, RD_SEND_APPEND_ENTRIES, 2);
    EXPECT(o && o->append_entries.prev_log_index == 16 && o->append_entries.prev_log_term == 1 &&
               o->append_entries.entries.size() == 1 && o->append_entries.leader_commit == 16,
           "after the follower holds 16: expected at once prev (16,t1) with entry 17 and commit 16, got %s",
           o ? ("prev " + std::to_string(o->append_entries.prev_log_index) + " +" +
                std::to_string(o->append_entries.entries.size())).c_str() : "nothing");
    EXPECT(count_kind(out, RD_SEND_APPEND_ENTRIES) == 1, "only the follower that answered is sent entries, got %zu",
           count_kind(out, RD_SEND_APPEND_ENTRIES));
    out.clear();
    ack(n, 2, 17, &out);
    EXPECT(!last_to(out, RD_SEND_APPEND_ENTRIES, 2), "a follower that holds everything gets nothing more until the "
           "next heartbeat");
    out.clear();
    rd_on_heartbeat_timeout(n, &out);
    EXPECT(last_to(out, RD_SEND_APPEND_ENTRIES, 2) && last_to(out, RD_SEND_APPEND_ENTRIES, 3) &&
               last_to(out, RD_SCHEDULE_HEARTBEAT, 0) && last_to(out, RD_SCHEDULE_HEARTBEAT, 0)->delay_ms == 50,
           "the heartbeat timeout sends to every other voter and re-arms the heartbeat (50 ms)");
    rd_free(n);
}
