// test_gossip_diff.cpp — the EX04 differential test: seeded random sequences of Gossip, Sync and
// Ping messages carrying updates about a few members (and about the node itself), suspicion timers
// fired early or late on the virtual clock, applied to one member of the submission and one of the
// reference oracle; after each step what the README fixes is compared: the member list (id,
// address, state, incarnation, metadata), the node's own incarnation, the membership changes
// reported, the refutations sent back, the Ack to a Ping, the suspicion timers armed.
#include "gossip_mesh.h"
#include "nl_diff.h"
#include "oracle/gossip_mesh.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

void test_differential_membership(void **);

namespace {
enum { NIDS = 4 };
const char *const IDS[NIDS] = {"n0", "n1", "n2", "n3"}; // n0 is the node under test
const char *const ADDRS[NIDS] = {"sim:0", "sim:1", "sim:2", "sim:3"};

enum { OP_GOSSIP, OP_SYNC, OP_PING, OP_ADVANCE, OP_SUSPICION_TIMER, OP_KINDS };

struct upd {
    int id, state, inc, has_addr, addr, has_meta, meta;
};

struct gm_op {
    int kind, from, nupd, ms;
    upd u[3];
};

uint64_t vnow;
uint64_t vclock(void *) { return vnow; }

struct observed {
    std::string members;  // one line per member, sorted by id
    uint64_t incarnation = 0;
    std::string changes;  // "n1 alive>suspect; ..."
    std::string replies;  // sends: "gossip to sim:1 [n0 alive 3]; ack 7 to sim:2"
    std::string timers;   // "suspicion_timeout_n1 5000; ..."
};

struct ctx {
    gm_protocol *sub = nullptr;
    oracle::gm_protocol *ref = nullptr;
    observed os, orf;
    uint64_t seq = 0;
};

void reset(void *p)
{
    ctx *x = (ctx *)p;
    gm_free(x->sub);
    oracle::gm_free(x->ref);
    vnow = 1000;
    gm_config c;
    gm_config_default(&c);
    c.clock = {vclock, nullptr};
    oracle::gm_config oc;
    oracle::gm_config_default(&oc);
    oc.clock = {vclock, nullptr};
    x->sub = gm_new(IDS[0], ADDRS[0], &c);
    x->ref = oracle::gm_new(IDS[0], ADDRS[0], &oc);
    x->seq = 0;
}

void gen(void *, nl_rng *rng, void *o)
{
    gm_op *op = (gm_op *)o;
    static const int weights[OP_KINDS] = {45, 20, 15, 10, 10};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->from = 1 + (int)nl_rng_below(rng, NIDS - 1);
    op->nupd = 1 + (int)nl_rng_below(rng, 3);
    op->ms = (int)nl_rng_below(rng, 8000);
    for (upd &u : op->u) {
        u.id = nl_rng_chance(rng, 0.2) ? 0 : 1 + (int)nl_rng_below(rng, NIDS - 1);
        u.state = (int)nl_rng_below(rng, 4);
        u.inc = (int)nl_rng_below(rng, 4);
        u.has_addr = nl_rng_chance(rng, 0.85);
        u.addr = (int)nl_rng_below(rng, 8);
        u.has_meta = nl_rng_chance(rng, 0.3);
        u.meta = (int)nl_rng_below(rng, 3);
    }
}

// The message the op describes, built for either side's types.
template <class Msg, class Upd> Msg build(const gm_op *op, int type, uint64_t seq)
{
    Msg m{};
    m.type = decltype(m.type)(type);
    m.seq = seq;
    m.from = IDS[op->from];
    for (int i = 0; i < op->nupd; i++) {
        const upd &u = op->u[i];
        Upd x{};
        x.id = IDS[u.id];
        x.state = decltype(x.state)(u.state);
        x.incarnation = (uint64_t)u.inc;
        // Mostly the member's own address; now and then another one (it moved).
        if (u.has_addr) x.address = u.addr < 6 ? ADDRS[u.id] : "moved:" + std::to_string(u.id);
        x.has_metadata = u.has_meta;
        if (u.has_meta) x.metadata["v"] = std::to_string(u.meta);
        m.updates.push_back(x);
    }
    return m;
}

template <class Member> std::string member_line(const Member &m)
{
    std::string s = m.id + " " + m.address + " " + std::to_string((int)m.state) + " inc " + std::to_string(m.incarnation);
    for (const auto &[k, v] : m.metadata) s += " " + k + "=" + v;
    return s;
}

const char *state_text(int s)
{
    static const char *n[] = {"alive", "suspect", "dead", "left", "unknown"};
    return s >= 0 && s <= 4 ? n[s] : "?";
}

template <class Acts> void collect(observed *ob, const Acts &acts, const std::string &self_id)
{
    for (const auto &a : acts) {
        if ((int)a.type == (int)GM_MEMBERSHIP_CHANGE) {
            ob->changes += a.member + " " + state_text((int)a.old_state) + ">" + state_text((int)a.new_state) + "; ";
        } else if ((int)a.type == (int)GM_SCHEDULE_TIMER) {
            if (a.timer.rfind("suspicion_timeout_", 0) == 0) ob->timers += a.timer + " " + std::to_string(a.delay_ms) + "; ";
        } else if ((int)a.message.type == (int)GM_ACK) {
            ob->replies += "ack " + std::to_string(a.message.seq) + " to " + a.to + "; ";
        } else if ((int)a.message.type == (int)GM_GOSSIP) {
            // A refutation: an alive update about ourselves sent straight back.
            for (const auto &u : a.message.updates)
                if (u.id == self_id && (int)u.state == (int)GM_ALIVE)
                    ob->replies += "refutation to " + a.to + " inc " + std::to_string(u.incarnation) + "; ";
        }
    }
}

template <class Proto, class Acts, class Msg, class Upd, class Member>
void run(observed *ob, Proto *p, const gm_op *op, uint64_t seq, Acts (*handle)(Proto *, const char *, const Msg *),
         Acts (*timer)(Proto *, const char *), std::vector<Member> (*all)(Proto *), uint64_t (*inc)(Proto *))
{
    *ob = observed{};
    Acts acts;
    std::string from = ADDRS[op->from];
    switch (op->kind) {
    case OP_GOSSIP: case OP_SYNC: case OP_PING: {
        int type = op->kind == OP_GOSSIP ? GM_GOSSIP : op->kind == OP_SYNC ? GM_SYNC : GM_PING;
        Msg m = build<Msg, Upd>(op, type, seq);
        acts = handle(p, from.c_str(), &m);
        break;
    }
    case OP_SUSPICION_TIMER: {
        std::string name = std::string("suspicion_timeout_") + IDS[op->from];
        acts = timer(p, name.c_str());
        break;
    }
    default: break;
    }
    collect(ob, acts, IDS[0]);
    std::vector<Member> ms = all(p);
    std::sort(ms.begin(), ms.end(), [](const Member &a, const Member &b) { return a.id < b.id; });
    for (const Member &m : ms) ob->members += member_line(m) + "\n";
    ob->incarnation = inc(p);
}

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const gm_op *op = (const gm_op *)o;
    if (op->kind == OP_ADVANCE) vnow += (uint64_t)op->ms; // the clock both sides read
    x->seq++;
    run<gm_protocol, gm_actions, gm_message, gm_update, gm_member>(&x->os, x->sub, op, x->seq, gm_handle_message,
                                                                    gm_handle_timer, gm_all_members, gm_incarnation);
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    run<oracle::gm_protocol, oracle::gm_actions, oracle::gm_message, oracle::gm_update, oracle::gm_member>(
        &x->orf, x->ref, (const gm_op *)o, x->seq, oracle::gm_handle_message, oracle::gm_handle_timer,
        oracle::gm_all_members, oracle::gm_incarnation);
}

bool compare(void *p, const void *, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    const observed &s = x->os, &r = x->orf;
    if (s.members != r.members) {
        snprintf(diff, cap, "members (id address state inc metadata):\n%s  reference:\n%s", s.members.c_str(),
                 r.members.c_str());
        return false;
    }
    if (s.incarnation != r.incarnation) {
        snprintf(diff, cap, "own incarnation %llu, reference %llu", (unsigned long long)s.incarnation,
                 (unsigned long long)r.incarnation);
        return false;
    }
    const std::string observed::*fields[] = {&observed::changes, &observed::replies, &observed::timers};
    const char *names[] = {"membership changes", "replies", "suspicion timers"};
    for (int i = 0; i < 3; i++)
        if (s.*fields[i] != r.*fields[i]) {
            snprintf(diff, cap, "%s: '%s', reference '%s'", names[i], (s.*fields[i]).c_str(), (r.*fields[i]).c_str());
            return false;
        }
    return true;
}

void print(void *, const void *o, char *out, size_t cap)
{
    const gm_op *op = (const gm_op *)o;
    static const char *kinds[] = {"Gossip", "Sync", "Ping"};
    if (op->kind == OP_ADVANCE) {
        snprintf(out, cap, "the clock advances %d ms", op->ms);
        return;
    }
    if (op->kind == OP_SUSPICION_TIMER) {
        snprintf(out, cap, "gm_handle_timer(suspicion_timeout_%s)", IDS[op->from]);
        return;
    }
    std::string ups;
    for (int i = 0; i < op->nupd; i++) {
        const upd &u = op->u[i];
        ups += std::string(i ? ", " : "") + IDS[u.id] + " " + state_text(u.state) + " inc " + std::to_string(u.inc);
        if (u.has_addr) ups += std::string(" addr ") + (u.addr < 6 ? ADDRS[u.id] : "moved:" + std::to_string(u.id));
        if (u.has_meta) ups += " meta v=" + std::to_string(u.meta);
    }
    snprintf(out, cap, "%s from %s (%s): [%s]", kinds[op->kind], IDS[op->from], ADDRS[op->from], ups.c_str());
}
} // namespace

void test_differential_membership(void **)
{
    static ctx x;
    static const nl_diff_ops ops = {sizeof(gm_op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 40});
}
