// test_server.cpp — EX08 tests of the server over real gRPC on loopback: the six RPCs (all four call
// patterns), interceptors, the standard health service, reflection, auth, limits, deadlines,
// cancellation and graceful shutdown. Clients are raw generated stubs, or the exercise's client.
#include "ex08_net.h"
#include "ex08_tests.h"
#include "reflection_probe.pb.h"

#include <grpcpp/impl/codegen/rpc_method.h>
#include <grpcpp/impl/codegen/sync_stream.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace ts = taskservice;
namespace hv1 = grpc::health::v1;

namespace {
const std::string P = "/taskservice.TaskService/";

std::string code_of(const grpc::Status &st)
{
    return grpc_code_name((int)st.error_code()) + (st.ok() ? "" : " '" + st.error_message() + "'");
}

ts::Task create(ts::TaskService::Stub *stub, const std::string &title, grpc::Status *st = nullptr)
{
    grpc::ClientContext ctx;
    ts::CreateTaskRequest req;
    req.set_title(title);
    ts::Task t;
    grpc::Status s = stub->CreateTask(&ctx, req, &t);
    if (st) *st = s;
    return t;
}

// An interceptor counting what it sees (the chain test) and the peers (the pool test).
struct counter {
    std::atomic<int> requests{0}, responses{0};
    std::atomic<int> last_code{-1};
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    std::vector<std::string> peers, methods;
};
counter g_counter;

int count_request(void *ctx, const GrpcCallInfo *call, std::string *)
{
    counter *c = (counter *)ctx;
    c->requests++;
    pthread_mutex_lock(&c->lock);
    c->peers.push_back(call->peer);
    c->methods.push_back(call->method);
    pthread_mutex_unlock(&c->lock);
    return GC_OK;
}

void count_response(void *ctx, const GrpcCallInfo *, int code, uint64_t)
{
    counter *c = (counter *)ctx;
    c->last_code = code;
    c->responses++;
}

// The counter starts from zero for each server that uses it (the suite may run every test in one process).
GrpcInterceptor counting()
{
    g_counter.requests = g_counter.responses = 0;
    g_counter.last_code = -1;
    g_counter.peers.clear();
    g_counter.methods.clear();
    return GrpcInterceptor{"count", &g_counter, count_request, count_response};
}

void small_messages(GrpcServerConfig *c)
{
    c->max_message_size = 65536;
}
void no_health(GrpcServerConfig *c)
{
    c->enable_health_check = false;
}
void no_reflection(GrpcServerConfig *c)
{
    c->enable_reflection = false;
}
void short_timeout(GrpcServerConfig *c)
{
    c->request_timeout_ms = 300;
}

// Tokens of the auth test: "w" (writer), "r" (reader); anything else is invalid.
GrpcAuthError net_validate(void *, const std::string &token, GrpcClaims *claims, std::string *why)
{
    if (token != "w" && token != "r") {
        *why = "unknown token";
        return GRPC_AUTH_INVALID_TOKEN;
    }
    claims->subject = token;
    claims->roles = {token == "w" ? "writer" : "reader"};
    claims->expires_at = 2000;
    return GRPC_AUTH_OK;
}
int64_t net_now(void *)
{
    return 1000;
}

// The reflection probe: one request on grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo.
grpc::Status reflect(int port, const netlab::probe::ReflectionRequest &req, netlab::probe::ReflectionResponse *resp)
{
    auto ch = ex08_channel(port);
    grpc::internal::RpcMethod m("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                                grpc::internal::RpcMethod::BIDI_STREAMING, ch);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    std::unique_ptr<grpc::ClientReaderWriter<netlab::probe::ReflectionRequest, netlab::probe::ReflectionResponse>> rw(
        grpc::internal::ClientReaderWriterFactory<netlab::probe::ReflectionRequest, netlab::probe::ReflectionResponse>::Create(
            ch.get(), m, &ctx));
    rw->Write(req);
    rw->WritesDone();
    bool got = rw->Read(resp);
    netlab::probe::ReflectionResponse extra;
    while (rw->Read(&extra)) {
    }
    grpc::Status st = rw->Finish();
    if (st.ok() && !got) return grpc::Status(grpc::StatusCode::INTERNAL, "no reflection response");
    return st;
}

struct shutdown_arg {
    GrpcServer *srv;
    std::atomic<bool> done{false};
};
void *do_shutdown(void *p)
{
    shutdown_arg *a = (shutdown_arg *)p;
    grpc_server_shutdown(a->srv, 10000);
    a->done = true;
    return nullptr;
}
} // namespace

// ---- the seed's tests over the wire --------------------------------------------------------------
void test_server_error_display(void **)
{
    ex08_start(0, nullptr, {});
    GrpcServerConfig cfg;
    grpc_server_config_default(&cfg);
    cfg.listen_addr = ex08_addr(ex08_servers[0].port);
    GrpcServerBuilder b;
    grpc_server_builder_init(&b, &cfg);
    GrpcServer *second = nullptr;
    char err[256] = "";
    int rc = grpc_server_build(&b, &second, err, sizeof err);
    if (rc == 0) grpc_server_free(second);
    NL_EXPECT_EQ_INT(rc, -1, "a second server on %s, where the first listens", cfg.listen_addr.c_str());
    NL_EXPECT_CONTAINS(std::string(err), "address in use", "the bind error's message");
    NL_EXPECT_CONTAINS(std::string(err), cfg.listen_addr, "the bind error's message names the address");
    cfg.max_message_size = 0;
    grpc_server_builder_init(&b, &cfg);
    NL_EXPECT_EQ_INT(grpc_server_build(&b, &second, err, sizeof err), -1, "a build with max_message_size 0");
    NL_EXPECT_CONTAINS(std::string(err), "max_message_size", "the config error's message");
    // The first server still answers.
    grpc::Status st;
    create(ex08_stub(ex08_servers[0].port).get(), "still here", &st);
    NL_EXPECT_STREQ(code_of(st), "OK", "CreateTask on the first server after the refused binds");
}

void test_interceptor_chain(void **)
{
    ex08_start(0, nullptr, {counting()});
    auto stub = ex08_stub(ex08_servers[0].port);
    grpc::Status st;
    create(stub.get(), "one", &st);
    NL_EXPECT_STREQ(code_of(st), "OK", "CreateTask through the chain");
    NL_EXPECT_EQ_INT(g_counter.requests.load(), 1, "the test interceptor's on_request calls after 1 call");
    NL_EXPECT_EQ_INT(g_counter.responses.load(), 1, "its on_response calls after 1 call");
    NL_EXPECT_STREQ(g_counter.methods[0], P + "CreateTask", "the method the interceptor saw");
    grpc::ClientContext ctx;
    ts::GetTaskRequest req;
    req.set_id("task-9");
    ts::Task t;
    st = stub->GetTask(&ctx, req, &t);
    NL_EXPECT_STREQ(code_of(st), "NOT_FOUND 'task 'task-9' not found'", "GetTask task-9");
    NL_EXPECT_EQ_INT(g_counter.requests.load(), 2, "on_request calls after 2 calls");
    NL_EXPECT_EQ_INT(g_counter.last_code.load(), GC_NOT_FOUND, "the code on_response saw");
    NL_EXPECT_EQ_INT(grpc_metrics_count(&ex08_servers[0].metrics, P + "GetTask", GC_NOT_FOUND), 1, "metrics of GetTask NOT_FOUND");
    // The health service is not a TaskService call: no interceptor sees it.
    auto health = hv1::Health::NewStub(ex08_channel(ex08_servers[0].port));
    grpc::ClientContext hctx;
    hv1::HealthCheckRequest hreq;
    hv1::HealthCheckResponse hresp;
    st = health->Check(&hctx, hreq, &hresp);
    NL_EXPECT_STREQ(code_of(st), "OK", "health Check");
    NL_EXPECT_EQ_INT(g_counter.requests.load(), 2, "on_request calls after a health check");
    // The four other methods, once each.
    {
        grpc::ClientContext c1;
        ts::ListTasksRequest lr;
        auto r = stub->ListTasks(&c1, lr);
        while (r->Read(&t)) {
        }
        r->Finish();
        grpc::ClientContext c2;
        ts::ImportSummary sum;
        auto w = stub->ImportTasks(&c2, &sum);
        w->WritesDone();
        w->Finish();
        grpc::ClientContext c3;
        auto rw = stub->StreamUpdates(&c3);
        rw->WritesDone();
        rw->Finish();
        grpc::ClientContext c4;
        ts::WatchTaskRequest wr;
        wr.set_id("task-7");
        auto wt = stub->WatchTask(&c4, wr);
        ts::TaskEvent ev;
        while (wt->Read(&ev)) {
        }
        wt->Finish();
    }
    std::string seen;
    for (const std::string &m : g_counter.methods) seen += m + " ";
    NL_EXPECT_STREQ(seen, P + "CreateTask " + P + "GetTask " + P + "ListTasks " + P + "ImportTasks " + P + "StreamUpdates " + P +
                              "WatchTask ", "the methods the interceptor saw, in order");
    NL_EXPECT_EQ_INT(g_counter.responses.load(), 6, "on_response calls after the six methods");
}

void test_metadata_extraction(void **)
{
    ex08_start(0, nullptr, {});
    GrpcClientConfig cfg = ex08_client_config({ex08_servers[0].port});
    GrpcClient *c = nullptr;
    char err[256];
    NL_EXPECT_EQ_INT(grpc_client_connect(&cfg, &c, err, sizeof err), 0, "grpc_client_connect: %s", err);
    GrpcCallOptions opt;
    opt.metadata = {{"x-request-id", "12345"}};
    TaskInfo t;
    GrpcCallResult res;
    grpc_client_create_task(c, &opt, "with id", "", {}, &t, &res);
    grpc_client_free(c);
    NL_EXPECT_EQ_INT(res.code, GC_OK, "CreateTask with x-request-id 12345: %s", res.message.c_str());
    std::vector<std::string> lines = grpc_log_lines(&ex08_servers[0].log);
    NL_EXPECT_EQ_INT(lines.size(), 2, "server log lines after one call");
    NL_EXPECT_STREQ(lines[0], "-> /taskservice.TaskService/CreateTask id=12345", "the request's log line");
    NL_EXPECT_STREQ(lines[1].substr(0, 50), "<- /taskservice.TaskService/CreateTask id=12345 OK", "the response's log line");
}

// ---- the four call patterns --------------------------------------------------------------------
void test_unary_calls(void **)
{
    ex08_start(0, nullptr, {});
    ex08_servers[0].clock_ms = 5000;
    auto stub = ex08_stub(ex08_servers[0].port);
    grpc::ClientContext ctx;
    ts::CreateTaskRequest req;
    req.set_title("write the subject");
    req.set_description("in English");
    (*req.mutable_metadata())["owner"] = "ada";
    ts::Task t;
    grpc::Status st = stub->CreateTask(&ctx, req, &t);
    NL_EXPECT_STREQ(code_of(st), "OK", "CreateTask");
    NL_EXPECT_STREQ(t.id(), "task-1", "the new task's id");
    NL_EXPECT_STREQ(t.title(), "write the subject", "its title");
    NL_EXPECT_STREQ(t.description(), "in English", "its description");
    NL_EXPECT_EQ_INT(t.status(), ts::PENDING, "its status");
    NL_EXPECT_EQ_INT(t.created_at(), 5000, "created_at on the server's clock");
    NL_EXPECT_EQ_INT(t.updated_at(), 5000, "updated_at");
    NL_EXPECT_STREQ(t.metadata().at("owner"), "ada", "its metadata");
    grpc::ClientContext gctx;
    ts::GetTaskRequest g;
    g.set_id("task-1");
    ts::Task got;
    st = stub->GetTask(&gctx, g, &got);
    NL_EXPECT_STREQ(code_of(st), "OK", "GetTask task-1");
    NL_EXPECT_STREQ(got.SerializeAsString(), t.SerializeAsString(), "GetTask gives the task CreateTask returned");
    grpc::ClientContext bctx;
    ts::CreateTaskRequest bad;
    ts::Task none;
    st = stub->CreateTask(&bctx, bad, &none);
    NL_EXPECT_STREQ(code_of(st), "INVALID_ARGUMENT 'title must be 1 to 200 bytes (got 0)'", "CreateTask without a title");
    grpc::ClientContext nctx;
    g.set_id("task-2");
    st = stub->GetTask(&nctx, g, &got);
    NL_EXPECT_STREQ(code_of(st), "NOT_FOUND 'task 'task-2' not found'", "GetTask task-2 after a refused create");
}

void test_list_tasks_stream(void **)
{
    ex08_start(0, nullptr, {});
    TaskStore *store = grpc_server_store(ex08_servers[0].srv);
    TaskInfo t;
    TaskEventInfo ev;
    std::string err;
    for (int i = 1; i <= 4; i++) task_create(store, "t" + std::to_string(i), "", {}, &t, &err);
    task_update(store, "task-2", TASK_COMPLETED, false, "", &ev, &err);
    task_update(store, "task-4", TASK_COMPLETED, false, "", &ev, &err);
    auto stub = ex08_stub(ex08_servers[0].port);
    struct {
        bool has;
        ts::TaskStatus status;
        uint32_t limit;
        const char *want;
    } rows[] = {{false, ts::PENDING, 0, "task-1 task-2 task-3 task-4 "},
                {true, ts::COMPLETED, 0, "task-2 task-4 "},
                {true, ts::PENDING, 0, "task-1 task-3 "},
                {false, ts::PENDING, 3, "task-1 task-2 task-3 "},
                {true, ts::FAILED, 0, ""}};
    for (const auto &r : rows) {
        grpc::ClientContext ctx;
        ts::ListTasksRequest req;
        if (r.has) req.set_status(r.status);
        req.set_limit(r.limit);
        auto reader = stub->ListTasks(&ctx, req);
        ts::Task m;
        std::string ids;
        while (reader->Read(&m)) ids += m.id() + " ";
        grpc::Status st = reader->Finish();
        NL_EXPECT_STREQ(code_of(st), "OK", "ListTasks status filter %d (%s), limit %u", r.has, ts::TaskStatus_Name(r.status).c_str(),
                        r.limit);
        NL_EXPECT_STREQ(ids, r.want, "ListTasks status filter %d (%s), limit %u", r.has, ts::TaskStatus_Name(r.status).c_str(),
                        r.limit);
    }
}

void test_import_tasks_stream(void **)
{
    ex08_start(0, nullptr, {});
    auto stub = ex08_stub(ex08_servers[0].port);
    {
        grpc::ClientContext ctx;
        ts::ImportSummary sum;
        auto w = stub->ImportTasks(&ctx, &sum);
        ts::CreateTaskRequest req;
        for (const char *title : {"a", "b", "c"}) {
            req.set_title(title);
            w->Write(req);
        }
        w->WritesDone();
        grpc::Status st = w->Finish();
        NL_EXPECT_STREQ(code_of(st), "OK", "ImportTasks of 3");
        NL_EXPECT_EQ_INT(sum.created(), 3, "the summary's count");
        NL_EXPECT_EQ_INT(sum.ids_size(), 3, "the summary's ids");
        NL_EXPECT_STREQ(sum.ids(0) + " " + sum.ids(1) + " " + sum.ids(2), "task-1 task-2 task-3", "the summary's ids");
    }
    {
        grpc::ClientContext ctx;
        ts::ImportSummary sum;
        auto w = stub->ImportTasks(&ctx, &sum);
        ts::CreateTaskRequest req;
        req.set_title("d");
        w->Write(req);
        req.set_title(std::string(201, 'x'));
        w->Write(req);
        req.set_title("never");
        w->Write(req);
        w->WritesDone();
        grpc::Status st = w->Finish();
        NL_EXPECT_STREQ(code_of(st), "INVALID_ARGUMENT 'task 2: title must be 1 to 200 bytes (got 201)'",
                        "ImportTasks whose second task has a 201-byte title");
    }
    std::vector<TaskInfo> all;
    task_list(grpc_server_store(ex08_servers[0].srv), false, 0, 0, &all);
    NL_EXPECT_EQ_INT(all.size(), 4, "tasks stored: 3, then the one before the refused task");
    NL_EXPECT_STREQ(all[3].title, "d", "the fourth task");
}

void test_stream_updates_bidi(void **)
{
    ex08_start(0, nullptr, {});
    auto stub = ex08_stub(ex08_servers[0].port);
    create(stub.get(), "a");
    create(stub.get(), "b");
    ex08_servers[0].clock_ms = 7000;
    grpc::ClientContext ctx;
    auto rw = stub->StreamUpdates(&ctx);
    ts::TaskUpdate u;
    ts::TaskEvent ev;
    u.set_id("task-2");
    u.set_status(ts::IN_PROGRESS);
    u.set_description("started");
    rw->Write(u);
    NL_EXPECT_TRUE(rw->Read(&ev), "an event for the first update");
    NL_EXPECT_EQ_INT(ev.kind(), ts::TaskEvent::UPDATED, "its kind");
    NL_EXPECT_EQ_INT(ev.revision(), 3, "its revision (2 creations before)");
    NL_EXPECT_STREQ(ev.task().id(), "task-2", "its task");
    NL_EXPECT_EQ_INT(ev.task().status(), ts::IN_PROGRESS, "its status");
    NL_EXPECT_STREQ(ev.task().description(), "started", "its description");
    NL_EXPECT_EQ_INT(ev.task().updated_at(), 7000, "its updated_at");
    u.set_id("task-1");
    u.set_status(ts::COMPLETED);
    u.clear_description();
    rw->Write(u);
    NL_EXPECT_TRUE(rw->Read(&ev), "an event for the second update (the answer comes before the next request)");
    NL_EXPECT_STREQ(ev.task().id(), "task-1", "its task");
    NL_EXPECT_EQ_INT(ev.revision(), 4, "its revision");
    NL_EXPECT_STREQ(ev.task().description(), "", "no description sent: kept (empty)");
    u.set_id("task-1");
    u.set_status(ts::PENDING);
    rw->Write(u);
    NL_EXPECT_TRUE(!rw->Read(&ev), "no event for an update of a finished task");
    rw->WritesDone();
    grpc::Status st = rw->Finish();
    NL_EXPECT_STREQ(code_of(st), "FAILED_PRECONDITION 'task 'task-1' is finished'", "the stream's end");
    grpc::ClientContext ctx2;
    auto rw2 = stub->StreamUpdates(&ctx2);
    u.set_id("task-7");
    rw2->Write(u);
    NL_EXPECT_TRUE(!rw2->Read(&ev), "no event for an unknown task");
    rw2->WritesDone();
    st = rw2->Finish();
    NL_EXPECT_STREQ(code_of(st), "NOT_FOUND 'task 'task-7' not found'", "the stream's end");
    grpc::ClientContext ctx3;
    auto rw3 = stub->StreamUpdates(&ctx3);
    rw3->WritesDone();
    st = rw3->Finish();
    NL_EXPECT_STREQ(code_of(st), "OK", "a stream with no update");
}

void test_watch_task_stream(void **)
{
    ex08_start(0, nullptr, {});
    TaskStore *store = grpc_server_store(ex08_servers[0].srv);
    auto stub = ex08_stub(ex08_servers[0].port);
    create(stub.get(), "a");
    create(stub.get(), "b");
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    ts::WatchTaskRequest req;
    req.set_id("task-1");
    auto reader = stub->WatchTask(&ctx, req);
    ts::TaskEvent ev;
    NL_EXPECT_TRUE(reader->Read(&ev), "the first event of WatchTask task-1");
    NL_EXPECT_EQ_INT(ev.kind(), ts::TaskEvent::CURRENT, "the first event's kind");
    NL_EXPECT_EQ_INT(ev.revision(), 2, "the first event's revision: the store's, when the watch began");
    NL_EXPECT_STREQ(ev.task().title(), "a", "the first event's task");
    TaskEventInfo e;
    std::string err;
    task_update(store, "task-2", TASK_IN_PROGRESS, false, "", &e, &err);
    task_update(store, "task-1", TASK_IN_PROGRESS, false, "", &e, &err);
    task_update(store, "task-1", TASK_FAILED, false, "", &e, &err);
    NL_EXPECT_TRUE(reader->Read(&ev), "the event of task-1's first update");
    NL_EXPECT_EQ_INT(ev.kind(), ts::TaskEvent::UPDATED, "its kind");
    NL_EXPECT_EQ_INT(ev.revision(), 4, "its revision (task-2's update at 3 is not sent)");
    NL_EXPECT_TRUE(reader->Read(&ev), "the event of task-1's second update");
    NL_EXPECT_EQ_INT(ev.revision(), 5, "its revision");
    NL_EXPECT_EQ_INT(ev.task().status(), ts::FAILED, "its status");
    NL_EXPECT_TRUE(!reader->Read(&ev), "the stream ends after the task failed");
    grpc::Status st = reader->Finish();
    NL_EXPECT_STREQ(code_of(st), "OK", "WatchTask's end");
    grpc::ClientContext ctx2;
    auto r2 = stub->WatchTask(&ctx2, req);
    NL_EXPECT_TRUE(r2->Read(&ev), "WatchTask of a finished task");
    NL_EXPECT_EQ_INT(ev.kind(), ts::TaskEvent::CURRENT, "its only event");
    NL_EXPECT_TRUE(!r2->Read(&ev), "WatchTask of a finished task: one event");
    NL_EXPECT_STREQ(code_of(r2->Finish()), "OK", "WatchTask of a finished task");
    // Both watches that ended OK went through the chain to their end (R15).
    NL_EXPECT_TRUE(ex08_wait_active(&ex08_servers[0].metrics, 0, 3000), "calls in flight after the two watches: %lld",
                   (long long)grpc_metrics_active(&ex08_servers[0].metrics));
    NL_EXPECT_EQ_INT(grpc_metrics_count(&ex08_servers[0].metrics, P + "WatchTask", GC_OK), 2, "WatchTask calls the server ended OK");
    grpc::ClientContext ctx3;
    req.set_id("task-3");
    auto r3 = stub->WatchTask(&ctx3, req);
    NL_EXPECT_TRUE(!r3->Read(&ev), "WatchTask of an unknown task sends nothing");
    NL_EXPECT_STREQ(code_of(r3->Finish()), "NOT_FOUND 'task 'task-3' not found'", "WatchTask of an unknown task");
}

// ---- health, reflection --------------------------------------------------------------------------
void test_health_watch_over_grpc(void **)
{
    ex08_start(0, nullptr, {});
    auto health = hv1::Health::NewStub(ex08_channel(ex08_servers[0].port));
    struct {
        const char *service;
        const char *want;
    } checks[] = {{"", "OK SERVING"}, {"taskservice.TaskService", "OK SERVING"}, {"nope", "NOT_FOUND 'unknown service 'nope''"}};
    for (const auto &c : checks) {
        grpc::ClientContext ctx;
        hv1::HealthCheckRequest req;
        req.set_service(c.service);
        hv1::HealthCheckResponse resp;
        grpc::Status st = health->Check(&ctx, req, &resp);
        std::string got = code_of(st) + (st.ok() ? " " + hv1::HealthCheckResponse::ServingStatus_Name(resp.status()) : "");
        NL_EXPECT_STREQ(got, c.want, "Check('%s')", c.service);
    }
    grpc::ClientContext ctx;
    hv1::HealthCheckRequest req;
    auto reader = health->Watch(&ctx, req);
    hv1::HealthCheckResponse resp;
    NL_EXPECT_TRUE(reader->Read(&resp), "Watch(''): the first message");
    NL_EXPECT_EQ_INT(resp.status(), hv1::HealthCheckResponse::SERVING, "Watch(''): the current status first");
    // Within 100 ms of the set; a loaded machine may delay one delivery, so a slow one is tried
    // again (flipping the status back and forth), 5 times at most.
    int64_t best = -1;
    for (int trial = 0; trial < 5 && (best < 0 || best >= 100); trial++) {
        GrpcHealthStatus to = trial % 2 ? GRPC_HEALTH_SERVING : GRPC_HEALTH_NOT_SERVING;
        int64_t t0 = ex08_mono_ms();
        grpc_health_set(grpc_server_health(ex08_servers[0].srv), "", to);
        NL_EXPECT_TRUE(reader->Read(&resp), "Watch(''): a message after set %s", to == GRPC_HEALTH_SERVING ? "SERVING" : "NOT_SERVING");
        int64_t took = ex08_mono_ms() - t0;
        NL_EXPECT_EQ_INT(resp.status(), (int)to, "Watch(''): the new status");
        if (best < 0 || took < best) best = took;
    }
    NL_EXPECT_TRUE(best < 100, "Watch saw the new status %lld ms after it was set, at best in 5 trials (want < 100 ms)",
                   (long long)best);
    ctx.TryCancel();
    reader->Finish();
    grpc::ClientContext uctx;
    req.set_service("later");
    auto r2 = health->Watch(&uctx, req);
    NL_EXPECT_TRUE(r2->Read(&resp), "Watch('later') of a service never set");
    NL_EXPECT_EQ_INT(resp.status(), hv1::HealthCheckResponse::SERVICE_UNKNOWN, "Watch of a service never set");
    grpc_health_set(grpc_server_health(ex08_servers[0].srv), "later", GRPC_HEALTH_SERVING);
    NL_EXPECT_TRUE(r2->Read(&resp), "Watch('later') after it was set");
    NL_EXPECT_EQ_INT(resp.status(), hv1::HealthCheckResponse::SERVING, "Watch('later'): the status set");
    uctx.TryCancel();
    r2->Finish();
    // A service set to UNKNOWN: its first message is UNKNOWN, at once; then, after a quiet while
    // (several of the server's polls), a change still reaches the watcher.
    grpc_health_set(grpc_server_health(ex08_servers[0].srv), "quiet", GRPC_HEALTH_UNKNOWN);
    grpc::ClientContext qctx;
    qctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    req.set_service("quiet");
    auto r3 = health->Watch(&qctx, req);
    NL_EXPECT_TRUE(r3->Read(&resp), "Watch('quiet') of a service set to UNKNOWN");
    NL_EXPECT_EQ_INT(resp.status(), hv1::HealthCheckResponse::UNKNOWN, "Watch('quiet'): the current status first");
    usleep(400 * 1000); // the quiet while: no change for 400 ms
    grpc_health_set(grpc_server_health(ex08_servers[0].srv), "quiet", GRPC_HEALTH_SERVING);
    NL_EXPECT_TRUE(r3->Read(&resp), "Watch('quiet') after 400 ms without a change, then a set");
    NL_EXPECT_EQ_INT(resp.status(), hv1::HealthCheckResponse::SERVING, "Watch('quiet'): the status set");
    qctx.TryCancel();
    r3->Finish();

    ex08_start(1, no_health, {});
    auto h2 = hv1::Health::NewStub(ex08_channel(ex08_servers[1].port));
    grpc::ClientContext nctx;
    req.set_service("");
    grpc::Status st = h2->Check(&nctx, req, &resp);
    NL_EXPECT_EQ_INT(st.error_code(), grpc::StatusCode::UNIMPLEMENTED, "Check on a server built without health (%s)",
                     code_of(st).c_str());
}

void test_reflection_lists_services(void **)
{
    ex08_start(0, nullptr, {});
    netlab::probe::ReflectionRequest req;
    req.set_list_services("*");
    netlab::probe::ReflectionResponse resp;
    grpc::Status st = reflect(ex08_servers[0].port, req, &resp);
    NL_EXPECT_STREQ(code_of(st), "OK", "reflection list_services");
    std::vector<std::string> names;
    for (const auto &s : resp.list_services_response().service()) names.push_back(s.name());
    std::sort(names.begin(), names.end());
    std::string all;
    for (const std::string &n : names) all += n + " ";
    NL_EXPECT_STREQ(all, "grpc.health.v1.Health grpc.reflection.v1alpha.ServerReflection taskservice.TaskService ",
                    "the services reflection lists");
    req.set_file_containing_symbol("taskservice.TaskService");
    st = reflect(ex08_servers[0].port, req, &resp);
    NL_EXPECT_STREQ(code_of(st), "OK", "reflection file_containing_symbol");
    NL_EXPECT_TRUE(resp.file_descriptor_response().file_descriptor_proto_size() >= 1, "a file descriptor for taskservice.TaskService");
    NL_EXPECT_CONTAINS(resp.file_descriptor_response().file_descriptor_proto(0), "task_service.proto",
                       "the descriptor of taskservice.TaskService");

    ex08_start(1, no_reflection, {});
    req.set_list_services("*");
    st = reflect(ex08_servers[1].port, req, &resp);
    NL_EXPECT_EQ_INT(st.error_code(), grpc::StatusCode::UNIMPLEMENTED, "reflection on a server built without it (%s)",
                     code_of(st).c_str());
    grpc::Status cst;
    create(ex08_stub(ex08_servers[1].port).get(), "x", &cst);
    NL_EXPECT_STREQ(code_of(cst), "OK", "TaskService on the server without reflection");
}

// ---- interceptors over the wire -------------------------------------------------------------------
void test_auth_over_grpc(void **)
{
    static GrpcAuth auth{{nullptr, net_validate}, {{P + "CreateTask", "writer"}}, net_now, nullptr};
    ex08_start(0, nullptr, {grpc_auth_interceptor(&auth)});
    auto stub = ex08_stub(ex08_servers[0].port);
    struct {
        const char *token;
        const char *method;
        const char *want;
    } rows[] = {{nullptr, "CreateTask", "UNAUTHENTICATED 'token missing'"},
                {"Bearer zz", "CreateTask", "UNAUTHENTICATED 'invalid token: unknown token'"},
                {"Bearer r", "CreateTask",
                 "PERMISSION_DENIED 'insufficient permissions: /taskservice.TaskService/CreateTask needs role writer'"},
                {"Bearer w", "CreateTask", "OK"},
                {"Bearer r", "GetTask", "OK"},
                {nullptr, "GetTask", "UNAUTHENTICATED 'token missing'"}};
    for (const auto &r : rows) {
        grpc::ClientContext ctx;
        if (r.token) ctx.AddMetadata("authorization", r.token);
        ts::Task t;
        grpc::Status st;
        if (std::string(r.method) == "CreateTask") {
            ts::CreateTaskRequest req;
            req.set_title("t");
            st = stub->CreateTask(&ctx, req, &t);
        } else {
            ts::GetTaskRequest req;
            req.set_id("task-1");
            st = stub->GetTask(&ctx, req, &t);
        }
        NL_EXPECT_STREQ(code_of(st), r.want, "%s with authorization '%s'", r.method, r.token ? r.token : "(none)");
    }
    NL_EXPECT_EQ_INT(grpc_metrics_count(&ex08_servers[0].metrics, P + "CreateTask", GC_UNAUTHENTICATED), 2,
                     "metrics (before auth in the chain) count the refused CreateTask calls");
    NL_EXPECT_EQ_INT(grpc_metrics_active(&ex08_servers[0].metrics), 0, "calls in flight after the refusals");
    auto health = hv1::Health::NewStub(ex08_channel(ex08_servers[0].port));
    grpc::ClientContext hctx;
    hv1::HealthCheckRequest hreq;
    hv1::HealthCheckResponse hresp;
    NL_EXPECT_STREQ(code_of(health->Check(&hctx, hreq, &hresp)), "OK", "health Check without a token");
}

void test_max_message_size(void **)
{
    ex08_start(0, small_messages, {});
    auto stub = ex08_stub(ex08_servers[0].port);
    ts::CreateTaskRequest req;
    req.set_title("big");
    size_t len = 65536 - 20;
    req.set_description(std::string(len, 'x'));
    while (req.ByteSizeLong() < 65536) req.set_description(std::string(++len, 'x'));
    NL_EXPECT_EQ_INT(req.ByteSizeLong(), 65536, "the test's request size");
    grpc::ClientContext ctx;
    ts::Task t;
    grpc::Status st = stub->CreateTask(&ctx, req, &t);
    NL_EXPECT_STREQ(code_of(st), "OK", "CreateTask of exactly max_message_size (65536) bytes");
    req.set_description(std::string(len + 1, 'x'));
    grpc::ClientContext ctx2;
    st = stub->CreateTask(&ctx2, req, &t);
    NL_EXPECT_EQ_INT(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED, "CreateTask of 65537 bytes (%s)", code_of(st).c_str());
    // The client's own limit applies to what it receives.
    GrpcClientConfig cfg = ex08_client_config({ex08_servers[0].port});
    cfg.max_message_size = 1024;
    GrpcClient *c = nullptr;
    char err[256];
    grpc_client_connect(&cfg, &c, err, sizeof err);
    TaskInfo got;
    GrpcCallResult res;
    grpc_client_get_task(c, nullptr, "task-1", &got, &res);
    grpc_client_free(c);
    NL_EXPECT_EQ_INT(res.code, GC_RESOURCE_EXHAUSTED, "GetTask of a 64 KiB task with a client limit of 1024 (%s)",
                     res.message.c_str());
    NL_EXPECT_EQ_INT(res.attempts, 1, "RESOURCE_EXHAUSTED is not retried");
}

// ---- deadlines, cancellation, shutdown ----------------------------------------------------------
void test_watch_deadline(void **)
{
    ex08_start(0, short_timeout, {});
    auto stub = ex08_stub(ex08_servers[0].port);
    create(stub.get(), "slow");
    // The call's own deadline (1000 ms), not the config's (20 s).
    GrpcClientConfig cfg = ex08_client_config({ex08_servers[0].port});
    cfg.request_timeout_ms = 20000;
    GrpcClient *c = nullptr;
    char err[256];
    grpc_client_connect(&cfg, &c, err, sizeof err);
    GrpcCallOptions opt;
    opt.timeout_ms = 1000;
    int events = 0;
    GrpcCallResult res;
    int64_t t0 = ex08_mono_ms();
    grpc_client_watch_task(
        c, &opt, "task-1", [](void *p, const TaskEventInfo *) { return ++*(int *)p, 0; }, &events, &res);
    int64_t took = ex08_mono_ms() - t0, took1 = took;
    grpc_client_free(c);
    NL_EXPECT_EQ_INT(res.code, GC_DEADLINE_EXCEEDED, "WatchTask with a 1000 ms deadline (%s)", res.message.c_str());
    NL_EXPECT_EQ_INT(events, 1, "events before the deadline (the CURRENT one)");
    NL_EXPECT_EQ_INT(res.attempts, 1, "a watch is never retried");
    NL_EXPECT_TRUE(took >= 990 && took < 10000, "WatchTask with a 1000 ms deadline (config: 20 s) took %lld ms", (long long)took);
    // No client deadline: the server's request_timeout_ms (300) ends the stream.
    grpc::ClientContext ctx;
    ts::WatchTaskRequest req;
    req.set_id("task-1");
    t0 = ex08_mono_ms();
    auto reader = stub->WatchTask(&ctx, req);
    ts::TaskEvent ev;
    while (reader->Read(&ev)) {
    }
    grpc::Status st = reader->Finish();
    took = ex08_mono_ms() - t0;
    NL_EXPECT_EQ_INT(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED, "WatchTask without a deadline, request_timeout_ms 300 (%s)",
                     code_of(st).c_str());
    NL_EXPECT_TRUE(took >= 290 && took < 5000, "WatchTask without a deadline ended after %lld ms (want about 300)", (long long)took);
    NL_EXPECT_TRUE(ex08_wait_active(&ex08_servers[0].metrics, 0, 2000), "calls in flight after both watches");
    // The server ended its own timeout with DEADLINE_EXCEEDED; the client's deadline it sees as a
    // deadline or as the client's cancel, whichever comes first.
    uint64_t dl = grpc_metrics_count(&ex08_servers[0].metrics, P + "WatchTask", GC_DEADLINE_EXCEEDED),
             cancelled = grpc_metrics_count(&ex08_servers[0].metrics, P + "WatchTask", GC_CANCELLED);
    NL_EXPECT_TRUE(dl >= 1 && dl + cancelled == 2, "WatchTask calls the server ended: %llu DEADLINE_EXCEEDED, %llu CANCELLED "
                   "(want the server's timeout as DEADLINE_EXCEEDED, 2 in all)", (unsigned long long)dl, (unsigned long long)cancelled);
    // The durations the interceptors saw (R17): about as long as the client waited for each call
    // (the server ends a watch at its next poll after the deadline: 700 ms allowed in all for a
    // loaded machine), and the second at least the server's own 300 ms.
    uint64_t total = ex08_servers[0].metrics.total_ms[P + "WatchTask"];
    NL_EXPECT_TRUE(total >= 290 && total <= (uint64_t)(took1 + took + 700),
                   "the WatchTask durations the metrics added up: %llu ms (the client waited %lld + %lld ms)", (unsigned long long)total,
                   (long long)took1, (long long)took);
}

void test_watch_cancel(void **)
{
    ex08_start(0, nullptr, {});
    create(ex08_stub(ex08_servers[0].port).get(), "cancel me");
    GrpcClientConfig cfg = ex08_client_config({ex08_servers[0].port});
    cfg.request_timeout_ms = 20000;
    GrpcClient *c = nullptr;
    char err[256];
    grpc_client_connect(&cfg, &c, err, sizeof err);
    GrpcCallResult res;
    int64_t t0 = ex08_mono_ms();
    grpc_client_watch_task(c, nullptr, "task-1", [](void *, const TaskEventInfo *) { return 1; }, nullptr, &res);
    int64_t took = ex08_mono_ms() - t0;
    NL_EXPECT_EQ_INT(res.code, GC_CANCELLED, "WatchTask cancelled by on_event (%s)", res.message.c_str());
    NL_EXPECT_TRUE(took < 5000, "the cancelled watch returned after %lld ms", (long long)took);
    NL_EXPECT_TRUE(ex08_wait_active(&ex08_servers[0].metrics, 0, 3000),
                   "the server ends the cancelled watch: calls in flight %lld", (long long)grpc_metrics_active(&ex08_servers[0].metrics));
    NL_EXPECT_EQ_INT(grpc_metrics_count(&ex08_servers[0].metrics, P + "WatchTask", GC_CANCELLED), 1,
                     "WatchTask calls the server ended with CANCELLED");
    // The client still works after a cancel.
    TaskInfo t;
    grpc_client_get_task(c, nullptr, "task-1", &t, &res);
    grpc_client_free(c);
    NL_EXPECT_EQ_INT(res.code, GC_OK, "GetTask after the cancel (%s)", res.message.c_str());
}

void test_graceful_shutdown(void **)
{
    ex08_start(0, nullptr, {});
    int port = ex08_servers[0].port;
    auto stub = ex08_stub(port);
    create(stub.get(), "watched");
    // A watch stream and an import in flight.
    grpc::ClientContext wctx;
    ts::WatchTaskRequest wreq;
    wreq.set_id("task-1");
    auto watch = stub->WatchTask(&wctx, wreq);
    ts::TaskEvent ev;
    NL_EXPECT_TRUE(watch->Read(&ev), "the watch's first event");
    auto hstub = hv1::Health::NewStub(ex08_channel(port));
    grpc::ClientContext hctx;
    hv1::HealthCheckRequest hreq;
    auto hwatch = hstub->Watch(&hctx, hreq);
    hv1::HealthCheckResponse hresp;
    NL_EXPECT_TRUE(hwatch->Read(&hresp), "health Watch's first message");
    grpc::ClientContext ictx;
    ts::ImportSummary sum;
    auto imp = stub->ImportTasks(&ictx, &sum);
    ts::CreateTaskRequest req;
    req.set_title("i1");
    imp->Write(req);
    req.set_title("i2");
    imp->Write(req);
    NL_EXPECT_TRUE(ex08_wait_active(&ex08_servers[0].metrics, 2, 5000), "2 calls in flight (watch, import)");

    shutdown_arg a;
    a.srv = ex08_servers[0].srv;
    pthread_t t;
    pthread_create(&t, nullptr, do_shutdown, &a);
    NL_EXPECT_TRUE(hwatch->Read(&hresp), "health Watch during the shutdown");
    NL_EXPECT_EQ_INT(hresp.status(), hv1::HealthCheckResponse::NOT_SERVING, "health during the shutdown");
    NL_EXPECT_TRUE(!hwatch->Read(&hresp), "health Watch ends with the shutdown");
    NL_EXPECT_STREQ(code_of(hwatch->Finish()), "UNAVAILABLE 'server shutting down'", "health Watch's end at the shutdown");
    NL_EXPECT_TRUE(!watch->Read(&ev), "WatchTask ends with the shutdown");
    grpc::Status st = watch->Finish();
    NL_EXPECT_STREQ(code_of(st), "UNAVAILABLE 'server shutting down'", "WatchTask's end at the shutdown");
    // New calls are refused once the listener is closed (the shutdown thread gets there soon after
    // the watches ended); the import in flight goes on.
    grpc::Status nst;
    for (int64_t end = ex08_mono_ms() + 10000; ex08_mono_ms() < end;) {
        grpc::ClientContext gctx;
        gctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
        ts::GetTaskRequest g;
        g.set_id("task-1");
        ts::Task got;
        nst = ex08_stub(port)->GetTask(&gctx, g, &got);
        if (nst.error_code() == grpc::StatusCode::UNAVAILABLE) break;
        usleep(5000);
    }
    NL_EXPECT_EQ_INT(nst.error_code(), grpc::StatusCode::UNAVAILABLE, "a new call during the shutdown (%s)", code_of(nst).c_str());
    // Keep the import in flight for a while into the shutdown: the grace (10 s) covers it.
    usleep(500 * 1000);
    NL_EXPECT_TRUE(!a.done, "the shutdown waits for the import in flight (500 ms into it)");
    req.set_title("i3");
    NL_EXPECT_TRUE(imp->Write(req), "writing to the import in flight during the shutdown");
    imp->WritesDone();
    st = imp->Finish();
    NL_EXPECT_STREQ(code_of(st), "OK", "the import in flight during the shutdown");
    NL_EXPECT_EQ_INT(sum.created(), 3, "tasks the import created");
    pthread_join(t, nullptr);
    NL_EXPECT_TRUE(a.done, "the shutdown returned");
    std::vector<TaskInfo> all;
    task_list(grpc_server_store(ex08_servers[0].srv), false, 0, 0, &all);
    NL_EXPECT_EQ_INT(all.size(), 4, "tasks stored after the shutdown");
}

void test_connection_pool(void **)
{
    ex08_start(0, nullptr, {counting()});
    GrpcClientConfig cfg = ex08_client_config({ex08_servers[0].port});
    cfg.connection_pool_size = 3;
    GrpcClient *c = nullptr;
    char err[256];
    NL_EXPECT_EQ_INT(grpc_client_connect(&cfg, &c, err, sizeof err), 0, "connect with a pool of 3: %s", err);
    for (int i = 0; i < 6; i++) {
        TaskInfo t;
        GrpcCallResult res;
        grpc_client_create_task(c, nullptr, "p" + std::to_string(i), "", {}, &t, &res);
        NL_EXPECT_EQ_INT(res.code, GC_OK, "CreateTask %d: %s", i, res.message.c_str());
    }
    grpc_client_free(c);
    std::vector<std::string> &p = g_counter.peers;
    NL_EXPECT_EQ_INT(p.size(), 6, "calls the server saw");
    NL_EXPECT_TRUE(p[0] != p[1] && p[1] != p[2] && p[0] != p[2], "3 calls on a pool of 3 come from 3 connections: %s %s %s",
                   p[0].c_str(), p[1].c_str(), p[2].c_str());
    for (int i = 3; i < 6; i++)
        NL_EXPECT_STREQ(p[(size_t)i], p[(size_t)i - 3], "call %d uses the connection of call %d (in turn)", i, i - 3);
}

// ---- refusals and cancels of every call pattern --------------------------------------------------
namespace {
// The auth interceptor of test_refused_every_method: no token is ever valid here, so it refuses
// every call with "token missing" before the handler runs.
GrpcAuthError never_valid(void *, const std::string &, GrpcClaims *, std::string *why)
{
    *why = "no token is valid here";
    return GRPC_AUTH_INVALID_TOKEN;
}

// Messages a cancelled stream still had to send: writing them takes the server far longer than a
// cancel takes to reach it, so the cancel finds the handler writing, never done.
const int STREAM_TASKS = 100000;
} // namespace

void test_refused_every_method(void **)
{
    static GrpcAuth auth{{nullptr, never_valid}, {}, net_now, nullptr};
    ex08_start(0, nullptr, {grpc_auth_interceptor(&auth)});
    TaskStore *store = grpc_server_store(ex08_servers[0].srv);
    TaskInfo t;
    std::string err;
    task_create(store, "kept", "", {}, &t, &err);
    auto stub = ex08_stub(ex08_servers[0].port);
    const std::string want = "UNAUTHENTICATED 'token missing'";
    ts::Task task;
    ts::TaskEvent ev;
    {
        grpc::ClientContext ctx;
        ts::CreateTaskRequest req;
        req.set_title("refused");
        NL_EXPECT_STREQ(code_of(stub->CreateTask(&ctx, req, &task)), want, "CreateTask without a token");
    }
    {
        grpc::ClientContext ctx;
        ts::GetTaskRequest req;
        req.set_id("task-1");
        NL_EXPECT_STREQ(code_of(stub->GetTask(&ctx, req, &task)), want, "GetTask without a token");
    }
    {
        grpc::ClientContext ctx;
        ts::ListTasksRequest req;
        auto r = stub->ListTasks(&ctx, req);
        NL_EXPECT_TRUE(!r->Read(&task), "ListTasks without a token sends no task");
        NL_EXPECT_STREQ(code_of(r->Finish()), want, "ListTasks without a token");
    }
    {
        grpc::ClientContext ctx;
        ts::ImportSummary sum;
        auto w = stub->ImportTasks(&ctx, &sum);
        ts::CreateTaskRequest req;
        req.set_title("refused import");
        w->Write(req);
        w->WritesDone();
        NL_EXPECT_STREQ(code_of(w->Finish()), want, "ImportTasks without a token");
    }
    {
        grpc::ClientContext ctx;
        auto rw = stub->StreamUpdates(&ctx);
        ts::TaskUpdate u;
        u.set_id("task-1");
        u.set_status(ts::COMPLETED);
        rw->Write(u);
        rw->WritesDone();
        NL_EXPECT_TRUE(!rw->Read(&ev), "StreamUpdates without a token sends no event");
        NL_EXPECT_STREQ(code_of(rw->Finish()), want, "StreamUpdates without a token");
    }
    {
        grpc::ClientContext ctx;
        ts::WatchTaskRequest req;
        req.set_id("task-1");
        auto r = stub->WatchTask(&ctx, req);
        NL_EXPECT_TRUE(!r->Read(&ev), "WatchTask without a token sends no event");
        NL_EXPECT_STREQ(code_of(r->Finish()), want, "WatchTask without a token");
    }
    // Each refusal went through the chain once, and ended there: the interceptors before auth saw
    // every call end, and nothing changed in the store.
    const char *methods[] = {"CreateTask", "GetTask", "ListTasks", "ImportTasks", "StreamUpdates", "WatchTask"};
    for (const char *m : methods)
        NL_EXPECT_EQ_INT(grpc_metrics_count(&ex08_servers[0].metrics, P + m, GC_UNAUTHENTICATED), 1,
                         "metrics: %s refused with UNAUTHENTICATED", m);
    NL_EXPECT_TRUE(ex08_wait_active(&ex08_servers[0].metrics, 0, 2000), "calls in flight after the six refusals: %lld",
                   (long long)grpc_metrics_active(&ex08_servers[0].metrics));
    std::vector<std::string> lines = grpc_log_lines(&ex08_servers[0].log);
    std::string ends;
    for (const std::string &l : lines)
        if (l.rfind("<- ", 0) == 0) ends += l.substr(0, l.rfind(' ')) + "\n";
    std::string want_ends;
    for (const char *m : methods) want_ends += "<- " + P + m + " id=- UNAUTHENTICATED\n";
    NL_EXPECT_STREQ(ends, want_ends, "the log's response lines (without the duration)");
    std::vector<TaskInfo> all;
    task_list(store, false, 0, 0, &all);
    NL_EXPECT_EQ_INT(all.size(), 1, "tasks stored after the refused CreateTask and ImportTasks");
    NL_EXPECT_EQ_INT(all[0].status, TASK_PENDING, "task-1 after the refused StreamUpdates");
    NL_EXPECT_EQ_INT(task_store_revision(store), 1, "the store's revision after the six refusals");
}

void test_stream_cancel_ends_call(void **)
{
    ex08_start(0, nullptr, {});
    TaskStore *store = grpc_server_store(ex08_servers[0].srv);
    GrpcMetrics *met = &ex08_servers[0].metrics;
    TaskInfo t;
    TaskEventInfo e;
    std::string err;
    for (int i = 0; i < STREAM_TASKS; i++) task_create(store, "t", "", {}, &t, &err);
    auto stub = ex08_stub(ex08_servers[0].port);
    // ListTasks of every task: the client reads one, then cancels while the server still has
    // nearly all of them to write.
    {
        grpc::ClientContext ctx;
        ts::ListTasksRequest req;
        auto r = stub->ListTasks(&ctx, req);
        ts::Task m;
        NL_EXPECT_TRUE(r->Read(&m), "ListTasks of %d tasks: the first task", STREAM_TASKS);
        ctx.TryCancel();
        int got = 1;
        while (r->Read(&m)) got++;
        NL_EXPECT_EQ_INT(r->Finish().error_code(), grpc::StatusCode::CANCELLED, "ListTasks cancelled by the client");
        NL_EXPECT_TRUE(got < STREAM_TASKS, "the client read %d of %d tasks before its cancel took", got, STREAM_TASKS);
        NL_EXPECT_TRUE(ex08_wait_active(met, 0, 10000), "the server ends the cancelled ListTasks: calls in flight %lld",
                       (long long)grpc_metrics_active(met));
        NL_EXPECT_EQ_INT(grpc_metrics_count(met, P + "ListTasks", GC_CANCELLED), 1, "ListTasks calls the server ended with CANCELLED");
        NL_EXPECT_EQ_INT(grpc_metrics_count(met, P + "ListTasks", GC_OK), 0, "ListTasks calls the server ended with OK");
    }
    // WatchTask of task-1 while STREAM_TASKS updates of it wait to be sent: the client reads the
    // CURRENT event and the first update, then cancels.
    {
        grpc::ClientContext ctx;
        ts::WatchTaskRequest req;
        req.set_id("task-1");
        auto r = stub->WatchTask(&ctx, req);
        ts::TaskEvent ev;
        NL_EXPECT_TRUE(r->Read(&ev), "WatchTask: the CURRENT event");
        for (int i = 0; i < STREAM_TASKS; i++) task_update(store, "task-1", TASK_IN_PROGRESS, false, "", &e, &err);
        NL_EXPECT_TRUE(r->Read(&ev), "WatchTask: the first update");
        ctx.TryCancel();
        while (r->Read(&ev)) {
        }
        NL_EXPECT_EQ_INT(r->Finish().error_code(), grpc::StatusCode::CANCELLED, "WatchTask cancelled by the client");
        NL_EXPECT_TRUE(ex08_wait_active(met, 0, 10000), "the server ends the cancelled WatchTask: calls in flight %lld",
                       (long long)grpc_metrics_active(met));
        NL_EXPECT_EQ_INT(grpc_metrics_count(met, P + "WatchTask", GC_CANCELLED), 1, "WatchTask calls the server ended with CANCELLED");
    }
}
