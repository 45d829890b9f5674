// booking_stock.cpp — the shared stock and the handling of one request: validation, list, reserve,
// cancel. Safe to call from any number of threads at once: each show has its own mutex, the live
// bookings have theirs, and no code path holds two locks at a time.
#include "booking.h"

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <new>
#include <unordered_map>

struct booking_record {
    int show;
    int32_t count;
};

struct booking_stock {
    booking_show shows[BOOKING_MAX_SHOWS];
    int nshows;
    unsigned cost_us;
    pthread_mutex_t bookings_lock;
    uint64_t next_id;                                      // guarded by bookings_lock
    std::unordered_map<uint64_t, booking_record> bookings;  // guarded by bookings_lock
};

const char *booking_check_show(const char *name, long capacity)
{
    size_t n = strnlen(name, BOOKING_NAME_MAX);
    if (n == 0) return "a show needs a name";
    if (n >= BOOKING_NAME_MAX) return "show names are at most 31 bytes";
    for (size_t i = 0; i < n; i++)
        if (name[i] <= ' ' || name[i] == 0x7f || name[i] == '=') return "show names are printable, without spaces or '='";
    if (capacity < 0 || capacity > BOOKING_MAX_CAPACITY) return "a show has 0..1000000 seats";
    return "";
}

booking_stock *booking_stock_new(const char *const *names, const int32_t *capacities, int nshows, unsigned cost_us)
{
    if (nshows < 1 || nshows > BOOKING_MAX_SHOWS) return nullptr;
    booking_stock *st = new (std::nothrow) booking_stock();
    if (!st) return nullptr;
    st->nshows = nshows;
    st->cost_us = cost_us;
    st->next_id = 1;
    pthread_mutex_init(&st->bookings_lock, nullptr);
    for (int i = 0; i < nshows; i++) {
        booking_show *s = &st->shows[i];
        snprintf(s->name, sizeof s->name, "%s", names[i]);
        s->capacity = s->remaining = capacities[i];
        s->sold = 0;
        pthread_mutex_init(&s->lock, nullptr);
    }
    return st;
}

void booking_stock_free(booking_stock *st)
{
    if (!st) return;
    for (int i = 0; i < st->nshows; i++) pthread_mutex_destroy(&st->shows[i].lock);
    pthread_mutex_destroy(&st->bookings_lock);
    delete st;
}

// The per-request work (--cost-us): in a real system, writing the booking to disk or asking the
// payment service. It sits between the seat check and the commit, so it is part of what the show's
// mutex must cover.
static void booking_work(const booking_stock *st)
{
    if (st->cost_us == 0) return;
    struct timespec ts = {(time_t)(st->cost_us / 1000000), (long)(st->cost_us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

static int find_show(const booking_stock *st, const char *name)
{
    for (int i = 0; i < st->nshows; i++)
        if (strcmp(st->shows[i].name, name) == 0) return i;
    return -1;
}

static bool fail(booking_reply *r, booking_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(booking_reply *r, booking_status status, const char *fmt, ...)
{
    r->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof r->message, fmt, ap);
    va_end(ap);
    return true;
}

static bool terminated(const char *s) { return memchr(s, '\0', BOOKING_NAME_MAX) != nullptr; }

static void handle_list(booking_stock *st, booking_reply *r)
{
    r->nshows = st->nshows;
    for (int i = 0; i < st->nshows; i++) {
        booking_show *s = &st->shows[i];
        booking_show_info *row = &r->shows[i];
        memcpy(row->name, s->name, sizeof row->name);
        row->capacity = s->capacity;
        pthread_mutex_lock(&s->lock);
        row->remaining = s->remaining;
        row->sold = s->sold;
        pthread_mutex_unlock(&s->lock);
    }
    booking_work(st);  // formatting a big listing: outside every lock
}

static void handle_reserve(booking_stock *st, const booking_request *req, int idx, booking_reply *r)
{
    booking_show *s = &st->shows[idx];
    pthread_mutex_lock(&s->lock);
    if (s->remaining < req->count) {
        int32_t left = s->remaining;
        pthread_mutex_unlock(&s->lock);
        r->remaining = left;
        fail(r, BOOKING_E_SOLD_OUT, "only %d seat(s) left for %s", (int)left, s->name);
        return;
    }
    booking_work(st);
    s->remaining -= req->count;
    s->sold += req->count;
    r->remaining = s->remaining;
    pthread_mutex_unlock(&s->lock);

    pthread_mutex_lock(&st->bookings_lock);
    uint64_t id = st->next_id++;
    st->bookings[id] = booking_record{idx, req->count};
    pthread_mutex_unlock(&st->bookings_lock);
    r->booking_id = id;
    r->count = req->count;
}

static void handle_cancel(booking_stock *st, const booking_request *req, int idx, booking_reply *r)
{
    // Take the seats out of the booking first, then give them back to the show: a second cancel of
    // the same booking finds nothing left to give back.
    int32_t n = 0;
    pthread_mutex_lock(&st->bookings_lock);
    auto it = st->bookings.find(req->booking_id);
    if (it != st->bookings.end() && it->second.show == idx && req->count <= it->second.count) {
        n = req->count == 0 ? it->second.count : req->count;
        it->second.count -= n;
        if (it->second.count == 0) st->bookings.erase(it);
    }
    pthread_mutex_unlock(&st->bookings_lock);
    if (n == 0) {
        fail(r, BOOKING_E_NO_BOOKING, "no booking %llu for %s with %d seat(s) to cancel",
             (unsigned long long)req->booking_id, st->shows[idx].name, (int)(req->count ? req->count : 1));
        return;
    }
    booking_show *s = &st->shows[idx];
    pthread_mutex_lock(&s->lock);
    booking_work(st);
    s->remaining += n;
    s->sold -= n;
    r->remaining = s->remaining;
    pthread_mutex_unlock(&s->lock);
    r->booking_id = req->booking_id;
    r->count = n;
}

bool booking_handle(booking_stock *st, const booking_job *job, booking_reply *r)
{
    const booking_request *req = &job->req;
    memset(r, 0, sizeof *r);
    r->magic = BOOKING_MAGIC;
    r->remaining = -1;
    // The reply address is the first field, so even a short or garbled message can get its error
    // back; an address that is not above the request mtype would be read back as a request.
    if (job->len < (ssize_t)sizeof req->reply_mtype || req->reply_mtype <= BOOKING_MTYPE_REQUEST) return false;
    if (job->len >= (ssize_t)(offsetof(booking_request, tag) + sizeof req->tag - sizeof(long))) r->tag = req->tag;

    if (job->len != (ssize_t)BOOKING_REQUEST_SIZE)
        fail(r, BOOKING_E_MALFORMED, "malformed request: %zd bytes, expected %zu", job->len,
             (size_t)BOOKING_REQUEST_SIZE);
    else if (req->magic != BOOKING_MAGIC)
        fail(r, BOOKING_E_MALFORMED, "malformed request: bad magic 0x%08x", (unsigned)req->magic);
    else if (req->op != BOOKING_OP_LIST && req->op != BOOKING_OP_RESERVE && req->op != BOOKING_OP_CANCEL)
        fail(r, BOOKING_E_MALFORMED, "malformed request: unknown op %d", (int)req->op);
    else if (!terminated(req->show) || !terminated(req->customer))
        fail(r, BOOKING_E_MALFORMED, "malformed request: show or customer name not NUL-terminated");
    if (r->status != BOOKING_OK) {
        r->mtype = req->reply_mtype;
        return true;
    }

    r->op = req->op;
    if (req->op == BOOKING_OP_LIST) {
        handle_list(st, r);
    } else {
        memcpy(r->show, req->show, sizeof r->show);
        int idx = find_show(st, req->show);
        if (idx < 0)
            fail(r, BOOKING_E_UNKNOWN_SHOW, "unknown show '%s' (try: booking_client list)", req->show);
        else if (req->op == BOOKING_OP_RESERVE && (req->count <= 0 || req->count > BOOKING_MAX_SEATS_PER_REQUEST))
            fail(r, BOOKING_E_BAD_COUNT, "seat count must be 1..%d, got %d", BOOKING_MAX_SEATS_PER_REQUEST,
                 (int)req->count);
        else if (req->op == BOOKING_OP_CANCEL && req->count < 0)
            fail(r, BOOKING_E_BAD_COUNT, "cancel count must be 0 (whole booking) or positive, got %d",
                 (int)req->count);
        else if (req->op == BOOKING_OP_RESERVE)
            handle_reserve(st, req, idx, r);
        else
            handle_cancel(st, req, idx, r);
    }
    // Read the address and tag last, from the request as it is now: the request must stay this
    // thread's own until the reply is built (see the stack-request mutant).
    r->mtype = req->reply_mtype;
    r->tag = req->tag;
    return true;
}
