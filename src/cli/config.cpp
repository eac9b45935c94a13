#include "cli/config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/time.hpp"

namespace squall::cli {
namespace {

constexpr std::array kKeys = std::to_array<KeySpec>({
    {"data_dir", "squall-data", "directory holding all embedded state (log, store, CSV backup)"},
    {"units", "standard", "units of the source's requests, and of log records that carry no units header: "
                          "standard | metric | imperial"},
    {"source.kind", "simulator", "where observations come from: simulator | replay | openweather"},
    {"source.cities", "20", "simulator: number of cities (the first are Chicago, Miami, San Francisco)"},
    {"source.rate", "100", "events per second the source emits; 0 = as fast as possible"},
    {"source.max_events", "0", "stop after this many events; 0 = never"},
    {"source.seed", "42", "simulator: seed of its deterministic random generator"},
    {"source.start_time", "2023-11-14T22:13:20Z", "simulator: observation time of each city's first event"},
    {"source.step", "10m", "simulator: time between two observations of one city"},
    {"source.replay_file", "", "replay: NDJSON file of raw OpenWeatherMap responses"},
    {"source.record_file", "", "openweather: append every raw response to this NDJSON file"},
    {"source.openweather.api_key", "", "OpenWeatherMap API key (prefer the OPENWEATHER_API_KEY variable)"},
    {"source.openweather.base_url", "https://api.openweathermap.org", "OpenWeatherMap API endpoint"},
    {"source.openweather.city_ids", "4887398,4164138,5391959", "comma-separated OpenWeatherMap city ids"},
    {"source.openweather.poll_interval", "10m", "time between two polls of every city"},
    {"source.openweather.timeout", "10s", "timeout of one HTTP request"},
    {"source.openweather.max_retries", "5", "retries of a failed request (5xx, 429, network) before moving on"},
    {"log.url", "embedded", "log backend: embedded, or kafka://HOST:PORT[,HOST:PORT] for Apache Kafka"},
    {"log.topic", "weather", "topic of raw observations"},
    {"log.dead_letter_topic", "weather.dlq", "topic of records the processor rejected, with the reason"},
    {"log.late_topic", "weather.late", "topic of records older than their partition's watermark"},
    {"log.alerts_topic", "weather.alerts", "topic of alerts raised and cleared"},
    {"log.partitions", "4", "partitions of topics created on first use"},
    {"log.retention", "7d", "embedded log: delete record batches older than this"},
    {"log.retention_bytes", "1073741824", "embedded log: bytes kept per partition"},
    {"log.sync", "full", "embedded log: full (fsync each append) | normal (survives process crashes only)"},
    {"log.replication_factor", "1", "Kafka: replication factor of topics squall creates"},
    {"log.client_id", "squall", "Kafka: client.id, which names this process in broker logs and quotas"},
    {"log.kafka_timeout", "10s", "Kafka: how long start-up checks, topic administration and commits during a "
                                 "rebalance wait for the cluster"},
    {"store.url", "sqlite", "store backend: sqlite (DATA_DIR/store.db), or cassandra://HOST:PORT[,HOST:PORT]"},
    {"store.sync", "full", "SQLite store: full (fsync each batch) | normal"},
    {"store.keyspace", "squall", "Cassandra: keyspace of squall's tables, created with them on first use"},
    {"store.replication", "SimpleStrategy:1", "Cassandra: replication of a keyspace squall creates: "
                                              "SimpleStrategy:RF or NetworkTopologyStrategy:DC:RF[,DC:RF...]"},
    {"store.consistency", "LOCAL_QUORUM", "Cassandra: consistency level of every statement (ONE, QUORUM, "
                                          "LOCAL_QUORUM, ALL, ...)"},
    {"store.user", "", "Cassandra: user for PasswordAuthenticator (empty: no authentication)"},
    {"store.password", "", "Cassandra: password (prefer SQUALL_STORE_PASSWORD; never printed)"},
    {"store.tls", "false", "Cassandra: connect over TLS"},
    {"store.tls_ca_file", "", "Cassandra: PEM file of trusted CAs for TLS (empty: the system's)"},
    {"store.tls_verify", "true", "Cassandra: verify the server's certificate and host name"},
    {"processor.group", "squall-processor", "consumer group of the processor"},
    {"processor.batch_max_records", "10000", "records per micro-batch at most"},
    {"processor.batch_max_wait", "200ms", "a micro-batch closes this long after its first record"},
    {"processor.checkpoint_interval", "auto", "while behind, checkpoint window state and commit offsets this "
                                                "often (auto: 2s on SQLite, 10s on Cassandra); once caught up, "
                                                "every 250ms or 5x the last checkpoint's write time"},
    {"windows.sizes", "1h,1d", "event-time tumbling window sizes per city, e.g. 10m,1h,1d"},
    {"windows.allowed_lateness", "10m", "a record this far behind its partition's newest event time still counts"},
    {"windows.idle_timeout", "1m", "a partition silent this long closes its windows as far as the slowest active one"},
    {"alerts.rules", "", "alert rules, separated by ';' (a TOML array in the file), e.g. "
                         "gale: wind_speed_ms > 17.2 for 3 clear wind_speed_ms < 14"},
    {"serve.listen", "127.0.0.1:8080", "HOST:PORT of the dashboard, JSON API and /metrics (port 0 picks a free "
                                       "port; a host other than loopback exposes them to the network)"},
    {"serve.request_timeout", "5s", "time allowed to read one HTTP request and to write its response"},
    {"csv.enabled", "true", "write the CSV backup"},
    {"csv.dir", "", "CSV backup directory (default DATA_DIR/csv)"},
    {"csv.roll_interval", "1h", "start a new CSV file this often"},
});

const KeySpec* find_key(std::string_view key) {
  auto it = std::find_if(kKeys.begin(), kKeys.end(), [&](const KeySpec& spec) { return spec.key == key; });
  return it == kKeys.end() ? nullptr : &*it;
}

bool is_pass_through(std::string_view key) {
  return key.starts_with(kKafkaPropertyPrefix) && key.size() > kKafkaPropertyPrefix.size();
}

bool is_known(std::string_view key) { return find_key(key) != nullptr || is_pass_through(key); }

// SQUALL_KAFKA_SASL_PASSWORD -> kafka.sasl.password: librdkafka's own names
// are lower case with dots, so the mapping back from a variable is exact.
std::optional<std::string> pass_through_key(std::string_view env_name) {
  constexpr std::string_view kEnvPrefix = "SQUALL_KAFKA_";
  if (!env_name.starts_with(kEnvPrefix) || env_name.size() == kEnvPrefix.size()) return std::nullopt;
  std::string key(kKafkaPropertyPrefix);
  for (char c : env_name.substr(kEnvPrefix.size())) {
    key += c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return key;
}

// The project's scripts and tests read variables of their own under the same
// prefix (docs/SERVICES.md); someone who exported SQUALL_SERVICES_DIR to
// start the servers must still be able to run squall in that shell.
bool belongs_to_the_tooling(std::string_view env_name) {
  return env_name.starts_with("SQUALL_SERVICES_") || env_name.starts_with("SQUALL_TEST_") ||
         env_name == "SQUALL_PYTHON";
}

// Every item between `separators`, spaces trimmed; "" is one empty item.
std::vector<std::string_view> split_trimmed(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> items;
  while (true) {
    const std::size_t at = text.find_first_of(separators);
    std::string_view item = text.substr(0, at);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    items.push_back(item);
    if (at == std::string_view::npos) return items;
    text.remove_prefix(at + 1);
  }
}

bool is_secret(std::string_view key) {
  for (std::string_view word : {"api_key", "password", "secret", "key.pem", "ssl.key"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  return false;
}

std::string render(const toml::node& node) {
  if (auto s = node.as_string()) return s->get();
  if (auto i = node.as_integer()) return std::to_string(i->get());
  if (auto f = node.as_floating_point()) return fmt::format("{}", f->get());
  if (auto b = node.as_boolean()) return b->get() ? "true" : "false";
  if (auto array = node.as_array()) {
    std::string joined;
    for (const auto& element : *array) {
      if (!joined.empty()) joined += ',';
      joined += render(element);
    }
    return joined;
  }
  return "<unsupported>";
}

// Flattens nested tables into dotted keys: [source.openweather] timeout -> source.openweather.timeout.
Result<void> flatten(const toml::table& table, const std::string& prefix, const std::string& file,
                     std::map<std::string, std::string>& out) {
  for (const auto& [name, node] : table) {
    std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (const auto* nested = node.as_table()) {
      SQUALL_TRY(flatten(*nested, key, file, out));
      continue;
    }
    if (!is_known(key)) {
      return make_error(Errc::invalid_argument, fmt::format("{}: unknown config key '{}'", file, key));
    }
    out[key] = render(node);
  }
  return {};
}

Result<std::map<std::string, std::string>> read_file(const std::string& path) {
  toml::table parsed;
  try {
    parsed = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    // toml++ reports syntax errors (and a missing file) by exception; squall
    // reports them as a value like every other config error.
    return make_error(Errc::invalid_argument,
                      fmt::format("config file {}:{}:{}: {}", path, error.source().begin.line,
                                  error.source().begin.column, error.description()));
  }
  std::map<std::string, std::string> values;
  SQUALL_TRY(flatten(parsed, "", path, values));
  return values;
}

}  // namespace

std::span<const KeySpec> known_keys() { return kKeys; }

std::string env_name(std::string_view key) {
  std::string name = "SQUALL_";
  for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return name;
}

Result<Config> Config::load(const std::optional<std::string>& file, const std::vector<std::string>& environment,
                            const std::map<std::string, std::string>& flags) {
  Config config;
  for (const auto& spec : kKeys) config.values_[std::string(spec.key)] = {std::string(spec.default_value), "default"};

  if (file) {
    auto from_file = read_file(*file);
    if (!from_file) return from_file.error();
    for (auto& [key, value] : *from_file) config.values_[key] = {value, "file " + *file};
  }

  for (const auto& entry : environment) {
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    const std::string value = entry.substr(eq + 1);
    if (name == "OPENWEATHER_API_KEY") {
      config.values_["source.openweather.api_key"] = {value, "env OPENWEATHER_API_KEY"};
      continue;
    }
    if (!name.starts_with("SQUALL_") || name == "SQUALL_CONFIG" || belongs_to_the_tooling(name)) continue;
    if (auto key = pass_through_key(name)) {
      config.values_[*key] = {value, "env " + name};
      continue;
    }
    auto spec = std::find_if(kKeys.begin(), kKeys.end(), [&](const KeySpec& s) { return env_name(s.key) == name; });
    if (spec == kKeys.end()) {
      return make_error(Errc::invalid_argument, fmt::format("environment: unknown setting {}", name));
    }
    config.values_[std::string(spec->key)] = {value, "env " + name};
  }

  for (const auto& [key, value] : flags) {
    if (!is_known(key)) {
      return make_error(Errc::internal, fmt::format("flag bound to unknown config key '{}'", key));
    }
    config.values_[key] = {value, "flag"};
  }
  return config;
}

const Config::Value& Config::get(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end()) throw std::logic_error(fmt::format("config key '{}' is not registered", key));
  return it->second;
}

std::string Config::text(std::string_view key) const { return get(key).text; }
std::string Config::origin(std::string_view key) const { return get(key).origin; }

std::map<std::string, std::string> Config::with_prefix(std::string_view prefix) const {
  std::map<std::string, std::string> found;
  for (auto it = values_.lower_bound(prefix); it != values_.end() && it->first.starts_with(prefix); ++it) {
    found[it->first.substr(prefix.size())] = it->second.text;
  }
  return found;
}

Error Config::invalid(std::string_view key, std::string_view expectation) const {
  const Value& value = get(key);
  // Secrets are never echoed back, not even when they are malformed.
  const bool secret = is_secret(key);
  return make_error(Errc::invalid_argument,
                    fmt::format("invalid config key {} (from {}): expected {}, got '{}'", key, value.origin,
                                expectation, secret ? "<redacted>" : value.text));
}

Result<std::int64_t> Config::integer(std::string_view key, std::int64_t min, std::int64_t max) const {
  const std::string& text = get(key).text;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return invalid(key, fmt::format("an integer in [{}, {}]", min, max));
  }
  return value;
}

Result<double> Config::number(std::string_view key, double min, double max) const {
  const std::string& text = get(key).text;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < min ||
      value > max) {
    return invalid(key, fmt::format("a number in [{}, {}]", min, max));
  }
  return value;
}

Result<bool> Config::boolean(std::string_view key) const {
  const std::string& text = get(key).text;
  if (text == "true" || text == "1" || text == "yes") return true;
  if (text == "false" || text == "0" || text == "no") return false;
  return invalid(key, "true or false");
}

Result<std::int64_t> Config::duration_ms(std::string_view key, std::int64_t min_ms) const {
  auto parsed = parse_duration_ms(get(key).text);
  if (!parsed || *parsed < min_ms) {
    return invalid(key, fmt::format("a duration of at least {} ms such as 250ms, 10s, 5m, 1h, 7d", min_ms));
  }
  return *parsed;
}

Result<Units> Config::units(std::string_view key) const {
  auto parsed = parse_units(get(key).text);
  if (!parsed) return invalid(key, "standard, metric or imperial");
  return *parsed;
}

Result<std::vector<std::int64_t>> Config::integer_list(std::string_view key) const {
  std::vector<std::int64_t> values;
  for (std::string_view item : split_trimmed(get(key).text, ",")) {
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() || value <= 0) {
      return invalid(key, "a comma-separated list of positive integers");
    }
    values.push_back(value);
  }
  return values;
}

Result<std::vector<std::int64_t>> Config::duration_list_ms(std::string_view key, std::int64_t min_ms) const {
  std::vector<std::int64_t> values;
  for (std::string_view item : split_trimmed(get(key).text, ",")) {
    auto parsed = parse_duration_ms(item);
    if (!parsed || *parsed < min_ms) {
      return invalid(key, fmt::format("a comma-separated list of durations of at least {} ms, such as 10m,1h,1d", min_ms));
    }
    values.push_back(*parsed);
  }
  return values;
}

std::vector<std::string> Config::list(std::string_view key) const {
  std::vector<std::string> items;
  for (std::string_view item : split_trimmed(get(key).text, ";,")) {
    if (!item.empty()) items.emplace_back(item);
  }
  return items;
}

Result<std::string> Config::choice(std::string_view key, std::span<const std::string_view> choices) const {
  const std::string& text = get(key).text;
  if (std::find(choices.begin(), choices.end(), text) != choices.end()) return text;
  std::string expected = "one of";
  for (auto c : choices) expected += fmt::format(" {}", c);
  return invalid(key, expected);
}

}  // namespace squall::cli
