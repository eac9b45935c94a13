#include "log/log.hpp"

namespace squall::log {
namespace {

std::uint32_t load_little_endian_32(const unsigned char* bytes) {
  return static_cast<std::uint32_t>(bytes[0]) | (static_cast<std::uint32_t>(bytes[1]) << 8) |
         (static_cast<std::uint32_t>(bytes[2]) << 16) | (static_cast<std::uint32_t>(bytes[3]) << 24);
}

}  // namespace

// MurmurHash2 exactly as Kafka's Java client computes it (Utils.murmur2):
// 32-bit arithmetic wrapping on overflow, which unsigned types give us for
// free where Java's int relies on two's complement.
std::uint32_t murmur2(std::string_view data) {
  constexpr std::uint32_t seed = 0x9747b28cU;
  constexpr std::uint32_t m = 0x5bd1e995U;
  constexpr int r = 24;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t length = data.size();

  // Kafka mixes in the length as a Java int; keys longer than 2^31 bytes are
  // impossible there, so truncating to 32 bits matches it.
  std::uint32_t h = seed ^ static_cast<std::uint32_t>(length);
  const std::size_t whole_words = length / 4;
  for (std::size_t i = 0; i < whole_words; ++i) {
    std::uint32_t k = load_little_endian_32(bytes + i * 4);
    k *= m;
    k ^= k >> r;
    k *= m;
    h *= m;
    h ^= k;
  }

  const unsigned char* tail = bytes + whole_words * 4;
  switch (length % 4) {
    case 3: h ^= static_cast<std::uint32_t>(tail[2]) << 16; [[fallthrough]];
    case 2: h ^= static_cast<std::uint32_t>(tail[1]) << 8; [[fallthrough]];
    case 1:
      h ^= static_cast<std::uint32_t>(tail[0]);
      h *= m;
      break;
    default: break;
  }

  h ^= h >> 13;
  h *= m;
  h ^= h >> 15;
  return h;
}

// Kafka's Utils.toPositive(murmur2(key)) % numPartitions. A partition count
// below 1 has no meaningful answer; it maps everything to partition 0 rather
// than dividing by zero.
std::int32_t partition_for_key(std::string_view key, std::int32_t partitions) {
  if (partitions < 1) return 0;
  const std::uint32_t positive = murmur2(key) & 0x7fffffffU;
  return static_cast<std::int32_t>(positive % static_cast<std::uint32_t>(partitions));
}

}  // namespace squall::log
