// The Cassandra store against a real Apache Cassandra.
//
//   SQUALL_TEST_CASSANDRA=127.0.0.1:9042   where the server listens (required)
//
// Without it the binary fails: a missing server must not pass for a green
// run. Every test works in a keyspace of its own, dropped afterwards.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cql/cql.hpp"
#include "sample_observations.hpp"
#include "stream_contract.hpp"
#include "store/cassandra/cassandra_store.hpp"
#include "store/cassandra/observation_columns.hpp"
#include "store/cassandra/request_batches.hpp"
#include "store/cassandra/schema.hpp"
#include "store/store.hpp"

namespace squall::store {
namespace {

using test::full_observation;
using test::sparse_observation;

std::string& contact_point() {
  static std::string point;
  return point;
}

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kMidnight = 1'700'006'400;  // 2023-11-15T00:00:00Z

std::string unique_keyspace() {
  static int counter = 0;
  return "squall_cstore_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

StoreOptions options_for(const std::string& keyspace) {
  StoreOptions options;
  options.url = "cassandra://" + contact_point();
  options.keyspace = keyspace;
  options.consistency = "ONE";  // a single node
  options.replication = "SimpleStrategy:1";
  return options;
}

class CassandraStore : public ::testing::Test {
 protected:
  void SetUp() override {
    keyspace_ = unique_keyspace();
    auto opened = open_store(options_for(keyspace_));
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(opened).value();
  }

  void TearDown() override {
    store_.reset();
    cql::SessionOptions options;
    options.contact_points = {contact_point()};
    auto session = cql::Session::connect(options);
    ASSERT_TRUE(session.ok()) << session.error().message;
    auto dropped = (*session)->query("DROP KEYSPACE IF EXISTS " + keyspace_);
    EXPECT_TRUE(dropped.ok()) << dropped.error().message;
  }

  void write(const std::vector<Observation>& observations, const std::vector<DeadLetter>& letters = {}) {
    // Also offered to latest_by_city, as the processor does with a checkpoint.
    auto written = store_->write(WriteBatch{.observations = observations, .dead_letters = letters, .latest = observations});
    ASSERT_TRUE(written.ok()) << written.error().message;
  }

  std::vector<Observation> latest(std::optional<std::int64_t> city = std::nullopt) {
    auto rows = store_->latest(city);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? *rows : std::vector<Observation>{};
  }

  std::vector<Observation> history(const HistoryQuery& query) {
    auto rows = store_->history(query);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? *rows : std::vector<Observation>{};
  }

  Stats stats() {
    auto result = store_->stats();
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? *result : Stats{};
  }

  std::string keyspace_;
  std::unique_ptr<Store> store_;
};

HistoryQuery history_of(std::int64_t city, std::int64_t from = 0, std::int64_t to = INT64_MAX,
                        std::size_t limit = 1000) {
  HistoryQuery query;
  query.city_id = city;
  query.from = from;
  query.to = to;
  query.limit = limit;
  return query;
}

TEST_F(CassandraStore, RoundTripsEveryFieldIncludingAbsentOnes) {
  const Observation full = full_observation(4887398, kMidnight + 600);
  const Observation sparse = sparse_observation(524901, kMidnight - 5);
  write({full, sparse});

  EXPECT_EQ(latest(), (std::vector<Observation>{sparse, full}));  // by city id
  EXPECT_EQ(latest(4887398), std::vector<Observation>{full});
  EXPECT_TRUE(latest(1).empty());
  EXPECT_EQ(history(history_of(4887398)), std::vector<Observation>{full});
  EXPECT_EQ(history(history_of(524901)), std::vector<Observation>{sparse});
}

TEST_F(CassandraStore, WritingTheSameBatchTwiceLeavesTheSameRows) {
  // Enough rows for several batches per partition and more partitions than
  // requests in flight.
  std::vector<Observation> observations;
  for (int minute = 0; minute < 120; ++minute) observations.push_back(full_observation(1, kMidnight + minute * 60));
  for (int city = 100; city < 140; ++city) observations.push_back(sparse_observation(city, kMidnight + city));
  const std::vector<DeadLetter> letters{{"weather.raw", 0, 7, "not JSON", "{", kMidnight * 1000}};

  write(observations, letters);
  const Stats first = stats();
  const auto first_latest = latest();
  const auto first_history = history(history_of(1));
  write(observations, letters);

  EXPECT_EQ(first.observations, 160);
  EXPECT_EQ(first.cities, 41);
  EXPECT_EQ(first.dead_letters, 1);
  const Stats second = stats();
  EXPECT_EQ(second.observations, first.observations);
  EXPECT_EQ(second.cities, first.cities);
  EXPECT_EQ(second.dead_letters, first.dead_letters);
  EXPECT_EQ(latest(), first_latest);
  EXPECT_EQ(history(history_of(1)), first_history);
  EXPECT_EQ(first_history.size(), 120u);
}

TEST_F(CassandraStore, ALaterCopyOfAnObservationInTheSameBatchReplacesTheEarlierOne) {
  Observation first = full_observation(7, kMidnight + 600);
  first.temp_c = 1;
  const Observation between = full_observation(7, kMidnight + 1200);
  Observation second = first;
  second.temp_c = 2;
  Observation third = first;
  third.temp_c = 3;
  write({first, between, second, sparse_observation(8, kMidnight), third});
  EXPECT_EQ(history(history_of(7)), (std::vector<Observation>{between, third}));  // newest first
}

// An observation's absent fields are left unset (no tombstones); a late
// second report of a stored row must still replace it whole, absent fields
// included, as SQLite's upsert does.
TEST_F(CassandraStore, ALateSecondReportReplacesTheStoredRowWhole) {
  const Observation first = full_observation(9, kMidnight + 600);
  write({first});
  const Observation second = sparse_observation(9, kMidnight + 600);
  const std::vector<Observation> observations{second};
  const std::vector<LateRecord> late{{"weather", 0, 42, 9, kMidnight + 600, kMidnight + 7200}};
  auto written = store_->write(WriteBatch{.observations = observations, .late_records = late});
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(history(history_of(9)), std::vector<Observation>{second});
}

TEST_F(CassandraStore, LatestKeepsTheNewestWhenAnOlderObservationArrivesLater) {
  const Observation newer = full_observation(42, kMidnight + 3600);
  Observation older = full_observation(42, kMidnight);
  older.temp_c = -40;
  write({newer});
  write({older});
  EXPECT_EQ(latest(42), std::vector<Observation>{newer});

  // Within one batch too, whatever the order.
  Observation other_newer = newer;
  other_newer.city_id = 43;
  Observation other_older = older;
  other_older.city_id = 43;
  write({other_newer, other_older});
  EXPECT_EQ(latest(43), std::vector<Observation>{other_newer});

  // A newer observation lacking fields clears them: the row is exactly it.
  const Observation newest_sparse = sparse_observation(42, kMidnight + 7200);
  write({newest_sparse});
  EXPECT_EQ(latest(42), std::vector<Observation>{newest_sparse});
  EXPECT_EQ(history(history_of(42)).size(), 3u);
}

TEST_F(CassandraStore, HistoryIsNewestFirstWithinTheRangeAcrossDays) {
  std::vector<Observation> observations;
  for (int step = 0; step < 16; ++step) observations.push_back(sparse_observation(7, kMidnight + step * 6 * 3600));
  observations.push_back(sparse_observation(8, kMidnight + 3600));  // another city, never listed
  write(observations);

  std::vector<Observation> newest_first(observations.begin(), observations.end() - 1);
  std::reverse(newest_first.begin(), newest_first.end());
  EXPECT_EQ(history(history_of(7)), newest_first);

  // [from, to): from inclusive, to exclusive, spanning three day partitions.
  const std::int64_t from = kMidnight + 18 * 3600;  // step 3
  const std::int64_t to = kMidnight + 2 * kDay + 12 * 3600;  // step 10, excluded
  const auto in_range = history(history_of(7, from, to));
  ASSERT_EQ(in_range.size(), 7u);
  EXPECT_EQ(in_range.front().observed_at, kMidnight + 9 * 6 * 3600);
  EXPECT_EQ(in_range.back().observed_at, from);

  const auto limited = history(history_of(7, from, to, 5));
  EXPECT_EQ(limited, std::vector<Observation>(in_range.begin(), in_range.begin() + 5));

  EXPECT_TRUE(history(history_of(7, to, from)).empty());
  EXPECT_TRUE(history(history_of(7, 0, INT64_MAX, 0)).empty());
  EXPECT_TRUE(history(history_of(9)).empty());
  EXPECT_TRUE(history(history_of(7, kMidnight + 4 * kDay)).empty());
}

TEST_F(CassandraStore, DeadLettersRoundTripBinaryPayloadsNewestFirst) {
  const std::string binary("\0\xff\x80{\"dt\":", 9);
  const std::vector<DeadLetter> letters{
      {"weather.raw", 0, 10, "observed_at: missing", binary, 1'700'000'000'000},
      {"weather.raw", 1, 3, "main.temp: not a number", "{}", 1'700'000'002'000},
      {"weather.raw", 0, 11, "not JSON", "", 1'700'000'001'000},
  };
  write({}, letters);

  auto all = store_->dead_letters(10);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(*all, (std::vector<DeadLetter>{letters[1], letters[2], letters[0]}));
  auto newest = store_->dead_letters(1);
  ASSERT_TRUE(newest.ok()) << newest.error().message;
  EXPECT_EQ(*newest, std::vector<DeadLetter>{letters[1]});
}

TEST_F(CassandraStore, StatsCountRowsCitiesAndDeadLetters) {
  const Stats empty = stats();
  EXPECT_EQ(empty.observations, 0);
  EXPECT_EQ(empty.cities, 0);
  EXPECT_EQ(empty.dead_letters, 0);
  EXPECT_FALSE(empty.oldest_observed_at);
  EXPECT_FALSE(empty.newest_observed_at);

  write({sparse_observation(1, kMidnight), sparse_observation(1, kMidnight + kDay), sparse_observation(2, kMidnight - 1)},
        {{"weather.raw", 0, 1, "bad", "x", 5}, {"weather.raw", 2, 1, "bad", "y", 6}});
  const Stats counted = stats();
  EXPECT_EQ(counted.observations, 3);
  EXPECT_EQ(counted.cities, 2);
  EXPECT_EQ(counted.dead_letters, 2);
  EXPECT_EQ(counted.oldest_observed_at, kMidnight - 1);
  EXPECT_EQ(counted.newest_observed_at, kMidnight + kDay);
}

TEST_F(CassandraStore, SchemaIsCreatedOnOpenAndCreatingItAgainIsHarmless) {
  const StoreOptions options = options_for(keyspace_);
  auto checked = check_cassandra_schema(options);
  EXPECT_TRUE(checked.ok()) << checked.error().message;
  auto created = create_cassandra_schema(options);
  EXPECT_TRUE(created.ok()) << created.error().message;

  auto missing = check_cassandra_schema(options_for("squall_cstore_never_created"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("has no tables (or does not exist)"), std::string::npos)
      << missing.error().message;
}

TEST(CassandraSchema, ValidatesNamesAndReplication) {
  EXPECT_TRUE(cassandra_schema::check_keyspace_name("squall_2").ok());
  EXPECT_FALSE(cassandra_schema::check_keyspace_name("squall; DROP").ok());
  EXPECT_FALSE(cassandra_schema::check_keyspace_name("2squall").ok());
  EXPECT_EQ(cassandra_schema::replication_map("SimpleStrategy:3").value(),
            "{'class': 'SimpleStrategy', 'replication_factor': 3}");
  EXPECT_EQ(cassandra_schema::replication_map("NetworkTopologyStrategy:dc1:3,eu-west.2:2").value(),
            "{'class': 'NetworkTopologyStrategy', 'dc1': 3, 'eu-west.2': 2}");
  EXPECT_FALSE(cassandra_schema::replication_map("SimpleStrategy:0").ok());
  EXPECT_FALSE(cassandra_schema::replication_map("NetworkTopologyStrategy:dc'1:3").ok());
  EXPECT_FALSE(cassandra_schema::replication_map("LocalStrategy").ok());
}

TEST(CassandraUrl, ListsContactPoints) {
  EXPECT_EQ(cassandra_contact_points("cassandra://a:9042,10.0.0.2:9043").value(),
            (std::vector<std::string>{"a:9042", "10.0.0.2:9043"}));
  EXPECT_FALSE(cassandra_contact_points("cassandra://a").ok());
  EXPECT_FALSE(cassandra_contact_points("cassandra://a:9042,").ok());
}

// A listening socket nobody accepts on: TCP connects, the CQL handshake never
// gets an answer, so only the connect timeout can end the attempt.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    auto* generic = reinterpret_cast<sockaddr*>(&address);  // NOLINT: the sockets API
    if (::bind(fd_, generic, length) == 0 && ::listen(fd_, 4) == 0 && ::getsockname(fd_, generic, &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(CassandraUnreachable, FailsNamingTheContactPointsWithoutThePassword) {
  SilentListener silent;
  ASSERT_NE(silent.port(), 0);
  StoreOptions options;
  const std::string silent_point = "127.0.0.1:" + std::to_string(silent.port());
  options.url = "cassandra://" + silent_point + ",127.0.0.1:1";
  options.user = "squall";
  options.password = "pa55-never-shown";
  auto opened = open_store(options);
  ASSERT_FALSE(opened.ok());
  const std::string& message = opened.error().message;
  std::cout << "error: " << message << "\n";
  EXPECT_TRUE(opened.error().code == Errc::unavailable || opened.error().code == Errc::timeout) << message;
  EXPECT_NE(message.find(silent_point + ",127.0.0.1:1"), std::string::npos) << message;
  EXPECT_EQ(message.find("pa55-never-shown"), std::string::npos) << message;
}

TEST_F(CassandraStore, StreamingResultsKeepTheHighestVersion) { test::check_streaming_results(*store_); }

// A checkpoint is a partition's whole state, and Cassandra refuses a request
// over native_transport_max_frame_size (16 MiB by default, which the
// project's node keeps): the error names the partition and the size, so the
// person running squall knows which limit they met (docs/RELIABILITY.md).
TEST_F(CassandraStore, ACheckpointOverTheServersRequestLimitFailsNamingItsPartitionAndSize) {
  const std::vector<Checkpoint> too_big{{"g", "weather", 3, 10, std::string(17'000'000, 'x')}};
  auto written = store_->write(WriteBatch{.checkpoints = too_big});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, Errc::refused);  // not a configuration mistake (exit 2)
  const std::string& message = written.error().message;
  EXPECT_NE(message.find("checkpoint of weather/3 (17.0 MB) not written"), std::string::npos) << message;
  EXPECT_NE(message.find("Request is too big"), std::string::npos) << message;  // the server's own words
  auto found = store_->checkpoint("g", "weather", 3);
  ASSERT_TRUE(found.ok()) << found.error().message;
  EXPECT_FALSE(found->has_value());
  // The session survives it: the next checkpoint of the same partition is written.
  const std::vector<Checkpoint> fits{{"g", "weather", 3, 10, std::string(1'000'000, 'y')}};
  ASSERT_TRUE(store_->write(WriteBatch{.checkpoints = fits}).ok());
  found = store_->checkpoint("g", "weather", 3);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->state.size(), 1'000'000u);
}


// The store's batches span partitions within the node's warning thresholds
// (request_batches.hpp): the node's answers carry no warning. Ten full rows
// of ten partitions in one batch do draw one, so the check can fail.
TEST_F(CassandraStore, BatchesGroupedAsTheStoreGroupsThemDrawNoWarningFromTheNode) {
  namespace columns = cassandra_columns;
  cql::SessionOptions session_options;
  session_options.contact_points = {contact_point()};
  session_options.consistency = cql::Consistency::one;
  auto session = cql::Session::connect(session_options);
  ASSERT_TRUE(session.ok()) << session.error().message;
  auto insert = (*session)->prepare(columns::insert_observation_cql(keyspace_));
  ASSERT_TRUE(insert.ok()) << insert.error().message;
  auto row = [&](std::int64_t city, std::int64_t at) {
    std::vector<cql::Value> values{columns::day_of(at)};
    columns::append_values(full_observation(city, at), values, columns::Absent::unset);
    return cql::BatchStatement{*insert, std::move(values)};
  };

  std::vector<std::string> warnings;
  std::vector<std::size_t> sizes;
  cassandra_batches::RequestBatches batches([&](std::vector<cql::BatchStatement> statements) {
    sizes.push_back(statements.size());
    auto done = (*session)->batch(std::move(statements));
    ASSERT_TRUE(done.ok()) << done.error().message;
    warnings.insert(warnings.end(), done->warnings.begin(), done->warnings.end());
  });
  for (std::int64_t city = 1; city <= 60; ++city) {
    for (std::int64_t i = 0; i < 2; ++i) {
      batches.add(row(city, kMidnight + i * 600), cassandra_batches::partition_id(0, city, columns::day_of(kMidnight)));
    }
  }
  // Twelve full rows of one partition, ~10 KiB by the node's measure: they go whole, in a batch of their own,
  // which the node never warns about whatever its size.
  for (std::int64_t i = 0; i < 12; ++i) {
    batches.add(row(61, kMidnight + i * 600), cassandra_batches::partition_id(0, 61, columns::day_of(kMidnight)));
  }
  batches.flush();
  ASSERT_GE(sizes.size(), 2u);
  EXPECT_EQ(sizes.back(), 12u);
  EXPECT_GT(*std::max_element(sizes.begin(), sizes.end() - 1), 2u);  // two rows per partition: batches did span
  EXPECT_LT(sizes.size(), 120u);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  auto stats = store_->stats();
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->observations, 132);

  std::vector<cql::BatchStatement> ten_partitions;
  for (std::int64_t city = 100; city < 110; ++city) ten_partitions.push_back(row(city, kMidnight));
  auto big = (*session)->batch(std::move(ten_partitions));
  ASSERT_TRUE(big.ok()) << big.error().message;
  ASSERT_FALSE(big->warnings.empty());
  EXPECT_NE(big->warnings.front().find("exceeding specified threshold"), std::string::npos) << big->warnings.front();
}

}  // namespace
}  // namespace squall::store

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* point = std::getenv("SQUALL_TEST_CASSANDRA");
  if (point == nullptr || *point == '\0') {
    std::cerr << "cassandra_store_tests: set SQUALL_TEST_CASSANDRA=host:port (e.g. 127.0.0.1:9042) to a running "
                 "Cassandra; refusing to pass without one\n";
    return 1;
  }
  squall::store::contact_point() = point;
  return RUN_ALL_TESTS();
}
