#pragma once
// Primitive codecs of the CQL native protocol v4 (spec §3): the notations every
// message body is written in. Big-endian throughout.
//
// WireReader never reads past its input: every accessor returns a Result that
// names the field it was reading when the bytes ran out or made no sense, so a
// malformed frame yields a precise error instead of undefined behaviour.
// WireWriter appends to a std::string; a length that does not fit its prefix
// makes the writer fail (sticky) rather than emit a frame the server would
// misread.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace squall::cql {

// [consistency] (spec §3).
enum class Consistency : std::uint16_t {
  any = 0x0000,
  one = 0x0001,
  two = 0x0002,
  three = 0x0003,
  quorum = 0x0004,
  all = 0x0005,
  local_quorum = 0x0006,
  each_quorum = 0x0007,
  serial = 0x0008,
  local_serial = 0x0009,
  local_one = 0x000A,
};

// "LOCAL_QUORUM", as cqlsh spells it; "UNKNOWN(0x00ff)" for values outside the spec.
std::string consistency_name(Consistency level);
// Parses a name as cqlsh spells it, case-insensitively ("local_quorum" works).
Result<Consistency> parse_consistency(std::string_view name);

// [inet]: a node's address and port.
struct Inet {
  std::string address;  // 4 (IPv4) or 16 (IPv6) raw bytes
  std::int32_t port = 0;
  bool operator==(const Inet&) const = default;
};

// Order preserved as on the wire; keys are few, so a vector beats a map.
using StringMap = std::vector<std::pair<std::string, std::string>>;
using StringMultimap = std::vector<std::pair<std::string, std::vector<std::string>>>;

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : bytes_(bytes) {}

  std::size_t remaining() const { return bytes_.size() - pos_; }

  // Every `what` names the field for error messages ("Unavailable.required").
  // u16, i32 and i64 are the spec's [short], [int] and [long].
  Result<std::uint8_t> byte(const char* what);
  Result<std::uint16_t> u16(const char* what);
  Result<std::int32_t> i32(const char* what);
  Result<std::int64_t> i64(const char* what);
  Result<std::string_view> raw(std::size_t count, const char* what);
  Result<std::string_view> string(const char* what);
  Result<std::string_view> long_string(const char* what);
  // [bytes]: std::nullopt for a negative length, which means null.
  Result<std::optional<std::string_view>> bytes(const char* what);
  Result<std::string_view> short_bytes(const char* what);
  Result<std::array<std::uint8_t, 16>> uuid(const char* what);
  Result<std::vector<std::string>> string_list(const char* what);
  Result<StringMap> string_map(const char* what);
  Result<StringMultimap> string_multimap(const char* what);
  Result<Consistency> consistency(const char* what);
  Result<Inet> inet(const char* what);

 private:
  Error truncated(const char* what, std::size_t wanted) const;

  std::string_view bytes_;
  std::size_t pos_ = 0;
};

class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}

  void byte(std::uint8_t value);
  void u16(std::uint16_t value);
  void i32(std::int32_t value);
  void i64(std::int64_t value);
  void raw(std::string_view bytes) { out_.append(bytes); }
  void string(std::string_view value, const char* what);
  void long_string(std::string_view value, const char* what);
  // [bytes]; std::nullopt writes the null marker (length -1).
  void bytes(std::optional<std::string_view> value, const char* what);
  void short_bytes(std::string_view value, const char* what);
  void string_list(const std::vector<std::string>& values, const char* what);
  void string_map(const StringMap& map, const char* what);
  void string_multimap(const StringMultimap& map, const char* what);
  void consistency(Consistency level) { u16(static_cast<std::uint16_t>(level)); }
  void inet(const Inet& inet, const char* what);

  // The first length that did not fit its prefix, if any.
  const std::optional<Error>& error() const { return error_; }

 private:
  void fail(const char* what, std::size_t length, std::size_t limit);

  std::string& out_;
  std::optional<Error> error_;
};

}  // namespace squall::cql
