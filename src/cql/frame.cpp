#include "cql/frame.hpp"

#include <fmt/format.h>

#include "cql/wire.hpp"

namespace squall::cql {
namespace {

struct OpcodeName {
  Opcode opcode;
  const char* name;
};

constexpr OpcodeName kOpcodeNames[] = {
    {Opcode::error, "ERROR"},
    {Opcode::startup, "STARTUP"},
    {Opcode::ready, "READY"},
    {Opcode::authenticate, "AUTHENTICATE"},
    {Opcode::options, "OPTIONS"},
    {Opcode::supported, "SUPPORTED"},
    {Opcode::query, "QUERY"},
    {Opcode::result, "RESULT"},
    {Opcode::prepare, "PREPARE"},
    {Opcode::execute, "EXECUTE"},
    {Opcode::register_, "REGISTER"},
    {Opcode::event, "EVENT"},
    {Opcode::batch, "BATCH"},
    {Opcode::auth_challenge, "AUTH_CHALLENGE"},
    {Opcode::auth_response, "AUTH_RESPONSE"},
    {Opcode::auth_success, "AUTH_SUCCESS"},
};

bool is_known(Opcode opcode) {
  for (const auto& entry : kOpcodeNames) {
    if (entry.opcode == opcode) return true;
  }
  return false;
}

std::string describe_version(std::uint8_t version) {
  return fmt::format("0x{:02x} (protocol v{} {})", version, version & 0x7f, (version & 0x80) ? "response" : "request");
}

}  // namespace

std::string opcode_name(Opcode opcode) {
  for (const auto& entry : kOpcodeNames) {
    if (entry.opcode == opcode) return entry.name;
  }
  return fmt::format("UNKNOWN(0x{:02x})", static_cast<unsigned>(opcode));
}

Result<DecodedFrame> decode_frame(std::string_view bytes, const FrameLimits& limits) {
  // The version byte alone is enough to reject a stream that is not ours, so
  // check it before waiting for the rest of the header.
  if (!bytes.empty() && static_cast<std::uint8_t>(bytes[0]) != limits.expected_version) {
    return make_error(Errc::parse, fmt::format("unexpected frame version byte {}; expected {}",
                                               describe_version(static_cast<std::uint8_t>(bytes[0])),
                                               describe_version(limits.expected_version)));
  }
  if (bytes.size() < kFrameHeaderSize) return DecodedFrame{std::nullopt, kFrameHeaderSize};

  WireReader reader(bytes.substr(0, kFrameHeaderSize));
  FrameHeader header;
  // The reader cannot fail on a full header; the values are taken as they come.
  header.version = reader.byte("frame version").value();
  header.flags = reader.byte("frame flags").value();
  header.stream = static_cast<std::int16_t>(reader.u16("frame stream").value());
  header.opcode = static_cast<Opcode>(reader.byte("frame opcode").value());
  header.length = static_cast<std::uint32_t>(reader.i32("frame length").value());

  if (!is_known(header.opcode)) {
    return make_error(Errc::parse, fmt::format("frame on stream {} has unknown opcode 0x{:02x}", header.stream,
                                               static_cast<unsigned>(header.opcode)));
  }
  if (header.length > limits.max_body_bytes) {
    return make_error(Errc::parse,
                      fmt::format("{} frame on stream {} declares a body of {} bytes, over the limit of {}",
                                  opcode_name(header.opcode), header.stream, header.length, limits.max_body_bytes));
  }
  const std::size_t total = kFrameHeaderSize + header.length;
  if (bytes.size() < total) return DecodedFrame{std::nullopt, total};
  return DecodedFrame{Frame{header, bytes.substr(kFrameHeaderSize, header.length)}, total};
}

Result<void> encode_frame(const FrameHeader& header, std::string_view body, std::string& out) {
  if (body.size() > kDefaultMaxBodyBytes) {
    return make_error(Errc::invalid_argument,
                      fmt::format("{} body of {} bytes exceeds the protocol's frame limit of {} bytes",
                                  opcode_name(header.opcode), body.size(), kDefaultMaxBodyBytes));
  }
  WireWriter writer(out);
  writer.byte(header.version);
  writer.byte(header.flags);
  writer.u16(static_cast<std::uint16_t>(header.stream));
  writer.byte(static_cast<std::uint8_t>(header.opcode));
  writer.i32(static_cast<std::int32_t>(body.size()));
  writer.raw(body);
  return {};
}

}  // namespace squall::cql
