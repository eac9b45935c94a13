#pragma once
// The Cassandra store (DESIGN §4): the tables of schema.hpp, written with
// prepared statements in unlogged batches that may span partitions
// (request_batches.hpp), many in flight.
//
// latest_by_city keeps the newest observation per city without a read or a
// lightweight transaction: every upsert carries USING TIMESTAMP = observed_at
// (in microseconds), so Cassandra's last-write-wins resolves by observation
// time and an older observation written later loses. Two writes of one city
// with the same observed_at tie; Cassandra then keeps the greater value per
// cell, which for a replay (identical values) is the same row. A field the
// newer observation lacks is written as null (a tombstone at its time), so
// the row is exactly the newest observation; that tombstone is kept for the
// table's gc_grace_seconds (10 days by default), and an older observation
// arriving even later than that could bring such a field back.
//
// Reads for `squall query`: history walks only the day partitions the
// city has (observation_days), newest first; stats() scans the whole
// observations table (Cassandra keeps no row counts), which suits tests and
// small stores, not a big cluster.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "store/store.hpp"

namespace squall::store {

// Whether `url` names the Cassandra backend (cassandra://...).
bool is_cassandra_url(std::string_view url);

// "cassandra://HOST:PORT[,HOST:PORT...]" -> {"HOST:PORT", ...}.
Result<std::vector<std::string>> cassandra_contact_points(std::string_view url);

// Connects (bounded by a 10 s connect timeout), creates the schema when
// missing and prepares the statements.
Result<std::unique_ptr<Store>> open_cassandra_store(const StoreOptions& options);

// The Cassandra options' problems, found without connecting.
std::optional<OptionProblem> check_cassandra_options(const StoreOptions& options);

// For `squall schema`: connect, then create (idempotently) or check the
// keyspace and tables named by options.
Result<void> create_cassandra_schema(const StoreOptions& options);
Result<void> check_cassandra_schema(const StoreOptions& options);

}  // namespace squall::store
