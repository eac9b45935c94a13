#include "sources/backoff.hpp"

#include <gtest/gtest.h>

#include <set>

namespace squall::sources {
namespace {

TEST(BackoffTest, CeilingDoublesUpToTheMaximum) {
  const Backoff backoff(100, 1000, 1);
  EXPECT_EQ(backoff.ceiling_ms(0), 100);
  EXPECT_EQ(backoff.ceiling_ms(1), 200);
  EXPECT_EQ(backoff.ceiling_ms(2), 400);
  EXPECT_EQ(backoff.ceiling_ms(3), 800);
  EXPECT_EQ(backoff.ceiling_ms(4), 1000);
  EXPECT_EQ(backoff.ceiling_ms(500), 1000);
}

TEST(BackoffTest, FullJitterStaysUnderTheCeilingAndVaries) {
  Backoff backoff(100, 60'000, 42);
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::set<std::int64_t> seen;
    for (int draw = 0; draw < 200; ++draw) {
      const std::int64_t delay = backoff.delay_ms(attempt);
      EXPECT_GE(delay, 0);
      EXPECT_LE(delay, backoff.ceiling_ms(attempt));
      seen.insert(delay);
    }
    EXPECT_GT(seen.size(), 10u);
  }
}

TEST(BackoffTest, RetryAfterWinsOverTheBackoff) {
  Backoff backoff(1, 5, 3);
  EXPECT_EQ(retry_delay_ms(backoff, 0, 1), 1000);
  EXPECT_EQ(retry_delay_ms(backoff, 3, 30), 30'000);
  EXPECT_EQ(retry_delay_ms(backoff, 0, 10'000'000), kMaxRetryAfterMs);
  EXPECT_LE(retry_delay_ms(backoff, 0, std::nullopt), 1);
}

}  // namespace
}  // namespace squall::sources
