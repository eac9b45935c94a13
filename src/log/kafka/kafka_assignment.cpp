#include "log/kafka/kafka_assignment.hpp"

#include <memory>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "log/kafka/kafka_client.hpp"

namespace squall::log::kafka {
namespace {

std::string describe(const std::vector<RdKafka::TopicPartition*>& partitions) {
  if (partitions.empty()) return "no partitions";
  std::string text;
  for (const RdKafka::TopicPartition* partition : partitions) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{}/{}", partition->topic(), partition->partition());
  }
  return text;
}

TopicPartition where_of(const RdKafka::TopicPartition& partition) {
  return TopicPartition{partition.topic(), partition.partition()};
}

}  // namespace

// Commit-on-revoke: commit() is synchronous, and a revocation can only
// happen inside poll(), so by the time a partition is revoked every position
// handed to commit() is already committed: there is nothing left to commit
// here. Records an earlier poll returned but the caller has not committed yet
// go to the partition's next owner again (at-least-once; squall's sinks are
// idempotent), and commit() no longer commits them from this member.
void Assignment::rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode code,
                              std::vector<RdKafka::TopicPartition*>& partitions) {
  if (code == RdKafka::ERR__ASSIGN_PARTITIONS) {
    assign(*consumer, partitions);
    return;
  }
  if (code != RdKafka::ERR__REVOKE_PARTITIONS) {
    spdlog::error("consumer group '{}': rebalance failed ({}); giving up the assignment", group_,
                  RdKafka::err2str(code));
  }
  revoke(*consumer, partitions);
}

void Assignment::assign(RdKafka::KafkaConsumer& consumer, const std::vector<RdKafka::TopicPartition*>& partitions) {
  if (cooperative_) {
    note_failure(consumer.incremental_assign(partitions), "incremental assign");
  } else {
    partitions_.clear();  // an eager assignment replaces the previous one
    if (const RdKafka::ErrorCode code = consumer.assign(partitions); code != RdKafka::ERR_NO_ERROR) {
      error_ = kafka_error(code, fmt::format("consumer group '{}': assign", group_));
    }
  }
  for (const RdKafka::TopicPartition* partition : partitions) partitions_.try_emplace(where_of(*partition));
  received_first_ = true;
  settled_ = true;
  spdlog::info("consumer group '{}': assigned {}", group_, describe(partitions));
}

void Assignment::revoke(RdKafka::KafkaConsumer& consumer, const std::vector<RdKafka::TopicPartition*>& partitions) {
  const bool lost = consumer.assignment_lost();
  if (cooperative_) {
    note_failure(consumer.incremental_unassign(partitions), "incremental unassign");
    for (const RdKafka::TopicPartition* partition : partitions) partitions_.erase(where_of(*partition));
  } else {
    if (const RdKafka::ErrorCode code = consumer.unassign(); code != RdKafka::ERR_NO_ERROR) {
      error_ = kafka_error(code, fmt::format("consumer group '{}': unassign", group_));
    }
    partitions_.clear();
  }
  ++revocations_;
  settled_ = false;  // the rebalance completes with an assignment, possibly empty
  if (lost) {
    spdlog::warn("consumer group '{}': lost {} (the group went on without this member); their next owner re-reads "
                 "them from the last commit",
                 group_, describe(partitions));
  } else {
    spdlog::info("consumer group '{}': revoked {}", group_, describe(partitions));
  }
}

void Assignment::note_failure(RdKafka::Error* error, std::string_view what) {
  const std::unique_ptr<RdKafka::Error> owned(error);
  if (!owned) return;
  error_ = make_error(errc_of(owned->code()),
                      fmt::format("consumer group '{}': {} failed: {}", group_, what, owned->str()));
}

PartitionProgress* Assignment::find(const TopicPartition& where) {
  auto found = partitions_.find(where);
  return found == partitions_.end() ? nullptr : &found->second;
}

std::optional<Error> Assignment::take_error() { return std::exchange(error_, std::nullopt); }

}  // namespace squall::log::kafka
