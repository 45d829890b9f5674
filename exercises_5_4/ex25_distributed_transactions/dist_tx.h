// dist_tx.h — EX25 DistributedTransactions: a durable log on disk (length + CRC-32 records, write +
// fsync), 2PC and 3PC coordinators and participants that recover from their log after a crash,
// sagas with compensations and idempotent retries, and saga event sourcing from the event file.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// ---- errors ----
enum tx_rc {
    TX_OK = 0,
    TX_CRASHED = 1,  // the crash-point hook asked this node to die here: free it, reopen from its log
    TX_ERR_ARG = -1, // a bad argument (id, size, unknown transaction)
    TX_ERR_IO = -2,  // open/read/write/fsync/ftruncate failed (errno kept in tx_error.sys_errno)
    TX_ERR_STATE = -3, // the call is not allowed in the current state
};
struct tx_error {
    int code = TX_OK;
    int sys_errno = 0;
    char msg[256] = {0}; // a sentence a person can act on
};
const char *tx_rc_name(int rc);

// ---- the durable log: one file per process ----
// A record on disk: u32 length of the payload (little endian), u32 CRC-32 of the payload (IEEE,
// the zlib one: reflected 0xEDB88320, init and final xor 0xFFFFFFFF, little endian), the payload.
#define TXLOG_MAX_RECORD 4096
struct txlog;
struct txlog_info {
    size_t records;      // good records found when opening
    uint64_t good_bytes; // where the last good record ends (the file's size after open)
    uint64_t torn_bytes; // bytes after it that were dropped (a torn or corrupt tail); 0 if none
};
uint32_t txlog_crc32(const void *data, size_t len);
// Opens (creating it, mode 0644) and reads the log. Reading stops at the first record that is
// incomplete, longer than TXLOG_MAX_RECORD, empty, or fails its checksum: that record and all bytes
// after it are cut off (ftruncate + fsync) and reported in info->torn_bytes.
int txlog_open(const char *path, txlog **out, txlog_info *info, tx_error *err);
// Appends one record (1..TXLOG_MAX_RECORD bytes) and makes it durable (write, then fsync) before
// returning TX_OK.
int txlog_append(txlog *log, const char *payload, size_t len, tx_error *err);
size_t txlog_count(const txlog *log);                    // records read at open + appended since
const std::string &txlog_record(const txlog *log, size_t i); // i < txlog_count
void txlog_close(txlog *log);

// ---- protocol messages and crash points (shared by 2PC and 3PC) ----
#define TX_ID_MAX 32 // transaction ids: 1..32 chars of [A-Za-z0-9_.-]
enum tx_state {
    TX_UNKNOWN = 0,    // never heard of this transaction (or a 3PC node recovering: "ask me later")
    TX_WORKING,        // coordinator: collecting votes
    TX_PREPARED,       // participant: voted yes, does not know the outcome (in doubt / uncertain)
    TX_PRECOMMITTED,   // 3PC: every vote was yes, commit is the planned outcome
    TX_COMMITTED,
    TX_ABORTED,
};
const char *tx_state_name(tx_state s);

enum tx_msg_type {
    TX_MSG_PREPARE = 1, // 2PC prepare / 3PC CanCommit
    TX_MSG_VOTE_YES,
    TX_MSG_VOTE_NO,
    TX_MSG_PRECOMMIT,   // 3PC only
    TX_MSG_PRECOMMIT_ACK,
    TX_MSG_COMMIT,      // 2PC commit / 3PC DoCommit (also a backup coordinator's decision)
    TX_MSG_ABORT,
    TX_MSG_ACK,         // acknowledges COMMIT or ABORT
    TX_MSG_STATE_REQ,   // "what do you know about tx?"
    TX_MSG_STATE_REPLY, // carries `state`
};
const char *tx_msg_name(tx_msg_type t);

struct tx_msg {
    tx_msg_type type;
    int from, to;          // node ids: 0 is the coordinator, 1..n the participants
    char tx[TX_ID_MAX + 1];
    tx_state state;        // STATE_REPLY only
};

// Crash points: every log append a node makes is wrapped in BEFORE_LOG / AFTER_LOG (AFTER_LOG: the
// record is durable), every message it sends in BEFORE_SEND / AFTER_SEND (AFTER_SEND: the message
// is out), every saga action or compensation in BEFORE_CALL / AFTER_CALL.
enum tx_point { TX_BEFORE_LOG = 1, TX_AFTER_LOG, TX_BEFORE_SEND, TX_AFTER_SEND, TX_BEFORE_CALL, TX_AFTER_CALL };
const char *tx_point_name(tx_point p);

struct tx_io {
    void (*send)(void *ctx, const tx_msg *m);
    // Called at each crash point; `what` is the log record, the message's type name, or the saga
    // step. Returning true kills the node right there: the call returns TX_CRASHED at once, does
    // nothing more, and the node may only be freed. NULL: never crash.
    bool (*crash)(void *ctx, int node, tx_point p, const char *what);
    // A participant's vote on PREPARE: true = yes. NULL: always yes.
    bool (*vote)(void *ctx, int node, const char *tx);
    void *ctx;
};

struct tx_config {
    int participants;         // n >= 1; participants are nodes 1..n
    uint64_t vote_timeout_ms; // coordinator: votes (and 3PC pre-commit acks) awaited this long
    uint64_t retry_ms;        // resend period (decisions, state requests); 3PC: a termination round
    uint64_t term_timeout_ms; // 3PC participant: silence from the coordinator before termination
};
void tx_config_default(tx_config *cfg); // 3 participants, 100, 20, 200

// ---- Two-phase commit ----
struct tpc_coord;
struct tpc_part;
// Opening a node reads its log and recovers: what it does at open is in the README (R-rules).
int tpc_coord_open(const char *log_path, const tx_config *cfg, const tx_io *io, uint64_t now_ms,
                   tpc_coord **out, tx_error *err);
int tpc_coord_begin(tpc_coord *c, const char *tx, uint64_t now_ms, tx_error *err);
int tpc_coord_on_msg(tpc_coord *c, const tx_msg *m, uint64_t now_ms);
int tpc_coord_tick(tpc_coord *c, uint64_t now_ms);
tx_state tpc_coord_state(const tpc_coord *c, const char *tx);
void tpc_coord_free(tpc_coord *c);

int tpc_part_open(const char *log_path, int id, const tx_config *cfg, const tx_io *io, uint64_t now_ms,
                  tpc_part **out, tx_error *err);
int tpc_part_on_msg(tpc_part *p, const tx_msg *m, uint64_t now_ms);
int tpc_part_tick(tpc_part *p, uint64_t now_ms);
tx_state tpc_part_state(const tpc_part *p, const char *tx);
void tpc_part_free(tpc_part *p);

// ---- Three-phase commit ----
struct tpc3_coord;
struct tpc3_part;
int tpc3_coord_open(const char *log_path, const tx_config *cfg, const tx_io *io, uint64_t now_ms,
                    tpc3_coord **out, tx_error *err);
int tpc3_coord_begin(tpc3_coord *c, const char *tx, uint64_t now_ms, tx_error *err);
int tpc3_coord_on_msg(tpc3_coord *c, const tx_msg *m, uint64_t now_ms);
int tpc3_coord_tick(tpc3_coord *c, uint64_t now_ms);
tx_state tpc3_coord_state(const tpc3_coord *c, const char *tx);
void tpc3_coord_free(tpc3_coord *c);

int tpc3_part_open(const char *log_path, int id, const tx_config *cfg, const tx_io *io, uint64_t now_ms,
                   tpc3_part **out, tx_error *err);
int tpc3_part_on_msg(tpc3_part *p, const tx_msg *m, uint64_t now_ms);
int tpc3_part_tick(tpc3_part *p, uint64_t now_ms);
tx_state tpc3_part_state(const tpc3_part *p, const char *tx);
void tpc3_part_free(tpc3_part *p);

// The seed's known_limitations(), one sentence each.
size_t tpc3_known_limitations(const char *const **out);

// ---- Sagas ----
enum saga_type { SAGA_CHOREOGRAPHY = 1, SAGA_ORCHESTRATION };
enum saga_result { SAGA_DONE = 0, SAGA_RETRY = 1, SAGA_FAIL = 2 }; // what an action/compensation returns
// An action or compensation. (saga_id, step) is the idempotency key: a retry passes the same key.
typedef int (*saga_fn)(void *ctx, const char *saga_id, const char *step, int attempt);

enum saga_status {
    SAGA_NOT_STARTED = 0,
    SAGA_RUNNING,
    SAGA_COMPENSATING,
    SAGA_COMPLETED,   // every step done
    SAGA_COMPENSATED, // a step failed; every completed step was compensated
    SAGA_STUCK,       // a compensation kept failing: a person must look
};
const char *saga_status_name(saga_status s);

struct saga_state {
    std::string saga_id;
    saga_status status = SAGA_NOT_STARTED;
    std::vector<std::string> completed;   // steps whose action completed, in order
    std::vector<std::string> compensated; // steps compensated, in the order it happened
    std::string failed_step, error;       // the step that failed and why ("" if none)
    std::string in_flight;                // step started (action or compensation) and not finished
};

struct saga;
// A saga writing its events to the event file at event_path (a txlog). max_attempts >= 1: how many
// times an action or compensation returning SAGA_RETRY is called before giving up.
int saga_new(const char *saga_id, const char *event_path, int max_attempts, const tx_io *io, saga **out,
             tx_error *err);
int saga_add_step(saga *s, const char *name, saga_fn action, saga_fn compensation, void *ctx, tx_error *err);
// Runs (or, after a crash, resumes from the event file) to the end. Returns TX_OK with *status
// COMPLETED, COMPENSATED or STUCK, TX_CRASHED from a crash point, or an error.
int saga_execute(saga *s, saga_status *status, tx_error *err);
void saga_free(saga *s);

// Event sourcing: rebuilds one saga's state from the event file (events of other sagas ignored).
int saga_rebuild(const char *event_path, const char *saga_id, saga_state *out, tx_error *err);
