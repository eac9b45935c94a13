#include "serve/api.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "store/sample_observations.hpp"
#include "test_support/temp_dir.hpp"

namespace squall::serve {
namespace {

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    backends_.store.data_dir = backends_.log.data_dir = dir_.path().string();
    backends_.store.sync_full = backends_.log.sync_full = false;
    auto store = store::open_store(backends_.store);
    EXPECT_TRUE(store.ok()) << store.error().message;
    writer_ = std::move(store).value();
  }

  Api api(LivePipeline live = {}) {
    auto store = store::open_store(backends_.store);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return Api(std::move(store).value(), backends_, live);
  }

  // As a processor writes a batch that carries a checkpoint: its
  // observations are also the candidates for latest_by_city.
  void write(store::WriteBatch batch) {
    if (batch.latest.empty()) batch.latest = batch.observations;
    auto written = writer_->write(batch);
    ASSERT_TRUE(written.ok()) << written.error().message;
  }

  // Parses a response body, failing the test when it is not JSON.
  simdjson::dom::element parse(const Response& response) {
    EXPECT_EQ(response.content_type, "application/json");
    auto parsed = parser_.parse(response.body);
    EXPECT_FALSE(parsed.error()) << response.body;
    return parsed.value_unsafe();
  }

  test::TempDir dir_;
  Backends backends_;
  std::unique_ptr<store::Store> writer_;
  simdjson::dom::parser parser_;
};

TEST_F(ApiTest, LatestListsTheNewestObservationOfEachCity) {
  write({std::vector<Observation>{test::full_observation(4887398, 1700000000), test::full_observation(4887398, 1700000600),
                                  test::full_observation(4164138, 1700000000)}});
  auto server = api();
  const Response response = server.latest({});
  ASSERT_EQ(response.status, 200) << response.body;
  simdjson::dom::array rows = parse(response).get_array();
  ASSERT_EQ(rows.size(), 2u);
  for (simdjson::dom::element row : rows) {
    if (std::int64_t(row["city_id"]) == 4887398) {
      EXPECT_EQ(std::string_view(row["observed_at"]), "2023-11-14T22:23:20Z");
    }
  }
  EXPECT_EQ(parse(server.latest({{"city", "4164138"}})).get_array().size(), 1u);
}

TEST_F(ApiTest, HistoryIsNewestFirstAndBoundedByLimit) {
  std::vector<Observation> rows;
  for (int i = 0; i < 5; ++i) rows.push_back(test::full_observation(4887398, 1700000000 + i * 600));
  write({rows});
  auto server = api();
  simdjson::dom::array all = parse(server.history({{"city", "4887398"}})).get_array();
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(std::string_view(all.at(0)["observed_at"]), "2023-11-14T22:53:20Z");
  EXPECT_EQ(parse(server.history({{"city", "4887398"}, {"limit", "2"}})).get_array().size(), 2u);
  // 2023 is far more than a day ago.
  EXPECT_EQ(parse(server.history({{"city", "4887398"}, {"since", "1d"}})).get_array().size(), 0u);
}

TEST_F(ApiTest, BadParametersAreA400ThatSaysWhatToSend) {
  auto server = api();
  const auto expect_400 = [&](const Response& response, std::string_view mentions) {
    EXPECT_EQ(response.status, 400);
    EXPECT_NE(response.body.find(mentions), std::string::npos) << response.body;
    EXPECT_FALSE(parse(response)["error"].error());
  };
  expect_400(server.history({}), "city: required");
  expect_400(server.history({{"city", "chicago"}}), "positive city id");
  expect_400(server.history({{"city", "-3"}}), "positive city id");
  expect_400(server.history({{"city", "1"}, {"limit", "0"}}), "limit");
  expect_400(server.history({{"city", "1"}, {"limit", "99999999"}}), "limit");
  expect_400(server.history({{"city", "1"}, {"since", "yesterday"}}), "since");
  expect_400(server.windows({{"window", "hourly"}}), "window");
  expect_400(server.latest({{"city", "1x"}}), "city");
}

TEST_F(ApiTest, WindowsFilterByCityAndSize) {
  store::WindowRow hour;
  hour.city_id = 4887398;
  hour.window = "1h";
  hour.window_start = 1699999200;
  hour.window_end = 1700002800;
  hour.count = 6;
  hour.temp_min_c = 7;
  hour.temp_avg_c = 8;
  hour.temp_max_c = 9;
  store::WindowRow day = hour;
  day.window = "1d";
  day.window_start = 1699920000;
  day.window_end = 1700006400;
  store::WindowRow other = hour;
  other.city_id = 4164138;
  write({.windows = std::vector<store::WindowRow>{hour, day, other}});
  auto server = api();
  EXPECT_EQ(parse(server.windows({})).get_array().size(), 3u);
  simdjson::dom::array hours = parse(server.windows({{"city", "4887398"}, {"window", "1h"}})).get_array();
  ASSERT_EQ(hours.size(), 1u);
  EXPECT_EQ(std::int64_t(hours.at(0)["count"]), 6);
  EXPECT_EQ(bool(hours.at(0)["final"]), false);
}

TEST_F(ApiTest, AnAlertIsActiveUntilItsCityAndRuleClear) {
  const std::vector<store::AlertRow> events{
      {4887398, 1700000000, "gale", true, 18.0, "wind_speed_ms > 17.2"},
      {4887398, 1700000600, "gale", false, 12.0, "wind_speed_ms < 14"},
      {4164138, 1700000000, "gale", true, 19.0, "wind_speed_ms > 17.2"},
      {4164138, 1700000000, "heat", true, 41.0, "temp_c > 40"},
  };
  write({.alerts = events});
  auto server = api();
  simdjson::dom::element body = parse(server.alerts({}));
  simdjson::dom::array active = body["active"].get_array();
  ASSERT_EQ(active.size(), 2u);
  for (simdjson::dom::element alert : active) {
    EXPECT_EQ(std::int64_t(alert["city_id"]), 4164138);
    EXPECT_EQ(std::string_view(alert["state"]), "raised");
  }
  EXPECT_EQ(body["recent"].get_array().size(), 4u);
  EXPECT_EQ(parse(server.alerts({{"city", "4887398"}}))["active"].get_array().size(), 0u);
}

TEST_F(ApiTest, PipelineShowsLiveCountersWhenTheStagesRunHere) {
  ingest::IngestCounters ingest;
  processor::ProcessorCounters processor;
  ingest.produced = 120;
  processor.consumed = 100;
  processor.observations = 90;
  processor.dead_letters = 7;
  processor.late = 3;
  processor.lag = 20;
  auto server = api(LivePipeline{&ingest, nullptr, &processor});
  simdjson::dom::element body = parse(server.pipeline());
  EXPECT_EQ(bool(body["in_process"]), true);
  EXPECT_EQ(std::int64_t(body["produced"]), 120);
  EXPECT_EQ(std::int64_t(body["consumed"]), 100);
  EXPECT_EQ(std::int64_t(body["stored"]), 90);
  EXPECT_EQ(std::int64_t(body["dead_letters"]), 7);
  EXPECT_EQ(std::int64_t(body["late_records"]), 3);
  EXPECT_EQ(std::int64_t(body["lag"]), 20);
  EXPECT_EQ(std::string_view(body["log"]), "embedded");
  EXPECT_EQ(std::string_view(body["store"]), "sqlite");
  EXPECT_TRUE(body["latency_ms"].is_null()) << "nothing stored yet";
}

TEST_F(ApiTest, PipelineFallsBackToTheStoresTotalsWhenServedAlone) {
  write({std::vector<Observation>{test::full_observation(1, 1700000000), test::full_observation(2, 1700000000)},
         std::vector<store::DeadLetter>{{"weather", 0, 5, "missing field dt", "{}", 1700000000000}}});
  auto server = api();
  simdjson::dom::element body = parse(server.pipeline());
  EXPECT_EQ(bool(body["in_process"]), false);
  EXPECT_TRUE(body["produced"].is_null());
  EXPECT_TRUE(body["lag"].is_null());
  EXPECT_EQ(std::int64_t(body["stored"]), 2);
  EXPECT_EQ(std::int64_t(body["dead_letters"]), 1);
  EXPECT_EQ(std::int64_t(body["store_totals"]["cities"]), 2);
}

TEST_F(ApiTest, MetricsAreInThePrometheusTextFormat) {
  ingest::IngestCounters ingest;
  processor::ProcessorCounters processor;
  ingest.fetched = 12;
  ingest.produced = 12;
  processor.consumed = 12;
  processor.dead_letter_kinds.Add({{"kind", "missing_field"}}).Increment(2);
  processor.produce_to_stored.Observe(0.02);
  auto server = api(LivePipeline{&ingest, nullptr, &processor});
  const Response response = server.metrics();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; version=0.0.4; charset=utf-8");
  for (const char* expected :
       {"# TYPE squall_ingest_records_in_total counter", "squall_ingest_records_out_total 12",
        "squall_processor_records_in_total 12", "squall_processor_dead_letters_total{kind=\"missing_field\"} 2",
        "# TYPE squall_produce_to_stored_seconds histogram", "squall_produce_to_stored_seconds_count 1",
        "squall_produce_to_stored_seconds_bucket{le=\"0.025\"} 1", "squall_store_observations 0",
        "squall_uptime_seconds", "# TYPE process_resident_memory_bytes gauge", "process_cpu_seconds_total"}) {
    EXPECT_NE(response.body.find(expected), std::string::npos) << expected << "\n" << response.body;
  }
}

// A store whose server went away: every call fails, as a Cassandra store's
// does when no node answers.
struct UnreachableStore : store::Store {
  static Error down() { return make_error(Errc::unavailable, "store down: no node answered"); }
  Result<void> write(const store::WriteBatch&) override { return down(); }
  Result<std::vector<Observation>> latest(std::optional<std::int64_t>) override { return down(); }
  Result<std::vector<Observation>> history(const store::HistoryQuery&) override { return down(); }
  Result<std::vector<store::DeadLetter>> dead_letters(std::size_t) override { return down(); }
  Result<store::Stats> stats() override { return down(); }
  Result<std::vector<store::WindowRow>> windows(const store::WindowQuery&) override { return down(); }
  Result<std::vector<store::AlertRow>> alerts(const store::AlertQuery&) override { return down(); }
  Result<std::optional<store::Checkpoint>> checkpoint(const std::string&, const std::string&,
                                                      std::int32_t) override {
    return down();
  }
};

TEST_F(ApiTest, ReadyWhenTheLogAndStoreAnswer) {
  auto server = api();
  const Response ready = server.ready();
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(bool(parse(ready)["ready"]), true);

  backends_.log.url = "kafka://127.0.0.1:1";  // nothing listens there
  backends_.log.kafka_timeout_ms = 500;
  auto unreachable = api();
  const Response not_ready = unreachable.ready();
  EXPECT_EQ(not_ready.status, 503);
  simdjson::dom::element body = parse(not_ready);
  EXPECT_EQ(bool(body["ready"]), false);
  EXPECT_NE(std::string_view(body["log"]), "ok");
  EXPECT_EQ(std::string_view(body["store"]), "ok");
}

TEST_F(ApiTest, NotReadyWhenTheStoreIsDown) {
  Api server(std::make_unique<UnreachableStore>(), backends_, {});
  const Response not_ready = server.ready();
  EXPECT_EQ(not_ready.status, 503);
  simdjson::dom::element body = parse(not_ready);
  EXPECT_EQ(bool(body["ready"]), false);
  EXPECT_EQ(std::string_view(body["log"]), "ok");
  EXPECT_EQ(std::string_view(body["store"]), "store down: no node answered");
}

}  // namespace
}  // namespace squall::serve
