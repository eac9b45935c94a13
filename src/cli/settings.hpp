#pragma once
// Typed settings resolved from the layered Config, validated in one place so
// a bad value fails at start-up before any work begins.

#include <string>

#include "cli/config.hpp"
#include "log/log.hpp"
#include "processor/processor.hpp"
#include "serve/serve.hpp"
#include "sources/source.hpp"
#include "store/csv_backup.hpp"
#include "store/store.hpp"

namespace squall::cli {

struct Settings {
  std::string data_dir;
  Units units = Units::standard;
  std::string source_kind;
  sources::SimulatorOptions simulator;
  sources::ReplayOptions replay;
  sources::OpenWeatherOptions openweather;
  log::LogOptions log;
  std::string topic;
  std::string dead_letter_topic;
  store::StoreOptions store;
  std::string group;
  processor::ProcessorOptions processor;
  bool csv_enabled = true;
  store::CsvOptions csv;
  serve::ServeOptions serve;
};

Result<Settings> resolve_settings(const Config& config);

}  // namespace squall::cli
