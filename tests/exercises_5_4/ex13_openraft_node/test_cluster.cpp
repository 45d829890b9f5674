// test_cluster.cpp — EX13 black-box tests: real raft_kv processes on loopback, their own data
// folders, kill -9 of the leader during writes, restarts, partitions through nl_tcpproxy, and
// client histories checked for linearizability (tests/support/nl_linearize.h).
#include "raft_kv.h"
#include "nl_test.h"

#include "kv_cluster.h"
#include "nl_linearize.h"
#include "nl_tcpproxy.h"
#include "nl_testnet.h"

#include <atomic>
#include <csignal>
#include <cstring>
#include <ctime>
#include <pthread.h>
#include <string>
#include <vector>

#include "ex13_tests.h"

kv_cluster *ex13_cluster;   // the test's cluster, torn down even when a check fails (ex13_tests.h)

int ex13_teardown(void **)
{
    if (ex13_cluster)
        kvc_destroy(ex13_cluster);
    ex13_cluster = nullptr;
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static kv_cluster *formed(int n, bool proxied = false, unsigned first_election_ms = 0)
{
    ex13_cluster = kvc_new(n, proxied);
    if (first_election_ms)
        ex13_cluster->nodes[0]->election_ms = first_election_ms;
    std::string why;
    if (!kvc_form(ex13_cluster, &why))
        fail_msg("forming a %d-node cluster (node 1 --bootstrap, then ADD 2..%d): %s", n, n, why.c_str());
    return ex13_cluster;
}

void stop_all_clean(kv_cluster *c)
{
    for (size_t i = 0; i < c->nodes.size(); i++) {
        std::string how;
        if (c->nodes[i]->up && !kvc_stop(c, (int)i, &how))
            fail_msg("SIGTERM to node %zu: expected a clean exit 0 within 15 s, got %s", i + 1, how.c_str());
    }
}

static kv_cluster *single(uint64_t id)
{
    ex13_cluster = kvc_new(1, false);
    ex13_cluster->nodes[0]->id = id;
    std::string why;
    if (!kvc_start(ex13_cluster, 0, true, &why))
        fail_msg("starting raft_kv --id %llu --bootstrap: %s", (unsigned long long)id, why.c_str());
    return ex13_cluster;
}

/* ---- seed tests (one node, as the seed) ---- */

void test_single_node_becomes_leader(void **)
{
    kv_cluster *c = single(1);
    if (kvc_wait_leader(c, 10000) != 0)
        fail_msg("one node started with --bootstrap: expected STATUS state=leader within 10 s, last STATUS '%s'",
                 kvc_call(kvc_port(c, 0), "STATUS", 2000).c_str());
    std::string s = kvc_call(kvc_port(c, 0), "STATUS", 2000);
    if (kvc_status_field(s, "leader") != "1" || kvc_status_field(s, "members") != "1")
        fail_msg("one-node cluster: expected leader=1 members=1, got '%s'", s.c_str());
    stop_all_clean(c);
}

void test_client_write(void **)
{
    kv_cluster *c = single(1);
    kvc_wait_leader(c, 10000);
    std::string r = kvc_call(kvc_port(c, 0), "SET k1 v1", 10000);
    if (r != "OK")
        fail_msg("SET k1 v1 on the leader: expected OK, got '%s'", r.c_str());
    std::string s = kvc_call(kvc_port(c, 0), "STATUS", 2000);
    if (kvc_status_field(s, "applied") != kvc_status_field(s, "last_index"))
        fail_msg("after OK: expected the write applied (applied == last_index), got '%s'", s.c_str());
    stop_all_clean(c);
}

void test_client_read(void **)
{
    kv_cluster *c = single(1);
    kvc_wait_leader(c, 10000);
    uint16_t p = kvc_port(c, 0);
    std::string r1 = kvc_call(p, "SET key value", 10000);
    std::string r2 = kvc_call(p, "GET key", 10000);
    std::string r3 = kvc_call(p, "GET other", 10000);
    std::string r4 = kvc_call(p, "DEL key", 10000);
    std::string r5 = kvc_call(p, "GET key", 10000);
    if (r1 != "OK" || r2 != "VALUE value" || r3 != "NIL" || r4 != "OK" || r5 != "NIL")
        fail_msg("SET key value, GET key, GET other, DEL key, GET key: expected OK, VALUE value, NIL, OK, NIL; "
                 "got %s, %s, %s, %s, %s", r1.c_str(), r2.c_str(), r3.c_str(), r4.c_str(), r5.c_str());
    stop_all_clean(c);
}

void test_metrics(void **)
{
    kv_cluster *c = single(42);
    kvc_wait_leader(c, 10000);
    std::string s = kvc_call(kvc_port(c, 0), "STATUS", 2000);
    if (kvc_status_field(s, "id") != "42" || kvc_status_field(s, "leader") != "42" ||
        kvc_status_field(s, "members") != "42" || atoll(kvc_status_field(s, "term").c_str()) < 1)
        fail_msg("raft_kv --id 42 --bootstrap, STATUS: expected id=42 leader=42 members=42 term>=1, got '%s'", s.c_str());
    std::string before = kvc_status_field(s, "last_index");
    kvc_call(kvc_port(c, 0), "SET a 1", 10000);
    kvc_call(kvc_port(c, 0), "SET b 2", 10000);
    s = kvc_call(kvc_port(c, 0), "STATUS", 2000);
    if (atoll(kvc_status_field(s, "last_index").c_str()) != atoll(before.c_str()) + 2 ||
        kvc_status_field(s, "applied") != kvc_status_field(s, "last_index"))
        fail_msg("two SETs after last_index=%s: expected last_index=%lld and applied equal to it, got '%s'",
                 before.c_str(), atoll(before.c_str()) + 2, s.c_str());
    // SIGINT ends a node as cleanly as SIGTERM (R14).
    c->nodes[0]->up = false;
    int code = nl_server_stop(&c->nodes[0]->srv, SIGINT, 15000);
    if (code != 0)
        fail_msg("SIGINT to raft_kv --id 42: expected exit status 0 within 15 s, got %d", code);
}

/* ---- protocol over the wire ---- */

void test_line_too_long(void **)
{
    kv_cluster *c = single(1);
    kvc_wait_leader(c, 10000);
    int fd = nl_tc_connect(kvc_port(c, 0));
    std::string at_limit = "GET " + std::string(2043, 'k') + "\n";   // 2048 bytes with its "\n"
    std::string reply;
    nl_tc_send(fd, at_limit);
    if (nl_tc_read_line(fd, &reply, 5000) != 1 || reply != "ERR key too long (max 64 bytes)")
        fail_msg("a 2048-byte line (the limit) GET <2043 k>: expected it parsed, 'ERR key too long (max 64 bytes)', got '%s'",
                 reply.c_str());
    nl_tc_send(fd, "GET " + std::string(2044, 'k') + "\n");      // 2049 bytes
    if (nl_tc_read_line(fd, &reply, 5000) != 1 || reply != "ERR line too long (max 2048 bytes)")
        fail_msg("a 2049-byte line: expected 'ERR line too long (max 2048 bytes)', got '%s'", reply.c_str());
    if (!nl_tc_wait_eof(fd, 5000))
        fail_msg("after 'ERR line too long': expected the node to close the connection");
    nl_tc_close(fd);
    std::string s = kvc_call(kvc_port(c, 0), "SET after ok", 10000);
    if (s != "OK")
        fail_msg("a new client after an over-long line: expected SET to answer OK, got '%s'", s.c_str());
    stop_all_clean(c);
}

void test_follower_redirects(void **)
{
    kv_cluster *c = formed(3);
    int l = kvc_wait_leader(c, 10000);
    std::string lid = std::to_string(c->nodes[(size_t)l]->id);
    for (int i = 0; i < 3; i++) {
        if (i == l)
            continue;
        uint16_t p = kvc_port(c, i);
        const char *lines[] = {"SET r 1", "GET r", "DEL r", "ADD 9 127.0.0.1:1", "REMOVE 2"};
        for (const char *line : lines) {
            std::string r = kvc_call(p, line, 5000);
            if (r != "REDIRECT " + lid)
                fail_msg("'%s' to follower %d: expected 'REDIRECT %s', got '%s'", line, i + 1, lid.c_str(), r.c_str());
        }
    }
    std::string r = kvc_call(kvc_port(c, l), "GET r", 10000);
    if (r != "NIL")
        fail_msg("GET r on the leader after followers redirected 'SET r 1': expected NIL (nothing applied), got '%s'",
                 r.c_str());
    stop_all_clean(c);
    // A node that was never added knows no leader.
    kv_cluster *lone = kvc_new(1, false);
    kv_cluster *keep = ex13_cluster;
    ex13_cluster = lone;
    kvc_destroy(keep);
    std::string why;
    if (!kvc_start(lone, 0, false, &why))
        fail_msg("starting a node without --bootstrap: %s", why.c_str());
    r = kvc_call(kvc_port(lone, 0), "SET a 1", 5000);
    if (r != "ERR no leader")
        fail_msg("SET to a node that belongs to no cluster yet: expected 'ERR no leader', got '%s'", r.c_str());
    stop_all_clean(lone);
}

void test_status_format(void **)
{
    kv_cluster *c = formed(3);
    int l = kvc_wait_leader(c, 10000, "1,2,3");
    int f = (l + 1) % 3;
    std::string s;
    for (int tries = 0; tries < 100; tries++) {   // the follower applies the last entries shortly after
        s = kvc_call(kvc_port(c, f), "STATUS", 2000);
        if (kvc_status_field(s, "applied") == kvc_status_field(s, "last_index") && kvc_status_field(s, "members") == "1,2,3")
            break;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, nullptr);
    }
    std::string ls = kvc_call(kvc_port(c, l), "STATUS", 2000);
    std::string want = "STATUS id=" + std::to_string(f + 1) + " state=follower term=" + kvc_status_field(ls, "term") +
                       " leader=" + std::to_string(l + 1) + " last_index=" + kvc_status_field(s, "last_index") +
                       " applied=" + kvc_status_field(s, "last_index") + " members=1,2,3";
    if (s != want)
        fail_msg("STATUS on follower %d: expected '%s', got '%s'", f + 1, want.c_str(), s.c_str());
    if (ls.rfind("STATUS id=" + std::to_string(l + 1) + " state=leader ", 0) != 0)
        fail_msg("STATUS on the leader: expected it to start 'STATUS id=%d state=leader ', got '%s'", l + 1, ls.c_str());
    stop_all_clean(c);
}

/* ---- membership (R12) ---- */

void test_membership_add_remove(void **)
{
    kv_cluster *c = formed(3);
    int hint = -1;
    std::string r = kvc_request(c, &hint, "ADD 2 " + kvc_raft_address(c, 1), 10000);
    if (r.rfind("ERR ", 0) != 0)
        fail_msg("ADD 2 again (already a voter): expected an ERR reply, got '%s'", r.c_str());
    r = kvc_request(c, &hint, "REMOVE 3", 15000);
    if (r != "OK")
        fail_msg("REMOVE 3: expected OK, got '%s'", r.c_str());
    r = kvc_request(c, &hint, "REMOVE 2", 15000);
    if (r != "OK")
        fail_msg("REMOVE 2 after REMOVE 3: expected OK, got '%s'", r.c_str());
    if (kvc_wait_leader(c, 10000, "1") != 0)
        fail_msg("after REMOVE 3 and REMOVE 2: expected node 1 leader with members=1, last STATUS '%s'",
                 kvc_call(kvc_port(c, 0), "STATUS", 2000).c_str());
    kvc_kill(c, 1);
    kvc_kill(c, 2);
    r = kvc_call(kvc_port(c, 0), "SET alone yes", 10000);
    if (r != "OK")
        fail_msg("SET with nodes 2 and 3 removed and killed: expected node 1 to commit alone (OK), got '%s'", r.c_str());
    stop_all_clean(c);
}

/* ---- faults: kill -9, restart, partition ---- */

struct writer_state {
    kv_cluster *c;
    std::atomic<bool> stop{false};
    std::atomic<int> acked{0};
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    std::vector<nl_lin_op> history;
    std::vector<int> outcome;   // per key u<i>: 1 acked, 0 unknown, -1 refused
    int client = 0;
};

// Writes u0, u1, ... = v0, v1, ... one at a time, recording every outcome.
static void *unique_writer(void *arg)
{
    writer_state *w = (writer_state *)arg;
    int hint = -1;
    for (int i = 0; !w->stop.load() && i < 10000; i++) {
        nl_lin_op op;
        op.client = w->client;
        op.kind = NL_LIN_SET;
        op.key = "u" + std::to_string(i);
        op.value = "v" + std::to_string(i);
        op.call = now_ns();
        std::string r = kvc_request(w->c, &hint, "SET " + op.key + " " + op.value, 8000);
        op.ret = now_ns();
        int out = r == "OK" ? 1 : (r.empty() || r.rfind("ERR not committed", 0) == 0) ? 0 : -1;
        if (out == 0)
            op.ret = NL_LIN_PENDING;
        pthread_mutex_lock(&w->mu);
        if (out >= 0)
            w->history.push_back(op);
        w->outcome.push_back(out);
        pthread_mutex_unlock(&w->mu);
        if (out == 1)
            w->acked++;
    }
    return nullptr;
}

struct acked_goal {
    writer_state *w;
    int n;
};

static bool acked_reached(void *arg)
{
    acked_goal *g = (acked_goal *)arg;
    return g->w->acked.load() >= g->n;
}

static void wait_acked(writer_state *w, int n, int timeout_ms, const char *when)
{
    acked_goal g = {w, n};
    if (!nl_wait_until(acked_reached, &g, timeout_ms))
        fail_msg("%s: expected %d acknowledged writes within %d ms, got %d", when, n, timeout_ms, w->acked.load());
}

// Reads every key the writer touched through the cluster: an acknowledged one must hold its value.
static void check_writes(kv_cluster *c, writer_state *w)
{
    int hint = -1;
    for (size_t i = 0; i < w->outcome.size(); i++) {
        std::string key = "u" + std::to_string(i);
        nl_lin_op op;
        op.kind = NL_LIN_GET;
        op.key = key;
        op.client = 99;
        op.call = now_ns();
        std::string r = kvc_request(c, &hint, "GET " + key, 15000);
        op.ret = now_ns();
        if (w->outcome[i] == 1 && r != "VALUE v" + std::to_string(i))
            fail_msg("write %zu (SET %s v%zu) was acknowledged OK; GET %s now answers '%s': an acknowledged write was lost",
                     i, key.c_str(), i, key.c_str(), r.c_str());
        if (r == "NIL" || r.rfind("VALUE ", 0) == 0) {
            op.found = r != "NIL";
            if (op.found)
                op.result = r.substr(6);
            w->history.push_back(op);
        }
    }
    std::string why;
    if (!nl_lin_check_kv(w->history, &why))
        fail_msg("the history of writes and final reads is not linearizable: %s", why.c_str());
}

void test_kill_leader_no_acked_write_lost(void **)
{
    kv_cluster *c = formed(3);
    writer_state w;
    w.c = c;
    pthread_t th;
    pthread_create(&th, nullptr, unique_writer, &w);
    wait_acked(&w, 10, 30000, "3 nodes, before any fault");
    int l = kvc_wait_leader(c, 10000);
    kvc_kill(c, l);                                     // kill -9 while the writer is writing
    int base = w.acked.load();
    wait_acked(&w, base + 15, 60000, "after kill -9 of the leader");
    std::string why;
    if (!kvc_start(c, l, false, &why))
        fail_msg("restarting the killed leader on its folder: %s", why.c_str());
    base = w.acked.load();
    wait_acked(&w, base + 10, 60000, "after the killed leader restarted");
    w.stop = true;
    pthread_join(th, nullptr);
    check_writes(c, &w);
    // The restarted node caught up: alone with one other node it must still serve every write.
    stop_all_clean(c);
}

void test_restart_all_durable(void **)
{
    kv_cluster *c = formed(3);
    int hint = -1;
    for (int i = 0; i < 10; i++) {
        std::string r = kvc_request(c, &hint, "SET d" + std::to_string(i) + " x" + std::to_string(i), 10000);
        if (r != "OK")
            fail_msg("SET d%d x%d before the restart: expected OK, got '%s'", i, i, r.c_str());
    }
    stop_all_clean(c);
    std::string why;
    for (int i = 0; i < 3; i++)
        if (!kvc_start(c, i, i == 0, &why))   // node 1 gets --bootstrap again: its folder wins
            fail_msg("restart of node %d on its folder (node 1 with --bootstrap again): %s", i + 1, why.c_str());
    if (kvc_wait_leader(c, 20000, "1,2,3") < 0)
        fail_msg("after restarting all three nodes: expected a leader with members=1,2,3 within 20 s");
    for (int i = 0; i < 10; i++) {
        std::string r = kvc_request(c, &hint, "GET d" + std::to_string(i), 10000);
        if (r != "VALUE x" + std::to_string(i))
            fail_msg("GET d%d after SIGTERM and restart of every node: expected 'VALUE x%d', got '%s'", i, i, r.c_str());
    }
    stop_all_clean(c);
}

void test_cluster5_two_failures(void **)
{
    kv_cluster *c = formed(5);
    writer_state w;
    w.c = c;
    pthread_t th;
    pthread_create(&th, nullptr, unique_writer, &w);
    wait_acked(&w, 8, 30000, "5 nodes, before any fault");
    int l = kvc_wait_leader(c, 10000);
    kvc_kill(c, l);
    kvc_kill(c, (l + 2) % 5);
    int base = w.acked.load();
    wait_acked(&w, base + 10, 60000, "5 nodes after kill -9 of the leader and one follower");
    w.stop = true;
    pthread_join(th, nullptr);
    check_writes(c, &w);
    stop_all_clean(c);
}

static std::atomic<int> hist_done;

struct hist_client {
    kv_cluster *c;
    int id;
    unsigned seed;
    int ops;
    std::vector<nl_lin_op> h;
};

// Random SET/GET/DEL on three keys; a failed GET observed nothing and is left out.
static void *hist_main(void *arg)
{
    hist_client *hc = (hist_client *)arg;
    int hint = -1;
    unsigned s = hc->seed;
    for (int i = 0; i < hc->ops; i++) {
        s = s * 1103515245u + 12345u;
        nl_lin_op op;
        op.client = hc->id;
        op.key = std::string(1, (char)('a' + (s >> 16) % 3));
        unsigned k = (s >> 8) % 10;
        std::string line;
        if (k < 5) {
            op.kind = NL_LIN_SET;
            op.value = std::to_string(hc->id) + "." + std::to_string(i);
            line = "SET " + op.key + " " + op.value;
        } else if (k < 9) {
            op.kind = NL_LIN_GET;
            line = "GET " + op.key;
        } else {
            op.kind = NL_LIN_DEL;
            line = "DEL " + op.key;
        }
        op.call = now_ns();
        std::string r = kvc_request(hc->c, &hint, line, 8000);
        op.ret = now_ns();
        if (op.kind == NL_LIN_GET) {
            if (r == "NIL" || r.rfind("VALUE ", 0) == 0) {
                op.found = r != "NIL";
                if (op.found)
                    op.result = r.substr(6);
                hc->h.push_back(op);
            }
        } else if (r == "OK") {
            hc->h.push_back(op);
        } else if (r.empty() || r.rfind("ERR not committed", 0) == 0) {
            op.ret = NL_LIN_PENDING;
            hc->h.push_back(op);
        }
        hist_done++;
    }
    return nullptr;
}

void test_history_linearizable(void **)
{
    kv_cluster *c = formed(3);
    hist_done = 0;
    hist_client hc[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        hc[i].c = c;
        hc[i].id = i + 1;
        hc[i].seed = 1000u + (unsigned)i;
        hc[i].ops = 40;
        pthread_create(&th[i], nullptr, hist_main, &hc[i]);
    }
    bool ok = nl_wait_until([](void *) -> bool { return hist_done.load() >= 30; }, nullptr, 60000);
    int l = kvc_wait_leader(c, 10000);
    if (ok && l >= 0)
        kvc_kill(c, l);
    ok = ok && nl_wait_until([](void *) -> bool { return hist_done.load() >= 70; }, nullptr, 90000);
    std::string why;
    if (ok && l >= 0 && !kvc_start(c, l, false, &why))
        fail_msg("restarting the killed leader: %s", why.c_str());
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], nullptr);
    if (!ok)
        fail_msg("3 clients x 40 operations with kill -9 of the leader: %d operations finished", hist_done.load());
    std::vector<nl_lin_op> all;
    for (int i = 0; i < 3; i++)
        all.insert(all.end(), hc[i].h.begin(), hc[i].h.end());
    if (!nl_lin_check_kv(all, &why))
        fail_msg("3 clients (seeds 1000-1002), kill -9 of the leader after 30 operations: history not linearizable: %s",
                 why.c_str());
    stop_all_clean(c);
}

// Cuts node idx (index 0: Raft id 1) off from every other node, both ways, through the proxies.
void isolate(kv_cluster *c, int idx, nl_tcpproxy_mode mode)
{
    for (size_t i = 0; i < c->nodes.size(); i++) {
        if ((int)i == idx)
            nl_tcpproxy_set(c->nodes[i]->proxy, NL_PROXY_ALL, mode);
        else
            nl_tcpproxy_set(c->nodes[i]->proxy, (long)c->nodes[(size_t)idx]->id, mode);
    }
}

void heal(kv_cluster *c)
{
    for (kv_node *nd : c->nodes)
        nl_tcpproxy_heal(nd->proxy);
}

// The old leader (node 1, a long election timeout so it keeps believing it leads) is cut off; the
// majority elects a leader and overwrites x. A GET x on the old leader must never answer the old value.
void test_partition_no_stale_read(void **)
{
    kv_cluster *c = formed(3, true, 20000);
    if (kvc_wait_leader(c, 10000) != 0)
        fail_msg("expected node 1 (the bootstrap node) to lead the new cluster");
    std::string r = kvc_call(kvc_port(c, 0), "SET x old", 10000);
    if (r != "OK")
        fail_msg("SET x old on node 1: expected OK, got '%s'", r.c_str());
    isolate(c, 0, NL_PROXY_BLACKHOLE);
    int m = kvc_wait_leader(c, 20000, "", 0);
    if (m < 0)
        fail_msg("node 1 blackholed: expected nodes 2 and 3 to elect a leader within 20 s");
    r = kvc_call(kvc_port(c, m), "SET x new", 10000);
    if (r != "OK")
        fail_msg("SET x new on the majority's leader %d: expected OK, got '%s'", m + 1, r.c_str());
    std::string s = kvc_call(kvc_port(c, 0), "STATUS", 2000);
    r = kvc_call(kvc_port(c, 0), "GET x", 3000);
    if (r == "VALUE old")
        fail_msg("GET x on the cut-off old leader (%s) after the majority wrote x=new: got 'VALUE old', a stale read "
                 "(a GET must wait for a barrier a majority commits)", s.c_str());
    if (r.rfind("VALUE", 0) == 0)
        fail_msg("GET x on the cut-off old leader: expected no value (no majority), got '%s'", r.c_str());
    heal(c);
    int hint = m;
    r = kvc_request(c, &hint, "GET x", 20000);
    if (r != "VALUE new")
        fail_msg("after healing the partition: expected GET x to answer 'VALUE new', got '%s'", r.c_str());
    stop_all_clean(c);
}

// A write sent to a leader that lost its majority is never acknowledged, and once healed the
// majority's value stands.
void test_partition_minority_write_not_acked(void **)
{
    kv_cluster *c = formed(3, true, 20000);
    if (kvc_wait_leader(c, 10000) != 0)
        fail_msg("expected node 1 (the bootstrap node) to lead the new cluster");
    isolate(c, 0, NL_PROXY_BLACKHOLE);
    std::string r = kvc_call(kvc_port(c, 0), "SET y lost", 3000);
    if (r == "OK")
        fail_msg("SET y lost on node 1 cut off from both peers: got 'OK' without a majority (acknowledged before commit)");
    int m = kvc_wait_leader(c, 20000, "", 0);
    if (m < 0)
        fail_msg("node 1 blackholed: expected nodes 2 and 3 to elect a leader within 20 s");
    r = kvc_call(kvc_port(c, m), "SET y kept", 10000);
    if (r != "OK")
        fail_msg("SET y kept on the majority's leader: expected OK, got '%s'", r.c_str());
    heal(c);
    int hint = m;
    r = kvc_request(c, &hint, "GET y", 20000);
    if (r != "VALUE kept")
        fail_msg("after healing: expected 'VALUE kept' (the minority's uncommitted write discarded), got '%s'", r.c_str());
    // Node 1 rejoined as a follower of the majority's leader.
    bool follower = false;
    for (int i = 0; i < 500 && !follower; i++) {
        std::string s = kvc_call(kvc_port(c, 0), "STATUS", 2000);
        follower = kvc_status_field(s, "state") == "follower" && kvc_status_field(s, "leader") == std::to_string(m + 1);
        if (!follower) {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, nullptr);
        }
    }
    if (!follower)
        fail_msg("after healing: expected node 1 to follow node %d, last STATUS '%s'", m + 1,
                 kvc_call(kvc_port(c, 0), "STATUS", 2000).c_str());
    stop_all_clean(c);
}
