// test_main.cpp — EX09 suite entry: every test runs alone (NL_TEST_MAIN).
#include "nl_test.h"
#include "reg_tests.h"

#define REG_ENTRY(name) cmocka_unit_test(name),
static const struct CMUnitTest tests[] = {REG_TESTS(REG_ENTRY)};

NL_TEST_MAIN("ex09_service_registry", tests)
