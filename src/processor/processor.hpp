#pragma once
// The processor: the stream job between the log and the sinks (the
// reference system's Spark Streaming job).
//
// Each micro-batch: poll -> parse -> validate -> normalise -> dedup ->
// windows -> alerts -> sinks (dead-letter, late and alert topics, store, CSV
// backup). Every
// sink write is idempotent. The window state of each partition is
// checkpointed into the store together with the results it covers, at most
// every checkpoint_interval_ms, and only a checkpointed position is ever
// committed to the log: after a crash the processor resumes each partition
// from its checkpoint and rebuilds exactly the state a clean run had there,
// so observations, windows and late records come out exactly once (see
// docs/ARCHITECTURE.md).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "core/metrics.hpp"
#include "core/observation.hpp"
#include "core/result.hpp"
#include "log/log.hpp"
#include "processor/alerts.hpp"
#include "processor/windows.hpp"
#include "store/csv_backup.hpp"
#include "store/store.hpp"

namespace squall::processor {

struct ProcessorOptions {
  std::string topic = "weather";
  std::string dead_letter_topic = "weather.dlq";
  std::size_t batch_max_records = 10000;
  std::int64_t batch_max_wait_ms = 200;   // a batch closes this long after its first record
  Units default_units = Units::standard;  // for records that carry no `units` header
  std::int64_t sink_retry_max_ms = 5000;  // cap of the back-off between sink retries
  std::string late_topic = "weather.late";
  std::string group = "squall-processor";  // names the checkpoints in the store
  WindowOptions windows;
  std::int64_t checkpoint_interval_ms = 2000;
  std::vector<AlertRule> alert_rules;
  std::string alerts_topic = "weather.alerts";
};

// Counters for everything, readable from other threads while running.
struct ProcessorCounters {
  std::atomic<std::int64_t> consumed{0};        // records read from the log
  std::atomic<std::int64_t> observations{0};    // valid observations written
  std::atomic<std::int64_t> dead_letters{0};    // records sent to the dead-letter topic
  std::atomic<std::int64_t> duplicates{0};      // (city, observed_at) seen before, skipped
  std::atomic<std::int64_t> late{0};             // records older than their partition's watermark
  std::atomic<std::int64_t> alerts{0};            // alerts raised or cleared
  std::atomic<std::int64_t> windows_written{0};  // window rows upserted (an open window is rewritten as it grows)
  std::atomic<std::int64_t> checkpoints{0};      // checkpoints written (each commits its positions)
  std::atomic<std::int64_t> replayed{0};         // records skipped: already covered by a checkpoint
  std::atomic<std::int64_t> csv_rows{0};        // rows appended to the CSV backup
  std::atomic<std::int64_t> batches{0};         // batches committed
  std::atomic<std::int64_t> sink_retries{0};    // transient sink failures retried
  std::atomic<std::int64_t> last_batch_records{0};
  std::atomic<std::int64_t> last_commit_ms{0};  // wall clock of the last commit
  std::atomic<std::int64_t> lag{-1};            // records left in the log after the last batch; -1 unknown
  // The largest produce-to-stored latency since someone last took it (the
  // API's sampler does, to show a recent maximum); -1 when none.
  mutable std::atomic<std::int64_t> latency_max_ms{-1};
  std::atomic<std::int64_t> latency_max_ever_ms{-1};  // the largest since start

  // Labelled series and distributions, exported by collect_metrics(). The
  // label values known up front (every dead-letter kind, the late reason, and
  // the sinks, added by the Processor that has them) exist from the start at 0.
  prometheus::Family<prometheus::Counter> dead_letter_kinds{
      "squall_processor_dead_letters_total", "Records sent to the dead-letter topic, by the kind of their reason", {}};
  prometheus::Family<prometheus::Counter> late_reasons{
      "squall_processor_late_records_total",
      "Records routed to the late topic, by reason (behind_watermark: older than their partition's watermark)", {}};
  prometheus::Family<prometheus::Gauge> partition_lag{
      "squall_processor_consumer_lag_records", "Records of each assigned partition the group has not committed", {}};
  prometheus::Family<prometheus::Counter> sink_retries_by_sink{
      "squall_processor_sink_retries_total", "Transient sink failures retried, by sink", {}};
  prometheus::Family<prometheus::Counter> sink_errors_by_sink{
      "squall_processor_sink_errors_total", "Failed sink operations (retried or not), by sink", {}};
  prometheus::Family<prometheus::Histogram> batch_records_family{
      "squall_processor_batch_records", "Records per committed micro-batch", {}};
  prometheus::Family<prometheus::Histogram> batch_seconds_family{
      "squall_processor_batch_seconds", "Time from a batch's last poll to its commit", {}};
  // Where a batch's time goes: poll (collecting it), transform (parse,
  // windows, alerts), checkpoint (window rows and state), then the sinks:
  // topics, store and csv (these two side by side) and commit.
  prometheus::Family<prometheus::Histogram> stage_seconds_family{
      "squall_processor_stage_seconds", "Time of each stage of a micro-batch", {}};
  prometheus::Family<prometheus::Histogram> produce_to_stored_family{
      "squall_produce_to_stored_seconds", "Time from a record's log timestamp to the commit of its batch", {}};
  prometheus::Histogram& batch_records;
  prometheus::Histogram& batch_seconds;
  prometheus::Histogram& produce_to_stored;
  prometheus::Histogram& poll_seconds;
  prometheus::Histogram& transform_seconds;
  prometheus::Histogram& checkpoint_seconds;
  prometheus::Histogram& topics_seconds;
  prometheus::Histogram& store_seconds;
  prometheus::Histogram& csv_seconds;
  prometheus::Histogram& commit_seconds;

  ProcessorCounters();
};

// Everything the counters hold, in Prometheus form.
metrics::Families collect_metrics(const ProcessorCounters& counters);

// How a batch ended: how many records it held and whether the log is drained.
struct BatchOutcome {
  std::size_t records = 0;
  bool caught_up = false;
};

class Processor {
 public:
  // `csv` may be null (backup disabled). Everything must outlive the Processor.
  Processor(log::Consumer& consumer, log::Producer& producer, store::Store& store, store::CsvBackup* csv,
            ProcessorOptions options);
  ~Processor();
  Processor(const Processor&) = delete;
  Processor& operator=(const Processor&) = delete;

  // Runs one micro-batch end to end, commit included.
  Result<BatchOutcome> run_batch(std::stop_token stop);

  // Runs batches until `stop` is requested (the in-flight batch is finished
  // and committed first) or, when `drained` is given, until a batch finds the
  // log caught up after `drained()` returned true and the whole group has
  // committed everything (Consumer::group_lag() is zero; a group_lag() that
  // finds the broker unavailable or timed out is asked again after the next
  // batch, and any other error ends the run). Where no poll can revoke a
  // partition, a batch's sinks are written on a second thread while the next
  // batch is read and transformed (docs/ARCHITECTURE.md).
  Result<void> run(std::stop_token stop, const std::function<bool()>& drained = {});

  const ProcessorCounters& counters() const { return counters_; }

 private:
  struct Impl;
  ProcessorCounters counters_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall::processor
