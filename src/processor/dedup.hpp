#pragma once
// Remembers recent observation times per city so repeats are dropped.
//
// Polling OpenWeatherMap faster than it updates returns the same `dt` again,
// and a replay after a crash re-reads records already stored. The store's
// upserts make repeats harmless for correctness; this filter keeps them out
// of the counts and off the write path. Memory is bounded: a fixed number of
// recent times per city.

#include <array>
#include <cstdint>
#include <unordered_map>

namespace squall::processor {

class RecentObservations {
 public:
  static constexpr std::size_t kPerCity = 32;

  // True the first time (city, observed_at) is offered, false for a repeat
  // among the city's kPerCity most recent observation times.
  bool first_time(std::int64_t city_id, std::int64_t observed_at);

  std::size_t cities() const { return by_city_.size(); }

 private:
  struct Ring {
    std::array<std::int64_t, kPerCity> times{};
    std::size_t size = 0;
    std::size_t next = 0;
  };
  std::unordered_map<std::int64_t, Ring> by_city_;
};

}  // namespace squall::processor
