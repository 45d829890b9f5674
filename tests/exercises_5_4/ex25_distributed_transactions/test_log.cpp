// test_log.cpp — EX25 durable log: the record format byte for byte, fsync before append returns,
// torn and corrupt tails detected, cut off and never followed by new records, the size limits.
#include "tx_tests.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static std::string file_bytes(const std::string &path)
{
    std::string data;
    int fd = open(path.c_str(), O_RDONLY);
    char buf[8192];
    ssize_t r;
    while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0)
        data.append(buf, (size_t)r);
    if (fd >= 0)
        close(fd);
    return data;
}

static void write_bytes(const std::string &path, const std::string &data)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data.data(), data.size()) != (ssize_t)data.size())
        fail_msg("cannot write %s", path.c_str());
    close(fd);
}

static std::string hex(const std::string &s)
{
    std::string out;
    char b[4];
    for (unsigned char ch : s) {
        snprintf(b, sizeof b, "%02x", ch);
        out += b;
    }
    return out;
}

// A frame as the README fixes it, built by hand: u32 LE length, u32 LE CRC-32, payload.
static std::string frame(const std::string &payload, uint32_t crc)
{
    std::string f;
    uint32_t len = (uint32_t)payload.size();
    for (int i = 0; i < 4; i++)
        f += (char)(len >> (8 * i));
    for (int i = 0; i < 4; i++)
        f += (char)(crc >> (8 * i));
    return f + payload;
}

// CRC-32 of "START t1" (zlib's crc32, computed once outside the suite).
static const uint32_t CRC_START_T1 = 0x8969c157u;

void test_log_record_format(void **)
{
    std::string dir = fresh_dir("fmt"), path = dir + "/a.log";
    txlog *log = nullptr;
    txlog_info info{};
    int rc = txlog_open(path.c_str(), &log, &info, nullptr);
    CHECK(rc == TX_OK && log, "txlog_open(new file): expected OK, got %s", tx_rc_name(rc));
    CHECK(info.records == 0 && info.torn_bytes == 0, "new log: expected 0 records 0 torn, got %zu %llu",
          info.records, (unsigned long long)info.torn_bytes);
    CHECK(txlog_crc32("123456789", 9) == 0xCBF43926u, "txlog_crc32(\"123456789\"): expected cbf43926, got %08x",
          txlog_crc32("123456789", 9));
    CHECK(txlog_crc32("START t1", 8) == CRC_START_T1, "txlog_crc32(\"START t1\"): expected %08x, got %08x",
          CRC_START_T1, txlog_crc32("START t1", 8));
    rc = txlog_append(log, "START t1", 8, nullptr);
    CHECK(rc == TX_OK, "append \"START t1\": expected OK, got %s", tx_rc_name(rc));
    rc = txlog_append(log, "END t1", 6, nullptr);
    CHECK(rc == TX_OK, "append \"END t1\": expected OK, got %s", tx_rc_name(rc));
    std::string want = frame("START t1", CRC_START_T1) + frame("END t1", txlog_crc32("END t1", 6));
    std::string got = file_bytes(path);
    CHECK(got == want, "file after appending \"START t1\", \"END t1\": expected %s, got %s", hex(want).c_str(),
          hex(got).c_str());
    CHECK(txlog_count(log) == 2 && txlog_record(log, 1) == "END t1", "txlog_count/record after 2 appends: got %zu",
          txlog_count(log));
    txlog_close(log);
    log = nullptr;
    rc = txlog_open(path.c_str(), &log, &info, nullptr);
    CHECK(rc == TX_OK && info.records == 2 && info.good_bytes == want.size() && info.torn_bytes == 0,
          "reopen: expected 2 records, %zu good bytes, 0 torn; got %zu, %llu, %llu", want.size(), info.records,
          (unsigned long long)info.good_bytes, (unsigned long long)info.torn_bytes);
    CHECK(txlog_record(log, 0) == "START t1" && txlog_record(log, 1) == "END t1",
          "reopen: expected [START t1 | END t1], got [%s | %s]", txlog_record(log, 0).c_str(),
          txlog_record(log, 1).c_str());
    txlog_close(log);
    rm_tree(dir);
}

void test_log_fsync_before_return(void **)
{
    std::string dir = fresh_dir("sync"), path = dir + "/a.log";
    txlog *log = nullptr;
    CHECK(txlog_open(path.c_str(), &log, nullptr, nullptr) == TX_OK, "txlog_open failed");
    for (int i = 0; i < 3; i++) {
        std::string rec = "PREPARED t" + std::to_string(i);
        txlog_append(log, rec.data(), rec.size(), nullptr);
        struct stat st;
        stat(path.c_str(), &st);
        uint64_t synced = synced_bytes(path.c_str());
        CHECK(synced == (uint64_t)st.st_size,
              "after txlog_append(\"%s\") returned: expected fsync to cover the whole file (%lld bytes), fsync covered %llu",
              rec.c_str(), (long long)st.st_size, (unsigned long long)synced);
    }
    txlog_close(log);
    rm_tree(dir);
}

// Writes good records, then `tail`, opens, and checks what was kept and cut.
static void torn_case(const char *name, const std::string &tail)
{
    std::string dir = fresh_dir("torn"), path = dir + "/a.log";
    std::string good = frame("START t1", CRC_START_T1) + frame("PRECOMMIT t1", txlog_crc32("PRECOMMIT t1", 12));
    write_bytes(path, good + tail);
    txlog *log = nullptr;
    txlog_info info{};
    int rc = txlog_open(path.c_str(), &log, &info, nullptr);
    CHECK(rc == TX_OK, "%s: txlog_open: expected OK, got %s", name, tx_rc_name(rc));
    CHECK(info.records == 2 && info.good_bytes == good.size() && info.torn_bytes == tail.size(),
          "%s: expected 2 records, %zu good bytes, %zu torn bytes; got %zu, %llu, %llu", name, good.size(), tail.size(),
          info.records, (unsigned long long)info.good_bytes, (unsigned long long)info.torn_bytes);
    CHECK(txlog_count(log) == 2 && txlog_record(log, 1) == "PRECOMMIT t1", "%s: expected records [START t1 | PRECOMMIT t1], got %zu records",
          name, txlog_count(log));
    std::string after = file_bytes(path);
    CHECK(after == good, "%s: the torn tail must be cut off the file: expected %zu bytes, file has %zu", name,
          good.size(), after.size());
    txlog_close(log);
    rm_tree(dir);
}

void test_log_torn_header(void **)
{
    torn_case("3 bytes of a length header", std::string("\x0a\x00\x00", 3));
    torn_case("7 bytes of a header", frame("ABORT t1", txlog_crc32("ABORT t1", 8)).substr(0, 7));
}

void test_log_torn_payload(void **)
{
    std::string f = frame("COMMIT t1", txlog_crc32("COMMIT t1", 9));
    torn_case("header and 4 of 9 payload bytes", f.substr(0, 12));
    torn_case("all but the last payload byte", f.substr(0, f.size() - 1));
}

void test_log_bad_checksum(void **)
{
    std::string f = frame("COMMIT t1", txlog_crc32("COMMIT t1", 9));
    f[f.size() - 1] = '2'; // "COMMIT t2" under the checksum of "COMMIT t1"
    torn_case("a record whose checksum does not match", f);
    std::string g = frame("COMMIT t1", txlog_crc32("COMMIT t1", 9));
    torn_case("a length of 5000 (over the 4096 limit)", std::string("\x88\x13\x00\x00", 4) + g.substr(4));
    torn_case("a zero length", std::string(8, '\0') + g);
}

void test_log_append_after_torn_tail(void **)
{
    std::string dir = fresh_dir("torn2"), path = dir + "/a.log";
    std::string good = frame("START t1", CRC_START_T1);
    std::string torn = frame("COMMIT t1", txlog_crc32("COMMIT t1", 9)).substr(0, 10);
    write_bytes(path, good + torn);
    txlog *log = nullptr;
    CHECK(txlog_open(path.c_str(), &log, nullptr, nullptr) == TX_OK, "txlog_open failed");
    CHECK(txlog_append(log, "ABORT t1", 8, nullptr) == TX_OK, "append after a torn tail failed");
    txlog_close(log);
    std::vector<std::string> recs = disk_records(path.c_str());
    CHECK(join(recs) == "[START t1 | ABORT t1]",
          "open a log with a torn COMMIT, append \"ABORT t1\", reopen: expected [START t1 | ABORT t1], got %s",
          join(recs).c_str());
    log = nullptr;
    txlog_info info{};
    txlog_open(path.c_str(), &log, &info, nullptr);
    CHECK(info.records == 2 && info.torn_bytes == 0, "second open: expected 2 records and no torn bytes, got %zu and %llu",
          info.records, (unsigned long long)info.torn_bytes);
    txlog_close(log);
    rm_tree(dir);
}

void test_log_record_limits(void **)
{
    std::string dir = fresh_dir("lim"), path = dir + "/a.log";
    txlog *log = nullptr;
    CHECK(txlog_open(path.c_str(), &log, nullptr, nullptr) == TX_OK, "txlog_open failed");
    std::string big(TXLOG_MAX_RECORD, 'x');
    int rc = txlog_append(log, big.data(), big.size(), nullptr);
    CHECK(rc == TX_OK, "append of exactly 4096 bytes: expected OK, got %s", tx_rc_name(rc));
    std::string over(TXLOG_MAX_RECORD + 1, 'y');
    tx_error err;
    rc = txlog_append(log, over.data(), over.size(), &err);
    CHECK(rc == TX_ERR_ARG, "append of 4097 bytes: expected ERR_ARG, got %s", tx_rc_name(rc));
    CHECK(err.msg[0] != 0, "append of 4097 bytes: expected an error message, got none");
    rc = txlog_append(log, "", 0, nullptr);
    CHECK(rc == TX_ERR_ARG, "append of 0 bytes: expected ERR_ARG, got %s", tx_rc_name(rc));
    CHECK(txlog_count(log) == 1, "after one good and two refused appends: expected 1 record, got %zu", txlog_count(log));
    struct stat st;
    stat(path.c_str(), &st);
    CHECK(st.st_size == 8 + TXLOG_MAX_RECORD, "file size after the refused appends: expected %d, got %lld",
          8 + TXLOG_MAX_RECORD, (long long)st.st_size);
    txlog_close(log);
    log = nullptr;
    txlog_info info{};
    txlog_open(path.c_str(), &log, &info, nullptr);
    CHECK(info.records == 1 && txlog_record(log, 0) == big, "reopen: expected the 4096-byte record back, got %zu records",
          info.records);
    txlog_close(log);
    // I/O errors: TX_ERR_IO with errno and a message that names the file.
    txlog *none = nullptr;
    std::string missing = dir + "/no/such/dir/x.log";
    tx_error ioerr;
    rc = txlog_open(missing.c_str(), &none, nullptr, &ioerr);
    CHECK(rc == TX_ERR_IO && !none && ioerr.code == TX_ERR_IO && ioerr.sys_errno == ENOENT && strstr(ioerr.msg, missing.c_str()),
          "txlog_open in a missing folder: expected ERR_IO, errno ENOENT and the path in the message; got %s, errno %d, \"%s\"",
          tx_rc_name(rc), ioerr.sys_errno, ioerr.msg);
    CHECK(txlog_open(nullptr, &none, nullptr, &ioerr) == TX_ERR_ARG, "txlog_open(NULL path): expected ERR_ARG");
    CHECK(txlog_append(nullptr, "x", 1, &ioerr) == TX_ERR_ARG, "txlog_append(NULL log): expected ERR_ARG");
    CHECK(txlog_count(nullptr) == 0, "txlog_count(NULL): expected 0");
    rm_tree(dir);
}
