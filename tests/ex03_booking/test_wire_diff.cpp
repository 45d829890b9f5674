// test_wire_diff.cpp — the differential test of ex03 over its wire, the message queue: seeded
// random request scripts (list, reserve and cancel of known and unknown shows, counts at and past
// their limits, cancels of real, foreign and made-up bookings, malformed records) sent one at a time
// to the submission's booking_server and to the reference's, in each mode; every reply field the
// README fixes is compared. Booking ids are compared by their order of issue (the README leaves
// their values free), `remaining` and `count` only where the README defines them.
#include "bk_harness.h"
#include "nl_check.h"
#include "nl_clock.h"
#include "nl_test.h"
#include "nl_wire_diff.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <sys/msg.h>
#include <unistd.h>

void test_wire_diff(void **);

enum bw_kind : uint8_t { BW_LIST, BW_RESERVE, BW_CANCEL, BW_MALFORMED };
enum bw_bad : uint8_t { BW_SHORT, BW_LONG, BW_MAGIC, BW_OP, BW_NAME, BW_BAD_KINDS };

struct bw_step {
    bw_kind kind;
    uint8_t show;     // index in BW_SHOWS (the last one is unknown to the server)
    uint8_t booking;  // cancel: index in the bookings issued so far (mod their number); 255 a made-up id
    uint8_t bad;      // BW_MALFORMED: what is wrong
    int32_t count;
};

static const char *const BW_SHOWS[] = {"hamlet", "tosca", "lear", "macbeth"};
enum { BW_NSHOWS = 4, BW_REPLY_MS = 4000 };

struct bw_side {
    bk_server *srv;
    std::vector<uint64_t> ids;  // booking ids in the order this server issued them
    uint64_t tag;
};
static bw_side g_bw[2];
static const char *g_bw_mode = "seq";

static bool bw_start(void *, nl_wire_side *side)
{
    bw_side *b = &g_bw[side->which];
    b->ids.clear();
    b->tag = 100;
    b->srv = bk_new();
    std::string prog = side->bin_dir ? std::string(side->bin_dir) + "/booking_server" : "";
    std::vector<std::string> args = {"--mode", g_bw_mode, "--workers", "3", "--stock", "hamlet=5", "--stock",
                                     "tosca=12", "--stock", "lear=0"};
    side->up = bk_start_program(b->srv, prog, args) == 0;
    bk_watchdog(-1, 0);  // this test's receives have their own deadline
    return side->up;
}

static void bw_stop(void *, nl_wire_side *side)
{
    bw_side *b = &g_bw[side->which];
    if (side->up && b->srv) bk_stop(b->srv);
    side->up = false;
}

// The reply to mtype within BW_REPLY_MS: 1, or 0 when none came.
static int bw_recv(int qid, long mtype, booking_reply *r)
{
    uint64_t deadline = nl_now_ms() + BW_REPLY_MS;
    for (;;) {
        ssize_t n = msgrcv(qid, r, BOOKING_REPLY_SIZE, mtype, IPC_NOWAIT | MSG_NOERROR);
        if (n >= 0) return 1;
        if ((errno != ENOMSG && errno != EINTR) || nl_now_ms() >= deadline) return 0;
        usleep(500);
    }
}

static std::string bw_booking(const bw_side *b, uint64_t id)
{
    for (size_t i = 0; i < b->ids.size(); i++)
        if (b->ids[i] == id) return nl_fmt("#%zu", i + 1);
    return id ? "(an id never issued)" : "0";
}

static void bw_apply(void *, nl_wire_side *side, const void *op, std::string *seen)
{
    const bw_step *s = (const bw_step *)op;
    bw_side *b = &g_bw[side->which];
    if (!side->up) return;
    int qid = b->srv->qid;
    long mtype = 7000 + side->which;
    uint64_t tag = ++b->tag;
    booking_op bop = s->kind == BW_LIST ? BOOKING_OP_LIST : s->kind == BW_CANCEL ? BOOKING_OP_CANCEL : BOOKING_OP_RESERVE;
    uint64_t id = 0;
    if (s->kind == BW_CANCEL)
        id = s->booking == 255 || b->ids.empty() ? 987654321ull : b->ids[s->booking % b->ids.size()];
    booking_request q = bk_req(bop, BW_SHOWS[s->show], s->count, mtype, tag, id);
    size_t len = BOOKING_REQUEST_SIZE;
    unsigned char raw[sizeof q + 96] = {};
    memcpy(raw, &q, sizeof q);
    booking_request *rq = (booking_request *)raw;
    if (s->kind == BW_MALFORMED) {
        if (s->bad == BW_SHORT) len = 40;
        if (s->bad == BW_LONG) len += 96;
        if (s->bad == BW_MAGIC) rq->magic ^= 0x100;
        if (s->bad == BW_OP) rq->op = (booking_op)9;
        if (s->bad == BW_NAME) memset(rq->show, 'x', sizeof rq->show);
    }
    if (bk_send_raw(qid, BOOKING_MTYPE_REQUEST, raw + sizeof(long), len) != 0) {
        *seen += "(the request could not be sent)";
        return;
    }
    booking_reply r;
    if (!bw_recv(qid, mtype, &r)) {
        *seen += nl_fmt("no reply within %d ms", BW_REPLY_MS);
        return;
    }
    *seen += nl_fmt("status %d", r.status);
    if (r.tag != tag) *seen += nl_fmt(", tag %llu instead of the request's", (unsigned long long)r.tag);
    if (r.status == BOOKING_E_MALFORMED) return;
    if (r.op != bop) *seen += nl_fmt(", op %d instead of the request's", r.op);
    if (bop == BOOKING_OP_LIST) {
        std::vector<std::string> rows;
        for (int i = 0; i < r.nshows && i < BOOKING_MAX_SHOWS; i++)
            rows.push_back(nl_fmt("%.31s %d/%d sold %d", r.shows[i].name, r.shows[i].remaining, r.shows[i].capacity,
                                  r.shows[i].sold));
        std::sort(rows.begin(), rows.end());  // the README fixes the rows, not their order
        *seen += nl_fmt(", %d show(s):", r.nshows);
        for (const std::string &row : rows) *seen += " [" + row + "]";
        return;
    }
    *seen += nl_fmt(", show '%.31s'", r.show);
    if (r.status == BOOKING_E_SOLD_OUT) *seen += nl_fmt(", remaining %d, message '%.95s'", r.remaining, r.message);
    if (r.status != BOOKING_OK) return;
    if (bop == BOOKING_OP_RESERVE) {
        bool fresh = r.booking_id != 0 && std::find(b->ids.begin(), b->ids.end(), r.booking_id) == b->ids.end();
        if (fresh) b->ids.push_back(r.booking_id);
        *seen += nl_fmt(", booking %s", fresh ? bw_booking(b, r.booking_id).c_str() : "(not a new id)");
    } else {
        *seen += nl_fmt(", booking %s", bw_booking(b, r.booking_id).c_str());
    }
    *seen += nl_fmt(", count %d, remaining %d", r.count, r.remaining);
}

static void bw_gen(void *, nl_rng *rng, void *op)
{
    static const int32_t counts[] = {-1, 0, 1, 2, 3, 5, 10, 11};
    bw_step *s = (bw_step *)op;
    uint64_t r = nl_rng_below(rng, 100);
    s->kind = r < 12 ? BW_LIST : r < 55 ? BW_RESERVE : r < 90 ? BW_CANCEL : BW_MALFORMED;
    s->show = (uint8_t)nl_rng_below(rng, BW_NSHOWS - (nl_rng_chance(rng, 0.8) ? 1 : 0));
    s->count = counts[nl_rng_below(rng, sizeof counts / sizeof counts[0])];
    if (s->kind == BW_CANCEL) s->count = (int32_t)nl_rng_range(rng, 0, 4) - (nl_rng_chance(rng, 0.1) ? 5 : 0);
    s->booking = nl_rng_chance(rng, 0.1) ? 255 : (uint8_t)nl_rng_below(rng, 8);
    s->bad = (uint8_t)nl_rng_below(rng, BW_BAD_KINDS);
}

static void bw_print(void *, const void *op, char *out, size_t cap)
{
    static const char *const bad[] = {"40 bytes instead of 104", "104 + 96 bytes", "a wrong magic", "op 9",
                                      "a show name without its NUL"};
    const bw_step *s = (const bw_step *)op;
    const char *show = BW_SHOWS[s->show];
    switch (s->kind) {
    case BW_LIST: snprintf(out, cap, "list"); break;
    case BW_RESERVE: snprintf(out, cap, "reserve %s %d", show, s->count); break;
    case BW_CANCEL:
        if (s->booking == 255) snprintf(out, cap, "cancel %s, booking 987654321 (never issued), %d seat(s)", show, s->count);
        else snprintf(out, cap, "cancel %s, booking #(%d mod the bookings issued so far; a made-up id when none), %d seat(s)", show, s->booking + 1, s->count);
        break;
    case BW_MALFORMED: snprintf(out, cap, "reserve %s %d sent with %s", show, s->count, bad[s->bad]); break;
    }
}

void test_wire_diff(void **)
{
    static const nl_wire_ops ops = {sizeof(bw_step), nullptr, NL_ORACLE_BIN_DIR, bw_start, bw_stop,
                                    bw_gen,          bw_apply, bw_print};
    static const char *const modes[] = {"seq", "pool", "thread"};
    for (int m = 0; m < 3; m++) {
        g_bw_mode = modes[m];
        nl_wire_config cfg = {(uint64_t)(1 + 100 * m), 8, 24, 0};
        std::string report;
        if (nl_wire_diff_run(&ops, &cfg, &report)) NL_FAIL("in --mode %s: %s", g_bw_mode, report.c_str());
    }
}
