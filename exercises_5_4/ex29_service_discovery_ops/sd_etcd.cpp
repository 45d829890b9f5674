// sd_etcd.cpp — EX29: an etcd v3 client over etcd's JSON gateway (POST /v3/..., libcurl, jansson):
// keys and values travel base64-encoded, 64-bit numbers as JSON strings, and zero or empty fields
// are left out of a reply (proto3 JSON), which is why every read below has a default.
#include "service_discovery.h"

#include "nl_crypto.h"

#include <curl/curl.h>
#include <jansson.h>

#include <cstdlib>
#include <cstring>

struct sd_etcd {
    std::vector<std::string> urls;
    size_t current = 0;  // the endpoint that answered last: asked first next time
    int timeout_ms = 0;
    CURL *h = nullptr;
};

namespace {

// Receives the reply body; a watch also parses each complete line as it arrives.
struct sink {
    std::string body;
    bool (*line)(void *arg, json_t *obj) = nullptr;  // false: enough, stop the transfer
    void *arg = nullptr;
};

size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    sink *s = (sink *)arg;
    s->body.append(p, size * n);
    if (!s->line) return size * n;
    size_t nl;
    while ((nl = s->body.find('\n')) != std::string::npos) {
        json_t *obj = json_loadb(s->body.data(), nl, 0, nullptr);
        s->body.erase(0, nl + 1);
        bool more = !obj || s->line(s->arg, obj);
        json_decref(obj);
        if (!more) return 0;
    }
    return size * n;
}

std::string b64(const std::string &s)
{
    return nl_base64_encode(s.data(), s.size());
}

std::string unb64(json_t *obj, const char *field)
{
    const char *t = json_string_value(json_object_get(obj, field));
    std::string out;
    if (t) nl_base64_decode(t, strlen(t), &out);
    return out;
}

// An int64 of a reply: a JSON string ("42"), or absent (0).
int64_t num(json_t *obj, const char *field)
{
    const char *v = json_string_value(json_object_get(obj, field));
    return v ? strtoll(v, nullptr, 10) : 0;
}

int fail(std::string *err, int code, const std::string &why)
{
    if (err) *err = why;
    return code;
}

// POSTs body (stolen) to path on the first endpoint that accepts a connection, starting with the
// one that answered last. Returns the parsed reply in *reply (SD_OK), or an error: a gRPC status in
// the reply becomes SD_NOT_FOUND (5), SD_EINVAL (3) or SD_PROTOCOL.
int post(sd_etcd *e, const char *path, json_t *body, sink *s, int timeout_ms, json_t **reply, std::string *err)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    std::string last;
    CURLcode rc = CURLE_COULDNT_CONNECT;
    size_t n = e->urls.size();
    for (size_t i = 0; i < n; i++) {
        size_t at = (e->current + i) % n;
        std::string url = e->urls[at] + path;
        s->body.clear();
        curl_easy_setopt(e->h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(e->h, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(e->h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(e->h, CURLOPT_WRITEDATA, s);
        curl_easy_setopt(e->h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
        rc = curl_easy_perform(e->h);
        if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
            rc == CURLE_SEND_ERROR) {
            last += (last.empty() ? "" : "; ") + url + ": " + curl_easy_strerror(rc);
            continue;
        }
        e->current = at;
        break;
    }
    free(text);
    if (rc == CURLE_WRITE_ERROR && s->line) return SD_OK;  // the watch had what it wanted
    if (rc == CURLE_OPERATION_TIMEDOUT) return fail(err, SD_TIMEOUT, std::string("etcd: ") + path + ": timed out");
    if (rc != CURLE_OK) return fail(err, SD_UNAVAILABLE, "etcd: no endpoint answered: " + last);
    if (s->line) return SD_OK;
    json_t *obj = json_loadb(s->body.data(), s->body.size(), 0, nullptr);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return fail(err, SD_PROTOCOL, std::string("etcd: ") + path + ": reply is not a JSON object");
    }
    json_t *code = json_object_get(obj, "code");
    if (code) {
        const char *msg = json_string_value(json_object_get(obj, "message"));
        int64_t c = json_integer_value(code);
        std::string why = std::string("etcd: ") + path + ": " + (msg ? msg : "error");
        json_decref(obj);
        return fail(err, c == 5 ? SD_NOT_FOUND : c == 3 ? SD_EINVAL : SD_PROTOCOL, why);
    }
    *reply = obj;
    return SD_OK;
}

int call(sd_etcd *e, const char *path, json_t *body, json_t **reply, std::string *err)
{
    sink s;
    return post(e, path, body, &s, e->timeout_ms, reply, err);
}

sd_kv to_kv(json_t *kv)
{
    sd_kv r;
    r.key = unb64(kv, "key");
    r.value = unb64(kv, "value");
    r.create_revision = num(kv, "create_revision");
    r.mod_revision = num(kv, "mod_revision");
    r.version = num(kv, "version");
    r.lease = num(kv, "lease");
    return r;
}

int range(sd_etcd *e, json_t *req, std::vector<sd_kv> *out, std::string *err)
{
    json_t *reply = nullptr;
    int rc = call(e, "/v3/kv/range", req, &reply, err);
    if (rc != SD_OK) return rc;
    out->clear();
    size_t i;
    json_t *kv;
    json_array_foreach(json_object_get(reply, "kvs"), i, kv) out->push_back(to_kv(kv));
    json_decref(reply);
    return SD_OK;
}

struct watch_state {
    std::vector<sd_event> *out;
    size_t max;
    bool canceled = false;
};

bool on_watch_line(void *arg, json_t *obj)
{
    watch_state *w = (watch_state *)arg;
    json_t *res = json_object_get(obj, "result");
    if (json_is_true(json_object_get(res, "canceled"))) {
        w->canceled = true;
        return false;
    }
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(res, "events"), i, ev) {
        // proto3 JSON leaves the default out: no "type" is a PUT.
        const char *type = json_string_value(json_object_get(ev, "type"));
        json_t *kv = json_object_get(ev, "kv");
        sd_event x;
        x.type = type && !strcmp(type, "DELETE") ? SD_EV_DELETE : SD_EV_PUT;
        x.key = unb64(kv, "key");
        x.value = unb64(kv, "value");
        x.mod_revision = num(kv, "mod_revision");
        w->out->push_back(x);
        if (w->out->size() >= w->max) return false;
    }
    return true;
}

}  // namespace

int sd_etcd_open(sd_etcd **out, const char *endpoints, int timeout_ms, std::string *err)
{
    *out = nullptr;
    if (!endpoints || !*endpoints || timeout_ms < 1)
        return fail(err, SD_EINVAL, "etcd: need at least one endpoint and a timeout >= 1 ms");
    sd_etcd *e = new sd_etcd;
    std::string list = endpoints;
    size_t start = 0;
    while (start <= list.size()) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        std::string ep = list.substr(start, comma - start);
        if (ep.empty() || e->urls.size() == 8) {
            delete e;
            return fail(err, SD_EINVAL, std::string("etcd: bad endpoint list '") + endpoints + "' (1..8, none empty)");
        }
        e->urls.push_back(ep.find("://") == std::string::npos ? "http://" + ep : ep);
        start = comma + 1;
    }
    e->timeout_ms = timeout_ms;
    e->h = curl_easy_init();
    curl_easy_setopt(e->h, CURLOPT_NOSIGNAL, 1L);
    *out = e;
    return SD_OK;
}

void sd_etcd_close(sd_etcd *e)
{
    if (!e) return;
    curl_easy_cleanup(e->h);
    delete e;
}

int sd_etcd_put(sd_etcd *e, const std::string &key, const std::string &value, int64_t lease, int64_t *revision,
                std::string *err)
{
    json_t *req = json_pack("{s:s, s:s}", "key", b64(key).c_str(), "value", b64(value).c_str());
    if (lease) json_object_set_new(req, "lease", json_string(std::to_string(lease).c_str()));
    json_t *reply = nullptr;
    int rc = call(e, "/v3/kv/put", req, &reply, err);
    if (rc != SD_OK) return rc;
    if (revision) *revision = num(json_object_get(reply, "header"), "revision");
    json_decref(reply);
    return SD_OK;
}

int sd_etcd_get(sd_etcd *e, const std::string &key, std::string *value, std::string *err)
{
    std::vector<sd_kv> kvs;
    int rc = range(e, json_pack("{s:s}", "key", b64(key).c_str()), &kvs, err);
    if (rc != SD_OK) return rc;
    if (kvs.empty()) return fail(err, SD_NOT_FOUND, "etcd: no key '" + key + "'");
    *value = kvs[0].value;
    return SD_OK;
}

int sd_etcd_get_prefix(sd_etcd *e, const std::string &prefix, std::vector<sd_kv> *out, std::string *err)
{
    json_t *req = json_pack("{s:s, s:s, s:s, s:s}", "key", b64(prefix).c_str(), "range_end",
                            b64(sd_prefix_range_end(prefix)).c_str(), "sort_order", "ASCEND", "sort_target", "KEY");
    return range(e, req, out, err);
}

int sd_etcd_delete(sd_etcd *e, const std::string &key, int64_t *deleted, std::string *err)
{
    json_t *reply = nullptr;
    int rc = call(e, "/v3/kv/deleterange", json_pack("{s:s}", "key", b64(key).c_str()), &reply, err);
    if (rc != SD_OK) return rc;
    *deleted = num(reply, "deleted");
    json_decref(reply);
    return SD_OK;
}

int sd_etcd_lease_grant(sd_etcd *e, int64_t ttl_s, int64_t *lease, std::string *err)
{
    if (ttl_s < 1) return fail(err, SD_EINVAL, "etcd: a lease TTL must be >= 1 s");
    json_t *reply = nullptr;
    int rc = call(e, "/v3/lease/grant", json_pack("{s:I}", "TTL", (json_int_t)ttl_s), &reply, err);
    if (rc != SD_OK) return rc;
    *lease = num(reply, "ID");
    json_decref(reply);
    return SD_OK;
}

int sd_etcd_lease_keepalive(sd_etcd *e, int64_t lease, int64_t *ttl_s, std::string *err)
{
    json_t *reply = nullptr;
    json_t *req = json_pack("{s:s}", "ID", std::to_string(lease).c_str());
    int rc = call(e, "/v3/lease/keepalive", req, &reply, err);
    if (rc != SD_OK) return rc;
    // The gateway answers a lease it does not know with TTL 0 (left out), not with an error.
    int64_t ttl = num(json_object_get(reply, "result"), "TTL");
    json_decref(reply);
    if (ttl <= 0) return fail(err, SD_NOT_FOUND, "etcd: lease " + std::to_string(lease) + " not found");
    *ttl_s = ttl;
    return SD_OK;
}

int sd_etcd_lease_revoke(sd_etcd *e, int64_t lease, std::string *err)
{
    json_t *reply = nullptr;
    int rc = call(e, "/v3/lease/revoke", json_pack("{s:s}", "ID", std::to_string(lease).c_str()), &reply, err);
    json_decref(reply);
    return rc;
}

int sd_etcd_watch(sd_etcd *e, const std::string &key, bool prefix, int64_t start_revision, size_t max_events,
                  int timeout_ms, std::vector<sd_event> *out, std::string *err)
{
    if (max_events < 1 || timeout_ms < 1) return fail(err, SD_EINVAL, "etcd: watch needs max_events >= 1, timeout >= 1 ms");
    json_t *create = json_pack("{s:s, s:I}", "key", b64(key).c_str(), "start_revision", (json_int_t)start_revision);
    if (prefix) json_object_set_new(create, "range_end", json_string(b64(sd_prefix_range_end(key)).c_str()));
    out->clear();
    watch_state w{out, max_events};
    sink s;
    s.line = on_watch_line;
    s.arg = &w;
    json_t *reply = nullptr;
    int rc = post(e, "/v3/watch", json_pack("{s:o}", "create_request", create), &s, timeout_ms, &reply, err);
    if (w.canceled) return fail(err, SD_PROTOCOL, "etcd: watch on '" + key + "' canceled (revision compacted?)");
    if (rc == SD_TIMEOUT && !out->empty()) return SD_OK;
    if (rc == SD_TIMEOUT) return fail(err, SD_TIMEOUT, "etcd: no event on '" + key + "' within the timeout");
    return rc;
}

int sd_etcd_register(sd_etcd *e, const char *prefix, const char *service, const char *address, int64_t lease,
                     std::string *err)
{
    if (sd_check_name("service", service, err) || sd_check_name("address", address, err)) return SD_EINVAL;
    return sd_etcd_put(e, std::string(prefix) + "/" + service + "/" + address, address, lease, nullptr, err);
}

int sd_etcd_discover(sd_etcd *e, const char *prefix, const char *service, std::vector<std::string> *out,
                     std::string *err)
{
    if (sd_check_name("service", service, err)) return SD_EINVAL;
    std::vector<sd_kv> kvs;
    // The trailing '/' keeps "web" from finding the instances of "webadmin".
    int rc = sd_etcd_get_prefix(e, std::string(prefix) + "/" + service + "/", &kvs, err);
    if (rc != SD_OK) return rc;
    out->clear();
    for (const sd_kv &kv : kvs) out->push_back(kv.value);
    if (out->empty()) return fail(err, SD_NOT_FOUND, std::string("etcd: no instance of '") + service + "'");
    return SD_OK;
}

static int etcd_backend(void *ctx, const char *service, std::vector<std::string> *out, std::string *err)
{
    return sd_etcd_discover((sd_etcd *)ctx, "/services", service, out, err);
}

sd_backend sd_backend_etcd(sd_etcd *e)
{
    return sd_backend{"etcd", e, etcd_backend};
}
