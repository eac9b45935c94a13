#pragma once
// Rate limiting for the simulator and replay sources, and interruptible
// waiting for every source.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stop_token>

namespace squall::sources {

// Spreads events evenly at `events_per_second`: event k is due k intervals
// after the first one. A caller that falls behind may catch up with a short
// burst, but never with more than kCatchUp worth of events, so a stall is not
// followed by a flood. A rate of 0 means unpaced: every request is granted.
//
// Events are granted a tick at a time: everything due within the next
// `tick_ns` goes out together. The average rate is unchanged, but a paced
// source at thousands of events a second hands the log a few hundred
// batches a second instead of one durable append per event (which on the
// embedded log kept the write lock busy enough to starve the consumer's
// commits).
class Pacer {
 public:
  using Clock = std::function<std::int64_t()>;  // monotonic nanoseconds
  static constexpr std::int64_t kCatchUpNs = 100'000'000;
  static constexpr std::int64_t kTickNs = 5'000'000;

  explicit Pacer(double events_per_second, Clock clock = steady_clock_ns, std::int64_t tick_ns = kTickNs);

  bool paced() const { return interval_ns_ > 0; }
  // Grants up to `wanted` events that are due now and counts them as sent.
  std::size_t take(std::size_t wanted);
  // Nanoseconds until the next event is grantable; 0 when one is now.
  std::int64_t wait_ns() const;

  static std::int64_t steady_clock_ns();

 private:
  double interval_ns_ = 0;
  double tick_ns_ = 0;
  double next_due_ns_ = 0;
  bool started_ = false;
  Clock clock_;
};

// Sleeps for `duration` unless `stop` is requested first (it wakes at once
// when it is). Returns false when stopped.
bool sleep_unless_stopped(std::chrono::nanoseconds duration, std::stop_token stop);

// Waits until `pacer` grants at least one event, then takes up to `wanted`.
// Returns 0 only when `stop` was requested (or `wanted` is 0).
std::size_t take_when_due(Pacer& pacer, std::size_t wanted, std::stop_token stop);

}  // namespace squall::sources
