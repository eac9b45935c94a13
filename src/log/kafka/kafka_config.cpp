#include "log/kafka/kafka_config.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "log/kafka/kafka_log.hpp"

namespace squall::log::kafka {
namespace {

constexpr std::string_view kRedacted = "******";

// squall's at-least-once delivery and caught_up detection rely on these, and
// the url and the group name already say where and who.
constexpr std::array<std::string_view, 5> kReservedProperties = {
    "bootstrap.servers", "group.id", "enable.auto.commit", "enable.auto.offset.store", "enable.partition.eof"};

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

Result<void> validate_server(std::string_view url, std::string_view server) {
  auto invalid = [&](std::string_view why) {
    return make_error(Errc::invalid_argument,
                      fmt::format("invalid Kafka url '{}': '{}' {}; expected kafka://HOST:PORT[,HOST:PORT...]", url,
                                  server, why));
  };
  const std::size_t colon = server.rfind(':');
  if (colon == std::string_view::npos) return invalid("has no port");
  const std::string_view host = server.substr(0, colon);
  const std::string_view port_text = server.substr(colon + 1);
  if (host.empty() || host == "[]") return invalid("has no host");
  if (std::any_of(host.begin(), host.end(), [](char c) { return c == ' ' || c == '/' || c == '\t'; })) {
    return invalid("is not a host name");
  }
  int port = 0;
  const auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    return invalid("has no valid port (1..65535)");
  }
  return {};
}

Result<void> set_property(RdKafka::Conf& conf, const std::string& name, const std::string& value) {
  std::string why;
  if (conf.set(name, value, why) == RdKafka::Conf::CONF_OK) return {};
  // librdkafka's message may quote the value: keep secrets out of it.
  if (is_secret_property(name)) why = "invalid value (not shown: the property is secret)";
  return make_error(Errc::invalid_argument, fmt::format("Kafka property '{}': {}", name, why));
}

}  // namespace

Result<std::string> bootstrap_servers(std::string_view url) {
  if (!is_kafka_url(url)) {
    return make_error(Errc::invalid_argument, fmt::format("'{}' is not a kafka:// url", url));
  }
  const std::string_view servers = url.substr(kUrlScheme.size());
  if (servers.empty()) {
    return make_error(Errc::invalid_argument,
                      fmt::format("invalid Kafka url '{}': no broker; expected kafka://HOST:PORT[,HOST:PORT...]", url));
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = servers.find(',', start);
    SQUALL_TRY(validate_server(url, servers.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return std::string(servers);
}

bool is_secret_property(std::string_view name) {
  return contains(name, "password") || contains(name, "secret") || contains(name, "key.pem") ||
         contains(name, "oauthbearer.config") || contains(name, "jaas");
}

std::string describe_properties(const Properties& properties) {
  std::string text;
  for (const auto& [name, value] : properties) {
    if (!text.empty()) text += ", ";
    text += name;
    text += '=';
    text += is_secret_property(name) ? kRedacted : std::string_view(value);
  }
  return text;
}

Properties client_properties(const LogOptions& options, const std::string& bootstrap) {
  return {{"bootstrap.servers", bootstrap}, {"client.id", options.client_id}};
}

Properties producer_properties(const LogOptions& options, const std::string& bootstrap) {
  Properties properties = client_properties(options, bootstrap);
  properties.insert({
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"compression.type", "lz4"},
      // Wait a little to fill batches: many records per request and per
      // compressed block, at a latency cost well under the pipeline's budget.
      {"linger.ms", "10"},
      {"batch.num.messages", "20000"},
      {"batch.size", "2000000"},
      {"queue.buffering.max.messages", "500000"},
      // Java's delivery.timeout.ms: how long a record may wait for the broker
      // before flush() reports it as not delivered.
      {"message.timeout.ms", "120000"},
      {"partitioner", "murmur2_random"},
      // Topics are created by squall with the configured partitions and
      // replication factor, never implicitly by the broker's defaults.
      {"allow.auto.create.topics", "false"},
  });
  return properties;
}

Properties consumer_properties(const LogOptions& options, const std::string& bootstrap, const std::string& group,
                               StartFrom start) {
  Properties properties = client_properties(options, bootstrap);
  properties.insert({
      {"group.id", group},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", start == StartFrom::earliest ? "earliest" : "latest"},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.partition.eof", "true"},
      // A broker answers a connection's requests in order, so the end-offset
      // queries behind caught_up wait for the fetch pending before them: keep
      // idle fetches short. At 1 000 obs/s on Kafka + Cassandra, 5 ms gave
      // p50 25 ms / p99 165 ms where 10 and 100 ms gave ~150 / 480-600 ms,
      // for 0.6 % more of a core when idle (docs/BENCHMARKS.md).
      {"fetch.wait.max.ms", "5"},
      {"allow.auto.create.topics", "false"},
  });
  return properties;
}

Result<std::unique_ptr<RdKafka::Conf>> make_conf(const Properties& defaults, const LogOptions& options) {
  for (const auto& [name, value] : options.kafka_properties) {
    if (std::find(kReservedProperties.begin(), kReservedProperties.end(), name) != kReservedProperties.end()) {
      return make_error(Errc::invalid_argument,
                        fmt::format("Kafka property '{}' cannot be overridden: squall sets it from the log url, the "
                                    "consumer group and its commit-after-processing guarantee",
                                    name));
    }
  }
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [name, value] : defaults) {
    if (!options.kafka_properties.contains(name)) SQUALL_TRY(set_property(*conf, name, value));
  }
  for (const auto& [name, value] : options.kafka_properties) SQUALL_TRY(set_property(*conf, name, value));
  return conf;
}

}  // namespace squall::log::kafka
