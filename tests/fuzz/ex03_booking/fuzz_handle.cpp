// fuzz_handle.cpp — libFuzzer target for ex03_booking's booking_handle: a sequence of messages, some
// raw bytes of any length (as msgrcv with MSG_NOERROR hands them over), some well-formed requests
// with chosen fields, go to one stock of two shows. Each reply must be what a model of the README's
// rules gives (no reply without a reply address above 1; malformed, unknown show, bad count, sold
// out, no booking, in that order; seats, remaining, booking ids), every message a NUL-terminated
// sentence exactly when the status is an error, and the list reply the model's stock.
#include "booking.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

static const char *const NAMES[2] = {"matrix", "dune"};
static const int32_t CAPS[2] = {7, 12};

struct model {
    int32_t remaining[2] = {CAPS[0], CAPS[1]};
    std::map<uint64_t, std::pair<int, int32_t>> bookings;  // id -> show, seats
    uint64_t next_id = 1;
};

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_handle: %s\n", what);
        abort();
    }
}

static void expect(model *m, const booking_job *job, const booking_reply *r, bool replied)
{
    const booking_request *q = &job->req;
    check(replied == (job->len >= 8 && q->reply_mtype > BOOKING_MTYPE_REQUEST), "reply iff a reply address");
    if (!replied) return;
    check(r->mtype == q->reply_mtype && r->magic == BOOKING_MAGIC, "reply address and magic");
    check(memchr(r->message, 0, sizeof r->message) != nullptr, "message terminated");
    int status = BOOKING_OK;
    int show = -1;
    bool names = memchr(q->show, 0, BOOKING_NAME_MAX) && memchr(q->customer, 0, BOOKING_NAME_MAX);
    if (job->len != (ssize_t)BOOKING_REQUEST_SIZE || q->magic != BOOKING_MAGIC ||
        (q->op != BOOKING_OP_LIST && q->op != BOOKING_OP_RESERVE && q->op != BOOKING_OP_CANCEL) || !names) {
        status = BOOKING_E_MALFORMED;
    } else if (q->op != BOOKING_OP_LIST) {
        for (int i = 0; i < 2; i++)
            if (!strcmp(q->show, NAMES[i])) show = i;
        if (show < 0) status = BOOKING_E_UNKNOWN_SHOW;
        else if (q->op == BOOKING_OP_RESERVE && (q->count < 1 || q->count > BOOKING_MAX_SEATS_PER_REQUEST))
            status = BOOKING_E_BAD_COUNT;
        else if (q->op == BOOKING_OP_CANCEL && q->count < 0)
            status = BOOKING_E_BAD_COUNT;
    }
    if (job->len >= 16) check(r->tag == q->tag, "tag echoed");
    if (status == BOOKING_OK && q->op == BOOKING_OP_RESERVE) {
        if (q->count > m->remaining[show]) {
            status = BOOKING_E_SOLD_OUT;
            check(r->remaining == m->remaining[show], "sold out: remaining");
        } else {
            m->remaining[show] -= q->count;
            check(r->booking_id == m->next_id && r->count == q->count, "reserve: id and seats");
            check(r->remaining == m->remaining[show], "reserve: remaining");
            m->bookings[m->next_id++] = {show, q->count};
        }
    } else if (status == BOOKING_OK && q->op == BOOKING_OP_CANCEL) {
        auto it = m->bookings.find(q->booking_id);
        if (it == m->bookings.end() || it->second.first != show || q->count > it->second.second) {
            status = BOOKING_E_NO_BOOKING;
        } else {
            int32_t n = q->count ? q->count : it->second.second;
            it->second.second -= n;
            if (!it->second.second) m->bookings.erase(it);
            m->remaining[show] += n;
            check(r->count == n && r->booking_id == q->booking_id, "cancel: seats and id");
            check(r->remaining == m->remaining[show], "cancel: remaining");
        }
    } else if (status == BOOKING_OK) {
        check(r->nshows == 2, "list: rows");
        for (int i = 0; i < 2; i++) {
            const booking_show_info *row = &r->shows[i];
            check(!strcmp(row->name, NAMES[i]) && row->capacity == CAPS[i], "list: name and capacity");
            check(row->remaining == m->remaining[i] && row->sold == CAPS[i] - m->remaining[i], "list: seats");
        }
    }
    if (r->status != status) {
        fprintf(stderr, "fuzz_handle: status %d, the model says %d (len %zd, op %d)\n", (int)r->status, status,
                job->len, (int)q->op);
        abort();
    }
    check((status == BOOKING_OK) == (r->message[0] == 0), "a message exactly for an error");
    if (status != BOOKING_OK && status != BOOKING_E_SOLD_OUT) check(r->remaining == -1, "error: remaining -1");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    booking_stock *st = booking_stock_new(NAMES, CAPS, 2, 0);
    if (!st) abort();
    model m;
    size_t pos = 0;
    auto next = [&]() -> uint8_t { return pos < size ? data[pos++] : 0; };
    while (pos < size) {
        booking_job job;
        memset(&job, 0, sizeof job);
        uint8_t c = next();
        if (c & 0x80) {  // raw: a length, then that many body bytes
            size_t len = next() % (BOOKING_JOB_RECV_SIZE + 1);
            size_t n = len < size - pos ? len : size - pos;
            memcpy((char *)&job.req + sizeof(long), data + pos, n);
            pos += n;
            job.len = (ssize_t)len;
        } else {  // a request with chosen fields
            job.len = BOOKING_REQUEST_SIZE;
            job.req.mtype = BOOKING_MTYPE_REQUEST;
            job.req.reply_mtype = (c & 0x40) ? (int64_t)(next() % 3) : 4242;
            job.req.tag = next();
            job.req.magic = BOOKING_MAGIC;
            int ops[4] = {BOOKING_OP_LIST, BOOKING_OP_RESERVE, BOOKING_OP_CANCEL, (int8_t)next()};
            job.req.op = ops[c & 3];
            uint8_t s = next() % 4;
            if (s < 2) snprintf(job.req.show, sizeof job.req.show, "%s", NAMES[s]);
            else if (s == 2) snprintf(job.req.show, sizeof job.req.show, "%s", "nope");
            else memset(job.req.show, 'x', sizeof job.req.show);  // not terminated
            snprintf(job.req.customer, sizeof job.req.customer, "c%u", (unsigned)(c >> 2 & 0xf));
            job.req.count = (int8_t)next();
            if (c & 0x20) {  // any int32
                uint32_t v = 0;
                for (int k = 0; k < 4; k++) v = v << 8 | next();
                job.req.count = (int32_t)v;
            }
            job.req.booking_id = next() % 8;
        }
        booking_reply r;
        memset(&r, 0x5a, sizeof r);
        bool replied = booking_handle(st, &job, &r);
        expect(&m, &job, &r, replied);
    }
    booking_stock_free(st);
    return 0;
}
