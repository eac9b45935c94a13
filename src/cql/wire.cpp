#include "cql/wire.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>

namespace squall::cql {
namespace {

constexpr std::size_t kShortMax = std::numeric_limits<std::uint16_t>::max();
constexpr std::size_t kIntMax = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

struct ConsistencyName {
  Consistency level;
  const char* name;
};

constexpr ConsistencyName kConsistencyNames[] = {
    {Consistency::any, "ANY"},
    {Consistency::one, "ONE"},
    {Consistency::two, "TWO"},
    {Consistency::three, "THREE"},
    {Consistency::quorum, "QUORUM"},
    {Consistency::all, "ALL"},
    {Consistency::local_quorum, "LOCAL_QUORUM"},
    {Consistency::each_quorum, "EACH_QUORUM"},
    {Consistency::serial, "SERIAL"},
    {Consistency::local_serial, "LOCAL_SERIAL"},
    {Consistency::local_one, "LOCAL_ONE"},
};

std::uint64_t load_big_endian(std::string_view bytes) {
  std::uint64_t value = 0;
  for (const char c : bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return value;
}

// One append per integer: a request carries several per value, and growing
// the buffer a byte at a time showed in profiles.
void store_big_endian(std::uint64_t value, std::size_t width, std::string& out) {
  char bytes[8];
  for (std::size_t i = 0; i < width; ++i) bytes[i] = static_cast<char>((value >> (8 * (width - 1 - i))) & 0xff);
  out.append(bytes, width);
}

}  // namespace

std::string consistency_name(Consistency level) {
  for (const auto& entry : kConsistencyNames) {
    if (entry.level == level) return entry.name;
  }
  return fmt::format("UNKNOWN(0x{:04x})", static_cast<unsigned>(level));
}

Result<Consistency> parse_consistency(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const auto& entry : kConsistencyNames) {
    if (upper == entry.name) return entry.level;
  }
  return make_error(Errc::invalid_argument,
                    fmt::format("unknown consistency level '{}' (expected e.g. ONE, QUORUM, LOCAL_QUORUM, ALL)", name));
}

// ---------------------------------------------------------------- reading

Error WireReader::truncated(const char* what, std::size_t wanted) const {
  return make_error(Errc::parse, fmt::format("truncated {}: needs {} bytes at offset {}, only {} left", what, wanted,
                                             pos_, remaining()));
}

Result<std::string_view> WireReader::raw(std::size_t count, const char* what) {
  if (count > remaining()) return truncated(what, count);
  const auto out = bytes_.substr(pos_, count);
  pos_ += count;
  return out;
}

Result<std::uint8_t> WireReader::byte(const char* what) {
  std::string_view bytes;
  SQUALL_ASSIGN(bytes, raw(1, what));
  return static_cast<std::uint8_t>(bytes[0]);
}

Result<std::uint16_t> WireReader::u16(const char* what) {
  std::string_view bytes;
  SQUALL_ASSIGN(bytes, raw(2, what));
  return static_cast<std::uint16_t>(load_big_endian(bytes));
}

Result<std::int32_t> WireReader::i32(const char* what) {
  std::string_view bytes;
  SQUALL_ASSIGN(bytes, raw(4, what));
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(load_big_endian(bytes)));
}

Result<std::int64_t> WireReader::i64(const char* what) {
  std::string_view bytes;
  SQUALL_ASSIGN(bytes, raw(8, what));
  return static_cast<std::int64_t>(load_big_endian(bytes));
}

Result<std::string_view> WireReader::string(const char* what) {
  std::uint16_t length = 0;
  SQUALL_ASSIGN(length, u16(what));
  return raw(length, what);
}

Result<std::string_view> WireReader::long_string(const char* what) {
  std::int32_t length = 0;
  SQUALL_ASSIGN(length, i32(what));
  if (length < 0) return make_error(Errc::parse, fmt::format("{} has negative length {}", what, length));
  return raw(static_cast<std::size_t>(length), what);
}

Result<std::optional<std::string_view>> WireReader::bytes(const char* what) {
  std::int32_t length = 0;
  SQUALL_ASSIGN(length, i32(what));
  if (length < 0) return std::optional<std::string_view>{};
  std::string_view out;
  SQUALL_ASSIGN(out, raw(static_cast<std::size_t>(length), what));
  return std::optional<std::string_view>{out};
}

Result<std::string_view> WireReader::short_bytes(const char* what) { return string(what); }

Result<std::array<std::uint8_t, 16>> WireReader::uuid(const char* what) {
  std::string_view bytes;
  SQUALL_ASSIGN(bytes, raw(16, what));
  std::array<std::uint8_t, 16> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

Result<std::vector<std::string>> WireReader::string_list(const char* what) {
  std::uint16_t count = 0;
  SQUALL_ASSIGN(count, u16(what));
  std::vector<std::string> out;
  // Each [string] takes at least its 2-byte length: never reserve more than the input could hold.
  out.reserve(std::min<std::size_t>(count, remaining() / 2));
  for (std::uint16_t i = 0; i < count; ++i) {
    std::string_view item;
    SQUALL_ASSIGN(item, string(what));
    out.emplace_back(item);
  }
  return out;
}

Result<StringMap> WireReader::string_map(const char* what) {
  std::uint16_t count = 0;
  SQUALL_ASSIGN(count, u16(what));
  StringMap out;
  out.reserve(std::min<std::size_t>(count, remaining() / 4));
  for (std::uint16_t i = 0; i < count; ++i) {
    std::string_view key;
    std::string_view value;
    SQUALL_ASSIGN(key, string(what));
    SQUALL_ASSIGN(value, string(what));
    out.emplace_back(std::string(key), std::string(value));
  }
  return out;
}

Result<StringMultimap> WireReader::string_multimap(const char* what) {
  std::uint16_t count = 0;
  SQUALL_ASSIGN(count, u16(what));
  StringMultimap out;
  out.reserve(std::min<std::size_t>(count, remaining() / 4));
  for (std::uint16_t i = 0; i < count; ++i) {
    std::string_view key;
    SQUALL_ASSIGN(key, string(what));
    std::vector<std::string> values;
    SQUALL_ASSIGN(values, string_list(what));
    out.emplace_back(std::string(key), std::move(values));
  }
  return out;
}

Result<Consistency> WireReader::consistency(const char* what) {
  std::uint16_t value = 0;
  SQUALL_ASSIGN(value, u16(what));
  // Kept even when outside the spec's table: the server knows levels we may not.
  return static_cast<Consistency>(value);
}

Result<Inet> WireReader::inet(const char* what) {
  std::uint8_t size = 0;
  SQUALL_ASSIGN(size, byte(what));
  if (size != 4 && size != 16) {
    return make_error(Errc::parse, fmt::format("{} has an address of {} bytes; expected 4 or 16", what, size));
  }
  Inet out;
  std::string_view address;
  SQUALL_ASSIGN(address, raw(size, what));
  out.address = std::string(address);
  SQUALL_ASSIGN(out.port, i32(what));
  return out;
}

// ---------------------------------------------------------------- writing

void WireWriter::fail(const char* what, std::size_t length, std::size_t limit) {
  if (error_) return;
  error_ = make_error(Errc::invalid_argument,
                      fmt::format("{} is {} bytes long; the protocol allows at most {}", what, length, limit));
}

void WireWriter::byte(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
void WireWriter::u16(std::uint16_t value) { store_big_endian(value, 2, out_); }
void WireWriter::i32(std::int32_t value) { store_big_endian(static_cast<std::uint32_t>(value), 4, out_); }
void WireWriter::i64(std::int64_t value) { store_big_endian(static_cast<std::uint64_t>(value), 8, out_); }

void WireWriter::string(std::string_view value, const char* what) {
  if (value.size() > kShortMax) return fail(what, value.size(), kShortMax);
  u16(static_cast<std::uint16_t>(value.size()));
  raw(value);
}

void WireWriter::long_string(std::string_view value, const char* what) {
  if (value.size() > kIntMax) return fail(what, value.size(), kIntMax);
  i32(static_cast<std::int32_t>(value.size()));
  raw(value);
}

void WireWriter::bytes(std::optional<std::string_view> value, const char* what) {
  if (!value) return i32(-1);
  long_string(*value, what);
}

void WireWriter::short_bytes(std::string_view value, const char* what) { string(value, what); }

void WireWriter::string_list(const std::vector<std::string>& values, const char* what) {
  if (values.size() > kShortMax) return fail(what, values.size(), kShortMax);
  u16(static_cast<std::uint16_t>(values.size()));
  for (const auto& value : values) string(value, what);
}

void WireWriter::string_map(const StringMap& map, const char* what) {
  if (map.size() > kShortMax) return fail(what, map.size(), kShortMax);
  u16(static_cast<std::uint16_t>(map.size()));
  for (const auto& [key, value] : map) {
    string(key, what);
    string(value, what);
  }
}

void WireWriter::string_multimap(const StringMultimap& map, const char* what) {
  if (map.size() > kShortMax) return fail(what, map.size(), kShortMax);
  u16(static_cast<std::uint16_t>(map.size()));
  for (const auto& [key, values] : map) {
    string(key, what);
    string_list(values, what);
  }
}

void WireWriter::inet(const Inet& inet, const char* what) {
  if (inet.address.size() != 4 && inet.address.size() != 16) {
    if (!error_) {
      error_ = make_error(Errc::invalid_argument,
                          fmt::format("{} has an address of {} bytes; expected 4 or 16", what, inet.address.size()));
    }
    return;
  }
  byte(static_cast<std::uint8_t>(inet.address.size()));
  raw(inet.address);
  i32(inet.port);
}

}  // namespace squall::cql
