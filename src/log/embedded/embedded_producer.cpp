// Producer side of the embedded log: one produce() call is one transaction
// that appends one batch row per partition it touches.

#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "log/embedded/batch_codec.hpp"
#include "log/embedded/embedded_log.hpp"
#include "log/embedded/log_database.hpp"
#include "log/embedded/retention.hpp"
#include "log/embedded/topics.hpp"

namespace squall::log::embedded {
namespace {

class EmbeddedProducer final : public Producer {
 public:
  EmbeddedProducer(const LogOptions& options, Tuning tuning, sqlite::Database db)
      : default_partitions_(options.default_partitions), tuning_(std::move(tuning)), db_(std::move(db)) {}

  Result<void> prepare(const LogOptions& options);
  Result<void> produce(std::string_view topic, std::span<const Record> records) override;
  // Every successful produce() is already durable: nothing is buffered.
  Result<void> flush() override { return {}; }
  std::size_t max_record_bytes() const override { return std::numeric_limits<std::size_t>::max(); }

 private:
  Result<std::int32_t> partitions_of(std::string_view topic);
  void group_by_partition(std::span<const Record> records, std::int32_t partitions);
  Result<void> append(std::string_view topic, std::int32_t partition, std::span<const Record* const> records,
                      std::int64_t now);
  void maybe_enforce_retention();

  std::int32_t default_partitions_;
  Tuning tuning_;
  sqlite::Database db_;
  std::optional<Topics> topics_;
  std::optional<Retention> retention_;
  std::optional<sqlite::Statement> advance_end_;
  std::optional<sqlite::Statement> insert_batch_;
  std::map<std::string, std::int32_t, std::less<>> partition_counts_;  // topics never change partition count
  std::int64_t last_retention_steady_ms_ = 0;
  bool retention_ran_ = false;
  // Reused across calls so steady-state produces do not allocate.
  std::vector<std::vector<const Record*>> by_partition_;
  std::string encoded_;
};

Result<void> EmbeddedProducer::prepare(const LogOptions& options) {
  SQUALL_ASSIGN(topics_, Topics::prepare(db_));
  SQUALL_ASSIGN(retention_, Retention::prepare(db_, RetentionPolicy{options.retention_ms,
                                                                    options.retention_bytes_per_partition}));
  // Reserves the offsets and returns the batch's base offset in one statement.
  SQUALL_ASSIGN(advance_end_, db_.prepare(
      "UPDATE partitions SET next_offset = next_offset + ?3, retained_bytes = retained_bytes + ?4 "
      "WHERE topic = ?1 AND partition_id = ?2 RETURNING next_offset - ?3"));
  SQUALL_ASSIGN(insert_batch_, db_.prepare(
      "INSERT INTO batches(topic, partition_id, base_offset, record_count, byte_size, appended_at_ms, payload) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  return {};
}

// Creates the topic with the default partition count on first use.
Result<std::int32_t> EmbeddedProducer::partitions_of(std::string_view topic) {
  if (auto known = partition_counts_.find(topic); known != partition_counts_.end()) return known->second;
  SQUALL_TRY(validate_topic_name(topic));
  std::optional<std::int32_t> existing;
  SQUALL_ASSIGN(existing, topics_->partitions_of(topic));
  std::int32_t partitions = 0;
  if (existing) {
    partitions = *existing;
  } else {
    SQUALL_ASSIGN(partitions, topics_->ensure(topic, default_partitions_, tuning_.wall_clock_ms()));
  }
  partition_counts_.emplace(std::string(topic), partitions);
  return partitions;
}

void EmbeddedProducer::group_by_partition(std::span<const Record> records, std::int32_t partitions) {
  if (by_partition_.size() < static_cast<std::size_t>(partitions)) by_partition_.resize(partitions);
  for (auto& group : by_partition_) group.clear();
  for (const Record& record : records) by_partition_[partition_for_key(record.key, partitions)].push_back(&record);
}

Result<void> EmbeddedProducer::append(std::string_view topic, std::int32_t partition,
                                      std::span<const Record* const> records, std::int64_t now) {
  encoded_.clear();
  encode_batch(records, encoded_);
  const auto count = static_cast<std::int64_t>(records.size());
  const auto bytes = static_cast<std::int64_t>(encoded_.size());
  advance_end_->bind(1, topic).bind(2, partition).bind(3, count).bind(4, bytes);
  auto row = advance_end_->step();
  const std::int64_t base_offset = row && *row ? advance_end_->int64(0) : 0;
  advance_end_->reset();
  if (!row) return row.error();
  if (!*row) {
    return make_error(Errc::internal, fmt::format("log.db has no partition {} for topic '{}'", partition, topic));
  }
  return insert_batch_->bind(1, topic)
      .bind(2, partition)
      .bind(3, base_offset)
      .bind(4, count)
      .bind(5, bytes)
      .bind(6, now)
      .bind_blob(7, encoded_)
      .run();
}

Result<void> EmbeddedProducer::produce(std::string_view topic, std::span<const Record> records) {
  if (records.empty()) return {};
  std::int32_t partitions = 0;
  SQUALL_ASSIGN(partitions, partitions_of(topic));
  group_by_partition(records, partitions);
  const std::int64_t now = tuning_.wall_clock_ms();
  {
    auto tx = sqlite::Transaction::begin(db_);
    if (!tx) return tx.error();
    for (std::int32_t p = 0; p < partitions; ++p) {
      if (by_partition_[p].empty()) continue;
      SQUALL_TRY(append(topic, p, by_partition_[p], now));
    }
    SQUALL_TRY(tx->commit());
  }
  maybe_enforce_retention();
  return {};
}

// Retention failing must not fail the produce that triggered it: the records
// are durable, and reporting an error would make the caller send them again.
void EmbeddedProducer::maybe_enforce_retention() {
  const std::int64_t steady = steady_now_ms();
  if (retention_ran_ && steady - last_retention_steady_ms_ < tuning_.retention_interval_ms) return;
  retention_ran_ = true;
  last_retention_steady_ms_ = steady;
  auto deleted = retention_->enforce(tuning_.wall_clock_ms());
  if (!deleted) {
    spdlog::warn("log retention pass failed, will retry: {}", deleted.error().message);
  } else if (*deleted > 0) {
    spdlog::debug("log retention deleted {} batches", *deleted);
  }
}

}  // namespace

Result<std::unique_ptr<Producer>> open_producer(const LogOptions& options, Tuning tuning) {
  SQUALL_TRY(validate_partition_count(options.default_partitions));
  auto opened = open_log_database(options);
  if (!opened) return opened.error();
  auto producer = std::make_unique<EmbeddedProducer>(options, std::move(tuning), std::move(opened).value());
  SQUALL_TRY(producer->prepare(options));
  return std::unique_ptr<Producer>(std::move(producer));
}

Result<std::vector<TopicInfo>> list_topics(const LogOptions& options) {
  auto db = open_log_database(options);
  if (!db) return db.error();
  auto topics = Topics::prepare(*db);
  if (!topics) return topics.error();
  return topics->list();
}

Result<void> create_topic(const LogOptions& options, std::string_view name, std::int32_t partitions) {
  SQUALL_TRY(validate_topic_name(name));
  SQUALL_TRY(validate_partition_count(partitions));
  auto db = open_log_database(options);
  if (!db) return db.error();
  auto topics = Topics::prepare(*db);
  if (!topics) return topics.error();
  std::int32_t actual = 0;
  SQUALL_ASSIGN(actual, topics->ensure(name, partitions, now_ms()));
  if (actual != partitions) {
    return make_error(Errc::invalid_argument,
                      fmt::format("topic '{}' already exists with {} partitions, not {}", name, actual, partitions));
  }
  return {};
}

Result<TopicDescription> describe_topic(const LogOptions& options, std::string_view name) {
  auto db = open_log_database(options);
  if (!db) return db.error();
  auto select = db->prepare(
      "SELECT p.partition_id, p.next_offset, (SELECT min(b.base_offset) FROM batches b "
      "WHERE b.topic = p.topic AND b.partition_id = p.partition_id) FROM partitions p "
      "WHERE p.topic = ? ORDER BY p.partition_id");
  if (!select) return select.error();
  select->bind(1, name);
  TopicDescription description{std::string(name), 1, {}};
  while (true) {
    auto row = select->step();
    if (!row) return row.error();
    if (!*row) break;
    PartitionDescription partition;
    partition.partition = static_cast<std::int32_t>(select->int64(0));
    partition.leader = 0;
    partition.replicas = partition.in_sync_replicas = {0};
    partition.end_offset = select->int64(1);
    // Retention may have deleted every batch: then nothing is retained.
    partition.earliest_offset = select->optional_int64(2).value_or(partition.end_offset);
    description.partitions.push_back(std::move(partition));
  }
  if (description.partitions.empty()) {
    return make_error(Errc::not_found, fmt::format("topic '{}' does not exist (see `squall topics list`)", name));
  }
  return description;
}

}  // namespace squall::log::embedded
