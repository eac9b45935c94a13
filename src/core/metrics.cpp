#include "core/metrics.hpp"

#include <algorithm>

namespace squall::metrics {
namespace {

void add_single(Families& out, std::string name, std::string help, prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  family.metric.push_back(std::move(metric));
  out.push_back(std::move(family));
}

}  // namespace

void add_counter(Families& out, std::string name, std::string help, double value) {
  add_single(out, std::move(name), std::move(help), prometheus::MetricType::Counter, value);
}

void add_gauge(Families& out, std::string name, std::string help, double value) {
  add_single(out, std::move(name), std::move(help), prometheus::MetricType::Gauge, value);
}

void add(Families& out, const prometheus::Collectable& collectable) {
  for (auto& family : collectable.Collect()) out.push_back(std::move(family));
}

const prometheus::Histogram::BucketBoundaries& latency_buckets() {
  static const prometheus::Histogram::BucketBoundaries kBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                               0.25,  0.5,    1,     2.5,  5,     10,   30, 60};
  return kBounds;
}

HistogramBatch::HistogramBatch(const prometheus::Histogram::BucketBoundaries& bounds)
    : bounds_(bounds), counts_(bounds.size() + 1, 0.0) {}

void HistogramBatch::observe(double value) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<std::size_t>(bucket)] += 1;
  sum_ += value;
  max_ = empty_ ? value : std::max(max_, value);
  empty_ = false;
}

void HistogramBatch::flush_into(prometheus::Histogram& histogram) {
  if (empty_) return;
  histogram.ObserveMultiple(counts_, sum_);
  std::fill(counts_.begin(), counts_.end(), 0.0);
  sum_ = 0;
  max_ = 0;
  empty_ = true;
}

}  // namespace squall::metrics
