// Picks the log backend from LogOptions::url.

#include "log/embedded/embedded_log.hpp"
#include "log/kafka/kafka_log.hpp"
#include "log/log.hpp"

namespace squall::log {
namespace {

bool is_embedded(const LogOptions& options) { return options.url.empty() || options.url == "embedded"; }

Error unsupported(const LogOptions& options) {
  return make_error(Errc::invalid_argument, "unsupported log url '" + options.url +
                                                "': expected 'embedded' or kafka://HOST:PORT[,HOST:PORT...]");
}

}  // namespace

Result<std::unique_ptr<Producer>> open_producer(const LogOptions& options) {
  if (kafka::is_kafka_url(options.url)) return kafka::open_producer(options);
  if (!is_embedded(options)) return unsupported(options);
  return embedded::open_producer(options);
}

Result<std::unique_ptr<Consumer>> open_consumer(const LogOptions& options, std::string group,
                                                std::vector<std::string> topics, StartFrom start) {
  if (kafka::is_kafka_url(options.url)) return kafka::open_consumer(options, std::move(group), std::move(topics), start);
  if (!is_embedded(options)) return unsupported(options);
  return embedded::open_consumer(options, std::move(group), std::move(topics), start);
}

Result<std::vector<TopicInfo>> list_topics(const LogOptions& options) {
  if (kafka::is_kafka_url(options.url)) return kafka::list_topics(options);
  if (!is_embedded(options)) return unsupported(options);
  return embedded::list_topics(options);
}

Result<void> create_topic(const LogOptions& options, std::string_view name, std::int32_t partitions) {
  if (kafka::is_kafka_url(options.url)) return kafka::create_topic(options, name, partitions);
  if (!is_embedded(options)) return unsupported(options);
  return embedded::create_topic(options, name, partitions);
}

Result<TopicDescription> describe_topic(const LogOptions& options, std::string_view name) {
  if (kafka::is_kafka_url(options.url)) return kafka::describe_topic(options, name);
  if (!is_embedded(options)) return unsupported(options);
  return embedded::describe_topic(options, name);
}

}  // namespace squall::log
