// Produce / poll / commit behaviour of the embedded log through the public
// interface (log.hpp), as the processor and the CLI use it.

#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "core/sqlite.hpp"
#include "log/embedded/log_database.hpp"
#include "log/log_test_support.hpp"

namespace squall::log {
namespace {

using namespace test_support;

class EmbeddedLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Producer> producer() { return expect_ok(open_producer(options_)); }
  std::unique_ptr<Consumer> consumer(const std::string& group, StartFrom start = StartFrom::earliest,
                                     std::vector<std::string> topics = {"weather"}) {
    return expect_ok(open_consumer(options_, group, std::move(topics), start));
  }

  squall::test::TempDir dir_;
  LogOptions options_ = options_in(dir_);
};

TEST_F(EmbeddedLogTest, RoundTripsRecordsWithKeysAndHeaders) {
  const auto sent = numbered_records(200, 10);
  expect_ok(producer()->produce("weather", sent));
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(options_.data_dir) / "log.db"));

  const auto got = drain(*consumer("processor"), 37);
  ASSERT_EQ(got.size(), sent.size());
  std::map<std::string, std::vector<std::string>> values_by_key;
  for (const auto& r : got) {
    EXPECT_EQ(r.where.topic, "weather");
    // Same key, same partition: the one Kafka's partitioner picks.
    EXPECT_EQ(r.where.partition, partition_for_key(r.record.key, options_.default_partitions));
    values_by_key[r.record.key].push_back(r.record.value);
    const int seq = std::stoi(std::string(r.record.header("seq").value()));
    EXPECT_EQ(r.record, sent[static_cast<std::size_t>(seq)]);
  }
  // Per key, records come back in the order they were produced.
  for (const auto& [key, values] : values_by_key) {
    for (std::size_t i = 1; i < values.size(); ++i) {
      EXPECT_LT(std::stoi(values[i - 1].substr(1)), std::stoi(values[i].substr(1))) << key;
    }
  }
  for (const auto& [where, offsets] : offsets_by_partition(got)) expect_contiguous_from(offsets, 0);
}

TEST_F(EmbeddedLogTest, OffsetsContinueAcrossProduceCallsAndProducers) {
  expect_ok(producer()->produce("weather", numbered_records(30, 5, "a")));
  auto second = producer();
  expect_ok(second->produce("weather", numbered_records(30, 5, "b")));
  expect_ok(second->produce("weather", numbered_records(30, 5, "c")));

  const auto got = drain(*consumer("g"));
  ASSERT_EQ(got.size(), 90U);
  for (const auto& [where, offsets] : offsets_by_partition(got)) expect_contiguous_from(offsets, 0);
}

TEST_F(EmbeddedLogTest, PollReturnsAtMostMaxRecordsAndIsFairAcrossPartitions) {
  expect_ok(producer()->produce("weather", numbered_records(400, 40)));
  auto reader = consumer("g");
  PollResult first = expect_ok(reader->poll(8, 0));
  ASSERT_EQ(first.records.size(), 8U);
  EXPECT_FALSE(first.caught_up);
  std::set<std::int32_t> partitions;
  for (const auto& r : first.records) partitions.insert(r.where.partition);
  EXPECT_EQ(partitions.size(), 4U) << "every partition gets a share of a small poll";

  std::size_t total = first.records.size();
  for (int i = 0; i < 200 && total < 400; ++i) {
    PollResult next = expect_ok(reader->poll(7, 0));
    EXPECT_LE(next.records.size(), 7U);
    total += next.records.size();
  }
  EXPECT_EQ(total, 400U);
  EXPECT_TRUE(expect_ok(reader->poll(7, 0)).caught_up);
}

TEST_F(EmbeddedLogTest, ZeroMaxRecordsReturnsNothingButReportsCaughtUp) {
  expect_ok(producer()->produce("weather", numbered_records(3, 3)));
  PollResult polled = expect_ok(consumer("g")->poll(0, 1000));
  EXPECT_TRUE(polled.records.empty());
  EXPECT_FALSE(polled.caught_up);
}

TEST_F(EmbeddedLogTest, CaughtUpMeansNothingLeftForThisConsumer) {
  auto reader = consumer("g");
  PollResult empty = expect_ok(reader->poll(10, 0));
  EXPECT_TRUE(empty.records.empty());
  EXPECT_TRUE(empty.caught_up) << "no topic yet: nothing to read";

  expect_ok(producer()->produce("weather", numbered_records(10, 10)));
  PollResult part = expect_ok(reader->poll(5, 0));
  EXPECT_EQ(part.records.size(), 5U);
  EXPECT_FALSE(part.caught_up);
  PollResult rest = expect_ok(reader->poll(100, 0));
  EXPECT_EQ(rest.records.size(), 5U);
  EXPECT_TRUE(rest.caught_up);
}

TEST_F(EmbeddedLogTest, IdlePollWaitsForNewRecordsUpToItsTimeout) {
  auto reader = consumer("g");
  PollResult idle = expect_ok(reader->poll(10, 30));
  EXPECT_TRUE(idle.records.empty());
  EXPECT_TRUE(idle.caught_up);
}

TEST_F(EmbeddedLogTest, CommittedPositionSurvivesReopening) {
  expect_ok(producer()->produce("weather", numbered_records(100, 7)));
  std::vector<ConsumedRecord> first_half;
  {
    auto reader = consumer("processor");
    first_half = expect_ok(reader->poll(50, 0)).records;
    ASSERT_EQ(first_half.size(), 50U);
    expect_ok(reader->commit(positions_after(first_half)));
  }
  auto rest = drain(*consumer("processor"));
  EXPECT_EQ(rest.size(), 50U);
  std::set<std::string> seen;
  for (const auto& r : first_half) seen.insert(r.record.value);
  for (const auto& r : rest) EXPECT_TRUE(seen.insert(r.record.value).second) << "read twice: " << r.record.value;
  EXPECT_EQ(seen.size(), 100U);

  // Another group has its own position.
  EXPECT_EQ(drain(*consumer("other")).size(), 100U);
}

TEST_F(EmbeddedLogTest, CommitRejectsNegativeOffsets) {
  auto reader = consumer("g");
  const std::vector<CommitPosition> bad{{{"weather", 0}, -1}};
  auto committed = reader->commit(bad);
  ASSERT_FALSE(committed.ok());
  EXPECT_EQ(committed.error().code, Errc::invalid_argument);
}

TEST_F(EmbeddedLogTest, StartFromEarliestOrLatestWhenTheGroupHasNoPosition) {
  auto writer = producer();
  expect_ok(writer->produce("weather", numbered_records(10, 3, "old")));
  auto latest = consumer("latest", StartFrom::latest);
  auto earliest = consumer("earliest", StartFrom::earliest);
  PollResult nothing = expect_ok(latest->poll(100, 0));
  EXPECT_TRUE(nothing.records.empty());
  EXPECT_TRUE(nothing.caught_up);

  expect_ok(writer->produce("weather", numbered_records(5, 3, "new")));
  const auto new_only = drain(*latest);
  ASSERT_EQ(new_only.size(), 5U);
  for (const auto& r : new_only) EXPECT_EQ(r.record.value.substr(0, 3), "new");
  EXPECT_EQ(drain(*earliest).size(), 15U);
}

TEST_F(EmbeddedLogTest, CommittedPositionWinsOverStartFrom) {
  auto writer = producer();
  expect_ok(writer->produce("weather", numbered_records(20, 1)));
  {
    auto reader = consumer("g");
    expect_ok(reader->commit(std::vector<CommitPosition>{{{"weather", partition_for_key("4000000", 4)}, 5}}));
  }
  const auto got = drain(*consumer("g", StartFrom::latest));
  ASSERT_EQ(got.size(), 15U);
  EXPECT_EQ(got.front().offset, 5);
}

TEST_F(EmbeddedLogTest, ReadsSeveralTopics) {
  auto writer = producer();
  expect_ok(writer->produce("weather", numbered_records(12, 4, "w")));
  expect_ok(writer->produce("weather.dlq", numbered_records(3, 1, "d")));
  const auto got = drain(*consumer("g", StartFrom::earliest, {"weather", "weather.dlq"}));
  std::map<std::string, int> per_topic;
  for (const auto& r : got) {
    ++per_topic[r.where.topic];
    EXPECT_EQ(r.record.value[0], r.where.topic == "weather" ? 'w' : 'd');
  }
  EXPECT_EQ(per_topic["weather"], 12);
  EXPECT_EQ(per_topic["weather.dlq"], 3);
}

TEST_F(EmbeddedLogTest, FindsTopicsCreatedAfterItOpened) {
  // Even from "latest": the topic's records all arrived after the consumer opened.
  auto reader = consumer("g", StartFrom::latest, {"weather", "weather.dlq"});
  EXPECT_TRUE(expect_ok(reader->poll(10, 0)).caught_up);
  auto writer = producer();
  expect_ok(writer->produce("weather.dlq", numbered_records(6, 2)));
  const auto got = drain(*reader);
  ASSERT_EQ(got.size(), 6U);
  for (const auto& r : got) EXPECT_EQ(r.where.topic, "weather.dlq");
}

TEST_F(EmbeddedLogTest, LagCountsFromTheCommittedPosition) {
  expect_ok(producer()->produce("weather", numbered_records(100, 10)));
  auto reader = consumer("g");
  EXPECT_EQ(total_lag(expect_ok(reader->lag())), 100);
  const auto half = expect_ok(reader->poll(50, 0)).records;
  expect_ok(reader->commit(positions_after(half)));
  EXPECT_EQ(total_lag(expect_ok(reader->lag())), 50);
  const auto rest = drain(*reader);
  EXPECT_EQ(total_lag(expect_ok(reader->lag())), 50) << "read but not committed";
  expect_ok(reader->commit(positions_after(rest)));
  EXPECT_EQ(total_lag(expect_ok(reader->lag())), 0);
  // Without a committed position, lag counts from where the consumer is.
  EXPECT_EQ(total_lag(expect_ok(consumer("late", StartFrom::latest)->lag())), 0);
  EXPECT_EQ(total_lag(expect_ok(consumer("new", StartFrom::earliest)->lag())), 100);
}

TEST_F(EmbeddedLogTest, EmptyProduceIsANoOp) {
  expect_ok(producer()->produce("weather", std::span<const Record>{}));
  EXPECT_TRUE(expect_ok(list_topics(options_)).empty());
}

TEST_F(EmbeddedLogTest, CreatesAndListsTopics) {
  expect_ok(create_topic(options_, "b-topic", 3));
  expect_ok(create_topic(options_, "a.topic", 1));
  expect_ok(create_topic(options_, "b-topic", 3));  // same shape again: fine
  auto conflict = create_topic(options_, "b-topic", 5);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, Errc::invalid_argument);
  EXPECT_NE(conflict.error().message.find("already exists with 3 partitions"), std::string::npos)
      << conflict.error().message;

  expect_ok(producer()->produce("weather", numbered_records(3, 3)));
  const auto topics = expect_ok(list_topics(options_));
  ASSERT_EQ(topics.size(), 3U);
  EXPECT_EQ(topics[0].name, "a.topic");
  EXPECT_EQ(topics[0].partitions, 1);
  EXPECT_EQ(topics[1].name, "b-topic");
  EXPECT_EQ(topics[1].partitions, 3);
  EXPECT_EQ(topics[2].name, "weather");
  EXPECT_EQ(topics[2].partitions, options_.default_partitions);
}

TEST_F(EmbeddedLogTest, DescribesPartitionsWithTheirOffsets) {
  expect_ok(create_topic(options_, "three", 3));
  expect_ok(producer()->produce("three", numbered_records(60, 60)));
  const TopicDescription topic = expect_ok(describe_topic(options_, "three"));
  EXPECT_EQ(topic.name, "three");
  EXPECT_EQ(topic.replication_factor, 1);
  ASSERT_EQ(topic.partitions.size(), 3U);
  std::int64_t records = 0;
  for (std::size_t i = 0; i < topic.partitions.size(); ++i) {
    const auto& p = topic.partitions[i];
    EXPECT_EQ(p.partition, static_cast<std::int32_t>(i));
    EXPECT_EQ(p.leader, 0);
    EXPECT_EQ(p.earliest_offset, 0);
    records += p.end_offset - p.earliest_offset;
  }
  EXPECT_EQ(records, 60);
  auto missing = describe_topic(options_, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST_F(EmbeddedLogTest, ProducesIntoAnExplicitlyCreatedTopicsPartitions) {
  expect_ok(create_topic(options_, "three", 3));
  expect_ok(producer()->produce("three", numbered_records(60, 60)));
  const auto got = drain(*consumer("g", StartFrom::earliest, {"three"}));
  ASSERT_EQ(got.size(), 60U);
  std::set<std::int32_t> partitions;
  for (const auto& r : got) {
    EXPECT_EQ(r.where.partition, partition_for_key(r.record.key, 3));
    partitions.insert(r.where.partition);
  }
  EXPECT_EQ(partitions, (std::set<std::int32_t>{0, 1, 2}));
}

TEST_F(EmbeddedLogTest, RejectsBadTopicNamesPartitionCountsAndGroups) {
  for (const char* name : {"", ".", "..", "has space", "slash/topic", "ünïcode"}) {
    auto created = create_topic(options_, name, 1);
    ASSERT_FALSE(created.ok()) << name;
    EXPECT_EQ(created.error().code, Errc::invalid_argument) << name;
    auto produced = producer()->produce(name, numbered_records(1, 1));
    ASSERT_FALSE(produced.ok()) << name;
    EXPECT_NE(produced.error().message.find("invalid topic name"), std::string::npos) << produced.error().message;
  }
  EXPECT_FALSE(create_topic(options_, std::string(250, 'x'), 1).ok());
  EXPECT_TRUE(create_topic(options_, std::string(249, 'x'), 1).ok());
  EXPECT_FALSE(create_topic(options_, "zero", 0).ok());
  EXPECT_FALSE(create_topic(options_, "huge", 10'001).ok());
  EXPECT_FALSE(open_consumer(options_, "", {"weather"}, StartFrom::earliest).ok());
  EXPECT_FALSE(open_consumer(options_, "g", {}, StartFrom::earliest).ok());
  LogOptions no_partitions = options_;
  no_partitions.default_partitions = 0;
  EXPECT_FALSE(open_producer(no_partitions).ok());
}

TEST_F(EmbeddedLogTest, UnknownLogUrlsAreRejectedByName) {
  LogOptions other = options_;
  other.url = "zookeeper://127.0.0.1:2181";
  auto producer = open_producer(other);
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.error().code, Errc::invalid_argument);
  EXPECT_EQ(producer.error().message,
            "unsupported log url 'zookeeper://127.0.0.1:2181': expected 'embedded' or kafka://HOST:PORT[,HOST:PORT...]");
  EXPECT_FALSE(open_consumer(other, "g", {"weather"}, StartFrom::earliest).ok());
  EXPECT_FALSE(list_topics(other).ok());
  EXPECT_FALSE(create_topic(other, "t", 1).ok());

  LogOptions empty_url = options_;
  empty_url.url.clear();
  EXPECT_TRUE(open_producer(empty_url).ok());
}

TEST_F(EmbeddedLogTest, UnwritableDataDirIsAnIoError) {
  const std::string file = dir_.file("a-file");
  std::FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  LogOptions bad = options_;
  bad.data_dir = file + "/data";
  auto producer = open_producer(bad);
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.error().code, Errc::io);
  EXPECT_NE(producer.error().message.find("cannot create data dir"), std::string::npos) << producer.error().message;
}

TEST_F(EmbeddedLogTest, ACorruptBatchIsAParseErrorNamingWhere) {
  expect_ok(producer()->produce("weather", numbered_records(4, 1)));
  {
    auto db = expect_ok(sqlite::Database::open(embedded::database_path(options_), sqlite::OpenOptions{}));
    expect_ok(db.exec("UPDATE batches SET payload = x'01050000'"));
  }
  auto polled = consumer("g")->poll(10, 0);
  ASSERT_FALSE(polled.ok());
  EXPECT_EQ(polled.error().code, Errc::parse);
  EXPECT_NE(polled.error().message.find("weather/"), std::string::npos) << polled.error().message;
  EXPECT_NE(polled.error().message.find("corrupt batch"), std::string::npos) << polled.error().message;
}

TEST_F(EmbeddedLogTest, ANewLogFileUsesLargePagesAndWal) {
  expect_ok(producer()->produce("weather", numbered_records(1, 1)));
  auto db = expect_ok(sqlite::Database::open(embedded::database_path(options_), sqlite::OpenOptions{}));
  auto page_size = expect_ok(db.prepare("PRAGMA page_size"));
  ASSERT_TRUE(expect_ok(page_size.step()));
  EXPECT_EQ(page_size.int64(0), 65536);
  auto mode = expect_ok(db.prepare("PRAGMA journal_mode"));
  ASSERT_TRUE(expect_ok(mode.step()));
  EXPECT_EQ(mode.text(0), "wal");
}

TEST_F(EmbeddedLogTest, RefusesALogWrittenByANewerSchema) {
  expect_ok(producer()->produce("weather", numbered_records(1, 1)));
  {
    auto db = expect_ok(sqlite::Database::open(embedded::database_path(options_), sqlite::OpenOptions{}));
    expect_ok(db.exec("PRAGMA user_version = 99"));
  }
  auto reopened = open_producer(options_);
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("schema version 99"), std::string::npos) << reopened.error().message;
}

}  // namespace
}  // namespace squall::log
