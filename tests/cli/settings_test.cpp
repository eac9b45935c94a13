#include "cli/settings.hpp"

#include <gtest/gtest.h>

namespace squall::cli {
namespace {

Result<Settings> settings_from(std::map<std::string, std::string> flags, std::vector<std::string> env = {}) {
  auto config = Config::load(std::nullopt, env, flags);
  if (!config) return config.error();
  return resolve_settings(*config);
}

TEST(Settings, DefaultsDescribeTheEmbeddedPipeline) {
  auto s = settings_from({});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->source_kind, "simulator");
  EXPECT_EQ(s->log.url, "embedded");
  EXPECT_EQ(s->store.url, "sqlite");
  EXPECT_EQ(s->log.data_dir, "squall-data");
  EXPECT_EQ(s->csv.dir, "squall-data/csv");
  EXPECT_EQ(s->csv.roll_interval_s, 3600);
  EXPECT_EQ(s->processor.batch_max_wait_ms, 200);
  EXPECT_EQ(s->simulator.start_time, 1700000000);
  EXPECT_EQ(s->simulator.step_s, 600);
  EXPECT_EQ(s->openweather.city_ids, (std::vector<std::int64_t>{4887398, 4164138, 5391959}));
}

TEST(Settings, DataDirFlowsToEveryEmbeddedBackend) {
  auto s = settings_from({{"data_dir", "/tmp/x"}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->log.data_dir, "/tmp/x");
  EXPECT_EQ(s->store.data_dir, "/tmp/x");
  EXPECT_EQ(s->csv.dir, "/tmp/x/csv");
}

TEST(Settings, UnitsApplyToSourcesAndProcessor) {
  auto s = settings_from({{"units", "imperial"}});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->simulator.units, Units::imperial);
  EXPECT_EQ(s->replay.units, Units::imperial);
  EXPECT_EQ(s->openweather.units, Units::imperial);
  EXPECT_EQ(s->processor.default_units, Units::imperial);
}

TEST(Settings, ReplayNeedsAFile) {
  auto s = settings_from({{"source.kind", "replay"}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("--replay-file"), std::string::npos);
}

TEST(Settings, OpenWeatherNeedsAKeyAndSaysHowToSetIt) {
  auto s = settings_from({{"source.kind", "openweather"}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("OPENWEATHER_API_KEY"), std::string::npos);
  EXPECT_TRUE(settings_from({{"source.kind", "openweather"}}, {"OPENWEATHER_API_KEY=k"}).ok());
}

TEST(Settings, UnknownSourceKindListsTheChoices) {
  auto s = settings_from({{"source.kind", "carrier-pigeon"}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("source.kind"), std::string::npos);
  EXPECT_NE(s.error().message.find("simulator replay openweather"), std::string::npos);
}

TEST(Settings, TopicAndDeadLetterTopicMustDiffer) {
  auto s = settings_from({{"log.topic", "weather.dlq"}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("log.dead_letter_topic"), std::string::npos);
}

TEST(Settings, BadStartTimeNamesTheKey) {
  auto s = settings_from({{"source.start_time", "last tuesday"}});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("source.start_time"), std::string::npos);
}

TEST(Settings, KafkaSettingsAndPassThroughPropertiesReachTheLogOptions) {
  auto s = settings_from({{"log.url", "kafka://127.0.0.1:9092"}, {"log.replication_factor", "3"},
                          {"log.kafka_timeout", "30s"}, {"kafka.security.protocol", "SSL"}},
                         {"SQUALL_LOG_CLIENT_ID=edge-7"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->log.replication_factor, 3);
  EXPECT_EQ(s->log.client_id, "edge-7");
  EXPECT_EQ(s->log.kafka_timeout_ms, 30'000);
  EXPECT_EQ(s->log.kafka_properties, (std::map<std::string, std::string>{{"security.protocol", "SSL"}}));
}

TEST(Settings, CassandraSettingsReachTheStoreOptions) {
  auto s = settings_from({{"store.url", "cassandra://10.0.0.1:9042,10.0.0.2:9042"}, {"store.keyspace", "wx"},
                          {"store.consistency", "QUORUM"}, {"store.replication", "NetworkTopologyStrategy:dc1:3"}},
                         {"SQUALL_STORE_USER=squall", "SQUALL_STORE_PASSWORD=pw"});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->store.keyspace, "wx");
  EXPECT_EQ(s->store.consistency, "QUORUM");
  EXPECT_EQ(s->store.replication, "NetworkTopologyStrategy:dc1:3");
  EXPECT_EQ(s->store.user, "squall");
  EXPECT_EQ(s->store.password, "pw");
  EXPECT_FALSE(s->store.tls);
}

TEST(Settings, BadCassandraSettingsFailAtStartUpNamingTheKey) {
  const std::string url = "cassandra://127.0.0.1:9042";
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases{
      {{{"store.url", url}, {"store.keyspace", "1bad"}}, "invalid config key store.keyspace (from flag)"},
      {{{"store.url", url}, {"store.consistency", "MOST"}}, "invalid config key store.consistency (from flag)"},
      {{{"store.url", url}, {"store.replication", "SimpleStrategy:0"}},
       "invalid config key store.replication (from flag)"},
      {{{"store.url", "cassandra://nohost"}}, "invalid config key store.url (from flag)"},
      {{{"store.url", "postgres://x"}}, "invalid config key store.url (from flag)"},
      {{{"store.url", url}, {"store.tls", "true"}, {"store.tls_ca_file", "/no/such/ca.pem"}},
       "invalid config key store.tls_ca_file (from flag)"},
  };
  for (const auto& [flags, expected] : cases) {
    auto s = settings_from(flags);
    ASSERT_FALSE(s.ok()) << expected;
    EXPECT_EQ(s.error().code, Errc::invalid_argument);
    EXPECT_TRUE(s.error().message.starts_with(expected)) << s.error().message;
  }
}

TEST(Settings, StoreUserNeedsAPasswordAndTheMessageNeverShowsIt) {
  auto s = settings_from({{"store.url", "cassandra://127.0.0.1:9042"}}, {"SQUALL_STORE_PASSWORD=hunter2"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("store.user and store.password"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find("hunter2"), std::string::npos);
}

TEST(Settings, AlertRulesAreParsedAndABadOneNamesTheKeyAndTheRule) {
  auto s = settings_from({{"alerts.rules", "gale: wind_speed_ms > 17.2 for 3; frost: temp_c < -20"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->processor.alert_rules.size(), 2u);
  EXPECT_EQ(s->processor.alert_rules[0].name, "gale");
  EXPECT_EQ(s->processor.alert_rules[0].consecutive, 3);
  auto bad = settings_from({}, {"SQUALL_ALERTS_RULES=frost: temp_c <-20; gale: wind >> 17"});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.error().message.starts_with(
      "invalid config key alerts.rules (from env SQUALL_ALERTS_RULES): alert rule 2 (\"gale: wind >> 17\")"))
      << bad.error().message;
}

TEST(Settings, WindowSizesAndLatenessReachTheProcessor) {
  auto s = settings_from({{"windows.sizes", "10m, 1h"}, {"windows.allowed_lateness", "30m"}});
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->processor.windows.sizes_s, (std::vector<std::int64_t>{600, 3600}));
  EXPECT_EQ(s->processor.windows.allowed_lateness_s, 1800);
  auto twice = settings_from({{"windows.sizes", "1h,60m"}});
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.error().message.find("windows.sizes"), std::string::npos);
  EXPECT_NE(twice.error().message.find("listed twice"), std::string::npos);
}

TEST(Settings, CheckpointIntervalAutoFollowsTheStoreAndAnExplicitOneWins) {
  auto sqlite = settings_from({});
  ASSERT_TRUE(sqlite.ok()) << sqlite.error().message;
  EXPECT_EQ(sqlite->processor.checkpoint_interval_ms, 2'000);
  auto cassandra = settings_from({{"store.url", "cassandra://127.0.0.1:9042"}});
  ASSERT_TRUE(cassandra.ok()) << cassandra.error().message;
  EXPECT_EQ(cassandra->processor.checkpoint_interval_ms, 10'000);
  auto chosen = settings_from({{"store.url", "cassandra://127.0.0.1:9042"}},
                              {"SQUALL_PROCESSOR_CHECKPOINT_INTERVAL=500ms"});
  ASSERT_TRUE(chosen.ok()) << chosen.error().message;
  EXPECT_EQ(chosen->processor.checkpoint_interval_ms, 500);
  auto bad = settings_from({{"processor.checkpoint_interval", "often"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "invalid config key processor.checkpoint_interval (from flag): expected auto or a "
                                 "duration such as 500ms, 10s, got 'often'");
}

TEST(Settings, SqliteStoreIgnoresCassandraOnlyKeys) {
  auto s = settings_from({{"store.consistency", "MOST"}});
  EXPECT_TRUE(s.ok()) << s.error().message;
}

}  // namespace
}  // namespace squall::cli
