// client.cpp — booking_client: one request, one reply, printed for a person.
//   booking_client [--key-path P] [--timeout-ms N] [--name WHO] list | reserve SHOW SEATS | cancel SHOW BOOKING [SEATS]
// Exit status: 0 done, 1 refused by the server (the reason is printed), 2 usage, 3 no server/no reply.
#include "booking.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <getopt.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: booking_client [--key-path P] [--timeout-ms N] [--name WHO] COMMAND\n"
            "  list                          shows, seats sold and left\n"
            "  reserve SHOW SEATS            book 1..%d seats; prints the booking id\n"
            "  cancel SHOW BOOKING [SEATS]   give back a booking (or only SEATS of it)\n"
            "exit: 0 done, 1 refused by the server, 2 usage, 3 no server or no reply\n",
            BOOKING_MAX_SEATS_PER_REQUEST);
}

static void on_alarm(int) {}  // only there to interrupt msgrcv

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool copy_name(char *dst, const char *src, const char *what)
{
    if (strlen(src) >= BOOKING_NAME_MAX || !*src) {
        fprintf(stderr, "booking_client: %s must be 1..%d bytes\n", what, BOOKING_NAME_MAX - 1);
        return false;
    }
    snprintf(dst, BOOKING_NAME_MAX, "%s", src);
    return true;
}

static int print_reply(const booking_reply *r)
{
    if (r->status != BOOKING_OK) {
        fprintf(stderr, "booking_client: refused: %s\n", r->message);
        return 1;
    }
    if (r->op == BOOKING_OP_LIST) {
        printf("%-20s %8s %8s %8s\n", "SHOW", "SEATS", "SOLD", "LEFT");
        for (int i = 0; i < r->nshows && i < BOOKING_MAX_SHOWS; i++)
            printf("%-20.31s %8d %8d %8d\n", r->shows[i].name, r->shows[i].capacity, r->shows[i].sold,
                   r->shows[i].remaining);
    } else if (r->op == BOOKING_OP_RESERVE) {
        printf("booking %llu: %d seat(s) for %.31s, %d left\n", (unsigned long long)r->booking_id, r->count, r->show,
               r->remaining);
    } else {
        printf("cancelled %d seat(s) of booking %llu for %.31s, %d left\n", r->count,
               (unsigned long long)r->booking_id, r->show, r->remaining);
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"key-path", required_argument, nullptr, 'k'}, {"timeout-ms", required_argument, nullptr, 't'},
        {"name", required_argument, nullptr, 'n'},     {"help", no_argument, nullptr, 'h'},
        {nullptr, 0, nullptr, 0},
    };
    char key_path[256];
    booking_default_key_path(key_path, sizeof key_path);
    long timeout_ms = 5000;
    const char *who = getenv("USER") ? getenv("USER") : "guest";
    int c;
    while ((c = getopt_long(argc, argv, "+", opts, nullptr)) != -1) {
        switch (c) {
        case 'k': snprintf(key_path, sizeof key_path, "%s", optarg); break;
        case 't':
            if (!parse_long(optarg, 1, 3600000, &timeout_ms)) {
                fprintf(stderr, "booking_client: --timeout-ms must be 1..3600000\n");
                return 2;
            }
            break;
        case 'n': who = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    int nargs = argc - optind;
    char **a = argv + optind;
    booking_request req;
    memset(&req, 0, sizeof req);
    req.mtype = BOOKING_MTYPE_REQUEST;
    req.reply_mtype = getpid();
    req.magic = BOOKING_MAGIC;
    long v;
    if (nargs == 1 && !strcmp(a[0], "list")) {
        req.op = BOOKING_OP_LIST;
    } else if (nargs == 3 && !strcmp(a[0], "reserve")) {
        req.op = BOOKING_OP_RESERVE;
        if (!copy_name(req.show, a[1], "SHOW")) return 2;
        if (!parse_long(a[2], 1, BOOKING_MAX_SEATS_PER_REQUEST, &v)) {
            fprintf(stderr, "booking_client: SEATS must be 1..%d, not '%s'\n", BOOKING_MAX_SEATS_PER_REQUEST, a[2]);
            return 2;
        }
        req.count = (int32_t)v;
    } else if ((nargs == 3 || nargs == 4) && !strcmp(a[0], "cancel")) {
        req.op = BOOKING_OP_CANCEL;
        if (!copy_name(req.show, a[1], "SHOW")) return 2;
        char *end;
        errno = 0;
        unsigned long long id = strtoull(a[2], &end, 10);
        if (errno || end == a[2] || *end || id == 0) {
            fprintf(stderr, "booking_client: BOOKING must be a booking id (from reserve), not '%s'\n", a[2]);
            return 2;
        }
        req.booking_id = id;
        if (nargs == 4) {
            if (!parse_long(a[3], 1, BOOKING_MAX_CAPACITY, &v)) {
                fprintf(stderr, "booking_client: SEATS must be a positive number, not '%s'\n", a[3]);
                return 2;
            }
            req.count = (int32_t)v;
        }
    } else {
        usage(stderr);
        return 2;
    }
    if (!copy_name(req.customer, who, "--name")) return 2;

    key_t key = ftok(key_path, BOOKING_PROJ_ID);
    int qid = key == (key_t)-1 ? -1 : msgget(key, 0);
    if (qid < 0) {
        fprintf(stderr, "booking_client: no server on %s (%s): start booking_server first\n", key_path,
                strerror(errno));
        return 3;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    req.tag = ((uint64_t)getpid() << 32) ^ (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 20);

    // SIGALRM without SA_RESTART: a server that never answers turns msgsnd/msgrcv into EINTR.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, nullptr);
    struct itimerval it = {{0, 0}, {timeout_ms / 1000, (timeout_ms % 1000) * 1000}};
    setitimer(ITIMER_REAL, &it, nullptr);

    if (msgsnd(qid, &req, BOOKING_REQUEST_SIZE, 0) < 0) {
        fprintf(stderr, "booking_client: cannot send the request: %s\n",
                errno == EINTR ? "queue full and no server draining it" : strerror(errno));
        return 3;
    }
    booking_reply reply;
    for (;;) {
        ssize_t n = msgrcv(qid, &reply, BOOKING_REPLY_SIZE, req.reply_mtype, MSG_NOERROR);
        if (n < 0) {
            fprintf(stderr, "booking_client: no reply: %s\n",
                    errno == EINTR ? "timed out (is the server running?)"
                    : errno == EIDRM ? "the server went away"
                                      : strerror(errno));
            return 3;
        }
        // A reply left behind by an earlier client with the same pid has another tag: skip it.
        if (n == (ssize_t)BOOKING_REPLY_SIZE && reply.magic == BOOKING_MAGIC && reply.tag == req.tag) break;
    }
    return print_reply(&reply);
}
