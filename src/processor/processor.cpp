#include "processor/processor.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/json.hpp"
#include "core/record_headers.hpp"
#include "core/time.hpp"
#include "processor/checkpoint_codec.hpp"
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

store::WindowRow window_row(const WindowAggregate& w) {
  store::WindowRow row;
  row.city_id = w.city_id;
  row.window = window_name(w.size_s);
  row.window_start = w.start;
  row.window_end = w.end();
  row.count = w.count;
  row.temp_min_c = w.temp_min_c;
  row.temp_max_c = w.temp_max_c;
  row.temp_avg_c = w.temp_c.value().value_or(0);
  row.wind_max_ms = w.wind_max_ms;
  row.wind_avg_ms = w.wind_ms.value();
  row.gust_max_ms = w.gust_max_ms;
  row.humidity_avg_pct = w.humidity_pct.value();
  row.pressure_avg_hpa = w.pressure_hpa.value();
  row.rain_mm = w.rain_total_mm();
  row.snow_mm = w.snow_total_mm();
  row.final = w.final;
  // The final write of a window outranks every open write at the same position.
  row.version = 2 * w.last_offset + (w.final ? 1 : 0);
  return row;
}

// Where a partition stands: the next offset expected from the log (-1 before
// its first record), and up to where its records are already covered by the
// checkpoint it resumed from.
struct PartitionProgress {
  std::int64_t next_offset = -1;
  std::int64_t covered_until = -1;
  bool dirty = false;  // processed something the last checkpoint does not cover

  std::int64_t checkpoint_position() const { return std::max(next_offset, covered_until); }
};

const prometheus::Histogram::BucketBoundaries& batch_size_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBounds{1, 10, 100, 500, 1000, 2500, 5000, 10000, 50000};
  return kBounds;
}

void raise_to(std::atomic<std::int64_t>& target, std::int64_t value) {
  std::int64_t current = target.load(std::memory_order_relaxed);
  while (current < value && !target.compare_exchange_weak(current, value, std::memory_order_relaxed)) {
  }
}

// The one reason a record is late; like every dead-letter kind, its series
// is created at 0 up front, so /metrics tells "none yet" apart from "not exported".
constexpr std::string_view kLateBehindWatermark = "behind_watermark";

}  // namespace

ProcessorCounters::ProcessorCounters()
    : batch_records(batch_records_family.Add({}, batch_size_buckets())),
      batch_seconds(batch_seconds_family.Add({}, metrics::latency_buckets())),
      produce_to_stored(produce_to_stored_family.Add({}, metrics::latency_buckets())),
      poll_seconds(stage_seconds_family.Add({{"stage", "poll"}}, metrics::latency_buckets())),
      transform_seconds(stage_seconds_family.Add({{"stage", "transform"}}, metrics::latency_buckets())),
      checkpoint_seconds(stage_seconds_family.Add({{"stage", "checkpoint"}}, metrics::latency_buckets())),
      topics_seconds(stage_seconds_family.Add({{"stage", "topics"}}, metrics::latency_buckets())),
      store_seconds(stage_seconds_family.Add({{"stage", "store"}}, metrics::latency_buckets())),
      csv_seconds(stage_seconds_family.Add({{"stage", "csv"}}, metrics::latency_buckets())),
      commit_seconds(stage_seconds_family.Add({{"stage", "commit"}}, metrics::latency_buckets())) {
  for (std::string_view kind : rejection_kinds()) dead_letter_kinds.Add({{"kind", std::string(kind)}});
  late_reasons.Add({{"reason", std::string(kLateBehindWatermark)}});
}

metrics::Families collect_metrics(const ProcessorCounters& c) {
  metrics::Families out;
  const auto value = [](const std::atomic<std::int64_t>& counter) {
    return static_cast<double>(counter.load(std::memory_order_relaxed));
  };
  metrics::add_counter(out, "squall_processor_records_in_total", "Records read from the log", value(c.consumed));
  metrics::add_counter(out, "squall_processor_records_out_total", "Observations written to the store",
                       value(c.observations));
  metrics::add_counter(out, "squall_processor_duplicates_total", "Observations seen before, skipped",
                       value(c.duplicates));
  metrics::add_counter(out, "squall_processor_replayed_total", "Records skipped as already covered by a checkpoint",
                       value(c.replayed));
  metrics::add_counter(out, "squall_processor_alerts_total", "Alerts raised or cleared", value(c.alerts));
  metrics::add_counter(out, "squall_processor_window_rows_total", "Window rows written", value(c.windows_written));
  metrics::add_counter(out, "squall_processor_checkpoints_total", "Partition checkpoints written",
                       value(c.checkpoints));
  metrics::add_counter(out, "squall_processor_csv_rows_total", "Rows appended to the CSV backup", value(c.csv_rows));
  metrics::add_counter(out, "squall_processor_batches_total", "Micro-batches committed", value(c.batches));
  if (const std::int64_t lag = c.lag.load(std::memory_order_relaxed); lag >= 0) {
    metrics::add_gauge(out, "squall_processor_consumer_lag_total_records",
                       "Records of the assigned partitions the group has not committed", static_cast<double>(lag));
  }
  if (const std::int64_t max_ms = c.latency_max_ever_ms.load(std::memory_order_relaxed); max_ms >= 0) {
    metrics::add_gauge(out, "squall_produce_to_stored_max_seconds",
                       "The largest produce-to-stored latency since the processor started",
                       static_cast<double>(max_ms) / 1000.0);
  }
  metrics::add(out, c.dead_letter_kinds);
  metrics::add(out, c.late_reasons);
  metrics::add(out, c.partition_lag);
  metrics::add(out, c.sink_retries_by_sink);
  metrics::add(out, c.sink_errors_by_sink);
  metrics::add(out, c.batch_records_family);
  metrics::add(out, c.batch_seconds_family);
  metrics::add(out, c.stage_seconds_family);
  metrics::add(out, c.produce_to_stored_family);
  return out;
}

namespace {

// Caught up, checkpoints come at most every 250 ms (how far windows and the
// latest view trail a live stream), and no more often than keeps the writes
// that carry them to about a fifth of the time: a checkpoint rewrites every
// city seen since the last one, and where those rows cost a slow write, a
// checkpoint every 250 ms would take the store more work than the
// observations themselves.
constexpr std::int64_t kCaughtUpCheckpointSpacingMs = 250;
constexpr std::int64_t kCheckpointWriteShare = 5;

std::int64_t caught_up_checkpoint_spacing_ms(std::int64_t checkpoint_write_ms) {
  return std::max(kCaughtUpCheckpointSpacingMs, kCheckpointWriteShare * checkpoint_write_ms);
}

using Clock = std::chrono::steady_clock;

void observe_between(prometheus::Histogram& stage, Clock::time_point from, Clock::time_point to) {
  stage.Observe(std::chrono::duration<double>(to - from).count());
}

// Observes the time since `since` and returns now, where the next stage starts.
Clock::time_point observe_since(prometheus::Histogram& stage, Clock::time_point since) {
  const auto now = Clock::now();
  observe_between(stage, since, now);
  return now;
}

// What /metrics calls each sink a retry or an error happened in.
constexpr std::string_view kSinkStore = "store";
constexpr std::string_view kSinkTopics = "topics";  // the dead-letter, late and alert topics
constexpr std::string_view kSinkCsv = "csv";
constexpr std::string_view kSinkCommit = "offset_commit";

// Creates the retry and error series of each sink the processor has at 0,
// for the same reason as the dead-letter kinds: a sink that never failed
// still shows up. The CSV backup is optional, so its series only exist with it.
void add_sink_series(ProcessorCounters& counters, bool with_csv) {
  for (std::string_view sink : {kSinkStore, kSinkTopics, kSinkCsv, kSinkCommit}) {
    if (sink == kSinkCsv && !with_csv) continue;
    const prometheus::Labels labels{{"sink", std::string(sink)}};
    counters.sink_retries_by_sink.Add(labels);
    counters.sink_errors_by_sink.Add(labels);
  }
}

// What one micro-batch sends to the sinks. The processor thread builds one
// while the previous one may still be written (Impl::writing).
struct BatchOutput {
  std::vector<log::ConsumedRecord> batch;
  std::vector<Observation> observations;
  std::vector<std::size_t> observation_origin;  // index in `batch` of each observation's record
  std::vector<Observation> csv_rows;  // only when the backup holds some observations already
  std::size_t csv_row_count = 0;
  std::vector<store::DeadLetter> dead_letters;
  std::vector<log::Record> dead_letter_records;
  std::vector<log::CommitPosition> positions;  // of the batch, for the CSV backup
  std::vector<store::WindowRow> window_rows;
  std::vector<store::LateRecord> late_records;
  std::vector<log::Record> late_messages;
  std::vector<store::AlertRow> alert_rows;
  std::vector<log::Record> alert_messages;
  std::vector<store::Checkpoint> checkpoints;
  std::vector<log::CommitPosition> checkpoint_positions;  // what the log may commit
  std::vector<Observation> latest_rows;
  std::int64_t started_ms = 0;  // steady clock when its poll ended
};

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
  WindowEngine windows{options.windows};
  AlertEvaluator alerts{options.alert_rules};
  std::map<log::TopicPartition, PartitionProgress> progress;
  std::int64_t last_checkpoint_ms = steady_now_ms();
  bool checkpointed = false;  // since this processor started
  // How long the last batch that carried a checkpoint took to write; set by
  // the writer, which may be the second thread.
  std::atomic<std::int64_t> checkpoint_write_ms{0};
  // Reused across batches (the two outputs swap) so steady-state batches do
  // not allocate.
  BatchOutput out;
  std::vector<WindowAggregate> aggregates;
  std::vector<AlertEvent> alert_events;
  // The newest observation of each city since the last checkpoint: the
  // latest_by_city rows written with the next one.
  std::unordered_map<std::int64_t, Observation> latest_pending;
  Observation scratch;
  std::int64_t batch_time_ms = 0;
  // The windows' processing-time clock (idleness): the wall clock minus the
  // time spent stalled on failing sinks. While a sink is retried nothing is
  // read, so no partition can deliver anything; counting that time would
  // call every partition idle after a long store outage and let the first
  // one to deliver finalise the others' windows past their own watermarks,
  // turning their next records late and changing windows and alerts.
  std::int64_t window_clock_ms = 0;
  std::int64_t stalled_ms = 0;
  std::int64_t lag_measured_ms = 0;  // steady clock of the last Consumer::lag() call
  std::map<log::TopicPartition, prometheus::Gauge*> lag_gauges;
  metrics::HistogramBatch latencies{metrics::latency_buckets()};
  // The batch whose sinks a second thread writes while this one polls and
  // transforms the next (only where no poll can revoke a partition); the
  // writer's result is the time it stalled on failing sinks.
  BatchOutput writing;
  std::future<Result<std::int64_t>> written;

  Result<BatchOutcome> step(std::stop_token stop, bool overlap);
  Result<bool> collect(std::stop_token stop);
  Result<void> transform(std::stop_token stop);
  Result<bool> admit(std::stop_token stop, const log::ConsumedRecord& consumed);
  Result<void> resume(std::stop_token stop, const log::TopicPartition& where);
  Result<void> follow_assignment(std::stop_token stop);
  void transform_one(std::size_t index);
  void route_late(const log::ConsumedRecord& consumed, const Observation& observation);
  void collect_windows();
  void note_latest();
  void take_latest();
  void collect_alerts();
  void take_checkpoints();
  void dead_letter(const log::ConsumedRecord& consumed, std::string reason);
  void compute_positions();
  std::span<const Observation> select_csv_rows(BatchOutput& output);
  Result<std::int64_t> write(std::stop_token stop, BatchOutput& output);
  Result<void> write_sinks(std::stop_token stop, BatchOutput& output);
  Result<void> commit(std::stop_token stop, const BatchOutput& output);
  Result<void> settle(std::stop_token stop);
  void refresh_lag(bool caught_up);
  void set_partition_lag(std::span<const log::PartitionLag> lags);
  void count_committed(const BatchOutput& output);
  Result<void> with_retry(std::stop_token stop, std::string_view sink, std::string_view what,
                          const std::function<Result<void>()>& op);
};

// Polls until the batch is full, its time is up, or the log is drained.
Result<bool> Processor::Impl::collect(std::stop_token stop) {
  out.batch.clear();
  std::int64_t deadline = 0;
  while (out.batch.size() < options.batch_max_records) {
    const std::int64_t wait = out.batch.empty() ? options.batch_max_wait_ms
                                            : std::max<std::int64_t>(0, deadline - steady_now_ms());
    auto polled = consumer.poll(options.batch_max_records - out.batch.size(), static_cast<int>(wait));
    if (!polled) return polled.error();
    if (out.batch.empty() && !polled->records.empty()) deadline = steady_now_ms() + options.batch_max_wait_ms;
    std::move(polled->records.begin(), polled->records.end(), std::back_inserter(out.batch));
    if (polled->caught_up) return true;
    if (out.batch.empty() || stop.stop_requested() || steady_now_ms() >= deadline) return false;
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
  out.dead_letter_records.push_back(std::move(record));
  out.dead_letters.push_back(store::DeadLetter{consumed.where.topic, consumed.where.partition, consumed.offset,
                                           std::move(reason), consumed.record.value, now});
}

void Processor::Impl::transform_one(std::size_t index) {
  const log::ConsumedRecord& consumed = out.batch[index];
  const log::Record& record = consumed.record;
  if (auto original = record.header(headers::kTruncatedFromBytes)) {
    dead_letter(consumed, fmt::format("message of {} bytes is over the log's record limit: ingest kept only its first "
                                      "{} bytes",
                                      original->substr(0, 20), record.value.size()));
    return;
  }
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
  // The windows' verdict also decides what is written: it is rebuilt exactly
  // from the checkpoint after a crash, so a repeated report is skipped (or
  // a late one stored) the same way in a clean run and a recovered one.
  switch (windows.add(consumed.where.partition, consumed.offset, scratch, window_clock_ms)) {
    case Verdict::duplicate:
      counters.duplicates.fetch_add(1, std::memory_order_relaxed);
      return;
    case Verdict::late: route_late(consumed, scratch); break;
    // Alerts follow each city's observations in log order; a late one is
    // history, not news, and does not take part.
    case Verdict::accepted: alerts.observe(consumed.where.partition, scratch, alert_events); break;
  }
  scratch.ingested_at_ms = header_int(record, headers::kFetchedAtMs).value_or(record.timestamp_ms);
  auto source = record.header(headers::kSource);
  scratch.source = source ? std::string(*source) : std::string("log");
  out.observations.push_back(scratch);
  out.observation_origin.push_back(index);
}

Result<void> Processor::Impl::transform(std::stop_token stop) {
  out.observations.clear();
  out.observation_origin.clear();
  out.dead_letters.clear();
  out.dead_letter_records.clear();
  out.late_records.clear();
  out.late_messages.clear();
  alert_events.clear();
  for (std::size_t i = 0; i < out.batch.size(); ++i) {
    bool fresh = false;
    SQUALL_ASSIGN(fresh, admit(stop, out.batch[i]));
    if (fresh) transform_one(i);
  }
  return {};
}

// False for a record its partition's checkpoint already covers (a replay
// after a crash or a rebalance): its results are in the store already.
Result<bool> Processor::Impl::admit(std::stop_token stop, const log::ConsumedRecord& consumed) {
  auto found = progress.find(consumed.where);
  // A partition not seen yet, or a jump (it was read elsewhere meanwhile):
  // start from what the store says, not from what this process remembers.
  const bool jumped = found != progress.end() && found->second.next_offset >= 0 &&
                      found->second.next_offset != consumed.offset;
  if (found == progress.end() || jumped) {
    SQUALL_TRY(resume(stop, consumed.where));
    found = progress.find(consumed.where);
  }
  PartitionProgress& partition = found->second;
  if (partition.next_offset < 0 && consumed.offset > partition.covered_until && partition.covered_until >= 0) {
    spdlog::warn("{}/{}: the log resumes at offset {}, past its checkpoint at {}: windows miss the records between",
                 consumed.where.topic, consumed.where.partition, consumed.offset, partition.covered_until);
  }
  partition.next_offset = consumed.offset + 1;
  partition.dirty = true;
  if (consumed.offset < partition.covered_until) {
    counters.replayed.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  return true;
}

// Follows the consumer's assignment: a partition that arrives is resumed from
// its checkpoint before any record (its idle time runs from then, and a
// restored one counts among the active partitions even while it has nothing
// to deliver); one that left is forgotten (its next owner resumes it from
// the store).
Result<void> Processor::Impl::follow_assignment(std::stop_token stop) {
  std::set<log::TopicPartition> assigned;
  for (const log::TopicPartition& where : consumer.assignment()) {
    if (where.topic == options.topic) assigned.insert(where);
  }
  for (const auto& consumed : out.batch) assigned.insert(consumed.where);
  for (auto it = progress.begin(); it != progress.end();) {
    if (assigned.contains(it->first)) {
      ++it;
      continue;
    }
    windows.release(it->first.partition);
    alerts.release(it->first.partition);
    it = progress.erase(it);
  }
  for (const log::TopicPartition& where : assigned) {
    if (!progress.contains(where)) SQUALL_TRY(resume(stop, where));
  }
  return {};
}

Result<void> Processor::Impl::resume(std::stop_token stop, const log::TopicPartition& where) {
  SQUALL_TRY(settle(stop));  // the store is not read while the writer uses it
  std::optional<store::Checkpoint> checkpoint;
  SQUALL_TRY(with_retry(stop, kSinkStore, "checkpoint read", [&]() -> Result<void> {
    SQUALL_ASSIGN(checkpoint, store.checkpoint(options.group, where.topic, where.partition));
    return {};
  }));
  windows.release(where.partition);
  alerts.release(where.partition);
  PartitionProgress& partition = progress[where];
  partition = PartitionProgress{};
  if (!checkpoint) {
    windows.track(where.partition, window_clock_ms);
    return {};
  }
  auto state = decode_checkpoint(checkpoint->state);
  if (!state) {
    return make_error(Errc::parse, "checkpoint of " + where.topic + "/" + std::to_string(where.partition) +
                                       " in the store is unreadable: " + state.error().message);
  }
  windows.restore(where.partition, std::move(state->windows), window_clock_ms);
  alerts.restore(where.partition, state->alerts);
  partition.covered_until = checkpoint->next_offset;
  return {};
}

void Processor::Impl::route_late(const log::ConsumedRecord& consumed, const Observation& observation) {
  const std::int64_t watermark = windows.watermark(consumed.where.partition).value_or(observation.observed_at);
  counters.late.fetch_add(1, std::memory_order_relaxed);
  out.late_records.push_back(store::LateRecord{consumed.where.topic, consumed.where.partition, consumed.offset,
                                           observation.city_id, observation.observed_at, watermark});
  log::Record record;
  record.key = consumed.record.key;
  record.value = consumed.record.value;
  record.timestamp_ms = batch_time_ms;
  record.headers = {{std::string(headers::kReason),
                     "late: observed at " + format_iso8601(observation.observed_at) + ", before the watermark " +
                         format_iso8601(watermark) + " of its partition"},
                    {std::string(headers::kOriginTopic), consumed.where.topic},
                    {std::string(headers::kOriginPartition), std::to_string(consumed.where.partition)},
                    {std::string(headers::kOriginOffset), std::to_string(consumed.offset)}};
  out.late_messages.push_back(std::move(record));
}

void Processor::Impl::collect_alerts() {
  out.alert_rows.clear();
  out.alert_messages.clear();
  for (const AlertEvent& event : alert_events) {
    const bool raised = event.kind == AlertEvent::Kind::raised;
    out.alert_rows.push_back(store::AlertRow{event.city_id, event.observed_at, event.rule, raised, event.value,
                                         event.condition});
    std::string value = "{\"city_id\":" + std::to_string(event.city_id) + ",\"rule\":";
    json::append_string(value, event.rule);
    value += raised ? ",\"state\":\"raised\",\"observed_at\":" : ",\"state\":\"cleared\",\"observed_at\":";
    json::append_string(value, format_iso8601(event.observed_at));
    value += ",\"value\":";
    json::append_number(value, event.value);
    value += ",\"condition\":";
    json::append_string(value, event.condition);
    value += '}';
    log::Record record;
    record.key = std::to_string(event.city_id);
    record.value = std::move(value);
    record.timestamp_ms = batch_time_ms;
    out.alert_messages.push_back(std::move(record));
  }
  counters.alerts.fetch_add(static_cast<std::int64_t>(out.alert_rows.size()), std::memory_order_relaxed);
}

void Processor::Impl::collect_windows() {
  aggregates.clear();
  out.window_rows.clear();
  windows.collect(window_clock_ms, aggregates);
  for (const WindowAggregate& aggregate : aggregates) out.window_rows.push_back(window_row(aggregate));
}

void Processor::Impl::note_latest() {
  for (const Observation& observation : out.observations) {
    auto [kept, inserted] = latest_pending.try_emplace(observation.city_id, observation);
    if (!inserted && observation.observed_at >= kept->second.observed_at) kept->second = observation;
  }
}

// A replay after a crash starts at the checkpoint, so rows noted since are
// noted again: writing them only with checkpoints loses nothing.
void Processor::Impl::take_latest() {
  out.latest_rows.clear();
  for (auto& [city_id, observation] : latest_pending) out.latest_rows.push_back(std::move(observation));
  latest_pending.clear();
  // In key order, the store's latest_by_city pages are visited once each.
  std::sort(out.latest_rows.begin(), out.latest_rows.end(),
            [](const Observation& a, const Observation& b) { return a.city_id < b.city_id; });
}

void Processor::Impl::take_checkpoints() {
  out.checkpoints.clear();
  out.checkpoint_positions.clear();
  for (auto& [where, partition] : progress) {
    if (!partition.dirty) continue;
    partition.dirty = false;
    const std::int64_t position = partition.checkpoint_position();
    out.checkpoints.push_back(store::Checkpoint{options.group, where.topic, where.partition, position,
                                            encode_checkpoint(PartitionState{windows.snapshot(where.partition),
                                                                             alerts.snapshot(where.partition)})});
    out.checkpoint_positions.push_back({where, position});
  }
  last_checkpoint_ms = steady_now_ms();
  checkpointed = true;
}

void Processor::Impl::compute_positions() {
  std::map<log::TopicPartition, std::int64_t> next;
  for (const auto& consumed : out.batch) {
    auto& position = next[consumed.where];
    position = std::max(position, consumed.offset + 1);
  }
  out.positions.clear();
  for (auto& [where, offset] : next) out.positions.push_back({where, offset});
}

// The CSV backup may already hold part of this batch (a crash after its
// append, before the commit): only rows past its resume position go in. The
// writer asks, after the previous batch's append moved that position. Only
// the first batches after a restart can hold such rows; every other batch
// passes its observations as they are, without a copy on the writer's
// critical path.
std::span<const Observation> Processor::Impl::select_csv_rows(BatchOutput& output) {
  output.csv_rows.clear();
  const auto& resume = csv->resume_positions();
  auto backed_up = [&](std::size_t i) {
    const log::ConsumedRecord& origin = output.batch[output.observation_origin[i]];
    auto contained = resume.find(origin.where);
    return contained != resume.end() && origin.offset < contained->second;
  };
  std::size_t first = 0;
  while (first < output.observations.size() && !backed_up(first)) ++first;
  if (first == output.observations.size()) return output.observations;
  for (std::size_t i = 0; i < output.observations.size(); ++i) {
    if (!backed_up(i)) output.csv_rows.push_back(output.observations[i]);
  }
  return output.csv_rows;
}

Result<void> Processor::Impl::with_retry(std::stop_token stop, std::string_view sink, std::string_view what,
                                         const std::function<Result<void>()>& op) {
  std::int64_t backoff_ms = 50;
  while (true) {
    auto done = op();
    if (done) return done;
    const prometheus::Labels labels{{"sink", std::string(sink)}};
    counters.sink_errors_by_sink.Add(labels).Increment();
    if (!is_transient(done.error()) || stop.stop_requested()) return done;
    counters.sink_retries.fetch_add(1, std::memory_order_relaxed);
    counters.sink_retries_by_sink.Add(labels).Increment();
    spdlog::warn("{} failed, retrying in {} ms: {}", what, backoff_ms, done.error().message);
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
    backoff_ms = std::min(backoff_ms * 2, options.sink_retry_max_ms);
  }
}

// Writes a batch to every sink but the offset commit; returns how long it
// stalled on failing sinks (the windows' clock does not count that time).
Result<std::int64_t> Processor::Impl::write(std::stop_token stop, BatchOutput& output) {
  const std::int64_t started_ms = steady_now_ms();
  const std::int64_t retries_before = counters.sink_retries.load(std::memory_order_relaxed);
  SQUALL_TRY(write_sinks(stop, output));
  const std::int64_t took_ms = steady_now_ms() - started_ms;
  if (counters.sink_retries.load(std::memory_order_relaxed) != retries_before) return took_ms;
  if (!output.checkpoints.empty()) checkpoint_write_ms.store(took_ms, std::memory_order_relaxed);
  return 0;
}

Result<void> Processor::Impl::write_sinks(std::stop_token stop, BatchOutput& output) {
  auto stage_start = Clock::now();
  if (!output.dead_letter_records.empty() || !output.late_messages.empty() || !output.alert_messages.empty()) {
    SQUALL_TRY(with_retry(stop, kSinkTopics, "dead-letter, late and alert produce", [&]() -> Result<void> {
      if (!output.dead_letter_records.empty()) {
        SQUALL_TRY(producer.produce(options.dead_letter_topic, output.dead_letter_records));
      }
      if (!output.late_messages.empty()) SQUALL_TRY(producer.produce(options.late_topic, output.late_messages));
      if (!output.alert_messages.empty()) SQUALL_TRY(producer.produce(options.alerts_topic, output.alert_messages));
      return producer.flush();
    }));
    stage_start = observe_since(counters.topics_seconds, stage_start);
  }
  // The store and the CSV backup each track what they hold (checkpoints,
  // the backup's progress file), so the backup formats and fsyncs on a
  // second thread while the store writes, except in a batch that carries a
  // checkpoint: a restart skips every record below the store's checkpoint,
  // so the backup must hold those rows first (killed or out of space in
  // between, they would never reach it). Both finish before any offset is
  // committed.
  std::future<Result<void>> csv_appended;
  output.csv_row_count = 0;
  if (csv != nullptr && !output.positions.empty()) {
    const std::span<const Observation> rows = select_csv_rows(output);
    output.csv_row_count = rows.size();
    csv_appended = std::async(std::launch::async, [&, rows, stage_start] {
      auto appended = with_retry(stop, kSinkCsv, "csv append", [&] { return csv->append(rows, output.positions); });
      observe_since(counters.csv_seconds, stage_start);
      return appended;
    });
  }
  if (!output.checkpoints.empty() && csv_appended.valid()) SQUALL_TRY(csv_appended.get());
  const auto storing = Clock::now();
  auto stored = with_retry(stop, kSinkStore, "store write", [&] {
    return store.write(store::WriteBatch{output.observations, output.dead_letters, output.window_rows,
                                         output.late_records, output.alert_rows, output.checkpoints,
                                         output.latest_rows});
  });
  observe_since(counters.store_seconds, storing);
  if (csv_appended.valid()) SQUALL_TRY(csv_appended.get());
  return stored;
}

// After every sink holds the batch: commits what its checkpoints cover and
// counts it.
Result<void> Processor::Impl::commit(std::stop_token stop, const BatchOutput& output) {
  if (!output.checkpoint_positions.empty()) {
    const auto committing = Clock::now();
    SQUALL_TRY(with_retry(stop, kSinkCommit, "offset commit",
                          [&] { return consumer.commit(output.checkpoint_positions); }));
    observe_since(counters.commit_seconds, committing);
  }
  counters.consumed.fetch_add(static_cast<std::int64_t>(output.batch.size()), std::memory_order_relaxed);
  counters.observations.fetch_add(static_cast<std::int64_t>(output.observations.size()), std::memory_order_relaxed);
  counters.dead_letters.fetch_add(static_cast<std::int64_t>(output.dead_letters.size()), std::memory_order_relaxed);
  counters.csv_rows.fetch_add(static_cast<std::int64_t>(output.csv_row_count), std::memory_order_relaxed);
  counters.windows_written.fetch_add(static_cast<std::int64_t>(output.window_rows.size()),
                                     std::memory_order_relaxed);
  counters.checkpoints.fetch_add(static_cast<std::int64_t>(output.checkpoints.size()), std::memory_order_relaxed);
  counters.batches.fetch_add(1, std::memory_order_relaxed);
  counters.last_batch_records.store(static_cast<std::int64_t>(output.batch.size()), std::memory_order_relaxed);
  counters.last_commit_ms.store(now_ms(), std::memory_order_relaxed);
  count_committed(output);
  return {};
}

// Waits for the batch being written, if any, and commits it: before the next
// batch's writes start, before the store is read, and before stopping.
Result<void> Processor::Impl::settle(std::stop_token stop) {
  if (!written.valid()) return {};
  auto stalled = written.get();
  if (!stalled) return stalled.error();
  stalled_ms += *stalled;
  return commit(stop, writing);
}

// Lag is for people and metrics, not for correctness: asking the log for it
// costs a broker round trip on Kafka, so it is measured at most once a second
// rather than after every batch. A caught-up batch knows its lag is zero.
void Processor::Impl::refresh_lag(bool caught_up) {
  if (caught_up) {
    counters.lag.store(0, std::memory_order_relaxed);
    std::vector<log::PartitionLag> none;
    for (log::TopicPartition& where : consumer.assignment()) none.push_back({std::move(where), 0});
    set_partition_lag(none);
    return;
  }
  const std::int64_t now = steady_now_ms();
  if (now - lag_measured_ms < 1000) return;
  lag_measured_ms = now;
  if (auto lags = consumer.lag()) {
    counters.lag.store(log::total_lag(*lags), std::memory_order_relaxed);
    set_partition_lag(*lags);
  }
}

// One gauge per partition held now; a partition that left the assignment
// loses its series rather than showing a stale figure.
void Processor::Impl::set_partition_lag(std::span<const log::PartitionLag> lags) {
  std::map<log::TopicPartition, prometheus::Gauge*> current;
  for (const log::PartitionLag& lag : lags) {
    auto known = lag_gauges.find(lag.where);
    prometheus::Gauge* gauge = known != lag_gauges.end()
                                   ? known->second
                                   : &counters.partition_lag.Add({{"topic", lag.where.topic},
                                                                  {"partition", std::to_string(lag.where.partition)}});
    gauge->Set(static_cast<double>(lag.records));
    current.emplace(lag.where, gauge);
  }
  for (auto& [where, gauge] : lag_gauges) {
    if (!current.contains(where)) counters.partition_lag.Remove(gauge);
  }
  lag_gauges = std::move(current);
}

// The distributions and labelled counts of a batch that has just committed.
void Processor::Impl::count_committed(const BatchOutput& output) {
  const std::int64_t committed_ms = now_ms();
  for (const log::ConsumedRecord& consumed : output.batch) {
    latencies.observe(static_cast<double>(std::max<std::int64_t>(0, committed_ms - consumed.record.timestamp_ms)) /
                      1000.0);
  }
  if (!output.batch.empty()) {
    const auto max_ms = static_cast<std::int64_t>(latencies.max() * 1000.0);
    raise_to(counters.latency_max_ms, max_ms);
    raise_to(counters.latency_max_ever_ms, max_ms);
  }
  latencies.flush_into(counters.produce_to_stored);
  counters.batch_records.Observe(static_cast<double>(output.batch.size()));
  counters.batch_seconds.Observe(static_cast<double>(steady_now_ms() - output.started_ms) / 1000.0);
  for (const store::DeadLetter& rejected : output.dead_letters) {
    counters.dead_letter_kinds.Add({{"kind", std::string(rejection_kind(rejected.reason))}}).Increment();
  }
  if (!output.late_records.empty()) {
    counters.late_reasons.Add({{"reason", std::string(kLateBehindWatermark)}})
        .Increment(static_cast<double>(output.late_records.size()));
  }
}

// One micro-batch: polls and transforms it while the previous one may still
// be written, then hands it to the sinks. With `overlap`, a batch that leaves
// records in the log is written on a second thread and committed by the next
// step; otherwise (and whenever the log is caught up, so a trickle is stored
// at once) it is written and committed before this returns.
Result<BatchOutcome> Processor::Impl::step(std::stop_token stop, bool overlap) {
  const auto polling = Clock::now();
  auto caught_up = collect(stop);
  if (!caught_up) return caught_up.error();
  const auto transforming = Clock::now();
  out.started_ms = steady_now_ms();
  batch_time_ms = now_ms();
  window_clock_ms = batch_time_ms - stalled_ms;
  SQUALL_TRY(follow_assignment(stop));
  SQUALL_TRY(transform(stop));
  compute_positions();
  collect_alerts();
  note_latest();
  const auto checkpointing = Clock::now();
  const bool dirty =
      std::any_of(progress.begin(), progress.end(), [](const auto& entry) { return entry.second.dirty; });
  // Caught up, a checkpoint commits promptly what has been read, but at a
  // trickle every batch is caught up: spacing those checkpoints keeps a slow
  // stream from encoding the whole window state a hundred times a second.
  const std::int64_t since_checkpoint = steady_now_ms() - last_checkpoint_ms;
  const std::int64_t caught_up_spacing =
      std::min(options.checkpoint_interval_ms,
               caught_up_checkpoint_spacing_ms(checkpoint_write_ms.load(std::memory_order_relaxed)));
  const bool checkpoint_due =
      dirty && (stop.stop_requested() || since_checkpoint >= options.checkpoint_interval_ms ||
                (*caught_up && (!checkpointed || since_checkpoint >= caught_up_spacing)));
  // An open window changes with nearly every record of its city: writing
  // windows with each checkpoint rather than each batch bounds those writes
  // by the checkpoint interval. Empty batches collect too, since idleness can
  // move the watermark and finalise windows.
  if (checkpoint_due || out.batch.empty()) {
    collect_windows();
  } else {
    out.window_rows.clear();
  }
  if (out.batch.empty() && out.window_rows.empty() && !checkpoint_due) {
    SQUALL_TRY(settle(stop));
    refresh_lag(*caught_up);
    return BatchOutcome{0, *caught_up};
  }
  if (checkpoint_due) {
    take_checkpoints();
    take_latest();
  } else {
    out.checkpoints.clear();
    out.checkpoint_positions.clear();
    out.latest_rows.clear();
  }
  // Only batches that write anything are timed: an idle poll is waiting, not work.
  observe_between(counters.poll_seconds, polling, transforming);
  observe_between(counters.transform_seconds, transforming, checkpointing);
  observe_since(counters.checkpoint_seconds, checkpointing);
  // Batches reach the sinks in log order, one at a time.
  SQUALL_TRY(settle(stop));
  std::swap(out, writing);
  const BatchOutcome outcome{writing.batch.size(), *caught_up};
  if (overlap && !*caught_up && !stop.stop_requested()) {
    written = std::async(std::launch::async, [this, stop] { return write(stop, writing); });
  } else {
    auto stalled = write(stop, writing);
    if (!stalled) return stalled.error();
    stalled_ms += *stalled;
    SQUALL_TRY(commit(stop, writing));
  }
  refresh_lag(*caught_up);
  return outcome;
}

Processor::Processor(log::Consumer& consumer, log::Producer& producer, store::Store& store,
                     store::CsvBackup* csv, ProcessorOptions options)
    : impl_(std::make_unique<Impl>(consumer, producer, store, csv, std::move(options), counters_)) {
  add_sink_series(counters_, csv != nullptr);
}

Processor::~Processor() = default;

Result<BatchOutcome> Processor::run_batch(std::stop_token stop) { return impl_->step(stop, false); }

Result<void> Processor::run(std::stop_token stop, const std::function<bool()>& drained) {
  // Where no poll can revoke a partition, a batch is written while the next
  // one is read and transformed: the store write is the larger half of the
  // work, and this puts it on the second core.
  const bool overlap = !impl_->consumer.may_revoke_partitions();
  bool lag_unknown = false;  // the last drained check failed: its repeats are logged at debug level
  while (!stop.stop_requested()) {
    // Read the upstream flag before polling: if the source had finished then
    // and this batch still finds the log caught up, nothing can follow.
    const bool upstream_done = drained && drained();
    auto outcome = impl_->step(stop, overlap);
    if (!outcome) {
      // The batch in flight, if any, still lands (or fails) before returning;
      // the first error is the one to report.
      (void)impl_->settle(stop);
      return outcome.error();
    }
    if (!upstream_done || !outcome->caught_up) continue;
    // Caught up with this consumer's partitions is not enough in a group: a
    // member that died may still hold others until the group notices.
    auto group_lag = impl_->consumer.group_lag();
    if (group_lag && *group_lag == 0) return {};
    if (!group_lag) {
      // A broker restarting or moving leaders passes, as it does for the
      // polls: ask again after the next batch rather than end the run.
      if (!is_transient(group_lag.error())) return group_lag.error();
      spdlog::log(lag_unknown ? spdlog::level::debug : spdlog::level::warn,
                  "cannot tell yet whether the group has drained the log, asking again after the next batch: {}",
                  group_lag.error().message);
    }
    lag_unknown = !group_lag;
  }
  return impl_->settle(stop);
}

}  // namespace squall::processor
