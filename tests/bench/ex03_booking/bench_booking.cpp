// bench_booking.cpp — requests/s of booking_server in seq, pool and thread mode at 1, 8 and 64
// concurrent clients, with and without per-request work (--cost-us), beside a bare msgrcv/msgsnd
// echo loop on the same kind of queue (the transport's ceiling, no stock, no threads).
// Each client thread loops: reserve 1 seat of show (i % 16), cancel that booking: 2 requests.
//   bench_booking --bin DIR [--secs S] [--clients "1 8 64"] [--costs "0 1000"] [--workers N]
#include "nl_opt.h"
#include "booking.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <string>
#include <sstream>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vector>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct target {
    pid_t pid = -1;         // booking_server, or -1 for the in-process echo
    int qid = -1;
    pthread_t echo;
    std::atomic<bool> stop{false};
};

// The peer: the least a server on this queue can do per request (receive, send a reply record).
static void *echo_main(void *arg)
{
    target *t = (target *)arg;
    booking_request req;
    booking_reply rep;
    memset(&rep, 0, sizeof rep);
    rep.magic = BOOKING_MAGIC;
    while (!t->stop.load()) {
        ssize_t n = msgrcv(t->qid, &req, BOOKING_REQUEST_SIZE, BOOKING_MTYPE_REQUEST, MSG_NOERROR);
        if (n < 0) break;
        if (req.reply_mtype <= 1) continue;
        rep.mtype = req.reply_mtype;
        rep.tag = req.tag;
        rep.op = req.op;
        rep.booking_id = 1;
        if (msgsnd(t->qid, &rep, BOOKING_REPLY_SIZE, 0) < 0) break;
    }
    return nullptr;
}

static bool start_server(target *t, const std::string &bin, const std::string &key_path, const char *mode,
                         unsigned cost_us, int workers)
{
    int p[2];
    if (pipe(p) < 0) return false;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        setenv("NETLAB_LOG", "warn", 1);  // keep the table readable
        std::vector<std::string> args = {bin + "/booking_server", "--mode", mode, "--workers", std::to_string(workers),
                                         "--cost-us", std::to_string(cost_us), "--key-path", key_path};
        for (int i = 0; i < 16; i++) {
            args.push_back("--stock");
            args.push_back("s" + std::to_string(i) + "=1000000");
        }
        std::vector<char *> av;
        for (std::string &a : args) av.push_back((char *)a.c_str());
        av.push_back(nullptr);
        execv(av[0], av.data());
        _exit(127);
    }
    close(p[1]);
    std::string line;
    char c;
    struct pollfd pfd = {p[0], POLLIN, 0};
    while (poll(&pfd, 1, 10000) > 0 && read(p[0], &c, 1) == 1 && c != '\n') line.push_back(c);
    close(p[0]);  // the server logs to stderr; stdout has nothing more to say
    unsigned key;
    if (sscanf(line.c_str(), "listening on queue 0x%x (id %d)", &key, &t->qid) != 2) {
        fprintf(stderr, "bench: booking_server did not start: '%s'\n", line.c_str());
        kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return false;
    }
    t->pid = pid;
    return true;
}

static void stop_target(target *t)
{
    if (t->pid > 0) {
        kill(t->pid, SIGTERM);
        int st;
        waitpid(t->pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) fprintf(stderr, "bench: booking_server did not exit cleanly\n");
        t->pid = -1;
    } else {
        t->stop.store(true);
        msgctl(t->qid, IPC_RMID, nullptr);  // wakes the echo thread
        pthread_join(t->echo, nullptr);
    }
}

struct client {
    int qid;
    int index;
    double until;
    long done = 0;
    long errors = 0;
};

static void *client_main(void *arg)
{
    client *c = (client *)arg;
    char show[8];
    snprintf(show, sizeof show, "s%d", c->index % 16);
    int64_t mtype = 100000 + c->index;
    uint64_t tag = 0;
    booking_request req;
    memset(&req, 0, sizeof req);
    req.mtype = BOOKING_MTYPE_REQUEST;
    req.reply_mtype = mtype;
    req.magic = BOOKING_MAGIC;
    snprintf(req.show, sizeof req.show, "%s", show);
    snprintf(req.customer, sizeof req.customer, "bench");
    booking_reply rep;
    while (now_s() < c->until) {
        req.op = BOOKING_OP_RESERVE;
        req.count = 1;
        req.tag = ++tag;
        if (msgsnd(c->qid, &req, BOOKING_REQUEST_SIZE, 0) < 0 ||
            msgrcv(c->qid, &rep, BOOKING_REPLY_SIZE, mtype, MSG_NOERROR) < 0)
            break;
        c->done++;
        if (rep.status != BOOKING_OK || rep.tag != tag) c->errors++;
        req.op = BOOKING_OP_CANCEL;
        req.count = 0;
        req.booking_id = rep.booking_id;
        req.tag = ++tag;
        if (msgsnd(c->qid, &req, BOOKING_REQUEST_SIZE, 0) < 0 ||
            msgrcv(c->qid, &rep, BOOKING_REPLY_SIZE, mtype, MSG_NOERROR) < 0)
            break;
        c->done++;
        if (rep.status != BOOKING_OK || rep.tag != tag) c->errors++;
    }
    return nullptr;
}

static double run_load(int qid, int nclients, double secs, long *errors)
{
    std::vector<client> cs((size_t)nclients);
    std::vector<pthread_t> tids((size_t)nclients);
    double t0 = now_s();
    for (int i = 0; i < nclients; i++) {
        cs[(size_t)i].qid = qid;
        cs[(size_t)i].index = i;
        cs[(size_t)i].until = t0 + secs;
        pthread_create(&tids[(size_t)i], nullptr, client_main, &cs[(size_t)i]);
    }
    long done = 0;
    *errors = 0;
    for (int i = 0; i < nclients; i++) {
        pthread_join(tids[(size_t)i], nullptr);
        done += cs[(size_t)i].done;
        *errors += cs[(size_t)i].errors;
    }
    return (double)done / (now_s() - t0);
}

int main(int argc, char **argv)
{
    static const char USAGE[] =
        "usage: bench_booking --bin DIR [--secs S] [--clients \"1 8 64\"] [--costs \"0 1000\"] [--workers N]\n";
    const char *bin_s = "build/bin", *clients_c = "1 8 64", *costs_c = "0 1000";
    double secs = 2;
    uint64_t nworkers = 8;
    const nl_opt opts[] = {
        {"bin", NL_OPT_STRING, &bin_s},
        {"secs", NL_OPT_DOUBLE, &secs, 0, 0, 0.1, 3600},
        {"clients", NL_OPT_STRING, &clients_c},
        {"costs", NL_OPT_STRING, &costs_c},
        {"workers", NL_OPT_U64, &nworkers, 1, 64},
    };
    int prc = nl_opt_parse(argc, argv, "bench_booking", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : 2;
    std::string bin = bin_s, clients_s = clients_c, costs_s = costs_c;
    int workers = (int)nworkers;
    std::vector<int> clients, costs;
    std::istringstream a(clients_s), b(costs_s);
    for (int v; a >> v;) clients.push_back(v);
    for (int v; b >> v;) costs.push_back(v);
    char dir[] = "/tmp/bench-booking-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    std::string key_path = std::string(dir) + "/key";
    close(open(key_path.c_str(), O_CREAT | O_WRONLY, 0600));
    signal(SIGPIPE, SIG_IGN);

    printf("booking_server, %g s per cell, each client: reserve + cancel in a loop, 16 shows, pool of %d workers\n",
           secs, workers);
    printf("%-8s %-7s %8s %12s %10s %14s\n", "cost_us", "mode", "clients", "requests/s", "vs seq", "vs raw queue");
    const char *modes[] = {"raw", "seq", "pool", "thread"};
    int rc = 0;
    for (int cost : costs) {
        for (int n : clients) {
            double raw = 0, seq = 0;
            for (const char *mode : modes) {
                if (!strcmp(mode, "raw") && cost != costs[0]) continue;  // the peer does no work: one row is enough
                target t;
                if (!strcmp(mode, "raw")) {
                    t.qid = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
                    pthread_create(&t.echo, nullptr, echo_main, &t);
                } else if (!start_server(&t, bin, key_path, mode, (unsigned)cost, workers)) {
                    rc = 1;
                    continue;
                }
                long errors = 0;
                double rps = run_load(t.qid, n, secs, &errors);
                stop_target(&t);
                if (!strcmp(mode, "raw")) raw = rps;
                if (!strcmp(mode, "seq")) seq = rps;
                char vs_seq[16] = "-", vs_raw[16] = "-";
                if (seq > 0 && strcmp(mode, "raw")) snprintf(vs_seq, sizeof vs_seq, "%.2fx", rps / seq);
                if (raw > 0 && strcmp(mode, "raw")) snprintf(vs_raw, sizeof vs_raw, "%.2fx", rps / raw);
                printf("%-8d %-7s %8d %12.0f %10s %14s%s\n", cost, mode, n, rps, vs_seq, vs_raw,
                       errors ? "  (errors!)" : "");
                fflush(stdout);
                if (errors) rc = 1;
            }
        }
    }
    unlink(key_path.c_str());
    rmdir(dir);
    return rc;
}
