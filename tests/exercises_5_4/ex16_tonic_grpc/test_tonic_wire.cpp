// test_tonic_wire.cpp — EX16 over real gRPC on loopback: the submission's server (started in process
// on a free port) called by the submission's client, by a raw generated stub and by python3-grpcio
// (against the `tonic_users` demo); and the submission's client against an "odd" UserService of
// the test's own (slow, any status code, an empty answer) to observe deadlines and code mapping.
// gRPC's headers first: CMocka (nl_test.h) defines a macro fail() that breaks the standard headers.
#include "user.grpc.pb.h"
#include <grpcpp/grpcpp.h>

#include "nl_check.h"
#include "nl_test.h"
#include "nl_testproc.h"
#include "tonic_grpc.h"
#include "tonic_test.h"

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <mutex>
#include <pthread.h>
#include <string>
#include <thread>
#include <vector>


namespace {

using netlab::user::UserService;

long now_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string ustr(const tonic_user &u) { return u.id + "," + u.name + "," + u.email; }
std::string sstr(const tonic_status &st) { return std::string(tonic_code_name(st.code)) + " '" + st.message + "'"; }

// The submission's server on 127.0.0.1, a free port, over a fresh store.
struct tt_server {
    tonic_service *svc = nullptr;
    tonic_server *srv = nullptr;
    int port = 0;
    std::string endpoint;
};

void start_at(const nl_where &w, tt_server *s, const char *token, size_t max_message, tonic_clock_fn clock, void *arg)
{
    s->svc = tonic_service_new(clock, arg);
    tonic_server_builder b;
    tonic_server_builder_init(&b);
    b.token = token;
    if (max_message) b.max_message_bytes = max_message;
    tonic_server_builder_add_service(&b, s->svc);
    char err[256] = "";
    s->srv = tonic_server_builder_serve(&b, err, sizeof err);
    if (!s->srv) nl_fail_at(w, "tonic_server_builder_serve on 127.0.0.1:0 failed: %s", err);
    s->port = tonic_server_port(s->srv);
    if (s->port <= 0 || s->port > 65535) nl_fail_at(w, "tonic_server_port after serving on 127.0.0.1:0: %d", s->port);
    s->endpoint = "127.0.0.1:" + std::to_string(s->port);
}
#define START(s, ...) start_at(NL_HERE, s, __VA_ARGS__)

void stop(tt_server *s)
{
    tonic_server_shutdown(s->srv);
    tonic_service_free(s->svc);
}

tonic_client *connect_at(const nl_where &w, const std::string &endpoint)
{
    char err[256] = "";
    tonic_client *c = tonic_client_connect(endpoint.c_str(), err, sizeof err);
    if (!c) nl_fail_at(w, "tonic_client_connect(%s) failed: %s", endpoint.c_str(), err);
    return c;
}
#define CONNECT(ep) connect_at(NL_HERE, ep)

tonic_metadata md_of(std::initializer_list<std::pair<const char *, const char *>> kv)
{
    tonic_metadata md;
    for (const auto &[k, v] : kv) tonic_metadata_insert(&md, k, v);
    return md;
}

void expect_status_at(const nl_where &w, const tonic_status &st, tonic_code code, const char *message)
{
    if (st.code != code || (message && st.message != message))
        nl_fail_at(w, "expected %s '%s', got %s", tonic_code_name(code), message ? message : "*", sstr(st).c_str());
}
#define EXPECT_STATUS(st, code, message, ...) expect_status_at(NL_HERE_CTX(__VA_ARGS__), st, code, message)

// ---- the odd server: a UserService of the test's own, to see what the client does ----

struct odd_service final : UserService::Service {
    std::mutex lock;
    std::vector<std::string> seen; // the metadata of the last call, "k=v" (x- keys only)
    std::atomic<int> in_sleep{0};

    grpc::Status GetUser(grpc::ServerContext *ctx, const netlab::user::GetUserRequest *req,
                         netlab::user::GetUserResponse *resp) override
    {
        ctx->AddInitialMetadata("x-odd", "1");
        {
            std::lock_guard<std::mutex> g(lock);
            seen.clear();
            for (const auto &kv : ctx->client_metadata()) {
                std::string k(kv.first.data(), kv.first.size());
                if (k.compare(0, 2, "x-") == 0) seen.push_back(k + "=" + std::string(kv.second.data(), kv.second.size()));
            }
        }
        const std::string &id = req->user_id();
        if (id == "sleep") { // until the client gives up, at most 5 s
            in_sleep++;
            for (int i = 0; i < 1000 && !ctx->IsCancelled(); i++) std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return grpc::Status(grpc::StatusCode::INTERNAL, "slept");
        }
        if (id.compare(0, 5, "code:") == 0) {
            int code = atoi(id.c_str() + 5);
            return grpc::Status((grpc::StatusCode)code, "odd " + std::to_string(code));
        }
        if (id == "empty") return grpc::Status::OK;
        resp->mutable_user()->set_id(id);
        resp->mutable_user()->set_name("odd");
        resp->mutable_user()->set_email("odd@x");
        return grpc::Status::OK;
    }
    grpc::Status CreateUser(grpc::ServerContext *, const netlab::user::CreateUserRequest *req,
                            netlab::user::CreateUserResponse *resp) override
    {
        if (req->name() == "empty") return grpc::Status::OK;
        resp->mutable_user()->set_id("7");
        resp->mutable_user()->set_name(req->name());
        resp->mutable_user()->set_email(req->email());
        return grpc::Status::OK;
    }
};

struct odd_server {
    odd_service svc;
    std::unique_ptr<grpc::Server> server;
    std::string endpoint;
};

void odd_start_at(const nl_where &w, odd_server *o)
{
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    b.RegisterService(&o->svc);
    o->server = b.BuildAndStart();
    if (!o->server || port == 0) nl_fail_at(w, "the test's own gRPC server did not start on 127.0.0.1:0");
    o->endpoint = "127.0.0.1:" + std::to_string(port);
}
#define ODD_START(o) odd_start_at(NL_HERE, o)

void odd_stop(odd_server *o) { o->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1)); }

} // namespace

// ---- the builder (R14) ----

void test_builder_refusals(void **)
{
    tonic_server_builder b;
    b.address = "junk";
    b.max_message_bytes = 1;
    b.token = "junk";
    b.service = (tonic_service *)&b;
    tonic_server_builder_init(&b);
    NL_EXPECT_STREQ(b.address ? b.address : "(null)", "127.0.0.1:0", "builder default address");
    NL_EXPECT_EQ_INT(b.max_message_bytes, 4194304, "builder default max_message_bytes");
    NL_EXPECT_TRUE(b.token == nullptr, "builder default token is NULL");
    NL_EXPECT_TRUE(b.service == nullptr, "builder default service is NULL");
    char err[256] = "";
    NL_EXPECT_TRUE(tonic_server_builder_serve(&b, err, sizeof err) == nullptr, "serve with no service added");
    NL_EXPECT_TRUE(err[0] != 0, "serve with no service added: a message in err");
    tonic_service *svc = tonic_service_new(nullptr, nullptr);
    tonic_server_builder_add_service(&b, svc);
    NL_EXPECT_TRUE(b.service == svc, "add_service sets the builder's service");
    struct {
        const char *address;
        size_t max;
        const char *what;
    } bad[] = {{"", 100, "an empty address"},
               {nullptr, 100, "a NULL address"},
               {"127.0.0.1:0", 0, "max_message_bytes 0"},
               {"127.0.0.1:0", (size_t)INT_MAX + 1, "max_message_bytes INT_MAX + 1"}};
    for (const auto &c : bad) {
        b.address = c.address;
        b.max_message_bytes = c.max;
        err[0] = 0;
        tonic_server *s = tonic_server_builder_serve(&b, err, sizeof err);
        NL_EXPECT_TRUE(s == nullptr, "serve with %s must fail", c.what);
        NL_EXPECT_TRUE(err[0] != 0, "serve with %s: a message in err", c.what);
    }
    b.address = "127.0.0.1:0";
    for (size_t max : {(size_t)1, (size_t)INT_MAX}) {
        b.max_message_bytes = max;
        tonic_server *s = tonic_server_builder_serve(&b, err, sizeof err);
        if (!s) NL_FAIL("serve with max_message_bytes %zu failed: %s", max, err);
        NL_EXPECT_TRUE(tonic_server_port(s) > 0, "a free port after serving on port 0");
        tonic_server_shutdown(s);
    }
    tonic_server_shutdown(nullptr);
    tonic_service_free(svc);
}

void test_busy_port(void **)
{
    tt_server a;
    START(&a, nullptr, 0, nullptr, nullptr);
    tonic_service *svc = tonic_service_new(nullptr, nullptr);
    tonic_server_builder b;
    tonic_server_builder_init(&b);
    b.address = a.endpoint.c_str();
    tonic_server_builder_add_service(&b, svc);
    char err[256] = "";
    tonic_server *second = tonic_server_builder_serve(&b, err, sizeof err);
    if (second) {
        tonic_server_shutdown(second);
        NL_FAIL("a second server on %s (in use by the first) started: it must fail", a.endpoint.c_str());
    }
    NL_EXPECT_CONTAINS(err, a.endpoint, "the error of a second server on a busy port names the address");
    // The first one still answers.
    tonic_client *c = CONNECT(a.endpoint);
    tonic_user u;
    EXPECT_STATUS(tonic_client_get_user(c, nullptr, "1", &u), TONIC_NOT_FOUND, "User not found", "the first server after the refused second");
    tonic_client_close(c);
    tonic_service_free(svc);
    stop(&a);
}

// ---- over the wire (R15 - R18, R22) ----

void test_wire_create_get(void **)
{
    tt_vclock clk{1700000000123456789ull, 0};
    tt_server s;
    START(&s, nullptr, 0, tt_clock, &clk);
    tonic_client *c = CONNECT("http://" + s.endpoint + "/");
    tonic_user made, got, raw;
    tonic_status st = tonic_client_create_user(c, nullptr, "Alice", "a@b.com", &made);
    EXPECT_STATUS(st, TONIC_OK, "", "create_user(Alice, a@b.com) over gRPC");
    NL_EXPECT_STREQ(ustr(made), "1700000000123456789,Alice,a@b.com", "the user create_user returned over gRPC");
    st = tonic_client_get_user(c, nullptr, made.id.c_str(), &got);
    EXPECT_STATUS(st, TONIC_OK, "", "get_user(%s) over gRPC", made.id.c_str());
    NL_EXPECT_STREQ(ustr(got), ustr(made), "get_user(%s) over gRPC", made.id.c_str());
    NL_EXPECT_EQ_INT(tonic_service_count(s.svc), 1, "users in the server's store");
    // A raw stub generated from user.proto sees the same user: the server speaks user.proto.
    auto stub = UserService::NewStub(grpc::CreateChannel(s.endpoint, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    netlab::user::GetUserRequest req;
    req.set_user_id(made.id);
    netlab::user::GetUserResponse resp;
    grpc::Status gs = stub->GetUser(&ctx, req, &resp);
    NL_EXPECT_TRUE(gs.ok(), "GetUser(%s) from a raw stub", made.id.c_str());
    raw = tonic_user{resp.user().id(), resp.user().name(), resp.user().email()};
    NL_EXPECT_STREQ(ustr(raw), ustr(made), "GetUser(%s) from a raw stub", made.id.c_str());
    tonic_client_close(c);
    stop(&s);
}

void test_wire_status_codes(void **)
{
    tt_server s;
    START(&s, nullptr, 0, nullptr, nullptr);
    tonic_client *c = CONNECT(s.endpoint);
    tonic_user u{"keep", "me", "k@m"};
    EXPECT_STATUS(tonic_client_get_user(c, nullptr, "none", &u), TONIC_NOT_FOUND, "User not found", "get_user(none)");
    NL_EXPECT_STREQ(ustr(u), "keep,me,k@m", "*out after a failed get_user");
    EXPECT_STATUS(tonic_client_create_user(c, nullptr, "", "a@b.com", &u), TONIC_INVALID_ARGUMENT, "Name required", "create_user('')");
    EXPECT_STATUS(tonic_client_create_user(c, nullptr, "Ann", "nope", &u), TONIC_INVALID_ARGUMENT, "Invalid email", "create_user(Ann, nope)");
    NL_EXPECT_STREQ(ustr(u), "keep,me,k@m", "*out after a failed create_user");
    EXPECT_STATUS(tonic_client_create_user(c, nullptr, "Ann", "ann@x", &u), TONIC_OK, "", "create_user(Ann, ann@x)");
    EXPECT_STATUS(tonic_client_create_user(c, nullptr, "Ann", "ANN@x", &u), TONIC_ALREADY_EXISTS, "Email already registered",
                  "create_user(Ann, ANN@x) after ann@x");
    NL_EXPECT_EQ_INT(tonic_service_count(s.svc), 1, "users after one accepted create and three refused");
    tonic_client_close(c);
    stop(&s);
}

void test_wire_auth(void **)
{
    tt_server s;
    START(&s, "s3cret", 0, nullptr, nullptr);
    tonic_client *c = CONNECT(s.endpoint);
    tonic_user u;
    tonic_metadata good = md_of({{"authorization", "Bearer s3cret"}}), wrong = md_of({{"authorization", "Bearer nope"}});
    tonic_call none{0, nullptr, nullptr}, with_good{0, &good, nullptr}, with_wrong{0, &wrong, nullptr};
    EXPECT_STATUS(tonic_client_get_user(c, &none, "1", &u), TONIC_UNAUTHENTICATED, "Missing authorization", "get_user without a token");
    EXPECT_STATUS(tonic_client_create_user(c, nullptr, "Ann", "a@x", &u), TONIC_UNAUTHENTICATED, "Missing authorization",
                  "create_user with call NULL on a server with a token");
    EXPECT_STATUS(tonic_client_create_user(c, &with_wrong, "", "bad", &u), TONIC_UNAUTHENTICATED, "Invalid token",
                  "create_user('', bad) with a wrong token (the token is checked before the request)");
    EXPECT_STATUS(tonic_client_get_user(c, &with_wrong, "1", &u), TONIC_UNAUTHENTICATED, "Invalid token", "get_user with a wrong token");
    NL_EXPECT_EQ_INT(tonic_service_count(s.svc), 0, "users after unauthenticated creates");
    EXPECT_STATUS(tonic_client_create_user(c, &with_good, "Ann", "a@x", &u), TONIC_OK, "", "create_user with the token");
    EXPECT_STATUS(tonic_client_get_user(c, &with_good, u.id.c_str(), &u), TONIC_OK, "", "get_user with the token");
    EXPECT_STATUS(tonic_client_create_user(c, &with_good, "", "b@x", &u), TONIC_INVALID_ARGUMENT, "Name required",
                  "create_user('') with the token");
    tonic_client_close(c);
    stop(&s);
    // Without a token (NULL or ""), nothing is checked, even a wrong authorization.
    tt_server open;
    START(&open, "", 0, nullptr, nullptr);
    c = CONNECT(open.endpoint);
    EXPECT_STATUS(tonic_client_create_user(c, &with_wrong, "Bo", "b@x", &u), TONIC_OK, "", "create_user on a server with token ''");
    tonic_client_close(c);
    stop(&open);
}

void test_request_id_echo(void **)
{
    tt_server s;
    START(&s, "tok", 0, nullptr, nullptr);
    tonic_client *c = CONNECT(s.endpoint);
    tonic_user u;
    tonic_metadata init;
    tonic_metadata ok = md_of({{"authorization", "Bearer tok"}, {"X-Request-Id", "req-1"}});
    tonic_call call{0, &ok, &init};
    EXPECT_STATUS(tonic_client_create_user(c, &call, "Ann", "a@x", &u), TONIC_OK, "", "create_user with x-request-id req-1");
    const char *rid = tonic_metadata_get(&init, "x-request-id");
    NL_EXPECT_STREQ(rid ? rid : "(none)", "req-1", "x-request-id in the answer to a call that sent req-1");
    tonic_metadata_insert(&ok, "x-request-id", "req-2");
    EXPECT_STATUS(tonic_client_get_user(c, &call, "nobody", &u), TONIC_NOT_FOUND, "User not found", "get_user(nobody) with req-2");
    rid = tonic_metadata_get(&init, "x-request-id");
    NL_EXPECT_STREQ(rid ? rid : "(none)", "req-2", "x-request-id in the answer to a failed call that sent req-2");
    tonic_metadata noauth = md_of({{"x-request-id", "req-3"}});
    tonic_call call3{0, &noauth, &init};
    EXPECT_STATUS(tonic_client_get_user(c, &call3, "1", &u), TONIC_UNAUTHENTICATED, "Missing authorization", "get_user without token, req-3");
    rid = tonic_metadata_get(&init, "x-request-id");
    NL_EXPECT_STREQ(rid ? rid : "(none)", "req-3", "x-request-id in the answer to an unauthenticated call that sent req-3");
    tonic_metadata plain = md_of({{"authorization", "Bearer tok"}});
    tonic_call call4{0, &plain, &init};
    tonic_metadata_insert(&init, "stale", "x");
    EXPECT_STATUS(tonic_client_get_user(c, &call4, u.id.c_str(), &u), TONIC_OK, "", "get_user without x-request-id");
    NL_EXPECT_TRUE(tonic_metadata_get(&init, "x-request-id") == nullptr, "no x-request-id in the answer to a call that sent none");
    NL_EXPECT_TRUE(tonic_metadata_get(&init, "stale") == nullptr, "initial_metadata is replaced by each call, not merged into");
    tonic_client_close(c);
    stop(&s);
}

void test_max_message(void **)
{
    tt_server s;
    START(&s, nullptr, 200, nullptr, nullptr);
    tonic_client *c = CONNECT(s.endpoint);
    tonic_user u;
    std::string at = "@b.com";
    netlab::user::CreateUserRequest probe;
    probe.set_name("Bob");
    for (;;) { // grow the email until the request is exactly 200 bytes (lengths >= 128 take two bytes)
        probe.set_email(at);
        if (probe.ByteSizeLong() >= 200) break;
        at = "a" + at;
    }
    NL_EXPECT_EQ_INT(probe.ByteSizeLong(), 200, "size of the probe request");
    std::string past = "a" + at;
    NL_EXPECT_TRUE(past.size() <= 254, "the emails stay valid (%zu bytes)", past.size());
    tonic_status st = tonic_client_create_user(c, nullptr, "Bob", past.c_str(), &u);
    EXPECT_STATUS(st, TONIC_RESOURCE_EXHAUSTED, nullptr, "a 201-byte request to a server with max_message_bytes 200");
    NL_EXPECT_EQ_INT(tonic_service_count(s.svc), 0, "users after a request past the limit");
    st = tonic_client_create_user(c, nullptr, "Bob", at.c_str(), &u);
    EXPECT_STATUS(st, TONIC_OK, "", "a 200-byte request to a server with max_message_bytes 200");
    NL_EXPECT_STREQ(u.email, at, "the email of the 200-byte request");
    tonic_client_close(c);
    stop(&s);
}

void test_shutdown_finishes_inflight(void **)
{
    // The store's clock blocks until released: a create is in flight while the server shuts down.
    struct gate {
        std::mutex m;
        std::condition_variable cv;
        bool entered = false, open = false;
    };
    static gate g;
    auto slow_clock = [](void *) -> uint64_t {
        std::unique_lock<std::mutex> l(g.m);
        g.entered = true;
        g.cv.wait_for(l, std::chrono::seconds(10), [] { return g.open; });
        return 42;
    };
    tt_server s;
    START(&s, nullptr, 0, slow_clock, nullptr);
    struct inflight {
        std::string endpoint;
        tonic_status st;
        tonic_user u;
        std::atomic<bool> done{false};
    } f{s.endpoint, tonic_status_ok(), {}, {false}};
    std::thread caller([&f] {
        char err[64];
        tonic_client *c = tonic_client_connect(f.endpoint.c_str(), err, sizeof err);
        tonic_call call{20000, nullptr, nullptr};
        f.st = tonic_client_create_user(c, &call, "Ann", "a@x", &f.u);
        tonic_client_close(c);
        f.done = true;
    });
    bool entered = nl_wait_until([](void *) { std::lock_guard<std::mutex> l(g.m); return g.entered; }, nullptr, 10000);
    if (!entered) {
        { std::lock_guard<std::mutex> l(g.m); g.open = true; }
        g.cv.notify_all();
        caller.join();
        NL_FAIL("the create never reached the store's clock within 10 s (%s)", sstr(f.st).c_str());
    }
    std::atomic<bool> down{false};
    std::thread stopper([&] { tonic_server_shutdown(s.srv); down = true; });
    // Shutdown has begun once a new call is refused; then the call in flight may finish.
    tonic_client *c = CONNECT(s.endpoint);
    bool refused = false;
    for (long t0 = now_ms(); !refused && now_ms() - t0 < 4000;) {
        tonic_user u;
        tonic_call probe{300, nullptr, nullptr};
        tonic_status st = tonic_client_get_user(c, &probe, "42", &u);
        refused = st.code == TONIC_UNAVAILABLE;
    }
    tonic_client_close(c);
    // Give a shutdown without grace the time to cancel the call before the store lets it go: a
    // graceful one cannot end the call while its handler is held, so this waits the whole second;
    // one that cancels at once ends it here (opening the gate at once raced with the cancel: a
    // stopper thread preempted between refusing new calls and cancelling the old let the mutant pass).
    nl_wait_until([](void *a) { return ((inflight *)a)->done.load(); }, &f, 1000);
    { std::lock_guard<std::mutex> l(g.m); g.open = true; }
    g.cv.notify_all();
    caller.join();
    stopper.join();
    NL_EXPECT_TRUE(refused, "a new call is refused (UNAVAILABLE) once shutdown has begun");
    EXPECT_STATUS(f.st, TONIC_OK, "", "a create in flight when shutdown began (it must be let finish)");
    NL_EXPECT_STREQ(ustr(f.u), "42,Ann,a@x", "the user of the create in flight");
    NL_EXPECT_TRUE(down.load(), "tonic_server_shutdown returned");
    tonic_service_free(s.svc);
}

// ---- the client (R19 - R21) ----

void test_client_unavailable(void **)
{
    // A port nobody listens on: bind one, note it, close it.
    tt_server s;
    START(&s, nullptr, 0, nullptr, nullptr);
    std::string endpoint = s.endpoint;
    stop(&s);
    tonic_client *c = CONNECT(endpoint);
    NL_EXPECT_STREQ(tonic_client_target(c), endpoint, "target of %s", endpoint.c_str());
    tonic_user u{"keep", "me", "k@m"};
    tonic_call call{5000, nullptr, nullptr};
    EXPECT_STATUS(tonic_client_get_user(c, &call, "1", &u), TONIC_UNAVAILABLE, nullptr, "get_user on %s, where nothing listens", endpoint.c_str());
    EXPECT_STATUS(tonic_client_create_user(c, &call, "A", "a@x", &u), TONIC_UNAVAILABLE, nullptr, "create_user on %s", endpoint.c_str());
    NL_EXPECT_STREQ(ustr(u), "keep,me,k@m", "*out after UNAVAILABLE");
    tonic_client_close(c);
    tonic_client_close(nullptr);
}

void test_client_deadline(void **)
{
    odd_server o;
    ODD_START(&o);
    tonic_client *c = CONNECT(o.endpoint);
    tonic_user u{"keep", "me", "k@m"};
    tonic_call call{300, nullptr, nullptr};
    long t0 = now_ms();
    tonic_status st = tonic_client_get_user(c, &call, "sleep", &u);
    long took = now_ms() - t0;
    EXPECT_STATUS(st, TONIC_DEADLINE_EXCEEDED, nullptr, "get_user on a server that never answers, timeout_ms 300");
    NL_EXPECT_TRUE(took >= 290, "the call lasted %ld ms: a 300 ms deadline is not reached before 300 ms", took);
    NL_EXPECT_TRUE(took < 8000, "the call lasted %ld ms: the 300 ms deadline must end it", took);
    NL_EXPECT_STREQ(ustr(u), "keep,me,k@m", "*out after DEADLINE_EXCEEDED");
    NL_EXPECT_EQ_INT(o.svc.in_sleep.load(), 1, "calls that reached the slow server");
    tonic_call one{1, nullptr, nullptr}; // the smallest deadline there is
    EXPECT_STATUS(tonic_client_get_user(c, &one, "sleep", &u), TONIC_DEADLINE_EXCEEDED, nullptr,
                  "get_user on a server that never answers, timeout_ms 1");
    // A generous deadline does not cut a call that answers.
    tonic_call roomy{20000, nullptr, nullptr};
    EXPECT_STATUS(tonic_client_get_user(c, &roomy, "u1", &u), TONIC_OK, "", "get_user(u1), timeout_ms 20000");
    tonic_client_close(c);
    odd_stop(&o);
}

void test_client_timeout_values(void **)
{
    odd_server o;
    ODD_START(&o);
    tonic_client *c = CONNECT(o.endpoint);
    tonic_user u{"keep", "me", "k@m"};
    tonic_call neg{-1, nullptr, nullptr};
    EXPECT_STATUS(tonic_client_get_user(c, &neg, "u1", &u), TONIC_INVALID_ARGUMENT, nullptr, "get_user with timeout_ms -1");
    EXPECT_STATUS(tonic_client_create_user(c, &neg, "n", "e@x", &u), TONIC_INVALID_ARGUMENT, nullptr, "create_user with timeout_ms -1");
    NL_EXPECT_EQ_INT(o.svc.in_sleep.load(), 0, "nothing reached the server");
    NL_EXPECT_STREQ(ustr(u), "keep,me,k@m", "*out after a refused timeout");
    // timeout_ms 0 is no deadline: a call that takes longer than any small deadline still answers.
    tonic_call zero{0, nullptr, nullptr};
    EXPECT_STATUS(tonic_client_get_user(c, &zero, "u2", &u), TONIC_OK, "", "get_user(u2) with timeout_ms 0");
    NL_EXPECT_STREQ(ustr(u), "u2,odd,odd@x", "the odd server's user u2");
    EXPECT_STATUS(tonic_client_create_user(c, &zero, "Cy", "c@y", &u), TONIC_OK, "", "create_user(Cy) with timeout_ms 0");
    NL_EXPECT_STREQ(ustr(u), "7,Cy,c@y", "the odd server's create of Cy");
    tonic_client_close(c);
    odd_stop(&o);
}

void test_client_maps_any_code(void **)
{
    odd_server o;
    ODD_START(&o);
    tonic_client *c = CONNECT(o.endpoint);
    for (int code = 1; code <= 16; code++) {
        tonic_user u{"keep", "me", "k@m"};
        std::string id = "code:" + std::to_string(code), msg = "odd " + std::to_string(code);
        tonic_status st = tonic_client_get_user(c, nullptr, id.c_str(), &u);
        NL_EXPECT_EQ_INT(st.code, code, "the code of a server's status %d (%s)", code, tonic_code_name(code));
        NL_EXPECT_STREQ(st.message, msg, "the message of a server's status %d", code);
        NL_EXPECT_STREQ(ustr(u), "keep,me,k@m", "*out after status %d", code);
    }
    tonic_client_close(c);
    odd_stop(&o);
}

void test_client_ok_without_user(void **)
{
    odd_server o;
    ODD_START(&o);
    tonic_client *c = CONNECT(o.endpoint);
    tonic_user u{"keep", "me", "k@m"};
    EXPECT_STATUS(tonic_client_get_user(c, nullptr, "empty", &u), TONIC_INTERNAL, nullptr, "get_user answered OK without a user");
    EXPECT_STATUS(tonic_client_create_user(c, nullptr, "empty", "e@x", &u), TONIC_INTERNAL, nullptr,
                  "create_user answered OK without a user");
    NL_EXPECT_STREQ(ustr(u), "keep,me,k@m", "*out after an answer without a user");
    tonic_client_close(c);
    odd_stop(&o);
}

void test_client_sends_metadata(void **)
{
    odd_server o;
    ODD_START(&o);
    tonic_client *c = CONNECT(o.endpoint);
    tonic_user u;
    tonic_metadata md = md_of({{"x-a", "1"}, {"X-B", "two words"}}), init;
    tonic_metadata_insert(&init, "stale", "x");
    tonic_call call{0, &md, &init};
    EXPECT_STATUS(tonic_client_get_user(c, &call, "u1", &u), TONIC_OK, "", "get_user(u1) with x-a and x-b");
    std::string seen;
    for (const std::string &s : o.svc.seen) seen += s + ";";
    NL_EXPECT_STREQ(seen, "x-a=1;x-b=two words;", "the x- metadata the server received");
    const char *odd = tonic_metadata_get(&init, "x-odd");
    NL_EXPECT_STREQ(odd ? odd : "(none)", "1", "the server's initial metadata x-odd");
    NL_EXPECT_TRUE(tonic_metadata_get(&init, "stale") == nullptr, "initial_metadata is replaced, not merged into");
    tonic_call bare{0, nullptr, nullptr};
    EXPECT_STATUS(tonic_client_get_user(c, &bare, "u2", &u), TONIC_OK, "", "get_user(u2) with no metadata");
    NL_EXPECT_EQ_INT(o.svc.seen.size(), 0, "x- metadata the server received from a call with none");
    tonic_client_close(c);
    odd_stop(&o);
}

// ---- python3-grpcio, against the demo program (R15 - R18) ----

void test_python_client(void **)
{
    nl_server srv;
    if (nl_server_start(&srv, "tonic_users", {"--serve", "0", "--token", "s3", "--max-message", "512"}, 15000) != 0)
        NL_FAIL("tonic_users --serve 0 did not print 'listening on 127.0.0.1:PORT' within 15 s");
    std::string dir = __FILE__;
    dir = dir.substr(0, dir.rfind('/'));
    std::string cmd = "/usr/bin/python3 '" + dir + "/py_client.py' " + std::to_string(srv.port) + " '" NETLAB_GRPC_GEN_DIR "' s3 512 2>&1";
    FILE *p = popen(cmd.c_str(), "r");
    if (!p) NL_FAIL("cannot run %s", cmd.c_str());
    std::vector<std::string> lines;
    char buf[1024];
    while (fgets(buf, sizeof buf, p)) {
        std::string l = buf;
        if (!l.empty() && l.back() == '\n') l.pop_back();
        lines.push_back(l);
    }
    int rc = pclose(p);
    nl_server_stop(&srv, SIGTERM, 5000);
    const char *want[] = {
        "get no token: UNAUTHENTICATED 16 'Missing authorization' rid=py-1",
        "get bad token: UNAUTHENTICATED 16 'Invalid token' rid=py-2",
        "create alice: OK '' rid=py-3 user=digits,Alice,a@b.com",
        "get alice: OK '' rid=- user=digits,Alice,a@b.com",
        "same user: True",
        "get none: NOT_FOUND 5 'User not found' rid=py-5",
        "create no name: INVALID_ARGUMENT 3 'Name required' rid=-",
        "create dup email: ALREADY_EXISTS 6 'Email already registered' rid=-",
        "create no name, no token: UNAUTHENTICATED 16 'Missing authorization' rid=-",
        "create too big: RESOURCE_EXHAUSTED 8 '",
        "create carl: OK '' rid=- user=digits,Carl,carl@big.com",
    };
    std::string all;
    for (const std::string &l : lines) all += "  " + l + "\n";
    size_t n = sizeof want / sizeof want[0];
    for (size_t i = 0; i < n; i++) {
        if (i >= lines.size()) NL_FAIL("python3-grpcio client: line %zu missing, expected '%s'; it printed (exit %d):\n%s", i + 1, want[i], rc, all.c_str());
        bool prefix = want[i][strlen(want[i]) - 1] == '\''; // gRPC's own words follow
        if (prefix ? lines[i].compare(0, strlen(want[i]), want[i]) != 0 : lines[i] != want[i])
            NL_FAIL("python3-grpcio client, call %zu: expected '%s%s', got '%s'; all it printed:\n%s", i + 1, want[i],
                    prefix ? "...'" : "", lines[i].c_str(), all.c_str());
    }
    NL_EXPECT_EQ_INT(lines.size(), n, "lines printed by the python3-grpcio client");
}
