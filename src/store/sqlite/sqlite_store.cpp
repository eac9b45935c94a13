#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <tuple>
#include <utility>
#include <vector>

#include "core/sqlite.hpp"
#include "store/sqlite/observation_row.hpp"
#include "store/sqlite/schema.hpp"
#include "store/sqlite/stream_rows.hpp"

namespace squall::store {
namespace {

using sqlite_schema::kHourOfObservedAt;
using sqlite_schema::kHourSeconds;

// Every statement the store runs, prepared once per connection.
enum class Sql : std::size_t {
  upsert_observation,
  upsert_latest,
  insert_dead_letter,
  latest_all,
  latest_one,
  city_time_span,
  history_hour,
  dead_letters,
  stats,
  upsert_window,
  select_windows,
  insert_late,
  upsert_checkpoint,
  select_checkpoint,
  upsert_alert,
  select_alerts,
  count,
};

constexpr std::size_t kStatementCount = static_cast<std::size_t>(Sql::count);

std::array<std::string, kStatementCount> statement_sql() {
  using sqlite_rows::select_sql;
  using sqlite_rows::upsert_sql;
  const std::string hour(kHourOfObservedAt);
  return {
      // The conflict target names the unique index's columns exactly.
      upsert_sql("observations", {kHourOfObservedAt, "city_id", "observed_at"}),
      // An older observation arriving late must not replace a newer one.
      upsert_sql("latest_by_city", {"city_id"}, "excluded.observed_at >= latest_by_city.observed_at"),
      // A log position always holds the same record: the first write stands.
      "INSERT INTO dead_letters (topic, partition, offset, reason, payload, received_at_ms) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (topic, partition, offset) DO NOTHING",
      select_sql("latest_by_city ORDER BY city_id"),
      select_sql("latest_by_city WHERE city_id = ?"),
      // Bounds a history walk: the city's newest time and the store's oldest hour.
      "SELECT observed_at, (SELECT min(" + hour + ") FROM observations) FROM latest_by_city WHERE city_id = ?",
      select_sql("observations WHERE " + hour +
                 " = ? AND city_id = ? AND observed_at >= ? AND observed_at < ? ORDER BY observed_at DESC LIMIT ?"),
      "SELECT topic, partition, offset, reason, payload, received_at_ms FROM dead_letters "
      "ORDER BY received_at_ms DESC, offset DESC LIMIT ?",
      // One statement, so one consistent snapshot; the extremes are found
      // through the hour index rather than by scanning every row.
      "SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM latest_by_city), "
      "(SELECT count(*) FROM dead_letters), "
      "(SELECT min(observed_at) FROM observations WHERE " + hour + " = (SELECT min(" + hour + ") FROM observations)), "
      "(SELECT max(observed_at) FROM observations WHERE " + hour + " = (SELECT max(" + hour + ") FROM observations)), "
      "(SELECT count(*) FROM window_aggregates), (SELECT count(*) FROM late_records), (SELECT count(*) FROM alerts)",
      sqlite_rows::kUpsertWindowSql,
      sqlite_rows::kSelectWindowsSql,
      sqlite_rows::kInsertLateSql,
      sqlite_rows::kUpsertCheckpointSql,
      sqlite_rows::kSelectCheckpointSql,
      sqlite_rows::kUpsertAlertSql,
      sqlite_rows::kSelectAlertsSql,
  };
}

std::int64_t clamp_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, kMax));
}

// Rewinds a read statement on every path out, so it never holds a read
// snapshot open (that would keep the WAL from being checkpointed).
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite::Statement& statement) : statement_(statement) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() { statement_.reset(); }

 private:
  sqlite::Statement& statement_;
};

// Runs a bound statement, appending read_row() of every result row to `out`.
template <class Row, class ReadRow>
Result<void> append_rows(sqlite::Statement& statement, std::vector<Row>& out, ReadRow read_row) {
  ResetOnExit reset(statement);
  while (true) {
    auto more = statement.step();
    if (!more) return more.error();
    if (!*more) return {};
    out.push_back(read_row(statement));
  }
}

template <class Row, class ReadRow>
Result<std::vector<Row>> read_rows(sqlite::Statement& statement, ReadRow read_row) {
  std::vector<Row> rows;
  SQUALL_TRY(append_rows(statement, rows, read_row));
  return rows;
}

DeadLetter read_dead_letter(const sqlite::Statement& row) {
  return DeadLetter{row.text(0), static_cast<std::int32_t>(row.int64(1)), row.int64(2), row.text(3),
                    std::string(row.blob(4)), row.int64(5)};
}

// Where a city's history can be: up to its newest observation, and no
// earlier than the oldest hour in the store.
struct TimeSpan {
  std::int64_t newest_observed_at = 0;
  std::int64_t oldest_hour = 0;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite::Database db, std::vector<sqlite::Statement> statements)
      : db_(std::move(db)), statements_(std::move(statements)) {}

  Result<void> write(const WriteBatch& batch) override {
    if (batch.observations.empty() && batch.dead_letters.empty() && batch.windows.empty() &&
        batch.late_records.empty() && batch.alerts.empty() && batch.checkpoints.empty() && batch.latest.empty()) {
      return {};
    }
    // One transaction: the checkpoint is durable exactly when the results it covers are.
    auto transaction = sqlite::Transaction::begin(db_);
    if (!transaction) return transaction.error();
    SQUALL_TRY(insert_observations(batch.observations));
    SQUALL_TRY(run_each(Sql::upsert_latest, batch.latest, sqlite_rows::bind_observation));
    SQUALL_TRY(insert_dead_letters(batch.dead_letters));
    SQUALL_TRY(upsert_windows(batch.windows));
    SQUALL_TRY(run_each(Sql::insert_late, batch.late_records, sqlite_rows::bind_late));
    SQUALL_TRY(run_each(Sql::upsert_alert, batch.alerts, sqlite_rows::bind_alert));
    SQUALL_TRY(run_each(Sql::upsert_checkpoint, batch.checkpoints, sqlite_rows::bind_checkpoint));
    return transaction->commit();
  }

  Result<std::vector<Observation>> latest(std::optional<std::int64_t> city_id) override {
    if (!city_id) return read_rows<Observation>(statement(Sql::latest_all), sqlite_rows::read_observation);
    auto& select = statement(Sql::latest_one);
    select.bind(1, *city_id);
    return read_rows<Observation>(select, sqlite_rows::read_observation);
  }

  // Newest first, one hour of the index at a time, until `limit` rows are
  // found or the hours that can hold the range are exhausted.
  Result<std::vector<Observation>> history(const HistoryQuery& query) override {
    std::vector<Observation> rows;
    if (query.limit == 0 || query.from >= query.to) return rows;
    auto span = time_span_of(query.city_id);
    if (!span) return span.error();
    if (!*span) return rows;  // a city the store has never seen
    const std::int64_t last_hour = std::min(query.to - 1, (*span)->newest_observed_at) / kHourSeconds;
    const std::int64_t first_hour = std::max(query.from / kHourSeconds, (*span)->oldest_hour);
    auto& select = statement(Sql::history_hour);
    for (std::int64_t hour = last_hour; hour >= first_hour && rows.size() < query.limit; --hour) {
      select.bind(1, hour).bind(2, query.city_id).bind(3, query.from).bind(4, query.to);
      select.bind(5, clamp_limit(query.limit - rows.size()));
      SQUALL_TRY(append_rows(select, rows, sqlite_rows::read_observation));
    }
    return rows;
  }

  Result<std::vector<DeadLetter>> dead_letters(std::size_t limit) override {
    auto& select = statement(Sql::dead_letters);
    select.bind(1, clamp_limit(limit));
    return read_rows<DeadLetter>(select, read_dead_letter);
  }

  Result<Stats> stats() override {
    auto rows = read_rows<Stats>(statement(Sql::stats), [](const sqlite::Statement& row) {
      Stats stats;
      stats.observations = row.int64(0);
      stats.cities = row.int64(1);
      stats.dead_letters = row.int64(2);
      stats.oldest_observed_at = row.optional_int64(3);
      stats.newest_observed_at = row.optional_int64(4);
      stats.windows = row.int64(5);
      stats.late_records = row.int64(6);
      stats.alerts = row.int64(7);
      return stats;
    });
    if (!rows) return rows.error();
    if (rows->size() != 1) return make_error(Errc::internal, "sqlite store: stats query returned no row");
    return rows->front();
  }

  Result<std::vector<WindowRow>> windows(const WindowQuery& query) override {
    auto& select = statement(Sql::select_windows);
    select.bind(1, query.city_id).bind(2, query.window).bind(3, clamp_limit(query.limit));
    return read_rows<WindowRow>(select, sqlite_rows::read_window);
  }

  Result<std::vector<AlertRow>> alerts(const AlertQuery& query) override {
    auto& select = statement(Sql::select_alerts);
    select.bind(1, query.city_id).bind(2, clamp_limit(query.limit));
    return read_rows<AlertRow>(select, sqlite_rows::read_alert);
  }

  Result<std::optional<Checkpoint>> checkpoint(const std::string& group, const std::string& topic,
                                               std::int32_t partition) override {
    auto& select = statement(Sql::select_checkpoint);
    select.bind(1, group).bind(2, topic).bind(3, partition);
    auto rows = read_rows<Checkpoint>(select, sqlite_rows::read_checkpoint);
    if (!rows) return rows.error();
    if (rows->empty()) return std::optional<Checkpoint>();
    return std::optional<Checkpoint>(std::move(rows->front()));
  }

 private:
  template <class Row, class Bind>
  Result<void> run_each(Sql which, std::span<const Row> rows, Bind bind) {
    auto& run = statement(which);
    for (const Row& row : rows) {
      bind(run, row);
      SQUALL_TRY(run.run());
    }
    return {};
  }

  // In the unique index's order, (hour, city_id, observed_at), so consecutive
  // inserts touch the same few index pages (measured: 2-4 % less CPU per
  // batch). The sort is stable: a key repeated in a batch still ends as its
  // last occurrence, as if the rows were written one by one.
  Result<void> insert_observations(std::span<const Observation> observations) {
    sorted_.clear();
    for (const Observation& observation : observations) sorted_.push_back(&observation);
    std::stable_sort(sorted_.begin(), sorted_.end(), [](const Observation* a, const Observation* b) {
      return std::tuple(a->observed_at / kHourSeconds, a->city_id, a->observed_at) <
             std::tuple(b->observed_at / kHourSeconds, b->city_id, b->observed_at);
    });
    auto& run = statement(Sql::upsert_observation);
    for (const Observation* observation : sorted_) {
      sqlite_rows::bind_observation(run, *observation);
      SQUALL_TRY(run.run());
    }
    return {};
  }

  sqlite::Statement& statement(Sql which) { return statements_[static_cast<std::size_t>(which)]; }

  Result<std::optional<TimeSpan>> time_span_of(std::int64_t city_id) {
    auto& select = statement(Sql::city_time_span);
    select.bind(1, city_id);
    auto spans = read_rows<TimeSpan>(select, [](const sqlite::Statement& row) {
      return TimeSpan{row.int64(0), row.int64(1)};
    });
    if (!spans) return spans.error();
    if (spans->empty()) return std::optional<TimeSpan>();
    return std::optional<TimeSpan>(spans->front());
  }

  // In the table's key order, (city_id, window_size, window_start DESC): the
  // processor lists each log partition's windows in city order, and one sweep
  // over the table's pages costs less than one per partition.
  Result<void> upsert_windows(std::span<const WindowRow> windows) {
    sorted_windows_.clear();
    for (const WindowRow& window : windows) sorted_windows_.push_back(&window);
    std::stable_sort(sorted_windows_.begin(), sorted_windows_.end(), [](const WindowRow* a, const WindowRow* b) {
      return std::tie(a->city_id, a->window, b->window_start) < std::tie(b->city_id, b->window, a->window_start);
    });
    auto& run = statement(Sql::upsert_window);
    for (const WindowRow* window : sorted_windows_) {
      sqlite_rows::bind_window(run, *window);
      SQUALL_TRY(run.run());
    }
    return {};
  }

  Result<void> insert_dead_letters(std::span<const DeadLetter> dead_letters) {
    auto& insert = statement(Sql::insert_dead_letter);
    for (const DeadLetter& letter : dead_letters) {
      insert.bind(1, letter.topic).bind(2, letter.partition).bind(3, letter.offset).bind(4, letter.reason);
      insert.bind_blob(5, letter.payload).bind(6, letter.received_at_ms);
      SQUALL_TRY(insert.run());
    }
    return {};
  }

  // Declared first so it is destroyed last, after the statements made on it.
  sqlite::Database db_;
  std::vector<const Observation*> sorted_;  // reused by every write
  std::vector<const WindowRow*> sorted_windows_;
  std::vector<sqlite::Statement> statements_;
};

Result<std::unique_ptr<Store>> prepared_store(sqlite::Database db) {
  std::vector<sqlite::Statement> statements;
  statements.reserve(kStatementCount);
  for (const std::string& sql : statement_sql()) {
    auto prepared = db.prepare(sql);
    if (!prepared) return prepared.error();
    statements.push_back(std::move(prepared).value());
  }
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(db), std::move(statements)));
}

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, bool sync_full) {
  sqlite::OpenOptions open_options;
  open_options.sync_full = sync_full;
  auto db = sqlite::Database::open(path, open_options);
  if (!db) return db.error();
  SQUALL_TRY(sqlite_schema::migrate(*db));
  return prepared_store(std::move(db).value());
}

Result<std::unique_ptr<Store>> open_sqlite_store_read_only(const std::string& path) {
  sqlite::OpenOptions open_options;
  open_options.read_only = true;
  auto db = sqlite::Database::open(path, open_options);
  if (!db) return db.error();
  SQUALL_TRY(sqlite_schema::check_current(*db));
  return prepared_store(std::move(db).value());
}

}  // namespace squall::store
