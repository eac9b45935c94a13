#include "serve/store_totals.hpp"

#include <algorithm>

namespace squall::serve {

std::optional<store::Stats> StoreTotals::get(const Count& count) {
  const std::int64_t started_ms = clock_();
  if (totals_ && started_ms - counted_at_ms_ < reuse_for_ms_) return totals_;
  auto counted = count();
  if (!counted) return totals_;
  const std::int64_t took_ms = clock_() - started_ms;
  totals_ = *counted;
  counted_at_ms_ = started_ms;
  reuse_for_ms_ = std::max(kMinAgeMs, kCostFactor * took_ms);
  return totals_;
}

}  // namespace squall::serve
