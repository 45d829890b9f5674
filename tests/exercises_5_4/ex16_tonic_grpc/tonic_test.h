// tonic_test.h — what the EX16 test files share: the virtual clock handed to tonic_service_new, and
// the tests of test_tonic_wire.cpp and test_tonic_diff.cpp that test_tonic.cpp lists.
#pragma once
#include <cstdint>

struct tt_vclock {
    uint64_t now; // what the next read returns (ns since the epoch)
    int calls;    // how many times the service read it
};
uint64_t tt_clock(void *arg); // arg: a tt_vclock

// test_tonic_wire.cpp
void test_builder_refusals(void **);
void test_busy_port(void **);
void test_wire_create_get(void **);
void test_wire_status_codes(void **);
void test_wire_auth(void **);
void test_request_id_echo(void **);
void test_max_message(void **);
void test_client_unavailable(void **);
void test_client_deadline(void **);
void test_client_timeout_values(void **);
void test_client_maps_any_code(void **);
void test_client_ok_without_user(void **);
void test_client_sends_metadata(void **);
void test_shutdown_finishes_inflight(void **);
void test_python_client(void **);
// test_tonic_diff.cpp
void test_differential_store(void **);
