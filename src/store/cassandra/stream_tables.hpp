#pragma once
// The processor's streaming results in Cassandra: window_aggregates,
// late_records, alerts and checkpoints. Statements, bound values and row decoding;
// the store decides when to run them.
//
// Window rows and checkpoints are written USING TIMESTAMP = their version
// (WindowRow::version, Checkpoint::next_offset), so Cassandra's
// last-write-wins keeps the furthest-along write whatever order writes
// arrive in, including a write from a processor that has just lost the
// partition in a rebalance.

#include <string>
#include <vector>

#include "core/result.hpp"
#include "cql/cql.hpp"
#include "store/cassandra/observation_columns.hpp"
#include "store/store.hpp"

namespace squall::store::cassandra_stream {

// The tables, for the schema (created and checked with the others).
struct TableSpec {
  std::string name;
  std::vector<cassandra_columns::Column> columns;
  std::string key_and_options;  // "PRIMARY KEY (...)) WITH ..." after the columns
};
std::vector<TableSpec> tables();

struct Statements {
  cql::Prepared upsert_window;
  cql::Prepared insert_late;
  cql::Prepared upsert_checkpoint;
  cql::Prepared all_windows;
  cql::Prepared checkpoint_of;
  cql::Prepared count_windows;
  cql::Prepared count_late;
  cql::Prepared upsert_alert;
  cql::Prepared all_alerts;
  cql::Prepared count_alerts;
};
Result<Statements> prepare(cql::Session& session, const std::string& keyspace);

std::vector<cql::Value> window_values(const WindowRow& window);
std::vector<cql::Value> late_values(const LateRecord& late);
std::vector<cql::Value> checkpoint_values(const Checkpoint& checkpoint);
std::vector<cql::Value> alert_values(const AlertRow& alert);

Result<WindowRow> window_of(const cql::Row& row);
Result<Checkpoint> checkpoint_of(const cql::Row& row);
Result<AlertRow> alert_of(const cql::Row& row);

}  // namespace squall::store::cassandra_stream
