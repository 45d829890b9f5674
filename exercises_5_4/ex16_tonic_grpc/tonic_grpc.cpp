// tonic_grpc.cpp — EX16 over the wire: the UserService of user.proto served with grpc::ServerBuilder
// and called through the generated stub. The service logic and the checks live in tonic_service.cpp;
// this file only moves requests, metadata and statuses between gRPC and them.
#include "tonic_grpc.h"

#include "user.grpc.pb.h"

#include <chrono>
#include <climits>
#include <cstdio>
#include <grpcpp/grpcpp.h>
#include <memory>

using netlab::user::CreateUserRequest;
using netlab::user::CreateUserResponse;
using netlab::user::GetUserRequest;
using netlab::user::GetUserResponse;
using netlab::user::UserService;

namespace {

void put_user(netlab::user::User *to, const tonic_user &u)
{
    to->set_id(u.id);
    to->set_name(u.name);
    to->set_email(u.email);
}

grpc::Status to_grpc(const tonic_status &st)
{
    return grpc::Status((grpc::StatusCode)st.code, st.message);
}

class user_service final : public UserService::Service {
  public:
    user_service(tonic_service *svc, const char *token) : svc_(svc), token_(token ? token : "") {}

    grpc::Status GetUser(grpc::ServerContext *ctx, const GetUserRequest *req, GetUserResponse *resp) override
    {
        tonic_status st = admit(ctx);
        tonic_user u;
        if (st.code == TONIC_OK) st = tonic_service_get_user(svc_, req->user_id().c_str(), &u);
        if (st.code == TONIC_OK) put_user(resp->mutable_user(), u);
        return to_grpc(st);
    }

    grpc::Status CreateUser(grpc::ServerContext *ctx, const CreateUserRequest *req, CreateUserResponse *resp) override
    {
        tonic_status st = admit(ctx);
        tonic_user u;
        if (st.code == TONIC_OK) st = tonic_service_create_user(svc_, req->name().c_str(), req->email().c_str(), &u);
        if (st.code == TONIC_OK) put_user(resp->mutable_user(), u);
        return to_grpc(st);
    }

  private:
    // What every call goes through first: its x-request-id echoed, then the token checked.
    tonic_status admit(grpc::ServerContext *ctx)
    {
        tonic_metadata md;
        for (const auto &kv : ctx->client_metadata())
            tonic_metadata_insert(&md, std::string(kv.first.data(), kv.first.size()).c_str(),
                                  std::string(kv.second.data(), kv.second.size()).c_str());
        const char *rid = tonic_metadata_get(&md, "x-request-id");
        if (rid) ctx->AddInitialMetadata("x-request-id", rid);
        return tonic_check_auth(&md, token_.c_str());
    }

    tonic_service *svc_;
    std::string token_;
};

} // namespace

struct tonic_server {
    std::unique_ptr<user_service> impl;
    std::unique_ptr<grpc::Server> server;
    int port;
};

void tonic_server_builder_init(tonic_server_builder *b)
{
    b->address = "127.0.0.1:0";
    b->max_message_bytes = 4u << 20;
    b->token = nullptr;
    b->service = nullptr;
}

void tonic_server_builder_add_service(tonic_server_builder *b, tonic_service *svc) { b->service = svc; }

tonic_server *tonic_server_builder_serve(const tonic_server_builder *b, char *err, size_t err_len)
{
    const char *why = nullptr;
    if (!b->service) why = "no service added";
    else if (!b->address || !*b->address) why = "no address";
    else if (b->max_message_bytes < 1 || b->max_message_bytes > INT_MAX) why = "max_message_bytes must be 1..INT_MAX";
    if (why) {
        snprintf(err, err_len, "%s", why);
        return nullptr;
    }
    tonic_server *srv = new tonic_server();
    srv->impl = std::make_unique<user_service>(b->service, b->token);
    grpc::ServerBuilder builder;
    builder.AddListeningPort(b->address, grpc::InsecureServerCredentials(), &srv->port);
    // gRPC would share a busy port with SO_REUSEPORT: a second server on it must fail instead.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.SetMaxReceiveMessageSize((int)b->max_message_bytes);
    builder.RegisterService(srv->impl.get());
    srv->server = builder.BuildAndStart();
    if (!srv->server) { // no port could be bound
        snprintf(err, err_len, "cannot listen on %s", b->address);
        delete srv;
        return nullptr;
    }
    return srv;
}

int tonic_server_port(const tonic_server *srv) { return srv->port; }

void tonic_server_shutdown(tonic_server *srv)
{
    if (!srv) return;
    // Calls in flight get five seconds to finish, then they are cancelled.
    srv->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    delete srv;
}

// ---- the client --------------------------------------------------------------------------------

struct tonic_client {
    std::string target;
    std::unique_ptr<UserService::Stub> stub;
};

tonic_client *tonic_client_connect(const char *endpoint, char *err, size_t err_len)
{
    std::string target;
    if (tonic_parse_endpoint(endpoint, &target) != 0) {
        snprintf(err, err_len, "bad endpoint '%s': expected http://HOST:PORT or HOST:PORT", endpoint ? endpoint : "");
        return nullptr;
    }
    tonic_client *c = new tonic_client;
    c->target = target;
    c->stub = UserService::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
    return c;
}

const char *tonic_client_target(const tonic_client *c) { return c->target.c_str(); }

void tonic_client_close(tonic_client *c) { delete c; }

namespace {

// A call's context from its options: the deadline and the metadata to send.
bool prepare(grpc::ClientContext *ctx, const tonic_call *call, tonic_status *st)
{
    if (!call) return true;
    if (call->timeout_ms < 0) {
        *st = tonic_status_invalid_argument("timeout_ms must be >= 0");
        return false;
    }
    if (call->timeout_ms > 0)
        ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(call->timeout_ms));
    if (call->metadata)
        for (const auto &e : call->metadata->entries) ctx->AddMetadata(e.first, e.second);
    return true;
}

// The server's initial metadata into call->initial_metadata (replacing what was there), and the
// call's status as ours.
tonic_status finish(grpc::ClientContext *ctx, const tonic_call *call, const grpc::Status &gs)
{
    if (call && call->initial_metadata) {
        tonic_metadata md;
        for (const auto &kv : ctx->GetServerInitialMetadata())
            tonic_metadata_insert(&md, std::string(kv.first.data(), kv.first.size()).c_str(),
                                  std::string(kv.second.data(), kv.second.size()).c_str());
        *call->initial_metadata = md;
    }
    return tonic_status_new((tonic_code)gs.error_code(), gs.error_message().c_str());
}

void get_user(const netlab::user::User &from, tonic_user *out)
{
    out->id = from.id();
    out->name = from.name();
    out->email = from.email();
}

} // namespace

tonic_status tonic_client_get_user(tonic_client *c, const tonic_call *call, const char *user_id, tonic_user *out)
{
    grpc::ClientContext ctx;
    tonic_status st;
    if (!prepare(&ctx, call, &st)) return st;
    GetUserRequest req;
    req.set_user_id(user_id ? user_id : "");
    GetUserResponse resp;
    st = finish(&ctx, call, c->stub->GetUser(&ctx, req, &resp));
    if (st.code == TONIC_OK && !resp.has_user()) st = tonic_status_internal("the server answered OK without a user");
    if (st.code == TONIC_OK) get_user(resp.user(), out);
    return st;
}

tonic_status tonic_client_create_user(tonic_client *c, const tonic_call *call, const char *name, const char *email,
                                      tonic_user *out)
{
    grpc::ClientContext ctx;
    tonic_status st;
    if (!prepare(&ctx, call, &st)) return st;
    CreateUserRequest req;
    req.set_name(name ? name : "");
    req.set_email(email ? email : "");
    CreateUserResponse resp;
    st = finish(&ctx, call, c->stub->CreateUser(&ctx, req, &resp));
    if (st.code == TONIC_OK && !resp.has_user()) st = tonic_status_internal("the server answered OK without a user");
    if (st.code == TONIC_OK) get_user(resp.user(), out);
    return st;
}
