#include "cli/config.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "test_support/temp_dir.hpp"

namespace squall::cli {
namespace {

std::string write_file(const test::TempDir& dir, const std::string& text) {
  const std::string path = dir.file("squall.toml");
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsApplyWithNoFileEnvOrFlags) {
  auto config = Config::load(std::nullopt, {}, {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->text("data_dir"), "squall-data");
  EXPECT_EQ(config->text("source.kind"), "simulator");
  EXPECT_EQ(config->origin("source.rate"), "default");
}

TEST(Config, FlagsWinOverEnvironmentWhichWinsOverFile) {
  test::TempDir dir;
  auto path = write_file(dir, "[source]\nrate = 10\ncities = 7\nmax_events = 3\n");
  auto config = Config::load(path, {"SQUALL_SOURCE_RATE=20", "SQUALL_SOURCE_CITIES=8", "PATH=/usr/bin"},
                             {{"source.rate", "30"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->text("source.rate"), "30");
  EXPECT_EQ(config->origin("source.rate"), "flag");
  EXPECT_EQ(config->text("source.cities"), "8");
  EXPECT_EQ(config->origin("source.cities"), "env SQUALL_SOURCE_CITIES");
  EXPECT_EQ(config->text("source.max_events"), "3");
  EXPECT_EQ(config->origin("source.max_events"), "file " + path);
}

TEST(Config, NestedTablesAndArraysFlattenToDottedKeys) {
  test::TempDir dir;
  auto path = write_file(dir, "[source.openweather]\ncity_ids = [1, 2, 3]\ntimeout = \"2s\"\n");
  auto config = Config::load(path, {}, {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->integer_list("source.openweather.city_ids").value(), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_EQ(config->duration_ms("source.openweather.timeout", 1).value(), 2000);
}

TEST(Config, UnknownFileKeyIsRejectedByName) {
  test::TempDir dir;
  auto path = write_file(dir, "[source]\nrat = 10\n");
  auto config = Config::load(path, {}, {});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Errc::invalid_argument);
  EXPECT_NE(config.error().message.find("'source.rat'"), std::string::npos) << config.error().message;
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
  test::TempDir dir;
  auto path = write_file(dir, "[source]\nrate = = 3\n");
  auto config = Config::load(path, {}, {});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find(path + ":2:"), std::string::npos) << config.error().message;
}

TEST(Config, MissingFileIsAnError) {
  auto config = Config::load(std::string("/nonexistent/squall.toml"), {}, {});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("/nonexistent/squall.toml"), std::string::npos);
}

TEST(Config, UnknownSquallEnvironmentVariableIsRejected) {
  auto config = Config::load(std::nullopt, {"SQUALL_SOURCE_RATEE=5"}, {});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("SQUALL_SOURCE_RATEE"), std::string::npos);
}

TEST(Config, TheScriptsOwnVariablesAreNotSettings) {
  auto config = Config::load(std::nullopt,
                             {"SQUALL_SERVICES_DIR=/tmp/services", "SQUALL_TEST_KAFKA=127.0.0.1:9092",
                              "SQUALL_PYTHON=/usr/bin/python3", "SQUALL_SOURCE_RATE=7"},
                             {});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->text("source.rate"), "7");
  // The reserved prefixes are whole words: a misspelt setting is still caught.
  auto misspelt = Config::load(std::nullopt, {"SQUALL_SERVICE_DIR=/tmp/services"}, {});
  ASSERT_FALSE(misspelt.ok());
  EXPECT_NE(misspelt.error().message.find("SQUALL_SERVICE_DIR"), std::string::npos);
}

TEST(Config, ApiKeyComesFromItsOwnVariable) {
  auto config = Config::load(std::nullopt, {"OPENWEATHER_API_KEY=abc123"}, {});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->text("source.openweather.api_key"), "abc123");
}

TEST(Config, TypedAccessorsNameKeyOriginAndExpectation) {
  auto config = Config::load(std::nullopt, {}, {{"source.rate", "fast"}, {"source.cities", "-1"},
                                                {"log.retention", "soon"}, {"csv.enabled", "maybe"},
                                                {"units", "kelvin"}});
  ASSERT_TRUE(config.ok());
  auto rate = config->number("source.rate", 0, 10);
  ASSERT_FALSE(rate.ok());
  EXPECT_EQ(rate.error().message, "invalid config key source.rate (from flag): expected a number in [0, 10], got 'fast'");
  EXPECT_FALSE(config->integer("source.cities", 1, 10).ok());
  EXPECT_FALSE(config->duration_ms("log.retention", 1).ok());
  EXPECT_FALSE(config->boolean("csv.enabled").ok());
  EXPECT_FALSE(config->units("units").ok());
}

TEST(Config, MalformedSecretsAreNeverEchoed) {
  auto config = Config::load(std::nullopt, {"OPENWEATHER_API_KEY=s3cr3t-key"}, {});
  ASSERT_TRUE(config.ok());
  auto as_number = config->integer("source.openweather.api_key", 0, 1);
  ASSERT_FALSE(as_number.ok());
  EXPECT_EQ(as_number.error().message.find("s3cr3t-key"), std::string::npos) << as_number.error().message;
}

TEST(Config, IntegerListRejectsGarbage) {
  auto config = Config::load(std::nullopt, {}, {{"source.openweather.city_ids", "1,,2"}});
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->integer_list("source.openweather.city_ids").ok());
}

TEST(Config, KafkaPropertiesPassThroughFromEveryLayer) {
  test::TempDir dir;
  // Quoted names keep their dots; bare dotted names become nested tables: both land on kafka.NAME.
  auto path = write_file(dir, "[kafka]\n\"security.protocol\" = \"SASL_SSL\"\nsasl.mechanism = \"PLAIN\"\n"
                              "linger.ms = 5\n");
  auto config = Config::load(path, {"SQUALL_KAFKA_SASL_USERNAME=alice", "SQUALL_KAFKA_LINGER_MS=7"},
                             {{"kafka.sasl.mechanism", "SCRAM-SHA-512"}});
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->with_prefix(kKafkaPropertyPrefix),
            (std::map<std::string, std::string>{{"linger.ms", "7"},
                                                {"sasl.mechanism", "SCRAM-SHA-512"},
                                                {"sasl.username", "alice"},
                                                {"security.protocol", "SASL_SSL"}}));
  EXPECT_EQ(config->origin("kafka.sasl.username"), "env SQUALL_KAFKA_SASL_USERNAME");
}

TEST(Config, KafkaTableWithoutAPropertyNameIsStillAnUnknownKey) {
  test::TempDir dir;
  auto path = write_file(dir, "kafka = \"SSL\"\n");
  auto config = Config::load(path, {}, {});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("unknown config key 'kafka'"), std::string::npos) << config.error().message;
}

TEST(Config, NoKafkaPropertiesByDefault) {
  auto config = Config::load(std::nullopt, {}, {});
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->with_prefix(kKafkaPropertyPrefix).empty());
}

TEST(Config, MalformedStorePasswordIsNeverEchoed) {
  auto config = Config::load(std::nullopt, {"SQUALL_STORE_PASSWORD=hunter2"}, {});
  ASSERT_TRUE(config.ok());
  auto as_bool = config->boolean("store.password");
  ASSERT_FALSE(as_bool.ok());
  EXPECT_EQ(as_bool.error().message.find("hunter2"), std::string::npos) << as_bool.error().message;
}

TEST(Config, EnvNameIsUppercaseWithUnderscores) {
  EXPECT_EQ(env_name("source.openweather.poll_interval"), "SQUALL_SOURCE_OPENWEATHER_POLL_INTERVAL");
}

}  // namespace
}  // namespace squall::cli
