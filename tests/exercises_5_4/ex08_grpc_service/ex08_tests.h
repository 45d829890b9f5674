// ex08_tests.h — the EX08 test functions, one per spec.json row, shared by the suite's files.
#pragma once
int ex08_teardown(void **state);
#define EX08_TESTS(X)                                                                                     \
    /* the seed's eleven */                                                                               \
    X(test_server_config_default) X(test_retry_policy_default) X(test_health_check_service)              \
    X(test_load_balancing_strategies) X(test_auth_error_display) X(test_server_error_display)            \
    X(test_client_error_display) X(test_interceptor_chain) X(test_claims_structure)                      \
    X(test_grpc_client_config) X(test_metadata_extraction)                                               \
    /* the core, without network */                                                                       \
    X(test_code_names) X(test_config_limits) X(test_backoff_schedule) X(test_retryable_codes)            \
    X(test_round_robin_order) X(test_weighted_round_robin_order) X(test_least_connections_order)         \
    X(test_random_strategy) X(test_endpoints_left_out) X(test_health_registry_wait)                      \
    X(test_chain_order) X(test_auth_rules) X(test_metrics_counts) X(test_logging_lines)                  \
    X(test_task_limits) X(test_task_ids) X(test_task_list) X(test_task_update_rules)                     \
    X(test_task_watch_events) X(test_differential_core) X(test_wait_timeouts) X(test_close_wakes_waiters)                                                  \
    /* over gRPC, in-process servers */                                                                   \
    X(test_unary_calls) X(test_list_tasks_stream) X(test_import_tasks_stream) X(test_stream_updates_bidi) \
    X(test_watch_task_stream) X(test_health_watch_over_grpc) X(test_reflection_lists_services)           \
    X(test_auth_over_grpc) X(test_max_message_size) X(test_watch_deadline) X(test_watch_cancel)          \
    X(test_graceful_shutdown) X(test_connection_pool) X(test_refused_every_method) X(test_stream_cancel_ends_call) \
    /* the client over three real servers */                                                             \
    X(test_round_robin_three_servers) X(test_weighted_three_servers) X(test_least_connections_three_servers) \
    X(test_retry_kill_server_mid_run) X(test_retry_deadline_stopped_server) X(test_client_calls) X(test_python_interop)
#define EX08_DECLARE(name) void name(void **);
EX08_TESTS(EX08_DECLARE)
