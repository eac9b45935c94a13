// Kafka backend configuration: log urls, secret redaction and the settings
// squall's guarantees rest on. No broker needed.

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "log/kafka/kafka_config.hpp"
#include "log/kafka/kafka_log.hpp"

namespace squall::log::kafka {
namespace {

TEST(KafkaConfigTest, UrlsNameTheBootstrapServers) {
  EXPECT_TRUE(is_kafka_url("kafka://127.0.0.1:9092"));
  EXPECT_FALSE(is_kafka_url("embedded"));
  auto one = bootstrap_servers("kafka://127.0.0.1:9092");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(*one, "127.0.0.1:9092");
  auto several = bootstrap_servers("kafka://k1.example:9092,k2.example:19092,[::1]:9093");
  ASSERT_TRUE(several.ok()) << several.error().message;
  EXPECT_EQ(*several, "k1.example:9092,k2.example:19092,[::1]:9093");
}

TEST(KafkaConfigTest, MalformedUrlsAreInvalidArguments) {
  for (const char* url : {"kafka://", "kafka://host", "kafka://host:", "kafka://:9092", "kafka://host:0",
                          "kafka://host:65536", "kafka://host:90x2", "kafka://a:9092,", "kafka://a b:9092",
                          "http://host:9092"}) {
    auto servers = bootstrap_servers(url);
    ASSERT_FALSE(servers.ok()) << url;
    EXPECT_EQ(servers.error().code, Errc::invalid_argument) << url;
  }
}

TEST(KafkaConfigTest, SecretValuesAreNeverDescribed) {
  const Properties properties{{"security.protocol", "SASL_SSL"},
                              {"sasl.username", "squall"},
                              {"sasl.password", "hunter2"},
                              {"ssl.key.password", "keypass"},
                              {"ssl.key.pem", "-----BEGIN PRIVATE KEY-----"},
                              {"sasl.oauthbearer.client.secret", "oauth"}};
  const std::string described = describe_properties(properties);
  for (const char* secret : {"hunter2", "keypass", "BEGIN PRIVATE KEY", "oauth\""}) {
    EXPECT_EQ(described.find(secret), std::string::npos) << described;
  }
  EXPECT_NE(described.find("sasl.username=squall"), std::string::npos) << described;
  EXPECT_NE(described.find("sasl.password=******"), std::string::npos) << described;
}

TEST(KafkaConfigTest, UnknownPropertiesAndBadValuesNameTheProperty) {
  LogOptions options;
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"no.such.property", "1"}, {"compression.type", "brotli"}, {"linger.ms", "soon"}}) {
    options.kafka_properties = {{name, value}};
    auto conf = make_conf({}, options);
    ASSERT_FALSE(conf.ok()) << name;
    EXPECT_EQ(conf.error().code, Errc::invalid_argument);
    EXPECT_NE(conf.error().message.find("'" + name + "'"), std::string::npos) << conf.error().message;
  }
}

TEST(KafkaConfigTest, ProducerAndConsumerSettingsCarryTheGuarantees) {
  LogOptions options;
  const Properties producer = producer_properties(options, "h:1");
  EXPECT_EQ(producer.at("enable.idempotence"), "true");
  EXPECT_EQ(producer.at("acks"), "all");
  EXPECT_EQ(producer.at("partitioner"), "murmur2_random");
  EXPECT_EQ(producer.at("bootstrap.servers"), "h:1");
  const Properties consumer = consumer_properties(options, "h:1", "g", StartFrom::latest);
  EXPECT_EQ(consumer.at("group.id"), "g");
  EXPECT_EQ(consumer.at("enable.auto.commit"), "false");
  EXPECT_EQ(consumer.at("enable.auto.offset.store"), "false");
  EXPECT_EQ(consumer.at("auto.offset.reset"), "latest");
  EXPECT_EQ(consumer.at("partition.assignment.strategy"), "cooperative-sticky");
}

TEST(KafkaConfigTest, PassThroughPropertiesOverrideSquallsChoicesButNotTheReservedOnes) {
  LogOptions options;
  options.kafka_properties = {{"compression.type", "zstd"}, {"security.protocol", "ssl"}};
  auto conf = make_conf(producer_properties(options, "h:1"), options);
  ASSERT_TRUE(conf.ok()) << conf.error().message;
  std::string value;
  ASSERT_EQ((*conf)->get("compression.type", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "zstd");
  ASSERT_EQ((*conf)->get("security.protocol", value), RdKafka::Conf::CONF_OK);
  EXPECT_EQ(value, "ssl");

  for (const char* reserved : {"bootstrap.servers", "group.id", "enable.auto.commit", "enable.auto.offset.store",
                               "enable.partition.eof"}) {
    options.kafka_properties = {{reserved, "x"}};
    auto refused = make_conf({}, options);
    ASSERT_FALSE(refused.ok()) << reserved;
    EXPECT_EQ(refused.error().code, Errc::invalid_argument);
  }
}

}  // namespace
}  // namespace squall::log::kafka
