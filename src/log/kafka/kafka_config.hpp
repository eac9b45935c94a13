#pragma once
// librdkafka configuration for squall's Kafka clients: the settings squall
// chooses per role (producer, consumer, admin), merged with the user's
// pass-through properties (LogOptions::kafka_properties), which win.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <librdkafka/rdkafkacpp.h>

#include "core/result.hpp"
#include "log/log.hpp"

namespace squall::log::kafka {

using Properties = std::map<std::string, std::string>;  // as LogOptions::kafka_properties

// "kafka://h1:9092,h2:9092" -> "h1:9092,h2:9092" (bootstrap.servers), after
// checking that every entry is HOST:PORT with a port in 1..65535.
Result<std::string> bootstrap_servers(std::string_view url);

// Passwords, private keys and client secrets: their values never reach a log
// line or an error message.
bool is_secret_property(std::string_view name);

// "name=value, ..." with secret values replaced by "******".
std::string describe_properties(const Properties& properties);

// What every squall client sets: bootstrap.servers and client.id.
Properties client_properties(const LogOptions& options, const std::string& bootstrap);
// Idempotent, acks=all, lz4, linger and batching for throughput, and Kafka's
// Java partitioner (murmur2) so keys land where the embedded log puts them.
Properties producer_properties(const LogOptions& options, const std::string& bootstrap);
// Manual commits only, cooperative rebalancing, end-of-partition events.
Properties consumer_properties(const LogOptions& options, const std::string& bootstrap, const std::string& group,
                               StartFrom start);

// A librdkafka Conf holding `defaults` overlaid with options.kafka_properties.
// Properties squall's delivery guarantees depend on cannot be overridden.
Result<std::unique_ptr<RdKafka::Conf>> make_conf(const Properties& defaults, const LogOptions& options);

// Registers a callback object (dr_cb, event_cb, rebalance_cb) on `conf`.
template <class Callback>
Result<void> set_callback(RdKafka::Conf& conf, const std::string& name, Callback* callback) {
  std::string why;
  if (conf.set(name, callback, why) != RdKafka::Conf::CONF_OK) {
    return make_error(Errc::internal, "librdkafka rejected the " + name + " callback: " + why);
  }
  return {};
}

}  // namespace squall::log::kafka
