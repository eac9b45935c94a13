#include "ingest/ingest.hpp"

#include <algorithm>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/record_headers.hpp"

namespace squall::ingest {

metrics::Families collect_metrics(const IngestCounters& counters) {
  metrics::Families out;
  metrics::add_counter(out, "squall_ingest_records_in_total", "Observations the source delivered",
                       static_cast<double>(counters.fetched.load(std::memory_order_relaxed)));
  metrics::add_counter(out, "squall_ingest_records_out_total", "Records handed to the log",
                       static_cast<double>(counters.produced.load(std::memory_order_relaxed)));
  metrics::add_counter(out, "squall_ingest_records_truncated_total",
                       "Records over the log's record limit, cut and marked for the dead-letter topic",
                       static_cast<double>(counters.truncated.load(std::memory_order_relaxed)));
  return out;
}

log::Record to_record(const sources::RawObservation& raw, std::string_view source_name) {
  log::Record record;
  record.key = std::to_string(raw.city_id);
  record.value = raw.payload;
  record.timestamp_ms = raw.fetched_at_ms;
  record.headers = {{std::string(headers::kSource), std::string(source_name)},
                    {std::string(headers::kFetchedAtMs), std::to_string(raw.fetched_at_ms)},
                    {std::string(headers::kUnits), std::string(to_string(raw.units))}};
  return record;
}

bool fit_to_log(log::Record& record, std::size_t max_bytes) {
  const std::size_t bytes = log::record_bytes(record);
  if (bytes <= max_bytes) return false;
  // Enough of the start to recognise the response by, and room for the marker.
  constexpr std::size_t kKeptBytes = 1024;
  const std::string original_size = std::to_string(record.value.size());
  const std::size_t marker = headers::kTruncatedFromBytes.size() + original_size.size() + 8;
  const std::size_t rest = bytes - record.value.size() + marker;
  const std::size_t room = max_bytes > rest ? max_bytes - rest : 0;
  spdlog::warn("a response of {} bytes for key {} is over the log's record limit of {} bytes: its first {} bytes go "
               "on, to be dead-lettered by the processor",
               record.value.size(), record.key, max_bytes, std::min(kKeptBytes, room));
  record.value.resize(std::min({kKeptBytes, room, record.value.size()}));
  record.headers.push_back({std::string(headers::kTruncatedFromBytes), original_size});
  return true;
}

Result<void> Ingestor::run(std::stop_token stop) {
  std::vector<sources::RawObservation> fetched;
  std::vector<log::Record> records;
  fetched.reserve(options_.batch_max_records);
  records.reserve(options_.batch_max_records);
  while (true) {
    fetched.clear();
    auto state = source_.next(fetched, options_.batch_max_records, stop);
    // Whatever arrived is produced even when the source then failed or was
    // stopped: fetched data is never dropped on the floor.
    if (!fetched.empty()) {
      counters_.fetched.fetch_add(static_cast<std::int64_t>(fetched.size()), std::memory_order_relaxed);
      records.clear();
      for (const auto& raw : fetched) {
        records.push_back(to_record(raw, source_.name()));
        if (fit_to_log(records.back(), producer_.max_record_bytes())) {
          counters_.truncated.fetch_add(1, std::memory_order_relaxed);
        }
      }
      SQUALL_TRY(producer_.produce(options_.topic, records));
      counters_.produced.fetch_add(static_cast<std::int64_t>(records.size()), std::memory_order_relaxed);
    }
    if (!state) {
      SQUALL_TRY(producer_.flush());
      return state.error();
    }
    if (*state == sources::SourceState::exhausted) {
      SQUALL_TRY(producer_.flush());
      counters_.finished.store(true, std::memory_order_release);
      return {};
    }
    if (stop.stop_requested()) return producer_.flush();
  }
}

}  // namespace squall::ingest
