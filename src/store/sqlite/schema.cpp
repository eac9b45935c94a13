#include "store/sqlite/schema.hpp"

#include <string>
#include <string_view>

namespace squall::store::sqlite_schema {
namespace {

// Units are fixed (DESIGN §3): °C, m/s, hPa, %, mm, metres; times are UTC
// Unix seconds except the *_ms columns (Unix milliseconds). NULL means the
// source did not report the field.
constexpr std::string_view kObservationColumns =
    "  observed_at INTEGER NOT NULL,\n"
    "  city TEXT NOT NULL,\n"
    "  country TEXT,\n"
    "  lat REAL,\n"
    "  lon REAL,\n"
    "  temp_c REAL NOT NULL,\n"
    "  feels_like_c REAL,\n"
    "  temp_min_c REAL,\n"
    "  temp_max_c REAL,\n"
    "  pressure_hpa REAL,\n"
    "  sea_level_hpa REAL,\n"
    "  grnd_level_hpa REAL,\n"
    "  humidity_pct REAL,\n"
    "  wind_speed_ms REAL,\n"
    "  wind_deg REAL,\n"
    "  wind_gust_ms REAL,\n"
    "  clouds_pct REAL,\n"
    "  visibility_m REAL,\n"
    "  rain_1h_mm REAL,\n"
    "  rain_3h_mm REAL,\n"
    "  snow_1h_mm REAL,\n"
    "  snow_3h_mm REAL,\n"
    "  condition_id INTEGER,\n"
    "  condition TEXT,\n"
    "  description TEXT,\n"
    "  icon TEXT,\n"
    "  timezone_s INTEGER,\n"
    "  sunrise INTEGER,\n"
    "  sunset INTEGER,\n"
    "  ingested_at_ms INTEGER NOT NULL,\n"
    "  source TEXT NOT NULL\n";

// Version 1.
//
// `observations` is a rowid table, so rows append, with one unique index on
// (hour, city_id, observed_at). It enforces what the (city_id, observed_at)
// key needs, the hour being a function of observed_at, and its order keeps
// writes cheap with many cities: the rows of a batch share a few hours, so
// their index entries land in a few pages. An index led by city_id gives
// every city its own page to rewrite per batch; with 1 000 cities and
// 5 000-row batches that wrote 2.6x the bytes at about 60% of the speed
// (and a WITHOUT ROWID table is slower still, DESIGN §6). History reads
// seek one (hour, city) range at a time, as Cassandra reads one
// (city_id, day) partition at a time. `day` mirrors that partition key.
std::string version1() {
  std::string sql;
  sql += "CREATE TABLE observations (\n"
         "  city_id INTEGER NOT NULL,\n"
         "  day INTEGER NOT NULL,  -- days since 1970-01-01 UTC of observed_at\n";
  sql += kObservationColumns;
  sql += ");\n"
         "CREATE UNIQUE INDEX observations_by_hour_city ON observations (";
  sql += kHourOfObservedAt;
  sql += ", city_id, observed_at);\n"
         "CREATE TABLE latest_by_city (\n"
         "  city_id INTEGER PRIMARY KEY,\n"
         "  day INTEGER NOT NULL,\n";
  sql += kObservationColumns;
  sql += ");\n"
         "CREATE TABLE dead_letters (\n"
         "  topic TEXT NOT NULL,\n"
         "  partition INTEGER NOT NULL,\n"
         "  offset INTEGER NOT NULL,\n"
         "  reason TEXT NOT NULL,\n"
         "  payload BLOB NOT NULL,  -- the record's bytes exactly as they were in the log\n"
         "  received_at_ms INTEGER NOT NULL,\n"
         "  PRIMARY KEY (topic, partition, offset)\n"
         ");\n"
         "CREATE INDEX dead_letters_by_received ON dead_letters (received_at_ms);\n"
         "PRAGMA user_version = 1;\n";
  return sql;
}

// Version 2: the processor's streaming results and its checkpoints.
// window_aggregates mirrors Cassandra's partition (city_id, window) with
// rows newest first; the processor rewrites a window as it grows, so a
// WITHOUT ROWID table keyed like that keeps each rewrite one B-tree update.
constexpr const char* kVersion2 =
    "CREATE TABLE window_aggregates (\n"
    "  city_id INTEGER NOT NULL,\n"
    "  window_size TEXT NOT NULL,  -- 1h, 1d, 10m ...\n"
    "  window_start INTEGER NOT NULL,\n"
    "  window_end INTEGER NOT NULL,\n"
    "  count INTEGER NOT NULL,\n"
    "  temp_min_c REAL NOT NULL,\n"
    "  temp_max_c REAL NOT NULL,\n"
    "  temp_avg_c REAL NOT NULL,\n"
    "  wind_max_ms REAL,\n"
    "  wind_avg_ms REAL,\n"
    "  gust_max_ms REAL,\n"
    "  humidity_avg_pct REAL,\n"
    "  pressure_avg_hpa REAL,\n"
    "  rain_mm REAL,\n"
    "  snow_mm REAL,\n"
    "  final INTEGER NOT NULL,\n"
    "  version INTEGER NOT NULL,\n"
    "  PRIMARY KEY (city_id, window_size, window_start DESC)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX window_aggregates_by_start ON window_aggregates (window_start);\n"
    "CREATE TABLE late_records (\n"
    "  topic TEXT NOT NULL,\n"
    "  partition INTEGER NOT NULL,\n"
    "  offset INTEGER NOT NULL,\n"
    "  city_id INTEGER NOT NULL,\n"
    "  observed_at INTEGER NOT NULL,\n"
    "  watermark INTEGER NOT NULL,\n"
    "  PRIMARY KEY (topic, partition, offset)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE checkpoints (\n"
    "  group_id TEXT NOT NULL,\n"
    "  topic TEXT NOT NULL,\n"
    "  partition INTEGER NOT NULL,\n"
    "  next_offset INTEGER NOT NULL,\n"
    "  state BLOB NOT NULL,\n"
    "  PRIMARY KEY (group_id, topic, partition)\n"
    ");\n"
    "PRAGMA user_version = 2;\n";

// Version 3: alerts, newest first per city.
constexpr const char* kVersion3 =
    "CREATE TABLE alerts (\n"
    "  city_id INTEGER NOT NULL,\n"
    "  observed_at INTEGER NOT NULL,  -- of the observation that raised or cleared it\n"
    "  rule TEXT NOT NULL,\n"
    "  raised INTEGER NOT NULL,  -- 1 raised, 0 cleared\n"
    "  value REAL NOT NULL,\n"
    "  condition TEXT NOT NULL,\n"
    "  PRIMARY KEY (city_id, observed_at DESC, rule)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX alerts_by_time ON alerts (observed_at);\n"
    "PRAGMA user_version = 3;\n";

Result<int> user_version(sqlite::Database& db) {
  auto statement = db.prepare("PRAGMA user_version");
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return row.error();
  return *row ? static_cast<int>(statement->int64(0)) : 0;
}

Error too_new(const sqlite::Database& db, int version) {
  return make_error(Errc::invalid_argument,
                    db.path() + " has store schema version " + std::to_string(version) +
                        ", newer than this squall understands (" + std::to_string(kCurrentVersion) +
                        "); upgrade squall");
}

}  // namespace

Result<void> check_current(sqlite::Database& db) {
  auto version = user_version(db);
  if (!version) return version.error();
  if (*version > kCurrentVersion) return too_new(db, *version);
  if (*version < kCurrentVersion) {
    return make_error(Errc::invalid_argument,
                      db.path() + " has store schema version " + std::to_string(*version) + ", older than this " +
                          "squall's (" + std::to_string(kCurrentVersion) + "); `squall process` upgrades it");
  }
  return {};
}

Result<void> migrate(sqlite::Database& db) {
  auto version = user_version(db);
  if (!version) return version.error();
  if (*version == kCurrentVersion) return {};
  if (*version > kCurrentVersion) return too_new(db, *version);

  // Another process may be migrating too: decide again under the write lock.
  auto transaction = sqlite::Transaction::begin(db);
  if (!transaction) return transaction.error();
  version = user_version(db);
  if (!version) return version.error();
  if (*version > kCurrentVersion) return too_new(db, *version);
  if (*version == 0) SQUALL_TRY(db.exec(version1()));
  if (*version <= 1) SQUALL_TRY(db.exec(kVersion2));
  if (*version <= 2) SQUALL_TRY(db.exec(kVersion3));
  return transaction->commit();
}

}  // namespace squall::store::sqlite_schema
