// ex13_tests.h — the EX13 test functions, one per spec.json row, shared by the suite's files.
#pragma once
#include "nl_tcpproxy.h"

struct kv_cluster;
extern kv_cluster *ex13_cluster;   // the running test's cluster (test_cluster.cpp), torn down by ex13_teardown
int ex13_teardown(void **state);
// test_cluster.cpp: SIGTERM to every live node, each must exit 0 (R14); cut node idx off from the
// others through the proxies (a mode of nl_tcpproxy.h), and heal every link.
void stop_all_clean(kv_cluster *c);
void isolate(kv_cluster *c, int idx, nl_tcpproxy_mode mode);
void heal(kv_cluster *c);
#define EX13_TESTS(X)                                                                              \
    X(test_single_node_becomes_leader) X(test_client_write) X(test_client_read) X(test_metrics)   \
    X(test_raft_states) X(test_storage_append) X(test_cmd_encode_bytes) X(test_cmd_decode_malformed) \
    X(test_cmd_limits) X(test_store_apply) X(test_fsm_apply_skips_malformed) X(test_snapshot_bytes) \
    X(test_snapshot_restore_replaces) X(test_snapshot_malformed) X(test_fixture_replicas_agree)   \
    X(test_fixture_snapshot_install) X(test_parse_requests) X(test_parse_errors)                 \
    X(test_line_too_long) X(test_follower_redirects) X(test_status_format)                       \
    X(test_membership_add_remove) X(test_kill_leader_no_acked_write_lost)                        \
    X(test_restart_all_durable) X(test_cluster5_two_failures) X(test_history_linearizable)        \
    X(test_partition_no_stale_read) X(test_partition_minority_write_not_acked)           \
    X(test_differential_fsm_and_protocol) X(test_pipelined_requests) X(test_line_limit_without_newline)   \
    X(test_leader_cut_off_answers) X(test_snapshot_every) X(test_start_failures) X(test_connections_released) \
    X(test_out_of_memory) X(test_members_ascending) X(test_decode_bounds)
#define EX13_DECLARE(name) void name(void **);
EX13_TESTS(EX13_DECLARE)
