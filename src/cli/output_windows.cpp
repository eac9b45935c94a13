// `squall query windows | alerts`: the processor's streaming results as a table, CSV or JSON.

#include <fmt/format.h>

#include "cli/output.hpp"
#include "core/json.hpp"
#include "core/time.hpp"
#include "store/csv_backup.hpp"

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

void append_json(std::string& out, const store::WindowRow& w) {
  out += fmt::format("{{\"city_id\":{},\"window\":", w.city_id);
  json::append_string(out, w.window);
  out += ",\"window_start\":";
  json::append_string(out, format_iso8601(w.window_start));
  out += ",\"window_end\":";
  json::append_string(out, format_iso8601(w.window_end));
  out += fmt::format(",\"count\":{},\"temp_min_c\":", w.count);
  json::append_number(out, w.temp_min_c);
  out += ",\"temp_avg_c\":";
  json::append_number(out, w.temp_avg_c);
  out += ",\"temp_max_c\":";
  json::append_number(out, w.temp_max_c);
  const std::pair<const char*, const std::optional<double>*> optional_fields[] = {
      {"wind_max_ms", &w.wind_max_ms},           {"wind_avg_ms", &w.wind_avg_ms},
      {"gust_max_ms", &w.gust_max_ms},           {"humidity_avg_pct", &w.humidity_avg_pct},
      {"pressure_avg_hpa", &w.pressure_avg_hpa}, {"rain_mm", &w.rain_mm},
      {"snow_mm", &w.snow_mm}};
  for (const auto& [name, value] : optional_fields) {
    out += fmt::format(",\"{}\":", name);
    json::append_optional(out, *value);
  }
  out += fmt::format(",\"final\":{}}}", w.final ? "true" : "false");
}

}  // namespace

std::string render_windows(std::span<const store::WindowRow> rows, Format format) {
  std::string out;
  if (format == Format::json) {
    out += '[';
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i > 0) out += ",\n ";
      append_json(out, rows[i]);
    }
    return out + "]\n";
  }
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
  if (format == Format::json) {
    out += '[';
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& a = rows[i];
      if (i > 0) out += ",\n ";
      out += fmt::format("{{\"city_id\":{},\"observed_at\":", a.city_id);
      json::append_string(out, format_iso8601(a.observed_at));
      out += ",\"rule\":";
      json::append_string(out, a.rule);
      out += fmt::format(",\"state\":\"{}\",\"value\":", a.raised ? "raised" : "cleared");
      json::append_number(out, a.value);
      out += ",\"condition\":";
      json::append_string(out, a.condition);
      out += '}';
    }
    return out + "]\n";
  }
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
