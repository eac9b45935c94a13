#pragma once
// The Cassandra store's keyspace and tables (DESIGN §4), created with
// idempotent CREATE ... IF NOT EXISTS statements:
//
//   observations       ((city_id, day), observed_at DESC): every field of
//                      Observation; day = days since 1970-01-01 UTC, so a
//                      partition holds one city's day and stays bounded.
//   observation_days   (city_id, day DESC): which day partitions of a city
//                      hold anything, so a history walk visits only those
//                      instead of every day between `from` and `to`.
//   latest_by_city     (city_id): the newest observation per city, written
//                      with USING TIMESTAMP = observed_at (see cassandra_store.cpp).
//   dead_letters       ((topic, partition), offset): records the processor
//                      could not parse, payload as a blob.
//
// Keyspace names, table names and replication settings cannot be bound in
// CQL, so they are validated here before they reach any statement.

#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "cql/cql.hpp"

namespace squall::store::cassandra_schema {

// A keyspace name Cassandra accepts unquoted: letters, digits and '_',
// starting with a letter, at most 48 characters.
Result<void> check_keyspace_name(std::string_view keyspace);

// The replication map of CREATE KEYSPACE, from "SimpleStrategy:3" or
// "NetworkTopologyStrategy:dc1:3,dc2:2".
Result<std::string> replication_map(std::string_view replication);

// The statements that create the keyspace and every table, in order.
Result<std::vector<std::string>> schema_statements(std::string_view keyspace, std::string_view replication);

// Runs schema_statements(); harmless when everything already exists (the
// replication of an existing keyspace is left as it is).
Result<void> create_schema(cql::Session& session, std::string_view keyspace, std::string_view replication);

// Checks that every table exists with every column of the expected type;
// the error lists what is missing or different.
Result<void> check_schema(cql::Session& session, std::string_view keyspace);

}  // namespace squall::store::cassandra_schema
