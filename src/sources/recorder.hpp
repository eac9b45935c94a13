#pragma once
// Appends raw responses to an NDJSON file (`--record`) that the replay source
// can read back.

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace squall::sources {

class Recorder {
 public:
  // Opens `path` for appending, creating it if needed.
  static Result<Recorder> open(const std::string& path);

  // Appends `body` as one line and flushes it. Raw CR and LF bytes become
  // spaces: in valid JSON they can only be whitespace between tokens (inside
  // strings they must be escaped), so the meaning is unchanged and every
  // response stays on its own line.
  Result<void> append(std::string_view body);

 private:
  struct CloseFile {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  Recorder(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}

  std::unique_ptr<std::FILE, CloseFile> file_;
  std::string path_;
  std::string line_;  // reused buffer
};

}  // namespace squall::sources
