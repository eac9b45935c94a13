#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "sources/payload_scan.hpp"
#include "sources/source.hpp"
#include "test_support/temp_dir.hpp"

namespace squall::sources {
namespace {

const std::string kChicago =
    R"({"coord":{"lon":-87.65,"lat":41.85},"weather":[{"id":803,"main":"Clouds","description":"broken clouds","icon":"04d"}],"base":"stations","main":{"temp":281.52,"feels_like":278.99,"temp_min":280.15,"temp_max":283.71,"pressure":1016,"humidity":93},"wind":{"speed":4.63,"deg":180},"clouds":{"all":75},"dt":1700000000,"sys":{"type":2,"id":2075214,"country":"US","sunrise":1699964400,"sunset":1700000940},"timezone":-21600,"id":4887398,"name":"Chicago","cod":200})";
const std::string kSaoPaulo =
    R"({"weather":[{"id":500}],"main":{"temp":21.5},"dt":1700000600,"sys":{"id":8394},"id":3448439,"name":"São Paulo","cod":200})";
const std::string kNotJson = R"(<html><body>502 Bad Gateway "quoted" \ </body></html>)";

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream file(path, std::ios::binary);
  file << bytes;
}

std::unique_ptr<Source> replay(const ReplayOptions& options) {
  auto source = make_replay(options);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  return std::move(source).value();
}

std::vector<RawObservation> drain(Source& source, std::size_t batch = 100) {
  std::vector<RawObservation> all;
  for (int call = 0; call < 10'000; ++call) {
    const auto state = source.next(all, batch, {});
    EXPECT_TRUE(state.ok()) << (state.ok() ? "" : state.error().message);
    if (!state.ok() || *state == SourceState::exhausted) break;
  }
  return all;
}

TEST(ReplayTest, PassesEveryLineOnByteForByte) {
  test::TempDir dir;
  ReplayOptions options;
  options.path = dir.file("in.ndjson");
  options.units = Units::metric;
  // CRLF endings, blank and whitespace-only lines, a bad line, no final newline.
  write_file(options.path, kChicago + "\r\n\n   \r\n" + kNotJson + "\n\t\n" + kSaoPaulo);
  const auto observations = drain(*replay(options));
  ASSERT_EQ(observations.size(), 3u);
  EXPECT_EQ(observations[0].payload, kChicago);
  EXPECT_EQ(observations[1].payload, kNotJson);
  EXPECT_EQ(observations[2].payload, kSaoPaulo);
  EXPECT_EQ(observations[0].city_id, 4887398);
  EXPECT_EQ(observations[1].city_id, 0);
  EXPECT_EQ(observations[2].city_id, 3448439);
  for (const auto& raw : observations) {
    EXPECT_EQ(raw.units, Units::metric);
    EXPECT_GT(raw.fetched_at_ms, 0);
  }
}

TEST(ReplayTest, EndsAfterMaxEvents) {
  test::TempDir dir;
  ReplayOptions options;
  options.path = dir.file("in.ndjson");
  options.max_events = 3;
  std::string content;
  for (int i = 0; i < 5; ++i) content += kChicago + "\n";
  write_file(options.path, content);
  auto source = replay(options);
  std::vector<RawObservation> out;
  const auto state = source->next(out, 100, {});
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, SourceState::exhausted);
  EXPECT_EQ(out.size(), 3u);
}

TEST(ReplayTest, HonoursTheBatchLimit) {
  test::TempDir dir;
  ReplayOptions options;
  options.path = dir.file("in.ndjson");
  write_file(options.path, kChicago + "\n" + kChicago + "\n" + kChicago + "\n");
  auto source = replay(options);
  std::vector<RawObservation> out;
  auto state = source->next(out, 2, {});
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, SourceState::more);
  EXPECT_EQ(out.size(), 2u);
  state = source->next(out, 2, {});
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, SourceState::exhausted);
  EXPECT_EQ(out.size(), 3u);
}

TEST(ReplayTest, EmptyFileIsExhaustedAtOnce) {
  test::TempDir dir;
  ReplayOptions options;
  options.path = dir.file("empty.ndjson");
  write_file(options.path, "");
  EXPECT_TRUE(drain(*replay(options)).empty());
}

TEST(ReplayTest, StreamsLongFiles) {
  test::TempDir dir;
  ReplayOptions options;
  options.path = dir.file("long.ndjson");
  std::string content;
  for (int i = 0; i < 20'000; ++i) content += kSaoPaulo + "\n";
  write_file(options.path, content);
  const auto observations = drain(*replay(options), 5000);
  ASSERT_EQ(observations.size(), 20'000u);
  EXPECT_EQ(observations.back().payload, kSaoPaulo);
}

TEST(ReplayTest, MissingFileIsAnErrorNamingThePath) {
  test::TempDir dir;
  ReplayOptions options;
  options.path = dir.file("missing.ndjson");
  auto source = make_replay(options);
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.error().code, Errc::io);
  EXPECT_NE(source.error().message.find(options.path), std::string::npos) << source.error().message;
}

TEST(ReplayTest, StopInterruptsAPacedReplay) {
  test::TempDir dir;
  ReplayOptions options;
  options.path = dir.file("in.ndjson");
  options.rate = 0.001;
  write_file(options.path, kChicago + "\n" + kChicago + "\n");
  auto source = replay(options);
  std::vector<RawObservation> out;
  ASSERT_TRUE(source->next(out, 10, {}).ok());
  ASSERT_EQ(out.size(), 1u);
  std::stop_source stop;
  auto blocked = std::async(std::launch::async, [&] { return source->next(out, 10, stop.get_token()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  stop.request_stop();
  const auto state = blocked.get();
  ASSERT_TRUE(state.ok());
  EXPECT_EQ(*state, SourceState::more);
  EXPECT_EQ(out.size(), 1u);
}

TEST(PayloadScanTest, FindsTheTopLevelIdPastNestedOnes) {
  EXPECT_EQ(find_top_level_id(kChicago), 4887398);
  EXPECT_EQ(find_top_level_id(R"({"sys":{"id":5},"weather":[{"id":800}],"id" : -42})"), -42);
}

TEST(PayloadScanTest, IgnoresIdsInsideStrings) {
  EXPECT_EQ(find_top_level_id(R"({"name":"\"id\":5","id":7})"), 7);
  EXPECT_EQ(find_top_level_id(R"({"name":"id","cod":200})"), std::nullopt);
}

TEST(PayloadScanTest, GivesUpOnAnythingButAnInteger) {
  EXPECT_EQ(find_top_level_id(R"({"id":"4887398"})"), std::nullopt);
  EXPECT_EQ(find_top_level_id(R"({"id":12.5})"), std::nullopt);
  EXPECT_EQ(find_top_level_id(R"({"cod":"404","message":"city not found"})"), std::nullopt);
  EXPECT_EQ(find_top_level_id("not json at all"), std::nullopt);
  EXPECT_EQ(find_top_level_id(R"({"name":"unterminated)"), std::nullopt);
  EXPECT_EQ(find_top_level_id(""), std::nullopt);
}

}  // namespace
}  // namespace squall::sources
