// The simulator source: deterministic OWM-shaped observations for any number
// of cities, the load generator for tests and benchmarks.

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/time.hpp"
#include "sources/cities.hpp"
#include "sources/owm_writer.hpp"
#include "sources/pacer.hpp"
#include "sources/source.hpp"
#include "sources/weather_model.hpp"

namespace squall::sources {
namespace {

constexpr std::int64_t kMaxCities = 1'000'000;
constexpr std::size_t kPayloadReserve = 640;  // a typical response is 450-550 bytes

class SimulatorSource final : public Source {
 public:
  explicit SimulatorSource(const SimulatorOptions& options) : options_(options), pacer_(options.rate) {
    const auto count = static_cast<std::size_t>(options.cities);
    ids_.reserve(count);
    fragments_.reserve(count);
    weather_.reserve(count);
    for (std::int64_t index = 0; index < options.cities; ++index) {
      const City city = simulated_city(index);
      ids_.push_back(city.id);
      fragments_.push_back(render_city(city));
      weather_.emplace_back(city, options.seed, options.step_s);
    }
  }

  Result<SourceState> next(std::vector<RawObservation>& out, std::size_t max, std::stop_token stop) override {
    std::size_t wanted = max;
    if (options_.max_events > 0) {
      if (emitted_ >= options_.max_events) return SourceState::exhausted;
      wanted = std::min(wanted, static_cast<std::size_t>(options_.max_events - emitted_));
    }
    const std::size_t granted = pacer_.paced() ? take_when_due(pacer_, wanted, stop) : wanted;
    for (std::size_t i = 0; i < granted; ++i) emit(out);
    const bool done = options_.max_events > 0 && emitted_ >= options_.max_events;
    return done ? SourceState::exhausted : SourceState::more;
  }

  std::string_view name() const override { return "simulator"; }

 private:
  // Round-robin over the cities: event i is observation i / C of city i % C,
  // so every event has its own (city, dt).
  void emit(std::vector<RawObservation>& out) {
    const auto city_count = static_cast<std::int64_t>(weather_.size());
    const auto city = static_cast<std::size_t>(emitted_ % city_count);
    const std::int64_t dt = options_.start_time + (emitted_ / city_count) * options_.step_s;
    const WeatherSample sample = weather_[city].observe(dt);

    RawObservation& raw = out.emplace_back();
    raw.city_id = ids_[city];
    raw.units = options_.units;
    raw.payload.reserve(kPayloadReserve);
    append_owm_json(raw.payload, fragments_[city], sample, options_.units);
    raw.fetched_at_ms = now_ms();
    ++emitted_;
  }

  SimulatorOptions options_;
  Pacer pacer_;
  std::vector<std::int64_t> ids_;
  std::vector<CityFragments> fragments_;
  std::vector<CityWeather> weather_;
  std::int64_t emitted_ = 0;
};

Result<void> check(const SimulatorOptions& options) {
  if (options.cities < 1 || options.cities > kMaxCities) {
    return make_error(Errc::invalid_argument,
                      fmt::format("simulator: cities must be between 1 and {}, got {}", kMaxCities, options.cities));
  }
  if (options.step_s <= 0) {
    return make_error(Errc::invalid_argument,
                      fmt::format("simulator: step must be a positive number of seconds, got {}", options.step_s));
  }
  if (!(options.rate >= 0) || !std::isfinite(options.rate)) {
    return make_error(Errc::invalid_argument,
                      fmt::format("simulator: rate must be a finite number >= 0 events/s, got {}", options.rate));
  }
  if (options.max_events < 0) {
    return make_error(Errc::invalid_argument,
                      fmt::format("simulator: max-events must be >= 0 (0 = unbounded), got {}", options.max_events));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Source>> make_simulator(const SimulatorOptions& options) {
  SQUALL_TRY(check(options));
  return std::unique_ptr<Source>(std::make_unique<SimulatorSource>(options));
}

}  // namespace squall::sources
