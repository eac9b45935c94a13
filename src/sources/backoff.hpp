#pragma once
// How long to wait before retrying a failed request.

#include <cstdint>
#include <optional>

#include "sources/prng.hpp"

namespace squall::sources {

// Exponential backoff with full jitter: the wait before retry `attempt`
// (0-based) is drawn uniformly from [0, min(max, initial * 2^attempt)].
// The randomness spreads clients that failed together so they do not retry
// in lockstep and knock the server over again.
class Backoff {
 public:
  Backoff(std::int64_t initial_ms, std::int64_t max_ms, std::uint64_t seed);

  std::int64_t ceiling_ms(int attempt) const;
  std::int64_t delay_ms(int attempt);

 private:
  std::int64_t initial_ms_;
  std::int64_t max_ms_;
  Rng rng_;
};

// The longest Retry-After we honour; a larger value is more likely a broken
// server than a real request to stay away for hours.
inline constexpr std::int64_t kMaxRetryAfterMs = 3'600'000;

// The wait before retry `attempt`: what the server asked for in Retry-After
// (seconds) when it said, since retrying earlier would only be refused again;
// otherwise the jittered backoff.
std::int64_t retry_delay_ms(Backoff& backoff, int attempt, std::optional<std::int64_t> retry_after_s);

}  // namespace squall::sources
