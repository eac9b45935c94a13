#include "processor/dedup.hpp"

#include <algorithm>

namespace squall::processor {

bool RecentObservations::first_time(std::int64_t city_id, std::int64_t observed_at) {
  Ring& ring = by_city_[city_id];
  const std::int64_t* begin = ring.times.data();
  const std::int64_t* end = begin + ring.size;
  if (std::find(begin, end, observed_at) != end) return false;
  ring.times[ring.next] = observed_at;
  ring.next = (ring.next + 1) % kPerCity;
  ring.size = std::min(ring.size + 1, kPerCity);
  return true;
}

}  // namespace squall::processor
