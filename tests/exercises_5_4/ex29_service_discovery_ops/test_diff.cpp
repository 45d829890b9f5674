// test_diff.cpp — the EX29 differential test: random sequences of unified-discovery operations over
// scripted backends (added, re-scripted, asked), and of the pure helpers (prefix range end, endpoint
// order, names, code names), applied to the submission and to the reference oracle; every result
// the README fixes is compared after each step.
#include "ex29_tests.h"
#include "nl_diff.h"
#include "oracle/service_discovery.h"

#include <cstdio>
#include <cstring>

void test_differential_unified(void **);

namespace {
enum { NSLOTS = 4, NNAMES = 5, NEPS = 5, NSVC = 5 };
const char *const NAMES[NNAMES] = {"etcd", "dns", "zk", "", "etcd2"};
const char *const EPS[NEPS] = {"a:1", "b:2", "c:3", "10.0.0.1:80", "9.0.0.1:80"};
const std::string SVCS[NSVC] = {"svc", "web", "", "a/b", std::string(256, 's')};
const int CODES[] = {SD_OK, SD_OK, SD_NOT_FOUND, SD_UNAVAILABLE, SD_TIMEOUT, SD_PROTOCOL, SD_EINVAL};

enum op_kind { OP_ADD, OP_SCRIPT, OP_DISCOVER, OP_INIT, OP_RANGE_END, OP_ORDER, OP_NAME, OP_KINDS };

struct diff_op {
    int kind, slot, name, code, neps, svc, with_msg;
    int eps[6];
    uint8_t bytes[5];
    int nbytes;
    uint16_t f[6][3];  // OP_ORDER: port, priority, weight of up to 6 endpoints (address from eps[])
};

// A backend's script: the same slot answers both sides the same way.
struct slot {
    int code = SD_OK;
    std::vector<std::string> eps;
    std::string msg;
};

int scripted(void *ctx, const char *, std::vector<std::string> *out, std::string *err)
{
    slot *s = (slot *)ctx;
    *out = s->eps;
    *err = s->msg;
    return s->code;
}

struct side {
    int rc = 0;
    std::string text;  // every observable of the last op, in one comparable string
};

struct ctx {
    slot slots[NSLOTS];
    sd_unified sub;
    oracle::sd_unified ref;
    side rs, rr;
};

void reset(void *p)
{
    ctx *x = (ctx *)p;
    for (slot &s : x->slots) s = slot{};
    sd_unified_init(&x->sub);
    oracle::sd_unified_init(&x->ref);
}

void gen(void *, nl_rng *rng, void *o)
{
    diff_op *op = (diff_op *)o;
    static const int weights[OP_KINDS] = {20, 25, 30, 3, 8, 8, 6};
    int r = (int)nl_rng_below(rng, 100), k = 0;
    while (r >= weights[k]) r -= weights[k++];
    op->kind = k;
    op->slot = (int)nl_rng_below(rng, NSLOTS);
    op->name = (int)nl_rng_below(rng, NNAMES);
    op->code = CODES[nl_rng_below(rng, sizeof CODES / sizeof CODES[0])];
    op->neps = (int)nl_rng_below(rng, 5);
    for (int &e : op->eps) e = (int)nl_rng_below(rng, NEPS);
    op->svc = nl_rng_chance(rng, 0.8) ? (int)nl_rng_below(rng, 2) : (int)nl_rng_range(rng, 2, NSVC - 1);
    op->with_msg = (int)nl_rng_below(rng, 2);
    static const uint8_t alphabet[] = {0x00, 'a', 'z', 0xfe, 0xff};
    op->nbytes = (int)nl_rng_below(rng, 5);
    for (uint8_t &b : op->bytes) b = alphabet[nl_rng_below(rng, sizeof alphabet)];
    for (auto &f : op->f)
        for (uint16_t &v : f) v = (uint16_t)nl_rng_below(rng, 3);
}

std::string errors_of(const std::vector<std::string> &eps, int n, const char *const *backend, const int *code, const std::string *msg)
{
    std::string s = "endpoints:";
    for (const std::string &e : eps) s += " " + e;
    s += " errors:";
    for (int i = 0; i < n; i++) s += std::string(" ") + backend[i] + "/" + std::to_string(code[i]) + "/" + msg[i];
    return s;
}

template <class D> std::string discovery_text(const D &d)
{
    std::vector<const char *> names;
    std::vector<int> codes;
    std::vector<std::string> msgs;
    for (const auto &e : d.errors) {
        names.push_back(e.backend.c_str());
        codes.push_back(e.code);
        msgs.push_back(e.message);
    }
    return errors_of(d.endpoints, (int)names.size(), names.data(), codes.data(), msgs.data());
}

template <class E> std::string order_text(const std::vector<E> &v)
{
    std::string s;
    for (const auto &e : v)
        s += e.address + ":" + std::to_string(e.port) + "/" + std::to_string(e.priority) + "/" + std::to_string(e.weight) + " ";
    return s;
}

template <class E> std::vector<E> order_input(const diff_op *op)
{
    std::vector<E> v;
    for (int i = 0; i < 6 && i <= op->neps; i++) {
        E e;
        e.address = EPS[op->eps[i]];
        e.port = op->f[i][0];
        e.priority = op->f[i][1];
        e.weight = op->f[i][2];
        v.push_back(e);
    }
    return v;
}

void script(ctx *x, const diff_op *op)
{
    slot &s = x->slots[op->slot];
    s.code = op->code;
    s.eps.clear();
    for (int i = 0; i < op->neps; i++) s.eps.push_back(EPS[op->eps[i]]);
    s.msg = op->with_msg ? "backend says no" : "";
}

void apply_sub(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const diff_op *op = (const diff_op *)o;
    side &r = x->rs;
    r = side{};
    std::string err;
    switch (op->kind) {
    case OP_ADD:
        r.rc = sd_unified_add(&x->sub, sd_backend{NAMES[op->name], &x->slots[op->slot], scripted}, &err);
        r.text = "backends " + std::to_string(x->sub.backends.size());
        break;
    case OP_SCRIPT: script(x, op); break;
    case OP_DISCOVER: {
        sd_discovery d;
        d.endpoints = {"stale"};
        r.rc = sd_unified_discover(&x->sub, SVCS[op->svc].c_str(), &d);
        r.text = discovery_text(d);
        break;
    }
    case OP_INIT: sd_unified_init(&x->sub); break;
    case OP_RANGE_END: r.text = sd_prefix_range_end(std::string((const char *)op->bytes, op->nbytes)); break;
    case OP_ORDER: {
        std::vector<sd_endpoint> v = order_input<sd_endpoint>(op);
        sd_endpoint_order(&v);
        r.text = order_text(v);
        break;
    }
    case OP_NAME:
        r.rc = sd_check_name("service", SVCS[op->svc].c_str(), &err);
        r.text = std::string(sd_code_name(op->code + op->slot - 2)) + " " + sd_kubernetes_dns(NAMES[op->name], SVCS[op->svc].c_str());
        break;
    }
}

void apply_oracle(void *p, const void *o)
{
    ctx *x = (ctx *)p;
    const diff_op *op = (const diff_op *)o;
    side &r = x->rr;
    r = side{};
    std::string err;
    switch (op->kind) {
    case OP_ADD:
        r.rc = oracle::sd_unified_add(&x->ref, oracle::sd_backend{NAMES[op->name], &x->slots[op->slot], scripted}, &err);
        r.text = "backends " + std::to_string(x->ref.backends.size());
        break;
    case OP_SCRIPT: break;  // the slots are shared: apply_sub scripted them for both sides
    case OP_DISCOVER: {
        oracle::sd_discovery d;
        r.rc = oracle::sd_unified_discover(&x->ref, SVCS[op->svc].c_str(), &d);
        r.text = discovery_text(d);
        break;
    }
    case OP_INIT: oracle::sd_unified_init(&x->ref); break;
    case OP_RANGE_END: r.text = oracle::sd_prefix_range_end(std::string((const char *)op->bytes, op->nbytes)); break;
    case OP_ORDER: {
        std::vector<oracle::sd_endpoint> v = order_input<oracle::sd_endpoint>(op);
        oracle::sd_endpoint_order(&v);
        r.text = order_text(v);
        break;
    }
    case OP_NAME:
        r.rc = oracle::sd_check_name("service", SVCS[op->svc].c_str(), &err);
        r.text = std::string(oracle::sd_code_name(op->code + op->slot - 2)) + " " +
                 oracle::sd_kubernetes_dns(NAMES[op->name], SVCS[op->svc].c_str());
        break;
    }
}

bool compare(void *p, const void *, char *diff, size_t cap)
{
    ctx *x = (ctx *)p;
    if (x->rs.rc == x->rr.rc && x->rs.text == x->rr.text) return true;
    snprintf(diff, cap, "submission: rc %d, %s\nreference:  rc %d, %s", x->rs.rc, nl_quote(x->rs.text).c_str(), x->rr.rc,
             nl_quote(x->rr.text).c_str());
    return false;
}

void print(void *, const void *o, char *out, size_t cap)
{
    const diff_op *op = (const diff_op *)o;
    std::string eps;
    for (int i = 0; i < op->neps; i++) eps += std::string(i ? "," : "") + EPS[op->eps[i]];
    switch (op->kind) {
    case OP_ADD: snprintf(out, cap, "sd_unified_add(name '%s', backend of slot %d)", NAMES[op->name], op->slot); break;
    case OP_SCRIPT:
        snprintf(out, cap, "slot %d now answers %s with [%s]%s", op->slot, sd_code_name(op->code), eps.c_str(),
                 op->with_msg ? " and a message" : ", no message");
        break;
    case OP_DISCOVER: snprintf(out, cap, "sd_unified_discover(%s)", nl_quote(SVCS[op->svc], 20).c_str()); break;
    case OP_INIT: snprintf(out, cap, "sd_unified_init"); break;
    case OP_RANGE_END:
        snprintf(out, cap, "sd_prefix_range_end(%s)", nl_quote(std::string((const char *)op->bytes, op->nbytes)).c_str());
        break;
    case OP_ORDER: snprintf(out, cap, "sd_endpoint_order of %d endpoints", op->neps + 1); break;
    case OP_NAME:
        snprintf(out, cap, "sd_check_name(%s), sd_code_name(%d), sd_kubernetes_dns", nl_quote(SVCS[op->svc], 20).c_str(),
                 op->code + op->slot - 2);
        break;
    }
}

ctx the_ctx;
}  // namespace

void test_differential_unified(void **)
{
    static const nl_diff_ops ops = {sizeof(diff_op), &the_ctx, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 30});
}
