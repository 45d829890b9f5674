// grpc_core.h — EX08 GrpcService, the part of the framework that needs no network: configurations,
// retry policy, load balancer, health registry, interceptors (logging, auth, metrics) and the task store.
#pragma once
#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

// gRPC status codes, with the values of grpc::StatusCode (and of every gRPC implementation).
enum GrpcCode {
    GC_OK = 0,
    GC_CANCELLED = 1,
    GC_UNKNOWN = 2,
    GC_INVALID_ARGUMENT = 3,
    GC_DEADLINE_EXCEEDED = 4,
    GC_NOT_FOUND = 5,
    GC_ALREADY_EXISTS = 6,
    GC_PERMISSION_DENIED = 7,
    GC_RESOURCE_EXHAUSTED = 8,
    GC_FAILED_PRECONDITION = 9,
    GC_ABORTED = 10,
    GC_OUT_OF_RANGE = 11,
    GC_UNIMPLEMENTED = 12,
    GC_INTERNAL = 13,
    GC_UNAVAILABLE = 14,
    GC_DATA_LOSS = 15,
    GC_UNAUTHENTICATED = 16,
};
// "OK", "CANCELLED", ... "UNAUTHENTICATED" (the names of the gRPC spec); "CODE_<n>" for any other n.
std::string grpc_code_name(int code);

// ---- configurations -------------------------------------------------------------------------
struct GrpcServerConfig {
    std::string listen_addr;
    bool enable_reflection;
    bool enable_health_check;
    size_t max_message_size;           // bytes, the largest request message the server accepts
    uint64_t request_timeout_ms;       // deadline given to a call whose client set none
    size_t max_concurrent_connections; // concurrent calls the server runs at once
};
// listen_addr "[::1]:50051", reflection and health on, 4 MiB, 30000 ms, 1000.
void grpc_server_config_default(GrpcServerConfig *c);
// 0, or -1 with a message: empty address, max_message_size 0 or above 64 MiB, timeout 0, 0 connections.
int grpc_server_config_check(const GrpcServerConfig *c, char *err, size_t errlen);

struct GrpcRetryPolicy {
    uint32_t max_retries;         // retries after the first attempt
    uint64_t initial_backoff_ms;  // pause before the first retry
    uint64_t max_backoff_ms;      // no pause is longer
    double backoff_multiplier;    // each pause is the previous one times this
    std::vector<int> retryable_codes;
};
// 3 retries, 100 ms, 5000 ms, x2.0, {UNAVAILABLE, DEADLINE_EXCEEDED}.
void grpc_retry_policy_default(GrpcRetryPolicy *p);
bool grpc_retry_is_retryable(const GrpcRetryPolicy *p, int code);
// The pause before retry number `retry` (1 = the first retry): initial * multiplier^(retry - 1), capped
// at max_backoff_ms. 0 for retry 0.
uint64_t grpc_retry_backoff_ms(const GrpcRetryPolicy *p, uint32_t retry);

enum GrpcLbStrategy {
    GRPC_LB_ROUND_ROBIN,
    GRPC_LB_RANDOM,
    GRPC_LB_LEAST_CONNECTIONS,
    GRPC_LB_WEIGHTED_ROUND_ROBIN,
};
// "round_robin", "random", "least_connections", "weighted_round_robin"; NULL for any other value.
const char *grpc_lb_name(GrpcLbStrategy s);

struct GrpcClientConfig {
    std::vector<std::string> endpoints;  // "host:port"
    GrpcLbStrategy load_balancing;
    std::vector<uint32_t> weights;       // GRPC_LB_WEIGHTED_ROUND_ROBIN: one per endpoint
    size_t connection_pool_size;         // channels opened to each endpoint
    uint64_t connect_timeout_ms;
    uint64_t request_timeout_ms;         // the deadline of each attempt
    size_t max_message_size;             // the largest response message the client accepts
    uint64_t seed;                       // GRPC_LB_RANDOM's generator
    GrpcRetryPolicy retry_policy;
};
// No endpoint, round robin, pool 1, 5000 ms, 30000 ms, 4 MiB, seed 1, the default retry policy.
void grpc_client_config_default(GrpcClientConfig *c);
// 0, or -1 with a message (see the README's limits).
int grpc_client_config_check(const GrpcClientConfig *c, char *err, size_t errlen);

// ---- load balancer --------------------------------------------------------------------------
// Not locked: the client holds its own mutex around these calls.
struct GrpcBalancer {
    GrpcLbStrategy strategy;
    std::vector<uint32_t> weights;
    std::vector<int64_t> current;    // smooth weighted round robin: each endpoint's current weight
    std::vector<uint32_t> in_flight; // calls begun and not ended, per endpoint
    std::vector<bool> down;          // left out of the rotation
    size_t next;                     // where round robin (and least connections' tie-break) starts
    uint64_t rng;                    // splitmix64 state
};
// 0, or -1 (n == 0, or weighted round robin without exactly n weights, or a weight of 0).
int grpc_balancer_init(GrpcBalancer *b, GrpcLbStrategy s, size_t n, const std::vector<uint32_t> &weights, uint64_t seed);
// The endpoint for the next call (see the README's rules), -1 when n is 0.
int grpc_balancer_pick(GrpcBalancer *b);
void grpc_balancer_begin(GrpcBalancer *b, int i);
void grpc_balancer_end(GrpcBalancer *b, int i);
// Leaves endpoint i out of the rotation (down) or puts it back.
void grpc_balancer_set_down(GrpcBalancer *b, int i, bool down);

// ---- health registry ------------------------------------------------------------------------
// The values of grpc.health.v1.HealthCheckResponse.ServingStatus.
enum GrpcHealthStatus {
    GRPC_HEALTH_UNKNOWN = 0,
    GRPC_HEALTH_SERVING = 1,
    GRPC_HEALTH_NOT_SERVING = 2,
    GRPC_HEALTH_SERVICE_UNKNOWN = 3,
};
struct GrpcHealth {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    std::map<std::string, GrpcHealthStatus> status;
    bool closed;
};
void grpc_health_init(GrpcHealth *h);
void grpc_health_destroy(GrpcHealth *h);
void grpc_health_set(GrpcHealth *h, const std::string &service, GrpcHealthStatus st);
// The status last set; GRPC_HEALTH_UNKNOWN for a service never set.
GrpcHealthStatus grpc_health_get(GrpcHealth *h, const std::string &service);
bool grpc_health_known(GrpcHealth *h, const std::string &service);
// Waits until the service's status differs from *seen (a service never set counts as
// GRPC_HEALTH_SERVICE_UNKNOWN here). 1: changed, *seen is the new status; 0: timeout_ms passed;
// -1: the registry was closed.
int grpc_health_wait(GrpcHealth *h, const std::string &service, GrpcHealthStatus *seen, int timeout_ms);
// Wakes every waiter with -1, now and later (the server is shutting down).
void grpc_health_close(GrpcHealth *h);

// ---- interceptors ---------------------------------------------------------------------------
struct GrpcCallInfo {
    std::string method;                            // "/taskservice.TaskService/CreateTask"
    std::multimap<std::string, std::string> metadata; // keys in lower case, as gRPC delivers them
    std::string peer;
};
struct GrpcInterceptor {
    const char *name;
    void *ctx;
    // GC_OK lets the call go on; any other code refuses it with *message (may be NULL).
    int (*on_request)(void *ctx, const GrpcCallInfo *call, std::string *message);
    // After the call: its final code and how long it took. May be NULL.
    void (*on_response)(void *ctx, const GrpcCallInfo *call, int code, uint64_t duration_ms);
};
struct GrpcChain {
    std::vector<GrpcInterceptor> list;
};
// Runs on_request in order until one refuses. *ran = how many interceptors saw the request (the
// refusing one included). Returns GC_OK or the refusal's code, *message its text.
int grpc_chain_request(const GrpcChain *c, const GrpcCallInfo *call, size_t *ran, std::string *message);
// Runs on_response of the first `ran` interceptors, last first.
void grpc_chain_response(const GrpcChain *c, const GrpcCallInfo *call, size_t ran, int code, uint64_t duration_ms);

// Logging: one line per request and one per response, kept in memory (and echoed to `echo` if set).
struct GrpcLog {
    pthread_mutex_t lock;
    std::vector<std::string> lines;
    FILE *echo;
};
void grpc_log_init(GrpcLog *l, FILE *echo);
void grpc_log_destroy(GrpcLog *l);
std::vector<std::string> grpc_log_lines(GrpcLog *l);
GrpcInterceptor grpc_logging_interceptor(GrpcLog *l);

// Auth: tokens in "authorization: Bearer <token>", checked by a validator, roles per method.
struct GrpcClaims {
    std::string subject;
    std::vector<std::string> roles;
    int64_t expires_at;  // seconds on the auth clock
};
enum GrpcAuthError {
    GRPC_AUTH_OK,
    GRPC_AUTH_MISSING_TOKEN,
    GRPC_AUTH_INVALID_TOKEN,
    GRPC_AUTH_TOKEN_EXPIRED,
    GRPC_AUTH_INSUFFICIENT_PERMISSIONS,
};
// "token missing", "invalid token", "token expired", "insufficient permissions"; NULL otherwise.
const char *grpc_auth_error_str(GrpcAuthError e);
struct GrpcTokenValidator {
    void *ctx;
    // GRPC_AUTH_OK with *claims filled, or GRPC_AUTH_INVALID_TOKEN with *why.
    GrpcAuthError (*validate)(void *ctx, const std::string &token, GrpcClaims *claims, std::string *why);
};
struct GrpcAuth {
    GrpcTokenValidator validator;
    std::map<std::string, std::string> required_role; // full method name -> role it needs
    int64_t (*now_s)(void *ctx);                      // the clock expires_at is read on
    void *clock_ctx;
};
// The auth check of one call: GRPC_AUTH_OK or the error, *claims filled when the token was valid.
GrpcAuthError grpc_auth_check(const GrpcAuth *a, const GrpcCallInfo *call, GrpcClaims *claims, std::string *why);
GrpcInterceptor grpc_auth_interceptor(GrpcAuth *a);

// Metrics: calls per method and code, time per method, calls in flight.
struct GrpcMetrics {
    pthread_mutex_t lock;
    std::map<std::pair<std::string, int>, uint64_t> calls;
    std::map<std::string, uint64_t> total_ms;
    int64_t active;
};
void grpc_metrics_init(GrpcMetrics *m);
void grpc_metrics_destroy(GrpcMetrics *m);
void grpc_metrics_record(GrpcMetrics *m, const std::string &method, int code, uint64_t duration_ms);
void grpc_metrics_increment_active(GrpcMetrics *m);
void grpc_metrics_decrement_active(GrpcMetrics *m);
uint64_t grpc_metrics_count(GrpcMetrics *m, const std::string &method, int code);
int64_t grpc_metrics_active(GrpcMetrics *m);
GrpcInterceptor grpc_metrics_interceptor(GrpcMetrics *m);

// ---- the task store behind TaskService --------------------------------------------------------
enum TaskStatus { TASK_PENDING = 0, TASK_IN_PROGRESS = 1, TASK_COMPLETED = 2, TASK_FAILED = 3 };
enum TaskEventKind { TASK_EVENT_CREATED = 0, TASK_EVENT_UPDATED = 1, TASK_EVENT_CURRENT = 2 };
struct TaskInfo {
    std::string id, title, description;
    int status = TASK_PENDING;
    int64_t created_at = 0, updated_at = 0;  // ms on the store's clock
    std::map<std::string, std::string> metadata;
};
struct TaskEventInfo {
    int kind = TASK_EVENT_CREATED;
    TaskInfo task;
    uint64_t revision = 0;
};
struct TaskStore {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    std::vector<TaskInfo> tasks;         // in creation order; task-<n> is tasks[n - 1]
    std::vector<TaskEventInfo> events;   // every event, revision r is events[r - 1]
    bool closed;
    int64_t (*now_ms)(void *ctx);
    void *clock_ctx;
};
void task_store_init(TaskStore *s, int64_t (*now_ms)(void *), void *clock_ctx);
void task_store_destroy(TaskStore *s);
// Wakes every watcher with -1, now and later.
void task_store_close(TaskStore *s);
// GC_OK with *out, or GC_INVALID_ARGUMENT with *err (see the README's limits).
int task_create(TaskStore *s, const std::string &title, const std::string &description,
                const std::map<std::string, std::string> &metadata, TaskInfo *out, std::string *err);
// GC_OK with *out (and, when revision is not NULL, the store's revision at that moment), or GC_NOT_FOUND.
int task_get(TaskStore *s, const std::string &id, TaskInfo *out, uint64_t *revision, std::string *err);
// Tasks in creation order, only those of `status` when has_status, at most limit (0: all).
void task_list(TaskStore *s, bool has_status, int status, uint32_t limit, std::vector<TaskInfo> *out);
// Sets the status (and the description when has_description). GC_OK with the UPDATED event, or
// GC_NOT_FOUND, GC_INVALID_ARGUMENT (status out of range), GC_FAILED_PRECONDITION (task finished).
int task_update(TaskStore *s, const std::string &id, int status, bool has_description, const std::string &description,
                TaskEventInfo *ev, std::string *err);
// The next event of task `id` after revision *after: 1 with *ev (and *after moved to it), 0 when
// timeout_ms passed, -1 when the store was closed.
int task_watch_next(TaskStore *s, const std::string &id, uint64_t *after, int timeout_ms, TaskEventInfo *ev);
// The store's current revision (the number of events so far).
uint64_t task_store_revision(TaskStore *s);
