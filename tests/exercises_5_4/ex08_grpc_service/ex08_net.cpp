// ex08_net.cpp — helpers of the EX08 tests over gRPC (see ex08_net.h) and the suite's teardown.
#include "ex08_net.h"
#include "ex08_tests.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

ex08_srv ex08_servers[EX08_SERVERS];
nl_server ex08_procs[EX08_SERVERS];

namespace {
int64_t vclock(void *ctx)
{
    return *(int64_t *)ctx;
}
} // namespace

int ex08_teardown(void **)
{
    for (ex08_srv &s : ex08_servers) {
        if (s.srv) grpc_server_free(s.srv);
        s.srv = nullptr;
        if (s.inited) {
            grpc_metrics_destroy(&s.metrics);
            grpc_log_destroy(&s.log);
        }
        s.inited = false;
    }
    for (nl_server &p : ex08_procs)
        if (p.pid > 0 && nl_server_alive(&p)) {
            kill(p.pid, SIGCONT);
            nl_server_stop(&p, SIGKILL, 5000);
        }
    return 0;
}

void ex08_start_at(const nl_where &w, int i, void (*tweak)(GrpcServerConfig *), const std::vector<GrpcInterceptor> &extra)
{
    ex08_srv &s = ex08_servers[i];
    grpc_metrics_init(&s.metrics);
    grpc_log_init(&s.log, nullptr);
    s.inited = true;
    GrpcServerConfig cfg;
    grpc_server_config_default(&cfg);
    cfg.listen_addr = "127.0.0.1:0";
    if (tweak) tweak(&cfg);
    GrpcServerBuilder b;
    grpc_server_builder_init(&b, &cfg);
    b.now_ms = vclock;
    b.clock_ctx = &s.clock_ms;
    GrpcInterceptor log = grpc_logging_interceptor(&s.log), met = grpc_metrics_interceptor(&s.metrics);
    grpc_server_builder_add_interceptor(&b, &log);
    grpc_server_builder_add_interceptor(&b, &met);
    for (const GrpcInterceptor &ic : extra) grpc_server_builder_add_interceptor(&b, &ic);
    char err[256] = "";
    if (grpc_server_build(&b, &s.srv, err, sizeof err) != 0) nl_fail_at(w, "grpc_server_build on 127.0.0.1:0 failed: %s", err);
    s.port = grpc_server_port(s.srv);
    if (s.port <= 0) nl_fail_at(w, "grpc_server_port after a build on port 0: got %d", s.port);
}

int ex08_start_proc_at(const nl_where &w, int i)
{
    if (nl_server_start(&ex08_procs[i], "grpc_tasks", {"--host", "127.0.0.1", "--port", "0", "--quiet"}, 20000) != 0)
        nl_fail_at(w, "grpc_tasks --port 0 did not print its listening line within 20 s");
    return ex08_procs[i].port;
}

std::string ex08_addr(int port)
{
    return "127.0.0.1:" + std::to_string(port);
}

std::shared_ptr<grpc::Channel> ex08_channel(int port)
{
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetMaxReceiveMessageSize(64 << 20);
    return grpc::CreateCustomChannel(ex08_addr(port), grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<taskservice::TaskService::Stub> ex08_stub(int port)
{
    return taskservice::TaskService::NewStub(ex08_channel(port));
}

int ex08_dead_port()
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (sockaddr *)&a, sizeof a);
    socklen_t len = sizeof a;
    getsockname(fd, (sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

int64_t ex08_mono_ms()
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

GrpcClientConfig ex08_client_config(const std::vector<int> &ports)
{
    GrpcClientConfig c;
    grpc_client_config_default(&c);
    for (int p : ports) c.endpoints.push_back(ex08_addr(p));
    c.request_timeout_ms = 2000;
    c.retry_policy.initial_backoff_ms = 10;
    c.retry_policy.max_backoff_ms = 100;
    return c;
}

bool ex08_wait_active(GrpcMetrics *m, int64_t want, int timeout_ms)
{
    int64_t end = ex08_mono_ms() + timeout_ms;
    for (;;) {
        if (grpc_metrics_active(m) == want) return true;
        if (ex08_mono_ms() >= end) return false;
        usleep(1000);
    }
}
