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

void bind_serve_flags(CLI::App* command, CommandContext& context) {
  context.bind(command, "--listen", "serve.listen",
               "HOST:PORT of the dashboard, API and /metrics (default 127.0.0.1:8080; port 0 picks a free one)");
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
  static PipelineRun run_what{true, true, false, true};
  static PipelineRun ingest_what{true, false, false, false};
  static PipelineRun process_what{false, true, false, true};
  static bool run_no_serve = false;
  static bool process_no_serve = false;

  auto* run = app.add_subcommand("run", "all-in-one: ingest + process on the embedded default");
  bind_common_flags(run, context);
  bind_source_flags(run, context);
  bind_process_flags(run, context);
  run->add_flag("--exit-when-drained", run_what.exit_when_drained,
                "exit once the source is exhausted and every record is processed and committed");
  bind_serve_flags(run, context);
  run->add_flag("--no-serve", run_no_serve, "do not serve the dashboard, API and /metrics");
  run->footer(
      "Examples:\n"
      "  squall run                                    # simulator -> embedded log -> SQLite + CSV, until Ctrl-C;\n"
      "                                                # dashboard on http://127.0.0.1:8080/\n"
      "  squall run --cities 1000 --rate 0 --max-events 100000 --exit-when-drained\n"
      "  squall run --source replay --replay-file recorded.ndjson --units metric\n"
      "  OPENWEATHER_API_KEY=... squall run --source openweather --record owm.ndjson");
  run->callback([&context] {
    run_what.serve = !run_no_serve;
    execute(context, run_what);
  });

  auto* ingest = app.add_subcommand("ingest", "sources -> log (the reference system's Kafka producer)");
  bind_common_flags(ingest, context);
  bind_source_flags(ingest, context);
  bind_serve_flags(ingest, context);
  ingest->add_flag("--serve", ingest_what.serve,
                   "serve /metrics and the API (off by default, so ingest and process can share a host)");
  ingest->footer("Examples:\n  squall ingest --cities 100 --rate 0 --max-events 50000\n"
                 "  squall ingest --source replay --replay-file recorded.ndjson\n"
                 "  squall ingest --source openweather --serve --listen 127.0.0.1:8081   # with /metrics");
  ingest->callback([&context] { execute(context, ingest_what); });

  auto* process = app.add_subcommand("process", "log -> processor -> store + CSV (the reference system's Spark job)");
  bind_common_flags(process, context);
  bind_process_flags(process, context);
  context.bind(process, "--units", "units", "units of records that carry no units header (default standard)");
  process->add_flag("--exit-when-drained", process_what.exit_when_drained,
                    "exit once every record in the log is processed and committed");
  bind_serve_flags(process, context);
  process->add_flag("--no-serve", process_no_serve, "do not serve the dashboard, API and /metrics");
  process->footer("Examples:\n  squall process                       # until Ctrl-C; dashboard on http://127.0.0.1:8080/\n"
                  "  squall process --exit-when-drained   # catch up, then exit\n"
                  "  squall process --log kafka://127.0.0.1:9092 --store cassandra://127.0.0.1:9042 "
                  "--listen 127.0.0.1:8081");
  process->callback([&context] {
    process_what.serve = !process_no_serve;
    execute(context, process_what);
  });

  auto* serve = app.add_subcommand("serve", "the dashboard, JSON API and /metrics over the configured store");
  context.bind(serve, "--data-dir", "data_dir", "directory of the embedded store (default squall-data)");
  context.bind(serve, "--log", "log.url", "log checked by /readyz: embedded (default) or kafka://HOST:PORT");
  context.bind_kafka_properties(serve);
  bind_store_flags(serve, context);
  bind_serve_flags(serve, context);
  serve->footer("Examples:\n  squall serve                                   # http://127.0.0.1:8080/ over DATA_DIR's store\n"
                "  squall serve --store cassandra://127.0.0.1:9042 --listen 0.0.0.0:8080\n"
                "  curl -s 127.0.0.1:8080/api/latest; curl -s 127.0.0.1:8080/metrics");
  serve->callback([&context] {
    auto settings = context.settings();
    if (!settings) {
      context.fail(settings.error());
      return;
    }
    install_stop_signals();
    if (auto served = run_server(*settings); !served) context.fail(served.error());
  });
}

}  // namespace squall::cli
