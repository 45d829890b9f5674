// test_client.cpp — EX08 tests of the client over three real servers: balancing, retries with
// backoff when a grpc_tasks process is killed (UNAVAILABLE) or stopped (DEADLINE_EXCEEDED), retries
// exhausted, the config limits; and python3-grpcio as an independent client of the server.
#include "ex08_net.h"
#include "ex08_tests.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

extern char **environ;

namespace ts = taskservice;

namespace {
const std::string P = "/taskservice.TaskService/";

std::string joined(const std::vector<int> &v)
{
    std::string s;
    for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + std::to_string(v[i]);
    return s;
}

GrpcClient *connect_or_fail(const GrpcClientConfig &cfg)
{
    GrpcClient *c = nullptr;
    char err[256] = "";
    if (grpc_client_connect(&cfg, &c, err, sizeof err) != 0) fail_msg("grpc_client_connect: %s", err);
    return c;
}

void create(ts::TaskService::Stub *stub, const std::string &title)
{
    grpc::ClientContext ctx;
    ts::CreateTaskRequest req;
    req.set_title(title);
    ts::Task t;
    stub->CreateTask(&ctx, req, &t);
}

size_t tasks_on(int i)
{
    return grpc_server_store(ex08_servers[i].srv)->tasks.size();
}

// Every task a grpc_tasks process holds, through ListTasks.
size_t tasks_of_port(int port)
{
    auto stub = ex08_stub(port);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ts::ListTasksRequest req;
    auto r = stub->ListTasks(&ctx, req);
    ts::Task t;
    size_t n = 0;
    while (r->Read(&t)) n++;
    return r->Finish().ok() ? n : (size_t)-1;
}

struct holder {
    std::atomic<bool> got_current{false}, release{false};
};

void *hold_watch(void *p)
{
    void **args = (void **)p;
    GrpcClient *c = (GrpcClient *)args[0];
    holder *h = (holder *)args[1];
    static GrpcCallResult res;
    grpc_client_watch_task(
        c, nullptr, "task-1",
        [](void *hp, const TaskEventInfo *) {
            holder *hh = (holder *)hp;
            hh->got_current = true;
            while (!hh->release) usleep(1000);
            return 1;
        },
        h, &res);
    return nullptr;
}

int64_t real_ms()
{
    timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool wait_flag(std::atomic<bool> *f, int timeout_ms)
{
    for (int64_t end = ex08_mono_ms() + timeout_ms; ex08_mono_ms() < end;) {
        if (*f) return true;
        usleep(1000);
    }
    return *f;
}

// Runs argv with stdout+stderr captured, killed after timeout_ms. Returns the exit status (-1 on
// timeout or spawn failure).
int run_capture(const std::vector<std::string> &argv, int timeout_ms, std::string *out)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char *> av;
    for (const std::string &a : argv) av.push_back((char *)a.c_str());
    av.push_back(nullptr);
    pid_t pid;
    int rc = posix_spawn(&pid, av[0], &fa, nullptr, av.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        return -1;
    }
    int64_t end = ex08_mono_ms() + timeout_ms;
    char buf[4096];
    for (;;) {
        int left = (int)(end - ex08_mono_ms());
        if (left <= 0) break;
        pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, left) <= 0) continue;
        ssize_t n = read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        out->append(buf, (size_t)n);
    }
    close(fds[0]);
    int status = 0;
    if (ex08_mono_ms() >= end) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
} // namespace

// ---- the seed's tests ---------------------------------------------------------------------------
void test_client_error_display(void **)
{
    // Three endpoints where nothing listens: every attempt is UNAVAILABLE.
    GrpcClientConfig cfg = ex08_client_config({ex08_dead_port(), ex08_dead_port(), ex08_dead_port()});
    cfg.retry_policy.max_retries = 2;
    cfg.retry_policy.initial_backoff_ms = 40;
    cfg.retry_policy.max_backoff_ms = 1000;
    GrpcClient *c = connect_or_fail(cfg);
    TaskInfo t;
    GrpcCallResult res;
    int64_t t0 = ex08_mono_ms();
    int rc = grpc_client_create_task(c, nullptr, "nobody", "", {}, &t, &res);
    int64_t took = ex08_mono_ms() - t0;
    grpc_client_free(c);
    NL_EXPECT_EQ_INT(rc, GC_UNAVAILABLE, "CreateTask with every endpoint down (%s)", res.message.c_str());
    NL_EXPECT_EQ_INT(res.code, GC_UNAVAILABLE, "res.code");
    NL_EXPECT_CONTAINS(res.message, "retries", "the message once the retries are used up");
    NL_EXPECT_STREQ(res.message.substr(0, 40), "all retries exhausted after 3 attempts: ", "the message's start");
    NL_EXPECT_EQ_INT(res.attempts, 3, "attempts with max_retries 2");
    NL_EXPECT_STREQ(joined(res.endpoints), "0,1,2", "the endpoints tried (each one left out after UNAVAILABLE)");
    NL_EXPECT_TRUE(took >= 120, "3 attempts with pauses of 40 and 80 ms took %lld ms (want >= 120)", (long long)took);
}

void test_grpc_client_config(void **)
{
    ex08_start(0, nullptr, {});
    GrpcClientConfig cfg = ex08_client_config({ex08_servers[0].port});
    cfg.connection_pool_size = 10;
    cfg.connect_timeout_ms = 5000;
    cfg.request_timeout_ms = 30000;
    NL_EXPECT_EQ_INT(cfg.endpoints.size(), 1, "endpoints");
    GrpcClient *c = connect_or_fail(cfg);
    for (int i = 0; i < 10; i++) {
        TaskInfo t;
        GrpcCallResult res;
        grpc_client_create_task(c, nullptr, "t" + std::to_string(i), "", {}, &t, &res);
        NL_EXPECT_EQ_INT(res.code, GC_OK, "CreateTask %d over a pool of 10: %s", i, res.message.c_str());
        NL_EXPECT_STREQ(t.id, "task-" + std::to_string(i + 1), "the id CreateTask %d returned", i);
    }
    grpc_client_free(c);
    cfg.connection_pool_size = 17;
    GrpcClient *bad = nullptr;
    char err[256] = "";
    NL_EXPECT_EQ_INT(grpc_client_connect(&cfg, &bad, err, sizeof err), -1, "connect with a pool of 17");
    NL_EXPECT_CONTAINS(std::string(err), "connection_pool_size", "the refusal's message");
}

// ---- balancing over three servers ---------------------------------------------------------------
void test_round_robin_three_servers(void **)
{
    for (int i = 0; i < 3; i++) ex08_start(i, nullptr, {});
    GrpcClient *c = connect_or_fail(ex08_client_config({ex08_servers[0].port, ex08_servers[1].port, ex08_servers[2].port}));
    std::string order;
    for (int i = 0; i < 7; i++) {
        TaskInfo t;
        GrpcCallResult res;
        grpc_client_create_task(c, nullptr, "rr", "", {}, &t, &res);
        NL_EXPECT_EQ_INT(res.code, GC_OK, "CreateTask %d: %s", i, res.message.c_str());
        order += joined(res.endpoints);
    }
    grpc_client_free(c);
    NL_EXPECT_STREQ(order, "0120120", "the endpoints of 7 calls");
    NL_EXPECT_EQ_INT(tasks_on(0), 3, "tasks on server 0");
    NL_EXPECT_EQ_INT(tasks_on(1), 2, "tasks on server 1");
    NL_EXPECT_EQ_INT(tasks_on(2), 2, "tasks on server 2");
}

void test_weighted_three_servers(void **)
{
    for (int i = 0; i < 3; i++) ex08_start(i, nullptr, {});
    GrpcClientConfig cfg = ex08_client_config({ex08_servers[0].port, ex08_servers[1].port, ex08_servers[2].port});
    cfg.load_balancing = GRPC_LB_WEIGHTED_ROUND_ROBIN;
    cfg.weights = {1, 2, 3};
    GrpcClient *c = connect_or_fail(cfg);
    std::string order;
    for (int i = 0; i < 12; i++) {
        TaskInfo t;
        GrpcCallResult res;
        grpc_client_get_task(c, nullptr, "task-1", &t, &res);
        NL_EXPECT_EQ_INT(res.code, GC_NOT_FOUND, "GetTask %d on empty servers: %s", i, res.message.c_str());
        order += joined(res.endpoints);
    }
    grpc_client_free(c);
    NL_EXPECT_STREQ(order, "210212210212", "the endpoints of 12 calls, weights 1 2 3");
    for (int i = 0; i < 3; i++)
        NL_EXPECT_EQ_INT(grpc_metrics_count(&ex08_servers[i].metrics, P + "GetTask", GC_NOT_FOUND), 2 * (i + 1),
                         "GetTask calls server %d answered", i);
}

void test_least_connections_three_servers(void **)
{
    for (int i = 0; i < 3; i++) ex08_start(i, nullptr, {});
    for (int i = 0; i < 3; i++) create(ex08_stub(ex08_servers[i].port).get(), "w");
    GrpcClientConfig cfg = ex08_client_config({ex08_servers[0].port, ex08_servers[1].port, ex08_servers[2].port});
    cfg.load_balancing = GRPC_LB_LEAST_CONNECTIONS;
    cfg.request_timeout_ms = 20000;
    GrpcClient *c = connect_or_fail(cfg);
    holder h;
    void *args[2] = {c, &h};
    pthread_t t;
    pthread_create(&t, nullptr, hold_watch, args);
    bool held = wait_flag(&h.got_current, 10000);
    std::string order;
    for (int i = 0; held && i < 4; i++) {
        TaskInfo ti;
        GrpcCallResult res;
        grpc_client_get_task(c, nullptr, "task-1", &ti, &res);
        order += joined(res.endpoints);
    }
    h.release = true;
    pthread_join(t, nullptr);
    NL_EXPECT_TRUE(held, "the watch on endpoint 0 got its first event");
    NL_EXPECT_STREQ(order, "1212", "4 calls while a watch is in flight on endpoint 0");
    NL_EXPECT_TRUE(ex08_wait_active(&ex08_servers[0].metrics, 0, 3000), "the watch on server 0 ended");
    for (int i = 0; i < 3; i++) {
        TaskInfo ti;
        GrpcCallResult res;
        grpc_client_get_task(c, nullptr, "task-1", &ti, &res);
        order += joined(res.endpoints);
    }
    grpc_client_free(c);
    NL_EXPECT_STREQ(order, "1212012", "then 3 calls with nothing in flight");
    NL_EXPECT_EQ_INT(grpc_metrics_count(&ex08_servers[0].metrics, P + "WatchTask", GC_CANCELLED), 1, "the watch on server 0");
}

// ---- retries against real failures -------------------------------------------------------------
void test_retry_kill_server_mid_run(void **)
{
    int ports[3];
    for (int i = 0; i < 3; i++) ports[i] = ex08_start_proc(i);
    GrpcClient *c = connect_or_fail(ex08_client_config({ports[0], ports[1], ports[2]}));
    std::string before;
    for (int i = 0; i < 9; i++) {
        TaskInfo t;
        GrpcCallResult res;
        int64_t real0 = real_ms();
        grpc_client_create_task(c, nullptr, "k" + std::to_string(i), "", {}, &t, &res);
        int64_t real1 = real_ms();
        NL_EXPECT_EQ_INT(res.code, GC_OK, "CreateTask %d before the kill: %s", i, res.message.c_str());
        // grpc_tasks runs on the real clock: created_at is the time of the call, in ms (1 ms either
        // way for the rounding of the two clocks).
        NL_EXPECT_TRUE(t.created_at >= real0 - 1 && t.created_at <= real1 + 1,
                       "created_at %lld of task %d, made by grpc_tasks between %lld and %lld (real time, ms)", (long long)t.created_at,
                       i, (long long)real0, (long long)real1);
        before += joined(res.endpoints);
    }
    NL_EXPECT_STREQ(before, "012012012", "the endpoints before the kill");
    kill(ex08_procs[1].pid, SIGKILL);
    NL_EXPECT_TRUE(nl_server_wait_exit(&ex08_procs[1], 10000), "server 1 died from SIGKILL");
    int retried = 0, on_dead = 0;
    std::string after;
    for (int i = 0; i < 9; i++) {
        TaskInfo t;
        GrpcCallResult res;
        grpc_client_create_task(c, nullptr, "a" + std::to_string(i), "", {}, &t, &res);
        NL_EXPECT_EQ_INT(res.code, GC_OK, "CreateTask %d after server 1 was killed (tried %s): %s", i, joined(res.endpoints).c_str(),
                         res.message.c_str());
        NL_EXPECT_TRUE(res.endpoints.back() != 1, "CreateTask %d answered by endpoint %d", i, res.endpoints.back());
        if (res.attempts > 1) retried++;
        for (int e : res.endpoints) on_dead += e == 1;
        after += joined(res.endpoints) + " ";
    }
    grpc_client_free(c);
    NL_EXPECT_EQ_INT(retried, 1, "calls retried after the kill (%s)", after.c_str());
    NL_EXPECT_EQ_INT(on_dead, 1, "attempts on the killed server (left out after its UNAVAILABLE: %s)", after.c_str());
    NL_EXPECT_EQ_INT(tasks_of_port(ports[0]) + tasks_of_port(ports[2]), 6 + 9, "tasks on the two live servers");
}

void test_retry_deadline_stopped_server(void **)
{
    int ports[3];
    for (int i = 0; i < 3; i++) ports[i] = ex08_start_proc(i);
    kill(ex08_procs[0].pid, SIGSTOP); // accepts connections (the kernel does) but never answers
    GrpcClientConfig cfg = ex08_client_config({ports[0], ports[1], ports[2]});
    cfg.request_timeout_ms = 1000; // a live server answers well within it, even on a loaded machine
    GrpcClient *c = connect_or_fail(cfg);
    std::string order;
    int64_t t0 = ex08_mono_ms(), real0 = real_ms();
    TaskInfo t;
    GrpcCallResult res;
    grpc_client_create_task(c, nullptr, "s0", "", {}, &t, &res);
    int64_t took = ex08_mono_ms() - t0, real1 = real_ms();
    NL_EXPECT_EQ_INT(res.code, GC_OK, "CreateTask with endpoint 0 stopped (tried %s): %s", joined(res.endpoints).c_str(),
                     res.message.c_str());
    NL_EXPECT_STREQ(joined(res.endpoints), "0,1", "the endpoints tried: 0 (deadline), then 1");
    NL_EXPECT_TRUE(took >= 990, "the first attempt waited for its 1000 ms deadline (the call took %lld ms)", (long long)took);
    grpc_client_create_task(c, nullptr, "s1", "", {}, &t, &res);
    NL_EXPECT_STREQ(joined(res.endpoints), "2", "the next call (round robin goes on at 2)");
    GrpcCallOptions opt;
    opt.timeout_ms = 700;
    t0 = ex08_mono_ms();
    grpc_client_get_task(c, &opt, "task-1", &t, &res);
    took = ex08_mono_ms() - t0;
    NL_EXPECT_TRUE(took >= 690, "the first attempt waited for its 700 ms deadline (the call took %lld ms)", (long long)took);
    NL_EXPECT_EQ_INT(res.code, GC_OK, "GetTask with a 700 ms per-call deadline (tried %s): %s", joined(res.endpoints).c_str(),
                     res.message.c_str());
    NL_EXPECT_STREQ(joined(res.endpoints), "0,1", "DEADLINE_EXCEEDED does not leave 0 out: tried 0 again, then 1");
    NL_EXPECT_STREQ(t.title, "s0", "task-1 of server 1");
    // grpc_tasks runs on the real clock: created_at is the time of the call, in ms (1 ms either way
    // for the rounding of the two clocks).
    NL_EXPECT_TRUE(t.created_at >= real0 - 1 && t.created_at <= real1 + 1,
                   "created_at %lld of the task grpc_tasks made between %lld and %lld (real time, ms)", (long long)t.created_at,
                   (long long)real0, (long long)real1);
    grpc_client_free(c);
    kill(ex08_procs[0].pid, SIGCONT);
}

// ---- the client's own calls ----------------------------------------------------------------------
void test_client_calls(void **)
{
    ex08_start(0, nullptr, {});
    ex08_servers[0].clock_ms = 7000;
    // Endpoint 0 is dead: the first attempt of the first call fails there, the retry lands on 1.
    GrpcClient *c = connect_or_fail(ex08_client_config({ex08_dead_port(), ex08_servers[0].port}));
    TaskInfo t;
    GrpcCallResult res;
    grpc_client_create_task(c, nullptr, "with metadata", "desc", {{"owner", "ada"}, {"team", "b"}}, &t, &res);
    NL_EXPECT_EQ_INT(res.code, GC_OK, "CreateTask with metadata: %s", res.message.c_str());
    NL_EXPECT_STREQ(joined(res.endpoints), "0,1", "CreateTask: the dead endpoint, then the live one");
    NL_EXPECT_STREQ(t.id + " " + t.title + " " + t.description, "task-1 with metadata desc", "the task CreateTask returned");
    NL_EXPECT_EQ_INT(t.created_at, 7000, "its created_at");
    std::string meta;
    for (const auto &[k, v] : t.metadata) meta += k + "=" + v + " ";
    NL_EXPECT_STREQ(meta, "owner=ada team=b ", "the metadata of the task CreateTask returned");
    TaskInfo stored;
    std::string err;
    task_get(grpc_server_store(ex08_servers[0].srv), "task-1", &stored, nullptr, &err);
    meta.clear();
    for (const auto &[k, v] : stored.metadata) meta += k + "=" + v + " ";
    NL_EXPECT_STREQ(meta, "owner=ada team=b ", "the metadata the server stored");
    grpc_client_create_task(c, nullptr, "second", "", {}, &t, &res);
    grpc_client_create_task(c, nullptr, "third", "", {}, &t, &res);
    TaskEventInfo ev;
    task_update(grpc_server_store(ex08_servers[0].srv), "task-2", TASK_COMPLETED, false, "", &ev, &err);
    struct {
        bool has;
        int status;
        uint32_t limit;
        const char *want;
    } rows[] = {{false, 0, 0, "task-1 task-2 task-3 "},
                {true, TASK_PENDING, 0, "task-1 task-3 "},
                {true, TASK_COMPLETED, 0, "task-2 "},
                {false, 0, 2, "task-1 task-2 "},
                {true, TASK_PENDING, 1, "task-1 "},
                {true, TASK_FAILED, 0, ""}};
    for (const auto &r : rows) {
        // *out starts with a stale entry: the call leaves exactly the tasks listed.
        std::vector<TaskInfo> out(1);
        out[0].id = "stale";
        int rc = grpc_client_list_tasks(c, nullptr, r.has, r.status, r.limit, &out, &res);
        std::string ids;
        for (const TaskInfo &x : out) ids += x.id + " ";
        NL_EXPECT_EQ_INT(rc, GC_OK, "list_tasks status filter %d (%d), limit %u: %s", r.has, r.status, r.limit, res.message.c_str());
        NL_EXPECT_STREQ(ids, r.want, "list_tasks status filter %d (%d), limit %u", r.has, r.status, r.limit);
    }
    std::vector<TaskInfo> out;
    grpc_client_list_tasks(c, nullptr, false, 0, 0, &out, &res);
    NL_EXPECT_TRUE(out.size() == 3 && out[0].metadata == stored.metadata && out[0].created_at == 7000 && out[1].status == TASK_COMPLETED,
                   "the tasks list_tasks gives, every field as stored");
    grpc_client_free(c);
}

// ---- interop --------------------------------------------------------------------------------------
void test_python_interop(void **)
{
    ex08_start(0, nullptr, {});
    ex08_servers[0].clock_ms = 42;
    std::string out;
    int rc = run_capture({"/usr/bin/python3", std::string(EX08_TEST_DIR) + "/interop_client.py", std::string(NETLAB_GRPC_GEN_DIR),
                          std::to_string(ex08_servers[0].port)},
                         45000, &out);
    NL_EXPECT_EQ_INT(rc, 0, "python3 interop_client.py exit status; its output:\n%s", out.c_str());
    const char *want = "create task-1 from python PENDING 42 42 [lang=py]\n"
                       "get task-1 from python PENDING 42 42 [lang=py]\n"
                       "get task-99 NOT_FOUND task 'task-99' not found\n"
                       "import 2 task-2 task-3\n"
                       "list task-1 task-2 task-3\n"
                       "update UPDATED 4 task-2 i1 IN_PROGRESS 42 42 []\n"
                       "update UPDATED 5 task-2 i1 COMPLETED 42 42 []\n"
                       "watch CURRENT 5 task-2\n"
                       "list completed task-2\n"
                       "health SERVING\n";
    NL_EXPECT_STREQ(out, want, "python3-grpcio's view of the server");
    std::vector<std::string> lines = grpc_log_lines(&ex08_servers[0].log);
    NL_EXPECT_STREQ(lines.empty() ? "" : lines[0], "-> /taskservice.TaskService/CreateTask id=py-1",
                    "the server's log of python's first call");
}
