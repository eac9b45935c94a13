#pragma once
// The embedded log stores each produce() call's records for one partition as
// a single blob. This is its binary format:
//
//   u8      format version (1)
//   varint  record count
//   zigzag  base timestamp (ms)
//   per record:
//     zigzag  timestamp - base timestamp (wrapping 64-bit arithmetic)
//     varint  key length,   key bytes
//     varint  value length, value bytes
//     varint  header count, then per header: varint key length, key bytes,
//                                            varint value length, value bytes
//
// Varints are unsigned LEB128 (at most 10 bytes); zigzag maps signed to
// unsigned so small negative deltas stay short, as in Kafka's record format.
// Offsets are not stored: a record's offset is the batch's base offset plus
// its index, both of which the database row carries.

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "log/log.hpp"

namespace squall::log::embedded {

inline constexpr unsigned char kBatchFormatVersion = 1;

// Appends the encoding of `records` to `out`.
void encode_batch(std::span<const Record* const> records, std::string& out);
std::string encode_batch(std::span<const Record> records);

// Decodes a whole batch. A pure function of `bytes`: every length is checked
// against what is left before anything is read or allocated, so any input
// either decodes or yields Errc::parse ("corrupt batch: ...") naming the
// first inconsistency.
Result<std::vector<Record>> decode_batch(std::string_view bytes);

}  // namespace squall::log::embedded
