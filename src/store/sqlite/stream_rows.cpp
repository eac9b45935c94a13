#include "store/sqlite/stream_rows.hpp"

namespace squall::store::sqlite_rows {

namespace {
constexpr const char* kWindowColumns =
    "city_id, window_size, window_start, window_end, count, temp_min_c, temp_max_c, temp_avg_c, wind_max_ms, "
    "wind_avg_ms, gust_max_ms, humidity_avg_pct, pressure_avg_hpa, rain_mm, snow_mm, final, version";
}  // namespace

const std::string kUpsertWindowSql =
    std::string("INSERT INTO window_aggregates (") + kWindowColumns +
    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (city_id, window_size, window_start) DO UPDATE SET window_end = excluded.window_end, "
    "count = excluded.count, temp_min_c = excluded.temp_min_c, temp_max_c = excluded.temp_max_c, "
    "temp_avg_c = excluded.temp_avg_c, wind_max_ms = excluded.wind_max_ms, wind_avg_ms = excluded.wind_avg_ms, "
    "gust_max_ms = excluded.gust_max_ms, humidity_avg_pct = excluded.humidity_avg_pct, "
    "pressure_avg_hpa = excluded.pressure_avg_hpa, rain_mm = excluded.rain_mm, snow_mm = excluded.snow_mm, "
    "final = excluded.final, version = excluded.version WHERE excluded.version >= window_aggregates.version";

const std::string kSelectWindowsSql =
    std::string("SELECT ") + kWindowColumns +
    " FROM window_aggregates WHERE (?1 IS NULL OR city_id = ?1) AND (?2 IS NULL OR window_size = ?2) "
    "ORDER BY window_start DESC, city_id, window_end LIMIT ?3";

const std::string kInsertLateSql =
    "INSERT INTO late_records (topic, partition, offset, city_id, observed_at, watermark) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (topic, partition, offset) DO NOTHING";

const std::string kUpsertAlertSql =
    "INSERT INTO alerts (city_id, observed_at, rule, raised, value, condition) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (city_id, observed_at, rule) DO UPDATE SET raised = excluded.raised, value = excluded.value, "
    "condition = excluded.condition";

const std::string kSelectAlertsSql =
    "SELECT city_id, observed_at, rule, raised, value, condition FROM alerts WHERE (?1 IS NULL OR city_id = ?1) "
    "ORDER BY observed_at DESC, city_id, rule LIMIT ?2";

const std::string kUpsertCheckpointSql =
    "INSERT INTO checkpoints (group_id, topic, partition, next_offset, state) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (group_id, topic, partition) DO UPDATE SET next_offset = excluded.next_offset, "
    "state = excluded.state WHERE excluded.next_offset >= checkpoints.next_offset";

const std::string kSelectCheckpointSql =
    "SELECT group_id, topic, partition, next_offset, state FROM checkpoints "
    "WHERE group_id = ?1 AND topic = ?2 AND partition = ?3";

void bind_window(sqlite::Statement& s, const WindowRow& w) {
  s.bind(1, w.city_id).bind(2, w.window).bind(3, w.window_start).bind(4, w.window_end).bind(5, w.count);
  s.bind(6, w.temp_min_c).bind(7, w.temp_max_c).bind(8, w.temp_avg_c).bind(9, w.wind_max_ms);
  s.bind(10, w.wind_avg_ms).bind(11, w.gust_max_ms).bind(12, w.humidity_avg_pct).bind(13, w.pressure_avg_hpa);
  s.bind(14, w.rain_mm).bind(15, w.snow_mm).bind(16, std::int64_t{w.final ? 1 : 0}).bind(17, w.version);
}

WindowRow read_window(const sqlite::Statement& s) {
  WindowRow w;
  w.city_id = s.int64(0);
  w.window = s.text(1);
  w.window_start = s.int64(2);
  w.window_end = s.int64(3);
  w.count = s.int64(4);
  w.temp_min_c = s.real(5);
  w.temp_max_c = s.real(6);
  w.temp_avg_c = s.real(7);
  w.wind_max_ms = s.optional_real(8);
  w.wind_avg_ms = s.optional_real(9);
  w.gust_max_ms = s.optional_real(10);
  w.humidity_avg_pct = s.optional_real(11);
  w.pressure_avg_hpa = s.optional_real(12);
  w.rain_mm = s.optional_real(13);
  w.snow_mm = s.optional_real(14);
  w.final = s.int64(15) != 0;
  w.version = s.int64(16);
  return w;
}

void bind_late(sqlite::Statement& s, const LateRecord& late) {
  s.bind(1, late.topic).bind(2, late.partition).bind(3, late.offset).bind(4, late.city_id);
  s.bind(5, late.observed_at).bind(6, late.watermark);
}

void bind_alert(sqlite::Statement& s, const AlertRow& a) {
  s.bind(1, a.city_id).bind(2, a.observed_at).bind(3, a.rule).bind(4, std::int64_t{a.raised ? 1 : 0});
  s.bind(5, a.value).bind(6, a.condition);
}

AlertRow read_alert(const sqlite::Statement& s) {
  return AlertRow{s.int64(0), s.int64(1), s.text(2), s.int64(3) != 0, s.real(4), s.text(5)};
}

void bind_checkpoint(sqlite::Statement& s, const Checkpoint& c) {
  s.bind(1, c.group).bind(2, c.topic).bind(3, c.partition).bind(4, c.next_offset).bind_blob(5, c.state);
}

Checkpoint read_checkpoint(const sqlite::Statement& s) {
  return Checkpoint{s.text(0), s.text(1), static_cast<std::int32_t>(s.int64(2)), s.int64(3), std::string(s.blob(4))};
}

}  // namespace squall::store::sqlite_rows
