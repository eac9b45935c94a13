#pragma once
// The log: a partitioned, durable record stream (Kafka's model).
//
// This header is the whole interface the rest of squall sees. Two backends
// implement it: the embedded log (SQLite, one file under the data dir) and
// Apache Kafka. Keep it narrow: produce, poll a batch, commit.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace squall::log {

struct Header {
  std::string key;
  std::string value;
  bool operator==(const Header&) const = default;
};

struct Record {
  std::string key;                  // partitioning key (the city id for weather)
  std::string value;                // payload bytes (raw OWM JSON for weather)
  std::vector<Header> headers;
  std::int64_t timestamp_ms = 0;    // producer's timestamp
  bool operator==(const Record&) const = default;

  // Value of the first header named `name`, if any.
  std::optional<std::string_view> header(std::string_view name) const;
};

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct ConsumedRecord {
  TopicPartition where;
  std::int64_t offset = 0;
  Record record;
};

// Next offset to read per partition: what a consumer commits.
struct CommitPosition {
  TopicPartition where;
  std::int64_t next_offset = 0;
  bool operator==(const CommitPosition&) const = default;
};

// Records of one partition not yet processed by the group.
struct PartitionLag {
  TopicPartition where;
  std::int64_t records = 0;
  bool operator==(const PartitionLag&) const = default;
};

std::int64_t total_lag(std::span<const PartitionLag> lags);

struct PollResult {
  std::vector<ConsumedRecord> records;
  // True when, after this batch, every assigned partition is at its end:
  // nothing more is in the log for this consumer right now.
  bool caught_up = false;
};

struct TopicInfo {
  std::string name;
  std::int32_t partitions = 0;
};

// One partition as `squall topics describe` shows it. Broker ids are the
// Kafka cluster's; the embedded log is one "broker", id 0.
struct PartitionDescription {
  std::int32_t partition = 0;
  std::int32_t leader = -1;  // -1: no leader right now
  std::vector<std::int32_t> replicas;
  std::vector<std::int32_t> in_sync_replicas;
  std::int64_t earliest_offset = 0;  // oldest retained record
  std::int64_t end_offset = 0;       // the next record's offset
};

struct TopicDescription {
  std::string name;
  std::int32_t replication_factor = 1;
  std::vector<PartitionDescription> partitions;  // by partition number
};

class Producer {
 public:
  virtual ~Producer() = default;
  // Appends records to `topic`, each to the partition its key hashes to.
  // Success means the records are durable (embedded) or acknowledged by the
  // broker after flush() (Kafka).
  virtual Result<void> produce(std::string_view topic, std::span<const Record> records) = 0;
  // Waits until everything produced so far is acknowledged.
  virtual Result<void> flush() = 0;
  // The largest record (value, key and headers, as record_bytes() counts
  // them) produce() accepts: Kafka's producer refuses larger ones
  // (message.max.bytes); the embedded log has no limit of its own.
  virtual std::size_t max_record_bytes() const = 0;
};

// A record's size as the logs' limits count it: value, key and every header,
// with a few bytes of framing per header.
std::size_t record_bytes(const Record& record);

class Consumer {
 public:
  virtual ~Consumer() = default;
  // Returns up to `max_records` records in offset order per partition,
  // waiting at most `timeout_ms` when nothing is available.
  virtual Result<PollResult> poll(std::size_t max_records, int timeout_ms) = 0;
  // Records that processing reached these positions; after a restart the
  // group resumes from the last committed position.
  virtual Result<void> commit(std::span<const CommitPosition> positions) = 0;
  // Records still to be processed by this group in each of this consumer's
  // partitions: log end offset minus the group's committed position (this
  // consumer's read position where the group has committed nothing yet).
  virtual Result<std::vector<PartitionLag>> lag() = 0;
  // Records of its topics the whole group has not committed, whichever
  // member holds them (on Kafka, partitions of a member that died are still
  // someone's until the group notices): zero once everything is processed.
  virtual Result<std::int64_t> group_lag() = 0;
  // The partitions this consumer reads now: every partition of its topics on
  // the embedded log, its share of the group on Kafka (it changes when the
  // group rebalances, as seen by the latest poll()).
  virtual std::vector<TopicPartition> assignment() const = 0;
  // Whether a poll() may take a partition away (a group rebalance on Kafka;
  // never on the embedded log, whose one consumer per group reads every
  // partition). Work still being written for a revoked partition would land
  // after its next owner resumed it, so the processor overlaps a batch's
  // writes with the next poll only when this is false.
  virtual bool may_revoke_partitions() const = 0;
};

// Kafka's default partitioner: murmur2 of the key bytes, sign bit cleared,
// modulo the partition count. Both backends route keys with it, so a city
// lands on the same partition number whichever log holds it.
std::uint32_t murmur2(std::string_view data);
std::int32_t partition_for_key(std::string_view key, std::int32_t partitions);

}  // namespace squall::log

namespace squall::log {

// Where a group with no committed position starts reading.
enum class StartFrom { earliest, latest };

struct LogOptions {
  // "embedded" (the default) or, with the Kafka backend, kafka://HOST:PORT[,HOST:PORT].
  std::string url = "embedded";
  std::string data_dir = "squall-data";  // embedded: the log lives in DATA_DIR/log.db
  std::int32_t default_partitions = 4;   // for topics created on first use
  // Embedded retention: whole record batches appended longer ago than this,
  // or beyond the size bound per partition, are deleted oldest first (the
  // newest batch of a partition always stays); values <= 0 disable a bound.
  // Like Kafka's, retention ignores consumers: committed positions are kept,
  // and a group behind the oldest retained record resumes there.
  std::int64_t retention_ms = 7LL * 24 * 3600 * 1000;
  std::int64_t retention_bytes_per_partition = 1LL << 30;
  bool sync_full = true;  // fsync every append (power-loss durable); false: crash-safe only

  // Kafka backend.
  std::int16_t replication_factor = 1;  // for topics created on first use and by create_topic
  std::string client_id = "squall";     // client.id: names this process in broker logs and quotas
  // How long the start-up reachability check, topic administration and a
  // commit that meets a rebalance wait for the cluster before giving up.
  std::int32_t kafka_timeout_ms = 10'000;
  // librdkafka properties passed through as they are (security.protocol,
  // sasl.*, ssl.*, ...); they override squall's own settings, except the few
  // its delivery guarantees rest on. Values of secret properties (passwords,
  // keys) are never logged.
  std::map<std::string, std::string> kafka_properties;
};

Result<std::unique_ptr<Producer>> open_producer(const LogOptions& options);
Result<std::unique_ptr<Consumer>> open_consumer(const LogOptions& options, std::string group,
                                                std::vector<std::string> topics, StartFrom start);
Result<std::vector<TopicInfo>> list_topics(const LogOptions& options);
Result<void> create_topic(const LogOptions& options, std::string_view name, std::int32_t partitions);
// A topic that does not exist is Errc::not_found.
Result<TopicDescription> describe_topic(const LogOptions& options, std::string_view name);

}  // namespace squall::log
