#pragma once
// The processor's per-partition state as bytes, for store::Checkpoint.
//
// Little-endian fixed-width fields behind a format version byte; decoding
// checks every length, so a truncated or foreign blob is an error, never a
// crash or a silently wrong state.

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
