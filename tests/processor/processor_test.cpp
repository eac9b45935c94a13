// The processor against in-memory log, store and CSV doubles: these unit
// tests pin down batching, dead-lettering, dedup, retries and the commit
// order. The real backends are exercised by the end-to-end tests.

#include "processor/processor.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/record_headers.hpp"
#include "processor/owm_parser.hpp"

namespace squall::processor {
namespace {

std::string payload(std::int64_t city_id, std::int64_t dt, double temp = 281.52) {
  return fmt::format(R"({{"coord":{{"lon":-87.65,"lat":41.85}},"weather":[{{"id":803,"main":"Clouds",)"
                     R"("description":"broken clouds","icon":"04d"}}],"main":{{"temp":{},"pressure":1016,)"
                     R"("humidity":93}},"wind":{{"speed":4.63,"deg":180}},"clouds":{{"all":75}},"dt":{},)"
                     R"("sys":{{"country":"US"}},"timezone":-21600,"id":{},"name":"Chicago","cod":200}})",
                     temp, dt, city_id);
}

log::ConsumedRecord consumed(std::int32_t partition, std::int64_t offset, std::string value,
                             std::vector<log::Header> headers = {}) {
  log::ConsumedRecord r;
  r.where = {"weather", partition};
  r.offset = offset;
  r.record.key = "k";
  r.record.value = std::move(value);
  r.record.headers = std::move(headers);
  r.record.timestamp_ms = 1700000000123;
  return r;
}

struct FakeConsumer : log::Consumer {
  std::deque<log::ConsumedRecord> pending;
  std::vector<std::vector<log::CommitPosition>> commits;
  Result<log::PollResult> poll(std::size_t max_records, int) override {
    log::PollResult result;
    while (!pending.empty() && result.records.size() < max_records) {
      result.records.push_back(pending.front());
      pending.pop_front();
    }
    result.caught_up = pending.empty();
    return result;
  }
  Result<void> commit(std::span<const log::CommitPosition> positions) override {
    commits.emplace_back(positions.begin(), positions.end());
    if (on_commit) on_commit();
    return {};
  }
  Result<std::vector<log::PartitionLag>> lag() override {
    return std::vector<log::PartitionLag>{{{"weather", 0}, static_cast<std::int64_t>(pending.size())}};
  }
  Result<std::int64_t> group_lag() override {
    if (!group_lag_failures.empty()) {
      Error e = group_lag_failures.front();
      group_lag_failures.pop_front();
      return e;
    }
    return static_cast<std::int64_t>(pending.size());
  }
  std::vector<log::TopicPartition> assignment() const override { return assigned; }
  bool may_revoke_partitions() const override { return revokes; }
  std::vector<log::TopicPartition> assigned;  // empty: the processor learns partitions from records
  bool revokes = true;                        // like Kafka: run() writes each batch before the next poll
  std::function<void()> on_commit;
  std::deque<Error> group_lag_failures;  // returned by the next group_lag() calls, in order
};

struct FakeProducer : log::Producer {
  std::vector<std::pair<std::string, log::Record>> produced;
  Result<void> produce(std::string_view topic, std::span<const log::Record> records) override {
    for (const auto& r : records) produced.emplace_back(std::string(topic), r);
    return {};
  }
  Result<void> flush() override { return {}; }
  std::size_t max_record_bytes() const override { return 1'000'000; }
};

struct FakeStore : store::Store {
  std::vector<Observation> observations;
  std::vector<store::DeadLetter> dead_letters_written;
  std::vector<store::WindowRow> windows_written;
  std::vector<store::LateRecord> late_written;
  std::vector<store::AlertRow> alerts_written;
  std::vector<std::vector<Observation>> latest_written;  // the candidates of each write
  std::map<std::pair<std::string, std::int32_t>, store::Checkpoint> checkpoints;
  std::deque<Error> failures;  // returned by the next write() calls, in order
  std::chrono::milliseconds checkpoint_write_time{0};  // how long a write that carries a checkpoint takes
  Result<void> write(const store::WriteBatch& batch) override {
    if (!batch.checkpoints.empty()) std::this_thread::sleep_for(checkpoint_write_time);
    if (!failures.empty()) {
      Error e = failures.front();
      failures.pop_front();
      return e;
    }
    observations.insert(observations.end(), batch.observations.begin(), batch.observations.end());
    dead_letters_written.insert(dead_letters_written.end(), batch.dead_letters.begin(), batch.dead_letters.end());
    windows_written.insert(windows_written.end(), batch.windows.begin(), batch.windows.end());
    late_written.insert(late_written.end(), batch.late_records.begin(), batch.late_records.end());
    alerts_written.insert(alerts_written.end(), batch.alerts.begin(), batch.alerts.end());
    for (const auto& c : batch.checkpoints) checkpoints[{c.topic, c.partition}] = c;
    latest_written.emplace_back(batch.latest.begin(), batch.latest.end());
    return {};
  }
  Result<std::vector<Observation>> latest(std::optional<std::int64_t>) override { return observations; }
  Result<std::vector<Observation>> history(const store::HistoryQuery&) override { return observations; }
  Result<std::vector<store::DeadLetter>> dead_letters(std::size_t) override { return dead_letters_written; }
  Result<store::Stats> stats() override { return store::Stats{}; }
  Result<std::vector<store::WindowRow>> windows(const store::WindowQuery&) override { return windows_written; }
  Result<std::vector<store::AlertRow>> alerts(const store::AlertQuery&) override { return alerts_written; }
  Result<std::optional<store::Checkpoint>> checkpoint(const std::string&, const std::string& topic,
                                                      std::int32_t partition) override {
    auto it = checkpoints.find({topic, partition});
    if (it == checkpoints.end()) return std::optional<store::Checkpoint>();
    return std::optional<store::Checkpoint>(it->second);
  }
};

struct FakeCsv : store::CsvBackup {
  std::map<log::TopicPartition, std::int64_t> resume;
  std::vector<Observation> rows;
  const std::map<log::TopicPartition, std::int64_t>& resume_positions() const override { return resume; }
  Result<void> append(std::span<const Observation> batch, std::span<const log::CommitPosition> positions) override {
    rows.insert(rows.end(), batch.begin(), batch.end());
    for (const auto& p : positions) resume[p.where] = p.next_offset;
    return {};
  }
  Result<void> close() override { return {}; }
};

class ProcessorTest : public ::testing::Test {
 protected:
  Processor make(ProcessorOptions options = {}) {
    options.batch_max_wait_ms = 1;
    options.sink_retry_max_ms = 1;
    return Processor(consumer, producer, store, &csv, options);
  }
  FakeConsumer consumer;
  FakeProducer producer;
  FakeStore store;
  FakeCsv csv;
};

TEST_F(ProcessorTest, StoresValidRecordsAndCommitsTheNextOffsetPerPartition) {
  consumer.pending = {consumed(0, 10, payload(1, 1700000000)), consumed(1, 5, payload(2, 1700000000)),
                      consumed(0, 11, payload(1, 1700000600))};
  auto processor = make();
  auto outcome = processor.run_batch({});
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(outcome->records, 3u);
  EXPECT_TRUE(outcome->caught_up);
  ASSERT_EQ(store.observations.size(), 3u);
  EXPECT_NEAR(store.observations[0].temp_c, 8.37, 1e-9);
  EXPECT_EQ(store.observations[0].ingested_at_ms, 1700000000123);  // record timestamp when no header
  EXPECT_EQ(store.observations[0].source, "log");
  ASSERT_EQ(consumer.commits.size(), 1u);
  EXPECT_EQ(consumer.commits[0], (std::vector<log::CommitPosition>{{{"weather", 0}, 12}, {{"weather", 1}, 6}}));
  EXPECT_EQ(csv.rows.size(), 3u);
  EXPECT_EQ(processor.counters().observations.load(), 3);
}

TEST_F(ProcessorTest, BadRecordsGoToTheDeadLetterTopicWithReasonAndOriginalBytes) {
  consumer.pending = {consumed(0, 0, "not json"), consumed(0, 1, payload(1, 1700000000)),
                      consumed(0, 2, R"({"cod":"401","message":"Invalid API key"})")};
  auto processor = make();
  ASSERT_TRUE(processor.run_batch({}).ok());
  ASSERT_EQ(producer.produced.size(), 2u);
  EXPECT_EQ(producer.produced[0].first, "weather.dlq");
  EXPECT_EQ(producer.produced[0].second.value, "not json");
  EXPECT_EQ(producer.produced[0].second.header(headers::kOriginOffset), "0");
  auto reason = producer.produced[1].second.header(headers::kReason);
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("401"), std::string_view::npos);
  ASSERT_EQ(store.dead_letters_written.size(), 2u);
  EXPECT_EQ(store.dead_letters_written[1].offset, 2);
  EXPECT_EQ(store.observations.size(), 1u);
  EXPECT_EQ(processor.counters().dead_letters.load(), 2);
  EXPECT_EQ(consumer.commits.at(0).at(0).next_offset, 3);  // bad records are committed too: never re-read forever
}

TEST_F(ProcessorTest, ARecordIngestCutToFitTheLogIsDeadLetteredAsTooLarge) {
  const log::Header cut{std::string(headers::kTruncatedFromBytes), "2500000"};
  consumer.pending = {consumed(0, 0, payload(1, 1700000000)), consumed(0, 1, std::string(1024, ' '), {cut}),
                      consumed(0, 2, payload(1, 1700000600))};
  auto processor = make();
  ASSERT_TRUE(processor.run_batch({}).ok());
  EXPECT_EQ(store.observations.size(), 2u);
  ASSERT_EQ(store.dead_letters_written.size(), 1u);
  const std::string& reason = store.dead_letters_written[0].reason;
  EXPECT_EQ(reason, "message of 2500000 bytes is over the log's record limit: ingest kept only its first 1024 bytes");
  EXPECT_EQ(rejection_kind(reason), "too_large");
}

TEST_F(ProcessorTest, UnitsHeaderDecidesHowThePayloadIsRead) {
  const log::Header metric{std::string(headers::kUnits), "metric"};
  const log::Header bogus{std::string(headers::kUnits), "furlongs"};
  consumer.pending = {consumed(0, 0, payload(1, 1700000000, 21.5), {metric}),
                      consumed(0, 1, payload(2, 1700000000, 21.5), {bogus})};
  auto processor = make();
  ASSERT_TRUE(processor.run_batch({}).ok());
  ASSERT_EQ(store.observations.size(), 1u);
  EXPECT_DOUBLE_EQ(store.observations[0].temp_c, 21.5);
  ASSERT_EQ(store.dead_letters_written.size(), 1u);
  EXPECT_NE(store.dead_letters_written[0].reason.find("furlongs"), std::string::npos);
}

TEST_F(ProcessorTest, RepeatedCityAndTimeIsCountedAndWrittenOnce) {
  consumer.pending = {consumed(0, 0, payload(1, 1700000000)), consumed(0, 1, payload(1, 1700000000)),
                      consumed(0, 2, payload(1, 1700000600))};
  auto processor = make();
  ASSERT_TRUE(processor.run_batch({}).ok());
  EXPECT_EQ(store.observations.size(), 2u);
  EXPECT_EQ(processor.counters().duplicates.load(), 1);
}

TEST_F(ProcessorTest, TransientStoreFailuresAreRetriedBeforeTheCommit) {
  store.failures = {make_error(Errc::unavailable, "down"), make_error(Errc::timeout, "slow")};
  consumer.pending = {consumed(0, 0, payload(1, 1700000000))};
  auto processor = make();
  ASSERT_TRUE(processor.run_batch({}).ok());
  EXPECT_EQ(store.observations.size(), 1u);
  EXPECT_EQ(processor.counters().sink_retries.load(), 2);
  EXPECT_EQ(consumer.commits.size(), 1u);
}

// A backup that cannot append (a full disk).
struct FailingCsv : FakeCsv {
  Result<void> append(std::span<const Observation>, std::span<const log::CommitPosition>) override {
    return make_error(Errc::io, "csv backup: cannot write x.csv.part: No space left on device");
  }
};

// A checkpoint must not reach the store before the CSV rows it covers are
// durable: a restart skips the records below the store's checkpoint, so the
// backup would never get them (found by tests/e2e/test_faults_embedded.py:
// a kill between the store's commit and the backup's, then 300 rows missing).
TEST(ProcessorCsv, NoCheckpointIsStoredBeforeTheBackupHoldsItsRows) {
  FakeConsumer consumer;
  FakeProducer producer;
  FakeStore store;
  FailingCsv csv;
  ProcessorOptions options;
  options.batch_max_wait_ms = 1;
  options.checkpoint_interval_ms = 0;
  Processor processor(consumer, producer, store, &csv, options);
  consumer.pending = {consumed(0, 0, payload(1, 1700000000)), consumed(0, 1, payload(1, 1700000600))};
  auto outcome = processor.run_batch({});
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.error().message.find("No space left"), std::string::npos);
  EXPECT_TRUE(store.checkpoints.empty());
  EXPECT_TRUE(consumer.commits.empty());
}

// A store that is down for a while: each failure takes `delay` (a connect timeout).
struct SlowFailingStore : FakeStore {
  std::chrono::milliseconds delay{0};
  Result<void> write(const store::WriteBatch& batch) override {
    if (!failures.empty()) std::this_thread::sleep_for(delay);
    return FakeStore::write(batch);
  }
};

// While a sink is retried the processor reads nothing, so an outage longer
// than the idle timeout must not make the partitions idle: otherwise the
// first partition to deliver afterwards finalises the others' windows past
// their own watermarks and their next records come out late (found by
// tests/e2e/test_faults_distributed.py: Cassandra down for 30 s + restart).
TEST(ProcessorStall, AStoreOutageLongerThanTheIdleTimeoutMakesNoPartitionIdle) {
  FakeConsumer consumer;
  FakeProducer producer;
  SlowFailingStore store;
  FakeCsv csv;
  ProcessorOptions options;
  options.batch_max_wait_ms = 1;
  options.sink_retry_max_ms = 1;
  options.checkpoint_interval_ms = 0;
  options.windows.idle_timeout_ms = 200;
  consumer.assigned = {{"weather", 0}, {"weather", 1}};
  Processor processor(consumer, producer, store, &csv, options);
  constexpr std::int64_t t = 1700000000;

  consumer.pending = {consumed(0, 0, payload(1, t)), consumed(1, 0, payload(2, t))};
  ASSERT_TRUE(processor.run_batch({}).ok());
  // Both partitions deliver; then the store is down for 4 x 100 ms, twice the idle timeout.
  store.delay = std::chrono::milliseconds(100);
  store.failures = {make_error(Errc::unavailable, "down"), make_error(Errc::unavailable, "down"),
                    make_error(Errc::unavailable, "down"), make_error(Errc::unavailable, "down")};
  consumer.pending = {consumed(0, 1, payload(1, t + 600)), consumed(1, 1, payload(2, t + 600))};
  ASSERT_TRUE(processor.run_batch({}).ok());
  // Right after the outage partition 0 delivers far ahead, then partition 1 goes on in order.
  consumer.pending = {consumed(0, 2, payload(1, t + 36'000))};
  ASSERT_TRUE(processor.run_batch({}).ok());
  consumer.pending = {consumed(1, 2, payload(2, t + 1200))};
  ASSERT_TRUE(processor.run_batch({}).ok());

  EXPECT_EQ(processor.counters().late.load(), 0);
  EXPECT_TRUE(store.late_written.empty());
  EXPECT_EQ(store.observations.size(), 6u);
}

// The value of the series of `family` whose labels include `label` (any series when empty).
std::optional<double> metric_value(const metrics::Families& families, std::string_view family,
                                   const prometheus::ClientMetric::Label& label = {}) {
  for (const auto& f : families) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      const bool matches = label.name.empty() || std::find(m.label.begin(), m.label.end(), label) != m.label.end();
      if (!matches) continue;
      if (f.type == prometheus::MetricType::Histogram) return static_cast<double>(m.histogram.sample_count);
      return f.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return std::nullopt;
}

TEST_F(ProcessorTest, MetricsCountRejectionsByKindBatchesLatencyAndLagPerPartition) {
  consumer.assigned = {{"weather", 0}, {"weather", 1}};
  consumer.pending = {consumed(0, 0, "not json"), consumed(0, 1, R"({"id":1,"main":{"temp":280}})"),
                      consumed(1, 0, payload(1, 1700000000))};
  auto processor = make();
  ASSERT_TRUE(processor.run_batch({}).ok());
  const metrics::Families families = collect_metrics(processor.counters());
  EXPECT_EQ(metric_value(families, "squall_processor_dead_letters_total", {"kind", "invalid_json"}), 1.0);
  EXPECT_EQ(metric_value(families, "squall_processor_dead_letters_total", {"kind", "missing_field"}), 1.0);
  EXPECT_EQ(metric_value(families, "squall_processor_records_in_total"), 3.0);
  EXPECT_EQ(metric_value(families, "squall_processor_records_out_total"), 1.0);
  EXPECT_EQ(metric_value(families, "squall_processor_batch_records"), 1.0) << "one batch observed";
  EXPECT_EQ(metric_value(families, "squall_produce_to_stored_seconds"), 3.0) << "one latency per record";
  EXPECT_GT(processor.counters().latency_max_ms.load(), 0);
  EXPECT_EQ(metric_value(families, "squall_processor_consumer_lag_records", {"partition", "0"}), 0.0);
  EXPECT_EQ(metric_value(families, "squall_processor_consumer_lag_records", {"partition", "1"}), 0.0);
  // The first caught-up batch checkpoints and commits, and its dead letters
  // go to their topic: every stage ran once.
  for (const char* stage : {"poll", "transform", "checkpoint", "topics", "store", "csv", "commit"}) {
    EXPECT_EQ(metric_value(families, "squall_processor_stage_seconds", {"stage", stage}), 1.0) << stage;
  }
}

TEST_F(ProcessorTest, AFreshProcessorExportsEveryKnownLabelAtZero) {
  auto processor = make();
  const metrics::Families families = collect_metrics(processor.counters());
  for (const char* kind : {"empty", "invalid_utf8", "invalid_json", "wrong_type", "missing_field", "duplicate_field",
                           "out_of_range", "owm_error", "bad_header", "too_large", "too_deep", "other"}) {
    EXPECT_EQ(metric_value(families, "squall_processor_dead_letters_total", {"kind", kind}), 0.0) << kind;
  }
  EXPECT_EQ(metric_value(families, "squall_processor_late_records_total", {"reason", "behind_watermark"}), 0.0);
  for (const char* sink : {"store", "topics", "csv", "offset_commit"}) {
    EXPECT_EQ(metric_value(families, "squall_processor_sink_retries_total", {"sink", sink}), 0.0) << sink;
    EXPECT_EQ(metric_value(families, "squall_processor_sink_errors_total", {"sink", sink}), 0.0) << sink;
  }
}

TEST_F(ProcessorTest, WithoutACsvBackupNoCsvSinkIsExported) {
  Processor processor(consumer, producer, store, nullptr, {});
  const metrics::Families families = collect_metrics(processor.counters());
  EXPECT_FALSE(metric_value(families, "squall_processor_sink_errors_total", {"sink", "csv"}));
  EXPECT_EQ(metric_value(families, "squall_processor_sink_errors_total", {"sink", "store"}), 0.0);
}

TEST_F(ProcessorTest, SinkRetriesAndErrorsAreCountedBySink) {
  store.failures = {make_error(Errc::unavailable, "down"), make_error(Errc::timeout, "slow")};
  consumer.pending = {consumed(0, 0, payload(1, 1700000000))};
  auto processor = make();
  ASSERT_TRUE(processor.run_batch({}).ok());
  const metrics::Families families = collect_metrics(processor.counters());
  EXPECT_EQ(metric_value(families, "squall_processor_sink_retries_total", {"sink", "store"}), 2.0);
  EXPECT_EQ(metric_value(families, "squall_processor_sink_errors_total", {"sink", "store"}), 2.0);
  EXPECT_EQ(metric_value(families, "squall_processor_sink_errors_total", {"sink", "csv"}), 0.0);
}

TEST_F(ProcessorTest, PermanentStoreFailureStopsWithoutCommitting) {
  store.failures = {make_error(Errc::io, "disk full")};
  consumer.pending = {consumed(0, 0, payload(1, 1700000000))};
  auto processor = make();
  auto outcome = processor.run_batch({});
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().message, "disk full");
  EXPECT_TRUE(consumer.commits.empty());
  // The backup is written beside the store, so it may hold the batch; it
  // then records holding it, and a restart from the checkpoint skips it there.
  for (const Observation& row : csv.rows) EXPECT_EQ(row.city_id, 1);
  EXPECT_EQ(csv.rows.empty(), csv.resume.empty());
}

TEST_F(ProcessorTest, CsvSkipsRecordsItAlreadyHoldsButTheStoreGetsThemAll) {
  csv.resume[{"weather", 0}] = 2;  // a crash after the CSV append, before the commit
  consumer.pending = {consumed(0, 0, payload(1, 1700000000)), consumed(0, 1, payload(1, 1700000600)),
                      consumed(0, 2, payload(1, 1700001200)), consumed(1, 0, payload(2, 1700000000))};
  auto processor = make();
  ASSERT_TRUE(processor.run_batch({}).ok());
  EXPECT_EQ(store.observations.size(), 4u);
  ASSERT_EQ(csv.rows.size(), 2u);
  EXPECT_EQ(csv.rows[0].observed_at, 1700001200);
  EXPECT_EQ(csv.rows[1].city_id, 2);
}

TEST_F(ProcessorTest, LatestRowsGoWithCheckpointsOnePerCityTheNewest) {
  consumer.pending = {consumed(0, 0, payload(1, 1700000600)), consumed(0, 1, payload(2, 1700000000)),
                      consumed(0, 2, payload(1, 1700001200)), consumed(0, 3, payload(1, 1700000000))};
  ProcessorOptions options;
  options.batch_max_records = 2;
  options.checkpoint_interval_ms = 3'600'000;  // only being caught up makes a checkpoint due
  auto processor = make(options);
  ASSERT_TRUE(processor.run_batch({}).ok());
  ASSERT_EQ(store.latest_written.size(), 1u);
  EXPECT_TRUE(store.latest_written.back().empty()) << "no checkpoint, no latest rows";
  ASSERT_TRUE(processor.run_batch({}).ok());
  ASSERT_EQ(store.latest_written.size(), 2u);
  const auto& latest = store.latest_written.back();
  ASSERT_EQ(latest.size(), 2u) << "one per city, both batches' observations";
  EXPECT_EQ(latest[0].city_id, 1);
  EXPECT_EQ(latest[0].observed_at, 1700001200) << "the newest, not the last read";
  EXPECT_EQ(latest[1].city_id, 2);
  EXPECT_FALSE(store.checkpoints.empty());
}

TEST_F(ProcessorTest, BatchesAreBoundedBySize) {
  for (int i = 0; i < 25; ++i) consumer.pending.push_back(consumed(0, i, payload(1, 1700000000 + 600 * i)));
  ProcessorOptions options;
  options.batch_max_records = 10;
  options.checkpoint_interval_ms = 0;  // checkpoint and commit after every batch
  auto processor = make(options);
  auto first = processor.run_batch({});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->records, 10u);
  EXPECT_FALSE(first->caught_up);
  ASSERT_FALSE(consumer.commits.empty());
  EXPECT_EQ(consumer.commits.back().back().next_offset, 10);
}

TEST_F(ProcessorTest, OnlyCheckpointedPositionsAreCommitted) {
  for (int i = 0; i < 25; ++i) consumer.pending.push_back(consumed(0, i, payload(1, 1700000000 + 600 * i)));
  ProcessorOptions options;
  options.batch_max_records = 10;
  options.checkpoint_interval_ms = 3'600'000;
  auto processor = make(options);
  ASSERT_TRUE(processor.run_batch({}).ok());
  ASSERT_TRUE(processor.run_batch({}).ok());
  EXPECT_TRUE(consumer.commits.empty()) << "no checkpoint yet, so nothing may be committed";
  EXPECT_TRUE(store.checkpoints.empty());
  EXPECT_EQ(store.observations.size(), 20u) << "results are written with every batch all the same";
  auto last = processor.run_batch({});  // caught up: checkpoint and commit
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->caught_up);
  ASSERT_EQ(consumer.commits.size(), 1u);
  EXPECT_EQ(consumer.commits.back().back().next_offset, 25);
  ASSERT_EQ(store.checkpoints.size(), 1u);
  EXPECT_EQ(store.checkpoints.begin()->second.next_offset, 25);
}

// At a trickle every batch is caught up; checkpointing each one would encode
// the whole window state per record. The first is taken at once, later ones
// are spaced (a quarter second apart), so five quick batches cannot all
// checkpoint.
TEST_F(ProcessorTest, CaughtUpCheckpointsAreSpacedAtATrickle) {
  ProcessorOptions options;
  options.checkpoint_interval_ms = 3'600'000;
  auto processor = make(options);
  for (int i = 0; i < 5; ++i) {
    consumer.pending.push_back(consumed(0, i, payload(1, 1700000000 + 600 * i)));
    auto outcome = processor.run_batch({});
    ASSERT_TRUE(outcome.ok());
    ASSERT_TRUE(outcome->caught_up);
  }
  EXPECT_EQ(store.observations.size(), 5u);
  ASSERT_GE(consumer.commits.size(), 1u) << "the first caught-up batch checkpoints and commits";
  EXPECT_LT(consumer.commits.size(), 5u);
}

// Where a checkpoint makes a write slow, checkpoints every 250 ms would keep
// the store busy with them; caught up, they are spaced five times as far
// apart as such a write took (a second here gives 5 s, far from the 0.25 s
// floor, so a stalled machine cannot blur the two).
TEST_F(ProcessorTest, CaughtUpCheckpointsAreSpacedFurtherWhenTheyAreSlowToWrite) {
  store.checkpoint_write_time = std::chrono::seconds(1);
  ProcessorOptions options;
  options.checkpoint_interval_ms = 3'600'000;
  auto processor = make(options);
  consumer.pending.push_back(consumed(0, 0, payload(1, 1700000000)));
  ASSERT_TRUE(processor.run_batch({}).ok());
  ASSERT_EQ(consumer.commits.size(), 1u) << "the first caught-up batch checkpoints at once";
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // past 250 ms, well before 5 s
  consumer.pending.push_back(consumed(0, 1, payload(1, 1700000600)));
  auto outcome = processor.run_batch({});
  ASSERT_TRUE(outcome.ok());
  ASSERT_TRUE(outcome->caught_up);
  EXPECT_EQ(store.observations.size(), 2u) << "observations are written with every batch";
  EXPECT_EQ(consumer.commits.size(), 1u) << "no second checkpoint within five times the slow write";
}

TEST_F(ProcessorTest, RunExitsOnceDrainedAndCaughtUp) {
  for (int i = 0; i < 25; ++i) consumer.pending.push_back(consumed(0, i, payload(1, 1700000000 + 600 * i)));
  ProcessorOptions options;
  options.batch_max_records = 10;
  auto processor = make(options);
  ASSERT_TRUE(processor.run({}, [] { return true; }).ok());
  EXPECT_EQ(store.observations.size(), 25u);
  EXPECT_EQ(consumer.commits.back().back().next_offset, 25);
  EXPECT_EQ(processor.counters().lag.load(), 0);
}

// A broker that restarts just as the log drains must not end the run: the
// drained check is asked again after the next batch.
TEST_F(ProcessorTest, RunOutlastsABrokerThatCannotSayYetWhetherTheGroupHasDrained) {
  for (int i = 0; i < 5; ++i) consumer.pending.push_back(consumed(0, i, payload(1, 1700000000 + 600 * i)));
  consumer.group_lag_failures = {make_error(Errc::unavailable, "end offset of weather/0: Not leader for partition"),
                                 make_error(Errc::timeout, "end offset of weather/0: timed out")};
  auto processor = make();
  ASSERT_TRUE(processor.run({}, [] { return true; }).ok());
  EXPECT_TRUE(consumer.group_lag_failures.empty()) << "run() asked again until the group's lag was known";
  EXPECT_EQ(store.observations.size(), 5u);
}

TEST_F(ProcessorTest, RunEndsWithTheErrorWhenTheDrainedCheckIsRefused) {
  consumer.pending.push_back(consumed(0, 0, payload(1, 1700000000)));
  consumer.group_lag_failures = {make_error(Errc::auth, "Kafka consumer group 'g': group authorization failed")};
  auto processor = make();
  auto ran = processor.run({}, [] { return true; });
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().code, Errc::auth);
}

TEST_F(ProcessorTest, RunStopsWhenAsked) {
  std::stop_source stop;
  stop.request_stop();
  auto processor = make();
  ASSERT_TRUE(processor.run(stop.get_token()).ok());
  EXPECT_TRUE(consumer.commits.empty());
}

// Where no poll can revoke a partition, run() writes a batch while it reads
// and transforms the next; every batch still lands once, in log order, and
// no offset is committed before the store holds what it covers.
TEST_F(ProcessorTest, OverlappedWritesLandInLogOrderAndCommitOnlyWhatIsStored) {
  for (int i = 0; i < 95; ++i) consumer.pending.push_back(consumed(0, i, payload(1, 1700000000 + 600 * i)));
  consumer.revokes = false;
  std::vector<std::size_t> stored_at_commit;
  consumer.on_commit = [&] { stored_at_commit.push_back(store.observations.size()); };
  ProcessorOptions options;
  options.batch_max_records = 10;
  options.checkpoint_interval_ms = 0;  // every batch checkpoints and commits
  auto processor = make(options);
  ASSERT_TRUE(processor.run({}, [] { return true; }).ok());
  ASSERT_EQ(store.observations.size(), 95u);
  for (std::size_t i = 1; i < store.observations.size(); ++i) {
    ASSERT_LT(store.observations[i - 1].observed_at, store.observations[i].observed_at) << "at " << i;
  }
  EXPECT_EQ(csv.rows.size(), 95u);
  ASSERT_EQ(consumer.commits.size(), 10u);
  for (std::size_t i = 0; i < consumer.commits.size(); ++i) {
    EXPECT_LE(static_cast<std::size_t>(consumer.commits[i].back().next_offset), stored_at_commit[i]) << "commit " << i;
  }
  EXPECT_EQ(consumer.commits.back().back().next_offset, 95);
  EXPECT_EQ(processor.counters().consumed.load(), 95);
  EXPECT_EQ(processor.counters().batches.load(), 10);
}

TEST_F(ProcessorTest, AFailedOverlappedWriteStopsTheRunAndCommitsNothingPastIt) {
  for (int i = 0; i < 30; ++i) consumer.pending.push_back(consumed(0, i, payload(1, 1700000000 + 600 * i)));
  consumer.revokes = false;
  store.failures = {make_error(Errc::io, "store.db: disk I/O error")};  // not transient: no retry
  ProcessorOptions options;
  options.batch_max_records = 10;
  options.checkpoint_interval_ms = 0;
  auto processor = make(options);
  auto ran = processor.run({}, [] { return true; });
  ASSERT_FALSE(ran.ok());
  EXPECT_EQ(ran.error().message, "store.db: disk I/O error");
  EXPECT_TRUE(store.observations.empty());
  EXPECT_TRUE(consumer.commits.empty());
}

// The last row written for each window, as the store keeps it.
std::map<std::tuple<std::int64_t, std::string, std::int64_t>, store::WindowRow> last_rows(
    const std::vector<store::WindowRow>& written) {
  std::map<std::tuple<std::int64_t, std::string, std::int64_t>, store::WindowRow> rows;
  for (const auto& row : written) {
    auto& kept = rows[{row.city_id, row.window, row.window_start}];
    if (row.version >= kept.version) kept = row;
  }
  return rows;
}

TEST_F(ProcessorTest, WindowsAreWrittenAndLateRecordsGoToTheLateTopic) {
  const std::int64_t t0 = 1700000000 / 3600 * 3600;
  consumer.pending = {consumed(0, 0, payload(1, t0 + 60, 280.15)), consumed(0, 1, payload(1, t0 + 4000, 290.15)),
                      consumed(0, 2, payload(1, t0 + 120, 300.15))};  // 3880 s behind: late (lateness 600 s)
  ProcessorOptions options;
  options.windows.sizes_s = {3600};
  auto processor = make(options);
  ASSERT_TRUE(processor.run_batch({}).ok());
  ASSERT_EQ(store.late_written.size(), 1u);
  EXPECT_EQ(store.late_written[0].offset, 2);
  EXPECT_EQ(store.late_written[0].watermark, t0 + 4000 - 600);
  ASSERT_EQ(producer.produced.size(), 1u);
  EXPECT_EQ(producer.produced[0].first, "weather.late");
  EXPECT_NE(producer.produced[0].second.header(headers::kReason)->find("late"), std::string::npos);
  EXPECT_EQ(store.observations.size(), 3u) << "a late observation is still an observation";
  const auto rows = last_rows(store.windows_written);
  ASSERT_EQ(rows.size(), 2u);
  const auto& first_hour = rows.at({1, "1h", t0});
  EXPECT_EQ(first_hour.count, 1) << "the late record changed nothing";
  EXPECT_NEAR(first_hour.temp_avg_c, 7.0, 1e-9);
  EXPECT_EQ(processor.counters().late.load(), 1);
  EXPECT_EQ(metric_value(collect_metrics(processor.counters()), "squall_processor_late_records_total",
                         {"reason", "behind_watermark"}),
            1.0);
}

TEST_F(ProcessorTest, ARestartedProcessorResumesFromItsCheckpointAndRebuildsTheSameWindows) {
  std::vector<log::ConsumedRecord> stream;
  for (int i = 0; i < 40; ++i) {
    const std::int64_t jitter = (i % 5) * 137;
    stream.push_back(consumed(i % 2, i / 2, payload(1 + i % 2, 1700000000 + 300 * i - jitter, 270 + i)));
  }
  ProcessorOptions options;
  options.batch_max_records = 7;
  options.checkpoint_interval_ms = 0;

  // Uninterrupted.
  consumer.pending.assign(stream.begin(), stream.end());
  ASSERT_TRUE(make(options).run({}, [] { return true; }).ok());
  const auto clean = last_rows(store.windows_written);
  const auto clean_late = store.late_written.size();

  // Crash after three batches. The restart cannot rebuild the windows from
  // the records it re-reads: it must take the state from the checkpoint.
  FakeStore crashed_store;
  FakeConsumer first_run;
  first_run.pending.assign(stream.begin(), stream.end());
  {
    Processor first(first_run, producer, crashed_store, nullptr, options);
    for (int batch = 0; batch < 3; ++batch) ASSERT_TRUE(first.run_batch({}).ok());
  }
  // The restart reads each partition from two records before its last commit.
  ASSERT_FALSE(first_run.commits.empty());
  std::map<std::int32_t, std::int64_t> resume_at;
  for (const auto& position : first_run.commits.back()) resume_at[position.where.partition] = position.next_offset - 2;
  FakeConsumer second_run;
  for (const auto& record : stream) {
    if (record.offset >= resume_at[record.where.partition]) second_run.pending.push_back(record);
  }
  Processor second(second_run, producer, crashed_store, nullptr, options);
  ASSERT_TRUE(second.run({}, [] { return true; }).ok());
  EXPECT_GT(second.counters().replayed.load(), 0);
  EXPECT_EQ(last_rows(crashed_store.windows_written), clean);
  std::set<std::int64_t> late_offsets;
  for (const auto& late : crashed_store.late_written) late_offsets.insert(late.partition * 1000 + late.offset);
  EXPECT_EQ(late_offsets.size(), clean_late);
}

}  // namespace
}  // namespace squall::processor
