#pragma once
// The embedded log backend: partitioned topics in one SQLite file,
// DATA_DIR/log.db (schema in log_database.hpp, batch format in
// batch_codec.hpp, retention rules in retention.hpp).
//
// Producers and consumers each own a connection, so they may live in
// different threads or processes on the same file; SQLite's WAL mode and busy
// timeout serialise the writers. One Producer or Consumer object is used by
// one thread at a time.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "log/log.hpp"

namespace squall::log::embedded {

// Knobs with production defaults that tests turn.
struct Tuning {
  std::function<std::int64_t()> wall_clock_ms = now_ms;  // append times, retention age
  std::int64_t retention_interval_ms = 1000;             // least steady time between retention passes
  int poll_sleep_ms = 10;                                // how often an idle poll() re-checks the log
};

Result<std::unique_ptr<Producer>> open_producer(const LogOptions& options, Tuning tuning = {});
Result<std::unique_ptr<Consumer>> open_consumer(const LogOptions& options, std::string group,
                                                std::vector<std::string> topics, StartFrom start,
                                                Tuning tuning = {});
Result<std::vector<TopicInfo>> list_topics(const LogOptions& options);
Result<void> create_topic(const LogOptions& options, std::string_view name, std::int32_t partitions);
Result<TopicDescription> describe_topic(const LogOptions& options, std::string_view name);

}  // namespace squall::log::embedded
