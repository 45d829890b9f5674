// ex08_bench.cpp — `make bench-ex08`: unary calls/s (GetTask) and streamed messages/s (ListTasks of
// TASKS tasks) over loopback, the same load against grpc_tasks (the exercise's server, libgrpc++) and
// against python3-grpcio's own server (py_server.py) of the same proto, in one run, with the ratios.
//   ex08_bench GRPC_TASKS PY_SERVER GEN_PY_DIR [THREADS] [SECONDS] [TASKS]
#include "task_service.grpc.pb.h"

#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

extern char **environ;
namespace ts = taskservice;

namespace {
struct peer {
    pid_t pid = -1;
    int port = 0;
};

void on_alarm(int) {} // only interrupts the read of a peer's first line

void stop_peer(peer *p);

// Starts argv, reads its first stdout line "listening on HOST:PORT" (30 s at most: python3 imports
// grpc slowly on a loaded machine). A peer that does not get there is stopped, never left behind.
bool start_peer(const std::vector<std::string> &argv, peer *p)
{
    int fds[2];
    if (pipe(fds) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char *> av;
    for (const std::string &a : argv) av.push_back((char *)a.c_str());
    av.push_back(nullptr);
    int rc = posix_spawn(&p->pid, av[0], &fa, nullptr, av.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) return false;
    std::string line;
    char c;
    // Without SA_RESTART the alarm ends a blocked read (the default action would kill the bench
    // and leave the peers running).
    struct sigaction sa = {};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, nullptr);
    alarm(30);
    while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
    alarm(0);
    close(fds[0]);
    size_t colon = line.rfind(':');
    if (line.rfind("listening on ", 0) == 0 && colon != std::string::npos) p->port = atoi(line.c_str() + colon + 1);
    if (p->port > 0) return true;
    fprintf(stderr, "ex08_bench: %s printed '%s', not 'listening on HOST:PORT'\n", argv[0].c_str(), line.c_str());
    stop_peer(p);
    return false;
}

void stop_peer(peer *p)
{
    if (p->pid <= 0) return;
    kill(p->pid, SIGTERM);
    int st;
    waitpid(p->pid, &st, 0);
    p->pid = -1;
}

// The 1-minute load average, so a figure can be read with the machine's state next to it.
std::string loadavg()
{
    FILE *f = fopen("/proc/loadavg", "r");
    char buf[64] = "?";
    if (f) {
        if (!fgets(buf, sizeof buf, f)) buf[0] = 0;
        fclose(f);
    }
    std::string s(buf);
    return s.substr(0, s.find(' '));
}

struct load {
    std::shared_ptr<grpc::Channel> ch;
    bool stream;
    double seconds;
    std::atomic<uint64_t> *count;
    std::atomic<uint64_t> *errors;
};

void *worker(void *arg)
{
    load *l = (load *)arg;
    auto stub = ts::TaskService::NewStub(l->ch);
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(l->seconds);
    uint64_t n = 0, bad = 0;
    int i = 0;
    while (std::chrono::steady_clock::now() < end) {
        grpc::ClientContext ctx;
        if (l->stream) {
            ts::ListTasksRequest req;
            auto r = stub->ListTasks(&ctx, req);
            ts::Task t;
            while (r->Read(&t)) n++;
            if (!r->Finish().ok()) bad++;
        } else {
            ts::GetTaskRequest req;
            req.set_id("task-" + std::to_string(1 + (i++ % 100)));
            ts::Task t;
            if (stub->GetTask(&ctx, req, &t).ok()) n++;
            else bad++;
        }
    }
    *l->count += n;
    *l->errors += bad;
    return nullptr;
}

// One measurement: THREADS workers, each on its own connection, for SECONDS.
double measure(int port, bool stream, int threads, double seconds, uint64_t *errors)
{
    std::atomic<uint64_t> count{0}, bad{0};
    std::vector<load> loads((size_t)threads);
    std::vector<pthread_t> ids((size_t)threads);
    for (int i = 0; i < threads; i++) {
        grpc::ChannelArguments args;
        args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        loads[(size_t)i] = {grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args),
                            stream, seconds, &count, &bad};
    }
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < threads; i++) pthread_create(&ids[(size_t)i], nullptr, worker, &loads[(size_t)i]);
    for (int i = 0; i < threads; i++) pthread_join(ids[(size_t)i], nullptr);
    double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    *errors = bad;
    return (double)count / took;
}

bool fill(int port, int tasks)
{
    auto stub = ts::TaskService::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ts::ImportSummary sum;
    auto w = stub->ImportTasks(&ctx, &sum);
    ts::CreateTaskRequest req;
    for (int i = 0; i < tasks; i++) {
        req.set_title("bench task " + std::to_string(i));
        req.set_description("a description of some forty bytes, fixed");
        w->Write(req);
    }
    w->WritesDone();
    return w->Finish().ok() && (int)sum.created() == tasks;
}
} // namespace

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: ex08_bench GRPC_TASKS PY_SERVER GEN_PY_DIR [THREADS] [SECONDS] [TASKS]\n");
        return 2;
    }
    int threads = argc > 4 ? atoi(argv[4]) : 4;
    double seconds = argc > 5 ? atof(argv[5]) : 3.0;
    int tasks = argc > 6 ? atoi(argv[6]) : 1000;
    peer ours, py;
    if (!start_peer({argv[1], "--host", "127.0.0.1", "--port", "0", "--quiet"}, &ours)) {
        fprintf(stderr, "ex08_bench: %s did not start\n", argv[1]);
        return 1;
    }
    if (!start_peer({"/usr/bin/python3", argv[2], argv[3], "8"}, &py)) {
        fprintf(stderr, "ex08_bench: %s did not start (python3-grpcio installed?)\n", argv[2]);
        stop_peer(&ours);
        return 1;
    }
    int rc = 0;
    if (!fill(ours.port, tasks) || !fill(py.port, tasks)) {
        fprintf(stderr, "ex08_bench: ImportTasks of %d tasks failed\n", tasks);
        rc = 1;
    } else {
        printf("ex08 bench: %d client threads (one connection each), %.1f s per measure, ListTasks of %d tasks, load average %s\n",
               threads, seconds, tasks, loadavg().c_str());
        printf("%-34s %14s %18s %8s\n", "load", "grpc_tasks (C++)", "python3-grpcio", "ratio");
        for (bool stream : {false, true}) {
            uint64_t e1 = 0, e2 = 0;
            double a = measure(ours.port, stream, threads, seconds, &e1);
            double b = measure(py.port, stream, threads, seconds, &e2);
            printf("%-34s %14.0f/s %16.0f/s %7.1fx%s\n", stream ? "streamed messages (ListTasks)" : "unary calls (GetTask)", a, b,
                   b > 0 ? a / b : 0.0, e1 + e2 ? "  (errors!)" : "");
            if (e1 + e2) rc = 1;
        }
        printf("load average after: %s\n", loadavg().c_str());
    }
    stop_peer(&ours);
    stop_peer(&py);
    return rc;
}
