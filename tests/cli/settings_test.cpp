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

}  // namespace
}  // namespace squall::cli
