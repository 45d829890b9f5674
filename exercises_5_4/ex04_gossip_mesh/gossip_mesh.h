// gossip_mesh.h — SWIM membership (module 5.4, EX04): probe, indirect probe, suspicion, death,
// refutation by incarnation, updates piggybacked on every message, graceful leave, metadata.
// The protocol is a pure state machine: it never touches a socket or a clock of its own; it returns
// actions (send this, arm that timer, this member changed) that a driver carries out — the
// deterministic simulator in the tests, or UDP datagrams in gossip_node.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

enum gm_state { GM_ALIVE, GM_SUSPECT, GM_DEAD, GM_LEFT, GM_UNKNOWN /* not known before */ };
const char *gm_state_name(gm_state s);           // "alive", "suspect", "dead", "left", "unknown"

typedef std::map<std::string, std::string> gm_metadata;

struct gm_clock {                                // milliseconds; now_ms == NULL means nl_now_ms
    uint64_t (*now_ms)(void *ctx);
    void *ctx;
};

struct gm_config {
    uint64_t probe_interval_ms;     // 1000: one protocol period (the driver calls gm_tick this often)
    uint64_t probe_timeout_ms;      // 500: direct ping unanswered -> indirect probes
    int indirect_probes;            // 3: members asked to ping the target for us (PingReq)
    int suspicion_multiplier;       // 5: a suspect is declared dead after multiplier * probe_interval
                                    //    * max(1, log10(n)) (n = live members, self included)
    int fanout;                     // 3: members a Gossip message is pushed to each period
    int max_piggyback;              // 10: most updates carried by one message
    int retransmit_multiplier;      // 4: an update is sent multiplier * ceil(log10(n + 1)) times
    uint64_t dead_retention_ms;     // 30000: dead and left members are forgotten after this
    int sync_interval_periods;      // 10: every that many periods, a full Sync with one random member
                                    //     (anti-entropy: repairs what gossip missed; 0 = never)
    uint64_t seed;                  // the node's random choices (probe order, gossip targets)
    gm_clock clock;
};
void gm_config_default(gm_config *cfg);

struct gm_member {
    std::string id;
    std::string address;            // opaque to the protocol: "127.0.0.1:7001", "sim:3"...
    gm_state state;
    uint64_t incarnation;
    gm_metadata metadata;
    uint64_t last_update_ms;
};

struct gm_update {
    std::string id;
    gm_state state;
    uint64_t incarnation;
    std::string address;            // "" = not carried
    bool has_metadata;
    gm_metadata metadata;
};

enum gm_msg_type { GM_PING, GM_ACK, GM_PING_REQ, GM_GOSSIP, GM_SYNC, GM_SYNC_REQUEST };
struct gm_message {
    gm_msg_type type;
    uint64_t seq;                   // PING, ACK, PING_REQ
    std::string from;               // sender's member id (ACK: the member that answered)
    std::string target;             // PING_REQ: the member to ping
    std::vector<gm_update> updates; // piggybacked (PING, ACK, PING_REQ), GOSSIP's updates, SYNC's members
};

enum gm_action_type { GM_SEND, GM_SCHEDULE_TIMER, GM_MEMBERSHIP_CHANGE };
struct gm_action {
    gm_action_type type;
    std::string to;                 // GM_SEND: the destination address
    gm_message message;             // GM_SEND
    std::string timer;              // GM_SCHEDULE_TIMER: "probe_timeout_<id>", ...
    uint64_t delay_ms;              // GM_SCHEDULE_TIMER
    std::string member;             // GM_MEMBERSHIP_CHANGE
    gm_state old_state, new_state;  // GM_MEMBERSHIP_CHANGE (old GM_UNKNOWN for a new member)
};
typedef std::vector<gm_action> gm_actions;

struct gm_protocol;

gm_protocol *gm_new(const char *self_id, const char *self_address, const gm_config *cfg);   // NULL cfg = defaults
void gm_free(gm_protocol *p);

// Sends a SyncRequest to each seed address (and remembers them as fallback gossip targets).
gm_actions gm_bootstrap(gm_protocol *p, const std::vector<std::string> &seed_addresses);
// One protocol period: ping the next member (round robin over a shuffled list), push pending
// updates to `fanout` members, forget members dead for longer than dead_retention; while it knows
// nobody, send the seeds a SyncRequest again (a join lost on the way is retried); every
// sync_interval_periods, a SyncRequest to one random member (anti-entropy).
gm_actions gm_tick(gm_protocol *p);
gm_actions gm_handle_message(gm_protocol *p, const char *from_address, const gm_message *m);
// Timers the protocol asked for: "probe_timeout_<id>", "indirect_timeout_<id>", "suspicion_timeout_<id>".
gm_actions gm_handle_timer(gm_protocol *p, const char *name);
// Sets self metadata, bumps self incarnation and gossips it.
gm_actions gm_update_metadata(gm_protocol *p, const char *key, const char *value);
// Announces Left and stops probing.
gm_actions gm_leave(gm_protocol *p);

std::vector<std::string> gm_alive_members(gm_protocol *p);    // ids in state alive, self included, sorted
std::vector<gm_member> gm_all_members(gm_protocol *p);        // every known member, self included
size_t gm_cluster_size(gm_protocol *p);                       // alive + suspect, self included
bool gm_is_alive(gm_protocol *p, const char *id);
bool gm_get_metadata(gm_protocol *p, const char *id, gm_metadata *out);
bool gm_get_member(gm_protocol *p, const char *id, gm_member *out);
uint64_t gm_incarnation(gm_protocol *p);                      // self

// The wire format (one JSON object per datagram), used by the simulator and gossip_node.
std::string gm_encode(const gm_message *m);
// Strict: false with a reason for anything that is not a well-formed message.
bool gm_decode(const char *data, size_t len, gm_message *out, std::string *err);
