// test_diff.cpp — the EX08 differential test: random sequences of balancer, backoff, auth, health and
// task-store operations applied to the submission's core and to the reference oracle; after each step
// every observable the README fixes is compared.
#include "ex08_tests.h"
#include "grpc_core.h"
#include "nl_diff.h"
#include "nl_test.h"
#include "oracle/grpc_core.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {
enum op_kind { OP_LB_INIT, OP_LB_PICK, OP_LB_BEGIN, OP_LB_END, OP_LB_DOWN, OP_BACKOFF, OP_AUTH, OP_HEALTH_SET,
               OP_HEALTH_GET, OP_CREATE, OP_GET, OP_UPDATE, OP_LIST, OP_WATCH, OP_KINDS };
const char *const KIND_NAMES[OP_KINDS] = {"lb_init", "lb_pick", "lb_begin", "lb_end", "lb_down", "backoff", "auth",
                                          "health_set", "health_get", "create", "get", "update", "list", "watch"};
const char *const SERVICES[] = {"", "a", "b"};
const char *const METHODS[] = {"/taskservice.TaskService/CreateTask", "/taskservice.TaskService/GetTask"};
const char *const TOKENS[] = {nullptr, "Bearer w", "Bearer r", "Bearer a", "Bearer x", "Basic w", "Bearer "};
const size_t TITLE_LENS[] = {0, 1, 5, 200, 201};

struct op {
    int kind;
    int a, b, c, d; // meaning per kind (see apply)
    uint32_t w[4];
};

struct side {
    std::string out; // everything observable after the op, as text
};

struct ctx {
    GrpcBalancer lb;
    oracle::GrpcBalancer olb;
    bool lb_ok = false, olb_ok = false;
    GrpcHealth h;
    oracle::GrpcHealth oh;
    TaskStore st;
    oracle::TaskStore ost;
    int64_t now = 0;
    side s, o;
    bool started = false;
};

int64_t now_ms(void *p)
{
    return *(int64_t *)p;
}

// Tokens: "w" writer, "r" reader, "a" admin expiring at 50, anything else invalid.
template <class Claims, class Err>
Err validate_t(const std::string &token, Claims *c, std::string *why, Err ok, Err invalid)
{
    c->subject = token;
    c->expires_at = 100;
    if (token == "w") c->roles = {"writer"};
    else if (token == "r") c->roles = {"reader"};
    else if (token == "a") {
        c->roles = {"admin"};
        c->expires_at = 50;
    } else {
        *why = "unknown";
        return invalid;
    }
    return ok;
}
GrpcAuthError sub_validate(void *, const std::string &t, GrpcClaims *c, std::string *why)
{
    return validate_t(t, c, why, GRPC_AUTH_OK, GRPC_AUTH_INVALID_TOKEN);
}
oracle::GrpcAuthError ref_validate(void *, const std::string &t, oracle::GrpcClaims *c, std::string *why)
{
    return validate_t(t, c, why, oracle::GRPC_AUTH_OK, oracle::GRPC_AUTH_INVALID_TOKEN);
}

template <class T> std::string task_text(const T &t)
{
    std::string r = t.id + "|" + t.title + "|" + t.description + "|" + std::to_string(t.status) + "|" +
                    std::to_string(t.created_at) + "|" + std::to_string(t.updated_at);
    for (const auto &[k, v] : t.metadata) r += "|" + k + "=" + v;
    return r;
}

void reset(void *p)
{
    ctx *x = (ctx *)p;
    if (x->started) {
        grpc_health_destroy(&x->h);
        oracle::grpc_health_destroy(&x->oh);
        task_store_destroy(&x->st);
        oracle::task_store_destroy(&x->ost);
    }
    x->started = true;
    x->now = 0;
    x->lb_ok = grpc_balancer_init(&x->lb, GRPC_LB_ROUND_ROBIN, 3, {}, 1) == 0;
    x->olb_ok = oracle::grpc_balancer_init(&x->olb, oracle::GRPC_LB_ROUND_ROBIN, 3, {}, 1) == 0;
    grpc_health_init(&x->h);
    oracle::grpc_health_init(&x->oh);
    task_store_init(&x->st, now_ms, &x->now);
    oracle::task_store_init(&x->ost, now_ms, &x->now);
}

void gen(void *, nl_rng *rng, void *o)
{
    op *p = (op *)o;
    static const int weights[OP_KINDS] = {5, 25, 8, 8, 6, 6, 8, 5, 4, 9, 5, 6, 3, 2};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    p->kind = k;
    p->a = (int)nl_rng_below(rng, 64);
    p->b = (int)nl_rng_below(rng, 64);
    p->c = (int)nl_rng_below(rng, 64);
    p->d = (int)nl_rng_below(rng, 64);
    for (uint32_t &w : p->w) w = (uint32_t)nl_rng_below(rng, 6);
}

// The balancer's observables: the picks and every counter the README names.
template <class B> std::string lb_state(const B &b)
{
    std::string r = "next=" + std::to_string(b.next) + " in_flight=";
    for (uint32_t v : b.in_flight) r += std::to_string(v) + ",";
    r += " down=";
    for (bool d : b.down) r += d ? "1" : "0";
    return r;
}

// One function per side keeps the two namespaces apart; the bodies are the same text.
#define EX08_APPLY(NS, LB, LBOK, H, ST, VALIDATE)                                                                 \
    do {                                                                                                          \
        std::string &out = side_out;                                                                              \
        int n = LB.down.empty() ? 1 : (int)LB.down.size();                                                                                \
        switch (p->kind) {                                                                                        \
        case OP_LB_INIT: {                                                                                        \
            size_t cnt = 1 + (size_t)(p->a % 4);                                                                  \
            std::vector<uint32_t> ws(p->w, p->w + cnt);                                                           \
            if (p->c % 5 == 0 && cnt > 1) ws.pop_back();                                                          \
            NS GrpcLbStrategy s = (NS GrpcLbStrategy)(p->b % 4);                                                 \
            NS GrpcBalancer fresh;                                                                                \
            int rc = NS grpc_balancer_init(&fresh, s, cnt, ws, (uint64_t)p->d);                                  \
            out = "rc=" + std::to_string(rc);                                                                     \
            if (rc == 0) LB = fresh;                                                                              \
            break;                                                                                                \
        }                                                                                                         \
        case OP_LB_PICK: out = "pick=" + std::to_string(NS grpc_balancer_pick(&LB)) + " " + lb_state(LB); break; \
        case OP_LB_BEGIN:                                                                                         \
            NS grpc_balancer_begin(&LB, p->a % n);                                                          \
            out = lb_state(LB);                                                                                   \
            break;                                                                                                \
        case OP_LB_END:                                                                                           \
            NS grpc_balancer_end(&LB, p->a % n);                                                            \
            out = lb_state(LB);                                                                                   \
            break;                                                                                                \
        case OP_LB_DOWN:                                                                                          \
            NS grpc_balancer_set_down(&LB, p->a % n, p->b % 3 != 0);                                        \
            out = lb_state(LB);                                                                                   \
            break;                                                                                                \
        case OP_BACKOFF: {                                                                                        \
            NS GrpcRetryPolicy pol;                                                                               \
            NS grpc_retry_policy_default(&pol);                                                                   \
            pol.initial_backoff_ms = 1 + (uint64_t)p->a * 7;                                                      \
            pol.max_backoff_ms = pol.initial_backoff_ms + (uint64_t)p->b * 13;                                    \
            pol.backoff_multiplier = 1.0 + (p->c % 8) * 0.25;                                                     \
            out = "backoff=" + std::to_string(NS grpc_retry_backoff_ms(&pol, (uint32_t)(p->d % 12))) +           \
                  " retryable=" + std::to_string(NS grpc_retry_is_retryable(&pol, p->d % 17));                   \
            break;                                                                                                \
        }                                                                                                         \
        case OP_AUTH: {                                                                                           \
            int64_t when = 40 + (p->c % 4) * 20;                                                                  \
            NS GrpcAuth au{{nullptr, VALIDATE}, {{METHODS[0], "writer"}}, [](void *c) { return *(int64_t *)c; }, \
                           &when};                                                                                \
            NS GrpcInterceptor ic = NS grpc_auth_interceptor(&au);                                                \
            NS GrpcCallInfo call;                                                                                 \
            call.method = METHODS[p->a % 2];                                                                      \
            const char *tok = TOKENS[p->b % 7];                                                                   \
            if (tok) call.metadata.emplace("authorization", tok);                                                 \
            std::string msg;                                                                                      \
            int code = ic.on_request(ic.ctx, &call, &msg);                                                        \
            out = "code=" + std::to_string(code) + " msg=" + (code ? msg : "");                                   \
            break;                                                                                                \
        }                                                                                                         \
        case OP_HEALTH_SET:                                                                                       \
            NS grpc_health_set(&H, SERVICES[p->a % 3], (NS GrpcHealthStatus)(p->b % 3));                         \
            break;                                                                                                \
        case OP_HEALTH_GET: {                                                                                     \
            NS GrpcHealthStatus seen = (NS GrpcHealthStatus)(p->b % 4);                                          \
            int rc = NS grpc_health_wait(&H, SERVICES[p->a % 3], &seen, 0);                                      \
            out = "get=" + std::to_string(NS grpc_health_get(&H, SERVICES[p->a % 3])) +                          \
                  " known=" + std::to_string(NS grpc_health_known(&H, SERVICES[p->a % 3])) +                     \
                  " wait=" + std::to_string(rc) + " seen=" + std::to_string(seen);                               \
            break;                                                                                                \
        }                                                                                                         \
        case OP_CREATE: {                                                                                         \
            x->now = (int64_t)p->d * 10;                                                                                       \
            std::map<std::string, std::string> meta;                                                              \
            for (int i = 0; i < (p->b % 3 == 0 ? 15 + p->c % 3 : p->c % 3); i++) meta["k" + std::to_string(i)] = "v"; \
            NS TaskInfo t;                                                                                        \
            std::string err;                                                                                      \
            int rc = NS task_create(&ST, std::string(TITLE_LENS[p->a % 5], 't'), "d", meta, &t, &err);           \
            out = "rc=" + std::to_string(rc) + " " + (rc ? err : task_text(t));                                   \
            break;                                                                                                \
        }                                                                                                         \
        case OP_GET: {                                                                                            \
            NS TaskInfo t;                                                                                        \
            std::string err;                                                                                      \
            uint64_t rev = 0;                                                                                     \
            int rc = NS task_get(&ST, "task-" + std::to_string(p->a % 8), &t, &rev, &err);                       \
            out = "rc=" + std::to_string(rc) + " rev=" + std::to_string(rev) + " " + (rc ? err : task_text(t));  \
            break;                                                                                                \
        }                                                                                                         \
        case OP_UPDATE: {                                                                                         \
            x->now = (int64_t)p->d * 10;                                                                                       \
            NS TaskEventInfo ev;                                                                                  \
            std::string err;                                                                                      \
            int rc = NS task_update(&ST, "task-" + std::to_string(p->a % 8), p->b % 5, p->c % 2, "new", &ev, &err); \
            out = "rc=" + std::to_string(rc) + " " +                                                              \
                  (rc ? err : std::to_string(ev.kind) + "@" + std::to_string(ev.revision) + " " + task_text(ev.task)); \
            break;                                                                                                \
        }                                                                                                         \
        case OP_LIST: {                                                                                           \
            std::vector<NS TaskInfo> list;                                                                        \
            NS task_list(&ST, p->a % 2, p->b % 4, (uint32_t)(p->c % 4), &list);                                  \
            for (const auto &t : list) out += t.id + ",";                                                         \
            break;                                                                                                \
        }                                                                                                         \
        case OP_WATCH: {                                                                                          \
            uint64_t after = (uint64_t)(p->b % 10);                                                               \
            NS TaskEventInfo ev;                                                                                  \
            int rc = NS task_watch_next(&ST, "task-" + std::to_string(p->a % 8), &after, 0, &ev);                \
            out = "rc=" + std::to_string(rc) + " after=" + std::to_string(after) +                                \
                  (rc == 1 ? " " + std::to_string(ev.kind) + "@" + std::to_string(ev.revision) : "");            \
            break;                                                                                                \
        }                                                                                                         \
        }                                                                                                         \
        out += " rev=" + std::to_string(NS task_store_revision(&ST));                                            \
    } while (0)

void apply_sub(void *pv, const void *o)
{
    ctx *x = (ctx *)pv;
    const op *p = (const op *)o;
    std::string &side_out = x->s.out;
    side_out.clear();
    EX08_APPLY(, x->lb, x->lb_ok, x->h, x->st, sub_validate);
}

void apply_oracle(void *pv, const void *o)
{
    ctx *x = (ctx *)pv;
    const op *p = (const op *)o;
    std::string &side_out = x->o.out;
    side_out.clear();
    EX08_APPLY(oracle::, x->olb, x->olb_ok, x->oh, x->ost, ref_validate);
}

bool compare(void *pv, const void *, char *diff, size_t cap)
{
    ctx *x = (ctx *)pv;
    if (x->s.out == x->o.out) return true;
    snprintf(diff, cap, "submission: %s\n    reference:  %s", x->s.out.c_str(), x->o.out.c_str());
    return false;
}

void print(void *, const void *o, char *out, size_t cap)
{
    const op *p = (const op *)o;
    snprintf(out, cap, "%s a=%d b=%d c=%d d=%d w=%u,%u,%u,%u", KIND_NAMES[p->kind], p->a, p->b, p->c, p->d, p->w[0], p->w[1],
             p->w[2], p->w[3]);
}
} // namespace

void test_differential_core(void **)
{
    static ctx x;
    static const nl_diff_ops ops = {sizeof(op), &x, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 40});
}
