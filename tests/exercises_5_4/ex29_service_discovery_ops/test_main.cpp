// test_main.cpp — the EX29 suite: every test, one per process under the moulinette.
#include "nl_test.h"

#include <curl/curl.h>
#include <signal.h>

#define T(name) void name(void **);
#define EX29_TESTS                                                                                        \
    T(test_etcd_put) T(test_etcd_get) T(test_consul_rs) T(test_dns_based) T(test_kubernetes_dns)           \
    T(test_unified_discovery) T(test_etcd_get_missing) T(test_etcd_get_prefix) T(test_prefix_range_end)   \
    T(test_etcd_register_discover) T(test_invalid_names) T(test_etcd_lease_keepalive)                     \
    T(test_etcd_lease_revoke) T(test_etcd_watch_events) T(test_etcd_watch_timeout) T(test_etcd_failover) \
    T(test_etcd_open_limits) T(test_etcd_bad_replies) T(test_dns_srv_records) T(test_dns_a_records) T(test_dns_not_found)          \
    T(test_dns_unavailable) T(test_endpoint_order) T(test_zk_ephemeral) T(test_zk_unavailable)            \
    T(test_unified_reports_backend_errors) T(test_unified_not_found_is_an_answer)                         \
    T(test_unified_merge_order) T(test_unified_add_limits) T(test_differential_unified)    \
    T(test_etcd_endpoint_order) T(test_etcd_request_timeout) T(test_etcd_fake_gateway)
EX29_TESTS
#undef T
#define T(name) cmocka_unit_test(name),

static const struct CMUnitTest tests[] = {EX29_TESTS};

// curl_global_init is not thread-safe: done once here, before any test (the ZooKeeper client
// starts threads); SIGPIPE from a daemon stopped mid-request must not kill the suite.
__attribute__((constructor)) static void ex29_init()
{
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

NL_TEST_MAIN("ex29_service_discovery_ops", tests)
