// nl_sim.cpp — the deterministic network simulator of nl_sim.h: one ordered event queue
// (time, then scheduling order) drives messages, timers and scripted calls.
#include "nl_sim.h"

#include <cstdarg>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

// ---- PRNG ----
uint64_t nl_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void nl_rng_seed(nl_rng *rng, uint64_t seed)
{
    uint64_t st = seed;
    for (uint64_t &w : rng->s) w = nl_splitmix64(&st); // never all zero: splitmix64 is a bijection
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nl_rng_next(nl_rng *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t nl_rng_below(nl_rng *rng, uint64_t n)
{
    if (n == 0) return 0;
    // Rejection sampling: drop the top partial block so every value is equally likely.
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = nl_rng_next(rng);
    while (x >= limit);
    return x % n;
}

uint64_t nl_rng_range(nl_rng *rng, uint64_t lo, uint64_t hi)
{
    if (hi <= lo) return lo;
    if (hi - lo == UINT64_MAX) return nl_rng_next(rng);
    return lo + nl_rng_below(rng, hi - lo + 1);
}

double nl_rng_unit(nl_rng *rng) { return (double)(nl_rng_next(rng) >> 11) * 0x1.0p-53; }

bool nl_rng_chance(nl_rng *rng, double p) { return p > 0 && nl_rng_unit(rng) < p; }

// ---- simulator state ----
namespace {
enum EventKind { EV_MESSAGE, EV_TIMER, EV_CALL };

struct Event {
    EventKind kind = EV_CALL;
    int from = -1, to = -1; // message ends; `to` is the node of a timer
    int timer_id = 0;
    uint64_t generation = 0; // a timer event fires only if its timer was not re-armed since
    bool copy = false;       // the duplicate of a message
    std::string data;
    void (*fn)(void *, nl_sim *) = nullptr;
    void *arg = nullptr;
};

enum TraceKind { TR_DELIVER, TR_DROP, TR_DUPLICATE, TR_LOST, TR_TIMER, TR_CRASH, TR_RESTART,
                 TR_PARTITION, TR_HEAL, TR_NOTE };

struct TraceRec {
    uint64_t time;
    TraceKind kind;
    int from, to, timer_id;
    std::string data; // the message bytes, or the text of a note / partition
    const char *why;  // for drops and losses
};
} // namespace

struct nl_sim {
    int n;
    uint64_t now = 0, next_seq = 0;
    nl_rng rng;
    nl_sim_ops ops;
    void *ctx;
    nl_sim_net net{0, 0, 1, 1};
    nl_sim_stats stats{};
    std::map<std::pair<uint64_t, uint64_t>, Event> queue; // (time, seq) -> event
    std::vector<int> group;                               // partition group of each node
    int next_group = 1;
    std::vector<bool> up;
    std::vector<std::map<int, uint64_t>> timer_gen; // per node: timer id -> current generation
    std::deque<TraceRec> trace;
    size_t trace_keep = 64;
    FILE *live = nullptr;
    int node_base = 0;
    std::map<int, std::string> timer_names;
};

static void schedule(nl_sim *sim, uint64_t delay, Event ev)
{
    sim->queue.emplace(std::make_pair(sim->now + delay, sim->next_seq++), std::move(ev));
}

static bool valid(const nl_sim *sim, int node) { return node >= 0 && node < sim->n; }

static void format_rec(const nl_sim *sim, const TraceRec &r, char *buf, size_t len)
{
    char msg[256] = "";
    if ((r.kind == TR_DELIVER || r.kind == TR_DROP || r.kind == TR_DUPLICATE || r.kind == TR_LOST)) {
        if (sim->ops.describe)
            sim->ops.describe(sim->ctx, r.data.data(), r.data.size(), msg, sizeof msg);
        else
            snprintf(msg, sizeof msg, "%zu bytes", r.data.size());
    }
    int off = snprintf(buf, len, "[%7llu ms] ", (unsigned long long)r.time);
    if (off < 0 || (size_t)off >= len) return;
    buf += off;
    len -= (size_t)off;
    int from = r.from + sim->node_base, to = r.to + sim->node_base;
    auto tn = sim->timer_names.find(r.timer_id);
    char timer[64];
    if (tn != sim->timer_names.end()) snprintf(timer, sizeof timer, "%s timer", tn->second.c_str());
    else snprintf(timer, sizeof timer, "timer %d", r.timer_id);
    switch (r.kind) {
    case TR_DELIVER:
        snprintf(buf, len, "deliver %d -> %d%s: %s", from, to, *r.why ? " (copy)" : "", msg);
        break;
    case TR_DROP: snprintf(buf, len, "drop    %d -> %d (%s): %s", from, to, r.why, msg); break;
    case TR_DUPLICATE: snprintf(buf, len, "dup     %d -> %d: %s", from, to, msg); break;
    case TR_LOST: snprintf(buf, len, "lost    %d -> %d (%s): %s", from, to, r.why, msg); break;
    case TR_TIMER: snprintf(buf, len, "timer   node %d, %s", to, timer); break;
    case TR_CRASH: snprintf(buf, len, "crash   node %d", to); break;
    case TR_RESTART: snprintf(buf, len, "restart node %d", to); break;
    case TR_PARTITION: snprintf(buf, len, "partition: %s", r.data.c_str()); break;
    case TR_HEAL: snprintf(buf, len, "heal    every partition"); break;
    case TR_NOTE: snprintf(buf, len, "note    %s", r.data.c_str()); break;
    }
}

static void record(nl_sim *sim, TraceKind kind, int from, int to, int timer_id, const std::string &data,
                   const char *why = "")
{
    if (sim->trace_keep == 0 && !sim->live) return;
    TraceRec r{sim->now, kind, from, to, timer_id, data, why};
    if (sim->live) {
        char line[512];
        format_rec(sim, r, line, sizeof line);
        fprintf(sim->live, "%s\n", line);
    }
    if (sim->trace_keep == 0) return;
    if (sim->trace.size() == sim->trace_keep) sim->trace.pop_front();
    sim->trace.push_back(std::move(r));
}

// ---- API ----
nl_sim *nl_sim_new(int nodes, uint64_t seed, const nl_sim_ops *ops, void *ctx)
{
    if (nodes < 1 || nodes > 4096) return nullptr;
    nl_sim *sim = new nl_sim();
    sim->n = nodes;
    nl_rng_seed(&sim->rng, seed);
    sim->ops = ops ? *ops : nl_sim_ops{};
    sim->ctx = ctx;
    sim->group.assign(nodes, 0);
    sim->up.assign(nodes, true);
    sim->timer_gen.resize(nodes);
    return sim;
}

void nl_sim_free(nl_sim *sim) { delete sim; }
int nl_sim_nodes(const nl_sim *sim) { return sim->n; }
uint64_t nl_sim_now(const nl_sim *sim) { return sim->now; }
nl_rng *nl_sim_rng(nl_sim *sim) { return &sim->rng; }
nl_sim_stats nl_sim_get_stats(const nl_sim *sim) { return sim->stats; }

int nl_sim_set_net(nl_sim *sim, const nl_sim_net *net)
{
    if (!(net->drop >= 0 && net->drop <= 1) || !(net->duplicate >= 0 && net->duplicate <= 1) ||
        net->delay_min_ms > net->delay_max_ms)
        return -1;
    sim->net = *net;
    return 0;
}

void nl_sim_send(nl_sim *sim, int from, int to, const void *data, size_t len)
{
    if (!valid(sim, from) || !valid(sim, to) || !sim->up[from]) return;
    sim->stats.sent++;
    std::string bytes((const char *)data, len);
    if (nl_rng_chance(&sim->rng, sim->net.drop)) {
        sim->stats.dropped++;
        record(sim, TR_DROP, from, to, 0, bytes, "random loss");
        return;
    }
    int copies = nl_rng_chance(&sim->rng, sim->net.duplicate) ? 2 : 1;
    for (int c = 0; c < copies; c++) {
        Event ev;
        ev.kind = EV_MESSAGE;
        ev.from = from;
        ev.to = to;
        ev.copy = c == 1;
        ev.data = bytes;
        schedule(sim, nl_rng_range(&sim->rng, sim->net.delay_min_ms, sim->net.delay_max_ms), std::move(ev));
    }
    if (copies == 2) {
        sim->stats.duplicated++;
        record(sim, TR_DUPLICATE, from, to, 0, bytes);
    }
}

void nl_sim_set_timer(nl_sim *sim, int node, int timer_id, uint64_t delay_ms)
{
    if (!valid(sim, node) || !sim->up[node]) return;
    Event ev;
    ev.kind = EV_TIMER;
    ev.to = node;
    ev.timer_id = timer_id;
    ev.generation = ++sim->timer_gen[node][timer_id];
    schedule(sim, delay_ms, std::move(ev));
}

void nl_sim_cancel_timer(nl_sim *sim, int node, int timer_id)
{
    if (valid(sim, node)) ++sim->timer_gen[node][timer_id];
}

void nl_sim_at(nl_sim *sim, uint64_t delay_ms, void (*fn)(void *, nl_sim *), void *arg)
{
    Event ev;
    ev.kind = EV_CALL;
    ev.fn = fn;
    ev.arg = arg;
    schedule(sim, delay_ms, std::move(ev));
}

void nl_sim_partition(nl_sim *sim, const int *nodes, size_t count)
{
    int g = sim->next_group++;
    std::string text = "{";
    for (size_t i = 0; i < count; i++) {
        if (!valid(sim, nodes[i])) continue;
        sim->group[nodes[i]] = g;
        text += (text.size() > 1 ? "," : "") + std::to_string(nodes[i] + sim->node_base);
    }
    text += "} cut off from the others";
    record(sim, TR_PARTITION, -1, -1, 0, text);
}

void nl_sim_heal(nl_sim *sim)
{
    sim->group.assign(sim->n, 0);
    record(sim, TR_HEAL, -1, -1, 0, "");
}

bool nl_sim_can_talk(const nl_sim *sim, int a, int b)
{
    return valid(sim, a) && valid(sim, b) && sim->group[a] == sim->group[b];
}

void nl_sim_crash(nl_sim *sim, int node)
{
    if (!valid(sim, node) || !sim->up[node]) return;
    sim->up[node] = false;
    for (auto &t : sim->timer_gen[node]) ++t.second; // every armed timer becomes stale
    record(sim, TR_CRASH, -1, node, 0, "");
    if (sim->ops.on_crash) sim->ops.on_crash(sim->ctx, sim, node);
}

void nl_sim_restart(nl_sim *sim, int node)
{
    if (!valid(sim, node) || sim->up[node]) return;
    sim->up[node] = true;
    record(sim, TR_RESTART, -1, node, 0, "");
    if (sim->ops.on_restart) sim->ops.on_restart(sim->ctx, sim, node);
}

bool nl_sim_is_up(const nl_sim *sim, int node) { return valid(sim, node) && sim->up[node]; }

bool nl_sim_step(nl_sim *sim)
{
    if (sim->queue.empty()) return false;
    auto node = sim->queue.extract(sim->queue.begin());
    sim->now = node.key().first;
    Event &ev = node.mapped();
    sim->stats.events++;
    switch (ev.kind) {
    case EV_MESSAGE:
        if (!sim->up[ev.to]) {
            sim->stats.dropped++;
            record(sim, TR_LOST, ev.from, ev.to, 0, ev.data, "destination down");
        } else if (!nl_sim_can_talk(sim, ev.from, ev.to)) {
            sim->stats.dropped++;
            record(sim, TR_LOST, ev.from, ev.to, 0, ev.data, "partition");
        } else {
            sim->stats.delivered++;
            record(sim, TR_DELIVER, ev.from, ev.to, 0, ev.data, ev.copy ? "duplicate" : "");
            if (sim->ops.on_message)
                sim->ops.on_message(sim->ctx, sim, ev.to, ev.from, ev.data.data(), ev.data.size());
        }
        break;
    case EV_TIMER:
        if (sim->up[ev.to] && sim->timer_gen[ev.to][ev.timer_id] == ev.generation) {
            sim->stats.timers_fired++;
            record(sim, TR_TIMER, -1, ev.to, ev.timer_id, "");
            if (sim->ops.on_timer) sim->ops.on_timer(sim->ctx, sim, ev.to, ev.timer_id);
        }
        break;
    case EV_CALL:
        ev.fn(ev.arg, sim);
        break;
    }
    return true;
}

void nl_sim_run_until(nl_sim *sim, uint64_t t)
{
    while (!sim->queue.empty() && sim->queue.begin()->first.first <= t) nl_sim_step(sim);
    if (t > sim->now) sim->now = t;
}

void nl_sim_note(nl_sim *sim, const char *fmt, ...)
{
    if (sim->trace_keep == 0 && !sim->live) return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    record(sim, TR_NOTE, -1, -1, 0, buf);
}

void nl_sim_trace_keep(nl_sim *sim, size_t keep)
{
    sim->trace_keep = keep;
    while (sim->trace.size() > keep) sim->trace.pop_front();
}

void nl_sim_trace_print(const nl_sim *sim, FILE *out, size_t last_k)
{
    size_t start = (last_k && last_k < sim->trace.size()) ? sim->trace.size() - last_k : 0;
    char line[512];
    for (size_t i = start; i < sim->trace.size(); i++) {
        format_rec(sim, sim->trace[i], line, sizeof line);
        fprintf(out, "%s\n", line);
    }
}

void nl_sim_trace_live(nl_sim *sim, FILE *out) { sim->live = out; }
void nl_sim_trace_node_base(nl_sim *sim, int base) { sim->node_base = base; }
void nl_sim_trace_timer_name(nl_sim *sim, int timer_id, const char *name) { sim->timer_names[timer_id] = name; }
