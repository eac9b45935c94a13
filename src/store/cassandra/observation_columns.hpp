#pragma once
// Observation <-> the columns of the Cassandra observations and
// latest_by_city tables, generated from kObservationFields (like the SQLite
// rows) so the column list, the bound values and the read-back cannot
// disagree in order.
//
// Types: observed_at and ingested_at are CQL timestamps (milliseconds), every
// other integer is bigint or int as in Observation, reals are double, strings
// text. An absent optional binds as null.

#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "core/observation.hpp"
#include "core/result.hpp"
#include "cql/cql.hpp"
#include "store/observation_fields.hpp"

namespace squall::store::cassandra_columns {

struct Column {
  std::string name;
  std::string type;  // CQL spelling
};

// Every field of Observation, in struct order.
std::vector<Column> observation_columns();

// "city_id, city, ..., source": the column list for INSERT and SELECT.
std::string column_list();

// "?, ?, ...": `count` bind markers.
std::string bind_markers(std::size_t count);

// The INSERT of one row of `keyspace`.observations: its day, then the
// values of append_values().
std::string insert_observation_cql(const std::string& keyspace);

// Days since 1970-01-01 UTC (rounding towards the past), clamped to int's
// range: the `day` of an observations partition.
std::int32_t day_of(std::int64_t unix_seconds);

// Unix seconds as a CQL timestamp, saturating instead of overflowing.
cql::Timestamp timestamp_of_seconds(std::int64_t unix_seconds);

// How a field the observation lacks is bound. A row that replaces another
// (latest_by_city's) binds null, which clears what the column held; a row
// written once (an observation, or the same one again on a replay) leaves
// it unset, so no tombstone is written, stored and compacted for it.
enum class Absent { null, unset };

// One value per observation_columns() entry, appended to `values` (a row's
// statement binds a few more around them).
inline constexpr std::size_t kValueCount = std::tuple_size_v<decltype(kObservationFields)>;
void append_values(const Observation& observation, std::vector<cql::Value>& values, Absent absent);

// Reads a row selected with column_list(); a cell of an unexpected type (a
// schema that drifted) is an error naming the column.
Result<Observation> observation_of(const cql::Row& row);

}  // namespace squall::store::cassandra_columns
