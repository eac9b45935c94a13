#include "cli/command.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace squall::cli {

void CommandContext::bind(CLI::App* command, const std::string& name, const std::string& key,
                          const std::string& help) {
  command->add_option_function<std::string>(
      name, [this, key](const std::string& value) { flags[key] = value; }, help);
}

Result<Settings> CommandContext::settings() const {
  auto config = Config::load(config_file, environment, flags);
  if (!config) return config.error();
  return resolve_settings(*config);
}

int CommandContext::fail(const Error& error) {
  std::string hint;
  switch (error.code) {
    case Errc::invalid_argument:
      exit_code = kExitUsage;
      hint = "see `squall <command> --help` and the configuration reference in README.md";
      break;
    case Errc::auth: exit_code = kExitAuth; break;
    default: exit_code = kExitFailure; break;
  }
  std::fprintf(stderr, "squall: %s\n", error.message.c_str());
  if (!hint.empty()) std::fprintf(stderr, "hint: %s\n", hint.c_str());
  return exit_code;
}

}  // namespace squall::cli
