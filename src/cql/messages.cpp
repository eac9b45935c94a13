#include "cql/messages.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace squall::cql {
namespace {

constexpr std::size_t kMaxValuesPerStatement = std::numeric_limits<std::uint16_t>::max();

// <query_parameters> flags (§4.1.4); BATCH shares the last three (§4.1.7).
namespace query_flag {
constexpr std::uint8_t values = 0x01;
constexpr std::uint8_t skip_metadata = 0x02;
constexpr std::uint8_t page_size = 0x04;
constexpr std::uint8_t paging_state = 0x08;
constexpr std::uint8_t serial_consistency = 0x10;
constexpr std::uint8_t default_timestamp = 0x20;
}  // namespace query_flag

// <metadata> flags (§4.2.5.2).
namespace metadata_flag {
constexpr std::int32_t global_tables_spec = 0x0001;
constexpr std::int32_t has_more_pages = 0x0002;
constexpr std::int32_t no_metadata = 0x0004;
}  // namespace metadata_flag

// RESULT kinds (§4.2.5).
enum class ResultKind : std::int32_t { void_ = 1, rows = 2, set_keyspace = 3, prepared = 4, schema_change = 5 };

constexpr std::uint8_t kUnloggedBatch = 1;
constexpr std::uint8_t kPreparedBatchEntry = 1;

Result<Request> finish(Opcode opcode, std::string body, const WireWriter& writer) {
  if (writer.error()) {
    Error error = *writer.error();
    error.message = fmt::format("cannot encode {}: {}", opcode_name(opcode), error.message);
    return error;
  }
  return Request{opcode, std::move(body)};
}

Result<void> write_values(WireWriter& writer, std::span<const Value> values) {
  if (values.size() > kMaxValuesPerStatement) {
    return make_error(Errc::invalid_argument, fmt::format("{} bound values; the protocol allows at most {}",
                                                          values.size(), kMaxValuesPerStatement));
  }
  writer.u16(static_cast<std::uint16_t>(values.size()));
  for (const auto& value : values) write_value(writer, value);
  return {};
}

Result<void> write_query_parameters(WireWriter& writer, const QueryParameters& parameters) {
  std::uint8_t flags = 0;
  if (!parameters.values.empty()) flags |= query_flag::values;
  if (parameters.skip_metadata) flags |= query_flag::skip_metadata;
  if (parameters.page_size) flags |= query_flag::page_size;
  if (parameters.paging_state) flags |= query_flag::paging_state;
  if (parameters.serial_consistency) flags |= query_flag::serial_consistency;
  if (parameters.default_timestamp_micros) flags |= query_flag::default_timestamp;

  writer.consistency(parameters.consistency);
  writer.byte(flags);
  if (!parameters.values.empty()) SQUALL_TRY(write_values(writer, parameters.values));
  if (parameters.page_size) writer.i32(*parameters.page_size);
  if (parameters.paging_state) writer.bytes(*parameters.paging_state, "paging state");
  if (parameters.serial_consistency) writer.consistency(*parameters.serial_consistency);
  if (parameters.default_timestamp_micros) writer.i64(*parameters.default_timestamp_micros);
  return {};
}

Error malformed(const Frame& frame, const char* what, const Error& cause) {
  return make_error(Errc::parse, fmt::format("malformed {} on stream {}: {}", what, frame.header.stream,
                                             cause.message));
}

// ------------------------------------------------------------ error bodies

Result<UnavailableDetails> read_unavailable(WireReader& reader) {
  UnavailableDetails details;
  SQUALL_ASSIGN(details.consistency, reader.consistency("Unavailable consistency"));
  SQUALL_ASSIGN(details.required, reader.i32("Unavailable required"));
  SQUALL_ASSIGN(details.alive, reader.i32("Unavailable alive"));
  return details;
}

Result<WriteTimeoutDetails> read_write_timeout(WireReader& reader) {
  WriteTimeoutDetails details;
  std::string_view write_type;
  SQUALL_ASSIGN(details.consistency, reader.consistency("Write_timeout consistency"));
  SQUALL_ASSIGN(details.received, reader.i32("Write_timeout received"));
  SQUALL_ASSIGN(details.block_for, reader.i32("Write_timeout blockfor"));
  SQUALL_ASSIGN(write_type, reader.string("Write_timeout writeType"));
  details.write_type = std::string(write_type);
  return details;
}

Result<ReadTimeoutDetails> read_read_timeout(WireReader& reader) {
  ReadTimeoutDetails details;
  std::uint8_t data_present = 0;
  SQUALL_ASSIGN(details.consistency, reader.consistency("Read_timeout consistency"));
  SQUALL_ASSIGN(details.received, reader.i32("Read_timeout received"));
  SQUALL_ASSIGN(details.block_for, reader.i32("Read_timeout blockfor"));
  SQUALL_ASSIGN(data_present, reader.byte("Read_timeout data_present"));
  details.data_present = data_present != 0;
  return details;
}

Result<ReadFailureDetails> read_read_failure(WireReader& reader) {
  ReadFailureDetails details;
  std::uint8_t data_present = 0;
  SQUALL_ASSIGN(details.consistency, reader.consistency("Read_failure consistency"));
  SQUALL_ASSIGN(details.received, reader.i32("Read_failure received"));
  SQUALL_ASSIGN(details.block_for, reader.i32("Read_failure blockfor"));
  SQUALL_ASSIGN(details.failures, reader.i32("Read_failure numfailures"));
  SQUALL_ASSIGN(data_present, reader.byte("Read_failure data_present"));
  details.data_present = data_present != 0;
  return details;
}

Result<WriteFailureDetails> read_write_failure(WireReader& reader) {
  WriteFailureDetails details;
  std::string_view write_type;
  SQUALL_ASSIGN(details.consistency, reader.consistency("Write_failure consistency"));
  SQUALL_ASSIGN(details.received, reader.i32("Write_failure received"));
  SQUALL_ASSIGN(details.block_for, reader.i32("Write_failure blockfor"));
  SQUALL_ASSIGN(details.failures, reader.i32("Write_failure numfailures"));
  SQUALL_ASSIGN(write_type, reader.string("Write_failure write_type"));
  details.write_type = std::string(write_type);
  return details;
}

Result<FunctionFailureDetails> read_function_failure(WireReader& reader) {
  FunctionFailureDetails details;
  std::string_view keyspace;
  std::string_view function;
  SQUALL_ASSIGN(keyspace, reader.string("Function_failure keyspace"));
  SQUALL_ASSIGN(function, reader.string("Function_failure function"));
  SQUALL_ASSIGN(details.argument_types, reader.string_list("Function_failure arg_types"));
  details.keyspace = std::string(keyspace);
  details.function = std::string(function);
  return details;
}

Result<AlreadyExistsDetails> read_already_exists(WireReader& reader) {
  std::string_view keyspace;
  std::string_view table;
  SQUALL_ASSIGN(keyspace, reader.string("Already_exists keyspace"));
  SQUALL_ASSIGN(table, reader.string("Already_exists table"));
  return AlreadyExistsDetails{std::string(keyspace), std::string(table)};
}

Result<UnpreparedDetails> read_unprepared(WireReader& reader) {
  std::string_view id;
  SQUALL_ASSIGN(id, reader.short_bytes("Unprepared id"));
  return UnpreparedDetails{std::string(id)};
}

template <class Details>
Result<ErrorDetails> widen(Result<Details> details) {
  if (!details) return details.error();
  return ErrorDetails{std::move(details).value()};
}

Result<ErrorDetails> read_error_details(ErrorCode code, WireReader& reader) {
  switch (code) {
    case ErrorCode::unavailable:
      return widen(read_unavailable(reader));
    case ErrorCode::write_timeout:
      return widen(read_write_timeout(reader));
    case ErrorCode::read_timeout:
      return widen(read_read_timeout(reader));
    case ErrorCode::read_failure:
      return widen(read_read_failure(reader));
    case ErrorCode::write_failure:
      return widen(read_write_failure(reader));
    case ErrorCode::function_failure:
      return widen(read_function_failure(reader));
    case ErrorCode::already_exists:
      return widen(read_already_exists(reader));
    case ErrorCode::unprepared:
      return widen(read_unprepared(reader));
    default:
      return ErrorDetails{};
  }
}

Result<ResponseBody> read_error(WireReader& reader) {
  ServerError error;
  std::int32_t code = 0;
  std::string_view message;
  SQUALL_ASSIGN(code, reader.i32("error code"));
  SQUALL_ASSIGN(message, reader.string("error message"));
  error.code = static_cast<ErrorCode>(code);
  error.message = std::string(message);
  SQUALL_ASSIGN(error.details, read_error_details(error.code, reader));
  return ResponseBody{std::move(error)};
}

// ----------------------------------------------------------- result bodies

struct TableSpec {
  std::string_view keyspace;
  std::string_view table;
};

Result<TableSpec> read_table_spec(WireReader& reader) {
  TableSpec spec;
  SQUALL_ASSIGN(spec.keyspace, reader.string("table spec keyspace"));
  SQUALL_ASSIGN(spec.table, reader.string("table spec table"));
  return spec;
}

Result<std::int32_t> read_count(WireReader& reader, const char* what) {
  std::int32_t count = 0;
  SQUALL_ASSIGN(count, reader.i32(what));
  if (count < 0) return make_error(Errc::parse, fmt::format("{} is negative ({})", what, count));
  return count;
}

// <global_table_spec>?<col_spec_1>...<col_spec_n>, shared by Rows and Prepared.
Result<std::vector<ColumnSpec>> read_column_specs(WireReader& reader, std::int32_t flags, std::int32_t count) {
  std::optional<TableSpec> global;
  if (flags & metadata_flag::global_tables_spec) SQUALL_ASSIGN(global, read_table_spec(reader));
  std::vector<ColumnSpec> columns;
  // A column spec takes at least 4 bytes (name and type id): bound what a count may reserve.
  columns.reserve(std::min<std::size_t>(static_cast<std::size_t>(count), reader.remaining() / 4));
  for (std::int32_t i = 0; i < count; ++i) {
    TableSpec table;
    if (global) {
      table = *global;
    } else {
      SQUALL_ASSIGN(table, read_table_spec(reader));
    }
    ColumnSpec column;
    column.keyspace = std::string(table.keyspace);
    column.table = std::string(table.table);
    std::string_view name;
    SQUALL_ASSIGN(name, reader.string("column name"));
    column.name = std::string(name);
    SQUALL_ASSIGN(column.type, read_column_type(reader));
    columns.push_back(std::move(column));
  }
  return columns;
}

Result<RowsMetadata> read_rows_metadata(WireReader& reader) {
  RowsMetadata metadata;
  std::int32_t flags = 0;
  SQUALL_ASSIGN(flags, reader.i32("metadata flags"));
  SQUALL_ASSIGN(metadata.column_count, read_count(reader, "metadata column count"));
  if (flags & metadata_flag::has_more_pages) {
    std::optional<std::string_view> paging_state;
    SQUALL_ASSIGN(paging_state, reader.bytes("paging state"));
    if (paging_state) metadata.paging_state = std::string(*paging_state);
  }
  metadata.no_metadata = (flags & metadata_flag::no_metadata) != 0;
  if (!metadata.no_metadata) SQUALL_ASSIGN(metadata.columns, read_column_specs(reader, flags, metadata.column_count));
  return metadata;
}

Result<Row> read_row(WireReader& reader, const std::vector<ColumnSpec>& columns, std::int32_t row_index) {
  Row row;
  row.reserve(columns.size());
  for (const auto& column : columns) {
    const auto in_cell = [&](const Error& error) {
      return make_error(Errc::parse, fmt::format("row {} column {}: {}", row_index, column.name, error.message));
    };
    auto cell = reader.bytes("cell");
    if (!cell) return in_cell(cell.error());
    auto value = decode_cell(column.type, *cell);
    if (!value) return in_cell(value.error());
    row.push_back(std::move(value).value());
  }
  return row;
}

Result<ResponseBody> read_rows(WireReader& reader, const std::vector<ColumnSpec>* known_columns) {
  RowsResult result;
  SQUALL_ASSIGN(result.metadata, read_rows_metadata(reader));
  const std::vector<ColumnSpec>* columns = &result.metadata.columns;
  if (result.metadata.no_metadata) {
    if (known_columns == nullptr) {
      return make_error(Errc::parse, "rows arrived without metadata and no prepared metadata was given to decode them");
    }
    columns = known_columns;
  }
  if (columns->size() != static_cast<std::size_t>(result.metadata.column_count)) {
    return make_error(Errc::parse, fmt::format("rows declare {} columns but {} column specs are known",
                                               result.metadata.column_count, columns->size()));
  }
  std::int32_t row_count = 0;
  SQUALL_ASSIGN(row_count, read_count(reader, "row count"));
  // Every cell takes at least its 4-byte length, so the bytes left bound an honest count.
  const std::size_t cells_per_row = std::max<std::size_t>(columns->size(), 1);
  if (static_cast<std::size_t>(row_count) > reader.remaining() / (4 * cells_per_row)) {
    return make_error(Errc::parse, fmt::format("row count {} of {} columns cannot fit in the {} bytes left", row_count,
                                               columns->size(), reader.remaining()));
  }
  result.rows.reserve(static_cast<std::size_t>(row_count));
  for (std::int32_t i = 0; i < row_count; ++i) {
    Row row;
    SQUALL_ASSIGN(row, read_row(reader, *columns, i));
    result.rows.push_back(std::move(row));
  }
  return ResponseBody{std::move(result)};
}

Result<ResponseBody> read_prepared(WireReader& reader) {
  PreparedResult result;
  std::string_view id;
  SQUALL_ASSIGN(id, reader.short_bytes("prepared id"));
  result.id = std::string(id);
  std::int32_t flags = 0;
  std::int32_t column_count = 0;
  std::int32_t pk_count = 0;
  SQUALL_ASSIGN(flags, reader.i32("prepared metadata flags"));
  SQUALL_ASSIGN(column_count, read_count(reader, "bind marker count"));
  SQUALL_ASSIGN(pk_count, read_count(reader, "partition key index count"));
  for (std::int32_t i = 0; i < pk_count; ++i) {
    std::uint16_t index = 0;
    SQUALL_ASSIGN(index, reader.u16("partition key index"));
    result.partition_key_indexes.push_back(index);
  }
  SQUALL_ASSIGN(result.bind_markers, read_column_specs(reader, flags, column_count));
  SQUALL_ASSIGN(result.result_metadata, read_rows_metadata(reader));
  return ResponseBody{std::move(result)};
}

Result<ResponseBody> read_schema_change(WireReader& reader) {
  SchemaChangeResult change;
  std::string_view text;
  SQUALL_ASSIGN(text, reader.string("schema change type"));
  change.change_type = std::string(text);
  SQUALL_ASSIGN(text, reader.string("schema change target"));
  change.target = std::string(text);
  SQUALL_ASSIGN(text, reader.string("schema change keyspace"));
  change.keyspace = std::string(text);
  if (change.target == "KEYSPACE") return ResponseBody{std::move(change)};
  SQUALL_ASSIGN(text, reader.string("schema change name"));
  change.name = std::string(text);
  if (change.target == "FUNCTION" || change.target == "AGGREGATE") {
    SQUALL_ASSIGN(change.argument_types, reader.string_list("schema change argument types"));
  }
  return ResponseBody{std::move(change)};
}

Result<ResponseBody> read_result(WireReader& reader, const std::vector<ColumnSpec>* known_columns) {
  std::int32_t kind = 0;
  SQUALL_ASSIGN(kind, reader.i32("result kind"));
  switch (static_cast<ResultKind>(kind)) {
    case ResultKind::void_:
      return ResponseBody{VoidResult{}};
    case ResultKind::rows:
      return read_rows(reader, known_columns);
    case ResultKind::set_keyspace: {
      std::string_view keyspace;
      SQUALL_ASSIGN(keyspace, reader.string("keyspace"));
      return ResponseBody{SetKeyspaceResult{std::string(keyspace)}};
    }
    case ResultKind::prepared:
      return read_prepared(reader);
    case ResultKind::schema_change:
      return read_schema_change(reader);
  }
  return make_error(Errc::parse, fmt::format("unknown result kind {}", kind));
}

// ------------------------------------------------------------ other bodies

Result<std::optional<std::string>> read_token(WireReader& reader) {
  std::optional<std::string_view> token;
  SQUALL_ASSIGN(token, reader.bytes("auth token"));
  if (!token) return std::optional<std::string>{};
  return std::optional<std::string>{std::string(*token)};
}

Result<ResponseBody> read_body(Opcode opcode, WireReader& reader, const std::vector<ColumnSpec>* known_columns) {
  switch (opcode) {
    case Opcode::error:
      return read_error(reader);
    case Opcode::ready:
      return ResponseBody{Ready{}};
    case Opcode::authenticate: {
      std::string_view authenticator;
      SQUALL_ASSIGN(authenticator, reader.string("authenticator"));
      return ResponseBody{Authenticate{std::string(authenticator)}};
    }
    case Opcode::supported: {
      Supported supported;
      SQUALL_ASSIGN(supported.options, reader.string_multimap("supported options"));
      return ResponseBody{std::move(supported)};
    }
    case Opcode::result:
      return read_result(reader, known_columns);
    case Opcode::event: {
      std::string_view type;
      SQUALL_ASSIGN(type, reader.string("event type"));
      return ResponseBody{Event{std::string(type)}};
    }
    case Opcode::auth_challenge: {
      AuthChallenge challenge;
      SQUALL_ASSIGN(challenge.token, read_token(reader));
      return ResponseBody{std::move(challenge)};
    }
    case Opcode::auth_success: {
      AuthSuccess success;
      SQUALL_ASSIGN(success.token, read_token(reader));
      return ResponseBody{std::move(success)};
    }
    default:
      return make_error(Errc::parse, fmt::format("{} is a request opcode, not a response", opcode_name(opcode)));
  }
}

// Tracing id, warnings and custom payload come before the body proper (§2.2).
Result<void> read_prefixes(std::uint8_t flags, WireReader& reader, Response& response) {
  if (flags & frame_flag::tracing) {
    Uuid id;
    SQUALL_ASSIGN(id.bytes, reader.uuid("tracing id"));
    response.tracing_id = id;
  }
  if (flags & frame_flag::warning) SQUALL_ASSIGN(response.warnings, reader.string_list("warnings"));
  if (flags & frame_flag::custom_payload) {
    std::uint16_t count = 0;
    SQUALL_ASSIGN(count, reader.u16("custom payload"));
    for (std::uint16_t i = 0; i < count; ++i) {
      SQUALL_TRY(reader.string("custom payload key"));
      SQUALL_TRY(reader.bytes("custom payload value"));
    }
  }
  return {};
}

}  // namespace

// ------------------------------------------------------------------ errors

std::string error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::server_error: return "Server error";
    case ErrorCode::protocol_error: return "Protocol error";
    case ErrorCode::bad_credentials: return "Bad credentials";
    case ErrorCode::unavailable: return "Unavailable";
    case ErrorCode::overloaded: return "Overloaded";
    case ErrorCode::is_bootstrapping: return "Is_bootstrapping";
    case ErrorCode::truncate_error: return "Truncate_error";
    case ErrorCode::write_timeout: return "Write_timeout";
    case ErrorCode::read_timeout: return "Read_timeout";
    case ErrorCode::read_failure: return "Read_failure";
    case ErrorCode::function_failure: return "Function_failure";
    case ErrorCode::write_failure: return "Write_failure";
    case ErrorCode::syntax_error: return "Syntax_error";
    case ErrorCode::unauthorized: return "Unauthorized";
    case ErrorCode::invalid: return "Invalid";
    case ErrorCode::config_error: return "Config_error";
    case ErrorCode::already_exists: return "Already_exists";
    case ErrorCode::unprepared: return "Unprepared";
  }
  return "Unknown error";
}

namespace {

std::string hex(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

std::string describe_details(const ErrorDetails& details) {
  struct Describe {
    std::string operator()(std::monostate) const { return {}; }
    std::string operator()(const UnavailableDetails& d) const {
      return fmt::format("consistency {}, required {}, alive {}", consistency_name(d.consistency), d.required,
                         d.alive);
    }
    std::string operator()(const WriteTimeoutDetails& d) const {
      return fmt::format("consistency {}, received {}, blockfor {}, write type {}", consistency_name(d.consistency),
                         d.received, d.block_for, d.write_type);
    }
    std::string operator()(const ReadTimeoutDetails& d) const {
      return fmt::format("consistency {}, received {}, blockfor {}, data {}", consistency_name(d.consistency),
                         d.received, d.block_for, d.data_present ? "present" : "absent");
    }
    std::string operator()(const ReadFailureDetails& d) const {
      return fmt::format("consistency {}, received {}, blockfor {}, failures {}, data {}",
                         consistency_name(d.consistency), d.received, d.block_for, d.failures,
                         d.data_present ? "present" : "absent");
    }
    std::string operator()(const WriteFailureDetails& d) const {
      return fmt::format("consistency {}, received {}, blockfor {}, failures {}, write type {}",
                         consistency_name(d.consistency), d.received, d.block_for, d.failures, d.write_type);
    }
    std::string operator()(const FunctionFailureDetails& d) const {
      return fmt::format("function {}.{}({})", d.keyspace, d.function, fmt::join(d.argument_types, ", "));
    }
    std::string operator()(const AlreadyExistsDetails& d) const {
      return d.table.empty() ? fmt::format("keyspace {}", d.keyspace)
                             : fmt::format("table {}.{}", d.keyspace, d.table);
    }
    std::string operator()(const UnpreparedDetails& d) const { return fmt::format("id {}", hex(d.id)); }
  };
  return std::visit(Describe{}, details);
}

Errc errc_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::read_timeout:
    case ErrorCode::write_timeout:
      return Errc::timeout;
    case ErrorCode::unavailable:
    case ErrorCode::overloaded:
    case ErrorCode::is_bootstrapping:
    case ErrorCode::read_failure:
    case ErrorCode::write_failure:
    case ErrorCode::truncate_error:
    case ErrorCode::server_error:
      return Errc::unavailable;
    case ErrorCode::bad_credentials:
    case ErrorCode::unauthorized:
      return Errc::auth;
    case ErrorCode::syntax_error:
    case ErrorCode::invalid:
    case ErrorCode::config_error:
    case ErrorCode::already_exists:
    case ErrorCode::function_failure:
      return Errc::invalid_argument;
    case ErrorCode::protocol_error:
    case ErrorCode::unprepared:
      return Errc::internal;
  }
  return Errc::unavailable;
}

}  // namespace

std::string ServerError::describe() const {
  std::string out = fmt::format("{} (0x{:04x}): {}", error_code_name(code), static_cast<std::uint32_t>(code), message);
  const std::string details_text = describe_details(details);
  if (!details_text.empty()) out += fmt::format(" [{}]", details_text);
  return out;
}

Error ServerError::to_error() const { return make_error(errc_for(code), describe()); }

// ------------------------------------------------------------------ requests

Request startup_request() {
  std::string body;
  WireWriter writer(body);
  writer.string_map({{"CQL_VERSION", "3.0.0"}}, "startup options");
  return Request{Opcode::startup, std::move(body)};
}

Request options_request() { return Request{Opcode::options, {}}; }

Request plain_auth_response(std::string_view user, std::string_view password) {
  std::string token;
  token.reserve(user.size() + password.size() + 2);
  token.push_back('\0');
  token.append(user);
  token.push_back('\0');
  token.append(password);
  std::string body;
  WireWriter writer(body);
  writer.bytes(token, "auth token");
  return Request{Opcode::auth_response, std::move(body)};
}

Result<Request> query_request(std::string_view cql, const QueryParameters& parameters) {
  std::string body;
  WireWriter writer(body);
  writer.long_string(cql, "query string");
  SQUALL_TRY(write_query_parameters(writer, parameters));
  return finish(Opcode::query, std::move(body), writer);
}

Result<Request> prepare_request(std::string_view cql) {
  std::string body;
  WireWriter writer(body);
  writer.long_string(cql, "query string");
  return finish(Opcode::prepare, std::move(body), writer);
}

Result<Request> execute_request(std::string_view prepared_id, const QueryParameters& parameters) {
  constexpr std::size_t kParameters = 32;  // flags, consistency and the optional fields
  std::string body;
  body.reserve(2 + prepared_id.size() + kParameters + encoded_size(parameters.values));
  WireWriter writer(body);
  writer.short_bytes(prepared_id, "prepared id");
  SQUALL_TRY(write_query_parameters(writer, parameters));
  return finish(Opcode::execute, std::move(body), writer);
}

Result<Request> unlogged_batch_request(std::span<const BatchEntry> entries, const BatchParameters& parameters) {
  if (entries.size() > kMaxValuesPerStatement) {
    return make_error(Errc::invalid_argument, fmt::format("batch of {} statements; the protocol allows at most {}",
                                                          entries.size(), kMaxValuesPerStatement));
  }
  constexpr std::size_t kEntryFraming = 5;  // kind, id length, value count
  constexpr std::size_t kParameters = 16;   // consistency, flags and the optional fields
  std::size_t size = 3 + kParameters;
  for (const auto& entry : entries) size += kEntryFraming + entry.prepared_id.size() + encoded_size(entry.values);
  std::string body;
  body.reserve(size);
  WireWriter writer(body);
  writer.byte(kUnloggedBatch);
  writer.u16(static_cast<std::uint16_t>(entries.size()));
  for (const auto& entry : entries) {
    writer.byte(kPreparedBatchEntry);
    writer.short_bytes(entry.prepared_id, "prepared id");
    SQUALL_TRY(write_values(writer, entry.values));
  }
  std::uint8_t flags = 0;
  if (parameters.serial_consistency) flags |= query_flag::serial_consistency;
  if (parameters.default_timestamp_micros) flags |= query_flag::default_timestamp;
  writer.consistency(parameters.consistency);
  writer.byte(flags);
  if (parameters.serial_consistency) writer.consistency(*parameters.serial_consistency);
  if (parameters.default_timestamp_micros) writer.i64(*parameters.default_timestamp_micros);
  return finish(Opcode::batch, std::move(body), writer);
}

// ----------------------------------------------------------------- responses

std::string response_kind(const ResponseBody& body) {
  struct Kind {
    std::string operator()(const ServerError&) const { return "ERROR"; }
    std::string operator()(const Ready&) const { return "READY"; }
    std::string operator()(const Authenticate&) const { return "AUTHENTICATE"; }
    std::string operator()(const Supported&) const { return "SUPPORTED"; }
    std::string operator()(const VoidResult&) const { return "RESULT (Void)"; }
    std::string operator()(const RowsResult&) const { return "RESULT (Rows)"; }
    std::string operator()(const SetKeyspaceResult&) const { return "RESULT (Set_keyspace)"; }
    std::string operator()(const PreparedResult&) const { return "RESULT (Prepared)"; }
    std::string operator()(const SchemaChangeResult&) const { return "RESULT (Schema_change)"; }
    std::string operator()(const Event&) const { return "EVENT"; }
    std::string operator()(const AuthChallenge&) const { return "AUTH_CHALLENGE"; }
    std::string operator()(const AuthSuccess&) const { return "AUTH_SUCCESS"; }
  };
  return std::visit(Kind{}, body);
}

Result<Response> decode_response(const Frame& frame, const std::vector<ColumnSpec>* known_columns) {
  const std::string what = opcode_name(frame.header.opcode);
  if (frame.header.flags & frame_flag::compression) {
    return make_error(Errc::parse, fmt::format("{} on stream {} is compressed, but no compression was negotiated",
                                               what, frame.header.stream));
  }
  WireReader reader(frame.body);
  Response response;
  if (auto prefixes = read_prefixes(frame.header.flags, reader, response); !prefixes) {
    return malformed(frame, what.c_str(), prefixes.error());
  }
  auto body = read_body(frame.header.opcode, reader, known_columns);
  if (!body) return malformed(frame, what.c_str(), body.error());
  response.body = std::move(body).value();
  return response;
}

}  // namespace squall::cql
