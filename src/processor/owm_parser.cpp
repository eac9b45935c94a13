#include "processor/owm_parser.hpp"

#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <simdjson.h>

namespace squall::processor {
namespace {

namespace od = simdjson::ondemand;

// Anything larger is not a current-weather response (real ones are ~500 bytes).
constexpr std::size_t kMaxMessageBytes = 1 << 20;
constexpr double kKelvinOffset = 273.15;
constexpr double kMetresPerSecondPerMph = 0.44704;

Error failure(std::string message) { return make_error(Errc::parse, std::move(message)); }

std::string_view type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "array";
    case od::json_type::object: return "object";
    case od::json_type::number: return "number";
    case od::json_type::string: return "string";
    case od::json_type::boolean: return "boolean";
    case od::json_type::null: return "null";
  }
  return "unknown";
}

Error malformed(simdjson::error_code code, std::string_view path) {
  if (code == simdjson::UTF8_ERROR) return failure("invalid UTF-8 in the message");
  if (path.empty()) return failure(fmt::format("invalid JSON: {}", simdjson::error_message(code)));
  return failure(fmt::format("field {}: invalid JSON: {}", path, simdjson::error_message(code)));
}

Error wrong_type(std::string_view path, std::string_view expected, od::value& value) {
  od::json_type type{};
  if (value.type().get(type) != simdjson::SUCCESS) return failure(fmt::format("field {}: invalid JSON", path));
  return failure(fmt::format("field {}: expected {}, got {}", path, expected, type_name(type)));
}

// Reads a number (integer or decimal). JSON null counts as absent.
Result<void> read_number(od::value value, std::string_view path, std::optional<double>& out) {
  od::json_type type{};
  if (auto error = value.type().get(type)) return malformed(error, path);
  if (type == od::json_type::null) {
    out.reset();
    return {};
  }
  if (type != od::json_type::number) return wrong_type(path, "a number", value);
  double number = 0;
  if (auto error = value.get_double().get(number)) {
    return failure(fmt::format("field {}: not a representable number ({})", path, simdjson::error_message(error)));
  }
  if (!std::isfinite(number)) return failure(fmt::format("field {}: number out of range", path));
  out = number;
  return {};
}

// Reads a whole number; decimals are rejected because these fields (ids,
// Unix times, offsets) are integral by definition.
Result<void> read_integer(od::value value, std::string_view path, std::optional<std::int64_t>& out) {
  od::json_type type{};
  if (auto error = value.type().get(type)) return malformed(error, path);
  if (type == od::json_type::null) {
    out.reset();
    return {};
  }
  if (type != od::json_type::number) return wrong_type(path, "an integer", value);
  std::int64_t number = 0;
  if (auto error = value.get_int64().get(number)) {
    if (error == simdjson::INCORRECT_TYPE) return failure(fmt::format("field {}: expected an integer, got a decimal", path));
    return failure(fmt::format("field {}: integer out of range", path));
  }
  out = number;
  return {};
}

Result<void> read_string(od::value value, std::string_view path, std::optional<std::string>& out) {
  od::json_type type{};
  if (auto error = value.type().get(type)) return malformed(error, path);
  if (type == od::json_type::null) {
    out.reset();
    return {};
  }
  if (type != od::json_type::string) return wrong_type(path, "a string", value);
  std::string_view text;
  if (auto error = value.get_string().get(text)) return malformed(error, path);
  out.emplace(text);
  return {};
}

// Remembers which known keys an object had, to reject duplicates: with two
// "temp" keys it is unknowable which one the sender meant.
class SeenKeys {
 public:
  bool first(unsigned bit) {
    const std::uint64_t mask = std::uint64_t{1} << bit;
    const bool fresh = (seen_ & mask) == 0;
    seen_ |= mask;
    return fresh;
  }

 private:
  std::uint64_t seen_ = 0;
};

// Iterates an object's fields, calling `on_field(key, value)` for each.
template <class OnField>
Result<void> for_each_field(od::value value, std::string_view path, OnField&& on_field) {
  od::object object;
  od::json_type type{};
  if (auto error = value.type().get(type)) return malformed(error, path);
  if (type == od::json_type::null) return {};
  if (type != od::json_type::object) return wrong_type(path, "an object", value);
  if (auto error = value.get_object().get(object)) return malformed(error, path);
  for (auto field : object) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return malformed(error, path);
    od::value child;
    if (auto error = field.value().get(child)) return malformed(error, path);
    SQUALL_TRY(on_field(key, child));
  }
  return {};
}

Error duplicate(std::string_view path) { return failure(fmt::format("duplicate field {}", path)); }

struct Fields {
  std::optional<std::int64_t> id;
  std::optional<std::int64_t> dt;
  std::optional<double> temp;
  std::optional<std::int64_t> timezone;
  std::optional<std::int64_t> sunrise;
  std::optional<std::int64_t> sunset;
  std::optional<std::string> name;
  std::optional<std::string> cod_text;
  std::optional<std::string> message;
};

Result<void> read_coord(od::value value, Observation& out) {
  SeenKeys seen;
  return for_each_field(value, "coord", [&](std::string_view key, od::value v) -> Result<void> {
    if (key == "lon") return seen.first(0) ? read_number(v, "coord.lon", out.lon) : duplicate("coord.lon");
    if (key == "lat") return seen.first(1) ? read_number(v, "coord.lat", out.lat) : duplicate("coord.lat");
    return {};
  });
}

Result<void> read_main(od::value value, Observation& out, Fields& fields) {
  SeenKeys seen;
  return for_each_field(value, "main", [&](std::string_view key, od::value v) -> Result<void> {
    struct Slot {
      std::string_view key;
      std::string_view path;
      std::optional<double>* target;
    };
    const Slot slots[] = {{"temp", "main.temp", &fields.temp},
                          {"feels_like", "main.feels_like", &out.feels_like_c},
                          {"temp_min", "main.temp_min", &out.temp_min_c},
                          {"temp_max", "main.temp_max", &out.temp_max_c},
                          {"pressure", "main.pressure", &out.pressure_hpa},
                          {"humidity", "main.humidity", &out.humidity_pct},
                          {"sea_level", "main.sea_level", &out.sea_level_hpa},
                          {"grnd_level", "main.grnd_level", &out.grnd_level_hpa}};
    for (unsigned i = 0; i < std::size(slots); ++i) {
      if (key != slots[i].key) continue;
      if (!seen.first(i)) return duplicate(slots[i].path);
      return read_number(v, slots[i].path, *slots[i].target);
    }
    return {};
  });
}

Result<void> read_wind(od::value value, Observation& out) {
  SeenKeys seen;
  return for_each_field(value, "wind", [&](std::string_view key, od::value v) -> Result<void> {
    if (key == "speed") return seen.first(0) ? read_number(v, "wind.speed", out.wind_speed_ms) : duplicate("wind.speed");
    if (key == "deg") return seen.first(1) ? read_number(v, "wind.deg", out.wind_deg) : duplicate("wind.deg");
    if (key == "gust") return seen.first(2) ? read_number(v, "wind.gust", out.wind_gust_ms) : duplicate("wind.gust");
    return {};
  });
}

// rain and snow: {"1h": mm, "3h": mm}
Result<void> read_precipitation(od::value value, std::string_view block, std::optional<double>& one_hour,
                                std::optional<double>& three_hours) {
  SeenKeys seen;
  return for_each_field(value, block, [&](std::string_view key, od::value v) -> Result<void> {
    if (key == "1h") {
      const std::string path = fmt::format("{}.1h", block);
      return seen.first(0) ? read_number(v, path, one_hour) : duplicate(path);
    }
    if (key == "3h") {
      const std::string path = fmt::format("{}.3h", block);
      return seen.first(1) ? read_number(v, path, three_hours) : duplicate(path);
    }
    return {};
  });
}

Result<void> read_clouds(od::value value, Observation& out) {
  SeenKeys seen;
  return for_each_field(value, "clouds", [&](std::string_view key, od::value v) -> Result<void> {
    if (key == "all") return seen.first(0) ? read_number(v, "clouds.all", out.clouds_pct) : duplicate("clouds.all");
    return {};
  });
}

Result<void> read_sys(od::value value, Observation& out, Fields& fields) {
  SeenKeys seen;
  return for_each_field(value, "sys", [&](std::string_view key, od::value v) -> Result<void> {
    if (key == "country") return seen.first(0) ? read_string(v, "sys.country", out.country) : duplicate("sys.country");
    if (key == "sunrise") return seen.first(1) ? read_integer(v, "sys.sunrise", fields.sunrise) : duplicate("sys.sunrise");
    if (key == "sunset") return seen.first(2) ? read_integer(v, "sys.sunset", fields.sunset) : duplicate("sys.sunset");
    return {};
  });
}

// weather: [{id, main, description, icon}, ...]. The first entry is the
// primary condition; every description is kept, in order.
Result<void> read_weather(od::value value, Observation& out) {
  od::json_type type{};
  if (auto error = value.type().get(type)) return malformed(error, "weather");
  if (type == od::json_type::null) return {};
  if (type != od::json_type::array) return wrong_type("weather", "an array", value);
  od::array conditions;
  if (auto error = value.get_array().get(conditions)) return malformed(error, "weather");
  std::size_t index = 0;
  std::string descriptions;
  for (auto element : conditions) {
    od::value condition;
    const std::string path = fmt::format("weather[{}]", index);
    if (auto error = element.get(condition)) return malformed(error, path);
    std::optional<std::int64_t> id;
    std::optional<std::string> main;
    std::optional<std::string> description;
    std::optional<std::string> icon;
    SeenKeys seen;
    SQUALL_TRY(for_each_field(condition, path, [&](std::string_view key, od::value v) -> Result<void> {
      if (key == "id") return seen.first(0) ? read_integer(v, path + ".id", id) : duplicate(path + ".id");
      if (key == "main") return seen.first(1) ? read_string(v, path + ".main", main) : duplicate(path + ".main");
      if (key == "description") {
        return seen.first(2) ? read_string(v, path + ".description", description) : duplicate(path + ".description");
      }
      if (key == "icon") return seen.first(3) ? read_string(v, path + ".icon", icon) : duplicate(path + ".icon");
      return {};
    }));
    if (index == 0) {
      if (id && (*id < INT32_MIN || *id > INT32_MAX)) return failure(path + ".id: out of range");
      if (id) out.condition_id = static_cast<std::int32_t>(*id);
      out.condition = std::move(main);
      out.icon = std::move(icon);
    }
    if (description && !description->empty()) {
      if (!descriptions.empty()) descriptions += ", ";
      descriptions += *description;
    }
    ++index;
  }
  if (!descriptions.empty()) out.description = std::move(descriptions);
  return {};
}

enum class TopKey : unsigned { coord, weather, main, visibility, wind, rain, snow, clouds, dt, sys, timezone, id, name, cod, message };

Result<void> read_top_level(od::object& root, Observation& out, Fields& fields) {
  SeenKeys seen;
  const auto once = [&](TopKey key, std::string_view path) -> Result<void> {
    if (!seen.first(static_cast<unsigned>(key))) return duplicate(path);
    return {};
  };
  for (auto field : root) {
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return malformed(error, "");
    od::value v;
    if (auto error = field.value().get(v)) return malformed(error, key);
    if (key == "coord") {
      SQUALL_TRY(once(TopKey::coord, key));
      SQUALL_TRY(read_coord(v, out));
    } else if (key == "weather") {
      SQUALL_TRY(once(TopKey::weather, key));
      SQUALL_TRY(read_weather(v, out));
    } else if (key == "main") {
      SQUALL_TRY(once(TopKey::main, key));
      SQUALL_TRY(read_main(v, out, fields));
    } else if (key == "visibility") {
      SQUALL_TRY(once(TopKey::visibility, key));
      SQUALL_TRY(read_number(v, "visibility", out.visibility_m));
    } else if (key == "wind") {
      SQUALL_TRY(once(TopKey::wind, key));
      SQUALL_TRY(read_wind(v, out));
    } else if (key == "rain") {
      SQUALL_TRY(once(TopKey::rain, key));
      SQUALL_TRY(read_precipitation(v, "rain", out.rain_1h_mm, out.rain_3h_mm));
    } else if (key == "snow") {
      SQUALL_TRY(once(TopKey::snow, key));
      SQUALL_TRY(read_precipitation(v, "snow", out.snow_1h_mm, out.snow_3h_mm));
    } else if (key == "clouds") {
      SQUALL_TRY(once(TopKey::clouds, key));
      SQUALL_TRY(read_clouds(v, out));
    } else if (key == "dt") {
      SQUALL_TRY(once(TopKey::dt, key));
      SQUALL_TRY(read_integer(v, "dt", fields.dt));
    } else if (key == "sys") {
      SQUALL_TRY(once(TopKey::sys, key));
      SQUALL_TRY(read_sys(v, out, fields));
    } else if (key == "timezone") {
      SQUALL_TRY(once(TopKey::timezone, key));
      SQUALL_TRY(read_integer(v, "timezone", fields.timezone));
    } else if (key == "id") {
      SQUALL_TRY(once(TopKey::id, key));
      SQUALL_TRY(read_integer(v, "id", fields.id));
    } else if (key == "name") {
      SQUALL_TRY(once(TopKey::name, key));
      SQUALL_TRY(read_string(v, "name", fields.name));
    } else if (key == "cod") {
      SQUALL_TRY(once(TopKey::cod, key));
      // 200 on success; error payloads carry it as a string ("401") or a number.
      od::json_type type{};
      if (auto error = v.type().get(type)) return malformed(error, "cod");
      if (type == od::json_type::number) {
        std::optional<std::int64_t> code;
        SQUALL_TRY(read_integer(v, "cod", code));
        fields.cod_text = std::to_string(*code);
      } else {
        SQUALL_TRY(read_string(v, "cod", fields.cod_text));
      }
    } else if (key == "message") {
      SQUALL_TRY(once(TopKey::message, key));
      // Only error payloads carry a textual message; anything else is ignored.
      od::json_type type{};
      if (v.type().get(type) == simdjson::SUCCESS && type == od::json_type::string) {
        SQUALL_TRY(read_string(v, "message", fields.message));
      }
    }
  }
  return {};
}

double round_to(double value, double scale) { return std::round(value * scale) / scale; }

// Converts from the request's units to °C and m/s. Results are rounded to
// the precision OWM itself reports in, so 281.52 K reads as 8.37 °C rather
// than 8.369999999999976.
void normalise(Units units, double temp, Observation& out) {
  const auto celsius = [&](double t) {
    switch (units) {
      case Units::standard: return round_to(t - kKelvinOffset, 100);
      case Units::imperial: return round_to((t - 32.0) * 5.0 / 9.0, 100);
      case Units::metric: return t;
    }
    return t;
  };
  out.temp_c = celsius(temp);
  for (auto* t : {&out.feels_like_c, &out.temp_min_c, &out.temp_max_c}) {
    if (*t) *t = celsius(**t);
  }
  if (units == Units::imperial) {
    for (auto* speed : {&out.wind_speed_ms, &out.wind_gust_ms}) {
      if (*speed) *speed = round_to(**speed * kMetresPerSecondPerMph, 10000);
    }
  }
}

Error owm_error(const Fields& fields) {
  std::string message = fields.message.value_or("no message");
  if (message.size() > 120) message = message.substr(0, 120) + "...";
  return failure(fmt::format("owm error cod={}: {}", *fields.cod_text, message));
}

}  // namespace

struct OwmParser::Impl {
  od::parser parser;
  std::unique_ptr<char[]> buffer;
  std::size_t capacity = 0;

  // simdjson reads up to SIMDJSON_PADDING bytes past the end: copy into a
  // reused, padded buffer rather than allocating per message.
  std::string_view padded(std::string_view json) {
    const std::size_t needed = json.size() + simdjson::SIMDJSON_PADDING;
    if (needed > capacity) {
      capacity = std::max(needed, std::size_t{4096});
      buffer = std::make_unique<char[]>(capacity);
    }
    std::memcpy(buffer.get(), json.data(), json.size());
    std::memset(buffer.get() + json.size(), 0, simdjson::SIMDJSON_PADDING);
    return {buffer.get(), json.size()};
  }
};

OwmParser::OwmParser() : impl_(std::make_unique<Impl>()) {}
OwmParser::~OwmParser() = default;

Result<void> OwmParser::parse(std::string_view json, Units units, Observation& out) {
  if (json.empty()) return failure("empty message");
  if (json.size() > kMaxMessageBytes) {
    return failure(fmt::format("message of {} bytes exceeds the {} byte limit", json.size(), kMaxMessageBytes));
  }
  const std::string_view input = impl_->padded(json);
  od::document document;
  if (auto error = impl_->parser.iterate(input.data(), input.size(), impl_->capacity).get(document)) {
    return malformed(error, "");
  }
  od::object root;
  if (auto error = document.get_object().get(root)) {
    if (error == simdjson::INCORRECT_TYPE) return failure("invalid JSON: the top level is not an object");
    return malformed(error, "");
  }
  out = Observation{};
  Fields fields;
  SQUALL_TRY(read_top_level(root, out, fields));
  const char* trailing = nullptr;
  if (document.current_location().get(trailing) == simdjson::SUCCESS) {
    return failure("invalid JSON: trailing content after the top-level object");
  }

  if (fields.cod_text && *fields.cod_text != "200") return owm_error(fields);
  if (!fields.id) return failure("missing field id");
  if (!fields.dt) return failure("missing field dt");
  if (!fields.temp) return failure("missing field main.temp");

  out.city_id = *fields.id;
  out.observed_at = *fields.dt;
  if (fields.name) out.city = std::move(*fields.name);
  if (fields.timezone) {
    if (*fields.timezone < INT32_MIN || *fields.timezone > INT32_MAX) return failure("field timezone: out of range");
    out.timezone_s = static_cast<std::int32_t>(*fields.timezone);
  }
  out.sunrise = fields.sunrise;
  out.sunset = fields.sunset;
  normalise(units, *fields.temp, out);
  return {};
}

namespace {

Result<void> check_range(std::string_view path, const std::optional<double>& value, double min, double max) {
  if (!value || (*value >= min && *value <= max)) return {};
  return failure(fmt::format("field {}: {} is out of range [{}, {}]", path, *value, min, max));
}

}  // namespace

Result<void> validate(const Observation& o) {
  if (o.city_id <= 0) return failure(fmt::format("field id: {} is not a valid city id", o.city_id));
  constexpr std::int64_t kYear2000 = 946684800;
  constexpr std::int64_t kYear2100 = 4102444800;
  if (o.observed_at < kYear2000 || o.observed_at >= kYear2100) {
    return failure(fmt::format("field dt: {} is outside the years 2000-2099", o.observed_at));
  }
  SQUALL_TRY(check_range("main.temp", o.temp_c, -100, 70));
  SQUALL_TRY(check_range("main.feels_like", o.feels_like_c, -100, 70));
  SQUALL_TRY(check_range("main.temp_min", o.temp_min_c, -100, 70));
  SQUALL_TRY(check_range("main.temp_max", o.temp_max_c, -100, 70));
  SQUALL_TRY(check_range("main.pressure", o.pressure_hpa, 300, 1100));
  SQUALL_TRY(check_range("main.sea_level", o.sea_level_hpa, 300, 1100));
  SQUALL_TRY(check_range("main.grnd_level", o.grnd_level_hpa, 300, 1100));
  SQUALL_TRY(check_range("main.humidity", o.humidity_pct, 0, 100));
  SQUALL_TRY(check_range("wind.speed", o.wind_speed_ms, 0, 150));
  SQUALL_TRY(check_range("wind.gust", o.wind_gust_ms, 0, 150));
  SQUALL_TRY(check_range("wind.deg", o.wind_deg, 0, 360));
  SQUALL_TRY(check_range("clouds.all", o.clouds_pct, 0, 100));
  SQUALL_TRY(check_range("visibility", o.visibility_m, 0, 100000));
  SQUALL_TRY(check_range("rain.1h", o.rain_1h_mm, 0, 1000));
  SQUALL_TRY(check_range("rain.3h", o.rain_3h_mm, 0, 1000));
  SQUALL_TRY(check_range("snow.1h", o.snow_1h_mm, 0, 1000));
  SQUALL_TRY(check_range("snow.3h", o.snow_3h_mm, 0, 1000));
  SQUALL_TRY(check_range("coord.lat", o.lat, -90, 90));
  SQUALL_TRY(check_range("coord.lon", o.lon, -180, 180));
  if (o.timezone_s && (*o.timezone_s < -18 * 3600 || *o.timezone_s > 18 * 3600)) {
    return failure(fmt::format("field timezone: {} s is beyond ±18 h", *o.timezone_s));
  }
  return {};
}

}  // namespace squall::processor
