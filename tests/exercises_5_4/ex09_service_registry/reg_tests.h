// reg_tests.h — the EX09 suite: the list of tests (one X-macro, used by test_main.cpp) and the small
// helpers the test files share (a virtual clock, registries on it, checks at the caller's line).
#pragma once
#include "nl_check.h"
#include "reg_obs.h"
#include "service_registry.h"

#include <string>
#include <vector>

#define REG_TESTS(X)                         \
    X(test_basic_put_get)                    \
    X(test_prefix_query)                     \
    X(test_delete_key)                       \
    X(test_lease_lifecycle)                  \
    X(test_watch_events)                     \
    X(test_transaction_success)              \
    X(test_service_registration)             \
    X(test_service_discovery_with_tags)      \
    X(test_revision_ordering)                \
    X(test_compare_target_variants)          \
    X(test_revisions_start_at_one)           \
    X(test_key_versions)                     \
    X(test_get_missing_key_is_empty)         \
    X(test_prefix_exact_contents)            \
    X(test_get_past_revision)                \
    X(test_limit_count_more)                 \
    X(test_sort_orders)                      \
    X(test_put_prev_kv_and_ignore)           \
    X(test_put_refusals)                     \
    X(test_delete_prefix_prev_kvs)           \
    X(test_txn_compare_results)              \
    X(test_txn_missing_key_compares)         \
    X(test_txn_one_revision)                 \
    X(test_txn_limits)                       \
    X(test_txn_refusals_change_nothing)      \
    X(test_lease_grant_ids)                  \
    X(test_lease_revoke_one_revision)        \
    X(test_lease_expiry_virtual_clock)       \
    X(test_lease_expiry_order)               \
    X(test_watch_live_batches)               \
    X(test_watch_history_replay)             \
    X(test_watch_filters_prev_kv)            \
    X(test_watch_compacted)                  \
    X(test_watch_limits)                     \
    X(test_watch_buffer_limit)               \
    X(test_watch_next_timeout_cancel)        \
    X(test_compaction_errors)                \
    X(test_compaction_keeps_latest)          \
    X(test_auto_compaction)                  \
    X(test_register_key_and_lease)           \
    X(test_register_refusals)                \
    X(test_discover_filters_status)          \
    X(test_deregister_and_expiry)            \
    X(test_errors_filled)                    \
    X(test_concurrent_puts)                  \
    X(test_null_arguments)                   \
    X(test_defaults_at_their_limits)         \
    X(test_every_call_expires_leases_first)  \
    X(test_auto_compaction_empty_and_waits)  \
    X(test_empty_key_refusals)               \
    X(test_monotonic_clock_default)          \
    X(test_service_gone_stays_gone)          \
    X(test_responses_reused)                 \
    X(test_watch_prev_kv_at_compaction)      \
    X(test_auto_compaction_first_run)        \
    X(test_lease_ttl_rounding)               \
    X(test_differential_random_histories)    \
    X(test_etcd_recorded_session)            \
    X(test_etcd_conformance_kv)              \
    X(test_etcd_conformance_watch)

#define REG_DECLARE(name) void name(void **);
REG_TESTS(REG_DECLARE)

// A virtual clock in milliseconds: the registry's only time source in the suite.
struct vclock {
    uint64_t ms = 1000000;
};
uint64_t vclock_now(void *ctx);

// A registry on clock c (NULL: a clock of the registry's own that never moves), with the seed's
// defaults otherwise; cfg_edit may change the config first.
service_registry *reg_on(vclock *c, void (*cfg_edit)(reg_config *) = nullptr);

// Shorthands that fail the test at the caller's line when the call does not return REG_OK.
reg_rev put_at(const nl_where &w, service_registry *r, const char *key, const std::string &value, reg_lease lease = 0);
#define PUT(r, key, ...) put_at(NL_HERE_CTX("put '%s'", key), r, key, __VA_ARGS__)
std::string get_at(const nl_where &w, service_registry *r, const char *key, bool prefix, reg_rev rev = 0);
#define GET(r, key, prefix, ...) get_at(NL_HERE_CTX("get '%s'", key), r, key, prefix __VA_OPT__(,) __VA_ARGS__)
reg_del_resp del_at(const nl_where &w, service_registry *r, const char *key, bool prefix, bool prev_kv = false);
#define DEL(r, key, prefix, ...) del_at(NL_HERE_CTX("delete '%s'", key), r, key, prefix __VA_OPT__(,) __VA_ARGS__)
reg_lease grant_at(const nl_where &w, service_registry *r, int64_t ttl, reg_lease id = 0);
#define GRANT(r, ...) grant_at(NL_HERE_CTX("lease_grant"), r, __VA_ARGS__)
int64_t watch_at(const nl_where &w, service_registry *r, const char *key, const reg_watch_opts &o);
#define WATCH(r, key, o) watch_at(NL_HERE_CTX("watch '%s'", key), r, key, o)
// Every response the watch holds now (no wait), one obs line per event, "canceled compact=N" for
// a canceled response, responses separated by " || ".
std::string drain_at(const nl_where &w, service_registry *r, int64_t id);
#define DRAIN(r, id) drain_at(NL_HERE_CTX("watch %lld", (long long)(id)), r, id)
#define EXPECT_RC(got, want, ...) \
    NL_EXPECT_STREQ(reg_err_name(got), reg_err_name(want) __VA_OPT__(,) __VA_ARGS__)

reg_service make_service(const char *id, const char *name, const char *ns, std::vector<std::string> tags = {});
std::string instance_ids(const std::vector<reg_instance> &v);  // "api-0,api-2"
