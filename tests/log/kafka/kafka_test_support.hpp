#pragma once
// Helpers for the Kafka backend's integration tests: they run against the
// real broker named by SQUALL_TEST_KAFKA (HOST:PORT), and fail when it is not
// set, so a CI run without a broker cannot pass by skipping them.

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "log/log.hpp"
#include "log/log_test_support.hpp"

namespace squall::log::kafka::test_support {

using log::test_support::expect_ok;

inline constexpr const char* kBrokerVariable = "SQUALL_TEST_KAFKA";

// The broker's HOST:PORT, or a test failure that explains how to get one.
inline std::string broker_address() {
  const char* address = std::getenv(kBrokerVariable);
  if (address == nullptr || *address == '\0') {
    ADD_FAILURE() << kBrokerVariable << " is not set: start a broker (scripts/services start kafka) and run with "
                  << kBrokerVariable << "=127.0.0.1:9092";
    return {};
  }
  return address;
}

inline LogOptions kafka_options(const std::string& address) {
  LogOptions options;
  options.url = "kafka://" + address;
  options.default_partitions = 4;
  options.client_id = "squall-kafka-tests";
  return options;
}

// A topic or group name no other test or earlier run has used.
inline std::string unique_name(const std::string& purpose) {
  static int counter = 0;
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch()).count();
  return "squall-test-" + purpose + "-" + std::to_string(::getpid()) + "-" + std::to_string(now) + "-" +
         std::to_string(++counter);
}

// Polls until the consumer is caught up and holds at least `at_least`
// records, within a bounded number of polls (joining a group takes a few
// seconds; each poll waits at most `wait_ms`).
inline std::vector<ConsumedRecord> drain(Consumer& consumer, std::size_t at_least = 0, int max_polls = 240,
                                         int wait_ms = 250) {
  std::vector<ConsumedRecord> all;
  for (int i = 0; i < max_polls; ++i) {
    PollResult polled = expect_ok(consumer.poll(1000, wait_ms));
    for (auto& r : polled.records) all.push_back(std::move(r));
    if (polled.caught_up && all.size() >= at_least) return all;
  }
  ADD_FAILURE() << "consumer never caught up (holding " << all.size() << " records, expected at least " << at_least
                << ")";
  return all;
}

}  // namespace squall::log::kafka::test_support
