// raft_cluster.cpp — drives RaftCore nodes through nl_sim and checks Raft's properties after every
// event. Messages travel as an 8-byte index into an arena of decoded messages (values never change
// once sent, so a duplicate can share its original).
#include "raft_cluster.h"

#include "nl_sim.h"
#include "raft_core.h"

#include <cinttypes>
#include <cstdarg>
#include <cstring>
#include <map>
#include <vector>

namespace {
enum Timer { T_ELECTION = 1, T_HEARTBEAT = 2 };
enum MsgKind { M_RV, M_RV_RESP, M_AE, M_AE_RESP };

struct Msg {
    MsgKind kind;
    RaftRequestVote rv;
    RaftRequestVoteResponse rv_resp;
    RaftAppendEntries ae;
    RaftAppendEntriesResponse ae_resp;
};

struct EntryInfo { // what the first log seen holding (index, term) had there
    std::string command;
    uint64_t prev_term;
};

struct NodeView { // what the checker remembers about one node
    RaftState state = RAFT_FOLLOWER;
    uint64_t term = 0, commit = 0;
    std::vector<RaftLogEntry> checked_log; // the log as of the last check
    uint64_t holds = 0;                    // length of the committed prefix its log is known to hold
    uint64_t applied = 0;                  // entries applied since its last (re)start
};

struct Cluster {
    uint64_t seed;
    RaftClusterParams p;
    RaftClusterOptions o;
    RaftClusterReport *rep;
    nl_sim *sim = nullptr;
    nl_rng faults; // the fault schedule's own stream: it does not depend on what the nodes do
    std::vector<RaftCore *> nodes;
    std::vector<NodeView> view;
    std::vector<Msg> arena;
    std::vector<std::map<uint64_t, EntryInfo>> by_index; // [index-1]: term -> entry info
    std::vector<RaftLogEntry> committed;                  // [index-1]: first applied anywhere
    std::map<uint64_t, int> leader_of_term;
    uint64_t proposals = 0;
    bool healed = false, final_done = false;
    std::map<uint64_t, uint64_t> final_index; // term -> index of the "final" proposal of that leader
};

void note(Cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void note(Cluster *c, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    nl_sim_note(c->sim, "%s", buf);
    if (c->o.timeline && !c->o.verbose)
        fprintf(c->o.timeline, "[%7" PRIu64 " ms] %s\n", nl_sim_now(c->sim), buf);
}

void violation(Cluster *c, RaftProperty prop, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void violation(Cluster *c, RaftProperty prop, const char *fmt, ...)
{
    if (c->rep->violated[prop]) return; // the first one tells the story
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->rep->violated[prop] = true;
    char head[700];
    snprintf(head, sizeof head, "at %" PRIu64 " ms: %s", nl_sim_now(c->sim), buf);
    c->rep->first_violation[prop] = head;
    nl_sim_note(c->sim, "VIOLATION of %s: %s", raft_property_name(prop), buf);
    char *text = nullptr;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        nl_sim_trace_print(c->sim, mem, 0);
        fclose(mem);
        c->rep->trace[prop].assign(text, len);
        free(text);
    }
    if (c->o.timeline) fprintf(c->o.timeline, "[%7" PRIu64 " ms] VIOLATION of %s: %s\n",
                               nl_sim_now(c->sim), raft_property_name(prop), buf);
}

int node_of(uint64_t id) { return (int)id - 1; } // Raft ids are 1..n, simulator nodes 0..n-1

void send_msg(Cluster *c, int from, uint64_t target, Msg m)
{
    if (target == 0 || target > c->nodes.size()) return;
    uint64_t idx = c->arena.size();
    c->arena.push_back(std::move(m));
    nl_sim_send(c->sim, from, node_of(target), &idx, sizeof idx);
}

void apply(Cluster *c, int node, const std::vector<RaftLogEntry> &entries)
{
    NodeView &v = c->view[node];
    for (const RaftLogEntry &e : entries) {
        if (e.index != v.applied + 1)
            violation(c, RAFT_PROP_STATE_MACHINE_SAFETY, "node %d applied index %" PRIu64 " after %" PRIu64
                      " (entries must be applied once, in order)", node + 1, e.index, v.applied);
        v.applied = e.index;
        if (e.index == 0) continue;
        if (e.index <= c->committed.size()) {
            const RaftLogEntry &k = c->committed[e.index - 1];
            if (k.term != e.term || k.command != e.command)
                violation(c, RAFT_PROP_STATE_MACHINE_SAFETY, "node %d applied '%s' (term %" PRIu64 ") at index %"
                          PRIu64 " where '%s' (term %" PRIu64 ") was applied before", node + 1, e.command.c_str(),
                          e.term, e.index, k.command.c_str(), k.term);
            continue;
        }
        if (e.index > c->committed.size() + 1) {
            violation(c, RAFT_PROP_STATE_MACHINE_SAFETY, "node %d applied index %" PRIu64
                      " before anyone applied index %zu", node + 1, e.index, c->committed.size() + 1);
            continue;
        }
        c->committed.push_back(e);
        c->rep->commits++;
        // Committed means stored on a majority of the nodes.
        size_t holders = 0;
        for (RaftCore *r : c->nodes) {
            size_t len;
            const RaftLogEntry *log = raft_log(r, &len);
            if (len >= e.index && log[e.index - 1].term == e.term && log[e.index - 1].command == e.command) holders++;
        }
        if (holders < c->nodes.size() / 2 + 1)
            violation(c, RAFT_PROP_COMMITTED_DURABLE, "index %" PRIu64 " ('%s', term %" PRIu64 ") applied by node %d"
                      " while only %zu of %zu logs hold it", e.index, e.command.c_str(), e.term, node + 1,
                      holders, c->nodes.size());
    }
}

void execute(Cluster *c, int node, RaftOutputs &out)
{
    for (RaftOutput &o : out) {
        switch (o.kind) {
        case RAFT_SEND_REQUEST_VOTE: {
            Msg m{M_RV, o.request_vote, {}, {}, {}};
            send_msg(c, node, o.target, std::move(m));
            break;
        }
        case RAFT_SEND_APPEND_ENTRIES: {
            Msg m{M_AE, {}, {}, std::move(o.append_entries), {}};
            send_msg(c, node, o.target, std::move(m));
            break;
        }
        case RAFT_APPLY_COMMANDS: apply(c, node, o.entries); break;
        case RAFT_SCHEDULE_ELECTION_TIMEOUT: nl_sim_set_timer(c->sim, node, T_ELECTION, o.delay_ms); break;
        case RAFT_SCHEDULE_HEARTBEAT: nl_sim_set_timer(c->sim, node, T_HEARTBEAT, o.delay_ms); break;
        }
    }
    out.clear();
}

bool same_entry(const RaftLogEntry &a, const RaftLogEntry &b)
{
    return a.term == b.term && a.index == b.index && a.command == b.command;
}

// Every property that can be checked from one node's state, after an event on that node.
void check_node(Cluster *c, int node)
{
    RaftCore *r = c->nodes[node];
    NodeView &v = c->view[node];
    size_t len;
    const RaftLogEntry *log = raft_log(r, &len);

    // Log matching, incrementally: only entries that changed since the last check are compared
    // with the first log seen holding the same (index, term); by induction on the index, equal
    // entries with equal predecessors' terms mean equal prefixes.
    size_t same = 0;
    while (same < len && same < v.checked_log.size() && same_entry(log[same], v.checked_log[same])) same++;
    for (size_t k = same; k < len; k++) {
        const RaftLogEntry &e = log[k];
        if (e.index != k + 1) {
            violation(c, RAFT_PROP_LOG_MATCHING, "node %d holds an entry with index %" PRIu64 " at position %zu",
                      node + 1, e.index, k + 1);
            break;
        }
        if (c->by_index.size() <= k) c->by_index.resize(k + 1);
        uint64_t prev_term = k ? log[k - 1].term : 0;
        auto [it, fresh] = c->by_index[k].emplace(e.term, EntryInfo{e.command, prev_term});
        if (!fresh && (it->second.command != e.command || it->second.prev_term != prev_term))
            violation(c, RAFT_PROP_LOG_MATCHING, "node %d: index %zu term %" PRIu64 " holds '%s' after term %" PRIu64
                      ", another log had '%s' after term %" PRIu64, node + 1, k + 1, e.term, e.command.c_str(),
                      prev_term, it->second.command.c_str(), it->second.prev_term);
    }
    v.checked_log.resize(same);
    v.checked_log.insert(v.checked_log.end(), log + same, log + len);

    // A committed entry, once in a log, stays there.
    if (v.holds > 0) {
        const RaftLogEntry &k = c->committed[v.holds - 1];
        if (len < v.holds || !same_entry(log[v.holds - 1], k))
            violation(c, RAFT_PROP_COMMITTED_DURABLE, "node %d lost committed index %" PRIu64 " ('%s', term %" PRIu64
                      ")", node + 1, k.index, k.command.c_str(), k.term);
    }
    while (v.holds < c->committed.size() && v.holds < len && same_entry(log[v.holds], c->committed[v.holds]))
        v.holds++;

    // Elections.
    RaftState st = raft_state(r);
    uint64_t term = raft_current_term(r);
    if (term > c->rep->max_term) c->rep->max_term = term;
    if (st == RAFT_CANDIDATE && (v.state != RAFT_CANDIDATE || v.term != term)) {
        c->rep->elections++;
        note(c, "node %d times out: candidate for term %" PRIu64, node + 1, term);
    }
    if (st == RAFT_LEADER && (v.state != RAFT_LEADER || v.term != term)) {
        c->rep->leaders++;
        note(c, "node %d is LEADER of term %" PRIu64 " (log length %zu)", node + 1, term, len);
        auto [it, fresh] = c->leader_of_term.emplace(term, node);
        if (!fresh && it->second != node)
            violation(c, RAFT_PROP_ELECTION_SAFETY, "nodes %d and %d are both leader of term %" PRIu64,
                      it->second + 1, node + 1, term);
        for (const RaftLogEntry &k : c->committed)
            if (len < k.index || !same_entry(log[k.index - 1], k)) {
                violation(c, RAFT_PROP_LEADER_COMPLETENESS, "node %d leads term %" PRIu64 " without committed index %"
                          PRIu64 " ('%s', term %" PRIu64 ")", node + 1, term, k.index, k.command.c_str(), k.term);
                break;
            }
    } else if (v.state == RAFT_LEADER && st != RAFT_LEADER) {
        note(c, "node %d steps down (term %" PRIu64 ")", node + 1, term);
    }
    uint64_t commit = raft_commit_index(r);
    if (st == RAFT_LEADER && commit > v.commit && commit <= len)
        note(c, "node %d (leader, term %" PRIu64 ") commits up to index %" PRIu64 ": '%s'", node + 1, term, commit,
             log[commit - 1].command.c_str());
    v.state = st;
    v.term = term;
    v.commit = commit;
}

// ---- simulator callbacks ----
void on_message(void *ctx, nl_sim *, int node, int from, const void *data, size_t len)
{
    Cluster *c = (Cluster *)ctx;
    uint64_t idx;
    if (len != sizeof idx) return;
    memcpy(&idx, data, sizeof idx);
    const Msg &m = c->arena[idx];
    RaftCore *r = c->nodes[node];
    RaftOutputs out;
    uint64_t from_id = (uint64_t)from + 1;
    switch (m.kind) {
    case M_RV: {
        RaftRequestVoteResponse resp = raft_handle_request_vote(r, &m.rv, &out);
        send_msg(c, node, from_id, Msg{M_RV_RESP, {}, resp, {}, {}});
        break;
    }
    case M_AE: {
        RaftAppendEntriesResponse resp = raft_handle_append_entries(r, &m.ae, &out);
        send_msg(c, node, from_id, Msg{M_AE_RESP, {}, {}, {}, resp});
        break;
    }
    case M_RV_RESP: raft_handle_request_vote_response(r, from_id, &m.rv_resp, &out); break;
    case M_AE_RESP: raft_handle_append_entries_response(r, from_id, &m.ae_resp, &out); break;
    }
    execute(c, node, out);
    check_node(c, node);
}

void on_timer(void *ctx, nl_sim *, int node, int timer)
{
    Cluster *c = (Cluster *)ctx;
    RaftOutputs out;
    if (timer == T_ELECTION) raft_on_election_timeout(c->nodes[node], &out);
    else raft_on_heartbeat_timeout(c->nodes[node], &out);
    execute(c, node, out);
    check_node(c, node);
}

void on_restart(void *ctx, nl_sim *, int node)
{
    Cluster *c = (Cluster *)ctx;
    RaftOutputs out;
    raft_restart(c->nodes[node], &out);
    c->view[node].applied = 0; // the state machine starts over and replays the committed log
    execute(c, node, out);
    check_node(c, node);
}

void describe(void *ctx, const void *data, size_t len, char *buf, size_t n)
{
    Cluster *c = (Cluster *)ctx;
    uint64_t idx;
    if (len != sizeof idx) {
        snprintf(buf, n, "?");
        return;
    }
    memcpy(&idx, data, sizeof idx);
    const Msg &m = c->arena[idx];
    switch (m.kind) {
    case M_RV:
        snprintf(buf, n, "RequestVote(term %" PRIu64 ", candidate %" PRIu64 ", last log %" PRIu64 "/t%" PRIu64 ")",
                 m.rv.term, m.rv.candidate_id, m.rv.last_log_index, m.rv.last_log_term);
        break;
    case M_RV_RESP:
        snprintf(buf, n, "Vote(term %" PRIu64 ", %s)", m.rv_resp.term, m.rv_resp.vote_granted ? "granted" : "refused");
        break;
    case M_AE:
        snprintf(buf, n, "AppendEntries(term %" PRIu64 ", prev %" PRIu64 "/t%" PRIu64 ", %zu entries, commit %" PRIu64 ")",
                 m.ae.term, m.ae.prev_log_index, m.ae.prev_log_term, m.ae.entries.size(), m.ae.leader_commit);
        break;
    case M_AE_RESP:
        snprintf(buf, n, "AppendEntriesReply(term %" PRIu64 ", %s, match %" PRIu64 ", conflict %" PRIu64 "/t%" PRIu64 ")",
                 m.ae_resp.term, m.ae_resp.success ? "ok" : "rejected", m.ae_resp.match_index,
                 m.ae_resp.conflict_index, m.ae_resp.conflict_term);
        break;
    }
}

// ---- the schedule ----
void propose_tick(void *arg, nl_sim *sim);
void chaos_tick(void *arg, nl_sim *sim);

void propose_tick(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    if (c->healed) return;
    for (size_t i = 0; i < c->nodes.size(); i++) {
        if (!nl_sim_is_up(sim, (int)i) || raft_state(c->nodes[i]) != RAFT_LEADER) continue;
        char cmd[48];
        snprintf(cmd, sizeof cmd, "c%" PRIu64, ++c->proposals);
        uint64_t idx = raft_propose(c->nodes[i], cmd);
        if (idx) note(c, "client -> node %zu: propose '%s' at index %" PRIu64, i + 1, cmd, idx);
        check_node(c, (int)i);
    }
    nl_sim_at(sim, c->p.propose_every_ms, propose_tick, c);
}

void chaos_tick(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    if (c->healed) return;
    int n = (int)c->nodes.size();
    uint64_t roll = nl_rng_below(&c->faults, 100);
    if (c->p.partitions && roll < 35) {
        // Cut off a random minority or a random half: both sides get to elect, only one can commit.
        std::vector<int> all(n), side;
        for (int i = 0; i < n; i++) all[i] = i;
        size_t k = 1 + nl_rng_below(&c->faults, (uint64_t)(n / 2 > 0 ? n / 2 : 1));
        for (size_t i = 0; i < k && !all.empty(); i++) {
            size_t j = nl_rng_below(&c->faults, all.size());
            side.push_back(all[j]);
            all.erase(all.begin() + (long)j);
        }
        std::string names;
        for (int s : side) names += (names.empty() ? "" : ",") + std::to_string(s + 1);
        note(c, "fault: partition {%s} from the rest", names.c_str());
        nl_sim_heal(sim);
        nl_sim_partition(sim, side.data(), side.size());
    } else if (roll < 55) {
        note(c, "fault: network healed");
        nl_sim_heal(sim);
    } else if (c->p.crashes && roll < 75) {
        int victim = (int)nl_rng_below(&c->faults, (uint64_t)n);
        if (nl_sim_is_up(sim, victim)) {
            note(c, "fault: node %d crashes", victim + 1);
            nl_sim_crash(sim, victim);
        }
    } else if (c->p.crashes && roll < 95) {
        int who = (int)nl_rng_below(&c->faults, (uint64_t)n);
        if (!nl_sim_is_up(sim, who)) {
            note(c, "fault: node %d restarts (term, vote and log kept)", who + 1);
            nl_sim_restart(sim, who);
        }
    }
    nl_sim_at(sim, nl_rng_range(&c->faults, 150, 600), chaos_tick, c);
}

// After healing: each leader proposes one "final" command for its term; liveness holds once one
// of them is applied on every node.
void liveness_tick(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    for (size_t i = 0; i < c->nodes.size() && !c->final_done; i++) {
        RaftCore *r = c->nodes[i];
        uint64_t term = raft_current_term(r);
        if (raft_state(r) == RAFT_LEADER && !c->final_index.count(term)) {
            char cmd[48];
            snprintf(cmd, sizeof cmd, "final-t%" PRIu64, term);
            uint64_t idx = raft_propose(r, cmd);
            c->final_index[term] = idx;
            note(c, "client -> node %zu: propose '%s' at index %" PRIu64, i + 1, cmd, idx);
            check_node(c, (int)i);
        }
    }
    for (const RaftLogEntry &e : c->committed) {
        if (e.command.rfind("final-", 0) != 0) continue;
        bool everywhere = true;
        for (const NodeView &v : c->view) everywhere = everywhere && v.applied >= e.index;
        if (everywhere) {
            c->final_done = true;
            note(c, "'%s' (index %" PRIu64 ") applied on every node", e.command.c_str(), e.index);
        }
    }
    if (!c->final_done) nl_sim_at(sim, 10, liveness_tick, c);
}

void heal_all(void *arg, nl_sim *sim)
{
    Cluster *c = (Cluster *)arg;
    c->healed = true;
    note(c, "heal: network repaired, every node up, no more loss");
    nl_sim_heal(sim);
    nl_sim_net net{0, 0, c->p.delay_min_ms, c->p.delay_max_ms};
    nl_sim_set_net(sim, &net);
    for (size_t i = 0; i < c->nodes.size(); i++) nl_sim_restart(sim, (int)i);
    nl_sim_at(sim, 0, liveness_tick, c);
}
} // namespace

const char *raft_property_name(RaftProperty p)
{
    static const char *names[RAFT_PROP_COUNT] = {"election safety",        "log matching",
                                                 "leader completeness",    "state machine safety",
                                                 "committed entries durable", "liveness after healing"};
    return p < RAFT_PROP_COUNT ? names[p] : "?";
}

void raft_cluster_params(uint64_t seed, RaftClusterParams *p)
{
    nl_rng g;
    nl_rng_seed(&g, seed ^ 0x5eed5eed5eedULL);
    p->nodes = nl_rng_chance(&g, 0.5) ? 5 : 3;
    p->drop = (double)nl_rng_below(&g, 31) / 100.0;      // 0 .. 30 %
    p->duplicate = (double)nl_rng_below(&g, 21) / 100.0; // 0 .. 20 %
    p->delay_min_ms = nl_rng_range(&g, 1, 10);
    p->delay_max_ms = p->delay_min_ms + nl_rng_range(&g, 0, 60);
    p->partitions = !nl_rng_chance(&g, 0.15);
    p->crashes = nl_rng_chance(&g, 0.6);
    p->fault_ms = 4000;
    p->heal_deadline_ms = 10000;
    p->propose_every_ms = nl_rng_range(&g, 40, 150);
}

int raft_cluster_run(uint64_t seed, const RaftClusterParams *params, const RaftClusterOptions *opts,
                     RaftClusterReport *report)
{
    *report = RaftClusterReport{};
    const RaftClusterParams &p = *params;
    if (p.nodes < 1 || p.nodes > 9 || p.delay_min_ms > p.delay_max_ms || !(p.drop >= 0 && p.drop <= 1) ||
        !(p.duplicate >= 0 && p.duplicate <= 1) || p.propose_every_ms == 0) {
        report->first_violation[0] = "invalid parameters: nodes must be 1..9, drop and duplicate in [0,1], "
                                     "delay min <= max, propose interval > 0";
        return -1;
    }
    Cluster c;
    c.seed = seed;
    c.p = p;
    c.o = *opts;
    c.rep = report;
    nl_rng_seed(&c.faults, seed ^ 0xfa017ULL);
    nl_sim_ops ops{on_message, on_timer, nullptr, on_restart, describe};
    c.sim = nl_sim_new(p.nodes, seed, &ops, &c);
    nl_sim_trace_keep(c.sim, opts->trace_keep ? opts->trace_keep : 40);
    nl_sim_trace_node_base(c.sim, 1); // print Raft ids
    nl_sim_trace_timer_name(c.sim, T_ELECTION, "election");
    nl_sim_trace_timer_name(c.sim, T_HEARTBEAT, "heartbeat");
    if (opts->timeline && opts->verbose) nl_sim_trace_live(c.sim, opts->timeline);
    nl_sim_net net{p.drop, p.duplicate, p.delay_min_ms, p.delay_max_ms};
    nl_sim_set_net(c.sim, &net);

    std::vector<uint64_t> ids;
    for (int i = 1; i <= p.nodes; i++) ids.push_back((uint64_t)i);
    c.view.resize(p.nodes);
    int rc = 0;
    for (int i = 0; i < p.nodes; i++) {
        RaftConfig cfg{(uint64_t)i + 1, ids, 150, 300, 50, seed};
        char err[200] = "";
        RaftCore *r = raft_new(&cfg, err, sizeof err);
        if (!r) {
            report->first_violation[0] = std::string("raft_new refused a valid configuration: ") + err;
            rc = -1;
            break;
        }
        c.nodes.push_back(r);
    }
    if (rc == 0) {
        for (int i = 0; i < p.nodes; i++) {
            RaftOutputs out;
            raft_start(c.nodes[i], &out);
            execute(&c, i, out);
        }
        nl_sim_at(c.sim, p.propose_every_ms, propose_tick, &c);
        if (p.partitions || p.crashes) nl_sim_at(c.sim, nl_rng_range(&c.faults, 150, 600), chaos_tick, &c);
        nl_sim_at(c.sim, p.fault_ms, heal_all, &c);

        uint64_t end = p.fault_ms + p.heal_deadline_ms;
        // A storm of messages (a protocol bug) must not hang the run: cap the events too.
        const uint64_t max_events = 400000;
        uint64_t steps = 0;
        bool stopped_on_violation = false;
        while (!c.final_done && nl_sim_now(c.sim) <= end) {
            if (opts->max_steps && steps >= opts->max_steps) break;
            for (int k = 0; k < RAFT_PROP_COUNT; k++)
                stopped_on_violation |= (opts->stop_on >> k & 1u) && report->violated[k];
            if (stopped_on_violation) break;
            if (steps >= max_events) {
                violation(&c, RAFT_PROP_LIVENESS, "more than %" PRIu64 " events: a message storm", max_events);
                break;
            }
            if (!nl_sim_step(c.sim)) break;
            steps++;
        }
        bool stopped_early = opts->max_steps && steps >= opts->max_steps;
        if (!c.final_done && !stopped_early && !stopped_on_violation && !report->violated[RAFT_PROP_LIVENESS])
            violation(&c, RAFT_PROP_LIVENESS, "%" PRIu64 " ms after healing, no new command is applied on every node",
                      p.heal_deadline_ms);
        report->events = nl_sim_get_stats(c.sim).events;
        report->end_ms = nl_sim_now(c.sim);
        for (int k = 0; k < RAFT_PROP_COUNT; k++) rc += report->violated[k];
    }
    for (RaftCore *r : c.nodes) raft_free(r);
    nl_sim_free(c.sim);
    return rc;
}
