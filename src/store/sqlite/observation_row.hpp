#pragma once
// Observation <-> row of the observations and latest_by_city tables: the SQL
// text for the column lists and the binding and reading of values, all
// generated from kObservationFields so their orders cannot disagree.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/observation.hpp"
#include "core/sqlite.hpp"

namespace squall::store::sqlite_rows {

// Days since 1970-01-01 UTC, rounding towards the past for times before it.
std::int64_t day_of(std::int64_t unix_seconds);

// "INSERT INTO <table> (every field, day) VALUES (?, ...) ON CONFLICT
// (<key>) DO UPDATE SET <every other column> = excluded.<column> [WHERE
// <condition>]": an upsert that leaves the row exactly as if only the
// incoming observation had ever been written.
std::string upsert_sql(std::string_view table, std::initializer_list<std::string_view> key,
                       std::string_view condition = {});

// "SELECT <every field> FROM <rest>", the columns in the order read_observation expects.
std::string select_sql(std::string_view rest);

// Binds parameters 1..N+1 of a statement made by upsert_sql.
void bind_observation(sqlite::Statement& statement, const Observation& observation);

// Reads the current row of a statement made by select_sql.
Observation read_observation(const sqlite::Statement& statement);

}  // namespace squall::store::sqlite_rows
