// sd_core.cpp — EX29: what needs no daemon: codes, name checks, the etcd prefix range, the
// Kubernetes name, endpoint order, and the unified discovery over any backends.
#include "service_discovery.h"

#include <algorithm>
#include <cstring>

const char *sd_code_name(int code)
{
    static const char *const names[] = {"ok", "not found", "invalid argument", "unavailable", "timeout",
                                        "protocol error"};
    if (code < SD_OK || code > SD_PROTOCOL) return "?";
    return names[code];
}

int sd_check_name(const char *what, const char *name, std::string *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n >= 1 && n <= 255 && !strchr(name, '/')) return SD_OK;
    if (err) *err = std::string(what) + " '" + (name ? name : "(null)") + "': must be 1..255 bytes without '/'";
    return SD_EINVAL;
}

std::string sd_prefix_range_end(const std::string &prefix)
{
    std::string end = prefix;
    while (!end.empty() && (unsigned char)end.back() == 0xff) end.pop_back();
    if (end.empty()) return std::string(1, '\0');
    end.back() = (char)((unsigned char)end.back() + 1);
    return end;
}

std::string sd_kubernetes_dns(const char *service, const char *ns)
{
    return std::string(service) + "." + ns + ".svc.cluster.local";
}

void sd_endpoint_order(std::vector<sd_endpoint> *v)
{
    std::sort(v->begin(), v->end(), [](const sd_endpoint &a, const sd_endpoint &b) {
        if (a.priority != b.priority) return a.priority < b.priority;
        if (a.weight != b.weight) return a.weight > b.weight;
        if (a.address != b.address) return a.address < b.address;
        return a.port < b.port;
    });
}

void sd_unified_init(sd_unified *u)
{
    u->backends.clear();
}

int sd_unified_add(sd_unified *u, sd_backend b, std::string *err)
{
    std::string why;
    if (!b.name || !*b.name || !b.discover)
        why = "a backend needs a name and a discover function";
    else if (u->backends.size() >= SD_MAX_BACKENDS)
        why = "at most " + std::to_string(SD_MAX_BACKENDS) + " backends";
    for (const sd_backend &o : u->backends)
        if (why.empty() && !strcmp(o.name, b.name)) why = std::string("backend '") + b.name + "' is already added";
    if (!why.empty()) {
        if (err) *err = why;
        return SD_EINVAL;
    }
    u->backends.push_back(b);
    return SD_OK;
}

// Every backend is asked, in the order they were added. An error is kept with the backend's name
// (the seed dropped them, so "no endpoints" and "two daemons down" looked the same); "not found"
// is an answer: that backend knows no instance. Endpoints are merged, each once, first seen first.
int sd_unified_discover(const sd_unified *u, const char *service, sd_discovery *out)
{
    out->endpoints.clear();
    out->errors.clear();
    std::string why;
    if (u->backends.empty()) {
        out->errors.push_back({"unified", SD_EINVAL, "no backend configured"});
        return SD_EINVAL;
    }
    if (sd_check_name("service", service, &why) != SD_OK) {
        out->errors.push_back({"unified", SD_EINVAL, why});
        return SD_EINVAL;
    }
    bool answered = false;
    for (const sd_backend &b : u->backends) {
        std::vector<std::string> found;
        why.clear();
        int rc = b.discover(b.ctx, service, &found, &why);
        if (rc != SD_OK && rc != SD_NOT_FOUND) {
            out->errors.push_back({b.name, rc, why.empty() ? sd_code_name(rc) : why});
            continue;
        }
        answered = true;
        if (rc == SD_NOT_FOUND) continue;
        for (const std::string &ep : found)
            if (std::find(out->endpoints.begin(), out->endpoints.end(), ep) == out->endpoints.end())
                out->endpoints.push_back(ep);
    }
    return answered ? SD_OK : SD_UNAVAILABLE;
}
