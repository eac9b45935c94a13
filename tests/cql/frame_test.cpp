#include "cql/frame.hpp"

#include <random>

#include <gtest/gtest.h>

#include "cql/bytes.hpp"
#include "cql/messages.hpp"

namespace squall::cql {
namespace {

using testing::hex;
using testing::response_frame;
using testing::str;

TEST(CqlFrame, EncodesAStartupRequestByteForByte) {
  std::string out;
  FrameHeader header;
  header.stream = 1;
  header.opcode = Opcode::startup;
  ASSERT_TRUE(encode_frame(header, startup_request().body, out).ok());
  // version 0x04, flags 0, stream 1, opcode STARTUP, length 22:
  // a [string map] of one entry, CQL_VERSION -> 3.0.0.
  const std::string expected = hex("04 00 00 01 01 00 00 00 16") + hex("00 01") + str("CQL_VERSION") + str("3.0.0");
  EXPECT_EQ(out, expected);
}

TEST(CqlFrame, EncodesAnOptionsRequestWithAnEmptyBody) {
  std::string out;
  FrameHeader header;
  header.stream = 0x7fff;
  header.opcode = Opcode::options;
  ASSERT_TRUE(encode_frame(header, options_request().body, out).ok());
  EXPECT_EQ(out, hex("04 00 7f ff 05 00 00 00 00"));
}

TEST(CqlFrame, DecodesAReadyResponse) {
  const std::string bytes = hex("84 00 00 01 02 00 00 00 00");
  auto decoded = decode_frame(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_TRUE(decoded->frame.has_value());
  EXPECT_EQ(decoded->size, 9u);
  const FrameHeader expected{0x84, 0, 1, Opcode::ready, 0};
  EXPECT_EQ(decoded->frame->header, expected);
  EXPECT_TRUE(decoded->frame->body.empty());
  auto response = decode_response(*decoded->frame);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_TRUE(std::holds_alternative<Ready>(response->body));
}

TEST(CqlFrame, DecodesANegativeStreamIdOfAServerPush) {
  const std::string bytes = response_frame(0x0C, str("SCHEMA_CHANGE"), -1);
  auto decoded = decode_frame(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_TRUE(decoded->frame.has_value());
  EXPECT_EQ(decoded->frame->header.stream, -1);
  EXPECT_EQ(decoded->frame->header.opcode, Opcode::event);
}

TEST(CqlFrame, DecodesBackToBackFramesOneAtATime) {
  const std::string bytes = hex("84 00 00 01 02 00 00 00 00") + response_frame(0x03, str("Auth"), 2) + hex("84 00");
  std::string_view rest = bytes;
  auto first = decode_frame(rest);
  ASSERT_TRUE(first.ok() && first->frame);
  EXPECT_EQ(first->frame->header.stream, 1);
  rest.remove_prefix(first->size);
  auto second = decode_frame(rest);
  ASSERT_TRUE(second.ok() && second->frame);
  EXPECT_EQ(second->frame->header.stream, 2);
  EXPECT_EQ(second->frame->body, str("Auth"));
  rest.remove_prefix(second->size);
  auto third = decode_frame(rest);
  ASSERT_TRUE(third.ok());
  EXPECT_FALSE(third->frame.has_value());
  EXPECT_EQ(third->size, kFrameHeaderSize);
}

TEST(CqlFrame, EveryPrefixOfAFrameAsksForMoreBytes) {
  const std::string body = hex("00 00 00 02 00 00 00 01 00 00 00 01") + str("ks") + str("t") + str("c") +
                           hex("00 09 00 00 00 01 00 00 00 04 00 00 00 2a");
  const std::string bytes = response_frame(0x08, body);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    auto decoded = decode_frame(std::string_view(bytes).substr(0, length));
    ASSERT_TRUE(decoded.ok()) << "prefix " << length << ": " << decoded.error().message;
    EXPECT_FALSE(decoded->frame.has_value()) << "prefix " << length;
    EXPECT_GT(decoded->size, length);
    EXPECT_EQ(decoded->size, length < kFrameHeaderSize ? kFrameHeaderSize : bytes.size());
  }
  auto whole = decode_frame(bytes);
  ASSERT_TRUE(whole.ok() && whole->frame);
  EXPECT_EQ(whole->size, bytes.size());
}

TEST(CqlFrame, ABodyOverTheSpecLimitIsAnError) {
  // length 0x10000001 = 256 MiB + 1
  const std::string bytes = hex("84 00 00 05 08 10 00 00 01");
  auto decoded = decode_frame(bytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().code, Errc::parse);
  EXPECT_EQ(decoded.error().message,
            "RESULT frame on stream 5 declares a body of 268435457 bytes, over the limit of 268435456");
}

TEST(CqlFrame, TheBodyLimitIsConfigurable) {
  const std::string bytes = hex("84 00 00 01 08 00 00 00 65");  // 101 bytes declared
  FrameLimits limits;
  limits.max_body_bytes = 100;
  EXPECT_FALSE(decode_frame(bytes, limits).ok());
  limits.max_body_bytes = 101;
  auto decoded = decode_frame(bytes, limits);
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->frame.has_value());
}

TEST(CqlFrame, ALengthWithTheTopBitSetIsOversizedNotNegative) {
  const std::string bytes = hex("84 00 00 01 08 ff ff ff ff");
  EXPECT_FALSE(decode_frame(bytes).ok());
}

TEST(CqlFrame, AWrongVersionIsAnErrorNamingTheVersion) {
  auto v3 = decode_frame(hex("83 00 00 01 02 00 00 00 00"));
  ASSERT_FALSE(v3.ok());
  EXPECT_EQ(v3.error().message,
            "unexpected frame version byte 0x83 (protocol v3 response); expected 0x84 (protocol v4 response)");
  // The first byte alone is enough to know.
  auto v5 = decode_frame(hex("85"));
  ASSERT_FALSE(v5.ok());
  EXPECT_NE(v5.error().message.find("0x85"), std::string::npos);
  auto request = decode_frame(hex("04 00 00 01 02 00 00 00 00"));
  ASSERT_FALSE(request.ok());
  EXPECT_NE(request.error().message.find("request"), std::string::npos);
}

TEST(CqlFrame, AServerDecodesRequestsWhenToldTo) {
  FrameLimits limits;
  limits.expected_version = kRequestVersion;
  auto decoded = decode_frame(hex("04 00 00 09 05 00 00 00 00"), limits);
  ASSERT_TRUE(decoded.ok() && decoded->frame);
  EXPECT_EQ(decoded->frame->header.opcode, Opcode::options);
  EXPECT_EQ(decoded->frame->header.stream, 9);
}

TEST(CqlFrame, AnUnknownOpcodeIsAnError) {
  auto decoded = decode_frame(hex("84 00 00 01 04 00 00 00 00"));
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.error().message, "frame on stream 1 has unknown opcode 0x04");
  EXPECT_EQ(opcode_name(Opcode::auth_success), "AUTH_SUCCESS");
  EXPECT_EQ(opcode_name(static_cast<Opcode>(0x42)), "UNKNOWN(0x42)");
}

TEST(CqlFrame, GarbageNeverCrashesTheDecoders) {
  std::mt19937 random(20240607);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 64);
  const std::uint8_t opcodes[] = {0x00, 0x02, 0x03, 0x06, 0x08, 0x0C, 0x0E, 0x10};
  int frames = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string bytes(length(random), '\0');
    for (auto& c : bytes) c = static_cast<char>(byte(random));
    // Half the rounds get a valid header so the body decoders see garbage too.
    if (round % 2 == 0) {
      bytes = response_frame(opcodes[static_cast<std::size_t>(round / 2) % std::size(opcodes)], bytes, 1,
                             static_cast<unsigned>(byte(random)) & 0x0e);
    }
    auto decoded = decode_frame(bytes);
    if (!decoded.ok() || !decoded->frame) continue;
    ++frames;
    auto response = decode_response(*decoded->frame);
    if (!response.ok()) {
      EXPECT_FALSE(response.error().message.empty());
    }
  }
  EXPECT_GE(frames, 10000);
}

TEST(CqlFrame, RefusesToEncodeABodyOverTheLimit) {
  std::string out;
  FrameHeader header;
  header.opcode = Opcode::query;
  const std::string body(kDefaultMaxBodyBytes + 1, 'x');
  auto encoded = encode_frame(header, body, out);
  ASSERT_FALSE(encoded.ok());
  EXPECT_EQ(encoded.error().code, Errc::invalid_argument);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace squall::cql
