#include "log/embedded/log_database.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace squall::log::embedded {
namespace {

constexpr std::int64_t kSchemaVersion = 1;
constexpr std::size_t kMaxTopicNameLength = 249;
constexpr int kPageSize = 65536;

// batches is a rowid table with a separate key index on purpose: its rows
// hold large blobs, which SQLite stores best in a table b-tree (data only in
// leaves, appended in rowid order), while WITHOUT ROWID suits small rows.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS topics(
  name TEXT PRIMARY KEY,
  partitions INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS partitions(
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  retained_bytes INTEGER NOT NULL,
  PRIMARY KEY(topic, partition_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches(
  id INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  base_offset INTEGER NOT NULL,
  record_count INTEGER NOT NULL,
  byte_size INTEGER NOT NULL,
  appended_at_ms INTEGER NOT NULL,
  payload BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS batches_by_offset ON batches(topic, partition_id, base_offset);
CREATE TABLE IF NOT EXISTS offsets(
  grp TEXT NOT NULL,
  topic TEXT NOT NULL,
  partition_id INTEGER NOT NULL,
  next_offset INTEGER NOT NULL,
  committed_at_ms INTEGER NOT NULL,
  PRIMARY KEY(grp, topic, partition_id)
) WITHOUT ROWID;
)sql";

Result<std::int64_t> schema_version(sqlite::Database& db) {
  auto query = db.prepare("PRAGMA user_version");
  if (!query) return query.error();
  auto row = query->step();
  if (!row) return row.error();
  return *row ? query->int64(0) : 0;
}

// Returns the journal mode in force afterwards: SQLite keeps the old one when
// it cannot switch.
Result<std::string> set_journal_mode(sqlite::Database& db, std::string_view mode) {
  auto query = db.prepare(fmt::format("PRAGMA journal_mode={}", mode));
  if (!query) return query.error();
  auto row = query->step();
  if (!row) return row.error();
  return *row ? query->text(0) : std::string();
}

Result<void> create_schema(sqlite::Database& db) {
  auto tx = sqlite::Transaction::begin(db);
  if (!tx) return tx.error();
  SQUALL_TRY(db.exec(kSchema));
  SQUALL_TRY(db.exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion)));
  return tx->commit();
}

// Batches are blobs of hundreds of kilobytes: with SQLite's default 4 KiB
// pages each one is a long overflow chain written a page per system call,
// and larger pages make appends markedly faster. A WAL file's page size is
// fixed, so the new, still empty and private file leaves WAL mode to change it.
Result<void> use_large_pages(sqlite::Database& db) {
  std::string mode;
  SQUALL_ASSIGN(mode, set_journal_mode(db, "delete"));
  SQUALL_TRY(db.exec(fmt::format("PRAGMA page_size={}", kPageSize)));
  SQUALL_TRY(db.exec("VACUUM"));
  SQUALL_ASSIGN(mode, set_journal_mode(db, "wal"));
  if (mode != "wal") {
    return make_error(Errc::io, fmt::format("{}: cannot enter WAL mode (journal mode is {})", db.path(), mode));
  }
  return {};
}

void remove_scratch(const std::string& scratch) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(scratch + suffix, ignored);
}

// Builds the whole file (large pages, WAL, schema) under a private name and
// hard-links it into place, so processes opening a new data dir at the same
// moment never see, or fight over, a half-made log. The loser of that race
// simply uses the winner's file. Where hard links are unsupported the file is
// left to the ordinary open path, which creates it with default pages.
Result<void> create_log_file(const std::string& path, const sqlite::OpenOptions& open_options) {
  static std::atomic<unsigned> counter{0};
  const std::string scratch = fmt::format("{}.new-{}-{}", path, ::getpid(), counter.fetch_add(1));
  remove_scratch(scratch);
  auto built = [&]() -> Result<void> {
    auto db = sqlite::Database::open(scratch, open_options);
    if (!db) return db.error();
    SQUALL_TRY(use_large_pages(*db));
    return create_schema(*db);
  }();  // closing the connection folds the WAL back into the file
  std::error_code ec;
  if (built) std::filesystem::create_hard_link(scratch, path, ec);
  remove_scratch(scratch);
  if (!built) return built.error();
  if (ec && ec != std::errc::file_exists) {
    spdlog::debug("cannot link {} into place ({}); creating it in place", path, ec.message());
  }
  return {};
}

// Files made by create_log_file already have the current schema; this
// covers files made in place and refuses ones from a newer squall.
Result<void> ensure_schema(sqlite::Database& db, const std::string& path) {
  std::int64_t version = 0;
  SQUALL_ASSIGN(version, schema_version(db));
  if (version == kSchemaVersion) return {};
  if (version > kSchemaVersion) {
    return make_error(Errc::invalid_argument, fmt::format("{} has log schema version {}, newer than this squall "
                                                          "understands ({})", path, version, kSchemaVersion));
  }
  return create_schema(db);
}

bool is_topic_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '-';
}

}  // namespace

std::string database_path(const LogOptions& options) {
  return (std::filesystem::path(options.data_dir) / "log.db").string();
}

Result<sqlite::Database> open_log_database(const LogOptions& options) {
  if (options.data_dir.empty()) return make_error(Errc::invalid_argument, "log data dir must not be empty");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) return make_error(Errc::io, fmt::format("cannot create data dir {}: {}", options.data_dir, ec.message()));
  const std::string path = database_path(options);
  sqlite::OpenOptions open_options;
  open_options.sync_full = options.sync_full;
  open_options.writer_lock_path = path + ".writers";
  if (!std::filesystem::exists(path, ec)) SQUALL_TRY(create_log_file(path, open_options));
  auto db = sqlite::Database::open(path, open_options);
  if (!db) return db.error();
  SQUALL_TRY(ensure_schema(*db, path));
  return db;
}

Result<void> validate_topic_name(std::string_view name) {
  auto invalid = [&](std::string_view why) {
    return make_error(Errc::invalid_argument, fmt::format("invalid topic name '{}': {}", name.substr(0, 64), why));
  };
  if (name.empty()) return invalid("empty");
  if (name.size() > kMaxTopicNameLength) return invalid("longer than 249 characters");
  if (name == "." || name == "..") return invalid("'.' and '..' are reserved");
  if (!std::all_of(name.begin(), name.end(), is_topic_char)) {
    return invalid("only ASCII letters, digits, '.', '_' and '-' are allowed");
  }
  return {};
}

Result<void> validate_partition_count(std::int32_t partitions) {
  if (partitions < 1 || partitions > kMaxPartitions) {
    return make_error(Errc::invalid_argument,
                      fmt::format("partition count {} out of range 1..{}", partitions, kMaxPartitions));
  }
  return {};
}

}  // namespace squall::log::embedded
