// grpc_client.cpp — EX08 reference: the TaskService client over several endpoints, a pool of channels
// per endpoint, load balancing, per-attempt deadlines, retries with exponential backoff, cancellation.
#include "grpc_service.h"
#include "task_pb.h"
#include "task_service.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

namespace {
struct Endpoint {
    std::vector<std::unique_ptr<taskservice::TaskService::Stub>> stubs; // one per pooled channel
    size_t next = 0;
};
} // namespace

struct GrpcClient {
    GrpcClientConfig cfg;
    pthread_mutex_t lock;
    GrpcBalancer lb;
    std::vector<Endpoint> endpoints;
};

namespace {
// Picks an endpoint and one of its channels, and counts the call as in flight there.
taskservice::TaskService::Stub *begin_attempt(GrpcClient *c, int *endpoint)
{
    pthread_mutex_lock(&c->lock);
    int i = grpc_balancer_pick(&c->lb);
    grpc_balancer_begin(&c->lb, i);
    Endpoint &e = c->endpoints[(size_t)i];
    taskservice::TaskService::Stub *stub = e.stubs[e.next].get();
    e.next = (e.next + 1) % e.stubs.size();
    pthread_mutex_unlock(&c->lock);
    *endpoint = i;
    return stub;
}

// An endpoint that answered UNAVAILABLE leaves the rotation; any other answer brings it back.
void end_attempt(GrpcClient *c, int endpoint, int code)
{
    pthread_mutex_lock(&c->lock);
    grpc_balancer_end(&c->lb, endpoint);
    grpc_balancer_set_down(&c->lb, endpoint, code == GC_UNAVAILABLE);
    pthread_mutex_unlock(&c->lock);
}

void prepare(GrpcClient *c, const GrpcCallOptions *opt, grpc::ClientContext *ctx)
{
    uint64_t ms = opt && opt->timeout_ms ? opt->timeout_ms : c->cfg.request_timeout_ms;
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
    if (opt)
        for (const auto &[k, v] : opt->metadata) ctx->AddMetadata(k, v);
}

void pause_ms(uint64_t ms)
{
    timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0) {
    }
}

// Runs attempt(stub, ctx) until it succeeds, fails with a code that is not retryable, or the
// retries are used up, pausing grpc_retry_backoff_ms between attempts.
template <class F> int with_retry(GrpcClient *c, const GrpcCallOptions *opt, GrpcCallResult *res, F attempt)
{
    *res = GrpcCallResult{};
    const GrpcRetryPolicy &p = c->cfg.retry_policy;
    for (uint32_t n = 0;; n++) {
        int endpoint;
        taskservice::TaskService::Stub *stub = begin_attempt(c, &endpoint);
        grpc::ClientContext ctx;
        prepare(c, opt, &ctx);
        grpc::Status st = attempt(stub, &ctx);
        end_attempt(c, endpoint, (int)st.error_code());
        res->attempts++;
        res->endpoints.push_back(endpoint);
        res->code = (int)st.error_code();
        res->message = st.error_message();
        if (st.ok() || !grpc_retry_is_retryable(&p, res->code)) return res->code;
        if (n == p.max_retries) {
            res->message = "all retries exhausted after " + std::to_string(res->attempts) + " attempts: " + res->message;
            return res->code;
        }
        pause_ms(grpc_retry_backoff_ms(&p, n + 1));
    }
}
} // namespace

int grpc_client_connect(const GrpcClientConfig *config, GrpcClient **out, char *err, size_t errlen)
{
    if (grpc_client_config_check(config, err, errlen) != 0) return -1;
    GrpcClient *c = new GrpcClient;
    c->cfg = *config;
    pthread_mutex_init(&c->lock, nullptr);
    grpc_balancer_init(&c->lb, config->load_balancing, config->endpoints.size(), config->weights, config->seed);
    c->endpoints.resize(config->endpoints.size());
    for (size_t i = 0; i < config->endpoints.size(); i++)
        for (size_t k = 0; k < config->connection_pool_size; k++) {
            grpc::ChannelArguments args;
            args.SetMaxReceiveMessageSize((int)config->max_message_size);
            args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1); // a pooled channel is its own connection
            auto ch = grpc::CreateCustomChannel(config->endpoints[i], grpc::InsecureChannelCredentials(), args);
            c->endpoints[i].stubs.push_back(taskservice::TaskService::NewStub(ch));
        }
    *out = c;
    return 0;
}

void grpc_client_free(GrpcClient *c)
{
    if (!c) return;
    pthread_mutex_destroy(&c->lock);
    delete c;
}

int grpc_client_create_task(GrpcClient *c, const GrpcCallOptions *opt, const std::string &title,
                            const std::string &description, const std::map<std::string, std::string> &metadata,
                            TaskInfo *out, GrpcCallResult *res)
{
    taskservice::CreateTaskRequest req;
    req.set_title(title);
    req.set_description(description);
    for (const auto &[k, v] : metadata) (*req.mutable_metadata())[k] = v;
    taskservice::Task resp;
    int rc = with_retry(c, opt, res, [&](taskservice::TaskService::Stub *stub, grpc::ClientContext *ctx) {
        return stub->CreateTask(ctx, req, &resp);
    });
    if (rc == GC_OK) *out = task_from_pb(resp);
    return rc;
}

int grpc_client_get_task(GrpcClient *c, const GrpcCallOptions *opt, const std::string &id, TaskInfo *out,
                         GrpcCallResult *res)
{
    taskservice::GetTaskRequest req;
    req.set_id(id);
    taskservice::Task resp;
    int rc = with_retry(c, opt, res, [&](taskservice::TaskService::Stub *stub, grpc::ClientContext *ctx) {
        return stub->GetTask(ctx, req, &resp);
    });
    if (rc == GC_OK) *out = task_from_pb(resp);
    return rc;
}

int grpc_client_list_tasks(GrpcClient *c, const GrpcCallOptions *opt, bool has_status, int status, uint32_t limit,
                           std::vector<TaskInfo> *out, GrpcCallResult *res)
{
    taskservice::ListTasksRequest req;
    if (has_status) req.set_status((taskservice::TaskStatus)status);
    req.set_limit(limit);
    return with_retry(c, opt, res, [&](taskservice::TaskService::Stub *stub, grpc::ClientContext *ctx) {
        out->clear(); // a retry reads the whole list again
        auto reader = stub->ListTasks(ctx, req);
        taskservice::Task m;
        while (reader->Read(&m)) out->push_back(task_from_pb(m));
        return reader->Finish();
    });
}

int grpc_client_watch_task(GrpcClient *c, const GrpcCallOptions *opt, const std::string &id,
                           int (*on_event)(void *ctx, const TaskEventInfo *ev), void *ctx, GrpcCallResult *res)
{
    *res = GrpcCallResult{};
    int endpoint;
    taskservice::TaskService::Stub *stub = begin_attempt(c, &endpoint);
    grpc::ClientContext cctx;
    prepare(c, opt, &cctx);
    taskservice::WatchTaskRequest req;
    req.set_id(id);
    auto reader = stub->WatchTask(&cctx, req);
    taskservice::TaskEvent m;
    while (reader->Read(&m)) {
        TaskEventInfo ev = event_from_pb(m);
        if (on_event(ctx, &ev)) {
            cctx.TryCancel();
            break;
        }
    }
    grpc::Status st = reader->Finish();
    end_attempt(c, endpoint, (int)st.error_code());
    res->attempts = 1;
    res->endpoints.push_back(endpoint);
    res->code = (int)st.error_code();
    res->message = st.error_message();
    return res->code;
}
