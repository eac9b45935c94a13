// squall: one binary, one subcommand per job. See README.md for a tour.

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "cli/command.hpp"

extern char** environ;

namespace {

void configure_logging() {
  auto logger = spdlog::stderr_color_mt("squall");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
}

// Scripts branch on the exit code, so `squall --help` says what each means (as the README does).
std::string help_footer() {
  using namespace squall::cli;
  return fmt::format(
      "Run `squall <command> --help` for the command's flags and examples.\n\n"
      "Exit codes:\n"
      "  {}  success (including a clean Ctrl-C shutdown)\n"
      "  {}  the work failed (I/O error, unreachable backend, a request the store refused)\n"
      "  {}  invalid flags or configuration\n"
      "  {}  credentials refused (for example the OpenWeatherMap API key)",
      kExitOk, kExitFailure, kExitUsage, kExitAuth);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace squall::cli;
  configure_logging();
  CommandContext context;
  for (char** entry = environ; *entry != nullptr; ++entry) context.environment.emplace_back(*entry);
  if (const char* path = std::getenv("SQUALL_CONFIG")) context.config_file = path;

  CLI::App app{"squall: a real-time weather data pipeline (OpenWeatherMap -> log -> processor -> store + CSV)"};
  app.set_version_flag("--version", std::string("squall ") + SQUALL_VERSION);
  app.require_subcommand(1);
  app.add_option_function<std::string>(
      "-c,--config", [&](const std::string& path) { context.config_file = path; },
      "TOML config file (also SQUALL_CONFIG); flags override it, environment variables sit in between");
  app.add_flag_function("-v,--verbose", [](std::int64_t) { spdlog::set_level(spdlog::level::debug); },
                        "debug logging");
  app.add_flag_function("-q,--quiet", [](std::int64_t) { spdlog::set_level(spdlog::level::warn); },
                        "warnings and errors only");
  app.footer(help_footer());

  add_pipeline_commands(app, context);
  add_query_command(app, context);
  add_log_commands(app, context);
  add_schema_command(app, context);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return context.exit_code;
}
