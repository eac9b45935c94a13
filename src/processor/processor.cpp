#include "processor/processor.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/record_headers.hpp"
#include "core/time.hpp"
#include "processor/dedup.hpp"
#include "processor/owm_parser.hpp"

namespace squall::processor {
namespace {

std::optional<std::int64_t> header_int(const log::Record& record, std::string_view name) {
  auto text = record.header(name);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) return std::nullopt;
  return value;
}

bool is_transient(const Error& error) {
  return error.code == Errc::timeout || error.code == Errc::unavailable;
}

}  // namespace

struct Processor::Impl {
  Impl(log::Consumer& c, log::Producer& p, store::Store& s, store::CsvBackup* backup, ProcessorOptions o,
       ProcessorCounters& k)
      : consumer(c), producer(p), store(s), csv(backup), options(std::move(o)), counters(k) {}

  log::Consumer& consumer;
  log::Producer& producer;
  store::Store& store;
  store::CsvBackup* csv;
  ProcessorOptions options;
  ProcessorCounters& counters;

  OwmParser parser;
  RecentObservations recent;
  // Reused across batches so steady-state batches do not allocate.
  std::vector<log::ConsumedRecord> batch;
  std::vector<Observation> observations;
  std::vector<std::size_t> observation_origin;  // index in `batch` of each observation's record
  std::vector<Observation> csv_rows;
  std::vector<store::DeadLetter> dead_letters;
  std::vector<log::Record> dead_letter_records;
  std::vector<log::CommitPosition> positions;
  Observation scratch;
  std::int64_t lag_measured_ms = 0;  // steady clock of the last Consumer::lag() call

  Result<bool> collect(std::stop_token stop);
  void transform();
  void transform_one(std::size_t index);
  void dead_letter(const log::ConsumedRecord& consumed, std::string reason);
  void compute_positions();
  void select_csv_rows();
  Result<void> write_sinks(std::stop_token stop);
  void refresh_lag(bool caught_up);
  Result<void> with_retry(std::stop_token stop, std::string_view what, const std::function<Result<void>()>& op);
};

// Polls until the batch is full, its time is up, or the log is drained.
Result<bool> Processor::Impl::collect(std::stop_token stop) {
  batch.clear();
  std::int64_t deadline = 0;
  while (batch.size() < options.batch_max_records) {
    const std::int64_t wait = batch.empty() ? options.batch_max_wait_ms
                                            : std::max<std::int64_t>(0, deadline - steady_now_ms());
    auto polled = consumer.poll(options.batch_max_records - batch.size(), static_cast<int>(wait));
    if (!polled) return polled.error();
    if (batch.empty() && !polled->records.empty()) deadline = steady_now_ms() + options.batch_max_wait_ms;
    std::move(polled->records.begin(), polled->records.end(), std::back_inserter(batch));
    if (polled->caught_up) return true;
    if (batch.empty() || stop.stop_requested() || steady_now_ms() >= deadline) return false;
  }
  return false;
}

void Processor::Impl::dead_letter(const log::ConsumedRecord& consumed, std::string reason) {
  const std::int64_t now = now_ms();
  log::Record record;
  record.key = consumed.record.key;
  record.value = consumed.record.value;
  record.timestamp_ms = now;
  record.headers = {{std::string(headers::kReason), reason},
                    {std::string(headers::kOriginTopic), consumed.where.topic},
                    {std::string(headers::kOriginPartition), std::to_string(consumed.where.partition)},
                    {std::string(headers::kOriginOffset), std::to_string(consumed.offset)}};
  dead_letter_records.push_back(std::move(record));
  dead_letters.push_back(store::DeadLetter{consumed.where.topic, consumed.where.partition, consumed.offset,
                                           std::move(reason), consumed.record.value, now});
}

void Processor::Impl::transform_one(std::size_t index) {
  const log::ConsumedRecord& consumed = batch[index];
  const log::Record& record = consumed.record;
  Units units = options.default_units;
  if (auto named = record.header(headers::kUnits)) {
    auto parsed_units = parse_units(*named);
    if (!parsed_units) {
      dead_letter(consumed, "header units: unknown unit system '" + std::string(named->substr(0, 32)) + "'");
      return;
    }
    units = *parsed_units;
  }
  if (auto parsed = parser.parse(record.value, units, scratch); !parsed) {
    dead_letter(consumed, parsed.error().message);
    return;
  }
  if (auto valid = validate(scratch); !valid) {
    dead_letter(consumed, valid.error().message);
    return;
  }
  if (!recent.first_time(scratch.city_id, scratch.observed_at)) {
    counters.duplicates.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  scratch.ingested_at_ms = header_int(record, headers::kFetchedAtMs).value_or(record.timestamp_ms);
  auto source = record.header(headers::kSource);
  scratch.source = source ? std::string(*source) : std::string("log");
  observations.push_back(scratch);
  observation_origin.push_back(index);
}

void Processor::Impl::transform() {
  observations.clear();
  observation_origin.clear();
  dead_letters.clear();
  dead_letter_records.clear();
  for (std::size_t i = 0; i < batch.size(); ++i) transform_one(i);
}

void Processor::Impl::compute_positions() {
  std::map<log::TopicPartition, std::int64_t> next;
  for (const auto& consumed : batch) {
    auto& position = next[consumed.where];
    position = std::max(position, consumed.offset + 1);
  }
  positions.clear();
  for (auto& [where, offset] : next) positions.push_back({where, offset});
}

// The CSV backup may already hold part of this batch (a crash after its
// append, before the commit): only rows past its resume position go in.
void Processor::Impl::select_csv_rows() {
  csv_rows.clear();
  if (csv == nullptr) return;
  const auto& resume = csv->resume_positions();
  for (std::size_t i = 0; i < observations.size(); ++i) {
    const log::ConsumedRecord& origin = batch[observation_origin[i]];
    auto contained = resume.find(origin.where);
    if (contained == resume.end() || origin.offset >= contained->second) csv_rows.push_back(observations[i]);
  }
}

Result<void> Processor::Impl::with_retry(std::stop_token stop, std::string_view what,
                                         const std::function<Result<void>()>& op) {
  std::int64_t backoff_ms = 50;
  while (true) {
    auto done = op();
    if (done || !is_transient(done.error()) || stop.stop_requested()) return done;
    counters.sink_retries.fetch_add(1, std::memory_order_relaxed);
    spdlog::warn("{} failed, retrying in {} ms: {}", what, backoff_ms, done.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, options.sink_retry_max_ms);
  }
}

Result<void> Processor::Impl::write_sinks(std::stop_token stop) {
  if (!dead_letter_records.empty()) {
    SQUALL_TRY(with_retry(stop, "dead-letter produce", [&]() -> Result<void> {
      SQUALL_TRY(producer.produce(options.dead_letter_topic, dead_letter_records));
      return producer.flush();
    }));
  }
  SQUALL_TRY(with_retry(stop, "store write", [&] {
    return store.write(store::WriteBatch{observations, dead_letters});
  }));
  if (csv != nullptr) {
    SQUALL_TRY(with_retry(stop, "csv append", [&] { return csv->append(csv_rows, positions); }));
  }
  return with_retry(stop, "offset commit", [&] { return consumer.commit(positions); });
}

// Lag is for people and metrics, not for correctness: asking the log for it
// costs a broker round trip on Kafka, so it is measured at most once a second
// rather than after every batch. A caught-up batch knows its lag is zero.
void Processor::Impl::refresh_lag(bool caught_up) {
  if (caught_up) {
    counters.lag.store(0, std::memory_order_relaxed);
    return;
  }
  const std::int64_t now = steady_now_ms();
  if (now - lag_measured_ms < 1000) return;
  lag_measured_ms = now;
  if (auto lag = consumer.lag()) counters.lag.store(*lag, std::memory_order_relaxed);
}

Processor::Processor(log::Consumer& consumer, log::Producer& producer, store::Store& store,
                     store::CsvBackup* csv, ProcessorOptions options)
    : impl_(std::make_unique<Impl>(consumer, producer, store, csv, std::move(options), counters_)) {}

Processor::~Processor() = default;

Result<BatchOutcome> Processor::run_batch(std::stop_token stop) {
  Impl& self = *impl_;
  auto caught_up = self.collect(stop);
  if (!caught_up) return caught_up.error();
  if (self.batch.empty()) {
    if (*caught_up) self.refresh_lag(true);
    return BatchOutcome{0, *caught_up};
  }

  self.transform();
  self.compute_positions();
  self.select_csv_rows();
  SQUALL_TRY(self.write_sinks(stop));

  counters_.consumed.fetch_add(static_cast<std::int64_t>(self.batch.size()), std::memory_order_relaxed);
  counters_.observations.fetch_add(static_cast<std::int64_t>(self.observations.size()), std::memory_order_relaxed);
  counters_.dead_letters.fetch_add(static_cast<std::int64_t>(self.dead_letters.size()), std::memory_order_relaxed);
  counters_.csv_rows.fetch_add(static_cast<std::int64_t>(self.csv_rows.size()), std::memory_order_relaxed);
  counters_.batches.fetch_add(1, std::memory_order_relaxed);
  counters_.last_batch_records.store(static_cast<std::int64_t>(self.batch.size()), std::memory_order_relaxed);
  counters_.last_commit_ms.store(now_ms(), std::memory_order_relaxed);
  self.refresh_lag(*caught_up);
  return BatchOutcome{self.batch.size(), *caught_up};
}

Result<void> Processor::run(std::stop_token stop, const std::function<bool()>& drained) {
  while (!stop.stop_requested()) {
    // Read the upstream flag before polling: if the source had finished then
    // and this batch still finds the log caught up, nothing can follow.
    const bool upstream_done = drained && drained();
    auto outcome = run_batch(stop);
    if (!outcome) return outcome.error();
    if (upstream_done && outcome->caught_up) return {};
  }
  return {};
}

}  // namespace squall::processor
