// main.cpp — registry_demo: drives a registry from commands on stdin, on a virtual clock, and
// prints every response (given to students, not graded).
#include "service_registry.h"
#include "nl_opt.h"

#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

static uint64_t virtual_ms = 0;
static uint64_t virtual_now(void *) { return virtual_ms; }

static const char USAGE[] =
    "usage: registry_demo [--min-ttl S] [--help]\n"
    "Reads commands on stdin, one per line, against a registry on a virtual clock:\n"
    "  put KEY VALUE [LEASE]      get KEY [prefix] [rev=N] [limit=N]   del KEY [prefix]\n"
    "  grant TTL [ID]             revoke ID      keepalive ID      lease ID\n"
    "  watch KEY [prefix] [from=N]   events     (prints what the watches received)\n"
    "  compact REV                advance MS     rev\n"
    "  register ID NAME NS ADDR PORT [TTL]      discover NAME NS [TAG...]   deregister ID NS\n";

static void print_kv(const reg_kv &kv)
{
    printf("  %s = %s (create %lld, mod %lld, version %lld, lease %lld)\n", kv.key.c_str(), kv.value.c_str(),
           (long long)kv.create_revision, (long long)kv.mod_revision, (long long)kv.version, (long long)kv.lease);
}

static bool report(int rc, const reg_error &err)
{
    if (rc != REG_OK) printf("error %s: %s\n", reg_err_name(rc), err.message.c_str());
    return rc == REG_OK;
}

int main(int argc, char **argv)
{
    reg_config cfg;
    reg_config_default(&cfg);
    uint64_t min_ttl = (uint64_t)cfg.min_lease_ttl_s;
    const nl_opt opts[] = {{"min-ttl", NL_OPT_U64, &min_ttl, 1, 86400, 0, 0, nullptr, 't'}};
    int rc = nl_opt_parse(argc, argv, "registry_demo", USAGE, opts, 1, nullptr);
    if (rc != NL_OPT_OK) return rc == NL_OPT_HELP ? 0 : 2;
    cfg.min_lease_ttl_s = (decltype(cfg.min_lease_ttl_s))min_ttl;
    setvbuf(stdout, nullptr, _IOLBF, 0);
    cfg.clock = reg_clock{virtual_now, nullptr};
    service_registry *r = reg_new(&cfg);
    std::vector<int64_t> watches;
    char buf[4096];
    while (fgets(buf, sizeof buf, stdin)) {
        std::istringstream in(buf);
        std::string cmd, a;
        std::vector<std::string> w;
        in >> cmd;
        while (in >> a) w.push_back(a);
        auto has = [&](const char *word) {
            for (const std::string &x : w)
                if (x == word) return true;
            return false;
        };
        auto opt = [&](const char *name) -> long long {
            for (const std::string &x : w)
                if (x.rfind(name, 0) == 0) return atoll(x.c_str() + strlen(name));
            return 0;
        };
        reg_error err{};
        if (cmd.empty() || cmd[0] == '#') continue;
        if (cmd == "put" && w.size() >= 2) {
            reg_put_opts o{};
            o.lease = w.size() > 2 ? atoll(w[2].c_str()) : 0;
            reg_put_resp p{};
            if (report(reg_put(r, w[0].c_str(), w[1], &o, &p, &err), err)) printf("ok revision %lld\n", (long long)p.revision);
        } else if (cmd == "get" && !w.empty()) {
            reg_get_opts o{};
            o.prefix = has("prefix");
            o.revision = opt("rev=");
            o.limit = opt("limit=");
            reg_get_resp g{};
            if (report(reg_get(r, w[0].c_str(), &o, &g, &err), err)) {
                printf("revision %lld, %lld key(s)%s\n", (long long)g.revision, (long long)g.count, g.more ? ", more" : "");
                for (const reg_kv &kv : g.kvs) print_kv(kv);
            }
        } else if (cmd == "del" && !w.empty()) {
            reg_del_resp d{};
            if (report(reg_delete(r, w[0].c_str(), has("prefix"), false, &d, &err), err))
                printf("deleted %lld, revision %lld\n", (long long)d.deleted, (long long)d.revision);
        } else if (cmd == "grant" && !w.empty()) {
            reg_lease id;
            int64_t ttl;
            if (report(reg_lease_grant(r, atoll(w[0].c_str()), w.size() > 1 ? atoll(w[1].c_str()) : 0, &id, &ttl, &err), err))
                printf("lease %lld ttl %lld\n", (long long)id, (long long)ttl);
        } else if (cmd == "revoke" && !w.empty()) {
            if (report(reg_lease_revoke(r, atoll(w[0].c_str()), &err), err)) printf("ok\n");
        } else if (cmd == "keepalive" && !w.empty()) {
            int64_t ttl;
            if (report(reg_lease_keepalive(r, atoll(w[0].c_str()), &ttl, &err), err)) printf("ttl %lld\n", (long long)ttl);
        } else if (cmd == "lease" && !w.empty()) {
            reg_lease_info li{};
            if (report(reg_lease_info_get(r, atoll(w[0].c_str()), &li, &err), err)) {
                printf("lease %lld ttl %lld of %lld, keys:", (long long)li.id, (long long)li.ttl, (long long)li.granted_ttl);
                for (const std::string &k : li.keys) printf(" %s", k.c_str());
                printf("\n");
            }
        } else if (cmd == "watch" && !w.empty()) {
            reg_watch_opts o{};
            o.prefix = has("prefix");
            o.start_revision = opt("from=");
            o.prev_kv = has("prev_kv");
            int64_t id;
            if (report(reg_watch(r, w[0].c_str(), &o, &id, &err), err)) {
                watches.push_back(id);
                printf("watch %lld\n", (long long)id);
            }
        } else if (cmd == "events") {
            for (int64_t id : watches) {
                reg_watch_resp resp{};
                while (reg_watch_next(r, id, 0, &resp, nullptr) == REG_OK) {
                    if (resp.canceled) printf("watch %lld canceled (compacted at %lld)\n", (long long)id, (long long)resp.compact_revision);
                    for (const reg_event &e : resp.events)
                        printf("watch %lld revision %lld: %s %s\n", (long long)id, (long long)resp.revision,
                               e.type == REG_EVENT_PUT ? "PUT" : "DELETE", e.kv.key.c_str());
                }
            }
        } else if (cmd == "compact" && !w.empty()) {
            if (report(reg_compact(r, atoll(w[0].c_str()), &err), err)) printf("ok\n");
        } else if (cmd == "advance" && !w.empty()) {
            virtual_ms += (uint64_t)atoll(w[0].c_str());
            printf("now %llu ms\n", (unsigned long long)virtual_ms);
        } else if (cmd == "rev") {
            printf("revision %lld\n", (long long)reg_current_revision(r));
        } else if (cmd == "register" && w.size() >= 5) {
            reg_service s{};
            s.id = w[0];
            s.name = w[1];
            s.ns = w[2];
            s.address = w[3];
            s.port = (uint16_t)atoi(w[4].c_str());
            if (w.size() > 5) s.checks.push_back(reg_health_check{REG_CHECK_TTL, "", atoll(w[5].c_str())});
            reg_lease l;
            if (report(reg_register_service(r, &s, &l, &err), err)) printf("registered, lease %lld\n", (long long)l);
        } else if (cmd == "discover" && w.size() >= 2) {
            std::vector<std::string> tags(w.begin() + 2, w.end());
            std::vector<reg_instance> v;
            if (report(reg_discover(r, w[0].c_str(), w[1].c_str(), &tags, REG_STATUS_ANY, &v, &err), err)) {
                printf("%zu instance(s)\n", v.size());
                for (const reg_instance &i : v) printf("  %s %s:%u\n", i.id.c_str(), i.address.c_str(), i.port);
            }
        } else if (cmd == "deregister" && w.size() >= 2) {
            if (report(reg_deregister_service(r, w[0].c_str(), w[1].c_str(), &err), err)) printf("ok\n");
        } else {
            printf("error: unknown or incomplete command '%s' (try --help)\n", cmd.c_str());
        }
    }
    reg_free(r);
    return 0;
}
