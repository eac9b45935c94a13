#pragma once
// The processor's per-partition state as bytes, for store::Checkpoint.
//
// A format version byte, then varints and little-endian doubles, ascending
// times as deltas (format 3; formats 1 and 2, with fixed 8-byte integers,
// still decode, so a checkpoint written by an older squall resumes).
// Decoding checks every length, so a truncated or foreign blob is an error,
// never a crash or a silently wrong state.

#include <string>
#include <string_view>

#include "core/result.hpp"
#include "processor/alerts.hpp"
#include "processor/windows.hpp"

namespace squall::processor {

// Everything the processor keeps for one partition.
struct PartitionState {
  PartitionSnapshot windows;
  std::vector<AlertState> alerts;
  bool operator==(const PartitionState&) const = default;
};

std::string encode_checkpoint(const PartitionState& state);
Result<PartitionState> decode_checkpoint(std::string_view bytes);

}  // namespace squall::processor
