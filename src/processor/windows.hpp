#pragma once
// Event-time tumbling windows per city, with watermarks and late data.
//
// Event time is the observation's `dt`. Each log partition has a watermark:
// the greatest event time it has delivered minus the allowed lateness. A
// record older than its partition's watermark is late: it never updates a
// window (the caller routes it to the late topic). A window is final once its
// own partition's watermark reaches its end; it is then emitted one last time
// with `final` set and evicted, so memory depends on cities x open windows,
// not on the stream's length. A city lives in one partition, so its windows
// never wait for another partition, and do not depend on which other
// partitions this processor holds (as Kafka Streams' per-task stream time).
//
// A partition that delivers nothing would keep its windows open forever:
// once it has been silent for `idle_timeout_ms` of processing time, its
// windows close as far as the slowest partition still active. That one rule
// follows the clock, not the data.
//
// Everything here is a deterministic function of each partition's records in
// offset order (lateness is judged per partition, and aggregates only change
// through add()), which is what lets a restarted processor rebuild exactly
// the windows a clean run builds: see PartitionSnapshot and
// docs/ARCHITECTURE.md.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/observation.hpp"
#include "core/result.hpp"

namespace squall::processor {

struct WindowOptions {
  std::vector<std::int64_t> sizes_s{3600, 86400};  // tumbling window sizes, aligned to the Unix epoch
  std::int64_t allowed_lateness_s = 600;
  std::int64_t idle_timeout_ms = 60'000;
};

// Checks sizes (positive, distinct) and durations; names the offending value.
Result<void> check_window_options(const WindowOptions& options);

// A running mean's parts: kept as sum and count so windows merge exactly.
struct Mean {
  double sum = 0;
  std::int64_t count = 0;
  std::optional<double> value() const;
  void add(double x);
  bool operator==(const Mean&) const = default;
};

// Precipitation: OpenWeatherMap reports the last hour's amount with every
// observation, so summing every observation's rain_1h would count an hour
// many times. A window keeps, per UTC hour, the amount of that hour's newest
// observation, and its total is their sum (scaled by size/1h for windows
// shorter than an hour).
struct HourlyAmount {
  std::int64_t observed_at = 0;
  std::optional<double> rain_mm;
  std::optional<double> snow_mm;
  std::int64_t hour() const;  // UTC hours since the epoch of observed_at
  bool operator==(const HourlyAmount&) const = default;
};

struct WindowAggregate {
  std::int64_t city_id = 0;
  std::int64_t size_s = 0;
  std::int64_t start = 0;  // Unix seconds; the window is [start, start + size_s)
  std::int64_t count = 0;  // distinct observations (a repeated dt counts once)
  double temp_min_c = 0;
  double temp_max_c = 0;
  Mean temp_c;
  std::optional<double> wind_max_ms;
  Mean wind_ms;
  std::optional<double> gust_max_ms;
  Mean humidity_pct;
  Mean pressure_hpa;
  std::vector<HourlyAmount> hours;  // one per UTC hour, ascending: that hour's newest amounts
  bool final = false;
  std::int64_t last_offset = -1;  // of the newest record folded in: orders writes of the window

  std::int64_t end() const { return start + size_s; }
  std::optional<double> rain_total_mm() const;
  std::optional<double> snow_total_mm() const;
  bool operator==(const WindowAggregate&) const = default;
};

// "1h", "1d", "10m", "90s": how windows are named in the store and queries.
std::string window_name(std::int64_t size_s);

enum class Verdict { accepted, duplicate, late };

// The state of one partition, enough to continue exactly where it stood:
// open windows with the observation times they hold, the partition's
// greatest event time and how far its windows were finalised.
struct PartitionSnapshot {
  std::optional<std::int64_t> max_event_time;
  std::int64_t finalized_through = INT64_MIN;
  std::vector<WindowAggregate> windows;
  std::map<std::int64_t, std::vector<std::int64_t>> seen;  // city -> accepted dts still inside open windows
  bool operator==(const PartitionSnapshot&) const = default;
};

class WindowEngine {
 public:
  explicit WindowEngine(WindowOptions options);

  // Starts tracking a partition this processor now reads (an assignment):
  // its idleness counts from `now_ms`.
  void track(std::int32_t partition, std::int64_t now_ms);

  // Offers one observation read from `partition` at `offset`, at processing time `now_ms`.
  Verdict add(std::int32_t partition, std::int64_t offset, const Observation& observation, std::int64_t now_ms);

  // The partition's watermark (its greatest event time minus the allowed
  // lateness), once it has delivered anything.
  std::optional<std::int64_t> watermark(std::int32_t partition) const;

  // How far the partition's windows close at `now_ms`: its watermark, or
  // once it is idle the slowest active partition's if that is further.
  std::optional<std::int64_t> closes_through(std::int32_t partition, std::int64_t now_ms) const;

  // Appends every window changed since the last call (still open) and every
  // window its partition's closing point has now passed (final, then evicted).
  void collect(std::int64_t now_ms, std::vector<WindowAggregate>& out);

  // Stops tracking a partition (it moved to another processor), returning
  // its state; restore() takes such a state back, e.g. after a restart.
  PartitionSnapshot snapshot(std::int32_t partition) const;
  void release(std::int32_t partition);
  void restore(std::int32_t partition, PartitionSnapshot snapshot, std::int64_t now_ms);

  std::size_t open_windows() const;

 private:
  // A city's open windows, ordered by (size, start), each with whether it
  // changed since the last collect(), and the accepted dts still inside them.
  struct OpenWindow {
    WindowAggregate aggregate;
    bool changed = false;
  };
  struct City {
    std::vector<OpenWindow> windows;
    std::vector<std::int64_t> seen;  // sorted
    bool listed = false;             // in its partition's changed_cities
  };
  // Cities are hashed, not ordered: every record looks its city up once, and
  // order is only needed by collect() and snapshot(), which sort what they emit.
  struct Partition {
    std::optional<std::int64_t> max_event_time;
    std::int64_t finalized_through = INT64_MIN;
    std::int64_t last_record_ms = 0;
    std::unordered_map<std::int64_t, City> cities;
    std::vector<std::int64_t> changed_cities;  // each listed once, when its first window changes
  };

  bool is_late(const Partition& partition, std::int64_t observed_at) const;
  bool is_idle(const Partition& partition, std::int64_t now_ms) const;
  std::optional<std::int64_t> slowest_active_watermark(std::int64_t now_ms) const;
  std::optional<std::int64_t> closes_through(const Partition& partition, std::optional<std::int64_t> slowest_active,
                                             std::int64_t now_ms) const;
  static bool remember(City& city, std::int64_t observed_at);
  void fold(Partition& partition, City& city, std::int64_t offset, const Observation& observation);
  static void emit_changed(Partition& partition, std::optional<std::int64_t> through,
                           std::vector<WindowAggregate>& out);
  static void finalize(Partition& partition, std::int64_t through, std::vector<WindowAggregate>& out);
  static void forget_seen_before_oldest_open(City& city);

  WindowOptions options_;
  std::map<std::int32_t, Partition> partitions_;
};

}  // namespace squall::processor
