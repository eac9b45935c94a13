#include "sources/pacer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stop_token>

namespace squall::sources {
namespace {

constexpr std::int64_t kMs = 1'000'000;

// A clock the test moves by hand.
struct FakeClock {
  std::int64_t now_ns = 1'000 * kMs;
  Pacer::Clock clock() {
    return [this] { return now_ns; };
  }
};

TEST(PacerTest, ZeroRateGrantsEverything) {
  FakeClock time;
  Pacer pacer(0, time.clock(), 0);
  EXPECT_FALSE(pacer.paced());
  EXPECT_EQ(pacer.take(5000), 5000u);
  EXPECT_EQ(pacer.wait_ns(), 0);
}

TEST(PacerTest, SpacesEventsByTheInterval) {
  FakeClock time;
  Pacer pacer(10, time.clock(), 0);  // one every 100 ms
  EXPECT_EQ(pacer.take(5), 1u);   // the first is due at once
  EXPECT_EQ(pacer.wait_ns(), 100 * kMs);
  time.now_ns += 50 * kMs;
  EXPECT_EQ(pacer.take(5), 0u);
  EXPECT_EQ(pacer.wait_ns(), 50 * kMs);
  time.now_ns += 50 * kMs;
  EXPECT_EQ(pacer.take(5), 1u);
  time.now_ns += 150 * kMs;  // late: the event due at +200 ms goes now, the next stays at +300 ms
  EXPECT_EQ(pacer.take(10), 1u);
  EXPECT_EQ(pacer.wait_ns(), 50 * kMs);
}

TEST(PacerTest, NeverGrantsMoreThanWanted) {
  FakeClock time;
  Pacer pacer(1000, time.clock(), 0);
  EXPECT_EQ(pacer.take(1), 1u);
  time.now_ns += 50 * kMs;  // 50 due
  EXPECT_EQ(pacer.take(20), 20u);
  EXPECT_EQ(pacer.take(100), 30u);
  EXPECT_EQ(pacer.take(100), 0u);
}

TEST(PacerTest, AStallIsNotFollowedByAFlood) {
  FakeClock time;
  Pacer pacer(1000, time.clock(), 0);
  EXPECT_EQ(pacer.take(1), 1u);
  time.now_ns += 10'000 * kMs;  // ten seconds behind: 10 000 events late
  const std::size_t burst = pacer.take(100'000);
  EXPECT_EQ(burst, static_cast<std::size_t>(Pacer::kCatchUpNs / kMs) + 1);
}

TEST(PacerTest, HoldsTheAverageRate) {
  FakeClock time;
  Pacer pacer(250, time.clock(), 0);
  std::size_t total = 0;
  for (int step = 0; step < 10'000; ++step) {  // ten seconds, polled every millisecond
    total += pacer.take(1000);
    time.now_ns += kMs;
  }
  EXPECT_NEAR(static_cast<double>(total), 2500, 1);
}

// A tick's worth of events goes out at once, and the average rate holds.
TEST(PacerTest, GrantsATickOfEventsAtOnce) {
  FakeClock time;
  Pacer pacer(1000, time.clock(), 5 * kMs);  // one a millisecond, five per tick
  EXPECT_EQ(pacer.take(100), 6u);  // due now and within the next 5 ms
  EXPECT_EQ(pacer.take(100), 0u);
  EXPECT_EQ(pacer.wait_ns(), 1 * kMs);
  time.now_ns += kMs;
  EXPECT_EQ(pacer.take(100), 1u);
  std::size_t total = 7;
  for (int step = 0; step < 10'000; ++step) {
    time.now_ns += kMs;
    total += pacer.take(1000);
  }
  EXPECT_NEAR(static_cast<double>(total), 10'007, 1);
}

TEST(PacerTest, FractionalRatesWork) {
  FakeClock time;
  Pacer pacer(0.5, time.clock(), 0);  // one every two seconds
  EXPECT_EQ(pacer.take(3), 1u);
  EXPECT_EQ(pacer.wait_ns(), 2'000 * kMs);
  time.now_ns += 1'999 * kMs;
  EXPECT_EQ(pacer.take(3), 0u);
  time.now_ns += kMs;
  EXPECT_EQ(pacer.take(3), 1u);
}

TEST(PacerTest, TakeWhenDueGivesUpOnceStopped) {
  FakeClock time;
  Pacer pacer(1, time.clock(), 0);
  EXPECT_EQ(pacer.take(1), 1u);
  std::stop_source stop;
  stop.request_stop();
  EXPECT_EQ(take_when_due(pacer, 1, stop.get_token()), 0u);
}

TEST(PacerTest, SleepReportsAStop) {
  std::stop_source stop;
  EXPECT_TRUE(sleep_unless_stopped(std::chrono::nanoseconds(0), stop.get_token()));
  stop.request_stop();
  EXPECT_FALSE(sleep_unless_stopped(std::chrono::hours(1), stop.get_token()));
}

}  // namespace
}  // namespace squall::sources
