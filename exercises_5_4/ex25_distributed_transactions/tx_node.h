// tx_node.h — what the 2PC and 3PC nodes share: a log append and a send, each between its two
// crash points, and the parsing of "<TYPE> <tx>" log records. Internal to EX25 (not the API).
#pragma once
#include "dist_tx.h"

#include <string>

struct tx_node {
    int id = 0;
    tx_io io{};
    txlog *log = nullptr;
};

bool tx_id_ok(const char *tx);
bool tx_crash(tx_node *n, tx_point p, const char *what);
// "<type> <tx>" made durable between BEFORE_LOG and AFTER_LOG: TX_OK, TX_CRASHED or TX_ERR_IO.
int tx_node_log(tx_node *n, const char *type, const std::string &tx);
// One message between BEFORE_SEND and AFTER_SEND: TX_OK or TX_CRASHED.
int tx_node_send(tx_node *n, tx_msg_type t, int to, const std::string &tx, tx_state st = TX_UNKNOWN);
// Splits a record "<type> <tx>"; false when it does not have that shape.
bool tx_parse_record(const std::string &rec, std::string *type, std::string *tx);
// Opens the node's log (err filled on failure).
int tx_node_open(tx_node *n, const char *path, int id, const tx_io *io, tx_error *err);
