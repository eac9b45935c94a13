#include "cql/messages.hpp"

#include <gtest/gtest.h>

#include "cql/bytes.hpp"

namespace squall::cql {
namespace {

using testing::hex;
using testing::response_frame;
using testing::str;

// Decodes one whole response frame built by hand.
Result<Response> decode(unsigned opcode, const std::string& body, unsigned flags = 0,
                        const std::vector<ColumnSpec>* known_columns = nullptr) {
  const std::string bytes = response_frame(opcode, body, 1, flags);
  auto decoded = decode_frame(bytes);
  if (!decoded) return decoded.error();
  if (!decoded->frame) return make_error(Errc::internal, "test frame incomplete");
  return decode_response(*decoded->frame, known_columns);
}

template <class T>
T body_as(const Result<Response>& response) {
  EXPECT_TRUE(response.ok()) << response.error().message;
  return std::get<T>(response->body);
}

ColumnType type_of(TypeId id) {
  ColumnType type;
  type.id = id;
  return type;
}

constexpr unsigned kError = 0x00;
constexpr unsigned kResult = 0x08;

// ------------------------------------------------------------------ requests

TEST(CqlRequests, StartupAsksForCql3) {
  const Request request = startup_request();
  EXPECT_EQ(request.opcode, Opcode::startup);
  EXPECT_EQ(request.body, hex("00 01") + str("CQL_VERSION") + str("3.0.0"));
}

TEST(CqlRequests, OptionsHasAnEmptyBody) {
  const Request request = options_request();
  EXPECT_EQ(request.opcode, Opcode::options);
  EXPECT_TRUE(request.body.empty());
}

TEST(CqlRequests, AuthResponseCarriesASaslPlainToken) {
  const Request request = plain_auth_response("cassandra", "secret");
  EXPECT_EQ(request.opcode, Opcode::auth_response);
  EXPECT_EQ(request.body, hex("00 00 00 11 00") + "cassandra" + hex("00") + "secret");
}

TEST(CqlRequests, QueryWithoutParametersIsMinimal) {
  QueryParameters parameters;
  auto request = query_request("USE ks", parameters);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->opcode, Opcode::query);
  // [long string] query, LOCAL_QUORUM, no flags.
  EXPECT_EQ(request->body, hex("00 00 00 06") + "USE ks" + hex("00 06 00"));
}

TEST(CqlRequests, QueryWithEveryParameter) {
  const Value values[] = {Value{std::int32_t{7}}, Value{Null{}}, Value{std::string("hi")}};
  const std::string paging_state = hex("01 02");
  QueryParameters parameters;
  parameters.consistency = Consistency::one;
  parameters.values = values;
  parameters.page_size = 100;
  parameters.paging_state = paging_state;
  parameters.serial_consistency = Consistency::local_serial;
  parameters.default_timestamp_micros = 1234;
  auto request = query_request("SELECT 1", parameters);
  ASSERT_TRUE(request.ok());
  const std::string expected = hex("00 00 00 08") + "SELECT 1" +  // query
                               hex("00 01") +                      // ONE
                               hex("3d") +                         // values, page size, paging state, serial, timestamp
                               hex("00 03  00 00 00 04 00 00 00 07  ff ff ff ff  00 00 00 02") + "hi" +
                               hex("00 00 00 64") +                // page size 100
                               hex("00 00 00 02 01 02") +          // paging state
                               hex("00 09") +                      // LOCAL_SERIAL
                               hex("00 00 00 00 00 00 04 d2");     // timestamp 1234
  EXPECT_EQ(request->body, expected);
}

TEST(CqlRequests, PrepareCarriesTheQueryAsALongString) {
  auto request = prepare_request("SELECT * FROM t WHERE k = ?");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->opcode, Opcode::prepare);
  EXPECT_EQ(request->body, hex("00 00 00 1b") + "SELECT * FROM t WHERE k = ?");
}

TEST(CqlRequests, ExecuteCarriesTheIdThenTheParameters) {
  const Value values[] = {Value{std::int64_t{5}}};
  QueryParameters parameters;
  parameters.consistency = Consistency::quorum;
  parameters.values = values;
  parameters.skip_metadata = true;
  auto request = execute_request(hex("ab cd"), parameters);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->opcode, Opcode::execute);
  EXPECT_EQ(request->body, hex("00 02 ab cd  00 04  03  00 01  00 00 00 08 00 00 00 00 00 00 00 05"));
}

TEST(CqlRequests, UnloggedBatchOfPreparedStatements) {
  const Value first[] = {Value{std::int32_t{1}}};
  const std::string first_id = hex("01");
  const std::string second_id = hex("02 03");
  const BatchEntry entries[] = {{first_id, first}, {second_id, {}}};
  BatchParameters parameters;
  parameters.consistency = Consistency::local_one;
  parameters.default_timestamp_micros = 7;
  auto request = unlogged_batch_request(entries, parameters);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->opcode, Opcode::batch);
  const std::string expected = hex("01  00 02") +                                         // unlogged, 2 statements
                               hex("01  00 01 01  00 01  00 00 00 04 00 00 00 01") +  // prepared id 01, one int
                               hex("01  00 02 02 03  00 00") +                        // prepared id 0203, no values
                               hex("00 0a  20  00 00 00 00 00 00 00 07");             // LOCAL_ONE, timestamp 7
  EXPECT_EQ(request->body, expected);
}

TEST(CqlRequests, TooManyValuesIsAnError) {
  const std::vector<Value> values(70000, Value{Null{}});
  QueryParameters parameters;
  parameters.values = values;
  auto request = query_request("INSERT", parameters);
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().code, Errc::invalid_argument);
  EXPECT_NE(request.error().message.find("70000 bound values"), std::string::npos);
}

TEST(CqlRequests, APreparedIdTooLongForShortBytesIsAnError) {
  auto request = execute_request(std::string(70000, 'x'), QueryParameters{});
  ASSERT_FALSE(request.ok());
  EXPECT_NE(request.error().message.find("cannot encode EXECUTE: prepared id"), std::string::npos);
}

// ----------------------------------------------------------------- responses

TEST(CqlResponses, Ready) { EXPECT_TRUE(std::holds_alternative<Ready>(decode(0x02, "").value().body)); }

TEST(CqlResponses, AuthenticateNamesTheAuthenticator) {
  const auto response = decode(0x03, str("org.apache.cassandra.auth.PasswordAuthenticator"));
  EXPECT_EQ(body_as<Authenticate>(response).authenticator, "org.apache.cassandra.auth.PasswordAuthenticator");
}

TEST(CqlResponses, AuthSuccessAndChallengeCarryTokens) {
  EXPECT_EQ(body_as<AuthSuccess>(decode(0x10, hex("ff ff ff ff"))).token, std::nullopt);
  EXPECT_EQ(body_as<AuthSuccess>(decode(0x10, hex("00 00 00 02 6f 6b"))).token, std::optional<std::string>("ok"));
  EXPECT_EQ(body_as<AuthChallenge>(decode(0x0E, hex("00 00 00 01 78"))).token, std::optional<std::string>("x"));
}

TEST(CqlResponses, SupportedListsTheOptions) {
  const std::string body = hex("00 02") + str("CQL_VERSION") + hex("00 01") + str("3.4.7") + str("PROTOCOL_VERSIONS") +
                           hex("00 02") + str("4/v4") + str("5/v5");
  const auto& supported = body_as<Supported>(decode(0x06, body));
  const StringMultimap expected{{"CQL_VERSION", {"3.4.7"}}, {"PROTOCOL_VERSIONS", {"4/v4", "5/v5"}}};
  EXPECT_EQ(supported.options, expected);
}

TEST(CqlResponses, VoidResult) { EXPECT_TRUE(std::holds_alternative<VoidResult>(decode(kResult, hex("00 00 00 01")).value().body)); }

TEST(CqlResponses, SetKeyspaceResult) {
  EXPECT_EQ(body_as<SetKeyspaceResult>(decode(kResult, hex("00 00 00 03") + str("squall"))).keyspace, "squall");
}

// Two columns under a global table spec, more pages to come.
const std::string kRowsBody = hex("00 00 00 02") +                        // kind Rows
                              hex("00 00 00 03") +                        // global table spec + has more pages
                              hex("00 00 00 02") +                        // 2 columns
                              hex("00 00 00 03 aa bb cc") +               // paging state
                              str("squall") + str("latest_by_city") +     // global table spec
                              str("city_id") + hex("00 09") +             // int
                              str("name") + hex("00 0d") +                // varchar
                              hex("00 00 00 02") +                        // 2 rows
                              hex("00 00 00 04 00 4a 93 66") + hex("00 00 00 07") + "Chicago" +
                              hex("00 00 00 04 00 3f 8a 2a") + hex("ff ff ff ff");

TEST(CqlResponses, RowsWithTwoColumnsAndAPagingState) {
  const auto response = decode(kResult, kRowsBody);
  const auto& rows = body_as<RowsResult>(response);
  EXPECT_EQ(rows.metadata.column_count, 2);
  EXPECT_FALSE(rows.metadata.no_metadata);
  EXPECT_EQ(rows.metadata.paging_state, std::optional<std::string>(hex("aa bb cc")));
  const std::vector<ColumnSpec> columns{{"squall", "latest_by_city", "city_id", type_of(TypeId::int_)},
                                        {"squall", "latest_by_city", "name", type_of(TypeId::varchar)}};
  EXPECT_EQ(rows.metadata.columns, columns);
  ASSERT_EQ(rows.rows.size(), 2u);
  EXPECT_EQ(rows.rows[0], (Row{Value{std::int32_t{4887398}}, Value{std::string("Chicago")}}));
  EXPECT_EQ(rows.rows[1], (Row{Value{std::int32_t{4164138}}, Value{Null{}}}));
}

TEST(CqlResponses, RowsWithPerColumnTableSpecsAndNoMorePages) {
  const std::string body = hex("00 00 00 02  00 00 00 00  00 00 00 01") + str("ks") + str("t") + str("flag") +
                           hex("00 04") + hex("00 00 00 01") + hex("00 00 00 01 01");
  const auto& rows = body_as<RowsResult>(decode(kResult, body));
  EXPECT_EQ(rows.metadata.paging_state, std::nullopt);
  ASSERT_EQ(rows.metadata.columns.size(), 1u);
  EXPECT_EQ(rows.metadata.columns[0].keyspace, "ks");
  EXPECT_EQ(rows.metadata.columns[0].table, "t");
  EXPECT_EQ(rows.rows, (std::vector<Row>{Row{Value{true}}}));
}

TEST(CqlResponses, RowsWithoutMetadataUseTheKnownColumns) {
  const std::string body = hex("00 00 00 02  00 00 00 04  00 00 00 01  00 00 00 01  00 00 00 04 00 00 00 2a");
  auto unknown = decode(kResult, body);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("without metadata"), std::string::npos);

  const std::vector<ColumnSpec> known{{"ks", "t", "answer", type_of(TypeId::int_)}};
  const auto response = decode(kResult, body, 0, &known);
  const auto& rows = body_as<RowsResult>(response);
  EXPECT_TRUE(rows.metadata.no_metadata);
  EXPECT_EQ(rows.rows, (std::vector<Row>{Row{Value{std::int32_t{42}}}}));
}

TEST(CqlResponses, ACellOfTheWrongWidthNamesRowAndColumn) {
  const std::string body = hex("00 00 00 02  00 00 00 01  00 00 00 01") + str("ks") + str("t") + str("temp") +
                           hex("00 07") + hex("00 00 00 01  00 00 00 04 00 00 00 00");
  auto response = decode(kResult, body);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message,
            "malformed RESULT on stream 1: row 0 column temp: double cell has 4 bytes; expected 8");
}

TEST(CqlResponses, AnImpossibleRowCountIsAnErrorNotAnAllocation) {
  const std::string body = hex("00 00 00 02  00 00 00 01  00 00 00 01") + str("ks") + str("t") + str("c") +
                           hex("00 09") + hex("7f ff ff ff");
  auto response = decode(kResult, body);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message.find("row count 2147483647"), std::string::npos);
}

TEST(CqlResponses, PreparedWithBindMarkersAndEmptyResultMetadata) {
  const std::string id = hex("00112233445566778899aabbccddeeff");
  const std::string body = hex("00 00 00 04") + hex("00 10") + id +           // kind, id
                           hex("00 00 00 01  00 00 00 02  00 00 00 01 00 00") +  // global, 2 markers, pk [0]
                           str("squall") + str("observations") +              //
                           str("city_id") + hex("00 09") + str("temp") + hex("00 07") +
                           hex("00 00 00 04  00 00 00 00");                   // result: no metadata, 0 columns
  const auto response = decode(kResult, body);
  const auto& prepared = body_as<PreparedResult>(response);
  EXPECT_EQ(prepared.id, id);
  EXPECT_EQ(prepared.partition_key_indexes, (std::vector<std::uint16_t>{0}));
  const std::vector<ColumnSpec> markers{{"squall", "observations", "city_id", type_of(TypeId::int_)},
                                        {"squall", "observations", "temp", type_of(TypeId::double_)}};
  EXPECT_EQ(prepared.bind_markers, markers);
  EXPECT_TRUE(prepared.result_metadata.no_metadata);
  EXPECT_EQ(prepared.result_metadata.column_count, 0);
}

TEST(CqlResponses, PreparedSelectCarriesItsResultColumns) {
  const std::string body = hex("00 00 00 04  00 01 07") + hex("00 00 00 01  00 00 00 01  00 00 00 00") + str("ks") +
                           str("t") + str("k") + hex("00 02") + hex("00 00 00 01  00 00 00 01") + str("ks") +
                           str("t") + str("v") + hex("00 0b");
  const auto& prepared = body_as<PreparedResult>(decode(kResult, body));
  EXPECT_EQ(prepared.id, hex("07"));
  EXPECT_TRUE(prepared.partition_key_indexes.empty());
  ASSERT_EQ(prepared.result_metadata.columns.size(), 1u);
  EXPECT_EQ(prepared.result_metadata.columns[0].name, "v");
  EXPECT_EQ(prepared.result_metadata.columns[0].type.id, TypeId::timestamp);
}

TEST(CqlResponses, SchemaChangeOfEveryTargetShape) {
  const auto table = decode(kResult, hex("00 00 00 05") + str("CREATED") + str("TABLE") + str("squall") + str("obs"));
  const auto& created = body_as<SchemaChangeResult>(table);
  EXPECT_EQ(created.change_type, "CREATED");
  EXPECT_EQ(created.target, "TABLE");
  EXPECT_EQ(created.keyspace, "squall");
  EXPECT_EQ(created.name, "obs");

  const auto keyspace = decode(kResult, hex("00 00 00 05") + str("DROPPED") + str("KEYSPACE") + str("squall"));
  EXPECT_EQ(body_as<SchemaChangeResult>(keyspace).name, "");

  const auto function = decode(kResult, hex("00 00 00 05") + str("UPDATED") + str("FUNCTION") + str("ks") +
                                            str("f") + hex("00 02") + str("int") + str("text"));
  EXPECT_EQ(body_as<SchemaChangeResult>(function).argument_types, (std::vector<std::string>{"int", "text"}));
}

TEST(CqlResponses, WarningsTracingAndCustomPayloadPrecedeTheBody) {
  const std::string tracing = hex("f47ac10b58cc4372a5670e02b2c3d479");
  const std::string warnings = hex("00 01") + str("Unlogged batch covering 2 partitions detected");
  const std::string payload = hex("00 01") + str("k") + hex("00 00 00 01") + "v";
  const auto response = decode(kResult, tracing + warnings + payload + hex("00 00 00 01"), 0x02 | 0x04 | 0x08);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_TRUE(std::holds_alternative<VoidResult>(response->body));
  ASSERT_TRUE(response->tracing_id.has_value());
  EXPECT_EQ(response->tracing_id->to_string(), "f47ac10b-58cc-4372-a567-0e02b2c3d479");
  EXPECT_EQ(response->warnings, (std::vector<std::string>{"Unlogged batch covering 2 partitions detected"}));
}

TEST(CqlResponses, ACompressedBodyIsRefused) {
  auto response = decode(kResult, hex("00 00 00 01"), 0x01);
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message.find("compressed"), std::string::npos);
}

TEST(CqlResponses, ARequestOpcodeIsNoResponse) {
  auto response = decode(0x07, "");
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message.find("QUERY is a request opcode"), std::string::npos);
}

TEST(CqlResponses, AnUnknownResultKindIsAnError) {
  auto response = decode(kResult, hex("00 00 00 09"));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message, "malformed RESULT on stream 1: unknown result kind 9");
}

TEST(CqlResponses, TrailingBytesAreIgnored) {
  EXPECT_TRUE(decode(kResult, hex("00 00 00 01 de ad be ef")).ok());
}

// ---------------------------------------------------------------- errors

struct ErrorCase {
  const char* name;
  std::string body_after_message;
  ErrorCode code;
  ErrorDetails details;
  Errc errc;
};

std::vector<ErrorCase> error_cases() {
  return {
      {"server", "", ErrorCode::server_error, {}, Errc::unavailable},
      {"protocol", "", ErrorCode::protocol_error, {}, Errc::internal},
      {"credentials", "", ErrorCode::bad_credentials, {}, Errc::auth},
      {"unavailable", hex("00 04  00 00 00 02  00 00 00 01"), ErrorCode::unavailable,
       UnavailableDetails{Consistency::quorum, 2, 1}, Errc::unavailable},
      {"overloaded", "", ErrorCode::overloaded, {}, Errc::unavailable},
      {"bootstrapping", "", ErrorCode::is_bootstrapping, {}, Errc::unavailable},
      {"truncate", "", ErrorCode::truncate_error, {}, Errc::unavailable},
      {"write timeout", hex("00 06  00 00 00 01  00 00 00 02") + str("UNLOGGED_BATCH"), ErrorCode::write_timeout,
       WriteTimeoutDetails{Consistency::local_quorum, 1, 2, "UNLOGGED_BATCH"}, Errc::timeout},
      {"read timeout", hex("00 01  00 00 00 00  00 00 00 01  00"), ErrorCode::read_timeout,
       ReadTimeoutDetails{Consistency::one, 0, 1, false}, Errc::timeout},
      {"read failure", hex("00 06  00 00 00 01  00 00 00 02  00 00 00 01  01"), ErrorCode::read_failure,
       ReadFailureDetails{Consistency::local_quorum, 1, 2, 1, true}, Errc::unavailable},
      {"function failure", str("ks") + str("to_celsius") + hex("00 01") + str("double"), ErrorCode::function_failure,
       FunctionFailureDetails{"ks", "to_celsius", {"double"}}, Errc::invalid_argument},
      {"write failure", hex("00 05  00 00 00 02  00 00 00 03  00 00 00 01") + str("SIMPLE"), ErrorCode::write_failure,
       WriteFailureDetails{Consistency::all, 2, 3, 1, "SIMPLE"}, Errc::unavailable},
      {"syntax", "", ErrorCode::syntax_error, {}, Errc::invalid_argument},
      {"unauthorized", "", ErrorCode::unauthorized, {}, Errc::auth},
      {"invalid", "", ErrorCode::invalid, {}, Errc::invalid_argument},
      {"config", "", ErrorCode::config_error, {}, Errc::invalid_argument},
      {"already exists", str("squall") + str("observations"), ErrorCode::already_exists,
       AlreadyExistsDetails{"squall", "observations"}, Errc::invalid_argument},
      {"keyspace exists", str("squall") + str(""), ErrorCode::already_exists, AlreadyExistsDetails{"squall", ""},
       Errc::invalid_argument},
      {"unprepared", hex("00 02 ab cd"), ErrorCode::unprepared, UnpreparedDetails{hex("ab cd")}, Errc::internal},
  };
}

std::string error_body(ErrorCode code, const std::string& message, const std::string& rest) {
  std::string body;
  WireWriter writer(body);
  writer.i32(static_cast<std::int32_t>(code));
  writer.string(message, "message");
  return body + rest;
}

TEST(CqlErrors, EveryKindDecodesWithItsExtraFields) {
  for (const auto& c : error_cases()) {
    SCOPED_TRACE(c.name);
    const auto response = decode(kError, error_body(c.code, "something went wrong", c.body_after_message));
    const auto& error = body_as<ServerError>(response);
    EXPECT_EQ(error.code, c.code);
    EXPECT_EQ(error.message, "something went wrong");
    EXPECT_EQ(error.details, c.details);
    EXPECT_EQ(error.to_error().code, c.errc);
    EXPECT_NE(error.to_error().message.find(error_code_name(c.code)), std::string::npos);
  }
}

TEST(CqlErrors, EveryKindWithExtraFieldsRejectsEveryTruncation) {
  for (const auto& c : error_cases()) {
    if (c.body_after_message.empty()) continue;
    SCOPED_TRACE(c.name);
    const std::string body = error_body(c.code, "m", c.body_after_message);
    for (std::size_t length = 0; length < body.size(); ++length) {
      EXPECT_FALSE(decode(kError, body.substr(0, length)).ok()) << "prefix " << length;
    }
  }
}

TEST(CqlErrors, DescribeNamesKindCodeMessageAndDetails) {
  const auto unavailable = body_as<ServerError>(decode(
      kError, error_body(ErrorCode::unavailable, "Cannot achieve consistency level QUORUM",
                         hex("00 04  00 00 00 02  00 00 00 01"))));
  EXPECT_EQ(unavailable.describe(),
            "Unavailable (0x1000): Cannot achieve consistency level QUORUM [consistency QUORUM, required 2, alive 1]");
  const auto exists = body_as<ServerError>(decode(
      kError, error_body(ErrorCode::already_exists, "Cannot add existing table", str("squall") + str("alerts"))));
  EXPECT_EQ(exists.describe(), "Already_exists (0x2400): Cannot add existing table [table squall.alerts]");
  const auto unprepared =
      body_as<ServerError>(decode(kError, error_body(ErrorCode::unprepared, "Prepared query with ID", hex("00 02 ab cd"))));
  EXPECT_EQ(unprepared.describe(), "Unprepared (0x2500): Prepared query with ID [id abcd]");
}

TEST(CqlErrors, AnUnknownCodeKeepsItsMessage) {
  const auto response = decode(kError, error_body(static_cast<ErrorCode>(0x7777), "new in v9", ""));
  const auto& error = body_as<ServerError>(response);
  EXPECT_EQ(error.describe(), "Unknown error (0x7777): new in v9");
}

// ------------------------------------------------------------ truncation

TEST(CqlResponses, EveryTruncatedBodyIsAnErrorNotACrash) {
  const std::string prepared = hex("00 00 00 04  00 01 07") + hex("00 00 00 00  00 00 00 01  00 00 00 00") +
                               str("ks") + str("t") + str("k") + hex("00 21 00 0d 00 20 00 09") +
                               hex("00 00 00 00  00 00 00 00");
  const struct {
    unsigned opcode;
    std::string body;
  } cases[] = {
      {kResult, kRowsBody},
      {kResult, prepared},
      {kResult, hex("00 00 00 05") + str("UPDATED") + str("FUNCTION") + str("ks") + str("f") + hex("00 01") +
                    str("int")},
      {kResult, hex("00 00 00 03") + str("squall")},
      {0x06, hex("00 01") + str("CQL_VERSION") + hex("00 01") + str("3.4.7")},
      {0x03, str("PasswordAuthenticator")},
      {0x10, hex("00 00 00 02 6f 6b")},
  };
  for (const auto& c : cases) {
    ASSERT_TRUE(decode(c.opcode, c.body).ok()) << decode(c.opcode, c.body).error().message;
    for (std::size_t length = 0; length < c.body.size(); ++length) {
      auto response = decode(c.opcode, c.body.substr(0, length));
      EXPECT_FALSE(response.ok()) << "opcode " << c.opcode << " prefix " << length;
    }
  }
}

}  // namespace
}  // namespace squall::cql
