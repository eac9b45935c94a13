#pragma once
// CSV backup: the reference system's CSV copy of every observation, grown up.
//
// Rolling files (hourly by default, by wall clock) in one directory, RFC 4180
// quoting (CRLF line ends), a header row. Files are named
// weather-YYYYMMDDTHHMMSSZ[-N].csv after the UTC start of their interval
// (-2, -3 ... when a run restarts in an interval already completed). A file
// is written as NAME.csv.part and renamed to NAME.csv once complete (at the
// first append after its interval, or at a clean close), so readers never
// see a half-written file under a final name.
//
// Exactly-once: beside the open file, a small progress file records, after
// every append, the file's length and the next log offset per partition the
// backup already holds. On open after a crash, the .part file is truncated to
// the recorded length (dropping a half-appended batch) and the processor
// skips records below resume_positions() for this sink only.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "core/observation.hpp"
#include "core/result.hpp"
#include "log/log.hpp"

namespace squall::store {

struct CsvOptions {
  std::string dir;                      // e.g. DATA_DIR/csv
  std::int64_t roll_interval_s = 3600;  // a new file every hour of wall-clock time
};

class CsvBackup {
 public:
  // Without close(), the open .part file stays as a crash would leave it;
  // the next open continues it or, if its interval is over, completes it.
  virtual ~CsvBackup() = default;
  // Next offset per partition already contained in the backup: records of a
  // partition with a lower offset must not be appended again.
  virtual const std::map<log::TopicPartition, std::int64_t>& resume_positions() const = 0;
  // Appends rows, fsyncs, then records `positions` as contained.
  virtual Result<void> append(std::span<const Observation> rows,
                              std::span<const log::CommitPosition> positions) = 0;
  // Completes the open file (renames .part to .csv).
  virtual Result<void> close() = 0;
};

// Opens the backup directory, creating it, and recovers from a crash.
// `now_s` is injectable wall-clock time for tests.
Result<std::unique_ptr<CsvBackup>> open_csv_backup(const CsvOptions& options,
                                                   std::int64_t (*now_s)() = nullptr);

// The CSV columns, in order, and one row rendered with RFC 4180 quoting
// (no trailing newline). Exposed for tests and `squall query --format csv`.
// Columns are the Observation's fields; observed_at is ISO 8601 UTC
// ("2023-11-14T22:13:20Z"), other times stay Unix numbers; numbers are the
// shortest text that reads back exactly; an absent value is an empty field.
std::string csv_header();
std::string csv_row(const Observation& observation);
// Any fields as one RFC 4180 record (no trailing newline).
std::string csv_line(std::span<const std::string> fields);

}  // namespace squall::store
