// squall schema create | check: prepare a store before the pipeline first
// writes (the reference system's hand-run CREATE KEYSPACE / CREATE TABLE).

#include <cstdio>

#include "cli/command.hpp"
#include "store/store.hpp"

namespace squall::cli {
namespace {

std::string describe(const store::StoreOptions& options) {
  if (options.url.empty() || options.url == "sqlite") return options.data_dir + "/store.db";
  return "keyspace " + options.keyspace + " on " + options.url;
}

Result<void> create(const CommandContext& context) {
  auto settings = context.settings();
  if (!settings) return settings.error();
  SQUALL_TRY(store::create_schema(settings->store));
  std::printf("schema of %s is ready (created what was missing)\n", describe(settings->store).c_str());
  return {};
}

Result<void> check(const CommandContext& context) {
  auto settings = context.settings();
  if (!settings) return settings.error();
  SQUALL_TRY(store::check_schema(settings->store));
  std::printf("schema of %s matches squall's\n", describe(settings->store).c_str());
  return {};
}

}  // namespace

void add_schema_command(CLI::App& app, CommandContext& context) {
  auto* schema = app.add_subcommand("schema", "create or check the store's keyspace and tables");
  schema->require_subcommand(1);
  schema->footer(
      "Examples:\n"
      "  squall schema create --store cassandra://127.0.0.1:9042 --keyspace weather_prod\n"
      "  SQUALL_STORE_REPLICATION=NetworkTopologyStrategy:dc1:3 squall schema create --store cassandra://10.0.0.5:9042\n"
      "  squall schema check --store cassandra://127.0.0.1:9042   # exit 1 and the differences when it drifted");
  auto* create_command = schema->add_subcommand("create", "create the keyspace and tables that are missing");
  auto* check_command = schema->add_subcommand("check", "compare the tables with squall's, column by column");
  create_command->footer("Examples:\n  squall schema create --store cassandra://127.0.0.1:9042 --replication SimpleStrategy:3");
  check_command->footer("Examples:\n  squall schema check --store cassandra://127.0.0.1:9042 --keyspace weather_prod");
  for (auto* sub : {create_command, check_command}) {
    context.bind(sub, "--data-dir", "data_dir", "directory for all embedded state (default squall-data)");
    bind_store_flags(sub, context);
  }
  context.bind(create_command, "--replication", "store.replication",
               "SimpleStrategy:RF (default SimpleStrategy:1) or NetworkTopologyStrategy:DC:RF[,DC:RF...]");
  create_command->callback([&context] {
    if (auto done = create(context); !done) context.fail(done.error());
  });
  check_command->callback([&context] {
    if (auto done = check(context); !done) context.fail(done.error());
  });
}

}  // namespace squall::cli
