// test_rd_snapshot.cpp — EX27 rules of log compaction and InstallSnapshot on both sides, AppendEntries
// below a snapshot, and what a restart keeps.
#include "rd_test_util.h"

// Follower node 2 of {1,2,3} holding `n` entries of term 1 (commands "c<i>"), `commit` of them committed.
static RdNode *follower_n(uint64_t n, uint64_t commit, std::vector<RdEntry> extra = {})
{
    RdNode *f = rd_node_id(2, 3);
    RdOutputs out;
    std::vector<RdEntry> es;
    for (uint64_t i = 1; i <= n; i++) es.push_back(cmd(1, i, ("c" + std::to_string(i)).c_str()));
    for (RdEntry &e : extra) es.push_back(e);
    RdAppendEntries a = ae(1, 1, 0, 0, es, commit);
    rd_handle_append_entries(f, &a, &out);
    if (rd_commit_index(f) != commit) fail_msg("setup: follower with %zu entries did not commit %llu", es.size(), U(commit));
    return f;
}

void test_compact_threshold(void **)
{
    RdNode *f = follower_n(10, 6, {cfg_entry(1, 11, {1, 2, 3}, {1, 2, 3, 4})});
    size_t got = rd_compact(f, 7, "s6");
    EXPECT(got == 0 && rd_snapshot_index(f) == 0, "6 applied entries, threshold 7 (one past): expected nothing "
           "compacted, got %zu, snapshot %llu", got, U(rd_snapshot_index(f)));
    got = rd_compact(f, 6, "s6");
    EXPECT(got == 6, "6 applied entries, threshold 6 (at the limit): expected 6 compacted, got %zu", got);
    size_t len;
    const RdEntry *log = rd_log(f, &len);
    EXPECT(rd_snapshot_index(f) == 6 && rd_snapshot_term(f) == 1 && len == 5 && log[0].index == 7,
           "snapshot through the last applied (6) only: expected snapshot 6 and entries 7..11 kept, got snapshot %llu, "
           "%zu entries from %llu", U(rd_snapshot_index(f)), len, len ? U(log[0].index) : 0ULL);
    EXPECT(rd_last_index(f) == 11 && config_of(f) == "{1,2,3|1,2,3,4}", "after compaction: expected last index 11 and "
           "the uncommitted joint configuration still in force, got %llu %s", U(rd_last_index(f)), config_of(f).c_str());
    got = rd_compact(f, 0, "again");
    EXPECT(got == 0 && rd_snapshot_data(f) == "s6", "nothing applied since the snapshot: expected 0 and the data kept, "
           "got %zu '%s'", got, rd_snapshot_data(f).c_str());
    rd_free(f);
}

void test_snapshot_records_config(void **)
{
    // Entry 2 is a configuration; the snapshot through 4 must carry it, and the leader sends it.
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    std::vector<RdEntry> es = {cmd(1, 1, "a"), cfg_entry(1, 2, {1, 2, 3}, {1, 2, 3, 4}), cfg_entry(1, 3, {1, 2, 3, 4}),
                               cmd(1, 4, "d")};
    RdAppendEntries a = ae(1, 2, 0, 0, es, 4);
    rd_handle_append_entries(n, &a, &out);
    rd_compact(n, 1, "snap4");
    EXPECT(config_of(n) == "{1,2,3,4}", "config entry compacted into the snapshot: expected {1,2,3,4} still in force, "
           "got %s", config_of(n).c_str());
    win_election(n, {2, 3}, &out);
    EXPECT(rd_state(n) == RD_LEADER, "votes 1,2,3 of {1,2,3,4}: expected leader, got %s", state_name(rd_state(n)));
    out.clear();
    RdAppendEntriesReply rej{rd_current_term(n), false, 0, 1};
    rd_handle_append_entries_reply(n, 4, &rej, &out);
    const RdOutput *o = last_to(out, RD_SEND_INSTALL_SNAPSHOT, 4);
    EXPECT(o, "follower 4 needs index 1, compacted away: expected an InstallSnapshot to node 4, none sent");
    const RdInstallSnapshot &is = o->install_snapshot;
    EXPECT(is.term == 2 && is.leader_id == 1 && is.last_included_index == 4 && is.last_included_term == 1 &&
               is.data == "snap4" && !is.config.joint && is.config.members == std::vector<uint64_t>({1, 2, 3, 4}),
           "expected InstallSnapshot {term 2, leader 1, through (4,t1), config {1,2,3,4}, data 'snap4'}, got {term %llu, "
           "leader %llu, through (%llu,t%llu), data '%s'}", U(is.term), U(is.leader_id), U(is.last_included_index),
           U(is.last_included_term), is.data.c_str());
    EXPECT(!last_to(out, RD_SEND_APPEND_ENTRIES, 4), "no AppendEntries to node 4 while it needs the snapshot");
    // Once installed, replication resumes right after the snapshot.
    rd_propose(n, "e");
    out.clear();
    RdInstallSnapshotReply ok{rd_current_term(n), 4};
    rd_handle_install_snapshot_reply(n, 4, &ok, &out);
    const RdOutput *next = last_to(out, RD_SEND_APPEND_ENTRIES, 4);
    EXPECT(next && next->append_entries.prev_log_index == 4 && next->append_entries.prev_log_term == 1 &&
               next->append_entries.entries.size() == 1,
           "after the snapshot reply (match 4): expected AppendEntries prev (4,t1) with entry 5, got %s",
           next ? ("prev " + std::to_string(next->append_entries.prev_log_index)).c_str() : "nothing");
    rd_free(n);

    // A snapshot through index 1: node 3 needs it; replies of an older term are ignored, a reply of match 1 counts.
    RdNode *l = rd_node_id(1, 3);
    out.clear();
    RdAppendEntries one = ae(1, 2, 0, 0, {cmd(1, 1, "a")}, 1);
    rd_handle_append_entries(l, &one, &out);
    rd_compact(l, 1, "s1");
    RdAppendEntries two = ae(1, 2, 1, 1, {cmd(1, 2, "b")}, 1);
    rd_handle_append_entries(l, &two, &out);
    EXPECT(win_election(l, {2}, &out) == RD_LEADER, "setup: node 1 with votes 1, 2 of {1,2,3}: expected leader");
    out.clear();
    RdAppendEntriesReply back{rd_current_term(l), false, 0, 1};
    rd_handle_append_entries_reply(l, 3, &back, &out);
    EXPECT(last_to(out, RD_SEND_INSTALL_SNAPSHOT, 3), "node 3 needs index 1, in the snapshot through 1: expected an "
           "InstallSnapshot to 3");
    out.clear();
    RdInstallSnapshotReply stale{rd_current_term(l) - 1, 1};
    rd_handle_install_snapshot_reply(l, 3, &stale, &out);
    EXPECT(out.empty(), "an InstallSnapshot reply of the older term %llu: expected it ignored (no output), got %zu "
           "outputs", U(rd_current_term(l) - 1), out.size());
    RdInstallSnapshotReply done{rd_current_term(l), 1};
    rd_handle_install_snapshot_reply(l, 3, &done, &out);
    const RdOutput *after = last_to(out, RD_SEND_APPEND_ENTRIES, 3);
    EXPECT(after && after->append_entries.prev_log_index == 1 && after->append_entries.entries.size() == 1,
           "then the reply of its term with match 1: expected AppendEntries to 3 with prev 1 and entry 2, got %s",
           after ? ("prev " + std::to_string(after->append_entries.prev_log_index)).c_str() : "nothing");
    rd_free(l);
}

void test_install_snapshot_follower(void **)
{
    RdInstallSnapshot s;
    s.term = 3;
    s.leader_id = 1;
    s.last_included_index = 5;
    s.last_included_term = 2;
    s.config.members = {1, 2, 3, 4};
    s.data = "state5";
    // A follower whose log conflicts with the snapshot: everything goes.
    RdNode *f = follower_n(7, 2);
    RdOutputs out;
    RdInstallSnapshotReply r = rd_handle_install_snapshot(f, &s, &out);
    size_t len;
    rd_log(f, &len);
    EXPECT(r.term == 3 && r.match_index == 5, "InstallSnapshot through (5,t2): expected reply {term 3, match 5}, got "
           "{%llu, %llu}", U(r.term), U(r.match_index));
    EXPECT(len == 0 && rd_snapshot_index(f) == 5 && rd_snapshot_term(f) == 2 && rd_snapshot_data(f) == "state5",
           "log of term 1 vs snapshot (5,t2): expected the log discarded and the snapshot kept, got %zu entries, "
           "snapshot (%llu,t%llu,'%s')", len, U(rd_snapshot_index(f)), U(rd_snapshot_term(f)), rd_snapshot_data(f).c_str());
    EXPECT(rd_commit_index(f) == 5 && rd_last_applied(f) == 5 && config_of(f) == "{1,2,3,4}",
           "after installing: expected commit 5, applied 5, configuration {1,2,3,4}, got %llu %llu %s",
           U(rd_commit_index(f)), U(rd_last_applied(f)), config_of(f).c_str());
    const RdOutput *rs = last_to(out, RD_RESTORE_SNAPSHOT, 0);
    EXPECT(rs && rs->install_snapshot.last_included_index == 5 && rs->install_snapshot.data == "state5",
           "installing must hand the state machine the snapshot (RD_RESTORE_SNAPSHOT through 5, 'state5')");
    EXPECT(rd_current_term(f) == 3 && rd_leader_id(f) == 1, "InstallSnapshot is leader contact: expected term 3, leader "
           "1, got %llu %llu", U(rd_current_term(f)), U(rd_leader_id(f)));
    rd_free(f);
    // A follower that agrees at index 5 keeps what follows.
    RdNode *g = follower_n(4, 1, {cmd(2, 5, "c5"), cmd(2, 6, "c6"), cmd(2, 7, "c7")});
    out.clear();
    rd_handle_install_snapshot(g, &s, &out);
    const RdEntry *log = rd_log(g, &len);
    EXPECT(rd_snapshot_index(g) == 5 && len == 2 && log[0].index == 6 && log[1].index == 7 && rd_last_index(g) == 7,
           "log holds (5,t2) like the snapshot: expected entries 6 and 7 kept after it, got %zu entries, last %llu", len,
           U(rd_last_index(g)));
    EXPECT(applied_in(out).empty(), "entries after the snapshot are not committed yet: none may be applied");
    rd_free(g);
    // A stale snapshot (through 5, when 6 are committed) changes nothing.
    RdNode *h = follower_n(8, 6);
    out.clear();
    r = rd_handle_install_snapshot(h, &s, &out);
    EXPECT(r.match_index == 5 && rd_snapshot_index(h) == 0 && rd_last_index(h) == 8 && rd_commit_index(h) == 6 &&
               count_kind(out, RD_RESTORE_SNAPSHOT) == 0,
           "snapshot through 5 at a follower with commit 6: expected match 5 and nothing changed, got match %llu, "
           "snapshot %llu, last %llu, commit %llu, %zu restores", U(r.match_index), U(rd_snapshot_index(h)),
           U(rd_last_index(h)), U(rd_commit_index(h)), count_kind(out, RD_RESTORE_SNAPSHOT));
    // One from an older term is refused.
    RdInstallSnapshot old = s;
    old.term = 0;
    RdNode *k = follower_n(1, 0);
    r = rd_handle_install_snapshot(k, &old, &out);
    EXPECT(r.match_index == 0 && r.term == 1 && rd_snapshot_index(k) == 0, "InstallSnapshot of term 0 at term 1: "
           "expected refused {term 1, match 0}, got {%llu, %llu}, snapshot %llu", U(r.term), U(r.match_index),
           U(rd_snapshot_index(k)));
    rd_free(k);
    rd_free(h);
    // A snapshot through index 1 (a C_old,new there) is a snapshot like any other.
    RdInstallSnapshot one;
    one.term = 1;
    one.leader_id = 1;
    one.last_included_index = 1;
    one.last_included_term = 1;
    one.config.members = {1, 2, 3};
    one.config.next = {1, 2};
    one.config.joint = true;
    one.data = "s1";
    RdNode *p = rd_node_id(2, 3);
    out.clear();
    rd_handle_install_snapshot(p, &one, &out);
    EXPECT(rd_snapshot_index(p) == 1 && config_of(p) == "{1,2,3|1,2}", "InstallSnapshot through 1 with {1,2,3|1,2}: "
           "expected that configuration in force, got snapshot %llu, %s", U(rd_snapshot_index(p)), config_of(p).c_str());
    out.clear();
    rd_restart(p, &out);
    rs = last_to(out, RD_RESTORE_SNAPSHOT, 0);
    EXPECT(rs && rs->install_snapshot.last_included_index == 1 && rs->install_snapshot.data == "s1",
           "a restart with the snapshot through 1: expected RD_RESTORE_SNAPSHOT through 1 ('s1'), got %s",
           rs ? "another snapshot" : "none");
    RdAppendEntries more = ae(1, 1, 1, 1, {cmd(1, 2, "b"), cmd(1, 3, "c")}, 3);
    rd_handle_append_entries(p, &more, &out);
    size_t got = rd_compact(p, 1, "s3");
    out.clear();
    rd_restart(p, &out);
    rs = last_to(out, RD_RESTORE_SNAPSHOT, 0);
    EXPECT(got == 2 && rs && rs->install_snapshot.last_included_index == 3 && rs->install_snapshot.config.joint &&
               rs->install_snapshot.config.members == std::vector<uint64_t>({1, 2, 3}) &&
               rs->install_snapshot.config.next == std::vector<uint64_t>({1, 2}),
           "snapshot 1 ({1,2,3|1,2}) then commands 2, 3 compacted: expected snapshot 3 recording {1,2,3|1,2} (the "
           "configuration in force at 3), got %zu compacted, %s", got,
           rs ? (rs->install_snapshot.config.joint ? "a joint configuration" : "a plain configuration") : "no restore");
    rd_free(p);
}

void test_append_below_snapshot(void **)
{
    RdNode *f = follower_n(10, 10);
    rd_compact(f, 1, "s10");
    RdOutputs out;
    std::vector<RdEntry> es;
    for (uint64_t i = 6; i <= 12; i++) es.push_back(cmd(1, i, ("c" + std::to_string(i)).c_str()));
    RdAppendEntries a = ae(1, 1, 5, 1, es, 12);
    RdAppendEntriesReply r = rd_handle_append_entries(f, &a, &out);
    size_t len;
    const RdEntry *log = rd_log(f, &len);
    EXPECT(r.success && r.match_index == 12, "snapshot through 10, AppendEntries prev (5,t1) with 6..12: expected "
           "success with match 12, got %s match %llu", r.success ? "success" : "refusal", U(r.match_index));
    EXPECT(len == 2 && log[0].index == 11 && log[1].index == 12 && rd_commit_index(f) == 12,
           "expected entries 11 and 12 appended after the snapshot and commit 12, got %zu entries, commit %llu", len,
           U(rd_commit_index(f)));
    RdAppendEntries inside = ae(1, 1, 2, 1, {cmd(1, 3, "c3")}, 12);
    r = rd_handle_append_entries(f, &inside, &out);
    EXPECT(r.success && r.match_index == 3 && rd_last_index(f) == 12, "AppendEntries wholly inside the snapshot "
           "(prev 2, entry 3): expected success with match 3 and nothing changed, got %s match %llu last %llu",
           r.success ? "success" : "refusal", U(r.match_index), U(rd_last_index(f)));
    // prev_log_index at the snapshot: its term is checked like any other (the snapshot holds (12,t1) now).
    rd_compact(f, 1, "s12");
    RdAppendEntries wrong = ae(2, 1, 12, 2, {cmd(2, 13, "x")}, 12);
    r = rd_handle_append_entries(f, &wrong, &out);
    EXPECT(!r.success && rd_last_index(f) == 12, "snapshot through (12,t1), AppendEntries prev (12,t2) with entry 13: "
           "expected refused (the follower does not hold (12,t2)) and nothing appended, got %s, last %llu",
           r.success ? "success" : "refusal", U(rd_last_index(f)));
    rd_free(f);
}

void test_restart_keeps_persistent_state(void **)
{
    RdNode *f = follower_n(6, 4);
    rd_compact(f, 1, "s4");
    RdOutputs out;
    RdRequestVote rv{3, 3, 6, 1};
    rd_on_election_timeout(f, &out); // a candidate of term 2 ...
    rd_handle_request_vote(f, &rv, &out); // ... that votes for 3 in term 3
    out.clear();
    rd_restart(f, &out);
    size_t len;
    rd_log(f, &len);
    EXPECT(rd_current_term(f) == 3 && rd_voted_for(f) == 3 && len == 2 && rd_snapshot_index(f) == 4 &&
               rd_snapshot_data(f) == "s4",
           "after a restart: expected term 3, vote 3, snapshot 4 ('s4') and entries 5..6 kept, got term %llu vote %llu "
           "snapshot %llu '%s', %zu entries", U(rd_current_term(f)), U(rd_voted_for(f)), U(rd_snapshot_index(f)),
           rd_snapshot_data(f).c_str(), len);
    EXPECT(rd_state(f) == RD_FOLLOWER && rd_commit_index(f) == 4 && rd_last_applied(f) == 4 && rd_leader_id(f) == 0,
           "after a restart: expected follower, commit = applied = 4 (the snapshot), no leader; got %s %llu %llu %llu",
           state_name(rd_state(f)), U(rd_commit_index(f)), U(rd_last_applied(f)), U(rd_leader_id(f)));
    const RdOutput *rs = last_to(out, RD_RESTORE_SNAPSHOT, 0);
    EXPECT(rs && rs->install_snapshot.last_included_index == 4 && rs->install_snapshot.data == "s4",
           "a restart hands the snapshot back to the state machine (RD_RESTORE_SNAPSHOT through 4, 's4')");
    EXPECT(last_to(out, RD_SCHEDULE_ELECTION_TIMEOUT, 0), "a restart arms the election timer");
    RdRequestVote other{3, 1, 9, 9};
    EXPECT(!rd_handle_request_vote(f, &other, &out).vote_granted, "restarted after voting for 3 in term 3: a request "
           "from 1 in term 3 must be refused");
    out.clear();
    RdAppendEntries a = ae(3, 3, 6, 1, {}, 6);
    rd_handle_append_entries(f, &a, &out);
    std::vector<RdEntry> ap = applied_in(out);
    EXPECT(ap.size() == 2 && ap[0].index == 5 && ap[1].index == 6, "commit 6 learned after the restart: expected "
           "entries 5 and 6 applied again (once each, in order), got %zu", ap.size());
    rd_free(f);
}
