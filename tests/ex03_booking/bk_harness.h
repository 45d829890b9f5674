// bk_harness.h — black-box test harness for booking_server: a private key file, starting the server
// and waiting for "listening on queue 0xKEY (id N)", raw protocol calls, a watchdog that turns any
// blocked receive into a failure, /proc readings, and a teardown that leaves no queue behind.
#pragma once
#include "booking.h"

#include <cstdint>
#include <pthread.h>
#include <string>
#include <sys/types.h>
#include <vector>

struct bk_server {
    pid_t pid = -1;
    int out_fd = -1;            // the server's stdout and stderr, merged
    pthread_t drain;
    bool drain_started = false;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    std::string output;         // everything it printed (guarded by lock)
    bool exited = false;
    int status = 0;
    std::string key_path;
    key_t key = -1;
    int qid = -1;               // from the listening line
};

// A server object owned by the harness (freed by bk_teardown, so a failed test cannot leave
// teardown with a dangling pointer).
bk_server *bk_new(void);

// A fresh key file in the test's own temporary folder whose ftok key names no existing queue.
std::string bk_key_file(void);

// Starts booking_server with args + "--key-path <key_path>" (key_path from bk_key_file() when empty).
// Waits up to timeout_ms for its listening line. Returns 0, or -1 with the reason printed.
int bk_start(bk_server *s, const std::vector<std::string> &args, int timeout_ms = 10000);
// The same with another booking_server program (a full path: the wire test's reference server).
int bk_start_program(bk_server *s, const std::string &program, const std::vector<std::string> &args,
                     int timeout_ms = 10000);
// SIGTERM (or sig) and wait; the exit code, or -1 when killed by a signal / not exited in time.
int bk_stop(bk_server *s, int sig = 0, int timeout_ms = 10000);
bool bk_wait_exit(bk_server *s, int timeout_ms);
bool bk_output_contains(bk_server *s, const char *needle, int timeout_ms);
// SIGSTOP and wait until the kernel reports it stopped; SIGCONT.
bool bk_pause(bk_server *s);
void bk_resume(bk_server *s);

// The teardown every test registers: kills what is left, removes every queue a test created,
// deletes the temporary folder.
int bk_teardown(void **state);

// Receives are blocking; a watchdog removes the queue after timeout_ms so that a missing reply
// ends the test with EIDRM instead of hanging. bk_watchdog() (re)arms it; 0 disarms.
// bk_start arms it for its server with BK_DEFAULT_WATCHDOG_MS.
enum { BK_DEFAULT_WATCHDOG_MS = 20000 };
void bk_watchdog(int qid, int timeout_ms);
bool bk_watchdog_fired(void);

booking_request bk_req(booking_op op, const char *show, int count, int64_t reply_mtype, uint64_t tag,
                       uint64_t booking_id = 0);
int bk_send(int qid, const booking_request *req);                 // 0 or -1
int bk_send_raw(int qid, long mtype, const void *body, size_t len);
// Blocking receive of the next reply for mtype; 0, or -1 (queue removed: watchdog) with errno.
int bk_recv(int qid, int64_t mtype, booking_reply *reply);
// Any reply (any mtype but the request's), without waiting: 1 got one, 0 none.
int bk_try_recv_any(int qid, booking_reply *reply, ssize_t *len);
// send + recv; the reply's tag is checked by the caller.
int bk_call(int qid, const booking_request *req, booking_reply *reply);
// The stock as a list request sees it; -1 for an unknown show.
int bk_show_state(int qid, const char *show, int *remaining, int *sold, int *capacity);

// /proc/<pid>/status fields in kB (VmSize, VmRSS, VmData) or count (Threads); -1 if unknown.
long bk_proc_status(pid_t pid, const char *field);
