#include "processor/checkpoint_codec.hpp"

#include <algorithm>
#include <bit>

namespace squall::processor {
namespace {

// 1: windows only; 2: windows, then alert states; both with fixed 8-byte
// integers. 3: as 2 in varints, with each ascending list of times as
// deltas, about a third of the bytes: late in a UTC day a city's daily
// window holds every time it accepted that day, and checkpoints are
// written every few seconds (docs/BENCHMARKS.md, "Seventh session").
constexpr std::uint8_t kFormat = 3;

// No processor writes a time, size, count or offset this large, nor a
// negative count: refused, since the window engine and the store compute
// with them (a window's end, the next count, a row's version 2 * offset + 1)
// and would overflow.
constexpr std::int64_t kLimit = std::int64_t{1} << 62;

bool plausible_time(std::int64_t value) { return value > -kLimit && value < kLimit; }
bool plausible_count(std::int64_t value) { return value >= 0 && value < kLimit; }

bool plausible(const WindowAggregate& a) {
  return a.size_s > 0 && a.size_s < kLimit && plausible_time(a.start) && plausible_count(a.count) &&
         plausible_count(a.temp_c.count) && plausible_count(a.wind_ms.count) &&
         plausible_count(a.humidity_pct.count) && plausible_count(a.pressure_hpa.count) && a.last_offset >= -1 &&
         a.last_offset < kLimit;
}

// The fewest bytes each repeated item takes in any format: a decoder given a
// count larger than its bytes could hold refuses it before allocating.
constexpr std::size_t kMinWindowBytes = 60;
constexpr std::size_t kMinHourBytes = 3;
constexpr std::size_t kMinSeenCityBytes = 2;
constexpr std::size_t kMinTimeBytes = 1;
constexpr std::size_t kMinAlertBytes = 4;

// Writes format 3: integers as LEB128 varints, signed ones zigzagged so that
// small negative values (an offset of -1) stay one byte.
class Writer {
 public:
  void u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void count(std::size_t value) { varint(value); }
  void integer(std::int64_t value) {
    varint((static_cast<std::uint64_t>(value) << 1) ^ static_cast<std::uint64_t>(value >> 63));
  }
  void f64(double value) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  void optional_f64(const std::optional<double>& value) {
    u8(value ? 1 : 0);
    if (value) f64(*value);
  }
  void text(const std::string& value) {
    count(value.size());
    out_ += value;
  }
  void mean(const Mean& m) {
    f64(m.sum);
    integer(m.count);
  }
  std::string take() { return std::move(out_); }

 private:
  void varint(std::uint64_t value) {
    for (; value >= 0x80; value >>= 7) out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    out_.push_back(static_cast<char>(value));
  }
  std::string out_;
};

// Reads every format: `compact` (format 3) chooses varints over fixed
// 8-byte integers; the few layouts that differ more ask compact().
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  void set_format(std::uint8_t format) { compact_ = format >= 3; }
  bool compact() const { return compact_; }

  Result<std::uint8_t> u8() {
    if (bytes_.empty()) return truncated();
    const auto value = static_cast<std::uint8_t>(bytes_.front());
    bytes_.remove_prefix(1);
    return value;
  }
  Result<std::int64_t> integer() {
    if (!compact_) return fixed();
    std::uint64_t zigzag = 0;
    SQUALL_ASSIGN(zigzag, varint());
    return static_cast<std::int64_t>((zigzag >> 1) ^ (~(zigzag & 1) + 1));
  }
  Result<double> f64() {
    auto bits = fixed();
    if (!bits) return bits.error();
    return std::bit_cast<double>(*bits);
  }
  Result<std::optional<double>> optional_f64() {
    std::uint8_t present = 0;
    SQUALL_ASSIGN(present, u8());
    if (present == 0) return std::optional<double>();
    double value = 0;
    SQUALL_ASSIGN(value, f64());
    return std::optional<double>(value);
  }
  Result<std::string> text() {
    std::size_t size = 0;
    SQUALL_ASSIGN(size, count(1));
    std::string value(bytes_.substr(0, size));
    bytes_.remove_prefix(size);
    return value;
  }
  Result<Mean> mean() {
    Mean m;
    SQUALL_ASSIGN(m.sum, f64());
    SQUALL_ASSIGN(m.count, integer());
    return m;
  }
  // A count of items each at least `min_bytes` long: bounded by what is left.
  Result<std::size_t> count(std::size_t min_bytes) {
    std::uint64_t n = 0;
    if (compact_) {
      SQUALL_ASSIGN(n, varint());
    } else {
      std::int64_t signed_n = 0;
      SQUALL_ASSIGN(signed_n, fixed());
      n = static_cast<std::uint64_t>(signed_n);  // a negative count becomes huge and is refused below
    }
    if (n > bytes_.size() / min_bytes) {
      return make_error(Errc::parse, "checkpoint state: a count of " + std::to_string(n) + " exceeds its bytes");
    }
    return static_cast<std::size_t>(n);
  }
  bool done() const { return bytes_.empty(); }

 private:
  Result<std::int64_t> fixed() {
    if (bytes_.size() < 8) return truncated();
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= std::uint64_t{static_cast<unsigned char>(bytes_[static_cast<std::size_t>(i)])} << (8 * i);
    bytes_.remove_prefix(8);
    return static_cast<std::int64_t>(bits);
  }
  Result<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t byte = 0;
      SQUALL_ASSIGN(byte, u8());
      if (shift == 63 && byte > 1) break;
      value |= std::uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return make_error(Errc::parse, "checkpoint state: a number wider than 64 bits");
  }
  static Error truncated() { return make_error(Errc::parse, "checkpoint state is truncated"); }

  std::string_view bytes_;
  bool compact_ = false;
};

// Every time a checkpoint holds is plausible, in every format: so the
// difference of two, which format 3 writes, cannot overflow either.
Result<std::int64_t> checked_time(std::int64_t value) {
  if (!plausible_time(value)) return make_error(Errc::parse, "checkpoint state: a time of " + std::to_string(value));
  return value;
}

// A time format 3 wrote as `delta` from `base`.
Result<std::int64_t> add_delta(std::int64_t base, std::int64_t delta) {
  std::int64_t sum = 0;
  if (__builtin_add_overflow(base, delta, &sum)) {
    return make_error(Errc::parse, "checkpoint state: a time of " + std::to_string(base) + " + " + std::to_string(delta));
  }
  return checked_time(sum);
}

void write_window(Writer& w, const WindowAggregate& a) {
  w.integer(a.city_id);
  w.integer(a.size_s);
  w.integer(a.start);
  w.integer(a.count);
  w.f64(a.temp_min_c);
  w.f64(a.temp_max_c);
  w.mean(a.temp_c);
  w.optional_f64(a.wind_max_ms);
  w.mean(a.wind_ms);
  w.optional_f64(a.gust_max_ms);
  w.mean(a.humidity_pct);
  w.mean(a.pressure_hpa);
  w.count(a.hours.size());
  std::int64_t previous = a.start;
  for (const HourlyAmount& amount : a.hours) {
    w.integer(amount.observed_at - previous);
    previous = amount.observed_at;
    w.optional_f64(amount.rain_mm);
    w.optional_f64(amount.snow_mm);
  }
  w.u8(a.final ? 1 : 0);
  w.integer(a.last_offset);
}

// Formats 1 and 2 wrote each hour's number beside its newest observation's
// time; format 3 writes the time as a delta from the one before (the first
// from the window's start), the hour being a function of it.
Result<HourlyAmount> read_hour(Reader& r, std::int64_t previous_observed_at) {
  HourlyAmount amount;
  std::int64_t hour = 0;
  if (r.compact()) {
    std::int64_t delta = 0;
    SQUALL_ASSIGN(delta, r.integer());
    SQUALL_ASSIGN(amount.observed_at, add_delta(previous_observed_at, delta));
    hour = amount.hour();
  } else {
    SQUALL_ASSIGN(hour, r.integer());
    SQUALL_ASSIGN(amount.observed_at, r.integer());
    SQUALL_TRY(checked_time(amount.observed_at));
  }
  SQUALL_ASSIGN(amount.rain_mm, r.optional_f64());
  SQUALL_ASSIGN(amount.snow_mm, r.optional_f64());
  if (hour != amount.hour()) {
    return make_error(Errc::parse, "checkpoint state: hour " + std::to_string(hour) +
                                       " of a window's rain and snow does not hold its observation");
  }
  return amount;
}

Result<WindowAggregate> read_window(Reader& r) {
  WindowAggregate a;
  SQUALL_ASSIGN(a.city_id, r.integer());
  SQUALL_ASSIGN(a.size_s, r.integer());
  SQUALL_ASSIGN(a.start, r.integer());
  SQUALL_ASSIGN(a.count, r.integer());
  SQUALL_ASSIGN(a.temp_min_c, r.f64());
  SQUALL_ASSIGN(a.temp_max_c, r.f64());
  SQUALL_ASSIGN(a.temp_c, r.mean());
  SQUALL_ASSIGN(a.wind_max_ms, r.optional_f64());
  SQUALL_ASSIGN(a.wind_ms, r.mean());
  SQUALL_ASSIGN(a.gust_max_ms, r.optional_f64());
  SQUALL_ASSIGN(a.humidity_pct, r.mean());
  SQUALL_ASSIGN(a.pressure_hpa, r.mean());
  std::size_t hours = 0;
  SQUALL_ASSIGN(hours, r.count(kMinHourBytes));
  for (std::size_t i = 0; i < hours; ++i) {
    HourlyAmount amount;
    SQUALL_ASSIGN(amount, read_hour(r, a.hours.empty() ? a.start : a.hours.back().observed_at));
    if (!a.hours.empty() && amount.hour() <= a.hours.back().hour()) {
      return make_error(Errc::parse, "checkpoint state: hour " + std::to_string(amount.hour()) +
                                         " of a window's rain and snow is out of order");
    }
    a.hours.push_back(amount);
  }
  std::uint8_t final = 0;
  SQUALL_ASSIGN(final, r.u8());
  a.final = final != 0;
  SQUALL_ASSIGN(a.last_offset, r.integer());
  if (!plausible(a)) {
    return make_error(Errc::parse, "checkpoint state: a window no processor writes (size " + std::to_string(a.size_s) +
                                       ", start " + std::to_string(a.start) + ", count " + std::to_string(a.count) +
                                       ", last offset " + std::to_string(a.last_offset) + ")");
  }
  return a;
}

void write_windows(Writer& w, const PartitionSnapshot& snapshot) {
  w.u8(snapshot.max_event_time ? 1 : 0);
  w.integer(snapshot.max_event_time.value_or(0));
  w.integer(snapshot.finalized_through);
  w.count(snapshot.windows.size());
  for (const WindowAggregate& window : snapshot.windows) write_window(w, window);
  w.count(snapshot.seen.size());
  for (const auto& [city, times] : snapshot.seen) {
    w.integer(city);
    w.count(times.size());
    std::int64_t previous = 0;  // the engine keeps them ascending and distinct: deltas after the first are positive
    for (std::int64_t time : times) {
      w.integer(time - previous);
      previous = time;
    }
  }
}

// One city's accepted times. Format 3 wrote them ascending as deltas, so a
// delta that is not positive is a foreign blob; formats 1 and 2 wrote them
// whole, and are sorted and made distinct as the engine keeps them.
Result<std::vector<std::int64_t>> read_seen_times(Reader& r) {
  std::size_t count = 0;
  SQUALL_ASSIGN(count, r.count(kMinTimeBytes));
  std::vector<std::int64_t> times;
  times.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::int64_t value = 0;
    SQUALL_ASSIGN(value, r.integer());
    if (r.compact()) {
      if (i > 0 && value <= 0) return make_error(Errc::parse, "checkpoint state: a city's times are not ascending");
      SQUALL_ASSIGN(value, add_delta(times.empty() ? 0 : times.back(), value));
    } else {
      SQUALL_ASSIGN(value, checked_time(value));
    }
    times.push_back(value);
  }
  if (!r.compact()) {
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
  }
  return times;
}

Result<PartitionSnapshot> read_windows(Reader& r) {
  PartitionSnapshot snapshot;
  std::uint8_t has_max = 0;
  std::int64_t max = 0;
  SQUALL_ASSIGN(has_max, r.u8());
  SQUALL_ASSIGN(max, r.integer());
  if (has_max != 0) {
    if (!plausible_time(max)) return make_error(Errc::parse, "checkpoint state: an event time of " + std::to_string(max));
    snapshot.max_event_time = max;
  }
  SQUALL_ASSIGN(snapshot.finalized_through, r.integer());
  std::size_t windows = 0;
  SQUALL_ASSIGN(windows, r.count(kMinWindowBytes));
  for (std::size_t i = 0; i < windows; ++i) {
    WindowAggregate window;
    SQUALL_ASSIGN(window, read_window(r));
    snapshot.windows.push_back(std::move(window));
  }
  std::size_t cities = 0;
  SQUALL_ASSIGN(cities, r.count(kMinSeenCityBytes));
  for (std::size_t i = 0; i < cities; ++i) {
    std::int64_t city = 0;
    SQUALL_ASSIGN(city, r.integer());
    std::vector<std::int64_t> times;
    SQUALL_ASSIGN(times, read_seen_times(r));
    if (!snapshot.seen.try_emplace(city, std::move(times)).second) {
      return make_error(Errc::parse, "checkpoint state: city " + std::to_string(city) + "'s times appear twice");
    }
  }
  return snapshot;
}

Result<std::vector<AlertState>> read_alerts(Reader& r) {
  std::vector<AlertState> alerts;
  std::size_t count = 0;
  SQUALL_ASSIGN(count, r.count(kMinAlertBytes));
  for (std::size_t i = 0; i < count; ++i) {
    AlertState state;
    std::int64_t streak = 0;
    std::uint8_t raised = 0;
    SQUALL_ASSIGN(state.city_id, r.integer());
    SQUALL_ASSIGN(state.rule, r.text());
    SQUALL_ASSIGN(streak, r.integer());
    SQUALL_ASSIGN(raised, r.u8());
    // The evaluator adds one to a streak: INT32_MAX itself would overflow.
    if (streak < 0 || streak >= INT32_MAX) return make_error(Errc::parse, "checkpoint state: an alert streak out of range");
    state.streak = static_cast<std::int32_t>(streak);
    state.raised = raised != 0;
    alerts.push_back(std::move(state));
  }
  return alerts;
}

}  // namespace

std::string encode_checkpoint(const PartitionState& state) {
  Writer w;
  w.u8(kFormat);
  write_windows(w, state.windows);
  w.count(state.alerts.size());
  for (const AlertState& alert : state.alerts) {
    w.integer(alert.city_id);
    w.text(alert.rule);
    w.integer(alert.streak);
    w.u8(alert.raised ? 1 : 0);
  }
  return w.take();
}

Result<PartitionState> decode_checkpoint(std::string_view bytes) {
  Reader r(bytes);
  std::uint8_t format = 0;
  SQUALL_ASSIGN(format, r.u8());
  if (format < 1 || format > kFormat) {
    return make_error(Errc::parse, "checkpoint state has format " + std::to_string(format) + ", this squall reads 1 to " +
                                       std::to_string(kFormat));
  }
  r.set_format(format);
  PartitionState state;
  SQUALL_ASSIGN(state.windows, read_windows(r));
  if (format >= 2) SQUALL_ASSIGN(state.alerts, read_alerts(r));
  if (!r.done()) return make_error(Errc::parse, "checkpoint state has bytes after its end");
  return state;
}

}  // namespace squall::processor
