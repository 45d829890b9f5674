// test_pool.cpp — the bonus: a bounded pool of workers and a bounded queue (echo_server --pool N).
#include "echo_test.h"
#include "suite.h"

#include <csignal>

// With N workers at most N clients are served at once (and the process has N + 2 threads: main,
// signals, workers); the next client is served as soon as a worker is free.
void test_pool_bound(void **)
{
    et_start({"--pool", "3", "--queue", "16"});
    int c[8];
    for (int i = 0; i < 3; i++) {
        c[i] = et_connect();
        et_send(c[i], "served " + std::to_string(i) + "\n");
        et_expect(c[i], "ECHO: SERVED " + std::to_string(i));
    }
    for (int i = 3; i < 8; i++) {
        c[i] = et_connect();
        et_send(c[i], "waiting " + std::to_string(i) + "\n");
    }
    et_wait_count(c[0], 8);  // all 8 accepted: 3 served, 5 queued
    int threads = nl_proc_threads(et_srv.pid);
    if (threads > 3 + 2) fail_msg("--pool 3 with 8 clients runs %d threads (at most 5 expected)", threads);
    std::string early;
    if (nl_tc_read_some(c[3], &early, 300) >= 0)
        fail_msg("a 4th client was answered while 3 workers were busy: '%s'", early.c_str());
    et_close(c[0]);
    et_expect(c[3], "ECHO: WAITING 3");
    et_stop_ok();
    // The largest pool and queue the README allows (--pool 256, --queue 1024) are accepted and serve.
    et_start({"--pool", "256", "--queue", "1024"});
    int big = et_connect();
    et_send(big, "largest pool\n");
    et_expect(big, "ECHO: LARGEST POOL", "with --pool 256 --queue 1024 (the limits)");
    threads = nl_proc_threads(et_srv.pid);
    if (threads > 256 + 2) fail_msg("--pool 256 runs %d threads (at most 258 expected)", threads);
#ifndef __SANITIZE_ADDRESS__  // (AddressSanitizer reserves terabytes up front)
    // R15: the workers are client threads, 256 KiB of stack each: 256 of them are 64 MiB, not the
    // 2 GiB of default 8 MiB stacks.
    long long vm = et_vm_size(et_srv.pid);
    if (vm < 0 || vm > (1ll << 30))
        fail_msg("--pool 256 uses %lld MiB of address space (256 KiB worker stacks: well under 1024 MiB)", vm >> 20);
#endif
    et_stop_ok();
}

// A connection that finds the queue full gets "BUSY\n" and is closed; queued ones are served later.
void test_pool_queue_full_busy(void **)
{
    et_start({"--pool", "1", "--queue", "2"});
    int c1 = et_connect();
    et_send(c1, "one\n");
    et_expect(c1, "ECHO: ONE");  // the only worker is now busy with c1
    int c2 = et_connect(), c3 = et_connect();
    et_send(c2, "two\n");
    et_send(c3, "three\n");
    int c4 = et_connect();
    et_expect(c4, "BUSY");
    et_expect_eof(c4, "after BUSY (queue full)");
    et_send(c1, "QUIT\n");
    et_expect(c1, "BYE");
    et_expect(c2, "ECHO: TWO");
    et_close(c2);
    et_expect(c3, "ECHO: THREE");
    et_stop_ok();
    // The smallest queue (--queue 1, at the limit): one connection waits, the next is told BUSY.
    et_start({"--pool", "1", "--queue", "1"});
    int d1 = et_connect();
    et_send(d1, "one\n");
    et_expect(d1, "ECHO: ONE");
    int d2 = et_connect();
    et_send(d2, "two\n");
    et_wait_count(d1, 2, "with --queue 1: one served, one queued");
    int d3 = et_connect();
    et_expect(d3, "BUSY", "--queue 1 with one connection queued");
    et_expect_eof(d3, "after BUSY (--queue 1 full)");
    et_send(d1, "QUIT\n");
    et_expect(d1, "BYE");
    et_expect(d2, "ECHO: TWO", "the queued connection, once the worker is free (--queue 1)");
    et_stop_ok();
}

// A served client silent for --idle-timeout seconds gets "TIMEOUT\n" and is closed, which frees its
// worker for the next client in the queue.
void test_pool_idle_timeout(void **)
{
    et_start({"--pool", "1", "--queue", "4", "--idle-timeout", "1"});
    int quiet = et_connect();
    et_send(quiet, "hello\n");
    et_expect(quiet, "ECHO: HELLO");
    int next = et_connect();
    et_send(next, "my turn\n");
    et_expect(quiet, "TIMEOUT");
    et_expect_eof(quiet, "after TIMEOUT (idle client)");
    et_expect(next, "ECHO: MY TURN");
    et_stop_ok();
    // A served client that does not read its replies for --idle-timeout seconds is closed too: its
    // worker, stuck writing to it, is freed for the next client in the queue.
    et_start({"--pool", "1", "--queue", "4", "--idle-timeout", "1"});
    int deaf = et_connect();
    et_flood_without_reading(deaf);
    int after = et_connect();
    et_send(after, "my turn\n");
    et_expect(after, "ECHO: MY TURN", "after the only worker's client stopped reading for 1 s (--idle-timeout 1)");
    et_stop_ok();
}

// SIGTERM with clients served and queued: every accepted connection gets the replies to what it
// sent, then BYE; none is dropped; the server exits 0.
void test_pool_shutdown_loses_nothing(void **)
{
    et_start({"--pool", "2", "--queue", "8"});
    int c[6];
    for (int i = 0; i < 2; i++) {
        c[i] = et_connect();
        et_send(c[i], "served\n");
        et_expect(c[i], "ECHO: SERVED");
    }
    for (int i = 2; i < 6; i++) {
        c[i] = et_connect();
        et_send(c[i], "queued " + std::to_string(i) + "\n");
    }
    et_wait_count(c[0], 6);
    kill(et_srv.pid, SIGTERM);
    for (int i = 0; i < 6; i++) {
        if (i >= 2) et_expect(c[i], "ECHO: QUEUED " + std::to_string(i));
        et_expect(c[i], "BYE");
        et_expect_eof(c[i], "after SIGTERM and BYE");
    }
    et_stop_ok();
}
