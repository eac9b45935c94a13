#include "store/row_json.hpp"

#include <fmt/format.h>

#include "core/json.hpp"
#include "core/time.hpp"

namespace squall::store {
namespace {

// Appends `"name":` after a comma unless it opens the object.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  std::string& key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    json::append_string(out_, name);
    out_ += ':';
    return out_;
  }
  void number(std::string_view name, double value) { json::append_number(key(name), value); }
  void integer(std::string_view name, std::int64_t value) { json::append_number(key(name), value); }
  void text(std::string_view name, std::string_view value) { json::append_string(key(name), value); }
  void time(std::string_view name, std::int64_t unix_s) { text(name, format_iso8601(unix_s)); }
  void boolean(std::string_view name, bool value) { key(name) += value ? "true" : "false"; }
  template <class T>
  void optional(std::string_view name, const std::optional<T>& value) {
    json::append_optional(key(name), value);
  }
  void optional(std::string_view name, const std::optional<std::int32_t>& value) {
    if (value) integer(name, *value);
    else key(name) += "null";
  }
  void optional_time(std::string_view name, const std::optional<std::int64_t>& unix_s) {
    if (unix_s) time(name, *unix_s);
    else key(name) += "null";
  }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

void append_json(std::string& out, const Observation& o) {
  ObjectWriter w(out);
  w.integer("city_id", o.city_id);
  w.text("city", o.city);
  w.optional("country", o.country);
  w.time("observed_at", o.observed_at);
  w.optional("lat", o.lat);
  w.optional("lon", o.lon);
  w.number("temp_c", o.temp_c);
  w.optional("feels_like_c", o.feels_like_c);
  w.optional("temp_min_c", o.temp_min_c);
  w.optional("temp_max_c", o.temp_max_c);
  w.optional("pressure_hpa", o.pressure_hpa);
  w.optional("sea_level_hpa", o.sea_level_hpa);
  w.optional("grnd_level_hpa", o.grnd_level_hpa);
  w.optional("humidity_pct", o.humidity_pct);
  w.optional("wind_speed_ms", o.wind_speed_ms);
  w.optional("wind_deg", o.wind_deg);
  w.optional("wind_gust_ms", o.wind_gust_ms);
  w.optional("clouds_pct", o.clouds_pct);
  w.optional("visibility_m", o.visibility_m);
  w.optional("rain_1h_mm", o.rain_1h_mm);
  w.optional("rain_3h_mm", o.rain_3h_mm);
  w.optional("snow_1h_mm", o.snow_1h_mm);
  w.optional("snow_3h_mm", o.snow_3h_mm);
  w.optional("condition_id", o.condition_id);
  w.optional("condition", o.condition);
  w.optional("description", o.description);
  w.optional("icon", o.icon);
  w.optional("timezone_s", o.timezone_s);
  w.optional_time("sunrise", o.sunrise);
  w.optional_time("sunset", o.sunset);
  w.integer("ingested_at_ms", o.ingested_at_ms);
  w.text("source", o.source);
}

void append_json(std::string& out, const WindowRow& row) {
  ObjectWriter w(out);
  w.integer("city_id", row.city_id);
  w.text("window", row.window);
  w.time("window_start", row.window_start);
  w.time("window_end", row.window_end);
  w.integer("count", row.count);
  w.number("temp_min_c", row.temp_min_c);
  w.number("temp_avg_c", row.temp_avg_c);
  w.number("temp_max_c", row.temp_max_c);
  w.optional("wind_max_ms", row.wind_max_ms);
  w.optional("wind_avg_ms", row.wind_avg_ms);
  w.optional("gust_max_ms", row.gust_max_ms);
  w.optional("humidity_avg_pct", row.humidity_avg_pct);
  w.optional("pressure_avg_hpa", row.pressure_avg_hpa);
  w.optional("rain_mm", row.rain_mm);
  w.optional("snow_mm", row.snow_mm);
  w.boolean("final", row.final);
}

void append_json(std::string& out, const AlertRow& row) {
  ObjectWriter w(out);
  w.integer("city_id", row.city_id);
  w.time("observed_at", row.observed_at);
  w.text("rule", row.rule);
  w.text("state", row.raised ? "raised" : "cleared");
  w.number("value", row.value);
  w.text("condition", row.condition);
}

void append_json(std::string& out, const DeadLetter& row) {
  ObjectWriter w(out);
  w.text("topic", row.topic);
  w.integer("partition", row.partition);
  w.integer("offset", row.offset);
  w.text("reason", row.reason);
  w.time("received_at", row.received_at_ms / 1000);
  w.text("payload", row.payload);
}

void append_json(std::string& out, const Stats& s) {
  ObjectWriter w(out);
  w.integer("observations", s.observations);
  w.integer("cities", s.cities);
  w.integer("dead_letters", s.dead_letters);
  w.integer("windows", s.windows);
  w.integer("late_records", s.late_records);
  w.integer("alerts", s.alerts);
  w.optional_time("oldest_observed_at", s.oldest_observed_at);
  w.optional_time("newest_observed_at", s.newest_observed_at);
}

}  // namespace squall::store
