#include "cli/status_line.hpp"

#include <iostream>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace squall::cli {

StatusLine::StatusLine(bool terminal)
    : StatusLine(terminal, std::cerr, [](const std::string& line) { spdlog::info("{}", line); }) {}

StatusLine::StatusLine(bool terminal, std::ostream& terminal_out, LogLine log)
    : terminal_(terminal), terminal_out_(terminal_out), log_(std::move(log)) {}

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
    terminal_out_ << "\r\033[K" << line << std::flush;
  } else {
    log_(line);
  }
  last_print_ms_ = now_ms;
  last_ = progress;
}

void StatusLine::clear() {
  if (terminal_ && start_ms_ != 0) terminal_out_ << "\r\033[K" << std::flush;
}

void StatusLine::finish(const Progress& progress, std::int64_t now_ms) {
  clear();
  const double seconds = start_ms_ == 0 ? 0 : static_cast<double>(now_ms - start_ms_) / 1000.0;
  const auto per_second = [&](std::int64_t n) { return seconds > 0 ? static_cast<double>(n) / seconds : 0.0; };
  log_("done: " + render(progress, per_second(progress.produced), per_second(progress.stored)));
}

}  // namespace squall::cli
