#include "log/kafka/kafka_admin.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <spdlog/spdlog.h>

#include "log/kafka/kafka_client.hpp"

namespace squall::log::kafka {
namespace {

// Owns a librdkafka C object: std::unique_ptr<T, Destroy<rd_kafka_T_destroy>>.
template <auto destroy>
struct Destroy {
  template <class T>
  void operator()(T* object) const {
    destroy(object);
  }
};

using NewTopic = std::unique_ptr<rd_kafka_NewTopic_t, Destroy<rd_kafka_NewTopic_destroy>>;
using AdminOptions = std::unique_ptr<rd_kafka_AdminOptions_t, Destroy<rd_kafka_AdminOptions_destroy>>;
using Queue = std::unique_ptr<rd_kafka_queue_t, Destroy<rd_kafka_queue_destroy>>;
using Event = std::unique_ptr<rd_kafka_event_t, Destroy<rd_kafka_event_destroy>>;

// Admin requests that lose their connection still answer, with an error,
// after the request timeout: wait a little longer than that for the event.
constexpr int kResultGraceMs = 1000;

bool is_internal_topic(const std::string& name) { return name.starts_with("__"); }

RdKafka::ErrorCode cpp_code(rd_kafka_resp_err_t code) { return static_cast<RdKafka::ErrorCode>(code); }

Result<std::unique_ptr<RdKafka::Metadata>> fetch_metadata(RdKafka::Handle& handle, RdKafka::Topic* only_topic,
                                                          int timeout_ms, std::string_view what) {
  RdKafka::Metadata* raw = nullptr;
  const RdKafka::ErrorCode code = handle.metadata(only_topic == nullptr, only_topic, &raw, timeout_ms);
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  if (code != RdKafka::ERR_NO_ERROR) return kafka_error(code, fmt::format("Kafka metadata for {}", what));
  return metadata;
}

Result<AdminOptions> create_topics_options(rd_kafka_t* client, int timeout_ms) {
  AdminOptions options(rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  std::array<char, 512> why{};
  // The operation timeout makes the controller answer only once the topic
  // exists, so the caller can use it right away.
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, why.data(), why.size()) ||
      rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms, why.data(), why.size())) {
    return make_error(Errc::invalid_argument, fmt::format("Kafka admin timeout {} ms: {}", timeout_ms, why.data()));
  }
  return options;
}

Result<bool> read_create_result(rd_kafka_event_t* event, const std::string& topic) {
  const std::string context = fmt::format("creating Kafka topic '{}'", topic);
  if (const rd_kafka_resp_err_t code = rd_kafka_event_error(event)) {
    return make_error(errc_of(cpp_code(code)), fmt::format("{}: {}", context, rd_kafka_event_error_string(event)));
  }
  std::size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
  if (count != 1) return make_error(Errc::internal, fmt::format("{}: {} results for one topic", context, count));
  const rd_kafka_resp_err_t code = rd_kafka_topic_result_error(results[0]);
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  if (code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) return false;
  const char* detail = rd_kafka_topic_result_error_string(results[0]);
  return make_error(errc_of(cpp_code(code)),
                    fmt::format("{}: {}", context, detail != nullptr ? detail : rd_kafka_err2str(code)));
}

}  // namespace

Result<std::optional<std::int32_t>> partition_count(RdKafka::Handle& handle, const std::string& topic,
                                                    int timeout_ms) {
  std::string why;
  std::unique_ptr<RdKafka::Topic> only(RdKafka::Topic::create(&handle, topic, nullptr, why));
  if (!only) return make_error(Errc::invalid_argument, fmt::format("Kafka topic '{}': {}", topic, why));
  std::unique_ptr<RdKafka::Metadata> metadata;
  SQUALL_ASSIGN(metadata, fetch_metadata(handle, only.get(), timeout_ms, fmt::format("topic '{}'", topic)));
  for (const RdKafka::TopicMetadata* found : *metadata->topics()) {
    if (found->topic() != topic) continue;
    if (found->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART) return std::optional<std::int32_t>();
    if (found->partitions()->empty()) {
      return kafka_error(found->err(), fmt::format("Kafka metadata for topic '{}'", topic));
    }
    return std::optional<std::int32_t>(static_cast<std::int32_t>(found->partitions()->size()));
  }
  return std::optional<std::int32_t>();
}

Result<TopicDescription> describe_topic(RdKafka::Handle& handle, const std::string& topic, int timeout_ms) {
  std::string why;
  std::unique_ptr<RdKafka::Topic> only(RdKafka::Topic::create(&handle, topic, nullptr, why));
  if (!only) return make_error(Errc::invalid_argument, fmt::format("Kafka topic '{}': {}", topic, why));
  std::unique_ptr<RdKafka::Metadata> metadata;
  SQUALL_ASSIGN(metadata, fetch_metadata(handle, only.get(), timeout_ms, fmt::format("topic '{}'", topic)));
  const RdKafka::TopicMetadata* found = nullptr;
  for (const RdKafka::TopicMetadata* candidate : *metadata->topics()) {
    if (candidate->topic() == topic) found = candidate;
  }
  if (found == nullptr || found->err() == RdKafka::ERR_UNKNOWN_TOPIC_OR_PART || found->partitions()->empty()) {
    return make_error(Errc::not_found, fmt::format("Kafka topic '{}' does not exist (see `squall topics list`)", topic));
  }
  TopicDescription description{topic, 0, {}};
  for (const RdKafka::PartitionMetadata* metadata_of : *found->partitions()) {
    PartitionDescription partition;
    partition.partition = metadata_of->id();
    partition.leader = metadata_of->leader();
    partition.replicas.assign(metadata_of->replicas()->begin(), metadata_of->replicas()->end());
    partition.in_sync_replicas.assign(metadata_of->isrs()->begin(), metadata_of->isrs()->end());
    const RdKafka::ErrorCode code = handle.query_watermark_offsets(topic, partition.partition, &partition.earliest_offset,
                                                                    &partition.end_offset, timeout_ms);
    if (code != RdKafka::ERR_NO_ERROR) {
      return kafka_error(code, fmt::format("offsets of Kafka topic '{}' partition {}", topic, partition.partition));
    }
    description.replication_factor =
        std::max(description.replication_factor, static_cast<std::int32_t>(partition.replicas.size()));
    description.partitions.push_back(std::move(partition));
  }
  std::sort(description.partitions.begin(), description.partitions.end(),
            [](const auto& a, const auto& b) { return a.partition < b.partition; });
  return description;
}

Result<std::vector<TopicInfo>> list_topics(RdKafka::Handle& handle, int timeout_ms) {
  std::unique_ptr<RdKafka::Metadata> metadata;
  SQUALL_ASSIGN(metadata, fetch_metadata(handle, nullptr, timeout_ms, "all topics"));
  std::vector<TopicInfo> topics;
  for (const RdKafka::TopicMetadata* topic : *metadata->topics()) {
    if (is_internal_topic(topic->topic()) || topic->partitions()->empty()) continue;
    topics.push_back(TopicInfo{topic->topic(), static_cast<std::int32_t>(topic->partitions()->size())});
  }
  std::sort(topics.begin(), topics.end(), [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; });
  return topics;
}

Result<bool> create_topic(RdKafka::Handle& handle, const std::string& topic, TopicDefaults settings, int timeout_ms) {
  if (settings.replication_factor < 1) {
    return make_error(Errc::invalid_argument,
                      fmt::format("replication factor {} for topic '{}' must be at least 1",
                                  settings.replication_factor, topic));
  }
  rd_kafka_t* client = handle.c_ptr();
  std::array<char, 512> why{};
  NewTopic request(rd_kafka_NewTopic_new(topic.c_str(), settings.partitions, settings.replication_factor, why.data(),
                                         why.size()));
  if (!request) return make_error(Errc::invalid_argument, fmt::format("Kafka topic '{}': {}", topic, why.data()));
  AdminOptions options;
  SQUALL_ASSIGN(options, create_topics_options(client, timeout_ms));
  Queue results(rd_kafka_queue_new(client));
  rd_kafka_NewTopic_t* requests[] = {request.get()};
  rd_kafka_CreateTopics(client, requests, 1, options.get(), results.get());
  Event event(rd_kafka_queue_poll(results.get(), timeout_ms + kResultGraceMs));
  if (!event) {
    return make_error(Errc::timeout, fmt::format("creating Kafka topic '{}': no answer within {} ms", topic,
                                                 timeout_ms + kResultGraceMs));
  }
  return read_create_result(event.get(), topic);
}

Result<std::int32_t> ensure_topic(RdKafka::Handle& handle, const std::string& topic, TopicDefaults defaults,
                                  int timeout_ms) {
  std::optional<std::int32_t> existing;
  SQUALL_ASSIGN(existing, partition_count(handle, topic, timeout_ms));
  if (existing) return *existing;
  bool created = false;
  SQUALL_ASSIGN(created, create_topic(handle, topic, defaults, timeout_ms));
  if (created) {  // else another client created it since the lookup
    spdlog::info("created Kafka topic '{}' ({} partitions, replication factor {})", topic, defaults.partitions,
                 defaults.replication_factor);
  }
  // Looking the topic up again also tells the client, which noted it missing
  // a moment ago, that it exists now: otherwise it would wait for its next
  // periodic metadata refresh before sending it anything.
  return wait_for_topic(handle, topic, timeout_ms);
}

Result<std::int32_t> wait_for_topic(RdKafka::Handle& handle, const std::string& topic, int timeout_ms) {
  // A new topic's partitions reach the metadata a moment after CreateTopics
  // answers, longer on a broker that has just started and is still loading
  // its coordinators: look again until it shows, within the timeout.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto existing = partition_count(handle, topic, timeout_ms);
    const bool transient = !existing && (existing.error().code == Errc::unavailable ||
                                         existing.error().code == Errc::timeout);
    if (!existing && !transient) return existing.error();
    if (existing && existing->has_value()) return **existing;
    if (std::chrono::steady_clock::now() >= deadline) {
      return make_error(Errc::unavailable, fmt::format("Kafka topic '{}' was created but its partitions did not "
                                                       "appear in the metadata within {} ms", topic, timeout_ms));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace squall::log::kafka
