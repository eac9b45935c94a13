#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "store/csv_backup.hpp"
#include "store/sample_observations.hpp"
#include "test_support/temp_dir.hpp"

namespace squall::store {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kHour = 1699999200;  // 2023-11-14T22:00:00Z
constexpr const char* kHourFile = "weather-20231114T220000Z.csv";
constexpr const char* kNextHourFile = "weather-20231114T230000Z.csv";

std::int64_t fake_clock_s = kHour;
std::int64_t fake_now() { return fake_clock_s; }

std::string read_all(const fs::path& path) {
  std::string contents(fs::file_size(path), '\0');
  std::ifstream(path, std::ios::binary).read(contents.data(), static_cast<std::streamsize>(contents.size()));
  return contents;
}

std::string header_line() { return csv_header() + "\r\n"; }
std::string line(const Observation& observation) { return csv_row(observation) + "\r\n"; }

std::vector<log::CommitPosition> at(std::int32_t partition, std::int64_t next_offset) {
  return {log::CommitPosition{{"weather", partition}, next_offset}};
}

class CsvBackupTest : public ::testing::Test {
 protected:
  void SetUp() override { fake_clock_s = kHour + 10; }

  std::unique_ptr<CsvBackup> open(std::int64_t roll_interval_s = 3600) {
    auto backup = open_csv_backup(CsvOptions{dir_.path().string(), roll_interval_s}, &fake_now);
    EXPECT_TRUE(backup.ok()) << backup.error().message;
    return backup.ok() ? std::move(backup).value() : nullptr;
  }

  static void append(CsvBackup& backup, const std::vector<Observation>& rows,
                     const std::vector<log::CommitPosition>& positions) {
    auto appended = backup.append(rows, positions);
    ASSERT_TRUE(appended.ok()) << appended.error().message;
  }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_.path())) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path path(const std::string& name) const { return dir_.path() / name; }

  test::TempDir dir_;
};

const Observation kFirst = test::full_observation(4887398, 1700000000);
const Observation kSecond = test::sparse_observation(4164138, 1700000060);
const Observation kThird = test::full_observation(5391959, 1700000120);

TEST_F(CsvBackupTest, WritesHeaderAndRowsToAPartFile) {
  auto backup = open();
  append(*backup, {kFirst, kSecond}, at(0, 2));
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", std::string(kHourFile) + ".part"}));
  EXPECT_EQ(read_all(path(std::string(kHourFile) + ".part")), header_line() + line(kFirst) + line(kSecond));
}

TEST_F(CsvBackupTest, CloseCompletesTheFile) {
  auto backup = open();
  append(*backup, {kFirst}, at(0, 1));
  ASSERT_TRUE(backup->close().ok());
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", kHourFile}));
  EXPECT_EQ(read_all(path(kHourFile)), header_line() + line(kFirst));
  EXPECT_TRUE(backup->close().ok());  // nothing open any more
}

TEST_F(CsvBackupTest, RollsAtTheIntervalBoundary) {
  auto backup = open();
  append(*backup, {kFirst}, at(0, 1));
  fake_clock_s = kHour + 3599;
  append(*backup, {kSecond}, at(0, 2));
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", std::string(kHourFile) + ".part"}));

  fake_clock_s = kHour + 3600;
  append(*backup, {kThird}, at(0, 3));
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", kHourFile,
                                               std::string(kNextHourFile) + ".part"}));
  EXPECT_EQ(read_all(path(kHourFile)), header_line() + line(kFirst) + line(kSecond));
  EXPECT_EQ(read_all(path(std::string(kNextHourFile) + ".part")), header_line() + line(kThird));
}

TEST_F(CsvBackupTest, AfterAQuietGapTheNewFileIsNamedForTheCurrentInterval) {
  auto backup = open();
  append(*backup, {kFirst}, at(0, 1));
  fake_clock_s = kHour + 5 * 3600 + 1234;
  append(*backup, {kSecond}, at(0, 2));
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", kHourFile,
                                               "weather-20231115T030000Z.csv.part"}));
}

TEST_F(CsvBackupTest, ShortIntervalsRollByTheInjectedClock) {
  auto backup = open(60);
  fake_clock_s = kHour + 59;
  append(*backup, {kFirst}, at(0, 1));
  fake_clock_s = kHour + 60;
  append(*backup, {kSecond}, at(0, 2));
  ASSERT_TRUE(backup->close().ok());
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", kHourFile, "weather-20231114T220100Z.csv"}));
}

TEST_F(CsvBackupTest, ReopeningInACompletedIntervalAddsASuffix) {
  for (int run = 0; run < 3; ++run) {
    auto backup = open();
    append(*backup, {kFirst}, at(0, run + 1));
    ASSERT_TRUE(backup->close().ok());
  }
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", "weather-20231114T220000Z-2.csv",
                                               "weather-20231114T220000Z-3.csv", kHourFile}));
  for (const auto& name : files()) {
    if (name.ends_with(".csv")) {
      EXPECT_EQ(read_all(path(name)), header_line() + line(kFirst)) << name;
    }
  }
}

TEST_F(CsvBackupTest, ResumePositionsAccumulateAndNeverGoBack) {
  auto backup = open();
  EXPECT_TRUE(backup->resume_positions().empty());
  append(*backup, {kFirst}, at(0, 10));
  append(*backup, {kSecond}, {log::CommitPosition{{"weather", 0}, 5}, log::CommitPosition{{"weather", 1}, 3}});
  fake_clock_s = kHour + 3600;  // positions carry over into the next file
  append(*backup, {kThird}, at(2, 8));
  const std::map<log::TopicPartition, std::int64_t> expected{
      {{"weather", 0}, 10}, {{"weather", 1}, 3}, {{"weather", 2}, 8}};
  EXPECT_EQ(backup->resume_positions(), expected);
  ASSERT_TRUE(backup->close().ok());
  EXPECT_EQ(open()->resume_positions(), expected);
}

TEST_F(CsvBackupTest, PositionsWithoutRowsAreRecordedWithoutAFile) {
  {
    auto backup = open();
    append(*backup, {}, at(1, 40));
    EXPECT_EQ(files(), std::vector<std::string>{"csv-backup.progress"});
  }
  auto reopened = open();
  EXPECT_EQ(reopened->resume_positions(), (std::map<log::TopicPartition, std::int64_t>{{{"weather", 1}, 40}}));
}

TEST_F(CsvBackupTest, CrashMidAppendIsUndoneOnReopen) {
  const std::string part = std::string(kHourFile) + ".part";
  {
    auto backup = open();
    append(*backup, {kFirst}, at(0, 1));
    // A crash: half a batch reached the file, then the process died (no close()).
    std::ofstream(path(part), std::ios::binary | std::ios::app) << "4164138,Mia";
  }
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", part}));  // not completed

  auto backup = open();
  EXPECT_EQ(read_all(path(part)), header_line() + line(kFirst));
  EXPECT_EQ(backup->resume_positions(), (std::map<log::TopicPartition, std::int64_t>{{{"weather", 0}, 1}}));
  append(*backup, {kSecond}, at(0, 2));
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", part}));
  ASSERT_TRUE(backup->close().ok());
  EXPECT_EQ(read_all(path(kHourFile)), header_line() + line(kFirst) + line(kSecond));
}

TEST_F(CsvBackupTest, UnfinishedFileOfAPastIntervalIsCompletedOnReopen) {
  {
    auto backup = open();
    append(*backup, {kFirst}, at(0, 1));
  }
  fake_clock_s = kHour + 7200;
  auto backup = open();
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", kHourFile}));
  EXPECT_EQ(read_all(path(kHourFile)), header_line() + line(kFirst));
  EXPECT_EQ(backup->resume_positions().at({"weather", 0}), 1);
  append(*backup, {kSecond}, at(0, 2));
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", kHourFile,
                                               "weather-20231115T000000Z.csv.part"}));
}

TEST_F(CsvBackupTest, CrashBetweenCompletingAFileAndStartingTheNext) {
  {
    auto backup = open();
    append(*backup, {kFirst}, at(0, 1));
    // The rename of a roll happened; the process died before the next append.
    fs::rename(path(std::string(kHourFile) + ".part"), path(kHourFile));
  }
  auto backup = open();
  EXPECT_EQ(backup->resume_positions().at({"weather", 0}), 1);
  append(*backup, {kSecond}, at(0, 2));
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", "weather-20231114T220000Z-2.csv.part",
                                               kHourFile}));
}

TEST_F(CsvBackupTest, PartFileTheProgressDoesNotNameHoldsNothingAndIsDropped) {
  {
    auto backup = open();
    append(*backup, {kFirst}, at(0, 1));
    ASSERT_TRUE(backup->close().ok());
  }
  // A new file was started and written to, and the process died before the
  // progress file could name it: those rows were never acknowledged.
  const std::string orphan = "weather-20231114T220000Z-2.csv.part";
  std::ofstream(path(orphan), std::ios::binary) << header_line() << line(kSecond) << "5391";

  auto backup = open();
  EXPECT_EQ(files(), (std::vector<std::string>{"csv-backup.progress", kHourFile}));
  EXPECT_EQ(backup->resume_positions().at({"weather", 0}), 1);
  append(*backup, {kSecond}, at(0, 2));
  ASSERT_TRUE(backup->close().ok());
  EXPECT_EQ(read_all(path("weather-20231114T220000Z-2.csv")), header_line() + line(kSecond));
}

TEST_F(CsvBackupTest, PartFileWithoutAnyProgressIsDropped) {
  std::ofstream(path(std::string(kHourFile) + ".part"), std::ios::binary) << header_line().substr(0, 9);
  auto backup = open();
  EXPECT_TRUE(backup->resume_positions().empty());
  EXPECT_TRUE(files().empty());
  append(*backup, {kFirst}, at(0, 1));
  EXPECT_EQ(read_all(path(std::string(kHourFile) + ".part")), header_line() + line(kFirst));
}

TEST_F(CsvBackupTest, OtherFilesInTheDirectoryAreLeftAlone) {
  std::ofstream(path("notes.csv.part")) << "mine";
  std::ofstream(path("README")) << "mine";
  auto backup = open();
  append(*backup, {kFirst}, at(0, 1));
  EXPECT_EQ(files(), (std::vector<std::string>{"README", "csv-backup.progress", "notes.csv.part",
                                               std::string(kHourFile) + ".part"}));
}

TEST_F(CsvBackupTest, ProgressNamingALostFileIsAnError) {
  std::ofstream(path("csv-backup.progress"))
      << "squall-csv-progress 1\nfile weather-20231114T220000Z.csv.part 900\nposition 0 4 weather\n";
  auto backup = open_csv_backup(CsvOptions{dir_.path().string(), 3600}, &fake_now);
  ASSERT_FALSE(backup.ok());
  EXPECT_EQ(backup.error().code, Errc::io);
  EXPECT_NE(backup.error().message.find("weather-20231114T220000Z.csv.part"), std::string::npos);
}

TEST_F(CsvBackupTest, ProgressNamingAForeignFileIsAnError) {
  std::ofstream(path("csv-backup.progress")) << "squall-csv-progress 1\nfile ../store.db 10\n";
  auto backup = open_csv_backup(CsvOptions{dir_.path().string(), 3600}, &fake_now);
  ASSERT_FALSE(backup.ok());
  EXPECT_EQ(backup.error().code, Errc::parse);
}

TEST_F(CsvBackupTest, PartShorterThanRecordedIsAnError) {
  {
    auto backup = open();
    append(*backup, {kFirst}, at(0, 1));
  }
  fs::resize_file(path(std::string(kHourFile) + ".part"), 10);
  auto backup = open_csv_backup(CsvOptions{dir_.path().string(), 3600}, &fake_now);
  ASSERT_FALSE(backup.ok());
  EXPECT_EQ(backup.error().code, Errc::io);
}

TEST_F(CsvBackupTest, RejectsUnusableOptions) {
  auto no_interval = open_csv_backup(CsvOptions{dir_.path().string(), 0}, &fake_now);
  ASSERT_FALSE(no_interval.ok());
  EXPECT_EQ(no_interval.error().code, Errc::invalid_argument);
  auto no_dir = open_csv_backup(CsvOptions{"", 3600}, &fake_now);
  ASSERT_FALSE(no_dir.ok());
  EXPECT_EQ(no_dir.error().code, Errc::invalid_argument);
}

TEST_F(CsvBackupTest, CreatesItsDirectory) {
  auto backup = open_csv_backup(CsvOptions{(dir_.path() / "data" / "csv").string(), 3600}, &fake_now);
  ASSERT_TRUE(backup.ok()) << backup.error().message;
  append(**backup, {kFirst}, at(0, 1));
  EXPECT_TRUE(fs::exists(dir_.path() / "data" / "csv" / (std::string(kHourFile) + ".part")));
}

}  // namespace
}  // namespace squall::store
