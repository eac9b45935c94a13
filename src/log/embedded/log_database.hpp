#pragma once
// The embedded log's SQLite file, DATA_DIR/log.db, and its schema.
//
//   topics(name, partitions, created_at_ms)
//   partitions(topic, partition_id, next_offset, retained_bytes)
//       next_offset is the partition's log end offset; retained_bytes sums the
//       payload sizes of its batches still stored (retention reads it).
//   batches(topic, partition_id, base_offset, record_count, byte_size,
//           appended_at_ms, payload)
//       one row per produce() call and partition; payload is batch_codec's
//       encoding. Offsets base_offset .. base_offset + record_count - 1.
//   offsets(grp, topic, partition_id, next_offset, committed_at_ms)
//       committed consumer-group positions.
//
// Every change is one SQLite transaction, so a process killed at any moment
// leaves batches and end offsets consistent with each other. Writers (every
// producer and every consumer's commits, in any process) queue for their
// transactions on an flock() of DATA_DIR/log.db.writers, first come first
// served, so a producer appending back to back cannot starve a commit.

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/sqlite.hpp"
#include "log/log.hpp"

namespace squall::log::embedded {

inline constexpr std::int32_t kMaxPartitions = 10'000;

std::string database_path(const LogOptions& options);

// Opens the log database, creating the data directory and schema as needed.
Result<sqlite::Database> open_log_database(const LogOptions& options);

// Kafka's topic name rules (1-249 of [A-Za-z0-9._-], not "." or ".."), so a
// topic created here can be created on a broker too.
Result<void> validate_topic_name(std::string_view name);
Result<void> validate_partition_count(std::int32_t partitions);

}  // namespace squall::log::embedded
