#include "core/time.hpp"

#include <charconv>
#include <chrono>

#include <fmt/format.h>

namespace squall {
namespace {

using namespace std::chrono;

bool parse_int(std::string_view text, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string format_iso8601(std::int64_t unix_seconds) {
  const sys_seconds point{seconds{unix_seconds}};
  const auto day = floor<days>(point);
  const year_month_day date{day};
  const hh_mm_ss<seconds> clock{point - day};
  const int year = static_cast<int>(date.year());
  if (year < 0 || year > 9999) {
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", year, static_cast<unsigned>(date.month()),
                       static_cast<unsigned>(date.day()), clock.hours().count(), clock.minutes().count(),
                       clock.seconds().count());
  }
  // Digits by hand: this runs for every row of the CSV backup, and fmt's
  // general machinery cost more than the rest of the row's formatting.
  std::string out = "0000-00-00T00:00:00Z";
  const auto put = [&out](std::size_t at, long value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, static_cast<unsigned>(date.month()), 2);
  put(8, static_cast<unsigned>(date.day()), 2);
  put(11, clock.hours().count(), 2);
  put(14, clock.minutes().count(), 2);
  put(17, static_cast<long>(clock.seconds().count()), 2);
  return out;
}

std::optional<std::int64_t> parse_iso8601(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  if (!parse_int(text.substr(0, 4), y) || !parse_int(text.substr(5, 2), mo) || !parse_int(text.substr(8, 2), d)) {
    return std::nullopt;
  }
  if (text.size() > 10) {
    if (text.size() != 20 || (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':' ||
        text[19] != 'Z') {
      return std::nullopt;
    }
    if (!parse_int(text.substr(11, 2), h) || !parse_int(text.substr(14, 2), mi) || !parse_int(text.substr(17, 2), s)) {
      return std::nullopt;
    }
    if (h > 23 || mi > 59 || s > 60) return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok()) return std::nullopt;
  return sys_days{date}.time_since_epoch().count() * 86400LL + h * 3600LL + mi * 60LL + s;
}

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits == 0) return std::nullopt;
  std::int64_t amount = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, amount);
  if (ec != std::errc()) return std::nullopt;
  const std::string_view unit = text.substr(digits);
  std::int64_t scale = 0;
  if (unit == "ms") scale = 1;
  else if (unit == "s" || unit.empty()) scale = 1000;
  else if (unit == "m") scale = 60'000;
  else if (unit == "h") scale = 3'600'000;
  else if (unit == "d") scale = 86'400'000;
  else return std::nullopt;
  if (amount > INT64_MAX / scale) return std::nullopt;
  return amount * scale;
}

std::int64_t now_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t now_seconds() { return now_ms() / 1000; }

std::int64_t steady_now_ms() {
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace squall
