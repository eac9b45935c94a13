// open_store: picks the backend named by StoreOptions::url.

#include <filesystem>
#include <optional>
#include <system_error>

#include "store/cassandra/cassandra_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace squall::store {

namespace {

bool is_sqlite_url(std::string_view url) { return url.empty() || url == "sqlite"; }

Error unsupported_url(const std::string& url) {
  return make_error(Errc::invalid_argument, "store url '" + url +
                                                "' is not supported; supported: sqlite (DATA_DIR/store.db), "
                                                "cassandra://HOST:PORT[,HOST:PORT...]");
}

}  // namespace

std::optional<OptionProblem> check_options(const StoreOptions& options) {
  if (is_sqlite_url(options.url)) return std::nullopt;
  if (is_cassandra_url(options.url)) return check_cassandra_options(options);
  return OptionProblem{StoreField::url, unsupported_url(options.url)};
}

std::int64_t default_checkpoint_interval_ms(const StoreOptions& options) {
  return is_cassandra_url(options.url) ? 10'000 : 2'000;
}

Result<void> create_schema(const StoreOptions& options) {
  if (is_cassandra_url(options.url)) return create_cassandra_schema(options);
  auto opened = open_store(options);
  if (!opened) return opened.error();
  return {};
}

Result<void> check_schema(const StoreOptions& options) {
  if (is_cassandra_url(options.url)) return check_cassandra_schema(options);
  if (!is_sqlite_url(options.url)) return unsupported_url(options.url);
  return make_error(Errc::invalid_argument,
                    "schema check is for the cassandra store; the sqlite store creates its schema when it opens");
}

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  if (is_sqlite_url(options.url)) {
    const std::filesystem::path dir = options.data_dir.empty() ? "." : options.data_dir;
    if (options.read_only) {
      const std::filesystem::path path = dir / "store.db";
      if (!std::filesystem::exists(path)) {
        return make_error(Errc::not_found, "no store at " + path.string() +
                                               ": `squall run` or `squall process` with this data directory creates it");
      }
      return open_sqlite_store_read_only(path.string());
    }
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) return make_error(Errc::io, "cannot create data directory " + dir.string() + ": " + error.message());
    return open_sqlite_store((dir / "store.db").string(), options.sync_full);
  }
  if (is_cassandra_url(options.url)) return open_cassandra_store(options);
  return unsupported_url(options.url);
}

}  // namespace squall::store
