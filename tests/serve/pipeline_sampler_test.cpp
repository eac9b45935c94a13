#include "serve/pipeline_sampler.hpp"

#include <gtest/gtest.h>

namespace squall::serve {
namespace {

HistogramSnapshot histogram(std::vector<std::uint64_t> cumulative) {
  HistogramSnapshot h;
  h.upper_bounds = {0.01, 0.1, 1.0, std::numeric_limits<double>::infinity()};
  h.cumulative = std::move(cumulative);
  return h;
}

TEST(QuantileBetween, InterpolatesInsideTheBucketHoldingTheRank) {
  // 100 observations between the snapshots: 50 below 10 ms, 40 in (10, 100] ms, 10 in (0.1, 1] s.
  const auto older = histogram({5, 5, 5, 5});
  const auto newer = histogram({55, 95, 105, 105});
  EXPECT_DOUBLE_EQ(*quantile_between(older, newer, 0.5), 0.01);
  EXPECT_NEAR(*quantile_between(older, newer, 0.7), 0.01 + 0.09 * 20.0 / 40.0, 1e-12);
  EXPECT_NEAR(*quantile_between(older, newer, 0.95), 0.1 + 0.9 * 5.0 / 10.0, 1e-12);
}

TEST(QuantileBetween, NothingObservedHasNoQuantile) {
  EXPECT_FALSE(quantile_between(histogram({3, 4, 5, 5}), histogram({3, 4, 5, 5}), 0.5));
  EXPECT_FALSE(quantile_between(HistogramSnapshot{}, HistogramSnapshot{}, 0.5));
}

TEST(QuantileBetween, BeyondTheLastBoundReportsThatBound) {
  EXPECT_DOUBLE_EQ(*quantile_between(histogram({0, 0, 0, 0}), histogram({0, 0, 0, 10}), 0.99), 1.0);
}

TEST(PipelineSampler, RatesComeFromTheCountersGrowthOverTheWindow) {
  ingest::IngestCounters ingest;
  processor::ProcessorCounters processor;
  PipelineSampler sampler(LivePipeline{&ingest, nullptr, &processor});
  EXPECT_FALSE(sampler.rates(10'000).stored_per_s) << "one sample cannot make a rate";

  ingest.produced = 2000;
  processor.consumed = 1000;
  processor.observations = 900;
  processor.produce_to_stored.Observe(0.004);
  processor.produce_to_stored.Observe(0.2);
  processor.latency_max_ms = 200;
  const PipelineRates rates = sampler.rates(12'000);
  ASSERT_TRUE(rates.produced_per_s && rates.consumed_per_s && rates.stored_per_s);
  EXPECT_DOUBLE_EQ(*rates.produced_per_s, 1000.0);
  EXPECT_DOUBLE_EQ(*rates.consumed_per_s, 500.0);
  EXPECT_DOUBLE_EQ(*rates.stored_per_s, 450.0);
  ASSERT_TRUE(rates.latency);
  EXPECT_DOUBLE_EQ(rates.latency->max_ms, 200.0);
  EXPECT_LE(rates.latency->p99_ms, 200.0);
  EXPECT_GT(rates.latency->p99_ms, 100.0);
  EXPECT_LE(rates.latency->p50_ms, 5.0);
  EXPECT_EQ(processor.latency_max_ms.load(), -1) << "the sampler takes the maximum it reports";
}

TEST(PipelineSampler, OldSamplesLeaveTheWindow) {
  processor::ProcessorCounters processor;
  PipelineSampler sampler(LivePipeline{nullptr, nullptr, &processor}, 10'000);
  (void)sampler.rates(0);
  processor.observations = 1'000'000;  // a burst long ago
  (void)sampler.rates(1'000);
  (void)sampler.rates(30'000);
  processor.observations = 1'000'100;
  const PipelineRates rates = sampler.rates(31'000);
  ASSERT_TRUE(rates.stored_per_s);
  EXPECT_DOUBLE_EQ(*rates.stored_per_s, 100.0) << "only the last second counts: the burst left the window";
  EXPECT_FALSE(rates.produced_per_s) << "no ingest stage here";
}

}  // namespace
}  // namespace squall::serve
