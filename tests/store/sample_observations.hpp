#pragma once
// Observations for the store tests: one with every field set to a distinct
// value, and one with only the required fields.

#include <cstdint>

#include "core/observation.hpp"

namespace squall::test {

inline Observation full_observation(std::int64_t city_id, std::int64_t observed_at) {
  Observation o;
  o.city_id = city_id;
  o.city = "Chicago";
  o.country = "US";
  o.observed_at = observed_at;
  o.lat = 41.85;
  o.lon = -87.65;
  o.temp_c = 8.37;
  o.feels_like_c = 5.84;
  o.temp_min_c = 7.0;
  o.temp_max_c = 10.56;
  o.pressure_hpa = 1016;
  o.sea_level_hpa = 1017;
  o.grnd_level_hpa = 991;
  o.humidity_pct = 93;
  o.wind_speed_ms = 4.63;
  o.wind_deg = 180;
  o.wind_gust_ms = 7.2;
  o.clouds_pct = 75;
  o.visibility_m = 10000;
  o.rain_1h_mm = 0.25;
  o.rain_3h_mm = 0.75;
  o.snow_1h_mm = 0.1;
  o.snow_3h_mm = 0.3;
  o.condition_id = 803;
  o.condition = "Clouds";
  o.description = "broken clouds, mist";
  o.icon = "04d";
  o.timezone_s = -21600;
  o.sunrise = 1699964400;
  o.sunset = 1700000940;
  o.ingested_at_ms = observed_at * 1000 + 250;
  o.source = "simulator";
  return o;
}

inline Observation sparse_observation(std::int64_t city_id, std::int64_t observed_at) {
  Observation o;
  o.city_id = city_id;
  o.observed_at = observed_at;
  o.temp_c = -3.5;
  o.ingested_at_ms = observed_at * 1000;
  o.source = "replay";
  return o;
}

}  // namespace squall::test
