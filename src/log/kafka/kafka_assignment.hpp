#pragma once
// The partitions the consumer group currently assigns to this member, and
// how far this member has read each of them. librdkafka calls
// rebalance_cb() from inside KafkaConsumer::consume() (so only during
// Consumer::poll()) and from close().

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <librdkafka/rdkafkacpp.h>

#include "core/result.hpp"
#include "log/log.hpp"

namespace squall::log::kafka {

struct PartitionProgress {
  std::optional<std::int64_t> next;  // next offset this member returns: known after a record or an end event
  bool at_end = false;               // an end-of-partition event came after the last record
  std::optional<std::int64_t> committed;  // the group's committed position, once looked up (if any)
  bool committed_known = false;
};

class Assignment final : public RdKafka::RebalanceCb {
 public:
  // `cooperative`: the configured strategy is incremental (cooperative-sticky),
  // decided from the configuration because librdkafka stops reporting the
  // protocol once the consumer is closing.
  Assignment(std::string group, bool cooperative) : group_(std::move(group)), cooperative_(cooperative) {}

  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode code,
                    std::vector<RdKafka::TopicPartition*>& partitions) override;

  // Whether the group's answer to this member's first join has arrived.
  bool received_first() const { return received_first_; }
  // Whether the member holds a complete assignment: false before the first
  // one and between a revocation and the assignment that completes that
  // rebalance, when an empty assignment means "not yet", not "nothing for us".
  bool settled() const { return settled_; }
  // Grows with every revocation, so a poll can notice one happening inside it.
  std::uint64_t revocations() const { return revocations_; }

  std::map<TopicPartition, PartitionProgress>& partitions() { return partitions_; }
  const std::map<TopicPartition, PartitionProgress>& partitions() const { return partitions_; }
  PartitionProgress* find(const TopicPartition& where);

  // A failure to apply an assignment change, reported by the next poll.
  std::optional<Error> take_error();

 private:
  void assign(RdKafka::KafkaConsumer& consumer, const std::vector<RdKafka::TopicPartition*>& partitions);
  void revoke(RdKafka::KafkaConsumer& consumer, const std::vector<RdKafka::TopicPartition*>& partitions);
  void note_failure(RdKafka::Error* error, std::string_view what);

  std::string group_;
  bool cooperative_;
  bool received_first_ = false;
  bool settled_ = false;
  std::uint64_t revocations_ = 0;
  std::map<TopicPartition, PartitionProgress> partitions_;
  std::optional<Error> error_;
};

}  // namespace squall::log::kafka
