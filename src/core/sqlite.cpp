#include "core/sqlite.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace squall::sqlite {
namespace {

Errc code_for(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Errc::timeout;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY: return Errc::io;
    default: return Errc::internal;
  }
}

// Which file an error is about, and what the OS said: SQLite's own text
// ("disk I/O error", "database or disk is full") names neither, and a user
// with a full or read-only disk needs both to act.
// The OS error is added only for I/O errors and a full disk, where it comes
// from the failed call itself (for others it can be a stale, unrelated one).
std::string context(sqlite3* db, int rc) {
  std::string out;
  const char* file = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  if (file != nullptr && *file != '\0') out = fmt::format(" [{}", file);
  const bool os_failure = (rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL;
  const int os_errno = db != nullptr && os_failure ? sqlite3_system_errno(db) : 0;
  if (os_errno != 0) out += fmt::format("{}{}", out.empty() ? " [" : ": ", std::strerror(os_errno));
  if (!out.empty()) out += "]";
  return out;
}

Error db_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = "sqlite: " + std::string(what) + ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  message += context(db, rc);
  return make_error(code_for(rc), std::move(message));
}

// A reader of a WAL database needs its -shm file. In a directory nobody can
// write (a read-only mount or copy), where a clean shutdown removed that
// file, SQLite cannot even read the database unless told that it is
// immutable, which it is there.
bool immutable_where_it_lies(const std::string& path) {
  const std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
  return ::access(dir.c_str(), W_OK) != 0 && ::access((path + "-shm").c_str(), F_OK) != 0;
}

// `path` as an SQLite URI (file:...?immutable=1): the characters a URI gives
// meaning to are percent-encoded.
std::string immutable_uri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    } else {
      uri += c;
    }
  }
  return uri + "?immutable=1";
}

}  // namespace

Result<Database> Database::open(const std::string& path, const OpenOptions& options) {
  sqlite3* raw = nullptr;
  int flags = options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;  // one connection per thread; no shared use
  const bool immutable = options.read_only && immutable_where_it_lies(path);
  if (immutable) flags |= SQLITE_OPEN_URI;
  int rc = sqlite3_open_v2(immutable ? immutable_uri(path).c_str() : path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);
  if (rc != SQLITE_OK) return db_error(raw, rc, "cannot open " + path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  // SQLite silently opens a file it cannot write read-only and fails later
  // with a misleading "unable to open database file": say what is wrong.
  if (!options.read_only && sqlite3_db_readonly(raw, "main") == 1) {
    return make_error(Errc::io, fmt::format("sqlite: cannot write {}: the file or its file system is read-only", path));
  }
  if (!options.read_only) {
    SQUALL_TRY(db.exec("PRAGMA journal_mode=WAL"));
  }
  SQUALL_TRY(db.exec(options.sync_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  if (!options.writer_lock_path.empty()) {
    db.writer_lock_fd_ = ::open(options.writer_lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (db.writer_lock_fd_ < 0) {
      return make_error(Errc::io, fmt::format("cannot open {}: {}", options.writer_lock_path, std::strerror(errno)));
    }
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)),
      path_(std::move(other.path_)),
      writer_lock_fd_(std::exchange(other.writer_lock_fd_, -1)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    if (writer_lock_fd_ >= 0) ::close(writer_lock_fd_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    writer_lock_fd_ = std::exchange(other.writer_lock_fd_, -1);
  }
  return *this;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
  if (writer_lock_fd_ >= 0) ::close(writer_lock_fd_);
}

Result<void> Database::lock_writers() {
  if (writer_lock_fd_ < 0) return {};
  while (::flock(writer_lock_fd_, LOCK_EX) != 0) {
    if (errno != EINTR) return make_error(Errc::io, fmt::format("cannot lock {}'s writers: {}", path_, std::strerror(errno)));
  }
  return {};
}

void Database::unlock_writers() {
  if (writer_lock_fd_ >= 0) ::flock(writer_lock_fd_, LOCK_UN);
}

Result<void> Database::exec(std::string_view sql) {
  std::string owned(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string text = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return make_error(code_for(rc), "sqlite: " + text + " (in: " + owned.substr(0, 80) + ")" + context(db_, rc));
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                              &stmt, nullptr);
  if (rc != SQLITE_OK) return db_error(db_, rc, "prepare failed for: " + std::string(sql.substr(0, 80)));
  return Statement(stmt, db_);
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(other.db_), bind_status_(other.bind_status_) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = other.db_;
    bind_status_ = other.bind_status_;
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

// Binding errors are remembered and reported by the next step(), so call
// sites can chain binds without checking each one.
Statement& Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind_view(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Statement& Statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) bind_status_ = rc;
  return *this;
}

Error Statement::error(std::string_view what) const {
  return db_error(db_, sqlite3_errcode(db_), std::string(what) + " (" + sqlite3_sql(stmt_) + ")");
}

Result<bool> Statement::step() {
  if (bind_status_ != SQLITE_OK) {
    int rc = std::exchange(bind_status_, SQLITE_OK);
    return db_error(db_, rc, "bind failed");
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error failure = error("step failed");
  sqlite3_reset(stmt_);
  return failure;
}

Result<void> Statement::run() {
  auto stepped = step();
  reset();
  if (!stepped) return stepped.error();
  return {};
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_status_ = SQLITE_OK;
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
std::int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }

std::string Statement::text(int column) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (data == nullptr) return {};
  return std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string_view Statement::blob(int column) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  if (data == nullptr) return {};
  return {data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

Result<Transaction> Transaction::begin(Database& db) {
  SQUALL_TRY(db.lock_writers());
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
    db.unlock_writers();
    return begun.error();
  }
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ == nullptr) return;
  (void)db_->exec("ROLLBACK");
  db_->unlock_writers();
}

Result<void> Transaction::commit() {
  auto committed = db_->exec("COMMIT");
  if (committed) std::exchange(db_, nullptr)->unlock_writers();
  return committed;
}

}  // namespace squall::sqlite
