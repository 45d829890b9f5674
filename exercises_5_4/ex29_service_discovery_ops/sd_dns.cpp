// sd_dns.cpp — EX29: DNS-based discovery with c-ares, asking exactly one server ("ip:port", e.g. a
// dnsmasq on loopback) for SRV and A records; the seed's resolver returned canned records.
#include "service_discovery.h"

#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>  // struct hostent (ares_parse_a_reply fills one)
#include <poll.h>

#include <algorithm>
#include <cstring>

struct sd_dns {
    ares_channel ch = nullptr;
    std::string suffix, server;
};

namespace {

struct answer {
    bool done = false;
    int status = ARES_ENOTFOUND;
    std::vector<unsigned char> buf;
};

void on_answer(void *arg, int status, int, unsigned char *abuf, int alen)
{
    answer *a = (answer *)arg;
    a->done = true;
    a->status = status;
    if (status == ARES_SUCCESS) a->buf.assign(abuf, abuf + alen);
}

// Runs one query to completion: c-ares owns the sockets, we poll them until it calls back.
int query(sd_dns *d, const char *name, int type, answer *a, std::string *err)
{
    ares_query(d->ch, name, ns_c_in, type, on_answer, a);
    while (!a->done) {
        ares_socket_t socks[ARES_GETSOCK_MAXNUM];
        int bits = ares_getsock(d->ch, socks, ARES_GETSOCK_MAXNUM);
        pollfd fds[ARES_GETSOCK_MAXNUM];
        int n = 0;
        for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
            short ev = (ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) | (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0);
            if (ev) fds[n++] = pollfd{socks[i], ev, 0};
        }
        timeval most = {1, 0}, tv;
        timeval *t = ares_timeout(d->ch, &most, &tv);  // never NULL when given a maximum
        int ms = (int)(t->tv_sec * 1000 + t->tv_usec / 1000) + 1;
        if (poll(fds, n, ms) <= 0) {
            ares_process_fd(d->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // lets c-ares time out
            continue;
        }
        for (int i = 0; i < n; i++)
            ares_process_fd(d->ch, fds[i].revents & (POLLIN | POLLERR | POLLHUP) ? fds[i].fd : ARES_SOCKET_BAD,
                            fds[i].revents & POLLOUT ? fds[i].fd : ARES_SOCKET_BAD);
    }
    if (a->status == ARES_SUCCESS) return SD_OK;
    int code = SD_UNAVAILABLE;
    if (a->status == ARES_ENOTFOUND || a->status == ARES_ENODATA) code = SD_NOT_FOUND;
    else if (a->status == ARES_ETIMEOUT) code = SD_TIMEOUT;
    if (err) *err = std::string("dns ") + d->server + ": " + name + ": " + ares_strerror(a->status);
    return code;
}

int fail(std::string *err, int code, const std::string &why)
{
    if (err) *err = why;
    return code;
}

}  // namespace

int sd_dns_open(sd_dns **out, const char *server, const char *suffix, int timeout_ms, std::string *err)
{
    *out = nullptr;
    if (!server || !suffix || timeout_ms < 1) return fail(err, SD_EINVAL, "dns: need a server, a suffix and a timeout >= 1 ms");
    sd_dns *d = new sd_dns;
    ares_options o{};
    o.timeout = timeout_ms;
    o.tries = 1;
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    if (ares_init_options(&d->ch, &o, mask) != ARES_SUCCESS || ares_set_servers_ports_csv(d->ch, server) != ARES_SUCCESS) {
        if (d->ch) ares_destroy(d->ch);
        delete d;
        return fail(err, SD_EINVAL, std::string("dns: bad server '") + server + "' (want ip:port)");
    }
    d->suffix = suffix;
    d->server = server;
    *out = d;
    return SD_OK;
}

void sd_dns_close(sd_dns *d)
{
    if (!d) return;
    ares_destroy(d->ch);
    delete d;
}

int sd_dns_lookup_srv(sd_dns *d, const char *name, std::vector<sd_srv> *out, std::string *err)
{
    answer a;
    int rc = query(d, name, ns_t_srv, &a, err);
    if (rc != SD_OK) return rc;
    ares_srv_reply *srv = nullptr;
    // An answer without SRV records never gets here: ares_query reports it as ARES_ENODATA.
    if (ares_parse_srv_reply(a.buf.data(), (int)a.buf.size(), &srv) != ARES_SUCCESS)
        return fail(err, SD_PROTOCOL, std::string("dns: bad SRV answer for ") + name);
    out->clear();
    for (ares_srv_reply *r = srv; r; r = r->next) out->push_back(sd_srv{r->priority, r->weight, r->port, r->host});
    ares_free_data(srv);
    return SD_OK;
}

int sd_dns_lookup_a(sd_dns *d, const char *name, std::vector<std::string> *out, std::string *err)
{
    answer a;
    int rc = query(d, name, ns_t_a, &a, err);
    if (rc != SD_OK) return rc;
    hostent *host = nullptr;
    // The hostent form holds every address of the answer (an ares_addrttl array would cap them).
    if (ares_parse_a_reply(a.buf.data(), (int)a.buf.size(), &host, nullptr, nullptr) != ARES_SUCCESS)
        return fail(err, SD_PROTOCOL, std::string("dns: bad A answer for ") + name);
    std::vector<uint32_t> ips;
    for (char **p = host->h_addr_list; *p; p++) {
        in_addr ip;
        memcpy(&ip, *p, sizeof ip);
        ips.push_back(ntohl(ip.s_addr));
    }
    ares_free_hostent(host);
    // Numeric order, so the same records give the same list whatever order the server sends.
    std::sort(ips.begin(), ips.end());
    out->clear();
    for (uint32_t ip : ips) {
        in_addr x = {htonl(ip)};
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &x, text, sizeof text);
        out->push_back(text);
    }
    return SD_OK;
}

int sd_dns_discover_srv(sd_dns *d, const char *service, std::vector<sd_endpoint> *out, std::string *err)
{
    if (sd_check_name("service", service, err)) return SD_EINVAL;
    std::vector<sd_srv> recs;
    int rc = sd_dns_lookup_srv(d, ("_" + std::string(service) + "._tcp." + d->suffix).c_str(), &recs, err);
    if (rc != SD_OK) return rc;
    std::vector<sd_endpoint> eps;
    for (const sd_srv &r : recs) {
        std::vector<std::string> addrs;
        rc = sd_dns_lookup_a(d, r.target.c_str(), &addrs, err);
        if (rc == SD_NOT_FOUND) continue;  // a target without an address: the others still serve
        if (rc != SD_OK) return rc;
        for (const std::string &ip : addrs) eps.push_back(sd_endpoint{ip, r.port, r.priority, r.weight});
    }
    if (eps.empty()) return fail(err, SD_NOT_FOUND, std::string("dns: no address for any target of ") + service);
    sd_endpoint_order(&eps);
    *out = eps;
    return SD_OK;
}

int sd_dns_discover_a(sd_dns *d, const char *service, std::vector<std::string> *out, std::string *err)
{
    if (sd_check_name("service", service, err)) return SD_EINVAL;
    return sd_dns_lookup_a(d, (std::string(service) + "." + d->suffix).c_str(), out, err);
}

static int dns_backend(void *ctx, const char *service, std::vector<std::string> *out, std::string *err)
{
    std::vector<sd_endpoint> eps;
    int rc = sd_dns_discover_srv((sd_dns *)ctx, service, &eps, err);
    if (rc != SD_OK) return rc;
    out->clear();
    for (const sd_endpoint &e : eps) out->push_back(e.address + ":" + std::to_string(e.port));
    return SD_OK;
}

sd_backend sd_backend_dns(sd_dns *d)
{
    return sd_backend{"dns", d, dns_backend};
}
