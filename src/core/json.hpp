#pragma once
// Minimal JSON output helpers. Parsing uses simdjson; writing is simple
// enough that appending to a std::string beats pulling in a second library.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace squall::json {

// Appends `text` as a quoted JSON string, escaping quotes, backslashes and
// control characters. UTF-8 passes through unchanged.
void append_string(std::string& out, std::string_view text);
// Appends a number in the shortest form that round-trips; NaN and infinities
// (which JSON cannot express) become null.
void append_number(std::string& out, double value);
void append_number(std::string& out, std::int64_t value);

template <class T>
void append_optional(std::string& out, const std::optional<T>& value) {
  if (!value) {
    out += "null";
  } else if constexpr (std::is_same_v<T, std::string>) {
    append_string(out, *value);
  } else {
    append_number(out, *value);
  }
}

}  // namespace squall::json
