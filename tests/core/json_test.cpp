#include "core/json.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace squall::json {
namespace {

std::string quoted(std::string_view text) {
  std::string out;
  append_string(out, text);
  return out;
}

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(quoted("plain"), "\"plain\"");
  EXPECT_EQ(quoted("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(quoted("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(quoted("line\nbreak\ttab"), "\"line\\nbreak\\ttab\"");
  EXPECT_EQ(quoted(std::string_view("\x01", 1)), "\"\\u0001\"");
}

TEST(JsonString, PassesUtf8Through) { EXPECT_EQ(quoted("São Paulo"), "\"São Paulo\""); }

TEST(JsonNumber, ShortestRoundTripAndNullForNonFinite) {
  std::string out;
  append_number(out, 8.37);
  out += ',';
  append_number(out, std::int64_t{-42});
  out += ',';
  append_number(out, std::numeric_limits<double>::quiet_NaN());
  out += ',';
  append_number(out, std::numeric_limits<double>::infinity());
  EXPECT_EQ(out, "8.37,-42,null,null");
}

TEST(JsonOptional, EmptyIsNull) {
  std::string out;
  append_optional(out, std::optional<double>{});
  out += ',';
  append_optional(out, std::optional<std::string>{"x"});
  out += ',';
  append_optional(out, std::optional<std::int64_t>{7});
  EXPECT_EQ(out, "null,\"x\",7");
}

}  // namespace
}  // namespace squall::json
