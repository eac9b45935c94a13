#include "processor/windows.hpp"

#include <algorithm>
#include <set>

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

std::optional<double> scaled_sum(const std::map<std::int64_t, HourlyAmount>& hours, std::int64_t size_s,
                                 std::optional<double> HourlyAmount::*amount) {
  std::optional<double> total;
  for (const auto& [hour, entry] : hours) {
    if (const auto value = entry.*amount) total = total.value_or(0) + *value;
  }
  if (total && size_s < kHour) *total *= static_cast<double>(size_s) / kHour;
  return total;
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

bool WindowEngine::remember(Partition& partition, std::int64_t city_id, std::int64_t observed_at) {
  auto& times = partition.seen[city_id];
  const auto at = std::lower_bound(times.begin(), times.end(), observed_at);
  if (at != times.end() && *at == observed_at) return false;
  times.insert(at, observed_at);
  return true;
}

void WindowEngine::fold(Partition& partition, std::int64_t offset, const Observation& o) {
  for (std::int64_t size : options_.sizes_s) {
    const WindowKey key{o.city_id, size, floor_div(o.observed_at, size) * size};
    auto [it, created] = partition.windows.try_emplace(key);
    WindowAggregate& w = it->second;
    if (created) {
      w.city_id = o.city_id;
      w.size_s = size;
      w.start = key.start;
      w.temp_min_c = w.temp_max_c = o.temp_c;
    }
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
    if (o.rain_1h_mm || o.snow_1h_mm) {
      const HourlyAmount amount{o.observed_at, o.rain_1h_mm, o.snow_1h_mm};
      auto [hour, first] = w.hours.try_emplace(floor_div(o.observed_at, kHour), amount);
      if (!first && o.observed_at > hour->second.observed_at) hour->second = amount;
    }
    partition.changed.insert(key);
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
  if (!remember(partition, observation.city_id, observation.observed_at)) return Verdict::duplicate;
  partition.max_event_time = std::max(partition.max_event_time.value_or(INT64_MIN), observation.observed_at);
  fold(partition, offset, observation);
  return Verdict::accepted;
}

std::optional<std::int64_t> WindowEngine::watermark(std::int32_t partition_id) const {
  const auto it = partitions_.find(partition_id);
  if (it == partitions_.end() || !it->second.max_event_time) return std::nullopt;
  return *it->second.max_event_time - options_.allowed_lateness_s;
}

std::optional<std::int64_t> WindowEngine::group_watermark(std::int64_t now_ms) const {
  std::optional<std::int64_t> active;
  std::optional<std::int64_t> all;
  bool waiting_for_first_record = false;
  for (const auto& [id, partition] : partitions_) {
    const bool idle = now_ms - partition.last_record_ms >= options_.idle_timeout_ms;
    if (!partition.max_event_time) {
      waiting_for_first_record = waiting_for_first_record || !idle;
      continue;
    }
    const std::int64_t mark = *partition.max_event_time - options_.allowed_lateness_s;
    all = std::min(all.value_or(mark), mark);
    if (!idle) active = std::min(active.value_or(mark), mark);
  }
  if (waiting_for_first_record) return std::nullopt;
  return active ? active : all;
}

void WindowEngine::forget_seen_before(Partition& partition, std::int64_t city_id) {
  auto times = partition.seen.find(city_id);
  if (times == partition.seen.end()) return;
  std::int64_t oldest_open = INT64_MAX;
  for (auto it = partition.windows.lower_bound(WindowKey{city_id, INT64_MIN, INT64_MIN});
       it != partition.windows.end() && it->first.city_id == city_id; ++it) {
    oldest_open = std::min(oldest_open, it->second.start);
  }
  auto& dts = times->second;
  dts.erase(dts.begin(), std::lower_bound(dts.begin(), dts.end(), oldest_open));
  if (dts.empty()) partition.seen.erase(times);
}

void WindowEngine::finalize(Partition& partition, std::int64_t through, std::vector<WindowAggregate>& out) {
  if (through <= partition.finalized_through) return;
  partition.finalized_through = through;
  std::set<std::int64_t> touched_cities;
  for (auto it = partition.windows.begin(); it != partition.windows.end();) {
    if (it->second.end() > through) {
      ++it;
      continue;
    }
    it->second.final = true;
    touched_cities.insert(it->first.city_id);
    out.push_back(std::move(it->second));
    it = partition.windows.erase(it);
  }
  for (std::int64_t city : touched_cities) forget_seen_before(partition, city);
}

void WindowEngine::collect(std::int64_t now_ms, std::vector<WindowAggregate>& out) {
  const auto through = group_watermark(now_ms);
  for (auto& [id, partition] : partitions_) {
    for (const WindowKey& key : partition.changed) {
      const auto it = partition.windows.find(key);
      // A window about to be finalised is emitted once, as final, below.
      if (it != partition.windows.end() && !(through && it->second.end() <= *through)) out.push_back(it->second);
    }
    partition.changed.clear();
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
  snapshot.seen = partition.seen;
  snapshot.windows.reserve(partition.windows.size());
  for (const auto& [key, window] : partition.windows) snapshot.windows.push_back(window);
  return snapshot;
}

void WindowEngine::release(std::int32_t partition_id) { partitions_.erase(partition_id); }

void WindowEngine::restore(std::int32_t partition_id, PartitionSnapshot snapshot, std::int64_t now_ms) {
  Partition partition;
  partition.max_event_time = snapshot.max_event_time;
  partition.finalized_through = snapshot.finalized_through;
  partition.last_record_ms = now_ms;
  partition.seen = std::move(snapshot.seen);
  for (WindowAggregate& window : snapshot.windows) {
    const WindowKey key{window.city_id, window.size_s, window.start};
    partition.windows.emplace(key, std::move(window));
  }
  partitions_[partition_id] = std::move(partition);
}

std::size_t WindowEngine::open_windows() const {
  std::size_t open = 0;
  for (const auto& [id, partition] : partitions_) open += partition.windows.size();
  return open;
}

}  // namespace squall::processor
