// The raw write latency of observation rows at an offered rate, through our
// CQL client into the store's own observations table, with nothing else
// around it: no log, no processor, no latest rows, windows or checkpoints.
// It is the floor under the pipeline's produce-to-stored latency on the same
// node at the same rate (bench/pipeline/run reports the two side by side).
//
// Row i is due at i / rate seconds. Every tick, the rows due since the last
// tick are grouped as the Cassandra store groups a write and sent at once; a
// row counts as stored when every request of its tick has been answered, and
// its latency runs from when it was due. Answers are looked for every
// millisecond, so a latency may read up to ~1 ms long.
//
// Usage: cql_latency --contact HOST:PORT --keyspace KS --rate R [--events N] [--cities N] [--tick-ms T]
// Prints one JSON object: {"rows", "offered_rows_per_s", "tick_ms", "requests", "p50_ms", "p95_ms",
// "p99_ms", "max_ms"}.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <list>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "cql_rows.hpp"
#include "dataset.hpp"
#include "store/cassandra/request_batches.hpp"

namespace {

using namespace squall;
using Clock = std::chrono::steady_clock;

// The requests one tick sent, and which rows they carry.
struct Tick {
  std::size_t first_row = 0;
  std::size_t end_row = 0;
  std::vector<std::future<Result<cql::QueryResult>>> requests;
};

bool answered(Tick& tick) {
  return std::all_of(tick.requests.begin(), tick.requests.end(), [](auto& request) {
    return request.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  });
}

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raw write latency of observation rows at an offered rate, through squall's CQL client"};
  std::string contact = "127.0.0.1:9042";
  std::string keyspace;
  std::int64_t events = 30'000;
  std::int64_t cities = 2'000;
  double rate = 0;
  std::int64_t tick_ms = 5;
  app.add_option("--contact", contact, "HOST:PORT of a Cassandra node");
  app.add_option("--keyspace", keyspace, "keyspace holding squall's tables")->required();
  app.add_option("--events", events, "rows to insert")->check(CLI::PositiveNumber);
  app.add_option("--cities", cities, "simulated cities")->check(CLI::PositiveNumber);
  app.add_option("--rate", rate, "rows offered per second")->required()->check(CLI::PositiveNumber);
  app.add_option("--tick-ms", tick_ms, "how often the rows due so far are sent")->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  const auto rows = bench::simulated_observations(events, cities);
  auto connected = bench::connect_for_inserts(contact, keyspace, 1024);
  if (!connected) {
    std::fprintf(stderr, "cql_latency: %s\n", connected.error().message.c_str());
    return 1;
  }
  cql::Session& session = *connected->session;
  namespace batches = store::cassandra_batches;
  namespace columns = store::cassandra_columns;

  std::list<Tick> outstanding;
  batches::RequestBatches grouped([&](std::vector<cql::BatchStatement> statements) {
    outstanding.back().requests.push_back(batches::send(session, std::move(statements)));
  });
  std::vector<double> latencies_ms;
  latencies_ms.reserve(rows.size());
  std::size_t sent = 0;
  std::size_t requests = 0;
  std::size_t failed = 0;
  const auto started = Clock::now();
  const auto due_at = [&](std::size_t row) {
    return started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>(row) / rate));
  };
  const auto deadline = due_at(rows.size()) + std::chrono::minutes(2);
  auto next_tick = started;
  while (sent < rows.size() || !outstanding.empty()) {
    const auto now = Clock::now();
    if (now > deadline) {
      std::fprintf(stderr, "cql_latency: %zu ticks still unanswered two minutes after the last row was due\n",
                   outstanding.size());
      return 1;
    }
    if (sent < rows.size() && now >= next_tick) {
      const double elapsed_s = std::chrono::duration<double>(now - started).count();
      const auto due = std::min(rows.size(), static_cast<std::size_t>(elapsed_s * rate) + 1);
      outstanding.push_back(Tick{sent, due, {}});
      for (; sent < due; ++sent) {
        const Observation& o = rows[sent];
        grouped.add({connected->insert, bench::observation_row(o, columns::Absent::unset)},
                    batches::partition_id(0, o.city_id, columns::day_of(o.observed_at)));
      }
      grouped.flush();
      requests += outstanding.back().requests.size();
      next_tick += std::chrono::milliseconds(tick_ms);
    }
    for (auto tick = outstanding.begin(); tick != outstanding.end();) {
      if (!answered(*tick)) {
        ++tick;
        continue;
      }
      const auto stored = Clock::now();
      for (auto& request : tick->requests) failed += request.get() ? 0 : 1;
      for (std::size_t row = tick->first_row; row < tick->end_row; ++row) {
        latencies_ms.push_back(std::chrono::duration<double, std::milli>(stored - due_at(row)).count());
      }
      tick = outstanding.erase(tick);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (failed > 0) {
    std::fprintf(stderr, "cql_latency: %zu of %zu requests failed\n", failed, requests);
    return 1;
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  std::printf("{\"rows\": %zu, \"offered_rows_per_s\": %.0f, \"tick_ms\": %lld, \"requests\": %zu, "
              "\"p50_ms\": %.1f, \"p95_ms\": %.1f, \"p99_ms\": %.1f, \"max_ms\": %.1f}\n",
              rows.size(), rate, static_cast<long long>(tick_ms), requests, percentile(latencies_ms, 0.50),
              percentile(latencies_ms, 0.95), percentile(latencies_ms, 0.99), latencies_ms.back());
  return 0;
}
