// The replay source: raw OWM responses from an NDJSON file (for instance one
// written by `--record`), one per line, passed on byte for byte.

#include <cmath>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/time.hpp"
#include "sources/line_reader.hpp"
#include "sources/pacer.hpp"
#include "sources/payload_scan.hpp"
#include "sources/source.hpp"

namespace squall::sources {
namespace {

bool is_blank(std::string_view line) { return line.find_first_not_of(" \t") == std::string_view::npos; }

class ReplaySource final : public Source {
 public:
  ReplaySource(const ReplayOptions& options, LineReader reader)
      : options_(options), reader_(std::move(reader)), pacer_(options.rate) {}

  Result<SourceState> next(std::vector<RawObservation>& out, std::size_t max, std::stop_token stop) override {
    if (finished_) return SourceState::exhausted;
    std::size_t wanted = max;
    if (options_.max_events > 0) wanted = std::min(wanted, static_cast<std::size_t>(options_.max_events - emitted_));
    const std::size_t granted = pacer_.paced() ? take_when_due(pacer_, wanted, stop) : wanted;
    for (std::size_t i = 0; i < granted && !finished_; ++i) SQUALL_TRY(read_one(out));
    if (options_.max_events > 0 && emitted_ >= options_.max_events) finished_ = true;
    return finished_ ? SourceState::exhausted : SourceState::more;
  }

  std::string_view name() const override { return "replay"; }

 private:
  // Appends the next non-blank line, or marks the end of the file. A line
  // that is not valid JSON is passed on untouched: the processor decides
  // what is bad and dead-letters it with a reason.
  Result<void> read_one(std::vector<RawObservation>& out) {
    while (true) {
      auto line = reader_.next();
      if (!line) return line.error();
      if (!*line) {
        finished_ = true;
        return {};
      }
      if (is_blank(**line)) continue;
      RawObservation& raw = out.emplace_back();
      raw.payload.assign(**line);
      raw.city_id = find_top_level_id(raw.payload).value_or(0);
      raw.units = options_.units;
      raw.fetched_at_ms = now_ms();
      ++emitted_;
      return {};
    }
  }

  ReplayOptions options_;
  LineReader reader_;
  Pacer pacer_;
  std::int64_t emitted_ = 0;
  bool finished_ = false;
};

Result<void> check(const ReplayOptions& options) {
  if (options.path.empty()) return make_error(Errc::invalid_argument, "replay: no input file given");
  if (!(options.rate >= 0) || !std::isfinite(options.rate)) {
    return make_error(Errc::invalid_argument,
                      fmt::format("replay: rate must be a finite number >= 0 events/s, got {}", options.rate));
  }
  if (options.max_events < 0) {
    return make_error(Errc::invalid_argument,
                      fmt::format("replay: max-events must be >= 0 (0 = unbounded), got {}", options.max_events));
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Source>> make_replay(const ReplayOptions& options) {
  SQUALL_TRY(check(options));
  auto reader = LineReader::open(options.path);
  if (!reader) return make_error(reader.error().code, "replay: " + reader.error().message);
  return std::unique_ptr<Source>(std::make_unique<ReplaySource>(options, std::move(reader).value()));
}

}  // namespace squall::sources
