#include "sources/cities.hpp"

#include <array>
#include <cmath>
#include <string_view>

#include "sources/prng.hpp"

namespace squall::sources {
namespace {

struct CityRow {
  std::int64_t id;
  std::string_view name;
  std::string_view country;
  double lat;
  double lon;
  double elevation_m;
  std::int32_t timezone_s;
};

// Ids are OpenWeatherMap's (GeoNames ids); offsets are standard time.
constexpr std::array kCities = {
    CityRow{4887398, "Chicago", "US", 41.85, -87.65, 181, -21600},
    CityRow{4164138, "Miami", "US", 25.7743, -80.1937, 2, -18000},
    CityRow{5391959, "San Francisco", "US", 37.7749, -122.4194, 16, -28800},
    CityRow{2643743, "London", "GB", 51.5085, -0.1257, 11, 0},
    CityRow{2988507, "Paris", "FR", 48.8534, 2.3488, 35, 3600},
    CityRow{2950159, "Berlin", "DE", 52.5244, 13.4105, 34, 3600},
    CityRow{3117735, "Madrid", "ES", 40.4165, -3.7026, 657, 3600},
    CityRow{3169070, "Rome", "IT", 41.8919, 12.5113, 21, 3600},
    CityRow{524901, "Moscow", "RU", 55.7522, 37.6156, 156, 10800},
    CityRow{1850147, "Tokyo", "JP", 35.6895, 139.6917, 40, 32400},
    CityRow{5128581, "New York", "US", 40.7143, -74.006, 10, -18000},
    CityRow{5368361, "Los Angeles", "US", 34.0522, -118.2437, 89, -28800},
    CityRow{2147714, "Sydney", "AU", -33.8679, 151.2073, 58, 36000},
    CityRow{3448439, "São Paulo", "BR", -23.5475, -46.6361, 760, -10800},
    CityRow{2657896, "Zürich", "CH", 47.3667, 8.55, 408, 3600},
    CityRow{1816670, "Beijing", "CN", 39.9075, 116.3972, 44, 28800},
    CityRow{1275339, "Mumbai", "IN", 19.0728, 72.8826, 14, 19800},
    CityRow{1273294, "Delhi", "IN", 28.6519, 77.2315, 216, 19800},
    CityRow{360630, "Cairo", "EG", 30.0626, 31.2497, 23, 7200},
    CityRow{2332459, "Lagos", "NG", 6.4541, 3.3947, 41, 3600},
    CityRow{184745, "Nairobi", "KE", -1.2833, 36.8167, 1795, 10800},
    CityRow{993800, "Johannesburg", "ZA", -26.2023, 28.0436, 1753, 7200},
    CityRow{3369157, "Cape Town", "ZA", -33.9258, 18.4232, 25, 7200},
    CityRow{3435910, "Buenos Aires", "AR", -34.6132, -58.3772, 25, -10800},
    CityRow{3530597, "Mexico City", "MX", 19.4285, -99.1277, 2240, -21600},
    CityRow{6167865, "Toronto", "CA", 43.7001, -79.4163, 76, -18000},
    CityRow{6173331, "Vancouver", "CA", 49.2497, -123.1193, 70, -28800},
    CityRow{6077243, "Montréal", "CA", 45.5088, -73.5878, 36, -18000},
    CityRow{5809844, "Seattle", "US", 47.6062, -122.3321, 56, -28800},
    CityRow{5419384, "Denver", "US", 39.7392, -104.9847, 1609, -25200},
    CityRow{4699066, "Houston", "US", 29.7633, -95.3633, 15, -21600},
    CityRow{4930956, "Boston", "US", 42.3584, -71.0598, 43, -18000},
    CityRow{5879400, "Anchorage", "US", 61.2181, -149.9003, 31, -32400},
    CityRow{5856195, "Honolulu", "US", 21.3069, -157.8583, 6, -36000},
    CityRow{3413829, "Reykjavík", "IS", 64.1355, -21.8954, 61, 0},
    CityRow{3143244, "Oslo", "NO", 59.9127, 10.7461, 23, 3600},
    CityRow{2673730, "Stockholm", "SE", 59.3326, 18.0649, 28, 3600},
    CityRow{658225, "Helsinki", "FI", 60.1695, 24.9354, 17, 7200},
    CityRow{2759794, "Amsterdam", "NL", 52.374, 4.8897, 0, 3600},
    CityRow{2761369, "Vienna", "AT", 48.2085, 16.3721, 190, 3600},
    CityRow{756135, "Warsaw", "PL", 52.2298, 21.0118, 100, 3600},
    CityRow{3094802, "Kraków", "PL", 50.0833, 19.9167, 219, 3600},
    CityRow{745044, "Istanbul", "TR", 41.0138, 28.9497, 39, 10800},
    CityRow{264371, "Athens", "GR", 37.9795, 23.7162, 70, 7200},
    CityRow{2267057, "Lisbon", "PT", 38.7167, -9.1333, 45, 0},
    CityRow{2964574, "Dublin", "IE", 53.344, -6.2672, 20, 0},
    CityRow{292223, "Dubai", "AE", 25.0772, 55.3093, 16, 14400},
    CityRow{1880252, "Singapore", "SG", 1.2897, 103.8501, 15, 28800},
    CityRow{1819729, "Hong Kong", "HK", 22.2783, 114.1747, 30, 28800},
    CityRow{1835848, "Seoul", "KR", 37.566, 126.9784, 38, 32400},
    CityRow{1609350, "Bangkok", "TH", 13.754, 100.5014, 2, 25200},
    CityRow{1642911, "Jakarta", "ID", -6.2146, 106.8451, 8, 25200},
    CityRow{1701668, "Manila", "PH", 14.6042, 120.9822, 13, 28800},
    CityRow{2193733, "Auckland", "NZ", -36.8485, 174.7635, 26, 43200},
    CityRow{2158177, "Melbourne", "AU", -37.814, 144.9633, 31, 36000},
    CityRow{3936456, "Lima", "PE", -12.0432, -77.0282, 154, -18000},
    CityRow{3688689, "Bogotá", "CO", 4.6097, -74.0817, 2640, -18000},
    CityRow{3871336, "Santiago", "CL", -33.4569, -70.6483, 570, -14400},
    CityRow{112931, "Tehran", "IR", 35.6944, 51.4215, 1190, 12600},
    CityRow{1174872, "Karachi", "PK", 24.8608, 67.0104, 10, 18000},
    CityRow{1796236, "Shanghai", "CN", 31.2222, 121.4581, 4, 28800},
    CityRow{703448, "Kyiv", "UA", 50.4547, 30.5238, 179, 7200},
    CityRow{344979, "Addis Ababa", "ET", 9.025, 38.7469, 2355, 10800},
    CityRow{2314302, "Kinshasa", "CD", -4.3276, 15.3136, 240, 3600},
    CityRow{2553604, "Casablanca", "MA", 33.5883, -7.6114, 50, 3600},
    CityRow{1566083, "Ho Chi Minh City", "VN", 10.823, 106.6296, 19, 25200},
    CityRow{2063523, "Perth", "AU", -31.9522, 115.8614, 31, 28800},
    CityRow{2886242, "Köln", "DE", 50.9333, 6.95, 53, 3600},
    CityRow{2660646, "Genève", "CH", 46.2022, 6.1457, 375, 3600},
    CityRow{1790630, "Xi'an", "CN", 34.2583, 108.9286, 405, 28800},
    CityRow{3441575, "Montevideo", "UY", -34.9033, -56.1882, 43, -10800},
};

City from_row(const CityRow& row) {
  return City{row.id, std::string(row.name), std::string(row.country), row.lat, row.lon, row.elevation_m,
              row.timezone_s};
}

double unit_interval(std::uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

// Station n sits somewhere people live: latitudes -55..65, any longitude,
// mostly low ground. Its clock is the nautical time zone of its longitude.
City synthesized_station(std::int64_t n) {
  std::uint64_t state = mix64(static_cast<std::uint64_t>(n) ^ 0x5374617469306e00ULL);
  const double lat = std::round((-55.0 + 120.0 * unit_interval(splitmix64(state))) * 1e4) / 1e4;
  const double lon = std::round((-180.0 + 360.0 * unit_interval(splitmix64(state))) * 1e4) / 1e4;
  const double low_ground = unit_interval(splitmix64(state));
  const double elevation = std::round(1500.0 * low_ground * low_ground * low_ground);
  const auto timezone = static_cast<std::int32_t>(std::lround(lon / 15.0) * 3600);
  return City{kSynthesizedIdBase + n, "Station " + std::to_string(n), {}, lat, lon, elevation, timezone};
}

}  // namespace

std::size_t builtin_city_count() { return kCities.size(); }

City simulated_city(std::int64_t index) {
  const auto table_size = static_cast<std::int64_t>(kCities.size());
  if (index < table_size) return from_row(kCities[static_cast<std::size_t>(index)]);
  return synthesized_station(index - table_size + 1);
}

}  // namespace squall::sources
