// by_hand.cpp — EX25 suite: the by-hand driver of by_hand.h (a recorder for one node's sends and
// crash points, hand-made messages and logs, ticks on the virtual clock).
#include "by_hand.h"

#include <cstdio>
#include <dirent.h>

static void bh_send(void *ctx, const tx_msg *m)
{
    by_hand *b = static_cast<by_hand *>(ctx);
    std::string s = std::to_string(m->from) + ">" + std::to_string(m->to) + " " + tx_msg_name(m->type);
    if (m->type == TX_MSG_STATE_REPLY)
        s += std::string(" ") + tx_state_name(m->state);
    b->sent.push_back(s);
    b->at.push_back(b->now);
}

static bool bh_crash(void *ctx, int, tx_point, const char *)
{
    by_hand *b = static_cast<by_hand *>(ctx);
    return ++b->points == b->crash_at;
}

tx_io bh_io(by_hand *b) { return tx_io{bh_send, bh_crash, nullptr, b}; }

bench::bench(const char *tag) : dir(fresh_dir(tag))
{
    tx_config_default(&cfg);
    io = bh_io(&b);
}

bench::~bench() { rm_tree(dir); }

tx_msg msg(tx_msg_type t, int from, int to, const char *tx, tx_state st)
{
    tx_msg m{};
    m.type = t;
    m.from = from;
    m.to = to;
    snprintf(m.tx, sizeof m.tx, "%s", tx);
    m.state = st;
    return m;
}

void write_log(const std::string &path, const std::vector<std::string> &recs)
{
    txlog *log = nullptr;
    tx_error err;
    if (txlog_open(path.c_str(), &log, nullptr, &err) != TX_OK)
        fail_msg("cannot set up %s: %s", path.c_str(), err.msg);
    for (const std::string &r : recs)
        if (txlog_append(log, r.data(), r.size(), &err) != TX_OK)
            fail_msg("cannot set up %s: %s", path.c_str(), err.msg);
    txlog_close(log);
}

int saga_ok(void *ctx, const char *, const char *, int)
{
    static_cast<by_hand *>(ctx)->calls++;
    return SAGA_DONE;
}

void tick3_until(tpc3_part *p, by_hand *b, uint64_t until)
{
    while (b->now < until) {
        b->now++;
        int rc = tpc3_part_tick(p, b->now);
        CHECK(rc == TX_OK, "tpc3_part_tick(%llu) returned %s", (unsigned long long)b->now, tx_rc_name(rc));
    }
}

void tick3c_until(tpc3_coord *c, by_hand *b, uint64_t until)
{
    while (b->now < until) {
        b->now++;
        int rc = tpc3_coord_tick(c, b->now);
        CHECK(rc == TX_OK, "tpc3_coord_tick(%llu) returned %s", (unsigned long long)b->now, tx_rc_name(rc));
    }
}

void deliver3(tpc3_part *p, by_hand *b, tx_msg m)
{
    int rc = tpc3_part_on_msg(p, &m, b->now);
    CHECK(rc == TX_OK, "at %llu ms, delivering %s from %d returned %s", (unsigned long long)b->now, tx_msg_name(m.type),
          m.from, tx_rc_name(rc));
}

void deliver3c(tpc3_coord *c, by_hand *b, tx_msg m)
{
    int rc = tpc3_coord_on_msg(c, &m, b->now);
    CHECK(rc == TX_OK, "at %llu ms, delivering %s from %d to the coordinator returned %s", (unsigned long long)b->now,
          tx_msg_name(m.type), m.from, tx_rc_name(rc));
}

std::string sent_between(const by_hand *b, uint64_t from, uint64_t to)
{
    std::vector<std::string> v;
    for (size_t i = 0; i < b->sent.size(); i++)
        if (b->at[i] >= from && b->at[i] <= to)
            v.push_back(b->sent[i]);
    return join(v);
}

uint64_t first_sent_after(const by_hand *b, uint64_t after, const std::string &what)
{
    for (size_t i = 0; i < b->sent.size(); i++)
        if (b->at[i] > after && b->sent[i] == what)
            return b->at[i];
    return 0;
}

int open_fds()
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        fail_msg("cannot list /proc/self/fd");
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}
