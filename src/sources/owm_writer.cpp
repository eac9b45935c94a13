#include "sources/owm_writer.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

#include "core/json.hpp"
#include "sources/prng.hpp"

namespace squall::sources {
namespace {

struct Condition {
  int id;
  std::string_view main;
  std::string_view description;
  std::string_view icon;  // without OWM's day/night suffix
};

constexpr Condition kMist{701, "Mist", "mist", "50"};

// OWM's condition codes (https://openweathermap.org/weather-conditions).
Condition precipitation_condition(const WeatherSample& sample) {
  const double rate = sample.precipitation_mm_h;
  if (sample.snow) {
    if (rate < 1.0) return {600, "Snow", "light snow", "13"};
    if (rate < 3.0) return {601, "Snow", "snow", "13"};
    return {602, "Snow", "heavy snow", "13"};
  }
  if (rate < 2.5) return {500, "Rain", "light rain", "10"};
  if (rate < 7.6) return {501, "Rain", "moderate rain", "10"};
  return {502, "Rain", "heavy intensity rain", "10"};
}

Condition sky_condition(int clouds_pct) {
  if (clouds_pct <= 10) return {800, "Clear", "clear sky", "01"};
  if (clouds_pct <= 25) return {801, "Clouds", "few clouds", "02"};
  if (clouds_pct <= 50) return {802, "Clouds", "scattered clouds", "03"};
  if (clouds_pct <= 84) return {803, "Clouds", "broken clouds", "04"};
  return {804, "Clouds", "overcast clouds", "04"};
}

void append_int(std::string& out, std::int64_t value) { json::append_number(out, value); }

void append_condition(std::string& out, const Condition& condition, bool daytime) {
  out += "{\"id\":";
  append_int(out, condition.id);
  out += ",\"main\":";
  json::append_string(out, condition.main);
  out += ",\"description\":";
  json::append_string(out, condition.description);
  out += ",\"icon\":\"";
  out += condition.icon;
  out += daytime ? "d\"}" : "n\"}";
}

// Real responses list precipitation first and mist after it ("light rain, mist").
void append_conditions(std::string& out, const WeatherSample& sample) {
  if (sample.precipitation_mm_h > 0) {
    append_condition(out, precipitation_condition(sample), sample.daytime);
    if (sample.mist) {
      out += ',';
      append_condition(out, kMist, sample.daytime);
    }
  } else if (sample.mist) {
    append_condition(out, kMist, sample.daytime);
  } else {
    append_condition(out, sky_condition(sample.clouds_pct), sample.daytime);
  }
}

double temperature_in(double celsius, Units units) {
  switch (units) {
    case Units::standard: return celsius + 273.15;
    case Units::metric: return celsius;
    case Units::imperial: return celsius * 1.8 + 32.0;
  }
  return celsius;
}

double speed_in(double metres_per_second, Units units) {
  return units == Units::imperial ? metres_per_second * 2.2369362920544 : metres_per_second;
}

void append_main(std::string& out, const WeatherSample& sample, Units units) {
  out += "\"main\":{\"temp\":";
  append_decimal(out, temperature_in(sample.temp_c, units), 2);
  out += ",\"feels_like\":";
  append_decimal(out, temperature_in(sample.feels_like_c, units), 2);
  out += ",\"temp_min\":";
  append_decimal(out, temperature_in(sample.temp_min_c, units), 2);
  out += ",\"temp_max\":";
  append_decimal(out, temperature_in(sample.temp_max_c, units), 2);
  out += ",\"pressure\":";
  append_int(out, sample.pressure_hpa);
  out += ",\"humidity\":";
  append_int(out, sample.humidity_pct);
  out += ",\"sea_level\":";
  append_int(out, sample.pressure_hpa);
  out += ",\"grnd_level\":";
  append_int(out, sample.grnd_level_hpa);
  out += '}';
}

void append_wind(std::string& out, const WeatherSample& sample, Units units) {
  out += ",\"wind\":{\"speed\":";
  append_decimal(out, speed_in(sample.wind_speed_ms, units), 2);
  out += ",\"deg\":";
  append_int(out, sample.wind_deg);
  if (sample.wind_gust_ms) {
    out += ",\"gust\":";
    append_decimal(out, speed_in(*sample.wind_gust_ms, units), 2);
  }
  out += '}';
}

// OWM reports type-2 stations with seven-digit ids; derive a stable one.
std::int64_t station_id(std::int64_t city_id) {
  return 2'000'000 + static_cast<std::int64_t>(mix64(static_cast<std::uint64_t>(city_id)) % 100'000);
}

}  // namespace

void append_decimal(std::string& out, double value, int decimals) {
  static constexpr std::array<std::int64_t, 5> kScale{1, 10, 100, 1'000, 10'000};
  const std::int64_t unit = kScale[static_cast<std::size_t>(decimals)];
  const std::int64_t scaled = std::llround(value * static_cast<double>(unit));
  if (scaled < 0) out += '-';
  const std::int64_t magnitude = scaled < 0 ? -scaled : scaled;
  append_int(out, magnitude / unit);
  std::int64_t fraction = magnitude % unit;
  if (fraction == 0) return;
  int digits = decimals;
  while (fraction % 10 == 0) {
    fraction /= 10;
    --digits;
  }
  char buffer[4] = {'0', '0', '0', '0'};
  for (int i = digits - 1; i >= 0; --i) {
    buffer[i] = static_cast<char>('0' + fraction % 10);
    fraction /= 10;
  }
  out += '.';
  out.append(buffer, static_cast<std::size_t>(digits));
}

CityFragments render_city(const City& city) {
  CityFragments fragments;
  fragments.head = "{\"coord\":{\"lon\":";
  append_decimal(fragments.head, city.lon, 4);
  fragments.head += ",\"lat\":";
  append_decimal(fragments.head, city.lat, 4);
  fragments.head += "},\"weather\":[";

  fragments.station = ",\"sys\":{\"type\":2,\"id\":";
  append_int(fragments.station, station_id(city.id));
  if (!city.country.empty()) {
    fragments.station += ",\"country\":";
    json::append_string(fragments.station, city.country);
  }
  fragments.station += ",\"sunrise\":";

  fragments.tail = "},\"timezone\":";
  append_int(fragments.tail, city.timezone_s);
  fragments.tail += ",\"id\":";
  append_int(fragments.tail, city.id);
  fragments.tail += ",\"name\":";
  json::append_string(fragments.tail, city.name);
  fragments.tail += ",\"cod\":200}";
  return fragments;
}

void append_owm_json(std::string& out, const CityFragments& city, const WeatherSample& sample, Units units) {
  out += city.head;
  append_conditions(out, sample);
  out += "],\"base\":\"stations\",";
  append_main(out, sample, units);
  if (sample.visibility_m) {
    out += ",\"visibility\":";
    append_int(out, *sample.visibility_m);
  }
  append_wind(out, sample, units);
  if (sample.precipitation_mm_h > 0) {
    out += sample.snow ? ",\"snow\":{\"1h\":" : ",\"rain\":{\"1h\":";
    append_decimal(out, sample.precipitation_mm_h, 2);
    out += '}';
  }
  out += ",\"clouds\":{\"all\":";
  append_int(out, sample.clouds_pct);
  out += "},\"dt\":";
  append_int(out, sample.dt);
  out += city.station;
  append_int(out, sample.sunrise);
  out += ",\"sunset\":";
  append_int(out, sample.sunset);
  out += city.tail;
}

}  // namespace squall::sources
