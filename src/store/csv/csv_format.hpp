#pragma once
// RFC 4180 rendering of observations, appending into a caller's buffer so a
// whole batch is formatted without a string per row.

#include <string>
#include <string_view>

#include "core/observation.hpp"

namespace squall::store::csv {

// RFC 4180 ends every record, the last one included, with CRLF.
inline constexpr std::string_view kLineEnd = "\r\n";

// Appends `text` as one field: quoted, with quotes doubled, when it holds a
// comma, a quote, CR or LF; as is otherwise.
void append_field(std::string& out, std::string_view text);

// Appends the shortest text that reads back as exactly `value` (what
// std::to_chars gives), fast for the few-decimals numbers weather is made of.
void append_number(std::string& out, double value);

// Appends one record without its line end.
void append_row(std::string& out, const Observation& observation);

}  // namespace squall::store::csv
