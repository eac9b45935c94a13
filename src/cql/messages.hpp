#pragma once
// CQL native protocol v4 messages (spec §4): request bodies the client sends
// and the responses it understands. Requests are encoded to a body plus an
// opcode; the connection frames them with its own stream id. Responses are
// decoded from a Frame, including the tracing id and warnings the server may
// prepend to any body (§2.2).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "cql/frame.hpp"
#include "cql/types.hpp"
#include "cql/wire.hpp"

namespace squall::cql {

// ------------------------------------------------------------------ requests

struct Request {
  Opcode opcode = Opcode::options;
  std::string body;
};

// STARTUP with CQL_VERSION 3.0.0 and no compression.
Request startup_request();
Request options_request();
// AUTH_RESPONSE carrying a SASL PLAIN token: \0user\0password.
Request plain_auth_response(std::string_view user, std::string_view password);

// <query_parameters> of QUERY and EXECUTE (§4.1.4). Views: they must outlive
// the encoding call only.
struct QueryParameters {
  Consistency consistency = Consistency::local_quorum;
  std::span<const Value> values;
  bool skip_metadata = false;
  std::optional<std::int32_t> page_size;
  std::optional<std::string_view> paging_state;
  std::optional<Consistency> serial_consistency;
  std::optional<std::int64_t> default_timestamp_micros;
};

Result<Request> query_request(std::string_view cql, const QueryParameters& parameters);
Result<Request> prepare_request(std::string_view cql);
Result<Request> execute_request(std::string_view prepared_id, const QueryParameters& parameters);

struct BatchEntry {
  std::string_view prepared_id;
  std::span<const Value> values;
};

struct BatchParameters {
  Consistency consistency = Consistency::local_quorum;
  std::optional<Consistency> serial_consistency;
  std::optional<std::int64_t> default_timestamp_micros;
};

// An unlogged BATCH of prepared statements.
Result<Request> unlogged_batch_request(std::span<const BatchEntry> entries, const BatchParameters& parameters);

// ----------------------------------------------------------------- responses

struct ColumnSpec {
  std::string keyspace;
  std::string table;
  std::string name;
  ColumnType type;
  bool operator==(const ColumnSpec&) const = default;
};

// <metadata> of a Rows result (§4.2.5.2).
struct RowsMetadata {
  std::int32_t column_count = 0;
  // Empty when the server sent No_metadata: the caller knows the columns.
  std::vector<ColumnSpec> columns;
  bool no_metadata = false;
  // Set when Has_more_pages: pass it back to fetch the next page.
  std::optional<std::string> paging_state;
};

using Row = std::vector<Value>;

struct VoidResult {};

struct RowsResult {
  RowsMetadata metadata;
  std::vector<Row> rows;
};

struct SetKeyspaceResult {
  std::string keyspace;
};

struct PreparedResult {
  std::string id;
  std::vector<ColumnSpec> bind_markers;
  std::vector<std::uint16_t> partition_key_indexes;
  RowsMetadata result_metadata;
};

struct SchemaChangeResult {
  std::string change_type;  // CREATED, UPDATED, DROPPED
  std::string target;       // KEYSPACE, TABLE, TYPE, FUNCTION, AGGREGATE
  std::string keyspace;
  std::string name;                          // empty for a keyspace
  std::vector<std::string> argument_types;  // functions and aggregates
};

// Error codes (§9).
enum class ErrorCode : std::int32_t {
  server_error = 0x0000,
  protocol_error = 0x000A,
  bad_credentials = 0x0100,
  unavailable = 0x1000,
  overloaded = 0x1001,
  is_bootstrapping = 0x1002,
  truncate_error = 0x1003,
  write_timeout = 0x1100,
  read_timeout = 0x1200,
  read_failure = 0x1300,
  function_failure = 0x1400,
  write_failure = 0x1500,
  syntax_error = 0x2000,
  unauthorized = 0x2100,
  invalid = 0x2200,
  config_error = 0x2300,
  already_exists = 0x2400,
  unprepared = 0x2500,
};

// "Unavailable", "Write_timeout", ... as the spec names them.
std::string error_code_name(ErrorCode code);

struct UnavailableDetails {
  Consistency consistency = Consistency::any;
  std::int32_t required = 0;
  std::int32_t alive = 0;
  bool operator==(const UnavailableDetails&) const = default;
};

struct WriteTimeoutDetails {
  Consistency consistency = Consistency::any;
  std::int32_t received = 0;
  std::int32_t block_for = 0;
  std::string write_type;  // SIMPLE, BATCH, UNLOGGED_BATCH, COUNTER, BATCH_LOG, ...
  bool operator==(const WriteTimeoutDetails&) const = default;
};

struct ReadTimeoutDetails {
  Consistency consistency = Consistency::any;
  std::int32_t received = 0;
  std::int32_t block_for = 0;
  bool data_present = false;
  bool operator==(const ReadTimeoutDetails&) const = default;
};

struct ReadFailureDetails {
  Consistency consistency = Consistency::any;
  std::int32_t received = 0;
  std::int32_t block_for = 0;
  std::int32_t failures = 0;
  bool data_present = false;
  bool operator==(const ReadFailureDetails&) const = default;
};

struct WriteFailureDetails {
  Consistency consistency = Consistency::any;
  std::int32_t received = 0;
  std::int32_t block_for = 0;
  std::int32_t failures = 0;
  std::string write_type;
  bool operator==(const WriteFailureDetails&) const = default;
};

struct FunctionFailureDetails {
  std::string keyspace;
  std::string function;
  std::vector<std::string> argument_types;
  bool operator==(const FunctionFailureDetails&) const = default;
};

struct AlreadyExistsDetails {
  std::string keyspace;
  std::string table;  // empty when the keyspace itself exists
  bool operator==(const AlreadyExistsDetails&) const = default;
};

struct UnpreparedDetails {
  std::string id;
  bool operator==(const UnpreparedDetails&) const = default;
};

using ErrorDetails = std::variant<std::monostate, UnavailableDetails, WriteTimeoutDetails, ReadTimeoutDetails,
                                  ReadFailureDetails, WriteFailureDetails, FunctionFailureDetails,
                                  AlreadyExistsDetails, UnpreparedDetails>;

// An ERROR response: the code, the server's message and the code's extra fields.
struct ServerError {
  ErrorCode code = ErrorCode::server_error;
  std::string message;
  ErrorDetails details;

  // "Unavailable (0x1000): Cannot achieve consistency level QUORUM [consistency QUORUM, required 2, alive 1]"
  std::string describe() const;
  // The same text in a squall::Error whose code fits the kind (timeouts ->
  // timeout, Unavailable/Overloaded -> unavailable, Bad credentials -> auth, ...).
  Error to_error() const;
};

struct Ready {};

struct Authenticate {
  std::string authenticator;  // the server's IAuthenticator class name
};

struct Supported {
  StringMultimap options;
};

struct AuthChallenge {
  std::optional<std::string> token;
};

struct AuthSuccess {
  std::optional<std::string> token;
};

// A server push; squall registers for none, so only the type is kept.
struct Event {
  std::string type;
};

using ResponseBody = std::variant<ServerError, Ready, Authenticate, Supported, VoidResult, RowsResult,
                                  SetKeyspaceResult, PreparedResult, SchemaChangeResult, Event, AuthChallenge,
                                  AuthSuccess>;

struct Response {
  std::optional<Uuid> tracing_id;
  std::vector<std::string> warnings;
  ResponseBody body;
};

// "READY", "RESULT (Rows)", "ERROR": names an unexpected response in errors.
std::string response_kind(const ResponseBody& body);

// Decodes a response frame. `known_columns` decodes a Rows result sent
// without metadata (the request asked for Skip_metadata); without it such a
// result is an error. Bytes after the described body are ignored (§1).
Result<Response> decode_response(const Frame& frame, const std::vector<ColumnSpec>* known_columns = nullptr);

}  // namespace squall::cql
