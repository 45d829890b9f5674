// message_broker.h — a Kafka-like broker in memory (module 5.4, EX06): topics split into partitions,
// consumer groups that share partitions, offsets, at-least-once redelivery. Time is injected.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

typedef uint64_t mb_offset;
typedef std::pair<std::string, uint32_t> mb_topic_partition;      // (topic, partition)
typedef std::map<mb_topic_partition, mb_offset> mb_offsets;

struct mb_clock {                          // milliseconds; now_ms == NULL means nl_now_ms
    uint64_t (*now_ms)(void *ctx);
    void *ctx;
};

struct mb_config {
    uint32_t default_partitions;     // 4
    uint64_t retention_ms;           // 86400000 (24 h)
    size_t max_message_size;         // 1048576 bytes of payload
    uint64_t ack_timeout_ms;         // 30000: unacked deliveries come back after this
    size_t max_unacked_messages;     // 1000 per consumer
    mb_clock clock;
};
void mb_config_default(mb_config *cfg);

enum mb_semantics { MB_AT_MOST_ONCE, MB_AT_LEAST_ONCE, MB_EXACTLY_ONCE };

enum mb_err {
    MB_OK = 0,
    MB_TOPIC_NOT_FOUND,
    MB_TOPIC_EXISTS,
    MB_PARTITION_NOT_FOUND,
    MB_GROUP_NOT_FOUND,
    MB_CONSUMER_NOT_REGISTERED,
    MB_MESSAGE_TOO_LARGE,
    MB_INVALID_OFFSET,
    MB_TOO_MANY_UNACKED,
    MB_NOT_ASSIGNED,          // the consumer does not own that partition (any more)
    MB_INVALID_ARG,
};
const char *mb_err_name(mb_err e);

struct mb_error {
    mb_err code;
    std::string message;           // a sentence naming the topic/partition/offset involved
    uint64_t size, max;            // MB_MESSAGE_TOO_LARGE
    mb_offset requested, min_offset, max_offset;   // MB_INVALID_OFFSET
};

struct mb_message {
    std::string id;                // empty: the broker names it "<topic>/<partition>/<offset>"
    bool has_key;
    std::string key;               // bytes; decides the partition when has_key
    std::string payload;           // bytes
    std::map<std::string, std::string> headers;
    uint64_t timestamp_ms;         // set by the broker at publish (its clock)
};

struct mb_consumed {
    mb_message message;
    std::string topic;
    uint32_t partition;
    mb_offset offset;
};

struct mb_topic_config {
    std::string name;
    uint32_t partitions;           // 0 = default_partitions
    uint64_t retention_ms;         // 0 = the broker's
    size_t max_message_size;       // 0 = the broker's
};

struct mb_publish_result {
    std::string topic;
    uint32_t partition;
    mb_offset offset;
    std::string message_id;
};

struct mb_stats {
    uint64_t total_messages;       // retained now
    size_t total_topics, total_partitions, total_consumer_groups;
    std::map<std::string, uint64_t> messages_per_topic;
};

struct mb_broker;

mb_broker *mb_new(const mb_config *cfg);   // NULL = defaults
void mb_free(mb_broker *b);

mb_err mb_create_topic(mb_broker *b, const mb_topic_config *tc, mb_error *err);
mb_err mb_delete_topic(mb_broker *b, const char *topic, mb_error *err);
std::vector<std::string> mb_list_topics(mb_broker *b);                 // sorted
bool mb_get_topic_config(mb_broker *b, const char *topic, mb_topic_config *out);

// The partition of a key: FNV-1a 64 of the key bytes, modulo the partition count.
uint32_t mb_partition_for_key(const std::string &key, uint32_t partitions);
// Appends to the key's partition (no key: round robin). A message id already in the topic is not
// stored twice: the first publish's result is returned (idempotent producer retries).
mb_err mb_publish(mb_broker *b, const char *topic, const mb_message *m, mb_publish_result *out, mb_error *err);
// All or nothing: when one message is refused, none is stored.
mb_err mb_publish_batch(mb_broker *b, const char *topic, const std::vector<mb_message> &ms,
                        std::vector<mb_publish_result> *out, mb_error *err);

// Joins (or updates) a consumer; partitions of the group's topics are re-assigned at once.
mb_err mb_join_group(mb_broker *b, const char *group, const char *consumer, const std::vector<std::string> &topics,
                     mb_semantics sem, mb_error *err);
mb_err mb_leave_group(mb_broker *b, const char *group, const char *consumer, mb_error *err);
mb_err mb_rebalance_group(mb_broker *b, const char *group, mb_error *err);
// The partitions this consumer owns now, sorted.
std::vector<mb_topic_partition> mb_assignment(mb_broker *b, const char *group, const char *consumer);

// Up to max_messages from the consumer's partitions, each partition in offset order. Deliveries not
// acknowledged within ack_timeout_ms are delivered again (from the first unacknowledged offset).
// Never blocks: timeout_ms is accepted for the seed's signature and ignored (see README).
mb_err mb_poll(mb_broker *b, const char *group, const char *consumer, size_t max_messages, uint64_t timeout_ms,
               std::vector<mb_consumed> *out, mb_error *err);
// Cumulative: {(t,p): n} acknowledges every delivered offset <= n and commits n + 1.
mb_err mb_acknowledge(mb_broker *b, const char *group, const char *consumer, const mb_offsets &offsets, mb_error *err);
// {(t,p): n}: offsets >= n are delivered again at the next poll.
mb_err mb_nack(mb_broker *b, const char *group, const char *consumer, const mb_offsets &offsets, mb_error *err);
// Stores {(t,p): next offset to read} as the group's committed position (Kafka's meaning).
mb_err mb_commit_offsets(mb_broker *b, const char *group, const char *consumer, const mb_offsets &offsets,
                         mb_error *err);
mb_offsets mb_get_committed_offsets(mb_broker *b, const char *group);

// Moves the consumer's read position; offset must lie in [first retained, end].
mb_err mb_seek(mb_broker *b, const char *group, const char *consumer, const char *topic, uint32_t partition,
               mb_offset offset, mb_error *err);
mb_err mb_seek_to_beginning(mb_broker *b, const char *group, const char *consumer, const char *topic,
                            uint32_t partition, mb_error *err);
mb_err mb_seek_to_end(mb_broker *b, const char *group, const char *consumer, const char *topic, uint32_t partition,
                      mb_error *err);

size_t mb_cleanup_expired(mb_broker *b);     // drops messages older than their topic's retention
mb_stats mb_get_stats(mb_broker *b);
