#include "core/result.hpp"

#include <gtest/gtest.h>

namespace squall {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return make_error(Errc::invalid_argument, "odd: " + std::to_string(n));
  return n / 2;
}

Result<int> quarter(int n) {
  auto h = half(n);
  if (!h) return h.error();
  return half(*h);
}

Result<void> check_even(int n) {
  SQUALL_TRY(half(n));
  return {};
}

TEST(Result, CarriesValue) {
  auto r = half(8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4);
}

TEST(Result, CarriesErrorWithCodeAndMessage) {
  auto r = quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_EQ(r.error().message, "odd: 3");
}

TEST(Result, TryPropagatesErrorsFromVoidFunctions) {
  EXPECT_TRUE(check_even(4).ok());
  auto failed = check_even(5);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "odd: 5");
}

TEST(Result, MovesOutNonCopyableValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r);
  std::unique_ptr<int> owned = std::move(r).value();
  EXPECT_EQ(*owned, 7);
}

}  // namespace
}  // namespace squall
