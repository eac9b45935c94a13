// The rolling, crash-safe CSV backup (see store/csv_backup.hpp).
//
// Invariants that make recovery simple:
// - Rows reach a .part file before the progress file counts them, and the
//   .part file is fdatasync'ed first: every byte the progress file counts is
//   on disk, and bytes past that count belong to an append that did not
//   finish (they are truncated away; the processor sends those rows again).
// - A .part file is named in the progress file from its first append on, so
//   one the progress file does not name holds a header and, at most, rows
//   of an unfinished first append: nothing the backup reported as written.
// - A .part file is renamed to .csv only while everything in it is counted.

#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "core/time.hpp"
#include "store/csv/csv_format.hpp"
#include "store/csv/file_names.hpp"
#include "store/csv/posix_file.hpp"
#include "store/csv/progress.hpp"
#include "store/csv_backup.hpp"

namespace squall::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kProgressFile = "csv-backup.progress";
constexpr int kMaxFilesPerInterval = 10'000;

Result<bool> file_exists(const fs::path& path) {
  std::error_code error;
  const bool exists = fs::exists(path, error);
  if (error) return make_error(Errc::io, "csv backup: cannot look for " + path.string() + ": " + error.message());
  return exists;
}

class RollingCsvBackup final : public CsvBackup {
 public:
  RollingCsvBackup(CsvOptions options, std::int64_t (*now_s)())
      : options_(std::move(options)), dir_(options_.dir), now_s_(now_s) {}

  // Returns the directory to the state the progress file describes.
  Result<void> recover() {
    auto progress = csv::read_progress(dir_ / kProgressFile);
    if (!progress) return progress.error();
    const std::string current = *progress ? (*progress)->part_file : std::string();
    if (*progress) positions_ = (*progress)->positions;
    SQUALL_TRY(remove_unnamed_parts(current));
    if (current.empty()) return {};
    return resume_part(current, (*progress)->length);
  }

  const std::map<log::TopicPartition, std::int64_t>& resume_positions() const override { return positions_; }

  Result<void> append(std::span<const Observation> rows, std::span<const log::CommitPosition> positions) override {
    const std::int64_t now = now_s_();
    if (open_ && now >= open_->interval_start + options_.roll_interval_s) SQUALL_TRY(complete_open_file());

    auto next_positions = positions_;
    const bool advanced = merge(next_positions, positions);
    if (rows.empty()) {
      if (!advanced) return {};
      SQUALL_TRY(record(open_ ? open_->length : 0, next_positions));
      positions_ = std::move(next_positions);
      return {};
    }

    if (!open_) SQUALL_TRY(start_file(now));
    SQUALL_TRY(discard_uncounted_bytes());
    buffer_.clear();
    for (const Observation& row : rows) {
      csv::append_row(buffer_, row);
      buffer_ += csv::kLineEnd;
    }
    const std::int64_t new_length = open_->length + static_cast<std::int64_t>(buffer_.size());
    uncounted_bytes_ = true;
    SQUALL_TRY(open_->file.write_at(open_->length, buffer_));
    SQUALL_TRY(open_->file.sync());
    SQUALL_TRY(record(new_length, next_positions));
    open_->length = new_length;
    uncounted_bytes_ = false;
    positions_ = std::move(next_positions);
    return {};
  }

  Result<void> close() override {
    if (!open_) return {};
    return complete_open_file();
  }

  // Deliberately leaves an open .part file as it is: the next open decides
  // whether it continues or is complete, exactly as after a crash.
  ~RollingCsvBackup() override = default;
  RollingCsvBackup(const RollingCsvBackup&) = delete;
  RollingCsvBackup& operator=(const RollingCsvBackup&) = delete;

 private:
  struct OpenFile {
    csv::PosixFile file;
    std::string name;  // "<stem>.csv.part", within dir_
    std::int64_t interval_start = 0;
    std::int64_t length = 0;  // bytes counted in the progress file
  };

  // Raises `positions` to `reached`; never lowers one. True when any rose.
  static bool merge(std::map<log::TopicPartition, std::int64_t>& positions,
                    std::span<const log::CommitPosition> reached) {
    bool advanced = false;
    for (const log::CommitPosition& position : reached) {
      auto [entry, inserted] = positions.try_emplace(position.where, position.next_offset);
      if (inserted || position.next_offset > entry->second) {
        entry->second = position.next_offset;
        advanced = true;
      }
    }
    return advanced;
  }

  Result<void> record(std::int64_t length, const std::map<log::TopicPartition, std::int64_t>& positions) {
    return csv::write_progress(dir_ / kProgressFile,
                               csv::Progress{open_ ? open_->name : std::string(), length, positions});
  }

  // A failed append may have left bytes past the counted length.
  Result<void> discard_uncounted_bytes() {
    if (!uncounted_bytes_) return {};
    SQUALL_TRY(open_->file.truncate(open_->length));
    uncounted_bytes_ = false;
    return {};
  }

  Result<void> start_file(std::int64_t now) {
    const std::int64_t start = csv::interval_start(now, options_.roll_interval_s);
    for (int sequence = 1; sequence <= kMaxFilesPerInterval; ++sequence) {
      const std::string stem = csv::file_stem(start, sequence);
      auto complete_exists = file_exists(dir_ / (stem + std::string(csv::kCompleteSuffix)));
      if (!complete_exists) return complete_exists.error();
      auto part_exists = file_exists(dir_ / (stem + std::string(csv::kPartSuffix)));
      if (!part_exists) return part_exists.error();
      if (*complete_exists || *part_exists) continue;
      return create_part(stem + std::string(csv::kPartSuffix), start);
    }
    return make_error(Errc::io, "csv backup: more than " + std::to_string(kMaxFilesPerInterval) + " files for " +
                                    csv::file_stem(start, 1) + " in " + dir_.string());
  }

  Result<void> create_part(const std::string& name, std::int64_t start) {
    auto file = csv::PosixFile::open(dir_ / name, csv::OpenMode::create_new);
    if (!file) return file.error();
    const std::string header = csv_header() + std::string(csv::kLineEnd);
    auto written = file->write_at(0, header);
    if (!written) {
      std::error_code ignored;
      fs::remove(dir_ / name, ignored);
      return written.error();
    }
    // The progress file will name this file: its name must outlive a crash.
    SQUALL_TRY(csv::sync_directory(dir_));
    open_ = OpenFile{std::move(file).value(), name, start, static_cast<std::int64_t>(header.size())};
    uncounted_bytes_ = false;
    return {};
  }

  Result<void> complete_open_file() {
    SQUALL_TRY(discard_uncounted_bytes());
    SQUALL_TRY(csv::rename_file(dir_ / open_->name, dir_ / csv::complete_name(open_->name)));
    open_.reset();
    return csv::sync_directory(dir_);
  }

  // Removes .part files the progress file does not name: they hold nothing
  // the backup reported as written (see the invariants above).
  Result<void> remove_unnamed_parts(const std::string& named) {
    std::error_code error;
    bool removed = false;
    for (fs::directory_iterator entry(dir_, error); !error && entry != fs::directory_iterator();
         entry.increment(error)) {
      const std::string name = entry->path().filename().string();
      if (name == named || !name.ends_with(csv::kPartSuffix) || !csv::interval_start_of(name)) continue;
      fs::remove(entry->path(), error);
      removed = true;
    }
    if (error) return make_error(Errc::io, "csv backup: cannot clean up " + dir_.string() + ": " + error.message());
    return removed ? csv::sync_directory(dir_) : Result<void>();
  }

  Result<void> resume_part(const std::string& name, std::int64_t counted_length) {
    const auto start = csv::interval_start_of(name);
    if (!start || !name.ends_with(csv::kPartSuffix)) {
      return make_error(Errc::parse, "csv backup: progress file names '" + name + "', not a backup .part file");
    }
    auto part_exists = file_exists(dir_ / name);
    if (!part_exists) return part_exists.error();
    if (!*part_exists) return check_completed(name);

    auto file = csv::PosixFile::open(dir_ / name, csv::OpenMode::existing);
    if (!file) return file.error();
    auto size = file->size();
    if (!size) return size.error();
    if (*size < counted_length) {
      return make_error(Errc::io, "csv backup: " + (dir_ / name).string() + " holds " + std::to_string(*size) +
                                      " bytes but " + std::to_string(counted_length) +
                                      " were written to it: rows the backup acknowledged are gone");
    }
    if (*size > counted_length) {
      SQUALL_TRY(file->truncate(counted_length));
      SQUALL_TRY(file->sync());
    }
    open_ = OpenFile{std::move(file).value(), name, *start, counted_length};
    if (now_s_() >= *start + options_.roll_interval_s) return complete_open_file();
    return {};
  }

  // The file was completed before the next append could name a new one.
  Result<void> check_completed(const std::string& part_name) {
    const fs::path complete = dir_ / csv::complete_name(part_name);
    auto exists = file_exists(complete);
    if (!exists) return exists.error();
    if (*exists) return {};
    return make_error(Errc::io, "csv backup: progress file names " + part_name + " but neither it nor " +
                                    complete.filename().string() + " is in " + dir_.string() +
                                    "; move " + std::string(kProgressFile) + " away to start a new backup");
  }

  CsvOptions options_;
  fs::path dir_;
  std::int64_t (*now_s_)();
  std::map<log::TopicPartition, std::int64_t> positions_;
  std::optional<OpenFile> open_;
  bool uncounted_bytes_ = false;
  std::string buffer_;  // one batch of rows, reused
};

}  // namespace

Result<std::unique_ptr<CsvBackup>> open_csv_backup(const CsvOptions& options, std::int64_t (*now_s)()) {
  if (options.dir.empty()) return make_error(Errc::invalid_argument, "csv backup: no directory given");
  if (options.roll_interval_s <= 0) {
    return make_error(Errc::invalid_argument, "csv backup: roll interval must be at least 1 s, got " +
                                                  std::to_string(options.roll_interval_s) + " s");
  }
  std::error_code error;
  fs::create_directories(options.dir, error);
  if (error) return make_error(Errc::io, "csv backup: cannot create " + options.dir + ": " + error.message());
  auto backup = std::make_unique<RollingCsvBackup>(options, now_s != nullptr ? now_s : &now_seconds);
  SQUALL_TRY(backup->recover());
  return std::unique_ptr<CsvBackup>(std::move(backup));
}

}  // namespace squall::store
