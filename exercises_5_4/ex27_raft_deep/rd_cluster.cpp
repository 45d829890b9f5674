// rd_cluster.cpp — drives RdNode servers through nl_sim and checks Raft's properties after every
// event. Messages travel as an 8-byte index into an arena of decoded messages (a message never
// changes once sent, so a duplicate shares its original). Each server's state machine is the
// history of what it applied, so its snapshot data is that history and can be checked too.
#include "rd_cluster.h"

#include "nl_sim.h"
#include "raft_deep.h"

#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <vector>

namespace {
enum Timer { T_ELECTION = 1, T_HEARTBEAT = 2 };
enum MsgKind { M_RV, M_RV_REPLY, M_AE, M_AE_REPLY, M_IS, M_IS_REPLY };

struct Msg {
    MsgKind kind;
    RdRequestVote rv{};
    RdRequestVoteReply rvr{};
    RdAppendEntries ae;
    RdAppendEntriesReply aer{};
    RdInstallSnapshot is;
    RdInstallSnapshotReply isr{};
};

struct Final { // a command proposed once the network healed: liveness wants it applied by every member
    uint64_t index;
    std::string key;
    std::vector<uint64_t> members;
};

struct Cluster;
struct Job { // an action scheduled with nl_sim_at
    Cluster *c;
    int node;
    int kind;
};
enum JobKind { J_PROPOSE, J_FAULT, J_CHANGE, J_RESTART, J_HEAL_PARTITION, J_HEAL_ALL };

struct Cluster {
    uint64_t seed;
    RdClusterParams p;
    RdClusterOptions o;
    RdClusterReport *rep;
    nl_sim *sim = nullptr;
    nl_rng faults, changes; // the fault and membership schedules have their own streams
    std::vector<RdNode *> nodes;
    std::vector<std::vector<std::string>> apps; // [node][index-1]: key of the entry it applied
    std::vector<std::vector<uint64_t>> checked; // [node]: terms of the log as last checked
    std::vector<uint64_t> checked_snap;
    std::vector<RdState> last_state;
    std::vector<uint64_t> last_term;
    std::vector<Msg> arena;
    std::map<std::pair<uint64_t, uint64_t>, std::pair<std::string, uint64_t>> seen; // (index,term) -> key, prev term
    std::vector<std::string> committed; // [index-1]: key of the entry first applied there
    std::map<uint64_t, int> leader_of_term;
    std::deque<Job> jobs;
    uint64_t proposals = 0;
    bool partitioned = false, healed = false, done = false;
    std::map<uint64_t, Final> finals; // term -> its final proposal
};

uint64_t id_of(int node) { return (uint64_t)node + 1; } // Raft ids are 1..n, simulator nodes 0..n-1

std::string list(const std::vector<uint64_t> &v)
{
    std::string s;
    for (uint64_t id : v) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
}

std::string members_text(const RdMembers &m)
{
    return m.joint ? "{" + list(m.members) + "|" + list(m.next) + "}" : "{" + list(m.members) + "}";
}

// What the state machine records for an entry: its term and its content.
std::string key_of(const RdEntry &e)
{
    std::string body = e.type == RD_ENTRY_CONFIG ? "cfg" + members_text(e.config) : e.command;
    return "t" + std::to_string(e.term) + ":" + body;
}

void note(Cluster *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void note(Cluster *c, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    nl_sim_note(c->sim, "%s", buf);
    if (c->o.timeline && !c->o.verbose) fprintf(c->o.timeline, "[%7" PRIu64 " ms] %s\n", nl_sim_now(c->sim), buf);
}

void violation(Cluster *c, RdProperty prop, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void violation(Cluster *c, RdProperty prop, const char *fmt, ...)
{
    if (c->rep->violated[prop]) return; // the first one tells the story
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->rep->violated[prop] = true;
    c->done = true; // the first violation ends the run: what follows would only repeat it
    char head[700];
    snprintf(head, sizeof head, "at %" PRIu64 " ms: %s", nl_sim_now(c->sim), buf);
    c->rep->first_violation[prop] = head;
    nl_sim_note(c->sim, "VIOLATION of %s: %s", rd_property_name(prop), buf);
    char *text = nullptr;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem) {
        nl_sim_trace_print(c->sim, mem, 0);
        fclose(mem);
        c->rep->trace[prop].assign(text, len);
        free(text);
    }
    if (c->o.timeline)
        fprintf(c->o.timeline, "[%7" PRIu64 " ms] VIOLATION of %s: %s\n", nl_sim_now(c->sim),
                rd_property_name(prop), buf);
}

void send_msg(Cluster *c, int from, uint64_t target, Msg m)
{
    if (target == 0 || target > c->nodes.size()) return;
    uint64_t idx = c->arena.size();
    c->arena.push_back(std::move(m));
    nl_sim_send(c->sim, from, (int)target - 1, &idx, sizeof idx);
}

void observe(Cluster *c, int node, RdInputKind kind, uint64_t from, const void *msg, const void *result,
             const RdOutputs *out)
{
    if (c->o.observer && c->o.observer->input)
        c->o.observer->input(c->o.observer->ctx, id_of(node), kind, from, msg, result, out);
}

// ---- the state machines ----
void app_apply(Cluster *c, int node, const RdEntry &e)
{
    std::vector<std::string> &app = c->apps[node];
    if (e.index != app.size() + 1) {
        violation(c, RD_PROP_STATE_MACHINE_SAFETY, "node %" PRIu64 " applied index %" PRIu64 " after %zu "
                  "(entries are applied once, in order)", id_of(node), e.index, app.size());
        return;
    }
    std::string key = key_of(e);
    app.push_back(key);
    if (e.index <= c->committed.size()) {
        if (c->committed[e.index - 1] != key)
            violation(c, RD_PROP_STATE_MACHINE_SAFETY, "node %" PRIu64 " applied '%s' at index %" PRIu64
                      " where '%s' was applied before", id_of(node), key.c_str(), e.index,
                      c->committed[e.index - 1].c_str());
        return;
    }
    c->committed.push_back(key);
    c->rep->commits++;
    if (e.type == RD_ENTRY_CONFIG && !e.config.joint) {
        c->rep->config_changes++;
        note(c, "configuration %s committed at index %" PRIu64, members_text(e.config).c_str(), e.index);
    } else if (c->o.timeline) {
        note(c, "node %" PRIu64 " applies index %" PRIu64 " first: '%s'", id_of(node), e.index, key.c_str());
    }
}

void app_restore(Cluster *c, int node, const RdInstallSnapshot &s)
{
    std::vector<std::string> keys;
    const std::string &d = s.data;
    size_t at = 0;
    while (at < d.size()) {
        size_t nl = d.find('\n', at);
        if (nl == std::string::npos) nl = d.size();
        keys.push_back(d.substr(at, nl - at));
        at = nl + 1;
    }
    if (keys.size() != s.last_included_index) {
        violation(c, RD_PROP_STATE_MACHINE_SAFETY, "node %" PRIu64 " restores a snapshot through index %" PRIu64
                  " whose data holds %zu entries", id_of(node), s.last_included_index, keys.size());
        return;
    }
    for (size_t i = 0; i < keys.size(); i++) {
        if (i >= c->committed.size() || keys[i] != c->committed[i]) {
            violation(c, RD_PROP_STATE_MACHINE_SAFETY, "node %" PRIu64 " restores a snapshot with '%s' at index %zu "
                      "where '%s' was applied", id_of(node), keys[i].c_str(), i + 1,
                      i < c->committed.size() ? c->committed[i].c_str() : "nothing");
            return;
        }
    }
    c->apps[node] = std::move(keys);
}

std::string app_data(const Cluster *c, int node)
{
    std::string d;
    for (const std::string &k : c->apps[node]) {
        if (!d.empty()) d += '\n';
        d += k;
    }
    return d;
}

// ---- running a node ----
void run_outputs(Cluster *c, int node, RdOutputs &out)
{
    for (RdOutput &o : out) {
        Msg m{};
        switch (o.kind) {
        case RD_SEND_REQUEST_VOTE:
            m.kind = M_RV;
            m.rv = o.request_vote;
            send_msg(c, node, o.target, std::move(m));
            break;
        case RD_SEND_APPEND_ENTRIES:
            m.kind = M_AE;
            m.ae = std::move(o.append_entries);
            send_msg(c, node, o.target, std::move(m));
            break;
        case RD_SEND_INSTALL_SNAPSHOT:
            m.kind = M_IS;
            m.is = std::move(o.install_snapshot);
            send_msg(c, node, o.target, std::move(m));
            break;
        case RD_APPLY:
            for (const RdEntry &e : o.entries) app_apply(c, node, e);
            break;
        case RD_RESTORE_SNAPSHOT:
            app_restore(c, node, o.install_snapshot);
            break;
        case RD_SCHEDULE_ELECTION_TIMEOUT:
            nl_sim_set_timer(c->sim, node, T_ELECTION, o.delay_ms);
            break;
        case RD_SCHEDULE_HEARTBEAT:
            nl_sim_set_timer(c->sim, node, T_HEARTBEAT, o.delay_ms);
            break;
        }
    }
}

void check_log(Cluster *c, int node)
{
    RdNode *r = c->nodes[node];
    size_t len;
    const RdEntry *log = rd_log(r, &len);
    uint64_t snap = rd_snapshot_index(r);
    std::vector<uint64_t> &seen_terms = c->checked[node];
    bool same_base = c->checked_snap[node] == snap;
    for (size_t k = 0; k < len; k++) {
        const RdEntry &e = log[k];
        uint64_t prev_term = k == 0 ? rd_snapshot_term(r) : log[k - 1].term;
        if (same_base && k < seen_terms.size() && seen_terms[k] == e.term &&
            (k == 0 || seen_terms[k - 1] == prev_term))
            continue; // unchanged since the last check
        if (e.index != snap + 1 + k) {
            violation(c, RD_PROP_LOG_MATCHING, "node %" PRIu64 " holds index %" PRIu64 " at log position %zu "
                      "after snapshot %" PRIu64, id_of(node), e.index, k, snap);
            return;
        }
        std::string key = key_of(e);
        auto it = c->seen.find({e.index, e.term});
        if (it == c->seen.end()) {
            c->seen[{e.index, e.term}] = {key, prev_term};
            continue;
        }
        if (it->second.first != key || (e.index > 1 && it->second.second != prev_term)) {
            violation(c, RD_PROP_LOG_MATCHING, "node %" PRIu64 " holds '%s' at index %" PRIu64 " after an entry of "
                      "term %" PRIu64 "; another log holds '%s' there after term %" PRIu64,
                      id_of(node), key.c_str(), e.index, prev_term, it->second.first.c_str(), it->second.second);
            return;
        }
    }
    seen_terms.clear();
    for (size_t k = 0; k < len; k++) seen_terms.push_back(log[k].term);
    c->checked_snap[node] = snap;
}

void check_leader_completeness(Cluster *c, int node)
{
    RdNode *r = c->nodes[node];
    size_t len;
    const RdEntry *log = rd_log(r, &len);
    uint64_t snap = rd_snapshot_index(r);
    for (uint64_t i = snap + 1; i <= c->committed.size(); i++) {
        if (i > snap + len) {
            violation(c, RD_PROP_LEADER_COMPLETENESS, "node %" PRIu64 " leads term %" PRIu64 " with log length %"
                      PRIu64 " but index %" PRIu64 " ('%s') was committed", id_of(node), rd_current_term(r),
                      snap + len, i, c->committed[i - 1].c_str());
            return;
        }
        std::string key = key_of(log[i - snap - 1]);
        if (key != c->committed[i - 1]) {
            violation(c, RD_PROP_LEADER_COMPLETENESS, "node %" PRIu64 " leads term %" PRIu64 " holding '%s' at index %"
                      PRIu64 " where '%s' was committed", id_of(node), rd_current_term(r), key.c_str(), i,
                      c->committed[i - 1].c_str());
            return;
        }
    }
}

void check_liveness(Cluster *c)
{
    for (const auto &f : c->finals) {
        bool all = true;
        for (uint64_t m : f.second.members) {
            const std::vector<std::string> &app = c->apps[m - 1];
            if (app.size() < f.second.index || app[f.second.index - 1] != f.second.key) all = false;
        }
        if (all) {
            note(c, "'%s' (index %" PRIu64 ") applied by every member {%s}", f.second.key.c_str(), f.second.index,
                 list(f.second.members).c_str());
            c->done = true;
            return;
        }
    }
}

// After every event of `node`: the properties, then compaction.
void after_event(Cluster *c, int node)
{
    RdNode *r = c->nodes[node];
    RdState st = rd_state(r);
    uint64_t term = rd_current_term(r);
    if (term > c->rep->max_term) c->rep->max_term = term;
    bool changed = st != c->last_state[node] || term != c->last_term[node];
    if (st == RD_CANDIDATE && changed) {
        c->rep->elections++;
        if (c->o.timeline) note(c, "node %" PRIu64 " times out: candidate for term %" PRIu64, id_of(node), term);
    }
    if (st == RD_LEADER) {
        auto it = c->leader_of_term.find(term);
        if (it == c->leader_of_term.end()) {
            c->leader_of_term[term] = node;
        } else if (it->second != node) {
            violation(c, RD_PROP_ELECTION_SAFETY, "nodes %" PRIu64 " and %" PRIu64 " both lead term %" PRIu64,
                      id_of(it->second), id_of(node), term);
        }
        if (changed) {
            c->rep->leaders++;
            note(c, "node %" PRIu64 " is LEADER of term %" PRIu64 " with configuration %s", id_of(node), term,
                 members_text(rd_config(r)).c_str());
            check_leader_completeness(c, node);
        }
    }
    c->last_state[node] = st;
    c->last_term[node] = term;
    check_log(c, node);
    if (c->apps[node].size() != rd_last_applied(r)) {
        violation(c, RD_PROP_STATE_MACHINE_SAFETY, "node %" PRIu64 " says it applied through index %" PRIu64
                  " but handed out %zu entries", id_of(node), rd_last_applied(r), c->apps[node].size());
        return;
    }
    uint64_t before = rd_snapshot_index(r);
    RdCompactArgs args{c->p.snapshot_threshold, app_data(c, node)};
    size_t discarded = rd_compact(r, args.threshold, args.state);
    observe(c, node, RD_IN_COMPACT, 0, &args, &discarded, nullptr);
    if (discarded > 0) {
        c->rep->snapshots++;
        if (c->o.timeline)
            note(c, "node %" PRIu64 " compacts its log: snapshot %" PRIu64 " -> %" PRIu64, id_of(node), before,
                 rd_snapshot_index(r));
        check_log(c, node);
    }
    if (c->healed) check_liveness(c);
}

// ---- simulator callbacks ----
void on_message(void *ctx, nl_sim *, int node, int from, const void *data, size_t len)
{
    Cluster *c = (Cluster *)ctx;
    uint64_t idx;
    if (len != sizeof idx) return;
    memcpy(&idx, data, sizeof idx);
    const Msg &m = c->arena[idx];
    RdNode *r = c->nodes[node];
    RdOutputs out;
    Msg reply{};
    bool has_reply = true;
    switch (m.kind) {
    case M_RV:
        reply.kind = M_RV_REPLY;
        reply.rvr = rd_handle_request_vote(r, &m.rv, &out);
        observe(c, node, RD_IN_REQUEST_VOTE, id_of(from), &m.rv, &reply.rvr, &out);
        break;
    case M_AE:
        reply.kind = M_AE_REPLY;
        reply.aer = rd_handle_append_entries(r, &m.ae, &out);
        observe(c, node, RD_IN_APPEND_ENTRIES, id_of(from), &m.ae, &reply.aer, &out);
        break;
    case M_IS: {
        reply.kind = M_IS_REPLY;
        uint64_t before = rd_snapshot_index(r);
        reply.isr = rd_handle_install_snapshot(r, &m.is, &out);
        observe(c, node, RD_IN_INSTALL_SNAPSHOT, id_of(from), &m.is, &reply.isr, &out);
        if (rd_snapshot_index(r) != before) {
            c->rep->installs++;
            if (c->o.timeline)
                note(c, "node %" PRIu64 " installs the snapshot of node %d through index %" PRIu64, id_of(node),
                     from + 1, rd_snapshot_index(r));
        }
        break;
    }
    case M_RV_REPLY:
        has_reply = false;
        rd_handle_request_vote_reply(r, id_of(from), &m.rvr, &out);
        observe(c, node, RD_IN_REQUEST_VOTE_REPLY, id_of(from), &m.rvr, nullptr, &out);
        break;
    case M_AE_REPLY:
        has_reply = false;
        rd_handle_append_entries_reply(r, id_of(from), &m.aer, &out);
        observe(c, node, RD_IN_APPEND_ENTRIES_REPLY, id_of(from), &m.aer, nullptr, &out);
        break;
    case M_IS_REPLY:
        has_reply = false;
        rd_handle_install_snapshot_reply(r, id_of(from), &m.isr, &out);
        observe(c, node, RD_IN_INSTALL_SNAPSHOT_REPLY, id_of(from), &m.isr, nullptr, &out);
        break;
    }
    run_outputs(c, node, out);
    if (has_reply) send_msg(c, node, id_of(from), std::move(reply));
    after_event(c, node);
}

void on_timer(void *ctx, nl_sim *, int node, int timer_id)
{
    Cluster *c = (Cluster *)ctx;
    RdOutputs out;
    if (timer_id == T_ELECTION) rd_on_election_timeout(c->nodes[node], &out);
    else rd_on_heartbeat_timeout(c->nodes[node], &out);
    observe(c, node, timer_id == T_ELECTION ? RD_IN_ELECTION_TIMEOUT : RD_IN_HEARTBEAT_TIMEOUT, 0, nullptr, nullptr, &out);
    run_outputs(c, node, out);
    after_event(c, node);
}

void on_crash(void *ctx, nl_sim *, int node)
{
    Cluster *c = (Cluster *)ctx;
    c->apps[node].clear(); // the state machine is volatile; the snapshot and the log are not
    c->last_state[node] = RD_FOLLOWER;
    note(c, "fault: node %" PRIu64 " crashes", id_of(node));
}

void on_restart(void *ctx, nl_sim *, int node)
{
    Cluster *c = (Cluster *)ctx;
    RdOutputs out;
    rd_restart(c->nodes[node], &out);
    observe(c, node, RD_IN_RESTART, 0, nullptr, nullptr, &out);
    note(c, "node %" PRIu64 " restarts (term %" PRIu64 ", snapshot %" PRIu64 ", log through %" PRIu64 ")",
         id_of(node), rd_current_term(c->nodes[node]), rd_snapshot_index(c->nodes[node]),
         rd_last_index(c->nodes[node]));
    run_outputs(c, node, out);
    after_event(c, node);
}

void describe(void *ctx, const void *data, size_t len, char *buf, size_t buflen)
{
    Cluster *c = (Cluster *)ctx;
    uint64_t idx;
    if (len != sizeof idx) {
        snprintf(buf, buflen, "?");
        return;
    }
    memcpy(&idx, data, sizeof idx);
    const Msg &m = c->arena[idx];
    switch (m.kind) {
    case M_RV:
        snprintf(buf, buflen, "RequestVote term %" PRIu64 " cand %" PRIu64 " last (%" PRIu64 ",t%" PRIu64 ")",
                 m.rv.term, m.rv.candidate_id, m.rv.last_log_index, m.rv.last_log_term);
        break;
    case M_RV_REPLY:
        snprintf(buf, buflen, "vote term %" PRIu64 " %s", m.rvr.term, m.rvr.vote_granted ? "GRANTED" : "refused");
        break;
    case M_AE:
        snprintf(buf, buflen, "AppendEntries term %" PRIu64 " prev (%" PRIu64 ",t%" PRIu64 ") +%zu commit %" PRIu64,
                 m.ae.term, m.ae.prev_log_index, m.ae.prev_log_term, m.ae.entries.size(), m.ae.leader_commit);
        break;
    case M_AE_REPLY:
        snprintf(buf, buflen, "AE reply term %" PRIu64 " %s match %" PRIu64 " conflict %" PRIu64, m.aer.term,
                 m.aer.success ? "ok" : "FAIL", m.aer.match_index, m.aer.conflict_index);
        break;
    case M_IS:
        snprintf(buf, buflen, "InstallSnapshot term %" PRIu64 " through (%" PRIu64 ",t%" PRIu64 ") config %s",
                 m.is.term, m.is.last_included_index, m.is.last_included_term, members_text(m.is.config).c_str());
        break;
    case M_IS_REPLY:
        snprintf(buf, buflen, "IS reply term %" PRIu64 " match %" PRIu64, m.isr.term, m.isr.match_index);
        break;
    }
}

// ---- the harness: clients, membership changes, faults ----
void at(Cluster *c, uint64_t delay, int kind, int node);
void run_job(void *arg, nl_sim *sim);

int current_leader(Cluster *c) // the up leader of the highest term, or -1
{
    int best = -1;
    for (size_t i = 0; i < c->nodes.size(); i++) {
        if (!nl_sim_is_up(c->sim, (int)i) || rd_state(c->nodes[i]) != RD_LEADER) continue;
        if (best < 0 || rd_current_term(c->nodes[i]) > rd_current_term(c->nodes[best])) best = (int)i;
    }
    return best;
}

void propose_final(Cluster *c)
{
    int l = current_leader(c);
    if (l < 0) return;
    RdNode *r = c->nodes[l];
    uint64_t term = rd_current_term(r);
    if (c->finals.count(term)) return;
    RdMembers cfg = rd_config(r);
    if (cfg.joint) return;
    size_t len;
    const RdEntry *log = rd_log(r, &len);
    for (size_t k = 0; k < len; k++)
        if (log[k].type == RD_ENTRY_CONFIG && log[k].index > rd_commit_index(r)) return; // a change still running
    std::string cmd = "final-t" + std::to_string(term);
    uint64_t index = rd_propose(r, cmd);
    observe(c, l, RD_IN_PROPOSE, 0, &cmd, &index, nullptr);
    if (index == 0) return;
    c->finals[term] = {index, "t" + std::to_string(term) + ":" + cmd, cfg.members};
    note(c, "client -> node %" PRIu64 ": propose '%s' at index %" PRIu64 " (members {%s})", id_of(l), cmd.c_str(),
         index, list(cfg.members).c_str());
}

void do_propose(Cluster *c)
{
    for (size_t i = 0; i < c->nodes.size(); i++) {
        if (!nl_sim_is_up(c->sim, (int)i) || rd_state(c->nodes[i]) != RD_LEADER) continue;
        std::string cmd = "c" + std::to_string(++c->proposals);
        uint64_t index = rd_propose(c->nodes[i], cmd);
        observe(c, (int)i, RD_IN_PROPOSE, 0, &cmd, &index, nullptr);
        if (c->o.timeline && index)
            note(c, "client -> node %" PRIu64 ": propose '%s' at index %" PRIu64, id_of((int)i), cmd.c_str(), index);
    }
    if (c->healed) propose_final(c);
    if (!c->done) at(c, c->p.propose_every_ms, J_PROPOSE, 0);
}

void do_change(Cluster *c)
{
    if (c->healed) return;
    at(c, c->p.change_every_ms, J_CHANGE, 0);
    int l = current_leader(c);
    if (l < 0) return;
    RdMembers cfg = rd_config(c->nodes[l]);
    if (cfg.joint) return;
    std::vector<uint64_t> m = cfg.members, outside;
    for (int i = 1; i <= c->p.slots; i++)
        if (std::find(m.begin(), m.end(), (uint64_t)i) == m.end()) outside.push_back((uint64_t)i);
    int op = (int)nl_rng_below(&c->changes, 3); // 0 add, 1 remove, 2 replace
    if (outside.empty()) op = 1;
    if (m.size() <= 1 && op == 1) op = 0;
    if (op != 0 && !m.empty()) m.erase(m.begin() + (long)nl_rng_below(&c->changes, m.size()));
    if (op != 1 && !outside.empty()) m.push_back(outside[nl_rng_below(&c->changes, outside.size())]);
    std::sort(m.begin(), m.end());
    uint64_t index = 0;
    int rc = rd_change_membership(c->nodes[l], m, &index);
    RdChangeResult res{rc, index};
    observe(c, l, RD_IN_CHANGE_MEMBERSHIP, 0, &m, &res, nullptr);
    if (rc == RD_OK)
        note(c, "admin -> node %" PRIu64 ": change %s -> {%s}, C_old,new at index %" PRIu64, id_of(l),
             members_text(cfg).c_str(), list(m).c_str(), index);
}

void do_fault(Cluster *c)
{
    if (c->healed) return;
    at(c, nl_rng_range(&c->faults, 150, 450), J_FAULT, 0);
    int n = c->p.slots;
    uint64_t what = nl_rng_below(&c->faults, 3);
    if (what == 0 && c->p.partitions && !c->partitioned && n > 1) {
        std::vector<int> group;
        for (int i = 0; i < n; i++)
            if (nl_rng_chance(&c->faults, 0.5)) group.push_back(i);
        if (group.empty() || (int)group.size() == n) return;
        nl_sim_partition(c->sim, group.data(), group.size());
        c->partitioned = true;
        std::string g;
        for (int i : group) g += (g.empty() ? "" : ",") + std::to_string(i + 1);
        note(c, "fault: partition {%s} from the rest", g.c_str());
        at(c, nl_rng_range(&c->faults, 200, 1200), J_HEAL_PARTITION, 0);
    } else if (what == 1 && c->p.crashes) {
        int victim = (int)nl_rng_below(&c->faults, (uint64_t)n);
        if (!nl_sim_is_up(c->sim, victim)) return;
        nl_sim_crash(c->sim, victim);
        at(c, nl_rng_range(&c->faults, 100, 1500), J_RESTART, victim);
    }
}

void heal_all(Cluster *c)
{
    c->healed = true;
    nl_sim_heal(c->sim);
    c->partitioned = false;
    nl_sim_net net{0, 0, c->p.delay_min_ms, std::min<uint64_t>(c->p.delay_max_ms, c->p.delay_min_ms + 10)};
    nl_sim_set_net(c->sim, &net);
    note(c, "the network heals; every node is up from now on");
    for (int i = 0; i < c->p.slots; i++)
        if (!nl_sim_is_up(c->sim, i)) nl_sim_restart(c->sim, i);
}

void run_job(void *arg, nl_sim *)
{
    Job *j = (Job *)arg;
    Cluster *c = j->c;
    switch (j->kind) {
    case J_PROPOSE: do_propose(c); break;
    case J_FAULT: do_fault(c); break;
    case J_CHANGE: do_change(c); break;
    case J_RESTART:
        if (!c->healed) nl_sim_restart(c->sim, j->node);
        break;
    case J_HEAL_PARTITION:
        if (c->partitioned) {
            nl_sim_heal(c->sim);
            c->partitioned = false;
            note(c, "fault over: partition healed");
        }
        break;
    case J_HEAL_ALL: heal_all(c); break;
    }
}

void at(Cluster *c, uint64_t delay, int kind, int node)
{
    c->jobs.push_back({c, node, kind});
    nl_sim_at(c->sim, delay, run_job, &c->jobs.back());
}
} // namespace

const char *rd_property_name(RdProperty p)
{
    switch (p) {
    case RD_PROP_ELECTION_SAFETY: return "election safety";
    case RD_PROP_LOG_MATCHING: return "log matching";
    case RD_PROP_LEADER_COMPLETENESS: return "leader completeness";
    case RD_PROP_STATE_MACHINE_SAFETY: return "state machine safety";
    case RD_PROP_LIVENESS: return "liveness after healing";
    case RD_PROP_COUNT: break;
    }
    return "?";
}

void rd_cluster_params(uint64_t seed, RdClusterParams *p)
{
    nl_rng r;
    nl_rng_seed(&r, seed * 0x9e3779b97f4a7c15ULL + 27);
    p->slots = 3 + (int)nl_rng_below(&r, 3);
    p->initial_members = 3 + (int)nl_rng_below(&r, (uint64_t)p->slots - 2);
    p->drop = (double)nl_rng_below(&r, 25) / 100.0;
    p->duplicate = (double)nl_rng_below(&r, 15) / 100.0;
    p->delay_min_ms = 1 + nl_rng_below(&r, 10);
    p->delay_max_ms = p->delay_min_ms + 5 + nl_rng_below(&r, 50);
    p->partitions = nl_rng_chance(&r, 0.6);
    p->crashes = nl_rng_chance(&r, 0.6);
    p->membership = nl_rng_chance(&r, 0.85);
    p->change_every_ms = 250 + nl_rng_below(&r, 400);
    p->snapshot_threshold = 3 + nl_rng_below(&r, 10);
    p->fault_ms = 3000;
    p->heal_deadline_ms = 10000;
    p->propose_every_ms = 60 + nl_rng_below(&r, 80);
}

int rd_cluster_run(uint64_t seed, const RdClusterParams *params, const RdClusterOptions *opts, RdClusterReport *rep)
{
    *rep = RdClusterReport{};
    if (params->slots < 1 || params->slots > 7 || params->initial_members < 1 ||
        params->initial_members > params->slots || params->propose_every_ms == 0 || params->change_every_ms == 0) {
        rep->first_violation[0] = "invalid cluster parameters";
        return -1;
    }
    Cluster c;
    c.seed = seed;
    c.p = *params;
    c.o = *opts;
    c.rep = rep;
    nl_rng_seed(&c.faults, seed ^ 0x5eedfa17ULL);
    nl_rng_seed(&c.changes, seed ^ 0xc0ffee27ULL);
    nl_sim_ops ops{on_message, on_timer, on_crash, on_restart, describe};
    c.sim = nl_sim_new(params->slots, seed, &ops, &c);
    if (!c.sim) {
        rep->first_violation[0] = "nl_sim_new failed";
        return -1;
    }
    nl_sim_trace_keep(c.sim, opts->trace_keep ? opts->trace_keep : 40);
    nl_sim_trace_node_base(c.sim, 1);
    nl_sim_trace_timer_name(c.sim, T_ELECTION, "election");
    nl_sim_trace_timer_name(c.sim, T_HEARTBEAT, "heartbeat");
    if (opts->timeline && opts->verbose) nl_sim_trace_live(c.sim, opts->timeline);
    nl_sim_net net{params->drop, params->duplicate, params->delay_min_ms, params->delay_max_ms};
    if (nl_sim_set_net(c.sim, &net) != 0) {
        nl_sim_free(c.sim);
        rep->first_violation[0] = "invalid network parameters";
        return -1;
    }
    RdOptions o{0, {}, 150, 300, 50, seed};
    for (int i = 1; i <= params->initial_members; i++) o.members.push_back((uint64_t)i);
    int n = params->slots;
    c.apps.resize(n);
    c.checked.resize(n);
    c.checked_snap.assign(n, 0);
    c.last_state.assign(n, RD_FOLLOWER);
    c.last_term.assign(n, 0);
    for (int i = 0; i < n; i++) {
        o.node_id = id_of(i);
        char err[200] = "";
        RdNode *r = rd_new(&o, err, sizeof err);
        if (!r) {
            for (RdNode *x : c.nodes) rd_free(x);
            nl_sim_free(c.sim);
            rep->first_violation[0] = std::string("rd_new refused the cluster's options: ") + err;
            return -1;
        }
        c.nodes.push_back(r);
    }
    for (int i = 0; i < n; i++) {
        RdOutputs out;
        rd_start(c.nodes[i], &out);
        observe(&c, i, RD_IN_START, 0, nullptr, nullptr, &out);
        run_outputs(&c, i, out);
    }
    at(&c, params->propose_every_ms, J_PROPOSE, 0);
    at(&c, 200, J_FAULT, 0);
    if (params->membership) at(&c, params->change_every_ms, J_CHANGE, 0);
    at(&c, params->fault_ms, J_HEAL_ALL, 0);
    uint64_t end = params->fault_ms + params->heal_deadline_ms;
    const uint64_t max_events = 100000; // a node that floods the network ends the run
    while (!c.done && nl_sim_now(c.sim) <= end && nl_sim_step(c.sim)) {
        rep->events++;
        if (opts->max_steps && rep->events >= opts->max_steps) break;
        if (rep->events >= max_events) {
            violation(&c, RD_PROP_LIVENESS, "%" PRIu64 " events and still running: messages without end?", max_events);
            break;
        }
    }
    bool stopped = opts->max_steps && rep->events >= opts->max_steps;
    if (!c.done && !stopped) {
        std::string who;
        for (int i = 0; i < n; i++) {
            RdNode *r = c.nodes[i];
            char b[200];
            snprintf(b, sizeof b, "\n    node %d: %s term %" PRIu64 " commit %" PRIu64 " applied %zu snapshot %" PRIu64
                     " last %" PRIu64 " config %s", i + 1,
                     rd_state(r) == RD_LEADER ? "leader" : rd_state(r) == RD_CANDIDATE ? "candidate" : "follower",
                     rd_current_term(r), rd_commit_index(r), c.apps[i].size(), rd_snapshot_index(r), rd_last_index(r),
                     members_text(rd_config(r)).c_str());
            who += b;
        }
        violation(&c, RD_PROP_LIVENESS, "%" PRIu64 " ms after healing no final command is applied by every member;%s",
                  params->heal_deadline_ms, who.c_str());
    }
    rep->end_ms = nl_sim_now(c.sim);
    for (RdNode *r : c.nodes) rd_free(r);
    nl_sim_free(c.sim);
    int bad = 0;
    for (int k = 0; k < RD_PROP_COUNT; k++) bad += rep->violated[k];
    return bad;
}
