#include "cql/types.hpp"

#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace squall::cql {
namespace {

// Real schemas nest a few levels (map<text, frozen<list<int>>>); a deeper
// description is garbage or hostile, and recursion must stay bounded.
constexpr int kMaxTypeNesting = 16;

// CQL's date type counts days from an epoch centered at 2^31 (spec §6.5).
constexpr std::uint32_t kDateEpochOffset = 1u << 31;

// A [value]'s length that means "not set" (spec §3, protocol v4 and later).
constexpr std::int32_t kUnsetLength = -2;

struct NativeName {
  TypeId id;
  const char* name;
};

constexpr NativeName kNativeNames[] = {
    {TypeId::ascii, "ascii"},       {TypeId::bigint, "bigint"},     {TypeId::blob, "blob"},
    {TypeId::boolean, "boolean"},   {TypeId::counter, "counter"},   {TypeId::decimal, "decimal"},
    {TypeId::double_, "double"},    {TypeId::float_, "float"},      {TypeId::int_, "int"},
    {TypeId::timestamp, "timestamp"}, {TypeId::uuid, "uuid"},       {TypeId::varchar, "text"},
    {TypeId::varint, "varint"},     {TypeId::timeuuid, "timeuuid"}, {TypeId::inet, "inet"},
    {TypeId::date, "date"},         {TypeId::time, "time"},         {TypeId::smallint, "smallint"},
    {TypeId::tinyint, "tinyint"},
};

const char* native_name(TypeId id) {
  for (const auto& entry : kNativeNames) {
    if (entry.id == id) return entry.name;
  }
  return nullptr;
}

std::string joined_parameter_names(const std::vector<ColumnType>& parameters) {
  std::string out;
  for (const auto& parameter : parameters) {
    if (!out.empty()) out += ", ";
    out += parameter.name();
  }
  return out;
}

Result<ColumnType> read_type(WireReader& reader, int depth);

Result<void> read_parameters(WireReader& reader, ColumnType& type, std::size_t count, int depth) {
  for (std::size_t i = 0; i < count; ++i) {
    ColumnType parameter;
    SQUALL_ASSIGN(parameter, read_type(reader, depth + 1));
    type.parameters.push_back(std::move(parameter));
  }
  return {};
}

Result<void> read_udt(WireReader& reader, ColumnType& type, int depth) {
  std::string_view keyspace;
  std::string_view name;
  std::uint16_t count = 0;
  SQUALL_ASSIGN(keyspace, reader.string("UDT keyspace"));
  SQUALL_ASSIGN(name, reader.string("UDT name"));
  SQUALL_ASSIGN(count, reader.u16("UDT field count"));
  type.udt_keyspace = std::string(keyspace);
  type.udt_name = std::string(name);
  for (std::uint16_t i = 0; i < count; ++i) {
    std::string_view field;
    SQUALL_ASSIGN(field, reader.string("UDT field name"));
    type.field_names.emplace_back(field);
    SQUALL_TRY(read_parameters(reader, type, 1, depth));
  }
  return {};
}

Result<ColumnType> read_type(WireReader& reader, int depth) {
  if (depth > kMaxTypeNesting) {
    return make_error(Errc::parse, fmt::format("column type nested deeper than {} levels", kMaxTypeNesting));
  }
  std::uint16_t id = 0;
  SQUALL_ASSIGN(id, reader.u16("column type id"));
  ColumnType type;
  type.id = static_cast<TypeId>(id);
  switch (type.id) {
    case TypeId::custom: {
      std::string_view custom;
      SQUALL_ASSIGN(custom, reader.string("custom type class"));
      type.custom_class = std::string(custom);
      return type;
    }
    case TypeId::list:
    case TypeId::set:
      SQUALL_TRY(read_parameters(reader, type, 1, depth));
      return type;
    case TypeId::map:
      SQUALL_TRY(read_parameters(reader, type, 2, depth));
      return type;
    case TypeId::tuple: {
      std::uint16_t count = 0;
      SQUALL_ASSIGN(count, reader.u16("tuple arity"));
      SQUALL_TRY(read_parameters(reader, type, count, depth));
      return type;
    }
    case TypeId::udt:
      SQUALL_TRY(read_udt(reader, type, depth));
      return type;
    default:
      if (native_name(type.id) == nullptr) {
        return make_error(Errc::parse, fmt::format("unknown column type id 0x{:04x}", id));
      }
      return type;
  }
}

template <class Unsigned>
Unsigned load_big_endian(std::string_view bytes) {
  Unsigned value = 0;
  for (const char c : bytes) value = static_cast<Unsigned>((value << 8) | static_cast<unsigned char>(c));
  return value;
}

Error wrong_width(const ColumnType& type, std::size_t size, std::size_t expected) {
  return make_error(Errc::parse, fmt::format("{} cell has {} bytes; expected {}", type.name(), size, expected));
}

// Decodes the fixed-width types of the model; std::nullopt when `type` is not one.
std::optional<Result<Value>> decode_fixed_width(const ColumnType& type, std::string_view bytes) {
  const auto expect = [&](std::size_t width) -> std::optional<Error> {
    if (bytes.size() == width) return std::nullopt;
    return wrong_width(type, bytes.size(), width);
  };
  switch (type.id) {
    case TypeId::boolean:
      if (auto error = expect(1)) return Result<Value>(*error);
      return Result<Value>(Value{bytes[0] != 0});
    case TypeId::int_:
      if (auto error = expect(4)) return Result<Value>(*error);
      return Result<Value>(Value{static_cast<std::int32_t>(load_big_endian<std::uint32_t>(bytes))});
    case TypeId::bigint:
    case TypeId::counter:
      if (auto error = expect(8)) return Result<Value>(*error);
      return Result<Value>(Value{static_cast<std::int64_t>(load_big_endian<std::uint64_t>(bytes))});
    case TypeId::timestamp:
      if (auto error = expect(8)) return Result<Value>(*error);
      return Result<Value>(Value{Timestamp{static_cast<std::int64_t>(load_big_endian<std::uint64_t>(bytes))}});
    case TypeId::float_:
      if (auto error = expect(4)) return Result<Value>(*error);
      return Result<Value>(Value{std::bit_cast<float>(load_big_endian<std::uint32_t>(bytes))});
    case TypeId::double_:
      if (auto error = expect(8)) return Result<Value>(*error);
      return Result<Value>(Value{std::bit_cast<double>(load_big_endian<std::uint64_t>(bytes))});
    case TypeId::date:
      if (auto error = expect(4)) return Result<Value>(*error);
      return Result<Value>(
          Value{Date{static_cast<std::int32_t>(load_big_endian<std::uint32_t>(bytes) - kDateEpochOffset)}});
    case TypeId::uuid:
    case TypeId::timeuuid: {
      if (auto error = expect(16)) return Result<Value>(*error);
      Uuid uuid;
      std::memcpy(uuid.bytes.data(), bytes.data(), uuid.bytes.size());
      return Result<Value>(Value{uuid});
    }
    default:
      return std::nullopt;
  }
}

// [bytes] of a fixed-width value: its length, then `width` (1, 4 or 8)
// big-endian bytes.
void write_fixed(WireWriter& writer, std::uint64_t bits, int width) {
  writer.i32(width);
  switch (width) {
    case 1: writer.byte(static_cast<std::uint8_t>(bits)); break;
    case 4: writer.i32(static_cast<std::int32_t>(static_cast<std::uint32_t>(bits))); break;
    default: writer.i64(static_cast<std::int64_t>(bits)); break;
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

std::string ColumnType::name() const {
  switch (id) {
    case TypeId::custom:
      return fmt::format("'{}'", custom_class);
    case TypeId::list:
      return fmt::format("list<{}>", joined_parameter_names(parameters));
    case TypeId::set:
      return fmt::format("set<{}>", joined_parameter_names(parameters));
    case TypeId::map:
      return fmt::format("map<{}>", joined_parameter_names(parameters));
    case TypeId::tuple:
      return fmt::format("tuple<{}>", joined_parameter_names(parameters));
    case TypeId::udt:
      return fmt::format("{}.{}", udt_keyspace, udt_name);
    default:
      if (const char* native = native_name(id)) return native;
      return fmt::format("type(0x{:04x})", static_cast<unsigned>(id));
  }
}

Result<ColumnType> read_column_type(WireReader& reader) { return read_type(reader, 0); }

std::string Uuid::to_string() const {
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out += fmt::format("{:02x}", bytes[i]);
  }
  return out;
}

Result<Uuid> Uuid::parse(std::string_view text) {
  const auto invalid = [&] {
    return make_error(Errc::invalid_argument,
                      fmt::format("'{}' is not a UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", text));
  };
  if (text.size() != 36) return invalid();
  Uuid uuid;
  std::size_t out = 0;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return invalid();
      ++i;
      continue;
    }
    const int high = hex_digit(text[i]);
    const int low = hex_digit(text[i + 1]);
    if (high < 0 || low < 0) return invalid();
    uuid.bytes[out++] = static_cast<std::uint8_t>(high * 16 + low);
    i += 2;
  }
  return uuid;
}

std::string value_type_name(const Value& value) {
  return std::visit(Overloaded{
                        [](const Null&) -> std::string { return "null"; },
                        [](const Unset&) -> std::string { return "unset"; },
                        [](bool) -> std::string { return "boolean"; },
                        [](std::int32_t) -> std::string { return "int"; },
                        [](std::int64_t) -> std::string { return "bigint"; },
                        [](float) -> std::string { return "float"; },
                        [](double) -> std::string { return "double"; },
                        [](const std::string&) -> std::string { return "text"; },
                        [](const Timestamp&) -> std::string { return "timestamp"; },
                        [](const Date&) -> std::string { return "date"; },
                        [](const Uuid&) -> std::string { return "uuid"; },
                        [](const RawValue& raw) -> std::string {
                          ColumnType type;
                          type.id = raw.type;
                          return type.name();
                        },
                    },
                    value);
}

void write_value(WireWriter& writer, const Value& value) {
  std::visit(Overloaded{
                 [&](const Null&) { writer.bytes(std::nullopt, "null value"); },
                 [&](const Unset&) { writer.i32(kUnsetLength); },
                 [&](bool v) { write_fixed(writer, v ? 1 : 0, 1); },
                 [&](std::int32_t v) { write_fixed(writer, static_cast<std::uint32_t>(v), 4); },
                 [&](std::int64_t v) { write_fixed(writer, static_cast<std::uint64_t>(v), 8); },
                 [&](float v) { write_fixed(writer, std::bit_cast<std::uint32_t>(v), 4); },
                 [&](double v) { write_fixed(writer, std::bit_cast<std::uint64_t>(v), 8); },
                 [&](const std::string& v) { writer.bytes(v, "text value"); },
                 [&](const Timestamp& v) { write_fixed(writer, static_cast<std::uint64_t>(v.millis_since_epoch), 8); },
                 [&](const Date& v) {
                   write_fixed(writer, static_cast<std::uint32_t>(v.days_since_epoch) + kDateEpochOffset, 4);
                 },
                 [&](const Uuid& v) {
                   writer.i32(static_cast<std::int32_t>(v.bytes.size()));
                   for (const auto byte : v.bytes) writer.byte(byte);
                 },
                 [&](const RawValue& v) { writer.bytes(v.bytes, "raw value"); },
             },
             value);
}

std::size_t encoded_size(std::span<const Value> values) {
  constexpr std::size_t kLength = 4;  // every [bytes] starts with its int length
  std::size_t size = 0;
  for (const Value& value : values) {
    size += kLength + std::visit(Overloaded{
                                     [](const Null&) -> std::size_t { return 0; },
                                     [](const Unset&) -> std::size_t { return 0; },
                                     [](const std::string& v) { return v.size(); },
                                     [](const RawValue& v) { return v.bytes.size(); },
                                     [](const Uuid& v) { return v.bytes.size(); },
                                     [](const auto& v) -> std::size_t { return sizeof v; },
                                 },
                                 value);
  }
  return size;
}

bool binds_to(const Value& value, const ColumnType& type) {
  const TypeId id = type.id;
  return std::visit(Overloaded{
                        [](const Null&) { return true; },
                        [](const Unset&) { return true; },
                        [&](bool) { return id == TypeId::boolean; },
                        [&](std::int32_t) { return id == TypeId::int_; },
                        [&](std::int64_t) { return id == TypeId::bigint || id == TypeId::counter; },
                        [&](float) { return id == TypeId::float_; },
                        [&](double) { return id == TypeId::double_; },
                        [&](const std::string&) {
                          return id == TypeId::varchar || id == TypeId::ascii;
                        },
                        [&](const Timestamp&) { return id == TypeId::timestamp; },
                        [&](const Date&) { return id == TypeId::date; },
                        [&](const Uuid&) { return id == TypeId::uuid || id == TypeId::timeuuid; },
                        [&](const RawValue& raw) { return raw.type == id; },
                    },
                    value);
}

Result<Value> decode_cell(const ColumnType& type, std::optional<std::string_view> bytes) {
  if (!bytes) return Value{Null{}};
  if (type.id == TypeId::varchar || type.id == TypeId::ascii) return Value{std::string(*bytes)};
  auto fixed = decode_fixed_width(type, *bytes);
  if (!fixed) return Value{RawValue{type.id, std::string(*bytes)}};
  if (bytes->empty()) return Value{Null{}};
  return std::move(*fixed);
}

}  // namespace squall::cql
