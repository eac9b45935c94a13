#pragma once
// The cities the simulator reports on: a built-in table of real places (real
// OpenWeatherMap ids, coordinates, countries and UTC offsets), followed by as
// many synthesized stations as asked for.

#include <cstddef>
#include <cstdint>
#include <string>

namespace squall::sources {

struct City {
  std::int64_t id = 0;
  std::string name;        // UTF-8
  std::string country;     // ISO 3166 alpha-2; empty for synthesized stations
  double lat = 0;
  double lon = 0;
  double elevation_m = 0;
  std::int32_t timezone_s = 0;  // standard-time offset; daylight saving is not modelled
};

// Synthesized stations get ids from here on, clear of the table's ids.
inline constexpr std::int64_t kSynthesizedIdBase = 9'000'000;

// Number of real cities in the built-in table.
std::size_t builtin_city_count();

// The city at `index` (0-based): Chicago, Miami and San Francisco first, then
// the rest of the table, then station n = index - table size + 1 with id
// kSynthesizedIdBase + n and plausible coordinates derived from n alone, so
// the same index always names the same place whatever the seed.
City simulated_city(std::int64_t index);

}  // namespace squall::sources
