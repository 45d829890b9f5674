// raft_core.cpp — reference solution of EX02 RaftCore: Raft (Ongaro & Ousterhout, figure 2)
// election and log replication as a pure state machine, with the conflict hints of section 5.3.
#include "raft_core.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

// At most this many entries per AppendEntries, so one lagging follower does not get the whole log
// in one message.
static const size_t MAX_BATCH = 32;

struct RaftCore {
    RaftConfig cfg;
    std::vector<uint64_t> peers; // cluster minus self
    uint64_t rng;                // splitmix64 state: deterministic "random" election timeouts

    // Persistent state (survives raft_restart).
    uint64_t term = 0;
    uint64_t voted_for = 0;
    std::vector<RaftLogEntry> log; // log[i].index == i + 1

    // Volatile state.
    RaftState state = RAFT_FOLLOWER;
    uint64_t leader = 0;
    uint64_t commit = 0;
    uint64_t applied = 0;
    std::set<uint64_t> votes;              // candidate: who granted us their vote this term
    std::map<uint64_t, uint64_t> next_idx; // leader: next entry to send to each peer
    std::map<uint64_t, uint64_t> match_idx; // leader: highest entry known replicated on each peer
};

// ---- small helpers ----
static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t last_index(const RaftCore *r) { return r->log.size(); }
static uint64_t term_at(const RaftCore *r, uint64_t index) { return index == 0 ? 0 : r->log[index - 1].term; }
static uint64_t last_term(const RaftCore *r) { return term_at(r, last_index(r)); }
static size_t majority(const RaftCore *r) { return r->cfg.cluster.size() / 2 + 1; }
static bool is_peer(const RaftCore *r, uint64_t id)
{
    return std::find(r->peers.begin(), r->peers.end(), id) != r->peers.end();
}

// Randomized so that candidates rarely time out together (split votes), yet reproducible.
static void schedule_election_timeout(RaftCore *r, RaftOutputs *out)
{
    uint64_t span = r->cfg.election_timeout_max - r->cfg.election_timeout_min + 1;
    RaftOutput o{};
    o.kind = RAFT_SCHEDULE_ELECTION_TIMEOUT;
    o.delay_ms = r->cfg.election_timeout_min + splitmix64(&r->rng) % span;
    out->push_back(o);
}

static void schedule_heartbeat(RaftCore *r, RaftOutputs *out)
{
    RaftOutput o{};
    o.kind = RAFT_SCHEDULE_HEARTBEAT;
    o.delay_ms = r->cfg.heartbeat_interval;
    out->push_back(o);
}

// Hands every newly committed entry to the state machine, once, in order.
static void apply_committed(RaftCore *r, RaftOutputs *out)
{
    if (r->applied >= r->commit) return;
    RaftOutput o{};
    o.kind = RAFT_APPLY_COMMANDS;
    o.entries.assign(r->log.begin() + r->applied, r->log.begin() + r->commit);
    r->applied = r->commit;
    out->push_back(std::move(o));
}

// Seeing a higher term in any message means our term is over: adopt it, forget our vote.
static void adopt_term(RaftCore *r, uint64_t term, RaftOutputs *out)
{
    bool was_follower = r->state == RAFT_FOLLOWER;
    r->term = term;
    r->voted_for = 0;
    r->state = RAFT_FOLLOWER;
    r->leader = 0;
    // A follower keeps its running timer; a former leader had none, a candidate's is for its election.
    if (!was_follower) schedule_election_timeout(r, out);
}

static void send_append_entries(RaftCore *r, uint64_t peer, RaftOutputs *out)
{
    uint64_t next = r->next_idx[peer];
    RaftOutput o{};
    o.kind = RAFT_SEND_APPEND_ENTRIES;
    o.target = peer;
    RaftAppendEntries &ae = o.append_entries;
    ae.term = r->term;
    ae.leader_id = r->cfg.node_id;
    ae.prev_log_index = next - 1;
    ae.prev_log_term = term_at(r, next - 1);
    uint64_t end = std::min<uint64_t>(last_index(r), next - 1 + MAX_BATCH);
    if (next <= end) ae.entries.assign(r->log.begin() + (next - 1), r->log.begin() + end);
    ae.leader_commit = r->commit;
    out->push_back(std::move(o));
}

static void broadcast_append_entries(RaftCore *r, RaftOutputs *out)
{
    for (uint64_t p : r->peers) send_append_entries(r, p, out);
    schedule_heartbeat(r, out);
}

static void become_leader(RaftCore *r, RaftOutputs *out)
{
    r->state = RAFT_LEADER;
    r->leader = r->cfg.node_id;
    r->next_idx.clear();
    r->match_idx.clear();
    for (uint64_t p : r->peers) {
        r->next_idx[p] = last_index(r) + 1;
        r->match_idx[p] = 0;
    }
    broadcast_append_entries(r, out); // heartbeats at once, so nobody else starts an election
}

// Commit the highest index stored on a majority, but only if it is from the current term: an entry
// of an earlier term can be replicated on a majority and still be overwritten (figure 8 of the
// paper); it becomes committed indirectly, with the first entry of our own term.
static void advance_commit(RaftCore *r, RaftOutputs *out)
{
    for (uint64_t n = last_index(r); n > r->commit; n--) {
        if (term_at(r, n) != r->term) break; // terms only decrease going down the log
        size_t count = 1;                     // ourselves
        for (uint64_t p : r->peers)
            if (r->match_idx[p] >= n) count++;
        if (count >= majority(r)) {
            r->commit = n;
            break;
        }
    }
    apply_committed(r, out);
}

// ---- construction ----
RaftCore *raft_new(const RaftConfig *config, char *err, size_t err_len)
{
    char msg[160] = "";
    std::vector<uint64_t> sorted = config->cluster;
    std::sort(sorted.begin(), sorted.end());
    if (config->node_id == 0)
        snprintf(msg, sizeof msg, "node_id must be > 0 (0 means \"no node\")");
    else if (config->cluster.empty())
        snprintf(msg, sizeof msg, "cluster is empty");
    else if (sorted.front() == 0)
        snprintf(msg, sizeof msg, "cluster contains node id 0 (ids must be > 0)");
    else if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end())
        snprintf(msg, sizeof msg, "cluster lists node %llu twice",
                 (unsigned long long)*std::adjacent_find(sorted.begin(), sorted.end()));
    else if (!std::binary_search(sorted.begin(), sorted.end(), config->node_id))
        snprintf(msg, sizeof msg, "node_id %llu is not in the cluster", (unsigned long long)config->node_id);
    else if (config->election_timeout_min == 0 || config->election_timeout_min > config->election_timeout_max)
        snprintf(msg, sizeof msg, "election timeouts must satisfy 0 < min <= max (got %llu..%llu)",
                 (unsigned long long)config->election_timeout_min,
                 (unsigned long long)config->election_timeout_max);
    else if (config->heartbeat_interval == 0)
        snprintf(msg, sizeof msg, "heartbeat_interval must be > 0");
    if (msg[0]) {
        if (err && err_len) snprintf(err, err_len, "%s", msg);
        return nullptr;
    }
    RaftCore *r = new RaftCore();
    r->cfg = *config;
    for (uint64_t id : config->cluster)
        if (id != config->node_id) r->peers.push_back(id);
    r->rng = config->seed ^ (config->node_id * 0xd1342543de82ef95ULL);
    return r;
}

void raft_free(RaftCore *raft) { delete raft; }

void raft_start(RaftCore *raft, RaftOutputs *out) { schedule_election_timeout(raft, out); }

void raft_restart(RaftCore *raft, RaftOutputs *out)
{
    raft->state = RAFT_FOLLOWER;
    raft->leader = 0;
    raft->commit = 0;
    raft->applied = 0;
    raft->votes.clear();
    raft->next_idx.clear();
    raft->match_idx.clear();
    schedule_election_timeout(raft, out);
}

// ---- queries ----
RaftState raft_state(const RaftCore *raft) { return raft->state; }
uint64_t raft_current_term(const RaftCore *raft) { return raft->term; }
uint64_t raft_leader_id(const RaftCore *raft) { return raft->leader; }
uint64_t raft_commit_index(const RaftCore *raft) { return raft->commit; }
bool raft_is_committed(const RaftCore *raft, uint64_t index) { return index >= 1 && index <= raft->commit; }

const RaftLogEntry *raft_log(const RaftCore *raft, size_t *len)
{
    *len = raft->log.size();
    return raft->log.data();
}

// ---- timers ----
void raft_on_election_timeout(RaftCore *r, RaftOutputs *out)
{
    if (r->state == RAFT_LEADER) return; // a leader has no election timer; a stale one is ignored
    r->term++;
    r->state = RAFT_CANDIDATE;
    r->voted_for = r->cfg.node_id;
    r->leader = 0;
    r->votes = {r->cfg.node_id};
    schedule_election_timeout(r, out); // if this election splits, try again later
    if (r->votes.size() >= majority(r)) { // a cluster of one
        become_leader(r, out);
        return;
    }
    for (uint64_t p : r->peers) {
        RaftOutput o{};
        o.kind = RAFT_SEND_REQUEST_VOTE;
        o.target = p;
        o.request_vote = {r->term, r->cfg.node_id, last_index(r), last_term(r)};
        out->push_back(o);
    }
}

void raft_on_heartbeat_timeout(RaftCore *r, RaftOutputs *out)
{
    if (r->state != RAFT_LEADER) return;
    advance_commit(r, out); // a one-node cluster commits its proposals here
    broadcast_append_entries(r, out);
}

// ---- RequestVote ----
RaftRequestVoteResponse raft_handle_request_vote(RaftCore *r, const RaftRequestVote *req, RaftOutputs *out)
{
    if (req->term > r->term) adopt_term(r, req->term, out);
    // Election restriction (5.4.1): only a candidate whose log is at least as up to date as ours
    // can hold every committed entry, so only such a candidate may get our vote.
    bool up_to_date = req->last_log_term > last_term(r) ||
                      (req->last_log_term == last_term(r) && req->last_log_index >= last_index(r));
    bool grant = req->term == r->term && is_peer(r, req->candidate_id) &&
                 (r->voted_for == 0 || r->voted_for == req->candidate_id) && up_to_date;
    if (grant) {
        r->voted_for = req->candidate_id;
        schedule_election_timeout(r, out); // give the candidate time to win
    }
    return {r->term, grant};
}

void raft_handle_request_vote_response(RaftCore *r, uint64_t from, const RaftRequestVoteResponse *resp,
                                       RaftOutputs *out)
{
    if (resp->term > r->term) {
        adopt_term(r, resp->term, out);
        return;
    }
    // A vote from an earlier election, or arriving after we won or lost, counts for nothing.
    if (r->state != RAFT_CANDIDATE || resp->term != r->term || !resp->vote_granted || !is_peer(r, from)) return;
    r->votes.insert(from); // a set: a duplicated response is still one vote
    if (r->votes.size() >= majority(r)) become_leader(r, out);
}

// ---- AppendEntries ----
RaftAppendEntriesResponse raft_handle_append_entries(RaftCore *r, const RaftAppendEntries *req, RaftOutputs *out)
{
    RaftAppendEntriesResponse resp{r->term, false, 0, 0, 0};
    if (req->term < r->term) return resp; // a deposed leader: our term tells it so
    if (req->term > r->term) adopt_term(r, req->term, out);
    if (r->state != RAFT_FOLLOWER) { // a candidate (or stale leader) of this term meets its winner
        r->state = RAFT_FOLLOWER;
    }
    r->leader = req->leader_id;
    schedule_election_timeout(r, out); // the leader is alive
    resp.term = r->term;

    // Log matching: accept only if we hold the entry just before the new ones.
    if (req->prev_log_index > last_index(r)) {
        resp.conflict_index = last_index(r) + 1;
        return resp;
    }
    if (term_at(r, req->prev_log_index) != req->prev_log_term) {
        uint64_t t = term_at(r, req->prev_log_index), first = req->prev_log_index;
        while (first > 1 && term_at(r, first - 1) == t) first--;
        resp.conflict_term = t;
        resp.conflict_index = first;
        return resp;
    }
    // Append, truncating only at a real conflict: a delayed or duplicated request must never cut
    // entries we already hold (they may be committed).
    uint64_t index = req->prev_log_index;
    for (const RaftLogEntry &e : req->entries) {
        index++;
        if (index <= last_index(r)) {
            if (term_at(r, index) == e.term) continue;
            r->log.resize(index - 1);
        }
        r->log.push_back({e.term, index, e.command});
    }
    // Only what this request proved matches the leader may be committed, not a stale tail of ours.
    if (req->leader_commit > r->commit) r->commit = std::max(r->commit, std::min(req->leader_commit, index));
    apply_committed(r, out);
    resp.success = true;
    resp.match_index = index;
    return resp;
}

void raft_handle_append_entries_response(RaftCore *r, uint64_t from, const RaftAppendEntriesResponse *resp,
                                         RaftOutputs *out)
{
    if (resp->term > r->term) {
        adopt_term(r, resp->term, out);
        return;
    }
    if (r->state != RAFT_LEADER || resp->term != r->term || !is_peer(r, from)) return;
    uint64_t &next = r->next_idx[from], &match = r->match_idx[from];
    if (resp->success) {
        if (resp->match_index > last_index(r)) return; // cannot hold what we never had
        // Responses can arrive late or twice: matchIndex only ever grows.
        if (resp->match_index > match) match = resp->match_index;
        next = std::max(next, match + 1);
        advance_commit(r, out);
        if (next <= last_index(r)) send_append_entries(r, from, out); // keep a lagging follower moving
        return;
    }
    // Rejected: back up, using the follower's hints to skip a whole term at a time.
    uint64_t retry;
    if (resp->conflict_term != 0) {
        uint64_t i = last_index(r);
        while (i > 0 && term_at(r, i) != resp->conflict_term) i--;
        retry = i > 0 ? i + 1 : resp->conflict_index;
    } else if (resp->conflict_index != 0) {
        retry = resp->conflict_index;
    } else {
        retry = next > 1 ? next - 1 : 1;
    }
    // Never below what is known to match, never past our log's end.
    next = std::clamp<uint64_t>(retry, match + 1, last_index(r) + 1);
    send_append_entries(r, from, out);
}

uint64_t raft_propose(RaftCore *r, const std::string &command)
{
    if (r->state != RAFT_LEADER) return 0;
    r->log.push_back({r->term, last_index(r) + 1, command});
    return last_index(r);
}
