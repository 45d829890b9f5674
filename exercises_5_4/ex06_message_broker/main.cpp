// main.cpp — broker_demo: a message broker driven by commands on stdin with a virtual clock, to watch
// key partitioning, group assignment, rebalancing and redelivery after the ack timeout.
#include "message_broker.h"
#include "nl_opt.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

static uint64_t virtual_now;
static uint64_t virtual_clock(void *) { return virtual_now; }

enum : unsigned { DEMO_MAX_PARTITIONS = 1024 };

static const char USAGE[] =
    "usage: broker_demo [--ack-timeout MS] [--max-unacked N]\n"
    "commands on stdin (time is virtual, starts at 0):\n"
    "  topic NAME PARTITIONS [RETENTION_MS]     join GROUP CONSUMER TOPIC[,TOPIC...] [amo|alo]\n"
    "  leave GROUP CONSUMER                     assign GROUP CONSUMER\n"
    "  pub TOPIC KEY|- PAYLOAD                  poll GROUP CONSUMER MAX\n"
    "  ack GROUP CONSUMER TOPIC PARTITION OFFSET\n"
    "  seek GROUP CONSUMER TOPIC PARTITION OFFSET|begin|end\n"
    "  advance MS     cleanup     stats     help\n"
    "PARTITIONS is 0..1024 here (0: the broker's default).\n";

int main(int argc, char **argv)
{
    mb_config cfg;
    mb_config_default(&cfg);
    cfg.clock = {virtual_clock, nullptr};
    uint64_t v0 = cfg.ack_timeout_ms, v1 = cfg.max_unacked_messages;
    const nl_opt opts[] = {
        {"ack-timeout", NL_OPT_U64, &v0, 1, 86400000},
        {"max-unacked", NL_OPT_U64, &v1, 1, 1000000},
    };
    int prc = nl_opt_parse(argc, argv, "broker_demo", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : 2;
    cfg.ack_timeout_ms = v0;
    cfg.max_unacked_messages = v1;
    mb_broker *b = mb_new(&cfg);
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd, a, c, t, x;
        unsigned long long n = 0, p = 0;
        in >> cmd;
        if (cmd.empty() || cmd[0] == '#') continue;
        mb_error err{};
        mb_err rc = MB_OK;
        if (cmd == "topic" && (in >> a >> n) && n > DEMO_MAX_PARTITIONS) {
            // The library takes any count; the demo, reading anyone's stdin, does not allocate millions.
            printf("error: at most %u partitions per topic in this demo\n", DEMO_MAX_PARTITIONS);
            continue;
        } else if (cmd == "topic" && !in.fail()) {
            mb_topic_config tc{a, (uint32_t)n, 0, 0};
            if (in >> p) tc.retention_ms = p;
            rc = mb_create_topic(b, &tc, &err);
            if (!rc) printf("topic %s partitions=%llu\n", a.c_str(), n);
        } else if (cmd == "join" && (in >> a >> c >> t)) {
            std::vector<std::string> topics;
            std::stringstream ts(t);
            for (std::string one; std::getline(ts, one, ',');) topics.push_back(one);
            in >> x;
            rc = mb_join_group(b, a.c_str(), c.c_str(), topics, x == "amo" ? MB_AT_MOST_ONCE : MB_AT_LEAST_ONCE, &err);
        } else if (cmd == "leave" && (in >> a >> c)) {
            rc = mb_leave_group(b, a.c_str(), c.c_str(), &err);
        } else if (cmd == "assign" && (in >> a >> c)) {
            printf("%s owns", c.c_str());
            for (auto &tp : mb_assignment(b, a.c_str(), c.c_str())) printf(" %s:%u", tp.first.c_str(), tp.second);
            printf("\n");
        } else if (cmd == "pub" && (in >> t >> a)) {
            mb_message m{};
            m.has_key = a != "-";
            if (m.has_key) m.key = a;
            std::getline(in >> std::ws, m.payload);
            mb_publish_result r;
            rc = mb_publish(b, t.c_str(), &m, &r, &err);
            if (!rc) printf("published %s:%u@%llu\n", r.topic.c_str(), r.partition, (unsigned long long)r.offset);
        } else if (cmd == "poll" && (in >> a >> c >> n)) {
            std::vector<mb_consumed> got;
            rc = mb_poll(b, a.c_str(), c.c_str(), n, 0, &got, &err);
            for (auto &m : got)
                printf("%s got %s:%u@%llu %s\n", c.c_str(), m.topic.c_str(), m.partition, (unsigned long long)m.offset,
                       m.message.payload.c_str());
            if (!rc && got.empty()) printf("%s got nothing\n", c.c_str());
        } else if (cmd == "ack" && (in >> a >> c >> t >> p >> n)) {
            rc = mb_acknowledge(b, a.c_str(), c.c_str(), {{{t, (uint32_t)p}, n}}, &err);
            if (!rc) printf("acked %s:%llu through %llu\n", t.c_str(), p, n);
        } else if (cmd == "seek" && (in >> a >> c >> t >> p >> x)) {
            if (x == "begin") rc = mb_seek_to_beginning(b, a.c_str(), c.c_str(), t.c_str(), p, &err);
            else if (x == "end") rc = mb_seek_to_end(b, a.c_str(), c.c_str(), t.c_str(), p, &err);
            else rc = mb_seek(b, a.c_str(), c.c_str(), t.c_str(), p, strtoull(x.c_str(), nullptr, 10), &err);
        } else if (cmd == "advance" && (in >> n)) {
            virtual_now += n;
            printf("now=%llu\n", (unsigned long long)virtual_now);
        } else if (cmd == "cleanup") {
            printf("removed %zu\n", mb_cleanup_expired(b));
        } else if (cmd == "stats") {
            mb_stats s = mb_get_stats(b);
            printf("messages=%llu topics=%zu partitions=%zu groups=%zu\n", (unsigned long long)s.total_messages,
                   s.total_topics, s.total_partitions, s.total_consumer_groups);
        } else if (cmd == "help") {
            fputs(USAGE, stdout);
        } else {
            printf("error: cannot parse '%s' (try 'help')\n", line.c_str());
        }
        if (rc != MB_OK) printf("error: %s: %s\n", mb_err_name(rc), err.message.c_str());
        fflush(stdout);
    }
    mb_free(b);
    return 0;
}
