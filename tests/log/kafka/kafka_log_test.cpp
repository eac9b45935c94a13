// The Kafka log backend against a real broker (SQUALL_TEST_KAFKA): produce,
// consume, commit and topic administration through the public interface
// (log.hpp), as the processor and the CLI use it.

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>

#include <gtest/gtest.h>
#include <librdkafka/rdkafkacpp.h>

#include "log/kafka/kafka_test_support.hpp"

namespace squall::log {
namespace {

using namespace kafka::test_support;
using log::test_support::numbered_records;
using log::test_support::positions_after;
using log::test_support::recent_timestamp_ms;
using log::test_support::record;

class KafkaLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    address_ = broker_address();
    ASSERT_FALSE(address_.empty());
    options_ = kafka_options(address_);
    topic_ = unique_name("topic");
  }

  std::unique_ptr<Producer> producer() { return expect_ok(open_producer(options_)); }
  std::unique_ptr<Consumer> consumer(const std::string& group, StartFrom start = StartFrom::earliest) {
    return expect_ok(open_consumer(options_, group, {topic_}, start));
  }
  void produce(const std::vector<Record>& records) {
    auto p = producer();
    expect_ok(p->produce(topic_, records));
    expect_ok(p->flush());
  }

  std::string address_;
  LogOptions options_;
  std::string topic_;
};

// Consumed records by their "seq" header (numbered_records sets it).
std::map<std::string, Record> by_seq(const std::vector<ConsumedRecord>& consumed) {
  std::map<std::string, Record> records;
  for (const auto& c : consumed) records.emplace(std::string(c.record.header("seq").value_or("")), c.record);
  return records;
}

TEST_F(KafkaLogTest, RoundTripsRecordsWithKeysHeadersAndTimestamps) {
  std::vector<Record> records = numbered_records(50, 5);
  records.push_back(record("4887398", std::string("binary\0value\xff", 13),
                           {{"seq", "50"}, {"source", "simulator"}, {"source", "again"}, {"empty", ""}},
                           recent_timestamp_ms() + 123'456));
  produce(records);

  auto c = consumer(unique_name("group"));
  const auto consumed = drain(*c, records.size());
  ASSERT_EQ(consumed.size(), records.size());
  const auto received = by_seq(consumed);
  for (const Record& sent : records) {
    auto found = received.find(std::string(sent.header("seq").value()));
    ASSERT_NE(found, received.end()) << sent.value;
    EXPECT_EQ(found->second, sent);
  }
  // Each key's records stay in the order they were produced.
  std::map<std::string, std::vector<int>> order;
  for (const auto& c_record : consumed) {
    order[c_record.record.key].push_back(std::stoi(std::string(c_record.record.header("seq").value())));
  }
  for (const auto& [key, seqs] : order) EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end())) << key;
}

TEST_F(KafkaLogTest, KeysLandOnThePartitionsPartitionForKeyNames) {
  constexpr std::int32_t kPartitions = 6;
  expect_ok(create_topic(options_, topic_, kPartitions));
  std::vector<Record> records;
  for (int i = 0; i < 300; ++i) records.push_back(record(std::to_string(4'000'000 + i * 7919), "v"));
  for (const char* key : {"4887398", "4164138", "5391959", "São Paulo", "", "Zürich"}) {
    records.push_back(record(key, "v"));
  }
  produce(records);

  auto c = consumer(unique_name("group"));
  const auto consumed = drain(*c, records.size());
  ASSERT_EQ(consumed.size(), records.size());
  std::set<std::int32_t> used;
  for (const auto& r : consumed) {
    EXPECT_EQ(r.where.partition, partition_for_key(r.record.key, kPartitions)) << "key '" << r.record.key << "'";
    used.insert(r.where.partition);
  }
  EXPECT_EQ(used.size(), static_cast<std::size_t>(kPartitions));
}

TEST_F(KafkaLogTest, ANewMemberOfTheGroupResumesAfterTheCommittedPosition) {
  const std::string group = unique_name("group");
  produce(numbered_records(40, 4, "a"));
  std::vector<CommitPosition> committed;
  {
    auto first = consumer(group);
    const auto consumed = drain(*first, 40);
    ASSERT_EQ(consumed.size(), 40u);
    committed = positions_after(consumed);
    expect_ok(first->commit(committed));
  }
  produce(numbered_records(25, 4, "b"));

  auto second = consumer(group);
  const auto consumed = drain(*second, 25);
  ASSERT_EQ(consumed.size(), 25u);
  for (const auto& r : consumed) EXPECT_EQ(r.record.value[0], 'b') << r.record.value;
  const auto offsets = log::test_support::offsets_by_partition(consumed);
  for (const CommitPosition& position : committed) {
    auto read = offsets.find(position.where);
    if (read == offsets.end()) continue;  // no "b" record hashed there
    log::test_support::expect_contiguous_from(read->second, position.next_offset);
  }
}

TEST_F(KafkaLogTest, StartFromEarliestReadsHistoryAndLatestOnlyNewRecords) {
  produce(numbered_records(10, 3, "old"));
  auto earliest = consumer(unique_name("earliest"), StartFrom::earliest);
  auto latest = consumer(unique_name("latest"), StartFrom::latest);
  EXPECT_EQ(drain(*earliest, 10).size(), 10u);
  EXPECT_TRUE(drain(*latest).empty());

  produce(numbered_records(5, 3, "new"));
  const auto from_latest = drain(*latest, 5);
  ASSERT_EQ(from_latest.size(), 5u);
  for (const auto& r : from_latest) EXPECT_EQ(r.record.value.substr(0, 3), "new");
  EXPECT_EQ(drain(*earliest, 5).size(), 5u);
}

TEST_F(KafkaLogTest, CreatesListsAndAutoCreatesTopics) {
  expect_ok(create_topic(options_, topic_, 3));
  expect_ok(create_topic(options_, topic_, 3));  // already there with that count: fine
  auto other_count = create_topic(options_, topic_, 5);
  ASSERT_FALSE(other_count.ok());
  EXPECT_EQ(other_count.error().code, Errc::invalid_argument);
  EXPECT_NE(other_count.error().message.find("already exists with 3 partitions"), std::string::npos)
      << other_count.error().message;
  auto bad_name = create_topic(options_, "no spaces allowed", 1);
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error().code, Errc::invalid_argument);

  // First use creates the topic with the configured default, not the
  // broker's own default (4 on the test broker).
  const std::string auto_created = unique_name("auto");
  options_.default_partitions = 2;
  auto p = producer();
  expect_ok(p->produce(auto_created, numbered_records(3, 3)));
  expect_ok(p->flush());

  const auto topics = expect_ok(list_topics(options_));
  std::map<std::string, std::int32_t> partitions;
  for (const TopicInfo& topic : topics) partitions[topic.name] = topic.partitions;
  EXPECT_EQ(partitions[topic_], 3);
  EXPECT_EQ(partitions[auto_created], 2);
  EXPECT_FALSE(partitions.contains("__consumer_offsets"));
  EXPECT_TRUE(std::is_sorted(topics.begin(), topics.end(),
                             [](const TopicInfo& a, const TopicInfo& b) { return a.name < b.name; }));
}

TEST_F(KafkaLogTest, DescribesPartitionsLeadersReplicasAndOffsets) {
  expect_ok(create_topic(options_, topic_, 3));
  produce(numbered_records(30, 30));
  const TopicDescription topic = expect_ok(describe_topic(options_, topic_));
  EXPECT_EQ(topic.replication_factor, 1);
  ASSERT_EQ(topic.partitions.size(), 3U);
  std::int64_t records = 0;
  for (std::size_t i = 0; i < topic.partitions.size(); ++i) {
    const auto& p = topic.partitions[i];
    EXPECT_EQ(p.partition, static_cast<std::int32_t>(i));
    EXPECT_GE(p.leader, 0);
    EXPECT_EQ(p.replicas, std::vector<std::int32_t>{p.leader});
    EXPECT_EQ(p.in_sync_replicas, p.replicas);
    records += p.end_offset - p.earliest_offset;
  }
  EXPECT_EQ(records, 30);
  auto missing = describe_topic(options_, unique_name("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(KafkaLogTest, GroupLagCountsEveryPartitionWhoeverHoldsIt) {
  expect_ok(create_topic(options_, topic_, 3));
  produce(numbered_records(30, 30));
  const std::string group = unique_name("group");
  {
    auto reader = expect_ok(open_consumer(options_, group, {topic_}, StartFrom::earliest));
    const auto got = drain(*reader, 30);
    ASSERT_EQ(got.size(), 30U);
    expect_ok(reader->commit(positions_after(got)));
    EXPECT_EQ(expect_ok(reader->group_lag()), 0);
  }
  produce(numbered_records(12, 12));
  // A member that has read nothing and holds nothing yet still sees what the group owes.
  auto newcomer = expect_ok(open_consumer(options_, group, {topic_}, StartFrom::earliest));
  EXPECT_EQ(expect_ok(newcomer->group_lag()), 12);
}

TEST_F(KafkaLogTest, CaughtUpAndLagFollowTheReadAndCommittedPositions) {
  expect_ok(create_topic(options_, topic_, 1));
  produce(numbered_records(30, 3));
  auto c = consumer(unique_name("group"));

  PollResult first;
  for (int i = 0; i < 240 && first.records.empty(); ++i) first = expect_ok(c->poll(5, 250));
  ASSERT_FALSE(first.records.empty());
  EXPECT_LE(first.records.size(), 5u);
  EXPECT_FALSE(first.caught_up);  // the rest of the 30 is still there

  auto rest = drain(*c, 30 - first.records.size());
  EXPECT_EQ(first.records.size() + rest.size(), 30u);
  EXPECT_EQ(total_lag(expect_ok(c->lag())), 0);  // nothing committed: counted from the read position

  const TopicPartition where{topic_, 0};
  const std::vector<CommitPosition> ten{{where, 10}};
  expect_ok(c->commit(ten));
  EXPECT_EQ(total_lag(expect_ok(c->lag())), 20);
  const std::vector<CommitPosition> all{{where, 30}};
  expect_ok(c->commit(all));
  EXPECT_EQ(total_lag(expect_ok(c->lag())), 0);

  produce(numbered_records(10, 3, "more"));
  EXPECT_EQ(drain(*c, 10).size(), 10u);
  EXPECT_EQ(total_lag(expect_ok(c->lag())), 10);  // read, not committed
}

TEST_F(KafkaLogTest, RecordsWithoutKeyOrHeadersFromAnotherProducerAreConsumed) {
  expect_ok(create_topic(options_, topic_, 2));
  {
    std::string why;
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    ASSERT_EQ(conf->set("bootstrap.servers", address_, why), RdKafka::Conf::CONF_OK) << why;
    std::unique_ptr<RdKafka::Producer> raw(RdKafka::Producer::create(conf.get(), why));
    ASSERT_NE(raw, nullptr) << why;
    std::string value = R"({"id":4887398,"dt":1700000000})";
    ASSERT_EQ(raw->produce(topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, value.data(),
                           value.size(), nullptr, 0, 0, nullptr, nullptr),
              RdKafka::ERR_NO_ERROR);
    // A tombstone: no key, no value.
    ASSERT_EQ(raw->produce(topic_, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY, nullptr, 0, nullptr,
                           0, 0, nullptr, nullptr),
              RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(raw->flush(30'000), RdKafka::ERR_NO_ERROR);
  }
  auto c = consumer(unique_name("group"));
  const auto consumed = drain(*c, 2);
  ASSERT_EQ(consumed.size(), 2u);
  std::multiset<std::string> values;
  for (const auto& r : consumed) {
    EXPECT_EQ(r.record.key, "");
    EXPECT_TRUE(r.record.headers.empty());
    EXPECT_GT(r.record.timestamp_ms, 0);  // the raw producer's create time
    values.insert(r.record.value);
  }
  EXPECT_EQ(values, (std::multiset<std::string>{"", R"({"id":4887398,"dt":1700000000})"}));
}

TEST_F(KafkaLogTest, FlushReportsARecordTheBrokerRejected) {
  // The client would send it; the broker (max.message.bytes about 1 MB) refuses.
  options_.kafka_properties["message.max.bytes"] = "8000000";
  auto p = producer();
  std::string too_large(3'000'000, '\0');
  std::mt19937 random(7);
  for (char& byte : too_large) byte = static_cast<char>(random());  // incompressible
  const std::vector<Record> rejected{record("4887398", too_large)};
  expect_ok(p->produce(topic_, rejected));
  auto flushed = p->flush();
  ASSERT_FALSE(flushed.ok());
  EXPECT_EQ(flushed.error().code, Errc::invalid_argument);
  EXPECT_NE(flushed.error().message.find("did not accept 1 record"), std::string::npos) << flushed.error().message;

  // The failure was reported once; the producer keeps working.
  expect_ok(p->produce(topic_, numbered_records(3, 3)));
  expect_ok(p->flush());
  auto c = consumer(unique_name("group"));
  EXPECT_EQ(drain(*c, 3).size(), 3u);
}

TEST_F(KafkaLogTest, TheRecordLimitIsTheProducersMessageMaxBytes) {
  auto p = producer();
  EXPECT_EQ(p->max_record_bytes(), 1'000'000u);  // librdkafka's default
  const std::vector<Record> over{record("4887398", std::string(p->max_record_bytes() + 1, 'x'))};
  auto refused = p->produce(topic_, over);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("Message size too large"), std::string::npos) << refused.error().message;

  options_.kafka_properties["message.max.bytes"] = "2000000";
  EXPECT_EQ(producer()->max_record_bytes(), 2'000'000u);
}

TEST_F(KafkaLogTest, ProduceWaitsForRoomWhenTheLocalQueueIsFull) {
  options_.kafka_properties["queue.buffering.max.messages"] = "50";
  produce(numbered_records(3000, 30));
  auto c = consumer(unique_name("group"));
  EXPECT_EQ(by_seq(drain(*c, 3000)).size(), 3000u);
}

TEST_F(KafkaLogTest, ReservedPropertiesCannotBeOverridden) {
  options_.kafka_properties["enable.auto.commit"] = "true";
  auto opened = open_consumer(options_, unique_name("group"), {topic_}, StartFrom::earliest);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::invalid_argument);
  EXPECT_NE(opened.error().message.find("enable.auto.commit"), std::string::npos);
}

// No broker needed: nothing listens on port 1.
TEST(KafkaUnreachableTest, EveryEntryPointFailsWithAClearErrorInsteadOfHanging) {
  LogOptions options;
  options.url = "kafka://127.0.0.1:1";
  options.kafka_timeout_ms = 1500;
  const std::string expected = "Kafka at 127.0.0.1:1 is unreachable";
  auto check = [&](const Error& error) {
    EXPECT_EQ(error.code, Errc::unavailable);
    EXPECT_EQ(error.message.substr(0, expected.size()), expected) << error.message;
  };
  auto producer = open_producer(options);
  ASSERT_FALSE(producer.ok());
  check(producer.error());
  auto consumer = open_consumer(options, "g", {"weather"}, StartFrom::earliest);
  ASSERT_FALSE(consumer.ok());
  check(consumer.error());
  auto topics = list_topics(options);
  ASSERT_FALSE(topics.ok());
  check(topics.error());
  auto created = create_topic(options, "weather", 1);
  ASSERT_FALSE(created.ok());
  check(created.error());
}

}  // namespace
}  // namespace squall::log
