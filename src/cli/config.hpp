#pragma once
// Configuration: one TOML file, environment variables and flags (flags win).
//
// Every setting has a dotted key ("source.rate") with a default. A file sets
// it as a TOML key in its table ([source] rate = 100), the environment as
// SQUALL_SOURCE_RATE, a flag as --rate. librdkafka properties pass through
// under kafka.* ([kafka] "security.protocol" = "SSL", SQUALL_KAFKA_SECURITY_PROTOCOL,
// --kafka-property security.protocol=SSL). Unknown keys and bad values fail at
// start-up with a message that names the key and where the value came from.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/observation.hpp"
#include "core/result.hpp"

namespace squall::cli {

struct KeySpec {
  std::string_view key;
  std::string_view default_value;
  std::string_view help;
};

// Every key squall understands, with its default and a one-line description.
std::span<const KeySpec> known_keys();

// Keys under this prefix are librdkafka properties passed through to the
// Kafka clients as they are (kafka.security.protocol -> security.protocol).
// squall cannot list them all, so any name is accepted here and librdkafka
// itself rejects an unknown one when the Kafka log opens, naming it.
inline constexpr std::string_view kKafkaPropertyPrefix = "kafka.";

// The environment variable that sets `key`: "source.rate" -> "SQUALL_SOURCE_RATE".
std::string env_name(std::string_view key);

class Config {
 public:
  // Layers defaults < file (when `file` is set) < environment < `flags`.
  // `environment` is a list of NAME=VALUE strings (environ).
  static Result<Config> load(const std::optional<std::string>& file, const std::vector<std::string>& environment,
                             const std::map<std::string, std::string>& flags);

  std::string text(std::string_view key) const;
  Result<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max) const;
  Result<double> number(std::string_view key, double min, double max) const;
  Result<bool> boolean(std::string_view key) const;
  Result<std::int64_t> duration_ms(std::string_view key, std::int64_t min_ms) const;
  Result<Units> units(std::string_view key) const;
  Result<std::vector<std::int64_t>> integer_list(std::string_view key) const;
  // "10m,1h,1d" (a TOML array too) -> milliseconds, each at least min_ms.
  Result<std::vector<std::int64_t>> duration_list_ms(std::string_view key, std::int64_t min_ms) const;
  // Items separated by ';' or ',' (a TOML array arrives joined by ','), trimmed, empty ones dropped.
  std::vector<std::string> list(std::string_view key) const;
  // One of `choices`, e.g. source.kind in {simulator, replay, openweather}.
  Result<std::string> choice(std::string_view key, std::span<const std::string_view> choices) const;
  // Every pass-through key under `prefix`, the prefix stripped: {"security.protocol": "SSL"}.
  std::map<std::string, std::string> with_prefix(std::string_view prefix) const;
  // Where the value of `key` came from: "default", "file squall.toml", "env SQUALL_X", "flag".
  std::string origin(std::string_view key) const;

 private:
  struct Value {
    std::string text;
    std::string origin;
  };
  Error invalid(std::string_view key, std::string_view expectation) const;
  const Value& get(std::string_view key) const;
  std::map<std::string, Value, std::less<>> values_;
};

}  // namespace squall::cli
