#pragma once
// Ingest: sources -> log (the reference system's Kafka producer).
//
// Each raw observation becomes one log record: key = city id, value = the raw
// bytes untouched, headers = source, fetch time and units, so the processor
// can interpret the payload exactly as it was requested.

#include <atomic>
#include <cstdint>
#include <stop_token>
#include <string>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "log/log.hpp"
#include "sources/source.hpp"

namespace squall::ingest {

struct IngestOptions {
  std::string topic = "weather";
  std::size_t batch_max_records = 5000;  // records handed to the log per produce call
};

struct IngestCounters {
  std::atomic<std::int64_t> fetched{0};    // observations the source delivered
  std::atomic<std::int64_t> produced{0};   // records handed to the log
  std::atomic<std::int64_t> truncated{0};  // of those, cut to fit the log's record limit
  std::atomic<bool> finished{false};      // the source is exhausted and everything is flushed
};

metrics::Families collect_metrics(const IngestCounters& counters);

log::Record to_record(const sources::RawObservation& raw, std::string_view source_name);

// A record over `max_bytes` would be refused by the log and stop ingest, so
// it goes in cut to its first bytes and marked with its size
// (headers::kTruncatedFromBytes): the processor dead-letters it with that
// reason and the good records around it flow on. Returns whether it was cut.
bool fit_to_log(log::Record& record, std::size_t max_bytes);

class Ingestor {
 public:
  Ingestor(sources::Source& source, log::Producer& producer, IngestOptions options)
      : source_(source), producer_(producer), options_(std::move(options)) {}

  // Runs until the source is exhausted or `stop` is requested; either way,
  // everything fetched is produced and flushed before returning.
  Result<void> run(std::stop_token stop);

  const IngestCounters& counters() const { return counters_; }

 private:
  sources::Source& source_;
  log::Producer& producer_;
  IngestOptions options_;
  IngestCounters counters_;
};

}  // namespace squall::ingest
