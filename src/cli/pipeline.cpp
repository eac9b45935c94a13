#include "cli/pipeline.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/status_line.hpp"
#include "core/time.hpp"
#include "ingest/ingest.hpp"
#include "log/log.hpp"
#include "processor/processor.hpp"
#include "serve/serve.hpp"
#include "sources/source.hpp"
#include "store/csv_backup.hpp"
#include "store/store.hpp"

namespace squall::cli {
namespace {

std::atomic<bool> g_stop_signalled{false};
static_assert(std::atomic<bool>::is_always_lock_free, "signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int) { g_stop_signalled.store(true); }

Result<std::unique_ptr<sources::Source>> open_source(const Settings& s) {
  if (s.source_kind == "simulator") return sources::make_simulator(s.simulator);
  if (s.source_kind == "replay") return sources::make_replay(s.replay);
  return sources::make_openweather(s.openweather);
}

// Everything the ingest stage needs, opened before any thread starts so that
// a bad backend or source fails fast with its own message.
struct IngestStage {
  std::unique_ptr<sources::Source> source;
  std::unique_ptr<log::Producer> producer;
  std::optional<ingest::Ingestor> ingestor;
};

struct ProcessStage {
  std::unique_ptr<log::Consumer> consumer;
  std::unique_ptr<log::Producer> dead_letter_producer;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<store::CsvBackup> csv;
  std::optional<processor::Processor> processor;
};

Result<void> open_ingest(const Settings& s, IngestStage& stage) {
  SQUALL_ASSIGN(stage.source, open_source(s));
  SQUALL_ASSIGN(stage.producer, log::open_producer(s.log));
  stage.ingestor.emplace(*stage.source, *stage.producer, ingest::IngestOptions{s.topic, 5000});
  return {};
}

Result<void> open_process(const Settings& s, ProcessStage& stage) {
  SQUALL_ASSIGN(stage.store, store::open_store(s.store));
  SQUALL_ASSIGN(stage.dead_letter_producer, log::open_producer(s.log));
  SQUALL_ASSIGN(stage.consumer, log::open_consumer(s.log, s.group, {s.topic}, log::StartFrom::earliest));
  if (s.csv_enabled) SQUALL_ASSIGN(stage.csv, store::open_csv_backup(s.csv));
  stage.processor.emplace(*stage.consumer, *stage.dead_letter_producer, *stage.store, stage.csv.get(), s.processor);
  return {};
}

Progress progress_of(const IngestStage& in, const ProcessStage& out) {
  Progress p;
  if (in.ingestor) p.produced = in.ingestor->counters().produced.load(std::memory_order_relaxed);
  if (out.processor) {
    const auto& c = out.processor->counters();
    p.consumed = c.consumed.load(std::memory_order_relaxed);
    p.stored = c.observations.load(std::memory_order_relaxed);
    p.dead_letters = c.dead_letters.load(std::memory_order_relaxed);
    p.duplicates = c.duplicates.load(std::memory_order_relaxed);
    p.late = c.late.load(std::memory_order_relaxed);
    p.alerts = c.alerts.load(std::memory_order_relaxed);
    p.lag = c.lag.load(std::memory_order_relaxed);
  }
  return p;
}

serve::Backends backends_of(const Settings& s) { return serve::Backends{s.store, s.log}; }

Result<std::unique_ptr<serve::Server>> start_server(const Settings& s, const IngestStage& in,
                                                    const ProcessStage& out) {
  serve::LivePipeline live;
  if (in.ingestor) {
    live.ingest = &in.ingestor->counters();
    live.source = in.source.get();
  }
  if (out.processor) live.processor = &out.processor->counters();
  auto server = serve::Server::start(s.serve, backends_of(s), live);
  if (server) spdlog::info("serving dashboard and API on {}", (*server)->url());
  return server;
}

// A stage's outcome, written by its thread and read after the join.
struct StageOutcome {
  std::atomic<bool> done{false};
  Result<void> result;
};

}  // namespace

void install_stop_signals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_signalled() { return g_stop_signalled.load(); }

Result<void> run_server(const Settings& s) {
  std::unique_ptr<serve::Server> server;
  SQUALL_ASSIGN(server, start_server(s, IngestStage{}, ProcessStage{}));
  while (!stop_signalled()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  spdlog::info("stopping the server");
  server->stop();
  return {};
}

Result<void> run_pipeline(const Settings& s, const PipelineRun& what) {
  IngestStage in;
  ProcessStage out;
  if (what.ingest) SQUALL_TRY(open_ingest(s, in));
  if (what.process) SQUALL_TRY(open_process(s, out));
  std::unique_ptr<serve::Server> server;
  if (what.serve) SQUALL_ASSIGN(server, start_server(s, in, out));

  std::stop_source stop;
  StageOutcome ingest_outcome;
  StageOutcome process_outcome;
  std::jthread ingest_thread;
  std::jthread process_thread;
  if (what.ingest) {
    ingest_thread = std::jthread([&] {
      ingest_outcome.result = in.ingestor->run(stop.get_token());
      // A finished source ends an ingest-only run; a failed one ends any run.
      if (!ingest_outcome.result || !what.process) stop.request_stop();
      ingest_outcome.done = true;
    });
  }
  if (what.process) {
    std::function<bool()> drained;
    if (what.exit_when_drained) {
      drained = what.ingest ? std::function<bool()>([&] { return in.ingestor->counters().finished.load(); })
                            : std::function<bool()>([] { return true; });
    }
    process_thread = std::jthread([&, drained] {
      process_outcome.result = out.processor->run(stop.get_token(), drained);
      stop.request_stop();
      process_outcome.done = true;
    });
  }

  StatusLine status(::isatty(STDERR_FILENO) == 1);
  while (!(ingest_outcome.done || !what.ingest) || !(process_outcome.done || !what.process)) {
    if (stop_signalled() && !stop.stop_requested()) {
      status.clear();
      spdlog::info("stopping: finishing the in-flight batch and committing offsets");
      stop.request_stop();
    }
    status.update(progress_of(in, out), steady_now_ms());
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (ingest_thread.joinable()) ingest_thread.join();
  if (process_thread.joinable()) process_thread.join();
  status.finish(progress_of(in, out), steady_now_ms());

  if (out.csv) SQUALL_TRY(out.csv->close());
  SQUALL_TRY(ingest_outcome.result);
  return process_outcome.result;
}

}  // namespace squall::cli
