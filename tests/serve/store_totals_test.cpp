// The store's totals are counted again only when the last count is old
// enough, and a slow count is reused for longer. The clock is a variable
// the test moves; a count "takes" as long as the test says.

#include "serve/store_totals.hpp"

#include <gtest/gtest.h>

namespace squall::serve {
namespace {

class StoreTotalsTest : public ::testing::Test {
 protected:
  // Counts `observations` rows, taking `takes_ms` of the fake clock.
  StoreTotals::Count count(std::int64_t observations, std::int64_t takes_ms = 0) {
    return [this, observations, takes_ms]() -> Result<store::Stats> {
      ++counts_;
      now_ms_ += takes_ms;
      store::Stats stats;
      stats.observations = observations;
      return stats;
    };
  }
  StoreTotals::Count failing() {
    return [this]() -> Result<store::Stats> {
      ++counts_;
      return make_error(Errc::timeout, "the store did not answer");
    };
  }

  std::int64_t now_ms_ = 1'000'000;
  int counts_ = 0;
  StoreTotals totals_{[this] { return now_ms_; }};
};

TEST_F(StoreTotalsTest, AQuickCountIsReusedForTheMinimumAgeThenRedone) {
  EXPECT_EQ(totals_.get(count(10, 5))->observations, 10);
  now_ms_ += StoreTotals::kMinAgeMs - 6;  // 1 ms short of the minimum age, counted from the count's start
  EXPECT_EQ(totals_.get(count(20))->observations, 10);
  EXPECT_EQ(counts_, 1);
  now_ms_ += 1;
  EXPECT_EQ(totals_.get(count(20))->observations, 20);
  EXPECT_EQ(counts_, 2);
}

TEST_F(StoreTotalsTest, ASlowCountIsReusedTwentyTimesAsLongAsItTook) {
  EXPECT_EQ(totals_.get(count(10, 1500))->observations, 10);  // reused for 30 s from its start
  now_ms_ += 30'000 - 1500 - 1;
  EXPECT_EQ(totals_.get(count(20))->observations, 10);
  EXPECT_EQ(counts_, 1);
  now_ms_ += 1;
  EXPECT_EQ(totals_.get(count(20, 10))->observations, 20);
  EXPECT_EQ(counts_, 2);
  // The quick count sets the reuse back to the minimum.
  now_ms_ += StoreTotals::kMinAgeMs;
  EXPECT_EQ(totals_.get(count(30))->observations, 30);
}

TEST_F(StoreTotalsTest, NothingBeforeTheFirstGoodCountAndAFailureKeepsTheLastOne) {
  EXPECT_FALSE(totals_.get(failing()).has_value());
  EXPECT_EQ(totals_.get(count(10))->observations, 10);  // a failure is retried at once
  now_ms_ += StoreTotals::kMinAgeMs;
  EXPECT_EQ(totals_.get(failing())->observations, 10);
  EXPECT_EQ(totals_.get(count(20))->observations, 20);  // and so is this one
  EXPECT_EQ(counts_, 4);
}

}  // namespace
}  // namespace squall::serve
