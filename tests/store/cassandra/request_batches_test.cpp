// How a store write's statements are grouped into requests, without a
// server: the limits that keep a batch clear of Cassandra's warnings.

#include "store/cassandra/request_batches.hpp"

#include <gtest/gtest.h>

namespace squall::store::cassandra_batches {
namespace {

// A statement whose values encode to exactly `bytes` (a text value carries
// a 4-byte length before its characters).
cql::BatchStatement statement_of(std::size_t bytes) {
  return {nullptr, {std::string(bytes - 4, 'x')}};
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
  auto batches = recorder.batches({.max_value_bytes = 100, .max_partitions = 10});
  for (PartitionId p = 1; p <= 7; ++p) batches.add(statement_of(30), p);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{3, 3, 1}));
}

TEST(RequestBatches, TheEleventhPartitionStartsTheNextBatch) {
  Recorder recorder;
  auto batches = recorder.batches({.max_value_bytes = 1'000'000, .max_partitions = 10});
  for (PartitionId p = 1; p <= 25; ++p) batches.add(statement_of(8), p);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{10, 10, 5}));
}

TEST(RequestBatches, RowsOfOnePartitionInARowCountAsOnePartition) {
  Recorder recorder;
  auto batches = recorder.batches({.max_value_bytes = 1'000'000, .max_partitions = 2});
  for (PartitionId p : {1, 1, 1, 2, 2, 3, 3, 3}) batches.add(statement_of(8), p);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{5, 3}));
}

TEST(RequestBatches, AStatementOverTheByteLimitGoesAlone) {
  Recorder recorder;
  auto batches = recorder.batches({.max_value_bytes = 100, .max_partitions = 10});
  batches.add(statement_of(20), 1);
  batches.add(statement_of(500), 2);
  batches.add(statement_of(20), 3);
  batches.flush();
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_EQ(cql::encoded_size(recorder.sent[1].front().values), 500u);
}

TEST(RequestBatches, StatementsKeepTheirOrderAndFlushSendsNothingWhenEmpty) {
  Recorder recorder;
  auto batches = recorder.batches({.max_value_bytes = 40, .max_partitions = 10});
  batches.flush();
  EXPECT_TRUE(recorder.sent.empty());
  for (std::size_t bytes : {10, 11, 12, 13, 14}) batches.add(statement_of(bytes), bytes);
  batches.flush();
  batches.flush();
  std::vector<std::size_t> order;
  for (const auto& batch : recorder.sent) {
    for (const auto& statement : batch) order.push_back(cql::encoded_size(statement.values));
  }
  EXPECT_EQ(order, (std::vector<std::size_t>{10, 11, 12, 13, 14}));
  EXPECT_EQ(recorder.sizes(), (std::vector<std::size_t>{3, 2}));
}

TEST(RequestBatches, NeighbouringKeysGetDifferentPartitionIds) {
  EXPECT_NE(partition_id(1, 4887398, 20000), partition_id(1, 4887398, 20001));
  EXPECT_NE(partition_id(1, 4887398, 20000), partition_id(1, 4887399, 20000));
  EXPECT_NE(partition_id(1, 4887398), partition_id(2, 4887398));
  EXPECT_EQ(partition_id(3, 7, 9), partition_id(3, 7, 9));
}

}  // namespace
}  // namespace squall::store::cassandra_batches
