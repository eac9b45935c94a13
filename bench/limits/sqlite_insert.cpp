// The raw insert rate of observation rows into the SQLite store's own
// observations table: the store's prepared upsert, one transaction per
// --batch rows committed as durably as the store commits (synchronous=FULL
// in WAL mode), nothing else (no latest_by_city, windows, checkpoints, CSV
// or log). bench/pipeline/run reports the embedded processor's throughput
// as a share of this: the physical limit of the same run.
//
// Usage: sqlite_insert --db PATH [--events N] [--cities N] [--batch N]
// Prints one JSON object: {"rows": N, "seconds": S, "rows_per_s": R}.

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/sqlite.hpp"
#include "dataset.hpp"
#include "store/sqlite/observation_row.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace {

using namespace squall;

int fail(const Error& error) {
  std::fprintf(stderr, "sqlite_insert: %s\n", error.message.c_str());
  return 1;
}

// Inserts `rows` in transactions of `batch`; the error of the first failure.
Result<void> insert_all(sqlite::Database& db, const std::vector<Observation>& rows, std::size_t batch) {
  auto upsert = db.prepare(store::sqlite_rows::upsert_sql(
      "observations", {store::sqlite_schema::kHourOfObservedAt, "city_id", "observed_at"}));
  if (!upsert) return upsert.error();
  for (std::size_t first = 0; first < rows.size(); first += batch) {
    auto transaction = sqlite::Transaction::begin(db);
    if (!transaction) return transaction.error();
    for (std::size_t i = first; i < std::min(rows.size(), first + batch); ++i) {
      store::sqlite_rows::bind_observation(*upsert, rows[i]);
      SQUALL_TRY(upsert->run());
    }
    SQUALL_TRY(transaction->commit());
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"raw insert rate of observation rows into the SQLite store's table"};
  std::string path;
  std::int64_t events = 100'000;
  std::int64_t cities = 10'000;
  std::size_t batch = 5000;
  app.add_option("--db", path, "database file to create (must not exist)")->required();
  app.add_option("--events", events, "rows to insert");
  app.add_option("--cities", cities, "simulated cities");
  app.add_option("--batch", batch, "rows per transaction (the processor's batch_max_records)")
      ->check(CLI::PositiveNumber);
  CLI11_PARSE(app, argc, argv);

  const auto rows = bench::simulated_observations(events, cities);
  // The store creates its schema; the rows then go in through a plain connection.
  if (auto created = store::open_sqlite_store(path, true); !created) return fail(created.error());
  auto db = sqlite::Database::open(path, sqlite::OpenOptions{});
  if (!db) return fail(db.error());

  const auto started = std::chrono::steady_clock::now();
  if (auto inserted = insert_all(*db, rows, batch); !inserted) return fail(inserted.error());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("{\"rows\": %zu, \"seconds\": %.3f, \"rows_per_s\": %.0f}\n", rows.size(), seconds,
              static_cast<double>(rows.size()) / seconds);
  return 0;
}
