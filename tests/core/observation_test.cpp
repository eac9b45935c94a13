#include "core/observation.hpp"

#include <gtest/gtest.h>

namespace squall {
namespace {

TEST(Units, RoundTripsEveryName) {
  for (auto units : {Units::standard, Units::metric, Units::imperial}) {
    auto parsed = parse_units(to_string(units));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, units);
  }
}

TEST(Units, RejectsUnknownNames) {
  EXPECT_FALSE(parse_units("kelvin").has_value());
  EXPECT_FALSE(parse_units("").has_value());
  EXPECT_FALSE(parse_units("Metric").has_value());
}

}  // namespace
}  // namespace squall
