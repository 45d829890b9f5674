// main.cpp — the abuse suite (README.md): one test per server and backend, six abuses each.
#include "abuse.h"
#include "nl_test.h"

extern const ab_proto AB_EX00, AB_EX01_EPOLL, AB_EX01_URING, AB_EX02_EPOLL, AB_EX02_URING;

static void test_ex00_abuse(void **) { ab_run(&AB_EX00); }
static void test_ex01_epoll_abuse(void **) { ab_run(&AB_EX01_EPOLL); }
static void test_ex01_uring_abuse(void **) { ab_run(&AB_EX01_URING); }
static void test_ex02_epoll_abuse(void **) { ab_run(&AB_EX02_EPOLL); }
static void test_ex02_uring_abuse(void **) { ab_run(&AB_EX02_URING); }

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ex00_abuse),       cmocka_unit_test(test_ex01_epoll_abuse),
    cmocka_unit_test(test_ex01_uring_abuse), cmocka_unit_test(test_ex02_epoll_abuse),
    cmocka_unit_test(test_ex02_uring_abuse),
};

NL_TEST_MAIN("abuse", tests)
