#include "sources/pacer.hpp"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>

namespace squall::sources {

Pacer::Pacer(double events_per_second, Clock clock, std::int64_t tick_ns)
    : interval_ns_(events_per_second > 0 ? 1e9 / events_per_second : 0),
      tick_ns_(static_cast<double>(tick_ns)),
      clock_(std::move(clock)) {}

std::int64_t Pacer::steady_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::size_t Pacer::take(std::size_t wanted) {
  if (!paced() || wanted == 0) return wanted;
  const auto now = static_cast<double>(clock_());
  if (!started_) {
    next_due_ns_ = now;
    started_ = true;
  }
  next_due_ns_ = std::max(next_due_ns_, now - static_cast<double>(kCatchUpNs));
  const double horizon = now + tick_ns_;
  if (horizon < next_due_ns_) return 0;
  const double due = std::floor((horizon - next_due_ns_) / interval_ns_) + 1;
  const std::size_t granted = std::min(wanted, static_cast<std::size_t>(due));
  next_due_ns_ += static_cast<double>(granted) * interval_ns_;
  return granted;
}

std::int64_t Pacer::wait_ns() const {
  if (!paced() || !started_) return 0;
  return std::max<std::int64_t>(0, std::llround(next_due_ns_ - tick_ns_ - static_cast<double>(clock_())));
}

bool sleep_unless_stopped(std::chrono::nanoseconds duration, std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any woken;
  std::unique_lock lock(mutex);
  woken.wait_for(lock, stop, duration, [] { return false; });
  return !stop.stop_requested();
}

std::size_t take_when_due(Pacer& pacer, std::size_t wanted, std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (const std::size_t granted = pacer.take(wanted); granted > 0 || wanted == 0) return granted;
    if (!sleep_unless_stopped(std::chrono::nanoseconds(pacer.wait_ns()), stop)) return 0;
  }
  return 0;
}

}  // namespace squall::sources
