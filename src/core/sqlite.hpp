#pragma once
// A thin RAII layer over the SQLite C API, shared by the embedded log and the
// SQLite store. It does not hide SQL; it only makes ownership, binding and
// errors hard to get wrong: every statement is prepared once and bound by
// index, never built by pasting values into strings.

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace squall::sqlite {

class Statement;

struct OpenOptions {
  bool sync_full = true;     // synchronous=FULL (power-loss durable) or NORMAL
  int busy_timeout_ms = 10'000;
  bool read_only = false;
  // Writers of a database shared by several connections queue on an flock()
  // of this file before each write transaction. SQLite's own busy handler
  // polls with growing sleeps, so a writer that commits back to back (a
  // producer fsyncing every append) can starve another for seconds; a
  // blocked flock() wakes as soon as the lock is released. Empty: no queue.
  std::string writer_lock_path{};
};

class Database {
 public:
  // Opens (creating when writable) `path` in WAL mode.
  static Result<Database> open(const std::string& path, const OpenOptions& options);

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more statements that take no parameters (DDL, PRAGMA, BEGIN).
  Result<void> exec(std::string_view sql);
  Result<Statement> prepare(std::string_view sql);
  std::int64_t changes() const;
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }

 private:
  friend class Transaction;
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Result<void> lock_writers();
  void unlock_writers();
  sqlite3* db_ = nullptr;
  std::string path_;
  int writer_lock_fd_ = -1;
};

// A prepared statement; bind indexes start at 1 as in SQLite.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);  // copied: the text may go away at once
  // Text the caller keeps alive and unchanged until the statement next runs
  // or is reset: SQLite reads it in place instead of copying it (hot paths).
  Statement& bind_view(int index, std::string_view text);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    if (value) return bind(index, *value);
    return bind_null(index);
  }
  Statement& bind(int index, std::int32_t value) { return bind(index, static_cast<std::int64_t>(value)); }

  // Advances to the next row: true when a row is available, false when done.
  Result<bool> step();
  // Runs a statement that returns no rows, then resets it for reuse.
  Result<void> run();
  // Clears bindings and rewinds so the statement can be executed again.
  void reset();

  bool is_null(int column) const;
  std::int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::string_view blob(int column) const;  // valid until the next step/reset
  std::optional<std::int64_t> optional_int64(int column) const;
  std::optional<double> optional_real(int column) const;
  std::optional<std::string> optional_text(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  Error error(std::string_view what) const;
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
  int bind_status_ = SQLITE_OK;
};

// Runs BEGIN IMMEDIATE on construction; rolls back unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_ = nullptr;
};

}  // namespace squall::sqlite
