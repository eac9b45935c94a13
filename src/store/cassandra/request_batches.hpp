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
// A batch of a single partition is exempt from both thresholds (the node
// applies a mutation per partition; CASSANDRA-10876), so a partition's rows
// are never split to meet them: they go together, alone when they are over
// 4 KiB, up to max_partition_bytes per request. Splitting them made the
// node apply a partition more than once per write: 62 611 partition writes
// to observations for 200 000 rows over 2 000 cities, against 28 575 kept
// whole (docs/BENCHMARKS.md, "Twelfth session").

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <span>
#include <vector>

#include "cql/cql.hpp"

namespace squall::store::cassandra_batches {

struct Limits {
  std::size_t max_mutation_bytes = 4096;  // of a batch spanning partitions
  std::size_t max_partitions = 10;
  // Of one partition's rows in one request: keeps requests (and the node's
  // work on one of them) bounded when a replay brings one city's backlog.
  std::size_t max_partition_bytes = 64 * 1024;
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

  // Holds `statement` with the rest of its partition's rows until the next
  // partition starts; then that partition joins the batch so far, or, when
  // it would take the batch over a limit, starts the next one.
  void add(cql::BatchStatement statement, PartitionId partition);
  // Sends what is left, if anything.
  void flush();

 private:
  void place_partition();
  void send_batch();

  Send send_;
  Limits limits_;
  std::vector<cql::BatchStatement> batch_;
  std::size_t batch_bytes_ = 0;
  std::size_t batch_partitions_ = 0;
  std::vector<cql::BatchStatement> partition_;  // the rows of the partition being added
  std::size_t partition_bytes_ = 0;
  PartitionId partition_id_ = 0;
};

}  // namespace squall::store::cassandra_batches
