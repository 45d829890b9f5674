// test_rd_diff.cpp — differential test of EX27: the reference (namespace oracle, linked pristine)
// runs seeded cluster schedules of rd_cluster.cpp; every input one of its servers handles is fed
// to a shadow pair — a fresh reference server and the submission's — and what the README fixes is
// compared after each input: the reply, the messages sent (as a set), the entries applied and the
// snapshots restored (in order), and the server's state and log. Timers are not compared (the
// election timeout is each implementation's own PRNG). A difference is shrunk by dropping inputs
// (a dropped input is a lost message, a timer that did not fire) and printed with its seed.
#include <algorithm>
#include <cinttypes>
#include <map>
#include <memory>

#include "raft_deep.h"
#include "rd_cluster.h"
#include "oracle/raft_deep.h"
#include "oracle/rd_cluster.h"
#include "rd_test_util.h" // cmocka last: its fail() macro must not meet <ios>

static const uint64_t DIFF_SCHEDULES = 120;
static const uint64_t DIFF_FIRST_SEED = 1001;

// ---- converting the reference's types to the submission's ----
static RdMembers conv(const oracle::RdMembers &m)
{
    RdMembers r;
    r.members = m.members;
    r.next = m.next;
    r.joint = m.joint;
    return r;
}
static RdEntry conv(const oracle::RdEntry &e)
{
    RdEntry r;
    r.term = e.term;
    r.index = e.index;
    r.type = e.type == oracle::RD_ENTRY_CONFIG ? RD_ENTRY_CONFIG : RD_ENTRY_COMMAND;
    r.command = e.command;
    r.config = conv(e.config);
    return r;
}
static RdRequestVote conv(const oracle::RdRequestVote &m)
{
    return {m.term, m.candidate_id, m.last_log_index, m.last_log_term};
}
static RdRequestVoteReply conv(const oracle::RdRequestVoteReply &m) { return {m.term, m.vote_granted}; }
static RdAppendEntries conv(const oracle::RdAppendEntries &m)
{
    RdAppendEntries r;
    r.term = m.term;
    r.leader_id = m.leader_id;
    r.prev_log_index = m.prev_log_index;
    r.prev_log_term = m.prev_log_term;
    for (const oracle::RdEntry &e : m.entries) r.entries.push_back(conv(e));
    r.leader_commit = m.leader_commit;
    return r;
}
static RdAppendEntriesReply conv(const oracle::RdAppendEntriesReply &m)
{
    return {m.term, m.success, m.match_index, m.conflict_index};
}
static RdInstallSnapshot conv(const oracle::RdInstallSnapshot &m)
{
    RdInstallSnapshot r;
    r.term = m.term;
    r.leader_id = m.leader_id;
    r.last_included_index = m.last_included_index;
    r.last_included_term = m.last_included_term;
    r.config = conv(m.config);
    r.data = m.data;
    return r;
}
static RdInstallSnapshotReply conv(const oracle::RdInstallSnapshotReply &m) { return {m.term, m.match_index}; }

// ---- what is compared, as text (the same templates read both namespaces' types) ----
template <class M> static std::string mtxt(const M &m)
{
    return m.joint ? "{" + ids_of(m.members) + "|" + ids_of(m.next) + "}" : "{" + ids_of(m.members) + "}";
}
template <class E> static std::string etxt(const E &e)
{
    std::string body = (int)e.type == (int)RD_ENTRY_CONFIG ? "cfg" + mtxt(e.config) : "'" + e.command + "'";
    return "(" + std::to_string(e.index) + ",t" + std::to_string(e.term) + "," + body + ")";
}
template <class E> static std::string entries_txt(const std::vector<E> &v)
{
    std::string s = "[";
    for (const E &e : v) s += (s.size() > 1 ? " " : "") + etxt(e);
    return s + "]";
}
#define N2S(x) std::to_string(x)
template <class O> static std::string send_txt(const O &o)
{
    switch ((int)o.kind) {
    case (int)RD_SEND_REQUEST_VOTE:
        return "RequestVote to " + N2S(o.target) + " {term " + N2S(o.request_vote.term) + ", cand " +
               N2S(o.request_vote.candidate_id) + ", last (" + N2S(o.request_vote.last_log_index) + ",t" +
               N2S(o.request_vote.last_log_term) + ")}";
    case (int)RD_SEND_APPEND_ENTRIES:
        return "AppendEntries to " + N2S(o.target) + " {term " + N2S(o.append_entries.term) + ", leader " +
               N2S(o.append_entries.leader_id) + ", prev (" + N2S(o.append_entries.prev_log_index) + ",t" +
               N2S(o.append_entries.prev_log_term) + "), " + entries_txt(o.append_entries.entries) + ", commit " +
               N2S(o.append_entries.leader_commit) + "}";
    case (int)RD_SEND_INSTALL_SNAPSHOT:
        return "InstallSnapshot to " + N2S(o.target) + " {term " + N2S(o.install_snapshot.term) + ", leader " +
               N2S(o.install_snapshot.leader_id) + ", through (" + N2S(o.install_snapshot.last_included_index) +
               ",t" + N2S(o.install_snapshot.last_included_term) + "), config " + mtxt(o.install_snapshot.config) +
               ", " + N2S(o.install_snapshot.data.size()) + " bytes of data}";
    }
    return "";
}
template <class Outs> static std::string outputs_txt(const Outs *out)
{
    if (!out) return "";
    std::vector<std::string> sends;
    std::string seq;
    for (const auto &o : *out) {
        std::string s = send_txt(o);
        if (!s.empty()) sends.push_back(s);
        if ((int)o.kind == (int)RD_APPLY)
            for (const auto &e : o.entries) seq += "\n    apply " + etxt(e);
        if ((int)o.kind == (int)RD_RESTORE_SNAPSHOT)
            seq += "\n    restore snapshot through (" + N2S(o.install_snapshot.last_included_index) + ",t" +
                   N2S(o.install_snapshot.last_included_term) + ") config " + mtxt(o.install_snapshot.config) + " data '" +
                   o.install_snapshot.data.substr(0, 40) + (o.install_snapshot.data.size() > 40 ? "...'" : "'");
    }
    std::sort(sends.begin(), sends.end());
    std::string s;
    for (const std::string &x : sends) s += "\n    send " + x;
    return s + seq;
}
template <class N> static std::string state_txt(const N *n)
{
    static const char *names[] = {"follower", "candidate", "leader"};
    size_t len;
    const auto *log = rd_log(n, &len);
    std::string s = "\n    state " + std::string(names[(int)rd_state(n)]) + " term " + N2S(rd_current_term(n)) + " vote " +
                    N2S(rd_voted_for(n)) + " leader " + N2S(rd_leader_id(n)) + " commit " + N2S(rd_commit_index(n)) +
                    " applied " + N2S(rd_last_applied(n)) + " last " + N2S(rd_last_index(n)) + " config " +
                    mtxt(rd_config(n)) + "\n    snapshot (" + N2S(rd_snapshot_index(n)) + ",t" +
                    N2S(rd_snapshot_term(n)) + ") data " + N2S(rd_snapshot_data(n).size()) + " bytes, log [";
    for (size_t i = 0; i < len; i++) s += (i ? " " : "") + etxt(log[i]);
    return s + "]";
}

// ---- one input, kept to be replayed ----
struct Input {
    RdInputKind kind;
    uint64_t from = 0;
    oracle::RdRequestVote rv{};
    oracle::RdRequestVoteReply rvr{};
    oracle::RdAppendEntries ae;
    oracle::RdAppendEntriesReply aer{};
    oracle::RdInstallSnapshot is;
    oracle::RdInstallSnapshotReply isr{};
    std::string text; // propose's command, compact's state
    std::vector<uint64_t> members;
    size_t threshold = 0;
};

static std::string input_txt(const Input &in)
{
    std::string f = " from " + N2S(in.from);
    switch (in.kind) {
    case RD_IN_START: return "rd_start";
    case RD_IN_RESTART: return "rd_restart";
    case RD_IN_ELECTION_TIMEOUT: return "election timeout";
    case RD_IN_HEARTBEAT_TIMEOUT: return "heartbeat timeout";
    case RD_IN_REQUEST_VOTE:
        return "RequestVote" + f + " {term " + N2S(in.rv.term) + ", cand " + N2S(in.rv.candidate_id) + ", last (" +
               N2S(in.rv.last_log_index) + ",t" + N2S(in.rv.last_log_term) + ")}";
    case RD_IN_REQUEST_VOTE_REPLY:
        return "vote reply" + f + " {term " + N2S(in.rvr.term) + ", " + (in.rvr.vote_granted ? "granted" : "refused") + "}";
    case RD_IN_APPEND_ENTRIES:
        return "AppendEntries" + f + " {term " + N2S(in.ae.term) + ", prev (" + N2S(in.ae.prev_log_index) + ",t" +
               N2S(in.ae.prev_log_term) + "), " + entries_txt(in.ae.entries) + ", commit " + N2S(in.ae.leader_commit) + "}";
    case RD_IN_APPEND_ENTRIES_REPLY:
        return "AppendEntries reply" + f + " {term " + N2S(in.aer.term) + ", " + (in.aer.success ? "success" : "refused") +
               ", match " + N2S(in.aer.match_index) + ", conflict " + N2S(in.aer.conflict_index) + "}";
    case RD_IN_INSTALL_SNAPSHOT:
        return "InstallSnapshot" + f + " {term " + N2S(in.is.term) + ", through (" + N2S(in.is.last_included_index) +
               ",t" + N2S(in.is.last_included_term) + "), config " + mtxt(in.is.config) + "}";
    case RD_IN_INSTALL_SNAPSHOT_REPLY:
        return "InstallSnapshot reply" + f + " {term " + N2S(in.isr.term) + ", match " + N2S(in.isr.match_index) + "}";
    case RD_IN_PROPOSE: return "rd_propose('" + in.text + "')";
    case RD_IN_CHANGE_MEMBERSHIP: return "rd_change_membership({" + ids_of(in.members) + "})";
    case RD_IN_COMPACT: return "rd_compact(threshold " + N2S(in.threshold) + ", " + N2S(in.text.size()) + " bytes)";
    }
    return "?";
}

// Feeds `in` to a server of either namespace and describes what the README fixes about the result.
template <class Node, class Outs, class Conv> static std::string feed(Node *n, const Input &in, Conv cv)
{
    Outs out;
    std::string r;
    switch (in.kind) {
    case RD_IN_START: rd_start(n, &out); break;
    case RD_IN_RESTART: rd_restart(n, &out); break;
    case RD_IN_ELECTION_TIMEOUT: rd_on_election_timeout(n, &out); break;
    case RD_IN_HEARTBEAT_TIMEOUT: rd_on_heartbeat_timeout(n, &out); break;
    case RD_IN_REQUEST_VOTE: {
        auto m = cv(in.rv);
        auto x = rd_handle_request_vote(n, &m, &out);
        r = "reply {term " + N2S(x.term) + ", " + (x.vote_granted ? "granted" : "refused") + "}";
        break;
    }
    case RD_IN_REQUEST_VOTE_REPLY: {
        auto m = cv(in.rvr);
        rd_handle_request_vote_reply(n, in.from, &m, &out);
        break;
    }
    case RD_IN_APPEND_ENTRIES: {
        auto m = cv(in.ae);
        auto x = rd_handle_append_entries(n, &m, &out);
        r = "reply {term " + N2S(x.term) + ", " + (x.success ? "success" : "refused") + ", match " + N2S(x.match_index) +
            ", conflict " + N2S(x.conflict_index) + "}";
        break;
    }
    case RD_IN_APPEND_ENTRIES_REPLY: {
        auto m = cv(in.aer);
        rd_handle_append_entries_reply(n, in.from, &m, &out);
        break;
    }
    case RD_IN_INSTALL_SNAPSHOT: {
        auto m = cv(in.is);
        auto x = rd_handle_install_snapshot(n, &m, &out);
        r = "reply {term " + N2S(x.term) + ", match " + N2S(x.match_index) + "}";
        break;
    }
    case RD_IN_INSTALL_SNAPSHOT_REPLY: {
        auto m = cv(in.isr);
        rd_handle_install_snapshot_reply(n, in.from, &m, &out);
        break;
    }
    case RD_IN_PROPOSE: r = "returns " + N2S(rd_propose(n, in.text)); break;
    case RD_IN_CHANGE_MEMBERSHIP: {
        uint64_t index = 0;
        int rc = rd_change_membership(n, in.members, &index);
        r = "returns " + N2S(rc) + (rc == 0 ? " index " + N2S(index) : "");
        break;
    }
    case RD_IN_COMPACT: r = "returns " + N2S(rd_compact(n, in.threshold, in.text)); break;
    }
    return "    " + r + outputs_txt(&out) + state_txt(n);
}

struct IdConv {
    template <class T> const T &operator()(const T &x) const { return x; }
};
struct ToSub {
    template <class T> auto operator()(const T &x) const { return conv(x); }
};

static RdOptions shadow_opts(uint64_t seed, uint64_t id)
{
    RdClusterParams p;
    rd_cluster_params(seed, &p);
    RdOptions o{id, {}, 150, 300, 50, seed};
    for (int i = 1; i <= p.initial_members; i++) o.members.push_back((uint64_t)i);
    return o;
}
static oracle::RdOptions oracle_opts(const RdOptions &o)
{
    return {o.node_id, o.members, o.election_timeout_min, o.election_timeout_max, o.heartbeat_interval, o.seed};
}

// The reference's own invariants, so that shrinking never feeds it a sequence it was not built for.
static bool oracle_sane(const oracle::RdNode *n)
{
    return oracle::rd_snapshot_index(n) <= oracle::rd_last_applied(n) &&
           oracle::rd_last_applied(n) <= oracle::rd_commit_index(n) &&
           oracle::rd_commit_index(n) <= oracle::rd_last_index(n);
}

// Replays `seq` on a fresh pair; the index of the first input after which they differ, or -1 (also
// -1 when the reference leaves its invariants: that sequence is not one Raft can produce).
static long first_difference(const RdOptions &o, const std::vector<Input> &seq, std::string *want, std::string *got)
{
    oracle::RdOptions oo = oracle_opts(o);
    std::unique_ptr<oracle::RdNode, void (*)(oracle::RdNode *)> ref(oracle::rd_new(&oo, nullptr, 0), oracle::rd_free);
    std::unique_ptr<RdNode, void (*)(RdNode *)> sub(rd_new(&o, nullptr, 0), rd_free);
    if (!ref || !sub) return sub ? -1 : 0;
    for (size_t i = 0; i < seq.size(); i++) {
        std::string a = feed<oracle::RdNode, oracle::RdOutputs>(ref.get(), seq[i], IdConv{});
        if (!oracle_sane(ref.get())) return -1;
        std::string b = feed<RdNode, RdOutputs>(sub.get(), seq[i], ToSub{});
        if (a != b) {
            if (want) *want = a;
            if (got) *got = b;
            return (long)i;
        }
    }
    return -1;
}

struct DiffRun {
    uint64_t seed;
    std::map<uint64_t, std::vector<Input>> history;
    std::map<uint64_t, std::unique_ptr<oracle::RdNode, void (*)(oracle::RdNode *)>> ref;
    std::map<uint64_t, std::unique_ptr<RdNode, void (*)(RdNode *)>> sub;
    bool found = false;
    uint64_t node = 0;
    uint64_t inputs = 0;
};

static void on_input(void *ctx, uint64_t node, oracle::RdInputKind okind, uint64_t from, const void *msg, const void *,
                     const void *)
{
    DiffRun *d = (DiffRun *)ctx;
    if (d->found) return;
    RdInputKind kind = (RdInputKind)(int)okind;
    Input in;
    in.kind = kind;
    in.from = from;
    switch (kind) {
    case RD_IN_REQUEST_VOTE: in.rv = *(const oracle::RdRequestVote *)msg; break;
    case RD_IN_REQUEST_VOTE_REPLY: in.rvr = *(const oracle::RdRequestVoteReply *)msg; break;
    case RD_IN_APPEND_ENTRIES: in.ae = *(const oracle::RdAppendEntries *)msg; break;
    case RD_IN_APPEND_ENTRIES_REPLY: in.aer = *(const oracle::RdAppendEntriesReply *)msg; break;
    case RD_IN_INSTALL_SNAPSHOT: in.is = *(const oracle::RdInstallSnapshot *)msg; break;
    case RD_IN_INSTALL_SNAPSHOT_REPLY: in.isr = *(const oracle::RdInstallSnapshotReply *)msg; break;
    case RD_IN_PROPOSE: in.text = *(const std::string *)msg; break;
    case RD_IN_CHANGE_MEMBERSHIP: in.members = *(const std::vector<uint64_t> *)msg; break;
    case RD_IN_COMPACT:
        in.threshold = ((const oracle::RdCompactArgs *)msg)->threshold;
        in.text = ((const oracle::RdCompactArgs *)msg)->state;
        break;
    default: break;
    }
    if (!d->ref.count(node)) {
        RdOptions o = shadow_opts(d->seed, node);
        oracle::RdOptions oo = oracle_opts(o);
        d->ref.emplace(node, std::unique_ptr<oracle::RdNode, void (*)(oracle::RdNode *)>(oracle::rd_new(&oo, nullptr, 0),
                                                                                          oracle::rd_free));
        d->sub.emplace(node, std::unique_ptr<RdNode, void (*)(RdNode *)>(rd_new(&o, nullptr, 0), rd_free));
        if (!d->sub.at(node)) {
            d->found = true;
            d->node = node;
            return;
        }
    }
    d->history[node].push_back(in);
    d->inputs++;
    std::string a = feed<oracle::RdNode, oracle::RdOutputs>(d->ref.at(node).get(), in, IdConv{});
    std::string b = feed<RdNode, RdOutputs>(d->sub.at(node).get(), in, ToSub{});
    if (a != b) {
        d->found = true;
        d->node = node;
    }
}

void test_diff_against_reference(void **)
{
    uint64_t inputs = 0;
    for (uint64_t seed = DIFF_FIRST_SEED; seed < DIFF_FIRST_SEED + DIFF_SCHEDULES; seed++) {
        DiffRun d;
        d.seed = seed;
        oracle::RdClusterParams p;
        oracle::rd_cluster_params(seed, &p);
        oracle::RdClusterObserver obs{&d, on_input};
        oracle::RdClusterOptions o{nullptr, false, 0, 40, &obs};
        oracle::RdClusterReport rep;
        if (oracle::rd_cluster_run(seed, &p, &o, &rep) < 0) fail_msg("schedule %" PRIu64 ": bad parameters", seed);
        inputs += d.inputs;
        if (!d.found) continue;
        RdOptions opts = shadow_opts(seed, d.node);
        char err[200] = "";
        RdNode *probe = rd_new(&opts, err, sizeof err);
        if (!probe) fail_msg("seed %" PRIu64 ": rd_new refused the options of server %" PRIu64 ": %s", seed, d.node, err);
        rd_free(probe);
        // Shrink: drop inputs one at a time while the submission still differs from the reference.
        std::vector<Input> seq = d.history[d.node];
        std::string want, got;
        long at = first_difference(opts, seq, &want, &got);
        if (at < 0) fail_msg("seed %" PRIu64 ": server %" PRIu64 " differed in the run but not on replay", seed, d.node);
        seq.resize((size_t)at + 1);
        for (bool progress = true; progress;) {
            progress = false;
            for (size_t i = 0; i < seq.size() && seq.size() > 1; i++) {
                std::vector<Input> cand = seq;
                cand.erase(cand.begin() + (long)i);
                long k = first_difference(opts, cand, nullptr, nullptr);
                if (k < 0) continue;
                cand.resize((size_t)k + 1);
                seq = cand;
                progress = true;
                i--;
            }
        }
        first_difference(opts, seq, &want, &got);
        std::string steps;
        for (size_t i = 0; i < seq.size(); i++) steps += "  " + N2S(i + 1) + ". " + input_txt(seq[i]) + "\n";
        fprintf(stderr,
                "seed %" PRIu64 ": server %" PRIu64 " (members {%s}) answers differently from the reference after "
                "these %zu inputs (shrunk from %zu):\n%s"
                "after the last one the reference gives:\n%s\nand yours gives:\n%s\n"
                "the full schedule: raft_deep_sim --seed %" PRIu64 " --verbose\n",
                seed, d.node, ids_of(opts.members).c_str(), seq.size(), d.history[d.node].size(), steps.c_str(),
                want.c_str(), got.c_str(), seed);
        fail_msg("seed %" PRIu64 ": server %" PRIu64 " differs from the reference after %zu inputs: %s", seed, d.node,
                 seq.size(), input_txt(seq.back()).c_str());
    }
    if (inputs < DIFF_SCHEDULES * 100)
        fail_msg("only %" PRIu64 " inputs over %" PRIu64 " schedules: the comparison saw too little", inputs, DIFF_SCHEDULES);
}
