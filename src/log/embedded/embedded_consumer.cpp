// Consumer side of the embedded log.
//
// The embedded log has a single consumer per group: a consumer is assigned
// every partition of the topics it subscribes to, including partitions of
// topics created after it opened (found again on every poll). Two consumers
// of one group would each read everything; the Kafka backend is the one that
// shares partitions among a group's members.

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "log/embedded/batch_codec.hpp"
#include "log/embedded/embedded_log.hpp"
#include "log/embedded/log_database.hpp"

namespace squall::log::embedded {
namespace {

// A poll asking for "everything" must not pre-allocate for it.
constexpr std::size_t kMaxReserve = 1 << 16;

struct PartitionState {
  TopicPartition where;
  std::int64_t position = 0;  // next offset this consumer returns
  std::int64_t end = 0;       // log end offset as of the last refresh
  std::optional<std::int64_t> committed;
  // The decoded batch holding `position`: records are moved out as they are
  // returned, so each batch is read and decoded once however small the polls.
  std::int64_t batch_base = 0;
  std::vector<Record> batch;

  bool batch_holds_position() const {
    return position >= batch_base && position < batch_base + static_cast<std::int64_t>(batch.size());
  }
};

class EmbeddedConsumer final : public Consumer {
 public:
  EmbeddedConsumer(std::string group, std::vector<std::string> topics, StartFrom start, Tuning tuning,
                   sqlite::Database db)
      : group_(std::move(group)), topics_(std::move(topics)), start_(start), tuning_(std::move(tuning)),
        db_(std::move(db)) {}

  Result<void> prepare();
  Result<PollResult> poll(std::size_t max_records, int timeout_ms) override;
  Result<void> commit(std::span<const CommitPosition> positions) override;
  Result<std::vector<PartitionLag>> lag() override;
  // A group has one consumer on the embedded log: its lag is the group's.
  Result<std::int64_t> group_lag() override {
    auto lags = lag();
    if (!lags) return lags.error();
    return total_lag(*lags);
  }
  std::vector<TopicPartition> assignment() const override {
    std::vector<TopicPartition> partitions;
    for (const auto& [where, index] : index_) partitions.push_back(where);
    return partitions;
  }
  bool may_revoke_partitions() const override { return false; }

 private:
  Result<void> refresh(bool at_open);
  Result<void> discover(const TopicPartition& where, std::int64_t end, bool at_open);
  Result<std::optional<std::int64_t>> committed_position(const TopicPartition& where);
  Result<void> fetch(std::size_t max_records, std::vector<ConsumedRecord>& out);
  Result<std::size_t> take(PartitionState& state, std::size_t max_records, std::vector<ConsumedRecord>& out);
  Result<void> load_batch(PartitionState& state);
  Result<bool> read_batch_row(sqlite::Statement& query, PartitionState& state, bool must_hold_position);
  bool caught_up() const;

  std::string group_;
  std::vector<std::string> topics_;
  StartFrom start_;
  Tuning tuning_;
  sqlite::Database db_;
  std::optional<sqlite::Statement> select_ends_;
  std::optional<sqlite::Statement> select_committed_;
  std::optional<sqlite::Statement> batch_at_;
  std::optional<sqlite::Statement> batch_after_;
  std::optional<sqlite::Statement> upsert_offset_;
  std::vector<PartitionState> partitions_;
  std::map<TopicPartition, std::size_t> index_;  // where -> position in partitions_
  std::size_t next_first_ = 0;                   // rotates which partition a poll serves first
};

Result<void> EmbeddedConsumer::prepare() {
  SQUALL_ASSIGN(select_ends_, db_.prepare(
      "SELECT partition_id, next_offset FROM partitions WHERE topic = ?1 ORDER BY partition_id"));
  SQUALL_ASSIGN(select_committed_, db_.prepare(
      "SELECT next_offset FROM offsets WHERE grp = ?1 AND topic = ?2 AND partition_id = ?3"));
  // Batches never overlap, so the one holding an offset is the last one
  // starting at or before it; when retention removed it, the next one after.
  SQUALL_ASSIGN(batch_at_, db_.prepare(
      "SELECT base_offset, record_count, payload FROM batches "
      "WHERE topic = ?1 AND partition_id = ?2 AND base_offset <= ?3 ORDER BY base_offset DESC LIMIT 1"));
  SQUALL_ASSIGN(batch_after_, db_.prepare(
      "SELECT base_offset, record_count, payload FROM batches "
      "WHERE topic = ?1 AND partition_id = ?2 AND base_offset > ?3 ORDER BY base_offset LIMIT 1"));
  SQUALL_ASSIGN(upsert_offset_, db_.prepare(
      "INSERT INTO offsets(grp, topic, partition_id, next_offset, committed_at_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(grp, topic, partition_id) DO UPDATE SET "
      "next_offset = excluded.next_offset, committed_at_ms = excluded.committed_at_ms"));
  return refresh(true);
}

Result<std::optional<std::int64_t>> EmbeddedConsumer::committed_position(const TopicPartition& where) {
  select_committed_->bind(1, group_).bind(2, where.topic).bind(3, where.partition);
  auto row = select_committed_->step();
  std::optional<std::int64_t> committed;
  if (row && *row) committed = select_committed_->int64(0);
  select_committed_->reset();
  if (!row) return row.error();
  return committed;
}

// A new partition starts at the group's committed position; without one, at
// the end for StartFrom::latest if it existed when the consumer opened, and
// otherwise at offset 0 (its records all arrived after the consumer opened,
// or the consumer wants everything; retention gaps are skipped on read).
Result<void> EmbeddedConsumer::discover(const TopicPartition& where, std::int64_t end, bool at_open) {
  PartitionState state;
  state.where = where;
  state.end = end;
  SQUALL_ASSIGN(state.committed, committed_position(where));
  if (state.committed) {
    state.position = *state.committed;
  } else if (start_ == StartFrom::latest && at_open) {
    state.position = end;
  }
  index_.emplace(where, partitions_.size());
  partitions_.push_back(std::move(state));
  return {};
}

// Reads every subscribed partition's end offset, discovering new partitions.
Result<void> EmbeddedConsumer::refresh(bool at_open) {
  for (const std::string& topic : topics_) {
    select_ends_->bind(1, topic);
    while (true) {
      auto row = select_ends_->step();
      if (!row) {
        select_ends_->reset();
        return row.error();
      }
      if (!*row) break;
      TopicPartition where{topic, static_cast<std::int32_t>(select_ends_->int64(0))};
      const std::int64_t end = select_ends_->int64(1);
      if (auto known = index_.find(where); known != index_.end()) {
        partitions_[known->second].end = end;
      } else if (auto found = discover(where, end, at_open); !found) {
        select_ends_->reset();
        return found;
      }
    }
    select_ends_->reset();
  }
  return {};
}

// Decodes the batch row `query` finds (already bound), if any. Returns false
// when there is no row, or when `must_hold_position` and the row ends before
// the consumer's position.
Result<bool> EmbeddedConsumer::read_batch_row(sqlite::Statement& query, PartitionState& state,
                                              bool must_hold_position) {
  auto row = query.step();
  if (!row || !*row) {
    query.reset();
    if (!row) return row.error();
    return false;
  }
  const std::int64_t base_offset = query.int64(0);
  const std::int64_t record_count = query.int64(1);
  if (must_hold_position && base_offset + record_count <= state.position) {
    query.reset();
    return false;
  }
  auto decoded = decode_batch(query.blob(2));
  query.reset();
  auto corrupt = [&](const std::string& why) {
    return make_error(Errc::parse, fmt::format("{}/{} batch at offset {}: {}", state.where.topic,
                                               state.where.partition, base_offset, why));
  };
  if (!decoded) return corrupt(decoded.error().message);
  if (record_count <= 0 || static_cast<std::int64_t>(decoded->size()) != record_count) {
    return corrupt(fmt::format("corrupt batch: holds {} records, its row says {}", decoded->size(), record_count));
  }
  state.batch_base = base_offset;
  state.batch = std::move(decoded).value();
  return true;
}

Result<void> EmbeddedConsumer::load_batch(PartitionState& state) {
  const TopicPartition& where = state.where;
  batch_at_->bind(1, where.topic).bind(2, where.partition).bind(3, state.position);
  bool loaded = false;
  SQUALL_ASSIGN(loaded, read_batch_row(*batch_at_, state, true));
  if (loaded) return {};
  batch_after_->bind(1, where.topic).bind(2, where.partition).bind(3, state.position);
  SQUALL_ASSIGN(loaded, read_batch_row(*batch_after_, state, false));
  if (!loaded) {
    return make_error(Errc::internal, fmt::format("log.db: {}/{} ends at offset {} but holds no batch at or after {}",
                                                  where.topic, where.partition, state.end, state.position));
  }
  spdlog::warn("consumer group '{}': {}/{} offsets {}..{} were deleted by retention before being read; "
               "resuming at {}", group_, where.topic, where.partition, state.position, state.batch_base - 1,
               state.batch_base);
  state.position = state.batch_base;
  return {};
}

Result<std::size_t> EmbeddedConsumer::take(PartitionState& state, std::size_t max_records,
                                           std::vector<ConsumedRecord>& out) {
  std::size_t taken = 0;
  while (taken < max_records && state.position < state.end) {
    if (!state.batch_holds_position()) {
      state.batch.clear();
      SQUALL_TRY(load_batch(state));
    }
    auto index = static_cast<std::size_t>(state.position - state.batch_base);
    const std::size_t n = std::min({max_records - taken, state.batch.size() - index,
                                    static_cast<std::size_t>(state.end - state.position)});
    for (std::size_t i = 0; i < n; ++i, ++index) {
      out.push_back(ConsumedRecord{state.where, state.position++, std::move(state.batch[index])});
    }
    taken += n;
  }
  return taken;
}

// Serves partitions round robin in fair shares so that one busy partition
// cannot starve the others; the partition served first rotates per poll.
Result<void> EmbeddedConsumer::fetch(std::size_t max_records, std::vector<ConsumedRecord>& out) {
  const std::size_t count = partitions_.size();
  if (count == 0) return {};
  const std::size_t first = next_first_++ % count;
  std::size_t remaining = max_records;
  while (remaining > 0) {
    const auto active = static_cast<std::size_t>(std::count_if(
        partitions_.begin(), partitions_.end(), [](const PartitionState& s) { return s.position < s.end; }));
    if (active == 0) break;
    const std::size_t share = std::max<std::size_t>(1, remaining / active);
    for (std::size_t i = 0; i < count && remaining > 0; ++i) {
      PartitionState& state = partitions_[(first + i) % count];
      if (state.position >= state.end) continue;
      std::size_t taken = 0;
      SQUALL_ASSIGN(taken, take(state, std::min(share, remaining), out));
      remaining -= taken;
    }
  }
  return {};
}

bool EmbeddedConsumer::caught_up() const {
  return std::all_of(partitions_.begin(), partitions_.end(),
                     [](const PartitionState& s) { return s.position >= s.end; });
}

Result<PollResult> EmbeddedConsumer::poll(std::size_t max_records, int timeout_ms) {
  const std::int64_t deadline = steady_now_ms() + std::max(timeout_ms, 0);
  PollResult result;
  result.records.reserve(std::min<std::size_t>(max_records, kMaxReserve));
  while (true) {
    SQUALL_TRY(refresh(false));
    SQUALL_TRY(fetch(max_records, result.records));
    const std::int64_t left = deadline - steady_now_ms();
    if (!result.records.empty() || max_records == 0 || left <= 0) break;
    // Another connection (a thread or an ingest process) may append at any
    // moment; SQLite cannot notify us, so an idle poll re-checks in steps.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(left, tuning_.poll_sleep_ms)));
  }
  result.caught_up = caught_up();
  return result;
}

Result<void> EmbeddedConsumer::commit(std::span<const CommitPosition> positions) {
  if (positions.empty()) return {};
  for (const CommitPosition& p : positions) {
    if (p.next_offset < 0) {
      return make_error(Errc::invalid_argument, fmt::format("commit: negative offset {} for {}/{}", p.next_offset,
                                                            p.where.topic, p.where.partition));
    }
  }
  const std::int64_t now = tuning_.wall_clock_ms();
  auto tx = sqlite::Transaction::begin(db_);
  if (!tx) return tx.error();
  for (const CommitPosition& p : positions) {
    SQUALL_TRY(upsert_offset_->bind(1, group_)
                   .bind(2, p.where.topic)
                   .bind(3, p.where.partition)
                   .bind(4, p.next_offset)
                   .bind(5, now)
                   .run());
  }
  SQUALL_TRY(tx->commit());
  for (const CommitPosition& p : positions) {
    if (auto known = index_.find(p.where); known != index_.end()) partitions_[known->second].committed = p.next_offset;
  }
  return {};
}

// Lag counts from the group's committed position, as Kafka's consumer-group
// lag does; a partition the group never committed counts from this
// consumer's read position instead. Records deleted by retention but not yet
// skipped over still count.
Result<std::vector<PartitionLag>> EmbeddedConsumer::lag() {
  SQUALL_TRY(refresh(false));
  std::vector<PartitionLag> lags;
  for (const PartitionState& state : partitions_) {
    lags.push_back({state.where, std::max<std::int64_t>(0, state.end - state.committed.value_or(state.position))});
  }
  return lags;
}

}  // namespace

Result<std::unique_ptr<Consumer>> open_consumer(const LogOptions& options, std::string group,
                                                std::vector<std::string> topics, StartFrom start, Tuning tuning) {
  if (group.empty()) return make_error(Errc::invalid_argument, "consumer group name must not be empty");
  if (topics.empty()) return make_error(Errc::invalid_argument, "consumer needs at least one topic");
  for (const std::string& topic : topics) SQUALL_TRY(validate_topic_name(topic));
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  auto db = open_log_database(options);
  if (!db) return db.error();
  auto consumer = std::make_unique<EmbeddedConsumer>(std::move(group), std::move(topics), start, std::move(tuning),
                                                     std::move(db).value());
  SQUALL_TRY(consumer->prepare());
  return std::unique_ptr<Consumer>(std::move(consumer));
}

}  // namespace squall::log::embedded
