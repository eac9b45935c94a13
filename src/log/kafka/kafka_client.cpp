#include "log/kafka/kafka_client.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace squall::log::kafka {
namespace {

spdlog::level::level_enum level_of(RdKafka::Event::Severity severity) {
  switch (severity) {
    case RdKafka::Event::EVENT_SEVERITY_EMERG:
    case RdKafka::Event::EVENT_SEVERITY_ALERT:
    case RdKafka::Event::EVENT_SEVERITY_CRITICAL: return spdlog::level::err;
    // librdkafka reports the connection problems it retries on its own at
    // error level: for squall they are warnings until a call gives up.
    case RdKafka::Event::EVENT_SEVERITY_ERROR:
    case RdKafka::Event::EVENT_SEVERITY_WARNING: return spdlog::level::warn;
    case RdKafka::Event::EVENT_SEVERITY_NOTICE:
    case RdKafka::Event::EVENT_SEVERITY_INFO: return spdlog::level::info;
    case RdKafka::Event::EVENT_SEVERITY_DEBUG: return spdlog::level::debug;
  }
  return spdlog::level::info;
}

bool is_authentication_error(RdKafka::ErrorCode code) {
  return code == RdKafka::ERR__AUTHENTICATION || code == RdKafka::ERR_SASL_AUTHENTICATION_FAILED ||
         code == RdKafka::ERR_UNSUPPORTED_SASL_MECHANISM;
}

// Every kafka.* property goes to both of squall's clients (a group's session
// timeout to the producer too), so librdkafka's note that one client ignores
// the other kind's property says nothing the user should act on.
bool is_other_client_property_note(RdKafka::Event& event) {
  return event.fac() == "CONFWARN" && event.str().find(" property and will be ignored by this ") != std::string::npos;
}

}  // namespace

Errc errc_of(RdKafka::ErrorCode code) {
  switch (code) {
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__TIMED_OUT_QUEUE:
    case RdKafka::ERR__MSG_TIMED_OUT:
    case RdKafka::ERR_REQUEST_TIMED_OUT: return Errc::timeout;
    case RdKafka::ERR__AUTHENTICATION:
    case RdKafka::ERR_SASL_AUTHENTICATION_FAILED:
    case RdKafka::ERR_UNSUPPORTED_SASL_MECHANISM:
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED: return Errc::auth;
    case RdKafka::ERR__INVALID_ARG:
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR_INVALID_PARTITIONS:
    case RdKafka::ERR_INVALID_REPLICATION_FACTOR:
    case RdKafka::ERR_INVALID_CONFIG:
    case RdKafka::ERR_TOPIC_EXCEPTION:
    case RdKafka::ERR_POLICY_VIOLATION: return Errc::invalid_argument;
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR__UNKNOWN_PARTITION: return Errc::not_found;
    // The client instance is unusable (e.g. the idempotent producer lost its
    // sequence); retrying through it cannot help.
    case RdKafka::ERR__FATAL: return Errc::internal;
    // Everything else is the cluster being unreachable, busy, rebalancing or
    // moving leaders: conditions that pass.
    default: return Errc::unavailable;
  }
}

Error kafka_error(RdKafka::ErrorCode code, std::string_view context) {
  return make_error(errc_of(code), fmt::format("{}: {}", context, RdKafka::err2str(code)));
}

void ClientEvents::event_cb(RdKafka::Event& event) {
  switch (event.type()) {
    case RdKafka::Event::EVENT_LOG: {
      const auto level = is_other_client_property_note(event) ? spdlog::level::debug : level_of(event.severity());
      spdlog::log(level, "{}: librdkafka {}: {}", client_, event.fac(), event.str());
      if (level >= spdlog::level::warn) remember(event.str(), false);
      break;
    }
    case RdKafka::Event::EVENT_ERROR: {
      const std::string problem = fmt::format("{} ({})", event.str(), RdKafka::err2str(event.err()));
      if (event.fatal()) {
        spdlog::error("{}: fatal Kafka error: {}", client_, problem);
      } else {
        spdlog::warn("{}: {}", client_, problem);
      }
      remember(problem, is_authentication_error(event.err()));
      break;
    }
    default: break;  // statistics and throttling: not enabled by squall
  }
}

void ClientEvents::remember(std::string problem, bool authentication) {
  std::lock_guard lock(mutex_);
  last_problem_ = std::move(problem);
  authentication_failed_ = authentication_failed_ || authentication;
}

std::string ClientEvents::last_problem() const {
  std::lock_guard lock(mutex_);
  return last_problem_;
}

bool ClientEvents::authentication_failed() const {
  std::lock_guard lock(mutex_);
  return authentication_failed_;
}

Result<void> check_reachable(RdKafka::Handle& handle, const std::string& bootstrap, int timeout_ms,
                             const ClientEvents& events) {
  // A refused login arrives as an error event long before a metadata request
  // would time out: ask in short slices and stop at the first refusal, so a
  // wrong password fails in about a second rather than after the timeout.
  constexpr int kSliceMs = 500;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  RdKafka::ErrorCode code = RdKafka::ERR__TIMED_OUT;
  for (int left = timeout_ms; left > 0;) {
    const auto started = std::chrono::steady_clock::now();
    RdKafka::Metadata* raw = nullptr;
    code = handle.metadata(false, nullptr, &raw, std::min(left, kSliceMs));
    std::unique_ptr<RdKafka::Metadata> metadata(raw);
    if (code == RdKafka::ERR_NO_ERROR) return {};
    // Error events wait in the client's queue until served.
    handle.poll(0);
    if (events.authentication_failed()) break;
    // With every broker down the request can fail at once: no busy loop.
    std::this_thread::sleep_until(std::min(deadline, started + std::chrono::milliseconds(100)));
    left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                deadline - std::chrono::steady_clock::now())
                                .count());
  }
  std::string detail = events.last_problem();
  if (detail.empty()) detail = RdKafka::err2str(code);
  if (events.authentication_failed()) {
    return make_error(Errc::auth, fmt::format("Kafka at {} refused the client's credentials: {}", bootstrap, detail));
  }
  return make_error(Errc::unavailable, fmt::format("Kafka at {} is unreachable: no broker answered within {} ms; {}",
                                                   bootstrap, timeout_ms, detail));
}

}  // namespace squall::log::kafka
