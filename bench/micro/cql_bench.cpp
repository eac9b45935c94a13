// The CQL client's framing: encoding the statements the Cassandra store sends
// (EXECUTE of one observation row, unlogged BATCH of 50) and decoding a page
// of rows as a query returns it.

#include <benchmark/benchmark.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "cql/frame.hpp"
#include "cql/messages.hpp"
#include "cql/wire.hpp"

namespace {

using namespace squall::cql;

const std::string kPreparedId(16, '\x5a');

// The bound values of one observation row: ids, times, two dozen readings, texts.
std::vector<Value> observation_values(std::int32_t city) {
  std::vector<Value> values;
  values.emplace_back(std::int64_t{4887398} + city);
  values.emplace_back(Timestamp{1700000000000});
  values.emplace_back(std::in_place_type<std::string>, "Chicago");
  values.emplace_back(std::in_place_type<std::string>, "US");
  for (int i = 0; i < 24; ++i) values.emplace_back(8.37 + i);
  values.emplace_back(std::int32_t{803});
  values.emplace_back(std::in_place_type<std::string>, "Clouds");
  values.emplace_back(std::in_place_type<std::string>, "broken clouds");
  values.emplace_back(std::in_place_type<std::string>, "04d");
  values.emplace_back(Timestamp{1700000000123});
  return values;
}

void BM_EncodeExecute(benchmark::State& state) {
  const auto values = observation_values(1);
  QueryParameters parameters;
  parameters.values = values;
  std::string frame;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    auto request = execute_request(kPreparedId, parameters);
    if (!request) state.SkipWithError("encode failed");
    frame.clear();
    (void)encode_frame(FrameHeader{kRequestVersion, 0, 1, request->opcode, 0}, request->body, frame);
    bytes += static_cast<std::int64_t>(frame.size());
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_EncodeExecute);

// Items are rows: 50 per batch, as the Cassandra store groups them.
void BM_EncodeBatch50(benchmark::State& state) {
  std::vector<std::vector<Value>> rows;
  for (int i = 0; i < 50; ++i) rows.push_back(observation_values(i));
  std::vector<BatchEntry> entries;
  for (const auto& row : rows) entries.push_back(BatchEntry{kPreparedId, row});
  std::string frame;
  std::int64_t bytes = 0;
  for (auto _ : state) {
    auto request = unlogged_batch_request(entries, BatchParameters{});
    if (!request) state.SkipWithError("encode failed");
    frame.clear();
    (void)encode_frame(FrameHeader{kRequestVersion, 0, 1, request->opcode, 0}, request->body, frame);
    bytes += static_cast<std::int64_t>(frame.size());
    benchmark::DoNotOptimize(frame.data());
  }
  state.SetItemsProcessed(state.iterations() * 50);
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_EncodeBatch50);

// A RESULT frame with a page of `rows` rows of (bigint, timestamp, text, double x 8).
std::string rows_frame(int rows) {
  std::string body;
  WireWriter w(body);
  w.i32(2);  // kind: Rows
  w.i32(1);  // flags: global table spec
  w.i32(11);
  w.string("squall", "keyspace");
  w.string("observations", "table");
  w.string("city_id", "column");
  w.u16(0x0002);  // bigint
  w.string("observed_at", "column");
  w.u16(0x000B);  // timestamp
  w.string("city", "column");
  w.u16(0x000D);  // varchar
  for (int i = 0; i < 8; ++i) {
    w.string("reading_" + std::to_string(i), "column");
    w.u16(0x0007);  // double
  }
  w.i32(rows);
  std::string cell;
  for (int r = 0; r < rows; ++r) {
    cell.clear();
    WireWriter(cell).i64(4887398 + r);
    w.bytes(cell, "cell");
    cell.clear();
    WireWriter(cell).i64(1700000000000);
    w.bytes(cell, "cell");
    w.bytes("Chicago", "cell");
    for (int i = 0; i < 8; ++i) {
      cell.clear();
      WireWriter cell_writer(cell);
      write_value(cell_writer, Value{281.5 + i});
      w.bytes(std::string_view(cell).substr(4), "cell");  // write_value's 4-byte length is w.bytes' to write
    }
  }
  std::string frame;
  if (!encode_frame(FrameHeader{kResponseVersion, 0, 1, Opcode::result, 0}, body, frame)) {
    throw std::runtime_error("rows frame");
  }
  return frame;
}

// Items are rows.
void BM_DecodeRows(benchmark::State& state) {
  const int rows = static_cast<int>(state.range(0));
  const std::string bytes = rows_frame(rows);
  for (auto _ : state) {
    auto decoded = decode_frame(bytes);
    if (!decoded || !decoded->frame) state.SkipWithError("frame");
    auto response = decode_response(*decoded->frame);
    if (!response) state.SkipWithError(response.error().message.c_str());
    benchmark::DoNotOptimize(response->body);
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}
BENCHMARK(BM_DecodeRows)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
