#include "ingest/ingest.hpp"

#include <deque>

#include <gtest/gtest.h>

#include "core/record_headers.hpp"

namespace squall::ingest {
namespace {

// A source that hands out scripted batches, then a scripted ending.
struct ScriptedSource : sources::Source {
  std::deque<std::vector<sources::RawObservation>> batches;
  Result<sources::SourceState> ending = sources::SourceState::exhausted;
  Result<sources::SourceState> next(std::vector<sources::RawObservation>& out, std::size_t max,
                                    std::stop_token) override {
    if (batches.empty()) return ending;
    for (std::size_t i = 0; i < batches.front().size() && i < max; ++i) out.push_back(batches.front()[i]);
    batches.pop_front();
    if (batches.empty()) return ending;
    return sources::SourceState::more;
  }
  std::string_view name() const override { return "scripted"; }
};

struct RecordingProducer : log::Producer {
  std::vector<std::pair<std::string, log::Record>> produced;
  int flushes = 0;
  Result<void> produce(std::string_view topic, std::span<const log::Record> records) override {
    for (const auto& r : records) produced.emplace_back(std::string(topic), r);
    return {};
  }
  Result<void> flush() override {
    ++flushes;
    return {};
  }
};

sources::RawObservation raw(std::int64_t city, std::string payload) {
  return sources::RawObservation{city, std::move(payload), 1700000000123, Units::metric};
}

TEST(ToRecord, KeysByCityAndCarriesSourceTimeAndUnits) {
  const log::Record record = to_record(raw(4887398, "{}"), "simulator");
  EXPECT_EQ(record.key, "4887398");
  EXPECT_EQ(record.value, "{}");
  EXPECT_EQ(record.timestamp_ms, 1700000000123);
  EXPECT_EQ(record.header(headers::kSource), "simulator");
  EXPECT_EQ(record.header(headers::kFetchedAtMs), "1700000000123");
  EXPECT_EQ(record.header(headers::kUnits), "metric");
}

TEST(Ingestor, ProducesEverythingThenFlushesAndFinishes) {
  ScriptedSource source;
  source.batches = {{raw(1, "a"), raw(2, "b")}, {raw(3, "c")}};
  RecordingProducer producer;
  Ingestor ingestor(source, producer, IngestOptions{"weather", 100});
  ASSERT_TRUE(ingestor.run({}).ok());
  ASSERT_EQ(producer.produced.size(), 3u);
  EXPECT_EQ(producer.produced[2].first, "weather");
  EXPECT_EQ(producer.produced[2].second.value, "c");
  EXPECT_EQ(producer.flushes, 1);
  EXPECT_EQ(ingestor.counters().produced.load(), 3);
  EXPECT_TRUE(ingestor.counters().finished.load());
}

TEST(Ingestor, FetchedDataIsProducedEvenWhenTheSourceThenFails) {
  ScriptedSource source;
  source.batches = {{raw(1, "a")}};
  source.ending = make_error(Errc::auth, "key refused");
  RecordingProducer producer;
  Ingestor ingestor(source, producer, IngestOptions{});
  auto result = ingestor.run({});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, Errc::auth);
  EXPECT_EQ(producer.produced.size(), 1u);
  EXPECT_EQ(producer.flushes, 1);
  EXPECT_FALSE(ingestor.counters().finished.load());
}

TEST(Ingestor, StopFlushesWithoutClaimingTheSourceFinished) {
  ScriptedSource source;
  source.batches = {{raw(1, "a")}, {raw(2, "b")}, {raw(3, "c")}};
  RecordingProducer producer;
  std::stop_source stop;
  stop.request_stop();
  Ingestor ingestor(source, producer, IngestOptions{});
  ASSERT_TRUE(ingestor.run(stop.get_token()).ok());
  EXPECT_EQ(producer.produced.size(), 1u);  // the batch in hand is produced, then it stops
  EXPECT_EQ(producer.flushes, 1);
  EXPECT_FALSE(ingestor.counters().finished.load());
}

}  // namespace
}  // namespace squall::ingest
