// nl_diff.cpp — the differential-test driver: generate per seed, replay, shrink by delta debugging.
#include "nl_diff.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

typedef std::vector<unsigned char> op_seq; // n * op_size bytes

long nl_diff_replay(const nl_diff_ops *ops, const void *seq, size_t n, char *diff, size_t cap)
{
    const unsigned char *p = (const unsigned char *)seq;
    ops->reset(ops->ctx);
    for (size_t i = 0; i < n; i++) {
        const void *op = p + i * ops->op_size;
        ops->apply_sub(ops->ctx, op);
        ops->apply_oracle(ops->ctx, op);
        if (cap) diff[0] = '\0';
        if (!ops->compare(ops->ctx, op, diff, cap)) return (long)i;
    }
    return -1;
}

static long replay(const nl_diff_ops *ops, const op_seq &seq, std::string *diff)
{
    char buf[2048];
    long at = nl_diff_replay(ops, seq.data(), seq.size() / ops->op_size, buf, sizeof buf);
    if (at >= 0 && diff) *diff = buf;
    return at;
}

static op_seq without(const op_seq &seq, size_t op_size, size_t from, size_t count)
{
    op_seq out(seq.begin(), seq.begin() + (long)(from * op_size));
    out.insert(out.end(), seq.begin() + (long)((from + count) * op_size), seq.end());
    return out;
}

// Delta debugging over whole operations: cut after the first difference, drop chunks of halving
// size while the sequence keeps failing, then single operations, until nothing more can go.
static op_seq shrink(const nl_diff_ops *ops, op_seq seq, long at)
{
    size_t sz = ops->op_size;
    seq.resize((size_t)(at + 1) * sz);
    size_t n = seq.size() / sz, chunk = n / 2 ? n / 2 : 1;
    for (;;) {
        bool removed = false;
        for (size_t from = 0; from < seq.size() / sz;) {
            size_t count = std::min(chunk, seq.size() / sz - from);
            op_seq t = without(seq, sz, from, count);
            long a = t.empty() ? -1 : replay(ops, t, nullptr);
            if (a >= 0) {
                t.resize((size_t)(a + 1) * sz);
                seq = t;
                removed = true;
            } else {
                from += count;
            }
        }
        if (chunk == 1 && !removed) break;
        if (!removed) chunk = chunk / 2 ? chunk / 2 : 1;
    }
    return seq;
}

static void appendf(std::string *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(std::string *s, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    *s += buf;
}

int nl_diff_run(const nl_diff_ops *ops, const nl_diff_config *cfg, char *report, size_t cap)
{
    if (cap) report[0] = '\0';
    std::vector<unsigned char> op(ops->op_size);
    for (int k = 0; k < cfg->seeds; k++) {
        uint64_t seed = cfg->first_seed + (uint64_t)k;
        nl_rng rng;
        nl_rng_seed(&rng, seed);
        op_seq seq;
        for (int i = 0; i < cfg->ops; i++) {
            memset(op.data(), 0, op.size());
            ops->gen(ops->ctx, &rng, op.data());
            seq.insert(seq.end(), op.begin(), op.end());
        }
        long at = replay(ops, seq, nullptr);
        if (at < 0) continue;
        op_seq small = shrink(ops, seq, at);
        std::string diff;
        replay(ops, small, &diff);
        size_t n = small.size() / ops->op_size;
        std::string r;
        appendf(&r, "differential test: submission and reference differ with seed %llu after %zu operation(s) "
                    "(shrunk from the first %ld of %d):\n",
                (unsigned long long)seed, n, at + 1, cfg->ops);
        for (size_t i = 0; i < n; i++) {
            char line[512];
            ops->print(ops->ctx, small.data() + i * ops->op_size, line, sizeof line);
            appendf(&r, "  %zu. %s\n", i + 1, line);
        }
        appendf(&r, "after operation %zu: %s", n, diff.c_str());
        if (cap) snprintf(report, cap, "%s", r.c_str());
        return 1;
    }
    return 0;
}
