// squall query latest | history | windows | alerts | stats | dead-letters:
// read what the pipeline stored (the reference system's cqlsh SELECT).

#include <cstdio>

#include <fmt/format.h>

#include "cli/command.hpp"
#include "cli/output.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace squall::cli {
namespace {

struct QueryFlags {
  std::string format = "table";
  std::optional<std::int64_t> city;
  std::string since;
  std::string from;
  std::string to;
  std::size_t limit = 100;
  std::string window;  // windows: only this size, e.g. 1h
};

Result<std::unique_ptr<store::Store>> open_for_query(const CommandContext& context) {
  auto settings = context.settings();
  if (!settings) return settings.error();
  store::StoreOptions options = settings->store;
  options.read_only = true;  // a query never writes, so a read-only data directory can be queried
  return store::open_store(options);
}

Result<store::HistoryQuery> history_query(const QueryFlags& flags) {
  if (!flags.city) {
    return make_error(Errc::invalid_argument, "query history needs --city ID (`squall query latest` lists the ids)");
  }
  store::HistoryQuery query;
  query.city_id = *flags.city;
  query.limit = flags.limit;
  if (!flags.since.empty()) {
    auto window = parse_duration_ms(flags.since);
    if (!window) return make_error(Errc::invalid_argument, "--since: expected a duration such as 30m, 6h, 7d");
    query.from = now_seconds() - *window / 1000;
  }
  if (!flags.from.empty()) {
    auto from = parse_iso8601(flags.from);
    if (!from) return make_error(Errc::invalid_argument, "--from: expected a UTC time such as 2023-11-14T22:00:00Z");
    query.from = *from;
  }
  if (!flags.to.empty()) {
    auto to = parse_iso8601(flags.to);
    if (!to) return make_error(Errc::invalid_argument, "--to: expected a UTC time such as 2023-11-15T00:00:00Z");
    query.to = *to;
  }
  return query;
}

Result<std::string> run_query(const std::string& what, const QueryFlags& flags, const CommandContext& context) {
  auto format = parse_format(flags.format);
  if (!format) return format.error();
  auto history = what == "history" ? history_query(flags) : Result<store::HistoryQuery>(store::HistoryQuery{});
  if (!history) return history.error();
  auto store = open_for_query(context);
  if (!store) return store.error();

  if (what == "latest") {
    auto rows = (*store)->latest(flags.city);
    if (!rows) return rows.error();
    return render_observations(*rows, *format);
  }
  if (what == "history") {
    auto rows = (*store)->history(*history);
    if (!rows) return rows.error();
    return render_observations(*rows, *format);
  }
  if (what == "windows") {
    store::WindowQuery query;
    query.city_id = flags.city;
    if (!flags.window.empty()) query.window = flags.window;
    query.limit = flags.limit;
    auto rows = (*store)->windows(query);
    if (!rows) return rows.error();
    return render_windows(*rows, *format);
  }
  if (what == "alerts") {
    store::AlertQuery query;
    query.city_id = flags.city;
    query.limit = flags.limit;
    auto rows = (*store)->alerts(query);
    if (!rows) return rows.error();
    return render_alerts(*rows, *format);
  }
  if (what == "dead-letters") {
    auto rows = (*store)->dead_letters(flags.limit);
    if (!rows) return rows.error();
    return render_dead_letters(*rows, *format);
  }
  auto stats = (*store)->stats();
  if (!stats) return stats.error();
  return render_stats(*stats, *format);
}

void add_query_flags(CLI::App* command, QueryFlags& flags, CommandContext& context) {
  context.bind(command, "--data-dir", "data_dir", "directory for all embedded state (default squall-data)");
  bind_store_flags(command, context);
  command->add_option("--format", flags.format, "table | csv | json (default table)");
}

}  // namespace

void add_query_command(CLI::App& app, CommandContext& context) {
  static QueryFlags flags;
  auto* query = app.add_subcommand("query", "read stored weather: latest | history | windows | alerts | stats | dead-letters");
  query->require_subcommand(1);
  query->footer(
      "Examples:\n"
      "  squall query latest                          # newest observation per city, every field\n"
      "  squall query latest --city 4887398 --format json\n"
      "  squall query history --city 4887398 --limit 24 --format csv\n"
      "  squall query windows --city 4887398 --window 1h --limit 24\n"
      "  squall query alerts --city 4887398\n"
      "  squall query stats --format json\n"
      "  squall query dead-letters --limit 10         # rejected records and why");

  const auto add = [&](const std::string& name, const std::string& help, const std::string& examples) {
    auto* sub = query->add_subcommand(name, help);
    sub->footer("Examples:\n" + examples);
    add_query_flags(sub, flags, context);
    sub->callback([&context, name] {
      auto output = run_query(name, flags, context);
      if (!output) {
        context.fail(output.error());
        return;
      }
      std::fwrite(output->data(), 1, output->size(), stdout);
    });
    return sub;
  };
  add("latest", "newest observation per city (every field)",
      "  squall query latest\n  squall query latest --city 4887398 --format json")
      ->add_option("--city", flags.city, "only this city id");
  auto* history = add("history", "observations of one city, newest first",
                      "  squall query history --city 4887398 --limit 24 --format csv\n"
                      "  squall query history --city 4887398 --from 2023-11-14T00:00:00Z --to 2023-11-15T00:00:00Z");
  history->add_option("--city", flags.city, "city id (required)");
  history->add_option("--since", flags.since, "only the last DURATION, e.g. 6h or 7d");
  history->add_option("--from", flags.from, "from this UTC time, e.g. 2023-11-14T00:00:00Z");
  history->add_option("--to", flags.to, "until this UTC time (exclusive)");
  history->add_option("--limit", flags.limit, "rows at most (default 100)");
  add("stats", "counts: observations, cities, dead letters, time span", "  squall query stats --format json");
  auto* windows = add("windows", "event-time window aggregates per city, newest first",
                      "  squall query windows --city 4887398 --window 1h --limit 24\n"
                      "  squall query windows --window 1d --format csv");
  windows->add_option("--city", flags.city, "only this city id");
  windows->add_option("--window", flags.window, "only windows of this size, e.g. 1h (see windows.sizes)");
  windows->add_option("--limit", flags.limit, "rows at most (default 100)");
  auto* alerts = add("alerts", "alerts raised and cleared, newest first (rules: alerts.rules)",
                     "  squall query alerts\n  squall query alerts --city 4887398 --format json");
  alerts->add_option("--city", flags.city, "only this city id");
  alerts->add_option("--limit", flags.limit, "rows at most (default 100)");
  add("dead-letters", "rejected records with the reason, newest first",
      "  squall query dead-letters --limit 10\n  squall query dead-letters --format json")
      ->add_option("--limit", flags.limit, "rows at most (default 100)");
}

}  // namespace squall::cli
