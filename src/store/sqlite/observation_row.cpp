#include "store/sqlite/observation_row.hpp"

#include <algorithm>
#include <optional>
#include <type_traits>

#include "store/observation_fields.hpp"

namespace squall::store::sqlite_rows {
namespace {

constexpr std::string_view kDayColumn = "day";

void read_column(const sqlite::Statement& row, int column, std::int64_t& out) { out = row.int64(column); }
void read_column(const sqlite::Statement& row, int column, double& out) { out = row.real(column); }
void read_column(const sqlite::Statement& row, int column, std::string& out) { out = row.text(column); }
void read_column(const sqlite::Statement& row, int column, std::optional<double>& out) {
  out = row.optional_real(column);
}
void read_column(const sqlite::Statement& row, int column, std::optional<std::string>& out) {
  out = row.optional_text(column);
}
void read_column(const sqlite::Statement& row, int column, std::optional<std::int64_t>& out) {
  out = row.optional_int64(column);
}
void read_column(const sqlite::Statement& row, int column, std::optional<std::int32_t>& out) {
  if (row.is_null(column)) {
    out.reset();
  } else {
    out = static_cast<std::int32_t>(row.int64(column));
  }
}

}  // namespace

std::int64_t day_of(std::int64_t unix_seconds) {
  constexpr std::int64_t kSecondsPerDay = 86'400;
  const std::int64_t day = unix_seconds / kSecondsPerDay;
  return unix_seconds % kSecondsPerDay < 0 ? day - 1 : day;
}

std::string upsert_sql(std::string_view table, std::initializer_list<std::string_view> key,
                       std::string_view condition) {
  const auto is_key = [&](std::string_view column) { return std::find(key.begin(), key.end(), column) != key.end(); };
  std::string columns;
  std::string placeholders;
  std::string updates;
  const auto add_column = [&](std::string_view column) {
    if (!columns.empty()) {
      columns += ", ";
      placeholders += ", ";
    }
    columns += column;
    placeholders += '?';
    if (is_key(column)) return;
    if (!updates.empty()) updates += ", ";
    updates.append(column).append(" = excluded.").append(column);
  };
  for_each_observation_field([&](const auto& field) { add_column(field.column); });
  add_column(kDayColumn);

  std::string sql = "INSERT INTO ";
  sql.append(table).append(" (").append(columns).append(") VALUES (").append(placeholders);
  sql += ") ON CONFLICT (";
  std::string_view separator;
  for (std::string_view column : key) {
    sql.append(separator).append(column);
    separator = ", ";
  }
  sql.append(") DO UPDATE SET ").append(updates);
  if (!condition.empty()) sql.append(" WHERE ").append(condition);
  return sql;
}

std::string select_sql(std::string_view rest) {
  std::string sql = "SELECT ";
  bool first = true;
  for_each_observation_field([&](const auto& field) {
    if (!first) sql += ", ";
    sql += field.column;
    first = false;
  });
  sql.append(" FROM ").append(rest);
  return sql;
}

// Texts are bound in place: the observation outlives the statement's run.
void bind_observation(sqlite::Statement& statement, const Observation& observation) {
  int index = 1;
  for_each_observation_field([&](const auto& field) {
    const auto& value = observation.*field.member;
    using Value = std::decay_t<decltype(value)>;
    if constexpr (std::is_same_v<Value, std::string>) {
      statement.bind_view(index++, value);
    } else if constexpr (std::is_same_v<Value, std::optional<std::string>>) {
      if (value) statement.bind_view(index++, *value);
      else statement.bind_null(index++);
    } else {
      statement.bind(index++, value);
    }
  });
  statement.bind(index, day_of(observation.observed_at));
}

Observation read_observation(const sqlite::Statement& statement) {
  Observation observation;
  int column = 0;
  for_each_observation_field([&](const auto& field) { read_column(statement, column++, observation.*field.member); });
  return observation;
}

}  // namespace squall::store::sqlite_rows
