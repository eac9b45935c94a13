#include "cql/types.hpp"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

#include "cql/bytes.hpp"

namespace squall::cql {
namespace {

using testing::hex;
using testing::str;

ColumnType type_of(TypeId id) {
  ColumnType type;
  type.id = id;
  return type;
}

std::string encoded(const Value& value) {
  std::string out;
  WireWriter writer(out);
  write_value(writer, value);
  return out;
}

// Encodes as a [value], reads it back as a cell of `type`.
Value round_trip(const Value& value, TypeId type) {
  const std::string bytes = encoded(value);
  WireReader reader(bytes);
  auto cell = reader.bytes("cell");
  EXPECT_TRUE(cell.ok());
  EXPECT_EQ(reader.remaining(), 0u);
  auto decoded = decode_cell(type_of(type), *cell);
  EXPECT_TRUE(decoded.ok()) << decoded.error().message;
  return decoded.ok() ? *decoded : Value{RawValue{}};
}

TEST(CqlValues, EncodeToTheSpecsBytes) {
  EXPECT_EQ(encoded(Value{std::int32_t{1}}), hex("00 00 00 04 00 00 00 01"));
  EXPECT_EQ(encoded(Value{std::int32_t{-2}}), hex("00 00 00 04 ff ff ff fe"));
  EXPECT_EQ(encoded(Value{std::int64_t{-1}}), hex("00 00 00 08 ff ff ff ff ff ff ff ff"));
  EXPECT_EQ(encoded(Value{true}), hex("00 00 00 01 01"));
  EXPECT_EQ(encoded(Value{false}), hex("00 00 00 01 00"));
  EXPECT_EQ(encoded(Value{1.0}), hex("00 00 00 08 3f f0 00 00 00 00 00 00"));
  EXPECT_EQ(encoded(Value{1.0f}), hex("00 00 00 04 3f 80 00 00"));
  EXPECT_EQ(encoded(Value{std::string("São")}), hex("00 00 00 04") + "São");
  EXPECT_EQ(encoded(Value{Timestamp{1'700'000'000'000}}), hex("00 00 00 08 00 00 01 8b cf e5 68 00"));
  EXPECT_EQ(encoded(Value{Date{0}}), hex("00 00 00 04 80 00 00 00"));   // 2^31 is 1970-01-01
  EXPECT_EQ(encoded(Value{Date{-1}}), hex("00 00 00 04 7f ff ff ff"));
  EXPECT_EQ(encoded(Value{Null{}}), hex("ff ff ff ff"));
  EXPECT_EQ(encoded(Value{Unset{}}), hex("ff ff ff fe"));  // "not set": length -2
  EXPECT_EQ(encoded(Value{RawValue{TypeId::blob, hex("ca fe")}}), hex("00 00 00 02 ca fe"));
  const Uuid uuid = Uuid::parse("00112233-4455-6677-8899-aabbccddeeff").value();
  EXPECT_EQ(encoded(Value{uuid}), hex("00 00 00 10 00112233445566778899aabbccddeeff"));
}

TEST(CqlValues, EncodedSizeIsWhatWriteValueAppends) {
  const std::vector<Value> values = {Value{Null{}},          Value{true},
                                     Value{std::int32_t{7}}, Value{std::int64_t{-1}},
                                     Value{1.5f},            Value{2.25},
                                     Value{std::string("São Paulo")}, Value{Timestamp{1'700'000'000'000}},
                                     Value{Date{19'000}},    Value{Uuid{}},
                                     Value{RawValue{TypeId::blob, hex("ca fe ba")}}, Value{Unset{}}};
  std::size_t written = 0;
  for (const Value& value : values) {
    EXPECT_EQ(encoded_size(std::span(&value, 1)), encoded(value).size()) << value_type_name(value);
    written += encoded(value).size();
  }
  EXPECT_EQ(encoded_size(values), written);
  EXPECT_EQ(encoded_size({}), 0u);
}

TEST(CqlValues, RoundTripEveryTypeOfTheModel) {
  const struct {
    Value value;
    TypeId type;
  } cases[] = {
      {Value{std::int32_t{std::numeric_limits<std::int32_t>::min()}}, TypeId::int_},
      {Value{std::int32_t{4887398}}, TypeId::int_},
      {Value{std::int64_t{std::numeric_limits<std::int64_t>::max()}}, TypeId::bigint},
      {Value{std::int64_t{-42}}, TypeId::counter},
      {Value{-273.15}, TypeId::double_},
      {Value{3.5f}, TypeId::float_},
      {Value{std::string("Zürich")}, TypeId::varchar},
      {Value{std::string("")}, TypeId::varchar},
      {Value{std::string("plain")}, TypeId::ascii},
      {Value{Timestamp{-1}}, TypeId::timestamp},
      {Value{Date{19675}}, TypeId::date},
      {Value{Date{std::numeric_limits<std::int32_t>::min()}}, TypeId::date},
      {Value{true}, TypeId::boolean},
      {Value{Uuid::parse("5ba1c2d4-0e9a-11ee-be56-0242ac120002").value()}, TypeId::timeuuid},
      {Value{Uuid::parse("f47ac10b-58cc-4372-a567-0e02b2c3d479").value()}, TypeId::uuid},
      {Value{Null{}}, TypeId::int_},
      {Value{Null{}}, TypeId::varchar},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(round_trip(c.value, c.type), c.value) << value_type_name(c.value);
  }
}

TEST(CqlValues, NanAndInfinitiesSurvive) {
  const Value nan = round_trip(Value{std::numeric_limits<double>::quiet_NaN()}, TypeId::double_);
  EXPECT_TRUE(std::isnan(std::get<double>(nan)));
  EXPECT_EQ(round_trip(Value{-std::numeric_limits<float>::infinity()}, TypeId::float_),
            Value{-std::numeric_limits<float>::infinity()});
}

TEST(CqlValues, AWrongCellWidthIsAnErrorNamingTheType) {
  auto decoded = decode_cell(type_of(TypeId::int_), std::string_view(hex("00 00 01")));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message, "int cell has 3 bytes; expected 4");
  EXPECT_FALSE(decode_cell(type_of(TypeId::uuid), std::string_view(hex("00"))).ok());
  EXPECT_FALSE(decode_cell(type_of(TypeId::boolean), std::string_view(hex("00 01"))).ok());
}

TEST(CqlValues, AnEmptyFixedWidthCellIsNull) {
  EXPECT_EQ(decode_cell(type_of(TypeId::bigint), std::string_view("")).value(), Value{Null{}});
  EXPECT_EQ(decode_cell(type_of(TypeId::varchar), std::string_view("")).value(), Value{std::string()});
}

TEST(CqlValues, UnknownTypesDecodeAsRawBytesWithTheirTypeId) {
  ColumnType list = type_of(TypeId::list);
  list.parameters.push_back(type_of(TypeId::int_));
  const std::string bytes = hex("00 00 00 01 00 00 00 04 00 00 00 07");
  EXPECT_EQ(decode_cell(list, std::string_view(bytes)).value(), (Value{RawValue{TypeId::list, bytes}}));
  EXPECT_EQ(decode_cell(type_of(TypeId::decimal), std::string_view(hex("01"))).value(),
            (Value{RawValue{TypeId::decimal, hex("01")}}));
}

TEST(CqlValues, BindOnlyToTheirOwnTypes) {
  EXPECT_TRUE(binds_to(Value{std::int32_t{1}}, type_of(TypeId::int_)));
  EXPECT_FALSE(binds_to(Value{std::int32_t{1}}, type_of(TypeId::bigint)));
  EXPECT_TRUE(binds_to(Value{std::int64_t{1}}, type_of(TypeId::bigint)));
  EXPECT_FALSE(binds_to(Value{std::int64_t{1}}, type_of(TypeId::timestamp)));
  EXPECT_TRUE(binds_to(Value{Timestamp{1}}, type_of(TypeId::timestamp)));
  EXPECT_TRUE(binds_to(Value{std::string("x")}, type_of(TypeId::varchar)));
  EXPECT_TRUE(binds_to(Value{std::string("x")}, type_of(TypeId::ascii)));
  EXPECT_FALSE(binds_to(Value{1.0}, type_of(TypeId::float_)));
  EXPECT_TRUE(binds_to(Value{Null{}}, type_of(TypeId::uuid)));
  EXPECT_TRUE(binds_to(Value{Unset{}}, type_of(TypeId::double_)));
  EXPECT_TRUE(binds_to(Value{Uuid{}}, type_of(TypeId::timeuuid)));
  EXPECT_TRUE(binds_to(Value{RawValue{TypeId::blob, "x"}}, type_of(TypeId::blob)));
  EXPECT_FALSE(binds_to(Value{RawValue{TypeId::blob, "x"}}, type_of(TypeId::varchar)));
}

TEST(CqlValues, NameTheirTypes) {
  EXPECT_EQ(value_type_name(Value{std::int64_t{1}}), "bigint");
  EXPECT_EQ(value_type_name(Value{Null{}}), "null");
  EXPECT_EQ(value_type_name(Value{Unset{}}), "unset");
  EXPECT_EQ(value_type_name(Value{RawValue{TypeId::blob, ""}}), "blob");
}

TEST(CqlUuid, ParsesAndPrintsTheCanonicalForm) {
  auto uuid = Uuid::parse("F47AC10B-58CC-4372-A567-0E02B2C3D479");
  ASSERT_TRUE(uuid.ok());
  EXPECT_EQ(uuid->to_string(), "f47ac10b-58cc-4372-a567-0e02b2c3d479");
  EXPECT_FALSE(Uuid::parse("f47ac10b58cc4372a5670e02b2c3d479").ok());
  EXPECT_FALSE(Uuid::parse("f47ac10b-58cc-4372-a567-0e02b2c3d47g").ok());
  EXPECT_FALSE(Uuid::parse("f47ac10b-58cc-4372-a5670-e02b2c3d479").ok());
}

TEST(CqlColumnTypes, ReadNativeAndNestedTypes) {
  // map<text, frozen<list<int>>>, then tuple<int, text>, then a UDT, then a custom type.
  const std::string bytes = hex("00 21 00 0d 00 20 00 09") + hex("00 31 00 02 00 09 00 0d") + hex("00 30") +
                            str("ks") + str("point") + hex("00 02") + str("x") + hex("00 07") + str("y") +
                            hex("00 07") + hex("00 00") + str("org.example.MyType");
  WireReader reader(bytes);
  auto map = read_column_type(reader);
  ASSERT_TRUE(map.ok()) << map.error().message;
  EXPECT_EQ(map->name(), "map<text, list<int>>");
  auto tuple = read_column_type(reader);
  ASSERT_TRUE(tuple.ok());
  EXPECT_EQ(tuple->name(), "tuple<int, text>");
  auto udt = read_column_type(reader);
  ASSERT_TRUE(udt.ok()) << udt.error().message;
  EXPECT_EQ(udt->name(), "ks.point");
  EXPECT_EQ(udt->field_names, (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(udt->parameters.size(), 2u);
  EXPECT_EQ(udt->parameters[1].id, TypeId::double_);
  auto custom = read_column_type(reader);
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->name(), "'org.example.MyType'");
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(CqlColumnTypes, RejectUnknownIdsAndRunawayNesting) {
  const std::string unknown = hex("00 0a");
  WireReader unknown_reader(unknown);
  auto bad = read_column_type(unknown_reader);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "unknown column type id 0x000a");

  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += hex("00 20");
  deep += hex("00 09");
  WireReader deep_reader(deep);
  auto nested = read_column_type(deep_reader);
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message.find("nested deeper"), std::string::npos);
}

}  // namespace
}  // namespace squall::cql
