#pragma once
// The normalised weather observation: what every stage after the parser sees.
//
// Units are fixed whatever the request's `units` were: °C, m/s, hPa, %,
// mm, metres, and UTC Unix timestamps. A field the input did not carry is an
// empty optional, never a made-up zero.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace squall {

// The `units` request parameter of OpenWeatherMap decides how temperatures
// and wind speeds arrive; the parser converts from these to SI-like units.
enum class Units { standard, metric, imperial };

std::optional<Units> parse_units(std::string_view text);
std::string_view to_string(Units units);

struct Observation {
  std::int64_t city_id = 0;
  std::string city;                     // UTF-8, may be empty
  std::optional<std::string> country;   // ISO 3166 alpha-2, often absent
  std::int64_t observed_at = 0;         // `dt`, Unix seconds UTC
  std::optional<double> lat;
  std::optional<double> lon;

  double temp_c = 0;                    // required in every valid record
  std::optional<double> feels_like_c;
  std::optional<double> temp_min_c;
  std::optional<double> temp_max_c;
  std::optional<double> pressure_hpa;
  std::optional<double> sea_level_hpa;
  std::optional<double> grnd_level_hpa;
  std::optional<double> humidity_pct;

  std::optional<double> wind_speed_ms;
  std::optional<double> wind_deg;
  std::optional<double> wind_gust_ms;
  std::optional<double> clouds_pct;
  std::optional<double> visibility_m;
  std::optional<double> rain_1h_mm;
  std::optional<double> rain_3h_mm;
  std::optional<double> snow_1h_mm;
  std::optional<double> snow_3h_mm;

  // The first entry of `weather` is the primary condition; when OWM reports
  // several, `description` lists all of them, comma-separated, in order.
  std::optional<std::int32_t> condition_id;
  std::optional<std::string> condition;    // e.g. "Clouds"
  std::optional<std::string> description;  // e.g. "light rain, mist"
  std::optional<std::string> icon;

  std::optional<std::int32_t> timezone_s;  // shift from UTC of the city
  std::optional<std::int64_t> sunrise;     // Unix seconds UTC
  std::optional<std::int64_t> sunset;

  std::int64_t ingested_at_ms = 0;         // when the source fetched it
  std::string source;                      // simulator | replay | openweather | ...

  bool operator==(const Observation&) const = default;
};

}  // namespace squall
