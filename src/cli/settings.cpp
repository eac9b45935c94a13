#include "cli/settings.hpp"

#include <array>

#include "core/time.hpp"

namespace squall::cli {
namespace {


constexpr std::array<std::string_view, 3> kSourceKinds{"simulator", "replay", "openweather"};
constexpr std::array<std::string_view, 2> kSyncModes{"full", "normal"};
constexpr std::int64_t kMaxCount = std::int64_t{1} << 53;

Result<void> resolve_source(const Config& config, Settings& s) {
  SQUALL_ASSIGN(s.source_kind, config.choice("source.kind", kSourceKinds));
  std::int64_t max_events = 0;
  double rate = 0;
  SQUALL_ASSIGN(max_events, config.integer("source.max_events", 0, kMaxCount));
  SQUALL_ASSIGN(rate, config.number("source.rate", 0, 1e9));

  s.simulator.units = s.replay.units = s.openweather.units = s.units;
  s.simulator.max_events = s.replay.max_events = s.openweather.max_events = max_events;
  s.simulator.rate = s.replay.rate = rate;
  SQUALL_ASSIGN(s.simulator.cities, config.integer("source.cities", 1, 10'000'000));
  std::int64_t seed = 0;
  SQUALL_ASSIGN(seed, config.integer("source.seed", 0, INT64_MAX));
  s.simulator.seed = static_cast<std::uint64_t>(seed);
  auto start = parse_iso8601(config.text("source.start_time"));
  if (!start) {
    return make_error(Errc::invalid_argument, "invalid config key source.start_time (from " +
                                                  config.origin("source.start_time") +
                                                  "): expected a UTC time like 2023-11-14T22:13:20Z");
  }
  s.simulator.start_time = *start;
  std::int64_t step_ms = 0;
  SQUALL_ASSIGN(step_ms, config.duration_ms("source.step", 1000));
  s.simulator.step_s = step_ms / 1000;

  s.replay.path = config.text("source.replay_file");
  if (s.source_kind == "replay" && s.replay.path.empty()) {
    return make_error(Errc::invalid_argument,
                      "source.kind is replay but no file was given: set --replay-file FILE (or source.replay_file)");
  }

  auto& ow = s.openweather;
  ow.api_key = config.text("source.openweather.api_key");
  ow.base_url = config.text("source.openweather.base_url");
  ow.record_path = config.text("source.record_file");
  SQUALL_ASSIGN(ow.city_ids, config.integer_list("source.openweather.city_ids"));
  SQUALL_ASSIGN(ow.poll_interval_ms, config.duration_ms("source.openweather.poll_interval", 1000));
  SQUALL_ASSIGN(ow.timeout_ms, config.duration_ms("source.openweather.timeout", 100));
  std::int64_t retries = 0;
  SQUALL_ASSIGN(retries, config.integer("source.openweather.max_retries", 0, 100));
  ow.max_retries = static_cast<int>(retries);
  if (s.source_kind == "openweather" && ow.api_key.empty()) {
    return make_error(Errc::invalid_argument,
                      "source.kind is openweather but no API key is set: export OPENWEATHER_API_KEY=<your key> "
                      "(or set source.openweather.api_key in the config file)");
  }
  return {};
}

Result<void> resolve_kafka(const Config& config, log::LogOptions& log) {
  std::int64_t replication = 0;
  SQUALL_ASSIGN(replication, config.integer("log.replication_factor", 1, 32'767));
  log.replication_factor = static_cast<std::int16_t>(replication);
  log.client_id = config.text("log.client_id");
  if (log.client_id.empty()) return make_error(Errc::invalid_argument, "log.client_id must not be empty");
  std::int64_t timeout_ms = 0;
  SQUALL_ASSIGN(timeout_ms, config.duration_ms("log.kafka_timeout", 100));
  if (timeout_ms > INT32_MAX) return make_error(Errc::invalid_argument, "log.kafka_timeout is longer than 24 days");
  log.kafka_timeout_ms = static_cast<std::int32_t>(timeout_ms);
  log.kafka_properties = config.with_prefix(kKafkaPropertyPrefix);
  return {};
}

std::string_view store_key(store::StoreField field) {
  switch (field) {
    case store::StoreField::url: return "store.url";
    case store::StoreField::keyspace: return "store.keyspace";
    case store::StoreField::replication: return "store.replication";
    case store::StoreField::consistency: return "store.consistency";
    case store::StoreField::tls_ca_file: return "store.tls_ca_file";
  }
  return "store";
}

Result<void> resolve_store(const Config& config, Settings& s) {
  auto& store = s.store;
  store.url = config.text("store.url");
  store.data_dir = s.data_dir;
  std::string sync;
  SQUALL_ASSIGN(sync, config.choice("store.sync", kSyncModes));
  store.sync_full = sync == "full";
  store.keyspace = config.text("store.keyspace");
  store.replication = config.text("store.replication");
  store.consistency = config.text("store.consistency");
  store.user = config.text("store.user");
  store.password = config.text("store.password");
  SQUALL_ASSIGN(store.tls, config.boolean("store.tls"));
  store.tls_ca_file = config.text("store.tls_ca_file");
  SQUALL_ASSIGN(store.tls_verify, config.boolean("store.tls_verify"));
  if (store.user.empty() != store.password.empty()) {
    return make_error(Errc::invalid_argument, "store.user and store.password go together: set both or neither");
  }
  if (auto problem = store::check_options(store)) {
    const std::string_view key = store_key(problem->field);
    return make_error(Errc::invalid_argument, "invalid config key " + std::string(key) + " (from " +
                                                  config.origin(key) + "): " + problem->error.message);
  }
  return {};
}

Result<void> resolve_backends(const Config& config, Settings& s) {
  s.log.url = config.text("log.url");
  s.log.data_dir = s.data_dir;
  std::int64_t partitions = 0;
  SQUALL_ASSIGN(partitions, config.integer("log.partitions", 1, 10'000));
  s.log.default_partitions = static_cast<std::int32_t>(partitions);
  SQUALL_ASSIGN(s.log.retention_ms, config.duration_ms("log.retention", 60'000));
  SQUALL_ASSIGN(s.log.retention_bytes_per_partition, config.integer("log.retention_bytes", 1 << 20, INT64_MAX));
  std::string sync;
  SQUALL_ASSIGN(sync, config.choice("log.sync", kSyncModes));
  s.log.sync_full = sync == "full";
  s.topic = config.text("log.topic");
  s.dead_letter_topic = config.text("log.dead_letter_topic");
  if (s.topic.empty() || s.topic == s.dead_letter_topic) {
    return make_error(Errc::invalid_argument, "log.topic must be set and differ from log.dead_letter_topic");
  }

  SQUALL_TRY(resolve_kafka(config, s.log));
  return resolve_store(config, s);
}

Result<void> resolve_windows(const Config& config, processor::WindowOptions& windows) {
  std::vector<std::int64_t> sizes_ms;
  SQUALL_ASSIGN(sizes_ms, config.duration_list_ms("windows.sizes", 1000));
  windows.sizes_s.clear();
  for (std::int64_t size : sizes_ms) {
    if (size % 1000 != 0) {
      return make_error(Errc::invalid_argument, "invalid config key windows.sizes (from " +
                                                    config.origin("windows.sizes") + "): sizes are whole seconds");
    }
    windows.sizes_s.push_back(size / 1000);
  }
  std::int64_t lateness_ms = 0;
  SQUALL_ASSIGN(lateness_ms, config.duration_ms("windows.allowed_lateness", 0));
  windows.allowed_lateness_s = lateness_ms / 1000;
  SQUALL_ASSIGN(windows.idle_timeout_ms, config.duration_ms("windows.idle_timeout", 1000));
  if (auto valid = processor::check_window_options(windows); !valid) {
    return make_error(Errc::invalid_argument, "invalid config key windows.sizes (from " +
                                                  config.origin("windows.sizes") + "): " + valid.error().message);
  }
  return {};
}

// "auto" leaves the interval to the store backend, which knows what a checkpoint costs it.
Result<std::int64_t> checkpoint_interval_ms(const Config& config, const store::StoreOptions& store) {
  constexpr std::string_view key = "processor.checkpoint_interval";
  if (config.text(key) == "auto") return store::default_checkpoint_interval_ms(store);
  if (auto interval = config.duration_ms(key, 0)) return *interval;
  return make_error(Errc::invalid_argument, "invalid config key " + std::string(key) + " (from " + config.origin(key) +
                                                "): expected auto or a duration such as 500ms, 10s, got '" +
                                                config.text(key) + "'");
}

Result<void> resolve_processing(const Config& config, Settings& s) {
  s.group = config.text("processor.group");
  std::int64_t batch = 0;
  SQUALL_ASSIGN(batch, config.integer("processor.batch_max_records", 1, 1'000'000));
  s.processor.batch_max_records = static_cast<std::size_t>(batch);
  SQUALL_ASSIGN(s.processor.batch_max_wait_ms, config.duration_ms("processor.batch_max_wait", 1));
  s.processor.topic = s.topic;
  s.processor.dead_letter_topic = s.dead_letter_topic;
  s.processor.late_topic = config.text("log.late_topic");
  if (s.processor.late_topic.empty() || s.processor.late_topic == s.topic ||
      s.processor.late_topic == s.dead_letter_topic) {
    return make_error(Errc::invalid_argument, "log.late_topic must be set and differ from log.topic and "
                                              "log.dead_letter_topic");
  }
  s.processor.alerts_topic = config.text("log.alerts_topic");
  if (s.processor.alerts_topic.empty() || s.processor.alerts_topic == s.topic) {
    return make_error(Errc::invalid_argument, "log.alerts_topic must be set and differ from log.topic");
  }
  const auto rule_texts = config.list("alerts.rules");
  auto rules = processor::parse_alert_rules(rule_texts);
  if (!rules) {
    return make_error(Errc::invalid_argument,
                      "invalid config key alerts.rules (from " + config.origin("alerts.rules") + "): " + rules.error().message);
  }
  s.processor.alert_rules = std::move(rules).value();
  s.processor.group = s.group;
  SQUALL_ASSIGN(s.processor.checkpoint_interval_ms, checkpoint_interval_ms(config, s.store));
  SQUALL_TRY(resolve_windows(config, s.processor.windows));
  s.processor.default_units = s.units;

  SQUALL_ASSIGN(s.csv_enabled, config.boolean("csv.enabled"));
  s.csv.dir = config.text("csv.dir");
  if (s.csv.dir.empty()) s.csv.dir = s.data_dir + "/csv";
  std::int64_t roll_ms = 0;
  SQUALL_ASSIGN(roll_ms, config.duration_ms("csv.roll_interval", 1000));
  s.csv.roll_interval_s = roll_ms / 1000;
  return {};
}

Result<void> resolve_serve(const Config& config, Settings& s) {
  s.serve.listen = config.text("serve.listen");
  if (auto valid = serve::check_listen(s.serve.listen); !valid) {
    return make_error(Errc::invalid_argument, "invalid config key serve.listen (from " +
                                                  config.origin("serve.listen") + "): " + valid.error().message);
  }
  SQUALL_ASSIGN(s.serve.request_timeout_ms, config.duration_ms("serve.request_timeout", 100));
  return {};
}

}  // namespace

Result<Settings> resolve_settings(const Config& config) {
  Settings s;
  s.data_dir = config.text("data_dir");
  if (s.data_dir.empty()) return make_error(Errc::invalid_argument, "data_dir must not be empty");
  auto units = config.units("units");
  if (!units) return units.error();
  s.units = *units;
  SQUALL_TRY(resolve_source(config, s));
  SQUALL_TRY(resolve_backends(config, s));
  SQUALL_TRY(resolve_processing(config, s));
  SQUALL_TRY(resolve_serve(config, s));
  return s;
}

}  // namespace squall::cli
