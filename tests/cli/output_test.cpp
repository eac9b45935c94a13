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

store::WindowRow window_row() {
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
  return w;
}

std::vector<store::AlertRow> raised_then_cleared() {
  return {{7, 1700000000, "high_wind", true, 18.5, "wind_speed_ms > 17.2"},
          {7, 1700003600, "high_wind", false, 12.25, "wind_speed_ms > 17.2"}};
}

store::Stats some_stats() {
  store::Stats stats;
  stats.observations = 10;
  stats.cities = 2;
  stats.dead_letters = 1;
  stats.windows = 4;
  stats.late_records = 3;
  stats.alerts = 5;
  stats.oldest_observed_at = 1700000000;
  stats.newest_observed_at = 1700003600;
  return stats;
}

TEST(Output, WindowsAsJsonAndTable) {
  const std::vector<store::WindowRow> rows{window_row()};
  EXPECT_EQ(render_windows(rows, Format::json),
            "[{\"city_id\":7,\"window\":\"1h\",\"window_start\":\"2023-11-14T22:00:00Z\","
            "\"window_end\":\"2023-11-14T23:00:00Z\",\"count\":6,\"temp_min_c\":1.5,\"temp_avg_c\":2.25,"
            "\"temp_max_c\":3,\"wind_max_ms\":null,\"wind_avg_ms\":null,\"gust_max_ms\":null,"
            "\"humidity_avg_pct\":null,\"pressure_avg_hpa\":null,\"rain_mm\":0.5,\"snow_mm\":null,\"final\":true}]\n");
  const std::string table = render_windows(rows, Format::table);
  EXPECT_NE(table.find("final"), std::string::npos);
  EXPECT_NE(table.find("2.25"), std::string::npos);
}

TEST(Output, WindowsAsCsvHaveTheTableColumnsAndEmptyFieldsForMissingValues) {
  const std::vector<store::WindowRow> rows{window_row()};
  EXPECT_EQ(render_windows(rows, Format::csv),
            "city_id,window,start,end,count,temp_min_c,temp_avg_c,temp_max_c,wind_max_ms,wind_avg_ms,gust_max_ms,"
            "humidity_avg_pct,pressure_avg_hpa,rain_mm,snow_mm,state\r\n"
            "7,1h,2023-11-14T22:00:00Z,2023-11-14T23:00:00Z,6,1.50,2.25,3.00,,,,,,0.50,,final\r\n");
}

TEST(Output, AlertsAsTableAlignTheColumnsAndNameTheState) {
  EXPECT_EQ(render_alerts(raised_then_cleared(), Format::table),
            "city_id  observed_at           rule       state    value  condition\n"
            "7        2023-11-14T22:13:20Z  high_wind  raised   18.50  wind_speed_ms > 17.2\n"
            "7        2023-11-14T23:13:20Z  high_wind  cleared  12.25  wind_speed_ms > 17.2\n");
}

TEST(Output, AlertsAsCsv) {
  EXPECT_EQ(render_alerts(raised_then_cleared(), Format::csv),
            "city_id,observed_at,rule,state,value,condition\r\n"
            "7,2023-11-14T22:13:20Z,high_wind,raised,18.50,wind_speed_ms > 17.2\r\n"
            "7,2023-11-14T23:13:20Z,high_wind,cleared,12.25,wind_speed_ms > 17.2\r\n");
}

TEST(Output, StatsAsTableIsAHeaderAndOneRow) {
  EXPECT_EQ(render_stats(some_stats(), Format::table),
            "observations  cities  dead_letters  windows  late_records  alerts  oldest_observed_at    "
            "newest_observed_at\n"
            "10            2       1             4        3             5       2023-11-14T22:13:20Z  "
            "2023-11-14T23:13:20Z\n");
}

TEST(Output, StatsAsCsvLeaveAnUnknownTimeEmpty) {
  store::Stats stats = some_stats();
  stats.newest_observed_at.reset();
  EXPECT_EQ(render_stats(stats, Format::csv),
            "observations,cities,dead_letters,windows,late_records,alerts,oldest_observed_at,newest_observed_at\r\n"
            "10,2,1,4,3,5,2023-11-14T22:13:20Z,\r\n");
}

TEST(Output, DeadLettersAsTableShowAPayloadExcerptOnOneLine) {
  const std::vector<store::DeadLetter> rows{
      {"weather", 1, 42, "missing field dt", "{\"id\":1}\n{\"id\":2}", 1700000000000},
      {"weather", 0, 7, "not JSON", std::string(80, 'x'), 1700000000999}};
  EXPECT_EQ(render_dead_letters(rows, Format::table),
            "topic    partition  offset  received_at           reason            payload\n"
            "weather  1          42      2023-11-14T22:13:20Z  missing field dt  {\"id\":1} {\"id\":2}\n"
            "weather  0          7       2023-11-14T22:13:20Z  not JSON          " +
                std::string(60, 'x') + "\n");
}

TEST(Output, DeadLettersKeepReasonAndPayload) {
  std::vector<store::DeadLetter> rows{{"weather", 1, 42, "missing field dt", "{\"id\":1}", 1700000000000}};
  const std::string json = render_dead_letters(rows, Format::json);
  EXPECT_NE(json.find("\"reason\":\"missing field dt\""), std::string::npos);
  EXPECT_NE(json.find("\"payload\":\"{\\\"id\\\":1}\""), std::string::npos);
  const std::string csv = render_dead_letters(rows, Format::csv);
  EXPECT_NE(csv.find("\"{\"\"id\"\":1}\""), std::string::npos) << csv;
}

std::vector<log::TopicInfo> two_topics() { return {{"weather", 4}, {"weather.dlq", 1}}; }

TEST(Output, TopicsListInEveryFormat) {
  EXPECT_EQ(render_topics(two_topics(), Format::table),
            "topic        partitions\n"
            "weather      4\n"
            "weather.dlq  1\n");
  EXPECT_EQ(render_topics(two_topics(), Format::csv), "topic,partitions\r\nweather,4\r\nweather.dlq,1\r\n");
  EXPECT_EQ(render_topics(two_topics(), Format::json),
            "[{\"topic\":\"weather\",\"partitions\":4},\n {\"topic\":\"weather.dlq\",\"partitions\":1}]\n");
  EXPECT_EQ(render_topics({}, Format::json), "[]\n");
}

log::TopicDescription replicated_topic() {
  return {"weather", 2, {{0, 1, {1, 2}, {1, 2}, 0, 10}, {1, -1, {2, 1}, {2}, 5, 8}}};
}

TEST(Output, TopicDescriptionAsTableHasATitleAndOneLinePerPartition) {
  EXPECT_EQ(render_topic(replicated_topic(), Format::table),
            "topic weather  partitions 2  replication factor 2\n"
            "partition  leader  replicas  in_sync  earliest_offset  end_offset  records\n"
            "0          1       1,2       1,2      0                10          10\n"
            "1          -1      2,1       2        5                8           3\n");
}

TEST(Output, TopicDescriptionAsCsvNamesTheTopicOnEveryRow) {
  EXPECT_EQ(render_topic(replicated_topic(), Format::csv),
            "topic,partition,leader,replicas,in_sync,earliest_offset,end_offset,records\r\n"
            "weather,0,1,\"1,2\",\"1,2\",0,10,10\r\n"
            "weather,1,-1,\"2,1\",2,5,8,3\r\n");
}

TEST(Output, TopicDescriptionAsJson) {
  EXPECT_EQ(render_topic(replicated_topic(), Format::json),
            "{\"topic\":\"weather\",\"replication_factor\":2,\"partitions\":["
            "{\"partition\":0,\"leader\":1,\"replicas\":[1,2],\"in_sync_replicas\":[1,2],\"earliest_offset\":0,"
            "\"end_offset\":10,\"records\":10},"
            "{\"partition\":1,\"leader\":-1,\"replicas\":[2,1],\"in_sync_replicas\":[2],\"earliest_offset\":5,"
            "\"end_offset\":8,\"records\":3}]}\n");
}

TEST(Output, UnknownFormatIsRejected) {
  EXPECT_FALSE(parse_format("yaml").ok());
  EXPECT_EQ(parse_format("csv").value(), Format::csv);
}

}  // namespace
}  // namespace squall::cli
