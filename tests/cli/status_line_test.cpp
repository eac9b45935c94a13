#include "cli/status_line.hpp"

#include <gtest/gtest.h>

namespace squall::cli {
namespace {

TEST(StatusLine, RendersRatesCountsAndLag) {
  Progress p{.produced = 1200,
             .consumed = 1100,
             .stored = 1000,
             .dead_letters = 3,
             .duplicates = 2,
             .late = 4,
             .alerts = 1,
             .lag = 100};
  EXPECT_EQ(StatusLine::render(p, 600, 500),
            "ingested 1200 (600/s) | stored 1000 (500/s) | dead letters 3 | duplicates 2 | late 4 | alerts 1 | lag 100");
}

TEST(StatusLine, OmitsUnknownLag) {
  Progress p;
  EXPECT_EQ(StatusLine::render(p, 0, 0).find("lag"), std::string::npos);
}

}  // namespace
}  // namespace squall::cli
