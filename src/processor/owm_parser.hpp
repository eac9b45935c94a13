#pragma once
// Parse, validate and normalise one OpenWeatherMap current-weather response.
//
// The parser reads the raw bytes the API returned (DESIGN §3) with simdjson
// on-demand and produces a normalised Observation (°C, m/s, hPa, %, mm,
// metres, UTC). Keys may come in any order and unknown ones are ignored; only
// id, dt and main.temp are required, and an absent or null field is an empty
// optional. Anything else is an Error with Errc::parse whose message is a
// precise, human-readable reason, e.g.
//   "field main.temp: expected a number, got string"
//   "missing field dt"
//   "owm error cod=401: Invalid API key. Please see ..."
//   "field main.humidity: 140 is out of range [0, 100]"
// The reason is what the dead-letter topic carries, so it names the field and
// what was wrong, and never echoes more than a short excerpt of the input.

#include <memory>
#include <span>
#include <string_view>

#include "core/observation.hpp"
#include "core/result.hpp"

namespace squall::processor {

class OwmParser {
 public:
  OwmParser();
  ~OwmParser();
  OwmParser(const OwmParser&) = delete;
  OwmParser& operator=(const OwmParser&) = delete;

  // Parses `json` (expressed in `units`) into `out`. `out` is fully
  // overwritten on success (ingested_at_ms and source are cleared) and left
  // as it was on error. Reusing one Observation across calls avoids
  // reallocating its strings; reusing the parser avoids all other allocation.
  Result<void> parse(std::string_view json, Units units, Observation& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The kind of a rejection reason, a short stable name fit for a metrics
// label (the reason itself names fields and values, too many to count by):
// empty, invalid_utf8, invalid_json, wrong_type, missing_field,
// duplicate_field, out_of_range, owm_error, bad_header, too_large (over the
// size limit), too_deep (nested beyond the depth limit) or other.
std::string_view rejection_kind(std::string_view reason);
// Every kind rejection_kind() can return, so that metrics can show each at 0
// before its first record.
std::span<const std::string_view> rejection_kinds();

// Range checks on a normalised observation (physically plausible values,
// valid coordinates and timestamps). Returns the reason on failure.
Result<void> validate(const Observation& observation);

}  // namespace squall::processor
