// grpc_core.cpp — EX08 reference, the network-free half: configurations, retry, balancer, health
// registry, interceptors and the task store (the gRPC adapters are grpc_server.cpp and grpc_client.cpp).
#include "grpc_core.h"

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <ctime>

namespace {
const size_t MAX_MESSAGE_LIMIT = 64u << 20;
const size_t TITLE_MAX = 200, META_MAX = 16, META_KEY_MAX = 64, META_VALUE_MAX = 256;

int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
}

// Waits on c until the monotonic deadline; false once it has passed.
bool wait_until(pthread_cond_t *c, pthread_mutex_t *m, const timespec &deadline)
{
    return pthread_cond_timedwait(c, m, &deadline) != ETIMEDOUT;
}

timespec deadline_in(int timeout_ms)
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += timeout_ms / 1000;
    t.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
} // namespace

std::string grpc_code_name(int code)
{
    static const char *const names[] = {"OK",
                                        "CANCELLED",
                                        "UNKNOWN",
                                        "INVALID_ARGUMENT",
                                        "DEADLINE_EXCEEDED",
                                        "NOT_FOUND",
                                        "ALREADY_EXISTS",
                                        "PERMISSION_DENIED",
                                        "RESOURCE_EXHAUSTED",
                                        "FAILED_PRECONDITION",
                                        "ABORTED",
                                        "OUT_OF_RANGE",
                                        "UNIMPLEMENTED",
                                        "INTERNAL",
                                        "UNAVAILABLE",
                                        "DATA_LOSS",
                                        "UNAUTHENTICATED"};
    if (code >= 0 && code <= GC_UNAUTHENTICATED) return names[code];
    return "CODE_" + std::to_string(code);
}

// ---- configurations -------------------------------------------------------------------------
void grpc_server_config_default(GrpcServerConfig *c)
{
    c->listen_addr = "[::1]:50051";
    c->enable_reflection = true;
    c->enable_health_check = true;
    c->max_message_size = 4u << 20;
    c->request_timeout_ms = 30000;
    c->max_concurrent_connections = 1000;
}

int grpc_server_config_check(const GrpcServerConfig *c, char *err, size_t errlen)
{
    if (c->listen_addr.empty()) return fail(err, errlen, "listen_addr is empty (want host:port)");
    if (c->max_message_size < 1 || c->max_message_size > MAX_MESSAGE_LIMIT)
        return fail(err, errlen, "max_message_size %zu is out of 1..%zu", c->max_message_size, MAX_MESSAGE_LIMIT);
    if (c->request_timeout_ms < 1) return fail(err, errlen, "request_timeout_ms must be at least 1");
    if (c->max_concurrent_connections < 1) return fail(err, errlen, "max_concurrent_connections must be at least 1");
    return 0;
}

void grpc_retry_policy_default(GrpcRetryPolicy *p)
{
    p->max_retries = 3;
    p->initial_backoff_ms = 100;
    p->max_backoff_ms = 5000;
    p->backoff_multiplier = 2.0;
    p->retryable_codes = {GC_UNAVAILABLE, GC_DEADLINE_EXCEEDED};
}

bool grpc_retry_is_retryable(const GrpcRetryPolicy *p, int code)
{
    for (int c : p->retryable_codes)
        if (c == code) return true;
    return false;
}

uint64_t grpc_retry_backoff_ms(const GrpcRetryPolicy *p, uint32_t retry)
{
    if (retry == 0) return 0;
    double pause = (double)p->initial_backoff_ms;
    for (uint32_t i = 1; i < retry && pause < (double)p->max_backoff_ms; i++) pause *= p->backoff_multiplier;
    if (pause > (double)p->max_backoff_ms) return p->max_backoff_ms;
    return (uint64_t)pause;
}

const char *grpc_lb_name(GrpcLbStrategy s)
{
    switch (s) {
    case GRPC_LB_ROUND_ROBIN: return "round_robin";
    case GRPC_LB_RANDOM: return "random";
    case GRPC_LB_LEAST_CONNECTIONS: return "least_connections";
    case GRPC_LB_WEIGHTED_ROUND_ROBIN: return "weighted_round_robin";
    }
    return nullptr;
}

void grpc_client_config_default(GrpcClientConfig *c)
{
    c->endpoints.clear();
    c->load_balancing = GRPC_LB_ROUND_ROBIN;
    c->weights.clear();
    c->connection_pool_size = 1;
    c->connect_timeout_ms = 5000;
    c->request_timeout_ms = 30000;
    c->max_message_size = 4u << 20;
    c->seed = 1;
    grpc_retry_policy_default(&c->retry_policy);
}

int grpc_client_config_check(const GrpcClientConfig *c, char *err, size_t errlen)
{
    size_t n = c->endpoints.size();
    if (n < 1 || n > 16) return fail(err, errlen, "%zu endpoints: want 1 to 16", n);
    for (size_t i = 0; i < n; i++)
        if (c->endpoints[i].empty()) return fail(err, errlen, "endpoint %zu is empty (want host:port)", i);
    if (!grpc_lb_name(c->load_balancing)) return fail(err, errlen, "unknown load balancing strategy %d", (int)c->load_balancing);
    if (c->load_balancing == GRPC_LB_WEIGHTED_ROUND_ROBIN) {
        if (c->weights.size() != n) return fail(err, errlen, "%zu weights for %zu endpoints", c->weights.size(), n);
        for (size_t i = 0; i < n; i++)
            if (c->weights[i] < 1 || c->weights[i] > 1000)
                return fail(err, errlen, "weight %u of endpoint %zu is out of 1..1000", c->weights[i], i);
    }
    if (c->connection_pool_size < 1 || c->connection_pool_size > 16)
        return fail(err, errlen, "connection_pool_size %zu is out of 1..16", c->connection_pool_size);
    if (c->connect_timeout_ms < 1 || c->request_timeout_ms < 1) return fail(err, errlen, "timeouts must be at least 1 ms");
    if (c->max_message_size < 1 || c->max_message_size > MAX_MESSAGE_LIMIT)
        return fail(err, errlen, "max_message_size %zu is out of 1..%zu", c->max_message_size, MAX_MESSAGE_LIMIT);
    const GrpcRetryPolicy &r = c->retry_policy;
    if (r.max_retries > 10) return fail(err, errlen, "max_retries %u is above 10", r.max_retries);
    if (r.initial_backoff_ms < 1 || r.max_backoff_ms < r.initial_backoff_ms)
        return fail(err, errlen, "backoff: want 1 <= initial_backoff_ms <= max_backoff_ms");
    if (!(r.backoff_multiplier >= 1.0)) return fail(err, errlen, "backoff_multiplier %g is below 1", r.backoff_multiplier);
    return 0;
}

// ---- load balancer --------------------------------------------------------------------------
int grpc_balancer_init(GrpcBalancer *b, GrpcLbStrategy s, size_t n, const std::vector<uint32_t> &weights, uint64_t seed)
{
    if (n == 0) return -1;
    if (s == GRPC_LB_WEIGHTED_ROUND_ROBIN) {
        if (weights.size() != n) return -1;
        for (uint32_t w : weights)
            if (w == 0) return -1;
    }
    b->strategy = s;
    b->weights = s == GRPC_LB_WEIGHTED_ROUND_ROBIN ? weights : std::vector<uint32_t>(n, 1);
    b->current.assign(n, 0);
    b->in_flight.assign(n, 0);
    b->down.assign(n, false);
    b->next = 0;
    b->rng = seed;
    return 0;
}

int grpc_balancer_pick(GrpcBalancer *b)
{
    size_t n = b->down.size();
    if (n == 0) return -1;
    size_t up = 0;
    for (size_t i = 0; i < n; i++) up += !b->down[i];
    if (up == 0) { // every endpoint was left out: all come back
        b->down.assign(n, false);
        up = n;
    }
    size_t pick = n;
    switch (b->strategy) {
    case GRPC_LB_RANDOM: {
        size_t k = (size_t)(splitmix64(&b->rng) % up);
        for (size_t i = 0; i < n; i++)
            if (!b->down[i] && k-- == 0) {
                pick = i;
                break;
            }
        break;
    }
    case GRPC_LB_WEIGHTED_ROUND_ROBIN: {
        // Smooth weighted round robin: every endpoint gains its weight, the richest is picked and
        // pays back the total, so picks interleave in proportion to the weights.
        int64_t total = 0;
        for (size_t i = 0; i < n; i++) {
            if (b->down[i]) continue;
            b->current[i] += b->weights[i];
            total += b->weights[i];
            if (pick == n || b->current[i] > b->current[pick]) pick = i;
        }
        b->current[pick] -= total;
        break;
    }
    default: // round robin, and least connections (ties broken in round-robin order)
        for (size_t k = 0; k < n; k++) {
            size_t i = (b->next + k) % n;
            if (b->down[i]) continue;
            if (pick == n || (b->strategy == GRPC_LB_LEAST_CONNECTIONS && b->in_flight[i] < b->in_flight[pick])) pick = i;
            if (b->strategy == GRPC_LB_ROUND_ROBIN) break;
        }
        b->next = (pick + 1) % n;
        break;
    }
    return (int)pick;
}

void grpc_balancer_begin(GrpcBalancer *b, int i)
{
    b->in_flight[(size_t)i]++;
}

void grpc_balancer_end(GrpcBalancer *b, int i)
{
    if (b->in_flight[(size_t)i] > 0) b->in_flight[(size_t)i]--;
}

void grpc_balancer_set_down(GrpcBalancer *b, int i, bool down)
{
    b->down[(size_t)i] = down;
}

// ---- health registry ------------------------------------------------------------------------
void grpc_health_init(GrpcHealth *h)
{
    pthread_mutex_init(&h->lock, nullptr);
    cond_init_monotonic(&h->changed);
    h->status.clear();
    h->closed = false;
}

void grpc_health_destroy(GrpcHealth *h)
{
    pthread_cond_destroy(&h->changed);
    pthread_mutex_destroy(&h->lock);
}

void grpc_health_set(GrpcHealth *h, const std::string &service, GrpcHealthStatus st)
{
    pthread_mutex_lock(&h->lock);
    h->status[service] = st;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
}

GrpcHealthStatus grpc_health_get(GrpcHealth *h, const std::string &service)
{
    pthread_mutex_lock(&h->lock);
    auto it = h->status.find(service);
    GrpcHealthStatus st = it == h->status.end() ? GRPC_HEALTH_UNKNOWN : it->second;
    pthread_mutex_unlock(&h->lock);
    return st;
}

bool grpc_health_known(GrpcHealth *h, const std::string &service)
{
    pthread_mutex_lock(&h->lock);
    bool known = h->status.count(service) != 0;
    pthread_mutex_unlock(&h->lock);
    return known;
}

int grpc_health_wait(GrpcHealth *h, const std::string &service, GrpcHealthStatus *seen, int timeout_ms)
{
    timespec deadline = deadline_in(timeout_ms);
    pthread_mutex_lock(&h->lock);
    int rc = 0;
    for (;;) {
        auto it = h->status.find(service);
        GrpcHealthStatus now = it == h->status.end() ? GRPC_HEALTH_SERVICE_UNKNOWN : it->second;
        if (now != *seen) { // a change is told before the close, so NOT_SERVING reaches the watchers
            *seen = now;
            rc = 1;
            break;
        }
        if (h->closed) {
            rc = -1;
            break;
        }
        if (!wait_until(&h->changed, &h->lock, deadline)) break;
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void grpc_health_close(GrpcHealth *h)
{
    pthread_mutex_lock(&h->lock);
    h->closed = true;
    pthread_cond_broadcast(&h->changed);
    pthread_mutex_unlock(&h->lock);
}

// ---- interceptors ---------------------------------------------------------------------------
int grpc_chain_request(const GrpcChain *c, const GrpcCallInfo *call, size_t *ran, std::string *message)
{
    *ran = 0;
    for (const GrpcInterceptor &ic : c->list) {
        ++*ran;
        if (!ic.on_request) continue;
        int code = ic.on_request(ic.ctx, call, message);
        if (code != GC_OK) return code;
    }
    return GC_OK;
}

void grpc_chain_response(const GrpcChain *c, const GrpcCallInfo *call, size_t ran, int code, uint64_t duration_ms)
{
    for (size_t i = ran; i-- > 0;)
        if (c->list[i].on_response) c->list[i].on_response(c->list[i].ctx, call, code, duration_ms);
}

namespace {
std::string request_id(const GrpcCallInfo *call)
{
    auto it = call->metadata.find("x-request-id");
    return it == call->metadata.end() ? "-" : it->second;
}

void log_line(GrpcLog *l, const std::string &line)
{
    pthread_mutex_lock(&l->lock);
    l->lines.push_back(line);
    if (l->echo) fprintf(l->echo, "%s\n", line.c_str());
    pthread_mutex_unlock(&l->lock);
}

int log_request(void *ctx, const GrpcCallInfo *call, std::string *)
{
    log_line((GrpcLog *)ctx, "-> " + call->method + " id=" + request_id(call));
    return GC_OK;
}

void log_response(void *ctx, const GrpcCallInfo *call, int code, uint64_t duration_ms)
{
    log_line((GrpcLog *)ctx, "<- " + call->method + " id=" + request_id(call) + " " + grpc_code_name(code) + " " +
                                 std::to_string(duration_ms) + "ms");
}

int auth_request(void *ctx, const GrpcCallInfo *call, std::string *message)
{
    GrpcClaims claims;
    std::string why;
    GrpcAuthError e = grpc_auth_check((const GrpcAuth *)ctx, call, &claims, &why);
    if (e == GRPC_AUTH_OK) return GC_OK;
    if (message) *message = std::string(grpc_auth_error_str(e)) + (why.empty() ? "" : ": " + why);
    return e == GRPC_AUTH_INSUFFICIENT_PERMISSIONS ? GC_PERMISSION_DENIED : GC_UNAUTHENTICATED;
}

int metrics_request(void *ctx, const GrpcCallInfo *, std::string *)
{
    grpc_metrics_increment_active((GrpcMetrics *)ctx);
    return GC_OK;
}

void metrics_response(void *ctx, const GrpcCallInfo *call, int code, uint64_t duration_ms)
{
    grpc_metrics_record((GrpcMetrics *)ctx, call->method, code, duration_ms);
    grpc_metrics_decrement_active((GrpcMetrics *)ctx);
}
} // namespace

void grpc_log_init(GrpcLog *l, FILE *echo)
{
    pthread_mutex_init(&l->lock, nullptr);
    l->lines.clear();
    l->echo = echo;
}

void grpc_log_destroy(GrpcLog *l)
{
    pthread_mutex_destroy(&l->lock);
}

std::vector<std::string> grpc_log_lines(GrpcLog *l)
{
    pthread_mutex_lock(&l->lock);
    std::vector<std::string> copy = l->lines;
    pthread_mutex_unlock(&l->lock);
    return copy;
}

GrpcInterceptor grpc_logging_interceptor(GrpcLog *l)
{
    return GrpcInterceptor{"logging", l, log_request, log_response};
}

const char *grpc_auth_error_str(GrpcAuthError e)
{
    switch (e) {
    case GRPC_AUTH_MISSING_TOKEN: return "token missing";
    case GRPC_AUTH_INVALID_TOKEN: return "invalid token";
    case GRPC_AUTH_TOKEN_EXPIRED: return "token expired";
    case GRPC_AUTH_INSUFFICIENT_PERMISSIONS: return "insufficient permissions";
    default: return nullptr;
    }
}

GrpcAuthError grpc_auth_check(const GrpcAuth *a, const GrpcCallInfo *call, GrpcClaims *claims, std::string *why)
{
    auto it = call->metadata.find("authorization");
    if (it == call->metadata.end()) return GRPC_AUTH_MISSING_TOKEN;
    const std::string scheme = "Bearer ";
    if (it->second.compare(0, scheme.size(), scheme) != 0 || it->second.size() == scheme.size()) {
        *why = "expected 'Bearer <token>'";
        return GRPC_AUTH_INVALID_TOKEN;
    }
    GrpcAuthError e = a->validator.validate(a->validator.ctx, it->second.substr(scheme.size()), claims, why);
    if (e != GRPC_AUTH_OK) return e;
    if (claims->expires_at <= a->now_s(a->clock_ctx)) return GRPC_AUTH_TOKEN_EXPIRED;
    auto need = a->required_role.find(call->method);
    if (need == a->required_role.end()) return GRPC_AUTH_OK;
    for (const std::string &r : claims->roles)
        if (r == need->second || r == "admin") return GRPC_AUTH_OK;
    *why = call->method + " needs role " + need->second;
    return GRPC_AUTH_INSUFFICIENT_PERMISSIONS;
}

GrpcInterceptor grpc_auth_interceptor(GrpcAuth *a)
{
    return GrpcInterceptor{"auth", a, auth_request, nullptr};
}

void grpc_metrics_init(GrpcMetrics *m)
{
    pthread_mutex_init(&m->lock, nullptr);
    m->calls.clear();
    m->total_ms.clear();
    m->active = 0;
}

void grpc_metrics_destroy(GrpcMetrics *m)
{
    pthread_mutex_destroy(&m->lock);
}

void grpc_metrics_record(GrpcMetrics *m, const std::string &method, int code, uint64_t duration_ms)
{
    pthread_mutex_lock(&m->lock);
    m->calls[{method, code}]++;
    m->total_ms[method] += duration_ms;
    pthread_mutex_unlock(&m->lock);
}

void grpc_metrics_increment_active(GrpcMetrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->active++;
    pthread_mutex_unlock(&m->lock);
}

void grpc_metrics_decrement_active(GrpcMetrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->active--;
    pthread_mutex_unlock(&m->lock);
}

uint64_t grpc_metrics_count(GrpcMetrics *m, const std::string &method, int code)
{
    pthread_mutex_lock(&m->lock);
    auto it = m->calls.find({method, code});
    uint64_t n = it == m->calls.end() ? 0 : it->second;
    pthread_mutex_unlock(&m->lock);
    return n;
}

int64_t grpc_metrics_active(GrpcMetrics *m)
{
    pthread_mutex_lock(&m->lock);
    int64_t n = m->active;
    pthread_mutex_unlock(&m->lock);
    return n;
}

GrpcInterceptor grpc_metrics_interceptor(GrpcMetrics *m)
{
    return GrpcInterceptor{"metrics", m, metrics_request, metrics_response};
}

// ---- the task store -------------------------------------------------------------------------
void task_store_init(TaskStore *s, int64_t (*now_ms)(void *), void *clock_ctx)
{
    pthread_mutex_init(&s->lock, nullptr);
    cond_init_monotonic(&s->changed);
    s->tasks.clear();
    s->events.clear();
    s->closed = false;
    s->now_ms = now_ms;
    s->clock_ctx = clock_ctx;
}

void task_store_destroy(TaskStore *s)
{
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
}

void task_store_close(TaskStore *s)
{
    pthread_mutex_lock(&s->lock);
    s->closed = true;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
}

namespace {
// The task of id "task-<n>" (n from 1, no leading zero), or NULL. Called with the lock held.
TaskInfo *find_task(TaskStore *s, const std::string &id)
{
    const std::string prefix = "task-";
    if (id.compare(0, prefix.size(), prefix) != 0 || id.size() == prefix.size() || id.size() > prefix.size() + 9) return nullptr;
    if (id[prefix.size()] == '0') return nullptr;
    size_t n = 0;
    for (size_t i = prefix.size(); i < id.size(); i++) {
        if (id[i] < '0' || id[i] > '9') return nullptr;
        n = n * 10 + (size_t)(id[i] - '0');
    }
    return n <= s->tasks.size() ? &s->tasks[n - 1] : nullptr;
}

// Appends an event and wakes the watchers. Called with the lock held.
void add_event(TaskStore *s, int kind, const TaskInfo &t, TaskEventInfo *ev)
{
    TaskEventInfo e;
    e.kind = kind;
    e.task = t;
    e.revision = s->events.size() + 1;
    s->events.push_back(e);
    if (ev) *ev = e;
    pthread_cond_broadcast(&s->changed);
}

bool finished(int status)
{
    return status == TASK_COMPLETED || status == TASK_FAILED;
}
} // namespace

int task_create(TaskStore *s, const std::string &title, const std::string &description,
                const std::map<std::string, std::string> &metadata, TaskInfo *out, std::string *err)
{
    if (title.empty() || title.size() > TITLE_MAX) {
        *err = "title must be 1 to 200 bytes (got " + std::to_string(title.size()) + ")";
        return GC_INVALID_ARGUMENT;
    }
    if (metadata.size() > META_MAX) {
        *err = "at most 16 metadata entries (got " + std::to_string(metadata.size()) + ")";
        return GC_INVALID_ARGUMENT;
    }
    for (const auto &[k, v] : metadata)
        if (k.empty() || k.size() > META_KEY_MAX || v.size() > META_VALUE_MAX) {
            *err = "metadata key '" + k + "': keys are 1 to 64 bytes, values at most 256";
            return GC_INVALID_ARGUMENT;
        }
    pthread_mutex_lock(&s->lock);
    TaskInfo t;
    t.id = "task-" + std::to_string(s->tasks.size() + 1);
    t.title = title;
    t.description = description;
    t.status = TASK_PENDING;
    t.created_at = t.updated_at = s->now_ms(s->clock_ctx);
    t.metadata = metadata;
    s->tasks.push_back(t);
    add_event(s, TASK_EVENT_CREATED, t, nullptr);
    pthread_mutex_unlock(&s->lock);
    *out = t;
    return GC_OK;
}

int task_get(TaskStore *s, const std::string &id, TaskInfo *out, uint64_t *revision, std::string *err)
{
    pthread_mutex_lock(&s->lock);
    TaskInfo *t = find_task(s, id);
    if (t) *out = *t;
    if (revision) *revision = s->events.size();
    pthread_mutex_unlock(&s->lock);
    if (!t) *err = "task '" + id + "' not found";
    return t ? GC_OK : GC_NOT_FOUND;
}

void task_list(TaskStore *s, bool has_status, int status, uint32_t limit, std::vector<TaskInfo> *out)
{
    out->clear();
    pthread_mutex_lock(&s->lock);
    for (const TaskInfo &t : s->tasks) {
        if (limit && out->size() == limit) break;
        if (!has_status || t.status == status) out->push_back(t);
    }
    pthread_mutex_unlock(&s->lock);
}

int task_update(TaskStore *s, const std::string &id, int status, bool has_description, const std::string &description,
                TaskEventInfo *ev, std::string *err)
{
    if (status < TASK_PENDING || status > TASK_FAILED) {
        *err = "status " + std::to_string(status) + " is not a TaskStatus";
        return GC_INVALID_ARGUMENT;
    }
    pthread_mutex_lock(&s->lock);
    TaskInfo *t = find_task(s, id);
    int rc = GC_OK;
    if (!t) {
        *err = "task '" + id + "' not found";
        rc = GC_NOT_FOUND;
    } else if (finished(t->status)) {
        *err = "task '" + id + "' is finished";
        rc = GC_FAILED_PRECONDITION;
    } else {
        t->status = status;
        if (has_description) t->description = description;
        t->updated_at = s->now_ms(s->clock_ctx);
        add_event(s, TASK_EVENT_UPDATED, *t, ev);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int task_watch_next(TaskStore *s, const std::string &id, uint64_t *after, int timeout_ms, TaskEventInfo *ev)
{
    timespec deadline = deadline_in(timeout_ms);
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    for (;;) {
        for (size_t r = *after; r < s->events.size(); r++)
            if (s->events[r].task.id == id) {
                *ev = s->events[r];
                *after = r + 1;
                rc = 1;
                break;
            }
        if (rc) break;
        *after = s->events.size(); // nothing of this task up to here
        if (s->closed) {
            rc = -1;
            break;
        }
        if (!wait_until(&s->changed, &s->lock, deadline)) break;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

uint64_t task_store_revision(TaskStore *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t r = s->events.size();
    pthread_mutex_unlock(&s->lock);
    return r;
}
