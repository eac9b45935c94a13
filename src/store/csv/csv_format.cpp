#include "store/csv/csv_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <type_traits>

#include "core/time.hpp"
#include "store/csv_backup.hpp"
#include "store/observation_fields.hpp"

namespace squall::store {
namespace csv {
namespace {

template <class Integer>
void append_integer(std::string& out, Integer value) {
  char digits[24];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  if (error == std::errc()) out.append(digits, end);
}

void append_value(std::string& out, std::int32_t value) { append_integer(out, value); }
void append_value(std::string& out, std::int64_t value) { append_integer(out, value); }
void append_value(std::string& out, double value) { append_number(out, value); }
void append_value(std::string& out, const std::string& value) { append_field(out, value); }

// An absent value is an empty field.
template <class T>
void append_value(std::string& out, const std::optional<T>& value) {
  if (value) append_value(out, *value);
}

bool needs_quotes(char c) { return c == ',' || c == '"' || c == '\r' || c == '\n'; }

}  // namespace

// Weather values have at most four decimals (coordinates) and mostly two.
// When `value` is exactly the double nearest some k / 10^4, and doubles are
// far denser than 10^-4 there, that decimal without trailing zeros is the
// shortest text reading back as `value`: written directly it costs a tenth
// of the general search. Between 0.001 and 100 000 that text is also the one
// std::to_chars picks (it prefers scientific notation only where that is
// shorter: 1e+05, 5e-04).
void append_number(std::string& out, double value) {
  constexpr double kScale = 10'000;
  if (std::fabs(value) >= 0.001 && std::fabs(value) < 100'000) {
    const double scaled = std::nearbyint(value * kScale);
    if (scaled / kScale == value) {
      auto units = static_cast<std::int64_t>(scaled);
      if (units < 0) {
        out += '-';
        units = -units;
      }
      append_integer(out, units / 10'000);
      std::int64_t fraction = units % 10'000;
      if (fraction != 0) {
        char decimals[5] = {'.', '0', '0', '0', '0'};
        int length = 5;
        for (int i = 4; i >= 1; --i, fraction /= 10) decimals[i] = static_cast<char>('0' + fraction % 10);
        while (decimals[length - 1] == '0') --length;
        out.append(decimals, static_cast<std::size_t>(length));
      }
      return;
    }
  }
  char digits[32];
  const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
  if (error == std::errc()) out.append(digits, end);
}

void append_field(std::string& out, std::string_view text) {
  if (std::none_of(text.begin(), text.end(), needs_quotes)) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_row(std::string& out, const Observation& observation) {
  bool first = true;
  for_each_observation_field([&](const auto& field) {
    if (!first) out += ',';
    first = false;
    const auto& value = observation.*field.member;
    if constexpr (std::is_same_v<std::decay_t<decltype(value)>, std::int64_t>) {
      // People read this column; the other times stay numbers as in the store.
      if (field.member == &Observation::observed_at) {
        out += format_iso8601(value);
        return;
      }
    }
    append_value(out, value);
  });
}

}  // namespace csv

std::string csv_header() {
  std::string header;
  for_each_observation_field([&](const auto& field) {
    if (!header.empty()) header += ',';
    header += field.column;
  });
  return header;
}

std::string csv_row(const Observation& observation) {
  std::string row;
  csv::append_row(row, observation);
  return row;
}

std::string csv_line(std::span<const std::string> fields) {
  std::string line;
  for (const auto& field : fields) {
    if (!line.empty()) line += ',';
    csv::append_field(line, field);
  }
  return line;
}

}  // namespace squall::store
