// test_main.cpp — EX13 suite entry: every test runs alone (NL_TEST_MAIN), each with a teardown
// that stops the processes a failed cluster test left running.
#include "nl_test.h"

#include "ex13_tests.h"

#define EX13_ENTRY(name) cmocka_unit_test_teardown(name, ex13_teardown),
static const struct CMUnitTest tests[] = {EX13_TESTS(EX13_ENTRY)};

NL_TEST_MAIN("ex13_openraft_node", tests)
