#pragma once
// Time helpers: UTC formatting and human durations ("200ms", "10s", "1h").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace squall {

// 1700000000 -> "2023-11-14T22:13:20Z"
std::string format_iso8601(std::int64_t unix_seconds);
// Inverse of format_iso8601; also accepts a date alone ("2023-11-14").
std::optional<std::int64_t> parse_iso8601(std::string_view text);

// "250ms", "10s", "5m", "1h", "7d" (a bare number means seconds) -> milliseconds.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);

std::int64_t now_ms();         // wall clock, Unix milliseconds
std::int64_t now_seconds();
std::int64_t steady_now_ms();  // monotonic, for measuring intervals

}  // namespace squall
