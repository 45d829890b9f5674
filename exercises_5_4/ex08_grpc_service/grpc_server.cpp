// grpc_server.cpp — EX08 reference: TaskService on libgrpc++'s synchronous API, the interceptor chain
// around every TaskService call, gRPC's standard health service and server reflection.
#include "grpc_service.h"
#include "health.grpc.pb.h"
#include "task_pb.h"
#include "task_service.grpc.pb.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/server_builder_option.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

namespace {
const char *const TASK_SERVICE = "taskservice.TaskService";
const int POLL_MS = 50; // how often a watch stream looks at cancellation and its deadline

int64_t real_ms(void *)
{
    timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t mono_ms()
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

bool finished(int status)
{
    return status == TASK_COMPLETED || status == TASK_FAILED;
}

// Server reflection for this server only: linking libgrpc++_reflection registers its plugin for
// every server of the process, so this option takes it out and puts one back when asked for.
class ReflectionOption : public grpc::ServerBuilderOption {
  public:
    explicit ReflectionOption(bool on) : on_(on) {}
    void UpdateArguments(grpc::ChannelArguments *) override {}
    void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>> *plugins) override
    {
        for (size_t i = plugins->size(); i-- > 0;)
            if ((*plugins)[i]->name() == "proto_server_reflection") plugins->erase(plugins->begin() + (long)i);
        if (on_) plugins->push_back(std::make_unique<grpc::reflection::ProtoServerReflectionPlugin>());
    }

  private:
    bool on_;
};
} // namespace

struct GrpcServer;

namespace {
// One TaskService call seen by the interceptors: the chain runs when it starts; finish() reports
// the final status to the interceptors that saw the request.
class Call {
  public:
    Call(GrpcServer *s, grpc::ServerContext *ctx, const char *method);
    bool refused() const { return code_ != GC_OK; }
    grpc::Status refusal() { return finish(grpc::Status((grpc::StatusCode)code_, message_)); }
    grpc::Status finish(const grpc::Status &st);
    // True once the client's deadline, or the server's request_timeout_ms when it set none, passed.
    bool expired() const;

  private:
    GrpcServer *srv_;
    grpc::ServerContext *ctx_;
    GrpcCallInfo info_;
    size_t ran_ = 0;
    int code_ = GC_OK;
    std::string message_;
    int64_t start_ms_;
};

class TaskServiceImpl final : public taskservice::TaskService::Service {
  public:
    explicit TaskServiceImpl(GrpcServer *s) : srv_(s) {}
    grpc::Status CreateTask(grpc::ServerContext *ctx, const taskservice::CreateTaskRequest *req,
                            taskservice::Task *resp) override;
    grpc::Status GetTask(grpc::ServerContext *ctx, const taskservice::GetTaskRequest *req, taskservice::Task *resp) override;
    grpc::Status ListTasks(grpc::ServerContext *ctx, const taskservice::ListTasksRequest *req,
                           grpc::ServerWriter<taskservice::Task> *w) override;
    grpc::Status ImportTasks(grpc::ServerContext *ctx, grpc::ServerReader<taskservice::CreateTaskRequest> *r,
                             taskservice::ImportSummary *resp) override;
    grpc::Status StreamUpdates(grpc::ServerContext *ctx,
                               grpc::ServerReaderWriter<taskservice::TaskEvent, taskservice::TaskUpdate> *rw) override;
    grpc::Status WatchTask(grpc::ServerContext *ctx, const taskservice::WatchTaskRequest *req,
                           grpc::ServerWriter<taskservice::TaskEvent> *w) override;

  private:
    GrpcServer *srv_;
};

class HealthImpl final : public grpc::health::v1::Health::Service {
  public:
    explicit HealthImpl(GrpcServer *s) : srv_(s) {}
    grpc::Status Check(grpc::ServerContext *ctx, const grpc::health::v1::HealthCheckRequest *req,
                       grpc::health::v1::HealthCheckResponse *resp) override;
    grpc::Status Watch(grpc::ServerContext *ctx, const grpc::health::v1::HealthCheckRequest *req,
                       grpc::ServerWriter<grpc::health::v1::HealthCheckResponse> *w) override;

  private:
    GrpcServer *srv_;
};
} // namespace

struct GrpcServer {
    GrpcServerBuilder cfg;
    TaskStore store;
    GrpcHealth health;
    TaskServiceImpl tasks{this};
    HealthImpl health_service{this};
    std::unique_ptr<grpc::Server> server;
    int port = 0;
    bool down = false;
};

namespace {
Call::Call(GrpcServer *s, grpc::ServerContext *ctx, const char *method) : srv_(s), ctx_(ctx), start_ms_(mono_ms())
{
    info_.method = std::string("/") + TASK_SERVICE + "/" + method;
    for (const auto &[k, v] : ctx->client_metadata())
        info_.metadata.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
    info_.peer = ctx->peer();
    code_ = grpc_chain_request(&s->cfg.chain, &info_, &ran_, &message_);
}

grpc::Status Call::finish(const grpc::Status &st)
{
    grpc_chain_response(&srv_->cfg.chain, &info_, ran_, (int)st.error_code(), (uint64_t)(mono_ms() - start_ms_));
    return st;
}

bool Call::expired() const
{
    if (ctx_->deadline() != std::chrono::system_clock::time_point::max())
        return std::chrono::system_clock::now() >= ctx_->deadline();
    return mono_ms() - start_ms_ >= (int64_t)srv_->cfg.config.request_timeout_ms;
}

grpc::Status TaskServiceImpl::CreateTask(grpc::ServerContext *ctx, const taskservice::CreateTaskRequest *req,
                                         taskservice::Task *resp)
{
    Call call(srv_, ctx, "CreateTask");
    if (call.refused()) return call.refusal();
    std::map<std::string, std::string> meta(req->metadata().begin(), req->metadata().end());
    TaskInfo t;
    std::string err;
    int rc = task_create(&srv_->store, req->title(), req->description(), meta, &t, &err);
    if (rc != GC_OK) return call.finish(grpc::Status((grpc::StatusCode)rc, err));
    task_to_pb(t, resp);
    return call.finish(grpc::Status::OK);
}

grpc::Status TaskServiceImpl::GetTask(grpc::ServerContext *ctx, const taskservice::GetTaskRequest *req,
                                      taskservice::Task *resp)
{
    Call call(srv_, ctx, "GetTask");
    if (call.refused()) return call.refusal();
    TaskInfo t;
    std::string err;
    int rc = task_get(&srv_->store, req->id(), &t, nullptr, &err);
    if (rc != GC_OK) return call.finish(grpc::Status((grpc::StatusCode)rc, err));
    task_to_pb(t, resp);
    return call.finish(grpc::Status::OK);
}

grpc::Status TaskServiceImpl::ListTasks(grpc::ServerContext *ctx, const taskservice::ListTasksRequest *req,
                                        grpc::ServerWriter<taskservice::Task> *w)
{
    Call call(srv_, ctx, "ListTasks");
    if (call.refused()) return call.refusal();
    std::vector<TaskInfo> list;
    task_list(&srv_->store, req->has_status(), (int)req->status(), req->limit(), &list);
    taskservice::Task m;
    for (const TaskInfo &t : list) {
        task_to_pb(t, &m);
        if (!w->Write(m)) return call.finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
    }
    return call.finish(grpc::Status::OK);
}

grpc::Status TaskServiceImpl::ImportTasks(grpc::ServerContext *ctx, grpc::ServerReader<taskservice::CreateTaskRequest> *r,
                                          taskservice::ImportSummary *resp)
{
    Call call(srv_, ctx, "ImportTasks");
    if (call.refused()) return call.refusal();
    taskservice::CreateTaskRequest req;
    while (r->Read(&req)) {
        std::map<std::string, std::string> meta(req.metadata().begin(), req.metadata().end());
        TaskInfo t;
        std::string err;
        int rc = task_create(&srv_->store, req.title(), req.description(), meta, &t, &err);
        if (rc != GC_OK)
            return call.finish(grpc::Status((grpc::StatusCode)rc, "task " + std::to_string(resp->created() + 1) + ": " + err));
        resp->set_created(resp->created() + 1);
        resp->add_ids(t.id);
    }
    return call.finish(grpc::Status::OK);
}

grpc::Status TaskServiceImpl::StreamUpdates(grpc::ServerContext *ctx,
                                            grpc::ServerReaderWriter<taskservice::TaskEvent, taskservice::TaskUpdate> *rw)
{
    Call call(srv_, ctx, "StreamUpdates");
    if (call.refused()) return call.refusal();
    taskservice::TaskUpdate upd;
    taskservice::TaskEvent m;
    while (rw->Read(&upd)) {
        TaskEventInfo ev;
        std::string err;
        int rc = task_update(&srv_->store, upd.id(), (int)upd.status(), upd.has_description(), upd.description(), &ev, &err);
        if (rc != GC_OK) return call.finish(grpc::Status((grpc::StatusCode)rc, err));
        event_to_pb(ev, &m);
        if (!rw->Write(m)) return call.finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
    }
    return call.finish(grpc::Status::OK);
}

grpc::Status TaskServiceImpl::WatchTask(grpc::ServerContext *ctx, const taskservice::WatchTaskRequest *req,
                                        grpc::ServerWriter<taskservice::TaskEvent> *w)
{
    Call call(srv_, ctx, "WatchTask");
    if (call.refused()) return call.refusal();
    TaskEventInfo ev;
    std::string err;
    int rc = task_get(&srv_->store, req->id(), &ev.task, &ev.revision, &err);
    if (rc != GC_OK) return call.finish(grpc::Status((grpc::StatusCode)rc, err));
    ev.kind = TASK_EVENT_CURRENT;
    uint64_t after = ev.revision;
    taskservice::TaskEvent m;
    for (;;) {
        event_to_pb(ev, &m);
        if (!w->Write(m)) return call.finish(grpc::Status(grpc::StatusCode::CANCELLED, "client went away"));
        if (finished(ev.task.status)) return call.finish(grpc::Status::OK);
        for (rc = 0; rc == 0;) {
            // The deadline first: gRPC also marks a call whose deadline passed as cancelled.
            if (call.expired()) return call.finish(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "watch deadline"));
            if (ctx->IsCancelled()) return call.finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
            rc = task_watch_next(&srv_->store, req->id(), &after, POLL_MS, &ev);
        }
        if (rc < 0) return call.finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
    }
}

grpc::Status HealthImpl::Check(grpc::ServerContext *, const grpc::health::v1::HealthCheckRequest *req,
                               grpc::health::v1::HealthCheckResponse *resp)
{
    if (!grpc_health_known(&srv_->health, req->service()))
        return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service '" + req->service() + "'");
    resp->set_status((grpc::health::v1::HealthCheckResponse::ServingStatus)grpc_health_get(&srv_->health, req->service()));
    return grpc::Status::OK;
}

grpc::Status HealthImpl::Watch(grpc::ServerContext *ctx, const grpc::health::v1::HealthCheckRequest *req,
                               grpc::ServerWriter<grpc::health::v1::HealthCheckResponse> *w)
{
    GrpcHealthStatus seen = (GrpcHealthStatus)-1; // so the first wait reports the current status
    grpc::health::v1::HealthCheckResponse m;
    for (;;) {
        int rc = grpc_health_wait(&srv_->health, req->service(), &seen, POLL_MS);
        if (rc < 0) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down");
        if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client");
        if (rc == 0) continue;
        m.set_status((grpc::health::v1::HealthCheckResponse::ServingStatus)seen);
        if (!w->Write(m)) return grpc::Status(grpc::StatusCode::CANCELLED, "client went away");
    }
}
} // namespace

void grpc_server_builder_init(GrpcServerBuilder *b, const GrpcServerConfig *config)
{
    b->config = *config;
    b->chain.list.clear();
    b->now_ms = nullptr;
    b->clock_ctx = nullptr;
}

void grpc_server_builder_add_interceptor(GrpcServerBuilder *b, const GrpcInterceptor *ic)
{
    b->chain.list.push_back(*ic);
}

void grpc_server_builder_with_reflection(GrpcServerBuilder *b, bool on)
{
    b->config.enable_reflection = on;
}

void grpc_server_builder_with_health_check(GrpcServerBuilder *b, bool on)
{
    b->config.enable_health_check = on;
}

int grpc_server_build(const GrpcServerBuilder *b, GrpcServer **out, char *err, size_t errlen)
{
    if (grpc_server_config_check(&b->config, err, errlen) != 0) return -1;
    GrpcServer *s = new GrpcServer;
    s->cfg = *b;
    if (!s->cfg.now_ms) s->cfg.now_ms = real_ms;
    task_store_init(&s->store, s->cfg.now_ms, s->cfg.clock_ctx);
    grpc_health_init(&s->health);

    grpc::ServerBuilder builder;
    builder.AddListeningPort(b->config.listen_addr, grpc::InsecureServerCredentials(), &s->port);
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0); // a second server must not share the port
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, (int)b->config.max_concurrent_connections);
    builder.SetMaxReceiveMessageSize((int)b->config.max_message_size);
    builder.RegisterService(&s->tasks);
    if (b->config.enable_health_check) {
        builder.RegisterService(&s->health_service);
        grpc_health_set(&s->health, "", GRPC_HEALTH_SERVING);
        grpc_health_set(&s->health, TASK_SERVICE, GRPC_HEALTH_SERVING);
    }
    builder.SetOption(std::make_unique<ReflectionOption>(b->config.enable_reflection));
    s->server = builder.BuildAndStart();
    if (!s->server || s->port == 0) {
        snprintf(err, errlen, "failed to bind %s: address in use or not available", b->config.listen_addr.c_str());
        s->down = true;
        grpc_server_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int grpc_server_port(const GrpcServer *s)
{
    return s->port;
}

GrpcHealth *grpc_server_health(GrpcServer *s)
{
    return &s->health;
}

TaskStore *grpc_server_store(GrpcServer *s)
{
    return &s->store;
}

void grpc_server_shutdown(GrpcServer *s, int grace_ms)
{
    if (s->down) return;
    s->down = true;
    if (s->cfg.config.enable_health_check) {
        grpc_health_set(&s->health, "", GRPC_HEALTH_NOT_SERVING);
        grpc_health_set(&s->health, TASK_SERVICE, GRPC_HEALTH_NOT_SERVING);
    }
    // Watch streams never end by themselves: close them now so only real work uses the grace.
    grpc_health_close(&s->health);
    task_store_close(&s->store);
    s->server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms));
    s->server->Wait();
}

void grpc_server_free(GrpcServer *s)
{
    if (!s) return;
    grpc_server_shutdown(s, 0);
    s->server.reset();
    grpc_health_destroy(&s->health);
    task_store_destroy(&s->store);
    delete s;
}
