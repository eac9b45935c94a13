// The bad-input corpus (testdata/bad_input/cases.tsv) between good records,
// through the log, processor and store that `squall process` opens: every
// case must reach the dead-letter topic and the store's dead_letters with its
// reason and its exact bytes, every good record must be stored exactly, and
// the processor must not fail. Runs on the embedded log, and on Kafka when
// SQUALL_TEST_KAFKA names a broker (the bad_input_kafka CTest entry).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stop_token>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/record_headers.hpp"
#include "core/time.hpp"
#include "log/kafka/kafka_test_support.hpp"
#include "log/log.hpp"
#include "processor/owm_parser.hpp"
#include "processor/processor.hpp"
#include "store/row_json.hpp"
#include "store/store.hpp"
#include "test_support/temp_dir.hpp"

namespace squall::processor {
namespace {

namespace kafka_support = log::kafka::test_support;

constexpr std::string_view kGenerated = "generated:";
// Each batch of an idle processor waits this long for records; Kafka's group
// join takes a few seconds of such batches.
constexpr std::int64_t kBatchWaitMs = 100;
constexpr int kMaxBatches = 2000;

struct BadCase {
  std::string file;    // in testdata/bad_input, or generated:NAME
  std::string reason;  // a substring the dead-letter reason must contain
  std::string payload;

  // Dead letters keep the record's key: it tells which case one is.
  std::string key() const { return "bad:" + file; }
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ADD_FAILURE() << "cannot read " << path;
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// A real record whose name pads it to exactly 10 MiB: too big to commit.
std::string ten_mebibyte_record() {
  constexpr std::size_t kSize = 10 << 20;
  const std::string head = R"({"id":4887398,"dt":1700000000,"main":{"temp":281.52},"name":")";
  const std::string tail = R"("})";
  return head + std::string(kSize - head.size() - tail.size(), 'x') + tail;
}

std::string generated(std::string_view name) {
  if (name == "ten_mebibytes") return ten_mebibyte_record();
  ADD_FAILURE() << "cases.tsv names an unknown generated case: " << name;
  return {};
}

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> parts;
  std::stringstream in(line);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

std::vector<BadCase> load_corpus() {
  const std::filesystem::path dir = SQUALL_BAD_INPUT_DIR;
  std::ifstream manifest(dir / "cases.tsv");
  if (!manifest) ADD_FAILURE() << "cannot read " << dir / "cases.tsv";
  std::vector<BadCase> cases;
  for (std::string line; std::getline(manifest, line);) {
    if (line.empty() || line.front() == '#') continue;
    const std::vector<std::string> columns = split(line, '\t');
    if (columns.size() != 4 || columns[2].empty()) {
      ADD_FAILURE() << "cases.tsv: want file, category, reason and description: " << line;
      continue;
    }
    const std::string& file = columns[0];
    std::string payload = file.starts_with(kGenerated) ? generated(std::string_view(file).substr(kGenerated.size()))
                                                        : read_file(dir / file);
    cases.push_back(BadCase{file, columns[2], std::move(payload)});
  }
  return cases;
}

std::vector<log::Header> headers_of(std::string_view units, std::int64_t fetched_at_ms) {
  return {{std::string(headers::kSource), "replay"},
          {std::string(headers::kUnits), std::string(units)},
          {std::string(headers::kFetchedAtMs), std::to_string(fetched_at_ms)}};
}

struct GoodRecord {
  log::Record record;
  Observation expected;
};

// The JSON of one optional number, or nothing when it is absent.
std::string optional_field(std::string_view name, const std::optional<double>& value) {
  return value ? fmt::format(R"(,"{}":{})", name, *value) : std::string();
}

// The i-th good record: a city of its own, so none is a repeat, with times
// that only grow, so none is late. Metric units keep the stored numbers the
// very ones written; optional fields come and go as in real data.
GoodRecord good_record(int i, std::int64_t timestamp_ms) {
  static const char* const kNames[] = {"Chicago", "São Paulo", "Zürich", "", "Kraków"};
  Observation o;
  o.city_id = 6'000'000 + i;
  o.city = kNames[i % std::size(kNames)];
  if (i % 4 != 0) o.country = "CH";
  o.observed_at = 1'700'000'000 + 600LL * i;
  o.lat = 47.25 + 0.5 * (i % 7);
  o.lon = 8.5 - 0.25 * (i % 9);
  o.temp_c = -20.5 + 0.25 * i;
  o.feels_like_c = o.temp_c - 1.5;
  o.pressure_hpa = 990 + i % 40;
  o.humidity_pct = 40 + i % 60;
  o.wind_speed_ms = 0.5 * (i % 30);
  o.wind_deg = (7 * i) % 360;
  if (i % 2 == 1) o.wind_gust_ms = *o.wind_speed_ms + 3;
  o.clouds_pct = i % 101;
  if (i % 3 == 0) o.rain_1h_mm = 0.25;
  o.condition_id = 803;
  o.condition = "Clouds";
  o.description = "broken clouds";
  o.icon = "04d";
  o.timezone_s = 3600;
  o.ingested_at_ms = 1'700'000'000'000 + i;
  o.source = "replay";

  std::string json = fmt::format(R"({{"coord":{{"lon":{},"lat":{}}},)", *o.lon, *o.lat);
  json += R"("weather":[{"id":803,"main":"Clouds","description":"broken clouds","icon":"04d"}],"base":"stations",)";
  json += fmt::format(R"("main":{{"temp":{},"feels_like":{},"pressure":{},"humidity":{}}},)", o.temp_c,
                      *o.feels_like_c, *o.pressure_hpa, *o.humidity_pct);
  json += fmt::format(R"("wind":{{"speed":{},"deg":{}{}}},)", *o.wind_speed_ms, *o.wind_deg,
                      optional_field("gust", o.wind_gust_ms));
  if (o.rain_1h_mm) json += fmt::format(R"("rain":{{"1h":{}}},)", *o.rain_1h_mm);
  json += fmt::format(R"("clouds":{{"all":{}}},"dt":{},)", *o.clouds_pct, o.observed_at);
  json += o.country ? fmt::format(R"("sys":{{"type":2,"country":"{}"}},)", *o.country) : R"("sys":{"type":2},)";
  json += fmt::format(R"("timezone":{},"id":{},"name":"{}","cod":200}})", *o.timezone_s, o.city_id, o.city);

  log::Record record{std::to_string(o.city_id), std::move(json), headers_of("metric", o.ingested_at_ms),
                     timestamp_ms};
  return GoodRecord{std::move(record), std::move(o)};
}

// Equal bytes, or where they differ: a 10 MiB payload must not be printed.
testing::AssertionResult same_bytes(std::string_view actual, std::string_view expected) {
  if (actual == expected) return testing::AssertionSuccess();
  const auto differ = std::mismatch(actual.begin(), actual.end(), expected.begin(), expected.end()).first;
  return testing::AssertionFailure() << actual.size() << " bytes where " << expected.size()
                                     << " were expected, first difference at byte " << (differ - actual.begin());
}

std::string json_of(const Observation& observation) {
  std::string out;
  store::append_json(out, observation);
  return out + " (ingested_at_ms " + std::to_string(observation.ingested_at_ms) + ")";
}

enum class Backend { embedded, kafka };

// Where one run's log lives and what its topics are called: the embedded
// log's usual names in a fresh data dir, or names no other run used on the
// shared broker.
struct RunOptions {
  log::LogOptions log;
  store::StoreOptions store;
  ProcessorOptions processor;
};

RunOptions options_for(Backend backend, const test::TempDir& dir) {
  RunOptions setup;
  setup.store.data_dir = (dir.path() / "data").string();
  setup.store.sync_full = false;
  setup.processor.batch_max_wait_ms = kBatchWaitMs;
  if (backend == Backend::embedded) {
    setup.log.data_dir = setup.store.data_dir;
    setup.log.sync_full = false;
    return setup;
  }
  setup.log = kafka_support::kafka_options(kafka_support::broker_address());
  setup.processor.topic = kafka_support::unique_name("bad-input");
  setup.processor.dead_letter_topic = kafka_support::unique_name("bad-input-dlq");
  setup.processor.late_topic = kafka_support::unique_name("bad-input-late");
  setup.processor.alerts_topic = kafka_support::unique_name("bad-input-alerts");
  setup.processor.group = kafka_support::unique_name("bad-input-processor");
  return setup;
}

// Runs the processor as `squall process --exit-when-drained` does, but
// stops it after kMaxBatches batches so a processor that never catches up
// fails the test instead of hanging it.
Result<void> run_until_drained(Processor& processor, int& batches) {
  std::stop_source stop;
  return processor.run(stop.get_token(), [&] {
    if (++batches >= kMaxBatches) stop.request_stop();
    return true;
  });
}

class BadInputTest : public ::testing::TestWithParam<Backend> {};

TEST_P(BadInputTest, EveryCaseIsDeadLetteredWithItsReasonAndGoodRecordsAroundThemAreStored) {
  const test::TempDir dir;
  const RunOptions setup = options_for(GetParam(), dir);
  const std::string& topic = setup.processor.topic;
  std::vector<BadCase> cases = load_corpus();
  ASSERT_GE(cases.size(), 50u);
  auto producer = kafka_support::expect_ok(log::open_producer(setup.log));

  if (GetParam() == Backend::kafka) {
    // A record over the producer's message.max.bytes (1 MB by default, like
    // the broker's) cannot enter a Kafka topic at all: the producer refuses
    // it. `squall ingest` therefore cuts such a record and marks it, and the
    // processor dead-letters it (tests/e2e/test_kafka.py); a producer that
    // writes it as it is gets this refusal.
    const auto huge = std::find_if(cases.begin(), cases.end(),
                                   [](const BadCase& c) { return c.payload.size() > (1 << 20); });
    ASSERT_NE(huge, cases.end());
    const log::Record record{huge->key(), huge->payload, headers_of("standard", 0), now_ms()};
    const Result<void> refused = producer->produce(topic, std::span(&record, 1));
    ASSERT_FALSE(refused.ok()) << "Kafka took a record of " << huge->payload.size() << " bytes";
    EXPECT_NE(refused.error().message.find("Message size too large"), std::string::npos) << refused.error().message;
    cases.erase(huge);
  }

  // Good, bad, good, ..., good: every bad case has good neighbours. Records
  // are stamped now: Kafka's retention would delete ones stamped in 2023.
  std::vector<log::Record> records;
  std::vector<Observation> expected;
  const auto add_good = [&] {
    GoodRecord good = good_record(static_cast<int>(expected.size()), now_ms());
    records.push_back(std::move(good.record));
    expected.push_back(std::move(good.expected));
  };
  for (const BadCase& bad : cases) {
    add_good();
    records.push_back(log::Record{bad.key(), bad.payload, headers_of("standard", 1'700'000'000'000), now_ms()});
  }
  add_good();
  kafka_support::expect_ok(producer->produce(topic, records));
  kafka_support::expect_ok(producer->flush());

  auto store = kafka_support::expect_ok(store::open_store(setup.store));
  auto dead_letter_producer = kafka_support::expect_ok(log::open_producer(setup.log));
  auto consumer = kafka_support::expect_ok(
      log::open_consumer(setup.log, setup.processor.group, {topic}, log::StartFrom::earliest));
  // No CSV backup: it takes the stored rows, and has its own tests.
  Processor processor(*consumer, *dead_letter_producer, *store, nullptr, setup.processor);
  int batches = 0;
  const Result<void> ran = run_until_drained(processor, batches);
  ASSERT_TRUE(ran.ok()) << ran.error().message;
  ASSERT_LT(batches, kMaxBatches) << "the processor never caught up";

  const ProcessorCounters& counters = processor.counters();
  EXPECT_EQ(counters.consumed.load(), static_cast<std::int64_t>(records.size()));
  EXPECT_EQ(counters.dead_letters.load(), static_cast<std::int64_t>(cases.size()));
  EXPECT_EQ(counters.observations.load(), static_cast<std::int64_t>(expected.size()));
  EXPECT_EQ(counters.duplicates.load(), 0);
  EXPECT_EQ(counters.late.load(), 0);

  // The dead-letter topic: each case once, with its reason and its bytes.
  auto dlq_reader = kafka_support::expect_ok(log::open_consumer(
      setup.log, kafka_support::unique_name("bad-input-dlq-reader"), {setup.processor.dead_letter_topic},
      log::StartFrom::earliest));
  const std::vector<log::ConsumedRecord> dead = kafka_support::drain(*dlq_reader, cases.size());
  EXPECT_EQ(dead.size(), cases.size());
  std::map<std::string, const log::Record*> dead_by_key;
  for (const log::ConsumedRecord& letter : dead) {
    EXPECT_TRUE(dead_by_key.emplace(letter.record.key, &letter.record).second)
        << letter.record.key << " was dead-lettered twice";
  }
  for (const BadCase& bad : cases) {
    SCOPED_TRACE(bad.file);
    const auto found = dead_by_key.find(bad.key());
    if (found == dead_by_key.end()) {
      ADD_FAILURE() << "not in the dead-letter topic";
      continue;
    }
    const log::Record& letter = *found->second;
    const std::string reason(letter.header(headers::kReason).value_or("<no reason header>"));
    EXPECT_NE(reason.find(bad.reason), std::string::npos) << "reason: " << reason << "\nwanted: " << bad.reason;
    EXPECT_NE(rejection_kind(reason), "other") << reason;
    EXPECT_LT(reason.size(), 300u) << "a reason quotes excerpts, never the payload";
    EXPECT_TRUE(std::none_of(reason.begin(), reason.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
        << "control byte in reason: " << reason;
    EXPECT_TRUE(same_bytes(letter.value, bad.payload));
    EXPECT_EQ(letter.header(headers::kOriginTopic), topic);
  }

  // The store's dead_letters: the same reason and bytes, by the record's position.
  const std::vector<store::DeadLetter> stored_dead = kafka_support::expect_ok(store->dead_letters(10'000));
  EXPECT_EQ(stored_dead.size(), cases.size());
  std::map<std::pair<std::string, std::string>, const log::Record*> dead_by_position;
  for (const log::ConsumedRecord& letter : dead) {
    const auto partition = letter.record.header(headers::kOriginPartition).value_or("");
    const auto offset = letter.record.header(headers::kOriginOffset).value_or("");
    dead_by_position[{std::string(partition), std::string(offset)}] = &letter.record;
  }
  for (const store::DeadLetter& row : stored_dead) {
    const auto found = dead_by_position.find({std::to_string(row.partition), std::to_string(row.offset)});
    if (found == dead_by_position.end()) {
      ADD_FAILURE() << "stored dead letter at " << row.partition << "/" << row.offset << " not in the topic";
      continue;
    }
    SCOPED_TRACE(found->second->key);
    EXPECT_EQ(row.topic, topic);
    EXPECT_EQ(row.reason, found->second->header(headers::kReason));
    EXPECT_TRUE(same_bytes(row.payload, found->second->value));
  }

  // Every good record, field by field, and nothing else.
  const store::Stats stats = kafka_support::expect_ok(store->stats());
  EXPECT_EQ(stats.observations, static_cast<std::int64_t>(expected.size()));
  EXPECT_EQ(stats.dead_letters, static_cast<std::int64_t>(cases.size()));
  std::vector<Observation> stored = kafka_support::expect_ok(store->latest(std::nullopt));
  ASSERT_EQ(stored.size(), expected.size());
  std::sort(stored.begin(), stored.end(), [](const auto& a, const auto& b) { return a.city_id < b.city_id; });
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_TRUE(stored[i] == expected[i]) << "stored   " << json_of(stored[i]) << "\nexpected " << json_of(expected[i]);
  }
}

std::string backend_name(const testing::TestParamInfo<Backend>& backend) {
  return backend.param == Backend::embedded ? "Embedded" : "Kafka";
}

void PrintTo(Backend backend, std::ostream* out) { *out << (backend == Backend::embedded ? "embedded" : "kafka"); }

INSTANTIATE_TEST_SUITE_P(Backends, BadInputTest, ::testing::Values(Backend::embedded, Backend::kafka), backend_name);

}  // namespace
}  // namespace squall::processor
