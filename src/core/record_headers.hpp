#pragma once
// Names of the log record headers squall writes and reads. Records from other
// producers may lack any of them; readers fall back to the payload and config.

#include <string_view>

namespace squall::headers {

inline constexpr std::string_view kSource = "source";            // simulator | replay | openweather
inline constexpr std::string_view kFetchedAtMs = "fetched_at_ms";  // decimal Unix milliseconds
inline constexpr std::string_view kUnits = "units";              // standard | metric | imperial
// Set by ingest on a record the log would refuse as too large: its size in
// bytes before ingest kept only the start of it (the processor dead-letters it).
inline constexpr std::string_view kTruncatedFromBytes = "truncated_from_bytes";
// Dead-letter records: why, and where the original record was.
inline constexpr std::string_view kReason = "dlq.reason";
inline constexpr std::string_view kOriginTopic = "dlq.topic";
inline constexpr std::string_view kOriginPartition = "dlq.partition";
inline constexpr std::string_view kOriginOffset = "dlq.offset";

}  // namespace squall::headers
