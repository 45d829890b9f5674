// nl_wire_diff.h — wire-level differential tests of server exercises: the same seeded random client
// script runs against the submission's server and against the reference server (built from the
// pristine reference as an oracle program: mk/exercise.mk ORACLE_PROGS), what each answered to each
// step is compared, and a difference is shrunk to the shortest failing script, printed with its seed.
//
// The exercise describes one step of a script as a plain struct (op_size bytes, copied with memcpy)
// and says how to run it on one side and what of the answers the subject fixes (`seen`): only that
// text is compared, so timing and the interleaving between clients stay free. A step must stay
// meaningful whatever ran before it (shrinking drops steps): name clients by a small index.
//
//   static const nl_wire_ops ops = {sizeof(step), &ctx, NL_ORACLE_BIN_DIR, start, stop, gen, apply, print};
//   NL_WIRE_DIFF_CHECK(&ops, nl_wire_config{1, 30, 16, 0});   // seeds 1..30, 16 steps each
#pragma once
#include "nl_sim.h"
#include "nl_test.h"
#include "nl_testproc.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

enum { NL_WIRE_SUB = 0, NL_WIRE_ORACLE = 1, NL_WIRE_CLIENTS = 16, NL_WIRE_REPLY_MS = 4000 };

struct nl_wire_side {
    int which;                  // NL_WIRE_SUB or NL_WIRE_ORACLE
    const char *name;           // "submission" or "reference", for messages
    const char *bin_dir;        // where this side's programs are (the oracle's, or NETLAB_BIN_DIR)
    nl_server srv;              // the server, when started with nl_wire_start_tcp
    bool up;                    // the server is running
    int fds[NL_WIRE_CLIENTS];   // the script's clients: -1 until connected and after a close
    void *priv;                 // the exercise's own state for this side (a model, queue ids...)
};

struct nl_wire_ops {
    size_t op_size;
    void *ctx;
    const char *oracle_bin_dir; // NL_ORACLE_BIN_DIR (set by mk/exercise.mk when ORACLE_PROGS is set)
    // Starts a fresh server for side (nl_wire_start_tcp); false when it does not come up.
    bool (*start)(void *ctx, nl_wire_side *side);
    // Stops it and forgets its clients (nl_wire_stop_tcp); called before every restart and at the end.
    void (*stop)(void *ctx, nl_wire_side *side);
    void (*gen)(void *ctx, nl_rng *rng, void *op);
    // Runs one step on side and appends what the subject fixes of the answers to *seen.
    void (*apply)(void *ctx, nl_wire_side *side, const void *op, std::string *seen);
    void (*print)(void *ctx, const void *op, char *out, size_t cap);  // one line: "c2 sends 'QUIT\n'"
};

struct nl_wire_config {
    uint64_t first_seed;  // seeds first_seed .. first_seed + seeds - 1
    int seeds;
    int ops;              // steps per script
    int shrink_ms;        // wall-clock budget for shrinking a failing script (0: 10000)
};

// Runs the scripts. 0 when both sides answered alike everywhere; 1 with *report: the seed, the
// shrunk script (one numbered line per step) and the answers of both sides to its last step.
int nl_wire_diff_run(const nl_wire_ops *ops, const nl_wire_config *cfg, std::string *report);

#define NL_WIRE_DIFF_CHECK(ops, ...)                                        \
    do {                                                                    \
        std::string nl_wire_report_;                                        \
        nl_wire_config nl_wire_cfg_ = __VA_ARGS__;                          \
        if (nl_wire_diff_run((ops), &nl_wire_cfg_, &nl_wire_report_))       \
            fail_msg("%s", nl_wire_report_.c_str());                        \
    } while (0)

// ---- helpers for TCP servers ----------------------------------------------------------------------
// Starts <side's bin dir>/<program> args... (which print "listening on HOST:PORT"); false on failure.
bool nl_wire_start_tcp(nl_wire_side *side, const char *program, const std::vector<std::string> &args);
// Closes every client and stops the server (SIGTERM, then SIGKILL after a deadline).
void nl_wire_stop_tcp(nl_wire_side *side);
// Client c's socket, connected to the side's server; -1 when not connected.
int nl_wire_connect(nl_wire_side *side, int c);
void nl_wire_close(nl_wire_side *side, int c, bool reset);  // a FIN, or an RST (SO_LINGER 0)
// Reads one line of client c within NL_WIRE_REPLY_MS: 1 with *line, 0 on EOF, -1 on timeout.
int nl_wire_line(nl_wire_side *side, int c, std::string *line);
// Appends "c<c> <- 'line'" to *seen for each of n lines, "c<c> <- EOF" (and closes the client) or
// "c<c> <- (nothing within N ms)" when the line does not come.
void nl_wire_expect_lines(nl_wire_side *side, int c, int n, std::string *seen);
// Appends "c<c> <- EOF" when the server closes c within NL_WIRE_REPLY_MS, else what came instead.
void nl_wire_expect_eof(nl_wire_side *side, int c, std::string *seen);
