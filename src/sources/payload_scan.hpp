#pragma once
// A light scan of a raw OWM payload, for routing before the real parse.

#include <cstdint>
#include <optional>
#include <string_view>

namespace squall::sources {

// The integer value of the top-level "id" key of a JSON object, if the text
// has one. Nested ids (weather[].id, sys.id) are skipped by tracking depth and
// strings; anything unexpected yields nullopt rather than a guess. This is
// not a validator: the processor parses properly and dead-letters bad input.
std::optional<std::int64_t> find_top_level_id(std::string_view json);

}  // namespace squall::sources
