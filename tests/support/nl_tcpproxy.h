// nl_tcpproxy.h — an iptables-free TCP proxy on loopback for partition tests: it listens on a free
// port, forwards every connection to a target port, and can cut the links from chosen senders.
// A sender is told apart by the first bytes it sends (a classifier, e.g. libraft's handshake which
// carries the sending server's id), so one proxy in front of each node can partition any subset.
#pragma once
#include <cstddef>
#include <cstdint>

struct nl_tcpproxy;

// Returns the sender's tag (>= 0) from the first bytes of a connection, -1 when more bytes are
// needed (at most 64 are ever offered), -2 when the bytes say nothing (then the link is tag -2).
typedef long (*nl_tcpproxy_classify)(const uint8_t *head, size_t len);

enum nl_tcpproxy_mode {
    NL_PROXY_PASS,       // forward
    NL_PROXY_DROP,       // close the sender's links and every new one at once (connection refused-ish)
    NL_PROXY_BLACKHOLE,  // keep its links open but discard every byte, both ways (packets vanish);
                         // on heal those links are closed so the sender reconnects on clean streams
};

// Listens on 127.0.0.1:<free port>, forwards to 127.0.0.1:target_port. classify may be NULL (every
// link is tag -2). Returns NULL when it cannot listen or start its thread.
nl_tcpproxy *nl_tcpproxy_start(uint16_t target_port, nl_tcpproxy_classify classify);
uint16_t nl_tcpproxy_port(const nl_tcpproxy *p);
// Sets the mode of sender tag (NL_PROXY_ALL: every sender, whatever its tag). Synchronous: when it
// returns, no byte of a cut sender is forwarded any more.
#define NL_PROXY_ALL (-100)
void nl_tcpproxy_set(nl_tcpproxy *p, long tag, nl_tcpproxy_mode mode);
// Every sender back to NL_PROXY_PASS (blackholed links are closed).
void nl_tcpproxy_heal(nl_tcpproxy *p);
// Links forwarded so far (accepted and passed), for tests of the proxy itself.
unsigned nl_tcpproxy_links(const nl_tcpproxy *p);
void nl_tcpproxy_stop(nl_tcpproxy *p);

// Classifier for libraft's libuv TCP transport: a connection starts with the handshake
// u64 protocol (1), u64 sender id, u64 address length, address (little-endian).
long nl_tcpproxy_raft_peer_id(const uint8_t *head, size_t len);
