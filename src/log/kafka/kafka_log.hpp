#pragma once
// The Kafka log backend: squall's log interface on Apache Kafka through
// librdkafka, selected by a log url kafka://HOST:PORT[,HOST:PORT...].
//
// - Producer: idempotent, acks=all, lz4, batched; Kafka's Java partitioner
//   (murmur2), so a key lands on the partition partition_for_key() names, as
//   in the embedded log. produce() only enqueues: flush() waits for every
//   delivery report and fails if any record was not delivered.
// - Consumer: one member of a consumer group with cooperative (incremental)
//   rebalancing; offsets are committed only by commit(), synchronously, to
//   Kafka itself, so Kafka's own tools see the group's lag. Partitions move
//   between members only inside poll() (or inside a commit() that meets a
//   rebalance, which completes it and then commits): positions of partitions
//   that moved away are not committed, and their records go to the new
//   owner from the group's last commit (at-least-once; sinks are idempotent).
//   caught_up is confirmed against the brokers' end offsets.
// - Topics a producer or consumer uses are created on first use with
//   LogOptions::default_partitions and replication_factor.
//
// Every client checks at start-up that a broker answers within
// LogOptions::kafka_timeout_ms and fails with Errc::unavailable otherwise.
// One Producer or Consumer object is used by one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "log/log.hpp"

namespace squall::log::kafka {

inline constexpr std::string_view kUrlScheme = "kafka://";

inline bool is_kafka_url(std::string_view url) { return url.starts_with(kUrlScheme); }

Result<std::unique_ptr<Producer>> open_producer(const LogOptions& options);
Result<std::unique_ptr<Consumer>> open_consumer(const LogOptions& options, std::string group,
                                                std::vector<std::string> topics, StartFrom start);
Result<std::vector<TopicInfo>> list_topics(const LogOptions& options);
// Creates the topic with options.replication_factor; an existing topic with
// the same partition count is fine, one with another count is an error.
Result<void> create_topic(const LogOptions& options, std::string_view name, std::int32_t partitions);
Result<TopicDescription> describe_topic(const LogOptions& options, std::string_view name);

}  // namespace squall::log::kafka
