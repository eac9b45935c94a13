// The raw insert rate of observation rows into the store's own observations
// table through our CQL client: prepared INSERTs, as many in flight as the
// session allows, nothing else (no latest_by_city, windows or checkpoints).
// bench/pipeline/run reports the processor's throughput as a share of this
// and of the log's raw consume rate: the physical limits of the same run.
//
// Usage: cql_insert --contact HOST:PORT --keyspace KS [--events N] [--cities N] [--in-flight N]
// Prints one JSON object: {"rows": N, "seconds": S, "rows_per_s": R}.

#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cql/cql.hpp"
#include "dataset.hpp"
#include "store/cassandra/observation_columns.hpp"

namespace {

using namespace squall;

std::string markers(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += i == 0 ? "?" : ", ?";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raw insert rate of observation rows through squall's CQL client"};
  std::string contact = "127.0.0.1:9042";
  std::string keyspace;
  std::int64_t events = 100'000;
  std::int64_t cities = 10'000;
  std::size_t in_flight = 1024;
  app.add_option("--contact", contact, "HOST:PORT of a Cassandra node");
  app.add_option("--keyspace", keyspace, "keyspace holding squall's tables")->required();
  app.add_option("--events", events, "rows to insert");
  app.add_option("--cities", cities, "simulated cities");
  app.add_option("--in-flight", in_flight, "requests outstanding at most");
  CLI11_PARSE(app, argc, argv);

  const auto rows = bench::simulated_observations(events, cities);
  cql::SessionOptions options;
  options.contact_points = {contact};
  options.consistency = cql::Consistency::local_quorum;
  options.max_in_flight = in_flight;
  auto session = cql::Session::connect(options);
  if (!session) {
    std::fprintf(stderr, "cql_insert: %s\n", session.error().message.c_str());
    return 1;
  }
  namespace columns = store::cassandra_columns;
  auto insert = (*session)->prepare("INSERT INTO " + keyspace + ".observations (day, " + columns::column_list() +
                                    ") VALUES (" + markers(columns::observation_columns().size() + 1) + ")");
  if (!insert) {
    std::fprintf(stderr, "cql_insert: %s\n", insert.error().message.c_str());
    return 1;
  }

  const auto started = std::chrono::steady_clock::now();
  std::deque<std::future<Result<cql::QueryResult>>> pending;
  std::size_t failed = 0;
  const auto settle = [&] {
    if (!pending.front().get()) ++failed;
    pending.pop_front();
  };
  for (const Observation& o : rows) {
    std::vector<cql::Value> values;
    values.emplace_back(columns::day_of(o.observed_at));
    for (auto& v : columns::values_of(o)) values.push_back(std::move(v));
    if (pending.size() >= in_flight) settle();
    pending.push_back((*session)->execute_async(*insert, std::move(values), cql::idempotent_options()));
  }
  while (!pending.empty()) settle();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (failed > 0) {
    std::fprintf(stderr, "cql_insert: %zu of %zu inserts failed\n", failed, rows.size());
    return 1;
  }
  std::printf("{\"rows\": %zu, \"seconds\": %.3f, \"rows_per_s\": %.0f}\n", rows.size(), seconds,
              static_cast<double>(rows.size()) / seconds);
  return 0;
}
