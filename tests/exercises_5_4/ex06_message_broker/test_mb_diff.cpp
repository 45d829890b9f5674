// test_mb_diff.cpp — the EX06 differential test: random sequences of publishes and batches (keys,
// ids, sizes around the limits), topic creation and deletion, joins, leaves, rebalances, polls,
// acks, nacks, commits, seeks, cleanups and clock moves on two groups of three consumers, applied to
// the submission and to the reference oracle on one virtual clock. After each step the op's results
// and every observable the README's rules fix (assignments, committed offsets, stats, topics) are
// compared; never the wording of a message.
#include "message_broker.h"
#include "nl_diff.h"
#include "nl_test.h"
#include "oracle/message_broker.h"

#include <cstdio>
#include <string>
#include <vector>

void test_differential_random_histories(void **);

namespace {
enum { NTOPICS = 4, NGROUPS = 3, NCONS = 3, NKEYS = 4, NIDS = 3 };
// "a" (2 partitions), "b" (3 partitions, retention 200 ms, 8-byte limit), "c" (made and deleted by
// the ops, default 2 partitions) and "zz" (never made).
const char *const TOPICS[NTOPICS] = {"a", "b", "c", "zz"};
const char *const GROUPS[NGROUPS] = {"g1", "g2", ""};
const char *const CONS[NCONS] = {"c1", "c2", "c3"};
const char *const KEYS[NKEYS] = {nullptr, "k1", "k2", "user123"};
const char *const IDS[NIDS] = {"", "i1", "i2"};
const size_t SIZES[] = {0, 1, 8, 9, 16, 17};
const uint64_t STEPS[] = {1, 30, 99, 100, 101, 250};
const size_t MAXES[] = {0, 1, 2, 3, 100};

enum op_kind { OP_PUBLISH, OP_BATCH, OP_CREATE, OP_DELETE, OP_JOIN, OP_LEAVE, OP_REBALANCE, OP_POLL, OP_ACK,
               OP_NACK, OP_COMMIT, OP_SEEK, OP_CLEANUP, OP_ADVANCE, OP_KINDS };

struct msg_sel {
    int key, id, size;
};
struct entry_sel {
    int topic, part, offset;
};
struct mb_op {
    int kind, topic, group, cons, arg, sem, mask, n;
    msg_sel m[3];
    entry_sel e[2];
};

struct side {
    int rc = 0, err_code = -1;
    uint64_t n1 = 0, n2 = 0, n3 = 0;        // err numbers: size/max or requested/min/max
    std::vector<std::string> out;           // the op's results, one line each
    std::vector<std::string> state;         // assignments, commits, stats, topics after the op
};

struct ctx {
    uint64_t now;
    mb_broker *sub;
    oracle::mb_broker *ref;
    side rs, rr;
};

uint64_t clock_of(void *p) { return ((ctx *)p)->now; }

template <typename Msg> Msg make_msg(const msg_sel &s, int serial)
{
    Msg m{};
    m.id = IDS[s.id];
    m.has_key = KEYS[s.key] != nullptr;
    if (m.has_key) m.key = KEYS[s.key];
    m.payload = std::string(SIZES[s.size], (char)('a' + serial % 26));
    m.headers["h"] = std::to_string(serial);
    m.timestamp_ms = 7;                     // the broker stamps its own
    return m;
}

template <typename Res> std::string fmt_pub(const Res &r)
{
    return "published " + r.topic + ":" + std::to_string(r.partition) + "@" + std::to_string(r.offset) + " id=" +
           r.message_id;
}

template <typename Cons> std::string fmt_consumed(const Cons &c)
{
    std::string h;
    for (const auto &[k, v] : c.message.headers) h += k + "=" + v + ";";
    return c.topic + ":" + std::to_string(c.partition) + "@" + std::to_string(c.offset) + " id=" + c.message.id +
           " key=" + (c.message.has_key ? c.message.key : "(none)") + " payload='" + c.message.payload +
           "' ts=" + std::to_string(c.message.timestamp_ms) + " headers=" + h;
}

template <typename Offs> std::string fmt_offsets(const Offs &o)
{
    std::string s;
    for (const auto &[tp, n] : o) s += tp.first + ":" + std::to_string(tp.second) + "=" + std::to_string(n) + " ";
    return s;
}

template <typename Offs> Offs make_entries(const mb_op *op)
{
    Offs o;
    for (int i = 0; i < op->n; i++) o[{TOPICS[op->e[i].topic], (uint32_t)op->e[i].part}] = (uint64_t)op->e[i].offset;
    return o;
}

// Both sides run the same calls: NS is "" (the submission) or "oracle::".
#define MB_APPLY(NS, B, R)                                                                                   \
    do {                                                                                                     \
        NS mb_error e{};                                                                                     \
        e.code = (NS mb_err) - 1;                                                                            \
        const char *t = TOPICS[op->topic], *g = GROUPS[op->group], *c = CONS[op->cons];                      \
        switch (op->kind) {                                                                                  \
        case OP_PUBLISH: {                                                                                   \
            NS mb_message m = make_msg<NS mb_message>(op->m[0], serial);                                     \
            NS mb_publish_result r{};                                                                        \
            R.rc = NS mb_publish(B, t, &m, &r, &e);                                                          \
            if (R.rc == 0) R.out.push_back(fmt_pub(r));                                                      \
            break;                                                                                           \
        }                                                                                                    \
        case OP_BATCH: {                                                                                     \
            std::vector<NS mb_message> ms;                                                                   \
            for (int i = 0; i <= op->arg % 3; i++) ms.push_back(make_msg<NS mb_message>(op->m[i], serial + i)); \
            std::vector<NS mb_publish_result> rs;                                                            \
            R.rc = NS mb_publish_batch(B, t, ms, &rs, &e);                                                   \
            if (R.rc == 0)                                                                                   \
                for (const auto &r : rs) R.out.push_back(fmt_pub(r));                                        \
            break;                                                                                           \
        }                                                                                                    \
        case OP_CREATE: {                                                                                    \
            NS mb_topic_config tc{"c", (uint32_t)(op->arg % 3), 0, 0};                                       \
            R.rc = NS mb_create_topic(B, &tc, &e);                                                           \
            break;                                                                                           \
        }                                                                                                    \
        case OP_DELETE: R.rc = NS mb_delete_topic(B, t, &e); break;                                          \
        case OP_JOIN: {                                                                                      \
            std::vector<std::string> ts;                                                                     \
            for (int i = 0; i < NTOPICS; i++)                                                                \
                if (op->mask & (1 << i)) ts.push_back(TOPICS[i]);                                            \
            R.rc = NS mb_join_group(B, g, c, ts, (NS mb_semantics)op->sem, &e);                              \
            break;                                                                                           \
        }                                                                                                    \
        case OP_LEAVE: R.rc = NS mb_leave_group(B, g, c, &e); break;                                         \
        case OP_REBALANCE: R.rc = NS mb_rebalance_group(B, g, &e); break;                                    \
        case OP_POLL: {                                                                                      \
            std::vector<NS mb_consumed> v;                                                                   \
            R.rc = NS mb_poll(B, g, c, MAXES[op->arg % 5], 1000, &v, &e);                                    \
            if (R.rc == 0)                                                                                   \
                for (const auto &m : v) R.out.push_back(fmt_consumed(m));                                    \
            break;                                                                                           \
        }                                                                                                    \
        case OP_ACK: R.rc = NS mb_acknowledge(B, g, c, make_entries<NS mb_offsets>(op), &e); break;          \
        case OP_NACK: R.rc = NS mb_nack(B, g, c, make_entries<NS mb_offsets>(op), &e); break;                \
        case OP_COMMIT: R.rc = NS mb_commit_offsets(B, g, c, make_entries<NS mb_offsets>(op), &e); break;    \
        case OP_SEEK: {                                                                                      \
            const char *st = TOPICS[op->e[0].topic];                                                         \
            uint32_t p = (uint32_t)op->e[0].part;                                                            \
            if (op->arg % 3 == 0) R.rc = NS mb_seek(B, g, c, st, p, (uint64_t)op->e[0].offset, &e);          \
            else if (op->arg % 3 == 1) R.rc = NS mb_seek_to_beginning(B, g, c, st, p, &e);                   \
            else R.rc = NS mb_seek_to_end(B, g, c, st, p, &e);                                               \
            break;                                                                                           \
        }                                                                                                    \
        case OP_CLEANUP: R.out.push_back("dropped " + std::to_string(NS mb_cleanup_expired(B))); break;      \
        case OP_ADVANCE: break;                                                                              \
        }                                                                                                    \
        if (R.rc != 0) {                                                                                     \
            R.err_code = e.code;                                                                             \
            if (R.rc == NS MB_MESSAGE_TOO_LARGE) R.n1 = e.size, R.n2 = e.max;                                \
            if (R.rc == NS MB_INVALID_OFFSET) R.n1 = e.requested, R.n2 = e.min_offset, R.n3 = e.max_offset;  \
        }                                                                                                    \
        /* What the README fixes at any time, read after every op. */                                        \
        for (int gi = 0; gi < NGROUPS - 1; gi++) {                                                           \
            for (int ci = 0; ci < NCONS; ci++) {                                                             \
                std::string a = std::string("assignment ") + GROUPS[gi] + "/" + CONS[ci] + ":";              \
                for (const auto &tp : NS mb_assignment(B, GROUPS[gi], CONS[ci]))                             \
                    a += " " + tp.first + ":" + std::to_string(tp.second);                                   \
                R.state.push_back(a);                                                                        \
            }                                                                                                \
            R.state.push_back(std::string("committed ") + GROUPS[gi] + ": " +                                \
                              fmt_offsets(NS mb_get_committed_offsets(B, GROUPS[gi])));                      \
        }                                                                                                    \
        NS mb_stats st = NS mb_get_stats(B);                                                                 \
        std::string sl = "stats: messages " + std::to_string(st.total_messages) + " topics " +               \
                         std::to_string(st.total_topics) + " partitions " + std::to_string(st.total_partitions) + \
                         " groups " + std::to_string(st.total_consumer_groups) + " per topic";               \
        for (const auto &[k, v] : st.messages_per_topic) sl += " " + k + "=" + std::to_string(v);            \
        R.state.push_back(sl);                                                                               \
        std::string tl = "topics:";                                                                          \
        for (const std::string &n : NS mb_list_topics(B)) {                                                  \
            NS mb_topic_config tc{};                                                                         \
            NS mb_get_topic_config(B, n.c_str(), &tc);                                                       \
            tl += " " + n + "/" + std::to_string(tc.partitions);                                             \
        }                                                                                                    \
        R.state.push_back(tl);                                                                               \
    } while (0)

int serial_of(const mb_op *op) { return op->m[0].key * 7 + op->m[0].id * 3 + op->m[0].size + op->arg; }

void reset(void *p)
{
    ctx *x = (ctx *)p;
    if (x->sub) mb_free(x->sub);
    if (x->ref) oracle::mb_free(x->ref);
    x->now = 10000;
    mb_config c;
    mb_config_default(&c);
    c.default_partitions = 2;
    c.retention_ms = 500;
    c.max_message_size = 16;
    c.ack_timeout_ms = 100;
    c.max_unacked_messages = 3;
    c.clock = {clock_of, x};
    x->sub = mb_new(&c);
    oracle::mb_config o;
    oracle::mb_config_default(&o);
    o.default_partitions = 2;
    o.retention_ms = 500;
    o.max_message_size = 16;
    o.ack_timeout_ms = 100;
    o.max_unacked_messages = 3;
    o.clock = {clock_of, x};
    x->ref = oracle::mb_new(&o);
    mb_topic_config ta{"a", 2, 0, 0}, tb{"b", 3, 200, 8};
    mb_create_topic(x->sub, &ta, nullptr);
    mb_create_topic(x->sub, &tb, nullptr);
    oracle::mb_topic_config oa{"a", 2, 0, 0}, ob{"b", 3, 200, 8};
    oracle::mb_create_topic(x->ref, &oa, nullptr);
    oracle::mb_create_topic(x->ref, &ob, nullptr);
}

int pick_topic(nl_rng *rng)
{
    uint64_t r = nl_rng_below(rng, 100);
    return r < 55 ? 0 : r < 88 ? 1 : r < 97 ? 2 : 3;
}

void gen(void *, nl_rng *rng, void *o)
{
    mb_op *op = (mb_op *)o;
    static const int weights[OP_KINDS] = {17, 5, 2, 1, 9, 3, 2, 20, 12, 4, 4, 5, 4, 12};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->topic = pick_topic(rng);
    op->group = nl_rng_chance(rng, 0.03) ? 2 : (int)nl_rng_below(rng, 2);
    op->cons = (int)nl_rng_below(rng, NCONS);
    op->arg = (int)nl_rng_below(rng, 30);
    op->sem = nl_rng_chance(rng, 0.2) ? 0 : nl_rng_chance(rng, 0.2) ? 2 : 1;
    op->mask = nl_rng_chance(rng, 0.03) ? 0 : nl_rng_chance(rng, 0.05) ? 8 | 1 : (int)nl_rng_range(rng, 1, 3);
    if (nl_rng_chance(rng, 0.1)) op->mask |= 4;
    op->n = nl_rng_chance(rng, 0.25) ? 2 : 1;
    for (msg_sel &m : op->m) {
        m.key = (int)nl_rng_below(rng, NKEYS);
        m.id = nl_rng_chance(rng, 0.7) ? 0 : (int)nl_rng_range(rng, 1, NIDS - 1);
        m.size = nl_rng_chance(rng, 0.7) ? 1 : (int)nl_rng_below(rng, sizeof SIZES / sizeof SIZES[0]);
    }
    for (entry_sel &e : op->e) {
        e.topic = nl_rng_chance(rng, 0.9) ? (int)nl_rng_below(rng, 2) : pick_topic(rng);
        e.part = (int)nl_rng_below(rng, 4);
        e.offset = (int)nl_rng_below(rng, 7);
    }
}

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const mb_op *op = (const mb_op *)o;
    int serial = serial_of(op);
    x->rs = side{};
    MB_APPLY(, x->sub, x->rs);
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const mb_op *op = (const mb_op *)o;
    int serial = serial_of(op);
    x->rr = side{};
    MB_APPLY(oracle::, x->ref, x->rr);
    if (op->kind == OP_ADVANCE) x->now += STEPS[op->arg % 6];
}

std::string joined(const std::vector<std::string> &v)
{
    if (v.empty()) return "(nothing)";
    std::string s;
    for (size_t i = 0; i < v.size(); i++) s += (i ? " | " : "") + v[i];
    return s;
}

bool compare(void *p, const void *, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    const side &s = x->rs, &r = x->rr;
    if (s.rc != r.rc) {
        snprintf(diff, cap, "return code: submission %s, reference %s", mb_err_name((mb_err)s.rc),
                 oracle::mb_err_name((oracle::mb_err)r.rc));
        return false;
    }
    if (s.err_code != r.err_code) {
        snprintf(diff, cap, "err.code: submission %d, reference %d", s.err_code, r.err_code);
        return false;
    }
    if (s.n1 != r.n1 || s.n2 != r.n2 || s.n3 != r.n3) {
        const char *what = r.rc == MB_MESSAGE_TOO_LARGE ? "err.size/err.max" : "err.requested/min_offset/max_offset";
        snprintf(diff, cap, "%s: submission %llu/%llu/%llu, reference %llu/%llu/%llu", what, (unsigned long long)s.n1,
                 (unsigned long long)s.n2, (unsigned long long)s.n3, (unsigned long long)r.n1,
                 (unsigned long long)r.n2, (unsigned long long)r.n3);
        return false;
    }
    if (s.out != r.out) {
        snprintf(diff, cap, "results: submission %s; reference %s", joined(s.out).c_str(), joined(r.out).c_str());
        return false;
    }
    for (size_t i = 0; i < r.state.size(); i++) {
        if (i >= s.state.size() || s.state[i] != r.state[i]) {
            snprintf(diff, cap, "after the call: submission '%s', reference '%s'",
                     i < s.state.size() ? s.state[i].c_str() : "", r.state[i].c_str());
            return false;
        }
    }
    return true;
}

std::string fmt_msg(const msg_sel &m)
{
    return std::string("{key ") + (KEYS[m.key] ? KEYS[m.key] : "(none)") + ", id '" + IDS[m.id] + "', " +
           std::to_string(SIZES[m.size]) + " bytes}";
}

void print(void *, const void *o, char *out, size_t cap)
{
    const mb_op *op = (const mb_op *)o;
    const char *t = TOPICS[op->topic], *g = GROUPS[op->group], *c = CONS[op->cons];
    std::string ents;
    for (int i = 0; i < op->n; i++)
        ents += std::string(i ? ", " : "") + "(" + TOPICS[op->e[i].topic] + "," + std::to_string(op->e[i].part) +
                "): " + std::to_string(op->e[i].offset);
    static const char *const sems[] = {"AT_MOST_ONCE", "AT_LEAST_ONCE", "EXACTLY_ONCE"};
    switch (op->kind) {
    case OP_PUBLISH: snprintf(out, cap, "publish(\"%s\", %s)", t, fmt_msg(op->m[0]).c_str()); break;
    case OP_BATCH: {
        std::string ms;
        for (int i = 0; i <= op->arg % 3; i++) ms += (i ? ", " : "") + fmt_msg(op->m[i]);
        snprintf(out, cap, "publish_batch(\"%s\", [%s])", t, ms.c_str());
        break;
    }
    case OP_CREATE: snprintf(out, cap, "create_topic(\"c\", %d partitions)", op->arg % 3); break;
    case OP_DELETE: snprintf(out, cap, "delete_topic(\"%s\")", t); break;
    case OP_JOIN: {
        std::string ts;
        for (int i = 0; i < NTOPICS; i++)
            if (op->mask & (1 << i)) ts += std::string(ts.empty() ? "" : ", ") + TOPICS[i];
        snprintf(out, cap, "join_group(\"%s\", \"%s\", [%s], %s)", g, c, ts.c_str(), sems[op->sem]);
        break;
    }
    case OP_LEAVE: snprintf(out, cap, "leave_group(\"%s\", \"%s\")", g, c); break;
    case OP_REBALANCE: snprintf(out, cap, "rebalance_group(\"%s\")", g); break;
    case OP_POLL: snprintf(out, cap, "poll(\"%s\", \"%s\", max %zu)", g, c, MAXES[op->arg % 5]); break;
    case OP_ACK: snprintf(out, cap, "acknowledge(\"%s\", \"%s\", {%s})", g, c, ents.c_str()); break;
    case OP_NACK: snprintf(out, cap, "nack(\"%s\", \"%s\", {%s})", g, c, ents.c_str()); break;
    case OP_COMMIT: snprintf(out, cap, "commit_offsets(\"%s\", \"%s\", {%s})", g, c, ents.c_str()); break;
    case OP_SEEK: {
        static const char *const how[] = {"seek", "seek_to_beginning", "seek_to_end"};
        snprintf(out, cap, "%s(\"%s\", \"%s\", \"%s\", %d%s)", how[op->arg % 3], g, c, TOPICS[op->e[0].topic],
                 op->e[0].part, op->arg % 3 ? "" : (", " + std::to_string(op->e[0].offset)).c_str());
        break;
    }
    case OP_CLEANUP: snprintf(out, cap, "cleanup_expired()"); break;
    case OP_ADVANCE: snprintf(out, cap, "clock += %llu ms", (unsigned long long)STEPS[op->arg % 6]); break;
    }
}
} // namespace

// 200 seeds x 40 operations (clock from 10000 ms; default 2 partitions, retention 500 ms, 16-byte
// payloads, ack timeout 100 ms, 3 unacked; topics a (2 partitions) and b (3, 200 ms, 8 bytes)).
void test_differential_random_histories(void **)
{
    static ctx x;
    nl_diff_ops ops = {sizeof(mb_op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 200, 40});
    mb_free(x.sub);
    oracle::mb_free(x.ref);
    x.sub = nullptr;
    x.ref = nullptr;
}
