#pragma once
// Reads a text file line by line without loading it whole.

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace squall::sources {

class LineReader {
 public:
  static Result<LineReader> open(const std::string& path);

  LineReader(LineReader&&) noexcept = default;
  LineReader& operator=(LineReader&&) noexcept = default;
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  ~LineReader() = default;

  // The next line without its terminator ("\n" or "\r\n"); a last line
  // without a final newline is still a line. nullopt at the end of the file.
  // The view stays valid until the next call.
  Result<std::optional<std::string_view>> next();

 private:
  struct CloseFile {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  struct FreeBuffer {
    void operator()(char* buffer) const { std::free(buffer); }
  };

  LineReader(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}

  std::unique_ptr<std::FILE, CloseFile> file_;
  std::unique_ptr<char, FreeBuffer> buffer_;  // owned by getline(), hence malloc'd
  std::size_t capacity_ = 0;
  std::string path_;
};

}  // namespace squall::sources
