// txlog.cpp — EX25's durable log: length + CRC-32 framed records, each made durable (write + fsync)
// before append returns; a torn or corrupt tail left by a crash is detected and cut off at open.
#include "dist_tx.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

struct txlog {
    int fd = -1;
    std::vector<std::string> recs;
};

static int fail(tx_error *err, int code, int sys, const char *fmt, const char *a, const char *b = "")
{
    if (err) {
        err->code = code;
        err->sys_errno = sys;
        snprintf(err->msg, sizeof err->msg, fmt, a, b);
    }
    return code;
}

uint32_t txlog_crc32(const void *data, size_t len)
{
    static uint32_t table[256];
    static bool ready = false;
    if (!ready) { // benign race: every thread computes the same table
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = true;
    }
    const unsigned char *p = static_cast<const unsigned char *>(data);
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < len; i++)
        c = table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

// Reads the whole file; false on a read error.
static bool slurp(int fd, std::string *out)
{
    char buf[65536];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0)
            return true;
        out->append(buf, (size_t)n);
    }
}

int txlog_open(const char *path, txlog **out, txlog_info *info, tx_error *err)
{
    if (!path || !out)
        return fail(err, TX_ERR_ARG, 0, "txlog_open: %s%s", "path and out must not be NULL");
    *out = nullptr;
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return fail(err, TX_ERR_IO, errno, "cannot open log '%s': %s", path, strerror(errno));
    std::string data;
    if (!slurp(fd, &data)) {
        int e = errno;
        close(fd);
        return fail(err, TX_ERR_IO, e, "cannot read log '%s': %s", path, strerror(e));
    }
    txlog *log = new txlog;
    log->fd = fd;
    size_t pos = 0;
    const unsigned char *d = reinterpret_cast<const unsigned char *>(data.data());
    while (data.size() - pos >= 8) {
        uint32_t len = get_le32(d + pos), crc = get_le32(d + pos + 4);
        if (len == 0 || len > TXLOG_MAX_RECORD || data.size() - pos - 8 < len)
            break;
        if (txlog_crc32(d + pos + 8, len) != crc)
            break;
        log->recs.emplace_back(data.data() + pos + 8, len);
        pos += 8 + len;
    }
    // Whatever follows the last good record is a write the crash interrupted: cut it off so the
    // next append does not land after garbage.
    if (pos < data.size()) {
        if (ftruncate(fd, (off_t)pos) != 0 || fsync(fd) != 0) {
            int e = errno;
            txlog_close(log);
            return fail(err, TX_ERR_IO, e, "cannot cut the torn tail of '%s': %s", path, strerror(e));
        }
    }
    if (lseek(fd, (off_t)pos, SEEK_SET) < 0) {
        int e = errno;
        txlog_close(log);
        return fail(err, TX_ERR_IO, e, "cannot seek in '%s': %s", path, strerror(e));
    }
    if (info) {
        info->records = log->recs.size();
        info->good_bytes = pos;
        info->torn_bytes = data.size() - pos;
    }
    *out = log;
    return TX_OK;
}

int txlog_append(txlog *log, const char *payload, size_t len, tx_error *err)
{
    if (!log || !payload || len == 0 || len > TXLOG_MAX_RECORD)
        return fail(err, TX_ERR_ARG, 0, "txlog_append: %s%s", "a record is 1..4096 bytes");
    std::string frame(8 + len, '\0');
    unsigned char *f = reinterpret_cast<unsigned char *>(&frame[0]);
    put_le32(f, (uint32_t)len);
    put_le32(f + 4, txlog_crc32(payload, len));
    memcpy(f + 8, payload, len);
    size_t off = 0;
    while (off < frame.size()) {
        ssize_t n = write(log->fd, frame.data() + off, frame.size() - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail(err, TX_ERR_IO, errno, "log write failed: %s%s", strerror(errno));
        off += (size_t)n;
    }
    if (fsync(log->fd) != 0)
        return fail(err, TX_ERR_IO, errno, "log fsync failed: %s%s", strerror(errno));
    log->recs.emplace_back(payload, len);
    return TX_OK;
}

size_t txlog_count(const txlog *log) { return log ? log->recs.size() : 0; }

const std::string &txlog_record(const txlog *log, size_t i) { return log->recs[i]; }

void txlog_close(txlog *log)
{
    if (!log)
        return;
    if (log->fd >= 0)
        close(log->fd);
    delete log;
}

const char *tx_rc_name(int rc)
{
    switch (rc) {
    case TX_OK: return "OK";
    case TX_CRASHED: return "CRASHED";
    case TX_ERR_ARG: return "ERR_ARG";
    case TX_ERR_IO: return "ERR_IO";
    case TX_ERR_STATE: return "ERR_STATE";
    }
    return "?";
}

const char *tx_state_name(tx_state s)
{
    switch (s) {
    case TX_UNKNOWN: return "UNKNOWN";
    case TX_WORKING: return "WORKING";
    case TX_PREPARED: return "PREPARED";
    case TX_PRECOMMITTED: return "PRECOMMITTED";
    case TX_COMMITTED: return "COMMITTED";
    case TX_ABORTED: return "ABORTED";
    }
    return "?";
}

const char *tx_msg_name(tx_msg_type t)
{
    switch (t) {
    case TX_MSG_PREPARE: return "PREPARE";
    case TX_MSG_VOTE_YES: return "VOTE_YES";
    case TX_MSG_VOTE_NO: return "VOTE_NO";
    case TX_MSG_PRECOMMIT: return "PRECOMMIT";
    case TX_MSG_PRECOMMIT_ACK: return "PRECOMMIT_ACK";
    case TX_MSG_COMMIT: return "COMMIT";
    case TX_MSG_ABORT: return "ABORT";
    case TX_MSG_ACK: return "ACK";
    case TX_MSG_STATE_REQ: return "STATE_REQ";
    case TX_MSG_STATE_REPLY: return "STATE_REPLY";
    }
    return "?";
}

const char *tx_point_name(tx_point p)
{
    switch (p) {
    case TX_BEFORE_LOG: return "before-log";
    case TX_AFTER_LOG: return "after-log";
    case TX_BEFORE_SEND: return "before-send";
    case TX_AFTER_SEND: return "after-send";
    case TX_BEFORE_CALL: return "before-call";
    case TX_AFTER_CALL: return "after-call";
    }
    return "?";
}

void tx_config_default(tx_config *cfg)
{
    cfg->participants = 3;
    cfg->vote_timeout_ms = 100;
    cfg->retry_ms = 20;
    cfg->term_timeout_ms = 200;
}
