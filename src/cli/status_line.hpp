#pragma once
// Progress while the pipeline runs: a live status line on a terminal, plain
// periodic log lines otherwise (so CI logs and journald stay readable).

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

namespace squall::cli {

struct Progress {
  std::int64_t produced = 0;      // records the ingest stage put in the log
  std::int64_t consumed = 0;      // records the processor read
  std::int64_t stored = 0;        // observations written to the store
  std::int64_t dead_letters = 0;
  std::int64_t duplicates = 0;
  std::int64_t late = 0;          // records older than their partition's watermark
  std::int64_t alerts = 0;        // alerts raised or cleared
  std::int64_t lag = -1;          // records waiting in the log; -1 when unknown
};

class StatusLine {
 public:
  // Receives a plain line (no carriage return, no escape codes) to log.
  using LogLine = std::function<void(const std::string& line)>;

  // Redraws the live line on stderr; logs plain lines and the summary through spdlog's default logger.
  explicit StatusLine(bool terminal);
  // Where the output goes, so that tests can capture both modes.
  StatusLine(bool terminal, std::ostream& terminal_out, LogLine log);
  // Call often; prints at most every 500 ms on a terminal, 10 s otherwise.
  void update(const Progress& progress, std::int64_t now_ms);
  // Erases the live line so a log message can be printed cleanly.
  void clear();
  // Clears the live line (terminal) and prints a final summary line.
  void finish(const Progress& progress, std::int64_t now_ms);

  static std::string render(const Progress& progress, double produced_per_s, double stored_per_s);

 private:
  bool terminal_;
  std::ostream& terminal_out_;
  LogLine log_;
  std::int64_t last_print_ms_ = 0;
  std::int64_t start_ms_ = 0;
  Progress last_;
};

}  // namespace squall::cli
