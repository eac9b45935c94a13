// Fuzzes OwmParser::parse, the processor's reading of raw OpenWeatherMap bytes, in all three units.
// Properties: bad input is an error value; whether a message parses does not depend on its units; success
// overwrites every field of a reused Observation, failure leaves it as it was; a validated one is finite.

#include <cmath>
#include <optional>

#include "check.hpp"
#include "processor/owm_parser.hpp"

namespace {

using squall::Observation;
using squall::Units;
using squall::fuzz::require;

// An output with every field set, standing in for the previous message's
// observation that the processor reuses: a field parse() forgets to
// overwrite shows up as a difference from a parse into a fresh one.
Observation previous_observation() {
  Observation o;
  o.city_id = 1;
  o.city = "previous";
  o.country = "XX";
  o.observed_at = 2;
  o.lat = o.lon = 3;
  o.temp_c = 4;
  o.feels_like_c = o.temp_min_c = o.temp_max_c = 5;
  o.pressure_hpa = o.sea_level_hpa = o.grnd_level_hpa = o.humidity_pct = 6;
  o.wind_speed_ms = o.wind_deg = o.wind_gust_ms = o.clouds_pct = o.visibility_m = 7;
  o.rain_1h_mm = o.rain_3h_mm = o.snow_1h_mm = o.snow_3h_mm = 8;
  o.condition_id = 9;
  o.condition = o.description = o.icon = "previous";
  o.timezone_s = 10;
  o.sunrise = o.sunset = 11;
  o.ingested_at_ms = 12;
  o.source = "previous";
  return o;
}

bool finite(const std::optional<double>& value) { return !value || std::isfinite(*value); }

bool all_finite(const Observation& o) {
  for (const auto* field : {&o.lat, &o.lon, &o.feels_like_c, &o.temp_min_c, &o.temp_max_c, &o.pressure_hpa,
                            &o.sea_level_hpa, &o.grnd_level_hpa, &o.humidity_pct, &o.wind_speed_ms, &o.wind_deg,
                            &o.wind_gust_ms, &o.clouds_pct, &o.visibility_m, &o.rain_1h_mm, &o.rain_3h_mm,
                            &o.snow_1h_mm, &o.snow_3h_mm}) {
    if (!finite(*field)) return false;
  }
  return std::isfinite(o.temp_c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One parser for every input, as the processor keeps one: state left over
  // from an earlier message must not change how the next one reads.
  static squall::processor::OwmParser parser;
  static const Observation previous = previous_observation();
  const std::string_view json = squall::fuzz::as_text(data, size);

  std::optional<bool> parses;
  for (const Units units : {Units::standard, Units::metric, Units::imperial}) {
    Observation fresh;
    Observation reused = previous;
    const auto result = parser.parse(json, units, fresh);
    const auto again = parser.parse(json, units, reused);
    require(result.ok() == again.ok(), "parsing the same message twice gave different verdicts");
    require(!parses || *parses == result.ok(), "whether a message parses depends on its units");
    parses = result.ok();
    if (!result) {
      require(!squall::processor::rejection_kind(result.error().message).empty(), "a rejection without a kind");
      require(reused == previous, "a rejected message changed the output observation");
      continue;
    }
    require(fresh == reused, "a parsed message left a field of the reused observation as it was");
    if (squall::processor::validate(fresh)) require(all_finite(fresh), "a validated observation is not finite");
  }
  return 0;
}
