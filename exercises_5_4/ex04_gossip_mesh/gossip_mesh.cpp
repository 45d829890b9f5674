// gossip_mesh.cpp — reference SWIM state machine for EX04 (Das, Gupta, Motivala 2002, with the
// suspicion and incarnation rules of its section 4.2 and memberlist's retransmit limit).
#include "gossip_mesh.h"

#include "nl_clock.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace gm_detail { // named: gm_protocol holds these, and the oracle build wraps it in namespace oracle

struct probe {
    uint64_t seq;
    bool acked;
};
struct relay {                   // a ping we send on behalf of a PingReq
    std::string requester_address;
    uint64_t requester_seq;
};
struct pending_update {
    gm_update update;
    int transmits;
};

uint64_t monotonic_ms(void *) { return nl_now_ms(); }

} // namespace gm_detail
using namespace gm_detail;

struct gm_protocol {
    gm_config cfg;
    gm_member self;
    std::map<std::string, gm_member> members;      // everyone but self
    std::map<std::string, uint64_t> suspect_deadline;
    std::vector<std::string> seeds;
    std::vector<std::string> probe_order;
    size_t probe_next = 0;
    uint64_t periods = 0;
    uint64_t next_seq = 1;
    std::map<std::string, probe> probes;            // by target id
    std::map<uint64_t, relay> relays;               // by the seq of our relayed ping
    std::map<std::string, pending_update> queue;    // newest update per member id
    uint64_t rng;
};

namespace {

uint64_t now_of(const gm_protocol *p) { return p->cfg.clock.now_ms(p->cfg.clock.ctx); }

uint64_t next_random(gm_protocol *p)
{
    uint64_t z = (p->rng += 0x9e3779b97f4a7c15ull);   // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void shuffle(gm_protocol *p, std::vector<std::string> &v)
{
    for (size_t i = v.size(); i > 1; i--) std::swap(v[i - 1], v[next_random(p) % i]);
}

bool reachable(const gm_member &m) { return m.state == GM_ALIVE || m.state == GM_SUSPECT; }

size_t live_count(const gm_protocol *p)
{
    size_t n = p->self.state == GM_ALIVE ? 1 : 0;
    for (auto &[id, m] : p->members) n += reachable(m);
    return n;
}

// Up to k random reachable members, excluding `except`.
std::vector<const gm_member *> pick(gm_protocol *p, size_t k, const std::string &except)
{
    std::vector<std::string> ids;
    for (auto &[id, m] : p->members)
        if (reachable(m) && id != except) ids.push_back(id);
    shuffle(p, ids);
    std::vector<const gm_member *> out;
    for (size_t i = 0; i < ids.size() && i < k; i++) out.push_back(&p->members[ids[i]]);
    return out;
}

gm_update update_of(const gm_member &m, bool with_meta)
{
    return gm_update{m.id, m.state, m.incarnation, m.address, with_meta, with_meta ? m.metadata : gm_metadata{}};
}

void enqueue(gm_protocol *p, const gm_update &u) { p->queue[u.id] = {u, 0}; }

int retransmit_limit(const gm_protocol *p)
{
    return p->cfg.retransmit_multiplier * (int)std::ceil(std::log10((double)live_count(p) + 1.0));
}

// The least-sent pending updates, at most max_piggyback; each pick counts as one transmission.
std::vector<gm_update> piggyback(gm_protocol *p)
{
    std::vector<pending_update *> all;
    for (auto &[id, pu] : p->queue) all.push_back(&pu);
    std::stable_sort(all.begin(), all.end(),
                     [](const pending_update *a, const pending_update *b) { return a->transmits < b->transmits; });
    std::vector<gm_update> out;
    int limit = retransmit_limit(p);
    for (pending_update *pu : all) {
        if ((int)out.size() >= p->cfg.max_piggyback) break;
        out.push_back(pu->update);
        pu->transmits++;
    }
    for (auto it = p->queue.begin(); it != p->queue.end();) {
        if (it->second.transmits >= limit) it = p->queue.erase(it);
        else ++it;
    }
    return out;
}

void send(gm_actions &acts, const std::string &to, const gm_message &m)
{
    gm_action a{};
    a.type = GM_SEND;
    a.to = to;
    a.message = m;
    acts.push_back(a);
}

void timer(gm_actions &acts, const std::string &name, uint64_t delay)
{
    gm_action a{};
    a.type = GM_SCHEDULE_TIMER;
    a.timer = name;
    a.delay_ms = delay;
    acts.push_back(a);
}

void changed(gm_actions &acts, const std::string &id, gm_state from, gm_state to)
{
    gm_action a{};
    a.type = GM_MEMBERSHIP_CHANGE;
    a.member = id;
    a.old_state = from;
    a.new_state = to;
    acts.push_back(a);
}

// multiplier * probe_interval, scaled by log10(n) from 10 members up (as memberlist does): the
// rumour must reach the suspect and its refutation come back, which takes O(log n) periods.
uint64_t suspicion_timeout(const gm_protocol *p)
{
    double scale = std::max(1.0, std::log10((double)live_count(p)));
    return (uint64_t)((double)p->cfg.suspicion_multiplier * scale * (double)p->cfg.probe_interval_ms);
}

void set_state(gm_protocol *p, gm_actions &acts, gm_member &m, gm_state st, uint64_t inc)
{
    gm_state old = m.state;
    m.state = st;
    m.incarnation = inc;
    m.last_update_ms = now_of(p);
    if (st == GM_SUSPECT) {
        p->suspect_deadline[m.id] = now_of(p) + suspicion_timeout(p);
        timer(acts, "suspicion_timeout_" + m.id, suspicion_timeout(p));
    } else {
        p->suspect_deadline.erase(m.id);
    }
    if (old != st) changed(acts, m.id, old, st);
}

// Pushes the pending updates to `fanout` members, or to the seeds while we know nobody.
void push_gossip(gm_protocol *p, gm_actions &acts)
{
    if (p->queue.empty()) return;
    std::vector<std::string> to;
    for (const gm_member *m : pick(p, p->cfg.fanout, "")) to.push_back(m->address);
    if (to.empty()) to = p->seeds;
    for (const std::string &addr : to) {
        gm_message g{};
        g.type = GM_GOSSIP;
        g.from = p->self.id;
        g.updates = piggyback(p);
        if (g.updates.empty()) break;
        send(acts, addr, g);
    }
}

// Someone says we are suspect or dead: outlive the rumour with a higher incarnation.
void refute(gm_protocol *p, gm_actions &acts, const gm_update &u, const std::string &from_address)
{
    if (u.incarnation < p->self.incarnation || p->self.state == GM_LEFT) return;
    p->self.incarnation = u.incarnation + 1;
    gm_update alive = update_of(p->self, true);
    enqueue(p, alive);
    gm_message g{};
    g.type = GM_GOSSIP;
    g.from = p->self.id;
    g.updates = {alive};
    send(acts, from_address, g);
}

// The SWIM ordering of updates about one member (higher incarnation wins; at equal incarnation
// suspect beats alive and dead beats both; left is final). Returns true when the update was news.
bool apply(gm_protocol *p, gm_actions &acts, const gm_update &u, const std::string &from_address, bool rebroadcast)
{
    if (u.id.empty()) return false;
    if (u.id == p->self.id) {
        if (u.state == GM_SUSPECT || u.state == GM_DEAD) refute(p, acts, u, from_address);
        return false;
    }
    auto it = p->members.find(u.id);
    if (it == p->members.end()) {
        if ((u.state != GM_ALIVE && u.state != GM_SUSPECT) || u.address.empty()) return false;
        gm_member m{u.id, u.address, GM_UNKNOWN, u.incarnation, u.metadata, now_of(p)};
        gm_member &nm = p->members[u.id] = m;
        p->probe_order.push_back(u.id);
        set_state(p, acts, nm, u.state, u.incarnation);
        if (rebroadcast) enqueue(p, update_of(nm, true));
        return true;
    }
    gm_member &m = it->second;
    bool news = false;
    switch (u.state) {
    case GM_ALIVE:
        news = m.state != GM_LEFT && u.incarnation > m.incarnation;
        break;
    case GM_SUSPECT:
        news = (m.state == GM_ALIVE && u.incarnation >= m.incarnation) ||
               (m.state == GM_SUSPECT && u.incarnation > m.incarnation);
        break;
    case GM_DEAD:
        news = (m.state == GM_ALIVE || m.state == GM_SUSPECT) && u.incarnation >= m.incarnation;
        break;
    case GM_LEFT:
        news = m.state != GM_LEFT && u.incarnation >= m.incarnation;
        break;
    default:
        break;
    }
    if (!news) return false;
    if (!u.address.empty()) m.address = u.address;
    if (u.has_metadata) m.metadata = u.metadata;
    set_state(p, acts, m, u.state, u.incarnation);
    if (rebroadcast) enqueue(p, update_of(m, u.has_metadata));
    return true;
}

void suspect(gm_protocol *p, gm_actions &acts, const std::string &id)
{
    auto it = p->members.find(id);
    if (it == p->members.end() || it->second.state != GM_ALIVE) return;
    set_state(p, acts, it->second, GM_SUSPECT, it->second.incarnation);
    enqueue(p, update_of(it->second, false));
}

} // namespace

const char *gm_state_name(gm_state s)
{
    switch (s) {
    case GM_ALIVE: return "alive";
    case GM_SUSPECT: return "suspect";
    case GM_DEAD: return "dead";
    case GM_LEFT: return "left";
    default: return "unknown";
    }
}

void gm_config_default(gm_config *c)
{
    c->probe_interval_ms = 1000;
    c->probe_timeout_ms = 500;
    c->indirect_probes = 3;
    c->suspicion_multiplier = 5;
    c->fanout = 3;
    c->max_piggyback = 10;
    c->retransmit_multiplier = 4;
    c->dead_retention_ms = 30000;
    c->sync_interval_periods = 10;
    c->seed = 1;
    c->clock = {nullptr, nullptr};
}

gm_protocol *gm_new(const char *self_id, const char *self_address, const gm_config *cfg)
{
    if (!self_id || !*self_id || !self_address) return nullptr;
    gm_protocol *p = new gm_protocol;
    if (cfg) p->cfg = *cfg;
    else gm_config_default(&p->cfg);
    if (!p->cfg.clock.now_ms) p->cfg.clock = {monotonic_ms, nullptr};
    p->self = gm_member{self_id, self_address, GM_ALIVE, 0, {}, now_of(p)};
    p->rng = p->cfg.seed;
    for (const char *c = self_id; *c; c++) p->rng = p->rng * 131 + (unsigned char)*c;   // per-node stream
    return p;
}

void gm_free(gm_protocol *p) { delete p; }

gm_actions gm_bootstrap(gm_protocol *p, const std::vector<std::string> &seeds)
{
    gm_actions acts;
    for (const std::string &s : seeds) {
        if (s == p->self.address) continue;
        p->seeds.push_back(s);
        gm_message m{};
        m.type = GM_SYNC_REQUEST;
        m.from = p->self.id;
        send(acts, s, m);
    }
    return acts;
}

gm_actions gm_tick(gm_protocol *p)
{
    gm_actions acts;
    uint64_t now = now_of(p);
    for (auto it = p->members.begin(); it != p->members.end();) {
        gm_member &m = it->second;
        if ((m.state == GM_DEAD || m.state == GM_LEFT) && now - m.last_update_ms >= p->cfg.dead_retention_ms) {
            p->queue.erase(it->first);
            it = p->members.erase(it);
        } else {
            ++it;
        }
    }
    if (p->self.state == GM_ALIVE) {
        for (size_t tries = 0; tries <= p->probe_order.size(); tries++) {
            if (p->probe_next >= p->probe_order.size()) {
                std::vector<std::string> ids;        // a fresh shuffled round over current members
                for (auto &[id, m] : p->members)
                    if (reachable(m)) ids.push_back(id);
                shuffle(p, ids);
                p->probe_order = ids;
                p->probe_next = 0;
                if (ids.empty()) break;
            }
            std::string id = p->probe_order[p->probe_next++];
            auto it = p->members.find(id);
            if (it == p->members.end() || !reachable(it->second) || p->probes.count(id)) continue;
            uint64_t seq = p->next_seq++;
            p->probes[id] = {seq, false};
            gm_message ping{};
            ping.type = GM_PING;
            ping.seq = seq;
            ping.from = p->self.id;
            ping.updates = piggyback(p);
            send(acts, it->second.address, ping);
            timer(acts, "probe_timeout_" + id, p->cfg.probe_timeout_ms);
            break;
        }
    }
    std::vector<std::string> sync_to;
    p->periods++;
    if (p->self.state == GM_ALIVE && live_count(p) == 1) {
        sync_to = p->seeds;                          // nobody answered our join yet: ask again
    } else if (p->self.state == GM_ALIVE && p->cfg.sync_interval_periods > 0 &&
               p->periods % (uint64_t)p->cfg.sync_interval_periods == 0) {
        for (const gm_member *m : pick(p, 1, "")) sync_to.push_back(m->address);
    }
    for (const std::string &s : sync_to) {
        gm_message m{};
        m.type = GM_SYNC_REQUEST;
        m.from = p->self.id;
        send(acts, s, m);
    }
    push_gossip(p, acts);
    return acts;
}

gm_actions gm_handle_message(gm_protocol *p, const char *from_address, const gm_message *m)
{
    gm_actions acts;
    if (!m || !from_address) return acts;
    std::string from = from_address;
    bool rebroadcast = m->type != GM_SYNC;          // a full state transfer is not news to spread
    for (const gm_update &u : m->updates) apply(p, acts, u, from, rebroadcast);
    switch (m->type) {
    case GM_PING: {
        gm_message ack{};
        ack.type = GM_ACK;
        ack.seq = m->seq;
        ack.from = p->self.id;
        ack.updates = piggyback(p);
        send(acts, from, ack);
        break;
    }
    case GM_ACK: {
        auto r = p->relays.find(m->seq);
        if (r != p->relays.end()) {
            gm_message fwd{};
            fwd.type = GM_ACK;
            fwd.seq = r->second.requester_seq;
            fwd.from = m->from;
            send(acts, r->second.requester_address, fwd);
            p->relays.erase(r);
            break;
        }
        auto pr = p->probes.find(m->from);
        if (pr != p->probes.end() && pr->second.seq == m->seq) pr->second.acked = true;
        break;
    }
    case GM_PING_REQ: {
        auto t = p->members.find(m->target);
        if (t == p->members.end() || !reachable(t->second)) break;
        uint64_t seq = p->next_seq++;
        p->relays[seq] = {from, m->seq};
        if (p->relays.size() > 1024) p->relays.erase(p->relays.begin());   // lost acks never pile up
        gm_message ping{};
        ping.type = GM_PING;
        ping.seq = seq;
        ping.from = p->self.id;
        send(acts, t->second.address, ping);
        break;
    }
    case GM_SYNC_REQUEST: {
        gm_update joiner{m->from, GM_ALIVE, 0, from, false, {}};
        auto known = p->members.find(m->from);
        if (known == p->members.end()) apply(p, acts, joiner, from, true);
        gm_message sync{};
        sync.type = GM_SYNC;
        sync.from = p->self.id;
        sync.updates.push_back(update_of(p->self, true));
        for (auto &[id, mem] : p->members) sync.updates.push_back(update_of(mem, true));
        send(acts, from, sync);
        break;
    }
    case GM_GOSSIP:
    case GM_SYNC:
        break;
    }
    return acts;
}

gm_actions gm_handle_timer(gm_protocol *p, const char *name)
{
    gm_actions acts;
    std::string n = name ? name : "";
    auto starts = [&](const char *prefix, std::string *id) {
        size_t len = strlen(prefix);
        if (n.compare(0, len, prefix) != 0) return false;
        *id = n.substr(len);
        return true;
    };
    std::string id;
    if (starts("probe_timeout_", &id)) {
        auto pr = p->probes.find(id);
        if (pr == p->probes.end()) return acts;
        if (pr->second.acked) {
            p->probes.erase(pr);
            return acts;
        }
        std::vector<const gm_member *> helpers = pick(p, p->cfg.indirect_probes, id);
        if (helpers.empty()) {                      // nobody to ask: the direct probe decides
            p->probes.erase(pr);
            suspect(p, acts, id);
            return acts;
        }
        for (const gm_member *h : helpers) {
            gm_message req{};
            req.type = GM_PING_REQ;
            req.seq = pr->second.seq;
            req.from = p->self.id;
            req.target = id;
            req.updates = piggyback(p);
            send(acts, h->address, req);
        }
        uint64_t rest = p->cfg.probe_interval_ms > p->cfg.probe_timeout_ms ? p->cfg.probe_interval_ms - p->cfg.probe_timeout_ms : 1;
        timer(acts, "indirect_timeout_" + id, rest);
    } else if (starts("indirect_timeout_", &id)) {
        auto pr = p->probes.find(id);
        if (pr == p->probes.end()) return acts;
        bool acked = pr->second.acked;
        p->probes.erase(pr);
        if (!acked) suspect(p, acts, id);
    } else if (starts("suspicion_timeout_", &id)) {
        auto it = p->members.find(id);
        auto dl = p->suspect_deadline.find(id);
        if (it == p->members.end() || it->second.state != GM_SUSPECT || dl == p->suspect_deadline.end()) return acts;
        if (now_of(p) < dl->second) return acts;   // a newer suspicion re-armed the timer
        set_state(p, acts, it->second, GM_DEAD, it->second.incarnation);
        enqueue(p, update_of(it->second, false));
    }
    return acts;
}

gm_actions gm_update_metadata(gm_protocol *p, const char *key, const char *value)
{
    gm_actions acts;
    if (!key || !value) return acts;
    p->self.metadata[key] = value;
    p->self.incarnation++;
    enqueue(p, update_of(p->self, true));
    push_gossip(p, acts);
    return acts;
}

gm_actions gm_leave(gm_protocol *p)
{
    gm_actions acts;
    if (p->self.state == GM_LEFT) return acts;
    p->self.state = GM_LEFT;
    p->queue.clear();                              // the only news that matters now
    enqueue(p, update_of(p->self, false));
    std::vector<std::string> to;
    for (auto &[id, m] : p->members)
        if (reachable(m)) to.push_back(m.address);
    if (to.empty()) to = p->seeds;
    gm_message g{};
    g.type = GM_GOSSIP;
    g.from = p->self.id;
    g.updates = {update_of(p->self, false)};
    for (const std::string &addr : to) send(acts, addr, g);
    return acts;
}

std::vector<std::string> gm_alive_members(gm_protocol *p)
{
    std::vector<std::string> v;
    if (p->self.state == GM_ALIVE) v.push_back(p->self.id);
    for (auto &[id, m] : p->members)
        if (m.state == GM_ALIVE) v.push_back(id);
    std::sort(v.begin(), v.end());
    return v;
}

std::vector<gm_member> gm_all_members(gm_protocol *p)
{
    std::vector<gm_member> v{p->self};
    for (auto &[id, m] : p->members) v.push_back(m);
    return v;
}

size_t gm_cluster_size(gm_protocol *p) { return live_count(p); }

bool gm_get_member(gm_protocol *p, const char *id, gm_member *out)
{
    if (!id) return false;
    if (p->self.id == id) {
        if (out) *out = p->self;
        return true;
    }
    auto it = p->members.find(id);
    if (it == p->members.end()) return false;
    if (out) *out = it->second;
    return true;
}

bool gm_is_alive(gm_protocol *p, const char *id)
{
    gm_member m;
    return gm_get_member(p, id, &m) && m.state == GM_ALIVE;
}

bool gm_get_metadata(gm_protocol *p, const char *id, gm_metadata *out)
{
    gm_member m;
    if (!gm_get_member(p, id, &m)) return false;
    if (out) *out = m.metadata;
    return true;
}

uint64_t gm_incarnation(gm_protocol *p) { return p->self.incarnation; }
