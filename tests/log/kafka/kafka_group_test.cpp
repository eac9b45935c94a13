// Consumer groups on the real broker (SQUALL_TEST_KAFKA): members share a
// topic's partitions, and partitions moving between members (cooperative
// rebalancing) lose nothing.

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <memory>
#include <set>

#include <gtest/gtest.h>

#include "log/kafka/kafka_test_support.hpp"

namespace squall::log {
namespace {

using namespace kafka::test_support;
using log::test_support::numbered_records;
using log::test_support::positions_after;

std::string describe(const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return "no partitions";
  std::string text;
  for (const TopicPartition& p : partitions) text += (text.empty() ? "" : ", ") + p.topic + "/" + std::to_string(p.partition);
  return text;
}

// Where each partition of the topic starts. Above 0, the broker deleted
// records (retention), and no consumer could have read them.
std::string log_starts(const LogOptions& options, const std::string& topic) {
  auto described = describe_topic(options, topic);
  if (!described.ok()) return "unknown (" + described.error().message + ")";
  std::string text;
  for (const PartitionDescription& p : described->partitions) {
    text += (text.empty() ? "" : ", ") + std::to_string(p.partition) + ": " + std::to_string(p.earliest_offset);
  }
  return text;
}

class KafkaGroupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string address = broker_address();
    ASSERT_FALSE(address.empty());
    options_ = kafka_options(address);
    topic_ = unique_name("topic");
    group_ = unique_name("group");
    expect_ok(create_topic(options_, topic_, 4));
    producer_ = expect_ok(open_producer(options_));
  }

  std::unique_ptr<Consumer> member() { return expect_ok(open_consumer(options_, group_, {topic_}, StartFrom::earliest)); }

  // Produces `count` records valued "<prefix><i>" and remembers them.
  void produce(int count, const std::string& prefix) {
    const auto records = numbered_records(count, 40, prefix);
    expect_ok(producer_->produce(topic_, records));
    expect_ok(producer_->flush());
    for (const Record& r : records) expected_.insert(r.value);
  }

  // One poll, its records remembered by member, then committed as the
  // processor does after every batch.
  void poll_and_commit(Consumer& consumer, int member_index) {
    PollResult polled = expect_ok(consumer.poll(500, 100));
    for (const auto& r : polled.records) {
      received_[member_index].insert(r.record.value);
      seen_.insert(r.record.value);
    }
    expect_ok(consumer.commit(positions_after(polled.records)));
  }

  LogOptions options_;
  std::string topic_;
  std::string group_;
  std::unique_ptr<Producer> producer_;
  std::set<std::string> expected_;
  std::set<std::string> seen_;
  std::map<int, std::set<std::string>> received_;
};

TEST_F(KafkaGroupTest, MembersShareThePartitionsAndALeavingMemberLosesNothing) {
  auto first = member();
  auto second = member();
  // Keep records flowing until both members hold partitions (the group
  // settles within a few rebalance rounds).
  int rounds = 0;
  for (; rounds < 200 && (received_[0].empty() || received_[1].empty()); ++rounds) {
    produce(40, "r" + std::to_string(rounds) + "-");
    poll_and_commit(*first, 0);
    poll_and_commit(*second, 1);
  }
  ASSERT_FALSE(received_[0].empty()) << "the first member got nothing in " << rounds << " rounds; it holds "
                                     << describe(first->assignment());
  ASSERT_FALSE(received_[1].empty()) << "the second member got nothing in " << rounds << " rounds; it holds "
                                     << describe(second->assignment());

  // The second member leaves; its partitions move to the first, which must
  // then see everything produced, before and after.
  second.reset();
  produce(200, "after-");
  // Bounded by time, not by a count of polls: a poll returns at once while
  // the member holds no partitions, and a loaded broker can take a while to
  // hand them over.
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + std::chrono::seconds(120);
  while (seen_ != expected_ && std::chrono::steady_clock::now() < deadline) poll_and_commit(*first, 0);
  std::vector<std::string> missing;
  std::set_difference(expected_.begin(), expected_.end(), seen_.begin(), seen_.end(), std::back_inserter(missing));
  const auto waited = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
  EXPECT_TRUE(missing.empty()) << missing.size() << " records never consumed, e.g. " << missing.front() << ", after "
                               << waited.count() << " s; the first member holds " << describe(first->assignment())
                               << ", the group lags " << expect_ok(first->group_lag())
                               << " records, and the partitions start at offsets " << log_starts(options_, topic_);
}

TEST_F(KafkaGroupTest, AMemberWithoutPartitionsIsCaughtUp) {
  const std::string single = unique_name("single");
  expect_ok(create_topic(options_, single, 1));
  auto open = [&] { return expect_ok(open_consumer(options_, group_, {single}, StartFrom::earliest)); };
  auto first = open();
  auto second = open();
  // One partition, two members: once the group settles, one member reads it
  // and the other has nothing to do, and both say they are caught up.
  bool both_caught_up = false;
  for (int round = 0; round < 200 && !both_caught_up; ++round) {
    const PollResult a = expect_ok(first->poll(100, 100));
    const PollResult b = expect_ok(second->poll(100, 100));
    both_caught_up = a.caught_up && b.caught_up;
  }
  EXPECT_TRUE(both_caught_up);
}

TEST_F(KafkaGroupTest, MembersClosedBeforeTheirFirstAssignmentLeaveCleanly) {
  { auto never_polled = member(); }
  auto first = member();
  auto second = member();
  expect_ok(first->poll(10, 0));
  expect_ok(second->poll(10, 0));
  first.reset();
  second.reset();

  // The group still works afterwards.
  produce(20, "x");
  auto last = member();
  EXPECT_EQ(drain(*last, 20).size(), 20u);
}

}  // namespace
}  // namespace squall::log
