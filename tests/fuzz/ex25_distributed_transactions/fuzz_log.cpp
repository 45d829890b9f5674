// fuzz_log.cpp — libFuzzer target for EX25's log file, the input a node reads after a crash. The
// file is the input's bytes (first byte even), or records framed correctly from the input's lines
// (first byte odd: "START t1", "PREPARED t1", "s1 STEP_DONE a"... reach the recovery code).
//  - txlog_open keeps the longest prefix of good records: good_bytes + torn_bytes is the file's size,
//    the file is cut to good_bytes, and the records appended again to a new log give those bytes.
//  - 2PC and 3PC coordinators and participants, and saga_rebuild, open that log without a crash
//    or a leak, whatever its records say.
#include "dist_tx.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

static std::string dir;

static void remove_dir(void)
{
    unlink((dir + "/log").c_str());
    unlink((dir + "/again").c_str());
    rmdir(dir.c_str());
}

static void put_file(const std::string &path, const std::string &bytes)
{
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, bytes.data(), bytes.size()) != (ssize_t)bytes.size()) abort();
    close(fd);
}

static std::string get_file(const std::string &path)
{
    std::string s;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) abort();
    char buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, (size_t)n);
    close(fd);
    return s;
}

static void le32(std::string *s, uint32_t v)
{
    for (int i = 0; i < 4; i++) s->push_back((char)(v >> (8 * i)));
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir.empty()) {
        char tmpl[] = "/dev/shm/fuzz_txlog.XXXXXX";
        char tmpl2[] = "/tmp/fuzz_txlog.XXXXXX";
        const char *d = mkdtemp(tmpl);
        if (!d) d = mkdtemp(tmpl2);
        if (!d) abort();
        dir = d;
        atexit(remove_dir);
    }
    if (size < 1 || size > 16384) return 0;
    std::string file;
    if (data[0] % 2 == 0) {
        file.assign((const char *)data + 1, size - 1);
    } else {
        std::string rest((const char *)data + 1, size - 1);
        size_t pos = 0;
        while (pos <= rest.size()) {
            size_t nl = rest.find('\n', pos);
            if (nl == std::string::npos) nl = rest.size();
            std::string rec = rest.substr(pos, nl - pos);
            if (!rec.empty()) {
                le32(&file, (uint32_t)rec.size());
                le32(&file, txlog_crc32(rec.data(), rec.size()));
                file += rec;
            }
            pos = nl + 1;
        }
    }
    std::string path = dir + "/log", path2 = dir + "/again";
    put_file(path, file);
    txlog *log = nullptr;
    txlog_info info;
    tx_error err;
    if (txlog_open(path.c_str(), &log, &info, &err) != TX_OK) abort();
    if (info.good_bytes + info.torn_bytes != file.size() || info.records != txlog_count(log)) abort();
    std::string good = get_file(path);
    if (good.size() != info.good_bytes || file.compare(0, good.size(), good) != 0) abort();
    unlink(path2.c_str());
    txlog *again = nullptr;
    if (txlog_open(path2.c_str(), &again, nullptr, &err) != TX_OK) abort();
    for (size_t i = 0; i < txlog_count(log); i++) {
        const std::string &r = txlog_record(log, i);
        if (r.empty() || r.size() > TXLOG_MAX_RECORD) abort();
        if (txlog_append(again, r.data(), r.size(), &err) != TX_OK) abort();
    }
    txlog_close(again);
    txlog_close(log);
    if (get_file(path2) != good) abort();

    tx_config cfg;
    tx_config_default(&cfg);
    tx_io io = {};
    tpc_coord *c2 = nullptr;
    put_file(path, good);
    if (tpc_coord_open(path.c_str(), &cfg, &io, 0, &c2, &err) == TX_OK) {
        tpc_coord_tick(c2, 1000);
        tpc_coord_free(c2);
    }
    tpc_part *p2 = nullptr;
    put_file(path, good);
    if (tpc_part_open(path.c_str(), 1, &cfg, &io, 0, &p2, &err) == TX_OK) {
        tpc_part_tick(p2, 1000);
        tpc_part_free(p2);
    }
    tpc3_coord *c3 = nullptr;
    put_file(path, good);
    if (tpc3_coord_open(path.c_str(), &cfg, &io, 0, &c3, &err) == TX_OK) {
        tpc3_coord_tick(c3, 1000);
        tpc3_coord_free(c3);
    }
    tpc3_part *p3 = nullptr;
    put_file(path, good);
    if (tpc3_part_open(path.c_str(), 1, &cfg, &io, 0, &p3, &err) == TX_OK) {
        tpc3_part_tick(p3, 1000);
        tpc3_part_free(p3);
    }
    put_file(path, good);
    saga_state st;
    saga_rebuild(path.c_str(), "s1", &st, &err);
    return 0;
}
