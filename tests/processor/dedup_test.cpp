#include "processor/dedup.hpp"

#include <gtest/gtest.h>

namespace squall::processor {
namespace {

TEST(RecentObservations, FirstSightingPassesRepeatsDoNot) {
  RecentObservations recent;
  EXPECT_TRUE(recent.first_time(1, 100));
  EXPECT_FALSE(recent.first_time(1, 100));
  EXPECT_TRUE(recent.first_time(1, 200));
  EXPECT_TRUE(recent.first_time(2, 100));  // another city, same time
  EXPECT_EQ(recent.cities(), 2u);
}

TEST(RecentObservations, MemoryPerCityIsBounded) {
  RecentObservations recent;
  const auto n = static_cast<std::int64_t>(RecentObservations::kPerCity);
  for (std::int64_t t = 0; t < n + 1; ++t) EXPECT_TRUE(recent.first_time(7, t));
  // Time 0 was pushed out by the newest kPerCity times; the rest are remembered.
  EXPECT_TRUE(recent.first_time(7, 0));
  EXPECT_FALSE(recent.first_time(7, n));
  EXPECT_FALSE(recent.first_time(7, 2));
}

}  // namespace
}  // namespace squall::processor
