#pragma once
// Groups a store write's statements into unlogged batches that may span
// partitions, so the node parses one request for many rows.
//
// Why spanning: a stream of current weather brings a few rows per (city,
// day) partition in each micro-batch, and latest_by_city and
// window_aggregates get one row per partition, so batches of one partition
// would mostly hold one row. Our client is not token-aware, so every request
// reaches a coordinator that forwards it to the replicas anyway; a batch
// spanning partitions costs the cluster that same hop, once instead of per
// row. It is not atomic across partitions, which the store never relies on:
// a write is retried whole, and every statement in it is an upsert.
//
// Limits, so a batch stays within what Cassandra accepts without a warning:
// a batch of more than one partition over batch_size_warn_threshold (5 KiB
// of mutations by default) is logged by the node, every time, and one over
// batch_size_fail_threshold (50 KiB) refused; over
// unlogged_batch_across_partitions_warn_threshold (10 partitions) it warns
// too. So at most 4 KiB by estimated_mutation_bytes() and 10 partitions.
// One statement over the byte limit on its own still goes, alone (a single
// partition's batch is never warned about).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <span>
#include <vector>

#include "cql/cql.hpp"

namespace squall::store::cassandra_batches {

struct Limits {
  std::size_t max_mutation_bytes = 4096;
  std::size_t max_partitions = 10;
};

// What a statement adds to Cassandra's measure of a batch (the data size of
// its mutations), within a few percent: each bound value that is set
// becomes a cell of its bytes plus about 18 (write time, time to live,
// deletion time, flags), and each row carries its own liveness and
// clustering. Unset values write nothing.
std::size_t estimated_mutation_bytes(std::span<const cql::Value> values);

// A partition's identity for counting: any value that differs between two
// partitions (a hash of the table and the key will do). Statements of one
// partition must be added one after another to count once.
using PartitionId = std::uint64_t;

// Mixes the parts of a partition's identity into one PartitionId.
PartitionId partition_id(std::uint64_t table, std::int64_t first, std::int64_t second = 0);

// Sends one batch RequestBatches made, idempotent: a lone statement as
// itself, not wrapped in a batch; more as an unlogged batch.
std::future<Result<cql::QueryResult>> send(cql::Session& session, std::vector<cql::BatchStatement> statements);

class RequestBatches {
 public:
  using Send = std::function<void(std::vector<cql::BatchStatement>)>;

  explicit RequestBatches(Send send, Limits limits = {});

  // Sends the batch so far first when `statement` would take it over a limit.
  void add(cql::BatchStatement statement, PartitionId partition);
  // Sends what is left, if anything.
  void flush();

 private:
  Send send_;
  Limits limits_;
  std::vector<cql::BatchStatement> batch_;
  std::size_t mutation_bytes_ = 0;
  std::size_t partitions_ = 0;
  PartitionId last_partition_ = 0;
};

}  // namespace squall::store::cassandra_batches
