#include "cli/status_line.hpp"

#include <sstream>
#include <string>
#include <vector>

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

// Captures both outputs of a StatusLine: the terminal stream and the log.
struct Captured {
  std::ostringstream terminal;
  std::vector<std::string> logged;

  StatusLine status_line(bool terminal_mode) {
    return StatusLine(terminal_mode, terminal, [this](const std::string& line) { logged.push_back(line); });
  }
};

Progress counts(std::int64_t produced, std::int64_t stored) { return Progress{.produced = produced, .stored = stored}; }

TEST(StatusLine, WithoutTerminalLogsPlainLinesEveryTenSeconds) {
  Captured out;
  StatusLine status = out.status_line(false);
  status.update(counts(0, 0), 1'000);
  status.update(counts(500, 200), 5'000);
  status.update(counts(900, 400), 10'999);
  EXPECT_TRUE(out.logged.empty()) << "logged before 10 s had passed: " << out.logged.front();

  status.update(counts(1'000, 500), 11'000);
  ASSERT_EQ(out.logged.size(), 1u);
  EXPECT_EQ(out.logged[0], StatusLine::render(counts(1'000, 500), 100, 50));

  status.update(counts(1'500, 700), 20'999);
  EXPECT_EQ(out.logged.size(), 1u);
  status.update(counts(3'000, 2'500), 21'000);
  ASSERT_EQ(out.logged.size(), 2u);
  EXPECT_EQ(out.logged[1], StatusLine::render(counts(3'000, 2'500), 200, 200));

  for (const auto& line : out.logged) {
    EXPECT_EQ(line.find_first_of("\r\n\033"), std::string::npos) << "not a plain line: " << line;
  }
  EXPECT_EQ(out.terminal.str(), "") << "nothing may be drawn in place without a terminal";
}

TEST(StatusLine, WithoutTerminalFinishLogsTheSummaryOnly) {
  Captured out;
  StatusLine status = out.status_line(false);
  status.update(counts(0, 0), 1'000);
  status.clear();
  status.finish(counts(400, 300), 5'000);
  ASSERT_EQ(out.logged.size(), 1u);
  EXPECT_EQ(out.logged[0], "done: " + StatusLine::render(counts(400, 300), 100, 75));
  EXPECT_EQ(out.terminal.str(), "");
}

TEST(StatusLine, OnTerminalRedrawsOneLineInPlace) {
  Captured out;
  StatusLine status = out.status_line(true);
  status.update(counts(0, 0), 1'000);
  status.update(counts(40, 20), 1'499);
  EXPECT_EQ(out.terminal.str(), "");

  status.update(counts(50, 25), 1'500);
  const std::string first = "\r\033[K" + StatusLine::render(counts(50, 25), 100, 50);
  EXPECT_EQ(out.terminal.str(), first);
  status.update(counts(150, 125), 2'000);
  EXPECT_EQ(out.terminal.str(), first + "\r\033[K" + StatusLine::render(counts(150, 125), 200, 200));
  EXPECT_EQ(out.terminal.str().find('\n'), std::string::npos) << "a redraw must not scroll the terminal";
  EXPECT_TRUE(out.logged.empty());
}

TEST(StatusLine, OnTerminalFinishErasesTheLineThenLogsTheSummary) {
  Captured out;
  StatusLine status = out.status_line(true);
  status.update(counts(0, 0), 1'000);
  status.update(counts(50, 25), 1'500);
  out.terminal.str("");
  status.finish(counts(200, 100), 3'000);
  EXPECT_EQ(out.terminal.str(), "\r\033[K");
  ASSERT_EQ(out.logged.size(), 1u);
  EXPECT_EQ(out.logged[0], "done: " + StatusLine::render(counts(200, 100), 100, 50));
}

}  // namespace
}  // namespace squall::cli
