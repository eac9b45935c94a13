// Observation <-> Cassandra row, without a server: what the store binds is
// what it reads back, and rows other clients wrote read as far as they make sense.

#include "store/cassandra/observation_columns.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "sample_observations.hpp"

namespace squall::store::cassandra_columns {
namespace {

std::vector<cql::Value> values_of(const Observation& observation, Absent absent = Absent::null) {
  std::vector<cql::Value> values;
  append_values(observation, values, absent);
  return values;
}

std::size_t index_of(const std::string& name) {
  const auto columns = observation_columns();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return i;
  }
  ADD_FAILURE() << "no column " << name;
  return 0;
}

TEST(CassandraColumns, BoundValuesReadBackAsTheSameObservation) {
  for (const Observation& original : {test::full_observation(4887398, 1700000000),
                                      test::sparse_observation(4164138, 1700000600)}) {
    const std::vector<cql::Value> row = values_of(original);
    ASSERT_EQ(row.size(), observation_columns().size());
    auto read = observation_of(row);
    ASSERT_TRUE(read.ok()) << read.error().message;
    EXPECT_EQ(*read, original);
  }
}

TEST(CassandraColumns, ValuesAreAppendedAfterTheOnesAlreadyBound) {
  std::vector<cql::Value> row{std::int32_t{19'675}};  // the day, as the observations insert binds it first
  append_values(test::full_observation(4887398, 1700000000), row, Absent::null);
  ASSERT_EQ(row.size(), 1 + observation_columns().size());
  EXPECT_EQ(row.front(), cql::Value{std::int32_t{19'675}});
  EXPECT_EQ(std::vector<cql::Value>(row.begin() + 1, row.end()), values_of(test::full_observation(4887398, 1700000000)));
}

TEST(CassandraColumns, AbsentFieldsBindAsNullOrUnsetAndPresentOnesTheSame) {
  const Observation sparse = test::sparse_observation(4164138, 1700000600);
  const std::vector<cql::Value> nulls = values_of(sparse, Absent::null);
  const std::vector<cql::Value> unset = values_of(sparse, Absent::unset);
  ASSERT_EQ(nulls.size(), unset.size());
  std::size_t absent = 0;
  for (std::size_t i = 0; i < nulls.size(); ++i) {
    if (std::holds_alternative<cql::Null>(nulls[i])) {
      ++absent;
      EXPECT_TRUE(std::holds_alternative<cql::Unset>(unset[i])) << observation_columns()[i].name;
    } else {
      EXPECT_EQ(unset[i], nulls[i]) << observation_columns()[i].name;
    }
  }
  EXPECT_GT(absent, 0U) << "the sparse sample lacks no field: the test proves nothing";
  EXPECT_EQ(values_of(test::full_observation(4887398, 1700000000), Absent::unset),
            values_of(test::full_observation(4887398, 1700000000), Absent::null));
  EXPECT_TRUE(std::ranges::none_of(values_of(test::full_observation(4887398, 1700000000), Absent::unset),
                                   [](const cql::Value& v) { return std::holds_alternative<cql::Unset>(v); }));
}

TEST(CassandraColumns, NullBookkeepingColumnsFromOtherWritersReadAsUnset) {
  std::vector<cql::Value> row = values_of(test::full_observation(2643743, 1706745600));
  row[index_of("ingested_at")] = cql::Null{};
  row[index_of("source")] = cql::Null{};
  auto read = observation_of(row);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->ingested_at_ms, 0);
  EXPECT_EQ(read->source, "");
  EXPECT_EQ(read->observed_at, 1706745600);
}

TEST(CassandraColumns, ARowWithoutItsObservationTimeIsAnErrorNamingTheColumn) {
  std::vector<cql::Value> row = values_of(test::full_observation(2643743, 1706745600));
  row[index_of("observed_at")] = cql::Null{};
  auto read = observation_of(row);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("observed_at"), std::string::npos) << read.error().message;
}

TEST(CassandraColumns, AColumnOfAnotherTypeIsAnErrorNamingIt) {
  std::vector<cql::Value> row = values_of(test::full_observation(2643743, 1706745600));
  row[index_of("temp_c")] = std::string("warm");
  auto read = observation_of(row);
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("temp_c"), std::string::npos) << read.error().message;
}

TEST(CassandraColumns, DaysRoundTowardsThePast) {
  EXPECT_EQ(day_of(0), 0);
  EXPECT_EQ(day_of(86399), 0);
  EXPECT_EQ(day_of(86400), 1);
  EXPECT_EQ(day_of(-1), -1);
}

}  // namespace
}  // namespace squall::store::cassandra_columns
