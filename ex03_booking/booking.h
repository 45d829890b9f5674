// booking.h — ticket booking over one System V message queue: the wire records, the shared stock
// and the server's three dispatch modes (seq, pool, thread per request). See README.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <pthread.h>
#include <sys/types.h>

// ---- The wire format: fixed-size records on one queue ------------------------------------------
// Requests carry mtype BOOKING_MTYPE_REQUEST; each reply carries the mtype the request asked for in
// reply_mtype (booking_client uses its pid). reply_mtype must be > BOOKING_MTYPE_REQUEST, or a reply
// would be read back by the server as a request.
enum { BOOKING_MTYPE_REQUEST = 1 };
enum { BOOKING_MAGIC = 0x314b4742u };  // "BGK1" in memory: rejects stray messages of mtype 1
enum { BOOKING_NAME_MAX = 32 };        // show and customer names: 1..31 bytes + NUL
enum { BOOKING_MAX_SHOWS = 16 };       // shows per server, and entries in a list reply
enum { BOOKING_MAX_SEATS_PER_REQUEST = 10 };
enum { BOOKING_MAX_CAPACITY = 1000000 };
enum { BOOKING_PROJ_ID = 'B' };        // ftok project id

enum booking_op : int32_t { BOOKING_OP_LIST = 1, BOOKING_OP_RESERVE = 2, BOOKING_OP_CANCEL = 3 };

enum booking_status : int32_t {
    BOOKING_OK = 0,
    BOOKING_E_MALFORMED = 1,   // wrong size, bad magic, unknown op, name not terminated
    BOOKING_E_UNKNOWN_SHOW = 2,
    BOOKING_E_BAD_COUNT = 3,   // count <= 0 or > BOOKING_MAX_SEATS_PER_REQUEST
    BOOKING_E_SOLD_OUT = 4,    // fewer seats left than asked
    BOOKING_E_NO_BOOKING = 5,  // cancel: no such booking id for this show
    BOOKING_E_SHUTDOWN = 6,    // the server is stopping
};

struct booking_request {       // msgsnd size: sizeof(booking_request) - sizeof(long) = 104 bytes
    long mtype;                // BOOKING_MTYPE_REQUEST
    int64_t reply_mtype;       // where the reply goes (the client's pid); first so errors can reach it
    uint64_t tag;              // chosen by the client, echoed in the reply
    uint32_t magic;            // BOOKING_MAGIC
    int32_t op;                // booking_op
    int32_t count;             // reserve: seats wanted; cancel: seats to give back (0 = whole booking)
    int32_t reserved;          // 0
    uint64_t booking_id;       // cancel: the booking to cancel
    char show[BOOKING_NAME_MAX];
    char customer[BOOKING_NAME_MAX];
};

struct booking_show_info {     // one row of a list reply
    char name[BOOKING_NAME_MAX];
    int32_t capacity;
    int32_t remaining;
    int32_t sold;
    int32_t reserved;
};

struct booking_reply {         // msgsnd size: sizeof(booking_reply) - sizeof(long) = 936 bytes
    long mtype;                // the request's reply_mtype
    uint64_t tag;              // the request's tag
    uint32_t magic;            // BOOKING_MAGIC
    int32_t op;                // the request's op (0 when the request was unreadable)
    int32_t status;            // booking_status
    int32_t count;             // seats reserved or given back
    uint64_t booking_id;       // reserve: the new booking; cancel: the cancelled one
    int32_t remaining;         // seats left for the show after the operation (-1 when unknown)
    int32_t nshows;            // list: rows used in shows[]
    char show[BOOKING_NAME_MAX];
    char message[96];          // a sentence a person can act on; empty when status is BOOKING_OK
    booking_show_info shows[BOOKING_MAX_SHOWS];
};

enum : size_t {
    BOOKING_REQUEST_SIZE = sizeof(booking_request) - sizeof(long),
    BOOKING_REPLY_SIZE = sizeof(booking_reply) - sizeof(long),
};

// ---- The shared stock (booking_stock.cpp) --------------------------------------------------------
struct booking_show {
    char name[BOOKING_NAME_MAX];
    int32_t capacity;
    int32_t remaining;         // guarded by lock
    int32_t sold;              // guarded by lock
    pthread_mutex_t lock;      // one per show: reservations of different shows never wait for each other
};

struct booking_stock;          // shows + live bookings; opaque

// Creates the stock from names and capacities (validated by the caller: see booking_check_show).
booking_stock *booking_stock_new(const char *const *names, const int32_t *capacities, int nshows,
                                 unsigned cost_us);
void booking_stock_free(booking_stock *stock);
// Empty string when name/capacity make a valid show, else why not (for CLI messages).
const char *booking_check_show(const char *name, long capacity);

// A received message as msgrcv filled it: the request plus spare bytes, so an oversized message
// (received with MSG_NOERROR) is told apart from a well-sized one by its length.
struct booking_job {
    ssize_t len;               // what msgrcv returned: the body size
    booking_request req;
    char spare[8];
};
enum : size_t { BOOKING_JOB_RECV_SIZE = sizeof(booking_request) - sizeof(long) + 8 };

// Serves one received message: validates it, applies it to the stock, fills *reply. Returns false
// when no reply can be sent (the message does not even say where to reply).
bool booking_handle(booking_stock *stock, const booking_job *job, booking_reply *reply);

// ---- The server (booking_server.cpp) -------------------------------------------------------------
enum booking_mode { BOOKING_MODE_SEQ, BOOKING_MODE_POOL, BOOKING_MODE_THREAD };

struct booking_server_config {
    booking_mode mode;
    int workers;               // pool mode
    const char *key_path;      // ftok path; created (0600) if missing
    booking_stock *stock;
};

// Opens the queue (reclaiming one left by a dead server), prints "listening on queue 0xKEY (id N)"
// on stdout, serves until SIGINT/SIGTERM, removes the queue. nl_shutdown_init() must have been
// called. Returns 0 on a clean shutdown, -1 with err filled otherwise.
int booking_server_run(const booking_server_config *cfg, char *err, size_t errlen);

// The default key path: /tmp/booking-<uid>.key (one server per user unless --key-path says otherwise).
void booking_default_key_path(char *buf, size_t len);
