#include "sources/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace squall::sources {

Backoff::Backoff(std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t seed)
    : initial_ms_(std::max<std::int64_t>(initial_ms, 0)), max_ms_(std::max<std::int64_t>(max_ms, 0)), rng_(seed) {}

std::int64_t Backoff::ceiling_ms(int attempt) const {
  // Doubling past 2^40 ms (35 years) cannot matter; stop before it overflows.
  const int doublings = std::clamp(attempt, 0, 40);
  const double ceiling = static_cast<double>(initial_ms_) * std::ldexp(1.0, doublings);
  return static_cast<std::int64_t>(std::min(ceiling, static_cast<double>(max_ms_)));
}

std::int64_t Backoff::delay_ms(int attempt) {
  const auto ceiling = static_cast<double>(ceiling_ms(attempt));
  return static_cast<std::int64_t>(std::floor(rng_.uniform() * (ceiling + 1)));
}

std::int64_t retry_delay_ms(Backoff& backoff, int attempt, std::optional<std::int64_t> retry_after_s) {
  if (retry_after_s && *retry_after_s >= 0) {
    return std::min(*retry_after_s, kMaxRetryAfterMs / 1000) * 1000;
  }
  return backoff.delay_ms(attempt);
}

}  // namespace squall::sources
