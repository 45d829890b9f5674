// test_diff.cpp — EX25 differential test: seeded random schedules (transactions begun at random
// times, random no votes, random delays, nodes killed at random crash points and restarted or
// not) run on the submission and on the reference oracle; per node and transaction, the log
// records and the final state must be the same. A difference is shrunk to the fewest operations
// and printed with its seed, so it can be replayed.
#include "tx_tests.h"
#include "oracle/dist_tx.h"

#include <string>
#include <vector>

struct diff_op {
    char kind;              // 'B' begin tx at `at`; 'C' crash node at its k-th point, back after `back` (0 = never)
    std::string tx;
    uint64_t at = 0;
    unsigned novote_mask = 0;
    int node = 0, k = 0;
    uint64_t back = 0;
};
struct diff_sched {
    uint64_t seed = 0;
    int proto = 2, n = 3;
    uint64_t delay_min = 1, delay_max = 1;
    std::vector<diff_op> ops;
};

#define DIFF_NS sub
#define TXNS
#include "diff_run.inc"
#undef DIFF_NS
#undef TXNS
#define DIFF_NS orc
#define TXNS oracle
#include "diff_run.inc"
#undef DIFF_NS
#undef TXNS

static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static diff_sched make_sched(uint64_t seed)
{
    diff_sched s;
    uint64_t st = seed;
    s.seed = seed;
    s.proto = 2 + (int)(mix(&st) % 2);
    s.n = 2 + (int)(mix(&st) % 3);
    s.delay_min = 1 + mix(&st) % 3;
    s.delay_max = s.delay_min + mix(&st) % 4;
    int txs = 1 + (int)(mix(&st) % 3);
    for (int i = 0; i < txs; i++) {
        diff_op b;
        b.kind = 'B';
        b.tx = "t" + std::to_string(i + 1);
        b.at = mix(&st) % 60;
        if (mix(&st) % 3 == 0)
            b.novote_mask = 1u << (1 + mix(&st) % s.n);
        s.ops.push_back(b);
    }
    int crashes = (int)(mix(&st) % 3);
    for (int i = 0; i < crashes; i++) {
        diff_op c;
        c.kind = 'C';
        c.node = (int)(mix(&st) % (s.n + 1));
        c.k = 1 + (int)(mix(&st) % 30);
        const uint64_t backs[] = {0, 5, 50, 400};
        c.back = backs[mix(&st) % 4];
        if (s.proto == 2 && c.node == 0 && c.back == 0)
            c.back = 400; // a 2PC coordinator that never returns blocks by design (R10)
        s.ops.push_back(c);
    }
    return s;
}

static std::string describe(const diff_sched &s)
{
    std::string d = std::to_string(s.proto) + "PC, " + std::to_string(s.n) + " participants, delays " +
                    std::to_string(s.delay_min) + ".." + std::to_string(s.delay_max) + " ms:";
    for (const diff_op &op : s.ops) {
        if (op.kind == 'B')
            d += " begin(" + op.tx + ") at t=" + std::to_string(op.at) + (op.novote_mask ? " with a no vote" : "") + ";";
        else
            d += " kill node " + std::to_string(op.node) + " at its crash point " + std::to_string(op.k) +
                 (op.back ? ", back " + std::to_string(op.back) + " ms later;" : ", never back;");
    }
    return d;
}

// True when submission and oracle disagree; their transcripts in *a, *b.
static bool differs(const diff_sched &s, std::string *a, std::string *b)
{
    std::string d1 = fresh_dir("dsub"), d2 = fresh_dir("dorc");
    *a = sub::transcript(&s, d1);
    *b = orc::transcript(&s, d2);
    rm_tree(d1);
    rm_tree(d2);
    return *a != *b;
}

void test_diff_random_schedules(void **)
{
    const int runs = 150;
    for (int i = 0; i < runs; i++) {
        uint64_t seed = 1000 + (uint64_t)i;
        diff_sched s = make_sched(seed);
        std::string a, b;
        if (!differs(s, &a, &b))
            continue;
        // Shrink: drop operations one at a time while the difference stays.
        bool again = true;
        while (again) {
            again = false;
            for (size_t j = 0; j < s.ops.size() && s.ops.size() > 1; j++) {
                diff_sched t = s;
                t.ops.erase(t.ops.begin() + (long)j);
                bool has_begin = false;
                for (const diff_op &op : t.ops)
                    has_begin |= op.kind == 'B';
                std::string x, y;
                if (has_begin && differs(t, &x, &y)) {
                    s = t;
                    a = x;
                    b = y;
                    again = true;
                    break;
                }
            }
        }
        fail_msg("seed %llu, shrunk to: %s\nyour nodes ended with:\n%sthe reference's ended with:\n%s",
                 (unsigned long long)seed, describe(s).c_str(), a.c_str(), b.c_str());
    }
    printf("differential: %d random schedules agree with the reference\n", runs);
}
