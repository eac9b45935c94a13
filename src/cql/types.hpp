#pragma once
// A small model of CQL values (spec §6) for the types squall's schema uses:
// int, bigint, double, float, text/varchar, timestamp, date, boolean, uuid,
// plus null. Cells of any other type decode to RawValue (their type id and
// bytes) so an unexpected column never stops a read; RawValue also binds
// bytes as-is (e.g. a blob).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "cql/wire.hpp"

namespace squall::cql {

// [option] ids of column types (spec §4.2.5.2).
enum class TypeId : std::uint16_t {
  custom = 0x0000,
  ascii = 0x0001,
  bigint = 0x0002,
  blob = 0x0003,
  boolean = 0x0004,
  counter = 0x0005,
  decimal = 0x0006,
  double_ = 0x0007,
  float_ = 0x0008,
  int_ = 0x0009,
  timestamp = 0x000B,
  uuid = 0x000C,
  varchar = 0x000D,
  varint = 0x000E,
  timeuuid = 0x000F,
  inet = 0x0010,
  date = 0x0011,
  time = 0x0012,
  smallint = 0x0013,
  tinyint = 0x0014,
  list = 0x0020,
  map = 0x0021,
  set = 0x0022,
  udt = 0x0030,
  tuple = 0x0031,
};

struct ColumnType {
  TypeId id = TypeId::blob;
  std::string custom_class;              // TypeId::custom: the server's Java class name
  std::string udt_keyspace, udt_name;    // TypeId::udt
  std::vector<std::string> field_names;  // TypeId::udt, one per parameter
  std::vector<ColumnType> parameters;    // element, key/value, tuple or UDT field types
  bool operator==(const ColumnType&) const = default;

  // CQL spelling: "int", "text", "list<int>", "map<text, bigint>", "ks.udt_name".
  std::string name() const;
};

// Reads an [option] type description; nesting deeper than a sane schema's is an error.
Result<ColumnType> read_column_type(WireReader& reader);

struct Null {
  bool operator==(const Null&) const = default;
};

// A bound value left out (protocol v4's "not set"): the column keeps what it
// held and no cell is written, where Null writes a tombstone that is stored,
// read past and compacted until gc_grace_seconds have passed. Only ever
// sent; a result never holds one.
struct Unset {
  bool operator==(const Unset&) const = default;
};

struct Timestamp {
  std::int64_t millis_since_epoch = 0;
  bool operator==(const Timestamp&) const = default;
};

struct Date {
  std::int32_t days_since_epoch = 0;  // 1970-01-01 is day 0
  bool operator==(const Date&) const = default;
};

struct Uuid {
  std::array<std::uint8_t, 16> bytes{};
  bool operator==(const Uuid&) const = default;

  // The canonical 8-4-4-4-12 lower-case hex form.
  std::string to_string() const;
  static Result<Uuid> parse(std::string_view text);
};

struct RawValue {
  TypeId type = TypeId::blob;
  std::string bytes;
  bool operator==(const RawValue&) const = default;
};

// bool: boolean; int32_t: int; int64_t: bigint or counter; float; double;
// std::string: text, varchar or ascii.
using Value = std::variant<Null, bool, std::int32_t, std::int64_t, float, double, std::string, Timestamp, Date,
                           Uuid, RawValue, Unset>;

// The CQL type name a value binds as ("int", "timestamp", "null", "unset").
std::string value_type_name(const Value& value);

// Appends the value as a [value]: its serialized bytes, null's -1 length or unset's -2.
void write_value(WireWriter& writer, const Value& value);
// The bytes write_value() appends for `values`: what a request reserves.
std::size_t encoded_size(std::span<const Value> values);

// Whether the value can be bound to a marker of `type` (null and unset bind anywhere).
bool binds_to(const Value& value, const ColumnType& type);

// Decodes one cell ([bytes]; std::nullopt is null). A zero-length cell of a
// fixed-width type is CQL's legacy "empty" value and decodes as Null.
Result<Value> decode_cell(const ColumnType& type, std::optional<std::string_view> bytes);

}  // namespace squall::cql
