#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "sources/fake_owm_server.hpp"
#include "sources/log_capture.hpp"
#include "sources/source.hpp"
#include "test_support/temp_dir.hpp"

namespace squall::sources {
namespace {

// Characters that must be percent-encoded, to prove the key is escaped and
// that its escaped form is redacted too.
const std::string kKey = "s3cret-K3Y+/=4f2a9";

// A response with the shape of a recorded OWM body.
std::string owm_body(std::int64_t city_id) {
  return fmt::format(
      R"({{"coord":{{"lon":-87.65,"lat":41.85}},"weather":[{{"id":803,"main":"Clouds","description":"broken clouds","icon":"04d"}}],"base":"stations","main":{{"temp":281.52,"feels_like":278.99,"temp_min":280.15,"temp_max":283.71,"pressure":1016,"humidity":93,"sea_level":1016,"grnd_level":991}},"visibility":10000,"wind":{{"speed":4.63,"deg":180,"gust":7.2}},"rain":{{"1h":0.25}},"clouds":{{"all":75}},"dt":1700000000,"sys":{{"type":2,"id":2075214,"country":"US","sunrise":1699964400,"sunset":1700000940}},"timezone":-21600,"id":{},"name":"Chicago","cod":200}})",
      city_id);
}

std::int64_t requested_id(const httplib::Request& request) { return std::stoll(request.get_param_value("id")); }

void serve_body(httplib::Response& response, int status, const std::string& body) {
  response.status = status;
  response.set_content(body, "application/json; charset=utf-8");
}

void serve_observation(const httplib::Request& request, httplib::Response& response) {
  serve_body(response, 200, owm_body(requested_id(request)));
}

OpenWeatherOptions options_for(const test::FakeOwmServer& server, std::vector<std::int64_t> city_ids) {
  OpenWeatherOptions options;
  options.base_url = server.base_url();
  options.api_key = kKey;
  options.city_ids = std::move(city_ids);
  options.units = Units::metric;
  options.poll_interval_ms = 1;
  options.timeout_ms = 2000;
  options.max_retries = 3;
  options.backoff_initial_ms = 1;
  options.backoff_max_ms = 5;
  return options;
}

std::unique_ptr<Source> openweather(const OpenWeatherOptions& options) {
  auto source = make_openweather(options);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  return std::move(source).value();
}

struct Drained {
  std::vector<RawObservation> observations;
  std::optional<Error> error;
};

// Calls next() until the source is exhausted or fails, at most `calls` times.
Drained drain(Source& source, int calls = 50) {
  Drained result;
  for (int call = 0; call < calls; ++call) {
    const auto state = source.next(result.observations, 100, {});
    if (!state.ok()) {
      result.error = state.error();
      break;
    }
    if (*state == SourceState::exhausted) break;
  }
  return result;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(OpenWeatherTest, FetchesEveryCityAndPassesBodiesOn) {
  test::FakeOwmServer server([](const auto& request, auto& response, int) { serve_observation(request, response); });
  auto options = options_for(server, {4887398, 4164138, 5391959});
  options.max_events = 3;
  const Drained result = drain(*openweather(options));
  ASSERT_FALSE(result.error);
  ASSERT_EQ(result.observations.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& raw = result.observations[i];
    EXPECT_EQ(raw.city_id, options.city_ids[i]);
    EXPECT_EQ(raw.payload, owm_body(options.city_ids[i]));
    EXPECT_EQ(raw.units, Units::metric);
    EXPECT_GT(raw.fetched_at_ms, 0);
  }
  const auto queries = server.queries();
  ASSERT_EQ(queries.size(), 3u);
  for (const auto& query : queries) {
    EXPECT_EQ(query.find("appid")->second, kKey);  // arrives intact after percent-encoding
    EXPECT_EQ(query.find("units")->second, "metric");
  }
}

TEST(OpenWeatherTest, PollsAgainEveryCycle) {
  test::FakeOwmServer server([](const auto& request, auto& response, int) { serve_observation(request, response); });
  auto options = options_for(server, {1, 2});
  options.max_events = 6;
  const Drained result = drain(*openweather(options));
  ASSERT_EQ(result.observations.size(), 6u);
  std::vector<std::int64_t> order;
  for (const auto& raw : result.observations) order.push_back(raw.city_id);
  EXPECT_EQ(order, (std::vector<std::int64_t>{1, 2, 1, 2, 1, 2}));
  EXPECT_EQ(server.requests(), 6);
}

TEST(OpenWeatherTest, RefusedKeyFailsFastWithoutRetrying) {
  test::FakeOwmServer server([](const auto&, auto& response, int) {
    serve_body(response, 401,
               R"({"cod":401, "message": "Invalid API key. Please see )"
               R"(https://openweathermap.org/faq#error401 for more info."})");
  });
  const Drained result = drain(*openweather(options_for(server, {4887398, 4164138})));
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->code, Errc::auth);
  EXPECT_TRUE(contains(result.error->message, "OPENWEATHER_API_KEY")) << result.error->message;
  EXPECT_TRUE(contains(result.error->message, "refused")) << result.error->message;
  EXPECT_FALSE(contains(result.error->message, kKey));
  EXPECT_EQ(server.requests(), 1);
  EXPECT_TRUE(result.observations.empty());
}

TEST(OpenWeatherTest, UnknownCityIsReportedAndTheOthersFetched) {
  test::LogCapture log;
  test::FakeOwmServer server([](const auto& request, auto& response, int) {
    if (requested_id(request) == 111) {
      serve_body(response, 404, R"({"cod":"404","message":"city not found"})");
    } else {
      serve_observation(request, response);
    }
  });
  auto options = options_for(server, {111, 4887398});
  options.max_events = 1;
  const Drained result = drain(*openweather(options));
  ASSERT_FALSE(result.error);
  ASSERT_EQ(result.observations.size(), 1u);
  EXPECT_EQ(result.observations[0].city_id, 4887398);
  EXPECT_TRUE(contains(log.text(), "city 111 not found")) << log.text();
  EXPECT_EQ(server.requests(), 2);  // a 404 is not retried
}

TEST(OpenWeatherTest, RateLimitIsRetriedAfterRetryAfter) {
  test::FakeOwmServer server([](const auto& request, auto& response, int number) {
    if (number == 1) {
      response.set_header("Retry-After", "1");
      serve_body(response, 429, R"({"cod":429,"message":"Your account is temporary blocked"})");
    } else {
      serve_observation(request, response);
    }
  });
  auto options = options_for(server, {4887398});
  options.max_events = 1;
  const Drained result = drain(*openweather(options));
  ASSERT_FALSE(result.error);
  ASSERT_EQ(result.observations.size(), 1u);
  EXPECT_EQ(result.observations[0].payload, owm_body(4887398));
  EXPECT_EQ(server.requests(), 2);
}

TEST(OpenWeatherTest, ServerErrorIsRetried) {
  test::FakeOwmServer server([](const auto& request, auto& response, int number) {
    if (number == 1) {
      serve_body(response, 500, "Internal Server Error");
    } else {
      serve_observation(request, response);
    }
  });
  auto options = options_for(server, {4887398});
  options.max_events = 1;
  const Drained result = drain(*openweather(options));
  ASSERT_EQ(result.observations.size(), 1u);
  EXPECT_EQ(server.requests(), 2);
}

// Every response is counted by status for /metrics, failures included.
TEST(OpenWeatherTest, CountsResponsesByStatus) {
  test::FakeOwmServer server([](const auto& request, auto& response, int number) {
    if (number == 1) {
      serve_body(response, 500, "Internal Server Error");
    } else if (number == 2) {
      serve_body(response, 429, "slow down");
    } else {
      serve_observation(request, response);
    }
  });
  auto options = options_for(server, {4887398});
  options.max_events = 2;
  auto source = openweather(options);
  ASSERT_EQ(drain(*source).observations.size(), 2u);
  std::map<std::string, double> by_status;
  for (const auto& family : source->collect_metrics()) {
    ASSERT_EQ(family.name, "squall_source_http_responses_total");
    for (const auto& metric : family.metric) by_status[metric.label.at(0).value] = metric.counter.value;
  }
  EXPECT_EQ(by_status, (std::map<std::string, double>{{"200", 2}, {"429", 1}, {"500", 1}}));
}

TEST(OpenWeatherTest, TimeoutIsRetried) {
  // The first request is answered only after the retry arrived, so it times
  // out however slow the machine; the retry has the whole timeout to be
  // answered (a fixed 600 ms stall against a 200 ms timeout left the retry
  // too little time under ThreadSanitizer on a busy machine).
  std::promise<void> retry_arrived;
  const std::shared_future<void> retried = retry_arrived.get_future().share();
  test::FakeOwmServer server([&](const auto& request, auto& response, int number) {
    if (number == 1) retried.wait_for(std::chrono::seconds(30));
    if (number == 2) retry_arrived.set_value();
    serve_observation(request, response);
  });
  auto options = options_for(server, {4887398});
  options.timeout_ms = 1000;
  options.max_events = 1;
  const Drained result = drain(*openweather(options));
  ASSERT_FALSE(result.error);
  ASSERT_EQ(result.observations.size(), 1u);
  EXPECT_EQ(server.requests(), 2);
}

TEST(OpenWeatherTest, MalformedBodyIsPassedOnForTheProcessorToJudge) {
  const std::string broken = R"({"coord":{"lon":-87.65,"lat":41.85},"main":{"temp": oops)";
  test::FakeOwmServer server([&](const auto&, auto& response, int) { serve_body(response, 200, broken); });
  auto options = options_for(server, {4887398});
  options.max_events = 1;
  const Drained result = drain(*openweather(options));
  ASSERT_EQ(result.observations.size(), 1u);
  EXPECT_EQ(result.observations[0].payload, broken);
  EXPECT_EQ(result.observations[0].city_id, 4887398);
}

TEST(OpenWeatherTest, GivesUpOnACityAfterTheRetriesAndGoesOn) {
  test::LogCapture log;
  test::FakeOwmServer server([](const auto& request, auto& response, int) {
    if (requested_id(request) == 500) {
      serve_body(response, 503, "Service Unavailable");
    } else {
      serve_observation(request, response);
    }
  });
  auto options = options_for(server, {500, 4887398});
  options.max_retries = 2;
  options.max_events = 1;
  const Drained result = drain(*openweather(options));
  ASSERT_FALSE(result.error);
  ASSERT_EQ(result.observations.size(), 1u);
  EXPECT_EQ(result.observations[0].city_id, 4887398);
  EXPECT_EQ(server.requests(), 4);  // three attempts for city 500, one for Chicago
  EXPECT_TRUE(contains(log.text(), "city 500: giving up after 3 attempts")) << log.text();
}

TEST(OpenWeatherTest, RecordedResponsesReplayIdentically) {
  test::TempDir dir;
  const std::string pretty = "{\n  \"id\": 5391959,\n  \"name\": \"San Francisco\",\n  \"cod\": 200\n}\n";
  test::FakeOwmServer server([&](const auto& request, auto& response, int) {
    if (requested_id(request) == 5391959) {
      serve_body(response, 200, pretty);
    } else {
      serve_observation(request, response);
    }
  });
  auto options = options_for(server, {4887398, 4164138, 5391959});
  options.record_path = dir.file("recorded.ndjson");
  options.max_events = 3;
  const Drained live = drain(*openweather(options));
  ASSERT_EQ(live.observations.size(), 3u);

  ReplayOptions replay_options;
  replay_options.path = options.record_path;
  replay_options.units = Units::metric;
  auto replay = make_replay(replay_options);
  ASSERT_TRUE(replay.ok());
  const Drained replayed = drain(**replay);
  ASSERT_EQ(replayed.observations.size(), 3u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(replayed.observations[i].payload, live.observations[i].payload);
    EXPECT_EQ(replayed.observations[i].city_id, live.observations[i].city_id);
    EXPECT_EQ(replayed.observations[i].units, live.observations[i].units);
  }
  // A body spread over several lines is recorded on one, its line breaks
  // (whitespace between JSON tokens) turned into spaces.
  EXPECT_EQ(replayed.observations[2].payload, "{   \"id\": 5391959,   \"name\": \"San Francisco\",   \"cod\": 200 } ");
  EXPECT_EQ(replayed.observations[2].city_id, 5391959);
}

TEST(OpenWeatherTest, StopInterruptsTheWaitForTheNextPoll) {
  test::FakeOwmServer server([](const auto& request, auto& response, int) { serve_observation(request, response); });
  auto options = options_for(server, {4887398});
  options.poll_interval_ms = 3'600'000;
  auto source = openweather(options);
  std::vector<RawObservation> out;
  ASSERT_TRUE(source->next(out, 10, {}).ok());
  ASSERT_EQ(out.size(), 1u);

  std::stop_source stop;
  auto blocked = std::async(std::launch::async, [&] { return source->next(out, 10, stop.get_token()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop.request_stop();
  const auto state = blocked.get();  // a hang here fails by test timeout
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, SourceState::more);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(server.requests(), 1);
}

TEST(OpenWeatherTest, RejectsMissingKeyAndCities) {
  OpenWeatherOptions options;
  auto no_key = make_openweather(options);
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().code, Errc::invalid_argument);
  EXPECT_TRUE(contains(no_key.error().message, "OPENWEATHER_API_KEY"));

  options.api_key = kKey;
  options.city_ids.clear();
  auto no_cities = make_openweather(options);
  ASSERT_FALSE(no_cities.ok());
  EXPECT_EQ(no_cities.error().code, Errc::invalid_argument);
}

// Drives every failure the source can report and checks that neither the
// key nor its percent-encoded form shows up in any message or log line.
TEST(OpenWeatherTest, KeyNeverAppearsInErrorsOrLogs) {
  test::LogCapture log;
  std::vector<std::string> messages;
  const auto expect_error = [&](const OpenWeatherOptions& options) {
    auto source = make_openweather(options);
    if (!source.ok()) {
      messages.push_back(source.error().message);
      return;
    }
    const Drained result = drain(**source, 1);  // one polling cycle
    if (result.error) messages.push_back(result.error->message);
  };

  test::FakeOwmServer server([](const auto& request, auto& response, int) {
    const std::string echo = "you sent appid=" + request.get_param_value("appid");
    switch (requested_id(request)) {
      case 401: serve_body(response, 401, R"({"cod":401,"message":"Invalid API key )" + echo + "\"}"); break;
      case 404: serve_body(response, 404, R"({"cod":"404","message":"city not found"})"); break;
      case 400: serve_body(response, 400, R"({"cod":"400","message":")" + echo + "\"}"); break;
      case 429: serve_body(response, 429, echo); break;
      case 503: serve_body(response, 503, echo); break;
      default: std::this_thread::sleep_for(std::chrono::milliseconds(400)); serve_body(response, 200, "{}");
    }
  });
  auto options = options_for(server, {});
  options.max_retries = 1;
  options.timeout_ms = 150;
  options.poll_interval_ms = 0;
  options.max_events = 1;
  for (std::int64_t city : {401, 404, 400, 429, 503, 7 /* times out */}) {
    options.city_ids = {city};
    expect_error(options);
  }

  int closed_port = 0;
  {
    test::FakeOwmServer gone([](const auto&, auto&, int) {});
    closed_port = gone.port();
  }
  options.base_url = fmt::format("http://127.0.0.1:{}", closed_port);
  options.city_ids = {1};
  expect_error(options);  // connection refused

  options.base_url = "ftp://example.com/?appid=" + kKey;
  expect_error(options);
  options.base_url = server.base_url();
  options.record_path = "/nonexistent-dir/" + kKey + "/record.ndjson";
  expect_error(options);

  const std::string logged = log.text();
  EXPECT_TRUE(contains(logged, "city 404 not found")) << logged;
  EXPECT_TRUE(contains(logged, "city 400: unexpected HTTP 400")) << logged;
  EXPECT_TRUE(contains(logged, "city 429: giving up")) << logged;
  EXPECT_TRUE(contains(logged, "city 503: giving up")) << logged;
  EXPECT_TRUE(contains(logged, "city 7: giving up")) << logged;
  EXPECT_TRUE(contains(logged, "city 1: giving up")) << logged;
  ASSERT_GE(messages.size(), 3u);  // 401, bad URL, record file

  const std::string escaped_key = "s3cret-K3Y%2B%2F%3D4f2a9";
  for (const std::string& text : messages) {
    EXPECT_FALSE(contains(text, kKey)) << text;
    EXPECT_FALSE(contains(text, escaped_key)) << text;
  }
  EXPECT_FALSE(contains(logged, kKey)) << logged;
  EXPECT_FALSE(contains(logged, escaped_key)) << logged;
}

}  // namespace
}  // namespace squall::sources
