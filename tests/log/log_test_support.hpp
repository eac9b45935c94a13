#pragma once
// Shared helpers for the log tests: options pointing into a temp dir, record
// builders and a bounded drain loop.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/time.hpp"
#include "log/embedded/embedded_log.hpp"
#include "log/log.hpp"
#include "test_support/temp_dir.hpp"

namespace squall::log::test_support {

// The data dir does not exist yet: opening the log must create it.
inline LogOptions options_in(const squall::test::TempDir& dir) {
  LogOptions options;
  options.data_dir = (dir.path() / "data").string();
  options.sync_full = false;
  return options;
}

// A record timestamp near the wall clock, fixed for the test run. A Kafka
// broker deletes records whose timestamp is older than its retention (it
// checks every five minutes, the first time 30 s after it starts): records
// stamped with a fixed date in 2023 vanished from a test topic mid-test, and
// consumers reset past them.
inline std::int64_t recent_timestamp_ms() {
  static const std::int64_t start = now_ms() / 1000 * 1000;
  return start;
}

inline Record record(std::string key, std::string value, std::vector<Header> headers = {},
                     std::int64_t timestamp_ms = recent_timestamp_ms()) {
  return Record{std::move(key), std::move(value), std::move(headers), timestamp_ms};
}

// Records keyed by `keys` city ids in turn, valued "<prefix><i>".
inline std::vector<Record> numbered_records(int count, int keys, const std::string& prefix = "v") {
  std::vector<Record> records;
  for (int i = 0; i < count; ++i) {
    records.push_back(record(std::to_string(4'000'000 + i % keys), prefix + std::to_string(i),
                             {{"seq", std::to_string(i)}}, recent_timestamp_ms() + i));
  }
  return records;
}

template <class T>
T expect_ok(Result<T> result) {
  EXPECT_TRUE(result.ok()) << result.error().message;
  if (!result.ok()) throw std::runtime_error(result.error().message);
  return std::move(result).value();
}

inline void expect_ok(Result<void> result) {
  EXPECT_TRUE(result.ok()) << result.error().message;
  if (!result.ok()) throw std::runtime_error(result.error().message);
}

// Polls until caught up, at most `max_polls` times.
inline std::vector<ConsumedRecord> drain(Consumer& consumer, std::size_t max_per_poll = 1000, int max_polls = 1000) {
  std::vector<ConsumedRecord> all;
  for (int i = 0; i < max_polls; ++i) {
    PollResult polled = expect_ok(consumer.poll(max_per_poll, 0));
    for (auto& r : polled.records) all.push_back(std::move(r));
    if (polled.caught_up) return all;
  }
  ADD_FAILURE() << "consumer never caught up";
  return all;
}

// Offsets per partition in the order the consumer returned them.
inline std::map<TopicPartition, std::vector<std::int64_t>> offsets_by_partition(
    const std::vector<ConsumedRecord>& records) {
  std::map<TopicPartition, std::vector<std::int64_t>> offsets;
  for (const auto& r : records) offsets[r.where].push_back(r.offset);
  return offsets;
}

inline void expect_contiguous_from(const std::vector<std::int64_t>& offsets, std::int64_t first) {
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    ASSERT_EQ(offsets[i], first + static_cast<std::int64_t>(i)) << "at index " << i;
  }
}

// Where each partition's consumption reached: what a processor commits.
inline std::vector<CommitPosition> positions_after(const std::vector<ConsumedRecord>& records) {
  std::map<TopicPartition, std::int64_t> next;
  for (const auto& r : records) next[r.where] = std::max(next[r.where], r.offset + 1);
  std::vector<CommitPosition> positions;
  for (const auto& [where, offset] : next) positions.push_back({where, offset});
  return positions;
}

}  // namespace squall::log::test_support
