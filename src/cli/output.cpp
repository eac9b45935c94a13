#include "cli/output.hpp"

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "core/json.hpp"
#include "core/time.hpp"
#include "store/csv_backup.hpp"
#include "store/row_json.hpp"

namespace squall::cli {
namespace {

std::string number(const std::optional<double>& value) {
  if (!value) return "";
  return fmt::format("{:.2f}", *value);
}

// Display width of UTF-8 text: counts code points, not bytes.
std::size_t display_width(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// The columns of the observations table (JSON and CSV carry every field).
struct Column {
  std::string_view name;
  std::function<std::string(const Observation&)> cell;
};

const std::vector<Column>& columns() {
  using O = Observation;
  static const std::vector<Column> kColumns = {
      {"city_id", [](const O& o) { return std::to_string(o.city_id); }},
      {"city", [](const O& o) { return o.city; }},
      {"country", [](const O& o) { return o.country.value_or(""); }},
      {"observed_at", [](const O& o) { return format_iso8601(o.observed_at); }},
      {"lat", [](const O& o) { return number(o.lat); }},
      {"lon", [](const O& o) { return number(o.lon); }},
      {"temp_c", [](const O& o) { return number(o.temp_c); }},
      {"feels_like_c", [](const O& o) { return number(o.feels_like_c); }},
      {"temp_min_c", [](const O& o) { return number(o.temp_min_c); }},
      {"temp_max_c", [](const O& o) { return number(o.temp_max_c); }},
      {"pressure_hpa", [](const O& o) { return number(o.pressure_hpa); }},
      {"humidity_pct", [](const O& o) { return number(o.humidity_pct); }},
      {"wind_speed_ms", [](const O& o) { return number(o.wind_speed_ms); }},
      {"wind_deg", [](const O& o) { return number(o.wind_deg); }},
      {"wind_gust_ms", [](const O& o) { return number(o.wind_gust_ms); }},
      {"clouds_pct", [](const O& o) { return number(o.clouds_pct); }},
      {"visibility_m", [](const O& o) { return number(o.visibility_m); }},
      {"rain_1h_mm", [](const O& o) { return number(o.rain_1h_mm); }},
      {"snow_1h_mm", [](const O& o) { return number(o.snow_1h_mm); }},
      {"condition", [](const O& o) { return o.condition.value_or(""); }},
      {"description", [](const O& o) { return o.description.value_or(""); }},
  };
  return kColumns;
}

std::string csv_lines(const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const auto& row : rows) out += store::csv_line(row) + "\r\n";
  return out;
}

std::string broker_list(const std::vector<std::int32_t>& brokers) {
  std::string text;
  for (std::int32_t broker : brokers) text += (text.empty() ? "" : ",") + std::to_string(broker);
  return text;
}

std::string topic_json(const log::TopicDescription& topic) {
  std::string out = "{\"topic\":";
  json::append_string(out, topic.name);
  out += fmt::format(",\"replication_factor\":{},\"partitions\":[", topic.replication_factor);
  for (std::size_t i = 0; i < topic.partitions.size(); ++i) {
    const auto& p = topic.partitions[i];
    out += fmt::format("{}{{\"partition\":{},\"leader\":{},\"replicas\":[{}],\"in_sync_replicas\":[{}],"
                       "\"earliest_offset\":{},\"end_offset\":{},\"records\":{}}}",
                       i > 0 ? "," : "", p.partition, p.leader, broker_list(p.replicas),
                       broker_list(p.in_sync_replicas), p.earliest_offset, p.end_offset,
                       p.end_offset - p.earliest_offset);
  }
  return out + "]}\n";
}

// One row per partition after the header; CSV adds the topic's name to each
// row because it has no title line to carry it.
std::vector<std::vector<std::string>> partition_rows(const log::TopicDescription& topic, bool with_topic) {
  std::vector<std::vector<std::string>> rows{
      {"partition", "leader", "replicas", "in_sync", "earliest_offset", "end_offset", "records"}};
  for (const auto& p : topic.partitions) {
    rows.push_back({std::to_string(p.partition), std::to_string(p.leader), broker_list(p.replicas),
                    broker_list(p.in_sync_replicas), std::to_string(p.earliest_offset), std::to_string(p.end_offset),
                    std::to_string(p.end_offset - p.earliest_offset)});
  }
  if (with_topic) {
    rows[0].insert(rows[0].begin(), "topic");
    for (std::size_t i = 1; i < rows.size(); ++i) rows[i].insert(rows[i].begin(), topic.name);
  }
  return rows;
}

}  // namespace

Result<Format> parse_format(std::string_view text) {
  if (text == "table") return Format::table;
  if (text == "csv") return Format::csv;
  if (text == "json") return Format::json;
  return make_error(Errc::invalid_argument, fmt::format("--format: expected table, csv or json, got '{}'", text));
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
      return store::json_array(rows);
    case Format::csv:
      out = store::csv_header() + "\r\n";
      for (const auto& row : rows) out += store::csv_row(row) + "\r\n";
      return out;
    case Format::table: {
      std::vector<std::vector<std::string>> table(1);
      for (const auto& column : columns()) table[0].emplace_back(column.name);
      for (const auto& row : rows) {
        auto& cells = table.emplace_back();
        for (const auto& column : columns()) cells.push_back(column.cell(row));
      }
      return render_table(table);
    }
  }
  return out;
}

std::string render_dead_letters(std::span<const store::DeadLetter> rows, Format format) {
  if (format == Format::json) return store::json_array(rows);
  std::vector<std::vector<std::string>> table{{"topic", "partition", "offset", "received_at", "reason", "payload"}};
  for (const auto& d : rows) {
    std::string excerpt = d.payload.substr(0, 60);
    std::replace_if(excerpt.begin(), excerpt.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    table.push_back({d.topic, std::to_string(d.partition), std::to_string(d.offset),
                     format_iso8601(d.received_at_ms / 1000), d.reason, excerpt});
  }
  return format == Format::table ? render_table(table) : csv_lines(table);
}

std::string render_stats(const store::Stats& s, Format format) {
  const auto time = [](const std::optional<std::int64_t>& t) { return t ? format_iso8601(*t) : std::string(); };
  if (format == Format::json) {
    std::string out;
    store::append_json(out, s);
    return out + "\n";
  }
  std::vector<std::vector<std::string>> table{
      {"observations", "cities", "dead_letters", "windows", "late_records", "alerts", "oldest_observed_at",
       "newest_observed_at"},
      {std::to_string(s.observations), std::to_string(s.cities), std::to_string(s.dead_letters),
       std::to_string(s.windows), std::to_string(s.late_records), std::to_string(s.alerts),
       time(s.oldest_observed_at), time(s.newest_observed_at)}};
  return format == Format::table ? render_table(table) : csv_lines(table);
}

std::string render_topics(std::span<const log::TopicInfo> topics, Format format) {
  if (format == Format::json) {
    std::string out = "[";
    for (std::size_t i = 0; i < topics.size(); ++i) {
      out += i > 0 ? ",\n {\"topic\":" : "{\"topic\":";
      json::append_string(out, topics[i].name);
      out += fmt::format(",\"partitions\":{}}}", topics[i].partitions);
    }
    return out + "]\n";
  }
  std::vector<std::vector<std::string>> table{{"topic", "partitions"}};
  for (const auto& topic : topics) table.push_back({topic.name, std::to_string(topic.partitions)});
  return format == Format::table ? render_table(table) : csv_lines(table);
}

std::string render_topic(const log::TopicDescription& topic, Format format) {
  switch (format) {
    case Format::json:
      return topic_json(topic);
    case Format::csv:
      return csv_lines(partition_rows(topic, true));
    case Format::table:
      return fmt::format("topic {}  partitions {}  replication factor {}\n", topic.name, topic.partitions.size(),
                         topic.replication_factor) +
             render_table(partition_rows(topic, false));
  }
  return {};
}

}  // namespace squall::cli
