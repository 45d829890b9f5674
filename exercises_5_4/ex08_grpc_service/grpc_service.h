// grpc_service.h — EX08 GrpcService, the networked half: the TaskService server (with the standard
// health service and server reflection) and the balancing, retrying client, both on libgrpc++.
#pragma once
#include "grpc_core.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

// ---- server ---------------------------------------------------------------------------------
struct GrpcServerBuilder {
    GrpcServerConfig config;
    GrpcChain chain;                // interceptors of TaskService calls, in order
    int64_t (*now_ms)(void *ctx);   // the task store's clock (NULL: the real time in ms)
    void *clock_ctx;
};
struct GrpcServer;

void grpc_server_builder_init(GrpcServerBuilder *b, const GrpcServerConfig *config);
void grpc_server_builder_add_interceptor(GrpcServerBuilder *b, const GrpcInterceptor *ic);
void grpc_server_builder_with_reflection(GrpcServerBuilder *b, bool on);
void grpc_server_builder_with_health_check(GrpcServerBuilder *b, bool on);
// Checks the config, binds config.listen_addr (port 0: a free one) and starts serving.
// 0 with *out, or -1 with a message ("failed to bind ...: address in use or not available").
int grpc_server_build(const GrpcServerBuilder *b, GrpcServer **out, char *err, size_t errlen);
int grpc_server_port(const GrpcServer *s);
GrpcHealth *grpc_server_health(GrpcServer *s);
TaskStore *grpc_server_store(GrpcServer *s);
// Graceful shutdown: health goes NOT_SERVING, no new call is accepted, calls in flight get up to
// grace_ms to finish (watch streams end at once), then the rest are cancelled. Returns when done.
void grpc_server_shutdown(GrpcServer *s, int grace_ms);
// Shuts down (grace 0) if needed and frees.
void grpc_server_free(GrpcServer *s);

// ---- client ---------------------------------------------------------------------------------
struct GrpcClient;

struct GrpcCallOptions {
    std::vector<std::pair<std::string, std::string>> metadata; // sent with every attempt
    uint64_t timeout_ms = 0;                                    // each attempt's deadline (0: the config's)
};
struct GrpcCallResult {
    int code = GC_OK;
    std::string message;
    uint32_t attempts = 0;
    std::vector<int> endpoints; // the endpoint index of each attempt, in order
};

// Checks the config and opens the channels. 0 with *out, or -1 with a message.
int grpc_client_connect(const GrpcClientConfig *config, GrpcClient **out, char *err, size_t errlen);
void grpc_client_free(GrpcClient *c);
// Unary calls with load balancing and retries; the return value is res->code.
int grpc_client_create_task(GrpcClient *c, const GrpcCallOptions *opt, const std::string &title,
                            const std::string &description, const std::map<std::string, std::string> &metadata,
                            TaskInfo *out, GrpcCallResult *res);
int grpc_client_get_task(GrpcClient *c, const GrpcCallOptions *opt, const std::string &id, TaskInfo *out,
                         GrpcCallResult *res);
// Server stream, retried only while no task has arrived yet.
int grpc_client_list_tasks(GrpcClient *c, const GrpcCallOptions *opt, bool has_status, int status, uint32_t limit,
                           std::vector<TaskInfo> *out, GrpcCallResult *res);
// Server stream, never retried: on_event is called for each event; a non-zero return cancels the
// call (res->code is then GC_CANCELLED).
int grpc_client_watch_task(GrpcClient *c, const GrpcCallOptions *opt, const std::string &id,
                           int (*on_event)(void *ctx, const TaskEventInfo *ev), void *ctx, GrpcCallResult *res);
