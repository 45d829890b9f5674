// raft_deep.cpp — reference solution of EX27 RaftConsensusDeep: Raft (Ongaro & Ousterhout, figures 2
// and 13, section 6) as a pure state machine: elections, replication, joint consensus, snapshots.
#include "raft_deep.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

// At most this many entries per AppendEntries, so a lagging follower catches up in steps.
static const size_t MAX_BATCH = 16;

struct RdNode {
    RdOptions opts;
    RdMembers initial;
    uint64_t rng; // splitmix64 state: reproducible "random" election timeouts

    // Persistent state (survives rd_restart).
    uint64_t term = 0;
    uint64_t voted_for = 0;
    std::vector<RdEntry> log; // the entries after the snapshot
    uint64_t snap_index = 0, snap_term = 0;
    RdMembers snap_config;
    std::string snap_data;

    // Volatile state.
    RdState state = RD_FOLLOWER;
    uint64_t leader = 0;
    uint64_t commit = 0, applied = 0;
    bool heard_leader = false; // a leader of our term spoke since our election timer last fired
    std::set<uint64_t> votes;
    std::map<uint64_t, uint64_t> next_idx, match_idx;

    // Derived from the log: the configuration in force and the index of the entry holding it.
    RdMembers cfg;
    uint64_t cfg_index = 0;
};

// ---- small helpers ----
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t last_index(const RdNode *n) { return n->snap_index + n->log.size(); }
static RdEntry &entry_at(RdNode *n, uint64_t index) { return n->log[index - n->snap_index - 1]; }
// The term of an entry we hold (the snapshot's last one included); 0 for index 0 or out of range.
static uint64_t term_at(const RdNode *n, uint64_t index)
{
    if (index == n->snap_index) return n->snap_term;
    if (index < n->snap_index || index > last_index(n)) return 0;
    return n->log[index - n->snap_index - 1].term;
}
static uint64_t last_term(const RdNode *n) { return term_at(n, last_index(n)); }

static bool has(const std::vector<uint64_t> &v, uint64_t id) { return std::find(v.begin(), v.end(), id) != v.end(); }
static bool is_voter(const RdMembers &c, uint64_t id) { return has(c.members, id) || (c.joint && has(c.next, id)); }

// A majority of `set` is in `agree`.
static bool majority_of(const std::vector<uint64_t> &set, const std::set<uint64_t> &agree)
{
    size_t yes = 0;
    for (uint64_t id : set) yes += agree.count(id);
    return yes > set.size() / 2;
}
// Decisions under C_old,new need both majorities (section 6): neither configuration can decide alone.
static bool quorum(const RdMembers &c, const std::set<uint64_t> &agree)
{
    return majority_of(c.members, agree) && (!c.joint || majority_of(c.next, agree));
}

// Every voter of the configuration in force but us: who the leader replicates to and asks for votes.
static std::vector<uint64_t> peers(const RdNode *n)
{
    std::set<uint64_t> s(n->cfg.members.begin(), n->cfg.members.end());
    if (n->cfg.joint) s.insert(n->cfg.next.begin(), n->cfg.next.end());
    s.erase(n->opts.node_id);
    return std::vector<uint64_t>(s.begin(), s.end());
}
static bool is_peer(const RdNode *n, uint64_t id) { return id != n->opts.node_id && is_voter(n->cfg, id); }

// A configuration takes effect as soon as its entry is in the log, committed or not; a truncation
// or a snapshot can change which one that is.
static void refresh_config(RdNode *n)
{
    for (size_t i = n->log.size(); i-- > 0;) {
        if (n->log[i].type == RD_ENTRY_CONFIG) {
            n->cfg = n->log[i].config;
            n->cfg_index = n->log[i].index;
            return;
        }
    }
    n->cfg = n->snap_index > 0 ? n->snap_config : n->initial;
    n->cfg_index = n->snap_index;
}

static void schedule_election_timeout(RdNode *n, RdOutputs *out)
{
    uint64_t span = n->opts.election_timeout_max - n->opts.election_timeout_min + 1;
    RdOutput o{};
    o.kind = RD_SCHEDULE_ELECTION_TIMEOUT;
    o.delay_ms = n->opts.election_timeout_min + splitmix64(&n->rng) % span;
    out->push_back(o);
}

static void schedule_heartbeat(RdNode *n, RdOutputs *out)
{
    RdOutput o{};
    o.kind = RD_SCHEDULE_HEARTBEAT;
    o.delay_ms = n->opts.heartbeat_interval;
    out->push_back(o);
}

static void emit_restore(RdNode *n, RdOutputs *out)
{
    RdOutput o{};
    o.kind = RD_RESTORE_SNAPSHOT;
    o.install_snapshot.last_included_index = n->snap_index;
    o.install_snapshot.last_included_term = n->snap_term;
    o.install_snapshot.config = n->snap_config;
    o.install_snapshot.data = n->snap_data;
    out->push_back(std::move(o));
}

// Hands every newly committed entry to the state machine, once, in order.
static void apply_committed(RdNode *n, RdOutputs *out)
{
    if (n->applied >= n->commit) return;
    RdOutput o{};
    o.kind = RD_APPLY;
    for (uint64_t i = n->applied + 1; i <= n->commit; i++) o.entries.push_back(entry_at(n, i));
    n->applied = n->commit;
    out->push_back(std::move(o));
}

// A higher term in any message ends ours: adopt it, forget the vote, follow.
static void adopt_term(RdNode *n, uint64_t term, RdOutputs *out)
{
    bool was_follower = n->state == RD_FOLLOWER;
    n->term = term;
    n->voted_for = 0;
    n->state = RD_FOLLOWER;
    n->leader = 0;
    n->heard_leader = false;
    if (!was_follower) schedule_election_timeout(n, out); // a leader had no election timer running
}

static uint64_t &next_of(RdNode *n, uint64_t peer)
{
    uint64_t &next = n->next_idx[peer];
    if (next == 0) next = last_index(n) + 1; // a peer that joined the configuration just now
    return next;
}

static void send_to(RdNode *n, uint64_t peer, RdOutputs *out)
{
    uint64_t next = next_of(n, peer);
    RdOutput o{};
    o.target = peer;
    if (next <= n->snap_index) {
        // The entries this follower needs are gone from our log: send the snapshot instead.
        o.kind = RD_SEND_INSTALL_SNAPSHOT;
        RdInstallSnapshot &is = o.install_snapshot;
        is.term = n->term;
        is.leader_id = n->opts.node_id;
        is.last_included_index = n->snap_index;
        is.last_included_term = n->snap_term;
        is.config = n->snap_config;
        is.data = n->snap_data;
        out->push_back(std::move(o));
        return;
    }
    o.kind = RD_SEND_APPEND_ENTRIES;
    RdAppendEntries &ae = o.append_entries;
    ae.term = n->term;
    ae.leader_id = n->opts.node_id;
    ae.prev_log_index = next - 1;
    ae.prev_log_term = term_at(n, next - 1);
    uint64_t end = std::min<uint64_t>(last_index(n), next - 1 + MAX_BATCH);
    for (uint64_t i = next; i <= end; i++) ae.entries.push_back(entry_at(n, i));
    ae.leader_commit = n->commit;
    out->push_back(std::move(o));
}

static void broadcast(RdNode *n, RdOutputs *out)
{
    for (uint64_t p : peers(n)) send_to(n, p, out);
    schedule_heartbeat(n, out);
}

static void append_entry(RdNode *n, RdEntry e)
{
    e.term = n->term;
    e.index = last_index(n) + 1;
    n->log.push_back(std::move(e));
    if (n->log.back().type != RD_ENTRY_CONFIG) return;
    std::vector<uint64_t> before = peers(n);
    refresh_config(n);
    // A voter that joins with this entry starts from it: it needs at least the entry that makes it a member.
    for (uint64_t p : peers(n)) {
        if (has(before, p)) continue;
        n->next_idx[p] = last_index(n);
        n->match_idx[p] = 0;
    }
}

// Once C_old,new is committed the leader moves on to C_new; once C_new is committed a leader that is
// not part of it steps down (it kept managing the cluster without counting itself until then).
static void after_commit(RdNode *n, RdOutputs *out)
{
    if (n->state != RD_LEADER || n->cfg_index > n->commit) return;
    if (n->cfg.joint) {
        RdEntry e{};
        e.type = RD_ENTRY_CONFIG;
        e.config.members = n->cfg.next;
        append_entry(n, e);
    } else if (!is_voter(n->cfg, n->opts.node_id)) {
        n->state = RD_FOLLOWER;
        n->leader = 0;
        schedule_election_timeout(n, out);
    }
}

// Commit the highest index a quorum holds, but only an entry of the current term: an older entry on
// a majority can still be overwritten (figure 8); it commits along with the first of our own term.
static void advance_commit(RdNode *n, RdOutputs *out)
{
    for (uint64_t i = last_index(n); i > n->commit; i--) {
        if (term_at(n, i) != n->term) break; // terms only decrease going down the log
        std::set<uint64_t> holders{n->opts.node_id};
        for (const auto &m : n->match_idx)
            if (m.second >= i) holders.insert(m.first);
        if (quorum(n->cfg, holders)) {
            n->commit = i;
            break;
        }
    }
    apply_committed(n, out);
    after_commit(n, out);
}

static void become_leader(RdNode *n, RdOutputs *out)
{
    n->state = RD_LEADER;
    n->leader = n->opts.node_id;
    n->next_idx.clear();
    n->match_idx.clear();
    for (uint64_t p : peers(n)) {
        n->next_idx[p] = last_index(n) + 1;
        n->match_idx[p] = 0;
    }
    after_commit(n, out); // a committed C_old,new inherited from an earlier leader still needs its C_new
    broadcast(n, out);    // heartbeats at once, so nobody else starts an election
}

// ---- construction ----
static const char *check_ids(const std::vector<uint64_t> &ids, char *msg, size_t len, const char *what)
{
    std::vector<uint64_t> s = ids;
    std::sort(s.begin(), s.end());
    if (s.empty())
        snprintf(msg, len, "%s is empty", what);
    else if (s.front() == 0)
        snprintf(msg, len, "%s contains node id 0 (ids must be > 0)", what);
    else if (std::adjacent_find(s.begin(), s.end()) != s.end())
        snprintf(msg, len, "%s lists node %llu twice", what,
                 (unsigned long long)*std::adjacent_find(s.begin(), s.end()));
    return msg[0] ? msg : nullptr;
}

RdNode *rd_new(const RdOptions *opts, char *err, size_t err_len)
{
    char msg[160] = "";
    if (opts->node_id == 0)
        snprintf(msg, sizeof msg, "node_id must be > 0 (0 means \"no node\")");
    else if (check_ids(opts->members, msg, sizeof msg, "members"))
        ;
    else if (opts->election_timeout_min == 0 || opts->election_timeout_min > opts->election_timeout_max)
        snprintf(msg, sizeof msg, "election timeouts must satisfy 0 < min <= max (got %llu..%llu)",
                 (unsigned long long)opts->election_timeout_min, (unsigned long long)opts->election_timeout_max);
    else if (opts->heartbeat_interval == 0)
        snprintf(msg, sizeof msg, "heartbeat_interval must be > 0");
    if (msg[0]) {
        if (err && err_len) snprintf(err, err_len, "%s", msg);
        return nullptr;
    }
    RdNode *n = new RdNode();
    n->opts = *opts;
    n->initial.members = opts->members;
    std::sort(n->initial.members.begin(), n->initial.members.end());
    n->rng = opts->seed ^ (opts->node_id * 0xd1342543de82ef95ULL);
    refresh_config(n);
    return n;
}

void rd_free(RdNode *node) { delete node; }

void rd_start(RdNode *node, RdOutputs *out) { schedule_election_timeout(node, out); }

void rd_restart(RdNode *n, RdOutputs *out)
{
    n->state = RD_FOLLOWER;
    n->leader = 0;
    n->commit = n->applied = n->snap_index; // a snapshot holds only committed entries
    n->heard_leader = false;
    n->votes.clear();
    n->next_idx.clear();
    n->match_idx.clear();
    if (n->snap_index > 0) emit_restore(n, out);
    schedule_election_timeout(n, out);
}

// ---- queries ----
RdState rd_state(const RdNode *n) { return n->state; }
uint64_t rd_current_term(const RdNode *n) { return n->term; }
uint64_t rd_voted_for(const RdNode *n) { return n->voted_for; }
uint64_t rd_leader_id(const RdNode *n) { return n->leader; }
uint64_t rd_commit_index(const RdNode *n) { return n->commit; }
uint64_t rd_last_applied(const RdNode *n) { return n->applied; }
uint64_t rd_last_index(const RdNode *n) { return last_index(n); }
uint64_t rd_snapshot_index(const RdNode *n) { return n->snap_index; }
uint64_t rd_snapshot_term(const RdNode *n) { return n->snap_term; }
const std::string &rd_snapshot_data(const RdNode *n) { return n->snap_data; }
RdMembers rd_config(const RdNode *n) { return n->cfg; }

const RdEntry *rd_log(const RdNode *n, size_t *len)
{
    *len = n->log.size();
    return n->log.data();
}

// ---- timers ----
void rd_on_election_timeout(RdNode *n, RdOutputs *out)
{
    if (n->state == RD_LEADER) return; // a stale timer
    n->heard_leader = false;
    schedule_election_timeout(n, out);
    // A spare, or a server removed from the configuration, never campaigns: it could not win, and
    // its higher terms would only depose the real leader.
    if (!is_voter(n->cfg, n->opts.node_id)) return;
    n->term++;
    n->state = RD_CANDIDATE;
    n->voted_for = n->opts.node_id;
    n->leader = 0;
    n->votes = {n->opts.node_id};
    if (quorum(n->cfg, n->votes)) { // a configuration of one
        become_leader(n, out);
        return;
    }
    for (uint64_t p : peers(n)) {
        RdOutput o{};
        o.kind = RD_SEND_REQUEST_VOTE;
        o.target = p;
        o.request_vote = {n->term, n->opts.node_id, last_index(n), last_term(n)};
        out->push_back(o);
    }
}

void rd_on_heartbeat_timeout(RdNode *n, RdOutputs *out)
{
    if (n->state != RD_LEADER) return;
    advance_commit(n, out); // a configuration of one commits its proposals here
    if (n->state == RD_LEADER) broadcast(n, out);
}

// ---- RequestVote ----
RdRequestVoteReply rd_handle_request_vote(RdNode *n, const RdRequestVote *req, RdOutputs *out)
{
    // While a leader is known to be alive, a RequestVote is disregarded, its term included: a server
    // removed from the configuration would otherwise depose leaders forever (section 6).
    if (n->state == RD_LEADER || n->heard_leader) return {n->term, false};
    if (req->term < n->term) return {n->term, false};
    if (req->term > n->term) adopt_term(n, req->term, out);
    // Election restriction (5.4.1): a candidate must hold every committed entry, so its log must be
    // at least as up to date as ours: a higher last term, or the same and at least as long.
    bool up_to_date = req->last_log_term > last_term(n) ||
                      (req->last_log_term == last_term(n) && req->last_log_index >= last_index(n));
    bool grant = (n->voted_for == 0 || n->voted_for == req->candidate_id) && up_to_date;
    if (grant) {
        n->voted_for = req->candidate_id;
        schedule_election_timeout(n, out); // give the candidate time to win
    }
    return {n->term, grant};
}

void rd_handle_request_vote_reply(RdNode *n, uint64_t from, const RdRequestVoteReply *reply, RdOutputs *out)
{
    if (reply->term > n->term) {
        adopt_term(n, reply->term, out);
        return;
    }
    if (n->state != RD_CANDIDATE || reply->term != n->term || !reply->vote_granted) return;
    n->votes.insert(from); // a set: a duplicated reply is one vote; quorum() ignores non-voters
    if (quorum(n->cfg, n->votes)) become_leader(n, out);
}

// ---- AppendEntries ----
// Leader contact: whoever sends a valid AppendEntries or InstallSnapshot leads our term.
static void follow(RdNode *n, uint64_t leader, RdOutputs *out)
{
    n->state = RD_FOLLOWER;
    n->leader = leader;
    n->heard_leader = true;
    schedule_election_timeout(n, out);
}

RdAppendEntriesReply rd_handle_append_entries(RdNode *n, const RdAppendEntries *req, RdOutputs *out)
{
    RdAppendEntriesReply resp{n->term, false, 0, 0};
    if (req->term < n->term) return resp; // a deposed leader: our term tells it so
    if (req->term > n->term) adopt_term(n, req->term, out);
    follow(n, req->leader_id, out);
    resp.term = n->term;

    uint64_t prev = req->prev_log_index;
    size_t first = 0; // first request entry to look at
    if (prev < n->snap_index) {
        // Entries up to our snapshot are committed and already applied: skip them.
        uint64_t skip = n->snap_index - prev;
        if (skip >= req->entries.size()) {
            resp.success = true;
            resp.match_index = prev + req->entries.size();
            return resp;
        }
        first = skip;
        prev = n->snap_index;
    } else if (prev > last_index(n)) {
        resp.conflict_index = last_index(n) + 1;
        return resp;
    } else if (term_at(n, prev) != req->prev_log_term) {
        // Hint: the first index of the conflicting term, so the leader skips the whole term.
        uint64_t t = term_at(n, prev), i = prev;
        while (i > n->snap_index + 1 && term_at(n, i - 1) == t) i--;
        resp.conflict_index = i;
        return resp;
    }
    // Truncate only at a real conflict: a late or duplicated request never cuts entries we hold.
    uint64_t index = prev;
    bool changed = false;
    for (size_t k = first; k < req->entries.size(); k++) {
        const RdEntry &e = req->entries[k];
        index++;
        if (index <= last_index(n)) {
            if (term_at(n, index) == e.term) continue;
            n->log.resize(index - 1 - n->snap_index);
        }
        n->log.push_back(e);
        n->log.back().index = index;
        changed = true;
    }
    if (changed) refresh_config(n);
    // Only what this request proved to match the leader may be committed.
    if (req->leader_commit > n->commit) n->commit = std::max(n->commit, std::min(req->leader_commit, index));
    apply_committed(n, out);
    resp.success = true;
    resp.match_index = index;
    return resp;
}

static void progress(RdNode *n, uint64_t from, uint64_t match_index, RdOutputs *out)
{
    if (match_index > last_index(n)) return; // cannot hold what we never had
    uint64_t &match = n->match_idx[from], &next = next_of(n, from);
    match = std::max(match, match_index); // replies come late and twice: match only grows
    next = std::max(next, match + 1);
    advance_commit(n, out);
    if (n->state == RD_LEADER && is_peer(n, from) && n->next_idx[from] <= last_index(n)) send_to(n, from, out);
}

void rd_handle_append_entries_reply(RdNode *n, uint64_t from, const RdAppendEntriesReply *reply, RdOutputs *out)
{
    if (reply->term > n->term) {
        adopt_term(n, reply->term, out);
        return;
    }
    if (n->state != RD_LEADER || reply->term != n->term || !is_peer(n, from)) return;
    if (reply->success) {
        progress(n, from, reply->match_index, out);
        return;
    }
    uint64_t &next = next_of(n, from), match = n->match_idx[from];
    uint64_t retry = next - 1;
    if (reply->conflict_index != 0) retry = std::min(retry, reply->conflict_index);
    next = std::clamp<uint64_t>(retry, match + 1, last_index(n) + 1); // never below what matches
    send_to(n, from, out);
}

// ---- InstallSnapshot ----
RdInstallSnapshotReply rd_handle_install_snapshot(RdNode *n, const RdInstallSnapshot *req, RdOutputs *out)
{
    if (req->term < n->term) return {n->term, 0};
    if (req->term > n->term) adopt_term(n, req->term, out);
    follow(n, req->leader_id, out);
    uint64_t lii = req->last_included_index;
    if (lii <= n->commit) return {n->term, lii}; // we hold (and applied) at least that much already
    // Keep the entries after the snapshot if our log agrees with its last entry; else the whole log
    // is superseded.
    if (lii <= last_index(n) && term_at(n, lii) == req->last_included_term)
        n->log.erase(n->log.begin(), n->log.begin() + (lii - n->snap_index));
    else
        n->log.clear();
    n->snap_index = lii;
    n->snap_term = req->last_included_term;
    n->snap_config = req->config;
    n->snap_data = req->data;
    n->commit = n->applied = lii;
    refresh_config(n);
    emit_restore(n, out);
    return {n->term, lii};
}

void rd_handle_install_snapshot_reply(RdNode *n, uint64_t from, const RdInstallSnapshotReply *reply,
                                      RdOutputs *out)
{
    if (reply->term > n->term) {
        adopt_term(n, reply->term, out);
        return;
    }
    if (n->state != RD_LEADER || reply->term != n->term || !is_peer(n, from) || reply->match_index == 0) return;
    progress(n, from, reply->match_index, out);
}

// ---- client requests ----
uint64_t rd_propose(RdNode *n, const std::string &command)
{
    if (n->state != RD_LEADER) return 0;
    RdEntry e{};
    e.type = RD_ENTRY_COMMAND;
    e.command = command;
    append_entry(n, e);
    return last_index(n);
}

int rd_change_membership(RdNode *n, const std::vector<uint64_t> &members, uint64_t *index)
{
    if (n->state != RD_LEADER) return RD_ENOTLEADER;
    char msg[160] = "";
    if (check_ids(members, msg, sizeof msg, "members")) return RD_EINVAL;
    // One change at a time: C_old,new and C_new must both be committed before the next begins.
    if (n->cfg_index > n->commit || n->cfg.joint) return RD_EBUSY;
    std::vector<uint64_t> target = members;
    std::sort(target.begin(), target.end());
    if (target == n->cfg.members) return RD_EINVAL;
    RdEntry e{};
    e.type = RD_ENTRY_CONFIG;
    e.config.members = n->cfg.members;
    e.config.next = target;
    e.config.joint = true;
    append_entry(n, e);
    if (index) *index = last_index(n);
    return RD_OK;
}

// ---- log compaction ----
size_t rd_compact(RdNode *n, size_t threshold, const std::string &state)
{
    uint64_t count = n->applied - n->snap_index;
    if (count == 0 || count < threshold) return 0;
    // The snapshot records the configuration in force at its last index.
    RdMembers config = n->snap_index > 0 ? n->snap_config : n->initial;
    for (uint64_t i = n->applied; i > n->snap_index; i--) {
        if (entry_at(n, i).type == RD_ENTRY_CONFIG) {
            config = entry_at(n, i).config;
            break;
        }
    }
    n->snap_term = term_at(n, n->applied);
    n->log.erase(n->log.begin(), n->log.begin() + count);
    n->snap_index = n->applied;
    n->snap_config = config;
    n->snap_data = state;
    return count;
}
