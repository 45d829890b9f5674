// test_helpers.cpp — the helpers of reg_tests.h.
#include "reg_tests.h"

uint64_t vclock_now(void *ctx) { return ((vclock *)ctx)->ms; }

static vclock frozen;

service_registry *reg_on(vclock *c, void (*cfg_edit)(reg_config *))
{
    reg_config cfg;
    reg_config_default(&cfg);
    cfg.clock = reg_clock{vclock_now, c ? c : &frozen};
    if (cfg_edit) cfg_edit(&cfg);
    service_registry *r = reg_new(&cfg);
    if (!r) fail_msg("reg_new returned NULL");
    return r;
}

reg_rev put_at(const nl_where &w, service_registry *r, const char *key, const std::string &value, reg_lease lease)
{
    reg_put_opts o{};
    o.lease = lease;
    reg_put_resp resp{};
    reg_error err{};
    int rc = reg_put(r, key, value, &o, &resp, &err);
    if (rc != REG_OK) nl_fail_at(w, "expected REG_OK, got %s (%s)", reg_err_name(rc), err.message.c_str());
    return resp.revision;
}

std::string get_at(const nl_where &w, service_registry *r, const char *key, bool prefix, reg_rev rev)
{
    reg_get_opts o{};
    o.prefix = prefix;
    o.revision = rev;
    reg_get_resp resp{};
    reg_error err{};
    int rc = reg_get(r, key, &o, &resp, &err);
    if (rc != REG_OK) nl_fail_at(w, "expected REG_OK, got %s (%s)", reg_err_name(rc), err.message.c_str());
    return obs_get(resp);
}

reg_del_resp del_at(const nl_where &w, service_registry *r, const char *key, bool prefix, bool prev_kv)
{
    reg_del_resp resp{};
    reg_error err{};
    int rc = reg_delete(r, key, prefix, prev_kv, &resp, &err);
    if (rc != REG_OK) nl_fail_at(w, "expected REG_OK, got %s (%s)", reg_err_name(rc), err.message.c_str());
    return resp;
}

reg_lease grant_at(const nl_where &w, service_registry *r, int64_t ttl, reg_lease id)
{
    reg_lease got = 0;
    int64_t got_ttl = 0;
    reg_error err{};
    int rc = reg_lease_grant(r, ttl, id, &got, &got_ttl, &err);
    if (rc != REG_OK) nl_fail_at(w, "expected REG_OK, got %s (%s)", reg_err_name(rc), err.message.c_str());
    return got;
}

int64_t watch_at(const nl_where &w, service_registry *r, const char *key, const reg_watch_opts &o)
{
    int64_t id = 0;
    reg_error err{};
    int rc = reg_watch(r, key, &o, &id, &err);
    if (rc != REG_OK) nl_fail_at(w, "expected REG_OK, got %s (%s)", reg_err_name(rc), err.message.c_str());
    return id;
}

std::string drain_at(const nl_where &w, service_registry *r, int64_t id)
{
    std::string s;
    for (int n = 0; n < 10000; n++) {
        reg_watch_resp resp{};
        reg_error err{};
        int rc = reg_watch_next(r, id, 0, &resp, &err);
        if (rc == REG_ERR_TIMEOUT || rc == REG_ERR_WATCH_NOT_FOUND) return s;
        if (rc != REG_OK) nl_fail_at(w, "reg_watch_next: expected REG_OK or REG_ERR_TIMEOUT, got %s", reg_err_name(rc));
        if (!s.empty()) s += " || ";
        if (resp.canceled) {
            s += nl_fmt("canceled compact=%lld", (long long)resp.compact_revision);
            continue;
        }
        s += nl_fmt("r%lld:", (long long)resp.revision);
        for (size_t i = 0; i < resp.events.size(); i++) s += (i ? " ; " : " ") + obs_event(resp.events[i]);
    }
    nl_fail_at(w, "reg_watch_next never ran dry (10000 responses)");
}

reg_service make_service(const char *id, const char *name, const char *ns, std::vector<std::string> tags)
{
    reg_service s{};
    s.id = id;
    s.name = name;
    s.ns = ns;
    s.address = "10.0.0.1";
    s.port = 8080;
    s.tags = tags;
    s.weight = 100;
    return s;
}

std::string instance_ids(const std::vector<reg_instance> &v)
{
    std::string s;
    for (size_t i = 0; i < v.size(); i++) s += (i ? "," : "") + v[i].id;
    return s;
}
