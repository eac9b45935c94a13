#pragma once
// Stored rows as JSON: one shape shared by `squall query --format json` and
// the HTTP API, so a script can switch between them. Times are ISO 8601 UTC
// strings, absent values null, never a made-up zero.

#include <span>
#include <string>

#include "core/observation.hpp"
#include "store/store.hpp"

namespace squall::store {

void append_json(std::string& out, const Observation& row);
void append_json(std::string& out, const WindowRow& row);
void append_json(std::string& out, const AlertRow& row);
void append_json(std::string& out, const DeadLetter& row);
void append_json(std::string& out, const Stats& stats);

// A JSON array of `rows`, one per line.
template <class Row>
std::string json_array(std::span<const Row> rows) {
  std::string out = "[";
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i > 0) out += ",\n ";
    append_json(out, rows[i]);
  }
  return out + "]\n";
}

}  // namespace squall::store
