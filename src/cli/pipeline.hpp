#pragma once
// Wires the stages together for the run, ingest and process commands:
// opens the backends named by the settings, runs each stage on its own
// thread, shows progress, and shuts down cleanly on Ctrl-C.

#include <stop_token>

#include "cli/settings.hpp"
#include "core/result.hpp"

namespace squall::cli {

struct PipelineRun {
  bool ingest = false;
  bool process = false;
  bool exit_when_drained = false;
  bool serve = false;  // the dashboard, API and /metrics beside the stages
};

// Runs the chosen stages until stopped (SIGINT/SIGTERM), drained (when asked)
// or a stage fails; a failure of either stage stops the other.
Result<void> run_pipeline(const Settings& settings, const PipelineRun& what);

// Serves the dashboard, API and /metrics alone, until SIGINT/SIGTERM.
Result<void> run_server(const Settings& settings);

// Installs SIGINT/SIGTERM handlers that request a clean stop.
void install_stop_signals();
bool stop_signalled();

}  // namespace squall::cli
