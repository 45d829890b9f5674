// message_broker.cpp — reference for EX06. Each group keeps, per partition, its owner, the committed
// offset, the read position and the deliveries waiting for an ack (oldest first, so a timeout
// rewinds to the first unacknowledged offset and order within the partition is kept).
#include "message_broker.h"

#include "nl_clock.h"

#include <algorithm>
#include <deque>
#include <pthread.h>
#include <set>

// The broker's records. A named namespace, not an anonymous one: mb_broker (declared in the header)
// holds them, and the differential test compiles this file a second time inside `oracle`.
namespace mb_detail {

struct partition_log {
    mb_offset base = 0;                 // offset of msgs.front(); grows as retention drops messages
    std::deque<mb_message> msgs;
    mb_offset end() const { return base + msgs.size(); }
};
struct topic {
    mb_topic_config cfg;
    std::vector<partition_log> parts;
    uint64_t round_robin = 0;
    std::map<std::string, mb_publish_result> by_id;   // idempotent publish
};
struct delivery {
    mb_offset offset;
    uint64_t delivered_at;
};
struct pstate {
    std::string owner;
    mb_offset committed = 0;   // next offset the group has not acknowledged
    mb_offset position = 0;    // next offset to deliver
    std::deque<delivery> inflight;
};
struct member {
    std::vector<std::string> topics;
    mb_semantics sem;
};
struct group {
    std::map<std::string, member> members;
    std::map<mb_topic_partition, pstate> parts;
};

} // namespace mb_detail
using namespace mb_detail;

struct mb_broker {
    mb_config cfg;
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    std::map<std::string, topic> topics;
    std::map<std::string, group> groups;
};

namespace {

uint64_t monotonic_ms(void *) { return nl_now_ms(); }

struct locked {
    pthread_mutex_t *m;
    explicit locked(pthread_mutex_t *mu) : m(mu) { pthread_mutex_lock(m); }
    ~locked() { pthread_mutex_unlock(m); }
};

uint64_t now_of(const mb_broker *b) { return b->cfg.clock.now_ms(b->cfg.clock.ctx); }

mb_err fail(mb_error *err, mb_err code, const std::string &msg)
{
    if (err) {
        err->code = code;
        err->message = msg;
    }
    return code;
}

std::string tp_name(const mb_topic_partition &tp) { return tp.first + ":" + std::to_string(tp.second); }

mb_err bad_offset(mb_error *err, const mb_topic_partition &tp, mb_offset req, mb_offset lo, mb_offset hi,
                  const char *why)
{
    if (err) {
        err->requested = req;
        err->min_offset = lo;
        err->max_offset = hi;
    }
    return fail(err, MB_INVALID_OFFSET, "invalid offset " + std::to_string(req) + " on " + tp_name(tp) + ", valid range [" +
                                            std::to_string(lo) + ", " + std::to_string(hi) + "]: " + why);
}

bool empty_str(const char *s) { return s == nullptr || s[0] == '\0'; }

uint32_t partitions_of(const mb_broker *b, const mb_topic_config &tc)
{
    return tc.partitions ? tc.partitions : b->cfg.default_partitions;
}
size_t max_size_of(const mb_broker *b, const topic &t)
{
    return t.cfg.max_message_size ? t.cfg.max_message_size : b->cfg.max_message_size;
}

// Round robin of each topic's partitions over the members subscribed to it (sorted by id).
// A partition that changes owner restarts from the committed offset: its unacknowledged
// deliveries go to the new owner.
void rebalance(mb_broker *b, group &g)
{
    std::map<mb_topic_partition, std::string> owner;
    for (auto &[tname, t] : b->topics) {
        std::vector<std::string> subs;
        for (auto &[cid, m] : g.members)
            if (std::find(m.topics.begin(), m.topics.end(), tname) != m.topics.end()) subs.push_back(cid);
        if (subs.empty()) continue;
        for (uint32_t p = 0; p < t.parts.size(); p++) owner[{tname, p}] = subs[p % subs.size()];
    }
    for (auto it = g.parts.begin(); it != g.parts.end();) {
        if (!b->topics.count(it->first.first)) it = g.parts.erase(it);
        else ++it;
    }
    for (auto &[tp, o] : owner) {
        auto ins = g.parts.try_emplace(tp);
        pstate &ps = ins.first->second;
        if (ins.second) ps.committed = ps.position = b->topics[tp.first].parts[tp.second].base;
        if (ps.owner == o) continue;
        ps.owner = o;
        ps.position = ps.committed;
        ps.inflight.clear();
    }
    for (auto &[tp, ps] : g.parts)
        if (!owner.count(tp)) {
            ps.owner.clear();
            ps.position = ps.committed;
            ps.inflight.clear();
        }
}

// Finds the group and checks membership.
mb_err find_member(mb_broker *b, const char *gid, const char *cid, group **g, member **m, mb_error *err)
{
    if (empty_str(gid) || empty_str(cid)) return fail(err, MB_INVALID_ARG, "group and consumer ids must be non-empty");
    auto gi = b->groups.find(gid);
    if (gi == b->groups.end()) return fail(err, MB_GROUP_NOT_FOUND, "consumer group not found: " + std::string(gid));
    auto mi = gi->second.members.find(cid);
    if (mi == gi->second.members.end())
        return fail(err, MB_CONSUMER_NOT_REGISTERED,
                    "consumer '" + std::string(cid) + "' is not registered in group '" + gid + "'");
    *g = &gi->second;
    if (m) *m = &mi->second;
    return MB_OK;
}

// The consumer's partition state for tp, or an error when it does not own tp.
mb_err owned(mb_broker *b, group &g, const char *cid, const mb_topic_partition &tp, pstate **ps, mb_error *err)
{
    auto t = b->topics.find(tp.first);
    if (t == b->topics.end()) return fail(err, MB_TOPIC_NOT_FOUND, "topic not found: " + tp.first);
    if (tp.second >= t->second.parts.size()) return fail(err, MB_PARTITION_NOT_FOUND, "partition not found: " + tp_name(tp));
    auto it = g.parts.find(tp);
    if (it == g.parts.end() || it->second.owner != cid)
        return fail(err, MB_NOT_ASSIGNED, tp_name(tp) + " is not assigned to consumer '" + cid + "'");
    *ps = &it->second;
    return MB_OK;
}

// Retention moved a partition's first offset: every group's read position and commit move up to
// it, and the deliveries of dropped messages are no longer in flight.
void catch_up(mb_broker *b, const mb_topic_partition &tp, mb_offset base)
{
    for (auto &[gid, g] : b->groups) {
        auto it = g.parts.find(tp);
        if (it == g.parts.end()) continue;
        pstate &ps = it->second;
        while (!ps.inflight.empty() && ps.inflight.front().offset < base) ps.inflight.pop_front();
        ps.position = std::max(ps.position, base);
        ps.committed = std::max(ps.committed, base);
    }
}

mb_err publish_one(mb_broker *b, const std::string &tname, topic &t, const mb_message &m, mb_publish_result *out)
{
    if (!m.id.empty()) {
        auto d = t.by_id.find(m.id);
        if (d != t.by_id.end()) {
            if (out) *out = d->second;
            return MB_OK;
        }
    }
    uint32_t n = t.parts.size();
    uint32_t p = m.has_key ? mb_partition_for_key(m.key, n) : (uint32_t)(t.round_robin++ % n);
    partition_log &log = t.parts[p];
    mb_offset off = log.end();
    mb_message copy = m;
    copy.timestamp_ms = now_of(b);
    if (copy.id.empty()) copy.id = tname + "/" + std::to_string(p) + "/" + std::to_string(off);
    log.msgs.push_back(copy);
    mb_publish_result r{tname, p, off, copy.id};
    t.by_id[copy.id] = r;
    if (out) *out = r;
    return MB_OK;
}

} // namespace

const char *mb_err_name(mb_err e)
{
    switch (e) {
    case MB_OK: return "ok";
    case MB_TOPIC_NOT_FOUND: return "topic not found";
    case MB_TOPIC_EXISTS: return "topic already exists";
    case MB_PARTITION_NOT_FOUND: return "partition not found";
    case MB_GROUP_NOT_FOUND: return "group not found";
    case MB_CONSUMER_NOT_REGISTERED: return "consumer not registered";
    case MB_MESSAGE_TOO_LARGE: return "message too large";
    case MB_INVALID_OFFSET: return "invalid offset";
    case MB_TOO_MANY_UNACKED: return "too many unacked";
    case MB_NOT_ASSIGNED: return "partition not assigned";
    case MB_INVALID_ARG: return "invalid argument";
    }
    return "unknown error";
}

void mb_config_default(mb_config *cfg)
{
    cfg->default_partitions = 4;
    cfg->retention_ms = 86400000;
    cfg->max_message_size = 1048576;
    cfg->ack_timeout_ms = 30000;
    cfg->max_unacked_messages = 1000;
    cfg->clock = {nullptr, nullptr};
}

mb_broker *mb_new(const mb_config *cfg)
{
    mb_broker *b = new mb_broker;
    if (cfg) b->cfg = *cfg;
    else mb_config_default(&b->cfg);
    if (!b->cfg.clock.now_ms) b->cfg.clock = {monotonic_ms, nullptr};
    if (b->cfg.default_partitions == 0) b->cfg.default_partitions = 1;
    return b;
}

void mb_free(mb_broker *b)
{
    if (b) pthread_mutex_destroy(&b->mu);
    delete b;
}

uint32_t mb_partition_for_key(const std::string &key, uint32_t partitions)
{
    uint64_t h = 14695981039346656037ull;          // FNV-1a 64: same answer on every platform
    for (unsigned char c : key) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return partitions ? (uint32_t)(h % partitions) : 0;
}

mb_err mb_create_topic(mb_broker *b, const mb_topic_config *tc, mb_error *err)
{
    if (!b || !tc || tc->name.empty()) return fail(err, MB_INVALID_ARG, "a topic needs a non-empty name");
    locked l(&b->mu);
    if (b->topics.count(tc->name)) return fail(err, MB_TOPIC_EXISTS, "topic already exists: " + tc->name);
    topic t;
    t.cfg = *tc;
    t.cfg.partitions = partitions_of(b, *tc);
    t.parts.resize(t.cfg.partitions);
    b->topics[tc->name] = std::move(t);
    for (auto &[gid, g] : b->groups) rebalance(b, g);   // members already subscribed to that name
    return MB_OK;
}

mb_err mb_delete_topic(mb_broker *b, const char *topic_name, mb_error *err)
{
    if (!b || empty_str(topic_name)) return fail(err, MB_INVALID_ARG, "topic name must be non-empty");
    locked l(&b->mu);
    if (!b->topics.erase(topic_name)) return fail(err, MB_TOPIC_NOT_FOUND, "topic not found: " + std::string(topic_name));
    for (auto &[gid, g] : b->groups) rebalance(b, g);
    return MB_OK;
}

std::vector<std::string> mb_list_topics(mb_broker *b)
{
    std::vector<std::string> v;
    if (!b) return v;
    locked l(&b->mu);
    for (auto &[name, t] : b->topics) v.push_back(name);
    return v;
}

bool mb_get_topic_config(mb_broker *b, const char *name, mb_topic_config *out)
{
    if (!b || empty_str(name)) return false;
    locked l(&b->mu);
    auto t = b->topics.find(name);
    if (t == b->topics.end()) return false;
    if (out) *out = t->second.cfg;
    return true;
}

mb_err mb_publish(mb_broker *b, const char *topic_name, const mb_message *m, mb_publish_result *out, mb_error *err)
{
    if (!b || !m || empty_str(topic_name)) return fail(err, MB_INVALID_ARG, "topic name and message are required");
    std::vector<mb_publish_result> res;
    mb_err rc = mb_publish_batch(b, topic_name, {*m}, &res, err);
    if (rc == MB_OK && out) *out = res[0];
    return rc;
}

mb_err mb_publish_batch(mb_broker *b, const char *topic_name, const std::vector<mb_message> &ms,
                        std::vector<mb_publish_result> *out, mb_error *err)
{
    if (!b || empty_str(topic_name)) return fail(err, MB_INVALID_ARG, "topic name must be non-empty");
    locked l(&b->mu);
    auto ti = b->topics.find(topic_name);
    if (ti == b->topics.end()) return fail(err, MB_TOPIC_NOT_FOUND, "topic not found: " + std::string(topic_name));
    topic &t = ti->second;
    size_t max = max_size_of(b, t);
    for (const mb_message &m : ms) {
        if (m.payload.size() > max) {
            if (err) {
                err->size = m.payload.size();
                err->max = max;
            }
            return fail(err, MB_MESSAGE_TOO_LARGE, "message too large for '" + std::string(topic_name) + "': " +
                                                       std::to_string(m.payload.size()) + " > " + std::to_string(max) +
                                                       " bytes");
        }
    }
    if (out) out->clear();
    for (const mb_message &m : ms) {
        mb_publish_result r;
        publish_one(b, topic_name, t, m, &r);
        if (out) out->push_back(r);
    }
    return MB_OK;
}

mb_err mb_join_group(mb_broker *b, const char *gid, const char *cid, const std::vector<std::string> &topics,
                     mb_semantics sem, mb_error *err)
{
    if (!b || empty_str(gid) || empty_str(cid) || topics.empty())
        return fail(err, MB_INVALID_ARG, "group id, consumer id and at least one topic are required");
    locked l(&b->mu);
    for (const std::string &t : topics)
        if (!b->topics.count(t)) return fail(err, MB_TOPIC_NOT_FOUND, "topic not found: " + t);
    group &g = b->groups[gid];
    g.members[cid] = member{topics, sem};
    rebalance(b, g);
    return MB_OK;
}

mb_err mb_leave_group(mb_broker *b, const char *gid, const char *cid, mb_error *err)
{
    if (!b) return fail(err, MB_INVALID_ARG, "no broker");
    locked l(&b->mu);
    group *g;
    mb_err rc = find_member(b, gid, cid, &g, nullptr, err);
    if (rc != MB_OK) return rc;
    g->members.erase(cid);
    rebalance(b, *g);
    return MB_OK;
}

mb_err mb_rebalance_group(mb_broker *b, const char *gid, mb_error *err)
{
    if (!b || empty_str(gid)) return fail(err, MB_INVALID_ARG, "group id must be non-empty");
    locked l(&b->mu);
    auto gi = b->groups.find(gid);
    if (gi == b->groups.end()) return fail(err, MB_GROUP_NOT_FOUND, "consumer group not found: " + std::string(gid));
    rebalance(b, gi->second);
    return MB_OK;
}

std::vector<mb_topic_partition> mb_assignment(mb_broker *b, const char *gid, const char *cid)
{
    std::vector<mb_topic_partition> v;
    if (!b || empty_str(gid) || empty_str(cid)) return v;
    locked l(&b->mu);
    auto gi = b->groups.find(gid);
    if (gi == b->groups.end()) return v;
    for (auto &[tp, ps] : gi->second.parts)
        if (ps.owner == cid) v.push_back(tp);
    return v;
}

mb_err mb_poll(mb_broker *b, const char *gid, const char *cid, size_t max_messages, uint64_t,
               std::vector<mb_consumed> *out, mb_error *err)
{
    if (!b || !out) return fail(err, MB_INVALID_ARG, "broker and output are required");
    locked l(&b->mu);
    group *g;
    member *m;
    mb_err rc = find_member(b, gid, cid, &g, &m, err);
    if (rc != MB_OK) return rc;
    out->clear();
    uint64_t now = now_of(b);
    bool acked = m->sem != MB_AT_MOST_ONCE;
    size_t unacked = 0;
    for (auto &[tp, ps] : g->parts) {
        if (ps.owner != cid) continue;
        if (!ps.inflight.empty() && now - ps.inflight.front().delivered_at >= b->cfg.ack_timeout_ms) {
            ps.position = ps.inflight.front().offset;
            ps.inflight.clear();
        }
        unacked += ps.inflight.size();
    }
    if (acked && unacked >= b->cfg.max_unacked_messages)
        return fail(err, MB_TOO_MANY_UNACKED, "consumer '" + std::string(cid) + "' has " + std::to_string(unacked) +
                                                  " unacknowledged messages (limit " +
                                                  std::to_string(b->cfg.max_unacked_messages) + "): acknowledge first");
    size_t budget = max_messages;
    if (acked) budget = std::min(budget, b->cfg.max_unacked_messages - unacked);
    for (auto &[tp, ps] : g->parts) {
        if (ps.owner != cid) continue;
        const partition_log &log = b->topics[tp.first].parts[tp.second];
        while (budget > 0 && ps.position < log.end()) {
            out->push_back({log.msgs[ps.position - log.base], tp.first, tp.second, ps.position});
            if (acked) ps.inflight.push_back({ps.position, now});
            ps.position++;
            if (!acked) ps.committed = ps.position;
            budget--;
        }
    }
    return MB_OK;
}

mb_err mb_acknowledge(mb_broker *b, const char *gid, const char *cid, const mb_offsets &offsets, mb_error *err)
{
    if (!b) return fail(err, MB_INVALID_ARG, "no broker");
    locked l(&b->mu);
    group *g;
    mb_err rc = find_member(b, gid, cid, &g, nullptr, err);
    if (rc != MB_OK) return rc;
    for (auto &[tp, n] : offsets) {           // check every entry first: all or nothing
        pstate *ps;
        if ((rc = owned(b, *g, cid, tp, &ps, err)) != MB_OK) return rc;
        if (n >= ps->position)
            return bad_offset(err, tp, n, 0, ps->position ? ps->position - 1 : 0, "not delivered yet");
    }
    for (auto &[tp, n] : offsets) {
        pstate &ps = g->parts[tp];
        while (!ps.inflight.empty() && ps.inflight.front().offset <= n) ps.inflight.pop_front();
        ps.committed = std::max(ps.committed, n + 1);
    }
    return MB_OK;
}

mb_err mb_nack(mb_broker *b, const char *gid, const char *cid, const mb_offsets &offsets, mb_error *err)
{
    if (!b) return fail(err, MB_INVALID_ARG, "no broker");
    locked l(&b->mu);
    group *g;
    mb_err rc = find_member(b, gid, cid, &g, nullptr, err);
    if (rc != MB_OK) return rc;
    for (auto &[tp, n] : offsets) {
        pstate *ps;
        if ((rc = owned(b, *g, cid, tp, &ps, err)) != MB_OK) return rc;
        if (n > ps->position) return bad_offset(err, tp, n, 0, ps->position, "not delivered yet");
    }
    for (auto &[tp, n] : offsets) {
        pstate &ps = g->parts[tp];
        while (!ps.inflight.empty() && ps.inflight.back().offset >= n) ps.inflight.pop_back();
        ps.position = n;
    }
    return MB_OK;
}

mb_err mb_commit_offsets(mb_broker *b, const char *gid, const char *cid, const mb_offsets &offsets, mb_error *err)
{
    if (!b) return fail(err, MB_INVALID_ARG, "no broker");
    locked l(&b->mu);
    group *g;
    mb_err rc = find_member(b, gid, cid, &g, nullptr, err);
    if (rc != MB_OK) return rc;
    for (auto &[tp, n] : offsets) {
        pstate *ps;
        if ((rc = owned(b, *g, cid, tp, &ps, err)) != MB_OK) return rc;
        const partition_log &log = b->topics[tp.first].parts[tp.second];
        if (n < log.base || n > log.end()) return bad_offset(err, tp, n, log.base, log.end(), "outside the log");
    }
    for (auto &[tp, n] : offsets) g->parts[tp].committed = n;
    return MB_OK;
}

mb_offsets mb_get_committed_offsets(mb_broker *b, const char *gid)
{
    mb_offsets o;
    if (!b || empty_str(gid)) return o;
    locked l(&b->mu);
    auto gi = b->groups.find(gid);
    if (gi == b->groups.end()) return o;
    for (auto &[tp, ps] : gi->second.parts) o[tp] = ps.committed;
    return o;
}

// where: 0 = offset, 1 = beginning, 2 = end
static mb_err seek_to(mb_broker *b, const char *gid, const char *cid, const char *tname, uint32_t p, mb_offset off,
                      int where, mb_error *err)
{
    if (!b || empty_str(tname)) return fail(err, MB_INVALID_ARG, "topic name must be non-empty");
    locked l(&b->mu);
    group *g;
    mb_err rc = find_member(b, gid, cid, &g, nullptr, err);
    if (rc != MB_OK) return rc;
    mb_topic_partition tp{tname, p};
    pstate *ps;
    if ((rc = owned(b, *g, cid, tp, &ps, err)) != MB_OK) return rc;
    const partition_log &log = b->topics[tname].parts[p];
    if (where == 1) off = log.base;
    if (where == 2) off = log.end();
    if (off < log.base || off > log.end()) return bad_offset(err, tp, off, log.base, log.end(), "outside the log");
    ps->position = off;
    ps->inflight.clear();
    return MB_OK;
}

mb_err mb_seek(mb_broker *b, const char *gid, const char *cid, const char *topic_name, uint32_t p, mb_offset off,
               mb_error *err)
{
    return seek_to(b, gid, cid, topic_name, p, off, 0, err);
}

mb_err mb_seek_to_beginning(mb_broker *b, const char *gid, const char *cid, const char *topic_name, uint32_t p,
                            mb_error *err)
{
    return seek_to(b, gid, cid, topic_name, p, 0, 1, err);
}

mb_err mb_seek_to_end(mb_broker *b, const char *gid, const char *cid, const char *topic_name, uint32_t p,
                      mb_error *err)
{
    return seek_to(b, gid, cid, topic_name, p, 0, 2, err);
}

size_t mb_cleanup_expired(mb_broker *b)
{
    if (!b) return 0;
    locked l(&b->mu);
    uint64_t now = now_of(b);
    size_t n = 0;
    for (auto &[name, t] : b->topics) {
        uint64_t keep = t.cfg.retention_ms ? t.cfg.retention_ms : b->cfg.retention_ms;
        for (uint32_t p = 0; p < t.parts.size(); p++) {
            partition_log &log = t.parts[p];
            mb_offset first = log.base;
            while (!log.msgs.empty() && now - log.msgs.front().timestamp_ms >= keep) {
                t.by_id.erase(log.msgs.front().id);
                log.msgs.pop_front();
                log.base++;
                n++;
            }
            if (log.base != first) catch_up(b, {name, p}, log.base);
        }
    }
    return n;
}

mb_stats mb_get_stats(mb_broker *b)
{
    mb_stats s{};
    if (!b) return s;
    locked l(&b->mu);
    s.total_topics = b->topics.size();
    s.total_consumer_groups = b->groups.size();
    for (auto &[name, t] : b->topics) {
        uint64_t n = 0;
        for (const partition_log &log : t.parts) n += log.msgs.size();
        s.total_partitions += t.parts.size();
        s.messages_per_topic[name] = n;
        s.total_messages += n;
    }
    return s;
}
