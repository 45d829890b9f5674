// ex08_net.h — helpers of the EX08 tests over gRPC: in-process servers on loopback (port 0) with
// the logging and metrics interceptors and a virtual clock, grpc_tasks processes, raw stubs.
#pragma once
#include "grpc_service.h"
#include "health.grpc.pb.h"
#include "nl_check.h"
#include "nl_testproc.h"
#include "task_pb.h"
#include "task_service.grpc.pb.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

struct ex08_srv {
    GrpcServer *srv = nullptr;
    GrpcMetrics metrics;
    GrpcLog log;
    int64_t clock_ms = 1000; // the store's virtual clock
    int port = 0;
    bool inited = false;
};
enum { EX08_SERVERS = 3 };
extern ex08_srv ex08_servers[EX08_SERVERS];
extern nl_server ex08_procs[EX08_SERVERS];

// Starts ex08_servers[i] on 127.0.0.1:0 with logging, metrics, then `extra` interceptors, after
// `tweak` changed the default config (listen_addr already set). Fails the test if it cannot start.
#define ex08_start(i, ...) ex08_start_at(NL_HERE, i, __VA_ARGS__)
void ex08_start_at(const nl_where &w, int i, void (*tweak)(GrpcServerConfig *), const std::vector<GrpcInterceptor> &extra);
// Starts grpc_tasks --port 0 --quiet as ex08_procs[i]; returns its port.
#define ex08_start_proc(i) ex08_start_proc_at(NL_HERE, i)
int ex08_start_proc_at(const nl_where &w, int i);

std::string ex08_addr(int port);
std::unique_ptr<taskservice::TaskService::Stub> ex08_stub(int port);
std::shared_ptr<grpc::Channel> ex08_channel(int port);
// A port on 127.0.0.1 where nothing listens (bound, then closed).
int ex08_dead_port();
int64_t ex08_mono_ms();
// A client config for these ports: round robin, pool 1, 2000 ms per attempt, retries every 10 ms.
GrpcClientConfig ex08_client_config(const std::vector<int> &ports);
// Waits up to timeout_ms for grpc_metrics_active(m) == want.
bool ex08_wait_active(GrpcMetrics *m, int64_t want, int timeout_ms);
