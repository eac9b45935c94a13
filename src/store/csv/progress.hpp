#pragma once
// The backup's progress file: which .part file is open, how many of its
// bytes hold complete rows, and the next log offset per partition already
// in the backup. Rewritten atomically after every append; a small text file
// people can read:
//
//   squall-csv-progress 1
//   file weather-20231114T220000Z.csv.part 48213
//   position 0 1200 weather
//
// (position lines: partition, next offset, topic last since it is a name.)

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "log/log.hpp"

namespace squall::store::csv {

struct Progress {
  std::string part_file;    // name within the backup directory; empty when none is open
  std::int64_t length = 0;  // bytes of part_file that hold the header and complete rows
  std::map<log::TopicPartition, std::int64_t> positions;
  bool operator==(const Progress&) const = default;
};

std::string render_progress(const Progress& progress);
Result<Progress> parse_progress(std::string_view text);

// Empty when the file does not exist (a new backup).
Result<std::optional<Progress>> read_progress(const std::filesystem::path& path);
// Atomic: after a crash the file holds the old or the new progress.
Result<void> write_progress(const std::filesystem::path& path, const Progress& progress);

}  // namespace squall::store::csv
