// nl_wire_diff.cpp — the wire differential driver: run each seeded script on a fresh submission
// server and a fresh reference server, compare the answers step by step, shrink a failing script by
// dropping steps (within a wall-clock budget: every replay restarts both servers).
#include "nl_wire_diff.h"

#include "nl_check.h"
#include "nl_clock.h"
#include "nl_testnet.h"

#include <csignal>
#include <cstdio>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

typedef std::vector<unsigned char> wire_script;  // n * op_size bytes

struct wire_run {
    const nl_wire_ops *ops;
    nl_wire_side side[2];
    std::string seen[2];  // answers of both sides to the step that differed
};

static void side_init(wire_run *r, int which)
{
    nl_wire_side *s = &r->side[which];
    s->which = which;
    s->name = which == NL_WIRE_SUB ? "submission" : "reference";
    s->bin_dir = which == NL_WIRE_ORACLE ? r->ops->oracle_bin_dir : nullptr;
    s->up = false;
    for (int &fd : s->fds) fd = -1;
    s->priv = nullptr;
}

static void stop_both(wire_run *r)
{
    for (nl_wire_side &s : r->side) r->ops->stop(r->ops->ctx, &s);
}

// Replays n steps on fresh servers: the index of the first step whose answers differ, or -1.
static long replay(wire_run *r, const wire_script &script)
{
    const nl_wire_ops *ops = r->ops;
    size_t n = script.size() / ops->op_size;
    stop_both(r);
    bool up[2];
    for (int w = 0; w < 2; w++) up[w] = ops->start(ops->ctx, &r->side[w]);
    if (!up[NL_WIRE_ORACLE]) {
        r->seen[0] = r->seen[1] = "";
        fail_msg("wire differential test: the reference server (%s) did not start", ops->oracle_bin_dir);
    }
    if (!up[NL_WIRE_SUB]) {
        r->seen[NL_WIRE_SUB] = "the server did not start";
        r->seen[NL_WIRE_ORACLE] = "started";
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const void *op = script.data() + i * ops->op_size;
        for (int w = 0; w < 2; w++) {
            r->seen[w].clear();
            ops->apply(ops->ctx, &r->side[w], op, &r->seen[w]);
        }
        if (r->seen[0] != r->seen[1]) return (long)i;
    }
    return -1;
}

// (A copy then an erase: GCC 12's -O2 -fsanitize=thread sees an impossible memmove bound in the
// two-range insert and fails the build on -Wstringop-overflow.)
static wire_script without(const wire_script &s, size_t sz, size_t i)
{
    wire_script out(s);
    out.erase(out.begin() + (long)(i * sz), out.begin() + (long)((i + 1) * sz));
    return out;
}

// Drops one step at a time, last first, keeping every drop after which the script still fails
// (cut after its new first difference), until nothing more can go or the budget is spent.
static wire_script shrink(wire_run *r, wire_script script, long at, uint64_t deadline)
{
    size_t sz = r->ops->op_size;
    script.resize((size_t)(at + 1) * sz);
    for (bool removed = true; removed && nl_now_ms() < deadline;) {
        removed = false;
        for (size_t i = script.size() / sz; i-- > 0 && nl_now_ms() < deadline;) {
            if (i >= script.size() / sz) continue;
            wire_script t = without(script, sz, i);
            long a = t.empty() ? -1 : replay(r, t);
            if (a >= 0) {
                t.resize((size_t)(a + 1) * sz);
                script = t;
                removed = true;
            }
        }
    }
    return script;
}

int nl_wire_diff_run(const nl_wire_ops *ops, const nl_wire_config *cfg, std::string *report)
{
    wire_run r;
    r.ops = ops;
    for (int w = 0; w < 2; w++) side_init(&r, w);
    report->clear();
    std::vector<unsigned char> op(ops->op_size);
    int rc = 0;
    for (int k = 0; k < cfg->seeds && rc == 0; k++) {
        uint64_t seed = cfg->first_seed + (uint64_t)k;
        nl_rng rng;
        nl_rng_seed(&rng, seed);
        wire_script script;
        for (int i = 0; i < cfg->ops; i++) {
            memset(op.data(), 0, op.size());
            ops->gen(ops->ctx, &rng, op.data());
            script.insert(script.end(), op.begin(), op.end());
        }
        long at = replay(&r, script);
        if (at < 0) continue;
        std::string first[2] = {r.seen[0], r.seen[1]};
        uint64_t deadline = nl_now_ms() + (uint64_t)(cfg->shrink_ms > 0 ? cfg->shrink_ms : 10000);
        wire_script small = shrink(&r, script, at, deadline);
        long last = replay(&r, small);
        if (last < 0) {  // the shrunk script passed this time (timing?): report the first failure as it was
            small = script;
            small.resize((size_t)(at + 1) * ops->op_size);
            last = at;
            r.seen[0] = first[0];
            r.seen[1] = first[1];
        }
        size_t n = small.size() / ops->op_size;
        // The answers first: a test framework may cut a long message, and they are what matters most.
        *report = nl_fmt("wire differential test, seed %llu: after step %ld of the script below (shrunk from the first "
                         "%ld of %d steps; replay: the same steps against both servers started fresh)\n"
                         "  submission: %s\n  reference:  %s\nthe script:\n",
                         (unsigned long long)seed, last + 1, at + 1, cfg->ops,
                         r.seen[NL_WIRE_SUB].empty() ? "(nothing)" : r.seen[NL_WIRE_SUB].c_str(),
                         r.seen[NL_WIRE_ORACLE].empty() ? "(nothing)" : r.seen[NL_WIRE_ORACLE].c_str());
        for (size_t i = 0; i < n; i++) {
            char line[512];
            ops->print(ops->ctx, small.data() + i * ops->op_size, line, sizeof line);
            *report += nl_fmt("  %zu. %s\n", i + 1, line);
        }
        fprintf(stderr, "%s", report->c_str());  // whole, in the test's log (--verbose): a failure message may be cut
        rc = 1;
    }
    stop_both(&r);
    return rc;
}

// ---- TCP helpers ----------------------------------------------------------------------------------
bool nl_wire_start_tcp(nl_wire_side *side, const char *program, const std::vector<std::string> &args)
{
    for (int &fd : side->fds) fd = -1;
    side->srv = nl_server();
    std::string bin = side->bin_dir ? std::string(side->bin_dir) + "/" + program : std::string(program);  // absolute: the oracle
    side->up = nl_server_start(&side->srv, bin.c_str(), args, 10000) == 0;
    return side->up;
}

void nl_wire_stop_tcp(nl_wire_side *side)
{
    for (int c = 0; c < NL_WIRE_CLIENTS; c++) nl_wire_close(side, c, false);
    if (side->up) nl_server_stop(&side->srv, SIGTERM, 5000);
    side->up = false;
}

int nl_wire_connect(nl_wire_side *side, int c)
{
    if (side->fds[c] < 0 && side->up) {
        side->fds[c] = nl_tc_connect(side->srv.port);
        int one = 1;  // a script's small writes go out at once (Nagle would hold each for an ACK)
        if (side->fds[c] >= 0) setsockopt(side->fds[c], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return side->fds[c];
}

void nl_wire_close(nl_wire_side *side, int c, bool reset)
{
    if (side->fds[c] < 0) return;
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(side->fds[c], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    nl_tc_close(side->fds[c]);
    side->fds[c] = -1;
}

int nl_wire_line(nl_wire_side *side, int c, std::string *line)
{
    if (side->fds[c] < 0) return 0;
    // ACK at once: a server's second small reply waits (Nagle) for the ACK of its first one, which a
    // reading client would otherwise delay by up to 200 ms.
    int one = 1;
    setsockopt(side->fds[c], IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
    return nl_tc_read_line(side->fds[c], line, NL_WIRE_REPLY_MS);
}

void nl_wire_expect_lines(nl_wire_side *side, int c, int n, std::string *seen)
{
    for (int i = 0; i < n; i++) {
        std::string line;
        int rc = nl_wire_line(side, c, &line);
        if (rc == 1) {
            *seen += nl_fmt("c%d <- %s ", c, nl_quote(line, 100).c_str());
            continue;
        }
        *seen += rc == 0 ? nl_fmt("c%d <- EOF ", c) : nl_fmt("c%d <- (nothing within %d ms) ", c, NL_WIRE_REPLY_MS);
        if (rc == 0) nl_wire_close(side, c, false);
        return;
    }
}

void nl_wire_expect_eof(nl_wire_side *side, int c, std::string *seen)
{
    std::string line;
    int rc = nl_wire_line(side, c, &line);
    if (rc == 0) {
        *seen += nl_fmt("c%d <- EOF ", c);
        nl_wire_close(side, c, false);
    } else if (rc == 1) {
        *seen += nl_fmt("c%d <- %s (instead of EOF) ", c, nl_quote(line, 100).c_str());
    } else {
        *seen += nl_fmt("c%d <- (no EOF within %d ms) ", c, NL_WIRE_REPLY_MS);
    }
}
