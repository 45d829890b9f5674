// nl_check.h — checks that fail at the caller's line, in the caller's words, saying what was expected
// and what came back: "tests/ex00_echo/test_base.cpp:74: after QUIT: expected 'BYE', got 'ECHO: QUIT'".
// The moulinette shows that line to the student (it reads CMocka's "ERROR:" and "[ LINE ]" lines).
//
// Shared helpers take an nl_where as their first argument and are called through a macro that
// passes NL_HERE / NL_HERE_CTX(...), so a failure inside the helper points at the test's line:
//   #define et_expect(fd, want, ...) et_expect_at(NL_HERE_CTX(__VA_ARGS__), fd, want)
#pragma once
#include "nl_test.h"

#include <string>

struct nl_where {
    const char *file;
    int line;
    std::string ctx;  // the caller's words, e.g. "after sending QUIT"; may be empty
};

std::string nl_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
// 'text' with \n, \r, \t and other control bytes escaped, cut after max bytes ("... (N bytes)").
std::string nl_quote(const std::string &s, size_t max = 160);

#define NL_HERE (nl_where{__FILE__, __LINE__, std::string()})
#define NL_HERE_CTX(...) (nl_where{__FILE__, __LINE__, std::string() __VA_OPT__(+nl_fmt(__VA_ARGS__))})

// Fails the running test at w: "ERROR: <ctx>: <what>", then CMocka's location line for w.
// Call it only from the test's own thread (CMocka jumps back to the test runner).
[[noreturn]] void nl_fail_at(const nl_where &w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// Words put before every failure message of this process, e.g. "on backend uring" for a suite that
// runs each scenario once per backend ("" to clear).
void nl_check_prefix(const char *prefix);

void nl_expect_streq_at(const nl_where &w, const std::string &got, const std::string &want);
void nl_expect_eq_int_at(const nl_where &w, long long got, long long want);
void nl_expect_contains_at(const nl_where &w, const std::string &got, const std::string &needle);

// NL_EXPECT_STREQ(got, want, "after sending %s", cmd): "after sending X: expected 'want', got 'got'".
#define NL_EXPECT_STREQ(got, want, ...) nl_expect_streq_at(NL_HERE_CTX(__VA_ARGS__), (got), (want))
#define NL_EXPECT_EQ_INT(got, want, ...) \
    nl_expect_eq_int_at(NL_HERE_CTX(__VA_ARGS__), (long long)(got), (long long)(want))
#define NL_EXPECT_CONTAINS(got, needle, ...) nl_expect_contains_at(NL_HERE_CTX(__VA_ARGS__), (got), (needle))
// NL_EXPECT_TRUE(port != 0, "after start"): "after start: expected port != 0".
#define NL_EXPECT_TRUE(cond, ...)                                                     \
    do {                                                                              \
        if (!(cond)) nl_fail_at(NL_HERE_CTX(__VA_ARGS__), "expected %s", #cond);      \
    } while (0)
// NL_FAIL("the server sent %s twice", what): fails here with those words.
#define NL_FAIL(...) nl_fail_at(NL_HERE, __VA_ARGS__)
