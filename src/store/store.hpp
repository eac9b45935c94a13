#pragma once
// The store: where processed weather lives (DESIGN §4).
//
// Backends: SQLite (embedded default, one file under the data dir) and
// Apache Cassandra (cassandra://...). Every write is an idempotent upsert keyed so that
// replaying the same input yields the same rows: (city_id, observed_at) for
// observations, city_id for latest_by_city, (topic, partition, offset) for
// dead letters.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/observation.hpp"
#include "core/result.hpp"

namespace squall::store {

// A record the processor could not turn into an observation.
struct DeadLetter {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string reason;           // precise: which field, what was wrong
  std::string payload;          // the original bytes, untouched
  std::int64_t received_at_ms = 0;
  bool operator==(const DeadLetter&) const = default;
};

// An event-time window of one city (DESIGN §4 window_aggregates).
struct WindowRow {
  std::int64_t city_id = 0;
  std::string window;             // its size as named in config and queries: "1h", "1d", "10m"
  std::int64_t window_start = 0;  // Unix seconds; the window is [start, end)
  std::int64_t window_end = 0;
  std::int64_t count = 0;
  double temp_min_c = 0;
  double temp_max_c = 0;
  double temp_avg_c = 0;
  std::optional<double> wind_max_ms;
  std::optional<double> wind_avg_ms;
  std::optional<double> gust_max_ms;
  std::optional<double> humidity_avg_pct;
  std::optional<double> pressure_avg_hpa;
  std::optional<double> rain_mm;
  std::optional<double> snow_mm;
  bool final = false;  // the watermark passed its end: it will not change again
  // Grows with the processing position of the window's partition; a write
  // with a lower version than the stored row's is ignored, so a processor
  // that lost the partition in a rebalance cannot roll the row back.
  std::int64_t version = 0;
  bool operator==(const WindowRow&) const = default;
};

// A record older than its partition's watermark: counted here, sent to the
// late topic, never silently dropped (its observation is still stored).
struct LateRecord {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t city_id = 0;
  std::int64_t observed_at = 0;
  std::int64_t watermark = 0;  // the partition's watermark when it arrived
  bool operator==(const LateRecord&) const = default;
};

// An alert rule raising or clearing for a city (DESIGN §4 alerts).
struct AlertRow {
  std::int64_t city_id = 0;
  std::int64_t observed_at = 0;  // of the observation that raised or cleared it
  std::string rule;
  bool raised = true;            // false: cleared
  double value = 0;              // the field's value then
  std::string condition;         // the condition met, e.g. "wind_speed_ms > 17.2"
  bool operator==(const AlertRow&) const = default;
};

struct AlertQuery {
  std::optional<std::int64_t> city_id;  // all cities when empty
  std::size_t limit = 1000;             // newest first
};

// The processor's state for one partition of its input, written with the
// results it covers: a restarted processor resumes from here (see
// docs/ARCHITECTURE.md). A checkpoint never replaces one further ahead.
struct Checkpoint {
  std::string group;
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t next_offset = 0;  // the first record the state does not include
  std::string state;             // opaque bytes, the processor's own format
  bool operator==(const Checkpoint&) const = default;
};

// One processor batch, written atomically where the backend allows it.
struct WriteBatch {
  std::span<const Observation> observations{};
  std::span<const DeadLetter> dead_letters{};
  std::span<const WindowRow> windows{};
  std::span<const LateRecord> late_records{};
  std::span<const AlertRow> alerts{};
  std::span<const Checkpoint> checkpoints{};  // written after everything else in the batch
  // Candidates for latest_by_city: per city the newest observed_at wins
  // (the later in the span on a tie) and never gives way to an older one
  // written later. The processor sends them with checkpoints, not with every
  // batch: a city reported in every batch would otherwise cost a second
  // upsert per observation.
  std::span<const Observation> latest{};
};

struct WindowQuery {
  std::optional<std::int64_t> city_id;  // all cities when empty
  std::optional<std::string> window;    // all sizes when empty
  std::size_t limit = 1000;             // newest windows first
};

struct HistoryQuery {
  std::int64_t city_id = 0;
  std::int64_t from = 0;                       // Unix seconds, inclusive
  std::int64_t to = INT64_MAX;                 // Unix seconds, exclusive
  std::size_t limit = 1000;                    // newest first
};

struct Stats {
  std::int64_t observations = 0;
  std::int64_t cities = 0;
  std::int64_t dead_letters = 0;
  std::int64_t windows = 0;
  std::int64_t late_records = 0;
  std::int64_t alerts = 0;
  std::optional<std::int64_t> oldest_observed_at;
  std::optional<std::int64_t> newest_observed_at;
};

class Store {
 public:
  virtual ~Store() = default;
  virtual Result<void> write(const WriteBatch& batch) = 0;
  // Newest observation per city (all cities when city_id is empty), by city id.
  virtual Result<std::vector<Observation>> latest(std::optional<std::int64_t> city_id) = 0;
  virtual Result<std::vector<Observation>> history(const HistoryQuery& query) = 0;
  virtual Result<std::vector<DeadLetter>> dead_letters(std::size_t limit) = 0;
  virtual Result<Stats> stats() = 0;
  virtual Result<std::vector<WindowRow>> windows(const WindowQuery& query) = 0;
  virtual Result<std::vector<AlertRow>> alerts(const AlertQuery& query) = 0;
  virtual Result<std::optional<Checkpoint>> checkpoint(const std::string& group, const std::string& topic,
                                                       std::int32_t partition) = 0;
};

struct StoreOptions {
  // "sqlite" (the default: DATA_DIR/store.db) or cassandra://HOST:PORT[,...].
  std::string url = "sqlite";
  std::string data_dir = "squall-data";
  // SQLite synchronous=FULL (fsync each batch: survives power loss) rather
  // than NORMAL (survives a process crash only).
  bool sync_full = true;
  // Cassandra only (cassandra://...): the keyspace, created when missing
  // with `replication` ("SimpleStrategy:RF" or
  // "NetworkTopologyStrategy:DC:RF[,DC:RF...]"); the consistency level of
  // every statement, as cqlsh spells it; credentials for
  // PasswordAuthenticator (the password never appears in any message).
  std::string keyspace = "squall";
  std::string consistency = "LOCAL_QUORUM";
  std::string user;
  std::string password;
  std::string replication = "SimpleStrategy:1";
  bool tls = false;
  std::string tls_ca_file;  // PEM trust anchors; empty: the system's default paths
  bool tls_verify = true;   // check the server's certificate chain and host name
  // SQLite only: open for reading (queries): nothing in the data directory is
  // created or written, so a read-only copy or mount can be queried; the
  // store must exist at this squall's schema version.
  bool read_only = false;
};

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

// The field of StoreOptions a value was rejected for, so the caller can name
// its own setting (a config key, a flag) in the message.
enum class StoreField { url, keyspace, replication, consistency, tls_ca_file };
struct OptionProblem {
  StoreField field;
  Error error;
};

// Checks every option of the chosen backend without connecting, so bad
// settings fail at start-up rather than on first use.
std::optional<OptionProblem> check_options(const StoreOptions& options);

// How often the processor checkpoints while it is behind, for a
// processor.checkpoint_interval of "auto" (once caught up it checkpoints
// every 250 ms, or less often where checkpoints are slow to write, whatever
// this is). Each checkpoint rewrites every window
// changed since the last one, the latest row of every city seen and each
// partition's window state. SQLite does that inside the batch's own
// transaction; a Cassandra node pays for every partition written, and
// catching up a backlog went 9-25 % faster at 10 s than at 2 s over 2 000
// cities and 67-115 % over 10 000, while on SQLite 10 s bought nothing and
// held more windows in memory (docs/BENCHMARKS.md, "Twelfth session").
std::int64_t default_checkpoint_interval_ms(const StoreOptions& options);

// `squall schema create|check`. The SQLite store creates its schema when it
// opens, so create opens it; on Cassandra, create makes the keyspace and
// tables that are missing (nothing else changes) and check compares the
// tables with squall's, naming every missing or mistyped column.
Result<void> create_schema(const StoreOptions& options);
Result<void> check_schema(const StoreOptions& options);

}  // namespace squall::store
