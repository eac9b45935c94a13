#include "store/cassandra/cassandra_store.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "cql/cql.hpp"
#include "store/cassandra/observation_columns.hpp"
#include "store/cassandra/request_batches.hpp"
#include "store/cassandra/schema.hpp"
#include "store/cassandra/stream_tables.hpp"

namespace squall::store {
namespace {

using cassandra_columns::column_list;
using cassandra_columns::day_of;
using cassandra_columns::timestamp_of_seconds;
using cassandra_batches::RequestBatches;

// The tables a write touches, for telling their partitions apart in a batch.
enum class Table : std::uint64_t { observations = 1, days, latest, dead_letters, windows, alerts, late };

cassandra_batches::PartitionId partition_of(Table table, std::int64_t first, std::int64_t second = 0) {
  return cassandra_batches::partition_id(static_cast<std::uint64_t>(table), first, second);
}

std::int64_t text_hash(const std::string& text) { return static_cast<std::int64_t>(std::hash<std::string>{}(text)); }

constexpr std::string_view kScheme = "cassandra://";
constexpr std::chrono::seconds kConnectTimeout{10};
constexpr std::size_t kRequestsInFlight = 32;
constexpr std::int32_t kPageSize = 1000;
constexpr std::size_t kMaxRememberedDays = 1'000'000;

std::string joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : ",") + part;
  return text;
}

Error with_context(const Error& error, std::string_view context) {
  return make_error(error.code, "cassandra store: " + std::string(context) + ": " + error.message);
}

Result<std::unique_ptr<cql::Session>> connect(const StoreOptions& options) {
  std::vector<std::string> points;
  SQUALL_ASSIGN(points, cassandra_contact_points(options.url));
  cql::SessionOptions session;
  session.contact_points = points;
  session.user = options.user;
  session.password = options.password;
  SQUALL_ASSIGN(session.consistency, cql::parse_consistency(options.consistency));
  session.tls.enabled = options.tls;
  session.tls.ca_file = options.tls_ca_file;
  session.tls.verify = options.tls_verify;
  session.connect_timeout = kConnectTimeout;
  auto connected = cql::Session::connect(std::move(session));
  if (!connected) return with_context(connected.error(), "cannot connect to " + joined(points));
  return std::move(connected).value();
}

// Every statement the store runs, prepared once at open.
struct Statements {
  cql::Prepared insert_observation;
  cql::Prepared insert_day;
  cql::Prepared upsert_latest;
  cql::Prepared insert_dead_letter;
  cql::Prepared latest_all;
  cql::Prepared latest_one;
  cql::Prepared days_of_city;
  cql::Prepared history_of_day;
  cql::Prepared all_dead_letters;
  cql::Prepared observed_times;
  cql::Prepared count_cities;
  cql::Prepared count_dead_letters;
  cassandra_stream::Statements stream;
};

// The node refusing a statement squall built for its own tables (Invalid, or
// a request over the node's limits) is no mistake in squall's settings: the
// tables were changed by hand or a limit was reached, and the command's hint
// should say so rather than point at the configuration.
Error refused_by_node(Error error) {
  if (error.code == Errc::invalid_argument) error.code = Errc::refused;
  return error;
}

Result<Statements> prepare_statements(cql::Session& session, const std::string& keyspace) {
  const std::string columns = column_list();
  const std::size_t column_count = cassandra_columns::observation_columns().size();
  const std::string ks = keyspace + ".";
  auto prepare = [&](const std::string& cql, cql::Prepared& out) -> Result<void> {
    auto prepared = session.prepare(cql);
    if (!prepared) return with_context(refused_by_node(prepared.error()), "preparing statements");
    out = std::move(prepared).value();
    return {};
  };
  Statements s;
  SQUALL_TRY(prepare(cassandra_columns::insert_observation_cql(keyspace), s.insert_observation));
  SQUALL_TRY(prepare("INSERT INTO " + ks + "observation_days (city_id, day) VALUES (?, ?)", s.insert_day));
  SQUALL_TRY(prepare("INSERT INTO " + ks + "latest_by_city (" + columns + ") VALUES (" +
                         cassandra_columns::bind_markers(column_count) +
                         ") USING TIMESTAMP ?",
                     s.upsert_latest));
  SQUALL_TRY(prepare("INSERT INTO " + ks +
                         "dead_letters (topic, partition, offset, reason, payload, received_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                     s.insert_dead_letter));
  SQUALL_TRY(prepare("SELECT " + columns + " FROM " + ks + "latest_by_city", s.latest_all));
  SQUALL_TRY(prepare("SELECT " + columns + " FROM " + ks + "latest_by_city WHERE city_id = ?", s.latest_one));
  SQUALL_TRY(prepare("SELECT day FROM " + ks + "observation_days WHERE city_id = ? AND day >= ? AND day <= ?",
                     s.days_of_city));
  SQUALL_TRY(prepare("SELECT " + columns + " FROM " + ks +
                         "observations WHERE city_id = ? AND day = ? AND observed_at >= ? AND observed_at < ? "
                         "LIMIT ?",
                     s.history_of_day));
  SQUALL_TRY(prepare("SELECT topic, partition, offset, reason, payload, received_at FROM " + ks + "dead_letters",
                     s.all_dead_letters));
  SQUALL_TRY(prepare("SELECT observed_at FROM " + ks + "observations", s.observed_times));
  SQUALL_TRY(prepare("SELECT count(*) FROM " + ks + "latest_by_city", s.count_cities));
  SQUALL_TRY(prepare("SELECT count(*) FROM " + ks + "dead_letters", s.count_dead_letters));
  auto stream = cassandra_stream::prepare(session, keyspace);
  if (!stream) return with_context(refused_by_node(stream.error()), "preparing statements");
  s.stream = std::move(stream).value();
  return s;
}

// Up to kRequestsInFlight requests outstanding; the first failure is kept
// and reported once every request has finished.
class InFlight {
 public:
  // `what` names the write in its error ("write failed" when empty).
  void add(std::future<Result<cql::QueryResult>> request, std::string what = {}) {
    if (pending_.size() >= kRequestsInFlight) wait_oldest();
    pending_.push_back({std::move(request), std::move(what)});
  }

  Result<void> finish() {
    while (!pending_.empty()) wait_oldest();
    if (first_error_) return *first_error_;
    return {};
  }

 private:
  struct Pending {
    std::future<Result<cql::QueryResult>> request;
    std::string what;
  };

  void wait_oldest() {
    Pending oldest = std::move(pending_.front());
    pending_.pop_front();
    auto done = oldest.request.get();
    if (!done && !first_error_) {
      first_error_ = with_context(refused_by_node(done.error()), oldest.what.empty() ? "write failed" : oldest.what);
    }
  }

  std::deque<Pending> pending_;
  std::optional<Error> first_error_;
};

// A checkpoint is its partition's whole state, so it is the largest request
// the store sends, and Cassandra refuses one over native_transport_max_frame_size
// (16 MiB by default): its error names the partition and the size.
std::string checkpoint_write(const Checkpoint& checkpoint) {
  return fmt::format("checkpoint of {}/{} ({:.1f} MB) not written", checkpoint.topic, checkpoint.partition,
                     static_cast<double>(checkpoint.state.size()) / 1e6);
}

// One observation per (city, observed_at): a later duplicate in the batch
// replaces an earlier one, as it would written one by one. Ordered by
// partition (city, day) so each partition's rows are contiguous.
using ObservationKey = std::tuple<std::int64_t, std::int32_t, std::int64_t>;
using Rows = std::vector<std::pair<ObservationKey, const Observation*>>;
Rows by_partition(std::span<const Observation> observations) {
  Rows rows;
  rows.reserve(observations.size());
  for (const Observation& observation : observations) {
    rows.emplace_back(ObservationKey{observation.city_id, day_of(observation.observed_at), observation.observed_at},
                      &observation);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  // Of equal keys the stable sort keeps batch order: the last one stays.
  auto last_of_each = std::unique(rows.rbegin(), rows.rend(), [](const auto& a, const auto& b) {
    return a.first == b.first;
  });
  rows.erase(rows.begin(), last_of_each.base());
  return rows;
}

// Runs a prepared read page by page, calling on_row (returning false to
// stop) for every row.
template <class OnRow>
Result<void> for_each_row(cql::Session& session, const cql::Prepared& statement, std::vector<cql::Value> values,
                          OnRow on_row) {
  cql::StatementOptions options = cql::idempotent_options();
  options.page_size = kPageSize;
  while (true) {
    auto page = session.execute(statement, values, options);
    if (!page) return with_context(page.error(), "reading");
    for (const cql::Row& row : page->rows) {
      bool more = true;
      SQUALL_ASSIGN(more, on_row(row));
      if (!more) return {};
    }
    if (!page->paging_state) return {};
    options.paging_state = page->paging_state;
  }
}

Result<std::int64_t> single_count(cql::Session& session, const cql::Prepared& statement) {
  std::optional<std::int64_t> count;
  SQUALL_TRY(for_each_row(session, statement, {}, [&](const cql::Row& row) -> Result<bool> {
    if (row.size() == 1) {
      if (const auto* value = std::get_if<std::int64_t>(&row[0])) count = *value;
    }
    return false;
  }));
  if (!count) return make_error(Errc::parse, "cassandra store: count(*) returned no bigint");
  return *count;
}

Result<DeadLetter> dead_letter_of(const cql::Row& row) {
  const auto* topic = row.size() == 6 ? std::get_if<std::string>(&row[0]) : nullptr;
  const auto* partition = row.size() == 6 ? std::get_if<std::int32_t>(&row[1]) : nullptr;
  const auto* offset = row.size() == 6 ? std::get_if<std::int64_t>(&row[2]) : nullptr;
  if (topic == nullptr || partition == nullptr || offset == nullptr) {
    return make_error(Errc::parse, "cassandra store: a dead_letters row without topic, partition or offset");
  }
  DeadLetter letter{*topic, *partition, *offset, {}, {}, 0};
  if (const auto* reason = std::get_if<std::string>(&row[3])) letter.reason = *reason;
  if (const auto* payload = std::get_if<cql::RawValue>(&row[4])) letter.payload = payload->bytes;
  if (const auto* received = std::get_if<cql::Timestamp>(&row[5])) letter.received_at_ms = received->millis_since_epoch;
  return letter;
}

// Newest first, as the SQLite store lists them.
bool newer_letter(const DeadLetter& a, const DeadLetter& b) {
  return std::tie(b.received_at_ms, b.offset) < std::tie(a.received_at_ms, a.offset);
}

// The write time of a latest_by_city upsert: the observation's own time, so
// the newest observation wins whatever order the writes arrive in.
std::int64_t write_time_micros(std::int64_t observed_at) {
  constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  return std::clamp(observed_at, -kLimit, kLimit) * 1'000'000;
}

std::int32_t clamp_to_int32(std::size_t value) {
  return static_cast<std::int32_t>(std::min<std::size_t>(value, std::numeric_limits<std::int32_t>::max()));
}

class CassandraStore final : public Store {
 public:
  CassandraStore(std::unique_ptr<cql::Session> session, Statements statements)
      : session_(std::move(session)), statements_(std::move(statements)) {}

  // Returns once every statement succeeded; on any failure the error of the
  // first one (its code, e.g. timeout or unavailable, tells the caller to
  // retry the whole batch, which is safe: every write is an upsert).
  Result<void> write(const WriteBatch& batch) override {
    InFlight requests;
    RequestBatches batches([&](std::vector<cql::BatchStatement> statements) {
      requests.add(cassandra_batches::send(*session_, std::move(statements)));
    });
    const auto rows = by_partition(batch.observations);
    write_observations(rows, batch.late_records, batches);
    write_days(rows, batches);
    write_latest(batch.latest, batches);
    write_dead_letters(batch.dead_letters, batches);
    for (const WindowRow& window : batch.windows) {
      batches.add({statements_.stream.upsert_window, cassandra_stream::window_values(window)},
                  partition_of(Table::windows, window.city_id, text_hash(window.window)));
    }
    for (const AlertRow& alert : batch.alerts) {
      batches.add({statements_.stream.upsert_alert, cassandra_stream::alert_values(alert)},
                  partition_of(Table::alerts, alert.city_id, day_of(alert.observed_at)));
    }
    for (const LateRecord& late : batch.late_records) {
      batches.add({statements_.stream.insert_late, cassandra_stream::late_values(late)},
                  partition_of(Table::late, text_hash(late.topic), late.partition));
    }
    batches.flush();
    SQUALL_TRY(requests.finish());
    remember_days(rows);
    // Only once everything it covers is written: a crash in between leaves
    // the older checkpoint, and replaying from it rewrites the same rows.
    for (const Checkpoint& checkpoint : batch.checkpoints) {
      requests.add(session_->execute_async(statements_.stream.upsert_checkpoint,
                                           cassandra_stream::checkpoint_values(checkpoint), cql::idempotent_options()),
                   checkpoint_write(checkpoint));
    }
    return requests.finish();
  }

  // A scan of the whole table filtered here (Cassandra would need every
  // partition key), newest first: fine for `squall query`, not for a big cluster.
  Result<std::vector<WindowRow>> windows(const WindowQuery& query) override {
    std::vector<WindowRow> rows;
    SQUALL_TRY(for_each_row(*session_, statements_.stream.all_windows, {}, [&](const cql::Row& row) -> Result<bool> {
      WindowRow window;
      SQUALL_ASSIGN(window, cassandra_stream::window_of(row));
      if ((!query.city_id || window.city_id == *query.city_id) && (!query.window || window.window == *query.window)) {
        rows.push_back(std::move(window));
      }
      return true;
    }));
    std::sort(rows.begin(), rows.end(), [](const WindowRow& a, const WindowRow& b) {
      return std::tie(b.window_start, a.city_id, a.window_end) < std::tie(a.window_start, b.city_id, b.window_end);
    });
    if (rows.size() > query.limit) rows.resize(query.limit);
    return rows;
  }

  // A scan of the whole table filtered here, newest first, like windows().
  Result<std::vector<AlertRow>> alerts(const AlertQuery& query) override {
    std::vector<AlertRow> rows;
    SQUALL_TRY(for_each_row(*session_, statements_.stream.all_alerts, {}, [&](const cql::Row& row) -> Result<bool> {
      AlertRow alert;
      SQUALL_ASSIGN(alert, cassandra_stream::alert_of(row));
      if (!query.city_id || alert.city_id == *query.city_id) rows.push_back(std::move(alert));
      return true;
    }));
    std::sort(rows.begin(), rows.end(), [](const AlertRow& a, const AlertRow& b) {
      return std::tie(b.observed_at, a.city_id, a.rule) < std::tie(a.observed_at, b.city_id, b.rule);
    });
    if (rows.size() > query.limit) rows.resize(query.limit);
    return rows;
  }

  Result<std::optional<Checkpoint>> checkpoint(const std::string& group, const std::string& topic,
                                               std::int32_t partition) override {
    std::optional<Checkpoint> found;
    SQUALL_TRY(for_each_row(*session_, statements_.stream.checkpoint_of, {group, topic, partition},
                            [&](const cql::Row& row) -> Result<bool> {
                              SQUALL_ASSIGN(found, cassandra_stream::checkpoint_of(row));
                              return false;
                            }));
    return found;
  }

  Result<std::vector<Observation>> latest(std::optional<std::int64_t> city_id) override {
    std::vector<Observation> rows;
    std::vector<cql::Value> values;
    if (city_id) values.emplace_back(*city_id);
    SQUALL_TRY(for_each_row(*session_, city_id ? statements_.latest_one : statements_.latest_all, std::move(values),
                            [&](const cql::Row& row) -> Result<bool> {
                              Observation observation;
                              SQUALL_ASSIGN(observation, cassandra_columns::observation_of(row));
                              rows.push_back(std::move(observation));
                              return true;
                            }));
    std::sort(rows.begin(), rows.end(), [](const Observation& a, const Observation& b) { return a.city_id < b.city_id; });
    return rows;
  }

  // Newest first: the city's day partitions that hold anything, from the
  // day of `to` backwards to the day of `from`, until `limit` rows are found.
  Result<std::vector<Observation>> history(const HistoryQuery& query) override {
    std::vector<Observation> rows;
    if (query.limit == 0 || query.from >= query.to) return rows;
    std::vector<cql::Value> day_range{query.city_id, day_of(query.from), day_of(query.to - 1)};
    SQUALL_TRY(for_each_row(*session_, statements_.days_of_city, std::move(day_range),
                            [&](const cql::Row& row) -> Result<bool> {
                              const auto* day = row.size() == 1 ? std::get_if<std::int32_t>(&row[0]) : nullptr;
                              if (day == nullptr) return make_error(Errc::parse, "cassandra store: a day that is not an int");
                              SQUALL_TRY(append_day(query, *day, rows));
                              return rows.size() < query.limit;
                            }));
    return rows;
  }

  // A scan of the whole table (dead letters are meant to be few), sorted
  // newest first; at most 2 × limit letters are held at any time.
  Result<std::vector<DeadLetter>> dead_letters(std::size_t limit) override {
    std::vector<DeadLetter> letters;
    if (limit == 0) return letters;
    auto keep_newest = [&] {
      std::sort(letters.begin(), letters.end(), newer_letter);
      if (letters.size() > limit) letters.resize(limit);
    };
    SQUALL_TRY(for_each_row(*session_, statements_.all_dead_letters, {}, [&](const cql::Row& row) -> Result<bool> {
      DeadLetter letter;
      SQUALL_ASSIGN(letter, dead_letter_of(row));
      letters.push_back(std::move(letter));
      if (letters.size() >= 2 * limit) keep_newest();
      return true;
    }));
    keep_newest();
    return letters;
  }

  // Counting observations scans the whole table: fine for tests and small
  // stores, slow on a big cluster (Cassandra keeps no row counts).
  Result<Stats> stats() override {
    Stats stats;
    SQUALL_TRY(for_each_row(*session_, statements_.observed_times, {}, [&](const cql::Row& row) -> Result<bool> {
      const auto* time = row.size() == 1 ? std::get_if<cql::Timestamp>(&row[0]) : nullptr;
      if (time == nullptr) return make_error(Errc::parse, "cassandra store: observed_at that is not a timestamp");
      const std::int64_t seconds = time->millis_since_epoch / 1000;
      ++stats.observations;
      stats.oldest_observed_at = std::min(stats.oldest_observed_at.value_or(seconds), seconds);
      stats.newest_observed_at = std::max(stats.newest_observed_at.value_or(seconds), seconds);
      return true;
    }));
    SQUALL_ASSIGN(stats.cities, single_count(*session_, statements_.count_cities));
    SQUALL_ASSIGN(stats.dead_letters, single_count(*session_, statements_.count_dead_letters));
    SQUALL_ASSIGN(stats.windows, single_count(*session_, statements_.stream.count_windows));
    SQUALL_ASSIGN(stats.late_records, single_count(*session_, statements_.stream.count_late));
    SQUALL_ASSIGN(stats.alerts, single_count(*session_, statements_.stream.count_alerts));
    return stats;
  }

 private:
  // An observation's absent fields are left unset (no tombstones): the row is
  // new to the store, or the same report again on a replay. A late one may
  // be a second report of a row stored already, so it binds them as null and
  // replaces that row whole, as SQLite's upsert does.
  void write_observations(const Rows& rows, std::span<const LateRecord> late, RequestBatches& batches) {
    std::set<std::pair<std::int64_t, std::int64_t>> late_keys;
    for (const LateRecord& record : late) late_keys.emplace(record.city_id, record.observed_at);
    for (const auto& [key, observation] : rows) {
      const bool replaces = late_keys.contains({observation->city_id, observation->observed_at});
      std::vector<cql::Value> values;
      values.reserve(1 + cassandra_columns::kValueCount);
      values.emplace_back(std::get<1>(key));
      cassandra_columns::append_values(*observation, values,
                                       replaces ? cassandra_columns::Absent::null : cassandra_columns::Absent::unset);
      batches.add({statements_.insert_observation, std::move(values)},
                  partition_of(Table::observations, std::get<0>(key), std::get<1>(key)));
    }
  }

  // The days of one city share its observation_days partition. A day row
  // never changes once written, so each is written once per process: with
  // a few observations per city in a batch, rewriting them was a third of
  // all the rows sent.
  void write_days(const Rows& rows, RequestBatches& batches) {
    std::optional<std::pair<std::int64_t, std::int32_t>> last;
    for (const auto& [key, observation] : rows) {
      const auto city_day = std::pair{std::get<0>(key), std::get<1>(key)};
      if (last == city_day || days_written_.contains(city_day)) continue;
      last = city_day;
      batches.add({statements_.insert_day, {city_day.first, city_day.second}},
                  partition_of(Table::days, city_day.first));
    }
  }

  // One upsert per city, its newest candidate (the later on a tie): two
  // writes with the same USING TIMESTAMP would be settled by comparing
  // values, not by order.
  void write_latest(std::span<const Observation> candidates, RequestBatches& batches) {
    std::map<std::int64_t, const Observation*> newest;
    for (const Observation& observation : candidates) {
      const Observation*& kept = newest[observation.city_id];
      if (kept == nullptr || observation.observed_at >= kept->observed_at) kept = &observation;
    }
    for (const auto& [city_id, observation] : newest) {
      std::vector<cql::Value> values;
      values.reserve(cassandra_columns::kValueCount + 1);
      cassandra_columns::append_values(*observation, values, cassandra_columns::Absent::null);
      values.emplace_back(write_time_micros(observation->observed_at));
      batches.add({statements_.upsert_latest, std::move(values)}, partition_of(Table::latest, city_id));
    }
  }

  void write_dead_letters(std::span<const DeadLetter> letters, RequestBatches& batches) {
    std::map<std::pair<std::string, std::int32_t>, std::vector<const DeadLetter*>> by_log_partition;
    for (const DeadLetter& letter : letters) by_log_partition[{letter.topic, letter.partition}].push_back(&letter);
    for (const auto& [partition, members] : by_log_partition) {
      for (const DeadLetter* letter : members) {
        batches.add({statements_.insert_dead_letter,
                     {letter->topic, letter->partition, letter->offset, letter->reason,
                      cql::RawValue{cql::TypeId::blob, letter->payload}, cql::Timestamp{letter->received_at_ms}}},
                    partition_of(Table::dead_letters, text_hash(partition.first), partition.second));
      }
    }
  }

  // Appends the rows of one day partition within [from, to), newest first.
  Result<void> append_day(const HistoryQuery& query, std::int32_t day, std::vector<Observation>& rows) {
    std::vector<cql::Value> values{query.city_id, day, timestamp_of_seconds(query.from),
                                   timestamp_of_seconds(query.to), clamp_to_int32(query.limit - rows.size())};
    return for_each_row(*session_, statements_.history_of_day, std::move(values),
                        [&](const cql::Row& row) -> Result<bool> {
                          Observation observation;
                          SQUALL_ASSIGN(observation, cassandra_columns::observation_of(row));
                          rows.push_back(std::move(observation));
                          return rows.size() < query.limit;
                        });
  }

  // Called once a batch is written: a day whose write failed is sent again
  // with the retried batch. Bounded: forgetting only costs rewrites.
  void remember_days(const Rows& rows) {
    if (days_written_.size() > kMaxRememberedDays) days_written_.clear();
    for (const auto& [key, observation] : rows) days_written_.insert({std::get<0>(key), std::get<1>(key)});
  }

  std::unique_ptr<cql::Session> session_;
  Statements statements_;
  std::set<std::pair<std::int64_t, std::int32_t>> days_written_;
};

Result<std::string> keyspace_of(const StoreOptions& options) {
  SQUALL_TRY(cassandra_schema::check_keyspace_name(options.keyspace));
  return options.keyspace;
}

}  // namespace

bool is_cassandra_url(std::string_view url) { return url.starts_with(kScheme); }

Result<std::vector<std::string>> cassandra_contact_points(std::string_view url) {
  if (!is_cassandra_url(url)) {
    return make_error(Errc::invalid_argument, "store url '" + std::string(url) + "' does not start with cassandra://");
  }
  std::vector<std::string> points;
  std::string_view rest = url.substr(kScheme.size());
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view point = rest.substr(0, comma);
    const auto colon = point.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == point.size()) {
      return make_error(Errc::invalid_argument, "store url '" + std::string(url) + "': contact point '" +
                                                    std::string(point) + "' is not HOST:PORT");
    }
    points.emplace_back(point);
    if (comma == std::string_view::npos) return points;
    rest.remove_prefix(comma + 1);
  }
}

std::optional<OptionProblem> check_cassandra_options(const StoreOptions& options) {
  if (auto points = cassandra_contact_points(options.url); !points) return OptionProblem{StoreField::url, points.error()};
  if (auto valid = cassandra_schema::check_keyspace_name(options.keyspace); !valid) {
    return OptionProblem{StoreField::keyspace, valid.error()};
  }
  if (auto map = cassandra_schema::replication_map(options.replication); !map) {
    return OptionProblem{StoreField::replication, map.error()};
  }
  if (auto level = cql::parse_consistency(options.consistency); !level) {
    return OptionProblem{StoreField::consistency, level.error()};
  }
  std::error_code ignored;
  if (options.tls && !options.tls_ca_file.empty() && !std::filesystem::is_regular_file(options.tls_ca_file, ignored)) {
    return OptionProblem{StoreField::tls_ca_file,
                         make_error(Errc::invalid_argument, "no such file: " + options.tls_ca_file)};
  }
  return std::nullopt;
}

Result<std::unique_ptr<Store>> open_cassandra_store(const StoreOptions& options) {
  std::string keyspace;
  SQUALL_ASSIGN(keyspace, keyspace_of(options));
  std::unique_ptr<cql::Session> session;
  SQUALL_ASSIGN(session, connect(options));
  SQUALL_TRY(cassandra_schema::create_schema(*session, keyspace, options.replication));
  Statements statements;
  SQUALL_ASSIGN(statements, prepare_statements(*session, keyspace));
  return std::unique_ptr<Store>(std::make_unique<CassandraStore>(std::move(session), std::move(statements)));
}

Result<void> create_cassandra_schema(const StoreOptions& options) {
  std::string keyspace;
  SQUALL_ASSIGN(keyspace, keyspace_of(options));
  std::unique_ptr<cql::Session> session;
  SQUALL_ASSIGN(session, connect(options));
  return cassandra_schema::create_schema(*session, keyspace, options.replication);
}

Result<void> check_cassandra_schema(const StoreOptions& options) {
  std::string keyspace;
  SQUALL_ASSIGN(keyspace, keyspace_of(options));
  std::unique_ptr<cql::Session> session;
  SQUALL_ASSIGN(session, connect(options));
  return cassandra_schema::check_schema(*session, keyspace);
}

}  // namespace squall::store
