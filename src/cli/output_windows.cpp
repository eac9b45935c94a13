// `squall query windows | alerts`: the processor's streaming results as a table, CSV or JSON.

#include <fmt/format.h>

#include "cli/output.hpp"
#include "core/time.hpp"
#include "store/csv_backup.hpp"
#include "store/row_json.hpp"

namespace squall::cli {
namespace {

std::string number(const std::optional<double>& value) { return value ? fmt::format("{:.2f}", *value) : ""; }

std::vector<std::string> cells(const store::WindowRow& w) {
  return {std::to_string(w.city_id),   w.window,
          format_iso8601(w.window_start), format_iso8601(w.window_end),
          std::to_string(w.count),     number(w.temp_min_c),
          number(w.temp_avg_c),        number(w.temp_max_c),
          number(w.wind_max_ms),       number(w.wind_avg_ms),
          number(w.gust_max_ms),       number(w.humidity_avg_pct),
          number(w.pressure_avg_hpa),  number(w.rain_mm),
          number(w.snow_mm),           w.final ? "final" : "open"};
}

}  // namespace

std::string render_windows(std::span<const store::WindowRow> rows, Format format) {
  std::string out;
  if (format == Format::json) return store::json_array(rows);
  std::vector<std::vector<std::string>> table{{"city_id", "window", "start", "end", "count", "temp_min_c",
                                               "temp_avg_c", "temp_max_c", "wind_max_ms", "wind_avg_ms",
                                               "gust_max_ms", "humidity_avg_pct", "pressure_avg_hpa", "rain_mm",
                                               "snow_mm", "state"}};
  for (const auto& row : rows) table.push_back(cells(row));
  if (format == Format::table) return render_table(table);
  for (const auto& row : table) out += store::csv_line(row) + "\r\n";
  return out;
}

std::string render_alerts(std::span<const store::AlertRow> rows, Format format) {
  std::string out;
  if (format == Format::json) return store::json_array(rows);
  std::vector<std::vector<std::string>> table{{"city_id", "observed_at", "rule", "state", "value", "condition"}};
  for (const auto& a : rows) {
    table.push_back({std::to_string(a.city_id), format_iso8601(a.observed_at), a.rule, a.raised ? "raised" : "cleared",
                     fmt::format("{:.2f}", a.value), a.condition});
  }
  if (format == Format::table) return render_table(table);
  for (const auto& row : table) out += store::csv_line(row) + "\r\n";
  return out;
}

}  // namespace squall::cli
