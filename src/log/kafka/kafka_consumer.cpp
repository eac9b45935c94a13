// Consumer side of the Kafka backend: one member of a consumer group.
//
// Offsets move only through commit(), synchronously, to Kafka (no automatic
// commits or offset stores), so a restarted group resumes exactly after what
// its members committed. Partitions move between members incrementally
// (cooperative-sticky): see Assignment for what happens on a revocation.

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/time.hpp"
#include "log/embedded/log_database.hpp"
#include "log/kafka/kafka_admin.hpp"
#include "log/kafka/kafka_assignment.hpp"
#include "log/kafka/kafka_client.hpp"
#include "log/kafka/kafka_config.hpp"
#include "log/kafka/kafka_log.hpp"

namespace squall::log::kafka {
namespace {

// A poll asking for "everything" must not pre-allocate for it.
constexpr std::size_t kMaxReserve = 1 << 16;
// How long caught_up and lag() wait for a partition's end offset.
constexpr int kWatermarkTimeoutMs = 2000;
// Slices in which the consumer lets librdkafka finish a group join or rebalance.
constexpr int kJoinPollMs = 100;

bool is_rebalance_error(RdKafka::ErrorCode code) {
  return code == RdKafka::ERR_REBALANCE_IN_PROGRESS || code == RdKafka::ERR_ILLEGAL_GENERATION ||
         code == RdKafka::ERR_UNKNOWN_MEMBER_ID || code == RdKafka::ERR__ASSIGNMENT_LOST;
}

ConsumedRecord to_consumed(RdKafka::Message& message) {
  ConsumedRecord consumed;
  consumed.where = TopicPartition{message.topic_name(), message.partition()};
  consumed.offset = message.offset();
  Record& record = consumed.record;
  // Records from other producers may have no key, value or headers.
  if (message.key_pointer() != nullptr) {
    record.key.assign(static_cast<const char*>(message.key_pointer()), message.key_len());
  }
  if (message.payload() != nullptr) record.value.assign(static_cast<const char*>(message.payload()), message.len());
  const RdKafka::MessageTimestamp timestamp = message.timestamp();
  if (timestamp.type != RdKafka::MessageTimestamp::MSG_TIMESTAMP_NOT_AVAILABLE) {
    record.timestamp_ms = timestamp.timestamp;
  }
  if (RdKafka::Headers* headers = message.headers(); headers != nullptr) {
    for (const RdKafka::Headers::Header& header : headers->get_all()) {
      const auto* value = static_cast<const char*>(header.value());
      record.headers.push_back(Header{header.key(), value != nullptr ? std::string(value, header.value_size()) : ""});
    }
  }
  return consumed;
}

struct TopicPartitionDelete {
  void operator()(RdKafka::TopicPartition* partition) const { delete partition; }
};
using OwnedTopicPartition = std::unique_ptr<RdKafka::TopicPartition, TopicPartitionDelete>;

class GroupConsumer final : public Consumer {
 public:
  GroupConsumer(const LogOptions& options, std::string group, std::string bootstrap, StartFrom start,
                bool cooperative)
      : defaults_{options.default_partitions, options.replication_factor},
        timeout_ms_(options.kafka_timeout_ms),
        group_(std::move(group)),
        bootstrap_(std::move(bootstrap)),
        start_(start),
        events_(fmt::format("kafka consumer group '{}'", group_)),
        assignment_(group_, cooperative) {}
  ~GroupConsumer() override;

  Result<void> connect(const LogOptions& options, const std::vector<std::string>& topics);
  Result<PollResult> poll(std::size_t max_records, int timeout_ms) override;
  Result<void> commit(std::span<const CommitPosition> positions) override;
  Result<std::vector<PartitionLag>> lag() override;
  Result<std::int64_t> group_lag() override;
  std::vector<TopicPartition> assignment() const override;
  bool may_revoke_partitions() const override { return true; }

 private:
  void await_first_assignment();
  Result<void> take(RdKafka::Message& message, std::vector<ConsumedRecord>& out);
  void take_pending(std::size_t max_records, std::vector<ConsumedRecord>& out);
  void drop_revoked(std::vector<ConsumedRecord>& records);
  Result<void> commit_assigned(std::span<const CommitPosition> positions, RdKafka::ErrorCode& code);
  Result<void> serve_rebalance();
  Result<void> handle_error(const RdKafka::Message& message);
  bool locally_caught_up();
  bool caught_up();
  Result<void> look_up_committed();
  Result<std::int64_t> end_offset(const TopicPartition& where, std::int64_t* low);

  TopicDefaults defaults_;
  int timeout_ms_;
  std::string group_;
  std::string bootstrap_;
  StartFrom start_;
  ClientEvents events_;
  Assignment assignment_;
  bool subscribed_ = false;
  std::vector<std::string> topics_;
  std::uint64_t revocations_seen_ = 0;
  // Records fetched while commit() waited for a rebalance: the next poll's.
  std::vector<ConsumedRecord> pending_;
  // Last: destroyed first, while the callbacks it calls still exist.
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
};

Result<void> GroupConsumer::connect(const LogOptions& options, const std::vector<std::string>& topics) {
  std::unique_ptr<RdKafka::Conf> conf;
  SQUALL_ASSIGN(conf, make_conf(consumer_properties(options, bootstrap_, group_, start_), options));
  SQUALL_TRY(set_callback(*conf, "event_cb", static_cast<RdKafka::EventCb*>(&events_)));
  SQUALL_TRY(set_callback(*conf, "rebalance_cb", static_cast<RdKafka::RebalanceCb*>(&assignment_)));
  std::string why;
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), why));
  if (!consumer_) return make_error(Errc::invalid_argument, "cannot create the Kafka consumer: " + why);
  SQUALL_TRY(check_reachable(*consumer_, bootstrap_, timeout_ms_, events_));
  for (const std::string& topic : topics) SQUALL_TRY(ensure_topic(*consumer_, topic, defaults_, timeout_ms_));
  topics_ = topics;
  if (const RdKafka::ErrorCode code = consumer_->subscribe(topics); code != RdKafka::ERR_NO_ERROR) {
    return kafka_error(code, fmt::format("consumer group '{}' subscribing to {}", group_, fmt::join(topics, ", ")));
  }
  subscribed_ = true;
  spdlog::info("Kafka consumer group '{}' at {} subscribed to {}{}", group_, bootstrap_, fmt::join(topics, ", "),
               options.kafka_properties.empty() ? "" : " with " + describe_properties(options.kafka_properties));
  return {};
}

// close() leaves the group at once (its partitions move to the other members
// without waiting for the session to time out) after revoking them through
// the rebalance callback.
GroupConsumer::~GroupConsumer() {
  if (!consumer_) return;
  if (subscribed_) await_first_assignment();
  if (const RdKafka::ErrorCode code = consumer_->close(); code != RdKafka::ERR_NO_ERROR) {
    spdlog::warn("Kafka consumer group '{}': close: {}", group_, RdKafka::err2str(code));
  }
}

// librdkafka 2.0 aborts when a cooperative-sticky member closes before the
// group's first assignment reached it (librdkafka issue #4312, fixed in
// 2.2.1): let the join finish first, within the client's timeout. Records
// arriving meanwhile are dropped uncommitted, so the group reads them again.
void GroupConsumer::await_first_assignment() {
  const std::int64_t deadline = steady_now_ms() + timeout_ms_;
  while (!assignment_.received_first() && steady_now_ms() < deadline) {
    const std::unique_ptr<RdKafka::Message> ignored(consumer_->consume(kJoinPollMs));
  }
}

// Appends a record to `out`, or notes what another kind of message says.
Result<void> GroupConsumer::take(RdKafka::Message& message, std::vector<ConsumedRecord>& out) {
  switch (message.err()) {
    case RdKafka::ERR_NO_ERROR: {
      ConsumedRecord consumed = to_consumed(message);
      if (PartitionProgress* progress = assignment_.find(consumed.where)) {
        progress->next = consumed.offset + 1;
        progress->at_end = false;
      }
      out.push_back(std::move(consumed));
      return {};
    }
    case RdKafka::ERR__PARTITION_EOF:
      // The event's offset is the partition's end: everything before it has
      // been returned already.
      if (PartitionProgress* progress = assignment_.find({message.topic_name(), message.partition()})) {
        progress->next = message.offset();
        progress->at_end = true;
      }
      return {};
    case RdKafka::ERR__TIMED_OUT: return {};
    default: return handle_error(message);
  }
}

// Errors that say the subscription itself is broken (topic gone, access
// refused, client unusable) end the poll; the connection trouble librdkafka
// recovers from on its own is only logged.
Result<void> GroupConsumer::handle_error(const RdKafka::Message& message) {
  const Error error = kafka_error(message.err(), fmt::format("Kafka consumer group '{}': {}", group_, message.errstr()));
  if (error.code == Errc::unavailable || error.code == Errc::timeout) {
    spdlog::warn("{}", error.message);
    return {};
  }
  std::string fatal_reason;
  if (consumer_->fatal_error(fatal_reason) != RdKafka::ERR_NO_ERROR) {
    return make_error(Errc::internal, fmt::format("Kafka consumer group '{}' failed: {}", group_, fatal_reason));
  }
  return error;
}

Result<PollResult> GroupConsumer::poll(std::size_t max_records, int timeout_ms) {
  const std::int64_t deadline = steady_now_ms() + std::max(timeout_ms, 0);
  PollResult result;
  result.records.reserve(std::min(max_records, kMaxReserve));
  take_pending(max_records, result.records);
  while (result.records.size() < max_records) {
    // Wait only while nothing has come; then take what is already here.
    const std::int64_t left = deadline - steady_now_ms();
    const int wait = result.records.empty() ? static_cast<int>(std::max<std::int64_t>(left, 0)) : 0;
    const std::unique_ptr<RdKafka::Message> message(consumer_->consume(wait));
    if (auto error = assignment_.take_error()) return *error;
    SQUALL_TRY(take(*message, result.records));
    const bool idle = message->err() == RdKafka::ERR__TIMED_OUT;
    if (idle && (wait == 0 || steady_now_ms() >= deadline)) break;
  }
  if (assignment_.revocations() != revocations_seen_) {
    revocations_seen_ = assignment_.revocations();
    drop_revoked(result.records);
    drop_revoked(pending_);
  }
  result.caught_up = pending_.empty() && caught_up();
  return result;
}

void GroupConsumer::take_pending(std::size_t max_records, std::vector<ConsumedRecord>& out) {
  const auto count = static_cast<std::ptrdiff_t>(std::min(max_records, pending_.size()));
  std::move(pending_.begin(), pending_.begin() + count, std::back_inserter(out));
  pending_.erase(pending_.begin(), pending_.begin() + count);
}

// Records of a partition revoked since they were fetched belong to its next
// owner now: returning them would only make the caller's commit of them a
// no-op.
void GroupConsumer::drop_revoked(std::vector<ConsumedRecord>& records) {
  std::erase_if(records, [&](const ConsumedRecord& r) { return assignment_.find(r.where) == nullptr; });
}

bool GroupConsumer::locally_caught_up() {
  for (const auto& [where, progress] : assignment_.partitions()) {
    if (progress.at_end) continue;
    std::int64_t low = 0;
    std::int64_t high = 0;
    // librdkafka caches the end offset each fetch response reports.
    if (!progress.next || consumer_->get_watermark_offsets(where.topic, where.partition, &low, &high) !=
                              RdKafka::ERR_NO_ERROR || high < 0 || *progress.next < high) {
      return false;
    }
  }
  return true;
}

// True when every assigned partition has been read to its end. The local
// view can be behind (an end event seen just before a producer appended),
// so it is confirmed against the brokers' end offsets, asked for all
// partitions at once: Kafka's ListOffsets reads the timestamp -1 as "the
// end", and offsetsForTimes sends one request per leader where
// query_watermark_offsets would send one per partition, each answered only
// after the fetch pending on that connection.
bool GroupConsumer::caught_up() {
  if (!assignment_.settled() || !locally_caught_up()) return false;
  if (assignment_.partitions().empty()) return true;  // more members than partitions: nothing for this one
  std::vector<OwnedTopicPartition> owned;
  std::vector<RdKafka::TopicPartition*> ends;
  for (const auto& [where, progress] : assignment_.partitions()) {
    owned.emplace_back(RdKafka::TopicPartition::create(where.topic, where.partition, RdKafka::Topic::OFFSET_END));
    ends.push_back(owned.back().get());
  }
  if (consumer_->offsetsForTimes(ends, kWatermarkTimeoutMs) != RdKafka::ERR_NO_ERROR) return false;
  for (const RdKafka::TopicPartition* end : ends) {
    PartitionProgress* progress = assignment_.find({end->topic(), end->partition()});
    if (end->err() != RdKafka::ERR_NO_ERROR || progress == nullptr || end->offset() < 0) return false;
    if (*progress->next < end->offset()) {
      progress->at_end = false;
      return false;
    }
  }
  return true;
}

Result<void> GroupConsumer::commit(std::span<const CommitPosition> positions) {
  for (const CommitPosition& p : positions) {
    if (p.next_offset < 0) {
      return make_error(Errc::invalid_argument, fmt::format("commit: negative offset {} for {}/{}", p.next_offset,
                                                            p.where.topic, p.where.partition));
    }
  }
  const std::int64_t deadline = steady_now_ms() + timeout_ms_;
  while (true) {
    RdKafka::ErrorCode code = RdKafka::ERR_NO_ERROR;
    auto committed = commit_assigned(positions, code);
    if (committed || !is_rebalance_error(code) || steady_now_ms() >= deadline) return committed;
    spdlog::info("consumer group '{}': commit met a rebalance ({}); committing again after it",
                 group_, RdKafka::err2str(code));
    SQUALL_TRY(serve_rebalance());
  }
}

// Commits the positions of the partitions assigned here; a partition revoked
// since its records were polled belongs to another member, which re-reads it
// from the group's last commit. `code` tells what failed, if anything.
Result<void> GroupConsumer::commit_assigned(std::span<const CommitPosition> positions, RdKafka::ErrorCode& code) {
  std::vector<OwnedTopicPartition> owned;
  std::vector<RdKafka::TopicPartition*> offsets;
  for (const CommitPosition& p : positions) {
    if (assignment_.find(p.where) == nullptr) {
      spdlog::debug("consumer group '{}': not committing {}/{}: no longer assigned here", group_, p.where.topic,
                    p.where.partition);
      continue;
    }
    owned.emplace_back(RdKafka::TopicPartition::create(p.where.topic, p.where.partition, p.next_offset));
    offsets.push_back(owned.back().get());
  }
  if (offsets.empty()) return {};
  const std::string context = fmt::format("Kafka consumer group '{}' committing offsets", group_);
  code = consumer_->commitSync(offsets);
  if (code != RdKafka::ERR_NO_ERROR) return kafka_error(code, context);
  for (const RdKafka::TopicPartition* partition : offsets) {
    if (partition->err() != RdKafka::ERR_NO_ERROR) {
      code = partition->err();
      return kafka_error(code, fmt::format("{} ({}/{})", context, partition->topic(), partition->partition()));
    }
    if (PartitionProgress* progress = assignment_.find({partition->topic(), partition->partition()})) {
      progress->committed = partition->offset();
      progress->committed_known = true;
    }
  }
  return {};
}

// Lets librdkafka run the rebalance callbacks a commit waits for; a record
// fetched meanwhile waits in pending_ for the next poll.
Result<void> GroupConsumer::serve_rebalance() {
  const std::unique_ptr<RdKafka::Message> message(consumer_->consume(kJoinPollMs));
  if (auto error = assignment_.take_error()) return *error;
  return take(*message, pending_);
}

// The group's committed positions of partitions assigned since the last
// lookup, in one request to the group coordinator.
Result<void> GroupConsumer::look_up_committed() {
  std::vector<OwnedTopicPartition> owned;
  std::vector<RdKafka::TopicPartition*> unknown;
  for (const auto& [where, progress] : assignment_.partitions()) {
    if (progress.committed_known) continue;
    owned.emplace_back(RdKafka::TopicPartition::create(where.topic, where.partition));
    unknown.push_back(owned.back().get());
  }
  if (unknown.empty()) return {};
  if (const RdKafka::ErrorCode code = consumer_->committed(unknown, timeout_ms_); code != RdKafka::ERR_NO_ERROR) {
    return kafka_error(code, fmt::format("Kafka consumer group '{}' reading committed offsets", group_));
  }
  for (const RdKafka::TopicPartition* partition : unknown) {
    PartitionProgress* progress = assignment_.find({partition->topic(), partition->partition()});
    if (progress == nullptr || partition->err() != RdKafka::ERR_NO_ERROR) continue;
    if (partition->offset() >= 0) progress->committed = partition->offset();
    progress->committed_known = true;
  }
  return {};
}

// The partition's end offset: librdkafka's cached value from the last fetch
// when there is one, else asked from its leader.
Result<std::int64_t> GroupConsumer::end_offset(const TopicPartition& where, std::int64_t* low) {
  std::int64_t high = -1;
  if (consumer_->get_watermark_offsets(where.topic, where.partition, low, &high) == RdKafka::ERR_NO_ERROR && high >= 0) {
    return high;
  }
  const RdKafka::ErrorCode code =
      consumer_->query_watermark_offsets(where.topic, where.partition, low, &high, kWatermarkTimeoutMs);
  if (code != RdKafka::ERR_NO_ERROR) {
    return kafka_error(code, fmt::format("end offset of {}/{}", where.topic, where.partition));
  }
  return high;
}

// Every partition of the subscribed topics, assigned here or not: the
// group's committed offsets from the coordinator against the end offsets.
Result<std::int64_t> GroupConsumer::group_lag() {
  std::vector<OwnedTopicPartition> owned;
  std::vector<RdKafka::TopicPartition*> partitions;
  for (const std::string& topic : topics_) {
    std::optional<std::int32_t> count;
    SQUALL_ASSIGN(count, partition_count(*consumer_, topic, timeout_ms_));
    for (std::int32_t p = 0; p < count.value_or(0); ++p) {
      owned.emplace_back(RdKafka::TopicPartition::create(topic, p));
      partitions.push_back(owned.back().get());
    }
  }
  if (partitions.empty()) return 0;
  if (const RdKafka::ErrorCode code = consumer_->committed(partitions, timeout_ms_); code != RdKafka::ERR_NO_ERROR) {
    return kafka_error(code, fmt::format("Kafka consumer group '{}' reading committed offsets", group_));
  }
  std::int64_t total = 0;
  for (const RdKafka::TopicPartition* partition : partitions) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    const RdKafka::ErrorCode code = consumer_->query_watermark_offsets(partition->topic(), partition->partition(),
                                                                       &low, &high, timeout_ms_);
    if (code != RdKafka::ERR_NO_ERROR) {
      return kafka_error(code, fmt::format("end offset of {}/{}", partition->topic(), partition->partition()));
    }
    const std::int64_t from = partition->offset() >= 0 ? partition->offset() : (start_ == StartFrom::earliest ? low : high);
    total += std::max<std::int64_t>(0, high - from);
  }
  return total;
}

std::vector<TopicPartition> GroupConsumer::assignment() const {
  std::vector<TopicPartition> partitions;
  for (const auto& [where, progress] : assignment_.partitions()) partitions.push_back(where);
  return partitions;
}

Result<std::vector<PartitionLag>> GroupConsumer::lag() {
  SQUALL_TRY(look_up_committed());
  std::vector<PartitionLag> lags;
  for (const auto& [where, progress] : assignment_.partitions()) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    SQUALL_ASSIGN(high, end_offset(where, &low));
    // Without a commit, count from this member's read position, or from
    // where it is going to start reading.
    const std::int64_t start_position = start_ == StartFrom::earliest ? low : high;
    const std::int64_t from = progress.committed.value_or(progress.next.value_or(start_position));
    lags.push_back({where, std::max<std::int64_t>(0, high - from)});
  }
  return lags;
}

bool is_cooperative(const LogOptions& options) {
  auto strategy = options.kafka_properties.find("partition.assignment.strategy");
  return strategy == options.kafka_properties.end() || strategy->second.find("cooperative") != std::string::npos;
}

}  // namespace

Result<std::unique_ptr<Consumer>> open_consumer(const LogOptions& options, std::string group,
                                                std::vector<std::string> topics, StartFrom start) {
  if (group.empty()) return make_error(Errc::invalid_argument, "consumer group name must not be empty");
  if (topics.empty()) return make_error(Errc::invalid_argument, "consumer needs at least one topic");
  for (const std::string& topic : topics) SQUALL_TRY(embedded::validate_topic_name(topic));
  SQUALL_TRY(embedded::validate_partition_count(options.default_partitions));
  std::sort(topics.begin(), topics.end());
  topics.erase(std::unique(topics.begin(), topics.end()), topics.end());
  std::string bootstrap;
  SQUALL_ASSIGN(bootstrap, bootstrap_servers(options.url));
  auto consumer =
      std::make_unique<GroupConsumer>(options, std::move(group), std::move(bootstrap), start, is_cooperative(options));
  SQUALL_TRY(consumer->connect(options, topics));
  return std::unique_ptr<Consumer>(std::move(consumer));
}

}  // namespace squall::log::kafka
