// test_main.cpp — EX08 suite entry: every test runs alone (NL_TEST_MAIN), each with a teardown that
// stops the server processes a failed test left running.
#include "nl_test.h"

#include "ex08_tests.h"

#define EX08_ENTRY(name) cmocka_unit_test_teardown(name, ex08_teardown),
static const struct CMUnitTest tests[] = {EX08_TESTS(EX08_ENTRY)};

NL_TEST_MAIN("ex08_grpc_service", tests)
