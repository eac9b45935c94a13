#pragma once
// Sources: where raw OpenWeatherMap-shaped observations come from.
//
// A source yields raw payload bytes exactly as the OWM API returned (or would
// return) them; parsing is the processor's job, so the log always holds the
// original bytes and a replay sees what the first run saw.

#include <cstdint>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "core/observation.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace squall::sources {

struct RawObservation {
  std::int64_t city_id = 0;       // the id asked for; the payload carries its own too
  std::string payload;            // raw JSON body
  std::int64_t fetched_at_ms = 0; // wall clock when fetched, read or generated
  Units units = Units::standard;  // the `units` the payload is expressed in
};

enum class SourceState { more, exhausted };

class Source {
 public:
  virtual ~Source() = default;
  // Appends up to `max` observations to `out`. Blocks while pacing (rate
  // limit, poll interval) but returns promptly once `stop` is requested.
  // `exhausted` means no observation will ever follow (max-events reached,
  // end of a replay file). An Error is fatal (e.g. the API key was refused).
  virtual Result<SourceState> next(std::vector<RawObservation>& out, std::size_t max,
                                   std::stop_token stop) = 0;
  virtual std::string_view name() const = 0;
  // What the source saw, in Prometheus form (a live source's HTTP responses
  // by status); safe to call from another thread while next() runs.
  virtual metrics::Families collect_metrics() const { return {}; }
};

// Deterministic: the same options give the same payload bytes in the same
// order on every run (fetched_at_ms is the wall clock, though).
// Events go round-robin over the cities; observation k of a city has
// dt = start_time + k * step_s, so every event has its own (city, dt).
struct SimulatorOptions {
  std::uint64_t seed = 42;
  std::int64_t cities = 3;              // 1..1e6: Chicago, Miami, San Francisco, other real cities, "Station n"
  double rate = 0;                      // events per second; 0 = as fast as possible
  std::int64_t max_events = 0;          // 0 = unbounded
  std::int64_t start_time = 1700000000; // `dt` of the first observation of each city
  std::int64_t step_s = 600;            // seconds between two observations of one city
  Units units = Units::standard;
};

// Each non-blank line is passed on byte for byte (without its line ending),
// even when it is not valid JSON: the processor dead-letters bad input.
struct ReplayOptions {
  std::string path;                     // NDJSON, one raw OWM response per line
  Units units = Units::standard;        // what the recorded requests asked for
  double rate = 0;
  std::int64_t max_events = 0;
};

// Polls every city once per cycle. 5xx, 429 and network failures are retried
// with jittered exponential backoff (429's Retry-After wins), then the city is
// skipped with a warning until the next cycle; so is a 404. A 401 is fatal
// (Errc::auth). A 200 is passed on whatever its body holds.
struct OpenWeatherOptions {
  std::string base_url = "https://api.openweathermap.org";
  std::string api_key;                  // never printed or logged
  std::vector<std::int64_t> city_ids{4887398, 4164138, 5391959};
  Units units = Units::standard;
  std::int64_t poll_interval_ms = 600'000;  // between cycle starts; OWM updates about every 10 minutes
  std::int64_t timeout_ms = 10'000;
  int max_retries = 5;                  // retries after the first attempt
  std::int64_t backoff_initial_ms = 500;
  std::int64_t backoff_max_ms = 60'000;
  std::int64_t max_events = 0;          // observations to emit; 0 = unbounded
  std::string record_path;              // --record FILE: append raw 200 bodies as NDJSON
};

Result<std::unique_ptr<Source>> make_simulator(const SimulatorOptions& options);
Result<std::unique_ptr<Source>> make_replay(const ReplayOptions& options);
Result<std::unique_ptr<Source>> make_openweather(const OpenWeatherOptions& options);

}  // namespace squall::sources
