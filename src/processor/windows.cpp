#include "processor/windows.hpp"

#include <algorithm>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace squall::processor {
namespace {

constexpr std::int64_t kHour = 3600;

std::int64_t floor_div(std::int64_t value, std::int64_t divisor) {
  std::int64_t quotient = value / divisor;
  if (value % divisor < 0) --quotient;
  return quotient;
}

void keep_max(std::optional<double>& current, std::optional<double> candidate) {
  if (candidate && (!current || *candidate > *current)) current = candidate;
}

void add_if_set(Mean& mean, std::optional<double> value) {
  if (value) mean.add(*value);
}

// A window's hours are few (24 in a day) and arrive mostly in order, so a
// sorted vector, usually appended to, costs less than any tree.
void keep_newest_of_hour(std::vector<HourlyAmount>& hours, const HourlyAmount& amount) {
  const std::int64_t hour = amount.hour();
  const auto at = std::lower_bound(hours.begin(), hours.end(), hour,
                                   [](const HourlyAmount& kept, std::int64_t h) { return kept.hour() < h; });
  if (at == hours.end() || at->hour() != hour) {
    hours.insert(at, amount);
  } else if (amount.observed_at > at->observed_at) {
    *at = amount;
  }
}

std::optional<double> scaled_sum(const std::vector<HourlyAmount>& hours, std::int64_t size_s,
                                 std::optional<double> HourlyAmount::*amount) {
  std::optional<double> total;
  for (const HourlyAmount& entry : hours) {
    if (const auto value = entry.*amount) total = total.value_or(0) + *value;
  }
  if (total && size_s < kHour) *total *= static_cast<double>(size_s) / kHour;
  return total;
}

bool key_less(const WindowAggregate& a, const WindowAggregate& b) {
  return std::tie(a.city_id, a.size_s, a.start) < std::tie(b.city_id, b.size_s, b.start);
}

}  // namespace

Result<void> check_window_options(const WindowOptions& options) {
  if (options.sizes_s.empty()) return make_error(Errc::invalid_argument, "at least one window size is needed");
  std::set<std::int64_t> distinct;
  for (std::int64_t size : options.sizes_s) {
    if (size <= 0) return make_error(Errc::invalid_argument, fmt::format("window size {}s is not positive", size));
    if (!distinct.insert(size).second) {
      return make_error(Errc::invalid_argument, "window size " + window_name(size) + " is listed twice");
    }
  }
  if (options.allowed_lateness_s < 0) return make_error(Errc::invalid_argument, "allowed lateness is negative");
  if (options.idle_timeout_ms <= 0) return make_error(Errc::invalid_argument, "idle timeout is not positive");
  return {};
}

std::optional<double> Mean::value() const {
  if (count == 0) return std::nullopt;
  return sum / static_cast<double>(count);
}

void Mean::add(double x) {
  sum += x;
  ++count;
}

std::int64_t HourlyAmount::hour() const { return floor_div(observed_at, kHour); }

std::optional<double> WindowAggregate::rain_total_mm() const { return scaled_sum(hours, size_s, &HourlyAmount::rain_mm); }
std::optional<double> WindowAggregate::snow_total_mm() const { return scaled_sum(hours, size_s, &HourlyAmount::snow_mm); }

std::string window_name(std::int64_t size_s) {
  if (size_s % 86400 == 0) return fmt::format("{}d", size_s / 86400);
  if (size_s % kHour == 0) return fmt::format("{}h", size_s / kHour);
  if (size_s % 60 == 0) return fmt::format("{}m", size_s / 60);
  return fmt::format("{}s", size_s);
}

WindowEngine::WindowEngine(WindowOptions options) : options_(std::move(options)) {}

bool WindowEngine::is_late(const Partition& partition, std::int64_t observed_at) const {
  // finalized_through can pass this partition's own watermark only while it
  // was idle; its windows up to there are gone, so older records are late too.
  std::int64_t bound = partition.finalized_through;
  if (partition.max_event_time) bound = std::max(bound, *partition.max_event_time - options_.allowed_lateness_s);
  return observed_at < bound;
}

bool WindowEngine::remember(City& city, std::int64_t observed_at) {
  auto& times = city.seen;
  // A city's observations mostly arrive in time order: append then.
  if (times.empty() || times.back() < observed_at) {
    times.push_back(observed_at);
    return true;
  }
  const auto at = std::lower_bound(times.begin(), times.end(), observed_at);
  if (*at == observed_at) return false;
  times.insert(at, observed_at);
  return true;
}

void WindowEngine::fold(Partition& partition, City& city, std::int64_t offset, const Observation& o) {
  for (std::int64_t size : options_.sizes_s) {
    const std::int64_t start = floor_div(o.observed_at, size) * size;
    // A city has a handful of open windows: a linear search beats any index.
    auto it = std::find_if(city.windows.begin(), city.windows.end(), [&](const OpenWindow& open) {
      return open.aggregate.size_s == size && open.aggregate.start == start;
    });
    if (it == city.windows.end()) {
      it = std::find_if(city.windows.begin(), city.windows.end(), [&](const OpenWindow& open) {
        return std::tie(open.aggregate.size_s, open.aggregate.start) > std::tie(size, start);
      });
      it = city.windows.insert(it, OpenWindow{});
      it->aggregate.city_id = o.city_id;
      it->aggregate.size_s = size;
      it->aggregate.start = start;
      it->aggregate.temp_min_c = it->aggregate.temp_max_c = o.temp_c;
    }
    WindowAggregate& w = it->aggregate;
    ++w.count;
    w.last_offset = std::max(w.last_offset, offset);
    w.temp_min_c = std::min(w.temp_min_c, o.temp_c);
    w.temp_max_c = std::max(w.temp_max_c, o.temp_c);
    w.temp_c.add(o.temp_c);
    keep_max(w.wind_max_ms, o.wind_speed_ms);
    add_if_set(w.wind_ms, o.wind_speed_ms);
    keep_max(w.gust_max_ms, o.wind_gust_ms);
    add_if_set(w.humidity_pct, o.humidity_pct);
    add_if_set(w.pressure_hpa, o.pressure_hpa);
    if (o.rain_1h_mm || o.snow_1h_mm) keep_newest_of_hour(w.hours, HourlyAmount{o.observed_at, o.rain_1h_mm, o.snow_1h_mm});
    it->changed = true;
  }
  if (!city.listed) {
    city.listed = true;
    partition.changed_cities.push_back(o.city_id);
  }
}

void WindowEngine::track(std::int32_t partition_id, std::int64_t now_ms) {
  auto [it, added] = partitions_.try_emplace(partition_id);
  if (added) it->second.last_record_ms = now_ms;
}

Verdict WindowEngine::add(std::int32_t partition_id, std::int64_t offset, const Observation& observation,
                          std::int64_t now_ms) {
  Partition& partition = partitions_[partition_id];
  partition.last_record_ms = now_ms;
  if (is_late(partition, observation.observed_at)) return Verdict::late;
  City& city = partition.cities[observation.city_id];
  if (!remember(city, observation.observed_at)) return Verdict::duplicate;
  partition.max_event_time = std::max(partition.max_event_time.value_or(INT64_MIN), observation.observed_at);
  fold(partition, city, offset, observation);
  return Verdict::accepted;
}

std::optional<std::int64_t> WindowEngine::watermark(std::int32_t partition_id) const {
  const auto it = partitions_.find(partition_id);
  if (it == partitions_.end() || !it->second.max_event_time) return std::nullopt;
  return *it->second.max_event_time - options_.allowed_lateness_s;
}

bool WindowEngine::is_idle(const Partition& partition, std::int64_t now_ms) const {
  return now_ms - partition.last_record_ms >= options_.idle_timeout_ms;
}

std::optional<std::int64_t> WindowEngine::slowest_active_watermark(std::int64_t now_ms) const {
  std::optional<std::int64_t> slowest;
  for (const auto& [id, partition] : partitions_) {
    if (!partition.max_event_time || is_idle(partition, now_ms)) continue;
    const std::int64_t mark = *partition.max_event_time - options_.allowed_lateness_s;
    slowest = std::min(slowest.value_or(mark), mark);
  }
  return slowest;
}

// A partition that never delivered has no windows to close: moving its
// closing point would only make its first records late.
std::optional<std::int64_t> WindowEngine::closes_through(const Partition& partition,
                                                         std::optional<std::int64_t> slowest_active,
                                                         std::int64_t now_ms) const {
  if (!partition.max_event_time) return std::nullopt;
  const std::int64_t own = *partition.max_event_time - options_.allowed_lateness_s;
  if (slowest_active && is_idle(partition, now_ms)) return std::max(own, *slowest_active);
  return own;
}

std::optional<std::int64_t> WindowEngine::closes_through(std::int32_t partition_id, std::int64_t now_ms) const {
  const auto it = partitions_.find(partition_id);
  if (it == partitions_.end()) return std::nullopt;
  return closes_through(it->second, slowest_active_watermark(now_ms), now_ms);
}

void WindowEngine::forget_seen_before_oldest_open(City& city) {
  std::int64_t oldest_open = INT64_MAX;
  for (const OpenWindow& open : city.windows) oldest_open = std::min(oldest_open, open.aggregate.start);
  city.seen.erase(city.seen.begin(), std::lower_bound(city.seen.begin(), city.seen.end(), oldest_open));
}

// In key order (city, size, start), like everything collect() emits.
void WindowEngine::emit_changed(Partition& partition, std::optional<std::int64_t> through,
                                std::vector<WindowAggregate>& out) {
  std::sort(partition.changed_cities.begin(), partition.changed_cities.end());
  for (std::int64_t city_id : partition.changed_cities) {
    City& city = partition.cities.at(city_id);
    city.listed = false;
    for (OpenWindow& open : city.windows) {
      if (!open.changed) continue;
      open.changed = false;
      // A window about to be finalised is emitted once, as final, by finalize().
      if (!(through && open.aggregate.end() <= *through)) out.push_back(open.aggregate);
    }
  }
  partition.changed_cities.clear();
}

void WindowEngine::finalize(Partition& partition, std::int64_t through, std::vector<WindowAggregate>& out) {
  if (through <= partition.finalized_through) return;
  partition.finalized_through = through;
  const std::size_t first_final = out.size();
  for (auto it = partition.cities.begin(); it != partition.cities.end();) {
    City& city = it->second;
    const auto open_end = std::stable_partition(city.windows.begin(), city.windows.end(),
                                                [&](const OpenWindow& open) { return open.aggregate.end() > through; });
    if (open_end != city.windows.end()) {
      for (auto closed = open_end; closed != city.windows.end(); ++closed) {
        closed->aggregate.final = true;
        out.push_back(std::move(closed->aggregate));
      }
      city.windows.erase(open_end, city.windows.end());
      forget_seen_before_oldest_open(city);
    }
    it = city.windows.empty() && city.seen.empty() ? partition.cities.erase(it) : std::next(it);
  }
  std::sort(out.begin() + static_cast<std::ptrdiff_t>(first_final), out.end(), key_less);
}

void WindowEngine::collect(std::int64_t now_ms, std::vector<WindowAggregate>& out) {
  const auto slowest_active = slowest_active_watermark(now_ms);
  for (auto& [id, partition] : partitions_) {
    const auto through = closes_through(partition, slowest_active, now_ms);
    emit_changed(partition, through, out);
    if (through) finalize(partition, *through, out);
  }
}

PartitionSnapshot WindowEngine::snapshot(std::int32_t partition_id) const {
  PartitionSnapshot snapshot;
  const auto it = partitions_.find(partition_id);
  if (it == partitions_.end()) return snapshot;
  const Partition& partition = it->second;
  snapshot.max_event_time = partition.max_event_time;
  snapshot.finalized_through = partition.finalized_through;
  std::vector<std::int64_t> city_ids;
  city_ids.reserve(partition.cities.size());
  for (const auto& [city_id, city] : partition.cities) city_ids.push_back(city_id);
  std::sort(city_ids.begin(), city_ids.end());
  for (std::int64_t city_id : city_ids) {
    const City& city = partition.cities.at(city_id);
    for (const OpenWindow& open : city.windows) snapshot.windows.push_back(open.aggregate);
    if (!city.seen.empty()) snapshot.seen.emplace_hint(snapshot.seen.end(), city_id, city.seen);
  }
  return snapshot;
}

void WindowEngine::release(std::int32_t partition_id) { partitions_.erase(partition_id); }

void WindowEngine::restore(std::int32_t partition_id, PartitionSnapshot snapshot, std::int64_t now_ms) {
  Partition partition;
  partition.max_event_time = snapshot.max_event_time;
  partition.finalized_through = snapshot.finalized_through;
  partition.last_record_ms = now_ms;
  for (auto& [city_id, seen] : snapshot.seen) partition.cities[city_id].seen = std::move(seen);
  std::sort(snapshot.windows.begin(), snapshot.windows.end(), key_less);
  for (WindowAggregate& window : snapshot.windows) {
    partition.cities[window.city_id].windows.push_back(OpenWindow{std::move(window), false});
  }
  partitions_[partition_id] = std::move(partition);
}

std::size_t WindowEngine::open_windows() const {
  std::size_t open = 0;
  for (const auto& [id, partition] : partitions_) {
    for (const auto& [city_id, city] : partition.cities) open += city.windows.size();
  }
  return open;
}

}  // namespace squall::processor
