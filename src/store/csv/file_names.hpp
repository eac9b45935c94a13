#pragma once
// Names of the backup's files: weather-YYYYMMDDTHHMMSSZ[-N].csv, where the
// time is the UTC start of the roll interval the file covers and -N (2, 3,
// ...) tells apart several files of one interval (restarts, clean closes).
// While being written a file carries a further ".part".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace squall::store::csv {

inline constexpr std::string_view kCompleteSuffix = ".csv";
inline constexpr std::string_view kPartSuffix = ".csv.part";

// "weather-20231114T220000Z", or with `sequence` > 1 "weather-20231114T220000Z-2".
std::string file_stem(std::int64_t interval_start, int sequence);

// "<stem>.csv" for "<stem>.csv.part".
std::string complete_name(std::string_view part_name);

// The interval start in a name made by file_stem plus kPartSuffix or
// kCompleteSuffix; empty for any other name.
std::optional<std::int64_t> interval_start_of(std::string_view file_name);

// Start of the interval of `roll_interval_s` seconds (counted from the Unix
// epoch) that holds `now_s`.
std::int64_t interval_start(std::int64_t now_s, std::int64_t roll_interval_s);

}  // namespace squall::store::csv
