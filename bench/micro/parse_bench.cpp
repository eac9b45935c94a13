// Parse + validate + normalise of OpenWeatherMap payloads, the processor's
// hot path. DESIGN §6 asks for >= 1 M observations/s on one core.

#include <benchmark/benchmark.h>

#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "processor/owm_parser.hpp"
#include "sources/source.hpp"

namespace {

std::vector<std::string> simulated_payloads(squall::Units units, std::int64_t count) {
  squall::sources::SimulatorOptions options;
  options.cities = 1000;
  options.max_events = count;
  options.units = units;
  auto source = squall::sources::make_simulator(options);
  if (!source) throw std::runtime_error(source.error().message);
  std::vector<squall::sources::RawObservation> raw;
  while (true) {
    auto state = (*source)->next(raw, 4096, std::stop_token{});
    if (!state) throw std::runtime_error(state.error().message);
    if (*state == squall::sources::SourceState::exhausted) break;
  }
  std::vector<std::string> payloads;
  for (auto& r : raw) payloads.push_back(std::move(r.payload));
  return payloads;
}

void parse_and_validate(benchmark::State& state, squall::Units units) {
  const auto payloads = simulated_payloads(units, 10'000);
  squall::processor::OwmParser parser;
  squall::Observation observation;
  std::size_t i = 0;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& payload = payloads[i];
    auto parsed = parser.parse(payload, units, observation);
    if (!parsed || !squall::processor::validate(observation)) {
      state.SkipWithError("payload rejected");
      break;
    }
    benchmark::DoNotOptimize(observation.temp_c);
    bytes += static_cast<std::int64_t>(payload.size());
    i = (i + 1) % payloads.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}

void BM_ParseStandard(benchmark::State& state) { parse_and_validate(state, squall::Units::standard); }
void BM_ParseMetric(benchmark::State& state) { parse_and_validate(state, squall::Units::metric); }
void BM_ParseImperial(benchmark::State& state) { parse_and_validate(state, squall::Units::imperial); }

void BM_RejectMalformed(benchmark::State& state) {
  squall::processor::OwmParser parser;
  squall::Observation observation;
  const std::string bad = R"({"coord":{"lon":-87.65,"lat":41.85},"main":{"temp":"warm"},"dt":1700000000,"id":1})";
  for (auto _ : state) {
    auto parsed = parser.parse(bad, squall::Units::standard, observation);
    benchmark::DoNotOptimize(parsed.ok());
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_ParseStandard);
BENCHMARK(BM_ParseMetric);
BENCHMARK(BM_ParseImperial);
BENCHMARK(BM_RejectMalformed);
BENCHMARK_MAIN();
