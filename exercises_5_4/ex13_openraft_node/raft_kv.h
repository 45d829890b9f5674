// raft_kv.h — EX13 OpenRaftNode: a replicated key-value node built on libraft (the C Raft library
// behind dqlite). libraft does elections, replication, the disk log and the TCP transport; you write
// the state machine (kv_fsm.cpp), the client protocol (kv_proto.cpp) and the node (raft_kv_node.cpp).
#pragma once
#include "kv_raft_c.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

/* ---- limits (README rules R2, R3) ---- */
#define KV_MAX_KEY 64      // bytes; a key is 1..64 bytes with no space, tab, CR or LF
#define KV_MAX_VALUE 1024  // bytes; a value is 0..1024 bytes (the rest of the line)
#define KV_MAX_LINE 2048   // bytes of one request line, "\n" included

/* ---- commands: what goes into the Raft log (kv_fsm.cpp) ---- */
enum kv_op : uint8_t { KV_SET = 1, KV_DEL = 2 };

struct kv_cmd {
    kv_op op = KV_SET;
    std::string key;
    std::string value;   // empty for KV_DEL
};

// Encodes a command as one log entry, byte for byte as README "Log entry format" says:
// op(1) 0(1) key_len(2 LE) value_len(4 LE) key value, zero-padded to a multiple of 8.
// out->base comes from raft_malloc (libraft frees it). Returns 0, or RAFT_INVALID for a command
// outside the limits (then out is untouched), RAFT_NOMEM.
int kv_cmd_encode(const kv_cmd *cmd, struct raft_buffer *out);
// Decodes one entry. Returns 0, or RAFT_MALFORMED (bad op, lengths past the buffer or the limits,
// non-zero padding, padding of 8 bytes or more); *cmd is only written on success.
int kv_cmd_decode(const void *data, size_t len, kv_cmd *cmd);

/* ---- the state machine ---- */
struct kv_store {
    std::map<std::string, std::string> data;
    uint64_t applied = 0;    // commands applied since the store was created or restored
};

// Applies one decoded command to the store (SET replaces, DEL of a missing key does nothing).
void kv_store_apply(kv_store *st, const kv_cmd *cmd);
// Looks a key up: true and *value set when present.
bool kv_store_get(const kv_store *st, const std::string &key, std::string *value);

// Snapshot of the whole map, byte for byte as README "Snapshot format" says:
// "KVS1" count(4 LE), then for each key in ascending byte order: key_len(4 LE) value_len(4 LE) key value.
// out->base comes from raft_malloc. Returns 0 or RAFT_NOMEM.
int kv_snapshot_encode(const kv_store *st, struct raft_buffer *out);
// Replaces st->data by the snapshot's content. Returns 0, or RAFT_MALFORMED (the store is then
// left exactly as it was).
int kv_snapshot_decode(const void *data, size_t len, kv_store *st);

// Fills a raft_fsm (version 1) whose apply/snapshot/restore work on st:
//  apply decodes the entry and applies it (a malformed entry is skipped, never an error: a committed
//  entry must not stop the node), *result is always NULL; snapshot returns one buffer
//  (kv_snapshot_encode); restore replaces the store and frees buf->base with raft_free.
void kv_fsm_init(struct raft_fsm *fsm, kv_store *st);

/* ---- the client protocol (kv_proto.cpp) ---- */
enum kv_req_type { KV_REQ_SET, KV_REQ_GET, KV_REQ_DEL, KV_REQ_ADD, KV_REQ_REMOVE, KV_REQ_STATUS };

struct kv_request {
    kv_req_type type = KV_REQ_STATUS;
    std::string key;
    std::string value;
    uint64_t id = 0;          // ADD, REMOVE
    std::string address;      // ADD: the new node's Raft address host:port
};

// Parses one request line (without its "\n"; a trailing "\r" is ignored). Returns 0, or -1 with
// *err set to the exact error reply the README gives (without "\n").
int kv_parse_request(const char *line, size_t len, kv_request *req, std::string *err);

// "unavailable", "follower", "candidate", "leader" for RAFT_UNAVAILABLE..RAFT_LEADER, else "unknown".
const char *raft_kv_state_name(int state);

/* ---- the node (raft_kv_node.cpp) ---- */
struct raft_kv_config {
    uint64_t id = 0;                    // >= 1
    const char *data_dir = nullptr;     // the node's own folder (libraft's segments and snapshots)
    const char *host = "127.0.0.1";     // client listener
    uint16_t port = 0;                  // client port, 0 picks a free one
    const char *raft_address = nullptr; // host:port peers use to reach this node (stored in the log)
    const char *raft_bind = nullptr;    // host:port to bind for Raft, when not raft_address (a proxy)
    bool bootstrap = false;             // first start of the first node: a one-voter configuration
    unsigned election_ms = 1000;
    unsigned heartbeat_ms = 100;
    unsigned snapshot_threshold = 1024; // entries between snapshots
    unsigned snapshot_trailing = 128;   // entries kept after a snapshot
};

// Runs the node until SIGINT or SIGTERM: prints "listening on HOST:PORT" (the client port) as its
// first stdout line, serves clients, and returns 0 after a clean shutdown, or -1 with err filled.
int raft_kv_run(const raft_kv_config *cfg, char *err, size_t errlen);
