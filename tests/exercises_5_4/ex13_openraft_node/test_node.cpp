// test_node.cpp — EX13 black-box tests of the node's own conventions: pipelined requests on one
// connection, the line limit before its "\n", a leader's answers once it lost its majority,
// --snapshot-every on disk and across a restart, the start failures, and client connections
// released (no descriptor kept for a finished client).
#include "raft_kv.h"
#include "nl_test.h"

#include "kv_cluster.h"
#include "nl_badargs.h"
#include "nl_clock.h"
#include "nl_tcpproxy.h"
#include "nl_testnet.h"

#include <csignal>
#include <cstring>
#include <dirent.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "ex13_tests.h"

// Starts node 1 of c with --bootstrap (a first start, or a restart on its folder) and waits for it
// to lead its one-node cluster.
static void start_leader(kv_cluster *c, const char *what)
{
    std::string why;
    if (!kvc_start(c, 0, true, &why))
        fail_msg("%s: starting raft_kv --id 1 --bootstrap: %s", what, why.c_str());
    if (kvc_wait_leader(c, 10000) != 0)
        fail_msg("%s: expected raft_kv --id 1 --bootstrap to lead within 10 s", what);
}

static kv_cluster *one_node(unsigned snapshot_every)
{
    ex13_cluster = kvc_new(1, false);
    ex13_cluster->snapshot_every = snapshot_every;
    start_leader(ex13_cluster, "one node");
    return ex13_cluster;
}

// Reads n reply lines from fd and checks them against want, in order.
static void expect_replies(int fd, const std::vector<std::string> &want, const char *what)
{
    for (size_t i = 0; i < want.size(); i++) {
        std::string got;
        int rc = nl_tc_read_line(fd, &got, 10000);
        if (rc != 1)
            fail_msg("%s: reply %zu: expected '%s', got %s", what, i + 1, want[i].c_str(),
                     rc == 0 ? "the connection closed" : "nothing within 10 s");
        if (got != want[i])
            fail_msg("%s: reply %zu: expected '%s', got '%s'", what, i + 1, want[i].c_str(), got.c_str());
    }
}

/* ---- R16: pipelined requests ---- */

void test_pipelined_requests(void **)
{
    kv_cluster *c = one_node(0);
    uint16_t p = kvc_port(c, 0);
    // Two connections, each sends all its lines in one write: replies that need a commit and
    // replies given at once (errors, STATUS's usage) must still come back in request order.
    int a = nl_tc_connect(p), b = nl_tc_connect(p);
    if (a < 0 || b < 0)
        fail_msg("connecting two clients to the node: failed");
    nl_tc_send(a, "SET p 1\r\nGET p\nBAD\nSET p two words\nSTATUS now\nGET p\r\nDEL p\nGET p\nGET q\n");
    nl_tc_send(b, "SET q 1\nSET q 2\nget q\nGET q\nDEL q\nDEL q\nGET q\n");
    expect_replies(a, {"OK", "VALUE 1", "ERR unknown command", "OK", "ERR usage: STATUS", "VALUE two words", "OK", "NIL"},
                   "client 1 pipelined 'SET p 1\\r\\n GET p, BAD, SET p two words, STATUS now, GET p\\r\\n, DEL p, GET p'");
    expect_replies(b, {"OK", "OK", "ERR unknown command", "VALUE 2", "OK", "OK", "NIL"},
                   "client 2 pipelined 'SET q 1, SET q 2, get q, GET q, DEL q, DEL q, GET q'");
    // The last GET q of client 1 was sent before client 2 deleted q: any of its replies is possible,
    // but it must be one line, and the connection must still serve a request after it.
    std::string last;
    if (nl_tc_read_line(a, &last, 10000) != 1 || (last != "NIL" && last.rfind("VALUE ", 0) != 0))
        fail_msg("client 1 pipelined GET q (9th line): expected NIL or VALUE, got '%s'", last.c_str());
    nl_tc_send(a, "STATUS\n");
    if (nl_tc_read_line(a, &last, 10000) != 1 || last.rfind("STATUS id=1 state=leader ", 0) != 0)
        fail_msg("client 1 STATUS after its pipelined lines: expected 'STATUS id=1 state=leader ...', got '%s'", last.c_str());
    nl_tc_close(a);
    nl_tc_close(b);
    stop_all_clean(c);
}

/* ---- R4: the limit is enforced before the "\n" arrives ---- */

void test_line_limit_without_newline(void **)
{
    kv_cluster *c = one_node(0);
    uint16_t p = kvc_port(c, 0);
    int fd = nl_tc_connect(p);
    std::string body = "GET " + std::string(2043, 'k');   // 2047 bytes: with its "\n", the limit
    nl_tc_send(fd, body);
    nl_tc_send(fd, "\n");
    expect_replies(fd, {"ERR key too long (max 64 bytes)"}, "2047 bytes, then their \"\\n\" (2048 bytes, the limit)");
    nl_tc_close(fd);
    fd = nl_tc_connect(p);
    nl_tc_send(fd, "GET " + std::string(2044, 'k'));      // 2048 bytes and no "\n" yet: already too long
    std::string r;
    if (nl_tc_read_line(fd, &r, 10000) != 1 || r != "ERR line too long (max 2048 bytes)")
        fail_msg("2048 bytes without a \"\\n\": expected 'ERR line too long (max 2048 bytes)' at once (not waiting for the "
                 "\"\\n\"), got '%s'", r.c_str());
    if (!nl_tc_wait_eof(fd, 5000))
        fail_msg("after 'ERR line too long' for 2048 bytes without a \"\\n\": expected the node to close the connection");
    nl_tc_close(fd);
    std::string s = kvc_call(p, "SET after 1", 10000);
    if (s != "OK")
        fail_msg("a new client after an over-long line: expected SET to answer OK, got '%s'", s.c_str());
    stop_all_clean(c);
}

/* ---- R20: a leader that lost its majority answers what waits ---- */

void test_leader_cut_off_answers(void **)
{
    // Node 1 leads with a 6 s election timeout: cut off, it keeps leading for about 6 s (the SET,
    // the GET and the ADD below reach it as leader), then steps down and must answer them (R20).
    ex13_cluster = kvc_new(3, true);
    kv_cluster *c = ex13_cluster;
    const unsigned election_ms = 6000;
    c->nodes[0]->election_ms = election_ms;
    std::string why;
    if (!kvc_form(c, &why))
        fail_msg("forming a 3-node cluster behind proxies: %s", why.c_str());
    if (kvc_wait_leader(c, 10000) != 0)
        fail_msg("expected node 1 (the bootstrap node) to lead the new cluster");
    uint16_t p = kvc_port(c, 0);
    std::string r = kvc_call(p, "SET x before", 10000);
    if (r != "OK")
        fail_msg("SET x before on node 1: expected OK, got '%s'", r.c_str());
    int w = nl_tc_connect(p), g = nl_tc_connect(p), m = nl_tc_connect(p);
    uint64_t cut = nl_now_ms();
    isolate(c, 0, NL_PROXY_BLACKHOLE);
    nl_tc_send(w, "SET x lost\n");
    nl_tc_send(g, "GET x\n");
    nl_tc_send(m, "ADD 9 127.0.0.1:1\n");
    // A round trip on a third connection: the loop has read both lines by now. The next lines
    // arrive while the first ones wait, and must be answered after them (R16).
    kvc_call(p, "STATUS", 5000);
    nl_tc_send(w, "SET y 1\n");
    nl_tc_send(g, "STATUS\n");
    std::string rw, rg;
    if (nl_tc_read_line(w, &rw, 20000) != 1)
        rw = "(nothing within 20 s)";
    uint64_t deposed_after = nl_now_ms() - cut;
    if (nl_tc_read_line(g, &rg, 20000) != 1)
        rg = "(nothing within 20 s)";
    const std::string tail = " (outcome unknown)";
    if (rw.rfind("ERR not committed: ", 0) != 0 || rw.size() <= strlen("ERR not committed: ") + tail.size() ||
        rw.compare(rw.size() - tail.size(), tail.size(), tail) != 0)
        fail_msg("SET x lost sent to node 1 just after it was cut off: expected 'ERR not committed: <reason> (outcome "
                 "unknown)' once it stepped down, got '%s'", rw.c_str());
    // --election-ms is libraft's election timeout (R22): the leader heard its followers until the
    // cut, so it cannot be deposed much before one timeout has passed (a load only delays it).
    if (deposed_after < election_ms / 2)
        fail_msg("node 1 started with --election-ms %u, cut off: expected it to lead on for about that long, but it "
                 "answered 'SET x lost' (deposed) %llu ms after the cut", election_ms, (unsigned long long)deposed_after);
    if (rg.rfind("ERR read not confirmed: ", 0) != 0 || rg.size() <= strlen("ERR read not confirmed: "))
        fail_msg("GET x sent to node 1 just after it was cut off: expected 'ERR read not confirmed: <reason>' once it "
                 "stepped down, got '%s'", rg.c_str());
    // The membership change it accepted fails with libraft's reason (R5: other library refusals).
    std::string rm;
    std::string want_m = std::string("ERR ") + raft_strerror(RAFT_LEADERSHIPLOST);
    if (nl_tc_read_line(m, &rm, 20000) != 1 || rm != want_m)
        fail_msg("ADD 9 sent to node 1 just after it was cut off: expected '%s' once it stepped down, got '%s'",
                 want_m.c_str(), rm.c_str());
    nl_tc_close(m);
    // The lines sent while those waited, answered after them: cut off, node 1 knows no leader now.
    expect_replies(w, {"ERR no leader"}, "SET y 1, sent on the same connection while SET x lost waited");
    std::string s;
    if (nl_tc_read_line(g, &s, 5000) != 1 || s.rfind("STATUS id=1 ", 0) != 0 || s.find(" state=leader ") != std::string::npos ||
        s.find(" leader=0 ") == std::string::npos)
        fail_msg("STATUS, sent while GET x waited, answered after it (node 1 stepped down, cut off): expected it not "
                 "leader, with leader=0, got '%s'", s.c_str());
    nl_tc_close(w);
    nl_tc_close(g);
    heal(c);
    int hint = -1;
    r = kvc_request(c, &hint, "GET x", 20000);
    if (r != "VALUE before" && r != "VALUE lost")
        fail_msg("after healing: expected GET x to answer 'VALUE before' or 'VALUE lost' (its outcome was unknown), got '%s'",
                 r.c_str());
    stop_all_clean(c);
}

/* ---- R13: members= in ascending order ---- */

void test_members_ascending(void **)
{
    // Ids 1, 7 and 3, added as 7 then 3: STATUS lists the voters by id, not by when they joined.
    ex13_cluster = kvc_new(3, false);
    kv_cluster *c = ex13_cluster;
    c->nodes[1]->id = 7;
    c->nodes[2]->id = 3;
    std::string why;
    for (int i = 0; i < 3; i++)
        if (!kvc_start(c, i, i == 0, &why))
            fail_msg("starting node %d: %s", i + 1, why.c_str());
    if (kvc_wait_leader(c, 10000) != 0)
        fail_msg("node 1 (--bootstrap): expected it to lead within 10 s");
    int hint = 0;
    for (int i = 1; i < 3; i++) {
        std::string line = "ADD " + std::to_string(c->nodes[(size_t)i]->id) + " " + kvc_raft_address(c, i);
        std::string r = kvc_request(c, &hint, line, 20000);
        if (r != "OK")
            fail_msg("'%s': expected OK, got '%s'", line.c_str(), r.c_str());
    }
    if (kvc_wait_leader(c, 10000, "1,3,7") < 0)
        fail_msg("voters 1, 7, 3 (added in that order): expected a leader's STATUS with members=1,3,7, last '%s'",
                 kvc_call(kvc_port(c, 0), "STATUS", 2000).c_str());
    std::string r = kvc_request(c, &hint, "REMOVE 3", 20000);
    if (r != "OK")
        fail_msg("REMOVE 3: expected OK, got '%s'", r.c_str());
    if (kvc_wait_leader(c, 10000, "1,7") < 0)
        fail_msg("after REMOVE 3: expected members=1,7, last '%s'", kvc_call(kvc_port(c, 0), "STATUS", 2000).c_str());
    stop_all_clean(c);
}

/* ---- R17: --snapshot-every ---- */

static int snapshot_files(const std::string &dir)
{
    int n = 0;
    if (DIR *d = opendir(dir.c_str())) {
        while (struct dirent *e = readdir(d))
            if (strncmp(e->d_name, "snapshot-", 9) == 0 && !strstr(e->d_name, ".meta"))
                n++;
        closedir(d);
    }
    return n;
}

static bool has_snapshot(void *dir)
{
    return snapshot_files(*(std::string *)dir) > 0;
}

void test_snapshot_every(void **)
{
    kv_cluster *c = one_node(8);
    uint16_t p = kvc_port(c, 0);
    if (snapshot_files(c->nodes[0]->dir) != 0)
        fail_msg("a new node with --snapshot-every 8: expected no snapshot file before any write");
    int fd = nl_tc_connect(p);
    std::string lines;
    std::vector<std::string> oks;
    for (int i = 0; i < 20; i++) {
        lines += "SET s" + std::to_string(i) + " v" + std::to_string(i) + "\n";
        oks.push_back("OK");
    }
    lines += "SET gone 1\nDEL gone\n";
    oks.push_back("OK");
    oks.push_back("OK");
    nl_tc_send(fd, lines);
    expect_replies(fd, oks, "20 SETs, SET gone, DEL gone");
    nl_tc_close(fd);
    if (!nl_wait_until(has_snapshot, &c->nodes[0]->dir, 10000))
        fail_msg("--snapshot-every 8 and 22 entries applied: expected a snapshot-* file in the data folder within 10 s");
    stop_all_clean(c);
    start_leader(c, "restart on its folder (with a snapshot)");
    p = kvc_port(c, 0);
    for (int i = 0; i < 20; i++) {
        std::string r = kvc_call(p, "GET s" + std::to_string(i), 10000);
        if (r != "VALUE v" + std::to_string(i))
            fail_msg("GET s%d after a restart from the snapshot and the entries after it: expected 'VALUE v%d', got '%s'", i,
                     i, r.c_str());
    }
    std::string r = kvc_call(p, "GET gone", 10000);
    if (r != "NIL")
        fail_msg("GET gone (set, then deleted) after the restart: expected NIL, got '%s'", r.c_str());
    stop_all_clean(c);
}

/* ---- R18: start failures ---- */

static void expect_start_failure(const std::vector<std::string> &args, const char *what)
{
    nl_run_result r;
    if (nl_run_program("raft_kv", args, 15000, 0, &r) != 0)
        fail_msg("%s: could not run raft_kv", what);
    if (r.status != 1 || !r.out.empty() || r.err.rfind("raft_kv: ", 0) != 0)
        fail_msg("%s: expected exit status 1, nothing on stdout and 'raft_kv: <why>' on stderr; got status %d, stdout "
                 "'%.60s', stderr '%.80s'", what, r.status, r.out.c_str(), r.err.c_str());
}

void test_start_failures(void **)
{
    ex13_cluster = kvc_new(1, false);   // only for its temporary folder
    std::string root = ex13_cluster->root;
    int held = 0;
    int hfd = nl_hold_port(&held);
    if (hfd < 0)
        fail_msg("holding a loopback port for the test: failed");
    std::string rp = std::to_string(kvc_free_port());
    expect_start_failure({"--id", "1", "--data-dir", root + "/a", "--raft-port", rp, "--port", std::to_string(held),
                          "--bootstrap"},
                         "--port of a port another socket listens on");
    expect_start_failure({"--id", "1", "--data-dir", root + "/b", "--raft-port", std::to_string(held), "--port", "0",
                          "--bootstrap"},
                         "--raft-port of a port another socket listens on");
    std::string file = root + "/file";
    FILE *f = fopen(file.c_str(), "w");
    if (f)
        fclose(f);
    expect_start_failure({"--id", "1", "--data-dir", file, "--raft-port", rp, "--port", "0"},
                         "--data-dir naming a file, not a folder");
    expect_start_failure({"--id", "1", "--data-dir", root + "/missing/n1", "--raft-port", rp, "--port", "0"},
                         "--data-dir whose parent folder does not exist");
    close(hfd);
    // None of them left anything running: a node now starts, on the client port it was given (R14).
    uint16_t want = kvc_free_port();
    nl_server srv;
    if (nl_server_start(&srv, "raft_kv", {"--id", "1", "--data-dir", root + "/c", "--raft-port", rp, "--port",
                                          std::to_string(want), "--bootstrap"}, 15000) != 0)
        fail_msg("after the failed starts, raft_kv --bootstrap --port %u: no listening line within 15 s", want);
    if (srv.port != want)
        fail_msg("raft_kv --port %u: expected 'listening on 127.0.0.1:%u', got port %u", want, want, srv.port);
    std::string r = kvc_call(want, "SET a 1", 10000);
    if (r != "OK")
        fail_msg("SET a 1 on 127.0.0.1:%u (--port): expected OK, got '%s'", want, r.c_str());
    int code = nl_server_stop(&srv, SIGTERM, 15000);
    if (code != 0)
        fail_msg("SIGTERM to raft_kv --port %u: expected exit status 0, got %d", want, code);
}

/* ---- R19: finished connections are released ---- */

static int sockets_of(pid_t pid)
{
    std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    int n = 0;
    if (DIR *d = opendir(dir.c_str())) {
        while (struct dirent *e = readdir(d)) {
            char target[256];
            std::string path = dir + "/" + e->d_name;
            ssize_t len = readlink(path.c_str(), target, sizeof target - 1);
            if (len > 0 && strncmp(target, "socket:", 7) == 0)
                n++;
        }
        closedir(d);
    }
    return n;
}

struct sockets_goal {
    pid_t pid;
    int most;
};

static bool sockets_back(void *arg)
{
    sockets_goal *g = (sockets_goal *)arg;
    return sockets_of(g->pid) <= g->most;
}

void test_connections_released(void **)
{
    kv_cluster *c = one_node(0);
    uint16_t p = kvc_port(c, 0);
    pid_t pid = c->nodes[0]->srv.pid;
    if (kvc_call(p, "SET warm 1", 10000) != "OK")
        fail_msg("SET warm 1: expected OK");
    // The node's own sockets (its client listener and libraft's: a one-node cluster has no peer),
    // perhaps with the warm-up connection still closing: any leak below adds one per client.
    sockets_goal base = {pid, sockets_of(pid)};
    int opened = 0;
    for (int i = 0; i < 12; i++, opened++)   // a request, its reply, the client closes
        if (kvc_call(p, "SET c" + std::to_string(i) + " v", 10000) != "OK")
            fail_msg("SET c%d on a fresh connection: expected OK", i);
    for (int i = 0; i < 4; i++, opened++) {  // connect and close without a word, or mid-line
        int fd = nl_tc_connect(p);
        if (i % 2)
            nl_tc_send(fd, "SET half");
        nl_tc_close(fd);
    }
    for (int i = 0; i < 4; i++, opened++) {  // over the limit: the node closes
        int fd = nl_tc_connect(p);
        std::string r;
        nl_tc_send(fd, "SET k " + std::string(2100, 'v') + "\n");
        if (nl_tc_read_line(fd, &r, 10000) != 1 || r != "ERR line too long (max 2048 bytes)" || !nl_tc_wait_eof(fd, 5000))
            fail_msg("a 2107-byte line: expected 'ERR line too long (max 2048 bytes)' then the connection closed, got '%s'",
                     r.c_str());
        nl_tc_close(fd);
    }
    if (!nl_wait_until(sockets_back, &base, 10000))
        fail_msg("%d client connections finished (12 served, 4 closed by the client without a request, 4 closed by the node "
                 "after R4): expected the node back to %d open sockets within 10 s, it holds %d", opened, base.most,
                 sockets_of(pid));
    if (kvc_call(p, "GET c11", 10000) != "VALUE v")
        fail_msg("GET c11 after the connections were released: expected 'VALUE v'");
    stop_all_clean(c);
}
