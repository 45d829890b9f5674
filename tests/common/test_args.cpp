// test_args.cpp — every program's command line (common/nl_opt.h's convention, checked by
// tests/support/nl_badargs): a bad, missing or out-of-range value exits with status 2 and a message
// naming the option, prints nothing on stdout and starts nothing (servers get "{PORT}", a port this
// test holds, so binding before the check would fail differently); --help prints a usage line.
#include "common_tests.h"
#include "nl_badargs.h"

void test_args_echo_server(void **)
{
    nl_expect_help("echo_server");
    nl_expect_bad_args("echo_server", {"--port", "70000"}, "--port");
    nl_expect_bad_args("echo_server", {"--port", "{PORT}", "--pool", "0"}, "--pool");
    nl_expect_bad_args("echo_server", {"--port", "{PORT}", "--queue"}, "--queue");
    nl_expect_bad_args("echo_server", {"--port", "{PORT}", "--idle-timeout", "x"}, "--idle-timeout");
    nl_expect_bad_args("echo_server", {"--port", "{PORT}", "--frobnicate"}, "--frobnicate");
}

void test_args_chat_server(void **)
{
    nl_expect_help("chat_server");
    nl_expect_bad_args("chat_server", {"--port", "{PORT}", "--max-line", "63"}, "--max-line");
    nl_expect_bad_args("chat_server", {"--port", "{PORT}", "--backend", "kqueue"}, "--backend");
    nl_expect_bad_args("chat_server", {"--port", "{PORT}", "--max-line", "200", "--max-outbuf", "100"}, "--max-outbuf");
    nl_expect_bad_args("chat_server", {"--port", "{PORT}", "--max-history", "101"}, "--max-history");
    nl_expect_bad_args("chat_server", {"--port", "{PORT}", "stray"}, "stray");
}

void test_args_ws_server(void **)
{
    nl_expect_help("ws_server");
    nl_expect_bad_args("ws_server", {"--port", "-1"}, "--port");
    nl_expect_bad_args("ws_server", {"--port", "{PORT}", "--ping-interval", "abc"}, "--ping-interval");
    nl_expect_bad_args("ws_server", {"--port", "{PORT}", "--pong-timeout", "0.001"}, "--pong-timeout");
    nl_expect_bad_args("ws_server", {"--port", "{PORT}", "--max-room", "0"}, "--max-room");
    nl_expect_bad_args("ws_server", {"--port", "{PORT}", "--max-message"}, "--max-message");
}

void test_args_booking(void **)
{
    nl_expect_help("booking_server");
    nl_expect_bad_args("booking_server", {"--workers", "0"}, "--workers");
    nl_expect_bad_args("booking_server", {"--mode", "fast"}, "--mode");
    nl_expect_help("booking_client");
    nl_expect_bad_args("booking_client", {"--key-path"}, "--key-path");
    nl_expect_bad_args("booking_client", {"--bogus", "list"}, "--bogus");
}

void test_args_vclock(void **)
{
    nl_expect_help("vclock");
    nl_expect_bad_args("vclock", {"--decode"}, "--decode");
    nl_expect_bad_args("vclock", {"--decode", "5643", "A"}, "--decode");
    nl_expect_bad_args("vclock", {"--bogus", "A"}, "--bogus");
}

void test_args_ring(void **)
{
    nl_expect_help("ring");
    nl_expect_bad_args("ring", {"--nodes", "0"}, "--nodes");
    nl_expect_bad_args("ring", {"--vnodes", "1001"}, "--vnodes");
    nl_expect_bad_args("ring", {"--weight", "x"}, "--weight");
}

void test_args_crdt_demo(void **)
{
    nl_expect_help("crdt_demo");
    nl_expect_bad_args("crdt_demo", {"0"}, "SEED");
    nl_expect_bad_args("crdt_demo", {"12abc"}, "SEED");
    nl_expect_bad_args("crdt_demo", {"--seed", "3"}, "--seed");
}

void test_args_gossip_node(void **)
{
    nl_expect_help("gossip_node");
    nl_expect_bad_args("gossip_node", {"--port", "{PORT}"}, "--id");
    nl_expect_bad_args("gossip_node", {"--id", "a", "--port", "{PORT}", "--probe-interval", "5"}, "--probe-interval");
    nl_expect_bad_args("gossip_node", {"--id", "a", "--port", "{PORT}", "--probe-timeout", "2000"}, "--probe-timeout");
    nl_expect_bad_args("gossip_node", {"--id", "a", "--port", "{PORT}", "--meta", "novalue"}, "--meta");
    nl_expect_bad_args("gossip_node", {"--id", "a", "--port", "{PORT}", "--join", "nohost"}, "--join");
}

void test_args_stdin_demos(void **)
{
    nl_expect_help("lock_demo");
    nl_expect_bad_args("lock_demo", {"--max-lease", "0"}, "--max-lease");
    nl_expect_bad_args("lock_demo", {"--default-lease"}, "--default-lease");
    nl_expect_help("broker_demo");
    nl_expect_bad_args("broker_demo", {"--max-unacked", "x"}, "--max-unacked");
    nl_expect_bad_args("broker_demo", {"--ack-timeout", "-5"}, "--ack-timeout");
    nl_expect_help("registry_demo");
    nl_expect_bad_args("registry_demo", {"--min-ttl", "abc"}, "--min-ttl");
    nl_expect_bad_args("registry_demo", {"--min-ttl", "0"}, "--min-ttl");
}

void test_args_trace_demo(void **)
{
    nl_expect_help("trace_demo");
    nl_expect_bad_args("trace_demo", {"--requests", "5"}, "--out");
    nl_expect_bad_args("trace_demo", {"--out", "/dev/null", "--ratio", "1.5"}, "--ratio");
    nl_expect_bad_args("trace_demo", {"--out", "/dev/null", "--requests", "0"}, "--requests");
    nl_expect_bad_args("trace_demo", {"--out", "/dev/null", "--seed", "x"}, "--seed");
}

void test_args_simulators(void **)
{
    nl_expect_help("raft_sim");
    nl_expect_bad_args("raft_sim", {"--seed", "x"}, "--seed");
    nl_expect_bad_args("raft_sim", {"--seed"}, "--seed");
    nl_expect_help("paxos_sim");
    nl_expect_bad_args("paxos_sim", {"--nodes", "10"}, "--nodes");
    nl_expect_bad_args("paxos_sim", {"--drop", "2"}, "--drop");
    nl_expect_help("bft_sim");
    nl_expect_bad_args("bft_sim", {"--steps", "0"}, "--steps");
    nl_expect_bad_args("bft_sim", {"--schedules", "x"}, "--schedules");
    nl_expect_help("raft_deep_sim");
    nl_expect_bad_args("raft_deep_sim", {"--slots", "x"}, "--slots");
    nl_expect_help("dist_tx_demo");
    nl_expect_bad_args("dist_tx_demo", {"--participants", "17"}, "--participants");
    nl_expect_bad_args("dist_tx_demo", {"--protocol", "4pc"}, "--protocol");
    nl_expect_bad_args("dist_tx_demo", {"--until", "-1"}, "--until");
}

void test_args_raft_kv(void **)
{
    nl_expect_help("raft_kv");
    nl_expect_bad_args("raft_kv", {"--id", "0", "--port", "{PORT}"}, "--id");
    nl_expect_bad_args("raft_kv", {"--id", "1", "--port", "70000"}, "--port");
    nl_expect_bad_args("raft_kv", {"--id", "1", "--port", "{PORT}", "--election-ms", "0"}, "--election-ms");
}

void test_args_grpc_programs(void **)
{
    nl_expect_help("grpc_tasks");
    nl_expect_bad_args("grpc_tasks", {"--port", "x"}, "--port");
    nl_expect_bad_args("grpc_tasks", {"--port", "{PORT}", "--grace", "-1"}, "--grace");
    nl_expect_bad_args("grpc_tasks", {"--port", "{PORT}", "--max-message", "0"}, "--max-message");
    nl_expect_help("tonic_users");
    nl_expect_bad_args("tonic_users", {"--serve", "65536"}, "--serve");
    nl_expect_bad_args("tonic_users", {"--serve", "{PORT}", "--max-message", "x"}, "--max-message");
}

void test_args_sdctl(void **)
{
    nl_expect_help("sdctl");
    nl_expect_bad_args("sdctl", {"--timeout", "0", "list"}, "--timeout");
    nl_expect_bad_args("sdctl", {"--timeout"}, "--timeout");
}
