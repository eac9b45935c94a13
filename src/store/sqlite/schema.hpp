#pragma once
// The SQLite store's tables (mirroring the Cassandra model of DESIGN §4) and
// their migrations, versioned with PRAGMA user_version.

#include <cstdint>
#include <string_view>

#include "core/result.hpp"
#include "core/sqlite.hpp"

namespace squall::store::sqlite_schema {

inline constexpr int kCurrentVersion = 3;

// observations are indexed by hour first (see schema.cpp): the hour of a
// row is this SQL expression, which queries must repeat to use the index.
// SQLite's integer division truncates towards zero, as C++'s does.
inline constexpr std::int64_t kHourSeconds = 3600;
inline constexpr std::string_view kHourOfObservedAt = "observed_at / 3600";

// Brings the schema of `db` to kCurrentVersion. Cheap when it already is:
// a reader opening the store beside a running writer takes no write lock.
Result<void> migrate(sqlite::Database& db);

// For a connection that may not write: fails unless `db` is at kCurrentVersion.
Result<void> check_current(sqlite::Database& db);

}  // namespace squall::store::sqlite_schema
