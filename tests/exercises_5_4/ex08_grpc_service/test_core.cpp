// test_core.cpp — EX08 tests of the network-free core: configurations and their limits, backoff,
// the four balancing strategies, the health registry, the interceptor chain, auth, metrics,
// logging and the task store (virtual clock, no sockets).
#include "ex08_tests.h"
#include "grpc_core.h"
#include "nl_check.h"

#include <pthread.h>
#include <time.h>

#include <string>
#include <vector>

namespace {
const std::string CREATE = "/taskservice.TaskService/CreateTask";
const std::string GET = "/taskservice.TaskService/GetTask";

int64_t mono_ms()
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int64_t vclock_now(void *ctx)
{
    return *(int64_t *)ctx;
}

std::string picks(GrpcBalancer *b, int n)
{
    std::string s;
    for (int i = 0; i < n; i++) s += std::to_string(grpc_balancer_pick(b));
    return s;
}

// The validator of the auth tests: "good-<subject>-<role>[-<role>...]" is valid (expires at 1000),
// "old-..." expires at 500, anything else is invalid.
GrpcAuthError test_validate(void *, const std::string &token, GrpcClaims *claims, std::string *why)
{
    bool old = token.rfind("old-", 0) == 0;
    if (token.rfind("good-", 0) != 0 && !old) {
        *why = "not a test token";
        return GRPC_AUTH_INVALID_TOKEN;
    }
    std::vector<std::string> parts;
    size_t at = token.find('-') + 1;
    for (;;) {
        size_t dash = token.find('-', at);
        parts.push_back(token.substr(at, dash == std::string::npos ? std::string::npos : dash - at));
        if (dash == std::string::npos) break;
        at = dash + 1;
    }
    claims->subject = parts[0];
    claims->roles.assign(parts.begin() + 1, parts.end());
    claims->expires_at = old ? 500 : 1000;
    return GRPC_AUTH_OK;
}

int64_t auth_now(void *ctx)
{
    return *(int64_t *)ctx;
}

GrpcCallInfo call_with(const std::string &method, const char *auth)
{
    GrpcCallInfo c;
    c.method = method;
    if (auth) c.metadata.emplace("authorization", auth);
    return c;
}

struct setter_arg {
    GrpcHealth *h;
    GrpcHealthStatus to;
    int64_t set_at; // when the status was set (monotonic ms)
};

void *set_later(void *p)
{
    setter_arg *a = (setter_arg *)p;
    timespec t = {0, 20 * 1000000L};
    nanosleep(&t, nullptr);
    a->set_at = mono_ms();
    grpc_health_set(a->h, "myservice", a->to);
    return nullptr;
}

struct watch_arg {
    TaskStore *s;
    int64_t updated_at;
};

void *update_later(void *p)
{
    watch_arg *a = (watch_arg *)p;
    timespec t = {0, 20 * 1000000L};
    nanosleep(&t, nullptr);
    TaskEventInfo ev;
    std::string err;
    a->updated_at = mono_ms();
    task_update(a->s, "task-1", TASK_IN_PROGRESS, false, "", &ev, &err);
    return nullptr;
}

// A recording interceptor for the chain test.
struct recorder {
    std::string *trace;
    const char *name;
    int refuse; // code to refuse with, GC_OK to let through
};

int rec_request(void *ctx, const GrpcCallInfo *, std::string *message)
{
    recorder *r = (recorder *)ctx;
    *r->trace += std::string(">") + r->name;
    if (r->refuse != GC_OK) *message = std::string("refused by ") + r->name;
    return r->refuse;
}

void rec_response(void *ctx, const GrpcCallInfo *, int code, uint64_t)
{
    recorder *r = (recorder *)ctx;
    *r->trace += std::string("<") + r->name + std::to_string(code);
}
} // namespace

// ---- the seed's tests -------------------------------------------------------------------------
void test_server_config_default(void **)
{
    GrpcServerConfig c;
    c.listen_addr = "x";
    c.enable_reflection = c.enable_health_check = false;
    c.max_message_size = c.request_timeout_ms = c.max_concurrent_connections = 7;
    grpc_server_config_default(&c);
    NL_EXPECT_STREQ(c.listen_addr, "[::1]:50051", "grpc_server_config_default: listen_addr");
    NL_EXPECT_TRUE(c.enable_reflection, "grpc_server_config_default: enable_reflection");
    NL_EXPECT_TRUE(c.enable_health_check, "grpc_server_config_default: enable_health_check");
    NL_EXPECT_EQ_INT(c.max_message_size, 4 * 1024 * 1024, "grpc_server_config_default: max_message_size");
    NL_EXPECT_EQ_INT(c.request_timeout_ms, 30000, "grpc_server_config_default: request_timeout_ms");
    NL_EXPECT_EQ_INT(c.max_concurrent_connections, 1000, "grpc_server_config_default: max_concurrent_connections");
}

void test_retry_policy_default(void **)
{
    GrpcRetryPolicy p;
    p.max_retries = 9;
    p.retryable_codes = {GC_NOT_FOUND};
    grpc_retry_policy_default(&p);
    NL_EXPECT_EQ_INT(p.max_retries, 3, "grpc_retry_policy_default: max_retries");
    NL_EXPECT_TRUE(grpc_retry_is_retryable(&p, GC_UNAVAILABLE), "default policy: UNAVAILABLE is retryable");
    NL_EXPECT_TRUE(grpc_retry_is_retryable(&p, GC_DEADLINE_EXCEEDED), "default policy: DEADLINE_EXCEEDED is retryable");
    NL_EXPECT_TRUE(!grpc_retry_is_retryable(&p, GC_NOT_FOUND), "default policy: NOT_FOUND is not retryable");
    NL_EXPECT_EQ_INT(p.retryable_codes.size(), 2, "default policy: retryable codes");
    NL_EXPECT_EQ_INT(p.initial_backoff_ms, 100, "default policy: initial_backoff_ms");
    NL_EXPECT_EQ_INT(p.max_backoff_ms, 5000, "default policy: max_backoff_ms");
    NL_EXPECT_TRUE(p.backoff_multiplier == 2.0, "default policy: backoff_multiplier is 2.0 (got %g)", p.backoff_multiplier);
}

void test_health_check_service(void **)
{
    GrpcHealth h;
    grpc_health_init(&h);
    NL_EXPECT_EQ_INT(grpc_health_get(&h, "myservice"), GRPC_HEALTH_UNKNOWN, "a service never set");
    grpc_health_set(&h, "myservice", GRPC_HEALTH_SERVING);
    NL_EXPECT_EQ_INT(grpc_health_get(&h, "myservice"), GRPC_HEALTH_SERVING, "after set SERVING");
    // Watch, then another thread sets NOT_SERVING: the watcher wakes within 100 ms of the set. A
    // loaded machine may delay a wake-up that was signalled in time, so a slow trial is tried again
    // (flipping the status); a watcher nobody wakes fails at once (its wait times out).
    GrpcHealthStatus seen = GRPC_HEALTH_SERVING;
    int64_t best = -1;
    for (int trial = 0; trial < 5 && (best < 0 || best >= 100); trial++) {
        setter_arg a = {&h, seen == GRPC_HEALTH_SERVING ? GRPC_HEALTH_NOT_SERVING : GRPC_HEALTH_SERVING, 0};
        pthread_t t;
        pthread_create(&t, nullptr, set_later, &a);
        int rc = grpc_health_wait(&h, "myservice", &seen, 1000);
        int64_t woke = mono_ms();
        pthread_join(t, nullptr);
        NL_EXPECT_EQ_INT(rc, 1, "grpc_health_wait (1000 ms) while another thread sets %s after 20 ms",
                         a.to == GRPC_HEALTH_NOT_SERVING ? "NOT_SERVING" : "SERVING");
        NL_EXPECT_EQ_INT(seen, a.to, "the status the watcher saw");
        if (best < 0 || woke - a.set_at < best) best = woke - a.set_at;
    }
    NL_EXPECT_TRUE(best < 100, "the watcher woke %lld ms after the set at best in 5 trials (want < 100 ms)", (long long)best);
    grpc_health_destroy(&h);
}

void test_load_balancing_strategies(void **)
{
    NL_EXPECT_STREQ(grpc_lb_name(GRPC_LB_ROUND_ROBIN), "round_robin", "grpc_lb_name");
    NL_EXPECT_STREQ(grpc_lb_name(GRPC_LB_RANDOM), "random", "grpc_lb_name");
    NL_EXPECT_STREQ(grpc_lb_name(GRPC_LB_LEAST_CONNECTIONS), "least_connections", "grpc_lb_name");
    NL_EXPECT_STREQ(grpc_lb_name(GRPC_LB_WEIGHTED_ROUND_ROBIN), "weighted_round_robin", "grpc_lb_name");
    NL_EXPECT_TRUE(grpc_lb_name((GrpcLbStrategy)4) == nullptr, "grpc_lb_name(4) is NULL");
    GrpcBalancer b;
    NL_EXPECT_EQ_INT(grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 3, {1, 2, 3}, 1), 0, "init WRR, 3 weights for 3");
    NL_EXPECT_EQ_INT(b.weights.size(), 3, "weights kept");
    NL_EXPECT_EQ_INT(grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 3, {1, 2}, 1), -1, "init WRR, 2 weights for 3");
    NL_EXPECT_EQ_INT(grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 3, {1, 0, 3}, 1), -1, "init WRR, a weight of 0");
    NL_EXPECT_EQ_INT(grpc_balancer_init(&b, GRPC_LB_ROUND_ROBIN, 0, {}, 1), -1, "init with 0 endpoints");
    GrpcBalancer none{};
    NL_EXPECT_EQ_INT(grpc_balancer_pick(&none), -1, "pick on a balancer with no endpoint");
    for (GrpcLbStrategy s : {GRPC_LB_ROUND_ROBIN, GRPC_LB_RANDOM, GRPC_LB_LEAST_CONNECTIONS})
        NL_EXPECT_EQ_INT(grpc_balancer_init(&b, s, 3, {}, 1), 0, "init %s without weights", grpc_lb_name(s));
}

void test_auth_error_display(void **)
{
    NL_EXPECT_STREQ(grpc_auth_error_str(GRPC_AUTH_MISSING_TOKEN), "token missing", "grpc_auth_error_str");
    NL_EXPECT_STREQ(grpc_auth_error_str(GRPC_AUTH_INVALID_TOKEN), "invalid token", "grpc_auth_error_str");
    NL_EXPECT_STREQ(grpc_auth_error_str(GRPC_AUTH_TOKEN_EXPIRED), "token expired", "grpc_auth_error_str");
    NL_EXPECT_STREQ(grpc_auth_error_str(GRPC_AUTH_INSUFFICIENT_PERMISSIONS), "insufficient permissions", "grpc_auth_error_str");
    NL_EXPECT_TRUE(grpc_auth_error_str(GRPC_AUTH_OK) == nullptr, "grpc_auth_error_str(GRPC_AUTH_OK) is NULL");
}

void test_claims_structure(void **)
{
    // A validator hands back claims {user123, [admin, user], 1700000000}: admin opens every method.
    int64_t now = 1000;
    GrpcAuth a{{nullptr, test_validate}, {{CREATE, "writer"}}, auth_now, &now};
    GrpcCallInfo c = call_with(CREATE, "Bearer good-user123-admin-user");
    GrpcClaims claims;
    std::string why;
    now = 999;
    NL_EXPECT_EQ_INT(grpc_auth_check(&a, &c, &claims, &why), GRPC_AUTH_OK, "CreateTask (needs writer) with roles admin,user");
    NL_EXPECT_STREQ(claims.subject, "user123", "claims.subject");
    NL_EXPECT_EQ_INT(claims.roles.size(), 2, "claims.roles");
    NL_EXPECT_STREQ(claims.roles[0], "admin", "claims.roles[0]");
    NL_EXPECT_EQ_INT(claims.expires_at, 1000, "claims.expires_at");
}

// ---- the core ---------------------------------------------------------------------------------
void test_code_names(void **)
{
    const char *want[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
                          "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
                          "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
                          "UNAUTHENTICATED"};
    for (int i = 0; i <= 16; i++) NL_EXPECT_STREQ(grpc_code_name(i), want[i], "grpc_code_name(%d)", i);
    NL_EXPECT_STREQ(grpc_code_name(17), "CODE_17", "grpc_code_name(17)");
    NL_EXPECT_STREQ(grpc_code_name(-1), "CODE_-1", "grpc_code_name(-1)");
}

void test_config_limits(void **)
{
    char err[256];
    GrpcServerConfig s;
    grpc_server_config_default(&s);
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), 0, "the default server config");
    s.max_message_size = 64u << 20;
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), 0, "max_message_size 64 MiB");
    s.max_message_size = (64u << 20) + 1;
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), -1, "max_message_size 64 MiB + 1");
    s.max_message_size = 0;
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), -1, "max_message_size 0");
    s.max_message_size = 1;
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), 0, "max_message_size 1");
    s.listen_addr = "";
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), -1, "empty listen_addr");
    grpc_server_config_default(&s);
    s.request_timeout_ms = 0;
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), -1, "request_timeout_ms 0");
    grpc_server_config_default(&s);
    s.max_concurrent_connections = 0;
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), -1, "max_concurrent_connections 0");
    s.max_concurrent_connections = 1;
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), 0, "max_concurrent_connections 1");
    s.request_timeout_ms = 1;
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, err, sizeof err), 0, "request_timeout_ms 1");

    GrpcClientConfig c;
    c.endpoints = {"x:1"};
    c.weights = {3};
    grpc_client_config_default(&c);
    NL_EXPECT_EQ_INT(c.endpoints.size(), 0, "default endpoints (a used config reset)");
    NL_EXPECT_EQ_INT(c.weights.size(), 0, "default weights (a used config reset)");
    NL_EXPECT_EQ_INT(c.retry_policy.max_retries, 3, "default client retry policy: max_retries");
    NL_EXPECT_EQ_INT(c.retry_policy.initial_backoff_ms, 100, "default client retry policy: initial_backoff_ms");
    NL_EXPECT_EQ_INT(c.connection_pool_size, 1, "default pool");
    NL_EXPECT_EQ_INT(c.connect_timeout_ms, 5000, "default connect_timeout_ms");
    NL_EXPECT_EQ_INT(c.request_timeout_ms, 30000, "default request_timeout_ms");
    NL_EXPECT_EQ_INT(c.max_message_size, 4u << 20, "default max_message_size");
    NL_EXPECT_EQ_INT(c.seed, 1, "default seed");
    NL_EXPECT_EQ_INT(c.load_balancing, GRPC_LB_ROUND_ROBIN, "default strategy");
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "no endpoint");
    c.endpoints.assign(16, "127.0.0.1:1");
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "16 endpoints");
    c.endpoints.push_back("127.0.0.1:1");
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "17 endpoints");
    c.endpoints.assign(3, "127.0.0.1:1");
    c.endpoints[0] = "";
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "the first endpoint empty");
    c.endpoints[0] = "127.0.0.1:1";
    c.endpoints[1] = "";
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "an empty endpoint");
    c.endpoints[1] = "127.0.0.1:2";
    c.load_balancing = GRPC_LB_WEIGHTED_ROUND_ROBIN;
    c.weights = {1, 1000, 5};
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "weights 1, 1000, 5");
    c.weights = {1, 1001, 5};
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "weight 1001");
    c.weights = {0, 1, 5};
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "weight 0");
    c.weights = {1, 1};
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "2 weights for 3 endpoints");
    c.load_balancing = (GrpcLbStrategy)7;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "strategy 7");
    c.load_balancing = GRPC_LB_RANDOM;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "random, the weights ignored");
    c.connection_pool_size = 16;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "pool 16");
    c.connection_pool_size = 17;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "pool 17");
    c.connection_pool_size = 0;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "pool 0");
    c.connection_pool_size = 1;
    c.connect_timeout_ms = 0;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "connect_timeout_ms 0");
    c.connect_timeout_ms = 1;
    c.request_timeout_ms = 0;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "request_timeout_ms 0");
    c.request_timeout_ms = 1;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "timeouts of 1 ms");
    c.max_message_size = (64u << 20) + 1;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "client max_message_size 64 MiB + 1");
    c.max_message_size = 0;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "client max_message_size 0");
    c.max_message_size = 1;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "client max_message_size 1");
    c.max_message_size = 64u << 20;
    c.retry_policy.max_retries = 10;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "max_retries 10");
    c.retry_policy.max_retries = 11;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "max_retries 11");
    c.retry_policy.max_retries = 0;
    c.retry_policy.initial_backoff_ms = 0;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "initial_backoff_ms 0");
    c.retry_policy.initial_backoff_ms = 1;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "initial_backoff_ms 1");
    c.retry_policy.initial_backoff_ms = 5000;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "initial_backoff_ms == max_backoff_ms");
    c.retry_policy.initial_backoff_ms = 5001;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "initial_backoff_ms > max_backoff_ms");
    c.retry_policy.initial_backoff_ms = 100;
    c.retry_policy.backoff_multiplier = 1.0;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), 0, "multiplier 1.0");
    c.retry_policy.backoff_multiplier = 0.99;
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, err, sizeof err), -1, "multiplier 0.99");
    NL_EXPECT_CONTAINS(std::string(err), "backoff_multiplier", "the message of a refused multiplier");
    NL_EXPECT_EQ_INT(grpc_client_config_check(&c, nullptr, 64), -1, "a refused client config with err NULL");
    s.listen_addr = "";
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, nullptr, 64), -1, "a refused server config with err NULL");
    char small[8] = "xxxxxxx";
    NL_EXPECT_EQ_INT(grpc_server_config_check(&s, small, 0), -1, "a refused server config with errlen 0");
    NL_EXPECT_STREQ(small, "xxxxxxx", "errlen 0: err untouched");
}

void test_backoff_schedule(void **)
{
    GrpcRetryPolicy p;
    grpc_retry_policy_default(&p);
    const uint64_t want[] = {0, 100, 200, 400, 800, 1600, 3200, 5000, 5000};
    for (uint32_t r = 0; r < 9; r++) NL_EXPECT_EQ_INT(grpc_retry_backoff_ms(&p, r), want[r], "default policy, retry %u", r);
    p.initial_backoff_ms = 10;
    p.max_backoff_ms = 100;
    p.backoff_multiplier = 1.5;
    const uint64_t want15[] = {0, 10, 15, 22, 33, 50, 75, 100, 100};
    for (uint32_t r = 0; r < 9; r++) NL_EXPECT_EQ_INT(grpc_retry_backoff_ms(&p, r), want15[r], "10 ms x1.5 up to 100, retry %u", r);
    p.backoff_multiplier = 1.0;
    NL_EXPECT_EQ_INT(grpc_retry_backoff_ms(&p, 6), 10, "multiplier 1.0, retry 6");
    p.initial_backoff_ms = 7;
    p.max_backoff_ms = 7;
    p.backoff_multiplier = 3.0;
    NL_EXPECT_EQ_INT(grpc_retry_backoff_ms(&p, 1), 7, "initial == max, retry 1");
    NL_EXPECT_EQ_INT(grpc_retry_backoff_ms(&p, 2), 7, "initial == max, retry 2");
    NL_EXPECT_EQ_INT(grpc_retry_backoff_ms(&p, 1000000), 7, "retry 1000000 stays at the cap");
}

void test_retryable_codes(void **)
{
    GrpcRetryPolicy p;
    grpc_retry_policy_default(&p);
    for (int code = 0; code <= 16; code++)
        NL_EXPECT_EQ_INT(grpc_retry_is_retryable(&p, code), code == GC_UNAVAILABLE || code == GC_DEADLINE_EXCEEDED,
                         "default policy, %s", grpc_code_name(code).c_str());
    p.retryable_codes = {GC_ABORTED, GC_RESOURCE_EXHAUSTED};
    NL_EXPECT_TRUE(grpc_retry_is_retryable(&p, GC_ABORTED), "custom list {ABORTED, RESOURCE_EXHAUSTED}: ABORTED");
    NL_EXPECT_TRUE(grpc_retry_is_retryable(&p, GC_RESOURCE_EXHAUSTED), "custom list: RESOURCE_EXHAUSTED");
    NL_EXPECT_TRUE(!grpc_retry_is_retryable(&p, GC_UNAVAILABLE), "custom list: UNAVAILABLE is no longer retryable");
    p.retryable_codes.clear();
    NL_EXPECT_TRUE(!grpc_retry_is_retryable(&p, GC_UNAVAILABLE), "empty list: nothing is retryable");
}

void test_round_robin_order(void **)
{
    GrpcBalancer b;
    grpc_balancer_init(&b, GRPC_LB_ROUND_ROBIN, 3, {}, 1);
    NL_EXPECT_STREQ(picks(&b, 7), "0120120", "round robin over 3");
    grpc_balancer_begin(&b, 1); // in-flight counts do not matter to round robin
    grpc_balancer_begin(&b, 1);
    NL_EXPECT_STREQ(picks(&b, 3), "120", "round robin with 2 calls in flight on 1");
    grpc_balancer_init(&b, GRPC_LB_ROUND_ROBIN, 1, {}, 1);
    NL_EXPECT_STREQ(picks(&b, 3), "000", "round robin over 1");
    // init resets a used balancer: cursor, counts, weights and left-out marks.
    grpc_balancer_init(&b, GRPC_LB_ROUND_ROBIN, 3, {}, 1);
    picks(&b, 2);
    grpc_balancer_begin(&b, 0);
    grpc_balancer_set_down(&b, 2, true);
    grpc_balancer_init(&b, GRPC_LB_LEAST_CONNECTIONS, 3, {}, 1);
    NL_EXPECT_STREQ(picks(&b, 3), "012", "least connections after init over a used balancer");
    grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 3, {1, 2, 3}, 1);
    picks(&b, 2);
    grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 3, {1, 2, 3}, 1);
    NL_EXPECT_STREQ(picks(&b, 6), "210212", "weighted round robin after init over a used one");
}

void test_weighted_round_robin_order(void **)
{
    GrpcBalancer b;
    grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 3, {1, 2, 3}, 1);
    NL_EXPECT_STREQ(picks(&b, 12), "210212210212", "smooth weighted round robin, weights 1 2 3");
    grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 3, {5, 1, 1}, 1);
    NL_EXPECT_STREQ(picks(&b, 7), "0010200", "smooth weighted round robin, weights 5 1 1");
    grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 2, {1, 1}, 1);
    NL_EXPECT_STREQ(picks(&b, 4), "0101", "equal weights: ties go to the lowest index");
}

void test_least_connections_order(void **)
{
    GrpcBalancer b;
    grpc_balancer_init(&b, GRPC_LB_LEAST_CONNECTIONS, 3, {}, 1);
    NL_EXPECT_STREQ(picks(&b, 4), "0120", "nothing in flight: ties in round-robin order");
    // now next = 1
    grpc_balancer_begin(&b, 1);
    grpc_balancer_begin(&b, 1);
    grpc_balancer_begin(&b, 2);
    NL_EXPECT_EQ_INT(grpc_balancer_pick(&b), 0, "in flight 0/2/1");
    grpc_balancer_begin(&b, 0);
    grpc_balancer_begin(&b, 0);
    NL_EXPECT_EQ_INT(grpc_balancer_pick(&b), 2, "in flight 2/2/1");
    grpc_balancer_end(&b, 1);
    grpc_balancer_end(&b, 1);
    NL_EXPECT_EQ_INT(grpc_balancer_pick(&b), 1, "in flight 2/0/1");
    grpc_balancer_end(&b, 1); // an end without a begin leaves 0, not a huge count
    NL_EXPECT_EQ_INT(b.in_flight[1], 0, "in flight on 1 after an extra end");
    grpc_balancer_end(&b, 0);
    grpc_balancer_end(&b, 2);
    // in flight 1/0/0, next = 2
    NL_EXPECT_STREQ(picks(&b, 3), "212", "in flight 1/0/0: the tie of 1 and 2 in round-robin order from 2");
}

void test_random_strategy(void **)
{
    GrpcBalancer a, b;
    grpc_balancer_init(&a, GRPC_LB_RANDOM, 3, {}, 42);
    grpc_balancer_init(&b, GRPC_LB_RANDOM, 3, {}, 42);
    std::string sa = picks(&a, 60), sb = picks(&b, 60);
    NL_EXPECT_STREQ(sa, sb, "two balancers with seed 42");
    for (char c : std::string("012")) NL_EXPECT_TRUE(sa.find(c) != std::string::npos, "60 random picks include %c: %s", c, sa.c_str());
    // splitmix64 from seed 42: the first outputs modulo 3 are fixed by the README.
    uint64_t s = 42, z;
    std::string want;
    for (int i = 0; i < 8; i++) {
        z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        want += std::to_string((z ^ (z >> 31)) % 3);
    }
    NL_EXPECT_STREQ(sa.substr(0, 8), want, "the first 8 picks of seed 42");
    grpc_balancer_init(&a, GRPC_LB_RANDOM, 3, {}, 42);
    grpc_balancer_set_down(&a, 1, true);
    std::string sd = picks(&a, 40);
    NL_EXPECT_TRUE(sd.find('1') == std::string::npos, "random picks with 1 left out: %s", sd.c_str());
    NL_EXPECT_TRUE(sd.find('0') != std::string::npos && sd.find('2') != std::string::npos, "random picks with 1 left out: %s",
                   sd.c_str());
}

void test_endpoints_left_out(void **)
{
    GrpcBalancer b;
    grpc_balancer_init(&b, GRPC_LB_ROUND_ROBIN, 3, {}, 1);
    grpc_balancer_set_down(&b, 1, true);
    NL_EXPECT_STREQ(picks(&b, 4), "0202", "round robin with 1 left out");
    grpc_balancer_set_down(&b, 1, false);
    NL_EXPECT_STREQ(picks(&b, 3), "012", "round robin with 1 back");
    grpc_balancer_set_down(&b, 0, true);
    grpc_balancer_set_down(&b, 1, true);
    grpc_balancer_set_down(&b, 2, true);
    NL_EXPECT_EQ_INT(grpc_balancer_pick(&b), 0, "every endpoint left out: all come back, round robin goes on");
    NL_EXPECT_TRUE(!b.down[0] && !b.down[1] && !b.down[2], "every endpoint back after the pick");

    grpc_balancer_init(&b, GRPC_LB_WEIGHTED_ROUND_ROBIN, 3, {1, 2, 3}, 1);
    grpc_balancer_set_down(&b, 2, true);
    NL_EXPECT_STREQ(picks(&b, 6), "101101", "weights 1 2 3 with 2 left out: smooth over 1 and 2");
    grpc_balancer_init(&b, GRPC_LB_LEAST_CONNECTIONS, 3, {}, 1);
    grpc_balancer_begin(&b, 1);
    grpc_balancer_set_down(&b, 0, true);
    grpc_balancer_set_down(&b, 2, true);
    NL_EXPECT_STREQ(picks(&b, 2), "11", "least connections, only 1 up (with a call in flight)");
}

void test_health_registry_wait(void **)
{
    GrpcHealth h;
    grpc_health_init(&h);
    GrpcHealthStatus seen = GRPC_HEALTH_UNKNOWN;
    NL_EXPECT_EQ_INT(grpc_health_wait(&h, "a", &seen, 10), 1, "wait on a service never set, seen UNKNOWN");
    NL_EXPECT_EQ_INT(seen, GRPC_HEALTH_SERVICE_UNKNOWN, "a service never set is SERVICE_UNKNOWN to a watcher");
    NL_EXPECT_TRUE(!grpc_health_known(&h, "a"), "known(a) before any set");
    NL_EXPECT_EQ_INT(grpc_health_wait(&h, "a", &seen, 30), 0, "wait with no change: timeout");
    grpc_health_set(&h, "a", GRPC_HEALTH_SERVING);
    grpc_health_set(&h, "b", GRPC_HEALTH_NOT_SERVING);
    NL_EXPECT_TRUE(grpc_health_known(&h, "a"), "known(a) after a set");
    NL_EXPECT_EQ_INT(grpc_health_get(&h, "b"), GRPC_HEALTH_NOT_SERVING, "get(b)");
    NL_EXPECT_EQ_INT(grpc_health_get(&h, "a"), GRPC_HEALTH_SERVING, "get(a): b's set did not touch a");
    NL_EXPECT_EQ_INT(grpc_health_wait(&h, "a", &seen, 10), 1, "wait after a was set");
    NL_EXPECT_EQ_INT(seen, GRPC_HEALTH_SERVING, "the new status of a");
    grpc_health_set(&h, "a", GRPC_HEALTH_SERVING);
    NL_EXPECT_EQ_INT(grpc_health_wait(&h, "a", &seen, 30), 0, "the same status set again is no change");
    grpc_health_set(&h, "a", GRPC_HEALTH_NOT_SERVING);
    grpc_health_close(&h);
    NL_EXPECT_EQ_INT(grpc_health_wait(&h, "a", &seen, 1000), 1, "a change before the close is still told");
    NL_EXPECT_EQ_INT(seen, GRPC_HEALTH_NOT_SERVING, "the change told before the close");
    int64_t t0 = mono_ms();
    NL_EXPECT_EQ_INT(grpc_health_wait(&h, "a", &seen, 5000), -1, "wait on a closed registry");
    NL_EXPECT_TRUE(mono_ms() - t0 < 1000, "a closed registry answers at once");
    grpc_health_destroy(&h);
    grpc_health_init(&h); // init over a used registry: empty and open again
    NL_EXPECT_TRUE(!grpc_health_known(&h, "a"), "known(a) after a new init");
    seen = GRPC_HEALTH_SERVICE_UNKNOWN;
    t0 = mono_ms();
    NL_EXPECT_EQ_INT(grpc_health_wait(&h, "a", &seen, 300), 0, "wait on a new registry: timeout, not closed");
    NL_EXPECT_TRUE(mono_ms() - t0 >= 290, "a wait of 300 ms with no change lasted %lld ms", (long long)(mono_ms() - t0));
    grpc_health_destroy(&h);
}

void test_chain_order(void **)
{
    std::string trace;
    recorder r1{&trace, "A", GC_OK}, r2{&trace, "B", GC_PERMISSION_DENIED}, r3{&trace, "C", GC_OK};
    GrpcChain c;
    c.list = {{"A", &r1, rec_request, rec_response}, {"B", &r2, rec_request, rec_response}, {"C", &r3, rec_request, rec_response}};
    GrpcCallInfo call;
    call.method = GET;
    size_t ran = 99;
    std::string msg;
    NL_EXPECT_EQ_INT(grpc_chain_request(&c, &call, &ran, &msg), GC_PERMISSION_DENIED, "chain A, B (refuses), C");
    NL_EXPECT_EQ_INT(ran, 2, "interceptors that saw the request");
    NL_EXPECT_STREQ(msg, "refused by B", "the refusal's message");
    grpc_chain_response(&c, &call, ran, GC_PERMISSION_DENIED, 0);
    NL_EXPECT_STREQ(trace, ">A>B<B7<A7", "on_request in order, on_response last first, C never called");
    trace.clear();
    r2.refuse = GC_OK;
    c.list[1].on_response = nullptr; // an interceptor may have no on_response
    NL_EXPECT_EQ_INT(grpc_chain_request(&c, &call, &ran, &msg), GC_OK, "chain A, B, C all letting through");
    NL_EXPECT_EQ_INT(ran, 3, "interceptors that saw the request");
    grpc_chain_response(&c, &call, ran, GC_OK, 0);
    NL_EXPECT_STREQ(trace, ">A>B>C<C0<A0", "the whole chain, B without on_response");
    trace.clear();
    c.list[0].on_request = nullptr; // and one may have no on_request: it lets the call through
    NL_EXPECT_EQ_INT(grpc_chain_request(&c, &call, &ran, &msg), GC_OK, "chain with A's on_request NULL");
    NL_EXPECT_EQ_INT(ran, 3, "interceptors that saw the request (A counted)");
    grpc_chain_response(&c, &call, ran, GC_OK, 0);
    NL_EXPECT_STREQ(trace, ">B>C<C0<A0", "A without on_request still gets on_response");
    GrpcChain empty;
    NL_EXPECT_EQ_INT(grpc_chain_request(&empty, &call, &ran, &msg), GC_OK, "an empty chain");
    NL_EXPECT_EQ_INT(ran, 0, "an empty chain: nobody saw the request");
}

void test_auth_rules(void **)
{
    int64_t now = 999;
    GrpcAuth a{{nullptr, test_validate}, {{CREATE, "writer"}}, auth_now, &now};
    GrpcInterceptor ic = grpc_auth_interceptor(&a);
    NL_EXPECT_STREQ(ic.name, "auth", "the auth interceptor's name");
    struct row {
        const std::string method;
        const char *auth;
        int code;
        const char *msg;
    } rows[] = {
        {GET, nullptr, GC_UNAUTHENTICATED, "token missing"},
        {GET, "Basic abc", GC_UNAUTHENTICATED, "invalid token: expected 'Bearer <token>'"},
        {GET, "Bearer ", GC_UNAUTHENTICATED, "invalid token: expected 'Bearer <token>'"},
        {GET, "bearer good-u-reader", GC_UNAUTHENTICATED, "invalid token: expected 'Bearer <token>'"},
        {GET, "Bearer nope", GC_UNAUTHENTICATED, "invalid token: not a test token"},
        {GET, "Bearer good-u-reader", GC_OK, ""},
        {GET, "Bearer good-u", GC_OK, ""},
        {CREATE, "Bearer good-u-reader", GC_PERMISSION_DENIED,
         "insufficient permissions: /taskservice.TaskService/CreateTask needs role writer"},
        {CREATE, "Bearer good-u-reader-writer", GC_OK, ""},
        {CREATE, "Bearer good-u-admin", GC_OK, ""},
        {CREATE, "Bearer good-u-writers", GC_PERMISSION_DENIED,
         "insufficient permissions: /taskservice.TaskService/CreateTask needs role writer"},
        {GET, "Bearer old-u-reader", GC_UNAUTHENTICATED, "token expired"},
    };
    for (const row &r : rows) {
        GrpcCallInfo c = call_with(r.method, r.auth);
        std::string msg;
        int code = ic.on_request(ic.ctx, &c, &msg);
        NL_EXPECT_EQ_INT(code, r.code, "%s with authorization '%s'", r.method.c_str(), r.auth ? r.auth : "(none)");
        if (r.code != GC_OK) NL_EXPECT_STREQ(msg, r.msg, "%s with authorization '%s'", r.method.c_str(), r.auth ? r.auth : "(none)");
    }
    // expires_at is the first second the token is no longer valid.
    GrpcCallInfo c = call_with(GET, "Bearer good-u-reader");
    GrpcClaims claims;
    std::string why;
    now = 1000;
    NL_EXPECT_EQ_INT(grpc_auth_check(&a, &c, &claims, &why), GRPC_AUTH_TOKEN_EXPIRED, "now == expires_at (1000)");
    now = 499;
    c = call_with(GET, "Bearer old-u-reader");
    NL_EXPECT_EQ_INT(grpc_auth_check(&a, &c, &claims, &why), GRPC_AUTH_OK, "now 499, expires_at 500");
}

void test_metrics_counts(void **)
{
    GrpcMetrics m;
    grpc_metrics_init(&m);
    GrpcInterceptor ic = grpc_metrics_interceptor(&m);
    NL_EXPECT_STREQ(ic.name, "metrics", "the metrics interceptor's name");
    GrpcCallInfo a, b;
    a.method = GET;
    b.method = CREATE;
    std::string msg;
    NL_EXPECT_EQ_INT(ic.on_request(ic.ctx, &a, &msg), GC_OK, "metrics never refuse");
    ic.on_request(ic.ctx, &b, &msg);
    ic.on_request(ic.ctx, &a, &msg);
    NL_EXPECT_EQ_INT(grpc_metrics_active(&m), 3, "3 calls begun");
    ic.on_response(ic.ctx, &a, GC_OK, 5);
    ic.on_response(ic.ctx, &a, GC_NOT_FOUND, 7);
    NL_EXPECT_EQ_INT(grpc_metrics_active(&m), 1, "2 of 3 calls ended");
    ic.on_response(ic.ctx, &b, GC_OK, 1);
    NL_EXPECT_EQ_INT(grpc_metrics_active(&m), 0, "every call ended");
    NL_EXPECT_EQ_INT(grpc_metrics_count(&m, GET, GC_OK), 1, "GetTask OK");
    NL_EXPECT_EQ_INT(grpc_metrics_count(&m, GET, GC_NOT_FOUND), 1, "GetTask NOT_FOUND");
    NL_EXPECT_EQ_INT(grpc_metrics_count(&m, CREATE, GC_OK), 1, "CreateTask OK");
    NL_EXPECT_EQ_INT(grpc_metrics_count(&m, CREATE, GC_NOT_FOUND), 0, "CreateTask NOT_FOUND");
    NL_EXPECT_EQ_INT(m.total_ms[GET], 12, "GetTask total ms");
    grpc_metrics_record(&m, GET, GC_OK, 3);
    NL_EXPECT_EQ_INT(grpc_metrics_count(&m, GET, GC_OK), 2, "GetTask OK after a direct record");
    NL_EXPECT_EQ_INT(m.total_ms[GET], 15, "GetTask total ms after a direct record");
    grpc_metrics_destroy(&m);
    grpc_metrics_init(&m); // init over used metrics: every count back to 0
    NL_EXPECT_EQ_INT(grpc_metrics_count(&m, GET, GC_OK), 0, "GetTask OK after a new init");
    NL_EXPECT_EQ_INT(m.total_ms.size(), 0, "methods with a total after a new init");
    NL_EXPECT_EQ_INT(grpc_metrics_active(&m), 0, "calls in flight after a new init");
    grpc_metrics_destroy(&m);
}

void test_logging_lines(void **)
{
    GrpcLog l;
    grpc_log_init(&l, nullptr);
    GrpcInterceptor ic = grpc_logging_interceptor(&l);
    NL_EXPECT_STREQ(ic.name, "logging", "the logging interceptor's name");
    GrpcCallInfo a;
    a.method = GET;
    a.metadata.emplace("x-request-id", "abc");
    GrpcCallInfo b;
    b.method = CREATE;
    std::string msg;
    NL_EXPECT_EQ_INT(ic.on_request(ic.ctx, &a, &msg), GC_OK, "logging never refuses");
    ic.on_request(ic.ctx, &b, &msg);
    ic.on_response(ic.ctx, &b, GC_UNAUTHENTICATED, 4);
    ic.on_response(ic.ctx, &a, GC_OK, 12);
    std::vector<std::string> lines = grpc_log_lines(&l);
    NL_EXPECT_EQ_INT(lines.size(), 4, "log lines after 2 calls");
    NL_EXPECT_STREQ(lines[0], "-> /taskservice.TaskService/GetTask id=abc", "line 1");
    NL_EXPECT_STREQ(lines[1], "-> /taskservice.TaskService/CreateTask id=-", "line 2 (no x-request-id)");
    NL_EXPECT_STREQ(lines[2], "<- /taskservice.TaskService/CreateTask id=- UNAUTHENTICATED 4ms", "line 3");
    NL_EXPECT_STREQ(lines[3], "<- /taskservice.TaskService/GetTask id=abc OK 12ms", "line 4");
    grpc_log_destroy(&l);
    FILE *f = tmpfile();
    grpc_log_init(&l, f); // init over a used log: its lines start afresh
    ic = grpc_logging_interceptor(&l);
    ic.on_request(ic.ctx, &a, &msg);
    ic.on_response(ic.ctx, &a, GC_NOT_FOUND, 0);
    NL_EXPECT_EQ_INT(grpc_log_lines(&l).size(), 2, "log lines after a new init and 1 call");
    grpc_log_destroy(&l);
    char buf[256] = "";
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    NL_EXPECT_STREQ(buf, "-> /taskservice.TaskService/GetTask id=abc\n<- /taskservice.TaskService/GetTask id=abc NOT_FOUND 0ms\n",
                    "what the log echoed to its FILE");
}

void test_task_limits(void **)
{
    int64_t now = 1000;
    TaskStore s;
    task_store_init(&s, vclock_now, &now);
    TaskInfo t;
    std::string err;
    NL_EXPECT_EQ_INT(task_create(&s, std::string(200, 't'), "", {}, &t, &err), GC_OK, "a title of 200 bytes");
    NL_EXPECT_EQ_INT(task_create(&s, std::string(201, 't'), "", {}, &t, &err), GC_INVALID_ARGUMENT, "a title of 201 bytes");
    NL_EXPECT_STREQ(err, "title must be 1 to 200 bytes (got 201)", "the refusal of a 201-byte title");
    NL_EXPECT_EQ_INT(task_create(&s, "", "", {}, &t, &err), GC_INVALID_ARGUMENT, "an empty title");
    NL_EXPECT_EQ_INT(task_create(&s, "x", "", {}, &t, &err), GC_OK, "a title of 1 byte");
    std::map<std::string, std::string> meta;
    for (int i = 0; i < 16; i++) meta["k" + std::to_string(i)] = "v";
    NL_EXPECT_EQ_INT(task_create(&s, "m", "", meta, &t, &err), GC_OK, "16 metadata entries");
    meta["k16"] = "v";
    NL_EXPECT_EQ_INT(task_create(&s, "m", "", meta, &t, &err), GC_INVALID_ARGUMENT, "17 metadata entries");
    NL_EXPECT_EQ_INT(task_create(&s, "m", "", {{std::string(64, 'k'), std::string(256, 'v')}}, &t, &err), GC_OK,
                     "a 64-byte key with a 256-byte value");
    NL_EXPECT_EQ_INT(task_create(&s, "m", "", {{std::string(65, 'k'), "v"}}, &t, &err), GC_INVALID_ARGUMENT, "a 65-byte key");
    NL_EXPECT_EQ_INT(task_create(&s, "m", "", {{"k", std::string(257, 'v')}}, &t, &err), GC_INVALID_ARGUMENT,
                     "a 257-byte value");
    NL_EXPECT_EQ_INT(task_create(&s, "m", "", {{"", "v"}}, &t, &err), GC_INVALID_ARGUMENT, "an empty key");
    err.clear();
    NL_EXPECT_EQ_INT(task_create(&s, "m", "", {{"ok", "v"}, {"bad", std::string(257, 'v')}}, &t, &err), GC_INVALID_ARGUMENT,
                     "a 257-byte value of key 'bad'");
    NL_EXPECT_CONTAINS(err, "'bad'", "the refusal names the key");
    NL_EXPECT_EQ_INT(s.tasks.size(), 4, "tasks stored: only the accepted ones");
    NL_EXPECT_EQ_INT(task_store_revision(&s), 4, "revision: one event per accepted task");
    task_store_destroy(&s);
}

void test_task_ids(void **)
{
    int64_t now = 1000;
    TaskStore s;
    task_store_init(&s, vclock_now, &now);
    TaskInfo t, g;
    std::string err;
    task_create(&s, "first", "d1", {{"team", "a"}}, &t, &err);
    NL_EXPECT_STREQ(t.id, "task-1", "the first id");
    NL_EXPECT_EQ_INT(t.created_at, 1000, "created_at on the store's clock");
    NL_EXPECT_EQ_INT(t.updated_at, 1000, "updated_at of a new task");
    NL_EXPECT_EQ_INT(t.status, TASK_PENDING, "a new task is PENDING");
    now = 1500;
    for (int i = 2; i <= 10; i++) task_create(&s, "t" + std::to_string(i), "", {}, &t, &err);
    NL_EXPECT_STREQ(t.id, "task-10", "the tenth id");
    NL_EXPECT_EQ_INT(task_get(&s, "task-1", &g, nullptr, &err), GC_OK, "get task-1");
    NL_EXPECT_STREQ(g.title, "first", "task-1's title");
    NL_EXPECT_STREQ(g.description, "d1", "task-1's description");
    NL_EXPECT_STREQ(g.metadata["team"], "a", "task-1's metadata");
    uint64_t rev = 0;
    NL_EXPECT_EQ_INT(task_get(&s, "task-10", &g, &rev, &err), GC_OK, "get task-10");
    NL_EXPECT_STREQ(g.title, "t10", "task-10's title");
    NL_EXPECT_EQ_INT(task_get(&s, "task-9", &g, nullptr, &err), GC_OK, "get task-9");
    NL_EXPECT_STREQ(g.title, "t9", "task-9's title");
    NL_EXPECT_EQ_INT(rev, 10, "the revision task_get reports");
    for (const char *bad : {"task-11", "task-0", "task-01", "task-", "task-1x", "Task-1", "1", "", "task-18446744073709551617", "task-:", "task-1:", "task-9999999999"}) {
        err.clear();
        NL_EXPECT_EQ_INT(task_get(&s, bad, &g, nullptr, &err), GC_NOT_FOUND, "get '%s'", bad);
    }
    NL_EXPECT_STREQ(err, "task 'task-9999999999' not found", "the NOT_FOUND message");
    task_store_destroy(&s);
}

void test_task_list(void **)
{
    int64_t now = 0;
    TaskStore s;
    task_store_init(&s, vclock_now, &now);
    TaskInfo t;
    TaskEventInfo ev;
    std::string err;
    for (int i = 1; i <= 5; i++) task_create(&s, "t" + std::to_string(i), "", {}, &t, &err);
    task_update(&s, "task-2", TASK_IN_PROGRESS, false, "", &ev, &err);
    task_update(&s, "task-4", TASK_IN_PROGRESS, false, "", &ev, &err);
    task_update(&s, "task-5", TASK_COMPLETED, false, "", &ev, &err);
    std::vector<TaskInfo> out;
    auto ids = [&]() {
        std::string r;
        for (const TaskInfo &x : out) r += x.id + " ";
        return r;
    };
    task_list(&s, false, 0, 0, &out);
    NL_EXPECT_STREQ(ids(), "task-1 task-2 task-3 task-4 task-5 ", "list all");
    task_list(&s, false, 0, 2, &out);
    NL_EXPECT_STREQ(ids(), "task-1 task-2 ", "list limit 2");
    task_list(&s, true, TASK_IN_PROGRESS, 0, &out);
    NL_EXPECT_STREQ(ids(), "task-2 task-4 ", "list IN_PROGRESS");
    task_list(&s, true, TASK_IN_PROGRESS, 1, &out);
    NL_EXPECT_STREQ(ids(), "task-2 ", "list IN_PROGRESS limit 1");
    task_list(&s, true, TASK_PENDING, 5, &out);
    NL_EXPECT_STREQ(ids(), "task-1 task-3 ", "list PENDING limit 5");
    task_list(&s, true, TASK_FAILED, 0, &out);
    NL_EXPECT_STREQ(ids(), "", "list FAILED");
    task_list(&s, false, 0, 5, &out);
    NL_EXPECT_STREQ(ids(), "task-1 task-2 task-3 task-4 task-5 ", "list limit 5 of 5");
    task_store_destroy(&s);
}

void test_task_update_rules(void **)
{
    int64_t now = 100;
    TaskStore s;
    task_store_init(&s, vclock_now, &now);
    TaskInfo t, g;
    TaskEventInfo ev;
    std::string err;
    task_create(&s, "a", "old", {}, &t, &err);
    task_create(&s, "b", "", {}, &t, &err);
    now = 250;
    NL_EXPECT_EQ_INT(task_update(&s, "task-1", TASK_IN_PROGRESS, false, "ignored", &ev, &err), GC_OK, "task-1 -> IN_PROGRESS");
    NL_EXPECT_EQ_INT(ev.kind, TASK_EVENT_UPDATED, "the event's kind");
    NL_EXPECT_EQ_INT(ev.revision, 3, "the event's revision (2 creations before)");
    NL_EXPECT_STREQ(ev.task.description, "old", "no description given: kept");
    NL_EXPECT_EQ_INT(ev.task.updated_at, 250, "updated_at");
    NL_EXPECT_EQ_INT(ev.task.created_at, 100, "created_at kept");
    NL_EXPECT_EQ_INT(task_update(&s, "task-1", TASK_IN_PROGRESS, true, "new", &ev, &err), GC_OK, "the same status again");
    NL_EXPECT_STREQ(ev.task.description, "new", "description given: replaced");
    NL_EXPECT_EQ_INT(ev.revision, 4, "every accepted update is an event");
    NL_EXPECT_EQ_INT(task_update(&s, "task-1", 4, false, "", &ev, &err), GC_INVALID_ARGUMENT, "status 4");
    NL_EXPECT_EQ_INT(task_update(&s, "task-1", -1, false, "", &ev, &err), GC_INVALID_ARGUMENT, "status -1");
    NL_EXPECT_EQ_INT(task_update(&s, "task-3", TASK_COMPLETED, false, "", &ev, &err), GC_NOT_FOUND, "an unknown task");
    NL_EXPECT_STREQ(err, "task 'task-3' not found", "the NOT_FOUND message");
    NL_EXPECT_EQ_INT(task_update(&s, "task-1", TASK_FAILED, false, "", &ev, &err), GC_OK, "task-1 -> FAILED");
    NL_EXPECT_EQ_INT(task_update(&s, "task-1", TASK_PENDING, false, "", &ev, &err), GC_FAILED_PRECONDITION, "a FAILED task");
    NL_EXPECT_STREQ(err, "task 'task-1' is finished", "the FAILED_PRECONDITION message");
    NL_EXPECT_EQ_INT(task_update(&s, "task-2", TASK_COMPLETED, false, "", &ev, &err), GC_OK, "task-2 -> COMPLETED");
    NL_EXPECT_EQ_INT(task_update(&s, "task-2", TASK_COMPLETED, false, "", &ev, &err), GC_FAILED_PRECONDITION, "a COMPLETED task");
    NL_EXPECT_EQ_INT(task_store_revision(&s), 6, "refused updates leave no event");
    task_get(&s, "task-1", &g, nullptr, &err);
    NL_EXPECT_EQ_INT(g.status, TASK_FAILED, "task-1 after the refused update");
    NL_EXPECT_STREQ(g.description, "new", "task-1's description after the refused updates");
    task_store_destroy(&s);
}

void test_task_watch_events(void **)
{
    int64_t now = 0;
    TaskStore s;
    task_store_init(&s, vclock_now, &now);
    TaskInfo t;
    TaskEventInfo ev;
    std::string err;
    task_create(&s, "a", "", {}, &t, &err);
    task_create(&s, "b", "", {}, &t, &err);
    uint64_t rev = 0;
    task_get(&s, "task-1", &t, &rev, &err);
    task_update(&s, "task-2", TASK_IN_PROGRESS, false, "", &ev, &err);
    task_update(&s, "task-1", TASK_IN_PROGRESS, false, "", &ev, &err);
    task_update(&s, "task-1", TASK_COMPLETED, false, "", &ev, &err);
    uint64_t after = rev;
    NL_EXPECT_EQ_INT(task_watch_next(&s, "task-1", &after, 10, &ev), 1, "the first event of task-1 after revision 2");
    NL_EXPECT_EQ_INT(ev.revision, 4, "task-2's event at 3 is skipped");
    NL_EXPECT_EQ_INT(ev.task.status, TASK_IN_PROGRESS, "the status in that event");
    NL_EXPECT_EQ_INT(after, 4, "after moved to the event");
    NL_EXPECT_EQ_INT(task_watch_next(&s, "task-1", &after, 10, &ev), 1, "the next event of task-1");
    NL_EXPECT_EQ_INT(ev.revision, 5, "its revision");
    NL_EXPECT_EQ_INT(ev.task.status, TASK_COMPLETED, "its status");
    NL_EXPECT_EQ_INT(task_watch_next(&s, "task-1", &after, 30, &ev), 0, "no more event: timeout");
    after = 0;
    NL_EXPECT_EQ_INT(task_watch_next(&s, "task-2", &after, 10, &ev), 1, "task-2 from revision 0");
    NL_EXPECT_EQ_INT(ev.kind, TASK_EVENT_CREATED, "its creation first");
    NL_EXPECT_EQ_INT(ev.revision, 2, "at revision 2");
    task_update(&s, "task-2", TASK_FAILED, false, "", &ev, &err);
    task_store_close(&s);
    after = 3;
    NL_EXPECT_EQ_INT(task_watch_next(&s, "task-2", &after, 1000, &ev), 1, "an event before the close is still given");
    NL_EXPECT_EQ_INT(ev.revision, 6, "its revision");
    int64_t t0 = mono_ms();
    NL_EXPECT_EQ_INT(task_watch_next(&s, "task-2", &after, 5000, &ev), -1, "a closed store");
    NL_EXPECT_TRUE(mono_ms() - t0 < 1000, "a closed store answers at once");
    task_store_destroy(&s);
    // A watcher blocked in task_watch_next is woken by an update from another thread.
    task_store_init(&s, vclock_now, &now);
    task_create(&s, "w", "", {}, &t, &err);
    watch_arg a = {&s, 0};
    pthread_t th;
    pthread_create(&th, nullptr, update_later, &a);
    after = 1;
    int rc = task_watch_next(&s, "task-1", &after, 3000, &ev);
    int64_t waited = mono_ms() - a.updated_at;
    pthread_join(th, nullptr);
    NL_EXPECT_EQ_INT(rc, 1, "task_watch_next (3000 ms) while another thread updates task-1 after 20 ms");
    NL_EXPECT_EQ_INT(ev.revision, 2, "the update's revision");
    NL_EXPECT_TRUE(waited < 2000, "the watcher woke %lld ms after the update", (long long)waited);
    NL_EXPECT_EQ_INT(s.tasks.size(), 1, "tasks in a new store (init over a used one)");
    task_store_destroy(&s);
}

namespace {
struct timed_wait {
    int rc;
    int64_t took_ms;
};

// One wait of timeout_ms with nothing changing: the health registry's (kind 0) or the store's (1).
timed_wait wait_once(int kind, int timeout_ms)
{
    int64_t now = 0, t0;
    timed_wait w;
    if (kind == 0) {
        GrpcHealth h;
        grpc_health_init(&h);
        grpc_health_set(&h, "a", GRPC_HEALTH_SERVING);
        GrpcHealthStatus seen = GRPC_HEALTH_SERVING;
        t0 = mono_ms();
        w.rc = grpc_health_wait(&h, "a", &seen, timeout_ms);
        w.took_ms = mono_ms() - t0;
        grpc_health_destroy(&h);
    } else {
        TaskStore s;
        task_store_init(&s, vclock_now, &now);
        TaskInfo t;
        std::string err;
        task_create(&s, "a", "", {}, &t, &err);
        uint64_t after = 1;
        TaskEventInfo ev;
        t0 = mono_ms();
        w.rc = task_watch_next(&s, "task-1", &after, timeout_ms, &ev);
        w.took_ms = mono_ms() - t0;
        task_store_destroy(&s);
    }
    return w;
}
} // namespace

void test_wait_timeouts(void **)
{
    // Timeouts of 999 and 1000 ms: a deadline of now + 999 ms nearly always carries into the next
    // second, and 1000 ms is a whole second and no milliseconds.
    const char *what[] = {"grpc_health_wait", "task_watch_next"};
    for (int kind = 0; kind < 2; kind++)
        for (int timeout : {999, 1000}) {
            // Never early; late only as a loaded machine makes it (the best of 3 trials within 500 ms).
            int64_t best = -1;
            for (int trial = 0; trial < 3 && (best < 0 || best >= timeout + 500); trial++) {
                timed_wait w = wait_once(kind, timeout);
                NL_EXPECT_EQ_INT(w.rc, 0, "%s(%d ms) with no change", what[kind], timeout);
                NL_EXPECT_TRUE(w.took_ms >= timeout - 5, "%s(%d ms) with no change returned after %lld ms", what[kind], timeout,
                               (long long)w.took_ms);
                if (best < 0 || w.took_ms < best) best = w.took_ms;
            }
            NL_EXPECT_TRUE(best < timeout + 500, "%s(%d ms) with no change returned after %lld ms at best in 3 trials (want < %d)",
                           what[kind], timeout, (long long)best, timeout + 500);
        }
}

namespace {
struct closer_arg {
    GrpcHealth *h;
    TaskStore *s;
    int64_t closed_at;
};

void *close_later(void *p)
{
    closer_arg *a = (closer_arg *)p;
    timespec t = {0, 50 * 1000000L};
    nanosleep(&t, nullptr);
    a->closed_at = mono_ms();
    if (a->h) grpc_health_close(a->h);
    else task_store_close(a->s);
    return nullptr;
}
} // namespace

void test_close_wakes_waiters(void **)
{
    // A wait of 5 s, and another thread closes the registry (then the store) after 50 ms: the wait
    // ends at the close with -1, not at its timeout.
    GrpcHealth h;
    grpc_health_init(&h);
    grpc_health_set(&h, "a", GRPC_HEALTH_SERVING);
    GrpcHealthStatus seen = GRPC_HEALTH_SERVING;
    closer_arg a = {&h, nullptr, 0};
    pthread_t t;
    pthread_create(&t, nullptr, close_later, &a);
    int rc = grpc_health_wait(&h, "a", &seen, 5000);
    int64_t woke = mono_ms();
    pthread_join(t, nullptr);
    NL_EXPECT_EQ_INT(rc, -1, "grpc_health_wait (5000 ms) while another thread closes the registry after 50 ms");
    NL_EXPECT_TRUE(woke - a.closed_at < 2000, "the waiter woke %lld ms after the close", (long long)(woke - a.closed_at));
    grpc_health_destroy(&h);

    int64_t now = 0;
    TaskStore s;
    task_store_init(&s, vclock_now, &now);
    TaskInfo ti;
    std::string err;
    task_create(&s, "a", "", {}, &ti, &err);
    closer_arg b = {nullptr, &s, 0};
    pthread_create(&t, nullptr, close_later, &b);
    uint64_t after = 1;
    TaskEventInfo ev;
    rc = task_watch_next(&s, "task-1", &after, 5000, &ev);
    woke = mono_ms();
    pthread_join(t, nullptr);
    NL_EXPECT_EQ_INT(rc, -1, "task_watch_next (5000 ms) while another thread closes the store after 50 ms");
    NL_EXPECT_TRUE(woke - b.closed_at < 2000, "the watcher woke %lld ms after the close", (long long)(woke - b.closed_at));
    task_store_destroy(&s);
}
