// test_rd_election.cpp — EX27 rules about options, timeouts, votes and terms: each test puts a server
// by hand in the situation where a wrong rule shows.
#include "rd_test_util.h"

#include <cstring>

void test_options_rejected(void **)
{
    struct Case {
        const char *what;
        RdOptions o;
    } cases[] = {
        {"node_id 0", {0, {1, 2, 3}, 150, 300, 50, 0}},
        {"empty members", {1, {}, 150, 300, 50, 0}},
        {"member id 0", {1, {0, 1, 2}, 150, 300, 50, 0}},
        {"member listed twice", {1, {1, 2, 2}, 150, 300, 50, 0}},
        {"election_timeout_min 0", {1, {1, 2, 3}, 0, 300, 50, 0}},
        {"min > max", {1, {1, 2, 3}, 301, 300, 50, 0}},
        {"heartbeat 0", {1, {1, 2, 3}, 150, 300, 0, 0}},
    };
    for (const Case &c : cases) {
        char err[200] = "";
        RdNode *n = rd_new(&c.o, err, sizeof err);
        EXPECT(!n, "rd_new with %s: expected NULL, got a node", c.what);
        EXPECT(err[0] != '\0', "rd_new with %s: expected a message in err, got an empty string", c.what);
        EXPECT(!rd_new(&c.o, nullptr, 0), "rd_new with %s and err NULL: expected NULL (and no crash)", c.what);
        EXPECT(!rd_new(&c.o, nullptr, sizeof err), "rd_new with %s, err NULL and err_len 200: expected NULL (and no "
               "crash: err may be NULL whatever err_len)", c.what);
    }
    // At the limits: min == max, and a spare that is not in the configuration, are valid.
    RdOptions edge{4, {1, 2, 3}, 200, 200, 1, 0};
    char err[200] = "";
    RdNode *n = rd_new(&edge, err, sizeof err);
    EXPECT(n, "spare node 4, timeouts 200..200, heartbeat 1: expected a node, got NULL (%s)", err);
    EXPECT(rd_state(n) == RD_FOLLOWER && rd_current_term(n) == 0 && rd_last_index(n) == 0,
           "a new node: expected follower at term 0 with an empty log, got %s term %llu last %llu",
           state_name(rd_state(n)), U(rd_current_term(n)), U(rd_last_index(n)));
    EXPECT(config_of(n) == "{1,2,3}", "a new node's configuration is the initial one: expected {1,2,3}, got %s",
           config_of(n).c_str());
    rd_free(n);
}

void test_election_timeout_range(void **)
{
    // Drawn in [min, max], varied, and the same for the same options: at the limit min == max too.
    RdOptions o = rd_opts(2, 3, 7);
    o.election_timeout_min = 100;
    o.election_timeout_max = 103;
    RdNode *a = rd_node(o), *b = rd_node(o);
    bool seen[4] = {};
    for (int i = 0; i < 200; i++) {
        RdOutputs oa, ob;
        rd_on_election_timeout(a, &oa);
        rd_on_election_timeout(b, &ob);
        const RdOutput *ta = last_to(oa, RD_SCHEDULE_ELECTION_TIMEOUT, 0), *tb = last_to(ob, RD_SCHEDULE_ELECTION_TIMEOUT, 0);
        EXPECT(ta && tb, "election timeout %d: expected the timer re-armed", i);
        EXPECT(ta->delay_ms >= 100 && ta->delay_ms <= 103, "timeouts 100..103: drew %llu", U(ta->delay_ms));
        EXPECT(ta->delay_ms == tb->delay_ms, "two nodes with the same options drew %llu and %llu at timeout %d: "
               "timeouts must be reproducible", U(ta->delay_ms), U(tb->delay_ms), i);
        seen[ta->delay_ms - 100] = true;
    }
    for (int v = 0; v < 4; v++)
        EXPECT(seen[v], "200 timeouts in 100..103 never drew %d: timeouts must be randomized over the whole range", 100 + v);
    rd_free(a);
    rd_free(b);
    RdOptions fixed = rd_opts(1, 3);
    fixed.election_timeout_min = fixed.election_timeout_max = 250;
    RdNode *c = rd_node(fixed);
    RdOutputs out;
    rd_start(c, &out);
    const RdOutput *t = last_to(out, RD_SCHEDULE_ELECTION_TIMEOUT, 0);
    EXPECT(t && t->delay_ms == 250, "rd_start with timeouts 250..250: expected an election timer of 250 ms, got %llu",
           t ? U(t->delay_ms) : 0ULL);
    rd_free(c);
}

void test_one_vote_per_term(void **)
{
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    RdRequestVote from2{1, 2, 0, 0}, from3{1, 3, 0, 0};
    RdRequestVoteReply r2 = rd_handle_request_vote(n, &from2, &out);
    EXPECT(r2.vote_granted, "term 1, first request (from 2): expected granted");
    EXPECT(count_kind(out, RD_SCHEDULE_ELECTION_TIMEOUT) == 1, "a follower granting its vote re-arms its election "
           "timer: expected one RD_SCHEDULE_ELECTION_TIMEOUT, got %zu", count_kind(out, RD_SCHEDULE_ELECTION_TIMEOUT));
    RdRequestVoteReply r3 = rd_handle_request_vote(n, &from3, &out);
    EXPECT(!r3.vote_granted, "term 1, after voting for 2, request from 3: expected refused, granted (two votes in a term)");
    EXPECT(rd_voted_for(n) == 2, "expected voted_for 2, got %llu", U(rd_voted_for(n)));
    RdRequestVoteReply again = rd_handle_request_vote(n, &from2, &out);
    EXPECT(again.vote_granted, "term 1, candidate 2 asks again (its reply was lost): expected granted again");
    RdRequestVote t2{2, 3, 0, 0};
    RdRequestVoteReply r = rd_handle_request_vote(n, &t2, &out);
    EXPECT(r.vote_granted && rd_voted_for(n) == 3, "term 2, request from 3: a new term, a new vote: expected granted, "
           "got %s voted_for %llu", r.vote_granted ? "granted" : "refused", U(rd_voted_for(n)));
    rd_free(n);
}

void test_vote_requires_up_to_date_log(void **)
{
    // Our log: terms 1,1,2 (last (3,t2)).
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    RdAppendEntries a = ae(2, 2, 0, 0, {cmd(1, 1, "a"), cmd(1, 2, "b"), cmd(2, 3, "c")}, 0);
    rd_handle_append_entries(n, &a, &out);
    rd_on_election_timeout(n, &out); // forget the leader: a candidate of term 3 now
    struct Case {
        uint64_t last_i, last_t;
        bool grant;
        const char *why;
    } cases[] = {
        {10, 1, false, "longer log but older last term"},
        {2, 2, false, "same last term, shorter"},
        {3, 2, true, "same last term, same length"},
        {4, 2, true, "same last term, longer"},
        {1, 3, true, "higher last term, shorter"},
    };
    uint64_t term = 10;
    for (const Case &c : cases) {
        RdRequestVote rv{term++, 3, c.last_i, c.last_t};
        RdRequestVoteReply r = rd_handle_request_vote(n, &rv, &out);
        EXPECT(r.vote_granted == c.grant, "our last (3,t2); candidate last (%llu,t%llu) (%s): expected %s, got %s",
               U(c.last_i), U(c.last_t), c.why, c.grant ? "granted" : "refused", r.vote_granted ? "granted" : "refused");
        EXPECT(rd_current_term(n) == rv.term, "a RequestVote of a higher term is adopted even when refused: expected "
               "term %llu, got %llu", U(rv.term), U(rd_current_term(n)));
    }
    rd_free(n);
}

void test_higher_term_steps_down(void **)
{
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    EXPECT(win_election(n, {2}, &out) == RD_LEADER, "node 1 with votes 1, 2 of 3: expected leader");
    RdAppendEntriesReply r{4, false, 0, 0};
    out.clear();
    rd_handle_append_entries_reply(n, 3, &r, &out);
    EXPECT(rd_state(n) == RD_FOLLOWER && rd_current_term(n) == 4 && rd_voted_for(n) == 0 && rd_leader_id(n) == 0,
           "leader of term 1 gets a reply of term 4: expected follower, term 4, no vote, no leader; got %s term %llu "
           "voted_for %llu leader %llu", state_name(rd_state(n)), U(rd_current_term(n)), U(rd_voted_for(n)),
           U(rd_leader_id(n)));
    EXPECT(last_to(out, RD_SCHEDULE_ELECTION_TIMEOUT, 0), "a deposed leader must arm its election timer again");
    // A candidate meeting the leader of its own term follows it.
    RdNode *c = rd_node_id(2, 3);
    rd_on_election_timeout(c, &out);
    RdAppendEntries hb = ae(1, 3, 0, 0, {}, 0);
    RdAppendEntriesReply hr = rd_handle_append_entries(c, &hb, &out);
    EXPECT(hr.success && rd_state(c) == RD_FOLLOWER && rd_leader_id(c) == 3 && rd_current_term(c) == 1,
           "candidate of term 1 gets AppendEntries from leader 3 of term 1: expected follower of 3 at term 1, got %s "
           "leader %llu term %llu", state_name(rd_state(c)), U(rd_leader_id(c)), U(rd_current_term(c)));
    // A stale AppendEntries is refused with our term and changes nothing.
    RdAppendEntries stale = ae(0, 2, 0, 0, {cmd(0, 1, "x")}, 0);
    RdAppendEntriesReply sr = rd_handle_append_entries(c, &stale, &out);
    EXPECT(!sr.success && sr.term == 1 && rd_last_index(c) == 0 && rd_leader_id(c) == 3,
           "term-0 AppendEntries at term 1: expected refused with term 1, log and leader unchanged; got %s term %llu "
           "last %llu leader %llu", sr.success ? "success" : "refused", U(sr.term), U(rd_last_index(c)),
           U(rd_leader_id(c)));
    rd_free(c);
    rd_free(n);
}

void test_duplicate_votes_counted_once(void **)
{
    RdNode *n = rd_node_id(1, 5);
    RdOutputs out;
    rd_on_election_timeout(n, &out);
    RdRequestVoteReply yes{1, true}, no{1, false}, old{0, true};
    rd_handle_request_vote_reply(n, 2, &yes, &out);
    rd_handle_request_vote_reply(n, 2, &yes, &out);
    rd_handle_request_vote_reply(n, 3, &no, &out);
    rd_handle_request_vote_reply(n, 4, &old, &out);
    EXPECT(rd_state(n) == RD_CANDIDATE, "5 nodes: self, 2 twice, a refusal from 3, a stale term-0 grant from 4: "
           "expected still candidate (2 votes), got %s", state_name(rd_state(n)));
    rd_handle_request_vote_reply(n, 5, &yes, &out);
    EXPECT(rd_state(n) == RD_LEADER, "then a grant from 5: 3 votes of 5, expected leader, got %s", state_name(rd_state(n)));
    rd_free(n);
}

void test_nonvoter_never_campaigns(void **)
{
    RdNode *spare = rd_node(rd_opts_members(4, {1, 2, 3}));
    RdOutputs out;
    rd_on_election_timeout(spare, &out);
    EXPECT(rd_state(spare) == RD_FOLLOWER && rd_current_term(spare) == 0,
           "spare node 4 (not in {1,2,3}) times out: expected to stay follower at term 0, got %s term %llu",
           state_name(rd_state(spare)), U(rd_current_term(spare)));
    EXPECT(count_kind(out, RD_SEND_REQUEST_VOTE) == 0, "a spare must not ask for votes, sent %zu RequestVotes",
           count_kind(out, RD_SEND_REQUEST_VOTE));
    EXPECT(last_to(out, RD_SCHEDULE_ELECTION_TIMEOUT, 0), "a spare re-arms its election timer (it may be added later)");
    // It still votes: a server of C_new may not know the configuration yet.
    RdRequestVote rv{1, 2, 0, 0};
    RdRequestVoteReply r = rd_handle_request_vote(spare, &rv, &out);
    EXPECT(r.vote_granted, "spare asked by candidate 2 of term 1: expected granted (votes do not depend on membership)");
    rd_free(spare);
}

void test_vote_disregarded_while_leader_alive(void **)
{
    // Node 4 is a spare: it hears from leader 1, so a removed server's RequestVote must not move it.
    RdNode *n = rd_node(rd_opts_members(4, {1, 2, 3}));
    RdOutputs out;
    RdAppendEntries hb = ae(1, 1, 0, 0, {}, 0);
    rd_handle_append_entries(n, &hb, &out);
    RdRequestVote rv{7, 2, 5, 1};
    RdRequestVoteReply r = rd_handle_request_vote(n, &rv, &out);
    EXPECT(!r.vote_granted && r.term == 1 && rd_current_term(n) == 1 && rd_voted_for(n) == 0,
           "follower that just heard leader 1 (term 1) gets RequestVote term 7: expected refused, term kept at 1, no "
           "vote; got %s reply term %llu node term %llu voted_for %llu", r.vote_granted ? "granted" : "refused",
           U(r.term), U(rd_current_term(n)), U(rd_voted_for(n)));
    // Once its election timer fires without news from the leader, the same request is honoured.
    rd_on_election_timeout(n, &out);
    r = rd_handle_request_vote(n, &rv, &out);
    EXPECT(r.vote_granted && rd_current_term(n) == 7, "after its election timeout, RequestVote term 7: expected granted "
           "at term 7, got %s term %llu", r.vote_granted ? "granted" : "refused", U(rd_current_term(n)));
    // Leader contact belongs to its term: a reply of a higher term ends it, and the candidate of that term gets the vote.
    RdNode *f = rd_node_id(2, 3);
    rd_handle_append_entries(f, &hb, &out);
    RdAppendEntriesReply late{3, false, 0, 0};
    rd_handle_append_entries_reply(f, 3, &late, &out);
    RdRequestVote rv3t{3, 3, 0, 0};
    RdRequestVoteReply fr = rd_handle_request_vote(f, &rv3t, &out);
    EXPECT(rd_current_term(f) == 3 && fr.vote_granted && rd_voted_for(f) == 3, "follower that heard leader 1 in term 1, "
           "then a reply of term 3, then RequestVote term 3 from 3: expected term 3 and the vote granted (the contact "
           "was with the leader of term 1), got term %llu, %s, voted_for %llu", U(rd_current_term(f)),
           fr.vote_granted ? "granted" : "refused", U(rd_voted_for(f)));
    rd_free(f);
    // A leader disregards them too.
    RdNode *l = rd_node_id(1, 3);
    win_election(l, {2}, &out);
    RdRequestVote rv3{5, 3, 9, 9};
    RdRequestVoteReply lr = rd_handle_request_vote(l, &rv3, &out);
    EXPECT(!lr.vote_granted && rd_state(l) == RD_LEADER && rd_current_term(l) == 1,
           "leader of term 1 gets RequestVote term 5: expected refused and still leader of term 1, got %s %s term %llu",
           lr.vote_granted ? "granted" : "refused", state_name(rd_state(l)), U(rd_current_term(l)));
    rd_free(l);
    rd_free(n);
}

void test_joint_election_needs_both_majorities(void **)
{
    // Node 1 holds C_old,new = {1,2,3|1,4,5}: it needs 2 of {1,2,3} and 2 of {1,4,5}.
    RdNode *n = rd_node_id(1, 3);
    RdOutputs out;
    RdAppendEntries a = ae(1, 2, 0, 0, {cfg_entry(1, 1, {1, 2, 3}, {1, 4, 5})}, 0);
    rd_handle_append_entries(n, &a, &out);
    EXPECT(config_of(n) == "{1,2,3|1,4,5}", "a configuration entry takes effect on append: expected {1,2,3|1,4,5}, "
           "got %s", config_of(n).c_str());
    out.clear();
    rd_on_election_timeout(n, &out);
    for (uint64_t p : {2, 3, 4, 5})
        EXPECT(last_to(out, RD_SEND_REQUEST_VOTE, p), "joint candidate asks every voter of both sets: none to node %llu", U(p));
    uint64_t t = rd_current_term(n);
    RdRequestVoteReply yes{t, true};
    rd_handle_request_vote_reply(n, 2, &yes, &out);
    rd_handle_request_vote_reply(n, 3, &yes, &out);
    EXPECT(rd_state(n) == RD_CANDIDATE, "votes 1,2,3: all of C_old but only 1 of {1,4,5}: expected still candidate, "
           "got %s", state_name(rd_state(n)));
    rd_handle_request_vote_reply(n, 5, &yes, &out);
    EXPECT(rd_state(n) == RD_LEADER, "then vote 5: majorities of both sets, expected leader, got %s",
           state_name(rd_state(n)));
    // And the other way round: C_new's majority alone is not enough.
    RdNode *m = rd_node_id(1, 3);
    rd_handle_append_entries(m, &a, &out);
    rd_on_election_timeout(m, &out);
    RdRequestVoteReply y2{rd_current_term(m), true};
    rd_handle_request_vote_reply(m, 4, &y2, &out);
    rd_handle_request_vote_reply(m, 5, &y2, &out);
    EXPECT(rd_state(m) == RD_CANDIDATE, "votes 1,4,5: all of C_new but only 1 of {1,2,3}: expected still candidate, "
           "got %s", state_name(rd_state(m)));
    rd_free(m);
    rd_free(n);
}
