#include "cli/output.hpp"
#include "store/row_json.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace squall::cli {
namespace {

Observation sample() {
  Observation o;
  o.city_id = 4887398;
  o.city = "Chicago";
  o.country = "US";
  o.observed_at = 1700000000;
  o.lat = 41.85;
  o.lon = -87.65;
  o.temp_c = 8.37;
  o.humidity_pct = 93;
  o.wind_speed_ms = 4.63;
  o.condition = "Clouds";
  o.description = "broken clouds";
  o.source = "simulator";
  return o;
}

TEST(Output, JsonHasEveryFieldAndNullForMissingValues) {
  std::string out;
  store::append_json(out, sample());
  EXPECT_NE(out.find("\"city_id\":4887398"), std::string::npos);
  EXPECT_NE(out.find("\"observed_at\":\"2023-11-14T22:13:20Z\""), std::string::npos);
  EXPECT_NE(out.find("\"temp_c\":8.37"), std::string::npos);
  EXPECT_NE(out.find("\"wind_gust_ms\":null"), std::string::npos);
  EXPECT_NE(out.find("\"rain_1h_mm\":null"), std::string::npos);
  EXPECT_NE(out.find("\"snow_1h_mm\":null"), std::string::npos);
  EXPECT_NE(out.find("\"visibility_m\":null"), std::string::npos);
  EXPECT_NE(out.find("\"description\":\"broken clouds\""), std::string::npos);
}

TEST(Output, JsonArrayOfRows) {
  std::vector<Observation> rows{sample(), sample()};
  rows[1].city = "São Paulo";
  const std::string out = render_observations(rows, Format::json);
  EXPECT_EQ(out.front(), '[');
  EXPECT_NE(out.find("São Paulo"), std::string::npos);
  EXPECT_EQ(render_observations({}, Format::json), "[]\n");
}

TEST(Output, TableAlignsUtf8ByCodePoints) {
  const std::string table = render_table({{"city", "x"}, {"Zürich", "1"}, {"Miami", "2"}});
  EXPECT_EQ(table, "city    x\nZürich  1\nMiami   2\n");
}

TEST(Output, TableShowsTheHeaderAndOneLinePerRow) {
  std::vector<Observation> rows{sample()};
  const std::string table = render_observations(rows, Format::table);
  EXPECT_EQ(table.rfind("city_id", 0), 0u);
  EXPECT_NE(table.find("Chicago"), std::string::npos);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 2);
}

TEST(Output, StatsAsJsonIsOneObject) {
  store::Stats stats;
  stats.observations = 10;
  stats.cities = 2;
  stats.dead_letters = 1;
  stats.windows = 4;
  stats.late_records = 3;
  stats.oldest_observed_at = 1700000000;
  EXPECT_EQ(render_stats(stats, Format::json),
            "{\"observations\":10,\"cities\":2,\"dead_letters\":1,\"windows\":4,\"late_records\":3,"
            "\"alerts\":0,\"oldest_observed_at\":\"2023-11-14T22:13:20Z\",\"newest_observed_at\":null}\n");
}

TEST(Output, WindowsAsJsonAndTable) {
  store::WindowRow w;
  w.city_id = 7;
  w.window = "1h";
  w.window_start = 1699999200;
  w.window_end = 1700002800;
  w.count = 6;
  w.temp_min_c = 1.5;
  w.temp_avg_c = 2.25;
  w.temp_max_c = 3;
  w.rain_mm = 0.5;
  w.final = true;
  const std::vector<store::WindowRow> rows{w};
  EXPECT_EQ(render_windows(rows, Format::json),
            "[{\"city_id\":7,\"window\":\"1h\",\"window_start\":\"2023-11-14T22:00:00Z\","
            "\"window_end\":\"2023-11-14T23:00:00Z\",\"count\":6,\"temp_min_c\":1.5,\"temp_avg_c\":2.25,"
            "\"temp_max_c\":3,\"wind_max_ms\":null,\"wind_avg_ms\":null,\"gust_max_ms\":null,"
            "\"humidity_avg_pct\":null,\"pressure_avg_hpa\":null,\"rain_mm\":0.5,\"snow_mm\":null,\"final\":true}]\n");
  const std::string table = render_windows(rows, Format::table);
  EXPECT_NE(table.find("final"), std::string::npos);
  EXPECT_NE(table.find("2.25"), std::string::npos);
}

TEST(Output, DeadLettersKeepReasonAndPayload) {
  std::vector<store::DeadLetter> rows{{"weather", 1, 42, "missing field dt", "{\"id\":1}", 1700000000000}};
  const std::string json = render_dead_letters(rows, Format::json);
  EXPECT_NE(json.find("\"reason\":\"missing field dt\""), std::string::npos);
  EXPECT_NE(json.find("\"payload\":\"{\\\"id\\\":1}\""), std::string::npos);
  const std::string csv = render_dead_letters(rows, Format::csv);
  EXPECT_NE(csv.find("\"{\"\"id\"\":1}\""), std::string::npos) << csv;
}

TEST(Output, UnknownFormatIsRejected) {
  EXPECT_FALSE(parse_format("yaml").ok());
  EXPECT_EQ(parse_format("csv").value(), Format::csv);
}

}  // namespace
}  // namespace squall::cli
