#include "store/csv/posix_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace squall::store::csv {
namespace {

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  return make_error(Errc::io, "csv backup: " + std::string(what) + " " + path.string() + ": " +
                                  std::generic_category().message(error_number));
}

}  // namespace

Result<PosixFile> PosixFile::open(const std::filesystem::path& path, OpenMode mode) {
  int flags = O_RDWR | O_CLOEXEC;
  if (mode == OpenMode::create_new) flags |= O_CREAT | O_EXCL;
  if (mode == OpenMode::create_or_truncate) flags |= O_CREAT | O_TRUNC;
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) return io_error(mode == OpenMode::existing ? "cannot open" : "cannot create", path, errno);
  return PosixFile(fd, path);
}

PosixFile::PosixFile(PosixFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

PosixFile& PosixFile::operator=(PosixFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

PosixFile::~PosixFile() {
  if (fd_ >= 0) ::close(fd_);
}

Error PosixFile::failure(std::string_view what) const { return io_error(what, path_, errno); }

Result<void> PosixFile::write_at(std::int64_t offset, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::pwrite(fd_, bytes.data(), bytes.size(), offset);
    if (written < 0) {
      if (errno == EINTR) continue;
      return failure("cannot write");
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
    offset += written;
  }
  return {};
}

Result<void> PosixFile::truncate(std::int64_t length) {
  if (::ftruncate(fd_, length) != 0) return failure("cannot truncate");
  return {};
}

Result<void> PosixFile::sync() {
  if (::fdatasync(fd_) != 0) return failure("cannot sync");
  return {};
}

Result<std::int64_t> PosixFile::size() const {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) return failure("cannot stat");
  return static_cast<std::int64_t>(info.st_size);
}

Result<void> sync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open directory", dir, errno);
  const int synced = ::fsync(fd);
  const int error_number = errno;
  ::close(fd);
  if (synced != 0) return io_error("cannot sync directory", dir, error_number);
  return {};
}

Result<void> rename_file(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return io_error("cannot rename " + from.string() + " to", to, errno);
  return {};
}

Result<std::string> read_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return make_error(Errc::not_found, "csv backup: no file " + path.string());
    return io_error("cannot open", path, errno);
  }
  std::string contents;
  char chunk[4096];
  while (true) {
    const ssize_t got = ::read(fd, chunk, sizeof chunk);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      const int error_number = errno;
      ::close(fd);
      return io_error("cannot read", path, error_number);
    }
    contents.append(chunk, static_cast<std::size_t>(got));
  }
  ::close(fd);
  return contents;
}

Result<void> replace_file(const std::filesystem::path& path, std::string_view bytes) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    auto file = PosixFile::open(temporary, OpenMode::create_or_truncate);
    if (!file) return file.error();
    SQUALL_TRY(file->write_at(0, bytes));
    SQUALL_TRY(file->sync());
  }
  return rename_file(temporary, path);
}

}  // namespace squall::store::csv
