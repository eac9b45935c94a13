#pragma once
// The simulator's weather: a small, deterministic model that produces the
// patterns real observations have, in SI-like units (°C, m/s, hPa, %, mm/h).
//
// - temperature: a climate mean that falls with latitude and height and
//   swings with the seasons (opposite in the south), a diurnal cycle with its
//   minimum near sunrise and its maximum mid-afternoon local solar time
//   (damped by clouds), plus a slowly wandering weather anomaly;
// - pressure drifts slowly around 1013 hPa; low pressure brings moisture;
// - moisture drives clouds and, above a threshold, rain (snow when cold);
// - humidity falls as the temperature rises and climbs when it rains;
// - wind wanders around a per-city mean, stronger in the afternoon and in
//   unsettled weather, with gusts when it is strong (and sometimes when not).

#include <cstdint>
#include <optional>

#include "sources/cities.hpp"
#include "sources/prng.hpp"

namespace squall::sources {

struct WeatherSample {
  std::int64_t dt = 0;
  std::int64_t sunrise = 0;  // of the local day containing dt, Unix seconds UTC
  std::int64_t sunset = 0;
  bool daytime = false;
  double temp_c = 0;
  double feels_like_c = 0;
  double temp_min_c = 0;  // OWM's min/max: the spread across the city right now
  double temp_max_c = 0;
  int pressure_hpa = 0;   // at sea level, as OWM reports `pressure`
  int grnd_level_hpa = 0;
  int humidity_pct = 0;
  int clouds_pct = 0;
  double wind_speed_ms = 0;
  int wind_deg = 0;
  std::optional<double> wind_gust_ms;
  double precipitation_mm_h = 0;  // 0 when dry
  bool snow = false;              // the precipitation falls as snow
  bool mist = false;
  std::optional<int> visibility_m;  // absent now and then, as in real data
};

// A mean-reverting random walk (a discrete Ornstein-Uhlenbeck process): its
// spread stays `sigma` whatever the step, and it forgets its past over `tau_s`.
class Drift {
 public:
  Drift(double sigma, double tau_s, std::int64_t step_s, Rng& rng);
  double step(Rng& rng);
  double value() const { return value_; }

 private:
  double persistence_;
  double innovation_;
  double value_;
};

class CityWeather {
 public:
  CityWeather(const City& city, std::uint64_t seed, std::int64_t step_s);

  // The observation at `dt`. Each call advances the weather by one step, so
  // call it with dt growing by step_s each time.
  WeatherSample observe(std::int64_t dt);

 private:
  // Everything that changes once per local day.
  struct Day {
    std::int64_t number = INT64_MIN;  // days since the epoch, local time
    std::int64_t solar_noon = 0;
    std::int64_t sunrise = 0;
    std::int64_t sunset = 0;
    double half_day_h = 0;
    double climate_c = 0;
  };

  void enter_day(std::int64_t local_day);
  double precipitation(double wetness);
  void fill_wind(WeatherSample& sample, double wetness, double diurnal_shape);
  void fill_visibility(WeatherSample& sample);

  double lat_;
  double lon_;
  double elevation_m_;
  std::int32_t timezone_s_;
  double ground_pressure_ratio_;
  Rng rng_;
  double humidity_bias_;
  double wind_mean_ms_;
  double wind_direction_;
  Drift temp_anomaly_;
  Drift pressure_anomaly_;
  Drift moisture_;
  Drift wind_anomaly_;
  Day day_;
};

}  // namespace squall::sources
