#include "processor/checkpoint_codec.hpp"

#include <gtest/gtest.h>

namespace squall::processor {
namespace {

PartitionState sample() {
  PartitionState state;
  PartitionSnapshot& s = state.windows;
  s.max_event_time = 1700003600;
  s.finalized_through = 1700000000;
  WindowAggregate w;
  w.city_id = 4887398;
  w.size_s = 3600;
  w.start = 1700002800;
  w.count = 3;
  w.temp_min_c = -1.5;
  w.temp_max_c = 4.25;
  w.temp_c = Mean{5.5, 3};
  w.wind_max_ms = 7.0;
  w.wind_ms = Mean{12.0, 2};
  w.humidity_pct = Mean{240.0, 3};
  w.hours.push_back(HourlyAmount{1700003000, 0.25, std::nullopt});
  w.last_offset = 41;
  s.windows.push_back(w);
  s.seen[4887398] = {1700002800, 1700003400};
  state.alerts = {{4887398, "gale", 2, false}, {4164138, "frost", 0, true}};
  return state;
}

TEST(CheckpointCodec, RoundTripsEveryField) {
  const PartitionState original = sample();
  auto decoded = decode_checkpoint(encode_checkpoint(original));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, original);
}

TEST(CheckpointCodec, AnEmptyStateRoundTrips) {
  auto decoded = decode_checkpoint(encode_checkpoint(PartitionState{}));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, PartitionState{});
}

TEST(CheckpointCodec, AFormatOneStateHasWindowsAndNoAlerts) {
  std::string bytes = encode_checkpoint(PartitionState{sample().windows, {}});
  bytes[0] = 1;
  bytes.resize(bytes.size() - 8);  // format 1 ended after the windows: no alert count
  auto decoded = decode_checkpoint(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->windows, sample().windows);
  EXPECT_TRUE(decoded->alerts.empty());
}

TEST(CheckpointCodec, EveryTruncationIsAnErrorNotACrash) {
  const std::string bytes = encode_checkpoint(sample());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    auto decoded = decode_checkpoint(std::string_view(bytes).substr(0, length));
    EXPECT_FALSE(decoded.ok()) << "length " << length;
  }
}

TEST(CheckpointCodec, ForeignBytesAreRejectedWithTheReason) {
  auto wrong_format = decode_checkpoint(std::string("\x07rest", 5));
  ASSERT_FALSE(wrong_format.ok());
  EXPECT_NE(wrong_format.error().message.find("format 7"), std::string::npos) << wrong_format.error().message;
  auto trailing = decode_checkpoint(encode_checkpoint(sample()) + "x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.error().message.find("after its end"), std::string::npos);
  // A huge count must not make the decoder allocate or loop on it.
  std::string huge = encode_checkpoint(PartitionState{}).substr(0, 18);
  huge += std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
  EXPECT_FALSE(decode_checkpoint(huge).ok());
}

// Found by fuzz/checkpoint_fuzz.cpp: each of these decoded, and the state
// then overflowed in the window engine (a window's end, a watermark), in the
// alert evaluator (the next streak) or in a window's average (a negative count).
TEST(CheckpointCodec, AStateNoProcessorWritesIsAnError) {
  const auto rejected = [](void (*change)(PartitionState&)) {
    PartitionState state = sample();
    change(state);
    return !decode_checkpoint(encode_checkpoint(state)).ok();
  };
  EXPECT_TRUE(rejected([](PartitionState& s) { s.windows.windows[0].start = INT64_MAX - 10; }));
  EXPECT_TRUE(rejected([](PartitionState& s) { s.windows.windows[0].size_s = INT64_MAX; }));
  EXPECT_TRUE(rejected([](PartitionState& s) { s.windows.windows[0].count = -1; }));
  EXPECT_TRUE(rejected([](PartitionState& s) { s.windows.windows[0].temp_c.count = -3; }));
  EXPECT_TRUE(rejected([](PartitionState& s) { s.windows.windows[0].last_offset = INT64_MAX; }));
  EXPECT_TRUE(rejected([](PartitionState& s) { s.windows.max_event_time = INT64_MIN; }));
  EXPECT_TRUE(rejected([](PartitionState& s) { s.alerts[0].streak = INT32_MAX; }));
  // A window keeps one rain and snow amount per hour, hours ascending.
  EXPECT_TRUE(rejected([](PartitionState& s) {
    s.windows.windows[0].hours.push_back(HourlyAmount{1700000000, 0.5, std::nullopt});
  }));
  EXPECT_TRUE(rejected([](PartitionState& s) {
    s.windows.windows[0].hours.push_back(HourlyAmount{1700003500, 0.5, std::nullopt});
  }));
  // What a processor does write still decodes, the extremes it uses included.
  EXPECT_FALSE(rejected([](PartitionState& s) { s.windows.finalized_through = INT64_MIN; }));
  EXPECT_FALSE(rejected([](PartitionState& s) { s.windows.windows[0].last_offset = -1; }));
  EXPECT_FALSE(rejected([](PartitionState& s) {
    s.windows.windows[0].hours.push_back(HourlyAmount{1700006400, std::nullopt, 1.5});
  }));
}

}  // namespace
}  // namespace squall::processor
