// test_crash.cpp — EX25 crash-point enumeration: every node killed at every crash point of a
// fault-free run (before/after each log write and each send), restarted from its log soon or late
// (or, for the 3PC coordinator, never), and the whole process killed with a real SIGKILL at every
// point then restarted from the files. Each run must stay atomic and finish.
#include "tx_tests.h"

#include <csignal>
#include <ctime>
#include <sys/wait.h>
#include <unistd.h>

static double now_s()
{
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Points each node passes in a fault-free run of proto with the given no-voter (0 = none).
static void dry_points(int proto, int novoter, int counts[8], int *total)
{
    cluster dry;
    cl_init(&dry, proto, 3, 1, "dry");
    if (novoter)
        dry.no_vote[novoter] = true;
    cl_begin(&dry, "t1");
    cl_run_until(&dry, 100);
    for (int i = 0; i <= 3; i++)
        counts[i] = dry.points[i];
    *total = dry.total_points;
    cl_free(&dry);
}

// One crash schedule: node `node` dies at its k-th point, back after `back` ms (0 = never).
static std::string run_schedule(int proto, int novoter, int node, int k, uint64_t back, bool require_finish)
{
    cluster c;
    cl_init(&c, proto, 3, 1, "cr");
    if (novoter)
        c.no_vote[novoter] = true;
    c.crash_node = node;
    c.crash_k = k;
    c.restart_after = back;
    cl_begin(&c, "t1"); // the coordinator may die inside begin: its restart is planned like any other
    cl_run_until(&c, 3000);
    std::string verdict = cl_check_atomic(&c, "t1", require_finish);
    if (verdict.empty() && !c.wal_violation.empty())
        verdict = c.wal_violation;
    if (verdict.empty() && !c.error.empty())
        verdict = c.error;
    if (verdict.empty() && novoter && cl_disk_state(&c, 0, "t1") == TX_COMMITTED)
        verdict = "committed although participant " + std::to_string(novoter) + " voted no";
    if (verdict.empty() && require_finish && back) {
        std::vector<std::string> r = disk_records(cl_log_path(&c, 0).c_str());
        if (!r.empty() && r.back() != "END t1")
            verdict = "recovery did not finish: coordinator log " + join(r) + " does not end with END t1";
    }
    if (!verdict.empty()) {
        char head[160];
        snprintf(head, sizeof head, "%dPC, no-voter %d, node %d killed at its crash point %d (%s), back after %llu ms: ",
                 proto, novoter, node, k, k <= (int)c.point_names[node].size() ? c.point_names[node][k - 1].c_str() : "?",
                 (unsigned long long)back);
        verdict = head + verdict + "\n" + cl_describe(&c);
    }
    cl_free(&c);
    return verdict;
}

static void enumerate(int proto)
{
    double t0 = now_s();
    int runs = 0;
    const uint64_t backs[] = {5, 400};
    for (int novoter = 0; novoter <= 2; novoter += 2) {
        int counts[8], total;
        dry_points(proto, novoter, counts, &total);
        for (int node = 0; node <= 3; node++)
            for (int k = 1; k <= counts[node]; k++)
                for (uint64_t back : backs) {
                    std::string v = run_schedule(proto, novoter, node, k, back, true);
                    runs++;
                    if (!v.empty())
                        fail_msg("%s", v.c_str());
                }
    }
    double dt = now_s() - t0;
    printf("%dPC: %d crash schedules checked in %.3f s (%.0f per second)\n", proto, runs, dt, runs / (dt > 0 ? dt : 1e-9));
}

void test_2pc_crash_every_point(void **) { enumerate(2); }

void test_3pc_crash_every_point(void **) { enumerate(3); }

void test_3pc_nonblocking_every_coordinator_point(void **)
{
    double t0 = now_s();
    int runs = 0;
    for (int novoter = 0; novoter <= 2; novoter += 2) {
        int counts[8], total;
        dry_points(3, novoter, counts, &total);
        for (int k = 1; k <= counts[0]; k++) {
            // The coordinator never comes back: the survivors must decide by themselves.
            std::string v = run_schedule(3, novoter, 0, k, 0, true);
            runs++;
            if (!v.empty())
                fail_msg("%s", v.c_str());
        }
        // A participant dies for good at each of its points: the others still finish.
        for (int node = 1; node <= 3; node++)
            for (int k = 1; k <= counts[node]; k++) {
                std::string v = run_schedule(3, novoter, node, k, 0, true);
                runs++;
                if (!v.empty())
                    fail_msg("%s", v.c_str());
            }
    }
    double dt = now_s() - t0;
    printf("3PC non-blocking: %d schedules checked in %.3f s (%.0f per second)\n", runs, dt, runs / (dt > 0 ? dt : 1e-9));
}

void test_kill9_every_point(void **)
{
    double t0 = now_s();
    int runs = 0;
    for (int proto = 2; proto <= 3; proto++) {
        int counts[8], total;
        dry_points(proto, 0, counts, &total);
        for (int k = 1; k <= total; k++) {
            std::string dir = fresh_dir("k9");
            fflush(stdout);
            pid_t pid = fork();
            if (pid < 0)
                fail_msg("fork: cannot start the protocol process");
            if (pid == 0) {
                // The protocol process: every node in it, killed with SIGKILL at global point k.
                cluster c;
                cl_init_in(&c, proto, 3, 1, dir, true);
                c.kill_all = true;
                c.crash_k = k;
                cl_begin(&c, "t1");
                cl_run_until(&c, 200);
                _exit(3); // never reached: point k exists in this run
            }
            int status = 0;
            waitpid(pid, &status, 0);
            runs++;
            if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
                fail_msg("%dPC: the protocol process was to be killed at point %d of %d; it ended with status %d", proto, k,
                         total, status);
            // Restart every node from the files the killed process left.
            cluster r;
            cl_init_in(&r, proto, 3, 1, dir, false);
            cl_reopen_all(&r);
            cl_run_until(&r, 3000);
            std::string v = cl_check_atomic(&r, "t1", true);
            if (v.empty() && !r.error.empty())
                v = r.error;
            if (!v.empty())
                fail_msg("%dPC, process killed with SIGKILL at global crash point %d, every node restarted from its log: %s\n%s",
                         proto, k, v.c_str(), cl_describe(&r).c_str());
            cl_free(&r);
        }
    }
    double dt = now_s() - t0;
    printf("kill -9: %d process kills checked in %.3f s (%.0f per second)\n", runs, dt, runs / (dt > 0 ? dt : 1e-9));
}
