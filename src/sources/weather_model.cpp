#include "sources/weather_model.hpp"

#include <algorithm>
#include <cmath>

namespace squall::sources {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kRadiansPerDegree = kPi / 180.0;
constexpr double kDaysPerYear = 365.2425;
constexpr std::int64_t kSecondsPerDay = 86'400;

// Division and remainder rounding towards minus infinity (b > 0).
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }
std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

// 0 on 1 January; drifts by less than a day over decades, which is fine here.
double day_of_year(std::int64_t day_number) {
  return std::fmod(static_cast<double>(day_number), kDaysPerYear);
}

// The annual mean falls with latitude and height (-4.5 °C per km); the
// seasons swing harder away from the equator, peaking around 20 July in the
// north and half a year later in the south.
double climate_mean_c(double lat, double elevation_m, double doy) {
  const double annual = 27.0 - 0.0065 * lat * lat - 0.0045 * elevation_m;
  const double swing = 0.22 * std::abs(lat) * (lat >= 0 ? 1.0 : -1.0);
  return annual + swing * std::cos(2 * kPi * (doy - 200.0) / kDaysPerYear);
}

// -1 at sunrise, +1 at the afternoon maximum (three hours after solar noon,
// earlier on short days), cosine-shaped in between, then a slow cooling back
// to -1 at the next sunrise. Flat in polar night.
double diurnal_shape(double hours_from_noon, double half_day_h) {
  if (half_day_h < 0.5) return 0;
  const double rise = -half_day_h;
  const double peak = std::min(3.0, 0.6 * half_day_h);
  const double t = hours_from_noon < rise ? hours_from_noon + 24 : hours_from_noon;
  if (t < peak) return -std::cos(kPi * (t - rise) / (peak - rise));
  return std::cos(kPi * (t - peak) / (rise + 24 - peak));
}

// Steadman's apparent temperature (the one the Australian Bureau of
// Meteorology uses): humid air feels warmer, wind feels colder.
double apparent_temperature_c(double temp_c, double humidity_pct, double wind_ms) {
  const double vapour_hpa = humidity_pct / 100.0 * 6.105 * std::exp(17.27 * temp_c / (237.7 + temp_c));
  return temp_c + 0.33 * vapour_hpa - 0.70 * wind_ms - 4.0;
}

double round_to(double value, double quantum) { return std::round(value / quantum) * quantum; }

}  // namespace

Drift::Drift(double sigma, double tau_s, std::int64_t step_s, Rng& rng)
    : persistence_(std::exp(-static_cast<double>(step_s) / tau_s)),
      innovation_(sigma * std::sqrt(1 - persistence_ * persistence_)),
      value_(sigma * rng.normal()) {}

double Drift::step(Rng& rng) {
  value_ = persistence_ * value_ + innovation_ * rng.normal();
  return value_;
}

CityWeather::CityWeather(const City& city, std::uint64_t seed, std::int64_t step_s)
    : lat_(city.lat),
      lon_(city.lon),
      elevation_m_(city.elevation_m),
      timezone_s_(city.timezone_s),
      ground_pressure_ratio_(std::exp(-city.elevation_m / 8434.0)),  // scale height of the lower atmosphere
      rng_(seed ^ mix64(static_cast<std::uint64_t>(city.id))),
      humidity_bias_(rng_.uniform(-10, 10)),
      wind_mean_ms_(rng_.uniform(2.0, 5.0)),
      wind_direction_(rng_.uniform(0, 360)),
      temp_anomaly_(2.5, 1.5 * kSecondsPerDay, step_s, rng_),
      pressure_anomaly_(7.0, 2.0 * kSecondsPerDay, step_s, rng_),
      moisture_(1.0, 8 * 3600.0, step_s, rng_),
      wind_anomaly_(1.2, 6 * 3600.0, step_s, rng_) {}

// Sunrise and sunset from the solar declination and the equation of time
// (NOAA's short approximations, good to a few minutes).
void CityWeather::enter_day(std::int64_t local_day) {
  const double doy = day_of_year(local_day);
  const double b = 2 * kPi * (doy - 81.0) / 364.0;
  const double equation_of_time_min = 9.87 * std::sin(2 * b) - 7.53 * std::cos(b) - 1.5 * std::sin(b);
  const double declination = -23.44 * kRadiansPerDegree * std::cos(2 * kPi * (doy + 10.0) / 365.0);
  const double phi = lat_ * kRadiansPerDegree;
  const double cos_hour_angle = (std::sin(-0.833 * kRadiansPerDegree) - std::sin(phi) * std::sin(declination)) /
                                (std::cos(phi) * std::cos(declination));
  const double hour_angle_deg = std::acos(std::clamp(cos_hour_angle, -1.0, 1.0)) / kRadiansPerDegree;
  const double noon = static_cast<double>(local_day * kSecondsPerDay + 43'200) - lon_ * 240.0 -
                      equation_of_time_min * 60.0;
  const double half_day_s = hour_angle_deg * 240.0;

  day_.number = local_day;
  day_.solar_noon = std::llround(noon);
  day_.sunrise = std::llround(noon - half_day_s);
  day_.sunset = std::llround(noon + half_day_s);
  day_.half_day_h = half_day_s / 3600.0;
  day_.climate_c = climate_mean_c(lat_, elevation_m_, doy);
}

// Rain starts once the air is wet enough and grows quickly beyond that.
double CityWeather::precipitation(double wetness) {
  constexpr double kThreshold = 1.4;
  if (wetness <= kThreshold) return 0;
  const double excess = wetness - kThreshold;
  return round_to(0.2 + 4.0 * excess * excess + rng_.uniform(0, 0.3), 0.01);
}

void CityWeather::fill_wind(WeatherSample& sample, double wetness, double diurnal) {
  const double speed = wind_mean_ms_ + wind_anomaly_.step(rng_) + 0.8 * std::max(0.0, wetness) + 0.6 * diurnal;
  sample.wind_speed_ms = std::max(0.0, speed);
  wind_direction_ = std::fmod(wind_direction_ + 20.0 * rng_.normal() + 360.0, 360.0);
  sample.wind_deg = static_cast<int>(std::lround(wind_direction_)) % 360;
  if (sample.wind_speed_ms > 6.0 || rng_.chance(0.2)) {
    sample.wind_gust_ms = sample.wind_speed_ms * rng_.uniform(1.25, 1.75) + 0.5;
  }
}

void CityWeather::fill_visibility(WeatherSample& sample) {
  if (rng_.chance(0.03)) return;  // OWM leaves visibility out now and then
  double metres = 10'000;
  if (sample.mist) metres = rng_.uniform(1'500, 5'000);
  if (sample.precipitation_mm_h > 0) metres = std::min(metres, 10'000 - 1'200 * sample.precipitation_mm_h);
  sample.visibility_m = static_cast<int>(round_to(std::max(metres, 800.0), 100));
}

WeatherSample CityWeather::observe(std::int64_t dt) {
  const std::int64_t local_day = floor_div(dt + timezone_s_, kSecondsPerDay);
  if (local_day != day_.number) enter_day(local_day);

  WeatherSample sample;
  sample.dt = dt;
  sample.sunrise = day_.sunrise;
  sample.sunset = day_.sunset;
  sample.daytime = dt >= day_.sunrise && dt < day_.sunset;

  const double pressure_anomaly = pressure_anomaly_.step(rng_);
  const double wetness = moisture_.step(rng_) - 0.06 * pressure_anomaly;  // low pressure, wet weather
  sample.precipitation_mm_h = precipitation(wetness);
  const bool wet = sample.precipitation_mm_h > 0;

  double clouds = std::clamp(45 + 30 * wetness + 8 * rng_.normal(), 0.0, 100.0);
  if (wet) clouds = std::max(clouds, rng_.uniform(75, 100));
  sample.clouds_pct = static_cast<int>(std::lround(clouds));

  const double hours_from_noon =
      static_cast<double>(floor_mod(dt - day_.solar_noon + 43'200, kSecondsPerDay)) / 3600.0 - 12.0;
  const double shape = diurnal_shape(hours_from_noon, day_.half_day_h);
  const double daylight = std::clamp(day_.half_day_h / 6.0, 0.2, 1.2);
  const double diurnal_c = 4.5 * daylight * (1 - 0.5 * clouds / 100) * shape;
  const double anomaly_c = temp_anomaly_.step(rng_);
  sample.temp_c = day_.climate_c + diurnal_c + anomaly_c - (wet ? 1.5 : 0);
  sample.snow = wet && sample.temp_c < 0.5;

  const double humidity = 62 + humidity_bias_ - 2.5 * diurnal_c - 0.8 * anomaly_c + 12 * wetness + (wet ? 12 : 0) +
                          3 * rng_.normal();
  sample.humidity_pct = static_cast<int>(std::lround(std::clamp(humidity, 5.0, 100.0)));
  sample.mist = sample.humidity_pct >= 95;

  const double sea_level = std::round(1013 + pressure_anomaly);
  sample.pressure_hpa = static_cast<int>(sea_level);
  sample.grnd_level_hpa = static_cast<int>(std::lround(sea_level * ground_pressure_ratio_));

  fill_wind(sample, wetness, shape);
  sample.feels_like_c = apparent_temperature_c(sample.temp_c, sample.humidity_pct, sample.wind_speed_ms);
  sample.temp_min_c = sample.temp_c - rng_.uniform(0, 1.5);
  sample.temp_max_c = sample.temp_c + rng_.uniform(0, 1.5);
  fill_visibility(sample);
  return sample;
}

}  // namespace squall::sources
