// squall run | ingest | process: the pipeline's long-running commands.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/command.hpp"
#include "cli/pipeline.hpp"

namespace squall::cli {
namespace {

void bind_source_flags(CLI::App* command, CommandContext& context) {
  context.bind(command, "--source", "source.kind", "simulator | replay | openweather (default simulator)");
  context.bind(command, "--cities", "source.cities", "simulator: number of cities (default 20)");
  context.bind(command, "--rate", "source.rate", "events per second; 0 = as fast as possible (default 100)");
  context.bind(command, "--max-events", "source.max_events", "stop the source after N events (default: never)");
  context.bind(command, "--seed", "source.seed", "simulator: random seed (default 42)");
  context.bind(command, "--replay-file", "source.replay_file", "replay: NDJSON file of raw OWM responses");
  context.bind(command, "--record", "source.record_file", "openweather: also append raw responses to this NDJSON file");
  context.bind(command, "--units", "units", "standard | metric | imperial: units the source requests (default standard)");
}

void bind_common_flags(CLI::App* command, CommandContext& context) {
  context.bind(command, "--data-dir", "data_dir", "directory for all embedded state (default squall-data)");
  context.bind(command, "--log", "log.url", "log backend: embedded (default) or kafka://HOST:PORT[,HOST:PORT]");
  context.bind(command, "--topic", "log.topic", "topic of raw observations (default weather)");
  context.bind_kafka_properties(command);
}

void bind_process_flags(CLI::App* command, CommandContext& context) {
  bind_store_flags(command, context);
  context.bind(command, "--group", "processor.group", "consumer group (default squall-processor)");
  context.bind(command, "--batch-max-records", "processor.batch_max_records", "records per micro-batch at most");
  context.bind(command, "--batch-max-wait", "processor.batch_max_wait", "micro-batch time bound, e.g. 200ms");
}

void execute(CommandContext& context, const PipelineRun& what) {
  auto settings = context.settings();
  if (!settings) {
    context.fail(settings.error());
    return;
  }
  install_stop_signals();
  spdlog::info("squall {}: data dir {}, log {}, store {}{}", what.ingest && what.process ? "run" :
               what.ingest ? "ingest" : "process", settings->data_dir, settings->log.url, settings->store.url,
               what.ingest ? fmt::format(", source {}", settings->source_kind) : std::string());
  if (auto done = run_pipeline(*settings, what); !done) context.fail(done.error());
}

}  // namespace

void add_pipeline_commands(CLI::App& app, CommandContext& context) {
  static PipelineRun run_what{true, true, false};
  static PipelineRun process_what{false, true, false};
  static bool no_serve = false;

  auto* run = app.add_subcommand("run", "all-in-one: ingest + process on the embedded default");
  bind_common_flags(run, context);
  bind_source_flags(run, context);
  bind_process_flags(run, context);
  run->add_flag("--exit-when-drained", run_what.exit_when_drained,
                "exit once the source is exhausted and every record is processed and committed");
  run->add_flag("--no-serve", no_serve, "do not serve the dashboard and API (they arrive in a later release)");
  run->footer(
      "Examples:\n"
      "  squall run                                    # simulator -> embedded log -> SQLite + CSV, until Ctrl-C\n"
      "  squall run --cities 1000 --rate 0 --max-events 100000 --exit-when-drained\n"
      "  squall run --source replay --replay-file recorded.ndjson --units metric\n"
      "  OPENWEATHER_API_KEY=... squall run --source openweather --record owm.ndjson");
  run->callback([&context] { execute(context, run_what); });

  auto* ingest = app.add_subcommand("ingest", "sources -> log (the reference system's Kafka producer)");
  bind_common_flags(ingest, context);
  bind_source_flags(ingest, context);
  ingest->footer("Examples:\n  squall ingest --cities 100 --rate 0 --max-events 50000\n"
                 "  squall ingest --source replay --replay-file recorded.ndjson");
  ingest->callback([&context] { execute(context, PipelineRun{true, false, false}); });

  auto* process = app.add_subcommand("process", "log -> processor -> store + CSV (the reference system's Spark job)");
  bind_common_flags(process, context);
  bind_process_flags(process, context);
  context.bind(process, "--units", "units", "units of records that carry no units header (default standard)");
  process->add_flag("--exit-when-drained", process_what.exit_when_drained,
                    "exit once every record in the log is processed and committed");
  process->footer("Examples:\n  squall process                       # until Ctrl-C\n"
                  "  squall process --exit-when-drained   # catch up, then exit");
  process->callback([&context] { execute(context, process_what); });
}

}  // namespace squall::cli
