#include "store/cassandra/stream_tables.hpp"

#include <variant>

namespace squall::store::cassandra_stream {
namespace {

constexpr const char* kWindowColumns =
    "city_id, window_size, window_start, window_end, count, temp_min_c, temp_max_c, temp_avg_c, wind_max_ms, "
    "wind_avg_ms, gust_max_ms, humidity_avg_pct, pressure_avg_hpa, rain_mm, snow_mm, final, version";

cql::Value optional_double(const std::optional<double>& value) {
  if (!value) return cql::Null{};
  return *value;
}

Error bad_row(const char* table, const char* column) {
  return make_error(Errc::parse, std::string("cassandra store: a ") + table + " row whose " + column +
                                     " is missing or of the wrong type");
}

template <class T>
const T* cell(const cql::Row& row, std::size_t index) {
  return index < row.size() ? std::get_if<T>(&row[index]) : nullptr;
}

std::optional<double> read_optional_double(const cql::Row& row, std::size_t index) {
  if (const auto* value = cell<double>(row, index)) return *value;
  return std::nullopt;
}

}  // namespace

std::vector<TableSpec> tables() {
  return {
      TableSpec{"window_aggregates",
                {{"city_id", "bigint"},
                 {"window_size", "text"},
                 {"window_start", "timestamp"},
                 {"window_end", "timestamp"},
                 {"count", "bigint"},
                 {"temp_min_c", "double"},
                 {"temp_max_c", "double"},
                 {"temp_avg_c", "double"},
                 {"wind_max_ms", "double"},
                 {"wind_avg_ms", "double"},
                 {"gust_max_ms", "double"},
                 {"humidity_avg_pct", "double"},
                 {"pressure_avg_hpa", "double"},
                 {"rain_mm", "double"},
                 {"snow_mm", "double"},
                 {"final", "boolean"},
                 {"version", "bigint"}},
                "PRIMARY KEY ((city_id, window_size), window_start)) WITH CLUSTERING ORDER BY (window_start DESC)"},
      TableSpec{"late_records",
                {{"topic", "text"},
                 {"partition", "int"},
                 {"offset", "bigint"},
                 {"city_id", "bigint"},
                 {"observed_at", "timestamp"},
                 {"watermark", "timestamp"}},
                "PRIMARY KEY ((topic, partition), offset))"},
      TableSpec{"alerts",
                {{"city_id", "bigint"},
                 {"day", "int"},
                 {"observed_at", "timestamp"},
                 {"rule", "text"},
                 {"raised", "boolean"},
                 {"value", "double"},
                 {"condition", "text"}},
                "PRIMARY KEY ((city_id, day), observed_at, rule)) WITH CLUSTERING ORDER BY (observed_at DESC, rule ASC)"},
      TableSpec{"checkpoints",
                {{"group_id", "text"},
                 {"topic", "text"},
                 {"partition", "int"},
                 {"next_offset", "bigint"},
                 {"state", "blob"}},
                "PRIMARY KEY ((group_id, topic, partition)))"},
  };
}

Result<Statements> prepare(cql::Session& session, const std::string& keyspace) {
  const std::string ks = keyspace + ".";
  Statements s;
  auto one = [&](const std::string& cql, cql::Prepared& out) -> Result<void> {
    auto prepared = session.prepare(cql);
    if (!prepared) return prepared.error();
    out = std::move(prepared).value();
    return {};
  };
  SQUALL_TRY(one("INSERT INTO " + ks + "window_aggregates (" + kWindowColumns +
                     ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?",
                 s.upsert_window));
  SQUALL_TRY(one("INSERT INTO " + ks +
                     "late_records (topic, partition, offset, city_id, observed_at, watermark) VALUES (?, ?, ?, ?, ?, ?)",
                 s.insert_late));
  SQUALL_TRY(one("INSERT INTO " + ks +
                     "checkpoints (group_id, topic, partition, next_offset, state) VALUES (?, ?, ?, ?, ?) "
                     "USING TIMESTAMP ?",
                 s.upsert_checkpoint));
  SQUALL_TRY(one(std::string("SELECT ") + kWindowColumns + " FROM " + ks + "window_aggregates", s.all_windows));
  SQUALL_TRY(one("SELECT group_id, topic, partition, next_offset, state FROM " + ks +
                     "checkpoints WHERE group_id = ? AND topic = ? AND partition = ?",
                 s.checkpoint_of));
  SQUALL_TRY(one("SELECT count(*) FROM " + ks + "window_aggregates", s.count_windows));
  SQUALL_TRY(one("SELECT count(*) FROM " + ks + "late_records", s.count_late));
  SQUALL_TRY(one("INSERT INTO " + ks +
                     "alerts (city_id, day, observed_at, rule, raised, value, condition) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 s.upsert_alert));
  SQUALL_TRY(one("SELECT city_id, observed_at, rule, raised, value, condition FROM " + ks + "alerts", s.all_alerts));
  SQUALL_TRY(one("SELECT count(*) FROM " + ks + "alerts", s.count_alerts));
  return s;
}

std::vector<cql::Value> window_values(const WindowRow& w) {
  return {w.city_id,
          w.window,
          cassandra_columns::timestamp_of_seconds(w.window_start),
          cassandra_columns::timestamp_of_seconds(w.window_end),
          w.count,
          w.temp_min_c,
          w.temp_max_c,
          w.temp_avg_c,
          optional_double(w.wind_max_ms),
          optional_double(w.wind_avg_ms),
          optional_double(w.gust_max_ms),
          optional_double(w.humidity_avg_pct),
          optional_double(w.pressure_avg_hpa),
          optional_double(w.rain_mm),
          optional_double(w.snow_mm),
          w.final,
          w.version,
          w.version};
}

std::vector<cql::Value> late_values(const LateRecord& late) {
  return {late.topic,
          late.partition,
          late.offset,
          late.city_id,
          cassandra_columns::timestamp_of_seconds(late.observed_at),
          cassandra_columns::timestamp_of_seconds(late.watermark)};
}

std::vector<cql::Value> checkpoint_values(const Checkpoint& c) {
  return {c.group, c.topic, c.partition, c.next_offset, cql::RawValue{cql::TypeId::blob, c.state}, c.next_offset};
}

std::vector<cql::Value> alert_values(const AlertRow& a) {
  return {a.city_id,  cassandra_columns::day_of(a.observed_at), cassandra_columns::timestamp_of_seconds(a.observed_at),
          a.rule,     a.raised,
          a.value,    a.condition};
}

Result<AlertRow> alert_of(const cql::Row& row) {
  const auto* city = cell<std::int64_t>(row, 0);
  const auto* at = cell<cql::Timestamp>(row, 1);
  const auto* rule = cell<std::string>(row, 2);
  const auto* raised = cell<bool>(row, 3);
  const auto* value = cell<double>(row, 4);
  const auto* condition = cell<std::string>(row, 5);
  if (city == nullptr || at == nullptr || rule == nullptr || raised == nullptr || value == nullptr ||
      condition == nullptr) {
    return bad_row("alerts", "key, kind, value or condition");
  }
  return AlertRow{*city, at->millis_since_epoch / 1000, *rule, *raised, *value, *condition};
}

Result<WindowRow> window_of(const cql::Row& row) {
  WindowRow w;
  const auto* city = cell<std::int64_t>(row, 0);
  const auto* size = cell<std::string>(row, 1);
  const auto* start = cell<cql::Timestamp>(row, 2);
  const auto* end = cell<cql::Timestamp>(row, 3);
  const auto* count = cell<std::int64_t>(row, 4);
  const auto* temp_min = cell<double>(row, 5);
  const auto* temp_max = cell<double>(row, 6);
  const auto* temp_avg = cell<double>(row, 7);
  if (city == nullptr || size == nullptr || start == nullptr || end == nullptr) {
    return bad_row("window_aggregates", "key");
  }
  if (count == nullptr || temp_min == nullptr || temp_max == nullptr || temp_avg == nullptr) {
    return bad_row("window_aggregates", "count or temperature");
  }
  w.city_id = *city;
  w.window = *size;
  w.window_start = start->millis_since_epoch / 1000;
  w.window_end = end->millis_since_epoch / 1000;
  w.count = *count;
  w.temp_min_c = *temp_min;
  w.temp_max_c = *temp_max;
  w.temp_avg_c = *temp_avg;
  w.wind_max_ms = read_optional_double(row, 8);
  w.wind_avg_ms = read_optional_double(row, 9);
  w.gust_max_ms = read_optional_double(row, 10);
  w.humidity_avg_pct = read_optional_double(row, 11);
  w.pressure_avg_hpa = read_optional_double(row, 12);
  w.rain_mm = read_optional_double(row, 13);
  w.snow_mm = read_optional_double(row, 14);
  if (const auto* final = cell<bool>(row, 15)) w.final = *final;
  if (const auto* version = cell<std::int64_t>(row, 16)) w.version = *version;
  return w;
}

Result<Checkpoint> checkpoint_of(const cql::Row& row) {
  const auto* group = cell<std::string>(row, 0);
  const auto* topic = cell<std::string>(row, 1);
  const auto* partition = cell<std::int32_t>(row, 2);
  const auto* next = cell<std::int64_t>(row, 3);
  const auto* state = cell<cql::RawValue>(row, 4);
  if (group == nullptr || topic == nullptr || partition == nullptr || next == nullptr || state == nullptr) {
    return bad_row("checkpoints", "key, position or state");
  }
  return Checkpoint{*group, *topic, *partition, *next, state->bytes};
}

}  // namespace squall::store::cassandra_stream
