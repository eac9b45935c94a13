#include "cli/output.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "core/json.hpp"
#include "core/time.hpp"
#include "store/csv_backup.hpp"

namespace squall::cli {
namespace {

std::string number(const std::optional<double>& value) {
  if (!value) return "";
  return fmt::format("{:.2f}", *value);
}

template <class T>
std::string integer(const std::optional<T>& value) {
  return value ? std::to_string(*value) : std::string();
}

// Display width of UTF-8 text: counts code points, not bytes.
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

struct Field {
  std::string_view name;
  std::function<void(std::string&, const Observation&)> json;
  std::function<std::string(const Observation&)> table;  // empty: JSON only
};

std::optional<std::int64_t> widen(const std::optional<std::int32_t>& value) {
  if (!value) return std::nullopt;
  return *value;
}

void optional_time(std::string& out, const std::optional<std::int64_t>& t) {
  if (t) json::append_string(out, format_iso8601(*t));
  else out += "null";
}

const std::vector<Field>& fields() {
  using O = Observation;
  static const std::vector<Field> kFields = {
      {"city_id", [](auto& s, const O& o) { json::append_number(s, o.city_id); },
       [](const O& o) { return std::to_string(o.city_id); }},
      {"city", [](auto& s, const O& o) { json::append_string(s, o.city); }, [](const O& o) { return o.city; }},
      {"country", [](auto& s, const O& o) { json::append_optional(s, o.country); },
       [](const O& o) { return o.country.value_or(""); }},
      {"observed_at", [](auto& s, const O& o) { json::append_string(s, format_iso8601(o.observed_at)); },
       [](const O& o) { return format_iso8601(o.observed_at); }},
      {"lat", [](auto& s, const O& o) { json::append_optional(s, o.lat); }, [](const O& o) { return number(o.lat); }},
      {"lon", [](auto& s, const O& o) { json::append_optional(s, o.lon); }, [](const O& o) { return number(o.lon); }},
      {"temp_c", [](auto& s, const O& o) { json::append_number(s, o.temp_c); },
       [](const O& o) { return number(o.temp_c); }},
      {"feels_like_c", [](auto& s, const O& o) { json::append_optional(s, o.feels_like_c); },
       [](const O& o) { return number(o.feels_like_c); }},
      {"temp_min_c", [](auto& s, const O& o) { json::append_optional(s, o.temp_min_c); },
       [](const O& o) { return number(o.temp_min_c); }},
      {"temp_max_c", [](auto& s, const O& o) { json::append_optional(s, o.temp_max_c); },
       [](const O& o) { return number(o.temp_max_c); }},
      {"pressure_hpa", [](auto& s, const O& o) { json::append_optional(s, o.pressure_hpa); },
       [](const O& o) { return number(o.pressure_hpa); }},
      {"sea_level_hpa", [](auto& s, const O& o) { json::append_optional(s, o.sea_level_hpa); }, {}},
      {"grnd_level_hpa", [](auto& s, const O& o) { json::append_optional(s, o.grnd_level_hpa); }, {}},
      {"humidity_pct", [](auto& s, const O& o) { json::append_optional(s, o.humidity_pct); },
       [](const O& o) { return number(o.humidity_pct); }},
      {"wind_speed_ms", [](auto& s, const O& o) { json::append_optional(s, o.wind_speed_ms); },
       [](const O& o) { return number(o.wind_speed_ms); }},
      {"wind_deg", [](auto& s, const O& o) { json::append_optional(s, o.wind_deg); },
       [](const O& o) { return number(o.wind_deg); }},
      {"wind_gust_ms", [](auto& s, const O& o) { json::append_optional(s, o.wind_gust_ms); },
       [](const O& o) { return number(o.wind_gust_ms); }},
      {"clouds_pct", [](auto& s, const O& o) { json::append_optional(s, o.clouds_pct); },
       [](const O& o) { return number(o.clouds_pct); }},
      {"visibility_m", [](auto& s, const O& o) { json::append_optional(s, o.visibility_m); },
       [](const O& o) { return number(o.visibility_m); }},
      {"rain_1h_mm", [](auto& s, const O& o) { json::append_optional(s, o.rain_1h_mm); },
       [](const O& o) { return number(o.rain_1h_mm); }},
      {"rain_3h_mm", [](auto& s, const O& o) { json::append_optional(s, o.rain_3h_mm); }, {}},
      {"snow_1h_mm", [](auto& s, const O& o) { json::append_optional(s, o.snow_1h_mm); },
       [](const O& o) { return number(o.snow_1h_mm); }},
      {"snow_3h_mm", [](auto& s, const O& o) { json::append_optional(s, o.snow_3h_mm); }, {}},
      {"condition_id", [](auto& s, const O& o) { json::append_optional(s, widen(o.condition_id)); }, {}},
      {"condition", [](auto& s, const O& o) { json::append_optional(s, o.condition); },
       [](const O& o) { return o.condition.value_or(""); }},
      {"description", [](auto& s, const O& o) { json::append_optional(s, o.description); },
       [](const O& o) { return o.description.value_or(""); }},
      {"icon", [](auto& s, const O& o) { json::append_optional(s, o.icon); }, {}},
      {"timezone_s", [](auto& s, const O& o) { json::append_optional(s, widen(o.timezone_s)); }, {}},
      {"sunrise", [](auto& s, const O& o) { optional_time(s, o.sunrise); }, {}},
      {"sunset", [](auto& s, const O& o) { optional_time(s, o.sunset); }, {}},
      {"ingested_at_ms", [](auto& s, const O& o) { json::append_number(s, o.ingested_at_ms); }, {}},
      {"source", [](auto& s, const O& o) { json::append_string(s, o.source); }, {}},
  };
  return kFields;
}

}  // namespace

Result<Format> parse_format(std::string_view text) {
  if (text == "table") return Format::table;
  if (text == "csv") return Format::csv;
  if (text == "json") return Format::json;
  return make_error(Errc::invalid_argument, fmt::format("--format: expected table, csv or json, got '{}'", text));
}

void append_observation_json(std::string& out, const Observation& o) {
  out += '{';
  bool first = true;
  for (const auto& field : fields()) {
    if (!first) out += ',';
    first = false;
    json::append_string(out, field.name);
    out += ':';
    field.json(out, o);
  }
  out += '}';
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], display_width(row[i]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - display_width(row[i]), ' ');
    }
    out += line + '\n';
  }
  return out;
}

std::string render_observations(std::span<const Observation> rows, Format format) {
  std::string out;
  switch (format) {
    case Format::json:
      out += '[';
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i > 0) out += ",\n ";
        append_observation_json(out, rows[i]);
      }
      out += "]\n";
      return out;
    case Format::csv:
      out = store::csv_header() + "\r\n";
      for (const auto& row : rows) out += store::csv_row(row) + "\r\n";
      return out;
    case Format::table: {
      std::vector<std::vector<std::string>> table(1);
      for (const auto& field : fields()) {
        if (field.table) table[0].emplace_back(field.name);
      }
      for (const auto& row : rows) {
        auto& cells = table.emplace_back();
        for (const auto& field : fields()) {
          if (field.table) cells.push_back(field.table(row));
        }
      }
      return render_table(table);
    }
  }
  return out;
}

std::string render_dead_letters(std::span<const store::DeadLetter> rows, Format format) {
  std::string out;
  if (format == Format::json) {
    out += '[';
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& d = rows[i];
      if (i > 0) out += ",\n ";
      out += "{\"topic\":";
      json::append_string(out, d.topic);
      out += fmt::format(",\"partition\":{},\"offset\":{},\"reason\":", d.partition, d.offset);
      json::append_string(out, d.reason);
      out += ",\"received_at\":";
      json::append_string(out, format_iso8601(d.received_at_ms / 1000));
      out += ",\"payload\":";
      json::append_string(out, d.payload);
      out += '}';
    }
    out += "]\n";
    return out;
  }
  std::vector<std::vector<std::string>> table{{"topic", "partition", "offset", "received_at", "reason", "payload"}};
  for (const auto& d : rows) {
    std::string excerpt = d.payload.substr(0, 60);
    std::replace_if(excerpt.begin(), excerpt.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    table.push_back({d.topic, std::to_string(d.partition), std::to_string(d.offset),
                     format_iso8601(d.received_at_ms / 1000), d.reason, excerpt});
  }
  if (format == Format::table) return render_table(table);
  for (const auto& row : table) out += store::csv_line(row) + "\r\n";
  return out;
}

std::string render_stats(const store::Stats& s, Format format) {
  const auto time = [](const std::optional<std::int64_t>& t) { return t ? format_iso8601(*t) : std::string(); };
  if (format == Format::json) {
    std::string out = fmt::format("{{\"observations\":{},\"cities\":{},\"dead_letters\":{},\"windows\":{},"
                                  "\"late_records\":{},\"alerts\":{},\"oldest_observed_at\":",
                                  s.observations, s.cities, s.dead_letters, s.windows, s.late_records, s.alerts);
    optional_time(out, s.oldest_observed_at);
    out += ",\"newest_observed_at\":";
    optional_time(out, s.newest_observed_at);
    out += "}\n";
    return out;
  }
  std::vector<std::vector<std::string>> table{
      {"observations", "cities", "dead_letters", "windows", "late_records", "alerts", "oldest_observed_at",
       "newest_observed_at"},
      {std::to_string(s.observations), std::to_string(s.cities), std::to_string(s.dead_letters),
       std::to_string(s.windows), std::to_string(s.late_records), std::to_string(s.alerts),
       time(s.oldest_observed_at), time(s.newest_observed_at)}};
  if (format == Format::table) return render_table(table);
  return store::csv_line(table[0]) + "\r\n" + store::csv_line(table[1]) + "\r\n";
}

}  // namespace squall::cli
