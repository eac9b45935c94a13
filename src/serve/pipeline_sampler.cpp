#include "serve/pipeline_sampler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace squall::serve {
namespace {

HistogramSnapshot snapshot(const prometheus::Histogram& histogram) {
  const prometheus::ClientMetric metric = histogram.Collect();
  HistogramSnapshot out;
  for (const auto& bucket : metric.histogram.bucket) {
    out.upper_bounds.push_back(bucket.upper_bound);
    out.cumulative.push_back(bucket.cumulative_count);
  }
  return out;
}

std::optional<double> per_second(std::int64_t from, std::int64_t to, std::int64_t elapsed_ms) {
  if (elapsed_ms <= 0) return std::nullopt;
  return static_cast<double>(to - from) * 1000.0 / static_cast<double>(elapsed_ms);
}

}  // namespace

std::optional<double> quantile_between(const HistogramSnapshot& older, const HistogramSnapshot& newer,
                                       double quantile) {
  const std::size_t buckets = newer.cumulative.size();
  if (buckets == 0 || older.cumulative.size() != buckets) return std::nullopt;
  const auto count_at = [&](std::size_t i) {
    return static_cast<double>(newer.cumulative[i] - older.cumulative[i]);
  };
  const double total = count_at(buckets - 1);
  if (total <= 0) return std::nullopt;
  const double rank = quantile * total;
  for (std::size_t i = 0; i < buckets; ++i) {
    if (count_at(i) < rank) continue;
    const double upper = newer.upper_bounds[i];
    const double lower = i == 0 ? 0.0 : newer.upper_bounds[i - 1];
    // Past the last finite bound nothing tells how far: report that bound.
    if (std::isinf(upper)) return lower;
    const double below = i == 0 ? 0.0 : count_at(i - 1);
    const double in_bucket = count_at(i) - below;
    if (in_bucket <= 0) return upper;
    return lower + (upper - lower) * (rank - below) / in_bucket;
  }
  return newer.upper_bounds[buckets - 1];
}

PipelineSampler::Sample PipelineSampler::take(std::int64_t now_ms) const {
  Sample s;
  s.at_ms = now_ms;
  if (live_.ingest != nullptr) s.produced = live_.ingest->produced.load(std::memory_order_relaxed);
  if (live_.processor != nullptr) {
    s.consumed = live_.processor->consumed.load(std::memory_order_relaxed);
    s.stored = live_.processor->observations.load(std::memory_order_relaxed);
    s.latency = snapshot(live_.processor->produce_to_stored);
    s.max_latency_ms = static_cast<double>(live_.processor->latency_max_ms.exchange(-1, std::memory_order_relaxed));
  }
  return s;
}

PipelineRates PipelineSampler::rates(std::int64_t now_ms) {
  std::lock_guard lock(mutex_);
  if (samples_.empty() || now_ms - samples_.back().at_ms >= 1000) samples_.push_back(take(now_ms));
  while (samples_.size() > 2 && now_ms - samples_.front().at_ms > window_ms_) samples_.pop_front();

  PipelineRates out;
  if (samples_.size() < 2) return out;
  const Sample& first = samples_.front();
  const Sample& last = samples_.back();
  const std::int64_t elapsed = last.at_ms - first.at_ms;
  if (live_.ingest != nullptr) out.produced_per_s = per_second(first.produced, last.produced, elapsed);
  if (live_.processor == nullptr) return out;
  out.consumed_per_s = per_second(first.consumed, last.consumed, elapsed);
  out.stored_per_s = per_second(first.stored, last.stored, elapsed);
  const auto p50 = quantile_between(first.latency, last.latency, 0.50);
  if (!p50) return out;
  LatencySummary latency;
  latency.p50_ms = *p50 * 1000.0;
  latency.p95_ms = quantile_between(first.latency, last.latency, 0.95).value_or(0) * 1000.0;
  latency.p99_ms = quantile_between(first.latency, last.latency, 0.99).value_or(0) * 1000.0;
  // The first sample's maximum belongs to the time before the window.
  latency.max_ms = -1;
  for (std::size_t i = 1; i < samples_.size(); ++i) latency.max_ms = std::max(latency.max_ms, samples_[i].max_latency_ms);
  if (latency.max_ms >= 0) {
    // Interpolating inside a bucket can overshoot the largest real value.
    latency.p50_ms = std::min(latency.p50_ms, latency.max_ms);
    latency.p95_ms = std::min(latency.p95_ms, latency.max_ms);
    latency.p99_ms = std::min(latency.p99_ms, latency.max_ms);
  } else {
    latency.max_ms = latency.p99_ms;
  }
  out.latency = latency;
  return out;
}

}  // namespace squall::serve
