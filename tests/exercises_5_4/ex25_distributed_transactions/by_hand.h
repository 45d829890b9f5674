// by_hand.h — EX25 suite: one node driven by hand (no cluster): what it sent and when, a crash plan,
// the default config in a fresh folder, hand-made messages and logs, and the virtual clock's ticks.
#pragma once
#include "tx_tests.h"

#include <cstdint>
#include <string>
#include <vector>

// What a node sent ("1>0 STATE_REQ", "1>2 STATE_REPLY PREPARED") and when, and the crash plan:
// die at the crash_at-th crash point (0: never).
struct by_hand {
    std::vector<std::string> sent;
    std::vector<uint64_t> at;
    uint64_t now = 0;
    int crash_at = 0, points = 0;
    int calls = 0;
};

tx_io bh_io(by_hand *b);

// The set-up every by-hand test starts with: a fresh folder, tx_config_default, a recorder and its
// io. Not copyable: io points at b.
struct bench {
    std::string dir;
    tx_config cfg;
    by_hand b;
    tx_io io;
    tx_error err;
    explicit bench(const char *tag);
    ~bench();
    bench(const bench &) = delete;
    bench &operator=(const bench &) = delete;
    std::string path(const char *file) const { return dir + "/" + file; }
};

tx_msg msg(tx_msg_type t, int from, int to, const char *tx, tx_state st = TX_UNKNOWN);
// Writes these records with the submission's own txlog (fails the test if it cannot).
void write_log(const std::string &path, const std::vector<std::string> &recs);
// A saga action that counts its calls in the by_hand and succeeds.
int saga_ok(void *ctx, const char *, const char *, int);
// Ticks the 3PC participant / coordinator every ms from b->now + 1 to `until`; a tick that does
// not return TX_OK fails the test.
void tick3_until(tpc3_part *p, by_hand *b, uint64_t until);
void tick3c_until(tpc3_coord *c, by_hand *b, uint64_t until);
// Delivers m at b->now; anything but TX_OK fails the test.
void deliver3(tpc3_part *p, by_hand *b, tx_msg m);
void deliver3c(tpc3_coord *c, by_hand *b, tx_msg m);
// The messages sent in [from, to] ms; the instant of the first `what` sent after `after` (0: none).
std::string sent_between(const by_hand *b, uint64_t from, uint64_t to);
uint64_t first_sent_after(const by_hand *b, uint64_t after, const std::string &what);
// How many file descriptors this process has open (/proc/self/fd).
int open_fds();
