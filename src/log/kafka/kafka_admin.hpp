#pragma once
// Topic administration on any squall Kafka client handle (producer, consumer
// or a dedicated admin handle): metadata lookups and topic creation through
// librdkafka's Admin API (C API: the C++ API has no admin calls).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

#include "core/result.hpp"
#include "log/log.hpp"

namespace squall::log::kafka {

struct TopicDefaults {
  std::int32_t partitions = 1;
  std::int16_t replication_factor = 1;
};

// The topic's partition count, or nothing when the cluster does not know it.
// Never creates the topic (the clients set allow.auto.create.topics=false).
Result<std::optional<std::int32_t>> partition_count(RdKafka::Handle& handle, const std::string& topic,
                                                    int timeout_ms);

// Partitions with leaders, replicas, in-sync replicas and retained offsets.
Result<TopicDescription> describe_topic(RdKafka::Handle& handle, const std::string& topic, int timeout_ms);

// Every topic but Kafka's internal ones ("__consumer_offsets", ...), by name.
Result<std::vector<TopicInfo>> list_topics(RdKafka::Handle& handle, int timeout_ms);

// Creates the topic and waits until the cluster has it. Returns false when
// it already existed (whatever its partition count).
Result<bool> create_topic(RdKafka::Handle& handle, const std::string& topic, TopicDefaults settings, int timeout_ms);

// Creates the topic with `defaults` unless it exists; returns its partition count.
// Waits, within `timeout_ms`, until `topic`'s partitions are in the metadata.
Result<std::int32_t> wait_for_topic(RdKafka::Handle& handle, const std::string& topic, int timeout_ms);

Result<std::int32_t> ensure_topic(RdKafka::Handle& handle, const std::string& topic, TopicDefaults defaults,
                                  int timeout_ms);

}  // namespace squall::log::kafka
