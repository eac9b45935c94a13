// How a store write's statements are grouped into requests, without a
// server: the limits that keep a batch clear of Cassandra's warnings.

#include "store/cassandra/request_batches.hpp"

#include <gtest/gtest.h>

namespace squall::store::cassandra_batches {
namespace {

// A statement that adds exactly `bytes` to a batch's estimated size: one
// text cell (its characters and 18 bytes) in a row (32 bytes).
cql::BatchStatement statement_of(std::size_t bytes) {
  return {nullptr, {std::string(bytes - 50, 'x')}};
}

struct Recorder {
  std::vector<std::vector<cql::BatchStatement>> sent;
  RequestBatches batches(Limits limits) {
    return RequestBatches([this](std::vector<cql::BatchStatement> batch) { sent.push_back(std::move(batch)); },
                          limits);
  }
  std::vector<std::size_t> sizes() const {
    std::vector<std::size_t> out;
    for (const auto& batch : sent) out.push_back(batch.size());
    return out;
  }
};

TEST(RequestBatches, AStatementThatWouldPassTheByteLimitStartsTheNextBatch) {
  Recorder recorder;
  auto batches = recorder.batches({.max_mutation_bytes = 320, .max_partitions = 10});
  for (PartitionId p = 1; p <= 7; ++p) batches.add(statement_of(100), p);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{3, 3, 1}));
}

TEST(RequestBatches, TheEleventhPartitionStartsTheNextBatch) {
  Recorder recorder;
  auto batches = recorder.batches({.max_mutation_bytes = 1'000'000, .max_partitions = 10});
  for (PartitionId p = 1; p <= 25; ++p) batches.add(statement_of(50), p);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{10, 10, 5}));
}

TEST(RequestBatches, RowsOfOnePartitionInARowCountAsOnePartition) {
  Recorder recorder;
  auto batches = recorder.batches({.max_mutation_bytes = 1'000'000, .max_partitions = 2});
  for (PartitionId p : {1, 1, 1, 2, 2, 3, 3, 3}) batches.add(statement_of(50), p);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{5, 3}));
}

TEST(RequestBatches, APartitionThatWouldPassTheByteLimitMovesWholeToTheNextBatch) {
  Recorder recorder;
  auto batches = recorder.batches({.max_mutation_bytes = 320, .max_partitions = 10});
  for (PartitionId p : {1, 1, 2, 2}) batches.add(statement_of(100), p);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{2, 2}));
}

TEST(RequestBatches, APartitionOverTheByteLimitGoesAloneAndWhole) {
  Recorder recorder;
  auto batches = recorder.batches({.max_mutation_bytes = 320, .max_partitions = 10});
  batches.add(statement_of(100), 1);
  for (int row = 0; row < 6; ++row) batches.add(statement_of(100), 2);
  batches.add(statement_of(100), 3);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{1, 6, 1}));
}

TEST(RequestBatches, APartitionOverItsOwnLimitGoesInSeveralRequests) {
  Recorder recorder;
  auto batches = recorder.batches({.max_mutation_bytes = 320, .max_partitions = 10, .max_partition_bytes = 250});
  for (int row = 0; row < 5; ++row) batches.add(statement_of(100), 1);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{2, 2, 1}));
}

TEST(RequestBatches, AStatementOverTheByteLimitGoesAlone) {
  Recorder recorder;
  auto batches = recorder.batches({.max_mutation_bytes = 100, .max_partitions = 10});
  batches.add(statement_of(60), 1);
  batches.add(statement_of(500), 2);
  batches.add(statement_of(60), 3);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_EQ(estimated_mutation_bytes(recorder.sent[1].front().values), 500u);
}

TEST(RequestBatches, StatementsKeepTheirOrderAndFlushSendsNothingWhenEmpty) {
  Recorder recorder;
  auto batches = recorder.batches({.max_mutation_bytes = 200, .max_partitions = 10});
  batches.flush();
  EXPECT_TRUE(recorder.sent.empty());
  for (std::size_t bytes : {60, 61, 62, 63, 64}) batches.add(statement_of(bytes), bytes);
  batches.flush();
  batches.flush();
  std::vector<std::size_t> order;
  for (const auto& batch : recorder.sent) {
    for (const auto& statement : batch) order.push_back(estimated_mutation_bytes(statement.values));
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{60, 61, 62, 63, 64}));
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{3, 2}));
}

TEST(RequestBatches, UnsetValuesAddNothingAndNullsACellWithoutBytes) {
  const std::vector<cql::Value> values{std::int64_t{4887398}, cql::Null{}, cql::Unset{}, 21.5};
  // Per row 32; bigint 8 + 18; null 0 + 18; unset nothing; double 8 + 18.
  EXPECT_EQ(estimated_mutation_bytes(values), 32u + 26u + 18u + 26u);
}

TEST(RequestBatches, NeighbouringKeysGetDifferentPartitionIds) {
  EXPECT_NE(partition_id(1, 4887398, 20000), partition_id(1, 4887398, 20001));
  EXPECT_NE(partition_id(1, 4887398, 20000), partition_id(1, 4887399, 20000));
  EXPECT_NE(partition_id(1, 4887398), partition_id(2, 4887398));
  EXPECT_EQ(partition_id(3, 7, 9), partition_id(3, 7, 9));
}

}  // namespace
}  // namespace squall::store::cassandra_batches
