// main.cpp — the common/ unit-test suite: every module's tests in one CMocka array.
#include "common_tests.h"

#define TC_ENTRY(name) cmocka_unit_test(name),
#define TC_LOOP_ENTRY(c) cmocka_unit_test(test_loop_##c##_epoll), cmocka_unit_test(test_loop_##c##_uring),

static const struct CMUnitTest tests[] = {
    TC_SOCKET_TESTS(TC_ENTRY)
    TC_LINEREADER_TESTS(TC_ENTRY)
    TC_OUTBUF_TESTS(TC_ENTRY)
    TC_LOOP_CASES(TC_LOOP_ENTRY)
    TC_CRYPTO_TESTS(TC_ENTRY)
    TC_JSON_TESTS(TC_ENTRY)
    TC_MISC_TESTS(TC_ENTRY)
    TC_SUPPORT_TESTS(TC_ENTRY)
};

NL_TEST_MAIN("common", tests)
