// sd_peers.cpp — start, wait for and stop the EX29 suite's daemons (etcd-server, zookeeper, dnsmasq),
// and a raw etcd gateway client. A daemon that dies before it answers (a port another process took
// between our probe and its bind) is started again on new ports, three times at most.
#include "sd_peers.h"

#include "nl_crypto.h"
#include "nl_testproc.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

// The records every DNS test sees. _web: four targets, one without an address (nodeless), node3 with
// two addresses that sort differently as numbers and as text; _pay and _my-service for the unified
// tests; many: 40 addresses (the answer is truncated over UDP, asked again over TCP).
static const char *const DNS_RECORDS[] = {
    "--srv-host=_web._tcp.service.local,node1.service.local,8080,10,60",
    "--srv-host=_web._tcp.service.local,node2.service.local,8081,20,5",
    "--srv-host=_web._tcp.service.local,node3.service.local,8082,10,90",
    "--srv-host=_web._tcp.service.local,nodeless.service.local,8083,5,1",
    "--host-record=node1.service.local,127.0.0.11",
    "--host-record=node2.service.local,127.0.0.12",
    "--host-record=node3.service.local,10.0.0.2",
    "--host-record=node3.service.local,9.0.0.1",
    "--host-record=api.service.local,10.0.0.5",
    "--srv-host=_pay._tcp.service.local,pay1.service.local,80,0,0",
    "--host-record=pay1.service.local,10.1.0.3",
    "--srv-host=_my-service._tcp.cluster.local,ms1.cluster.local,9000,0,0",
    "--host-record=ms1.cluster.local,127.0.0.21",
    "--srv-host=_ghost._tcp.service.local,nodeless.service.local,7000,0,0",
    // many.service.local: 40 A records in a scrambled order, more than a 512-byte UDP answer holds.
    "--host-record=many.service.local,10.0.3.1",
    "--host-record=many.service.local,10.0.3.18",
    "--host-record=many.service.local,10.0.3.35",
    "--host-record=many.service.local,10.0.3.12",
    "--host-record=many.service.local,10.0.3.29",
    "--host-record=many.service.local,10.0.3.6",
    "--host-record=many.service.local,10.0.3.23",
    "--host-record=many.service.local,10.0.3.40",
    "--host-record=many.service.local,10.0.3.17",
    "--host-record=many.service.local,10.0.3.34",
    "--host-record=many.service.local,10.0.3.11",
    "--host-record=many.service.local,10.0.3.28",
    "--host-record=many.service.local,10.0.3.5",
    "--host-record=many.service.local,10.0.3.22",
    "--host-record=many.service.local,10.0.3.39",
    "--host-record=many.service.local,10.0.3.16",
    "--host-record=many.service.local,10.0.3.33",
    "--host-record=many.service.local,10.0.3.10",
    "--host-record=many.service.local,10.0.3.27",
    "--host-record=many.service.local,10.0.3.4",
    "--host-record=many.service.local,10.0.3.21",
    "--host-record=many.service.local,10.0.3.38",
    "--host-record=many.service.local,10.0.3.15",
    "--host-record=many.service.local,10.0.3.32",
    "--host-record=many.service.local,10.0.3.9",
    "--host-record=many.service.local,10.0.3.26",
    "--host-record=many.service.local,10.0.3.3",
    "--host-record=many.service.local,10.0.3.20",
    "--host-record=many.service.local,10.0.3.37",
    "--host-record=many.service.local,10.0.3.14",
    "--host-record=many.service.local,10.0.3.31",
    "--host-record=many.service.local,10.0.3.8",
    "--host-record=many.service.local,10.0.3.25",
    "--host-record=many.service.local,10.0.3.2",
    "--host-record=many.service.local,10.0.3.19",
    "--host-record=many.service.local,10.0.3.36",
    "--host-record=many.service.local,10.0.3.13",
    "--host-record=many.service.local,10.0.3.30",
    "--host-record=many.service.local,10.0.3.7",
    "--host-record=many.service.local,10.0.3.24",
};

long peer_now_ms()
{
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

void peer_nap_ms(long ms)
{
    timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, nullptr);
}

uint16_t peer_free_port()
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    uint16_t port = 0;
    if (bind(fd, (sockaddr *)&a, sizeof a) == 0 && getsockname(fd, (sockaddr *)&a, &len) == 0) port = ntohs(a.sin_port);
    close(fd);
    return port;
}

std::string peer_addr(const sd_peer *p)
{
    return "127.0.0.1:" + std::to_string(p->port);
}

static bool make_dir(sd_peer *p)
{
    if (!p->dir.empty()) return true;
    const char *tmp = getenv("TMPDIR");  // the grader gives each test its own folder
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/netlab-ex29.XXXXXX";
    if (!mkdtemp(&tmpl[0])) return false;
    p->dir = tmpl;
    return true;
}

static pid_t spawn(const std::vector<std::string> &argv, const std::string &log)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        nl_die_with_parent(parent);
        int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        std::vector<char *> av;
        for (const std::string &a : argv) av.push_back((char *)a.c_str());
        av.push_back(nullptr);
        execvp(av[0], av.data());
        _exit(127);
    }
    return pid;
}

static bool exited(sd_peer *p)
{
    int st;
    if (p->pid > 0 && waitpid(p->pid, &st, WNOHANG) == p->pid) {
        p->pid = -1;
        return true;
    }
    return p->pid <= 0;
}

// Waits until ready(port) or 60 s (a JVM on a machine at load 50 needs time); false when the daemon exited first or never answered.
static bool wait_ready(sd_peer *p, bool (*ready)(uint16_t), std::string *why)
{
    long until = peer_now_ms() + 60000;
    while (peer_now_ms() < until) {
        if (ready(p->port)) return true;
        if (exited(p)) {
            *why = std::string(p->what) + " exited before answering (log in " + p->dir + ")";
            return false;
        }
        peer_nap_ms(20);
    }
    *why = std::string(p->what) + " did not answer within 60 s";
    return false;
}

// Every started peer by value, stopped at exit: a failed check jumps out of its test (and its
// stack) before peer_stop runs.
static std::vector<sd_peer> running;
static void forget(const std::string &dir)
{
    for (size_t i = 0; i < running.size(); i++)
        if (running[i].dir == dir) running.erase(running.begin() + (long)i--);
}
static void stop_all()
{
    std::vector<sd_peer> left = running;
    for (sd_peer &p : left) peer_stop(&p);
}

static bool start(sd_peer *p, const char *what, std::vector<std::string> (*argv)(sd_peer *), bool (*ready)(uint16_t),
                  std::string *why)
{
    p->what = what;
    static bool hooked = atexit(stop_all) == 0;
    (void)hooked;
    if (!make_dir(p)) {
        *why = "mkdtemp failed";
        return false;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        p->port = peer_free_port();
        p->pid = spawn(argv(p), p->dir + "/log");
        forget(p->dir);
        running.push_back(*p);
        if (wait_ready(p, ready, why)) return true;
        if (p->pid > 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, nullptr, 0);
            p->pid = -1;
        }
    }
    return false;
}

static int rm_entry(const char *path, const struct stat *, int, struct FTW *)
{
    remove(path);
    return 0;
}

void peer_stop(sd_peer *p)
{
    forget(p->dir);
    if (p->pid > 0) {
        kill(p->pid, SIGTERM);
        long until = peer_now_ms() + 10000;
        while (!exited(p) && peer_now_ms() < until) peer_nap_ms(10);
        if (p->pid > 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, nullptr, 0);
            p->pid = -1;
        }
    }
    if (!p->dir.empty()) nftw(p->dir.c_str(), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    p->dir.clear();
}

/* ---- raw etcd gateway client ---- */

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    ((std::string *)arg)->append(data, size * n);
    return size * n;
}

static json_t *raw_post(uint16_t port, const char *path, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    std::string url = "http://127.0.0.1:" + std::to_string(port) + path, reply;
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    free(text);
    if (rc != CURLE_OK) return nullptr;
    json_t *obj = json_loadb(reply.data(), reply.size(), 0, nullptr);
    if (json_is_object(obj) && !json_object_get(obj, "code")) return obj;
    json_decref(obj);
    return nullptr;
}

static std::string b64(const std::string &s)
{
    return nl_base64_encode(s.data(), s.size());
}

static std::string unb64(json_t *v)
{
    std::string out;
    const char *t = json_string_value(v);
    if (t) nl_base64_decode(t, strlen(t), &out);
    return out;
}

bool raw_etcd_put(uint16_t port, const std::string &key, const std::string &value)
{
    json_t *r = raw_post(port, "/v3/kv/put", json_pack("{s:s,s:s}", "key", b64(key).c_str(), "value", b64(value).c_str()));
    json_decref(r);
    return r != nullptr;
}

bool raw_etcd_get(uint16_t port, const std::string &key, bool *found, std::string *value)
{
    json_t *r = raw_post(port, "/v3/kv/range", json_pack("{s:s}", "key", b64(key).c_str()));
    if (!r) return false;
    json_t *kv = json_array_get(json_object_get(r, "kvs"), 0);
    *found = kv != nullptr;
    *value = kv ? unb64(json_object_get(kv, "value")) : "";
    json_decref(r);
    return true;
}

bool raw_etcd_keys(uint16_t port, const std::string &prefix, std::vector<std::string> *keys)
{
    std::string end = prefix;
    end.back()++;  // the suite's prefixes end in '/' or a letter, never 0xff
    json_t *r = raw_post(port, "/v3/kv/range",
                         json_pack("{s:s,s:s,s:b}", "key", b64(prefix).c_str(), "range_end", b64(end).c_str(), "keys_only", 1));
    if (!r) return false;
    keys->clear();
    size_t i;
    json_t *kv;
    json_array_foreach(json_object_get(r, "kvs"), i, kv) keys->push_back(unb64(json_object_get(kv, "key")));
    json_decref(r);
    return true;
}

int64_t raw_etcd_revision(uint16_t port)
{
    json_t *r = raw_post(port, "/v3/kv/range", json_pack("{s:s}", "key", "AA=="));
    if (!r) return -1;
    const char *rev = json_string_value(json_object_get(json_object_get(r, "header"), "revision"));
    int64_t v = rev ? strtoll(rev, nullptr, 10) : -1;
    json_decref(r);
    return v;
}

/* ---- etcd ---- */

static uint16_t etcd_peer_port;

static std::vector<std::string> etcd_argv(sd_peer *p)
{
    etcd_peer_port = peer_free_port();
    std::string c = "http://127.0.0.1:" + std::to_string(p->port), pe = "http://127.0.0.1:" + std::to_string(etcd_peer_port);
    return {"etcd", "--name", "ex29", "--data-dir", p->dir + "/etcd", "--listen-client-urls", c,
            "--advertise-client-urls", c, "--listen-peer-urls", pe, "--initial-advertise-peer-urls", pe,
            "--initial-cluster", "ex29=" + pe, "--initial-cluster-token", "ex29-" + std::to_string(getpid()),
            "--log-level", "error",
            // A non-default quota also sizes bbolt's mmap (10 GiB otherwise): the grader caps the
            // address space at 4 GiB.
            "--quota-backend-bytes", "134217728"};
}

static bool etcd_ready(uint16_t port)
{
    return raw_etcd_revision(port) > 0;
}

bool peer_etcd_start(sd_peer *p, std::string *why)
{
    return start(p, "etcd", etcd_argv, etcd_ready, why);
}

/* ---- ZooKeeper (standalone, the Debian jars, no admin server) ---- */

static std::vector<std::string> zk_argv(sd_peer *p)
{
    std::string cfg = p->dir + "/zoo.cfg";
    FILE *f = fopen(cfg.c_str(), "w");
    if (f) {
        fprintf(f, "tickTime=500\ndataDir=%s/zk\nclientPort=%u\nclientPortAddress=127.0.0.1\n"
                   "admin.enableServer=false\n4lw.commands.whitelist=ruok\nmaxClientCnxns=0\n",
                p->dir.c_str(), p->port);
        fclose(f);
    }
    // preAllocSize: the transaction log grows in 64 MiB steps by default, the grader's file-size cap.
    return {"java", "-Dzookeeper.preAllocSize=4096", "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
            "-XX:ReservedCodeCacheSize=32m", "-XX:CompressedClassSpaceSize=64m", "-Xss512k",
            "-cp", "/usr/share/java/zookeeper.jar", "org.apache.zookeeper.server.ZooKeeperServerMain", cfg};
}

static bool zk_ready(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char buf[8] = {0};
    bool ok = false;
    if (connect(fd, (sockaddr *)&a, sizeof a) == 0 && write(fd, "ruok", 4) == 4) {
        pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 2000) == 1) ok = read(fd, buf, 4) == 4 && !memcmp(buf, "imok", 4);
    }
    close(fd);
    return ok;
}

bool peer_zk_start(sd_peer *p, std::string *why)
{
    return start(p, "zookeeper", zk_argv, zk_ready, why);
}

/* ---- dnsmasq ---- */

static std::vector<std::string> dns_argv(sd_peer *p)
{
    // Its full path: tests run with PATH=/usr/local/bin:/usr/bin:/bin.
    std::vector<std::string> v = {"/usr/sbin/dnsmasq", "--keep-in-foreground", "--port=" + std::to_string(p->port),
                                  "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                                  "--conf-file=/dev/null", "--pid-file=" + p->dir + "/pid", "--log-facility=-",
                                  "--local=/service.local/", "--local=/cluster.local/"};
    if (geteuid() == 0) v.push_back("--user=root");
    for (const char *r : DNS_RECORDS) v.push_back(r);
    return v;
}

// Any answer to an A query for node1.service.local over UDP.
static bool dns_ready(uint16_t port)
{
    static const unsigned char q[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 'n', 'o', 'd', 'e', '1', 7, 's', 'e',
                                      'r', 'v', 'i', 'c', 'e', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 1, 0, 1};
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned char buf[512];
    bool ok = false;
    if (sendto(fd, q, sizeof q, 0, (sockaddr *)&a, sizeof a) == (ssize_t)sizeof q) {
        pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 500) == 1) ok = recv(fd, buf, sizeof buf, 0) > 12 && buf[0] == 0x12 && buf[1] == 0x34;
    }
    close(fd);
    return ok;
}

bool peer_dns_start(sd_peer *p, std::string *why)
{
    return start(p, "dnsmasq", dns_argv, dns_ready, why);
}

/* ---- a foreign HTTP server ---- */

// Reads one whole request (headers and Content-Length body) from c; false when the client left.
static bool read_request(int c)
{
    std::string req;
    char buf[4096];
    size_t need = std::string::npos;
    while (need == std::string::npos || req.size() < need) {
        pollfd pf = {c, POLLIN, 0};
        if (poll(&pf, 1, 5000) != 1) return false;
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) return false;
        req.append(buf, (size_t)n);
        size_t end = req.find("\r\n\r\n");
        if (end != std::string::npos && need == std::string::npos) {
            size_t cl = req.find("Content-Length: ");
            need = end + 4 + (cl != std::string::npos && cl < end ? strtoul(req.c_str() + cl + 16, nullptr, 10) : 0);
        }
    }
    return true;
}

static void write_text(int c, const std::string &s)
{
    if (write(c, s.data(), s.size()) < 0) {
    }
}

static void *fake_http_main(void *arg)
{
    fake_http *f = (fake_http *)arg;
    for (;;) {
        int c = accept(f->fd, nullptr, nullptr);
        if (c < 0) return nullptr;  // the listening socket was shut down
        __atomic_add_fetch(&f->requests, 1, __ATOMIC_SEQ_CST);
        bool got = read_request(c);
        if (got && f->mode == FAKE_ANSWER) {
            write_text(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(f->body.size()) +
                              "\r\nConnection: close\r\n\r\n" + f->body);
        } else if (got && f->mode == FAKE_SILENT) {
            // Holds the connection until the client gives up (EOF) or the server stops.
            char buf[256];
            while (!__atomic_load_n(&f->stop, __ATOMIC_SEQ_CST)) {
                pollfd pf = {c, POLLIN, 0};
                if (poll(&pf, 1, 50) == 1 && read(c, buf, sizeof buf) <= 0) break;
            }
        } else if (got && f->mode == FAKE_PARTIAL_RESET) {
            write_text(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n" + f->body);
            peer_nap_ms(300);  // the client reads the half reply before the reset
            linger l = {1, 0};
            setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        }
        close(c);
    }
}

bool fake_http_bind(fake_http *f)
{
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (f->fd < 0 || bind(f->fd, (sockaddr *)&a, sizeof a) || getsockname(f->fd, (sockaddr *)&a, &len)) {
        if (f->fd >= 0) close(f->fd);
        f->fd = -1;
        return false;
    }
    f->port = ntohs(a.sin_port);
    return true;
}

bool fake_http_listen(fake_http *f, const std::string &body, int mode)
{
    f->body = body;
    f->mode = mode;
    if (listen(f->fd, 16) || pthread_create(&f->th, nullptr, fake_http_main, f)) {
        close(f->fd);
        f->fd = -1;
        return false;
    }
    return true;
}

bool fake_http_start(fake_http *f, const std::string &body, int mode)
{
    return fake_http_bind(f) && fake_http_listen(f, body, mode);
}

void fake_http_stop(fake_http *f)
{
    if (f->fd < 0) return;
    __atomic_store_n(&f->stop, true, __ATOMIC_SEQ_CST);
    shutdown(f->fd, SHUT_RDWR);
    pthread_join(f->th, nullptr);
    close(f->fd);
    f->fd = -1;
}

int fake_http_requests(fake_http *f)
{
    return __atomic_load_n(&f->requests, __ATOMIC_SEQ_CST);
}

int64_t raw_etcd_grant(uint16_t port, int64_t ttl_s)
{
    json_t *r = raw_post(port, "/v3/lease/grant", json_pack("{s:I}", "TTL", (json_int_t)ttl_s));
    const char *id = r ? json_string_value(json_object_get(r, "ID")) : nullptr;
    int64_t v = id ? strtoll(id, nullptr, 10) : 0;
    json_decref(r);
    return v;
}

bool raw_etcd_put_lease(uint16_t port, const std::string &key, const std::string &value, int64_t lease)
{
    json_t *r = raw_post(port, "/v3/kv/put", json_pack("{s:s,s:s,s:s}", "key", b64(key).c_str(), "value", b64(value).c_str(), "lease",
                                                       std::to_string(lease).c_str()));
    json_decref(r);
    return r != nullptr;
}

bool raw_etcd_compact(uint16_t port, int64_t revision)
{
    json_t *r = raw_post(port, "/v3/kv/compaction", json_pack("{s:I}", "revision", (json_int_t)revision));
    json_decref(r);
    return r != nullptr;
}

int64_t raw_etcd_ttl(uint16_t port, int64_t lease)
{
    json_t *r = raw_post(port, "/v3/kv/lease/timetolive", json_pack("{s:s}", "ID", std::to_string(lease).c_str()));
    if (!r) return -2;
    const char *ttl = json_string_value(json_object_get(r, "TTL"));
    int64_t v = ttl ? strtoll(ttl, nullptr, 10) : -1;
    json_decref(r);
    return v;
}
