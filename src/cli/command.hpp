#pragma once
// What every subcommand shares: config layering, flag-to-key binding and the
// translation of errors into messages and exit codes.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/settings.hpp"

namespace squall::cli {

// Exit codes, documented in the README.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;      // the work failed (I/O, unreachable backend, ...)
inline constexpr int kExitUsage = 2;        // invalid flags or configuration
inline constexpr int kExitAuth = 3;         // credentials refused (e.g. the OpenWeatherMap key)

struct CommandContext {
  std::optional<std::string> config_file;
  std::map<std::string, std::string> flags;  // config key -> value given on the command line
  std::vector<std::string> environment;
  int exit_code = kExitOk;

  // Binds `--name VALUE` on `command` to the config key `key`.
  void bind(CLI::App* command, const std::string& name, const std::string& key, const std::string& help);
  // Binds the repeatable `--kafka-property NAME=VALUE` (librdkafka pass-through, config keys kafka.NAME).
  void bind_kafka_properties(CLI::App* command);
  Result<Settings> settings() const;
  // Prints "squall: <message>" and a hint, and records the exit code.
  int fail(const Error& error);
};

// --store, --keyspace and --consistency: every command that opens the store.
void bind_store_flags(CLI::App* command, CommandContext& context);

void add_pipeline_commands(CLI::App& app, CommandContext& context);  // run, ingest, process, serve
void add_query_command(CLI::App& app, CommandContext& context);      // query latest|history|stats|dead-letters
void add_log_commands(CLI::App& app, CommandContext& context);       // tail, topics
void add_schema_command(CLI::App& app, CommandContext& context);     // schema create|check

}  // namespace squall::cli
