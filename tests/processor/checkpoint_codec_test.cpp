#include "processor/checkpoint_codec.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace squall::processor {
namespace {

// Two windows of one city, one with rain and snow in two hours, the times
// they hold, and two alert states; also what an older squall checkpointed
// into tests/processor/testdata.
PartitionState sample() {
  PartitionState state;
  PartitionSnapshot& s = state.windows;
  s.max_event_time = 1700006400;
  s.finalized_through = 1699920000;
  WindowAggregate hour;
  hour.city_id = 4887398;
  hour.size_s = 3600;
  hour.start = 1700002800;
  hour.count = 2;
  hour.temp_min_c = -1.5;
  hour.temp_max_c = 4.25;
  hour.temp_c = Mean{2.75, 2};
  hour.wind_max_ms = 7.0;
  hour.wind_ms = Mean{12.0, 2};
  hour.gust_max_ms = 11.5;
  hour.humidity_pct = Mean{140.0, 2};
  hour.pressure_hpa = Mean{2026.0, 2};
  hour.hours.push_back(HourlyAmount{1700003400, 0.25, std::nullopt});
  hour.last_offset = 41;
  WindowAggregate day = hour;
  day.size_s = 86400;
  day.start = 1699920000;
  day.count = 3;
  day.hours.insert(day.hours.begin(), HourlyAmount{1700000000, std::nullopt, 1.5});
  day.last_offset = 42;
  s.windows = {hour, day};
  s.seen[4887398] = {1700000000, 1700002800, 1700003400};
  s.seen[4164138] = {1700001200};
  state.alerts = {{4887398, "gale", 2, false}, {4164138, "frost", 0, true}};
  return state;
}

std::string testdata(const std::string& name) {
  std::ifstream in(std::string(SQUALL_TESTDATA_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Processor state of one partition late in a UTC day: `cities` cities, each
// with an hourly and a daily window and an observation every 10 minutes
// since midnight and rain in every hour.
PartitionState late_in_the_day(std::int64_t cities) {
  constexpr std::int64_t kMidnight = 1700006400 - 1700006400 % 86400;
  PartitionState state;
  for (std::int64_t c = 0; c < cities; ++c) {
    WindowAggregate day;
    day.city_id = 5000000 + c;
    day.size_s = 86400;
    day.start = kMidnight;
    for (std::int64_t t = kMidnight; t < kMidnight + 86400 - 600; t += 600) {
      state.windows.seen[day.city_id].push_back(t);
      if (t % 3600 == 0) day.hours.push_back(HourlyAmount{t, 0.5, std::nullopt});
    }
    day.count = static_cast<std::int64_t>(state.windows.seen[day.city_id].size());
    day.temp_c = Mean{12.5 * static_cast<double>(day.count), day.count};
    WindowAggregate hour = day;
    hour.size_s = 3600;
    hour.start = kMidnight + 23 * 3600;
    hour.hours = {day.hours.back()};
    state.windows.windows.push_back(hour);
    state.windows.windows.push_back(day);
  }
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

TEST(CheckpointCodec, AStateLateInTheDayRoundTripsInUnderTwoFifthsOfFormatTwosBytes) {
  const PartitionState state = late_in_the_day(20);
  const std::string bytes = encode_checkpoint(state);
  auto decoded = decode_checkpoint(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, state);
  // squall's format-2 encoder wrote 41 482 bytes for this state: 8 for each
  // of a city's 143 times, 26 for each of its 24 hours, ~150 for a window.
  EXPECT_LE(bytes.size(), 41482u * 2 / 5) << bytes.size();
}

// The files were written by squall's encoder of formats 1 and 2 (before
// format 3), from sample(): a processor upgraded in place
// resumes from them.
TEST(CheckpointCodec, AFormatTwoCheckpointOfAnOlderSquallDecodes) {
  auto decoded = decode_checkpoint(testdata("checkpoint_format2.bin"));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, sample());
  auto again = decode_checkpoint(encode_checkpoint(*decoded));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(*again, sample());
}

TEST(CheckpointCodec, AFormatOneStateHasWindowsAndNoAlerts) {
  auto decoded = decode_checkpoint(testdata("checkpoint_format1.bin"));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->windows, sample().windows);
  EXPECT_TRUE(decoded->alerts.empty());
}

// Found by fuzz/checkpoint_fuzz.cpp: a format-2 time so large that its
// difference from the one before, as format 3 writes it, overflowed.
TEST(CheckpointCodec, AFormatTwoTimeNoProcessorWritesIsRefused) {
  std::string bytes = testdata("checkpoint_format2.bin");
  const std::string seen_time("\xb0\xf5\x53\x65\0\0\0\0", 8);  // 1700001200, city 4164138's one time
  const auto at = bytes.find(seen_time);
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 8, std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8));
  auto decoded = decode_checkpoint(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("a time of"), std::string::npos) << decoded.error().message;
}

TEST(CheckpointCodec, EveryTruncationIsAnErrorNotACrash) {
  for (const std::string& bytes : {encode_checkpoint(sample()), testdata("checkpoint_format2.bin"),
                                   testdata("checkpoint_format1.bin")}) {
    ASSERT_FALSE(bytes.empty());
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      EXPECT_FALSE(decode_checkpoint(std::string_view(bytes).substr(0, length)).ok())
          << "format " << int{bytes[0]} << ", length " << length;
    }
  }
}

TEST(CheckpointCodec, ForeignBytesAreRejectedWithTheReason) {
  auto wrong_format = decode_checkpoint(std::string("\x07rest", 5));
  ASSERT_FALSE(wrong_format.ok());
  EXPECT_NE(wrong_format.error().message.find("format 7"), std::string::npos) << wrong_format.error().message;
  auto trailing = decode_checkpoint(encode_checkpoint(sample()) + "x");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.error().message.find("after its end"), std::string::npos);
  // A huge count must not make the decoder allocate or loop on it: the
  // window count follows the format byte, the event time and the finalised
  // point (1 + 2 + 1 bytes here).
  PartitionState empty;
  empty.windows.finalized_through = 0;
  std::string huge = encode_checkpoint(empty).substr(0, 4);
  huge += std::string("\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9);
  auto refused = decode_checkpoint(huge);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("exceeds its bytes"), std::string::npos) << refused.error().message;
  auto wide = decode_checkpoint(encode_checkpoint(empty).substr(0, 4) + std::string(9, '\xff') + '\x02');
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.error().message.find("wider than 64 bits"), std::string::npos) << wide.error().message;
}

TEST(CheckpointCodec, ACitysTimesOutOfOrderOrTwiceAreRefused) {
  PartitionState state;
  state.windows.finalized_through = 0;
  state.windows.seen[1] = {1700000000, 1700000600};
  state.windows.seen[2] = {1700000000};
  const std::string bytes = encode_checkpoint(state);
  const auto refused_with = [](const std::string& changed, const std::string& reason) {
    auto decoded = decode_checkpoint(changed);
    ASSERT_FALSE(decoded.ok()) << reason;
    EXPECT_NE(decoded.error().message.find(reason), std::string::npos) << decoded.error().message;
  };
  // City 1's second time is a delta of 600, zigzagged 0xb0 0x09: made 0 (the
  // same time twice), then -600 (zigzagged 0xaf 0x09, out of order).
  const auto delta = bytes.find("\xb0\x09");
  ASSERT_NE(delta, std::string::npos);
  refused_with(std::string(bytes).replace(delta, 2, std::string("\x00", 1)), "not ascending");
  refused_with(std::string(bytes).replace(delta, 2, "\xaf\x09"), "not ascending");
  // City 2's id (zigzagged 0x04) made city 1's (0x02): its times would
  // appear twice. Before it: format, event time (2 bytes), finalised point,
  // window count, city count, then city 1's id, count, first time (5 bytes)
  // and delta (2 bytes).
  const std::size_t city_two = 6 + 9;
  ASSERT_EQ(bytes[6], '\x02');
  ASSERT_EQ(bytes[city_two], '\x04');
  refused_with(std::string(bytes).replace(city_two, 1, "\x02"), "appear twice");
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
  // Times a window or a city's list holds: format 3 writes their differences.
  EXPECT_TRUE(rejected([](PartitionState& s) { s.windows.seen[4887398].push_back(INT64_MAX); }));
  EXPECT_TRUE(rejected([](PartitionState& s) {
    s.windows.windows[0].hours.push_back(HourlyAmount{INT64_MAX, 0.5, std::nullopt});
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
