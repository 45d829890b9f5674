// ex13_bench.cpp — `make bench-ex13`: the same client workload on a 3-node raft_kv cluster and on a
// 3-node etcd cluster (etcd-server, its v3 JSON gateway through libcurl), both on loopback, same
// run. Prints writes/s and write latency p50/p99 for each and raft_kv's as ratios of etcd's, and
// checks both recorded histories with the same linearizability checker (tests/support/nl_linearize.h).
#include "kv_cluster.h"
#include "nl_crypto.h"
#include "nl_json.h"
#include "nl_linearize.h"
#include "nl_testnet.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <curl/curl.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <vector>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- one client interface over both systems ---- */

struct client {
    virtual ~client() {}
    // Returns 1 done (found/value set for get), 0 unknown outcome, -1 refused/failed.
    virtual int set(const std::string &k, const std::string &v) = 0;
    virtual int get(const std::string &k, bool *found, std::string *v) = 0;
};

// raft_kv: one persistent connection to the leader (the bench finds it first), redirects followed.
struct raft_client : client {
    kv_cluster *c;
    int idx;
    int fd = -1;
    raft_client(kv_cluster *cl, int leader) : c(cl), idx(leader) {}
    ~raft_client() { if (fd >= 0) nl_tc_close(fd); }
    std::string call(const std::string &line)
    {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (fd < 0)
                fd = nl_tc_connect(kvc_port(c, idx));
            std::string r;
            if (fd >= 0 && nl_tc_send(fd, line + "\n") == 0 && nl_tc_read_line(fd, &r, 10000) == 1) {
                if (r.rfind("REDIRECT ", 0) == 0) {
                    idx = atoi(r.c_str() + 9) - 1;
                    nl_tc_close(fd);
                    fd = -1;
                    continue;
                }
                return r;
            }
            if (fd >= 0)
                nl_tc_close(fd);
            fd = -1;
            return "";
        }
        return "";
    }
    int set(const std::string &k, const std::string &v) override
    {
        std::string r = call("SET " + k + " " + v);
        return r == "OK" ? 1 : (r.empty() || r.rfind("ERR not committed", 0) == 0) ? 0 : -1;
    }
    int get(const std::string &k, bool *found, std::string *v) override
    {
        std::string r = call("GET " + k);
        if (r == "NIL") {
            *found = false;
            return 1;
        }
        if (r.rfind("VALUE ", 0) == 0) {
            *found = true;
            *v = r.substr(6);
            return 1;
        }
        return -1;
    }
};

static size_t collect(char *p, size_t sz, size_t n, void *ud)
{
    ((std::string *)ud)->append(p, sz * n);
    return sz * n;
}

// etcd: POST /v3/kv/put and /v3/kv/range (linearizable by default) on one keep-alive handle.
struct etcd_client : client {
    CURL *h;
    std::string base;
    explicit etcd_client(uint16_t port) : h(curl_easy_init()), base("http://127.0.0.1:" + std::to_string(port)) {}
    ~etcd_client() { curl_easy_cleanup(h); }
    int post(const char *path, const std::string &body, std::string *out)
    {
        out->clear();
        std::string url = base + path;
        curl_easy_setopt(h, CURLOPT_URL, url.c_str());
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
        long code = 0;
        if (curl_easy_perform(h) != CURLE_OK)
            return 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        return code == 200 ? 1 : -1;
    }
    int set(const std::string &k, const std::string &v) override
    {
        std::string out;
        std::string body = "{\"key\":\"" + nl_base64_encode(k.data(), k.size()) + "\",\"value\":\"" +
                           nl_base64_encode(v.data(), v.size()) + "\"}";
        return post("/v3/kv/put", body, &out);
    }
    int get(const std::string &k, bool *found, std::string *v) override
    {
        std::string out, err;
        std::string body = "{\"key\":\"" + nl_base64_encode(k.data(), k.size()) + "\"}";
        if (post("/v3/kv/range", body, &out) != 1)
            return -1;
        json_t *j = nl_json_parse_object(out.data(), out.size(), &err);
        if (!j)
            return -1;
        json_t *kvs = json_object_get(j, "kvs");
        *found = json_is_array(kvs) && json_array_size(kvs) > 0;
        int rc = 1;
        if (*found) {
            const char *b64 = json_string_value(json_object_get(json_array_get(kvs, 0), "value"));
            v->clear();
            if (b64 && nl_base64_decode(b64, strlen(b64), v) != 0)
                rc = -1;
        }
        json_decref(j);
        return rc;
    }
};

/* ---- the workload ---- */

struct worker {
    client *cl;
    int id;
    int ops;
    std::vector<nl_lin_op> h;
    std::vector<double> write_ms;
    int failed = 0;
};

static void *work(void *arg)
{
    worker *w = (worker *)arg;
    unsigned s = 4242u + (unsigned)w->id;
    for (int i = 0; i < w->ops; i++) {
        s = s * 1103515245u + 12345u;
        nl_lin_op op;
        op.client = w->id;
        op.key = "k" + std::to_string((s >> 16) % 8);
        op.call = now_ns();
        int rc;
        if ((s >> 8) % 4 != 0) {   // 3 writes for 1 read
            op.kind = NL_LIN_SET;
            op.value = std::to_string(w->id) + "." + std::to_string(i);
            rc = w->cl->set(op.key, op.value);
            op.ret = now_ns();
            if (rc == 1)
                w->write_ms.push_back((double)(op.ret - op.call) / 1e6);
            if (rc == 0)
                op.ret = NL_LIN_PENDING;
        } else {
            op.kind = NL_LIN_GET;
            rc = w->cl->get(op.key, &op.found, &op.result);
            op.ret = now_ns();
        }
        if (rc == 1 || (rc == 0 && op.kind != NL_LIN_GET))
            w->h.push_back(op);
        else
            w->failed++;
    }
    return nullptr;
}

struct result {
    double writes_per_s = 0, p50 = 0, p99 = 0;
    size_t ops = 0;
    int failed = 0;
    bool linearizable = false;
    std::string why;
};

static result run(std::vector<client *> clients, int ops_each)
{
    std::vector<worker> ws(clients.size());
    std::vector<pthread_t> th(clients.size());
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < clients.size(); i++) {
        ws[i].cl = clients[i];
        ws[i].id = (int)i + 1;
        ws[i].ops = ops_each;
        pthread_create(&th[i], nullptr, work, &ws[i]);
    }
    for (size_t i = 0; i < clients.size(); i++)
        pthread_join(th[i], nullptr);
    double secs = (double)(now_ns() - t0) / 1e9;
    result r;
    std::vector<double> lat;
    std::vector<nl_lin_op> all;
    for (worker &w : ws) {
        lat.insert(lat.end(), w.write_ms.begin(), w.write_ms.end());
        all.insert(all.end(), w.h.begin(), w.h.end());
        r.failed += w.failed;
    }
    std::sort(lat.begin(), lat.end());
    if (!lat.empty()) {
        r.writes_per_s = (double)lat.size() / secs;
        r.p50 = lat[lat.size() / 2];
        r.p99 = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)];
    }
    r.ops = all.size();
    r.linearizable = nl_lin_check_kv(all, &r.why);
    return r;
}

/* ---- etcd cluster ---- */

struct etcd_node {
    pid_t pid = -1;
    uint16_t client_port = 0, peer_port = 0;
};

static bool etcd_ready(uint16_t port)
{
    etcd_client c(port);
    return c.set("ready", "1") == 1;
}

static int rm_entry(const char *path, const struct stat *, int, struct FTW *)
{
    remove(path);
    return 0;
}

int main(int argc, char **argv)
{
    int clients = argc > 1 ? atoi(argv[1]) : 4;
    int ops = argc > 2 ? atoi(argv[2]) : 250;
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    // raft_kv, 3 nodes.
    kv_cluster *c = kvc_new(3, false);
    std::string why;
    if (!kvc_form(c, &why)) {
        fprintf(stderr, "ex13 bench: raft_kv cluster: %s\n", why.c_str());
        kvc_destroy(c);
        return 1;
    }
    int leader = kvc_wait_leader(c, 10000, "1,2,3");
    std::vector<client *> rc;
    for (int i = 0; i < clients; i++)
        rc.push_back(new raft_client(c, leader));
    result ours = run(rc, ops);
    for (client *x : rc)
        delete x;
    kvc_destroy(c);

    // etcd, 3 nodes, same loopback, its own temporary folder.
    char tmpl[] = "/tmp/netlab-ex13-etcd.XXXXXX";
    std::string root = mkdtemp(tmpl) ? tmpl : "/tmp";
    etcd_node en[3];
    std::string initial;
    for (int i = 0; i < 3; i++) {
        en[i].client_port = kvc_free_port();
        en[i].peer_port = kvc_free_port();
        initial += (i ? "," : "") + std::string("e") + std::to_string(i + 1) + "=http://127.0.0.1:" +
                   std::to_string(en[i].peer_port);
    }
    for (int i = 0; i < 3; i++) {
        std::string name = "e" + std::to_string(i + 1);
        std::string curl = "http://127.0.0.1:" + std::to_string(en[i].client_port);
        std::string purl = "http://127.0.0.1:" + std::to_string(en[i].peer_port);
        std::string dir = root + "/" + name;
        pid_t pid = fork();
        if (pid == 0) {
            int devnull = open("/dev/null", O_WRONLY);
            dup2(devnull, 1);
            dup2(devnull, 2);
            execlp("etcd", "etcd", "--name", name.c_str(), "--data-dir", dir.c_str(), "--listen-client-urls",
                   curl.c_str(), "--advertise-client-urls", curl.c_str(), "--listen-peer-urls", purl.c_str(),
                   "--initial-advertise-peer-urls", purl.c_str(), "--initial-cluster", initial.c_str(),
                   "--initial-cluster-state", "new", "--initial-cluster-token", "netlab-ex13", (char *)nullptr);
            _exit(127);
        }
        en[i].pid = pid;
    }
    bool up = false;
    for (int t = 0; t < 600 && !up; t++) {   // ready-wait: a put succeeds, 30 s at most
        up = etcd_ready(en[0].client_port);
        if (!up) {
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, nullptr);
        }
    }
    result theirs;
    if (up) {
        std::vector<client *> ec;
        for (int i = 0; i < clients; i++)
            ec.push_back(new etcd_client(en[i % 3].client_port));
        theirs = run(ec, ops);
        for (client *x : ec)
            delete x;
    }
    for (int i = 0; i < 3; i++) {
        kill(en[i].pid, SIGTERM);
        waitpid(en[i].pid, nullptr, 0);
    }
    nftw(root.c_str(), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    curl_global_cleanup();

    printf("ex13 bench: %d clients x %d operations (3 writes : 1 read, 8 keys), 3 nodes each, loopback\n", clients, ops);
    printf("  %-8s %10s %10s %10s %8s %8s  %s\n", "system", "writes/s", "p50 ms", "p99 ms", "ops", "failed", "history");
    printf("  %-8s %10.0f %10.2f %10.2f %8zu %8d  %s\n", "raft_kv", ours.writes_per_s, ours.p50, ours.p99, ours.ops,
           ours.failed, ours.linearizable ? "linearizable" : "NOT linearizable");
    if (!up) {
        printf("  etcd     did not become ready within 30 s\n");
        return 1;
    }
    printf("  %-8s %10.0f %10.2f %10.2f %8zu %8d  %s\n", "etcd", theirs.writes_per_s, theirs.p50, theirs.p99,
           theirs.ops, theirs.failed, theirs.linearizable ? "linearizable" : "NOT linearizable");
    printf("  raft_kv / etcd: writes/s x%.2f, p50 x%.2f, p99 x%.2f\n", ours.writes_per_s / theirs.writes_per_s,
           ours.p50 / theirs.p50, ours.p99 / theirs.p99);
    if (!ours.linearizable)
        printf("raft_kv: %s\n", ours.why.c_str());
    if (!theirs.linearizable)
        printf("etcd: %s\n", theirs.why.c_str());
    return ours.linearizable && theirs.linearizable ? 0 : 1;
}
