// distributed_lock.h — a lease-based lock service with fencing tokens (module 5.4, EX05).
// One node, in memory, thread-safe; time comes from an injected clock so tests never sleep.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

typedef uint64_t dlock_token;                 // fencing token: one global, strictly increasing counter

// The time source, in milliseconds. now_ms == NULL means the monotonic clock (nl_now_ms).
struct dlock_clock {
    uint64_t (*now_ms)(void *ctx);
    void *ctx;
};

struct dlock_config {
    uint64_t default_lease_ms;      // used when a caller passes lease 0 (seed: 30000)
    uint64_t max_lease_ms;          // longer requests fail with DLOCK_LEASE_TOO_LONG (seed: 300000)
    uint64_t cleanup_interval_ms;   // how often the owner should call dlock_tick (seed: 5000)
    double renewal_margin;          // "expiring soon" once remaining < margin * lease (seed: 0.5)
    dlock_clock clock;
};
void dlock_config_default(dlock_config *cfg);

enum dlock_err {
    DLOCK_OK = 0,
    DLOCK_NOT_FOUND,        // no such lock
    DLOCK_NOT_HOLDER,       // the lock is held by another client
    DLOCK_EXPIRED,          // the caller's lease ended before the call
    DLOCK_INVALID_TOKEN,    // right client, wrong fencing token
    DLOCK_LEASE_TOO_LONG,   // lease or extension above max_lease_ms
    DLOCK_TIMEOUT,
    DLOCK_INVALID_ARG,      // empty lock or client id, NULL pointer
};
const char *dlock_err_name(dlock_err e);

// What went wrong, for a person: filled by every call that fails (may be NULL).
struct dlock_error {
    dlock_err code;
    std::string message;      // e.g. "invalid fencing token for 'db': expected 3, got 4"
    dlock_token expected;     // DLOCK_INVALID_TOKEN: the lock's current token
    dlock_token actual;       // DLOCK_INVALID_TOKEN: the token the caller gave
    uint64_t requested_ms;    // DLOCK_LEASE_TOO_LONG
    uint64_t max_ms;          // DLOCK_LEASE_TOO_LONG
};

enum dlock_acquire_kind { DLOCK_ACQUIRED, DLOCK_ALREADY_HELD, DLOCK_WAITING };
struct dlock_acquire_result {
    dlock_acquire_kind kind;
    dlock_token token;          // DLOCK_ACQUIRED
    uint64_t expires_at_ms;     // DLOCK_ACQUIRED, DLOCK_ALREADY_HELD
    std::string holder;         // DLOCK_ALREADY_HELD (and DLOCK_WAITING: who holds it now)
    size_t position;            // DLOCK_WAITING: 1 = next in line
};

struct dlock_info {
    std::string lock_id;
    std::string holder;
    dlock_token token;
    uint64_t acquired_at_ms;
    uint64_t expires_at_ms;
    std::map<std::string, std::string> metadata;
};

enum dlock_event_kind {
    DLOCK_EV_EXPIRED,         // a lease ended without release (once per lease)
    DLOCK_EV_EXPIRING_SOON,   // remaining < renewal_margin * lease (once per lease or renewal)
    DLOCK_EV_GRANTED,         // the lock went to the head of its waiting queue
};
struct dlock_event {
    dlock_event_kind kind;
    std::string lock_id;
    std::string holder;        // the holder whose lease ended / is ending / who was granted the lock
    dlock_token token;
    uint64_t remaining_ms;     // DLOCK_EV_EXPIRING_SOON
};

struct dlock_service;          // opaque

dlock_service *dlock_new(const dlock_config *cfg);   // NULL cfg = defaults
void dlock_free(dlock_service *svc);

// Tries to take lock_id for client_id for lease_ms (0 = default_lease_ms). When the lock is held
// by someone else: DLOCK_ALREADY_HELD, or with wait=true the client joins the lock's FIFO queue
// (DLOCK_WAITING) and is granted the lock when it is released or expires (a DLOCK_EV_GRANTED event).
dlock_err dlock_try_acquire(dlock_service *svc, const char *lock_id, const char *client_id, uint64_t lease_ms,
                            const std::map<std::string, std::string> *metadata, bool wait,
                            dlock_acquire_result *out, dlock_error *err);
// Releases the lock. Releasing the same (client, token) again returns DLOCK_OK and changes nothing.
dlock_err dlock_release(dlock_service *svc, const char *lock_id, const char *client_id, dlock_token token,
                        dlock_error *err);
// Extends the lease to now + extension_ms (0 = default_lease_ms); the token does not change.
dlock_err dlock_renew(dlock_service *svc, const char *lock_id, const char *client_id, dlock_token token,
                      uint64_t extension_ms, uint64_t *new_expires_at_ms, dlock_error *err);
// *valid = true when token is the lock's current token and its lease has not ended.
dlock_err dlock_is_valid(dlock_service *svc, const char *lock_id, dlock_token token, bool *valid, dlock_error *err);
// Leaves the waiting queue of lock_id; DLOCK_NOT_FOUND when the client was not waiting.
dlock_err dlock_cancel_wait(dlock_service *svc, const char *lock_id, const char *client_id, dlock_error *err);

bool dlock_get_info(dlock_service *svc, const char *lock_id, dlock_info *out);  // false when not held
std::vector<dlock_info> dlock_list(dlock_service *svc);                          // held locks, by id
std::vector<dlock_info> dlock_list_client(dlock_service *svc, const char *client_id);
// Frees every expired lock (granting it to its queue if any); returns their ids.
std::vector<std::string> dlock_cleanup_expired(dlock_service *svc);
// Maintenance: cleanup plus every event since the last tick, in the order they happened.
std::vector<dlock_event> dlock_tick(dlock_service *svc);

// The seed's LockClient + LockGuard: holds one lock, renews it when due, releases it when it goes
// out of scope (the destructor calls dlock_guard_release).
struct dlock_guard {
    dlock_service *svc = nullptr;
    std::string lock_id, client_id;
    dlock_token token = 0;
    uint64_t lease_ms = 0;
    uint64_t expires_at_ms = 0;
    bool held = false;
    ~dlock_guard();
};
// Acquires (no waiting). DLOCK_OK with g->held, or an error (DLOCK_NOT_HOLDER when someone else holds it).
dlock_err dlock_guard_acquire(dlock_guard *g, dlock_service *svc, const char *lock_id, const char *client_id,
                              uint64_t lease_ms, dlock_error *err);
// Renews when remaining < renewal_margin * lease (the "auto" of auto-renew, driven by the caller).
// Returns DLOCK_OK whether or not it renewed; an error when the lease is lost.
dlock_err dlock_guard_keepalive(dlock_guard *g, dlock_error *err);
uint64_t dlock_guard_time_remaining(const dlock_guard *g);   // 0 once expired
dlock_err dlock_guard_release(dlock_guard *g, dlock_error *err);
