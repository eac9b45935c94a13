// Writes the binary seed corpora: CQL response frames laid out by hand after the native protocol v4 spec, and
// log batches and checkpoints made by squall's own encoders. Not a fuzz target; run it after a format change:
//   cmake --build --preset fuzz --target fuzz_make_seeds && build-fuzz/fuzz/fuzz_make_seeds fuzz/corpus

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "log/embedded/batch_codec.hpp"
#include "processor/checkpoint_codec.hpp"

namespace {

namespace fs = std::filesystem;

void save(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

// ------------------------------------------------------ CQL, by the spec's notations (§3)

std::string big_endian(std::uint64_t value, int width) {
  std::string out;
  for (int i = width - 1; i >= 0; --i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}
std::string i16(std::uint16_t value) { return big_endian(value, 2); }
std::string i32(std::int32_t value) { return big_endian(static_cast<std::uint32_t>(value), 4); }
std::string str(std::string_view text) { return i16(static_cast<std::uint16_t>(text.size())) + std::string(text); }
std::string bytes(std::string_view value) { return i32(static_cast<std::int32_t>(value.size())) + std::string(value); }
std::string string_list(std::initializer_list<std::string_view> items) {
  std::string out = i16(static_cast<std::uint16_t>(items.size()));
  for (auto item : items) out += str(item);
  return out;
}

// A v4 response frame (§2): version 0x84, flags, stream, opcode, body length.
std::string frame(std::uint8_t opcode, const std::string& body, std::uint8_t flags = 0, std::uint8_t version = 0x84) {
  return std::string{static_cast<char>(version), static_cast<char>(flags)} + i16(1) +
         std::string(1, static_cast<char>(opcode)) + i32(static_cast<std::int32_t>(body.size())) + body;
}

constexpr std::uint8_t kError = 0x00, kReady = 0x02, kAuthenticate = 0x03, kSupported = 0x06, kResult = 0x08,
                       kEvent = 0x0C, kAuthChallenge = 0x0E, kAuthSuccess = 0x10;

std::string result(std::int32_t kind, const std::string& rest = {}) { return frame(kResult, i32(kind) + rest); }

// Column specs of a Rows or Prepared result with a global table spec (§4.2.5.2).
std::string columns(std::initializer_list<std::pair<std::string_view, std::string>> specs) {
  std::string out = str("squall") + str("observations");
  for (const auto& [name, type] : specs) out += str(name) + type;
  return out;
}

const std::string kObservationColumns = columns({{"city_id", i16(0x0002)},
                                                 {"observed_at", i16(0x000B)},
                                                 {"temp_c", i16(0x0007)},
                                                 {"city", i16(0x000D)},
                                                 {"condition_id", i16(0x0009)},
                                                 {"day", i16(0x0011)},
                                                 {"final", i16(0x0004)},
                                                 {"wind", i16(0x0008)},
                                                 {"id", i16(0x000C)}});

std::string observation_row(const std::string& city) {
  return bytes(big_endian(4887398, 8)) + bytes(big_endian(1700000000000, 8)) +
         bytes(big_endian(0x4021000000000000, 8)) + bytes(city) + i32(-1) /* null */ + bytes(big_endian(0x80004c9b, 4)) +
         bytes(std::string(1, '\x01')) + bytes("") /* empty: legacy null */ + bytes(std::string(16, '\x42'));
}

void write_cql_seeds(const fs::path& dir) {
  save(dir, "ready", frame(kReady, ""));
  save(dir, "authenticate", frame(kAuthenticate, str("org.apache.cassandra.auth.PasswordAuthenticator")));
  save(dir, "supported", frame(kSupported, i16(2) + str("CQL_VERSION") + string_list({"3.4.7"}) +
                                               str("PROTOCOL_VERSIONS") + string_list({"3/v3", "4/v4", "5/v5"})));
  save(dir, "error_unavailable", frame(kError, i32(0x1000) + str("Cannot achieve consistency level QUORUM") +
                                                   i16(0x0004) + i32(2) + i32(1)));
  save(dir, "error_write_timeout", frame(kError, i32(0x1100) + str("Operation timed out") + i16(0x0006) + i32(1) +
                                                     i32(2) + str("UNLOGGED_BATCH")));
  save(dir, "error_read_failure", frame(kError, i32(0x1300) + str("Operation failed") + i16(0x0001) + i32(0) +
                                                    i32(1) + i32(1) + std::string(1, '\0')));
  save(dir, "error_function_failure", frame(kError, i32(0x1400) + str("failed") + str("squall") + str("f") +
                                                        string_list({"int", "text"})));
  save(dir, "error_already_exists", frame(kError, i32(0x2400) + str("exists") + str("squall") + str("observations")));
  save(dir, "error_unprepared", frame(kError, i32(0x2500) + str("Prepared query not found") + str("0123456789abcdef")));
  save(dir, "error_syntax", frame(kError, i32(0x2000) + str("line 1:0 no viable alternative")));
  save(dir, "result_void", result(1));
  save(dir, "result_set_keyspace", result(3, str("squall")));
  save(dir, "result_schema_change_table", result(5, str("CREATED") + str("TABLE") + str("squall") + str("alerts")));
  save(dir, "result_schema_change_function",
       result(5, str("DROPPED") + str("FUNCTION") + str("squall") + str("f") + string_list({"int"})));
  // Rows: flags Global_tables_spec, 9 columns, then 2 rows.
  save(dir, "result_rows", result(2, i32(0x0001) + i32(9) + kObservationColumns + i32(2) +
                                         observation_row("Chicago") + observation_row("S\xc3\xa3o Paulo")));
  // Rows: Has_more_pages with a paging state, per-column table specs, and
  // the types squall reads as raw bytes: list<int>, map<text, bigint>,
  // set<text>, tuple<int, text>, a UDT and a custom class.
  const std::string udt = i16(0x0030) + str("squall") + str("point") + i16(2) + str("x") + i16(0x0007) + str("y") +
                          i16(0x0007);
  save(dir, "result_rows_collections",
       result(2, i32(0x0002) + i32(6) + bytes("page-2") + str("ks") + str("t") + str("l") + i16(0x0020) + i16(0x0009) +
                     str("ks") + str("t") + str("m") + i16(0x0021) + i16(0x000D) + i16(0x0002) + str("ks") + str("t") +
                     str("s") + i16(0x0022) + i16(0x000D) + str("ks") + str("t") + str("tu") + i16(0x0031) + i16(2) +
                     i16(0x0009) + i16(0x000D) + str("ks") + str("t") + str("u") + udt + str("ks") + str("t") +
                     str("c") + i16(0x0000) + str("org.apache.cassandra.db.marshal.DurationType") + i32(1) +
                     bytes(i32(1) + bytes(i32(7))) + bytes(i32(0)) + bytes(i32(0)) + i32(-1) + bytes("xy") +
                     bytes(std::string(3, '\x01'))));
  // PREPARE's answer, then an EXECUTE's Rows sent with No_metadata: the
  // second frame can only be read with the first one's result metadata.
  const std::string prepared = result(4, str("0123456789abcdef") + i32(0x0001) + i32(1) + i32(1) + i16(0) +
                                             columns({{"city_id", i16(0x0002)}}) + i32(0x0001) + i32(9) +
                                             kObservationColumns);
  save(dir, "result_prepared_then_rows", prepared + result(2, i32(0x0004) + i32(9) + i32(1) + observation_row("Miami")));
  save(dir, "event", frame(kEvent, str("SCHEMA_CHANGE") + str("CREATED") + str("KEYSPACE") + str("squall")));
  save(dir, "auth_challenge", frame(kAuthChallenge, bytes("challenge")));
  save(dir, "auth_success_null_token", frame(kAuthSuccess, i32(-1)));
  // Flags tracing (0x02), custom payload (0x04) and warning (0x08) prefix the body (§2.2).
  save(dir, "result_void_tracing_warnings_payload",
       frame(kResult, std::string(16, '\x11') + string_list({"Aggregation query used without partition key"}) + i16(1) +
                          str("k") + bytes("v") + i32(1),
             0x0E));
  save(dir, "ready_then_void_then_partial", frame(kReady, "") + result(1) + frame(kReady, "").substr(0, 5));
  // A v5 frame header (0x85): squall speaks v4 and must refuse it.
  save(dir, "v5_ready_refused", frame(kReady, "", 0, 0x85));
}

// ------------------------------------------------------ log batches, by encode_batch

squall::log::Record weather_record(std::int64_t city, std::int64_t timestamp_ms, std::string json) {
  return {std::to_string(city), std::move(json),
          {{"source", "simulator"}, {"fetched_at_ms", std::to_string(timestamp_ms)}, {"units", "standard"}},
          timestamp_ms};
}

void write_log_seeds(const fs::path& dir) {
  using squall::log::embedded::encode_batch;
  using squall::log::Record;
  const std::string json =
      R"({"coord":{"lon":-87.65,"lat":41.85},"main":{"temp":281.52,"humidity":71},"dt":1700000000,"id":4887398,"name":"Chicago"})";
  save(dir, "empty", encode_batch(std::vector<Record>{}));
  save(dir, "one_weather_record", encode_batch(std::vector<Record>{weather_record(4887398, 1700000000123, json)}));
  // Timestamps out of order: negative zigzag deltas.
  save(dir, "three_records_unordered",
       encode_batch(std::vector<Record>{weather_record(4887398, 1700000005000, json),
                                        weather_record(4164138, 1700000001000, "{}"),
                                        weather_record(5391959, 1700000009000, "not json")}));
  save(dir, "bare_records", encode_batch(std::vector<Record>{{"", "", {}, 0}, {"k", "v", {}, -1}}));
  save(dir, "dead_letter", encode_batch(std::vector<Record>{
                               {"4887398", "{\"id\":", {{"dlq.reason", "invalid JSON: unexpected end"},
                                                       {"dlq.topic", "weather"},
                                                       {"dlq.partition", "2"},
                                                       {"dlq.offset", "41"}},
                                1700000000000}}));
}

// ------------------------------------------------------ checkpoints, by encode_checkpoint

squall::processor::PartitionSnapshot windows() {
  squall::processor::PartitionSnapshot s;
  s.max_event_time = 1700003600;
  s.finalized_through = 1700000000;
  squall::processor::WindowAggregate w;
  w.city_id = 4887398;
  w.size_s = 3600;
  w.start = 1700002800;
  w.count = 2;
  w.temp_min_c = -1.5;
  w.temp_max_c = 4.25;
  w.temp_c = {2.75, 2};
  w.wind_max_ms = 7.0;
  w.wind_ms = {12.0, 2};
  w.gust_max_ms = 11.5;
  w.humidity_pct = {140.0, 2};
  w.pressure_hpa = {2026.0, 2};
  w.hours.push_back({1700003000, 0.25, std::nullopt});
  w.last_offset = 41;
  s.windows.push_back(w);
  w.size_s = 86400;
  w.start = 1699920000;
  w.hours.push_back({1700006400, std::nullopt, 1.5});
  w.final = true;
  s.windows.push_back(w);
  s.seen[4887398] = {1700002800, 1700003400};
  return s;
}

// Seeds of formats 1 and 2, which squall no longer writes but still reads,
// are tests/processor/testdata/checkpoint_format{1,2}.bin, copied by hand:
// they were written by those formats' encoders.
void write_checkpoint_seeds(const fs::path& dir) {
  using squall::processor::encode_checkpoint;
  using squall::processor::PartitionState;
  save(dir, "empty", encode_checkpoint(PartitionState{}));
  save(dir, "windows_and_alerts",
       encode_checkpoint(PartitionState{windows(), {{4887398, "gale", 2, false}, {4164138, "frost", 0, true}}}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR (fuzz/corpus)\n", argv[0]);
    return 2;
  }
  const fs::path corpus = argv[1];
  write_cql_seeds(corpus / "cql_frame");
  write_log_seeds(corpus / "log_record");
  write_checkpoint_seeds(corpus / "checkpoint");
  return 0;
}
