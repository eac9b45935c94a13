#include "cql/wire.hpp"

#include <gtest/gtest.h>

#include "cql/bytes.hpp"

namespace squall::cql {
namespace {

using testing::hex;
using testing::str;

TEST(CqlWireReader, ReadsIntegersBigEndian) {
  const std::string bytes = hex("7f ff fe 80 00 00 01 ff ff ff ff ff ff ff fe");
  WireReader reader(bytes);
  EXPECT_EQ(reader.byte("b").value(), 0x7f);
  EXPECT_EQ(reader.u16("s").value(), 0xfffe);
  EXPECT_EQ(reader.i32("i").value(), static_cast<std::int32_t>(0x80000001u));
  EXPECT_EQ(reader.i64("l").value(), -2);
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(CqlWireReader, TruncationNamesTheFieldAndOffset) {
  const std::string bytes = hex("00 00 00");
  WireReader reader(bytes);
  auto value = reader.i32("Unavailable.required");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().code, Errc::parse);
  EXPECT_EQ(value.error().message, "truncated Unavailable.required: needs 4 bytes at offset 0, only 3 left");
}

TEST(CqlWireReader, ReadsStringsAndLongStrings) {
  const std::string bytes = str("héllo") + hex("00 00 00 03") + "abc" + hex("00 00");
  WireReader reader(bytes);
  EXPECT_EQ(reader.string("s").value(), "héllo");
  EXPECT_EQ(reader.long_string("ls").value(), "abc");
  EXPECT_EQ(reader.string("empty").value(), "");
}

TEST(CqlWireReader, RejectsAStringLongerThanTheInput) {
  const std::string bytes = hex("00 05") + "abc";
  WireReader reader(bytes);
  auto value = reader.string("keyspace");
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.error().message.find("keyspace"), std::string::npos);
}

TEST(CqlWireReader, RejectsANegativeLongStringLength) {
  const std::string bytes = hex("ff ff ff fe");
  WireReader reader(bytes);
  auto value = reader.long_string("query");
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.error().message.find("negative length -2"), std::string::npos);
}

TEST(CqlWireReader, BytesWithNegativeLengthAreNull) {
  const std::string bytes = hex("ff ff ff ff  00 00 00 00  00 00 00 02 ab cd");
  WireReader reader(bytes);
  EXPECT_EQ(reader.bytes("null").value(), std::nullopt);
  EXPECT_EQ(reader.bytes("empty").value(), std::optional<std::string_view>(""));
  EXPECT_EQ(reader.bytes("two").value(), std::optional<std::string_view>(hex("ab cd")));
}

TEST(CqlWireReader, ReadsShortBytesAndUuid) {
  const std::string bytes = hex("00 02 01 02") + hex("00112233445566778899aabbccddeeff");
  WireReader reader(bytes);
  EXPECT_EQ(reader.short_bytes("id").value(), hex("01 02"));
  const auto uuid = reader.uuid("uuid").value();
  EXPECT_EQ(uuid[0], 0x00);
  EXPECT_EQ(uuid[15], 0xff);
}

TEST(CqlWireReader, ReadsStringListMapAndMultimap) {
  const std::string list = hex("00 02") + str("a") + str("bc");
  const std::string map = hex("00 01") + str("CQL_VERSION") + str("3.0.0");
  const std::string multimap = hex("00 02") + str("COMPRESSION") + hex("00 02") + str("lz4") + str("snappy") +
                               str("CQL_VERSION") + hex("00 01") + str("3.4.7");
  const std::string bytes = list + map + multimap;
  WireReader reader(bytes);
  EXPECT_EQ(reader.string_list("list").value(), (std::vector<std::string>{"a", "bc"}));
  EXPECT_EQ(reader.string_map("map").value(), (StringMap{{"CQL_VERSION", "3.0.0"}}));
  const StringMultimap expected{{"COMPRESSION", {"lz4", "snappy"}}, {"CQL_VERSION", {"3.4.7"}}};
  EXPECT_EQ(reader.string_multimap("multimap").value(), expected);
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(CqlWireReader, AHugeListCountOnShortInputIsAnErrorNotAnAllocation) {
  const std::string bytes = hex("ff ff 00 01") + "x";
  WireReader reader(bytes);
  EXPECT_FALSE(reader.string_list("list").ok());
}

TEST(CqlWireReader, ReadsConsistencyAndInet) {
  const std::string bytes = hex("00 06") + hex("04 7f 00 00 01 00 00 23 52") + hex("10") + std::string(15, '\0') +
                            hex("01 00 00 23 52") + hex("05 01 02 03 04 05 00 00 00 00");
  WireReader reader(bytes);
  EXPECT_EQ(reader.consistency("cl").value(), Consistency::local_quorum);
  EXPECT_EQ(reader.inet("v4").value(), (Inet{hex("7f 00 00 01"), 9042}));
  EXPECT_EQ(reader.inet("v6").value(), (Inet{std::string(15, '\0') + hex("01"), 9042}));
  auto bad = reader.inet("bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("5 bytes"), std::string::npos);
}

TEST(CqlWireWriter, WritesEveryPrimitiveAsTheReaderExpects) {
  std::string out;
  WireWriter writer(out);
  writer.byte(0xab);
  writer.u16(0x1234);
  writer.i32(-2);
  writer.i64(0x0102030405060708);
  writer.string("hi", "s");
  writer.long_string("long", "ls");
  writer.bytes(std::nullopt, "null");
  writer.bytes(hex("00 ff"), "b");
  writer.short_bytes(hex("01"), "sb");
  writer.string_list({"x", "yz"}, "list");
  writer.string_map({{"k", "v"}}, "map");
  writer.string_multimap({{"k", {"v1", "v2"}}}, "multimap");
  writer.consistency(Consistency::local_one);
  writer.inet(Inet{hex("0a 00 00 01"), 7000}, "inet");
  ASSERT_FALSE(writer.error());

  const std::string expected = hex("ab 12 34 ff ff ff fe 01 02 03 04 05 06 07 08") + str("hi") + hex("00 00 00 04") +
                               "long" + hex("ff ff ff ff 00 00 00 02 00 ff 00 01 01") + hex("00 02") + str("x") +
                               str("yz") + hex("00 01") + str("k") + str("v") + hex("00 01") + str("k") +
                               hex("00 02") + str("v1") + str("v2") + hex("00 0a") + hex("04 0a 00 00 01 00 00 1b 58");
  EXPECT_EQ(out, expected);
}

TEST(CqlWireWriter, AStringTooLongForItsPrefixFailsAndStaysFailed) {
  std::string out;
  WireWriter writer(out);
  writer.string(std::string(70000, 'x'), "column name");
  writer.string("fine", "other");
  ASSERT_TRUE(writer.error().has_value());
  EXPECT_EQ(writer.error()->code, Errc::invalid_argument);
  EXPECT_EQ(writer.error()->message, "column name is 70000 bytes long; the protocol allows at most 65535");
}

TEST(CqlConsistency, NamesAndParsesEveryLevel) {
  for (std::uint16_t raw = 0; raw <= 0x0a; ++raw) {
    const auto level = static_cast<Consistency>(raw);
    auto parsed = parse_consistency(consistency_name(level));
    ASSERT_TRUE(parsed.ok()) << consistency_name(level);
    EXPECT_EQ(*parsed, level);
  }
  EXPECT_EQ(consistency_name(Consistency::local_quorum), "LOCAL_QUORUM");
  EXPECT_EQ(parse_consistency("local_one").value(), Consistency::local_one);
  EXPECT_EQ(consistency_name(static_cast<Consistency>(0x00ff)), "UNKNOWN(0x00ff)");
  auto bad = parse_consistency("MOST");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'MOST'"), std::string::npos);
}

}  // namespace
}  // namespace squall::cql
