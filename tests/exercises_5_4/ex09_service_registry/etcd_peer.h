// etcd_peer.h — a real etcd (Debian's etcd-server 3.4) for the conformance tests: started on
// loopback on free ports, its data in a fresh temporary folder (tmpfs), ready once a range request
// succeeds, stopped with SIGTERM; requests go through its v3 JSON gateway with libcurl.
#pragma once
#include <cstdint>
#include <string>
#include <sys/types.h>

struct etcd_peer {
    pid_t pid = -1;
    uint16_t client_port = 0, peer_port = 0;
    std::string dir, base;   // data folder; "http://127.0.0.1:PORT"
    void *curl = nullptr;    // one keep-alive handle
};

// Starts etcd and waits (30 s at most) until it answers; false with the reason (and etcd's last log
// lines) in why.
bool etcd_start(etcd_peer *p, std::string *why);
void etcd_stop(etcd_peer *p);  // SIGTERM, wait, remove the data folder (safe to call twice)

// POST body to path (e.g. "/v3/kv/put"); the HTTP status (the gateway answers errors as JSON too)
// and the response body in out, or -1 when the request did not complete (curl's reason in out).
long etcd_post(etcd_peer *p, const char *path, const std::string &body, std::string *out);

// POST a streaming request (/v3/watch): on_line gets each JSON line as it arrives and returns false
// to stop. Returns 0 when on_line stopped it, -1 on timeout or transport error.
int etcd_stream(etcd_peer *p, const char *path, const std::string &body, bool (*on_line)(void *, const std::string &),
                void *arg, int timeout_ms);
