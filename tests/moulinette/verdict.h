// verdict.h — what a student reads when something fails: the test's own message at its own line
// (from a CMocka log), and the compiler's first error with its context (from a build log).
#pragma once
#include <string>

// The first failure a test reported, as "tests/ex00_echo/test_base.cpp:74: expected 'BYE', got ''":
// fail_msg / NL_EXPECT_* ("ERROR: ..."), a CMocka assert ("[  ERROR   ] --- 0x1 != 0x2"), with the
// "[   LINE   ] --- file:line" that follows it; else a sanitizer's SUMMARY line; else "".
std::string mt_test_failure(const std::string &log);

// The compiler's (or linker's, or patch's) first error with the lines that explain it: the
// "In function" line before it and its source excerpt after it. Paths under strip_prefix are shown
// relative to it. Ends with how many more errors there were. "" when no error line is found.
std::string mt_build_failure(const std::string &log, const std::string &strip_prefix);

// The first max_bytes of a file ("" when it cannot be read).
std::string mt_read_head(const std::string &path, size_t max_bytes);
