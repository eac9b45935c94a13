#pragma once
// Just enough of POSIX file I/O for crash-safe appends: positioned writes,
// fdatasync, truncation, and durable renames. Errors are Errc::io naming the
// file and the system's reason.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace squall::store::csv {

enum class OpenMode {
  existing,            // fails when the file is missing
  create_new,          // fails when the file exists
  create_or_truncate,  // starts empty either way
};

class PosixFile {
 public:
  // Opens for reading and writing.
  static Result<PosixFile> open(const std::filesystem::path& path, OpenMode mode);

  PosixFile(PosixFile&& other) noexcept;
  PosixFile& operator=(PosixFile&& other) noexcept;
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;
  ~PosixFile();

  Result<void> write_at(std::int64_t offset, std::string_view bytes);
  Result<void> truncate(std::int64_t length);
  Result<void> sync();  // data and size on stable storage
  Result<std::int64_t> size() const;
  const std::filesystem::path& path() const { return path_; }

 private:
  PosixFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  Error failure(std::string_view what) const;
  int fd_ = -1;
  std::filesystem::path path_;
};

// Makes file creations, renames and removals in `dir` durable.
Result<void> sync_directory(const std::filesystem::path& dir);

// rename(2): atomic replacement of `to` on one filesystem.
Result<void> rename_file(const std::filesystem::path& from, const std::filesystem::path& to);

// The whole file, or not_found when it does not exist.
Result<std::string> read_file(const std::filesystem::path& path);

// Writes `bytes` to `path` so that after a crash the file holds either its
// old contents or all of `bytes`: temporary file, fdatasync, rename.
Result<void> replace_file(const std::filesystem::path& path, std::string_view bytes);

}  // namespace squall::store::csv
