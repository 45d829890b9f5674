// main.cpp — sdctl, the EX29 demo (given, not graded): one discovery operation against real daemons.
//   sdctl --etcd 127.0.0.1:2379 put /services/web/10.0.0.1:80 10.0.0.1:80
//   sdctl --etcd 127.0.0.1:2379 --zk 127.0.0.1:2181 --dns 127.0.0.1:5353 --domain service.local discover web
#include "nl_opt.h"
#include "service_discovery.h"

#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sdctl [--etcd EPS] [--zk HOSTS] [--dns IP:PORT] [--domain SUFFIX] [--timeout MS] CMD ARGS\n"
            "  put KEY VALUE | get KEY | prefix PREFIX | register SVC ADDR   (etcd, prefix /services)\n"
            "  zk-register SVC ADDR (holds the session until Enter) | srv SVC | a NAME | k8s SVC NS\n"
            "  discover SVC      every backend given; prints endpoints, then each backend's error\n");
}

static int report(int rc, const std::string &err)
{
    if (rc != SD_OK) fprintf(stderr, "sdctl: %s: %s\n", sd_code_name(rc), err.c_str());
    return rc == SD_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *etcd = nullptr, *zk = nullptr, *dns = nullptr, *domain = "service.local";
    int timeout = 2000;
    static const option longs[] = {{"etcd", required_argument, nullptr, 'e'}, {"zk", required_argument, nullptr, 'z'},
                                   {"dns", required_argument, nullptr, 'd'}, {"domain", required_argument, nullptr, 'D'},
                                   {"timeout", required_argument, nullptr, 't'}, {"help", no_argument, nullptr, 'h'},
                                   {nullptr, 0, nullptr, 0}};
    int c;
    uint64_t v = 0;
    while ((c = getopt_long(argc, argv, "e:z:d:D:t:h", longs, nullptr)) != -1) {
        switch (c) {
        case 'e': etcd = optarg; break;
        case 'z': zk = optarg; break;
        case 'd': dns = optarg; break;
        case 'D': domain = optarg; break;
        case 't':
            if (!nl_opt_value("sdctl", "timeout", optarg, 1, 600000, &v)) return 2;
            timeout = (int)v;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    std::string cmd = argv[optind], err;
    char **a = argv + optind + 1;
    int n = argc - optind - 1;
    if (cmd == "k8s" && n == 2) {
        printf("%s\n", sd_kubernetes_dns(a[0], a[1]).c_str());
        return 0;
    }
    sd_etcd *e = nullptr;
    sd_zk *z = nullptr;
    sd_dns *d = nullptr;
    int rc = SD_OK;
    if (etcd) rc = sd_etcd_open(&e, etcd, timeout, &err);
    if (rc == SD_OK && zk) rc = sd_zk_open(&z, zk, timeout, &err);
    if (rc == SD_OK && dns) rc = sd_dns_open(&d, dns, domain, timeout, &err);
    if (rc != SD_OK) return report(rc, err);
    int status = 2;
    if (e && cmd == "put" && n == 2) {
        int64_t rev = 0;
        rc = sd_etcd_put(e, a[0], a[1], 0, &rev, &err);
        if (rc == SD_OK) printf("OK revision %lld\n", (long long)rev);
        status = report(rc, err);
    } else if (e && cmd == "get" && n == 1) {
        std::string v;
        rc = sd_etcd_get(e, a[0], &v, &err);
        if (rc == SD_OK) printf("%s\n", v.c_str());
        status = report(rc, err);
    } else if (e && cmd == "prefix" && n == 1) {
        std::vector<sd_kv> kvs;
        rc = sd_etcd_get_prefix(e, a[0], &kvs, &err);
        for (const sd_kv &kv : kvs) printf("%s = %s (rev %lld)\n", kv.key.c_str(), kv.value.c_str(), (long long)kv.mod_revision);
        status = report(rc, err);
    } else if (e && cmd == "register" && n == 2) {
        status = report(sd_etcd_register(e, "/services", a[0], a[1], 0, &err), err);
    } else if (z && cmd == "zk-register" && n == 2) {
        rc = sd_zk_register(z, a[0], a[1], &err);
        if (rc == SD_OK) {
            printf("registered; press Enter to end the session\n");
            getchar();
        }
        status = report(rc, err);
    } else if (d && cmd == "srv" && n == 1) {
        std::vector<sd_endpoint> eps;
        rc = sd_dns_discover_srv(d, a[0], &eps, &err);
        for (const sd_endpoint &ep : eps) printf("%s:%u priority %u weight %u\n", ep.address.c_str(), ep.port, ep.priority, ep.weight);
        status = report(rc, err);
    } else if (d && cmd == "a" && n == 1) {
        std::vector<std::string> ips;
        rc = sd_dns_lookup_a(d, a[0], &ips, &err);
        for (const std::string &ip : ips) printf("%s\n", ip.c_str());
        status = report(rc, err);
    } else if (cmd == "discover" && n == 1) {
        sd_unified u;
        sd_unified_init(&u);
        if (e) sd_unified_add(&u, sd_backend_etcd(e), &err);
        if (z) sd_unified_add(&u, sd_backend_zk(z), &err);
        if (d) sd_unified_add(&u, sd_backend_dns(d), &err);
        sd_discovery res;
        rc = sd_unified_discover(&u, a[0], &res);
        for (const std::string &ep : res.endpoints) printf("%s\n", ep.c_str());
        for (const sd_backend_error &be : res.errors)
            fprintf(stderr, "%s: %s: %s\n", be.backend.c_str(), sd_code_name(be.code), be.message.c_str());
        status = rc == SD_OK ? 0 : 1;
    } else {
        usage(stderr);
    }
    sd_etcd_close(e);
    sd_zk_close(z);
    sd_dns_close(d);
    return status;
}
