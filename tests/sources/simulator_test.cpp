#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/time.hpp"
#include "sources/cities.hpp"
#include "sources/owm_writer.hpp"
#include "sources/source.hpp"

namespace squall::sources {
namespace {

std::unique_ptr<Source> simulator(const SimulatorOptions& options) {
  auto source = make_simulator(options);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  return std::move(source).value();
}

// Drains a bounded simulator in batches of `batch`.
std::vector<RawObservation> drain(Source& source, std::size_t batch = 1000) {
  std::vector<RawObservation> all;
  for (int call = 0; call < 100'000; ++call) {
    const auto state = source.next(all, batch, {});
    EXPECT_TRUE(state.ok());
    if (!state.ok() || *state == SourceState::exhausted) break;
  }
  return all;
}

std::vector<RawObservation> simulate(SimulatorOptions options, std::int64_t events) {
  options.max_events = events;
  return drain(*simulator(options));
}

std::vector<std::string> payloads(const std::vector<RawObservation>& observations) {
  std::vector<std::string> result;
  for (const auto& raw : observations) result.push_back(raw.payload);
  return result;
}

std::vector<std::string> keys_of(simdjson::dom::object object) {
  std::vector<std::string> keys;
  for (auto field : object) keys.emplace_back(field.key);
  return keys;
}

// A parsed payload; the parser owns the document, so keep one per value.
struct Parsed {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  explicit Parsed(const std::string& json) : root(parser.parse(json)) {}
  double number(const char* pointer) { return root.at_pointer(pointer).get_double(); }
  bool has(const char* key) { return root.get_object()[key].error() == simdjson::SUCCESS; }
};

TEST(SimulatorTest, SameSeedGivesIdenticalPayloads) {
  SimulatorOptions options;
  options.seed = 7;
  options.cities = 90;  // beyond the built-in table
  EXPECT_EQ(payloads(simulate(options, 3000)), payloads(simulate(options, 3000)));
}

TEST(SimulatorTest, DifferentSeedGivesDifferentWeather) {
  SimulatorOptions first;
  first.seed = 7;
  SimulatorOptions second = first;
  second.seed = 8;
  const auto a = payloads(simulate(first, 300));
  const auto b = payloads(simulate(second, 300));
  ASSERT_EQ(a.size(), b.size());
  std::size_t differing = 0;
  for (std::size_t i = 0; i < a.size(); ++i) differing += a[i] != b[i] ? 1 : 0;
  EXPECT_GT(differing, a.size() * 9 / 10);
}

TEST(SimulatorTest, StopsAfterExactlyMaxEvents) {
  SimulatorOptions options;
  options.cities = 5;
  options.max_events = 1234;
  auto source = simulator(options);
  std::vector<RawObservation> out;
  std::size_t calls = 0;
  for (auto state = source->next(out, 500, {}); state.ok() && *state == SourceState::more;
       state = source->next(out, 500, {})) {
    ASSERT_LT(++calls, 10u);
  }
  EXPECT_EQ(out.size(), 1234u);
  const auto after = source->next(out, 500, {});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, SourceState::exhausted);
  EXPECT_EQ(out.size(), 1234u);
}

TEST(SimulatorTest, HonoursTheBatchLimit) {
  SimulatorOptions options;
  auto source = simulator(options);
  std::vector<RawObservation> out;
  const auto state = source->next(out, 17, {});
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, SourceState::more);
  EXPECT_EQ(out.size(), 17u);
}

TEST(SimulatorTest, EveryEventHasItsOwnCityAndTime) {
  SimulatorOptions options;
  options.cities = 7;
  options.start_time = 1'650'000'000;
  options.step_s = 300;
  const auto observations = simulate(options, 1000);
  ASSERT_EQ(observations.size(), 1000u);
  std::set<std::pair<std::int64_t, std::int64_t>> pairs;
  for (std::size_t i = 0; i < observations.size(); ++i) {
    Parsed parsed(observations[i].payload);
    const std::int64_t id = parsed.root["id"].get_int64();
    const std::int64_t dt = parsed.root["dt"].get_int64();
    EXPECT_EQ(id, observations[i].city_id);
    EXPECT_EQ(dt, options.start_time + static_cast<std::int64_t>(i / 7) * options.step_s);
    pairs.emplace(id, dt);
  }
  EXPECT_EQ(pairs.size(), 1000u);
}

TEST(SimulatorTest, ReferenceCitiesComeFirst) {
  SimulatorOptions options;
  const auto observations = simulate(options, 3);
  ASSERT_EQ(observations.size(), 3u);
  const std::vector<std::pair<std::int64_t, std::string>> expected{
      {4887398, "Chicago"}, {4164138, "Miami"}, {5391959, "San Francisco"}};
  for (std::size_t i = 0; i < 3; ++i) {
    Parsed parsed(observations[i].payload);
    EXPECT_EQ(observations[i].city_id, expected[i].first);
    EXPECT_EQ(parsed.root["id"].get_int64().value(), expected[i].first);
    EXPECT_EQ(parsed.root["name"].get_string().value(), expected[i].second);
    EXPECT_EQ(parsed.root["sys"]["country"].get_string().value(), "US");
  }
  Parsed chicago(observations[0].payload);
  EXPECT_DOUBLE_EQ(chicago.number("/coord/lat"), 41.85);
  EXPECT_DOUBLE_EQ(chicago.number("/coord/lon"), -87.65);
  EXPECT_EQ(chicago.root["timezone"].get_int64().value(), -21600);
}

TEST(SimulatorTest, TableCitiesThenSynthesizedStations) {
  SimulatorOptions options;
  options.cities = static_cast<std::int64_t>(builtin_city_count()) + 3;
  const auto observations = simulate(options, options.cities);
  std::set<std::int64_t> ids;
  std::set<std::string> names;
  for (const auto& raw : observations) {
    Parsed parsed(raw.payload);
    ids.insert(raw.city_id);
    names.emplace(parsed.root["name"].get_string().value());
  }
  EXPECT_EQ(ids.size(), observations.size());
  EXPECT_GE(builtin_city_count(), 50u);
  EXPECT_TRUE(names.count("São Paulo"));
  EXPECT_TRUE(names.count("Zürich"));
  EXPECT_TRUE(names.count("Station 3"));

  Parsed station(observations.back().payload);
  EXPECT_EQ(station.root["id"].get_int64().value(), kSynthesizedIdBase + 3);
  EXPECT_FALSE(station.root["sys"]["country"].error() == simdjson::SUCCESS);
  EXPECT_LE(std::abs(station.number("/coord/lat")), 90);
  EXPECT_LE(std::abs(station.number("/coord/lon")), 180);
}

TEST(SimulatorTest, PayloadHasTheOpenWeatherMapShape) {
  SimulatorOptions options;
  options.cities = 40;
  const auto observations = simulate(options, 4000);
  for (const auto& raw : observations) {
    Parsed parsed(raw.payload);
    std::vector<std::string> expected{"coord", "weather", "base", "main"};
    if (parsed.has("visibility")) expected.emplace_back("visibility");
    expected.emplace_back("wind");
    if (parsed.has("rain")) expected.emplace_back("rain");
    if (parsed.has("snow")) expected.emplace_back("snow");
    for (const char* key : {"clouds", "dt", "sys", "timezone", "id", "name", "cod"}) expected.emplace_back(key);
    ASSERT_EQ(keys_of(parsed.root.get_object()), expected) << raw.payload;

    EXPECT_EQ(keys_of(parsed.root["coord"].get_object()), (std::vector<std::string>{"lon", "lat"}));
    EXPECT_EQ(keys_of(parsed.root["main"].get_object()),
              (std::vector<std::string>{"temp", "feels_like", "temp_min", "temp_max", "pressure", "humidity",
                                        "sea_level", "grnd_level"}));
    auto wind_keys = keys_of(parsed.root["wind"].get_object());
    if (wind_keys.size() == 3) {
      EXPECT_EQ(wind_keys.back(), "gust");
    }
    wind_keys.resize(2);
    EXPECT_EQ(wind_keys, (std::vector<std::string>{"speed", "deg"}));
    EXPECT_EQ(keys_of(parsed.root["sys"].get_object()),
              (std::vector<std::string>{"type", "id", "country", "sunrise", "sunset"}));
    EXPECT_EQ(keys_of(parsed.root["clouds"].get_object()), (std::vector<std::string>{"all"}));
    simdjson::dom::array weather = parsed.root["weather"].get_array();
    ASSERT_GE(weather.size(), 1u);
    for (auto condition : weather) {
      EXPECT_EQ(keys_of(condition.get_object()), (std::vector<std::string>{"id", "main", "description", "icon"}));
    }
    EXPECT_EQ(parsed.root["base"].get_string().value(), "stations");
    EXPECT_EQ(parsed.root["cod"].get_int64().value(), 200);
    EXPECT_LT(parsed.root["sys"]["sunrise"].get_int64().value(), parsed.root["sys"]["sunset"].get_int64().value());
  }
}

struct Range {
  double low;
  double high;
};

void expect_plausible(Units units, Range temperature, Range wind) {
  SimulatorOptions options;
  options.cities = 70;
  options.units = units;
  for (const auto& raw : simulate(options, 7000)) {
    EXPECT_EQ(raw.units, units);
    Parsed parsed(raw.payload);
    for (const char* field : {"/main/temp", "/main/feels_like", "/main/temp_min", "/main/temp_max"}) {
      const double value = parsed.number(field);
      EXPECT_GE(value, temperature.low) << field << " " << raw.payload;
      EXPECT_LE(value, temperature.high) << field << " " << raw.payload;
    }
    EXPECT_LE(parsed.number("/main/temp_min"), parsed.number("/main/temp"));
    EXPECT_GE(parsed.number("/main/temp_max"), parsed.number("/main/temp"));
    const double speed = parsed.number("/wind/speed");
    EXPECT_GE(speed, wind.low);
    EXPECT_LE(speed, wind.high);
    if (parsed.root["wind"]["gust"].error() == simdjson::SUCCESS) {
      EXPECT_GE(parsed.number("/wind/gust"), speed);
    }
    EXPECT_GE(parsed.number("/main/humidity"), 0);
    EXPECT_LE(parsed.number("/main/humidity"), 100);
    EXPECT_GE(parsed.number("/main/pressure"), 950);
    EXPECT_LE(parsed.number("/main/pressure"), 1070);
    EXPECT_LE(parsed.number("/main/grnd_level"), parsed.number("/main/pressure"));
    EXPECT_GE(parsed.number("/clouds/all"), 0);
    EXPECT_LE(parsed.number("/clouds/all"), 100);
  }
}

TEST(SimulatorTest, ValuesArePlausibleInKelvin) { expect_plausible(Units::standard, {213, 333}, {0, 40}); }
TEST(SimulatorTest, ValuesArePlausibleInCelsius) { expect_plausible(Units::metric, {-60, 60}, {0, 40}); }
TEST(SimulatorTest, ValuesArePlausibleInFahrenheit) { expect_plausible(Units::imperial, {-76, 140}, {0, 90}); }

TEST(SimulatorTest, UnitsDescribeTheSameWeather) {
  SimulatorOptions options;
  options.cities = 10;
  options.units = Units::standard;
  const auto kelvin = simulate(options, 500);
  options.units = Units::metric;
  const auto celsius = simulate(options, 500);
  options.units = Units::imperial;
  const auto fahrenheit = simulate(options, 500);
  for (std::size_t i = 0; i < kelvin.size(); ++i) {
    Parsed k(kelvin[i].payload);
    Parsed c(celsius[i].payload);
    Parsed f(fahrenheit[i].payload);
    EXPECT_NEAR(k.number("/main/temp") - 273.15, c.number("/main/temp"), 0.011);
    EXPECT_NEAR(c.number("/main/temp") * 1.8 + 32, f.number("/main/temp"), 0.03);
    EXPECT_NEAR(c.number("/wind/speed") * 2.23694, f.number("/wind/speed"), 0.03);
    EXPECT_EQ(c.number("/main/humidity"), f.number("/main/humidity"));
  }
}

// Observations of one city over two months, in °C, hourly.
std::vector<RawObservation> hourly(std::int64_t cities, std::int64_t hours) {
  SimulatorOptions options;
  options.cities = cities;
  options.step_s = 3600;
  options.units = Units::metric;
  return simulate(options, cities * hours);
}

TEST(SimulatorTest, DaysAreColdestAroundSunriseAndWarmestInTheAfternoon) {
  const auto observations = hourly(2, 24 * 60);  // Chicago and Miami
  double morning = 0, afternoon = 0;
  int morning_count = 0, afternoon_count = 0;
  for (const auto& raw : observations) {
    Parsed parsed(raw.payload);
    const std::int64_t local = parsed.root["dt"].get_int64().value() + parsed.root["timezone"].get_int64().value();
    const std::int64_t hour = (local % 86'400) / 3600;
    if (hour >= 5 && hour <= 7) {
      morning += parsed.number("/main/temp");
      ++morning_count;
    } else if (hour >= 14 && hour <= 16) {
      afternoon += parsed.number("/main/temp");
      ++afternoon_count;
    }
  }
  EXPECT_GT(afternoon / afternoon_count, morning / morning_count + 3.0);
}

TEST(SimulatorTest, HumidityFallsAsTemperatureRises) {
  const auto observations = hourly(1, 24 * 30);
  std::vector<std::pair<double, double>> points;
  for (const auto& raw : observations) {
    Parsed parsed(raw.payload);
    points.emplace_back(parsed.number("/main/temp"), parsed.number("/main/humidity"));
  }
  double mean_t = 0, mean_h = 0;
  for (auto [t, h] : points) mean_t += t, mean_h += h;
  mean_t /= static_cast<double>(points.size());
  mean_h /= static_cast<double>(points.size());
  double covariance = 0;
  for (auto [t, h] : points) covariance += (t - mean_t) * (h - mean_h);
  EXPECT_LT(covariance, 0);
}

TEST(SimulatorTest, OptionalPartsComeAndGoLikeRealData) {
  SimulatorOptions options;
  options.cities = 70;
  options.units = Units::metric;
  options.step_s = 1800;
  int rain = 0, snow = 0, gust = 0, no_gust = 0, visibility = 0, no_visibility = 0;
  double clouds_wet = 0, clouds_dry = 0;
  int wet = 0, dry = 0;
  for (const auto& raw : simulate(options, 70 * 400)) {
    Parsed parsed(raw.payload);
    const bool has_rain = parsed.has("rain");
    const bool has_snow = parsed.has("snow");
    const std::string_view main = parsed.root["weather"].at(0)["main"].get_string().value();
    if (has_rain) {
      ++rain;
      EXPECT_EQ(main, "Rain");
      EXPECT_GT(parsed.number("/rain/1h"), 0);
    }
    if (has_snow) {
      ++snow;
      EXPECT_EQ(main, "Snow");
      EXPECT_LT(parsed.number("/main/temp"), 1.0);
    }
    if (!has_rain && !has_snow) {
      EXPECT_TRUE(main != "Rain" && main != "Snow");
    }
    (parsed.root["wind"]["gust"].error() == simdjson::SUCCESS ? gust : no_gust)++;
    (parsed.has("visibility") ? visibility : no_visibility)++;
    const double clouds = parsed.number("/clouds/all");
    if (has_rain || has_snow) {
      clouds_wet += clouds;
      ++wet;
    } else {
      clouds_dry += clouds;
      ++dry;
    }
  }
  EXPECT_GT(rain, 0);
  EXPECT_GT(snow, 0);
  EXPECT_GT(gust, 0);
  EXPECT_GT(no_gust, 0);
  EXPECT_GT(visibility, 0);
  EXPECT_GT(no_visibility, 0);
  ASSERT_GT(wet, 0);
  EXPECT_GT(clouds_wet / wet, clouds_dry / dry + 20);
  EXPECT_LT(wet, dry);  // rain is occasional
}

TEST(SimulatorTest, PressureWandersAroundStandardAtmosphere) {
  double sum = 0;
  int count = 0;
  for (const auto& raw : hourly(3, 24 * 30)) {
    Parsed parsed(raw.payload);
    sum += parsed.number("/main/pressure");
    ++count;
  }
  EXPECT_NEAR(sum / count, 1013, 8);
}

TEST(SimulatorTest, FetchTimeIsTheWallClock) {
  const std::int64_t before = now_ms();
  const auto observations = simulate(SimulatorOptions{}, 10);
  const std::int64_t after = now_ms();
  for (const auto& raw : observations) {
    EXPECT_GE(raw.fetched_at_ms, before);
    EXPECT_LE(raw.fetched_at_ms, after);
  }
}

TEST(SimulatorTest, RejectsUnusableOptions) {
  const auto rejects = [](SimulatorOptions options) {
    auto source = make_simulator(options);
    return !source.ok() && source.error().code == Errc::invalid_argument;
  };
  SimulatorOptions options;
  options.cities = 0;
  EXPECT_TRUE(rejects(options));
  options = {};
  options.step_s = 0;
  EXPECT_TRUE(rejects(options));
  options = {};
  options.rate = -1;
  EXPECT_TRUE(rejects(options));
  options = {};
  options.max_events = -5;
  EXPECT_TRUE(rejects(options));
}

TEST(SimulatorTest, StopInterruptsAPacedSimulator) {
  SimulatorOptions options;
  options.rate = 0.001;  // one event every 1000 s
  auto source = simulator(options);
  std::vector<RawObservation> out;
  ASSERT_TRUE(source->next(out, 10, {}).ok());
  EXPECT_EQ(out.size(), 1u);  // the first event is due at once

  std::stop_source stop;
  auto blocked = std::async(std::launch::async, [&] { return source->next(out, 10, stop.get_token()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // most likely blocked by now; either way works
  stop.request_stop();
  const auto state = blocked.get();  // returns promptly; a hang here fails by test timeout
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, SourceState::more);
  EXPECT_EQ(out.size(), 1u);
}

TEST(OwmWriterTest, DecimalsAreShortLikeTheApi) {
  const auto render = [](double value, int decimals) {
    std::string out;
    append_decimal(out, value, decimals);
    return out;
  };
  EXPECT_EQ(render(281.52, 2), "281.52");
  EXPECT_EQ(render(7.2, 2), "7.2");
  EXPECT_EQ(render(3.0, 2), "3");
  EXPECT_EQ(render(-0.25, 2), "-0.25");
  EXPECT_EQ(render(-0.001, 2), "0");
  EXPECT_EQ(render(0.05, 2), "0.05");
  EXPECT_EQ(render(-87.65, 4), "-87.65");
  EXPECT_EQ(render(41.850049, 4), "41.85");
  EXPECT_EQ(render(2.999, 2), "3");
}

}  // namespace
}  // namespace squall::sources
