// nl_test.h — the main() every CMocka suite uses, so the moulinette can run one test per process:
//   run_tests                 run every test
//   run_tests --list          print the test names, one per line
//   run_tests --test NAME     run exactly that test (exit 2 when no test has that name)
// With NETLAB_RESULT_FILE set, a passing run writes "pass <NETLAB_NONCE>" there: a submission
// that calls exit(0) in the middle of a test cannot pass for a test that never finished.
#pragma once
#include <cstdarg>
#include <cstddef>
#include <csetjmp>
#include <cstdint>
extern "C" {
#include <cmocka.h>
}

int nl_test_main(int argc, char **argv, const char *suite, const struct CMUnitTest *tests, size_t count);

// Where nl_bin_path() finds programs when NETLAB_BIN_DIR is not set in the environment:
// NETLAB_BIN_DIR as compiled into the suite (its own build's bin folder, so a mutant's test
// binary runs the mutant's server).
void nl_test_default_bin_dir(const char *dir);

#ifndef NETLAB_BIN_DIR
#define NETLAB_BIN_DIR "build/bin"
#endif
#define NL_TEST_MAIN(suite, tests)                                                         \
    int main(int argc, char **argv)                                                        \
    {                                                                                      \
        nl_test_default_bin_dir(NETLAB_BIN_DIR);                                           \
        return nl_test_main(argc, argv, suite, tests, sizeof(tests) / sizeof((tests)[0])); \
    }
