#pragma once
// Pieces every Kafka client of squall shares: librdkafka error codes turned
// into squall Errors, librdkafka's log and error events routed to spdlog, and
// the bounded start-up check that a broker answers at all.

#include <mutex>
#include <string>
#include <string_view>

#include <librdkafka/rdkafkacpp.h>

#include "core/result.hpp"

namespace squall::log::kafka {

// Transient broker and network conditions map to unavailable/timeout (the
// processor retries those); refused credentials to auth; bad requests to
// invalid_argument; missing topics to not_found.
Errc errc_of(RdKafka::ErrorCode code);

// "<context>: <librdkafka's description of code>".
Error kafka_error(RdKafka::ErrorCode code, std::string_view context);

// Receives librdkafka's log lines and error events (from its own threads as
// well as from poll/consume) and keeps the latest problem, so that a client
// that cannot reach the cluster can say why.
class ClientEvents final : public RdKafka::EventCb {
 public:
  explicit ClientEvents(std::string client) : client_(std::move(client)) {}

  void event_cb(RdKafka::Event& event) override;

  std::string last_problem() const;
  bool authentication_failed() const;

 private:
  void remember(std::string problem, bool authentication);

  std::string client_;  // prefixes log lines: "kafka producer", "kafka consumer group 'g'"
  mutable std::mutex mutex_;
  std::string last_problem_;
  bool authentication_failed_ = false;
};

// Asks the cluster for its broker list, waiting at most `timeout_ms`:
// Errc::unavailable "Kafka at HOST:PORT is unreachable: ..." (Errc::auth when
// the brokers refused the credentials) instead of a client that retries
// silently forever. Serves the handle's queued events: call it on a consumer
// before subscribing, while no records can be queued.
Result<void> check_reachable(RdKafka::Handle& handle, const std::string& bootstrap, int timeout_ms,
                             const ClientEvents& events);

}  // namespace squall::log::kafka
