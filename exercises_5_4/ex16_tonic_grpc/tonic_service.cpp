// tonic_service.cpp — the part of EX16 without gRPC: Status helpers and code names, the metadata map,
// the bearer-token check, the endpoint parser and the user store the server calls.
#include "tonic_grpc.h"

#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <set>
#include <string>

tonic_status tonic_status_new(tonic_code code, const char *message)
{
    return tonic_status{code, message ? message : ""};
}
tonic_status tonic_status_ok() { return tonic_status_new(TONIC_OK, ""); }
tonic_status tonic_status_not_found(const char *m) { return tonic_status_new(TONIC_NOT_FOUND, m); }
tonic_status tonic_status_invalid_argument(const char *m) { return tonic_status_new(TONIC_INVALID_ARGUMENT, m); }
tonic_status tonic_status_internal(const char *m) { return tonic_status_new(TONIC_INTERNAL, m); }
tonic_status tonic_status_already_exists(const char *m) { return tonic_status_new(TONIC_ALREADY_EXISTS, m); }
tonic_status tonic_status_unauthenticated(const char *m) { return tonic_status_new(TONIC_UNAUTHENTICATED, m); }

const char *tonic_code_name(int code)
{
    static const char *const names[] = {"OK",        "CANCELLED",         "UNKNOWN",      "INVALID_ARGUMENT",
                                        "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
                                        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                                        "UNIMPLEMENTED", "INTERNAL",   "UNAVAILABLE",  "DATA_LOSS",
                                        "UNAUTHENTICATED"};
    if (code < 0 || code >= (int)(sizeof names / sizeof names[0])) return "?";
    return names[code];
}

// ---- metadata ----------------------------------------------------------------------------------

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

// The key lower-cased into *out; false when it is not 1..64 bytes of [0-9a-z_.-] (any case), is
// reserved by gRPC ("grpc-...") or names a binary header ("...-bin").
static bool normal_key(const char *key, std::string *out)
{
    if (!key) return false;
    std::string k;
    for (const char *p = key; *p; p++) {
        char c = lower(*p);
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) return false;
        k += c;
    }
    if (k.empty() || k.size() > 64) return false;
    if (k.compare(0, 5, "grpc-") == 0) return false;
    if (k.size() >= 4 && k.compare(k.size() - 4, 4, "-bin") == 0) return false;
    *out = k;
    return true;
}

int tonic_metadata_insert(tonic_metadata *md, const char *key, const char *value)
{
    std::string k;
    if (!md || !value || !normal_key(key, &k)) return -1;
    size_t n = strlen(value);
    if (n > 1024) return -1;
    for (size_t i = 0; i < n; i++)
        if (value[i] < 0x20 || value[i] > 0x7e) return -1;
    for (auto &e : md->entries)
        if (e.first == k) {
            e.second = value;
            return 0;
        }
    md->entries.emplace_back(k, value);
    return 0;
}

const char *tonic_metadata_get(const tonic_metadata *md, const char *key)
{
    std::string k;
    if (!md || !normal_key(key, &k)) return nullptr;
    for (const auto &e : md->entries)
        if (e.first == k) return e.second.c_str();
    return nullptr;
}

size_t tonic_metadata_len(const tonic_metadata *md) { return md ? md->entries.size() : 0; }

tonic_status tonic_check_auth(const tonic_metadata *md, const char *token)
{
    if (!token || !*token) return tonic_status_ok();
    const char *got = tonic_metadata_get(md, "authorization");
    if (!got) return tonic_status_unauthenticated("Missing authorization");
    if (std::string(got) != std::string("Bearer ") + token) return tonic_status_unauthenticated("Invalid token");
    return tonic_status_ok();
}

// ---- endpoint ----------------------------------------------------------------------------------

int tonic_parse_endpoint(const char *endpoint, std::string *target)
{
    if (!endpoint || !target) return -1;
    std::string s = endpoint;
    if (s.compare(0, 7, "http://") == 0) s.erase(0, 7);
    if (!s.empty() && s.back() == '/') s.pop_back();
    size_t colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) return -1;
    std::string host = s.substr(0, colon), port = s.substr(colon + 1);
    if (host.find_first_of("/@ ") != std::string::npos) return -1;
    // An IPv6 host is bracketed; any other colon means the text is not HOST:PORT.
    if (host[0] == '[' ? host.back() != ']' || host.size() < 3 : host.find(':') != std::string::npos) return -1;
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return -1;
    long p = strtol(port.c_str(), nullptr, 10);
    if (p < 1 || p > 65535) return -1;
    *target = s;
    return 0;
}

// ---- the user store ----------------------------------------------------------------------------

struct tonic_service {
    std::mutex lock;
    tonic_clock_fn clock;
    void *clock_arg;
    uint64_t last_id;                          // the largest id given, 0 before the first
    std::map<std::string, tonic_user> by_id;
    std::set<std::string> emails;              // lower-cased, one user each
};

static uint64_t realtime_ns(void *)
{
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

tonic_service *tonic_service_new(tonic_clock_fn clock, void *clock_arg)
{
    tonic_service *svc = new tonic_service();
    svc->clock = clock ? clock : realtime_ns;
    svc->clock_arg = clock_arg;
    return svc;
}

void tonic_service_free(tonic_service *svc) { delete svc; }

// One '@' with text on both sides, 3..254 bytes, printable ASCII without spaces.
static bool valid_email(const std::string &e)
{
    size_t at = e.find('@');
    if (e.size() > 254 || at == std::string::npos || at == 0 || at + 1 == e.size()) return false;
    if (e.find('@', at + 1) != std::string::npos) return false;
    for (char c : e)
        if (c <= 0x20 || c > 0x7e) return false;
    return true;
}

tonic_status tonic_service_create_user(tonic_service *svc, const char *name, const char *email, tonic_user *out)
{
    std::string n = name ? name : "", e = email ? email : "";
    if (n.empty()) return tonic_status_invalid_argument("Name required");
    if (n.size() > 64) return tonic_status_invalid_argument("Name too long");
    if (!valid_email(e)) return tonic_status_invalid_argument("Invalid email");
    std::string key;
    for (char c : e) key += lower(c);
    std::lock_guard<std::mutex> g(svc->lock);
    if (svc->emails.count(key)) return tonic_status_already_exists("Email already registered");
    uint64_t now = svc->clock(svc->clock_arg);
    // Ids are the creation time, kept strictly increasing when two users share a nanosecond.
    svc->last_id = now > svc->last_id ? now : svc->last_id + 1;
    tonic_user u{std::to_string(svc->last_id), n, e};
    svc->by_id[u.id] = u;
    svc->emails.insert(key);
    if (out) *out = u;
    return tonic_status_ok();
}

tonic_status tonic_service_get_user(tonic_service *svc, const char *user_id, tonic_user *out)
{
    std::lock_guard<std::mutex> g(svc->lock);
    auto it = svc->by_id.find(user_id ? user_id : "");
    if (it == svc->by_id.end()) return tonic_status_not_found("User not found");
    if (out) *out = it->second;
    return tonic_status_ok();
}

size_t tonic_service_count(tonic_service *svc)
{
    std::lock_guard<std::mutex> g(svc->lock);
    return svc->by_id.size();
}
