#include "core/time.hpp"

#include <gtest/gtest.h>

namespace squall {
namespace {

TEST(Iso8601, FormatsUtc) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(format_iso8601(951782400), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(format_iso8601(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(format_iso8601(253402300800), "10000-01-01T00:00:00Z");
  EXPECT_EQ(format_iso8601(-62167219201), "-001-12-31T23:59:59Z");
}

TEST(Iso8601, ParsesWhatItFormats) {
  for (std::int64_t t : {0LL, 1700000000LL, 951782400LL, 4102444799LL}) {
    auto parsed = parse_iso8601(format_iso8601(t));
    ASSERT_TRUE(parsed.has_value()) << t;
    EXPECT_EQ(*parsed, t);
  }
  EXPECT_EQ(parse_iso8601("2023-11-14"), 1699920000);
}

TEST(Iso8601, RejectsMalformedText) {
  EXPECT_FALSE(parse_iso8601("2023-13-01").has_value());
  EXPECT_FALSE(parse_iso8601("2023-02-30").has_value());
  EXPECT_FALSE(parse_iso8601("2023-11-14T25:00:00Z").has_value());
  EXPECT_FALSE(parse_iso8601("yesterday").has_value());
  EXPECT_FALSE(parse_iso8601("2023-11-14T22:13:20").has_value());
}

TEST(Duration, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("10s"), 10'000);
  EXPECT_EQ(parse_duration_ms("10"), 10'000);
  EXPECT_EQ(parse_duration_ms("5m"), 300'000);
  EXPECT_EQ(parse_duration_ms("1h"), 3'600'000);
  EXPECT_EQ(parse_duration_ms("7d"), 604'800'000);
}

TEST(Duration, RejectsNonsense) {
  EXPECT_FALSE(parse_duration_ms("").has_value());
  EXPECT_FALSE(parse_duration_ms("ms").has_value());
  EXPECT_FALSE(parse_duration_ms("-1s").has_value());
  EXPECT_FALSE(parse_duration_ms("1.5s").has_value());
  EXPECT_FALSE(parse_duration_ms("3 weeks").has_value());
  EXPECT_FALSE(parse_duration_ms("99999999999999999999d").has_value());
}

}  // namespace
}  // namespace squall
