#include "store/cassandra/request_batches.hpp"

#include <iterator>
#include <utility>
#include <variant>

namespace squall::store::cassandra_batches {

PartitionId partition_id(std::uint64_t table, std::int64_t first, std::int64_t second) {
  // splitmix64's finaliser: consecutive keys land far apart, so two
  // neighbouring partitions all but never share an id.
  auto mix = [](std::uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
  };
  return mix(mix(mix(table) ^ static_cast<std::uint64_t>(first)) ^ static_cast<std::uint64_t>(second));
}

std::size_t estimated_mutation_bytes(std::span<const cql::Value> values) {
  // Checked against Cassandra 5.0's own figure in its warnings: a full
  // observation row is 888 bytes there and 876 here, a sparse one 160 and 186.
  constexpr std::size_t kPerCell = 18;
  constexpr std::size_t kPerRow = 32;
  constexpr std::size_t kLengthPrefix = 4;  // the wire's, not stored
  std::size_t bytes = kPerRow;
  for (const cql::Value& value : values) {
    if (std::holds_alternative<cql::Unset>(value)) continue;
    bytes += cql::encoded_size(std::span(&value, 1)) - kLengthPrefix + kPerCell;
  }
  return bytes;
}

std::future<Result<cql::QueryResult>> send(cql::Session& session, std::vector<cql::BatchStatement> statements) {
  if (statements.size() == 1) {
    cql::BatchStatement& only = statements.front();
    return session.execute_async(only.statement, std::move(only.values), cql::idempotent_options());
  }
  return session.batch_async(std::move(statements), cql::idempotent_options());
}

RequestBatches::RequestBatches(Send send, Limits limits) : send_(std::move(send)), limits_(limits) {}

void RequestBatches::add(cql::BatchStatement statement, PartitionId partition) {
  const std::size_t bytes = estimated_mutation_bytes(statement.values);
  if (!partition_.empty() && partition != partition_id_) {
    place_partition();
  } else if (!partition_.empty() && partition_bytes_ + bytes > limits_.max_partition_bytes) {
    place_partition();
    send_batch();  // a request's worth of this partition: the rest must not join it
  }
  partition_id_ = partition;
  partition_bytes_ += bytes;
  partition_.push_back(std::move(statement));
}

void RequestBatches::place_partition() {
  const bool fits = batch_bytes_ + partition_bytes_ <= limits_.max_mutation_bytes &&
                    batch_partitions_ < limits_.max_partitions;
  if (!batch_.empty() && !fits) send_batch();
  std::move(partition_.begin(), partition_.end(), std::back_inserter(batch_));
  batch_bytes_ += std::exchange(partition_bytes_, 0);
  ++batch_partitions_;
  partition_.clear();
}

void RequestBatches::send_batch() {
  send_(std::exchange(batch_, {}));
  batch_bytes_ = 0;
  batch_partitions_ = 0;
}

void RequestBatches::flush() {
  if (!partition_.empty()) place_partition();
  if (!batch_.empty()) send_batch();
}

}  // namespace squall::store::cassandra_batches
