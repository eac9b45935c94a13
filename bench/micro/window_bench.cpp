// Event-time windows: the dedup check and window update every accepted
// observation goes through, and the collection of changed windows each batch.

#include <benchmark/benchmark.h>

#include <vector>

#include "processor/windows.hpp"

namespace {

using squall::processor::Verdict;
using squall::processor::WindowAggregate;
using squall::processor::WindowEngine;
using squall::processor::WindowOptions;

constexpr std::int64_t kStart = 1700000000;
constexpr std::int64_t kStepS = 600;
constexpr std::int64_t kNowMs = 1'800'000'000'000;

squall::Observation observation(std::int64_t city_id, std::int64_t observed_at) {
  squall::Observation o;
  o.city_id = city_id;
  o.observed_at = observed_at;
  o.temp_c = 10.0 + static_cast<double>(city_id % 17);
  o.humidity_pct = 60;
  o.pressure_hpa = 1015;
  o.wind_speed_ms = 4.2;
  o.wind_gust_ms = 7.1;
  o.rain_1h_mm = 0.2;
  return o;
}

// Fresh observations round-robin over state.range(0) cities (one partition),
// in log order, with the 1h and 1d windows of the defaults; every 5 000
// records the changed windows are collected, as the processor does per batch.
void BM_WindowAdd(benchmark::State& state) {
  const std::int64_t cities = state.range(0);
  WindowEngine engine(WindowOptions{});
  engine.track(0, kNowMs);
  std::vector<WindowAggregate> changed;
  std::int64_t offset = 0;
  for (auto _ : state) {
    const std::int64_t city = offset % cities;
    const std::int64_t round = offset / cities;
    benchmark::DoNotOptimize(engine.add(0, offset, observation(city + 1, kStart + round * kStepS), kNowMs));
    if (++offset % 5000 == 0) {
      changed.clear();
      engine.collect(kNowMs, changed);
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WindowAdd)->Arg(1000)->Arg(10000);

// A record seen before: the dedup check alone decides, no window changes.
void BM_WindowDuplicate(benchmark::State& state) {
  WindowEngine engine(WindowOptions{});
  engine.track(0, kNowMs);
  const std::int64_t cities = 10000;
  for (std::int64_t i = 0; i < cities; ++i) (void)engine.add(0, i, observation(i + 1, kStart), kNowMs);
  std::int64_t i = 0;
  for (auto _ : state) {
    const Verdict verdict = engine.add(0, cities + i, observation(i % cities + 1, kStart), kNowMs);
    if (verdict != Verdict::duplicate) state.SkipWithError("expected a duplicate");
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WindowDuplicate);

}  // namespace

BENCHMARK_MAIN();
