#include "store/cassandra/observation_columns.hpp"

#include <algorithm>
#include <limits>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "store/observation_fields.hpp"

namespace squall::store::cassandra_columns {
namespace {

// How an int64 field maps to CQL: two of them are instants and become
// timestamps, so cqlsh and other tools show them as times.
enum class Instant { no, seconds, millis };

Instant instant_kind(std::string_view field) {
  if (field == "observed_at") return Instant::seconds;
  if (field == "ingested_at_ms") return Instant::millis;
  return Instant::no;
}

// The unit lives in the CQL type, not in the column name.
std::string column_name(std::string_view field) {
  return field == "ingested_at_ms" ? std::string("ingested_at") : std::string(field);
}

template <class T>
struct CqlType;
template <>
struct CqlType<std::int64_t> {
  static constexpr std::string_view name = "bigint";
};
template <>
struct CqlType<std::int32_t> {
  static constexpr std::string_view name = "int";
};
template <>
struct CqlType<double> {
  static constexpr std::string_view name = "double";
};
template <>
struct CqlType<std::string> {
  static constexpr std::string_view name = "text";
};
template <class T>
struct CqlType<std::optional<T>> : CqlType<T> {};

template <class T>
std::string type_of(std::string_view field) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    if (instant_kind(field) != Instant::no) return "timestamp";
  }
  return std::string(CqlType<T>::name);
}

cql::Value value_of(std::int64_t value, Instant instant) {
  switch (instant) {
    case Instant::seconds: return timestamp_of_seconds(value);
    case Instant::millis: return cql::Timestamp{value};
    case Instant::no: break;
  }
  return value;
}

template <class T>
cql::Value value_of(const T& value, Instant /*unused*/) {
  return value;
}

template <class T>
cql::Value bound_value(const T& value, Instant instant, Absent /*unused*/) {
  return value_of(value, instant);
}

template <class T>
cql::Value bound_value(const std::optional<T>& value, Instant instant, Absent absent) {
  if (!value) return absent == Absent::null ? cql::Value{cql::Null{}} : cql::Value{cql::Unset{}};
  return value_of(*value, instant);
}

Error wrong_type(std::string_view field, const cql::Value& cell) {
  return make_error(Errc::parse, "cassandra store: column " + column_name(field) + " holds a " +
                                     cql::value_type_name(cell) + ", not what the schema says");
}

// Rows written by other clients may leave squall's bookkeeping columns
// (ingested_at, source, ...) null; they read as unset (0, empty) rather than
// making the whole query fail. A row without its observation time means
// nothing, so that one stays an error.
bool tolerated_null(const cql::Value& cell, std::string_view field) {
  return std::holds_alternative<cql::Null>(cell) && field != "observed_at";
}

Result<void> read_cell(const cql::Value& cell, std::int64_t& out, std::string_view field) {
  if (tolerated_null(cell, field)) return {};
  const Instant instant = instant_kind(field);
  if (instant == Instant::no) {
    if (const auto* number = std::get_if<std::int64_t>(&cell)) {
      out = *number;
      return {};
    }
    return wrong_type(field, cell);
  }
  const auto* timestamp = std::get_if<cql::Timestamp>(&cell);
  if (timestamp == nullptr) return wrong_type(field, cell);
  // Seconds were stored as whole milliseconds, so this division is exact.
  out = instant == Instant::seconds ? timestamp->millis_since_epoch / 1000 : timestamp->millis_since_epoch;
  return {};
}

template <class T>
Result<void> read_cell(const cql::Value& cell, T& out, std::string_view field) {
  if (tolerated_null(cell, field)) return {};
  if (const auto* value = std::get_if<T>(&cell)) {
    out = *value;
    return {};
  }
  return wrong_type(field, cell);
}

template <class T>
Result<void> read_cell(const cql::Value& cell, std::optional<T>& out, std::string_view field) {
  if (std::holds_alternative<cql::Null>(cell)) {
    out.reset();
    return {};
  }
  T value{};
  SQUALL_TRY(read_cell(cell, value, field));
  out = std::move(value);
  return {};
}

}  // namespace

std::vector<Column> observation_columns() {
  std::vector<Column> columns;
  for_each_observation_field([&](const auto& field) {
    using Member = std::remove_cvref_t<decltype(std::declval<Observation>().*(field.member))>;
    columns.push_back(Column{column_name(field.column), type_of<Member>(field.column)});
  });
  return columns;
}

std::string column_list() {
  std::string list;
  for (const Column& column : observation_columns()) {
    if (!list.empty()) list += ", ";
    list += column.name;
  }
  return list;
}

std::string bind_markers(std::size_t count) {
  std::string text;
  for (std::size_t i = 0; i < count; ++i) text += i == 0 ? "?" : ", ?";
  return text;
}

std::string insert_observation_cql(const std::string& keyspace) {
  return "INSERT INTO " + keyspace + ".observations (day, " + column_list() + ") VALUES (" +
         bind_markers(kValueCount + 1) + ")";
}

std::int32_t day_of(std::int64_t unix_seconds) {
  constexpr std::int64_t kDay = 86400;
  std::int64_t day = unix_seconds / kDay;
  if (unix_seconds % kDay < 0) --day;
  day = std::clamp<std::int64_t>(day, std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max());
  return static_cast<std::int32_t>(day);
}

cql::Timestamp timestamp_of_seconds(std::int64_t unix_seconds) {
  constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1000;
  return cql::Timestamp{std::clamp(unix_seconds, -kLimit, kLimit) * 1000};
}

void append_values(const Observation& observation, std::vector<cql::Value>& values, Absent absent) {
  for_each_observation_field([&](const auto& field) {
    values.push_back(bound_value(observation.*(field.member), instant_kind(field.column), absent));
  });
}

Result<Observation> observation_of(const cql::Row& row) {
  if (row.size() < kValueCount) {
    return make_error(Errc::parse, "cassandra store: a row of " + std::to_string(row.size()) + " columns, expected " +
                                       std::to_string(kValueCount));
  }
  Observation observation;
  std::size_t index = 0;
  Result<void> outcome;
  for_each_observation_field([&](const auto& field) {
    if (outcome) outcome = read_cell(row[index], observation.*(field.member), field.column);
    ++index;
  });
  if (!outcome) return outcome.error();
  return observation;
}

}  // namespace squall::store::cassandra_columns
