// Topic administration for `squall topics` on Kafka, through a short-lived
// client handle.

#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "log/embedded/log_database.hpp"
#include "log/kafka/kafka_admin.hpp"
#include "log/kafka/kafka_client.hpp"
#include "log/kafka/kafka_config.hpp"
#include "log/kafka/kafka_log.hpp"

namespace squall::log::kafka {
namespace {

// A producer handle is the lightest client librdkafka offers; it serves
// metadata and admin requests alike.
struct AdminClient {
  std::string bootstrap;
  ClientEvents events{"kafka admin"};
  std::unique_ptr<RdKafka::Producer> handle;  // last: destroyed before the callback it calls
};

Result<void> connect(AdminClient& client, const LogOptions& options) {
  SQUALL_ASSIGN(client.bootstrap, bootstrap_servers(options.url));
  std::unique_ptr<RdKafka::Conf> conf;
  SQUALL_ASSIGN(conf, make_conf(client_properties(options, client.bootstrap), options));
  SQUALL_TRY(set_callback(*conf, "event_cb", static_cast<RdKafka::EventCb*>(&client.events)));
  std::string why;
  client.handle.reset(RdKafka::Producer::create(conf.get(), why));
  if (!client.handle) return make_error(Errc::invalid_argument, "cannot create a Kafka client: " + why);
  return check_reachable(*client.handle, client.bootstrap, options.kafka_timeout_ms, client.events);
}

}  // namespace

Result<std::vector<TopicInfo>> list_topics(const LogOptions& options) {
  AdminClient client;
  SQUALL_TRY(connect(client, options));
  return kafka::list_topics(*client.handle, options.kafka_timeout_ms);
}

Result<TopicDescription> describe_topic(const LogOptions& options, std::string_view name) {
  AdminClient client;
  SQUALL_TRY(connect(client, options));
  return kafka::describe_topic(*client.handle, std::string(name), options.kafka_timeout_ms);
}

Result<void> create_topic(const LogOptions& options, std::string_view name, std::int32_t partitions) {
  SQUALL_TRY(embedded::validate_topic_name(name));
  SQUALL_TRY(embedded::validate_partition_count(partitions));
  AdminClient client;
  SQUALL_TRY(connect(client, options));
  const std::string topic(name);
  bool created = false;
  SQUALL_ASSIGN(created, kafka::create_topic(*client.handle, topic, {partitions, options.replication_factor},
                                             options.kafka_timeout_ms));
  if (created) return {};
  std::int32_t actual = 0;
  SQUALL_ASSIGN(actual, wait_for_topic(*client.handle, topic, options.kafka_timeout_ms));
  if (actual != partitions) {
    return make_error(Errc::invalid_argument, fmt::format("Kafka topic '{}' already exists with {} partitions, not {}",
                                                          topic, actual, partitions));
  }
  return {};
}

}  // namespace squall::log::kafka
