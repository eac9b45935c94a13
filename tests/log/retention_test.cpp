// Retention of the embedded log: whole batches go, oldest first, by age of
// append or by bytes per partition; the newest batch always stays.

#include <gtest/gtest.h>

#include "log/embedded/embedded_log.hpp"
#include "log/log_test_support.hpp"

namespace squall::log {
namespace {

using namespace test_support;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.retention_ms = 0;
    options_.retention_bytes_per_partition = 0;
    expect_ok(create_topic(options_, "t", 1));
  }

  // A producer whose clock the test sets and which enforces retention after
  // every produce.
  std::unique_ptr<Producer> producer() {
    embedded::Tuning tuning;
    tuning.wall_clock_ms = [this] { return clock_ms_; };
    tuning.retention_interval_ms = 0;
    return expect_ok(embedded::open_producer(options_, tuning));
  }

  std::vector<ConsumedRecord> everything() {
    return drain(*expect_ok(open_consumer(options_, "audit", {"t"}, StartFrom::earliest)));
  }

  // Ten batches of ten records, ~1.2 KB each, appended one second apart.
  void produce_ten_batches(Producer& writer) {
    for (int batch = 0; batch < 10; ++batch) {
      auto records = numbered_records(10, 1, "b" + std::to_string(batch) + "-");
      for (auto& r : records) r.value += std::string(100, 'x');
      expect_ok(writer.produce("t", records));
      clock_ms_ += 1000;
    }
  }

  squall::test::TempDir dir_;
  LogOptions options_ = options_in(dir_);
  std::int64_t clock_ms_ = 1'700'000'000'000;
};

TEST_F(RetentionTest, KeepsEverythingWithinBounds) {
  options_.retention_ms = 3'600'000;
  options_.retention_bytes_per_partition = 1 << 20;
  auto writer = producer();
  produce_ten_batches(*writer);
  EXPECT_EQ(everything().size(), 100U);
}

TEST_F(RetentionTest, DeletesOldestBatchesBeyondTheByteBound) {
  options_.retention_bytes_per_partition = 4000;  // room for three ~1.2 KB batches
  auto writer = producer();
  produce_ten_batches(*writer);
  const auto kept = everything();
  ASSERT_EQ(kept.size(), 30U);
  EXPECT_EQ(kept.front().offset, 70) << "offsets are not renumbered";
  EXPECT_EQ(kept.front().record.value.substr(0, 4), "b7-0");
  EXPECT_EQ(kept.back().offset, 99);
}

TEST_F(RetentionTest, DeletesBatchesAppendedLongerAgoThanTheAgeBound) {
  options_.retention_ms = 4500;
  auto writer = producer();
  produce_ten_batches(*writer);
  // The last pass ran when batch 9 was appended at clock 9 s: batches
  // appended before 4.5 s (0..4) are gone, 5..9 remain.
  const auto kept = everything();
  ASSERT_EQ(kept.size(), 50U);
  EXPECT_EQ(kept.front().offset, 50);
}

TEST_F(RetentionTest, AgesByAppendTimeNotByRecordTimestamps) {
  options_.retention_ms = 60'000;
  auto writer = producer();
  // Replayed records from years ago are still fresh in the log.
  std::vector<Record> old{record("k", "from 2001", {}, 1'000'000'000'000)};
  expect_ok(writer->produce("t", old));
  expect_ok(writer->produce("t", old));
  EXPECT_EQ(everything().size(), 2U);
}

TEST_F(RetentionTest, NeverDeletesTheNewestBatch) {
  options_.retention_ms = 1;
  options_.retention_bytes_per_partition = 1;
  auto writer = producer();
  produce_ten_batches(*writer);
  clock_ms_ += 1'000'000;
  expect_ok(writer->produce("t", numbered_records(1, 1, "last")));
  const auto kept = everything();
  ASSERT_EQ(kept.size(), 1U);
  EXPECT_EQ(kept.front().offset, 100);
  EXPECT_EQ(kept.front().record.value, "last0");
}

TEST_F(RetentionTest, AConsumerBehindRetentionResumesAtTheOldestBatchLeft) {
  options_.retention_bytes_per_partition = 4000;
  auto writer = producer();
  auto reader = expect_ok(open_consumer(options_, "slow", {"t"}, StartFrom::earliest));
  expect_ok(writer->produce("t", numbered_records(5, 1, "first")));
  PollResult early = expect_ok(reader->poll(2, 0));
  ASSERT_EQ(early.records.size(), 2U);
  expect_ok(reader->commit(positions_after(early.records)));

  produce_ten_batches(*writer);
  // The consumer still holds the first batch it decoded: it finishes it,
  // then jumps over what retention removed.
  const auto rest = drain(*reader);
  ASSERT_EQ(rest.size(), 3U + 30U);
  EXPECT_EQ(rest[2].offset, 4);
  EXPECT_EQ(rest[3].offset, 75);

  // A new consumer of the same group starts from the committed offset 2,
  // long deleted, and resumes at the oldest batch left.
  const auto resumed = drain(*expect_ok(open_consumer(options_, "slow", {"t"}, StartFrom::earliest)));
  ASSERT_EQ(resumed.size(), 30U);
  EXPECT_EQ(resumed.front().offset, 75);
}

TEST_F(RetentionTest, IsThrottledByDefault) {
  options_.retention_bytes_per_partition = 1;
  embedded::Tuning tuning;
  tuning.retention_interval_ms = 3'600'000;
  auto writer = expect_ok(embedded::open_producer(options_, tuning));
  for (int i = 0; i < 3; ++i) expect_ok(writer->produce("t", numbered_records(1, 1)));
  // Only the first produce ran a pass, when a single batch existed.
  EXPECT_EQ(everything().size(), 3U);
}

}  // namespace
}  // namespace squall::log
