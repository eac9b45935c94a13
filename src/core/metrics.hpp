#pragma once
// Exporting a stage's counters in Prometheus' data model (prometheus-cpp).
//
// Each stage keeps its own counters (plain atomics for the hot paths,
// prometheus-cpp families where a metric has labels or a distribution) and
// turns them into metric families on demand; serve/ renders those at
// /metrics. Nothing is registered globally, so tests and several pipelines in
// one process never share a series.

#include <cstdint>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>

namespace squall::metrics {

using Families = std::vector<prometheus::MetricFamily>;

void add_counter(Families& out, std::string name, std::string help, double value);
void add_gauge(Families& out, std::string name, std::string help, double value);
void add(Families& out, const prometheus::Collectable& collectable);

// Bucket bounds of latencies in seconds: 1 ms to 60 s.
const prometheus::Histogram::BucketBoundaries& latency_buckets();

// Observations gathered without locking, then handed to a histogram in one
// call: prometheus-cpp locks a histogram on every observation, too much for
// one per record at hundreds of thousands of records a second.
class HistogramBatch {
 public:
  explicit HistogramBatch(const prometheus::Histogram::BucketBoundaries& bounds);
  void observe(double value);
  // Adds what was observed to `histogram` (which has the same bounds) and starts over.
  void flush_into(prometheus::Histogram& histogram);
  double max() const { return max_; }

 private:
  const prometheus::Histogram::BucketBoundaries& bounds_;
  std::vector<double> counts_;
  double sum_ = 0;
  double max_ = 0;
  bool empty_ = true;
};

}  // namespace squall::metrics
