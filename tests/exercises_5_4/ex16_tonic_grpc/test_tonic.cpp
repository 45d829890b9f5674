// test_tonic.cpp — the EX16 suite, in process: the seed's five tests, then the codes, the status
// helpers, the metadata map, the token check, the endpoint parser and the user store, on a virtual
// clock. The tests over the wire are in test_tonic_wire.cpp, the differential test in test_tonic_diff.cpp.
#include "nl_check.h"
#include "nl_test.h"
#include "tonic_grpc.h"
#include "tonic_test.h"

#include <pthread.h>
#include <set>
#include <string>
#include <ctime>

uint64_t tt_clock(void *arg)
{
    tt_vclock *c = (tt_vclock *)arg;
    c->calls++;
    return c->now;
}

static std::string user_str(const tonic_user &u) { return u.id + "," + u.name + "," + u.email; }

// ---- the seed's tests ----

static void test_create_and_get_user(void **)
{
    tt_vclock clk{1700000000000000001ull, 0};
    tonic_service *svc = tonic_service_new(tt_clock, &clk);
    tonic_user made, got;
    tonic_status st = tonic_service_create_user(svc, "Alice", "a@b.com", &made);
    NL_EXPECT_EQ_INT(st.code, TONIC_OK, "create_user(Alice, a@b.com): code (message '%s')", st.message.c_str());
    NL_EXPECT_STREQ(user_str(made), "1700000000000000001,Alice,a@b.com", "create_user(Alice, a@b.com): id,name,email");
    st = tonic_service_get_user(svc, made.id.c_str(), &got);
    NL_EXPECT_EQ_INT(st.code, TONIC_OK, "get_user(%s) after creating it: code", made.id.c_str());
    NL_EXPECT_STREQ(user_str(got), user_str(made), "get_user(%s) after creating it", made.id.c_str());
    tonic_service_free(svc);
}

static void test_user_not_found(void **)
{
    tonic_service *svc = tonic_service_new(nullptr, nullptr);
    tonic_user got{"keep", "me", "k@m"};
    tonic_status st = tonic_service_get_user(svc, "none", &got);
    NL_EXPECT_EQ_INT(st.code, TONIC_NOT_FOUND, "get_user(none) on an empty store: code");
    NL_EXPECT_STREQ(st.message, "User not found", "get_user(none): message");
    NL_EXPECT_STREQ(user_str(got), "keep,me,k@m", "get_user(none): *out must be left as it was");
    tonic_service_free(svc);
}

static void test_metadata(void **)
{
    tonic_metadata md;
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "auth", "Bearer token"), 0, "insert(auth, 'Bearer token')");
    const char *v = tonic_metadata_get(&md, "auth");
    NL_EXPECT_TRUE(v != nullptr, "get(auth) after insert(auth, 'Bearer token')");
    NL_EXPECT_STREQ(v, "Bearer token", "get(auth) after insert(auth, 'Bearer token')");
    NL_EXPECT_TRUE(tonic_metadata_get(&md, "other") == nullptr, "get(other) on a map that only has auth");
}

static void test_status_codes(void **)
{
    tonic_status a = tonic_status_not_found("x"), b = tonic_status_invalid_argument("y");
    NL_EXPECT_EQ_INT(a.code, TONIC_NOT_FOUND, "tonic_status_not_found(x).code");
    NL_EXPECT_EQ_INT(b.code, TONIC_INVALID_ARGUMENT, "tonic_status_invalid_argument(y).code");
    NL_EXPECT_STREQ(a.message, "x", "tonic_status_not_found(x).message");
    NL_EXPECT_STREQ(b.message, "y", "tonic_status_invalid_argument(y).message");
}

static void test_client_connect(void **)
{
    char err[256] = "";
    tonic_client *c = tonic_client_connect("http://localhost:50051", err, sizeof err);
    if (!c) NL_FAIL("tonic_client_connect(http://localhost:50051) failed: %s (connecting opens no connection yet)", err);
    NL_EXPECT_STREQ(tonic_client_target(c), "localhost:50051", "target of http://localhost:50051");
    tonic_client_close(c);
}

// ---- codes and statuses (R1, R2) ----

static void test_code_values(void **)
{
    static const struct {
        tonic_code code;
        int value;
        const char *name;
    } want[] = {{TONIC_OK, 0, "OK"},
                {TONIC_CANCELLED, 1, "CANCELLED"},
                {TONIC_UNKNOWN, 2, "UNKNOWN"},
                {TONIC_INVALID_ARGUMENT, 3, "INVALID_ARGUMENT"},
                {TONIC_DEADLINE_EXCEEDED, 4, "DEADLINE_EXCEEDED"},
                {TONIC_NOT_FOUND, 5, "NOT_FOUND"},
                {TONIC_ALREADY_EXISTS, 6, "ALREADY_EXISTS"},
                {TONIC_PERMISSION_DENIED, 7, "PERMISSION_DENIED"},
                {TONIC_RESOURCE_EXHAUSTED, 8, "RESOURCE_EXHAUSTED"},
                {TONIC_FAILED_PRECONDITION, 9, "FAILED_PRECONDITION"},
                {TONIC_ABORTED, 10, "ABORTED"},
                {TONIC_OUT_OF_RANGE, 11, "OUT_OF_RANGE"},
                {TONIC_UNIMPLEMENTED, 12, "UNIMPLEMENTED"},
                {TONIC_INTERNAL, 13, "INTERNAL"},
                {TONIC_UNAVAILABLE, 14, "UNAVAILABLE"},
                {TONIC_DATA_LOSS, 15, "DATA_LOSS"},
                {TONIC_UNAUTHENTICATED, 16, "UNAUTHENTICATED"}};
    for (const auto &w : want) {
        NL_EXPECT_EQ_INT((int)w.code, w.value, "numeric value of TONIC_%s", w.name);
        NL_EXPECT_STREQ(tonic_code_name(w.value), w.name, "tonic_code_name(%d)", w.value);
    }
    NL_EXPECT_STREQ(tonic_code_name(-1), "?", "tonic_code_name(-1)");
    NL_EXPECT_STREQ(tonic_code_name(17), "?", "tonic_code_name(17)");
}

static void test_status_helpers(void **)
{
    struct {
        tonic_status st;
        tonic_code code;
        const char *message, *what;
    } want[] = {{tonic_status_internal("boom"), TONIC_INTERNAL, "boom", "tonic_status_internal(boom)"},
                {tonic_status_already_exists("dup"), TONIC_ALREADY_EXISTS, "dup", "tonic_status_already_exists(dup)"},
                {tonic_status_unauthenticated("who"), TONIC_UNAUTHENTICATED, "who", "tonic_status_unauthenticated(who)"},
                {tonic_status_ok(), TONIC_OK, "", "tonic_status_ok()"},
                {tonic_status_new(TONIC_ABORTED, "stop"), TONIC_ABORTED, "stop", "tonic_status_new(ABORTED, stop)"},
                {tonic_status_new(TONIC_DATA_LOSS, nullptr), TONIC_DATA_LOSS, "", "tonic_status_new(DATA_LOSS, NULL)"}};
    for (const auto &w : want) {
        NL_EXPECT_EQ_INT(w.st.code, w.code, "%s.code", w.what);
        NL_EXPECT_STREQ(w.st.message, w.message, "%s.message", w.what);
    }
}

// ---- metadata (R3, R4, R5) ----

static std::string dump(const tonic_metadata &md)
{
    std::string s;
    for (const auto &e : md.entries) s += e.first + "=" + e.second + ";";
    return s;
}

static void test_metadata_keys(void **)
{
    tonic_metadata md;
    std::string k64(64, 'k'), k65(65, 'k');
    const char *ok[] = {"a", "z", "x-request-id", "under_score", "dot.ted", "0-9", "grpc", k64.c_str()};
    for (const char *k : ok) NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, k, "v"), 0, "insert key '%s'", k);
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "X-Trace", "t"), 0, "insert key 'X-Trace' (any case)");
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "AZ", "az"), 0, "insert key 'AZ' (any case)");
    std::string before = dump(md);
    const char *bad[] = {"", k65.c_str(), "sp ace", "colon:", "slash/", "at@", "[", "`", "{", "grpc-timeout", "GRPC-x",
                         "data-bin", "-bin", "X-BIN", "é"};
    for (const char *k : bad)
        NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, k, "v"), -1, "insert key '%s' must be refused", k);
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, nullptr, "v"), -1, "insert key NULL must be refused");
    NL_EXPECT_EQ_INT(tonic_metadata_insert(nullptr, "k", "v"), -1, "insert into a NULL map must be refused");
    NL_EXPECT_STREQ(dump(md), before, "the map after refused inserts");
    NL_EXPECT_STREQ(md.entries.back().first, "az", "the key of insert('AZ') as stored");
    const char *v = tonic_metadata_get(&md, "X-REQUEST-ID");
    NL_EXPECT_STREQ(v ? v : "(null)", "v", "get('X-REQUEST-ID') after insert('x-request-id', v)");
    v = tonic_metadata_get(&md, "x-trace");
    NL_EXPECT_STREQ(v ? v : "(null)", "t", "get('x-trace') after insert('X-Trace', t)");
    NL_EXPECT_TRUE(tonic_metadata_get(&md, "grpc-timeout") == nullptr, "get of a refused key");
    v = tonic_metadata_get(&md, "az");
    NL_EXPECT_STREQ(v ? v : "(null)", "az", "get('az') after insert('AZ', az)");
    NL_EXPECT_TRUE(tonic_metadata_get(&md, "missing") == nullptr, "get of a key never inserted");
    NL_EXPECT_TRUE(tonic_metadata_get(nullptr, "a") == nullptr, "get from a NULL map");
    NL_EXPECT_EQ_INT(tonic_metadata_len(&md), 10, "len after 10 inserts of distinct keys and 16 refused ones");
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "bin", "v"), 0, "insert key 'bin' (only a '-bin' suffix is binary)");
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "my-grpc-key", "v"), 0, "insert key 'my-grpc-key' (only a prefix is reserved)");
}

static void test_metadata_values(void **)
{
    tonic_metadata md;
    std::string v1024(1024, 'v'), v1025(1025, 'v');
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "a", v1024.c_str()), 0, "insert a value of 1024 bytes");
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "b", ""), 0, "insert an empty value");
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "c", " ~!Az09"), 0, "insert ' ~!Az09' (printable ASCII)");
    std::string before = dump(md);
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "d", v1025.c_str()), -1, "insert a value of 1025 bytes");
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "a", v1025.c_str()), -1, "replace a's value by 1025 bytes");
    const char *bad[] = {"line\nbreak", "tab\there", "\x1f", "\x7f", "caf\xc3\xa9"};
    for (const char *v : bad) NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "e", v), -1, "insert value '%s'", nl_quote(v).c_str());
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "e", nullptr), -1, "insert value NULL");
    NL_EXPECT_STREQ(dump(md), before, "the map after refused values");
}

static void test_metadata_replace_in_place(void **)
{
    tonic_metadata md;
    tonic_metadata_insert(&md, "a", "1");
    tonic_metadata_insert(&md, "b", "2");
    tonic_metadata_insert(&md, "c", "3");
    NL_EXPECT_EQ_INT(tonic_metadata_insert(&md, "B", "two"), 0, "insert(B, two) over b");
    NL_EXPECT_STREQ(dump(md), "a=1;b=two;c=3;", "a, b, c then B=two: one value per key, in its old place");
    NL_EXPECT_EQ_INT(tonic_metadata_len(&md), 3, "len after replacing b");
    NL_EXPECT_EQ_INT(tonic_metadata_len(nullptr), 0, "len(NULL)");
}

// ---- the token check (R6) ----

static void test_check_auth(void **)
{
    tonic_metadata none, good, wrong, bare, lower;
    tonic_metadata_insert(&good, "Authorization", "Bearer s3cret");
    tonic_metadata_insert(&wrong, "authorization", "Bearer s3cre");
    tonic_metadata_insert(&bare, "authorization", "s3cret");
    tonic_metadata_insert(&lower, "authorization", "bearer s3cret");
    struct {
        const tonic_metadata *md;
        const char *token;
        tonic_code code;
        const char *message, *what;
    } want[] = {{&none, nullptr, TONIC_OK, "", "no token, no authorization"},
                {&wrong, "", TONIC_OK, "", "token '', a wrong authorization"},
                {&none, "s3cret", TONIC_UNAUTHENTICATED, "Missing authorization", "token s3cret, no authorization"},
                {&good, "s3cret", TONIC_OK, "", "token s3cret, 'Bearer s3cret'"},
                {&wrong, "s3cret", TONIC_UNAUTHENTICATED, "Invalid token", "token s3cret, 'Bearer s3cre'"},
                {&good, "s3cre", TONIC_UNAUTHENTICATED, "Invalid token", "token s3cre, 'Bearer s3cret'"},
                {&bare, "s3cret", TONIC_UNAUTHENTICATED, "Invalid token", "token s3cret, 's3cret' without Bearer"},
                {&lower, "s3cret", TONIC_UNAUTHENTICATED, "Invalid token", "token s3cret, 'bearer s3cret'"}};
    for (const auto &w : want) {
        tonic_status st = tonic_check_auth(w.md, w.token);
        NL_EXPECT_EQ_INT(st.code, w.code, "check_auth with %s: code (message '%s')", w.what, st.message.c_str());
        NL_EXPECT_STREQ(st.message, w.message, "check_auth with %s: message", w.what);
    }
}

// ---- the endpoint (R7) ----

static void test_parse_endpoint(void **)
{
    const char *ok[][2] = {{"http://127.0.0.1:50051", "127.0.0.1:50051"},
                           {"127.0.0.1:1", "127.0.0.1:1"},
                           {"http://localhost:65535/", "localhost:65535"},
                           {"[::1]:8080", "[::1]:8080"},
                           {"http://[::1]:80/", "[::1]:80"},
                           {"svc.example:00080", "svc.example:00080"},
                           {"[1]:80", "[1]:80"}};
    for (const auto &c : ok) {
        std::string t = "unset";
        NL_EXPECT_EQ_INT(tonic_parse_endpoint(c[0], &t), 0, "parse_endpoint(%s)", c[0]);
        NL_EXPECT_STREQ(t, c[1], "parse_endpoint(%s): target", c[0]);
    }
    const char *bad[] = {"localhost",         "localhost:",         ":50051",          "localhost:0",
                         "localhost:65536",   "localhost:123456",   "localhost:8o",    "https://localhost:443",
                         "http://",           "::1:8080",           "[::1:8080",       "[]:80",
                         "a b:80",            "user@host:80",       "http://h:80/path", "h:80//",
                         "localhost:-1",      "a/b:80",            ""};
    for (const char *e : bad) {
        std::string t = "unset";
        NL_EXPECT_EQ_INT(tonic_parse_endpoint(e, &t), -1, "parse_endpoint('%s') must be refused", e);
        NL_EXPECT_STREQ(t, "unset", "parse_endpoint('%s') refused: target must be left as it was", e);
    }
    std::string t = "unset";
    NL_EXPECT_EQ_INT(tonic_parse_endpoint(nullptr, &t), -1, "parse_endpoint(NULL)");
    NL_EXPECT_EQ_INT(tonic_parse_endpoint("h:1", nullptr), -1, "parse_endpoint(h:1, NULL target)");
    char err[256] = "";
    tonic_client *c = tonic_client_connect("https://localhost:443", err, sizeof err);
    NL_EXPECT_TRUE(c == nullptr, "tonic_client_connect(https://localhost:443) must fail");
    NL_EXPECT_CONTAINS(err, "https://localhost:443", "the message of a refused endpoint names it");
}

// ---- the user store (R8 - R13) ----

static void expect_refused(const nl_where &w, tonic_service *svc, const char *name, const char *email, tonic_code code,
                           const char *message)
{
    tonic_user out{"keep", "me", "k@m"};
    size_t before = tonic_service_count(svc);
    tonic_status st = tonic_service_create_user(svc, name, email, &out);
    std::string what = nl_fmt("create_user(%s, %s)", nl_quote(name ? name : "(null)", 40).c_str(),
                              nl_quote(email ? email : "(null)", 40).c_str());
    if (st.code != code || st.message != message)
        nl_fail_at(w, "%s: expected %s '%s', got %s '%s'", what.c_str(), tonic_code_name(code), message,
                   tonic_code_name(st.code), st.message.c_str());
    if (user_str(out) != "keep,me,k@m") nl_fail_at(w, "%s was refused but changed *out to %s", what.c_str(), user_str(out).c_str());
    if (tonic_service_count(svc) != before) nl_fail_at(w, "%s was refused but the store grew", what.c_str());
}
#define EXPECT_REFUSED(svc, name, email, code, message) expect_refused(NL_HERE, svc, name, email, code, message)

static void expect_created(const nl_where &w, tonic_service *svc, const char *name, const char *email, tonic_user *out)
{
    tonic_status st = tonic_service_create_user(svc, name, email, out);
    if (st.code != TONIC_OK)
        nl_fail_at(w, "create_user(%s, %s): expected OK, got %s '%s'", nl_quote(name, 40).c_str(), nl_quote(email, 40).c_str(),
                   tonic_code_name(st.code), st.message.c_str());
}
#define EXPECT_CREATED(svc, name, email, out) expect_created(NL_HERE, svc, name, email, out)

static void test_create_name_rules(void **)
{
    tonic_service *svc = tonic_service_new(nullptr, nullptr);
    tonic_user u;
    std::string n64(64, 'n'), n65(65, 'n');
    EXPECT_REFUSED(svc, "", "a@b.com", TONIC_INVALID_ARGUMENT, "Name required");
    EXPECT_REFUSED(svc, nullptr, "a@b.com", TONIC_INVALID_ARGUMENT, "Name required");
    EXPECT_REFUSED(svc, n65.c_str(), "a@b.com", TONIC_INVALID_ARGUMENT, "Name too long");
    EXPECT_REFUSED(svc, "", "not-an-email", TONIC_INVALID_ARGUMENT, "Name required"); // the name is checked first
    EXPECT_CREATED(svc, n64.c_str(), "a@b.com", &u);
    NL_EXPECT_STREQ(u.name, n64, "the name of a user created with a 64-byte name");
    EXPECT_CREATED(svc, "x", "x@b.com", &u);
    NL_EXPECT_EQ_INT(tonic_service_count(svc), 2, "users after two accepted creates and four refused ones");
    tonic_service_free(svc);
}

static void test_create_email_rules(void **)
{
    tonic_service *svc = tonic_service_new(nullptr, nullptr);
    tonic_user u;
    std::string e254 = std::string(248, 'e') + "@b.com", e255 = std::string(249, 'e') + "@b.com";
    const char *bad[] = {"", "plain", "@b.com", "a@", "a@@b.com", "a@b@c", "a b@c.com", "a@b.com\n", "\x7f@b.com"};
    for (const char *e : bad) EXPECT_REFUSED(svc, "Ann", e, TONIC_INVALID_ARGUMENT, "Invalid email");
    EXPECT_REFUSED(svc, "Ann", nullptr, TONIC_INVALID_ARGUMENT, "Invalid email");
    EXPECT_REFUSED(svc, "Ann", e255.c_str(), TONIC_INVALID_ARGUMENT, "Invalid email");
    EXPECT_CREATED(svc, "Ann", e254.c_str(), &u);
    NL_EXPECT_STREQ(u.email, e254, "the email of a user created with a 254-byte email");
    EXPECT_CREATED(svc, "Bo", "a@b", &u);
    EXPECT_CREATED(svc, "Cy", "~@!", &u);
    NL_EXPECT_STREQ(u.email, "~@!", "the email as given");
    tonic_service_free(svc);
}

static void test_duplicate_email(void **)
{
    tt_vclock clk{100, 0};
    tonic_service *svc = tonic_service_new(tt_clock, &clk);
    tonic_user alice, bob, got;
    EXPECT_CREATED(svc, "Alice", "Alice@Example.com", &alice);
    EXPECT_REFUSED(svc, "Alice2", "Alice@Example.com", TONIC_ALREADY_EXISTS, "Email already registered");
    EXPECT_REFUSED(svc, "Alice3", "alice@EXAMPLE.COM", TONIC_ALREADY_EXISTS, "Email already registered");
    EXPECT_REFUSED(svc, "", "alice@example.com", TONIC_INVALID_ARGUMENT, "Name required"); // validation comes first
    clk.now = 200;
    EXPECT_CREATED(svc, "Bob", "alice@example.org", &bob);
    NL_EXPECT_STREQ(user_str(bob), "200,Bob,alice@example.org", "a different domain is a different email");
    tonic_service_get_user(svc, alice.id.c_str(), &got);
    NL_EXPECT_STREQ(user_str(got), "100,Alice,Alice@Example.com", "Alice after the refused duplicates");
    NL_EXPECT_EQ_INT(clk.calls, 2, "clock reads: one per created user, none for a refused one");
    tonic_service_free(svc);
}

static void test_ids_from_clock(void **)
{
    tt_vclock clk{0, 0};
    tonic_service *svc = tonic_service_new(tt_clock, &clk);
    tonic_user u;
    const char *emails[] = {"a@x", "b@x", "c@x", "d@x", "e@x", "f@x"};
    uint64_t now[] = {0, 0, 5, 5, 3, 18446744073709551615ull};
    const char *want[] = {"1", "2", "5", "6", "7", "18446744073709551615"};
    for (int i = 0; i < 6; i++) {
        clk.now = now[i];
        EXPECT_CREATED(svc, "U", emails[i], &u);
        NL_EXPECT_STREQ(u.id, want[i], "user %d created at clock %llu (ids strictly increase)", i + 1,
                        (unsigned long long)now[i]);
    }
    tonic_service_free(svc);
    // With the real clock the id is CLOCK_REALTIME in ns, read between the two reads of the test.
    tonic_service *real = tonic_service_new(nullptr, nullptr);
    timespec t0, t1;
    clock_gettime(CLOCK_REALTIME, &t0);
    EXPECT_CREATED(real, "R", "r@x", &u);
    clock_gettime(CLOCK_REALTIME, &t1);
    unsigned long long id = strtoull(u.id.c_str(), nullptr, 10);
    unsigned long long lo = (unsigned long long)t0.tv_sec * 1000000000ull + (unsigned long long)t0.tv_nsec;
    unsigned long long hi = (unsigned long long)t1.tv_sec * 1000000000ull + (unsigned long long)t1.tv_nsec;
    NL_EXPECT_TRUE(id >= lo && id <= hi, "id %s from CLOCK_REALTIME in ns, read between %llu and %llu", u.id.c_str(), lo, hi);
    // The user is stored even when the caller does not want it back (out NULL).
    EXPECT_CREATED(real, "S", "s@x", nullptr);
    NL_EXPECT_EQ_INT(tonic_service_count(real), 2, "users after a create with out NULL");
    NL_EXPECT_EQ_INT(tonic_service_get_user(real, u.id.c_str(), nullptr).code, TONIC_OK, "get_user(%s, out NULL)", u.id.c_str());
    tonic_service_free(real);
}

static void test_get_returns_stored_user(void **)
{
    tt_vclock clk{10, 0};
    tonic_service *svc = tonic_service_new(tt_clock, &clk);
    tonic_user a, b, got;
    EXPECT_CREATED(svc, "Ann", "ann@x", &a);
    clk.now = 20;
    EXPECT_CREATED(svc, "Ben", "ben@x", &b);
    tonic_service_get_user(svc, "10", &got);
    NL_EXPECT_STREQ(user_str(got), "10,Ann,ann@x", "get_user(10)");
    tonic_status st = tonic_service_get_user(svc, "20", &got);
    NL_EXPECT_EQ_INT(st.code, TONIC_OK, "get_user(20): code");
    NL_EXPECT_STREQ(user_str(got), "20,Ben,ben@x", "get_user(20)");
    const char *missing[] = {"", "1", "010", "10 ", "30"};
    for (const char *id : missing) {
        got = tonic_user{"keep", "me", "k@m"};
        st = tonic_service_get_user(svc, id, &got);
        NL_EXPECT_EQ_INT(st.code, TONIC_NOT_FOUND, "get_user('%s'): code", id);
        NL_EXPECT_STREQ(st.message, "User not found", "get_user('%s'): message", id);
        NL_EXPECT_STREQ(user_str(got), "keep,me,k@m", "get_user('%s'): *out left as it was", id);
    }
    st = tonic_service_get_user(svc, nullptr, &got);
    NL_EXPECT_EQ_INT(st.code, TONIC_NOT_FOUND, "get_user(NULL): code");
    tonic_service_free(svc);
}

struct worker {
    tonic_service *svc;
    int n, base;
    std::set<std::string> ids;
    int failures;
};

static void *create_many(void *arg)
{
    worker *w = (worker *)arg;
    for (int i = 0; i < w->n; i++) {
        std::string email = "u" + std::to_string(w->base + i) + "@x";
        tonic_user u, got;
        if (tonic_service_create_user(w->svc, "U", email.c_str(), &u).code != TONIC_OK) w->failures++;
        else if (tonic_service_get_user(w->svc, u.id.c_str(), &got).code != TONIC_OK || got.email != email) w->failures++;
        else w->ids.insert(u.id);
    }
    return nullptr;
}

static void test_concurrent_creates(void **)
{
    tonic_service *svc = tonic_service_new(nullptr, nullptr);
    worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        w[i] = worker{svc, 500, i * 1000, {}, 0};
        pthread_create(&t[i], nullptr, create_many, &w[i]);
    }
    std::set<std::string> all;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], nullptr);
        NL_EXPECT_EQ_INT(w[i].failures, 0, "thread %d: failed creates or gets", i);
        all.insert(w[i].ids.begin(), w[i].ids.end());
    }
    NL_EXPECT_EQ_INT(all.size(), 2000, "distinct ids after 4 threads x 500 creates");
    NL_EXPECT_EQ_INT(tonic_service_count(svc), 2000, "count after 4 threads x 500 creates");
    tonic_service_free(svc);
}


static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_create_and_get_user),
    cmocka_unit_test(test_user_not_found),
    cmocka_unit_test(test_metadata),
    cmocka_unit_test(test_status_codes),
    cmocka_unit_test(test_client_connect),
    cmocka_unit_test(test_code_values),
    cmocka_unit_test(test_status_helpers),
    cmocka_unit_test(test_metadata_keys),
    cmocka_unit_test(test_metadata_values),
    cmocka_unit_test(test_metadata_replace_in_place),
    cmocka_unit_test(test_check_auth),
    cmocka_unit_test(test_parse_endpoint),
    cmocka_unit_test(test_create_name_rules),
    cmocka_unit_test(test_create_email_rules),
    cmocka_unit_test(test_duplicate_email),
    cmocka_unit_test(test_ids_from_clock),
    cmocka_unit_test(test_get_returns_stored_user),
    cmocka_unit_test(test_concurrent_creates),
    cmocka_unit_test(test_differential_store),
    cmocka_unit_test(test_builder_refusals),
    cmocka_unit_test(test_busy_port),
    cmocka_unit_test(test_wire_create_get),
    cmocka_unit_test(test_wire_status_codes),
    cmocka_unit_test(test_wire_auth),
    cmocka_unit_test(test_request_id_echo),
    cmocka_unit_test(test_max_message),
    cmocka_unit_test(test_client_unavailable),
    cmocka_unit_test(test_client_deadline),
    cmocka_unit_test(test_client_timeout_values),
    cmocka_unit_test(test_client_maps_any_code),
    cmocka_unit_test(test_client_ok_without_user),
    cmocka_unit_test(test_client_sends_metadata),
    cmocka_unit_test(test_shutdown_finishes_inflight),
    cmocka_unit_test(test_python_client),
};

NL_TEST_MAIN("exercises_5_4/ex16_tonic_grpc", tests)
