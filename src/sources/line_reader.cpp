#include "sources/line_reader.hpp"

#include <sys/types.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace squall::sources {

Result<LineReader> LineReader::open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return make_error(Errc::io, fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  return LineReader(file, path);
}

Result<std::optional<std::string_view>> LineReader::next() {
  char* buffer = buffer_.release();
  const ssize_t length = ::getline(&buffer, &capacity_, file_.get());
  buffer_.reset(buffer);
  if (length < 0) {
    if (std::ferror(file_.get())) {
      return make_error(Errc::io, fmt::format("cannot read {}: {}", path_, std::strerror(errno)));
    }
    return std::optional<std::string_view>();
  }
  std::string_view line(buffer, static_cast<std::size_t>(length));
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return std::optional<std::string_view>(line);
}

}  // namespace squall::sources
