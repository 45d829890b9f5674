// tx_node.cpp — the log-then-send discipline both commit protocols share: every durable write and
// every message passes through a crash point on each side, so a test can kill the node anywhere.
#include "tx_node.h"

#include <cstdio>
#include <cstring>

bool tx_id_ok(const char *tx)
{
    if (!tx)
        return false;
    size_t len = strlen(tx);
    if (len < 1 || len > TX_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = tx[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

bool tx_crash(tx_node *n, tx_point p, const char *what)
{
    return n->io.crash && n->io.crash(n->io.ctx, n->id, p, what);
}

int tx_node_log(tx_node *n, const char *type, const std::string &tx)
{
    std::string rec = std::string(type) + " " + tx;
    if (tx_crash(n, TX_BEFORE_LOG, rec.c_str()))
        return TX_CRASHED;
    tx_error err;
    if (txlog_append(n->log, rec.data(), rec.size(), &err) != TX_OK) {
        fprintf(stderr, "node %d: %s\n", n->id, err.msg);
        return TX_ERR_IO;
    }
    if (tx_crash(n, TX_AFTER_LOG, rec.c_str()))
        return TX_CRASHED;
    return TX_OK;
}

int tx_node_send(tx_node *n, tx_msg_type t, int to, const std::string &tx, tx_state st)
{
    if (tx_crash(n, TX_BEFORE_SEND, tx_msg_name(t)))
        return TX_CRASHED;
    tx_msg m{};
    m.type = t;
    m.from = n->id;
    m.to = to;
    snprintf(m.tx, sizeof m.tx, "%s", tx.c_str());
    m.state = st;
    if (n->io.send)
        n->io.send(n->io.ctx, &m);
    if (tx_crash(n, TX_AFTER_SEND, tx_msg_name(t)))
        return TX_CRASHED;
    return TX_OK;
}

bool tx_parse_record(const std::string &rec, std::string *type, std::string *tx)
{
    size_t sp = rec.find(' ');
    if (sp == std::string::npos || sp == 0 || rec.find(' ', sp + 1) != std::string::npos)
        return false;
    *type = rec.substr(0, sp);
    *tx = rec.substr(sp + 1);
    return tx_id_ok(tx->c_str());
}

int tx_node_open(tx_node *n, const char *path, int id, const tx_io *io, tx_error *err)
{
    n->id = id;
    if (io)
        n->io = *io;
    return txlog_open(path, &n->log, nullptr, err);
}
