// open_store: picks the backend named by StoreOptions::url.

#include <filesystem>
#include <system_error>

#include "store/cassandra/cassandra_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace squall::store {

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  if (options.url.empty() || options.url == "sqlite") {
    const std::filesystem::path dir = options.data_dir.empty() ? "." : options.data_dir;
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) return make_error(Errc::io, "cannot create data directory " + dir.string() + ": " + error.message());
    return open_sqlite_store((dir / "store.db").string(), options.sync_full);
  }
  if (is_cassandra_url(options.url)) return open_cassandra_store(options);
  return make_error(Errc::invalid_argument, "store url '" + options.url +
                                                "' is not supported; supported: sqlite (DATA_DIR/store.db), "
                                                "cassandra://HOST:PORT[,HOST:PORT...]");
}

}  // namespace squall::store
