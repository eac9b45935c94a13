#include "sources/recorder.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace squall::sources {

Result<Recorder> Recorder::open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (file == nullptr) {
    return make_error(Errc::io, fmt::format("cannot open record file {}: {}", path, std::strerror(errno)));
  }
  return Recorder(file, path);
}

Result<void> Recorder::append(std::string_view body) {
  line_.assign(body);
  std::replace_if(line_.begin(), line_.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  line_ += '\n';
  if (std::fwrite(line_.data(), 1, line_.size(), file_.get()) != line_.size() || std::fflush(file_.get()) != 0) {
    return make_error(Errc::io, fmt::format("cannot write record file {}: {}", path_, std::strerror(errno)));
  }
  return {};
}

}  // namespace squall::sources
