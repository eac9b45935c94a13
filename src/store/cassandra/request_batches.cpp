#include "store/cassandra/request_batches.hpp"

#include <utility>

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

RequestBatches::RequestBatches(Send send, Limits limits) : send_(std::move(send)), limits_(limits) {}

void RequestBatches::add(cql::BatchStatement statement, PartitionId partition) {
  const std::size_t bytes = cql::encoded_size(statement.values);
  const bool new_partition = batch_.empty() || partition != last_partition_;
  const bool over_bytes = value_bytes_ + bytes > limits_.max_value_bytes;
  const bool over_partitions = new_partition && partitions_ == limits_.max_partitions;
  if (!batch_.empty() && (over_bytes || over_partitions)) flush();
  if (batch_.empty() || partition != last_partition_) ++partitions_;
  last_partition_ = partition;
  value_bytes_ += bytes;
  batch_.push_back(std::move(statement));
}

void RequestBatches::flush() {
  if (batch_.empty()) return;
  send_(std::exchange(batch_, {}));
  value_bytes_ = 0;
  partitions_ = 0;
}

}  // namespace squall::store::cassandra_batches
