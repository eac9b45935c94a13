#pragma once
// CQL native protocol v4 frames (spec §1–2): a 9-byte header, then the body.
//
//   version(1) flags(1) stream(2, signed) opcode(1) length(4, body bytes)
//
// decode_frame is a pure function over the bytes received so far. A prefix of
// a valid frame is not an error: it says how many bytes it needs in total,
// so a reader can accumulate input and call again. Anything that can never
// become a valid frame (another protocol version, a body longer than the
// configured maximum, an opcode the protocol does not have) is an Error.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace squall::cql {

inline constexpr std::uint8_t kProtocolVersion = 0x04;
inline constexpr std::uint8_t kRequestVersion = kProtocolVersion;          // direction bit clear
inline constexpr std::uint8_t kResponseVersion = 0x80 | kProtocolVersion;  // direction bit set
inline constexpr std::size_t kFrameHeaderSize = 9;
// The spec's limit on a frame body (§2.5).
inline constexpr std::uint32_t kDefaultMaxBodyBytes = 256u * 1024 * 1024;

enum class Opcode : std::uint8_t {
  error = 0x00,
  startup = 0x01,
  ready = 0x02,
  authenticate = 0x03,
  options = 0x05,
  supported = 0x06,
  query = 0x07,
  result = 0x08,
  prepare = 0x09,
  execute = 0x0A,
  register_ = 0x0B,
  event = 0x0C,
  batch = 0x0D,
  auth_challenge = 0x0E,
  auth_response = 0x0F,
  auth_success = 0x10,
};

// "READY"; "UNKNOWN(0x04)" for a byte that is no opcode.
std::string opcode_name(Opcode opcode);

// Frame flag bits (spec §2.2).
namespace frame_flag {
inline constexpr std::uint8_t compression = 0x01;
inline constexpr std::uint8_t tracing = 0x02;
inline constexpr std::uint8_t custom_payload = 0x04;
inline constexpr std::uint8_t warning = 0x08;
}  // namespace frame_flag

struct FrameHeader {
  std::uint8_t version = kRequestVersion;
  std::uint8_t flags = 0;
  std::int16_t stream = 0;
  Opcode opcode = Opcode::error;
  std::uint32_t length = 0;
  bool operator==(const FrameHeader&) const = default;
};

struct Frame {
  FrameHeader header;
  std::string_view body;  // points into the bytes given to decode_frame
};

struct FrameLimits {
  std::uint8_t expected_version = kResponseVersion;
  std::uint32_t max_body_bytes = kDefaultMaxBodyBytes;
};

struct DecodedFrame {
  // Empty when the bytes hold only a prefix of a frame.
  std::optional<Frame> frame;
  // With a frame: the bytes it occupies (header + body), to drop from the
  // input. Without: the least total input length worth calling again with.
  std::size_t size = 0;
};

Result<DecodedFrame> decode_frame(std::string_view bytes, const FrameLimits& limits = {});

// Appends a complete frame to `out`; its length field is body.size() (header.length
// is ignored). The body must not exceed the spec's limit.
Result<void> encode_frame(const FrameHeader& header, std::string_view body, std::string& out);

}  // namespace squall::cql
