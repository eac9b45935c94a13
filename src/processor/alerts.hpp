#pragma once
// Alert rules over normalised observation fields, evaluated per city.
//
// A rule is written as
//     NAME: FIELD OP NUMBER [for N] [clear FIELD OP NUMBER]
// e.g. "gale: wind_speed_ms > 17.2 for 3 clear wind_speed_ms < 14". It raises
// for a city once N consecutive observations of that city meet the
// condition, stays raised however many more do, and clears on the first
// observation that meets the clear condition (by default the negation of the
// raise condition; a separate threshold gives hysteresis). An observation
// without the field meets neither: it breaks a streak and clears nothing.
//
// State is kept per log partition, like the windows', so it is checkpointed
// and restored with them and a restarted processor raises exactly what a
// clean run raises. Only (city, rule) pairs that are not at rest take memory.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "core/observation.hpp"
#include "core/result.hpp"

namespace squall::processor {

enum class Comparison { greater, greater_equal, less, less_equal, equal, not_equal };

struct Condition {
  std::string field;
  Comparison comparison = Comparison::greater;
  double threshold = 0;

  // Empty when the observation lacks the field.
  std::optional<double> value_in(const Observation& observation) const;
  bool holds_for(double value) const;
  std::string text() const;  // "wind_speed_ms > 17.2"
  bool operator==(const Condition&) const = default;
};

struct AlertRule {
  std::string name;
  Condition raise;
  std::int32_t consecutive = 1;
  Condition clear;
  std::string text() const;  // canonical: parses back to the same rule
  bool operator==(const AlertRule&) const = default;
};

// Parses every rule or fails naming the first bad one, by position and text.
Result<std::vector<AlertRule>> parse_alert_rules(std::span<const std::string> texts);

// The fields a rule may test.
std::span<const std::string_view> alert_fields();

struct AlertEvent {
  enum class Kind { raised, cleared };
  std::int64_t city_id = 0;
  std::string rule;
  Kind kind = Kind::raised;
  std::int64_t observed_at = 0;  // of the observation that raised or cleared it
  double value = 0;              // the field's value in that observation
  std::string condition;         // the condition it met, as text
  bool operator==(const AlertEvent&) const = default;
};

// One (city, rule) pair that is not at rest.
struct AlertState {
  std::int64_t city_id = 0;
  std::string rule;         // its name: rules may be reordered between runs
  std::int32_t streak = 0;  // consecutive observations meeting the raise condition
  bool raised = false;
  bool operator==(const AlertState&) const = default;
};

class AlertEvaluator {
 public:
  explicit AlertEvaluator(std::vector<AlertRule> rules);

  void observe(std::int32_t partition, const Observation& observation, std::vector<AlertEvent>& out);

  std::vector<AlertState> snapshot(std::int32_t partition) const;
  void restore(std::int32_t partition, std::span<const AlertState> states);
  void release(std::int32_t partition);

  std::size_t tracked() const;
  const std::vector<AlertRule>& rules() const { return rules_; }

 private:
  struct Status {
    std::int32_t streak = 0;
    bool raised = false;
  };
  using Key = std::pair<std::int64_t, std::int32_t>;  // city, rule index

  std::vector<AlertRule> rules_;
  std::map<std::int32_t, std::map<Key, Status>> partitions_;
};

}  // namespace squall::processor
