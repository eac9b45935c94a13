// The raw insert rate of observation rows into the store's own observations
// table through our CQL client: prepared INSERTs, as many in flight as the
// session allows, nothing else (no latest_by_city, windows or checkpoints).
// bench/pipeline/run reports the processor's throughput as a share of this
// and of the log's raw consume rate: the physical limits of the same run.
//
// Three ways, since the best one is the limit: one INSERT per request
// (--rows-per-batch 0); the rows in partition order in unlogged batches of
// one (city, day) partition each, with every batch full, which a processor's
// micro-batch seldom allows (--rows-per-batch N); or the rows in arrival
// order grouped as the store groups a write, in batches that span
// partitions within its limits (--batch-by store, request_batches.hpp).
//
// Usage: cql_insert --contact HOST:PORT --keyspace KS [--events N] [--cities N] [--in-flight N]
//                   [--rows-per-batch N | --batch-by store] [--absent unset|null]
// Prints one JSON object: {"rows": N, "seconds": S, "rows_per_s": R}.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cql_rows.hpp"
#include "dataset.hpp"
#include "store/cassandra/request_batches.hpp"

namespace {

using namespace squall;

// Rows of one (city, day) partition next to each other, in time order.
void sort_by_partition(std::vector<Observation>& rows) {
  namespace columns = store::cassandra_columns;
  std::stable_sort(rows.begin(), rows.end(), [](const Observation& a, const Observation& b) {
    const auto day_a = columns::day_of(a.observed_at);
    const auto day_b = columns::day_of(b.observed_at);
    if (a.city_id != b.city_id) return a.city_id < b.city_id;
    if (day_a != day_b) return day_a < day_b;
    return a.observed_at < b.observed_at;
  });
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
  std::size_t rows_per_batch = 0;
  app.add_option("--in-flight", in_flight, "requests outstanding at most");
  app.add_option("--rows-per-batch", rows_per_batch,
                 "0: one INSERT per request; N: unlogged batches of up to N rows of one partition");
  // The store leaves an observation's absent fields unset; null (a tombstone
  // per absent field) is there to measure what that saves the node.
  std::string absent_name = "unset";
  app.add_option("--absent", absent_name, "how absent fields are bound: unset (as the store does) or null")
      ->check(CLI::IsMember({"unset", "null"}));
  std::string batch_by = "partition";
  app.add_option("--batch-by", batch_by,
                 "partition: batches of --rows-per-batch rows of one partition; store: the rows in arrival order, "
                 "grouped as the Cassandra store groups a write")
      ->check(CLI::IsMember({"partition", "store"}));
  CLI11_PARSE(app, argc, argv);
  const bool as_store = batch_by == "store";
  namespace columns = store::cassandra_columns;
  const auto absent = absent_name == "null" ? columns::Absent::null : columns::Absent::unset;

  auto rows = bench::simulated_observations(events, cities);
  if (rows_per_batch > 0 && !as_store) sort_by_partition(rows);
  auto connected = bench::connect_for_inserts(contact, keyspace, in_flight);
  if (!connected) {
    std::fprintf(stderr, "cql_insert: %s\n", connected.error().message.c_str());
    return 1;
  }
  cql::Session& session = *connected->session;
  const cql::Prepared& insert = connected->insert;

  const auto started = std::chrono::steady_clock::now();
  std::deque<std::future<Result<cql::QueryResult>>> pending;
  std::size_t failed = 0;
  const auto settle = [&] {
    if (!pending.front().get()) ++failed;
    pending.pop_front();
  };
  const auto send = [&](std::future<Result<cql::QueryResult>> request) {
    if (pending.size() >= in_flight) settle();
    pending.push_back(std::move(request));
  };
  std::vector<cql::BatchStatement> batch;
  const auto flush = [&] {
    if (!batch.empty()) send(session.batch_async(std::exchange(batch, {}), cql::idempotent_options()));
  };
  store::cassandra_batches::RequestBatches store_batches([&](std::vector<cql::BatchStatement> statements) {
    send(store::cassandra_batches::send(session, std::move(statements)));
  });
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto day = columns::day_of(rows[i].observed_at);
    if (as_store) {
      store_batches.add({insert, bench::observation_row(rows[i], absent)},
                        store::cassandra_batches::partition_id(0, rows[i].city_id, day));
      continue;
    }
    if (rows_per_batch == 0) {
      send(session.execute_async(insert, bench::observation_row(rows[i], absent), cql::idempotent_options()));
      continue;
    }
    const bool same_partition =
        i > 0 && rows[i].city_id == rows[i - 1].city_id && day == columns::day_of(rows[i - 1].observed_at);
    if (!same_partition || batch.size() == rows_per_batch) flush();
    batch.push_back({insert, bench::observation_row(rows[i], absent)});
  }
  store_batches.flush();
  flush();
  while (!pending.empty()) settle();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (failed > 0) {
    std::fprintf(stderr, "cql_insert: %zu requests (of %zu rows) failed\n", failed, rows.size());
    return 1;
  }
  std::printf("{\"rows\": %zu, \"seconds\": %.3f, \"rows_per_s\": %.0f}\n", rows.size(), seconds,
              static_cast<double>(rows.size()) / seconds);
  return 0;
}
