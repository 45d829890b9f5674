// main.cpp — the common/ unit-test suite: every module's tests in one CMocka array.
#include "common_tests.h"

// Every test gets the same teardown, so a failed test cannot leave test-only state (the send
// wrapper) switched on for the next one when the whole suite runs in one process.
#define TC_ENTRY(name) cmocka_unit_test_teardown(name, tc_teardown),
#define TC_LOOP_ENTRY(c) TC_ENTRY(test_loop_##c##_epoll) TC_ENTRY(test_loop_##c##_uring)
#define TC_CQ_ENTRY(c) TC_ENTRY(test_cq_##c##_epoll) TC_ENTRY(test_cq_##c##_uring)

static const struct CMUnitTest tests[] = {
    TC_SOCKET_TESTS(TC_ENTRY)
    TC_LINEREADER_TESTS(TC_ENTRY)
    TC_OUTBUF_TESTS(TC_ENTRY)
    TC_LOOP_CASES(TC_LOOP_ENTRY)
    TC_CQ_CASES(TC_CQ_ENTRY)
    TC_CRYPTO_TESTS(TC_ENTRY)
    TC_JSON_TESTS(TC_ENTRY)
    TC_MISC_TESTS(TC_ENTRY)
    TC_SUPPORT_TESTS(TC_ENTRY)
    TC_ARGS_TESTS(TC_ENTRY)
};

NL_TEST_MAIN("common", tests)
