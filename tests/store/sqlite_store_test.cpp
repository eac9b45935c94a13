#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/sqlite.hpp"
#include "store/observation_fields.hpp"
#include "store/sqlite/schema.hpp"
#include "store/store.hpp"
#include "store/sample_observations.hpp"
#include "store/stream_contract.hpp"
#include "test_support/temp_dir.hpp"

namespace squall::store {
namespace {

using test::full_observation;
using test::sparse_observation;

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open() {
    auto store = open_store(options());
    EXPECT_TRUE(store.ok()) << store.error().message;
    return std::move(store).value();
  }
  StoreOptions options() const {
    StoreOptions options;
    options.data_dir = (dir_.path() / "data").string();
    options.sync_full = false;
    return options;
  }
  std::string db_path() const { return (dir_.path() / "data" / "store.db").string(); }

  void write(Store& store, const std::vector<Observation>& observations, const std::vector<DeadLetter>& letters = {}) {
    // Also offered to latest_by_city, as the processor does with a checkpoint.
    auto written = store.write(WriteBatch{.observations = observations, .dead_letters = letters, .latest = observations});
    ASSERT_TRUE(written.ok()) << written.error().message;
  }

  test::TempDir dir_;
};

std::vector<Observation> latest(Store& store, std::optional<std::int64_t> city = std::nullopt) {
  auto rows = store.latest(city);
  EXPECT_TRUE(rows.ok()) << rows.error().message;
  return rows.ok() ? *rows : std::vector<Observation>{};
}

std::vector<Observation> history(Store& store, const HistoryQuery& query) {
  auto rows = store.history(query);
  EXPECT_TRUE(rows.ok()) << rows.error().message;
  return rows.ok() ? *rows : std::vector<Observation>{};
}

Stats stats(Store& store) {
  auto result = store.stats();
  EXPECT_TRUE(result.ok()) << result.error().message;
  return result.ok() ? *result : Stats{};
}

std::vector<std::int64_t> times_of(const std::vector<Observation>& rows) {
  std::vector<std::int64_t> times;
  for (const auto& row : rows) times.push_back(row.observed_at);
  return times;
}

TEST_F(SqliteStoreTest, EveryFieldRoundTrips) {
  auto store = open();
  const Observation full = full_observation(4887398, 1700000000);
  write(*store, {full});
  EXPECT_EQ(latest(*store), std::vector<Observation>{full});
  EXPECT_EQ(history(*store, HistoryQuery{.city_id = 4887398}), std::vector<Observation>{full});
}

TEST_F(SqliteStoreTest, AbsentFieldsAreStoredAsNull) {
  auto store = open();
  const Observation sparse = sparse_observation(7, 1700000000);
  write(*store, {sparse});
  EXPECT_EQ(latest(*store), std::vector<Observation>{sparse});

  auto db = sqlite::Database::open(db_path(), {.read_only = true});
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto nulls = db->prepare(
      "SELECT country IS NULL, lat IS NULL, wind_gust_ms IS NULL, condition_id IS NULL, "
      "description IS NULL, sunrise IS NULL, day FROM observations");
  ASSERT_TRUE(nulls.ok()) << nulls.error().message;
  auto row = nulls->step();
  ASSERT_TRUE(row.ok() && *row);
  for (int column = 0; column < 6; ++column) EXPECT_EQ(nulls->int64(column), 1) << "column " << column;
  EXPECT_EQ(nulls->int64(6), 1700000000 / 86400);
}

TEST_F(SqliteStoreTest, DayColumnRoundsTowardsThePast) {
  auto store = open();
  write(*store, {sparse_observation(1, -1), sparse_observation(1, 86400), sparse_observation(1, 86399)});
  auto db = sqlite::Database::open(db_path(), {.read_only = true});
  ASSERT_TRUE(db.ok());
  auto days = db->prepare("SELECT day FROM observations ORDER BY observed_at");
  ASSERT_TRUE(days.ok());
  std::vector<std::int64_t> seen;
  for (int i = 0; i < 3; ++i) {
    auto row = days->step();
    ASSERT_TRUE(row.ok() && *row);
    seen.push_back(days->int64(0));
  }
  EXPECT_EQ(seen, (std::vector<std::int64_t>{-1, 0, 1}));
}

TEST_F(SqliteStoreTest, TablesHaveAColumnForEveryObservationField) {
  auto store = open();
  auto db = sqlite::Database::open(db_path(), {.read_only = true});
  ASSERT_TRUE(db.ok());
  for (const char* table : {"observations", "latest_by_city"}) {
    auto columns = db->prepare(std::string("SELECT name FROM pragma_table_info('") + table + "')");
    ASSERT_TRUE(columns.ok());
    std::vector<std::string> names;
    while (true) {
      auto row = columns->step();
      ASSERT_TRUE(row.ok());
      if (!*row) break;
      names.push_back(columns->text(0));
    }
    std::vector<std::string> expected;
    for_each_observation_field([&](const auto& field) { expected.emplace_back(field.column); });
    expected.emplace_back("day");
    std::sort(names.begin(), names.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(names, expected) << table;
  }
  auto version = db->prepare("PRAGMA user_version");
  ASSERT_TRUE(version.ok());
  ASSERT_TRUE(*version->step());
  EXPECT_EQ(version->int64(0), sqlite_schema::kCurrentVersion);
}

TEST_F(SqliteStoreTest, Utf8NamesRoundTrip) {
  auto store = open();
  Observation sao_paulo = full_observation(3448439, 1700000000);
  sao_paulo.city = "São Paulo";
  sao_paulo.country = "BR";
  Observation zurich = full_observation(2657896, 1700000000);
  zurich.city = "Zürich";
  zurich.description = "légère pluie, brume";
  Observation tokyo = sparse_observation(1850147, 1700000000);
  tokyo.city = "東京都";
  write(*store, {sao_paulo, zurich, tokyo});
  EXPECT_EQ(latest(*store), (std::vector<Observation>{tokyo, zurich, sao_paulo}));
}

TEST_F(SqliteStoreTest, WritingTheSameBatchTwiceChangesNothing) {
  auto store = open();
  std::vector<Observation> batch;
  for (std::int64_t city = 1; city <= 20; ++city) {
    for (std::int64_t t = 0; t < 5; ++t) batch.push_back(full_observation(city, 1700000000 + t * 600));
  }
  const std::vector<DeadLetter> letters{{"weather", 1, 42, "missing main.temp", "{}", 1700000000000}};
  write(*store, batch, letters);
  const Stats first = stats(*store);
  const auto latest_first = latest(*store);
  const auto history_first = history(*store, HistoryQuery{.city_id = 3});

  write(*store, batch, letters);
  const Stats second = stats(*store);
  EXPECT_EQ(second.observations, 100);
  EXPECT_EQ(second.cities, 20);
  EXPECT_EQ(second.dead_letters, 1);
  EXPECT_EQ(second.observations, first.observations);
  EXPECT_EQ(latest(*store), latest_first);
  EXPECT_EQ(history(*store, HistoryQuery{.city_id = 3}), history_first);
}

TEST_F(SqliteStoreTest, ReplayingAKeyReplacesTheWholeRow) {
  auto store = open();
  write(*store, {full_observation(1, 1700000000)});
  const Observation replacement = sparse_observation(1, 1700000000);
  write(*store, {replacement});
  EXPECT_EQ(history(*store, HistoryQuery{.city_id = 1}), std::vector<Observation>{replacement});
  EXPECT_EQ(latest(*store), std::vector<Observation>{replacement});
  EXPECT_EQ(stats(*store).observations, 1);
}

// The store inserts a batch in its index's order, not the batch's: a key
// repeated within one batch must still end as its last occurrence.
TEST_F(SqliteStoreTest, TheLastOfAKeyRepeatedInOneUnorderedBatchWins) {
  auto store = open();
  const Observation last = sparse_observation(1, 1700000000);
  write(*store, {full_observation(3, 1700007200), full_observation(1, 1700000000), full_observation(2, 1700000000),
                 sparse_observation(3, 1700000000), last});
  EXPECT_EQ(history(*store, HistoryQuery{.city_id = 1}), std::vector<Observation>{last});
  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 3})), (std::vector<std::int64_t>{1700007200, 1700000000}));
  EXPECT_EQ(stats(*store).observations, 4);
}

TEST_F(SqliteStoreTest, ObservationsWithoutLatestCandidatesLeaveLatestAlone) {
  auto store = open();
  write(*store, {full_observation(1, 100)});
  const std::vector<Observation> newer{full_observation(1, 200), full_observation(2, 200)};
  ASSERT_TRUE(store->write(WriteBatch{.observations = newer}).ok());
  EXPECT_EQ(latest(*store), std::vector<Observation>{full_observation(1, 100)});
  auto stats = store->stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->observations, 3);
}

TEST_F(SqliteStoreTest, LatestKeepsTheNewestWhenAnOlderObservationArrivesLater) {
  auto store = open();
  const Observation newer = full_observation(1, 1700003600);
  Observation older = full_observation(1, 1700000000);
  older.temp_c = -40;
  write(*store, {newer});
  write(*store, {older});
  EXPECT_EQ(latest(*store), std::vector<Observation>{newer});
  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 1})),
            (std::vector<std::int64_t>{1700003600, 1700000000}));
}

TEST_F(SqliteStoreTest, LatestTakesTheNewestOfAnUnorderedBatch) {
  auto store = open();
  std::vector<Observation> batch{full_observation(2, 200), full_observation(1, 300), full_observation(2, 500),
                                 full_observation(1, 100), full_observation(2, 400)};
  write(*store, batch);
  EXPECT_EQ(times_of(latest(*store)), (std::vector<std::int64_t>{300, 500}));
  EXPECT_EQ(times_of(latest(*store, 2)), std::vector<std::int64_t>{500});
  EXPECT_TRUE(latest(*store, 99).empty());
}

TEST_F(SqliteStoreTest, LatestTakesTheLastOfEqualTimesInABatch) {
  auto store = open();
  Observation first = full_observation(1, 100);
  Observation second = full_observation(1, 100);
  second.temp_c = 30;
  write(*store, {first, second});
  EXPECT_EQ(latest(*store), std::vector<Observation>{second});
  EXPECT_EQ(history(*store, HistoryQuery{.city_id = 1}), std::vector<Observation>{second});
}

TEST_F(SqliteStoreTest, LatestListsCitiesByIdAfterSeveralBatches) {
  auto store = open();
  write(*store, {sparse_observation(30, 100), sparse_observation(10, 100)});
  write(*store, {sparse_observation(20, 100), sparse_observation(10, 200)});
  const auto rows = latest(*store);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].city_id, 10);
  EXPECT_EQ(rows[0].observed_at, 200);
  EXPECT_EQ(rows[1].city_id, 20);
  EXPECT_EQ(rows[2].city_id, 30);
}

TEST_F(SqliteStoreTest, HistoryHonoursRangeLimitAndOrder) {
  auto store = open();
  std::vector<Observation> batch;
  for (std::int64_t t = 100; t <= 1000; t += 100) batch.push_back(sparse_observation(1, t));
  batch.push_back(sparse_observation(2, 500));
  write(*store, batch);

  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 1, .from = 300, .to = 700})),
            (std::vector<std::int64_t>{600, 500, 400, 300}));
  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 1, .from = 300, .to = 700, .limit = 2})),
            (std::vector<std::int64_t>{600, 500}));
  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 1, .limit = 3})),
            (std::vector<std::int64_t>{1000, 900, 800}));
  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 2})), std::vector<std::int64_t>{500});
  EXPECT_TRUE(history(*store, HistoryQuery{.city_id = 1, .limit = 0}).empty());
  EXPECT_TRUE(history(*store, HistoryQuery{.city_id = 1, .from = 1001}).empty());
  EXPECT_TRUE(history(*store, HistoryQuery{.city_id = 3}).empty());
}

TEST_F(SqliteStoreTest, HistoryFindsSparseRowsAcrossHoursDaysAndTheEpoch) {
  auto store = open();
  const std::vector<std::int64_t> times{-90000, -3601, -1, 0, 3599, 3600, 86400 * 3 + 17, 86400 * 40};
  std::vector<Observation> batch;
  for (std::int64_t t : times) batch.push_back(sparse_observation(1, t));
  // Another city reporting every ten minutes around the sparse one.
  std::size_t dense_rows = 0;
  for (std::int64_t t = -100000; t < 86400 * 41; t += 600, ++dense_rows) batch.push_back(sparse_observation(2, t));
  write(*store, batch);

  std::vector<std::int64_t> newest_first(times.rbegin(), times.rend());
  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 1, .from = INT64_MIN})), newest_first);
  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 1, .from = -3601, .to = 3600})),
            (std::vector<std::int64_t>{3599, 0, -1, -3601}));
  EXPECT_EQ(times_of(history(*store, HistoryQuery{.city_id = 1, .from = INT64_MIN, .limit = 3})),
            (std::vector<std::int64_t>{86400 * 40, 86400 * 3 + 17, 3600}));
  EXPECT_EQ(history(*store, HistoryQuery{.city_id = 2, .from = INT64_MIN, .limit = 100000}).size(), dense_rows);
}

TEST_F(SqliteStoreTest, DeadLettersAreIdempotentAndKeepTheirBytes) {
  auto store = open();
  const std::string binary("\xff\xfe\x00{\"cod\":\x80}", 12);
  const DeadLetter old_letter{"weather", 0, 7, "not JSON: invalid byte at 0", binary, 1700000000000};
  const DeadLetter new_letter{"weather", 3, 9, "main.temp: missing", R"({"cod":200})", 1700000005000};
  write(*store, {}, {old_letter, new_letter});
  DeadLetter replayed = old_letter;
  replayed.received_at_ms = 1700009999000;  // the same log record, seen again later
  write(*store, {}, {replayed});

  auto letters = store->dead_letters(10);
  ASSERT_TRUE(letters.ok()) << letters.error().message;
  EXPECT_EQ(*letters, (std::vector<DeadLetter>{new_letter, old_letter}));
  EXPECT_EQ((*letters)[1].payload.size(), 12u);

  auto newest = store->dead_letters(1);
  ASSERT_TRUE(newest.ok());
  EXPECT_EQ(*newest, std::vector<DeadLetter>{new_letter});
  EXPECT_EQ(stats(*store).dead_letters, 2);
}

TEST_F(SqliteStoreTest, StatsOfAnEmptyStore) {
  auto store = open();
  const Stats empty = stats(*store);
  EXPECT_EQ(empty.observations, 0);
  EXPECT_EQ(empty.cities, 0);
  EXPECT_EQ(empty.dead_letters, 0);
  EXPECT_FALSE(empty.oldest_observed_at.has_value());
  EXPECT_FALSE(empty.newest_observed_at.has_value());
}

TEST_F(SqliteStoreTest, StatsCountRowsCitiesAndTimeSpan) {
  auto store = open();
  write(*store, {sparse_observation(1, 500), sparse_observation(1, 900), sparse_observation(2, 300)},
        {{"weather", 0, 1, "bad", "x", 1}});
  write(*store, {sparse_observation(3, 1200), sparse_observation(2, 100)});
  const Stats result = stats(*store);
  EXPECT_EQ(result.observations, 5);
  EXPECT_EQ(result.cities, 3);
  EXPECT_EQ(result.dead_letters, 1);
  EXPECT_EQ(result.oldest_observed_at, 100);
  EXPECT_EQ(result.newest_observed_at, 1200);
}

TEST_F(SqliteStoreTest, DataSurvivesReopening) {
  {
    auto store = open();
    write(*store, {full_observation(1, 100)});
  }
  auto store = open();
  EXPECT_EQ(latest(*store), std::vector<Observation>{full_observation(1, 100)});
}

TEST_F(SqliteStoreTest, EmptyBatchIsFine) {
  auto store = open();
  write(*store, {});
  EXPECT_EQ(stats(*store).observations, 0);
}

TEST_F(SqliteStoreTest, ReaderSeesCommittedBatchesWhileAWriterWrites) {
  auto writer = open();
  auto reader = open();
  constexpr int kBatches = 40;
  constexpr int kCities = 25;
  std::atomic<bool> writing{true};
  std::string writer_error;
  std::thread writer_thread([&] {
    for (int batch = 0; batch < kBatches; ++batch) {
      std::vector<Observation> rows;
      for (int city = 1; city <= kCities; ++city) rows.push_back(full_observation(city, 1000 + batch));
      auto written = writer->write(WriteBatch{.observations = rows, .latest = rows});
      if (!written) {
        writer_error = written.error().message;
        break;
      }
    }
    writing = false;
  });

  std::int64_t last_seen = 0;
  int reads = 0;
  for (; reads < 100000 && (writing || reads < 1); ++reads) {
    auto now = reader->stats();
    ASSERT_TRUE(now.ok()) << now.error().message;
    // Whole batches only: one transaction per write.
    EXPECT_EQ(now->observations % kCities, 0);
    EXPECT_GE(now->observations, last_seen);
    last_seen = now->observations;
    auto rows = reader->latest(std::nullopt);
    ASSERT_TRUE(rows.ok()) << rows.error().message;
  }
  writer_thread.join();
  EXPECT_EQ(writer_error, "");
  EXPECT_EQ(stats(*reader).observations, kBatches * kCities);
  EXPECT_EQ(times_of(latest(*reader, 1)), std::vector<std::int64_t>{1000 + kBatches - 1});
}

TEST_F(SqliteStoreTest, OpensAndReadsWhileAnotherConnectionHoldsTheWriteLock) {
  write(*open(), {full_observation(1, 100)});
  auto writer = sqlite::Database::open(db_path(), {});
  ASSERT_TRUE(writer.ok()) << writer.error().message;
  auto transaction = sqlite::Transaction::begin(*writer);
  ASSERT_TRUE(transaction.ok()) << transaction.error().message;
  ASSERT_TRUE(writer->exec("DELETE FROM observations").ok());  // uncommitted: readers must not see it

  auto reader = open();
  EXPECT_EQ(stats(*reader).observations, 1);
  EXPECT_EQ(times_of(history(*reader, HistoryQuery{.city_id = 1})), std::vector<std::int64_t>{100});
}

TEST(OpenStore, CreatesTheDataDirectory) {
  test::TempDir dir;
  StoreOptions options;
  options.data_dir = (dir.path() / "a" / "b").string();
  options.url = "";
  auto store = open_store(options);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "a" / "b" / "store.db"));
}

TEST_F(SqliteStoreTest, ReadOnlyOpensReadWhatIsStoredAndWriteNothing) {
  write(*open(), {full_observation(1, 1700000000)});
  StoreOptions read_only = options();
  read_only.read_only = true;
  auto reader = open_store(read_only);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  auto stats = (*reader)->stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->observations, 1);
  const std::vector<Observation> more{sparse_observation(2, 1700000000)};
  auto written = (*reader)->write(WriteBatch{.observations = more});
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.error().code, Errc::io);
  EXPECT_EQ(open()->stats()->observations, 1);
}

TEST_F(SqliteStoreTest, ReadOnlyNeitherCreatesAStoreNorUpgradesOne) {
  StoreOptions read_only = options();
  read_only.read_only = true;
  auto missing = open_store(read_only);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::not_found);
  EXPECT_NE(missing.error().message.find(db_path()), std::string::npos) << missing.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "data")) << "nothing is created";

  open();
  {
    auto db = sqlite::Database::open(db_path(), {});
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("PRAGMA user_version = 2").ok());
  }
  auto older = open_store(read_only);
  ASSERT_FALSE(older.ok());
  EXPECT_NE(older.error().message.find("older than this squall's"), std::string::npos) << older.error().message;
  EXPECT_NE(older.error().message.find("squall process"), std::string::npos) << older.error().message;
}

TEST(OpenStore, RejectsAnUnknownUrlNamingTheSupportedOnes) {
  test::TempDir dir;
  StoreOptions options;
  options.data_dir = dir.path().string();
  options.url = "postgres://localhost";
  auto store = open_store(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::invalid_argument);
  EXPECT_NE(store.error().message.find("postgres://localhost"), std::string::npos);
  EXPECT_NE(store.error().message.find("sqlite"), std::string::npos);
}

TEST_F(SqliteStoreTest, StreamingResultsKeepTheHighestVersion) {
  auto store = open();
  test::check_streaming_results(*store);
}

}  // namespace
}  // namespace squall::store
