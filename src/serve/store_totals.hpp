#pragma once
// The store's totals (rows per table, oldest and newest observation) for
// /metrics and /api/pipeline, counted again only when the last count is old
// enough. Counting scans whole tables (Cassandra keeps no row counts), so
// a count is reused for at least kMinAgeMs and for twenty times as long as
// it took: however often the dashboard or a Prometheus server asks, the
// scans take at most a twentieth of the store's time. A count taking 1.5 s
// is redone every 30 s.

#include <cstdint>
#include <functional>
#include <optional>
#include <utility>

#include "core/result.hpp"
#include "store/store.hpp"

namespace squall::serve {

class StoreTotals {
 public:
  static constexpr std::int64_t kMinAgeMs = 2000;
  static constexpr std::int64_t kCostFactor = 20;

  using Clock = std::function<std::int64_t()>;  // milliseconds, steady
  using Count = std::function<Result<store::Stats>()>;

  explicit StoreTotals(Clock clock) : clock_(std::move(clock)) {}

  // The last good count, counting again first when it is due; nullopt until
  // a count has succeeded. A failed count is retried at the next request.
  std::optional<store::Stats> get(const Count& count);

 private:
  Clock clock_;
  std::optional<store::Stats> totals_;
  std::int64_t counted_at_ms_ = 0;
  std::int64_t reuse_for_ms_ = 0;
};

}  // namespace squall::serve
