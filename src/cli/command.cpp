#include "cli/command.hpp"

#include <cstdio>

#include <fmt/format.h>

namespace squall::cli {

void CommandContext::bind(CLI::App* command, const std::string& name, const std::string& key,
                          const std::string& help) {
  command->add_option_function<std::string>(
      name, [this, key](const std::string& value) { flags[key] = value; }, help);
}

void CommandContext::bind_kafka_properties(CLI::App* command) {
  const CLI::Validator name_equals_value(
      [](const std::string& item) {
        const auto eq = item.find('=');
        return eq == std::string::npos || eq == 0 ? "expected NAME=VALUE, e.g. security.protocol=SASL_SSL"
                                                  : std::string();
      },
      "NAME=VALUE");
  command
      ->add_option_function<std::vector<std::string>>(
          "--kafka-property",
          [this](const std::vector<std::string>& items) {
            for (const std::string& item : items) {
              const auto eq = item.find('=');
              flags[std::string(kKafkaPropertyPrefix) + item.substr(0, eq)] = item.substr(eq + 1);
            }
          },
          "librdkafka property NAME=VALUE for the Kafka log (repeatable; e.g. security.protocol=SASL_SSL)")
      ->check(name_equals_value);
}

void bind_store_flags(CLI::App* command, CommandContext& context) {
  context.bind(command, "--store", "store.url", "store backend: sqlite (default) or cassandra://HOST:PORT[,HOST:PORT]");
  context.bind(command, "--keyspace", "store.keyspace", "Cassandra keyspace (default squall)");
  context.bind(command, "--consistency", "store.consistency", "Cassandra consistency level (default LOCAL_QUORUM)");
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
    case Errc::auth:
      exit_code = kExitAuth;
      hint = "credentials come from OPENWEATHER_API_KEY (the API), store.user + SQUALL_STORE_PASSWORD (Cassandra) "
             "and kafka.sasl.* (Kafka); see README.md";
      break;
    case Errc::tls:
      exit_code = kExitFailure;
      hint = "the server's TLS certificate was not trusted: point store.tls_ca_file at the PEM file of the CA "
             "that signed it and connect by a name or address the certificate "
             "lists; store.tls_verify = false skips the check (never in production)";
      break;
    case Errc::unavailable:
    case Errc::timeout:
      exit_code = kExitFailure;
      hint = "check that the server named above is running and reachable from here (the project's own Kafka "
             "and Cassandra: scripts/services status); a Cassandra node that requires client-to-node TLS also "
             "needs store.tls = true";
      break;
    case Errc::refused:
      exit_code = kExitFailure;
      hint = "a request was refused, for the reason above: on Cassandra, `squall schema check` names "
             "where the tables differ from squall's, and README.md (\"Windows and late data\") covers a checkpoint "
             "over the node's request size limit";
      break;
    case Errc::io:
      exit_code = kExitFailure;
      hint = "check the file, directory or address named above: permissions, free space, already in use";
      break;
    default: exit_code = kExitFailure; break;
  }
  std::fprintf(stderr, "squall: %s\n", error.message.c_str());
  if (!hint.empty()) std::fprintf(stderr, "hint: %s\n", hint.c_str());
  return exit_code;
}

}  // namespace squall::cli
