// tonic_grpc.h — EX16 TonicGrpc: the UserService of user.proto on real gRPC (libgrpc++). What a
// student implements: Status codes and helpers, a metadata map, the bearer-token check, the endpoint
// parser and the user store (tonic_service.cpp, no gRPC in it), then the server builder and the
// client over the generated code (tonic_grpc.cpp). No gRPC type crosses this header.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

// The gRPC status codes, with gRPC's numeric values (the seed's values, and the five it left out).
enum tonic_code : int {
    TONIC_OK = 0,
    TONIC_CANCELLED = 1,
    TONIC_UNKNOWN = 2,
    TONIC_INVALID_ARGUMENT = 3,
    TONIC_DEADLINE_EXCEEDED = 4,
    TONIC_NOT_FOUND = 5,
    TONIC_ALREADY_EXISTS = 6,
    TONIC_PERMISSION_DENIED = 7,
    TONIC_RESOURCE_EXHAUSTED = 8,
    TONIC_FAILED_PRECONDITION = 9,
    TONIC_ABORTED = 10,
    TONIC_OUT_OF_RANGE = 11,
    TONIC_UNIMPLEMENTED = 12,
    TONIC_INTERNAL = 13,
    TONIC_UNAVAILABLE = 14,
    TONIC_DATA_LOSS = 15,
    TONIC_UNAUTHENTICATED = 16,
};

// The outcome of a call: a code and a message a person can act on ("" for OK).
struct tonic_status {
    tonic_code code;
    std::string message;
};

tonic_status tonic_status_new(tonic_code code, const char *message); // message NULL = ""
tonic_status tonic_status_ok();
tonic_status tonic_status_not_found(const char *message);
tonic_status tonic_status_invalid_argument(const char *message);
tonic_status tonic_status_internal(const char *message);
tonic_status tonic_status_already_exists(const char *message);
tonic_status tonic_status_unauthenticated(const char *message);
// "OK", "CANCELLED", ... "UNAUTHENTICATED" (gRPC's names); "?" for a value that is no code.
const char *tonic_code_name(int code);

// Call metadata (gRPC's ASCII headers): one value per key, in insertion order, keys stored lower-case.
struct tonic_metadata {
    std::vector<std::pair<std::string, std::string>> entries;
};
// 0 on success (a key already there gets the new value, in its old place); -1 when the key or the
// value breaks the rules of the README (the map is then unchanged).
int tonic_metadata_insert(tonic_metadata *md, const char *key, const char *value);
// The value of key (any case), NULL when absent.
const char *tonic_metadata_get(const tonic_metadata *md, const char *key);
size_t tonic_metadata_len(const tonic_metadata *md);

// The server's bearer-token check of a call's metadata: OK when token is NULL or "", otherwise
// UNAUTHENTICATED "Missing authorization" or "Invalid token" unless authorization is "Bearer <token>".
tonic_status tonic_check_auth(const tonic_metadata *md, const char *token);

// "http://HOST:PORT" or "HOST:PORT" (a trailing "/" allowed) -> "HOST:PORT" in *target; 0, or -1
// (target unchanged) for anything else.
int tonic_parse_endpoint(const char *endpoint, std::string *target);

// The user store behind the service. Thread-safe: the server calls it from several threads.
struct tonic_user {
    std::string id;
    std::string name;
    std::string email;
};
typedef uint64_t (*tonic_clock_fn)(void *arg); // nanoseconds since the epoch
struct tonic_service;
tonic_service *tonic_service_new(tonic_clock_fn clock, void *clock_arg); // clock NULL = CLOCK_REALTIME
void tonic_service_free(tonic_service *svc);
tonic_status tonic_service_create_user(tonic_service *svc, const char *name, const char *email, tonic_user *out);
tonic_status tonic_service_get_user(tonic_service *svc, const char *user_id, tonic_user *out);
size_t tonic_service_count(tonic_service *svc);

// The server builder: init sets the defaults, the caller changes the fields it wants, adds the
// service and serves. The server runs on gRPC's threads until tonic_server_shutdown.
struct tonic_server_builder {
    const char *address;      // default "127.0.0.1:0" (port 0: a free port, see tonic_server_port)
    size_t max_message_bytes; // largest request accepted, default 4 MiB (4194304), 1..INT_MAX
    const char *token;        // NULL or "": no authentication
    tonic_service *service;   // set by tonic_server_builder_add_service; not owned
};
struct tonic_server;
void tonic_server_builder_init(tonic_server_builder *b);
void tonic_server_builder_add_service(tonic_server_builder *b, tonic_service *svc);
tonic_server *tonic_server_builder_serve(const tonic_server_builder *b, char *err, size_t err_len);
int tonic_server_port(const tonic_server *srv);
void tonic_server_shutdown(tonic_server *srv); // NULL: nothing

// The client. Connecting only parses the endpoint and opens a channel: the first call connects.
struct tonic_client;
struct tonic_call {
    int timeout_ms;                   // 0: no deadline
    const tonic_metadata *metadata;   // sent with the call, NULL: none
    tonic_metadata *initial_metadata; // NULL, or receives the server's initial metadata
};
tonic_client *tonic_client_connect(const char *endpoint, char *err, size_t err_len);
const char *tonic_client_target(const tonic_client *c); // "HOST:PORT"
tonic_status tonic_client_get_user(tonic_client *c, const tonic_call *call, const char *user_id, tonic_user *out);
tonic_status tonic_client_create_user(tonic_client *c, const tonic_call *call, const char *name, const char *email,
                                      tonic_user *out);
void tonic_client_close(tonic_client *c); // NULL: nothing
