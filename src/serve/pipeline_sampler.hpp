#pragma once
// Turns the pipeline's ever-growing counters into what a person watching it
// wants: rates and latency percentiles over the last few seconds.
//
// Samples are taken when asked for (each /api/pipeline request), at most one
// a second, and kept for a short window; rates and percentiles compare the
// newest sample with the oldest one still in the window, so they describe
// the recent past rather than the whole run.

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "serve/serve.hpp"

namespace squall::serve {

struct LatencySummary {
  double p50_ms = 0;
  double p95_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct PipelineRates {
  std::optional<double> produced_per_s;
  std::optional<double> consumed_per_s;
  std::optional<double> stored_per_s;
  std::optional<LatencySummary> latency;  // no record was stored in the window
};

// A histogram as cumulative counts per upper bound (the last is +Inf).
struct HistogramSnapshot {
  std::vector<double> upper_bounds;
  std::vector<std::uint64_t> cumulative;
};

// The value below which `quantile` (0..1) of the observations between two
// snapshots of one histogram fall, interpolating linearly inside the bucket
// as Prometheus' histogram_quantile() does; nullopt when nothing was observed.
std::optional<double> quantile_between(const HistogramSnapshot& older, const HistogramSnapshot& newer,
                                       double quantile);

class PipelineSampler {
 public:
  explicit PipelineSampler(LivePipeline live, std::int64_t window_ms = 10'000) : live_(live), window_ms_(window_ms) {}

  // Takes a sample if the last is at least a second old, then summarises the window.
  PipelineRates rates(std::int64_t now_ms);

 private:
  struct Sample {
    std::int64_t at_ms = 0;
    std::int64_t produced = 0;
    std::int64_t consumed = 0;
    std::int64_t stored = 0;
    HistogramSnapshot latency;
    double max_latency_ms = -1;  // the largest since the previous sample; -1 none
  };
  Sample take(std::int64_t now_ms) const;

  LivePipeline live_;
  std::int64_t window_ms_;
  std::mutex mutex_;
  std::deque<Sample> samples_;
};

}  // namespace squall::serve
