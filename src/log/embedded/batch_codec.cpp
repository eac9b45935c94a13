#include "log/embedded/batch_codec.hpp"

#include <cstdint>

#include <fmt/format.h>

namespace squall::log::embedded {
namespace {

// The smallest encoded record: one byte each for timestamp delta, key length,
// value length and header count. Bounds the count a blob can honestly claim.
constexpr std::size_t kMinRecordBytes = 4;
constexpr std::size_t kMinHeaderBytes = 2;
constexpr int kMaxVarintBytes = 10;

void put_varint(std::uint64_t value, std::string& out) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

std::uint64_t zigzag(std::int64_t value) {
  const auto bits = static_cast<std::uint64_t>(value);
  return (bits << 1) ^ (value < 0 ? ~std::uint64_t{0} : std::uint64_t{0});
}

std::int64_t unzigzag(std::uint64_t value) {
  return static_cast<std::int64_t>((value >> 1) ^ (~(value & 1) + 1));
}

void put_bytes(std::string_view bytes, std::string& out) {
  put_varint(bytes.size(), out);
  out.append(bytes);
}

Error corrupt(const std::string& detail) { return make_error(Errc::parse, "corrupt batch: " + detail); }

// Names the field being read, for error messages only: describing it costs
// nothing until something is actually wrong.
struct Field {
  const char* name;
  std::size_t record = kNoIndex;
  std::size_t header = kNoIndex;
  static constexpr std::size_t kNoIndex = static_cast<std::size_t>(-1);

  std::string describe() const {
    std::string out;
    if (record != kNoIndex) out += fmt::format("record {} ", record);
    if (header != kNoIndex) out += fmt::format("header {} ", header);
    return out + name;
  }
};

// A cursor over the blob that refuses to move past its end.
class Reader {
 public:
  Reader(std::string_view bytes, std::size_t start) : bytes_(bytes), pos_(start) {}

  std::size_t left() const { return bytes_.size() - pos_; }

  Result<std::uint64_t> varint(const Field& field) {
    std::uint64_t value = 0;
    for (int i = 0; i < kMaxVarintBytes; ++i) {
      if (pos_ == bytes_.size()) return corrupt(fmt::format("{} truncated at byte {}", field.describe(), pos_));
      const auto byte = static_cast<unsigned char>(bytes_[pos_]);
      if (i == kMaxVarintBytes - 1 && byte > 1) {
        return corrupt(fmt::format("{} overflows 64 bits at byte {}", field.describe(), pos_));
      }
      ++pos_;
      value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
      if ((byte & 0x80) == 0) return value;
    }
    return corrupt(fmt::format("{} overflows 64 bits at byte {}", field.describe(), pos_ - 1));
  }

  Result<std::string> bytes(const Field& field) {
    std::uint64_t length = 0;
    SQUALL_ASSIGN(length, varint(field));
    if (length > left()) {
      return corrupt(fmt::format("{} length {} at byte {} exceeds the {} bytes left", field.describe(), length,
                                 pos_, left()));
    }
    std::string out(bytes_.substr(pos_, static_cast<std::size_t>(length)));
    pos_ += static_cast<std::size_t>(length);
    return out;
  }

  // A count of items that take at least `min_item_bytes` each; refusing
  // counts the remaining bytes cannot hold keeps reserve() honest.
  Result<std::size_t> count(const Field& field, std::size_t min_item_bytes) {
    std::uint64_t n = 0;
    SQUALL_ASSIGN(n, varint(field));
    if (n > left() / min_item_bytes) {
      return corrupt(fmt::format("{} {} cannot fit in the {} bytes left", field.describe(), n, left()));
    }
    return static_cast<std::size_t>(n);
  }

 private:
  std::string_view bytes_;
  std::size_t pos_;
};

Result<Record> read_record(Reader& in, std::int64_t base_timestamp, std::size_t index) {
  Record record;
  std::uint64_t delta = 0;
  SQUALL_ASSIGN(delta, in.varint({"timestamp", index}));
  record.timestamp_ms = static_cast<std::int64_t>(static_cast<std::uint64_t>(base_timestamp) +
                                                  static_cast<std::uint64_t>(unzigzag(delta)));
  SQUALL_ASSIGN(record.key, in.bytes({"key", index}));
  SQUALL_ASSIGN(record.value, in.bytes({"value", index}));
  std::size_t header_count = 0;
  SQUALL_ASSIGN(header_count, in.count({"header count", index}, kMinHeaderBytes));
  record.headers.reserve(header_count);
  for (std::size_t h = 0; h < header_count; ++h) {
    Header header;
    SQUALL_ASSIGN(header.key, in.bytes({"key", index, h}));
    SQUALL_ASSIGN(header.value, in.bytes({"value", index, h}));
    record.headers.push_back(std::move(header));
  }
  return record;
}

}  // namespace

void encode_batch(std::span<const Record* const> records, std::string& out) {
  const std::int64_t base_timestamp = records.empty() ? 0 : records.front()->timestamp_ms;
  out.push_back(static_cast<char>(kBatchFormatVersion));
  put_varint(records.size(), out);
  put_varint(zigzag(base_timestamp), out);
  for (const Record* record : records) {
    const auto delta = static_cast<std::uint64_t>(record->timestamp_ms) - static_cast<std::uint64_t>(base_timestamp);
    put_varint(zigzag(static_cast<std::int64_t>(delta)), out);
    put_bytes(record->key, out);
    put_bytes(record->value, out);
    put_varint(record->headers.size(), out);
    for (const Header& header : record->headers) {
      put_bytes(header.key, out);
      put_bytes(header.value, out);
    }
  }
}

std::string encode_batch(std::span<const Record> records) {
  std::vector<const Record*> pointers;
  pointers.reserve(records.size());
  for (const Record& record : records) pointers.push_back(&record);
  std::string out;
  encode_batch(pointers, out);
  return out;
}

Result<std::vector<Record>> decode_batch(std::string_view bytes) {
  if (bytes.empty()) return corrupt("empty blob");
  const auto version = static_cast<unsigned char>(bytes.front());
  if (version != kBatchFormatVersion) {
    return corrupt(fmt::format("unsupported format version {} (expected {})", version, kBatchFormatVersion));
  }
  Reader in(bytes, 1);
  std::size_t count = 0;
  SQUALL_ASSIGN(count, in.count({"record count"}, kMinRecordBytes));
  std::uint64_t base = 0;
  SQUALL_ASSIGN(base, in.varint({"base timestamp"}));
  const std::int64_t base_timestamp = unzigzag(base);

  std::vector<Record> records;
  records.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    Record record;
    SQUALL_ASSIGN(record, read_record(in, base_timestamp, i));
    records.push_back(std::move(record));
  }
  if (in.left() != 0) return corrupt(fmt::format("{} trailing bytes after {} records", in.left(), count));
  return records;
}

}  // namespace squall::log::embedded
