// Fuzzes decode_checkpoint, the processor's reading of its stored per-partition state (processor/checkpoint_codec.hpp).
// Properties: a foreign or truncated blob is an error value; whatever decodes re-encodes stably, and the window
// engine and the alert evaluator can carry on from it, as a restarted processor does.

#include <optional>
#include <string>
#include <vector>

#include "check.hpp"
#include "processor/checkpoint_codec.hpp"
#include "processor/owm_parser.hpp"

namespace {

using namespace squall::processor;
using squall::Observation;
using squall::fuzz::require;

// Past the default idle timeout: the watermark moves and finalises windows.
constexpr std::int64_t kLaterMs = 120'000;

// The next record after the restart, meeting the restored state: in its
// first window, or for its first alert's city. Only a valid one, as the
// processor dead-letters the others before they reach windows and alerts.
std::optional<Observation> next_record(const PartitionState& state) {
  Observation next;
  next.city_id = 4887398;
  next.observed_at = 1700000000;
  next.temp_c = -25;
  next.wind_speed_ms = 20;
  next.rain_1h_mm = 1;
  if (!state.windows.windows.empty()) {
    next.city_id = state.windows.windows.front().city_id;
    next.observed_at = state.windows.windows.front().start;
  } else if (!state.alerts.empty()) {
    next.city_id = state.alerts.front().city_id;
  }
  if (!validate(next)) return std::nullopt;
  return next;
}

void carry_on_windows(PartitionSnapshot snapshot, const std::optional<Observation>& next) {
  WindowEngine engine{WindowOptions{}};
  engine.restore(0, std::move(snapshot), 0);
  if (next) engine.add(0, 1, *next, 0);
  std::vector<WindowAggregate> windows;
  engine.collect(kLaterMs, windows);
  // What a window row holds besides the stored fields.
  for (const WindowAggregate& window : windows) {
    require(!window_name(window.size_s).empty(), "a window size without a name");
    require(!window.temp_c.value() || window.temp_c.count > 0, "a mean of nothing");
    (void)window.rain_total_mm();
    (void)window.snow_total_mm();
  }
}

void carry_on_alerts(const std::vector<AlertState>& states, const std::optional<Observation>& next) {
  // The rule names of the seeds, so that restored states meet their rules.
  static const std::vector<AlertRule> rules =
      parse_alert_rules(std::vector<std::string>{"gale: wind_speed_ms > 17.2 for 3 clear wind_speed_ms < 14",
                                                 "frost: temp_c < -20"})
          .value();
  AlertEvaluator alerts(rules);
  alerts.restore(0, states);
  std::vector<AlertEvent> events;
  if (next) alerts.observe(0, *next, events);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto state = decode_checkpoint(squall::fuzz::as_text(data, size));
  if (!state) {
    require(state.error().code == squall::Errc::parse, "a bad checkpoint is not a parse error");
    return 0;
  }
  // Not byte for byte with the input: format 1 is rewritten as the current
  // format, and repeated times or hours collapse as the engine keeps them.
  // Compared as bytes, since NaN != NaN.
  const std::string bytes = encode_checkpoint(*state);
  const auto again = decode_checkpoint(bytes);
  require(again.ok(), "a re-encoded checkpoint does not decode");
  require(encode_checkpoint(*again) == bytes, "a checkpoint does not round-trip");

  const auto next = next_record(*state);
  carry_on_alerts(state->alerts, next);
  carry_on_windows(std::move(state->windows), next);
  return 0;
}
