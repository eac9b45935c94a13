#include "ingest/ingest.hpp"

#include <vector>

#include "core/record_headers.hpp"

namespace squall::ingest {

metrics::Families collect_metrics(const IngestCounters& counters) {
  metrics::Families out;
  metrics::add_counter(out, "squall_ingest_records_in_total", "Observations the source delivered",
                       static_cast<double>(counters.fetched.load(std::memory_order_relaxed)));
  metrics::add_counter(out, "squall_ingest_records_out_total", "Records handed to the log",
                       static_cast<double>(counters.produced.load(std::memory_order_relaxed)));
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
      for (const auto& raw : fetched) records.push_back(to_record(raw, source_.name()));
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
