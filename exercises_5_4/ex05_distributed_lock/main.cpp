// main.cpp — lock_demo: drives a lock service from commands on stdin with a virtual clock, so a
// student can watch leases expire, tokens grow and waiters get the lock without waiting for real.
#include "distributed_lock.h"
#include "nl_opt.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>

static uint64_t virtual_now;
static uint64_t virtual_clock(void *) { return virtual_now; }

static const char USAGE[] =
    "usage: lock_demo [--max-lease MS] [--default-lease MS]\n"
    "commands on stdin, one per line (time is virtual and starts at 0):\n"
    "  acquire LOCK CLIENT [LEASE_MS] [wait]   release LOCK CLIENT TOKEN\n"
    "  renew LOCK CLIENT TOKEN [MS]            valid LOCK TOKEN\n"
    "  advance MS     tick     list     help\n";

static void print_events(const std::vector<dlock_event> &evs)
{
    static const char *names[] = {"expired", "expiring-soon", "granted"};
    for (const dlock_event &e : evs)
        printf("event %s %s holder=%s token=%llu%s\n", names[e.kind], e.lock_id.c_str(), e.holder.c_str(),
               (unsigned long long)e.token,
               e.kind == DLOCK_EV_EXPIRING_SOON ? (" remaining=" + std::to_string(e.remaining_ms)).c_str() : "");
}

int main(int argc, char **argv)
{
    dlock_config cfg;
    dlock_config_default(&cfg);
    cfg.clock = {virtual_clock, nullptr};
    uint64_t v0 = cfg.max_lease_ms, v1 = cfg.default_lease_ms;
    const nl_opt opts[] = {
        {"max-lease", NL_OPT_U64, &v0, 1, 86400000},
        {"default-lease", NL_OPT_U64, &v1, 1, 86400000},
    };
    int prc = nl_opt_parse(argc, argv, "lock_demo", USAGE, opts, sizeof opts / sizeof opts[0], nullptr);
    if (prc != NL_OPT_OK) return prc == NL_OPT_HELP ? 0 : 2;
    cfg.max_lease_ms = v0;
    cfg.default_lease_ms = v1;
    dlock_service *svc = dlock_new(&cfg);
    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string cmd, lock, client, extra;
        unsigned long long n = 0;
        in >> cmd;
        dlock_error err{};
        dlock_err rc = DLOCK_OK;
        if (cmd.empty() || cmd[0] == '#') continue;
        if (cmd == "acquire" && (in >> lock >> client)) {
            uint64_t lease = 0;
            if (in >> n) lease = n;
            in >> extra;
            dlock_acquire_result res;
            rc = dlock_try_acquire(svc, lock.c_str(), client.c_str(), lease, nullptr, extra == "wait", &res, &err);
            if (rc == DLOCK_OK && res.kind == DLOCK_ACQUIRED)
                printf("acquired %s token=%llu expires_at=%llu\n", lock.c_str(), (unsigned long long)res.token,
                       (unsigned long long)res.expires_at_ms);
            else if (rc == DLOCK_OK && res.kind == DLOCK_ALREADY_HELD)
                printf("already-held %s holder=%s\n", lock.c_str(), res.holder.c_str());
            else if (rc == DLOCK_OK)
                printf("waiting %s position=%zu\n", lock.c_str(), res.position);
        } else if (cmd == "release" && (in >> lock >> client >> n)) {
            rc = dlock_release(svc, lock.c_str(), client.c_str(), n, &err);
            if (rc == DLOCK_OK) printf("released %s\n", lock.c_str());
        } else if (cmd == "renew" && (in >> lock >> client >> n)) {
            unsigned long long ext = 0;
            in >> ext;
            uint64_t exp = 0;
            rc = dlock_renew(svc, lock.c_str(), client.c_str(), n, ext, &exp, &err);
            if (rc == DLOCK_OK) printf("renewed %s expires_at=%llu\n", lock.c_str(), (unsigned long long)exp);
        } else if (cmd == "valid" && (in >> lock >> n)) {
            bool v = false;
            rc = dlock_is_valid(svc, lock.c_str(), n, &v, &err);
            if (rc == DLOCK_OK) printf("%s\n", v ? "valid" : "invalid");
        } else if (cmd == "advance" && (in >> n)) {
            virtual_now += n;
            printf("now=%llu\n", (unsigned long long)virtual_now);
        } else if (cmd == "tick") {
            print_events(dlock_tick(svc));
        } else if (cmd == "list") {
            for (const dlock_info &i : dlock_list(svc))
                printf("lock %s holder=%s token=%llu expires_at=%llu\n", i.lock_id.c_str(), i.holder.c_str(),
                       (unsigned long long)i.token, (unsigned long long)i.expires_at_ms);
        } else if (cmd == "help") {
            fputs(USAGE, stdout);
        } else {
            printf("error: cannot parse '%s' (try 'help')\n", line.c_str());
        }
        if (rc != DLOCK_OK) printf("error: %s: %s\n", dlock_err_name(rc), err.message.c_str());
        fflush(stdout);
    }
    dlock_free(svc);
    return 0;
}
