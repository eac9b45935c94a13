#pragma once
// The embedded store: one SQLite file, WAL mode, tables mirroring the
// Cassandra model (see schema.cpp). Any number of connections may read while
// one writes; each Store object is one connection for one thread.

#include <memory>
#include <string>

#include "core/result.hpp"
#include "store/store.hpp"

namespace squall::store {

// Opens `path`, creating the file and its tables when missing.
// `sync_full`: fsync every batch (power-loss durable) instead of relying on
// the OS to flush (survives a process crash only).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, bool sync_full);

// Opens an existing store at `path` for reading only: writes through it fail.
Result<std::unique_ptr<Store>> open_sqlite_store_read_only(const std::string& path);

}  // namespace squall::store
