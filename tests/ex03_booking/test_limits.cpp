// test_limits.cpp — the show limits of R2 at the limit and one past: 16 shows, names of 31 bytes,
// 1,000,000 seats are served; 17 shows, 32 bytes, 1,000,001 or -1 seats, a name with '=' are refused
// with exit status 2 and no queue.
#include "bk_harness.h"
#include "nl_check.h"
#include "nl_test.h"

#include <cstdio>
#include <sys/msg.h>
#include <sys/wait.h>

void test_show_limits(void **);

static std::vector<std::string> stock_args(int nshows, const std::string &name0, const std::string &seats0)
{
    std::vector<std::string> a = {"--mode", "seq", "--stock", name0 + "=" + seats0};
    for (int i = 1; i < nshows; i++) {
        a.push_back("--stock");
        a.push_back("show" + std::to_string(i) + "=1");
    }
    return a;
}

static void expect_served_at(const nl_where &w, const std::vector<std::string> &args, int nshows, const char *what)
{
    bk_server &s = *bk_new();
    if (bk_start(&s, args) != 0) nl_fail_at(w, "%s: expected the server to start, it did not: %s", what, s.output.c_str());
    booking_request q = bk_req(BOOKING_OP_LIST, "", 0, 4343, 1);
    booking_reply r;
    if (bk_call(s.qid, &q, &r) != 0) nl_fail_at(w, "%s: list got no reply", what);
    if (r.status != BOOKING_OK || r.nshows != nshows)
        nl_fail_at(w, "%s: list: expected status 0 and %d show(s), got status %d and %d", what, nshows, r.status, r.nshows);
    if (bk_stop(&s) != 0) nl_fail_at(w, "%s: SIGTERM: expected exit status 0", what);
}
#define expect_served(...) expect_served_at(NL_HERE, __VA_ARGS__)

static void expect_refused_at(const nl_where &w, const std::vector<std::string> &args, const char *what)
{
    bk_server &s = *bk_new();
    if (bk_start(&s, args, 5000) == 0) {
        bk_stop(&s);
        nl_fail_at(w, "%s: expected the server to refuse (exit 2), it started", what);
    }
    if (!s.exited || !WIFEXITED(s.status) || WEXITSTATUS(s.status) != 2)
        nl_fail_at(w, "%s: expected exit status 2, got %s", what,
                   s.exited && WIFEXITED(s.status) ? nl_fmt("%d", WEXITSTATUS(s.status)).c_str() : "no exit");
    if (msgget(ftok(s.key_path.c_str(), BOOKING_PROJ_ID), 0) != -1) nl_fail_at(w, "%s: a queue was left behind", what);
}
#define expect_refused(...) expect_refused_at(NL_HERE, __VA_ARGS__)

void test_show_limits(void **)
{
    std::string n31(31, 'n'), n32(32, 'n');
    expect_served(stock_args(16, "hamlet", "5"), 16, "16 shows");
    expect_refused(stock_args(17, "hamlet", "5"), "17 shows");
    expect_served(stock_args(1, n31, "5"), 1, "a show name of 31 bytes");
    expect_refused(stock_args(1, n32, "5"), "a show name of 32 bytes");
    expect_served(stock_args(2, "hamlet", "1000000"), 2, "1000000 seats");
    expect_refused(stock_args(2, "hamlet", "1000001"), "1000001 seats");
    expect_refused(stock_args(2, "hamlet", "-1"), "-1 seats");
    // Printable bytes are 0x21..0x7e: both ends served, one past each end (and an empty name) refused.
    expect_served(stock_args(2, "!", "1"), 2, "a show named '!' (0x21)");
    expect_served(stock_args(2, "~~", "1"), 2, "a show named '~~' (0x7e)");
    expect_refused(stock_args(2, "", "5"), "an empty show name");
    expect_refused(stock_args(2, "ham let", "5"), "a show name with a space");
    expect_refused(stock_args(2, "ham\x1flet", "5"), "a show name with the control byte 0x1f");
    expect_refused(stock_args(2, "ham\x7flet", "5"), "a show name with DEL (0x7f)");
    expect_refused(stock_args(2, "\x1fhamlet", "5"), "a show name whose first byte is 0x1f");
    expect_served(stock_args(2, "hamlet", "0"), 2, "0 seats");
    std::string file = bk_key_file() + ".shows";
    FILE *f = fopen(file.c_str(), "w");
    assert_non_null(f);
    fprintf(f, "ham=let 3\n");
    fclose(f);
    expect_refused({"--mode", "seq", "--shows", file}, "a show name with '=' in --shows");
}
