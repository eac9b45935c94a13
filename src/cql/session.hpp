#pragma once
// A Cassandra session: a small pool of connections over the contact points,
// prepared statements, and the retry rules.
//
// - Requests go round robin over the connections that are up; a dead
//   connection is skipped and reconnected in the background with backoff.
// - At most `max_in_flight` requests are outstanding per session; a caller
//   beyond that waits (up to the request timeout) for one to finish, so a
//   fast producer gets backpressure instead of unbounded memory.
// - A prepared statement the node does not know (Unprepared: the node
//   restarted, or a schema change invalidated it) is prepared again on that
//   node and the request retried once, transparently.
// - Read/write timeouts, Unavailable, Overloaded and lost connections are
//   retried with exponential backoff, but only for statements marked
//   idempotent: anything else may already have been applied.
//
// The blocking calls must not be made from inside the session's own I/O
// thread (nothing the caller writes runs there).

#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "cql/messages.hpp"
#include "cql/types.hpp"
#include "cql/wire.hpp"

namespace squall::cql {

struct TlsOptions {
  bool enabled = false;
  std::string ca_file;  // PEM trust anchors; empty: the system's default paths
  bool verify = true;   // check the server's certificate chain and host name
};

struct SessionOptions {
  std::vector<std::string> contact_points{"127.0.0.1:9042"};  // "host:port"
  std::string keyspace;  // USE'd on every connection when set
  std::string user;      // SASL PLAIN, sent only when the server asks
  std::string password;  // never appears in any message
  Consistency consistency = Consistency::local_quorum;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{12000};
  int connections_per_host = 1;
  std::size_t max_in_flight = 1024;
  int max_retries = 3;  // idempotent statements only
  std::chrono::milliseconds retry_base_delay{100};  // doubles each retry
  TlsOptions tls;
};

struct StatementOptions {
  // Safe to apply twice: enables retries after timeouts and node trouble.
  bool idempotent = false;
  std::optional<Consistency> consistency;  // default: SessionOptions::consistency
  std::optional<Consistency> serial_consistency;
  std::optional<std::int32_t> page_size;
  std::optional<std::string> paging_state;  // from the previous page's QueryResult
  std::optional<std::int64_t> default_timestamp_micros;
};

// StatementOptions with idempotent set (designated initializers would trip
// -Wmissing-field-initializers).
inline StatementOptions idempotent_options() {
  StatementOptions options;
  options.idempotent = true;
  return options;
}

struct QueryResult {
  std::vector<ColumnSpec> columns;
  std::vector<Row> rows;
  // Set when more rows remain: pass it in StatementOptions for the next page.
  std::optional<std::string> paging_state;
  std::vector<std::string> warnings;  // the server's, e.g. about batch sizes

  // Position of the column called `name`, if any.
  std::optional<std::size_t> column(std::string_view name) const;
};

// A statement prepared on the cluster. Shared: the session may prepare it
// again (after a node restart or schema change), which can change its id
// and bind marker types.
class PreparedStatement {
 public:
  PreparedStatement(std::string cql, PreparedResult prepared);

  const std::string& cql() const { return cql_; }
  // The server's latest answer for this text (id, bind markers, result
  // columns). A snapshot, shared rather than copied: every request encodes
  // against one, and a re-prepare replaces it without disturbing them.
  std::shared_ptr<const PreparedResult> current() const;

  // Takes the server's answer to a new PREPARE of the same text.
  void update(PreparedResult prepared);

 private:
  const std::string cql_;
  mutable std::mutex mutex_;
  std::shared_ptr<const PreparedResult> prepared_;
};

using Prepared = std::shared_ptr<PreparedStatement>;

struct BatchStatement {
  Prepared statement;
  std::vector<Value> values;
};

class Session {
 public:
  // Connects to every contact point (connections_per_host each); succeeds if
  // at least one connection is up. Bounded by connect_timeout.
  static Result<std::unique_ptr<Session>> connect(SessionOptions options);

  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // An unprepared statement: for DDL and one-off statements.
  Result<QueryResult> query(std::string_view cql, std::vector<Value> values = {}, StatementOptions options = {});
  Result<Prepared> prepare(std::string_view cql);
  Result<QueryResult> execute(const Prepared& statement, std::vector<Value> values, StatementOptions options = {});
  // An unlogged batch: atomic per partition, not across partitions.
  Result<QueryResult> batch(std::vector<BatchStatement> statements, StatementOptions options = {});

  // The same, without waiting: many requests in flight from one thread.
  // These block only while max_in_flight requests are already outstanding.
  std::future<Result<QueryResult>> query_async(std::string_view cql, std::vector<Value> values = {},
                                               StatementOptions options = {});
  std::future<Result<QueryResult>> execute_async(const Prepared& statement, std::vector<Value> values,
                                                 StatementOptions options = {});
  std::future<Result<QueryResult>> batch_async(std::vector<BatchStatement> statements, StatementOptions options = {});

  // Connections up right now (for health checks).
  std::size_t live_connections() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace squall::cql
