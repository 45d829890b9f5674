// test_rd_membership.cpp — EX27 rules of joint consensus: refusals of rd_change_membership, both
// majorities while joint, C_new after C_old,new, and a leader outside C_new stepping down.
#include "rd_test_util.h"

// Node 1, leader of term 1 of {1,2,3} (vote from 2).
static RdNode *leader_of_three(RdOutputs *out)
{
    RdNode *n = rd_node_id(1, 3);
    if (win_election(n, {2}, out) != RD_LEADER) fail_msg("setup: node 1 with votes 1, 2 of 3 did not become leader");
    return n;
}

void test_change_membership_refused(void **)
{
    RdOutputs out;
    RdNode *f = rd_node_id(2, 3);
    uint64_t index = 77;
    int rc = rd_change_membership(f, {1, 2, 3, 4}, &index);
    EXPECT(rc == RD_ENOTLEADER && index == 77 && rd_last_index(f) == 0, "follower: expected RD_ENOTLEADER, index "
           "untouched, log empty; got %d index %llu last %llu", rc, U(index), U(rd_last_index(f)));
    rd_free(f);
    RdNode *n = leader_of_three(&out);
    struct Case {
        std::vector<uint64_t> m;
        const char *what;
    } bad[] = {{{}, "an empty list"}, {{1, 0, 2}, "id 0"}, {{1, 2, 2}, "a duplicate"}, {{3, 2, 1}, "the current set"}};
    for (const Case &c : bad) {
        rc = rd_change_membership(n, c.m, &index);
        EXPECT(rc == RD_EINVAL, "leader of {1,2,3}, change with %s: expected RD_EINVAL, got %d", c.what, rc);
    }
    EXPECT(rd_last_index(n) == 0 && config_of(n) == "{1,2,3}", "refused changes must leave log and configuration "
           "alone: last %llu config %s", U(rd_last_index(n)), config_of(n).c_str());
    rc = rd_change_membership(n, {4, 2, 1}, &index);
    EXPECT(rc == RD_OK && index == 1, "change to {4,2,1}: expected RD_OK at index 1, got %d index %llu", rc, U(index));
    size_t len;
    const RdEntry *log = rd_log(n, &len);
    EXPECT(len == 1 && log[0].type == RD_ENTRY_CONFIG && log[0].term == 1 && log[0].config.joint &&
               log[0].config.members == std::vector<uint64_t>({1, 2, 3}) &&
               log[0].config.next == std::vector<uint64_t>({1, 2, 4}),
           "expected the entry (1, t1, config {1,2,3|1,2,4}) sorted, got %zu entries, config %s", len,
           config_of(n).c_str());
    rc = rd_change_membership(n, {1, 2}, &index);
    EXPECT(rc == RD_EBUSY, "a second change while C_old,new is not committed: expected RD_EBUSY, got %d", rc);
    ack(n, 2, 1, &out);
    ack(n, 4, 1, &out);
    EXPECT(config_of(n) == "{1,2,4}", "C_old,new committed: expected the leader on C_new {1,2,4}, got %s",
           config_of(n).c_str());
    rc = rd_change_membership(n, {1, 2}, &index);
    EXPECT(rc == RD_EBUSY, "a change while C_new is not committed: expected RD_EBUSY, got %d", rc);
    ack(n, 4, 2, &out);
    EXPECT(rd_commit_index(n) == 2, "C_new {1,2,4} on 1 and 4: expected commit 2, got %llu", U(rd_commit_index(n)));
    rc = rd_change_membership(n, {1, 2}, &index);
    EXPECT(rc == RD_OK && index == 3, "after C_new commits, the next change: expected RD_OK at index 3, got %d %llu",
           rc, U(index));
    rd_free(n);
}

void test_joint_commit_needs_both_majorities(void **)
{
    RdOutputs out;
    RdNode *n = leader_of_three(&out);
    uint64_t index = 0;
    rd_change_membership(n, {1, 4, 5}, &index);
    out.clear();
    rd_on_heartbeat_timeout(n, &out);
    for (uint64_t p : {2, 3, 4, 5})
        EXPECT(last_to(out, RD_SEND_APPEND_ENTRIES, p), "leader in {1,2,3|1,4,5} replicates to every voter of both "
               "sets: nothing sent to node %llu", U(p));
    ack(n, 2, 1, &out);
    ack(n, 3, 1, &out);
    EXPECT(rd_commit_index(n) == 0, "C_old,new held by 1,2,3: all of C_old but 1 of {1,4,5}: expected no commit, got %llu",
           U(rd_commit_index(n)));
    ack(n, 4, 1, &out);
    EXPECT(rd_commit_index(n) == 1, "then held by 4 too: majorities of both, expected commit 1, got %llu",
           U(rd_commit_index(n)));
    // The reverse: on a second leader, C_new's majority alone does not commit.
    RdNode *m = leader_of_three(&out);
    rd_change_membership(m, {1, 4, 5}, &index);
    ack(m, 4, 1, &out);
    ack(m, 5, 1, &out);
    EXPECT(rd_commit_index(m) == 0, "C_old,new held by 1,4,5: all of C_new but 1 of {1,2,3}: expected no commit, got %llu",
           U(rd_commit_index(m)));
    rd_free(m);
    rd_free(n);
}

void test_leader_not_in_new_config_steps_down(void **)
{
    RdOutputs out;
    RdNode *n = leader_of_three(&out);
    uint64_t index = 0;
    rd_change_membership(n, {2, 3, 4}, &index);
    ack(n, 2, 1, &out);
    ack(n, 4, 1, &out);
    EXPECT(rd_commit_index(n) == 1, "{1,2,3|2,3,4} held by 1,2,4: expected commit 1, got %llu", U(rd_commit_index(n)));
    size_t len;
    const RdEntry *log = rd_log(n, &len);
    EXPECT(len == 2 && log[1].type == RD_ENTRY_CONFIG && !log[1].config.joint &&
               log[1].config.members == std::vector<uint64_t>({2, 3, 4}) && log[1].term == 1,
           "after C_old,new commits: expected the entry (2, t1, config {2,3,4}), got %zu entries, config %s", len,
           config_of(n).c_str());
    EXPECT(rd_state(n) == RD_LEADER, "the leader keeps leading until C_new commits, got %s", state_name(rd_state(n)));
    ack(n, 2, 2, &out);
    EXPECT(rd_commit_index(n) == 1 && rd_state(n) == RD_LEADER, "C_new {2,3,4} held by 1 and 2: the leader is not in "
           "C_new and must not count itself: expected commit 1, got %llu", U(rd_commit_index(n)));
    out.clear();
    ack(n, 3, 2, &out);
    EXPECT(rd_commit_index(n) == 2, "C_new held by 2 and 3: expected commit 2, got %llu", U(rd_commit_index(n)));
    EXPECT(rd_state(n) == RD_FOLLOWER && rd_leader_id(n) == 0, "leader 1 not in the committed C_new {2,3,4}: expected "
           "it to step down (follower, no leader), got %s leader %llu", state_name(rd_state(n)), U(rd_leader_id(n)));
    std::vector<RdEntry> ap = applied_in(out);
    EXPECT(ap.size() == 1 && ap[0].index == 2, "C_new is applied like any entry: expected entry 2 applied, got %zu",
           ap.size());
    out.clear();
    rd_on_election_timeout(n, &out);
    EXPECT(rd_state(n) == RD_FOLLOWER && count_kind(out, RD_SEND_REQUEST_VOTE) == 0,
           "a server removed from the configuration must not campaign: got %s and %zu RequestVotes",
           state_name(rd_state(n)), count_kind(out, RD_SEND_REQUEST_VOTE));
    rd_free(n);
}

void test_new_leader_finishes_change(void **)
{
    // Node 1 inherits a committed C_old,new from the previous leader: as leader it appends C_new itself.
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    RdAppendEntries a = ae(1, 2, 0, 0, {cfg_entry(1, 1, {1, 2, 3}, {1, 2, 3, 4})}, 1);
    rd_handle_append_entries(n, &a, &out);
    EXPECT(rd_commit_index(n) == 1, "setup: expected C_old,new committed at index 1, got commit %llu",
           U(rd_commit_index(n)));
    rd_on_election_timeout(n, &out);
    RdRequestVoteReply yes{rd_current_term(n), true};
    rd_handle_request_vote_reply(n, 2, &yes, &out);
    rd_handle_request_vote_reply(n, 4, &yes, &out);
    EXPECT(rd_state(n) == RD_LEADER, "votes 1,2,4 in {1,2,3|1,2,3,4}: expected leader, got %s", state_name(rd_state(n)));
    size_t len;
    const RdEntry *log = rd_log(n, &len);
    EXPECT(len == 2 && log[1].type == RD_ENTRY_CONFIG && !log[1].config.joint &&
               log[1].config.members == std::vector<uint64_t>({1, 2, 3, 4}) && log[1].term == 2,
           "a new leader holding a committed C_old,new: expected it to append C_new (2, t2, {1,2,3,4}), got %zu entries, "
           "config %s", len, config_of(n).c_str());
    const RdOutput *hb = last_to(out, RD_SEND_APPEND_ENTRIES, 2);
    EXPECT(hb && hb->append_entries.prev_log_index == 1 && hb->append_entries.entries.size() == 1 &&
               hb->append_entries.entries[0].index == 2,
           "the new leader's AppendEntries to 2: expected prev 1 (nextIndex = last index + 1 at the election) carrying "
           "C_new at index 2, got %s", hb ? ("prev " + std::to_string(hb->append_entries.prev_log_index) + ", " +
                                             std::to_string(hb->append_entries.entries.size()) + " entries").c_str()
                                          : "nothing");
    rd_free(n);
}

void test_config_in_force(void **)
{
    // The latest configuration entry in the log is in force, committed or not; a truncation undoes it.
    RdNode *n = rd_node_id(3, 3);
    RdOutputs out;
    RdAppendEntries a = ae(1, 1, 0, 0, {cmd(1, 1, "a"), cfg_entry(1, 2, {1, 2, 3}, {2, 3, 5})}, 1);
    rd_handle_append_entries(n, &a, &out);
    EXPECT(config_of(n) == "{1,2,3|2,3,5}", "uncommitted C_old,new at index 2 (commit 1): expected {1,2,3|2,3,5} in "
           "force, got %s", config_of(n).c_str());
    RdAppendEntries b = ae(1, 1, 2, 1, {cfg_entry(1, 3, {2, 3, 5})}, 1);
    rd_handle_append_entries(n, &b, &out);
    EXPECT(config_of(n) == "{2,3,5}", "then C_new at index 3, still uncommitted: expected {2,3,5}, got %s",
           config_of(n).c_str());
    RdAppendEntries c = ae(2, 2, 2, 1, {cmd(2, 3, "b")}, 1);
    rd_handle_append_entries(n, &c, &out);
    EXPECT(config_of(n) == "{1,2,3|2,3,5}", "C_new at index 3 overwritten by a command of term 2: expected the joint "
           "configuration of index 2 back, got %s", config_of(n).c_str());
    RdAppendEntries d = ae(3, 1, 1, 1, {cmd(3, 2, "c")}, 1);
    rd_handle_append_entries(n, &d, &out);
    EXPECT(config_of(n) == "{1,2,3}", "C_old,new at index 2 overwritten too: expected the initial {1,2,3}, got %s",
           config_of(n).c_str());
    // No configuration entry is left, so none is in progress: as leader it may start a change at once.
    RdState st = win_election(n, {1}, &out);
    uint64_t index = 0;
    int rc = rd_change_membership(n, {1, 3}, &index);
    EXPECT(st == RD_LEADER && rc == RD_OK && index == 3, "leader of term 4 after both configuration entries were "
           "truncated away (commit 1): expected RD_OK at index 3, got %s, rc %d, index %llu", state_name(st), rc, U(index));
    rd_free(n);
    // The initial configuration is sorted, whatever the order of opts->members.
    RdNode *u = rd_node(rd_opts_members(1, {3, 1, 2}));
    EXPECT(config_of(u) == "{1,2,3}", "rd_new with members {3,1,2}: expected the configuration {1,2,3} (sorted), got %s",
           config_of(u).c_str());
    rd_free(u);
}
