#include "processor/checkpoint_codec.hpp"

#include <algorithm>
#include <bit>

namespace squall::processor {
namespace {

// 1: windows only; 2: windows, then alert states.
constexpr std::uint8_t kFormat = 2;

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

class Writer {
 public:
  void u8(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
  void i64(std::int64_t value) {
    auto bits = static_cast<std::uint64_t>(value);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  void f64(double value) { i64(std::bit_cast<std::int64_t>(value)); }
  void optional_f64(const std::optional<double>& value) {
    u8(value ? 1 : 0);
    if (value) f64(*value);
  }
  void text(const std::string& value) {
    i64(static_cast<std::int64_t>(value.size()));
    out_ += value;
  }
  void mean(const Mean& m) {
    f64(m.sum);
    i64(m.count);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}

  Result<std::uint8_t> u8() {
    if (bytes_.empty()) return truncated();
    const auto value = static_cast<std::uint8_t>(bytes_.front());
    bytes_.remove_prefix(1);
    return value;
  }
  Result<std::int64_t> i64() {
    if (bytes_.size() < 8) return truncated();
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= std::uint64_t{static_cast<unsigned char>(bytes_[static_cast<std::size_t>(i)])} << (8 * i);
    bytes_.remove_prefix(8);
    return static_cast<std::int64_t>(bits);
  }
  Result<double> f64() {
    auto bits = i64();
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
    SQUALL_ASSIGN(m.count, i64());
    return m;
  }
  // A count of items each at least `min_bytes` long: bounded by what is left.
  Result<std::size_t> count(std::size_t min_bytes) {
    std::int64_t n = 0;
    SQUALL_ASSIGN(n, i64());
    if (n < 0 || static_cast<std::uint64_t>(n) > bytes_.size() / min_bytes) {
      return make_error(Errc::parse, "checkpoint state: a count of " + std::to_string(n) + " exceeds its bytes");
    }
    return static_cast<std::size_t>(n);
  }
  bool done() const { return bytes_.empty(); }

 private:
  static Error truncated() { return make_error(Errc::parse, "checkpoint state is truncated"); }
  std::string_view bytes_;
};

void write_window(Writer& w, const WindowAggregate& a) {
  w.i64(a.city_id);
  w.i64(a.size_s);
  w.i64(a.start);
  w.i64(a.count);
  w.f64(a.temp_min_c);
  w.f64(a.temp_max_c);
  w.mean(a.temp_c);
  w.optional_f64(a.wind_max_ms);
  w.mean(a.wind_ms);
  w.optional_f64(a.gust_max_ms);
  w.mean(a.humidity_pct);
  w.mean(a.pressure_hpa);
  w.i64(static_cast<std::int64_t>(a.hours.size()));
  for (const HourlyAmount& amount : a.hours) {
    w.i64(amount.hour());
    w.i64(amount.observed_at);
    w.optional_f64(amount.rain_mm);
    w.optional_f64(amount.snow_mm);
  }
  w.u8(a.final ? 1 : 0);
  w.i64(a.last_offset);
}

Result<WindowAggregate> read_window(Reader& r) {
  WindowAggregate a;
  SQUALL_ASSIGN(a.city_id, r.i64());
  SQUALL_ASSIGN(a.size_s, r.i64());
  SQUALL_ASSIGN(a.start, r.i64());
  SQUALL_ASSIGN(a.count, r.i64());
  SQUALL_ASSIGN(a.temp_min_c, r.f64());
  SQUALL_ASSIGN(a.temp_max_c, r.f64());
  SQUALL_ASSIGN(a.temp_c, r.mean());
  SQUALL_ASSIGN(a.wind_max_ms, r.optional_f64());
  SQUALL_ASSIGN(a.wind_ms, r.mean());
  SQUALL_ASSIGN(a.gust_max_ms, r.optional_f64());
  SQUALL_ASSIGN(a.humidity_pct, r.mean());
  SQUALL_ASSIGN(a.pressure_hpa, r.mean());
  std::size_t hours = 0;
  SQUALL_ASSIGN(hours, r.count(18));
  for (std::size_t i = 0; i < hours; ++i) {
    std::int64_t hour = 0;
    HourlyAmount amount;
    SQUALL_ASSIGN(hour, r.i64());
    SQUALL_ASSIGN(amount.observed_at, r.i64());
    SQUALL_ASSIGN(amount.rain_mm, r.optional_f64());
    SQUALL_ASSIGN(amount.snow_mm, r.optional_f64());
    if (hour != amount.hour() || (!a.hours.empty() && hour <= a.hours.back().hour())) {
      return make_error(Errc::parse, "checkpoint state: hour " + std::to_string(hour) + " of a window's rain and " +
                                         "snow is out of order or does not hold its observation");
    }
    a.hours.push_back(amount);
  }
  std::uint8_t final = 0;
  SQUALL_ASSIGN(final, r.u8());
  a.final = final != 0;
  SQUALL_ASSIGN(a.last_offset, r.i64());
  if (!plausible(a)) {
    return make_error(Errc::parse, "checkpoint state: a window no processor writes (size " + std::to_string(a.size_s) +
                                       ", start " + std::to_string(a.start) + ", count " + std::to_string(a.count) +
                                       ", last offset " + std::to_string(a.last_offset) + ")");
  }
  return a;
}

void write_windows(Writer& w, const PartitionSnapshot& snapshot) {
  w.u8(snapshot.max_event_time ? 1 : 0);
  w.i64(snapshot.max_event_time.value_or(0));
  w.i64(snapshot.finalized_through);
  w.i64(static_cast<std::int64_t>(snapshot.windows.size()));
  for (const WindowAggregate& window : snapshot.windows) write_window(w, window);
  w.i64(static_cast<std::int64_t>(snapshot.seen.size()));
  for (const auto& [city, times] : snapshot.seen) {
    w.i64(city);
    w.i64(static_cast<std::int64_t>(times.size()));
    for (std::int64_t time : times) w.i64(time);
  }
}

Result<PartitionSnapshot> read_windows(Reader& r) {
  PartitionSnapshot snapshot;
  std::uint8_t has_max = 0;
  std::int64_t max = 0;
  SQUALL_ASSIGN(has_max, r.u8());
  SQUALL_ASSIGN(max, r.i64());
  if (has_max != 0) {
    if (!plausible_time(max)) return make_error(Errc::parse, "checkpoint state: an event time of " + std::to_string(max));
    snapshot.max_event_time = max;
  }
  SQUALL_ASSIGN(snapshot.finalized_through, r.i64());
  std::size_t windows = 0;
  SQUALL_ASSIGN(windows, r.count(100));
  for (std::size_t i = 0; i < windows; ++i) {
    WindowAggregate window;
    SQUALL_ASSIGN(window, read_window(r));
    snapshot.windows.push_back(std::move(window));
  }
  std::size_t cities = 0;
  SQUALL_ASSIGN(cities, r.count(16));
  for (std::size_t i = 0; i < cities; ++i) {
    std::int64_t city = 0;
    std::size_t times = 0;
    SQUALL_ASSIGN(city, r.i64());
    SQUALL_ASSIGN(times, r.count(8));
    auto& list = snapshot.seen[city];
    for (std::size_t t = 0; t < times; ++t) {
      std::int64_t time = 0;
      SQUALL_ASSIGN(time, r.i64());
      list.push_back(time);
    }
    std::sort(list.begin(), list.end());  // the engine keeps them sorted and distinct
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return snapshot;
}

Result<std::vector<AlertState>> read_alerts(Reader& r) {
  std::vector<AlertState> alerts;
  std::size_t count = 0;
  SQUALL_ASSIGN(count, r.count(25));
  for (std::size_t i = 0; i < count; ++i) {
    AlertState state;
    std::int64_t streak = 0;
    std::uint8_t raised = 0;
    SQUALL_ASSIGN(state.city_id, r.i64());
    SQUALL_ASSIGN(state.rule, r.text());
    SQUALL_ASSIGN(streak, r.i64());
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
  w.i64(static_cast<std::int64_t>(state.alerts.size()));
  for (const AlertState& alert : state.alerts) {
    w.i64(alert.city_id);
    w.text(alert.rule);
    w.i64(alert.streak);
    w.u8(alert.raised ? 1 : 0);
  }
  return w.take();
}

Result<PartitionState> decode_checkpoint(std::string_view bytes) {
  Reader r(bytes);
  std::uint8_t format = 0;
  SQUALL_ASSIGN(format, r.u8());
  if (format != 1 && format != kFormat) {
    return make_error(Errc::parse, "checkpoint state has format " + std::to_string(format) + ", this squall reads 1 to " +
                                       std::to_string(kFormat));
  }
  PartitionState state;
  SQUALL_ASSIGN(state.windows, read_windows(r));
  if (format >= 2) SQUALL_ASSIGN(state.alerts, read_alerts(r));
  if (!r.done()) return make_error(Errc::parse, "checkpoint state has bytes after its end");
  return state;
}

}  // namespace squall::processor
