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
  std::size_t max_record_bytes() const override { return max_bytes; }
  std::size_t max_bytes = 1'000'000;
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

TEST(FitToLog, ARecordWithinTheLimitIsLeftAlone) {
  log::Record record = to_record(raw(1, std::string(500, 'x')), "replay");
  const log::Record before = record;
  EXPECT_FALSE(fit_to_log(record, log::record_bytes(record)));
  EXPECT_EQ(record, before);
}

TEST(FitToLog, AnOversizedRecordKeepsItsStartAndSaysHowLargeItWas) {
  log::Record record = to_record(raw(1, "{\"id\":1," + std::string(5000, ' ') + "}"), "replay");
  ASSERT_TRUE(fit_to_log(record, 2000));
  EXPECT_EQ(record.value.size(), 1024u);
  EXPECT_TRUE(record.value.starts_with("{\"id\":1,"));
  EXPECT_EQ(record.header(headers::kTruncatedFromBytes), "5009");
  EXPECT_EQ(record.header(headers::kSource), "replay");  // the other headers stay
  EXPECT_LE(log::record_bytes(record), 2000u);
}

TEST(FitToLog, UnderATightLimitTheMarkerStillFits) {
  log::Record record = to_record(raw(1, std::string(5000, 'x')), "replay");
  ASSERT_TRUE(fit_to_log(record, 150));
  EXPECT_LT(record.value.size(), 1024u);
  EXPECT_EQ(record.header(headers::kTruncatedFromBytes), "5000");
  EXPECT_LE(log::record_bytes(record), 150u);
}

TEST(Ingestor, AResponseTooLargeForTheLogGoesOnCutAndMarkedBetweenItsNeighbours) {
  ScriptedSource source;
  source.batches = {{raw(1, "a"), raw(2, std::string(5000, 'x')), raw(3, "c")}};
  RecordingProducer producer;
  producer.max_bytes = 2000;
  Ingestor ingestor(source, producer, IngestOptions{});
  ASSERT_TRUE(ingestor.run({}).ok());
  ASSERT_EQ(producer.produced.size(), 3u);
  EXPECT_EQ(producer.produced[0].second.value, "a");
  EXPECT_EQ(producer.produced[1].second.value, std::string(1024, 'x'));
  EXPECT_EQ(producer.produced[1].second.header(headers::kTruncatedFromBytes), "5000");
  EXPECT_EQ(producer.produced[2].second.value, "c");
  EXPECT_FALSE(producer.produced[2].second.header(headers::kTruncatedFromBytes).has_value());
  EXPECT_EQ(ingestor.counters().produced.load(), 3);
  EXPECT_EQ(ingestor.counters().truncated.load(), 1);
}

}  // namespace
}  // namespace squall::ingest
