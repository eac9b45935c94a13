#include "cli/status_line.hpp"

#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace squall::cli {

std::string StatusLine::render(const Progress& p, double produced_per_s, double stored_per_s) {
  std::string line = fmt::format(
      "ingested {} ({:.0f}/s) | stored {} ({:.0f}/s) | dead letters {} | duplicates {} | late {} | alerts {}", p.produced,
      produced_per_s, p.stored, stored_per_s, p.dead_letters, p.duplicates, p.late, p.alerts);
  if (p.lag >= 0) line += fmt::format(" | lag {}", p.lag);
  return line;
}

void StatusLine::update(const Progress& progress, std::int64_t now_ms) {
  if (start_ms_ == 0) {
    start_ms_ = last_print_ms_ = now_ms;
    last_ = progress;
    return;
  }
  const std::int64_t interval = terminal_ ? 500 : 10'000;
  const std::int64_t elapsed = now_ms - last_print_ms_;
  if (elapsed < interval) return;
  const double seconds = static_cast<double>(elapsed) / 1000.0;
  const std::string line = render(progress, static_cast<double>(progress.produced - last_.produced) / seconds,
                                  static_cast<double>(progress.stored - last_.stored) / seconds);
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
  } else {
    spdlog::info("{}", line);
  }
  last_print_ms_ = now_ms;
  last_ = progress;
}

void StatusLine::clear() {
  if (terminal_ && start_ms_ != 0) std::fprintf(stderr, "\r\033[K");
}

void StatusLine::finish(const Progress& progress, std::int64_t now_ms) {
  clear();
  const double seconds = start_ms_ == 0 ? 0 : static_cast<double>(now_ms - start_ms_) / 1000.0;
  const auto per_second = [&](std::int64_t n) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; };
  spdlog::info("done: {}", render(progress, per_second(progress.produced), per_second(progress.stored)));
}

}  // namespace squall::cli
