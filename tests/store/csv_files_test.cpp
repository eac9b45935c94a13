// The CSV backup's file names and progress file.

#include <gtest/gtest.h>

#include "store/csv/file_names.hpp"
#include "store/csv/progress.hpp"

namespace squall::store::csv {
namespace {

constexpr std::int64_t kHourStart = 1699999200;  // 2023-11-14T22:00:00Z

TEST(CsvFileNames, StemCarriesTheIntervalStartAndSequence) {
  EXPECT_EQ(file_stem(kHourStart, 1), "weather-20231114T220000Z");
  EXPECT_EQ(file_stem(kHourStart, 2), "weather-20231114T220000Z-2");
  EXPECT_EQ(file_stem(0, 1), "weather-19700101T000000Z");
}

TEST(CsvFileNames, IntervalStartIsReadBackFromOurNamesOnly) {
  EXPECT_EQ(interval_start_of("weather-20231114T220000Z.csv"), kHourStart);
  EXPECT_EQ(interval_start_of("weather-20231114T220000Z.csv.part"), kHourStart);
  EXPECT_EQ(interval_start_of("weather-20231114T220000Z-2.csv.part"), kHourStart);
  EXPECT_EQ(interval_start_of("weather-20231114T220000Z-17.csv"), kHourStart);
  for (const char* other : {"weather-20231114T220000Z.txt", "weather-20231114T220000Z-1.csv",
                            "weather-20231114T220000Z-.csv", "weather-2023111XT220000Z.csv", "notes.csv",
                            "weather-20231114T220000Z.csv.part.tmp", "weather-20231114T220000Z-2x.csv"}) {
    EXPECT_FALSE(interval_start_of(other).has_value()) << other;
  }
}

TEST(CsvFileNames, CompleteNameDropsThePartSuffix) {
  EXPECT_EQ(complete_name("weather-20231114T220000Z-2.csv.part"), "weather-20231114T220000Z-2.csv");
}

TEST(CsvFileNames, IntervalStartFloorsToTheInterval) {
  EXPECT_EQ(interval_start(kHourStart, 3600), kHourStart);
  EXPECT_EQ(interval_start(kHourStart + 3599, 3600), kHourStart);
  EXPECT_EQ(interval_start(kHourStart + 3600, 3600), kHourStart + 3600);
  EXPECT_EQ(interval_start(1700000000, 60), 1700000000 - 20);
  EXPECT_EQ(interval_start(-5, 10), -10);
}

TEST(CsvProgress, RendersAndParsesBack) {
  Progress progress;
  progress.part_file = "weather-20231114T220000Z.csv.part";
  progress.length = 48213;
  progress.positions[{"weather", 0}] = 1200;
  progress.positions[{"weather", 3}] = 7;
  progress.positions[{"weather.v2-eu", 11}] = 99;
  const std::string text = render_progress(progress);
  EXPECT_EQ(text,
            "squall-csv-progress 1\n"
            "file weather-20231114T220000Z.csv.part 48213\n"
            "position 0 1200 weather\n"
            "position 3 7 weather\n"
            "position 11 99 weather.v2-eu\n");
  auto parsed = parse_progress(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, progress);
}

TEST(CsvProgress, WithoutAnOpenFile) {
  Progress progress;
  progress.positions[{"weather", 1}] = 5;
  auto parsed = parse_progress(render_progress(progress));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, progress);
  EXPECT_TRUE(parsed->part_file.empty());
}

TEST(CsvProgress, RejectsDamagedText) {
  for (const char* text : {"", "squall-csv-progress 2\n", "squall-csv-progress 1\nfile x\n",
                           "squall-csv-progress 1\nposition 0 12\n", "squall-csv-progress 1\nposition a 1 t\n",
                           "squall-csv-progress 1\nfile x.csv.part 10", "squall-csv-progress 1\nhello\n"}) {
    auto parsed = parse_progress(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().code, Errc::parse);
  }
}

}  // namespace
}  // namespace squall::store::csv
