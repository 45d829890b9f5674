// test_tonic_diff.cpp — the EX16 differential test: random sequences of metadata inserts and reads,
// token checks, endpoint parses, creates and gets (on a virtual clock), applied to the submission and
// to the reference oracle; after each step the status (code and message), the user returned, the
// store's size and the whole metadata map are compared.
#include "nl_diff.h"
#include "nl_test.h"
#include "oracle/tonic_grpc.h"
#include "tonic_grpc.h"
#include "tonic_test.h"

#include <cstdio>
#include <string>
#include <vector>

namespace {

// Small alphabets with the edges of the README in them.
const char *const KEYS[] = {"authorization", "Authorization", "x-request-id", "X-Request-Id", "a", "", "grpc-x",
                            "x-bin", "bin", "a b", "k.e_y-9", "0123456789012345678901234567890123456789012345678901234567890123",
                            "01234567890123456789012345678901234567890123456789012345678901234"};
const char *const VALUES[] = {"Bearer tok", "Bearer tok2", "bearer tok", "tok", "", " ", "v\n", "~", "r-1", "\x7f"};
const char *const TOKENS[] = {nullptr, "", "tok", "tok2"};
const char *const ENDPOINTS[] = {"http://h:1", "h:65535", "h:65536", "h:0", "[::1]:9", "[::1:9", "::1:9", "https://h:1",
                                 "h:1/", "h:1//", ":1", "h:", "h:0001", "h:00001", "a@b:1", "http://[x]:2/", "h:1a"};
const char *const NAMES[] = {"Ann", "", "Bob", "0123456789012345678901234567890123456789012345678901234567890123",
                             "01234567890123456789012345678901234567890123456789012345678901234", "x y"};
const char *const EMAILS[] = {"a@b", "A@B", "a@c", "", "@b", "a@", "a@@b", "a b@c", "ab", "c@d.e", "C@D.E", "~@~"};
template <typename T, size_t N> constexpr size_t count(T (&)[N]) { return N; }

enum op_kind { OP_INSERT, OP_GET_MD, OP_AUTH, OP_ENDPOINT, OP_CREATE, OP_GET, OP_GET_JUNK, OP_KINDS };

struct tonic_op {
    int kind, a, b, advance; // alphabet indexes; advance: how far the clock moves before the op
};

struct side {
    int rc = 0;
    int code = 0;
    std::string message, text; // text: the user, the value read, or the target
    size_t users = 0;
    std::string md;
};

struct ctx {
    tonic_service *sub = nullptr;
    oracle::tonic_service *ref = nullptr;
    tonic_metadata sub_md;
    oracle::tonic_metadata ref_md;
    uint64_t now = 0;
    std::vector<std::string> ids; // ids the oracle gave, in order
    side s, r;
};
ctx X;

uint64_t clock_of(void *arg) { return *(uint64_t *)arg; }

void reset(void *)
{
    if (X.sub) tonic_service_free(X.sub);
    if (X.ref) oracle::tonic_service_free(X.ref);
    X.now = 1000;
    X.sub = tonic_service_new(clock_of, &X.now);
    X.ref = oracle::tonic_service_new(clock_of, &X.now);
    X.sub_md = tonic_metadata{};
    X.ref_md = oracle::tonic_metadata{};
    X.ids.clear();
}

void gen(void *, nl_rng *rng, void *out)
{
    tonic_op *op = (tonic_op *)out;
    op->kind = (int)nl_rng_below(rng, OP_KINDS);
    op->a = (int)nl_rng_below(rng, 64);
    op->b = (int)nl_rng_below(rng, 64);
    op->advance = (int)nl_rng_below(rng, 3); // 0: the same nanosecond as the last create
}

template <typename MD> std::string dump(const MD &md)
{
    std::string s;
    for (const auto &e : md.entries) s += e.first + "=" + e.second + ";";
    return s;
}

template <typename ST> void take_status(side *d, const ST &st)
{
    d->code = (int)st.code;
    d->message = st.message;
}

void apply_sub(void *, const void *p)
{
    const tonic_op *op = (const tonic_op *)p;
    side &d = X.s;
    d = side{};
    X.now += (uint64_t)op->advance;
    tonic_user u{"-", "-", "-"};
    switch (op->kind) {
    case OP_INSERT: d.rc = tonic_metadata_insert(&X.sub_md, KEYS[op->a % count(KEYS)], VALUES[op->b % count(VALUES)]); break;
    case OP_GET_MD: {
        const char *v = tonic_metadata_get(&X.sub_md, KEYS[op->a % count(KEYS)]);
        d.text = v ? v : "(null)";
        break;
    }
    case OP_AUTH: take_status(&d, tonic_check_auth(&X.sub_md, TOKENS[op->a % count(TOKENS)])); break;
    case OP_ENDPOINT: d.text = "unset"; d.rc = tonic_parse_endpoint(ENDPOINTS[op->a % count(ENDPOINTS)], &d.text); break;
    case OP_CREATE:
        take_status(&d, tonic_service_create_user(X.sub, NAMES[op->a % count(NAMES)], EMAILS[op->b % count(EMAILS)], &u));
        break;
    case OP_GET:
        take_status(&d, tonic_service_get_user(X.sub, X.ids.empty() ? "1000" : X.ids[op->a % X.ids.size()].c_str(), &u));
        break;
    case OP_GET_JUNK: take_status(&d, tonic_service_get_user(X.sub, std::to_string(990 + op->a).c_str(), &u)); break;
    }
    if (op->kind >= OP_CREATE) d.text = u.id + "," + u.name + "," + u.email;
    d.users = tonic_service_count(X.sub);
    d.md = dump(X.sub_md);
    X.now -= (uint64_t)op->advance; // the oracle sees the same clock
}

void apply_oracle(void *, const void *p)
{
    const tonic_op *op = (const tonic_op *)p;
    side &d = X.r;
    d = side{};
    X.now += (uint64_t)op->advance;
    oracle::tonic_user u{"-", "-", "-"};
    switch (op->kind) {
    case OP_INSERT: d.rc = oracle::tonic_metadata_insert(&X.ref_md, KEYS[op->a % count(KEYS)], VALUES[op->b % count(VALUES)]); break;
    case OP_GET_MD: {
        const char *v = oracle::tonic_metadata_get(&X.ref_md, KEYS[op->a % count(KEYS)]);
        d.text = v ? v : "(null)";
        break;
    }
    case OP_AUTH: take_status(&d, oracle::tonic_check_auth(&X.ref_md, TOKENS[op->a % count(TOKENS)])); break;
    case OP_ENDPOINT: d.text = "unset"; d.rc = oracle::tonic_parse_endpoint(ENDPOINTS[op->a % count(ENDPOINTS)], &d.text); break;
    case OP_CREATE: {
        oracle::tonic_status st =
            oracle::tonic_service_create_user(X.ref, NAMES[op->a % count(NAMES)], EMAILS[op->b % count(EMAILS)], &u);
        take_status(&d, st);
        if (st.code == oracle::TONIC_OK) X.ids.push_back(u.id);
        break;
    }
    case OP_GET: {
        // The submission ran first with the ids known before this op: the same ones here.
        take_status(&d, oracle::tonic_service_get_user(X.ref, X.ids.empty() ? "1000" : X.ids[op->a % X.ids.size()].c_str(), &u));
        break;
    }
    case OP_GET_JUNK: take_status(&d, oracle::tonic_service_get_user(X.ref, std::to_string(990 + op->a).c_str(), &u)); break;
    }
    if (op->kind >= OP_CREATE) d.text = u.id + "," + u.name + "," + u.email;
    d.users = oracle::tonic_service_count(X.ref);
    d.md = dump(X.ref_md);
}

bool compare(void *, const void *, char *diff, size_t cap)
{
    const side &s = X.s, &r = X.r;
    if (s.rc != r.rc) return snprintf(diff, cap, "return value: submission %d, reference %d", s.rc, r.rc), false;
    if (s.code != r.code || s.message != r.message)
        return snprintf(diff, cap, "status: submission %s '%s', reference %s '%s'", tonic_code_name(s.code), s.message.c_str(),
                        tonic_code_name(r.code), r.message.c_str()),
               false;
    if (s.text != r.text)
        return snprintf(diff, cap, "result: submission '%s', reference '%s'", s.text.c_str(), r.text.c_str()), false;
    if (s.users != r.users) return snprintf(diff, cap, "users: submission %zu, reference %zu", s.users, r.users), false;
    if (s.md != r.md)
        return snprintf(diff, cap, "metadata map: submission {%s}, reference {%s}", s.md.c_str(), r.md.c_str()), false;
    return true;
}

std::string q(const char *s) { return s ? "'" + std::string(s) + "'" : "NULL"; }

void print(void *, const void *p, char *out, size_t cap)
{
    const tonic_op *op = (const tonic_op *)p;
    std::string adv = op->advance ? " (clock +" + std::to_string(op->advance) + ")" : "";
    switch (op->kind) {
    case OP_INSERT: snprintf(out, cap, "metadata_insert(%s, %s)", q(KEYS[op->a % count(KEYS)]).c_str(), q(VALUES[op->b % count(VALUES)]).c_str()); break;
    case OP_GET_MD: snprintf(out, cap, "metadata_get(%s)", q(KEYS[op->a % count(KEYS)]).c_str()); break;
    case OP_AUTH: snprintf(out, cap, "check_auth(token %s)", q(TOKENS[op->a % count(TOKENS)]).c_str()); break;
    case OP_ENDPOINT: snprintf(out, cap, "parse_endpoint(%s)", q(ENDPOINTS[op->a % count(ENDPOINTS)]).c_str()); break;
    case OP_CREATE:
        snprintf(out, cap, "create_user(%s, %s)%s", q(NAMES[op->a % count(NAMES)]).c_str(), q(EMAILS[op->b % count(EMAILS)]).c_str(),
                 adv.c_str());
        break;
    case OP_GET: snprintf(out, cap, "get_user(id of created user #%d, modulo their number)", op->a); break;
    case OP_GET_JUNK: snprintf(out, cap, "get_user('%d')", 990 + op->a); break;
    }
}

} // namespace

void test_differential_store(void **)
{
    static const nl_diff_ops ops = {sizeof(tonic_op), nullptr, reset, gen, apply_sub, apply_oracle, compare, print};
    NL_DIFF_CHECK(&ops, nl_diff_config{1, 300, 30});
}
