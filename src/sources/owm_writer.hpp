#pragma once
// Renders simulated weather as an OpenWeatherMap current-weather response,
// byte-for-byte in the API's shape (DESIGN §3): same keys, same order, same
// nesting, numbers with at most two decimals, optional blocks left out.

#include <string>

#include "core/observation.hpp"
#include "sources/cities.hpp"
#include "sources/weather_model.hpp"

namespace squall::sources {

// The parts of a city's response that never change, rendered once.
struct CityFragments {
  std::string head;     // {"coord":{...},"weather":[
  std::string station;  // "sys":{"type":2,"id":..,"country":"..",
  std::string tail;     // },"timezone":..,"id":..,"name":"..","cod":200}
};

CityFragments render_city(const City& city);

// Appends the whole response for `sample`, with temperatures and wind speeds
// in `units` (standard: K and m/s, metric: °C and m/s, imperial: °F and mph).
void append_owm_json(std::string& out, const CityFragments& city, const WeatherSample& sample, Units units);

// Appends `value` rounded to `decimals` (0..4) places, trailing zeros dropped
// as the API does: 281.5, 7.2, 3, -0.25.
void append_decimal(std::string& out, double value, int decimals);

}  // namespace squall::sources
