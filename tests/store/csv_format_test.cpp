#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <string>
#include <vector>

#include "store/csv/csv_format.hpp"
#include "store/csv_backup.hpp"
#include "store/sample_observations.hpp"

namespace squall::store {
namespace {

// Splits one RFC 4180 record (no line end) into its unquoted fields.
std::vector<std::string> parse_record(const std::string& record) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    if (quoted) {
      if (c == '"' && i + 1 < record.size() && record[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

std::size_t column_of(const std::string& name) {
  const auto columns = parse_record(csv_header());
  return static_cast<std::size_t>(std::find(columns.begin(), columns.end(), name) - columns.begin());
}

TEST(CsvFormat, HeaderNamesEveryColumnInOrder) {
  EXPECT_EQ(csv_header(),
            "city_id,city,country,observed_at,lat,lon,temp_c,feels_like_c,temp_min_c,temp_max_c,pressure_hpa,"
            "sea_level_hpa,grnd_level_hpa,humidity_pct,wind_speed_ms,wind_deg,wind_gust_ms,clouds_pct,"
            "visibility_m,rain_1h_mm,rain_3h_mm,snow_1h_mm,snow_3h_mm,condition_id,condition,description,icon,"
            "timezone_s,sunrise,sunset,ingested_at_ms,source");
}

TEST(CsvFormat, FullRow) {
  EXPECT_EQ(csv_row(test::full_observation(4887398, 1700000000)),
            "4887398,Chicago,US,2023-11-14T22:13:20Z,41.85,-87.65,8.37,5.84,7,10.56,1016,1017,991,93,4.63,180,7.2,"
            "75,10000,0.25,0.75,0.1,0.3,803,Clouds,\"broken clouds, mist\",04d,-21600,1699964400,1700000940,"
            "1700000000250,simulator");
}

TEST(CsvFormat, AbsentFieldsAreEmpty) {
  const std::string row = csv_row(test::sparse_observation(7, 0));
  EXPECT_EQ(row, "7,,,1970-01-01T00:00:00Z,,,-3.5,,,,,,,,,,,,,,,,,,,,,,,,0,replay");
  EXPECT_EQ(parse_record(row).size(), parse_record(csv_header()).size());
}

TEST(CsvFormat, QuotesFieldsWithCommasQuotesAndLineBreaks) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"Washington, D.C.", "\"Washington, D.C.\""},
      {"The \"Windy\" City", "\"The \"\"Windy\"\" City\""},
      {"two\nlines", "\"two\nlines\""},
      {"carriage\rreturn", "\"carriage\rreturn\""},
      {"\"", "\"\"\"\""},
      {"São Paulo", "São Paulo"},
      {"Zürich", "Zürich"},
      {"東京都", "東京都"},
      {"", ""},
  };
  for (const auto& [city, rendered] : cases) {
    Observation observation = test::sparse_observation(1, 0);
    observation.city = city;
    const std::string row = csv_row(observation);
    EXPECT_EQ(row.substr(2, rendered.size() + 1), rendered + ",") << city;
    EXPECT_EQ(parse_record(row).at(1), city);
  }
}

TEST(CsvFormat, NumbersReadBackExactly) {
  Observation observation = test::sparse_observation(1, 0);
  observation.temp_c = 281.52 - 273.15;  // not exactly 8.37 in binary
  observation.lat = 1e-7;
  observation.pressure_hpa = 1016;
  const auto fields = parse_record(csv_row(observation));
  for (const auto& [column, expected] :
       std::vector<std::pair<std::string, double>>{{"temp_c", 281.52 - 273.15}, {"lat", 1e-7}, {"pressure_hpa", 1016}}) {
    const std::string& text = fields.at(column_of(column));
    double parsed = 0;
    std::from_chars(text.data(), text.data() + text.size(), parsed);
    EXPECT_EQ(parsed, expected) << column << " = " << text;
  }
  EXPECT_EQ(fields.at(column_of("pressure_hpa")), "1016");
}

// The fast path for few-decimals numbers must write exactly what the general
// shortest-representation search writes.
TEST(CsvFormat, NumbersAreWrittenAsStdToCharsWrites) {
  std::vector<double> values{0.0, -0.0, 1e-7, 0.0005, 0.0001, 0.001, -0.001, 0.0011, 0.002, 1e5, 99999.9999,
                             -99999.99, 100000.5, 123456.78, 1016, 10000, 20000, 281.52 - 273.15, 25.7743, -80.1937,
                             1.0 / 3, 1e300, -1e-300, 4887398};
  for (int k = -200'000; k <= 200'000; k += 7) values.push_back(k / 100.0);
  for (int k = -2'000'000; k <= 2'000'000; k += 997) values.push_back(k / 10'000.0);
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> any(-2e5, 2e5);
  for (int i = 0; i < 20'000; ++i) values.push_back(any(random));
  for (double value : values) {
    std::string fast;
    csv::append_number(fast, value);
    char digits[32];
    const auto [end, error] = std::to_chars(digits, digits + sizeof digits, value);
    ASSERT_EQ(error, std::errc());
    ASSERT_EQ(fast, std::string(digits, end)) << value;
  }
}

}  // namespace
}  // namespace squall::store
