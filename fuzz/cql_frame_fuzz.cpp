// Fuzzes what the CQL client decodes from a server: decode_frame over a stream of frames, then decode_response.
// Properties: bad bytes are error values; "need more bytes" asks for more than it has; a frame re-encodes to its
// own bytes; every decoded cell binds to its column's type and re-encodes to the same bytes.

#include <string>
#include <variant>
#include <vector>

#include "check.hpp"
#include "cql/messages.hpp"

namespace {

using namespace squall::cql;
using squall::fuzz::require;

std::string encoded(const Value& value) {
  std::string bytes;
  WireWriter writer(bytes);
  write_value(writer, value);
  return bytes;
}

// A cell goes back to the server as a bound value: it must bind to the
// column it came from and read back as itself.
void check_cell(const Value& value, const ColumnType& type) {
  require(binds_to(value, type), "a decoded cell does not bind to its own column type");
  const std::string bytes = encoded(value);
  WireReader reader(bytes);
  const auto cell = reader.bytes("cell");
  require(cell.ok() && reader.remaining() == 0, "a re-encoded cell is not one [bytes]");
  const auto again = decode_cell(type, *cell);
  require(again.ok(), "a re-encoded cell does not decode");
  require(encoded(*again) == bytes, "a cell does not round-trip");
}

void check_rows(const RowsResult& rows, const std::vector<ColumnSpec>& columns) {
  for (const Row& row : rows.rows) {
    require(row.size() == columns.size(), "a row's width differs from its columns");
    for (std::size_t i = 0; i < row.size(); ++i) check_cell(row[i], columns[i].type);
  }
}

void describe_columns(const std::vector<ColumnSpec>& columns) {
  for (const ColumnSpec& column : columns) require(!column.type.name().empty(), "a column type without a name");
}

// Checks one response; a Prepared result's columns become the ones a later
// Rows result without metadata is read with, as after EXECUTE.
void check_response(const Response& response, std::vector<ColumnSpec>& prepared_columns) {
  require(!response_kind(response.body).empty(), "a response without a kind");
  if (const auto* error = std::get_if<ServerError>(&response.body)) {
    require(!error->describe().empty(), "a server error without a description");
  } else if (const auto* rows = std::get_if<RowsResult>(&response.body)) {
    const auto& columns = rows->metadata.no_metadata ? prepared_columns : rows->metadata.columns;
    describe_columns(columns);
    check_rows(*rows, columns);
  } else if (const auto* prepared = std::get_if<PreparedResult>(&response.body)) {
    describe_columns(prepared->bind_markers);
    prepared_columns = prepared->result_metadata.columns;
  }
}

void check_reencodes(const Frame& frame, std::string_view bytes) {
  std::string out;
  require(encode_frame(frame.header, frame.body, out).ok(), "a decoded frame cannot be encoded");
  require(out == bytes, "a frame does not re-encode to its own bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input = squall::fuzz::as_text(data, size);
  std::vector<ColumnSpec> prepared_columns;
  while (!input.empty()) {
    const auto decoded = decode_frame(input);
    if (!decoded) return 0;
    if (!decoded->frame) {
      require(decoded->size > input.size(), "a partial frame asks for no more bytes than it has");
      return 0;
    }
    require(decoded->size == kFrameHeaderSize + decoded->frame->body.size() && decoded->size <= input.size(),
            "a frame's size disagrees with its body");
    check_reencodes(*decoded->frame, input.substr(0, decoded->size));
    const auto response = decode_response(*decoded->frame, prepared_columns.empty() ? nullptr : &prepared_columns);
    if (response) check_response(*response, prepared_columns);
    input.remove_prefix(decoded->size);
  }
  return 0;
}
