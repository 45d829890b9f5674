// test_drain.cpp — the shutdown drain (R22): a client that does not read its replies is waited for
// ECHO_DRAIN_MS, then cut off, and the server exits without waiting for it any longer; and without
// --pool a silent client is never timed out (R23).
#include "echo_test.h"
#include "nl_clock.h"
#include "suite.h"

#include <csignal>
#include <unistd.h>

// The drain of R22 is 3 s; the cut-off client's thread ends at once (its send fails), so the exit
// comes 3 s after SIGTERM. The window's slack is for a loaded machine; 6 s (no cut-off, a second
// full wait) is outside it.
enum { DRAIN_MIN_MS = 2500, DRAIN_MAX_MS = 5500, SILENT_MS = 1500 };
void test_shutdown_drain(void **)
{
    et_start({});
    int good = et_connect();
    et_send(good, "hi\n");
    et_expect(good, "ECHO: HI");
    int stuck = et_connect();
    et_flood_without_reading(stuck);
    // R23: SILENT_MS of silence is not a timeout without --pool (nor is a client that does not read).
    usleep(SILENT_MS * 1000);
    et_send(good, "still here\n");
    et_expect(good, "ECHO: STILL HERE", "after %d ms of silence without --pool (no idle timeout)", SILENT_MS);
    uint64_t t0 = nl_now_ms();
    kill(et_srv.pid, SIGTERM);
    et_expect(good, "BYE", "after SIGTERM, while another client does not read its replies");
    et_expect_eof(good, "after SIGTERM and BYE");
    bool exited = nl_server_wait_exit(&et_srv, ET_STOP_MS);
    uint64_t took = nl_now_ms() - t0;
    NL_EXPECT_TRUE(exited, "after SIGTERM with a client that does not read: no exit within %d ms", ET_STOP_MS);
    NL_EXPECT_TRUE(took >= DRAIN_MIN_MS && took <= DRAIN_MAX_MS,
                   "a client that does not read is waited for %d ms, then cut off and the server exits: exit %llu ms "
                   "after SIGTERM (expected %d..%d)",
                   3000, (unsigned long long)took, DRAIN_MIN_MS, DRAIN_MAX_MS);
    et_stop_ok();
}
