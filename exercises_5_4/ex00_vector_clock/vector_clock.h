// vector_clock.h — vector clocks: causal order of events, merge on receive, a strict byte format.
// The API of module 5.4 EX00 (seed 003) in C-style C++: a plain struct and vc_* functions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

// One counter per node id; a node that is absent counts as 0. Counters are never stored as 0.
struct VectorClock {
    std::map<std::string, uint64_t> counters;
};

enum CausalOrder {
    VC_BEFORE,     // a happened before b: a <= b component-wise and a != b
    VC_AFTER,      // b happened before a
    VC_CONCURRENT, // neither: each has seen an event the other has not
    VC_EQUAL,      // identical histories
};

enum VcStatus {
    VC_OK = 0,
    VC_ERR_SERIALIZE = -1,   // the clock cannot be encoded (a node id of 0 or more than 255 bytes)
    VC_ERR_DESERIALIZE = -2, // the bytes are not a valid encoding (truncated, corrupt, trailing data)
};

struct VcError {
    VcStatus code;
    char message[160]; // what is wrong and where, e.g. "entry 2: node ids not in increasing order"
};

// The byte format (version 1), all integers big-endian:
//   "VC" (0x56 0x43) | version u8 = 1 | count u32 |
//   count x ( id_len u8 (1..255) | id bytes | counter u64 (>= 1) )
// Entries are sorted by id (bytewise, strictly increasing); nothing may follow the last entry.
enum { VC_FORMAT_VERSION = 1, VC_HEADER_LEN = 7, VC_MAX_ID_LEN = 255 };

void vc_init(VectorClock *vc);
// A local event on node: its counter goes up by one.
void vc_tick(VectorClock *vc, const char *node);
// Receiving a message stamped `other` on node `local`: component-wise max, then tick local.
void vc_merge(VectorClock *vc, const VectorClock *other, const char *local);
// The counter of node (0 when absent).
uint64_t vc_get(const VectorClock *vc, const char *node);
CausalOrder vc_compare(const VectorClock *a, const VectorClock *b);
bool vc_happened_before(const VectorClock *a, const VectorClock *b);
bool vc_is_concurrent(const VectorClock *a, const VectorClock *b);
// Every node with a counter, sorted.
std::vector<std::string> vc_known_nodes(const VectorClock *vc);
const char *vc_order_name(CausalOrder o); // "before", "after", "concurrent", "equal"

// Encodes vc into *out (replacing its content). VC_OK, or VC_ERR_SERIALIZE with err filled.
int vc_to_bytes(const VectorClock *vc, std::vector<uint8_t> *out, VcError *err);
// Decodes exactly len bytes. On success *out holds the clock; on error *out is left untouched
// and err says what is wrong. err may be null.
int vc_from_bytes(const uint8_t *buf, size_t len, VectorClock *out, VcError *err);

// An event stamped with the clock of its origin (the seed's TimestampedEvent<T>, T = string).
struct VcEvent {
    VectorClock clock;
    std::string origin;
    std::string payload;
};
// Ticks *clock for origin (creating the event is a local event) and stamps the event with it.
void vc_event_new(VcEvent *ev, VectorClock *clock, const char *origin, const char *payload);
// True when a happened before b.
bool vc_event_caused(const VcEvent *a, const VcEvent *b);
